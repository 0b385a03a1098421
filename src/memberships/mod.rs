//! Memberships: a user's place in an organization, with the roles they hold there.

pub mod handlers;

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use crate::dispatch;
use crate::http::pagination::Cursor;
use crate::http::{Page, PageRequest};
use crate::ids::MembershipId;
use crate::organizations::{self, OrganizationView};
use crate::paginate;
use crate::roles::{self, RoleView};
use crate::store::Conn;
use crate::store::schema::{membership_roles, memberships};
use crate::time::{self, Micros};
use crate::urls;
use crate::users::{self, UserView};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = memberships)]
pub struct MembershipRow {
    pub id: String,
    pub organization_id: String,
    pub user_id: String,
    pub created_at: Micros,
}

impl MembershipRow {
    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.created_at, &self.id)
    }
}

/// Adds `user_id` to `organization_id` with the given roles.
pub async fn insert(
    conn: &mut Conn<'_>,
    organization_id: &str,
    user_id: &str,
    role_ids: &[String],
) -> QueryResult<MembershipRow> {
    let row = MembershipRow {
        id: MembershipId::generate().into_string(),
        organization_id: organization_id.to_string(),
        user_id: user_id.to_string(),
        created_at: time::now(),
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

pub async fn find(conn: &mut Conn<'_>, id: &str) -> QueryResult<Option<MembershipRow>> {
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
    membership_ids: &[String],
) -> QueryResult<HashMap<String, Vec<String>>> {
    let pairs: Vec<(String, String)> = dispatch!(conn, c => membership_roles::table
        .filter(membership_roles::membership_id.eq_any(membership_ids))
        .select((membership_roles::membership_id, membership_roles::role_id))
        .load(c)
        .await)?;
    let mut by_membership: HashMap<String, Vec<String>> = HashMap::new();
    for (membership_id, role_id) in pairs {
        by_membership
            .entry(membership_id)
            .or_default()
            .push(role_id);
    }
    Ok(by_membership)
}

/// Which memberships a list shows.
pub enum Scope<'a> {
    Organization(&'a str),
    /// One user's memberships; `visible_to` limits them to one organization unless the
    /// caller is that user.
    User {
        user_id: &'a str,
        only_organization: Option<&'a str>,
    },
}

pub async fn list(
    conn: &mut Conn<'_>,
    scope: Scope<'_>,
    page: &PageRequest,
) -> QueryResult<Page<MembershipRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = memberships::table.select(MembershipRow::as_select()).into_boxed();
        match scope {
            Scope::Organization(organization_id) => {
                query = query.filter(memberships::organization_id.eq(organization_id));
            }
            Scope::User { user_id, only_organization } => {
                query = query.filter(memberships::user_id.eq(user_id));
                if let Some(organization_id) = only_organization {
                    query = query.filter(memberships::organization_id.eq(organization_id));
                }
            }
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
    pub organization: OrganizationView,
    pub roles: Vec<RoleView>,
    pub user: UserView,
    pub created_at: String,
}

/// Loads everything the views of `rows` embed (organizations, users, roles) in three
/// queries, whatever the number of rows.
pub async fn views(
    conn: &mut Conn<'_>,
    rows: Vec<MembershipRow>,
) -> QueryResult<Vec<MembershipView>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let organization_ids: Vec<String> = rows.iter().map(|r| r.organization_id.clone()).collect();
    let user_ids: Vec<String> = rows.iter().map(|r| r.user_id.clone()).collect();
    let mut roles_of = role_ids(conn, &ids).await?;
    let organizations: HashMap<String, _> = organizations::find_many(conn, &organization_ids)
        .await?
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
    let users: HashMap<String, _> = users::find_many(conn, &user_ids)
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
        let id = MembershipId::from_db(row.id);
        views.push(MembershipView {
            membership_url: urls::membership(&id),
            membership_roles_url: urls::membership_roles(&id),
            organization: OrganizationView::new(organization),
            roles: roles::views_of(&roles_of.remove(id.as_str()).unwrap_or_default()),
            user: UserView::new(user),
            created_at: time::format(row.created_at),
        });
    }
    Ok(views)
}
