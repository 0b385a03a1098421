use crate::ids::OrganizationId;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::custom::{self, CustomRoleRow};
use super::{Permission, PermissionSet, Role, RoleView, builtin_role, builtin_roles, views};
use crate::AppState;
use crate::http::{ApiError, ApiResult, Caller, Json, created, no_content, ok, path_id};
use crate::ids::{OrganizationKind, RoleId, RoleKind};
use crate::memberships;
use crate::store::Conn;
use crate::time;

#[derive(Serialize)]
struct RolesBody {
    roles: Vec<RoleView>,
}

/// `GET /v0/roles` (no authentication): the built-in roles.
pub async fn list() -> HttpResponse {
    ok(&RolesBody {
        roles: views(&builtin_roles()),
    })
}

/// `GET /v0/roles/{role-id}`: built-in roles need no authentication; an organization's own
/// roles are visible to its members.
pub async fn get(
    state: web::Data<AppState>,
    caller: Option<Caller>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<RoleKind>(&path)?;
    if let Some(role) = builtin_role(id.as_str()) {
        return Ok(ok(&RoleView::new(&role)));
    }
    let caller = caller.ok_or_else(ApiError::not_found)?;
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<CustomRoleRow>(&mut conn.conn(), id.as_str(), Permission::Read)
        .await?;
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
        .access(&mut conn, organization_id.as_str(), Permission::Read)
        .await?;
    let roles = custom::available(&mut conn, &organization_id).await?;
    Ok(ok(&RolesBody {
        roles: views(&roles),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreateRole {
    display_name: String,
    #[serde(default)]
    description: String,
    permissions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct UpdateRole {
    display_name: Option<String>,
    description: Option<String>,
    permissions: Option<Vec<String>>,
}

fn check_description(description: &str) -> ApiResult<()> {
    if description.chars().count() <= 500 {
        Ok(())
    } else {
        Err(ApiError::invalid_body(
            "Invalid value",
            "`description` is at most 500 characters.",
            "/description",
        ))
    }
}

/// Permission names from a request body; an unknown one is a 400 pointing at it.
fn parse_permissions(names: &[String]) -> ApiResult<PermissionSet> {
    let mut set = PermissionSet::default();
    for (i, name) in names.iter().enumerate() {
        let permission = Permission::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Permission::ALL.iter().map(|p| p.name()).collect();
            ApiError::invalid_body(
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

async fn name_free(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    name: &str,
    except: Option<&str>,
) -> ApiResult<()> {
    if custom::name_taken(conn, organization_id, name, except).await? {
        return Err(ApiError::conflict(
            "role-name-taken",
            format!("This organization already has a role named {name:?}."),
        ));
    }
    Ok(())
}

/// `POST /v0/organizations/{organization-id}/roles`
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<CreateRole>,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    crate::organizations::check_display_name(&body.display_name)?;
    check_description(&body.description)?;
    let permissions = parse_permissions(&body.permissions)?;
    let mut tx = state.db.write().await?;
    let result: ApiResult<Role> = async {
        let mut conn = tx.conn();
        caller
            .write_access(&mut conn, organization_id.as_str(), Permission::TeamManage)
            .await?;
        name_free(&mut conn, &organization_id, &body.display_name, None).await?;
        let now = time::now();
        let row = CustomRoleRow {
            id: RoleId::generate(),
            organization_id: organization_id.clone(),
            display_name: body.display_name.clone(),
            description: body.description.clone(),
            permissions: permissions.to_stored(),
            created_at: now,
            updated_at: now,
        };
        custom::insert(&mut conn, &row).await?;
        Ok(row.to_role())
    }
    .await;
    let role = tx.finish(result).await?;
    let view = RoleView::new(&role);
    Ok(created(&view.role_url.clone(), &view))
}

fn builtin_refusal() -> ApiError {
    ApiError::unprocessable(
        "builtin-role-immutable",
        "Built-in roles cannot be changed or deleted; create a custom role instead.",
    )
}

/// `PATCH /v0/roles/{role-id}`: an organization's own roles only. Members holding the role
/// get its new permissions with their next request.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<UpdateRole>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<RoleKind>(&path)?;
    if let Some(name) = &body.display_name {
        crate::organizations::check_display_name(name)?;
    }
    if let Some(description) = &body.description {
        check_description(description)?;
    }
    let permissions = body
        .permissions
        .as_deref()
        .map(parse_permissions)
        .transpose()?;
    if builtin_role(id.as_str()).is_some() {
        return Err(builtin_refusal());
    }
    let mut tx = state.db.write().await?;
    let result: ApiResult<Role> = async {
        let mut conn = tx.conn();
        let (mut row, access) = caller
            .visible_for_write::<CustomRoleRow>(&mut conn, id.as_str(), Permission::TeamManage)
            .await?;
        if let Some(permissions) = permissions {
            let held = memberships::role_ids(&mut conn, std::slice::from_ref(&access.membership_id))
                .await?
                .remove(&access.membership_id)
                .unwrap_or_default();
            // Widening a role one holds is widening one's own permissions.
            if held.contains(&row.id) {
                let added: Vec<&str> = permissions
                    .iter()
                    .filter(|p| !access.permissions.contains(*p))
                    .map(Permission::name)
                    .collect();
                if !added.is_empty() {
                    return Err(ApiError::forbidden(format!(
                        "You hold this role and cannot add permissions you do not have ({}); ask another Team admin.",
                        added.join(", ")
                    )));
                }
            }
        }
        if let Some(name) = &body.display_name {
            name_free(&mut conn, &row.organization_id, name, Some(&row.id)).await?;
            row.display_name = name.clone();
        }
        if let Some(description) = &body.description {
            row.description = description.clone();
        }
        if let Some(permissions) = permissions {
            row.permissions = permissions.to_stored();
        }
        row.updated_at = time::now();
        custom::update(&mut conn, &row).await?;
        Ok(row.to_role())
    }
    .await;
    let role = tx.finish(result).await?;
    Ok(ok(&RoleView::new(&role)))
}

/// `DELETE /v0/roles/{role-id}`: an organization's own roles only, and only once no member
/// holds them (422 `role-in-use`).
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<RoleKind>(&path)?;
    if builtin_role(id.as_str()).is_some() {
        return Err(builtin_refusal());
    }
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let (row, _) = caller
            .visible_for_write::<CustomRoleRow>(&mut conn, id.as_str(), Permission::TeamManage)
            .await?;
        if custom::in_use(&mut conn, &row.id).await? {
            return Err(ApiError::unprocessable(
                "role-in-use",
                "Members or pending invitations still hold this role; change them first.",
            ));
        }
        custom::delete(&mut conn, &row.id)
            .await
            .map_err(ApiError::from)
    }
    .await;
    tx.finish(result).await?;
    Ok(no_content())
}
