use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::secret::{self, ApiKeySecret};
use super::{ApiKeyRow, ApiKeyView, CreateError, Scope};
use crate::AppState;
use crate::http::{
    ApiError, ApiResult, Caller, Json, ListBody, QueryParams, created, list_request, no_content,
    ok, path_id,
};
use crate::ids::{ApiKeyKind, OrganizationKind, UserKind};
use crate::store::Conn;
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
    caller.require_organization(organization_id.as_str())?;
    if !secret::valid_name(&body.api_key_name) {
        return Err(ApiError::invalid_body(
            "Invalid value",
            "`api-key-name` must be 1 to 64 characters of A-Z, a-z, 0-9, `-` and `_`.",
            "/api-key-name",
        ));
    }
    let secret = ApiKeySecret::generate(&body.api_key_name);
    let mut tx = state.db.write().await?;
    let inserted = super::insert(
        &mut tx.conn(),
        organization_id.as_str(),
        caller.user_id.as_str(),
        &secret,
    )
    .await;
    let row = tx.finish(inserted).await.map_err(|e| match e {
        CreateError::NameTaken(name) => ApiError::conflict(
            "api-key-name-taken",
            format!("This organization already has an API key named {name:?}."),
        ),
        CreateError::Database(e) => e.into(),
    })?;
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
    caller.require_organization(organization_id.as_str())?;
    list(
        &state,
        Scope::Organization(organization_id.as_str()),
        &request,
        &query,
    )
    .await
}

/// `GET /v0/users/{user-id}/api-keys`: that user's keys in the caller's organization.
pub async fn list_for_user(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let user_id = path_id::<UserKind>(&path)?;
    let organization_id = caller.organization_id.as_str();
    {
        let mut conn = state.db.read().await?;
        users::find_in_organization(&mut conn.conn(), user_id.as_str(), organization_id)
            .await?
            .ok_or_else(ApiError::not_found)?;
    }
    let scope = Scope::UserInOrganization {
        user_id: user_id.as_str(),
        organization_id,
    };
    list(&state, scope, &request, &query).await
}

async fn list(
    state: &AppState,
    scope: Scope<'_>,
    request: &HttpRequest,
    query: &QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let page = super::list(&mut conn.conn(), scope, &page_request).await?;
    let page = page.map(ApiKeyView::new);
    Ok(ok(&ListBody::new("api-keys", page, request.path(), query)))
}

/// A key of the caller's organization, or 404.
async fn visible(conn: &mut Conn<'_>, caller: &Caller, id: &str) -> ApiResult<ApiKeyRow> {
    let id = path_id::<ApiKeyKind>(id)?;
    let row = super::find(conn, id.as_str())
        .await?
        .ok_or_else(ApiError::not_found)?;
    caller.require_organization(&row.organization_id)?;
    Ok(row)
}

/// `GET /v0/api-keys/{api-key-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let row = visible(&mut conn.conn(), &caller, &path).await?;
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
        let row = visible(&mut tx.conn(), &caller, &path).await?;
        if caller.api_key_id == *row.id.as_str() {
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
