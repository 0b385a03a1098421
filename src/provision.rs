//! A new organization and everything it starts with. This is the one path every new
//! organization takes (`POST /v0/organizations`, `hyperbank bootstrap`, the sandbox on an
//! empty database); each area that provisions something per organization adds it here,
//! inside the caller's transaction. Workflows and bank products need nothing stored: they
//! are derived from the organization's id.

use crate::bank_accounts;
use crate::error::DomainResult;
use crate::ids::{RoleId, UserId};
use crate::legal_persons;
use crate::memberships::{self, MembershipRow};
use crate::money::MinorUnits;
use crate::organizations::{self, DisplayName, OrganizationRow};
use crate::roles;
use crate::store::Conn;

/// Creates a test-mode organization whose founder becomes its first member and its owner, with
/// the founder roles (Team admin, Compliance, Approve own payments); its own legal person (a corporation,
/// already onboarded) and its primary account, credited with `test_money`.
pub async fn provision(
    conn: &mut Conn<'_>,
    display_name: &DisplayName,
    founder: &UserId,
    test_money: MinorUnits,
) -> DomainResult<(OrganizationRow, MembershipRow)> {
    let mut organization = organizations::insert(conn, display_name).await?;
    let founder_roles: Vec<RoleId> = roles::FOUNDER_ROLES
        .iter()
        .filter_map(|key| roles::builtin_id(key))
        .collect();
    let membership = memberships::insert(conn, &organization.id, founder, &founder_roles).await?;
    organizations::set_owner(conn, &organization.id, &membership.id).await?;
    organization.owner_membership_id = Some(membership.id.clone());
    own_legal_person(conn, &organization).await?;
    bank_accounts::open_primary(conn, &organization, display_name.as_str(), test_money).await?;
    Ok((organization, membership))
}

/// The organization as a customer of the bank: a corporation, already onboarded.
async fn own_legal_person(conn: &mut Conn<'_>, organization: &OrganizationRow) -> DomainResult<()> {
    let mut own = legal_persons::new_row(
        organization.own_legal_person_id.clone(),
        &organization.id,
        legal_persons::LegalPersonType::Corporation,
        &organization.display_name,
    );
    own.legal_name = Some(organization.display_name.clone());
    own.application_status = Some(legal_persons::ApplicationStatus::Accepted);
    own.legal_person_status = Some(legal_persons::LegalPersonStatus::Onboarded);
    legal_persons::insert(conn, &own).await?;
    Ok(())
}
