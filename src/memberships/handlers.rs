//! `/v0/memberships/…`, and the membership lists of organizations and users.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{EmailPrefix, Filter, MembershipRow, MembershipStatus, Scope};
use crate::AppState;
use crate::access::Caller;
use crate::groups::GroupRow;
use crate::http::{ApiError, ApiResult, Json, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::{GroupKind, MembershipKind, OrganizationKind, RoleKind, UserKind};
use crate::pipeline::Write;
use crate::roles::{self, Permission, Role, RoleView};
use crate::store::Conn;
use crate::store::idempotency::Reply;
use crate::{urls, users};

/// `GET /v0/memberships/{membership-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<MembershipKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row = caller.read(&mut conn, &id, Permission::Read).await?;
    Ok(ok(&super::view::view(&mut conn, row).await?))
}

#[derive(Serialize)]
struct RolesBody {
    roles: Vec<RoleView>,
}

impl RolesBody {
    fn new(roles: &[Role]) -> Self {
        RolesBody {
            roles: roles::views(roles),
        }
    }
}

/// `GET /v0/memberships/{membership-id}/roles`
pub async fn roles(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<MembershipKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row: MembershipRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let roles = super::roles_of(&mut conn, &row.id).await?;
    Ok(ok(&RolesBody::new(&roles)))
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
) -> ApiResult<Reply> {
    let id = path_id::<MembershipKind>(&path)?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(&state.db, &id, async |conn, granted| {
            let roles =
                super::change_roles(conn, &caller.user_id, &granted, &body.role_urls).await?;
            Reply::ok(&RolesBody::new(&roles))
        })
        .await?;
    Ok(reply)
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct UpdateMembership {
    membership_status: MembershipStatus,
}

/// `PATCH /v0/memberships/{membership-id}`: deactivate or reactivate. A deactivated member's
/// keys and sessions are refused at once; the last active Team admin cannot be deactivated.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<UpdateMembership>,
) -> ApiResult<Reply> {
    let id = path_id::<MembershipKind>(&path)?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(&state.db, &id, async |conn, granted| {
            let row = super::change_status(conn, granted.resource, body.membership_status).await?;
            Reply::ok(&super::view::view(conn, row).await?)
        })
        .await?;
    Ok(reply)
}

/// `DELETE /v0/memberships/{membership-id}`: removes the user from the organization; their
/// keys there stop working at once. The last active Team admin cannot be removed.
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    let id = path_id::<MembershipKind>(&path)?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(&state.db, &id, async |conn, granted| {
            super::remove(conn, &granted.resource).await?;
            Ok(Reply::no_content())
        })
        .await?;
    Ok(reply)
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct PermissionsBody {
    membership_url: String,
    permissions: Vec<&'static str>,
}

/// `GET /v0/memberships/{membership-id}/permissions`: the union of its roles' permissions,
/// its own and its groups'.
pub async fn permissions(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<MembershipKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row: MembershipRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let permissions = super::effective_permissions(&mut conn, &row.id).await?;
    Ok(ok(&PermissionsBody {
        membership_url: urls::membership(&row.id),
        permissions: permissions.names(),
    }))
}

/// `GET /v0/memberships/{membership-id}/permission-tree`: every permission, whether the
/// member holds it, and through which roles and groups.
pub async fn permission_tree(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<MembershipKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row: MembershipRow = caller.read(&mut conn, &id, Permission::Read).await?;
    Ok(ok(&super::view::permission_tree(&mut conn, &row.id).await?))
}

const FILTERS: [&str; 2] = ["filter[role-url][eq]", "filter[membership-status][eq]"];

/// An organization's list also finds its members by group and by the start of their email.
const ORGANIZATION_FILTERS: [&str; 4] = [
    "filter[role-url][eq]",
    "filter[membership-status][eq]",
    "filter[group-url][eq]",
    "filter[email][prefix]",
];

/// A group's list is the group filter already.
const GROUP_FILTERS: [&str; 3] = [
    "filter[role-url][eq]",
    "filter[membership-status][eq]",
    "filter[email][prefix]",
];

fn parse_filter(query: &QueryParams) -> ApiResult<Filter> {
    let role_id = query
        .single("filter[role-url][eq]")?
        .map(|url| {
            urls::parse::<RoleKind>(url, urls::ROLES).ok_or_else(|| {
                ApiError::invalid_parameter("filter[role-url][eq]", "Not a role URL.")
            })
        })
        .transpose()?;
    let group_id = query
        .single("filter[group-url][eq]")?
        .map(|url| {
            urls::parse::<GroupKind>(url, urls::GROUPS).ok_or_else(|| {
                ApiError::invalid_parameter("filter[group-url][eq]", "Not a group URL.")
            })
        })
        .transpose()?;
    let status = query.enum_eq::<MembershipStatus>("filter[membership-status][eq]")?;
    let email_prefix = query
        .single("filter[email][prefix]")?
        .map(|text| {
            EmailPrefix::parse(text).ok_or_else(|| {
                ApiError::invalid_parameter(
                    "filter[email][prefix]",
                    "Give the start of an email address.",
                )
            })
        })
        .transpose()?;
    Ok(Filter {
        role_id,
        group_id,
        status,
        email_prefix,
    })
}

/// `GET /v0/groups/{group-id}/memberships`: the group's members (ours).
pub async fn list_for_group(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let group_id = path_id::<GroupKind>(&path)?;
    let page_request = list_request(&query, &GROUP_FILTERS, &[])?;
    let mut filter = parse_filter(&query)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let group: GroupRow = caller.read(&mut conn, &group_id, Permission::Read).await?;
    filter.group_id = Some(group.id);
    let scope = Scope::Organizations(vec![group.organization_id]);
    list(&mut conn, scope, &filter, &page_request, &request, &query).await
}

/// `GET /v0/organizations/{organization-id}/memberships`: filtered by role, status, group and
/// the start of the member's email (any case).
pub async fn list_for_organization(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let page_request = list_request(&query, &ORGANIZATION_FILTERS, &[])?;
    let filter = parse_filter(&query)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .organization(&mut conn, &organization_id, Permission::Read)
        .await?;
    let scope = Scope::Organizations(vec![organization_id]);
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
