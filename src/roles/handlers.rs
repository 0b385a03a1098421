//! `/v0/roles`, `/v0/roles/{role-id}` and `/v0/organizations/{organization-id}/roles`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::custom::{self, CustomRoleRow, Description, NewRole, RoleChange};
use super::view::RolesView;
use super::{Permission, PermissionSet, RoleView, builtin_role, builtin_roles};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::error::{DomainError, DomainResult};
use crate::http::{ApiResult, Json, ok, path_id};
use crate::ids::{OrganizationKind, RoleKind};
use crate::organizations::{DisplayName, OrganizationRow};
use crate::pipeline::Write;
use crate::store::idempotency::Reply;

/// `GET /v0/roles` (no authentication): the built-in roles.
pub async fn list() -> HttpResponse {
    ok(&RolesView::new(&builtin_roles()))
}

/// `GET /v0/permissions` (no authentication): the permission catalogue as a tree of areas.
pub async fn permissions() -> HttpResponse {
    ok(&super::PermissionTreeView::catalogue())
}

/// `GET /v0/roles/{role-id}`: built-in roles need no authentication; an organization's own
/// roles are visible to its members.
pub async fn get(
    state: web::Data<AppState>,
    caller: Option<Caller>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<RoleKind>(&path)?;
    if let Some(role) = builtin_role(&id) {
        return Ok(ok(&RoleView::new(&role)));
    }
    let caller = caller.ok_or(DomainError::NotFound)?;
    let mut conn = state.db.read().await?;
    let row: CustomRoleRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
    Ok(ok(&RoleView::new(&row.to_role())))
}

/// `GET /v0/organizations/{organization-id}/roles`: the built-in roles and the organization's
/// own.
pub async fn list_for_organization(
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
    let roles = custom::available(&mut conn, &organization_id).await?;
    Ok(ok(&RolesView::new(&roles)))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreateRole {
    display_name: String,
    #[serde(default)]
    description: String,
    permissions: Vec<String>,
}

impl CreateRole {
    fn parse(self) -> DomainResult<NewRole> {
        Ok(NewRole {
            display_name: DisplayName::parse(&self.display_name)?,
            description: Description::parse(&self.description)?,
            permissions: parse_permissions(&self.permissions)?,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct UpdateRole {
    display_name: Option<String>,
    description: Option<String>,
    permissions: Option<Vec<String>>,
}

impl UpdateRole {
    fn parse(self) -> DomainResult<RoleChange> {
        Ok(RoleChange {
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
            permissions: self
                .permissions
                .as_deref()
                .map(parse_permissions)
                .transpose()?,
        })
    }
}

/// Permission names from a request body; an unknown one is a 400 pointing at it.
fn parse_permissions(names: &[String]) -> DomainResult<PermissionSet> {
    let mut set = PermissionSet::default();
    for (i, name) in names.iter().enumerate() {
        let permission = Permission::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Permission::ALL.iter().map(|p| p.name()).collect();
            DomainError::invalid(
                "Invalid enum value",
                format!(
                    "Unknown permission {name:?}: expected one of {}.",
                    known.join(", ")
                ),
                format!("/permissions/{i}"),
            )
        })?;
        set.insert(permission);
    }
    Ok(set)
}

/// `POST /v0/organizations/{organization-id}/roles`
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<CreateRole>,
) -> ApiResult<Reply> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let new = body.parse()?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(
            &state.db,
            &organization_id,
            async |conn, granted: Granted<OrganizationRow>| {
                let role = custom::create(conn, &granted, new).await?;
                let view = RoleView::new(&role);
                Reply::created(&view.role_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

/// `PATCH /v0/roles/{role-id}`: an organization's own roles only. Members holding the role
/// get its new permissions with their next request.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<UpdateRole>,
) -> ApiResult<Reply> {
    let id = path_id::<RoleKind>(&path)?;
    let change = body.parse()?;
    custom::not_builtin(&id)?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<CustomRoleRow>| {
                let role = custom::change(conn, granted, change).await?;
                Reply::ok(&RoleView::new(&role))
            },
        )
        .await?;
    Ok(reply)
}

/// `DELETE /v0/roles/{role-id}`: an organization's own roles only, and only once no member
/// holds them (422 `role-in-use`).
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    let id = path_id::<RoleKind>(&path)?;
    custom::not_builtin(&id)?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<CustomRoleRow>| {
                custom::remove(conn, &granted.resource).await?;
                Ok(Reply::no_content())
            },
        )
        .await?;
    Ok(reply)
}
