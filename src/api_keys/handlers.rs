use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::secret::{self, ApiKeySecret};
use super::{ApiKeyRow, ApiKeyView, CreateError};
use crate::AppState;
use crate::http::{
    ApiError, ApiResult, Caller, Json, ListBody, QueryParams, created, list_request, no_content,
    ok, path_id,
};
use crate::ids::{OrganizationKind, UserKind};
use crate::roles::Permission;
use crate::users;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreateApiKey {
    api_key_name: String,
}

/// `POST /v0/organizations/{organization-id}/api-keys`: the secret is in this answer only.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<CreateApiKey>,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    if !secret::valid_name(&body.api_key_name) {
        return Err(ApiError::invalid_body(
            "Invalid value",
            "`api-key-name` must be 1 to 64 characters of A-Z, a-z, 0-9, `-` and `_`.",
            "/api-key-name",
        ));
    }
    let secret = ApiKeySecret::generate(&body.api_key_name);
    let mut tx = state.db.write().await?;
    let result = async {
        caller
            .write_access(
                &mut tx.conn(),
                organization_id.as_str(),
                Permission::ApiKeysManage,
            )
            .await?;
        super::insert(&mut tx.conn(), &organization_id, &caller.user_id, &secret)
            .await
            .map_err(|e| match e {
                CreateError::NameTaken(name) => ApiError::conflict(
                    "api-key-name-taken",
                    format!("This organization already has an API key named {name:?}."),
                ),
                CreateError::Database(e) => e.into(),
            })
    }
    .await;
    let row = tx.finish(result).await?;
    let view = ApiKeyView::with_secret(row, &secret);
    Ok(created(&view.api_key_url.clone(), &view))
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
        .access(&mut conn, organization_id.as_str(), Permission::Read)
        .await?;
    let organizations = [organization_id.clone()];
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
    let visible = caller.visible_organizations(&mut conn).await?;
    users::find_visible(&mut conn, &user_id, &caller.user_id, &visible)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let page = super::list(&mut conn, &visible, Some(user_id.as_str()), &page_request).await?;
    let page = page.map(ApiKeyView::new);
    Ok(ok(&ListBody::new("api-keys", page, request.path(), &query)))
}

/// `GET /v0/api-keys/{api-key-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<ApiKeyRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    Ok(ok(&ApiKeyView::new(row)))
}

/// `DELETE /v0/api-keys/{api-key-id}`: a key cannot delete itself (422), so a client cannot
/// lock itself out by mistake; rotate by creating the new key first.
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut tx = state.db.write().await?;
    let result = async {
        let (row, _) = caller
            .visible_for_write::<ApiKeyRow>(&mut tx.conn(), &path, Permission::ApiKeysManage)
            .await?;
        if caller
            .api_key_id()
            .is_some_and(|own| *own == *row.id.as_str())
        {
            return Err(ApiError::unprocessable(
                "api-key-in-use",
                "An API key cannot delete itself; delete it with another key.",
            ));
        }
        super::delete(&mut tx.conn(), &row.id).await?;
        Ok(())
    }
    .await;
    tx.finish(result).await?;
    Ok(no_content())
}
