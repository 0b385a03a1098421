//! Groups: named sets of an organization's members that hold roles. A member holds the roles
//! of each of their groups besides their own ([`crate::memberships::effective_role_ids`]), and
//! every permission check reads the two together, so a change to a group applies to its
//! members' next request. The rules of a change are the memberships' own: nobody widens their
//! own permissions, and no change leaves the organization without an active Team admin.

pub mod handlers;
pub mod view;

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::access::{Access, Granted};
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{GroupId, GroupKind, MembershipId, MembershipKind, OrganizationId, RoleId};
use crate::memberships::{self, MembershipRow};
use crate::organizations::{DisplayName, OrganizationRow};
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::roles::Role;
use crate::roles::custom::{self, Description};
use crate::store::Conn;
use crate::store::schema::{group_memberships, group_roles, member_groups};
use crate::time::{self, Micros};
use crate::urls;

pub use view::{GroupView, views};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = member_groups, treat_none_as_default_value = false)]
pub struct GroupRow {
    pub id: GroupId,
    pub organization_id: OrganizationId,
    pub display_name: String,
    pub description: String,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for GroupRow {
    type Kind = crate::ids::GroupKind;

    async fn find(conn: &mut Conn<'_>, id: &GroupId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

impl GroupRow {
    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.created_at, self.id.as_str())
    }
}

/// A new group, as a request asked for it; the URLs are checked against the organization.
#[derive(Debug, Clone)]
pub struct NewGroup {
    pub display_name: DisplayName,
    pub description: Description,
    pub role_urls: Vec<String>,
    pub membership_urls: Vec<String>,
}

/// A change to a group's name or description: what is `None` stays.
#[derive(Debug, Clone, Default)]
pub struct GroupChange {
    pub display_name: Option<DisplayName>,
    pub description: Option<Description>,
}

/// Creates a group of the granted organization, with its first roles and members. Its name
/// must be free (409).
pub async fn create(
    conn: &mut Conn<'_>,
    granted: &Granted<OrganizationRow>,
    new: NewGroup,
) -> DomainResult<GroupRow> {
    let organization_id = &granted.resource.id;
    name_free(conn, organization_id, &new.display_name, None).await?;
    let role_ids = group_role_ids(conn, organization_id, &new.role_urls).await?;
    let member_ids = membership_ids(conn, organization_id, &new.membership_urls).await?;
    let now = time::now();
    let row = GroupRow {
        id: GroupId::generate(),
        organization_id: organization_id.clone(),
        display_name: new.display_name.into_string(),
        description: new.description.into_string(),
        created_at: now,
        updated_at: now,
    };
    dispatch!(conn, c => diesel::insert_into(member_groups::table).values(&row).execute(c).await)?;
    set_roles(conn, &row.id, &role_ids).await?;
    add_members(conn, &row.id, &member_ids, now).await?;
    no_self_widening(conn, &granted.access).await?;
    Ok(row)
}

/// Renames or redescribes a group; a new name must be free (409).
pub async fn change(
    conn: &mut Conn<'_>,
    mut row: GroupRow,
    change: GroupChange,
) -> DomainResult<GroupRow> {
    if let Some(name) = change.display_name {
        name_free(conn, &row.organization_id, &name, Some(&row.id)).await?;
        row.display_name = name.into_string();
    }
    if let Some(description) = change.description {
        row.description = description.into_string();
    }
    row.updated_at = time::now();
    dispatch!(conn, c => diesel::update(member_groups::table.find(&row.id))
        .set((
            member_groups::display_name.eq(&row.display_name),
            member_groups::description.eq(&row.description),
            member_groups::updated_at.eq(row.updated_at),
        ))
        .execute(c)
        .await)?;
    Ok(row)
}

/// Deletes a group: its members lose its roles at once. The organization keeps an active
/// Team admin.
pub async fn remove(conn: &mut Conn<'_>, row: &GroupRow) -> DomainResult<()> {
    dispatch!(conn, c => {
        diesel::delete(group_roles::table.filter(group_roles::group_id.eq(&row.id)))
            .execute(c)
            .await?;
        diesel::delete(group_memberships::table.filter(group_memberships::group_id.eq(&row.id)))
            .execute(c)
            .await?;
        diesel::delete(member_groups::table.find(&row.id)).execute(c).await
    })?;
    memberships::keeps_a_team_admin(conn, &row.organization_id).await
}

/// Replaces the group's roles (any the organization offers; none is allowed). The caller
/// may not widen their own permissions this way, and the organization keeps a Team admin.
pub async fn change_roles(
    conn: &mut Conn<'_>,
    granted: &Granted<GroupRow>,
    role_urls: &[String],
) -> DomainResult<Vec<RoleId>> {
    let group = &granted.resource;
    let role_ids = group_role_ids(conn, &group.organization_id, role_urls).await?;
    set_roles(conn, &group.id, &role_ids).await?;
    no_self_widening(conn, &granted.access).await?;
    memberships::keeps_a_team_admin(conn, &group.organization_id).await?;
    Ok(role_ids)
}

/// Adds members to the group (those already in it stay as they are).
pub async fn join(
    conn: &mut Conn<'_>,
    granted: &Granted<GroupRow>,
    membership_urls: &[String],
) -> DomainResult<()> {
    let group = &granted.resource;
    if membership_urls.is_empty() {
        return Err(DomainError::invalid_value(
            "Give at least one membership URL.",
            "/membership-urls",
        ));
    }
    let ids = membership_ids(conn, &group.organization_id, membership_urls).await?;
    add_members(conn, &group.id, &ids, time::now()).await?;
    no_self_widening(conn, &granted.access).await
}

/// Takes a member out of the group (404 when not in it); the organization keeps a Team admin.
pub async fn leave(
    conn: &mut Conn<'_>,
    group: &GroupRow,
    membership_id: &MembershipId,
) -> DomainResult<()> {
    let removed = dispatch!(conn, c => diesel::delete(group_memberships::table
        .filter(group_memberships::group_id.eq(&group.id))
        .filter(group_memberships::membership_id.eq(membership_id)))
        .execute(c)
        .await)?;
    if removed == 0 {
        return Err(DomainError::NotFound);
    }
    memberships::keeps_a_team_admin(conn, &group.organization_id).await
}

/// A change to a group the caller is in must not give the caller permissions they did not
/// hold when the request began (another Team admin can).
async fn no_self_widening(conn: &mut Conn<'_>, access: &Access) -> DomainResult<()> {
    let held_now = memberships::effective_permissions(conn, &access.membership_id).await?;
    let added = held_now.beyond(access.permissions);
    if added.is_empty() {
        return Ok(());
    }
    Err(DomainError::Refused(
        format!(
            "This would give you permissions you do not hold ({}); ask another Team admin.",
            added.join(", ")
        )
        .into(),
    ))
}

/// The roles a group may hold, named by the URLs of a request body: the organization's
/// available roles (422 at the URL otherwise). Unlike a membership's, the list may be empty.
async fn group_role_ids(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    role_urls: &[String],
) -> DomainResult<Vec<RoleId>> {
    if role_urls.is_empty() {
        return Ok(Vec::new());
    }
    memberships::available_role_ids(conn, organization_id, role_urls).await
}

/// The memberships named by the URLs of a request body (`/membership-urls`): each must be a
/// membership of the organization, deactivated ones included (a removed one is gone: 422 at
/// the URL). Duplicates are ignored.
async fn membership_ids(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    membership_urls: &[String],
) -> DomainResult<Vec<MembershipId>> {
    let mut ids: Vec<MembershipId> = Vec::new();
    for (i, url) in membership_urls.iter().enumerate() {
        let found = match urls::parse::<MembershipKind>(url, urls::MEMBERSHIPS) {
            Some(id) => memberships::find(conn, &id).await?,
            None => None,
        };
        let row: MembershipRow = found
            .filter(|row| row.organization_id == *organization_id)
            .ok_or_else(|| {
                DomainError::unprocessable(
                    "membership-not-found",
                    format!("{url} is not a membership of this organization."),
                )
                .at(format!("/membership-urls/{i}"))
            })?;
        if !ids.contains(&row.id) {
            ids.push(row.id);
        }
    }
    Ok(ids)
}

/// 409 when the organization has another group named `name` (case aside).
async fn name_free(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    name: &DisplayName,
    except: Option<&GroupId>,
) -> DomainResult<()> {
    let others: Vec<(GroupId, String)> = dispatch!(conn, c => member_groups::table
        .filter(member_groups::organization_id.eq(organization_id))
        .select((member_groups::id, member_groups::display_name))
        .load(c)
        .await)?;
    let taken = others
        .iter()
        .any(|(id, other)| Some(id) != except && other.eq_ignore_ascii_case(name.as_str()));
    if taken {
        return Err(DomainError::conflict(
            "group-name-taken",
            format!(
                "This organization already has a group named {:?}.",
                name.as_str()
            ),
        ));
    }
    Ok(())
}

pub async fn find(conn: &mut Conn<'_>, id: &GroupId) -> QueryResult<Option<GroupRow>> {
    dispatch!(conn, c => member_groups::table
        .find(id)
        .select(GroupRow::as_select())
        .first(c)
        .await
        .optional())
}

async fn set_roles(conn: &mut Conn<'_>, id: &GroupId, role_ids: &[RoleId]) -> QueryResult<()> {
    dispatch!(conn, c => diesel::delete(group_roles::table.filter(group_roles::group_id.eq(id)))
        .execute(c)
        .await)?;
    for role_id in role_ids {
        let values = (
            group_roles::group_id.eq(id),
            group_roles::role_id.eq(role_id),
        );
        dispatch!(conn, c => diesel::insert_into(group_roles::table)
            .values(values)
            .execute(c)
            .await)?;
    }
    Ok(())
}

async fn add_members(
    conn: &mut Conn<'_>,
    id: &GroupId,
    membership_ids: &[MembershipId],
    now: Micros,
) -> QueryResult<()> {
    let present = members_of(conn, std::slice::from_ref(id))
        .await?
        .remove(id)
        .unwrap_or_default();
    for membership_id in membership_ids.iter().filter(|m| !present.contains(m)) {
        let values = (
            group_memberships::group_id.eq(id),
            group_memberships::membership_id.eq(membership_id),
            group_memberships::created_at.eq(now),
        );
        dispatch!(conn, c => diesel::insert_into(group_memberships::table)
            .values(values)
            .execute(c)
            .await)?;
    }
    Ok(())
}

/// The organization's groups named by the URLs of a request body (`/group-urls`): 422 at a
/// URL that is not one. Duplicates are ignored.
pub async fn named(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    group_urls: &[String],
) -> DomainResult<Vec<GroupId>> {
    let mut ids: Vec<GroupId> = Vec::new();
    for (i, url) in group_urls.iter().enumerate() {
        let found = match urls::parse::<GroupKind>(url, urls::GROUPS) {
            Some(id) => find(conn, &id).await?,
            None => None,
        };
        let row = found
            .filter(|row| row.organization_id == *organization_id)
            .ok_or_else(|| {
                DomainError::unprocessable(
                    "group-not-found",
                    format!("{url} is not a group of this organization."),
                )
                .at(format!("/group-urls/{i}"))
            })?;
        if !ids.contains(&row.id) {
            ids.push(row.id);
        }
    }
    Ok(ids)
}

/// Those of `ids` that are still groups (an invitation's may have been deleted since).
pub async fn existing(conn: &mut Conn<'_>, ids: &[GroupId]) -> QueryResult<Vec<GroupId>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    dispatch!(conn, c => member_groups::table
        .filter(member_groups::id.eq_any(ids))
        .order((member_groups::created_at.asc(), member_groups::id.asc()))
        .select(member_groups::id)
        .load(c)
        .await)
}

/// Adds a new membership to groups named by id (an accepted invitation's); groups deleted
/// since are skipped.
pub async fn add_to_groups(
    conn: &mut Conn<'_>,
    membership: &MembershipRow,
    group_ids: &[GroupId],
) -> QueryResult<()> {
    let now = time::now();
    for group_id in &existing(conn, group_ids).await? {
        add_members(conn, group_id, std::slice::from_ref(&membership.id), now).await?;
    }
    Ok(())
}

/// The role ids each of the given groups holds.
pub async fn role_ids_of(
    conn: &mut Conn<'_>,
    group_ids: &[GroupId],
) -> QueryResult<HashMap<GroupId, Vec<RoleId>>> {
    let pairs: Vec<(GroupId, RoleId)> = dispatch!(conn, c => group_roles::table
        .filter(group_roles::group_id.eq_any(group_ids))
        .select((group_roles::group_id, group_roles::role_id))
        .load(c)
        .await)?;
    Ok(group_pairs(pairs))
}

/// The roles a group holds, built-in ones first.
pub async fn roles(conn: &mut Conn<'_>, id: &GroupId) -> QueryResult<Vec<Role>> {
    let held = role_ids_of(conn, std::slice::from_ref(id))
        .await?
        .remove(id)
        .unwrap_or_default();
    custom::resolve(conn, &held).await
}

/// The members of each of the given groups.
pub async fn members_of(
    conn: &mut Conn<'_>,
    group_ids: &[GroupId],
) -> QueryResult<HashMap<GroupId, Vec<MembershipId>>> {
    let pairs: Vec<(GroupId, MembershipId)> = dispatch!(conn, c => group_memberships::table
        .filter(group_memberships::group_id.eq_any(group_ids))
        .select((group_memberships::group_id, group_memberships::membership_id))
        .load(c)
        .await)?;
    Ok(group_pairs(pairs))
}

fn group_pairs<T>(pairs: Vec<(GroupId, T)>) -> HashMap<GroupId, Vec<T>> {
    let mut by_group: HashMap<GroupId, Vec<T>> = HashMap::new();
    for (group_id, item) in pairs {
        by_group.entry(group_id).or_default().push(item);
    }
    by_group
}

/// The groups holding a role, by name (to say which, when the role cannot be deleted).
pub async fn names_holding_role(conn: &mut Conn<'_>, role_id: &RoleId) -> QueryResult<Vec<String>> {
    dispatch!(conn, c => member_groups::table
        .inner_join(group_roles::table)
        .filter(group_roles::role_id.eq(role_id))
        .order((member_groups::created_at.asc(), member_groups::id.asc()))
        .select(member_groups::display_name)
        .load(c)
        .await)
}

/// Which groups a list shows, and how it narrows them.
pub struct ListOf<'a> {
    pub organization_id: &'a OrganizationId,
    pub display_name: Option<&'a str>,
    pub membership_id: Option<&'a MembershipId>,
}

pub async fn list(
    conn: &mut Conn<'_>,
    of: ListOf<'_>,
    page: &PageRequest,
) -> QueryResult<Page<GroupRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = member_groups::table
            .filter(member_groups::organization_id.eq(of.organization_id))
            .select(GroupRow::as_select())
            .into_boxed();
        if let Some(name) = of.display_name {
            query = query.filter(member_groups::display_name.eq(name));
        }
        if let Some(membership_id) = of.membership_id {
            query = query.filter(member_groups::id.eq_any(
                group_memberships::table
                    .filter(group_memberships::membership_id.eq(membership_id))
                    .select(group_memberships::group_id),
            ));
        }
        paginate!(query, member_groups::created_at, member_groups::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, GroupRow::cursor))
}
