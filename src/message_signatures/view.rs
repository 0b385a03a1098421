//! A registered message signature key and an organization's signature setting, as we show
//! them (both ours: Griffin manages them in its web app).

use serde::Serialize;

use super::KeyRow;
use crate::ids::OrganizationId;
use crate::time;
use crate::urls;

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct KeyView {
    pub message_signature_key_url: String,
    /// What signatures name in `keyid=`: the key's id.
    pub keyid: String,
    pub algorithm: &'static str,
    pub public_key_pem: String,
    pub organization_url: String,
    pub created_by_url: String,
    pub created_at: String,
}

impl KeyView {
    pub fn new(row: &KeyRow) -> Self {
        KeyView {
            message_signature_key_url: urls::message_signature_key(&row.id),
            keyid: row.id.to_string(),
            algorithm: "ed25519",
            public_key_pem: row.public_key_pem.clone(),
            organization_url: urls::organization(&row.organization_id),
            created_by_url: urls::user(&row.created_by_user_id),
            created_at: time::format(row.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SettingsView {
    pub organization_url: String,
    pub message_signature_keys_url: String,
    #[serde(rename = "message-signatures-required?")]
    pub required: bool,
}

impl SettingsView {
    pub fn new(organization_id: &OrganizationId, required: bool) -> Self {
        SettingsView {
            organization_url: urls::organization(organization_id),
            message_signature_keys_url: urls::organization_sub(
                organization_id,
                "message-signature-keys",
            ),
            required,
        }
    }
}
