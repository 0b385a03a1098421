//! The HTTP side of access: the [`Caller`] of every authenticated request, read from its
//! `Authorization` header.
//!
//! - `Authorization: GriffinAPIKey g-test-<name>-<secret>`: a key belongs to one organization
//!   and acts for the user who made it, with that user's current roles there;
//! - `Authorization: GriffinSession <token>`: a user's login session; the organization named
//!   by the URL decides which of the user's memberships (and so which roles) apply.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::authenticate::{self, hash_secret};
use super::{Caller, Credential};
use crate::AppState;
use crate::api_keys::secret::ApiKeySecret;
use crate::http::{ApiError, ApiResult};
use crate::message_signatures;
use crate::sessions::SessionToken;

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = credentials(request);
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let request = request.clone();
        Box::pin(async move {
            let presented = presented?;
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let mut conn = state.db.read().await?;
            let mut conn = conn.conn();
            let caller = match presented {
                Presented::ApiKey(secret) => {
                    authenticate::api_key(&mut conn, &hash_secret(secret.as_str())).await?
                }
                Presented::Session(token) => {
                    let now = state.clock.now();
                    authenticate::session(&mut conn, &hash_secret(token.as_str()), now).await?
                }
            };
            // An API key's organization is known before the handler runs: the request takes
            // its place among that organization's requests in flight until it ends, and its
            // message signatures are checked against that organization's keys.
            if let Credential::ApiKey {
                organization_id,
                signatures_required,
                ..
            } = &caller.credential
            {
                let permit = state.limits.organization(organization_id.as_str())?;
                request.extensions_mut().insert(permit);
                message_signatures::handlers::check_request(
                    &state,
                    &request,
                    organization_id,
                    *signatures_required,
                )
                .await?;
            }
            Ok(caller)
        })
    }
}

enum Presented {
    ApiKey(ApiKeySecret),
    Session(SessionToken),
}

/// Reads and checks the shape of the `Authorization` header.
fn credentials(request: &HttpRequest) -> ApiResult<Presented> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthorized(
                "Send `Authorization: GriffinAPIKey <api-key-secret>` or `GriffinSession <token>`.",
            )
        })?
        .to_str()
        .map_err(|_| ApiError::unauthorized("The Authorization header is not valid."))?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
    match scheme {
        "GriffinAPIKey" => ApiKeySecret::parse(token.trim())
            .map(Presented::ApiKey)
            .ok_or_else(|| ApiError::unauthorized("The API key is not valid.")),
        "GriffinSession" => SessionToken::parse(token.trim())
            .map(Presented::Session)
            .ok_or_else(|| ApiError::unauthorized("The session is not valid or has expired.")),
        _ => Err(ApiError::unauthorized(
            "Unsupported authorization scheme: use `GriffinAPIKey` or `GriffinSession`.",
        )),
    }
}
