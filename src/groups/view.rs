//! A group as the API shows it: its name, its roles and where its members are.

use serde::Serialize;

use super::{GroupRow, role_ids_of};
use crate::error::{DomainError, DomainResult};
use crate::ids::{GroupId, OrganizationId};
use crate::roles::{RoleView, custom};
use crate::store::Conn;
use crate::time;
use crate::urls;

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct GroupView {
    pub group_url: String,
    pub organization_url: String,
    pub display_name: String,
    pub description: String,
    pub roles: Vec<RoleView>,
    pub group_memberships_url: String,
    pub group_roles_url: String,
    pub group_permission_tree_url: String,
    pub created_at: String,
    pub updated_at: String,
}

/// The views of `rows`, with their roles, in a fixed number of queries.
pub async fn views(conn: &mut Conn<'_>, rows: Vec<GroupRow>) -> DomainResult<Vec<GroupView>> {
    let ids: Vec<GroupId> = rows.iter().map(|r| r.id.clone()).collect();
    let organization_ids: Vec<OrganizationId> =
        crate::ids::distinct(rows.iter().map(|r| r.organization_id.clone()));
    let mut held = role_ids_of(conn, &ids).await?;
    let available = custom::available_for_many(conn, &organization_ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let held = held.remove(&row.id).unwrap_or_default();
            let roles = available
                .get(&row.organization_id)
                .map(|roles| {
                    roles
                        .iter()
                        .filter(|role| held.contains(&role.id))
                        .map(RoleView::new)
                        .collect()
                })
                .unwrap_or_default();
            GroupView {
                group_url: urls::group(&row.id),
                organization_url: urls::organization(&row.organization_id),
                display_name: row.display_name,
                description: row.description,
                roles,
                group_memberships_url: urls::group_memberships(&row.id),
                group_roles_url: urls::group_roles(&row.id),
                group_permission_tree_url: urls::group_permission_tree(&row.id),
                created_at: time::format(row.created_at),
                updated_at: time::format(row.updated_at),
            }
        })
        .collect())
}

pub async fn view(conn: &mut Conn<'_>, row: GroupRow) -> DomainResult<GroupView> {
    views(conn, vec![row])
        .await?
        .pop()
        .ok_or(DomainError::NotFound)
}
