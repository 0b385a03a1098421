//! Organizations: the tenant every other resource belongs to. A new organization and what it
//! starts with is made by [`crate::provision`].

pub mod handlers;
pub mod view;

use std::borrow::Cow;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::access::Caller;
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{Id, IdKind, LegalPersonId, OrganizationId, UserId};
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::roles::custom::CustomRoleRow;
use crate::roles::{self, Role};
use crate::store::Conn;
use crate::store::schema::{organizations, roles as roles_table};
use crate::time::{self, Micros};

pub use view::OrganizationView;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = organizations, treat_none_as_default_value = false)]
pub struct OrganizationRow {
    pub id: OrganizationId,
    pub display_name: String,
    pub organization_mode: OrganizationMode,
    pub own_legal_person_id: LegalPersonId,
    pub can_decide_on_verifications: bool,
    pub created_at: Micros,
}

crate::text_enum! {
    /// Test-mode organizations get test money and the sandbox's simulations.
    pub enum OrganizationMode {
        TestMode = "test-mode",
        LiveMode = "live-mode",
    }
}

impl crate::access::Owned for OrganizationRow {
    type Kind = crate::ids::OrganizationKind;

    async fn find(conn: &mut Conn<'_>, id: &OrganizationId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.id
    }
}

/// A display name (of an organization, a role, a legal person, an account): 1–64 characters,
/// as Griffin's schema says, and not only spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// The name of a request body's `display-name`: a 400 pointing at it otherwise.
    pub fn parse(text: &str) -> DomainResult<Self> {
        check_display_name(text)?;
        Ok(DisplayName(text.to_string()))
    }

    /// [`DisplayName::parse`] for a name carried elsewhere in the body, at `pointer`.
    pub fn parse_at(text: String, pointer: impl Into<Cow<'static, str>>) -> DomainResult<Self> {
        check_display_name(&text).map_err(|e| e.at(pointer))?;
        Ok(DisplayName(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Whether `name` makes a [`DisplayName`].
pub fn valid_display_name(name: &str) -> bool {
    let chars = name.chars().count();
    (1..=64).contains(&chars) && !name.trim().is_empty()
}

/// [`valid_display_name`] for a request body's `display-name`: a 400 pointing at it (another
/// place in the body with [`DomainError::at`]).
pub fn check_display_name(name: &str) -> DomainResult<()> {
    if valid_display_name(name) {
        Ok(())
    } else {
        Err(DomainError::invalid_value(
            "`display-name` must be 1 to 64 characters.",
            "/display-name",
        ))
    }
}

/// Who founds an organization: a user signed in with a session. An API key already belongs
/// to an organization, so it cannot found another.
pub fn founder(caller: &Caller) -> DomainResult<&UserId> {
    if caller.session_id().is_none() {
        return Err(DomainError::Refused(
            "Organizations are created by users: log in with POST /v0/session and send \
             `Authorization: GriffinSession <token>`."
                .into(),
        ));
    }
    Ok(&caller.user_id)
}

/// The item of a per-organization catalogue defined in code (workflows, bank products) whose
/// id, as derived for one of `organization_ids` by `id_of`, is `id`; with that organization.
pub fn find_in_catalogue<'a, T, K: IdKind>(
    items: &'static [T],
    id: &Id<K>,
    organization_ids: &'a [OrganizationId],
    id_of: impl Fn(&OrganizationId, &T) -> Id<K>,
) -> Option<(&'static T, &'a OrganizationId)> {
    organization_ids.iter().find_map(|organization_id| {
        items
            .iter()
            .find(|item| id_of(organization_id, item) == *id)
            .map(|item| (item, organization_id))
    })
}

pub async fn find(
    conn: &mut Conn<'_>,
    id: &OrganizationId,
) -> QueryResult<Option<OrganizationRow>> {
    dispatch!(conn, c => organizations::table
        .find(id)
        .select(OrganizationRow::as_select())
        .first(c)
        .await
        .optional())
}

/// The organization and the roles its members can hold (built-in, then its own), in one
/// query: this is the most read resource of all.
pub async fn find_with_roles(
    conn: &mut Conn<'_>,
    id: &OrganizationId,
) -> QueryResult<Option<(OrganizationRow, Vec<Role>)>> {
    let rows: Vec<(OrganizationRow, Option<CustomRoleRow>)> = dispatch!(conn, c => organizations::table
        .left_join(roles_table::table.on(roles_table::organization_id.eq(organizations::id)))
        .filter(organizations::id.eq(id))
        .order((roles_table::created_at.asc(), roles_table::id.asc()))
        .select((OrganizationRow::as_select(), Option::<CustomRoleRow>::as_select()))
        .load(c)
        .await)?;
    let mut rows = rows.into_iter();
    let Some((organization, first_custom)) = rows.next() else {
        return Ok(None);
    };
    let mut roles = roles::builtin_roles();
    roles.extend(
        first_custom
            .into_iter()
            .chain(rows.filter_map(|(_, custom)| custom))
            .map(|custom| custom.to_role()),
    );
    Ok(Some((organization, roles)))
}

pub async fn find_many(
    conn: &mut Conn<'_>,
    ids: &[OrganizationId],
) -> QueryResult<Vec<OrganizationRow>> {
    dispatch!(conn, c => organizations::table
        .filter(organizations::id.eq_any(ids))
        .select(OrganizationRow::as_select())
        .load(c)
        .await)
}

/// A page of the given organizations.
pub async fn list(
    conn: &mut Conn<'_>,
    ids: &[OrganizationId],
    page: &PageRequest,
) -> QueryResult<Page<OrganizationRow>> {
    let rows = dispatch!(conn, c => {
        let query = organizations::table
            .filter(organizations::id.eq_any(ids))
            .select(OrganizationRow::as_select())
            .into_boxed();
        paginate!(query, organizations::created_at, organizations::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, |o| {
        Cursor::new(o.created_at, o.id.as_str())
    }))
}

pub async fn any_exist(conn: &mut Conn<'_>) -> QueryResult<bool> {
    let found: Option<OrganizationId> = dispatch!(conn, c => organizations::table
        .select(organizations::id)
        .first(c)
        .await
        .optional())?;
    Ok(found.is_some())
}

/// Inserts a new test-mode organization (its own legal person's id reserved): the first step
/// of [`crate::provision::provision`].
pub async fn insert(
    conn: &mut Conn<'_>,
    display_name: &DisplayName,
) -> QueryResult<OrganizationRow> {
    let row = OrganizationRow {
        id: OrganizationId::generate(),
        display_name: display_name.as_str().to_string(),
        organization_mode: OrganizationMode::TestMode,
        own_legal_person_id: LegalPersonId::generate(),
        can_decide_on_verifications: true,
        created_at: time::now(),
    };
    dispatch!(conn, c => diesel::insert_into(organizations::table)
        .values(&row)
        .execute(c)
        .await)?;
    Ok(row)
}
