//! Navigation: where a client starts (`/v0/index`) and the connectivity check (`/v0/ping`).

use actix_web::HttpResponse;
use serde::Serialize;

use crate::http::{Caller, no_content, ok};
use crate::urls;

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Index {
    organizations_url: &'static str,
    users_url: &'static str,
    roles_url: &'static str,
    session_url: &'static str,
    /// For API keys: the key and its organization. Sessions span organizations: they find
    /// theirs at `GET /v0/session` and `GET /v0/organizations`.
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_url: Option<String>,
}

/// `GET /v0/index`: the global links and, for the calling key, its own and its
/// organization's URL. Clients follow links from here.
pub async fn index(caller: Caller) -> HttpResponse {
    ok(&Index {
        organizations_url: urls::ORGANIZATIONS,
        users_url: urls::USERS,
        roles_url: urls::ROLES,
        session_url: urls::SESSION,
        api_key_url: caller.api_key_id().map(urls::api_key),
        organization_url: caller.key_organization().map(urls::organization),
    })
}

/// `GET /v0/ping` (no authentication): 204.
pub async fn ping() -> HttpResponse {
    no_content()
}
