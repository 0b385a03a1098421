//! A hold as Griffin shows it.

use serde::Serialize;
use serde_json::Value;

use super::{HoldDirection, HoldOrigin, HoldRow, HoldStatus};
use crate::money::Money;
use crate::{time, urls};

/// Griffin's hold.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct HoldView {
    pub hold_url: String,
    pub account_url: String,
    pub status: HoldStatus,
    pub direction: HoldDirection,
    pub amount: Money,
    pub origin_type: HoldOrigin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl HoldView {
    pub fn new(row: &HoldRow) -> Self {
        HoldView {
            hold_url: urls::hold(&row.id),
            account_url: urls::bank_account(&row.account_id),
            status: row.status,
            direction: row.direction,
            amount: Money::gbp(row.amount),
            origin_type: row.origin_type,
            origin_metadata: row
                .origin_metadata
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok()),
            release_reason: row.release_reason.clone(),
            expires_at: row.expires_at.map(time::format),
            created_at: time::format(row.created_at),
            updated_at: time::format(row.updated_at),
        }
    }
}
