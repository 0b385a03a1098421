//! A payment and an admission as Griffin shows them.

use serde::Serialize;
use serde_json::{Value, json};

use super::{AdmissionRow, AdmissionStatus, CreatedVia, PaymentDirection, PaymentRow};
use crate::money::Money;
use crate::{time, urls};

/// Griffin's payment.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PaymentView {
    pub payment_url: String,
    pub payment_direction: PaymentDirection,
    pub payment_amount: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_reference: Option<String>,
    pub creditor: Value,
    pub debtor: Value,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_via: Option<CreatedVia>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_submission_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected_by_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    pub payment_admissions_url: String,
    pub payment_submissions_url: String,
}

/// The account holder the payment names for its other party, as its own account sees it:
/// the creditor's for money out, the debtor's for money in. `None` when that party is one
/// of this bank's accounts named by URL only (`griffin-bank-account`).
pub fn counterparty_holder(row: &PaymentRow) -> Option<String> {
    let party = match row.payment_direction {
        PaymentDirection::Outbound => &row.creditor,
        PaymentDirection::Inbound => &row.debtor,
    };
    let party: Value = serde_json::from_str(party).ok()?;
    party["account-holder"].as_str().map(str::to_string)
}

impl PaymentView {
    pub fn new(row: &PaymentRow) -> Self {
        let id = row.id.clone();
        PaymentView {
            payment_url: urls::payment(&id),
            payment_direction: row.payment_direction,
            payment_amount: Money::gbp(row.amount),
            payment_reference: row.payment_reference.clone(),
            creditor: serde_json::from_str(&row.creditor).unwrap_or(Value::Null),
            debtor: serde_json::from_str(&row.debtor).unwrap_or(Value::Null),
            created_at: time::format(row.created_at),
            created_via: row.created_via,
            created_by_url: row.created_by_user_id.as_ref().map(urls::user),
            latest_submission_url: row.latest_submission_id.as_ref().map(urls::submission),
            rejected_at: row.rejected_at.map(time::format),
            rejected_by_url: row.rejected_by_user_id.as_ref().map(urls::user),
            rejection_reason: row.rejection_reason.clone(),
            payment_admissions_url: urls::payment_sub(&id, "admissions"),
            payment_submissions_url: urls::payment_sub(&id, "submissions"),
        }
    }
}

/// Griffin's payment admission.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AdmissionView {
    pub admission_url: String,
    pub payment_url: String,
    pub account_url: String,
    pub admission_status: AdmissionStatus,
    pub admission_scheme_information: Value,
    pub unique_scheme_identifier: String,
    pub created_at: String,
}

impl AdmissionView {
    pub fn new(row: &AdmissionRow) -> Self {
        AdmissionView {
            admission_url: urls::admission(&row.id),
            payment_url: urls::payment(&row.payment_id),
            account_url: urls::bank_account(&row.account_id),
            admission_status: row.admission_status,
            admission_scheme_information: json!({
                "payment-scheme": row.payment_scheme,
                "end-to-end-identification": row.end_to_end_identification,
            }),
            unique_scheme_identifier: row.unique_scheme_identifier.clone(),
            created_at: time::format(row.created_at),
        }
    }
}
