//! A submission as Griffin shows it.

use serde::Serialize;
use serde_json::json;

use super::{SubmissionRow, SubmissionStatus};
use crate::{time, urls};

/// Griffin's payment submission.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SubmissionView {
    pub submission_url: String,
    pub payment_url: String,
    pub account_url: String,
    pub submission_status: SubmissionStatus,
    pub submission_scheme_information: serde_json::Value,
    pub unique_scheme_identifier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by_url: Option<String>,
    pub created_at: String,
}

impl SubmissionView {
    pub fn new(row: &SubmissionRow) -> Self {
        SubmissionView {
            submission_url: urls::submission(&row.id),
            payment_url: urls::payment(&row.payment_id),
            account_url: urls::bank_account(&row.account_id),
            submission_status: row.submission_status,
            submission_scheme_information: json!({
                "payment-scheme": row.payment_scheme,
                "end-to-end-identification": row.end_to_end_identification,
            }),
            unique_scheme_identifier: row.unique_scheme_identifier.clone(),
            created_by_url: row.created_by_user_id.as_ref().map(urls::user),
            created_at: time::format(row.created_at),
        }
    }
}
