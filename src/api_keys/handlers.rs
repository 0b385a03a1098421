//! `/v0/organizations/{organization-id}/api-keys`, `/v0/users/{user-id}/api-keys` and
//! `/v0/api-keys/{api-key-id}`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::secret::ApiKeyName;
use super::{ApiKeyRow, ApiKeyView};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::error::{DomainError, DomainResult};
use crate::http::{ApiResult, Json, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::{ApiKeyKind, OrganizationKind, UserKind};
use crate::organizations::OrganizationRow;
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::idempotency::Reply;
use crate::users;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreateApiKey {
    api_key_name: String,
}

impl CreateApiKey {
    fn parse(self) -> DomainResult<ApiKeyName> {
        ApiKeyName::parse(&self.api_key_name).ok_or_else(|| {
            DomainError::invalid_value(
                "`api-key-name` must be 1 to 64 characters of A-Z, a-z, 0-9, `-` and `_`.",
                "/api-key-name",
            )
        })
    }
}

/// `POST /v0/organizations/{organization-id}/api-keys`: the secret is in this answer only.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<CreateApiKey>,
) -> ApiResult<Reply> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let name = body.parse()?;
    let reply = Write::new(&caller, Permission::ApiKeysManage)
        .locked()
        .run(
            &state.db,
            &organization_id,
            async |conn, granted: Granted<OrganizationRow>| {
                let (row, secret) = super::create(conn, &granted, &caller.user_id, &name).await?;
                let view = ApiKeyView::with_secret(row, &secret);
                Reply::created(&view.api_key_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

/// `GET /v0/organizations/{organization-id}/api-keys`
pub async fn list_for_organization(
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
    let organizations = [organization_id];
    let page = super::list(&mut conn, &organizations, None, &page_request).await?;
    let page = page.map(ApiKeyView::new);
    Ok(ok(&ListBody::new("api-keys", page, request.path(), &query)))
}

/// `GET /v0/users/{user-id}/api-keys`: that user's keys in the organizations the caller can
/// see.
pub async fn list_for_user(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let user_id = path_id::<UserKind>(&path)?;
    let page_request = list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let (_, visible) = users::visible_to(&mut conn, &caller, &user_id).await?;
    let page = super::list(&mut conn, &visible, Some(&user_id), &page_request).await?;
    let page = page.map(ApiKeyView::new);
    Ok(ok(&ListBody::new("api-keys", page, request.path(), &query)))
}

/// `GET /v0/api-keys/{api-key-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<ApiKeyKind>(&path)?;
    let mut conn = state.db.read().await?;
    let row: ApiKeyRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
    Ok(ok(&ApiKeyView::new(row)))
}

/// `DELETE /v0/api-keys/{api-key-id}`: a key cannot delete itself (422), so a client cannot
/// lock itself out by mistake; rotate by creating the new key first.
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    let id = path_id::<ApiKeyKind>(&path)?;
    let reply = Write::new(&caller, Permission::ApiKeysManage)
        .locked()
        .run(&state.db, &id, async |conn, granted: Granted<ApiKeyRow>| {
            super::revoke(conn, caller.api_key_id(), &granted.resource).await?;
            Ok(Reply::no_content())
        })
        .await?;
    Ok(reply)
}
