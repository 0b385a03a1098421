//! A decision as Griffin shows it: embedded in its legal person, listed per legal person, and
//! the payload of its `decision-created` event.

use serde::Serialize;

use super::{DecisionMaker, DecisionOutcome, DecisionRow};
use crate::time;
use crate::urls;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct DecisionView {
    pub legal_person_url: String,
    pub verification_url: String,
    pub decision_outcome: DecisionOutcome,
    pub decision_notes: String,
    pub decision_maker: DecisionMaker,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_user_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_user_username: Option<String>,
    pub created_at: String,
}

impl DecisionView {
    pub fn new(row: DecisionRow, username: Option<String>) -> Self {
        DecisionView {
            legal_person_url: urls::legal_person(&row.legal_person_id),
            verification_url: urls::verification(&row.verification_id),
            decision_outcome: row.decision_outcome,
            decision_notes: row.decision_notes,
            decision_maker: row.decision_maker,
            decision_user_url: row.user_id.map(|id| urls::user(&id)),
            decision_user_username: username,
            created_at: time::format(row.created_at),
        }
    }
}
