//! Organizations: the tenant every other resource belongs to.

pub mod handlers;

use crate::ids::UserId;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use crate::bank_accounts;
use crate::dispatch;
use crate::ids::{LegalPersonId, OrganizationId, RoleId};
use crate::legal_persons;
use crate::memberships::{self, MembershipRow};
use crate::money::MinorUnits;
use crate::paginate;
use crate::paging::Cursor;
use crate::paging::{Page, PageRequest};
use crate::roles::custom::CustomRoleRow;
use crate::roles::{self, Role, RoleView};
use crate::store::schema::{organizations, roles as roles_table};
use crate::store::{Conn, RawConn};
use crate::time::{self, Micros};
use crate::urls;

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

/// The item of a per-organization catalogue defined in code (workflows, bank products) whose
/// id, as derived for one of `organization_ids` by `id_of`, is `id`; with that organization.
pub fn find_in_catalogue<'a, T, K: crate::ids::IdKind>(
    items: &'static [T],
    id: &crate::ids::Id<K>,
    organization_ids: &'a [OrganizationId],
    id_of: impl Fn(&OrganizationId, &T) -> crate::ids::Id<K>,
) -> Option<(&'static T, &'a OrganizationId)> {
    organization_ids.iter().find_map(|organization_id| {
        items
            .iter()
            .find(|item| id_of(organization_id, item) == *id)
            .map(|item| (item, organization_id))
    })
}

/// Display names (of organizations, roles, legal persons) are 1–64 characters, as Griffin's
/// schema says, and not only spaces.
pub fn valid_display_name(name: &str) -> bool {
    let chars = name.chars().count();
    (1..=64).contains(&chars) && !name.trim().is_empty()
}

/// [`valid_display_name`] for a request body's `display-name`: a 400 pointing at it.
pub fn check_display_name(name: &str) -> Result<(), crate::http::ApiError> {
    if valid_display_name(name) {
        Ok(())
    } else {
        Err(crate::http::ApiError::invalid_body(
            "Invalid value",
            "`display-name` must be 1 to 64 characters.",
            "/display-name",
        ))
    }
}

pub async fn find(
    conn: &mut Conn<'_>,
    id: &crate::ids::OrganizationId,
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
    id: &str,
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

/// Takes the organization's row lock until the transaction ends (PostgreSQL; SQLite's writers
/// are already one at a time), so that rules spanning several rows — such as "at least one
/// active Team admin" — are checked and changed by one transaction at a time.
pub async fn lock(conn: &mut Conn<'_>, id: &str) -> QueryResult<()> {
    if let RawConn::Postgres(c) = &mut conn.raw {
        organizations::table
            .find(id)
            .select(organizations::id)
            .for_update()
            .first::<String>(&mut **c)
            .await
            .optional()?;
    }
    Ok(())
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
        Cursor::new(o.created_at, &o.id)
    }))
}

pub async fn any_exist(conn: &mut Conn<'_>) -> QueryResult<bool> {
    let found: Option<String> = dispatch!(conn, c => organizations::table
        .select(organizations::id)
        .first(c)
        .await
        .optional())?;
    Ok(found.is_some())
}

/// Creates a test-mode organization whose creator becomes its first member, with the founder
/// roles (Team admin, Compliance, Approve own payments). This is the one path every new
/// organization takes; each area that provisions something per organization (its own legal
/// person, primary account, workflows, products) adds it here, inside the caller's
/// transaction.
pub async fn provision(
    conn: &mut Conn<'_>,
    display_name: &str,
    creator_user_id: &UserId,
    test_money: MinorUnits,
) -> QueryResult<(OrganizationRow, MembershipRow)> {
    let organization = insert(conn, display_name).await?;
    let founder_roles: Vec<RoleId> = roles::FOUNDER_ROLES
        .iter()
        .filter_map(|key| roles::builtin_id(key))
        .collect();
    let membership =
        memberships::insert(conn, &organization.id, creator_user_id, &founder_roles).await?;
    // The organization as a customer of the bank: a corporation, already onboarded.
    let mut own = legal_persons::new_row(
        organization.own_legal_person_id.clone(),
        &organization.id,
        legal_persons::LegalPersonType::Corporation,
        display_name,
    );
    own.legal_name = Some(display_name.to_string());
    own.application_status = Some(legal_persons::ApplicationStatus::Accepted);
    own.legal_person_status = Some(legal_persons::LegalPersonStatus::Onboarded);
    legal_persons::insert(conn, &own).await?;
    bank_accounts::open_primary(conn, &organization, display_name, test_money).await?;
    Ok((organization, membership))
}

async fn insert(conn: &mut Conn<'_>, display_name: &str) -> QueryResult<OrganizationRow> {
    let row = OrganizationRow {
        id: OrganizationId::generate(),
        display_name: display_name.to_string(),
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

/// An organization as Griffin shows it, with a link to every collection below it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct OrganizationView {
    pub organization_url: String,
    pub display_name: String,
    pub organization_mode: OrganizationMode,
    #[serde(rename = "can-decide-on-verifications?")]
    pub can_decide_on_verifications: bool,
    pub own_legal_person_url: String,
    pub available_roles: Vec<RoleView>,
    pub organization_memberships_url: String,
    pub organization_invitations_url: String,
    pub organization_payments_url: String,
    pub organization_payments_search_url: String,
    pub organization_bank_accounts_url: String,
    pub organization_bank_accounts_search_url: String,
    pub organization_bank_account_products_url: String,
    pub organization_onboarding_applications_url: String,
    pub organization_api_keys_url: String,
    pub organization_live_access_url: String,
    pub organization_webhooks_url: String,
    pub organization_workflows_url: String,
    pub organization_individuals_url: String,
    pub organization_corporations_url: String,
    pub organization_legal_persons_url: String,
    pub organization_legal_persons_search_url: String,
    pub organization_events_url: String,
}

impl OrganizationView {
    /// `available_roles`: the built-in roles and the organization's own.
    pub fn new(row: OrganizationRow, available_roles: &[Role]) -> Self {
        let id = row.id;
        let sub = |tail: &str| urls::organization_sub(&id, tail);
        OrganizationView {
            organization_memberships_url: sub("memberships"),
            organization_invitations_url: sub("invitations"),
            organization_payments_url: sub("payments"),
            organization_payments_search_url: sub("payments/search"),
            organization_bank_accounts_url: sub("bank/accounts"),
            organization_bank_accounts_search_url: sub("bank/accounts/search"),
            organization_bank_account_products_url: sub("bank/products"),
            organization_onboarding_applications_url: sub("onboarding/applications"),
            organization_api_keys_url: sub("api-keys"),
            organization_live_access_url: sub("live-access"),
            organization_webhooks_url: sub("webhooks"),
            organization_workflows_url: sub("workflows"),
            organization_individuals_url: sub("individuals"),
            organization_corporations_url: sub("corporations"),
            organization_legal_persons_url: sub("legal-persons"),
            organization_legal_persons_search_url: sub("legal-persons/search"),
            organization_events_url: sub("events"),
            organization_url: urls::organization(&id),
            display_name: row.display_name,
            organization_mode: row.organization_mode,
            can_decide_on_verifications: row.can_decide_on_verifications,
            own_legal_person_url: urls::legal_person(&row.own_legal_person_id),
            available_roles: roles::views(available_roles),
        }
    }
}
