//! An onboarding application as Griffin shows it, in responses and in its events.

use serde::Serialize;

use super::{ApplicationRow, ApplicationStatus};
use crate::decisions::DecisionOutcome;
use crate::ids::OnboardingApplicationId;
use crate::time;
use crate::urls;

pub fn url(id: &OnboardingApplicationId) -> String {
    format!("/v0/onboarding/applications/{id}")
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ApplicationView {
    pub onboarding_application_url: String,
    pub onboarding_application_status: ApplicationStatus,
    pub workflow_url: String,
    pub created_at: String,
    /// Griffin shows these once the application is processing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_person_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_outcome: Option<DecisionOutcome>,
}

impl ApplicationView {
    pub fn new(row: &ApplicationRow) -> Self {
        let past_submitted = row.onboarding_application_status != ApplicationStatus::Submitted;
        ApplicationView {
            onboarding_application_url: url(&row.id),
            onboarding_application_status: row.onboarding_application_status,
            workflow_url: urls::workflow(&row.workflow_id),
            created_at: time::format(row.created_at),
            legal_person_url: past_submitted.then(|| urls::legal_person(&row.legal_person_id)),
            verification_url: past_submitted.then(|| urls::verification(&row.verification_id)),
            decision_outcome: row.decision_outcome,
        }
    }
}
