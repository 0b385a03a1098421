use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{MembershipRow, Scope};
use crate::AppState;
use crate::http::{ApiError, ApiResult, Caller, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::{MembershipKind, OrganizationKind, UserKind};
use crate::roles::{self, RoleView};
use crate::store::Conn;
use crate::users;

/// A membership of the caller's organization, or 404.
async fn visible(conn: &mut Conn<'_>, caller: &Caller, id: &str) -> ApiResult<MembershipRow> {
    let id = path_id::<MembershipKind>(id)?;
    let row = super::find(conn, id.as_str())
        .await?
        .ok_or_else(ApiError::not_found)?;
    caller.require_organization(&row.organization_id)?;
    Ok(row)
}

/// `GET /v0/memberships/{membership-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row = visible(&mut conn, &caller, &path).await?;
    let view = super::views(&mut conn, vec![row])
        .await?
        .pop()
        .ok_or_else(ApiError::not_found)?;
    Ok(ok(&view))
}

#[derive(Serialize)]
struct RolesBody {
    roles: Vec<RoleView>,
}

/// `GET /v0/memberships/{membership-id}/roles`
pub async fn roles(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row = visible(&mut conn, &caller, &path).await?;
    let mut role_ids = super::role_ids(&mut conn, std::slice::from_ref(&row.id)).await?;
    let roles = roles::views_of(&role_ids.remove(&row.id).unwrap_or_default());
    Ok(ok(&RolesBody { roles }))
}

/// `GET /v0/organizations/{organization-id}/memberships`
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

/// `GET /v0/users/{user-id}/memberships`: all of the caller's own memberships; for another
/// member of the caller's organization, only their membership there.
pub async fn list_for_user(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let user_id = path_id::<UserKind>(&path)?;
    let only_organization = if caller.user_id == user_id {
        None
    } else {
        let mut conn = state.db.read().await?;
        users::find_in_organization(
            &mut conn.conn(),
            user_id.as_str(),
            caller.organization_id.as_str(),
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
        Some(caller.organization_id.as_str())
    };
    let scope = Scope::User {
        user_id: user_id.as_str(),
        only_organization,
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
    let mut conn = conn.conn();
    let mut page = super::list(&mut conn, scope, &page_request).await?;
    let views = super::views(&mut conn, std::mem::take(&mut page.items)).await?;
    let page = page.with_items(views);
    Ok(ok(&ListBody::new(
        "memberships",
        page,
        request.path(),
        query,
    )))
}
