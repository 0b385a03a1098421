//! A membership as Griffin shows it: with its organization, its user and its roles.

use std::collections::HashMap;

use diesel::QueryResult;
use serde::Serialize;

use super::{MembershipRow, MembershipStatus, role_ids};
use crate::error::{DomainError, DomainResult};
use crate::ids::{MembershipId, OrganizationId, UserId};
use crate::organizations::{self, OrganizationView};
use crate::roles::{PermissionTreeView, RoleView, custom};
use crate::store::Conn;
use crate::time;
use crate::urls;
use crate::users::{self, UserView};

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct MembershipView {
    pub membership_url: String,
    pub membership_roles_url: String,
    pub membership_permissions_url: String,
    /// Ours: the groups the member is in.
    pub membership_groups_url: String,
    /// Ours: what the member may do, and why.
    pub membership_permission_tree_url: String,
    pub membership_status: MembershipStatus,
    pub organization: OrganizationView,
    pub roles: Vec<RoleView>,
    pub user: UserView,
    pub created_at: String,
}

/// Loads everything the views of `rows` embed (organizations with their available roles,
/// users, the memberships' roles) in a fixed number of queries, whatever the number of rows.
pub async fn views(
    conn: &mut Conn<'_>,
    rows: Vec<MembershipRow>,
) -> QueryResult<Vec<MembershipView>> {
    let ids: Vec<MembershipId> = rows.iter().map(|r| r.id.clone()).collect();
    let organization_ids: Vec<OrganizationId> =
        rows.iter().map(|r| r.organization_id.clone()).collect();
    let user_ids: Vec<UserId> = rows.iter().map(|r| r.user_id.clone()).collect();
    let mut role_ids_of = role_ids(conn, &ids).await?;
    let mut available = custom::available_for_many(conn, &organization_ids).await?;
    let organizations: HashMap<OrganizationId, _> =
        organizations::find_many(conn, &organization_ids)
            .await?
            .into_iter()
            .map(|o| (o.id.clone(), o))
            .collect();
    let users: HashMap<UserId, _> = users::find_many(conn, &user_ids)
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        // Foreign keys guarantee both exist; a missing one would be a broken database.
        let (Some(organization), Some(user)) = (
            organizations.get(&row.organization_id).cloned(),
            users.get(&row.user_id).cloned(),
        ) else {
            return Err(diesel::result::Error::NotFound);
        };
        let organization_roles = available.remove(&row.organization_id).unwrap_or_default();
        let held = role_ids_of.remove(&row.id).unwrap_or_default();
        let roles: Vec<RoleView> = organization_roles
            .iter()
            .filter(|role| held.contains(&role.id))
            .map(RoleView::new)
            .collect();
        available.insert(row.organization_id.clone(), organization_roles.clone());
        let id = row.id;
        views.push(MembershipView {
            membership_url: urls::membership(&id),
            membership_roles_url: urls::membership_roles(&id),
            membership_permissions_url: urls::membership_permissions(&id),
            membership_groups_url: urls::membership_groups(&id),
            membership_permission_tree_url: urls::membership_permission_tree(&id),
            membership_status: row.membership_status,
            organization: OrganizationView::new(organization, &organization_roles),
            roles,
            user: UserView::new(user),
            created_at: time::format(row.created_at),
        });
    }
    Ok(views)
}

/// The view of one membership.
pub async fn view(conn: &mut Conn<'_>, row: MembershipRow) -> DomainResult<MembershipView> {
    views(conn, vec![row])
        .await?
        .pop()
        .ok_or(DomainError::NotFound)
}

/// What a membership may do, and through which roles and groups.
pub async fn permission_tree(
    conn: &mut Conn<'_>,
    id: &MembershipId,
) -> DomainResult<PermissionTreeView> {
    let grants = super::granted_roles(conn, id).await?;
    Ok(PermissionTreeView {
        membership_url: Some(urls::membership(id)),
        ..PermissionTreeView::granted(&grants)
    })
}
