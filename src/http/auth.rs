//! Authentication: `Authorization: GriffinAPIKey g-test-<name>-<secret>`.
//!
//! A key belongs to one organization and acts for the user who made it, through that user's
//! membership; a key whose user is no longer a member authenticates nothing. Only the SHA-256
//! of a secret is stored (secrets carry 256 random bits, so a fast hash is enough) and a secret
//! is never logged or echoed.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use sha2::{Digest, Sha256};

use super::error::{ApiError, ApiResult};
use crate::AppState;
use crate::api_keys::secret::ApiKeySecret;
use crate::dispatch;
use crate::ids::{ApiKeyId, MembershipId, OrganizationId, UserId};
use crate::store::Conn;
use crate::store::schema::{api_keys, memberships};

/// Who is calling: an API key, its organization, and the user and membership it acts for.
#[derive(Debug, Clone)]
pub struct Caller {
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub membership_id: MembershipId,
    pub api_key_id: ApiKeyId,
}

impl Caller {
    /// Resources of other organizations are reported as missing, never as forbidden.
    pub fn require_organization(&self, organization_id: &str) -> ApiResult<()> {
        if self.organization_id == *organization_id {
            Ok(())
        } else {
            Err(ApiError::not_found())
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let credentials = credentials(request);
        let state = request.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let secret = credentials?;
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let mut conn = state.db.read().await?;
            find_caller(&mut conn.conn(), &hash_secret(secret.as_str()))
                .await?
                .ok_or_else(|| ApiError::unauthorized("The API key is not valid."))
        })
    }
}

/// Reads and checks the shape of the `Authorization` header.
fn credentials(request: &HttpRequest) -> ApiResult<ApiKeySecret> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthorized("Send `Authorization: GriffinAPIKey <api-key-secret>`.")
        })?
        .to_str()
        .map_err(|_| ApiError::unauthorized("The Authorization header is not valid."))?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
    if scheme != "GriffinAPIKey" {
        return Err(ApiError::unauthorized(
            "Unsupported authorization scheme: use `GriffinAPIKey <api-key-secret>`.",
        ));
    }
    ApiKeySecret::parse(token.trim())
        .ok_or_else(|| ApiError::unauthorized("The API key is not valid."))
}

pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// One query: the key, joined to the membership its user holds in the key's organization.
async fn find_caller(conn: &mut Conn<'_>, secret_hash: &str) -> ApiResult<Option<Caller>> {
    let row: Option<(String, String, String, String)> = dispatch!(conn, c => {
        api_keys::table
            .inner_join(
                memberships::table.on(memberships::organization_id
                    .eq(api_keys::organization_id)
                    .and(memberships::user_id.eq(api_keys::user_id))),
            )
            .filter(api_keys::secret_hash.eq(secret_hash))
            .select((
                api_keys::id,
                api_keys::organization_id,
                api_keys::user_id,
                memberships::id,
            ))
            .first(c)
            .await
            .optional()
    })?;
    Ok(row.map(|(key, organization, user, membership)| Caller {
        api_key_id: ApiKeyId::from_db(key),
        organization_id: OrganizationId::from_db(organization),
        user_id: UserId::from_db(user),
        membership_id: MembershipId::from_db(membership),
    }))
}
