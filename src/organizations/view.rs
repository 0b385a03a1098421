//! An organization as Griffin shows it, with a link to every collection below it; in the
//! answers of our own operations, with its owner too.

use diesel::QueryResult;
use serde::Serialize;

use super::{OrganizationMode, OrganizationRow};
use crate::error::{DomainError, DomainResult};
use crate::ids::OrganizationId;
use crate::roles::{self, Role, RoleView, custom};
use crate::store::Conn;
use crate::urls;

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
    /// Ours: only in the answers of our own operations ([`OrganizationView::with_owner`]).
    /// Griffin's organization is a closed object, so its operations (and the organization
    /// inside a membership) leave it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_membership_url: Option<String>,
}

impl OrganizationView {
    /// Griffin's organization. `available_roles`: the built-in roles and the organization's own.
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
            owner_membership_url: None,
        }
    }

    /// [`OrganizationView::new`] with `owner-membership-url`, for our own operations.
    pub fn with_owner(row: OrganizationRow, available_roles: &[Role]) -> Self {
        let owner = row.owner_membership_id.as_ref().map(urls::membership);
        OrganizationView {
            owner_membership_url: owner,
            ..OrganizationView::new(row, available_roles)
        }
    }
}

/// Griffin's view of the organization `id`, with its available roles, in one query.
pub async fn view(conn: &mut Conn<'_>, id: &OrganizationId) -> DomainResult<OrganizationView> {
    let (row, roles) = super::find_with_roles(conn, id)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok(OrganizationView::new(row, &roles))
}

/// [`view`] with the owner, for our own operations.
pub async fn view_with_owner(
    conn: &mut Conn<'_>,
    id: &OrganizationId,
) -> DomainResult<OrganizationView> {
    let (row, roles) = super::find_with_roles(conn, id)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok(OrganizationView::with_owner(row, &roles))
}

/// The views of `rows` with their owners (the list is ours), with the available roles of all
/// of them read in one query.
pub async fn views(
    conn: &mut Conn<'_>,
    rows: Vec<OrganizationRow>,
) -> QueryResult<Vec<OrganizationView>> {
    let ids: Vec<OrganizationId> = rows.iter().map(|o| o.id.clone()).collect();
    let mut available = custom::available_for_many(conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let roles = available.remove(&row.id).unwrap_or_default();
            OrganizationView::with_owner(row, &roles)
        })
        .collect())
}
