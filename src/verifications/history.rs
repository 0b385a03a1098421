//! A legal person's history, as Griffin lists it: verifications started, risk ratings
//! registered and decisions taken, built from its verifications and decisions.

use diesel::QueryResult;
use serde_json::{Value, json};

use super::VerificationRow;
use crate::decisions::{self, DecisionRow, DecisionView};
use crate::ids::LegalPersonId;
use crate::paging::Cursor;
use crate::store::Conn;
use crate::time::{self, Micros};
use crate::{urls, users};

/// One entry of the history.
pub struct HistoryEntry {
    pub at: Micros,
    /// Unique among the entries: the source row's id and what happened to it.
    pub key: String,
    pub body: Value,
}

impl HistoryEntry {
    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.at, self.key.as_str())
    }

    fn started(verification: &VerificationRow) -> Self {
        HistoryEntry {
            at: verification.created_at,
            key: format!("{}.created", verification.id),
            body: json!({
                "legal-person-history-event-type": "verification-created",
                "timestamp": time::format(verification.created_at),
                "verification-url": urls::verification(&verification.id),
                "workflow-url": urls::workflow(&verification.workflow_id),
            }),
        }
    }

    fn rated(verification: &VerificationRow) -> Option<Self> {
        let risk_rating = verification.risk_rating?;
        Some(HistoryEntry {
            at: verification.updated_at,
            key: format!("{}.rated", verification.id),
            body: json!({
                "legal-person-history-event-type": "risk-rating-registered",
                "timestamp": time::format(verification.updated_at),
                "risk-rating": risk_rating,
            }),
        })
    }

    /// The decision as its view shows it, less what the history says otherwise.
    fn decided(decision: DecisionRow, username: Option<String>) -> Self {
        let at = decision.created_at;
        let key = format!("{}.decided", decision.id);
        let mut body =
            serde_json::to_value(DecisionView::new(decision, username)).unwrap_or_default();
        if let Some(map) = body.as_object_mut() {
            map.remove("legal-person-url");
            map.remove("created-at");
            map.insert(
                "legal-person-history-event-type".into(),
                "decision-created".into(),
            );
            map.insert("timestamp".into(), time::format(at).into());
        }
        HistoryEntry { at, key, body }
    }
}

/// Every entry of the legal person's history, in no particular order.
pub async fn of(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
) -> QueryResult<Vec<HistoryEntry>> {
    let mut entries = Vec::new();
    for verification in super::all_of(conn, legal_person_id).await? {
        entries.push(HistoryEntry::started(&verification));
        entries.extend(HistoryEntry::rated(&verification));
    }
    for decision in decisions::all_of(conn, legal_person_id).await? {
        let username = match &decision.user_id {
            Some(id) => users::find(conn, id).await?.map(|u| u.username),
            None => None,
        };
        entries.push(HistoryEntry::decided(decision, username));
    }
    Ok(entries)
}
