//! Message signatures over HTTP: the keys an organization registers
//! (`/v0/organizations/{organization-id}/message-signature-keys`,
//! `/v0/message-signature-keys/{id}`), its setting
//! (`/v0/organizations/{organization-id}/message-signature-settings`), Griffin's
//! `/v0/security/message-signature/verify`, and the glue that verifies a signed request:
//! [`buffer_signed_body`] keeps a signed request's body for the digest, [`check_request`]
//! runs when the request's API key is authenticated.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::rfc9421::Message;
use super::{KeyRow, KeyView, PublicKey, SettingsView};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::http::json::{BodyDeadline, read_limited};
use crate::http::{ApiError, ApiResult, Json, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::{MessageSignatureKeyKind, OrganizationId, OrganizationKind};
use crate::organizations::OrganizationRow;
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::idempotency::Reply;

const SIGNATURE_INPUT: &str = "signature-input";

/// The body of a request that carries `Signature-Input`, read before its handler runs.
#[derive(Clone)]
struct SignedBody(Bytes);

/// Reads the body of a request that carries `Signature-Input` (as [`read_limited`] does: at
/// most so many bytes, in so much time), keeps it for the signature's `Content-Digest` and hands it on to the
/// handler unchanged. Unsigned requests pass untouched.
pub async fn buffer_signed_body(
    mut request: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if request.headers().contains_key(SIGNATURE_INPUT) {
        let deadline = BodyDeadline::of(request.request());
        let body = read_limited(request.take_payload(), 1024, deadline).await?;
        let body = Bytes::from(body);
        request.extensions_mut().insert(SignedBody(body.clone()));
        request.set_payload(actix_http::Payload::from(body));
    }
    next.call(request).await
}

/// The request's header fields, for the signature base.
fn header_fields(request: &HttpRequest) -> Vec<(String, String)> {
    request
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_string(), value)
        })
        .collect()
}

/// Verifies the request's signatures against `organization`'s keys (any organization's when
/// `None`).
async fn verify_signed(
    state: &AppState,
    request: &HttpRequest,
    organization: Option<&OrganizationId>,
) -> ApiResult<Result<super::Verified, super::rfc9421::Refusal>> {
    let body = request
        .extensions()
        .get::<SignedBody>()
        .map(|b| b.0.clone())
        .unwrap_or_default();
    let headers = header_fields(request);
    let authority = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| request.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let scheme = request.connection_info().scheme().to_string();
    let message = Message {
        method: request.method().as_str(),
        scheme: &scheme,
        authority: &authority,
        path: request.uri().path(),
        query: request.uri().query(),
        headers: &headers,
        body: &body,
    };
    let now = state.clock.now();
    Ok(super::verify(&state.db, &message, organization, now).await?)
}

/// The message-signature check of a request made with an API key of `organization`: a
/// signed request must verify with one of its keys; an unsigned one is refused when the
/// organization requires signatures. 401 otherwise, saying what failed.
pub async fn check_request(
    state: &AppState,
    request: &HttpRequest,
    organization: &OrganizationId,
    required: bool,
) -> ApiResult<()> {
    if !request.headers().contains_key(SIGNATURE_INPUT) {
        if required {
            return Err(ApiError::unauthorized(
                "This organization requires every request made with an API key to be signed: \
                 send `Signature-Input` and `Signature` (RFC 9421, Ed25519) with a registered \
                 message signature key.",
            ));
        }
        return Ok(());
    }
    match verify_signed(state, request, Some(organization)).await? {
        Ok(_) => Ok(()),
        Err(refusal) => Err(ApiError::unauthorized(format!(
            "The message signature is not valid. {refusal}"
        ))),
    }
}

/// Griffin's `httpsig-debug-response`. `busy` is always false: this server verifies at once.
#[derive(Serialize)]
struct DebugView {
    message: String,
    busy: bool,
}

/// `GET/POST/PUT/PATCH/DELETE /v0/security/message-signature/verify`: verifies the
/// request's signatures with any registered key, as an API-key request's are (its nonce is
/// recorded too), and says what was validated or why it failed. No API key needed.
pub async fn verify(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let message = match verify_signed(&state, &request, None).await? {
        Ok(verified) => format!(
            "Valid: signature {:?} verified with key {} (ed25519) over {}{}; its nonce is \
             recorded.",
            verified.label,
            verified.key_id,
            verified
                .components
                .iter()
                .map(|c| format!("{c:?}"))
                .collect::<Vec<_>>()
                .join(" "),
            if verified.digest_checked {
                "; Content-Digest matches the body"
            } else {
                ""
            },
        ),
        Err(refusal) => format!("Invalid: {refusal}"),
    };
    Ok(ok(&DebugView {
        message,
        busy: false,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RegisterKey {
    public_key_pem: String,
}

/// `POST /v0/organizations/{organization-id}/message-signature-keys` (Team admin): the new
/// key's id is the `keyid` to sign with.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<RegisterKey>,
) -> ApiResult<Reply> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let key = PublicKey::parse(&body.public_key_pem)?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .run(
            &state.db,
            &organization_id,
            async |conn, granted: Granted<OrganizationRow>| {
                let row = super::create(conn, &granted.resource.id, &caller.user_id, key).await?;
                let view = KeyView::new(&row);
                Reply::created(&view.message_signature_key_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

/// `GET /v0/organizations/{organization-id}/message-signature-keys`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let page_request = list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .organization(&mut conn, &organization_id, Permission::Read)
        .await?;
    let page = super::list(&mut conn, &organization_id, &page_request).await?;
    let page = page.map(|row| KeyView::new(&row));
    Ok(ok(&ListBody::new(
        "message-signature-keys",
        page,
        request.path(),
        &query,
    )))
}

/// `GET /v0/message-signature-keys/{message-signature-key-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<MessageSignatureKeyKind>(&path)?;
    let mut conn = state.db.read().await?;
    let row: KeyRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
    Ok(ok(&KeyView::new(&row)))
}

/// `DELETE /v0/message-signature-keys/{message-signature-key-id}` (Team admin).
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    let id = path_id::<MessageSignatureKeyKind>(&path)?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(&state.db, &id, async |conn, granted: Granted<KeyRow>| {
            super::delete(conn, &granted.resource).await?;
            Ok(Reply::no_content())
        })
        .await?;
    Ok(reply)
}

/// `GET /v0/organizations/{organization-id}/message-signature-settings`
pub async fn settings(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .organization(&mut conn, &organization_id, Permission::Read)
        .await?;
    let required = super::required(&mut conn, &organization_id).await?;
    Ok(ok(&SettingsView::new(&organization_id, required)))
}

#[derive(Deserialize)]
pub struct ChangeSettings {
    #[serde(rename = "message-signatures-required?")]
    required: bool,
}

/// `PUT /v0/organizations/{organization-id}/message-signature-settings` (Team admin).
pub async fn update_settings(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<ChangeSettings>,
) -> ApiResult<Reply> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(
            &state.db,
            &organization_id,
            async |conn, granted: Granted<OrganizationRow>| {
                let id = &granted.resource.id;
                super::set_required(conn, id, body.required).await?;
                Reply::ok(&SettingsView::new(id, body.required))
            },
        )
        .await?;
    Ok(reply)
}
