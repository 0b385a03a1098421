//! A role as Griffin shows it, plus the permissions it grants.

use serde::Serialize;

use super::{Role, RoleCategory};
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
