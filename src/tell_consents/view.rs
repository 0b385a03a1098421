//! A Tell consent as Griffin shows it.

use serde::Serialize;

use super::{TellConsent, TellConsentPermission, TellConsentScope, TellConsentStatus};
use crate::{time, urls};

/// Griffin's `tell-consent-response`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct TellConsentView {
    pub tell_consent_url: String,
    pub tell_consent_id: String,
    pub tell_gateway_id: String,
    pub tell_consent_scope: TellConsentScope,
    pub tell_consent_permissions: Vec<TellConsentPermission>,
    pub tell_consent_status: TellConsentStatus,
    pub bank_account_urls: Vec<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tell_consent_expiry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tell_consent_consumed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tell_consent_revoked_at: Option<String>,
}

impl TellConsentView {
    pub fn new(consent: &TellConsent) -> Self {
        let row = &consent.row;
        TellConsentView {
            tell_consent_url: urls::tell_consent(&row.consent_uuid),
            tell_consent_id: row.consent_uuid.clone(),
            tell_gateway_id: row.tell_gateway_id.clone(),
            tell_consent_scope: row.tell_consent_scope,
            tell_consent_permissions: row.tell_consent_permissions.items().to_vec(),
            tell_consent_status: row.tell_consent_status,
            bank_account_urls: consent.account_ids.iter().map(urls::bank_account).collect(),
            created_at: time::format(row.created_at),
            tell_consent_expiry: row.tell_consent_expiry.map(time::format),
            tell_consent_consumed_at: row.consumed_at.map(time::format),
            tell_consent_revoked_at: row.revoked_at.map(time::format),
        }
    }
}
