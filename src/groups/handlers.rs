//! `/v0/groups/…`, an organization's groups and a membership's groups (ours: Griffin has no
//! groups).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{GroupChange, GroupRow, ListOf, NewGroup};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::error::DomainResult;
use crate::http::json::not_null;
use crate::http::{ApiError, ApiResult, Json, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::{GroupKind, MembershipKind, OrganizationKind};
use crate::memberships::MembershipRow;
use crate::organizations::{DisplayName, OrganizationRow};
use crate::pipeline::Write;
use crate::roles::custom::{self, Description};
use crate::roles::view::RolesView;
use crate::roles::{Permission, PermissionTreeView};
use crate::store::Conn;
use crate::store::idempotency::Reply;
use crate::urls;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CreateGroup {
    display_name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    role_urls: Vec<String>,
    #[serde(default)]
    membership_urls: Vec<String>,
}

impl CreateGroup {
    fn parse(self) -> DomainResult<NewGroup> {
        Ok(NewGroup {
            display_name: DisplayName::parse(&self.display_name)?,
            description: Description::parse(&self.description)?,
            role_urls: self.role_urls,
            membership_urls: self.membership_urls,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct UpdateGroup {
    #[serde(default, deserialize_with = "not_null")]
    display_name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    description: Option<String>,
}

impl UpdateGroup {
    fn parse(self) -> DomainResult<GroupChange> {
        Ok(GroupChange {
            display_name: self
                .display_name
                .as_deref()
                .map(DisplayName::parse)
                .transpose()?,
            description: self
                .description
                .as_deref()
                .map(Description::parse)
                .transpose()?,
        })
    }
}

/// `POST /v0/organizations/{organization-id}/groups`
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<CreateGroup>,
) -> ApiResult<Reply> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let new = body.parse()?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(
            &state.db,
            &organization_id,
            async |conn, granted: Granted<OrganizationRow>| {
                let row = super::create(conn, &granted, new).await?;
                let view = super::view::view(conn, row).await?;
                Reply::created(&view.group_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

const FILTERS: [&str; 2] = ["filter[display-name][eq]", "filter[membership-url][eq]"];

/// `GET /v0/organizations/{organization-id}/groups`
pub async fn list_for_organization(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let page_request = list_request(&query, &FILTERS, &[])?;
    let membership_id = query
        .single("filter[membership-url][eq]")?
        .map(|url| {
            urls::parse::<MembershipKind>(url, urls::MEMBERSHIPS).ok_or_else(|| {
                ApiError::invalid_parameter("filter[membership-url][eq]", "Not a membership URL.")
            })
        })
        .transpose()?;
    let of = ListOf {
        organization_id: &organization_id,
        display_name: query.single("filter[display-name][eq]")?,
        membership_id: membership_id.as_ref(),
    };
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .organization(&mut conn, &organization_id, Permission::Read)
        .await?;
    list(&mut conn, of, &page_request, &request, &query).await
}

/// `GET /v0/memberships/{membership-id}/groups`
pub async fn list_for_membership(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let id = path_id::<MembershipKind>(&path)?;
    let page_request = list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let membership: MembershipRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let of = ListOf {
        organization_id: &membership.organization_id,
        display_name: None,
        membership_id: Some(&membership.id),
    };
    list(&mut conn, of, &page_request, &request, &query).await
}

async fn list(
    conn: &mut Conn<'_>,
    of: ListOf<'_>,
    page_request: &crate::paging::PageRequest,
    request: &HttpRequest,
    query: &QueryParams,
) -> ApiResult<HttpResponse> {
    let mut page = super::list(conn, of, page_request).await?;
    let views = super::views(conn, std::mem::take(&mut page.items)).await?;
    Ok(ok(&ListBody::new(
        "groups",
        page.with_items(views),
        request.path(),
        query,
    )))
}

/// `GET /v0/groups/{group-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<GroupKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row: GroupRow = caller.read(&mut conn, &id, Permission::Read).await?;
    Ok(ok(&super::view::view(&mut conn, row).await?))
}

/// `PATCH /v0/groups/{group-id}`: the name and description.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<UpdateGroup>,
) -> ApiResult<Reply> {
    let id = path_id::<GroupKind>(&path)?;
    let change = body.parse()?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(&state.db, &id, async |conn, granted: Granted<GroupRow>| {
            let row = super::change(conn, granted.resource, change).await?;
            Reply::ok(&super::view::view(conn, row).await?)
        })
        .await?;
    Ok(reply)
}

/// `DELETE /v0/groups/{group-id}`: its members lose its roles at once.
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    let id = path_id::<GroupKind>(&path)?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(&state.db, &id, async |conn, granted: Granted<GroupRow>| {
            super::remove(conn, &granted.resource).await?;
            Ok(Reply::no_content())
        })
        .await?;
    Ok(reply)
}

/// `GET /v0/groups/{group-id}/roles`
pub async fn roles(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<GroupKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row: GroupRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let roles = super::roles(&mut conn, &row.id).await?;
    Ok(ok(&RolesView::new(&roles)))
}

/// `GET /v0/groups/{group-id}/permission-tree`: what the group's roles grant.
pub async fn permission_tree(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<GroupKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row: GroupRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let grants: Vec<_> = super::roles(&mut conn, &row.id)
        .await?
        .into_iter()
        .map(|role| (role, None))
        .collect();
    Ok(ok(&PermissionTreeView {
        group_url: Some(urls::group(&row.id)),
        ..PermissionTreeView::granted(&grants)
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SetRoles {
    role_urls: Vec<String>,
}

/// `PUT /v0/groups/{group-id}/roles`: replaces the group's roles.
pub async fn set_roles(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<SetRoles>,
) -> ApiResult<Reply> {
    let id = path_id::<GroupKind>(&path)?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(&state.db, &id, async |conn, granted: Granted<GroupRow>| {
            let role_ids = super::change_roles(conn, &granted, &body.role_urls).await?;
            let roles = custom::resolve(conn, &role_ids).await?;
            Reply::ok(&RolesView::new(&roles))
        })
        .await?;
    Ok(reply)
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AddMembers {
    membership_urls: Vec<String>,
}

/// `POST /v0/groups/{group-id}/memberships`: adds members; answers with the group.
pub async fn add_members(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<AddMembers>,
) -> ApiResult<Reply> {
    let id = path_id::<GroupKind>(&path)?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(&state.db, &id, async |conn, granted: Granted<GroupRow>| {
            super::join(conn, &granted, &body.membership_urls).await?;
            Reply::ok(&super::view::view(conn, granted.resource).await?)
        })
        .await?;
    Ok(reply)
}

/// `DELETE /v0/groups/{group-id}/memberships/{membership-id}`
pub async fn remove_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<Reply> {
    let id = path_id::<GroupKind>(&path.0)?;
    let membership_id = path_id::<MembershipKind>(&path.1)?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(&state.db, &id, async |conn, granted: Granted<GroupRow>| {
            super::leave(conn, &granted.resource, &membership_id).await?;
            Ok(Reply::no_content())
        })
        .await?;
    Ok(reply)
}
