//! A restriction, and an item of its history, as shown.

use diesel::QueryResult;
use serde::Serialize;
use serde_json::json;

use super::{
    LegalStatus, ReasonCode, RestrictionEventRow, RestrictionEventType, RestrictionRow,
    RestrictionStatus, RestrictionType,
};
use crate::ids::UserId;
use crate::store::Conn;
use crate::{time, urls};

fn applied_by(user_id: &UserId, username: &str) -> serde_json::Value {
    json!({
        "restriction-applied-by-type": "user",
        "user-url": urls::user(user_id),
        "user-username": username,
    })
}

/// Griffin's bank account restriction.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RestrictionView {
    pub bank_account_restriction_url: String,
    pub account_url: String,
    pub restriction_status: RestrictionStatus,
    pub restriction_type: RestrictionType,
    pub restriction_reason_code: ReasonCode,
    pub restriction_legal_status: LegalStatus,
    pub restriction_applied_by: serde_json::Value,
    pub created_at: String,
    pub bank_account_restriction_events_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_bank_account_restriction_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lift_bank_account_restriction_url: Option<String>,
}

impl RestrictionView {
    /// The view of `row`, with the username of the user who applied it.
    pub async fn load(conn: &mut Conn<'_>, row: &RestrictionRow) -> QueryResult<Self> {
        let username = super::applied_by_username(conn, row).await?;
        Ok(RestrictionView::new(row, &username))
    }

    pub fn new(row: &RestrictionRow, applied_by_username: &str) -> Self {
        let id = row.id.clone();
        let active = row.restriction_status == RestrictionStatus::Active;
        RestrictionView {
            bank_account_restriction_url: urls::restriction(&id),
            account_url: urls::bank_account(&row.account_id),
            restriction_status: row.restriction_status,
            restriction_type: row.restriction_type,
            restriction_reason_code: row.restriction_reason_code,
            restriction_legal_status: row.restriction_legal_status,
            restriction_applied_by: applied_by(&row.applied_by_user_id, applied_by_username),
            created_at: time::format(row.created_at),
            bank_account_restriction_events_url: urls::restriction_sub(&id, "events"),
            update_bank_account_restriction_url: active
                .then(|| urls::restriction_sub(&id, "actions/update")),
            lift_bank_account_restriction_url: active
                .then(|| urls::restriction_sub(&id, "actions/lift")),
        }
    }
}

/// One item of a restriction's history (ours: Griffin links it without describing it).
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RestrictionEventView {
    pub restriction_event_type: RestrictionEventType,
    pub restriction_type: RestrictionType,
    pub restriction_reason_code: ReasonCode,
    pub restriction_legal_status: LegalStatus,
    pub notes: String,
    pub restriction_applied_by: serde_json::Value,
    pub created_at: String,
}

impl RestrictionEventView {
    pub fn new(row: &RestrictionEventRow, username: &str) -> Self {
        RestrictionEventView {
            restriction_event_type: row.restriction_event_type,
            restriction_type: row.restriction_type,
            restriction_reason_code: row.restriction_reason_code,
            restriction_legal_status: row.restriction_legal_status,
            notes: row.notes.clone(),
            restriction_applied_by: applied_by(&row.user_id, username),
            created_at: time::format(row.created_at),
        }
    }
}
