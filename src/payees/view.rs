//! A payee as Griffin shows it.

use serde::Serialize;

use super::{PayeeRow, PayeeStatus};
use crate::{time, urls};

/// Griffin's payee.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PayeeView {
    pub payee_url: String,
    pub legal_person_url: String,
    pub account_holder: String,
    pub account_number: String,
    pub bank_id: String,
    pub country_code: &'static str,
    pub payee_status: PayeeStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cop_request_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_url: Option<String>,
    pub created_at: String,
}

impl PayeeView {
    pub fn new(row: &PayeeRow) -> Self {
        PayeeView {
            payee_url: urls::payee(&row.id),
            legal_person_url: urls::legal_person(&row.legal_person_id),
            account_holder: row.account_holder.clone(),
            account_number: row.account_number.clone(),
            bank_id: row.bank_id.clone(),
            country_code: "GB",
            payee_status: row.payee_status,
            cop_request_url: row.cop_request_id.as_ref().map(urls::cop_request),
            account_url: row.account_id.as_ref().map(urls::bank_account),
            created_at: time::format(row.created_at),
        }
    }
}
