//! An organization's own roles, stored in the database, the rules of changing them, and the
//! queries that combine them with the built-in ones.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{PermissionSet, Role, RoleCategory, builtin_role, builtin_roles};
use crate::access::{Access, Granted};
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{MembershipId, OrganizationId, RoleId};
use crate::invitations::InvitationStatus;
use crate::organizations::{DisplayName, OrganizationRow};
use crate::store::schema::{invitations, membership_roles, roles};
use crate::store::{Conn, PreparedExt};
use crate::time::{self, Micros};

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

    async fn find(conn: &mut Conn<'_>, id: &RoleId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

impl CustomRoleRow {
    pub fn to_role(&self) -> Role {
        Role {
            id: self.id.clone(),
            display_name: self.display_name.clone(),
            description: self.description.clone(),
            category: RoleCategory::Custom,
            permissions: PermissionSet::from_stored(&self.permissions),
            organization_id: Some(self.organization_id.clone()),
        }
    }
}

/// A role's or a group's description: at most 500 characters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    /// A request body's `description`: a 400 pointing at it when too long.
    pub fn parse(text: &str) -> DomainResult<Self> {
        if text.chars().count() > 500 {
            return Err(DomainError::invalid_value(
                "`description` is at most 500 characters.",
                "/description",
            ));
        }
        Ok(Description(text.to_string()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A new custom role, as a request asked for it.
#[derive(Debug, Clone)]
pub struct NewRole {
    pub display_name: DisplayName,
    pub description: Description,
    pub permissions: PermissionSet,
}

/// A change to a custom role: what is `None` stays.
#[derive(Debug, Clone, Default)]
pub struct RoleChange {
    pub display_name: Option<DisplayName>,
    pub description: Option<Description>,
    pub permissions: Option<PermissionSet>,
}

/// Built-in roles are the same for everyone and never change (422, before anything else).
pub fn not_builtin(id: &RoleId) -> DomainResult<()> {
    if builtin_role(id).is_some() {
        return Err(DomainError::unprocessable(
            "builtin-role-immutable",
            "Built-in roles cannot be changed or deleted; create a custom role instead.",
        ));
    }
    Ok(())
}

/// Creates a role of the granted organization; its name must be free (409).
pub async fn create(
    conn: &mut Conn<'_>,
    granted: &Granted<OrganizationRow>,
    new: NewRole,
) -> DomainResult<Role> {
    let organization_id = &granted.resource.id;
    name_free(conn, organization_id, &new.display_name, None).await?;
    let now = time::now();
    let row = CustomRoleRow {
        id: RoleId::generate(),
        organization_id: organization_id.clone(),
        display_name: new.display_name.into_string(),
        description: new.description.0,
        permissions: new.permissions.to_stored(),
        created_at: now,
        updated_at: now,
    };
    insert(conn, &row).await?;
    Ok(row.to_role())
}

/// Changes a role. Members holding it get its new permissions with their next request, so a
/// caller who holds it may not add permissions they lack; a new name must be free (409).
pub async fn change(
    conn: &mut Conn<'_>,
    granted: Granted<CustomRoleRow>,
    change: RoleChange,
) -> DomainResult<Role> {
    let Granted {
        resource: mut row,
        access,
    } = granted;
    if let Some(permissions) = change.permissions {
        no_self_widening(conn, &access, &row.id, permissions).await?;
        row.permissions = permissions.to_stored();
    }
    if let Some(name) = change.display_name {
        name_free(conn, &row.organization_id, &name, Some(&row.id)).await?;
        row.display_name = name.into_string();
    }
    if let Some(description) = change.description {
        row.description = description.0;
    }
    row.updated_at = time::now();
    update(conn, &row).await?;
    Ok(row.to_role())
}

/// Deletes a role once no group (409 `role-held-by-groups`, naming them), no member and no
/// pending invitation holds it (422 `role-in-use`).
pub async fn remove(conn: &mut Conn<'_>, row: &CustomRoleRow) -> DomainResult<()> {
    let groups = crate::groups::names_holding_role(conn, &row.id).await?;
    if !groups.is_empty() {
        return Err(DomainError::conflict(
            "role-held-by-groups",
            format!(
                "Groups hold this role: {}. Take it from them first.",
                groups.join(", ")
            ),
        ));
    }
    if in_use(conn, &row.id).await? {
        return Err(DomainError::unprocessable(
            "role-in-use",
            "Members or pending invitations still hold this role; change them first.",
        ));
    }
    delete(conn, &row.id).await?;
    Ok(())
}

/// Widening a role one holds, oneself or through a group, is widening one's own permissions.
async fn no_self_widening(
    conn: &mut Conn<'_>,
    access: &Access,
    role_id: &RoleId,
    permissions: PermissionSet,
) -> DomainResult<()> {
    let grants = crate::memberships::grants(conn, &access.membership_id).await?;
    if !grants.iter().any(|(held, _)| held == role_id) {
        return Ok(());
    }
    let added = permissions.beyond(access.permissions);
    if added.is_empty() {
        return Ok(());
    }
    Err(DomainError::Refused(
        format!(
            "You hold this role and cannot add permissions you do not have ({}); ask another Team admin.",
            added.join(", ")
        )
        .into(),
    ))
}

/// 409 when the organization has a role (of either kind) named `name` other than `except`.
async fn name_free(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    name: &DisplayName,
    except: Option<&RoleId>,
) -> DomainResult<()> {
    if name_taken(conn, organization_id, name.as_str(), except).await? {
        return Err(DomainError::conflict(
            "role-name-taken",
            format!(
                "This organization already has a role named {:?}.",
                name.as_str()
            ),
        ));
    }
    Ok(())
}

pub async fn find(conn: &mut Conn<'_>, id: &RoleId) -> QueryResult<Option<CustomRoleRow>> {
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

pub async fn delete(conn: &mut Conn<'_>, id: &RoleId) -> QueryResult<()> {
    dispatch!(conn, c => diesel::delete(roles::table.find(id)).execute(c).await)?;
    Ok(())
}

/// Whether any membership, or any pending invitation, holds the role.
pub async fn in_use(conn: &mut Conn<'_>, id: &RoleId) -> QueryResult<bool> {
    let holder: Option<MembershipId> = dispatch!(conn, c => membership_roles::table
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
    let pattern = format!("%{}%", id.as_str().replace('_', "\\_"));
    let invited: Option<crate::ids::InvitationId> = dispatch!(conn, c => invitations::table
        .filter(invitations::invitation_status.eq(InvitationStatus::Pending))
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
    except_id: Option<&RoleId>,
) -> QueryResult<bool> {
    if builtin_roles()
        .iter()
        .any(|r| r.display_name.eq_ignore_ascii_case(display_name))
    {
        return Ok(true);
    }
    let others: Vec<(RoleId, String)> = dispatch!(conn, c => roles::table
        .filter(roles::organization_id.eq(organization_id))
        .select((roles::id, roles::display_name))
        .load(c)
        .await)?;
    Ok(others
        .iter()
        .any(|(id, name)| Some(id) != except_id && name.eq_ignore_ascii_case(display_name)))
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
