//! An organization's own roles, stored in the database, and the queries that combine them
//! with the built-in ones.

use crate::ids::{OrganizationId, RoleId};
use std::collections::HashMap;

use crate::store::PreparedExt;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{PermissionSet, Role, builtin_role, builtin_roles};
use crate::dispatch;
use crate::store::Conn;
use crate::store::schema::{invitations, membership_roles, roles};
use crate::time::Micros;

pub const CATEGORY: &str = "custom";

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = roles, treat_none_as_default_value = false)]
pub struct CustomRoleRow {
    pub id: RoleId,
    pub organization_id: OrganizationId,
    pub display_name: String,
    pub description: String,
    pub permissions: String,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for CustomRoleRow {
    type Kind = crate::ids::RoleKind;

    async fn find(
        conn: &mut Conn<'_>,
        id: &crate::ids::Id<crate::ids::RoleKind>,
    ) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &crate::ids::OrganizationId {
        &self.organization_id
    }
}

impl CustomRoleRow {
    pub fn to_role(&self) -> Role {
        Role {
            id: self.id.clone(),
            display_name: self.display_name.clone(),
            description: self.description.clone(),
            category: CATEGORY.to_string(),
            permissions: PermissionSet::from_stored(&self.permissions),
            organization_id: Some(self.organization_id.clone()),
        }
    }
}

pub async fn find(
    conn: &mut Conn<'_>,
    id: &crate::ids::RoleId,
) -> QueryResult<Option<CustomRoleRow>> {
    dispatch!(conn, c => roles::table
        .find(id)
        .select(CustomRoleRow::as_select())
        .first(c)
        .await
        .optional())
}

pub async fn insert(conn: &mut Conn<'_>, row: &CustomRoleRow) -> QueryResult<()> {
    dispatch!(conn, c => diesel::insert_into(roles::table).values(row).execute(c).await)?;
    Ok(())
}

pub async fn update(conn: &mut Conn<'_>, row: &CustomRoleRow) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(roles::table.find(&row.id)).set(row).prepared().execute(c).await)?;
    Ok(())
}

pub async fn delete(conn: &mut Conn<'_>, id: &str) -> QueryResult<()> {
    dispatch!(conn, c => diesel::delete(roles::table.find(id)).execute(c).await)?;
    Ok(())
}

/// Whether any membership, or any pending invitation, holds the role.
pub async fn in_use(conn: &mut Conn<'_>, id: &str) -> QueryResult<bool> {
    let holder: Option<String> = dispatch!(conn, c => membership_roles::table
        .filter(membership_roles::role_id.eq(id))
        .select(membership_roles::membership_id)
        .first(c)
        .await
        .optional())?;
    if holder.is_some() {
        return Ok(true);
    }
    // Role ids are stored comma-separated; ids are base64url, so no id contains a comma,
    // but `_` is a LIKE wildcard and is escaped.
    let pattern = format!("%{}%", id.replace('_', "\\_"));
    let invited: Option<String> = dispatch!(conn, c => invitations::table
        .filter(invitations::invitation_status.eq(crate::invitations::PENDING))
        .filter(invitations::role_ids.like(&pattern).escape('\\'))
        .select(invitations::id)
        .first(c)
        .await
        .optional())?;
    Ok(invited.is_some())
}

/// Whether the organization has a role (of either kind) of this display name.
pub async fn name_taken(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    display_name: &str,
    except_id: Option<&str>,
) -> QueryResult<bool> {
    if builtin_roles()
        .iter()
        .any(|r| r.display_name.eq_ignore_ascii_case(display_name))
    {
        return Ok(true);
    }
    let others: Vec<(String, String)> = dispatch!(conn, c => roles::table
        .filter(roles::organization_id.eq(organization_id))
        .select((roles::id, roles::display_name))
        .load(c)
        .await)?;
    Ok(others.iter().any(|(id, name)| {
        Some(id.as_str()) != except_id && name.eq_ignore_ascii_case(display_name)
    }))
}

/// The custom roles of each of the given organizations, oldest first.
async fn custom_roles_of(
    conn: &mut Conn<'_>,
    organization_ids: &[OrganizationId],
) -> QueryResult<Vec<CustomRoleRow>> {
    dispatch!(conn, c => roles::table
        .filter(roles::organization_id.eq_any(organization_ids))
        .order((roles::created_at.asc(), roles::id.asc()))
        .select(CustomRoleRow::as_select())
        .load(c)
        .await)
}

/// The roles an organization's members can hold: the built-in ones, then its own.
pub async fn available(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
) -> QueryResult<Vec<Role>> {
    // `=` rather than `IN (…)`: diesel does not cache a statement whose IN list can vary, so
    // the IN form would be parsed and planned again on every read of an organization.
    let custom: Vec<CustomRoleRow> = dispatch!(conn, c => roles::table
        .filter(roles::organization_id.eq(organization_id))
        .order((roles::created_at.asc(), roles::id.asc()))
        .select(CustomRoleRow::as_select())
        .load(c)
        .await)?;
    let mut all = builtin_roles();
    all.extend(custom.iter().map(CustomRoleRow::to_role));
    Ok(all)
}

/// [`available`] for several organizations in one query.
pub async fn available_for_many(
    conn: &mut Conn<'_>,
    organization_ids: &[OrganizationId],
) -> QueryResult<HashMap<OrganizationId, Vec<Role>>> {
    let custom = custom_roles_of(conn, organization_ids).await?;
    let mut by_organization: HashMap<OrganizationId, Vec<Role>> = organization_ids
        .iter()
        .map(|id| (id.clone(), builtin_roles()))
        .collect();
    for row in custom {
        by_organization
            .entry(row.organization_id.clone())
            .or_insert_with(builtin_roles)
            .push(row.to_role());
    }
    Ok(by_organization)
}

/// The roles with these ids, built-in ones first in catalogue order, then custom ones.
pub async fn resolve(conn: &mut Conn<'_>, role_ids: &[RoleId]) -> QueryResult<Vec<Role>> {
    let mut found: Vec<Role> = builtin_roles()
        .into_iter()
        .filter(|role| role_ids.contains(&role.id))
        .collect();
    let unknown: Vec<RoleId> = role_ids
        .iter()
        .filter(|id| builtin_role(id).is_none())
        .cloned()
        .collect();
    if !unknown.is_empty() {
        let rows: Vec<CustomRoleRow> = dispatch!(conn, c => roles::table
            .filter(roles::id.eq_any(&unknown))
            .order((roles::created_at.asc(), roles::id.asc()))
            .select(CustomRoleRow::as_select())
            .load(c)
            .await)?;
        found.extend(rows.iter().map(CustomRoleRow::to_role));
    }
    Ok(found)
}
