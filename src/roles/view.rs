//! A role as Griffin shows it, plus the permissions it grants.

use serde::Serialize;

use super::{Permission, PermissionArea, Role, RoleCategory};
use crate::ids::GroupId;
use crate::urls;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RoleView {
    pub display_name: String,
    pub description: String,
    pub role_url: String,
    pub role_category: RoleCategory,
    pub permissions: Vec<&'static str>,
}

impl RoleView {
    pub fn new(role: &Role) -> Self {
        RoleView {
            display_name: role.display_name.clone(),
            description: role.description.clone(),
            role_url: urls::role(&role.id),
            role_category: role.category,
            permissions: role.permissions.names(),
        }
    }
}

pub fn views(roles: &[Role]) -> Vec<RoleView> {
    roles.iter().map(RoleView::new).collect()
}

/// A list of roles, as `GET /v0/roles` and an organization's roles answer.
#[derive(Debug, Serialize)]
pub struct RolesView {
    pub roles: Vec<RoleView>,
}

impl RolesView {
    pub fn new(roles: &[Role]) -> Self {
        RolesView {
            roles: views(roles),
        }
    }
}

/// The permission catalogue as a tree of areas; for a member or a group, each permission says
/// whether it is granted and by which roles (and through which groups).
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PermissionTreeView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_url: Option<String>,
    pub permission_areas: Vec<AreaNode>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AreaNode {
    pub area: PermissionArea,
    pub display_name: &'static str,
    pub permissions: Vec<PermissionNode>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PermissionNode {
    pub permission: &'static str,
    pub description: &'static str,
    /// Absent in the bare catalogue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_by: Option<Vec<GrantedBy>>,
}

/// A role that grants a permission, held directly or through `group_url`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct GrantedBy {
    pub role_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_url: Option<String>,
}

impl PermissionTreeView {
    /// The catalogue alone.
    pub fn catalogue() -> Self {
        PermissionTreeView {
            membership_url: None,
            group_url: None,
            permission_areas: areas(|_| None),
        }
    }

    /// The catalogue with what `grants` — roles, each held directly (`None`) or through a
    /// group — grant.
    pub fn granted(grants: &[(Role, Option<GroupId>)]) -> Self {
        let granted_by = |permission: Permission| {
            let by: Vec<GrantedBy> = grants
                .iter()
                .filter(|(role, _)| role.permissions.contains(permission))
                .map(|(role, group)| GrantedBy {
                    role_url: urls::role(&role.id),
                    group_url: group.as_ref().map(urls::group),
                })
                .collect();
            Some(by)
        };
        PermissionTreeView {
            membership_url: None,
            group_url: None,
            permission_areas: areas(granted_by),
        }
    }
}

fn areas(granted_by: impl Fn(Permission) -> Option<Vec<GrantedBy>>) -> Vec<AreaNode> {
    PermissionArea::ALL
        .iter()
        .map(|area| AreaNode {
            area: *area,
            display_name: area.display_name(),
            permissions: area
                .permissions()
                .map(|permission| {
                    let by = granted_by(permission);
                    PermissionNode {
                        permission: permission.name(),
                        description: permission.description(),
                        granted: by.as_ref().map(|by| !by.is_empty()),
                        granted_by: by,
                    }
                })
                .collect(),
        })
        .collect()
}
