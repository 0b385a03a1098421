//! Memberships: a user's place in an organization, with the roles they hold there.

pub mod handlers;

use crate::ids::{MembershipId, OrganizationId, RoleId, UserId};
use std::collections::HashMap;

use crate::store::PreparedExt;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use crate::dispatch;
use crate::organizations::{self, OrganizationView};
use crate::paginate;
use crate::paging::Cursor;
use crate::paging::{Page, PageRequest};
use crate::roles::custom;
use crate::roles::{self, RoleView};
use crate::store::Conn;
use crate::store::schema::{api_keys, membership_roles, memberships};
use crate::time::{self, Micros};
use crate::urls;
use crate::users::{self, UserView};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = memberships, treat_none_as_default_value = false)]
pub struct MembershipRow {
    pub id: MembershipId,
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub created_at: Micros,
    pub membership_status: String,
}

pub const ACTIVE: &str = "active";
pub const DEACTIVATED: &str = "deactivated";

impl crate::http::auth::OrganizationResource for MembershipRow {
    type Kind = crate::ids::MembershipKind;

    async fn find(
        conn: &mut Conn<'_>,
        id: &crate::ids::Id<crate::ids::MembershipKind>,
    ) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &str {
        &self.organization_id
    }
}

impl MembershipRow {
    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.created_at, &self.id)
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
        membership_status: ACTIVE.to_string(),
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

pub async fn set_status(conn: &mut Conn<'_>, id: &MembershipId, status: &str) -> QueryResult<()> {
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

/// Ids of the organization's active memberships that hold the Team admin role.
pub async fn active_team_admins(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
) -> QueryResult<Vec<String>> {
    let team_admin = roles::builtin_id(roles::TEAM_ADMIN)
        .map(|id| id.into_string())
        .unwrap_or_default();
    dispatch!(conn, c => memberships::table
        .inner_join(membership_roles::table)
        .filter(memberships::organization_id.eq(organization_id))
        .filter(memberships::membership_status.eq(ACTIVE))
        .filter(membership_roles::role_id.eq(&team_admin))
        .select(memberships::id)
        .load(c)
        .await)
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
    pub role_id: Option<String>,
    pub status: Option<String>,
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
            query = query.filter(memberships::membership_status.eq(status.clone()));
        }
        if let Some(role_id) = &filter.role_id {
            query = query.filter(memberships::id.eq_any(
                membership_roles::table
                    .filter(membership_roles::role_id.eq(role_id.clone()))
                    .select(membership_roles::membership_id),
            ));
        }
        paginate!(query, memberships::created_at, memberships::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, MembershipRow::cursor))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct MembershipView {
    pub membership_url: String,
    pub membership_roles_url: String,
    pub membership_permissions_url: String,
    pub membership_status: String,
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
            membership_status: row.membership_status,
            organization: OrganizationView::new(organization, &organization_roles),
            roles,
            user: UserView::new(user),
            created_at: time::format(row.created_at),
        });
    }
    Ok(views)
}
