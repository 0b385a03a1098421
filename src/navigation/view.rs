//! The index: the links a client starts from.

use serde::Serialize;

use crate::access::Caller;
use crate::urls;

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct IndexView {
    pub organizations_url: &'static str,
    pub users_url: &'static str,
    pub roles_url: &'static str,
    pub session_url: &'static str,
    /// For API keys: the key; and the organization the caller works in: the key's own, or a
    /// session's current one (none when its user is an active member nowhere). A session's
    /// other organizations are at `GET /v0/organizations`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_url: Option<String>,
}

impl IndexView {
    /// The global links, an API key's own URL, and the caller's current organization's.
    pub fn new(caller: &Caller) -> Self {
        IndexView {
            organizations_url: urls::ORGANIZATIONS,
            users_url: urls::USERS,
            roles_url: urls::ROLES,
            session_url: urls::SESSION,
            api_key_url: caller.api_key_id().map(urls::api_key),
            organization_url: caller.current_organization().map(urls::organization),
        }
    }
}
