//! Memberships: a user's place in an organization, with the roles they hold there. The rules
//! of a change: nobody widens their own permissions, no change leaves an organization
//! without an active Team admin, and the organization's owner is neither removed nor
//! deactivated. A member who leaves (removed or deactivated) takes their sessions working in
//! the organization elsewhere ([`crate::sessions::leave`]).

pub mod handlers;
pub mod view;

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::access::{Access, Granted};
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{GroupId, MembershipId, OrganizationId, RoleId, RoleKind, UserId};
use crate::organizations::{self, OwnerChange};
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::roles::{self, PermissionSet, Role, custom};
use crate::sessions;
use crate::store::schema::{
    api_keys, group_memberships, group_roles, membership_roles, memberships, users,
};
use crate::store::{Conn, PreparedExt};
use crate::time::{self, Micros};
use crate::urls;

pub use view::{MembershipView, views};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = memberships, treat_none_as_default_value = false)]
pub struct MembershipRow {
    pub id: MembershipId,
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub created_at: Micros,
    pub membership_status: MembershipStatus,
}

crate::text_enum! {
    /// A deactivated member's keys and sessions are refused until they are reactivated.
    pub enum MembershipStatus {
        Active = "active",
        Deactivated = "deactivated",
    }
}

impl crate::access::Owned for MembershipRow {
    type Kind = crate::ids::MembershipKind;

    async fn find(conn: &mut Conn<'_>, id: &MembershipId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

impl MembershipRow {
    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.created_at, self.id.as_str())
    }
}

/// Adds `user_id` to `organization_id` with the given roles.
pub async fn insert(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    user_id: &UserId,
    role_ids: &[RoleId],
) -> QueryResult<MembershipRow> {
    let row = MembershipRow {
        id: MembershipId::generate(),
        organization_id: organization_id.clone(),
        user_id: user_id.clone(),
        created_at: time::now(),
        membership_status: MembershipStatus::Active,
    };
    dispatch!(conn, c => diesel::insert_into(memberships::table).values(&row).execute(c).await)?;
    // One row at a time: SQLite's diesel backend has no multi-row insert of this shape, and
    // a membership holds a handful of roles.
    for role_id in role_ids {
        let values = (
            membership_roles::membership_id.eq(&row.id),
            membership_roles::role_id.eq(role_id),
        );
        dispatch!(conn, c => diesel::insert_into(membership_roles::table)
            .values(values)
            .execute(c)
            .await)?;
    }
    Ok(row)
}

pub async fn find(conn: &mut Conn<'_>, id: &MembershipId) -> QueryResult<Option<MembershipRow>> {
    dispatch!(conn, c => memberships::table
        .find(id)
        .select(MembershipRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Role ids held by each of the given memberships.
pub async fn role_ids(
    conn: &mut Conn<'_>,
    membership_ids: &[MembershipId],
) -> QueryResult<HashMap<MembershipId, Vec<RoleId>>> {
    let pairs: Vec<(MembershipId, RoleId)> = dispatch!(conn, c => membership_roles::table
        .filter(membership_roles::membership_id.eq_any(membership_ids))
        .select((membership_roles::membership_id, membership_roles::role_id))
        .load(c)
        .await)?;
    let mut by_membership: HashMap<MembershipId, Vec<RoleId>> = HashMap::new();
    for (membership_id, role_id) in pairs {
        by_membership
            .entry(membership_id)
            .or_default()
            .push(role_id);
    }
    Ok(by_membership)
}

/// All of a user's memberships, oldest first.
pub async fn all_of_user(conn: &mut Conn<'_>, user_id: &UserId) -> QueryResult<Vec<MembershipRow>> {
    dispatch!(conn, c => memberships::table
        .filter(memberships::user_id.eq(user_id))
        .order((memberships::created_at.asc(), memberships::id.asc()))
        .select(MembershipRow::as_select())
        .load(c)
        .await)
}

/// The membership of `user_id` in `organization_id`, if any.
pub async fn find_of_user(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    user_id: &UserId,
) -> QueryResult<Option<MembershipRow>> {
    dispatch!(conn, c => memberships::table
        .filter(memberships::organization_id.eq(organization_id))
        .filter(memberships::user_id.eq(user_id))
        .select(MembershipRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Replaces the membership's roles.
pub async fn set_roles(
    conn: &mut Conn<'_>,
    id: &MembershipId,
    role_ids: &[RoleId],
) -> QueryResult<()> {
    dispatch!(conn, c => diesel::delete(membership_roles::table.filter(membership_roles::membership_id.eq(id)))
        .execute(c)
        .await)?;
    for role_id in role_ids {
        let values = (
            membership_roles::membership_id.eq(id),
            membership_roles::role_id.eq(role_id),
        );
        dispatch!(conn, c => diesel::insert_into(membership_roles::table)
            .values(values)
            .execute(c)
            .await)?;
    }
    Ok(())
}

pub async fn set_status(
    conn: &mut Conn<'_>,
    id: &MembershipId,
    status: MembershipStatus,
) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(memberships::table.find(id))
        .set(memberships::membership_status.eq(status))
        .prepared()
        .execute(c)
        .await)?;
    Ok(())
}

/// Removes the membership, its roles, and the user's API keys in that organization: keys act
/// for their user's membership, and must not come back to life if the user is invited again.
pub async fn delete(conn: &mut Conn<'_>, row: &MembershipRow) -> QueryResult<()> {
    dispatch!(conn, c => {
        diesel::delete(membership_roles::table.filter(membership_roles::membership_id.eq(&row.id)))
            .execute(c)
            .await?;
        diesel::delete(group_memberships::table.filter(group_memberships::membership_id.eq(&row.id)))
            .execute(c)
            .await?;
        diesel::delete(
            api_keys::table
                .filter(api_keys::organization_id.eq(&row.organization_id))
                .filter(api_keys::user_id.eq(&row.user_id)),
        )
        .execute(c)
        .await?;
        diesel::delete(memberships::table.find(&row.id)).execute(c).await
    })?;
    Ok(())
}

/// The condition "the membership holds role `$role_id`, itself or through one of its groups",
/// for a query on `memberships` (a macro: the expression's type is diesel's to spell).
macro_rules! holds_role {
    ($role_id:expr) => {
        memberships::id
            .eq_any(
                membership_roles::table
                    .filter(membership_roles::role_id.eq($role_id))
                    .select(membership_roles::membership_id),
            )
            .or(memberships::id.eq_any(
                group_memberships::table
                    .inner_join(
                        group_roles::table
                            .on(group_roles::group_id.eq(group_memberships::group_id)),
                    )
                    .filter(group_roles::role_id.eq($role_id))
                    .select(group_memberships::membership_id),
            ))
    };
}

/// Ids of the organization's active memberships that hold the Team admin role, themselves
/// or through a group.
pub async fn active_team_admins(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
) -> QueryResult<Vec<MembershipId>> {
    let Some(team_admin) = roles::builtin_id(roles::TEAM_ADMIN) else {
        return Ok(Vec::new());
    };
    dispatch!(conn, c => memberships::table
        .filter(memberships::organization_id.eq(organization_id))
        .filter(memberships::membership_status.eq(MembershipStatus::Active))
        .filter(holds_role!(&team_admin))
        .select(memberships::id)
        .load(c)
        .await)
}

/// The role ids a membership holds, each with the group it holds it through (`None`: its
/// own), sorted and without repeats.
pub async fn grants(
    conn: &mut Conn<'_>,
    id: &MembershipId,
) -> QueryResult<Vec<(RoleId, Option<GroupId>)>> {
    let own: Vec<RoleId> = dispatch!(conn, c => membership_roles::table
        .filter(membership_roles::membership_id.eq(id))
        .select(membership_roles::role_id)
        .load(c)
        .await)?;
    let through_groups: Vec<(RoleId, GroupId)> = dispatch!(conn, c => group_memberships::table
        .inner_join(group_roles::table.on(group_roles::group_id.eq(group_memberships::group_id)))
        .filter(group_memberships::membership_id.eq(id))
        .select((group_roles::role_id, group_roles::group_id))
        .load(c)
        .await)?;
    let mut grants: Vec<(RoleId, Option<GroupId>)> = own.into_iter().map(|r| (r, None)).collect();
    grants.extend(through_groups.into_iter().map(|(r, g)| (r, Some(g))));
    grants.sort();
    grants.dedup();
    Ok(grants)
}

/// The roles a membership holds, each with the group it holds it through (`None`: its own).
pub async fn granted_roles(
    conn: &mut Conn<'_>,
    id: &MembershipId,
) -> QueryResult<Vec<(Role, Option<GroupId>)>> {
    let grants = grants(conn, id).await?;
    let role_ids: Vec<RoleId> = crate::ids::distinct(grants.iter().map(|(r, _)| r.clone()));
    let roles = custom::resolve(conn, &role_ids).await?;
    Ok(grants
        .into_iter()
        .filter_map(|(role_id, group)| {
            let role = roles.iter().find(|role| role.id == role_id)?;
            Some((role.clone(), group))
        })
        .collect())
}

/// What a membership may do now: its own roles' permissions and its groups' together.
pub async fn effective_permissions(
    conn: &mut Conn<'_>,
    id: &MembershipId,
) -> QueryResult<PermissionSet> {
    let granted = granted_roles(conn, id).await?;
    Ok(granted
        .iter()
        .fold(PermissionSet::default(), |set, (role, _)| {
            set.union(role.permissions)
        }))
}

/// Which memberships a list shows.
pub enum Scope<'a> {
    Organizations(Vec<OrganizationId>),
    /// One user's memberships, limited to some organizations unless the caller is that user.
    User {
        user_id: &'a UserId,
        only_organizations: Option<Vec<OrganizationId>>,
    },
}

/// List filters.
#[derive(Debug, Default)]
pub struct Filter {
    pub role_id: Option<RoleId>,
    pub group_id: Option<GroupId>,
    pub status: Option<MembershipStatus>,
    /// Members whose email starts with this text, in any case.
    pub email_prefix: Option<EmailPrefix>,
}

/// The start of an email address, as a filter takes it: trimmed, not empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailPrefix(String);

impl EmailPrefix {
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        (!text.is_empty()).then(|| EmailPrefix(text.to_string()))
    }

    /// The `LIKE … ESCAPE '\'` pattern that matches the addresses starting with it. Addresses
    /// are stored lower-cased ([`crate::users::normalize_email`]), so the pattern is too.
    fn pattern(&self) -> String {
        crate::store::like_prefix(&self.0)
    }
}

pub async fn list(
    conn: &mut Conn<'_>,
    scope: Scope<'_>,
    filter: &Filter,
    page: &PageRequest,
) -> QueryResult<Page<MembershipRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = memberships::table.select(MembershipRow::as_select()).into_boxed();
        match scope {
            Scope::Organizations(organization_ids) => {
                query = query.filter(memberships::organization_id.eq_any(organization_ids.clone()));
            }
            Scope::User { user_id, only_organizations } => {
                query = query.filter(memberships::user_id.eq(user_id));
                if let Some(organization_ids) = only_organizations {
                    query = query.filter(memberships::organization_id.eq_any(organization_ids.clone()));
                }
            }
        }
        if let Some(status) = &filter.status {
            query = query.filter(memberships::membership_status.eq(*status));
        }
        if let Some(role_id) = &filter.role_id {
            query = query.filter(holds_role!(role_id.clone()));
        }
        if let Some(group_id) = &filter.group_id {
            query = query.filter(memberships::id.eq_any(
                group_memberships::table
                    .filter(group_memberships::group_id.eq(group_id.clone()))
                    .select(group_memberships::membership_id),
            ));
        }
        if let Some(prefix) = &filter.email_prefix {
            query = query.filter(diesel::dsl::exists(
                users::table
                    .filter(users::id.eq(memberships::user_id))
                    .filter(users::email.like(prefix.pattern()).escape('\\')),
            ));
        }
        paginate!(query, memberships::created_at, memberships::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, MembershipRow::cursor))
}

/// The roles a membership holds.
pub async fn roles_of(conn: &mut Conn<'_>, id: &MembershipId) -> QueryResult<Vec<Role>> {
    let mut held = role_ids(conn, std::slice::from_ref(id)).await?;
    custom::resolve(conn, &held.remove(id).unwrap_or_default()).await
}

/// What the roles allow together.
pub fn permissions_of(roles: &[Role]) -> PermissionSet {
    roles.iter().fold(PermissionSet::default(), |set, role| {
        set.union(role.permissions)
    })
}

/// Replaces the roles of a membership (the caller's own ones only keep or narrow what they
/// hold) and returns them; the organization must keep an active Team admin.
pub async fn change_roles(
    conn: &mut Conn<'_>,
    caller: &UserId,
    granted: &Granted<MembershipRow>,
    role_urls: &[String],
) -> DomainResult<Vec<Role>> {
    let membership = &granted.resource;
    let role_ids = available_role_ids(conn, &membership.organization_id, role_urls).await?;
    if membership.user_id == *caller {
        no_self_escalation(conn, &granted.access, &role_ids).await?;
    }
    set_roles(conn, &membership.id, &role_ids).await?;
    keeps_a_team_admin(conn, &membership.organization_id).await?;
    roles_of(conn, &membership.id).await.map_err(Into::into)
}

/// Deactivates or reactivates a membership; the owner and the last active Team admin stay.
pub async fn change_status(
    conn: &mut Conn<'_>,
    mut membership: MembershipRow,
    status: MembershipStatus,
) -> DomainResult<MembershipRow> {
    if status == MembershipStatus::Deactivated {
        organizations::owner_stays(conn, &membership, OwnerChange::Deactivation).await?;
    }
    set_status(conn, &membership.id, status).await?;
    keeps_a_team_admin(conn, &membership.organization_id).await?;
    if status == MembershipStatus::Deactivated {
        sessions::leave(conn, &membership.user_id, &membership.organization_id).await?;
    }
    membership.membership_status = status;
    Ok(membership)
}

/// Removes a membership; the owner and the last active Team admin stay.
pub async fn remove(conn: &mut Conn<'_>, membership: &MembershipRow) -> DomainResult<()> {
    organizations::owner_stays(conn, membership, OwnerChange::Removal).await?;
    delete(conn, membership).await?;
    keeps_a_team_admin(conn, &membership.organization_id).await?;
    sessions::leave(conn, &membership.user_id, &membership.organization_id).await?;
    Ok(())
}

/// Nobody widens their own permissions: a caller changing their own roles may only keep or
/// narrow what they hold (another Team admin can grant them more).
pub async fn no_self_escalation(
    conn: &mut Conn<'_>,
    access: &Access,
    role_ids: &[RoleId],
) -> DomainResult<()> {
    let wanted = permissions_of(&custom::resolve(conn, role_ids).await?);
    let added = wanted.beyond(access.permissions);
    if added.is_empty() {
        return Ok(());
    }
    Err(DomainError::Refused(
        format!(
            "You cannot give yourself permissions you do not hold ({}); ask another Team admin.",
            added.join(", ")
        )
        .into(),
    ))
}

/// The roles named by the URLs of a request body (`/role-urls`): each must be a role the
/// organization offers. At least one is required; duplicates are ignored.
pub async fn available_role_ids(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    role_urls: &[String],
) -> DomainResult<Vec<RoleId>> {
    if role_urls.is_empty() {
        return Err(DomainError::invalid_value(
            "Give at least one role URL.",
            "/role-urls",
        ));
    }
    let available = custom::available(conn, organization_id).await?;
    let mut ids: Vec<RoleId> = Vec::new();
    for (i, url) in role_urls.iter().enumerate() {
        let id = urls::parse::<RoleKind>(url, urls::ROLES)
            .filter(|id| available.iter().any(|role| role.id == *id))
            .ok_or_else(|| {
                DomainError::unprocessable(
                    "role-not-available",
                    format!("{url} is not one of this organization's available roles."),
                )
                .at(format!("/role-urls/{i}"))
            })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Refuses a change (still uncommitted) that leaves the organization without an active
/// Team admin.
pub async fn keeps_a_team_admin(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
) -> DomainResult<()> {
    if active_team_admins(conn, organization_id).await?.is_empty() {
        return Err(DomainError::unprocessable(
            "last-team-admin",
            "The organization must keep at least one active Team admin.",
        ));
    }
    Ok(())
}
