use crate::ids::OrganizationId;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{ACTIVE, DEACTIVATED, Filter, MembershipRow, Scope};
use crate::AppState;
use crate::http::{
    ApiError, ApiResult, Caller, Json, ListBody, QueryParams, list_request, no_content, ok, path_id,
};
use crate::ids::{OrganizationKind, RoleId, RoleKind, UserKind};
use crate::roles::{self, Permission, RoleView, custom};
use crate::store::Conn;
use crate::{urls, users};

async fn view(conn: &mut Conn<'_>, row: MembershipRow) -> ApiResult<HttpResponse> {
    let view = super::views(conn, vec![row])
        .await?
        .pop()
        .ok_or_else(ApiError::not_found)?;
    Ok(ok(&view))
}

/// `GET /v0/memberships/{membership-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row = caller
        .visible::<MembershipRow>(&mut conn, &path, Permission::Read)
        .await?;
    view(&mut conn, row).await
}

#[derive(Serialize)]
struct RolesBody {
    roles: Vec<RoleView>,
}

async fn roles_body(conn: &mut Conn<'_>, row: &MembershipRow) -> ApiResult<HttpResponse> {
    let mut held = super::role_ids(conn, std::slice::from_ref(&row.id)).await?;
    let roles = custom::resolve(conn, &held.remove(&row.id).unwrap_or_default()).await?;
    Ok(ok(&RolesBody {
        roles: roles::views(&roles),
    }))
}

/// `GET /v0/memberships/{membership-id}/roles`
pub async fn roles(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row = caller
        .visible::<MembershipRow>(&mut conn, &path, Permission::Read)
        .await?;
    roles_body(&mut conn, &row).await
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SetRoles {
    role_urls: Vec<String>,
}

/// `PUT /v0/memberships/{membership-id}/roles`: replaces the roles. Each must be one of the
/// organization's `available-roles`, at least one is needed, and the organization keeps an
/// active Team admin.
pub async fn set_roles(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<SetRoles>,
) -> ApiResult<HttpResponse> {
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let (row, access) = caller
            .visible_for_write::<MembershipRow>(&mut conn, &path, Permission::TeamManage)
            .await?;
        let role_ids = available_role_ids(&mut conn, &row.organization_id, &body.role_urls).await?;
        if row.user_id == caller.user_id {
            no_self_escalation(&mut conn, &access, &role_ids).await?;
        }
        super::set_roles(&mut conn, &row.id, &role_ids).await?;
        keeps_a_team_admin(&mut conn, &row.organization_id).await?;
        roles_body(&mut conn, &row).await
    }
    .await;
    tx.finish(result).await
}

/// Nobody widens their own permissions: a caller changing their own roles may only keep or
/// narrow what they hold (another Team admin can grant them more).
pub async fn no_self_escalation(
    conn: &mut Conn<'_>,
    access: &crate::http::auth::Access,
    role_ids: &[RoleId],
) -> ApiResult<()> {
    let roles = custom::resolve(conn, role_ids).await?;
    let wanted = roles
        .iter()
        .fold(roles::PermissionSet::default(), |set, role| {
            set.union(role.permissions)
        });
    let added: Vec<&str> = wanted
        .iter()
        .filter(|p| !access.permissions.contains(*p))
        .map(Permission::name)
        .collect();
    if added.is_empty() {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "You cannot give yourself permissions you do not hold ({}); ask another Team admin.",
            added.join(", ")
        )))
    }
}

/// Reads role URLs from a request body (`/role-urls`): each must name a role the
/// organization offers. At least one is required; duplicates are ignored.
pub async fn available_role_ids(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    role_urls: &[String],
) -> ApiResult<Vec<RoleId>> {
    if role_urls.is_empty() {
        return Err(ApiError::invalid_body(
            "Invalid value",
            "Give at least one role URL.",
            "/role-urls",
        ));
    }
    let available = custom::available(conn, organization_id).await?;
    let mut ids: Vec<RoleId> = Vec::new();
    for (i, url) in role_urls.iter().enumerate() {
        let id = crate::urls::parse::<RoleKind>(url, urls::ROLES)
            .filter(|id| available.iter().any(|role| role.id == **id))
            .ok_or_else(|| {
                ApiError::unprocessable(
                    "role-not-available",
                    format!("{url} is not one of this organization's available roles."),
                )
                .with_pointer(format!("/role-urls/{i}"))
            })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Refuses a change (still uncommitted) that leaves the organization without an active
/// Team admin.
async fn keeps_a_team_admin(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
) -> ApiResult<()> {
    if super::active_team_admins(conn, organization_id)
        .await?
        .is_empty()
    {
        return Err(ApiError::unprocessable(
            "last-team-admin",
            "The organization must keep at least one active Team admin.",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct UpdateMembership {
    membership_status: MembershipStatus,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum MembershipStatus {
    Active,
    Deactivated,
}

/// `PATCH /v0/memberships/{membership-id}`: deactivate or reactivate. A deactivated member's
/// keys and sessions are refused at once; the last active Team admin cannot be deactivated.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<UpdateMembership>,
) -> ApiResult<HttpResponse> {
    let status = match body.membership_status {
        MembershipStatus::Active => ACTIVE,
        MembershipStatus::Deactivated => DEACTIVATED,
    };
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let (mut row, _) = caller
            .visible_for_write::<MembershipRow>(&mut conn, &path, Permission::TeamManage)
            .await?;
        super::set_status(&mut conn, &row.id, status).await?;
        keeps_a_team_admin(&mut conn, &row.organization_id).await?;
        row.membership_status = status.to_string();
        view(&mut conn, row).await
    }
    .await;
    tx.finish(result).await
}

/// `DELETE /v0/memberships/{membership-id}`: removes the user from the organization; their
/// keys there stop working at once. The last active Team admin cannot be removed.
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let (row, _) = caller
            .visible_for_write::<MembershipRow>(&mut conn, &path, Permission::TeamManage)
            .await?;
        super::delete(&mut conn, &row).await?;
        keeps_a_team_admin(&mut conn, &row.organization_id).await
    }
    .await;
    tx.finish(result).await?;
    Ok(no_content())
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct PermissionsBody {
    membership_url: String,
    permissions: Vec<&'static str>,
}

/// `GET /v0/memberships/{membership-id}/permissions`: the union of its roles' permissions.
pub async fn permissions(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row = caller
        .visible::<MembershipRow>(&mut conn, &path, Permission::Read)
        .await?;
    let mut held = super::role_ids(&mut conn, std::slice::from_ref(&row.id)).await?;
    let roles = custom::resolve(&mut conn, &held.remove(&row.id).unwrap_or_default()).await?;
    let granted = roles
        .iter()
        .fold(roles::PermissionSet::default(), |set, role| {
            set.union(role.permissions)
        });
    Ok(ok(&PermissionsBody {
        membership_url: urls::membership(&row.id),
        permissions: granted.names(),
    }))
}

const FILTERS: [&str; 2] = ["filter[role-url][eq]", "filter[membership-status][eq]"];

fn parse_filter(query: &QueryParams) -> ApiResult<Filter> {
    let role_id = query
        .single("filter[role-url][eq]")?
        .map(|url| {
            crate::urls::parse::<RoleKind>(url, urls::ROLES)
                .map(|id| id.into_string())
                .ok_or_else(|| {
                    ApiError::invalid_parameter("filter[role-url][eq]", "Not a role URL.")
                })
        })
        .transpose()?;
    let status = match query.single("filter[membership-status][eq]")? {
        None => None,
        Some(status @ (ACTIVE | DEACTIVATED)) => Some(status.to_string()),
        Some(other) => {
            return Err(ApiError::invalid_parameter(
                "filter[membership-status][eq]",
                format!("Unknown status `{other}`: expected active or deactivated."),
            ));
        }
    };
    Ok(Filter { role_id, status })
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
    let page_request = list_request(&query, &FILTERS, &[])?;
    let filter = parse_filter(&query)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .access(&mut conn, organization_id.as_str(), Permission::Read)
        .await?;
    let scope = Scope::Organizations(vec![organization_id.clone()]);
    list(&mut conn, scope, &filter, &page_request, &request, &query).await
}

/// `GET /v0/users/{user-id}/memberships`: with a session, all of its user's own memberships;
/// otherwise only those in the organizations the caller can see.
pub async fn list_for_user(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let user_id = path_id::<UserKind>(&path)?;
    let page_request = list_request(&query, &FILTERS, &[])?;
    let filter = parse_filter(&query)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    // A session sees all of its own user's memberships; an API key, bound to one
    // organization, never sees past it.
    let only_organizations = if caller.user_id == user_id && caller.session_id().is_some() {
        None
    } else {
        let visible = caller.visible_organizations(&mut conn).await?;
        users::find_visible(&mut conn, &user_id, &caller.user_id, &visible)
            .await?
            .ok_or_else(ApiError::not_found)?;
        Some(visible)
    };
    let scope = Scope::User {
        user_id: &user_id,
        only_organizations,
    };
    list(&mut conn, scope, &filter, &page_request, &request, &query).await
}

async fn list(
    conn: &mut Conn<'_>,
    scope: Scope<'_>,
    filter: &Filter,
    page_request: &crate::paging::PageRequest,
    request: &HttpRequest,
    query: &QueryParams,
) -> ApiResult<HttpResponse> {
    let mut page = super::list(conn, scope, filter, page_request).await?;
    let views = super::views(conn, std::mem::take(&mut page.items)).await?;
    let page = page.with_items(views);
    Ok(ok(&ListBody::new(
        "memberships",
        page,
        request.path(),
        query,
    )))
}
