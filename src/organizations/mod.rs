//! Organizations: the tenant every other resource belongs to. A new organization and what it
//! starts with is made by [`crate::provision`].
//!
//! Each organization has an owner, one of its memberships: its founder's at first. The owner
//! cannot be removed or deactivated ([`crate::memberships`] asks [`owner_stays`]), and only
//! the owner hands the organization over to another active Team admin ([`transfer_ownership`]).

pub mod handlers;
pub mod view;

use std::borrow::Cow;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::access::Caller;
use crate::access::Granted;
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{
    Id, IdKind, LegalPersonId, MembershipId, MembershipKind, OrganizationId, SessionId, UserId,
};
use crate::memberships::{self, MembershipRow, MembershipStatus};
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::roles::custom::CustomRoleRow;
use crate::roles::{self, Role};
use crate::store::schema::{organizations, roles as roles_table};
use crate::store::{Conn, PreparedExt};
use crate::time::{self, Micros};
use crate::urls;

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
    /// `None` only for an organization without members, which no endpoint makes.
    pub owner_membership_id: Option<MembershipId>,
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

/// Who founds an organization, and the session they do it with: a user signed in with a
/// session. An API key already belongs to an organization, so it cannot found another.
pub fn founder(caller: &Caller) -> DomainResult<(&UserId, &SessionId)> {
    let Some(session_id) = caller.session_id() else {
        return Err(DomainError::Refused(
            "Organizations are created by users: log in with POST /v0/session and send \
             `Authorization: GriffinSession <token>`."
                .into(),
        ));
    };
    Ok((&caller.user_id, session_id))
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
        owner_membership_id: None,
    };
    dispatch!(conn, c => diesel::insert_into(organizations::table)
        .values(&row)
        .execute(c)
        .await)?;
    Ok(row)
}

/// Makes `membership_id` the organization's owner.
pub async fn set_owner(
    conn: &mut Conn<'_>,
    id: &OrganizationId,
    membership_id: &MembershipId,
) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(organizations::table.find(id))
        .set(organizations::owner_membership_id.eq(membership_id))
        .prepared()
        .execute(c)
        .await)?;
    Ok(())
}

/// Renames the organization (its mode never changes).
pub async fn rename(
    conn: &mut Conn<'_>,
    id: &OrganizationId,
    display_name: &DisplayName,
) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(organizations::table.find(id))
        .set(organizations::display_name.eq(display_name.as_str()))
        .prepared()
        .execute(c)
        .await)?;
    Ok(())
}

/// Refuses to remove or deactivate (`change`) the membership that owns its organization. Runs
/// behind the organization's lock, as ownership transfers do, so it sees the current owner.
pub async fn owner_stays(
    conn: &mut Conn<'_>,
    membership: &MembershipRow,
    change: OwnerChange,
) -> DomainResult<()> {
    let organization = find(conn, &membership.organization_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    if organization.owner_membership_id.as_ref() != Some(&membership.id) {
        return Ok(());
    }
    Err(match change {
        OwnerChange::Removal => DomainError::unprocessable(
            "owner-cannot-be-removed",
            "This membership owns the organization: transfer the ownership before removing it.",
        ),
        OwnerChange::Deactivation => DomainError::unprocessable(
            "owner-cannot-be-deactivated",
            "This membership owns the organization: transfer the ownership before deactivating it.",
        ),
    })
}

/// A change [`owner_stays`] refuses for the owner.
#[derive(Debug, Clone, Copy)]
pub enum OwnerChange {
    Removal,
    Deactivation,
}

/// Hands the organization over to the membership at `membership_url` (`/membership-url` of
/// the request): only its owner may (403), and only to another active member of the
/// organization holding Team admin (422).
pub async fn transfer_ownership(
    conn: &mut Conn<'_>,
    granted: &Granted<OrganizationRow>,
    membership_url: &str,
) -> DomainResult<()> {
    let Granted {
        resource: organization,
        access,
    } = granted;
    if organization.owner_membership_id.as_ref() != Some(&access.membership_id) {
        return Err(DomainError::Refused(
            "Only the organization's owner can transfer its ownership.".into(),
        ));
    }
    let refused = |code: &'static str, detail: &'static str| {
        DomainError::unprocessable(code, detail).at("/membership-url")
    };
    let new_owner = match urls::parse::<MembershipKind>(membership_url, urls::MEMBERSHIPS) {
        Some(id) => memberships::find(conn, &id).await?,
        None => None,
    }
    .filter(|m| m.organization_id == organization.id)
    .ok_or_else(|| {
        refused(
            "membership-not-available",
            "Not the URL of one of this organization's memberships.",
        )
    })?;
    if new_owner.id == access.membership_id {
        return Err(refused(
            "already-owner",
            "This membership owns the organization already.",
        ));
    }
    if new_owner.membership_status != MembershipStatus::Active {
        return Err(refused(
            "membership-deactivated",
            "The new owner must be an active member; reactivate the membership first.",
        ));
    }
    let admins = memberships::active_team_admins(conn, &organization.id).await?;
    if !admins.contains(&new_owner.id) {
        return Err(refused(
            "new-owner-not-team-admin",
            "The new owner must hold the Team admin role; give it to them first.",
        ));
    }
    set_owner(conn, &organization.id, &new_owner.id).await?;
    Ok(())
}
