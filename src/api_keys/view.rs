//! An API key as Griffin shows it; its secret only in the answer that created it.

use serde::Serialize;

use super::ApiKeyRow;
use super::secret::ApiKeySecret;
use crate::time;
use crate::urls;

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ApiKeyView {
    pub api_key_url: String,
    pub api_key_name: String,
    #[serde(rename = "api-key-live?")]
    pub api_key_live: bool,
    pub organization_url: String,
    pub user_url: String,
    pub created_at: String,
    /// Only in the answer to the request that created the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_secret: Option<String>,
}

impl ApiKeyView {
    pub fn new(row: ApiKeyRow) -> Self {
        ApiKeyView {
            api_key_url: urls::api_key(&row.id),
            api_key_name: row.name,
            api_key_live: row.live,
            organization_url: urls::organization(&row.organization_id),
            user_url: urls::user(&row.user_id),
            created_at: time::format(row.created_at),
            api_key_secret: None,
        }
    }

    pub fn with_secret(row: ApiKeyRow, secret: &ApiKeySecret) -> Self {
        ApiKeyView {
            api_key_secret: Some(secret.as_str().to_string()),
            ..ApiKeyView::new(row)
        }
    }
}
