//! Tell consents (open banking): an organization registers the consents its customers gave
//! Tell Money, so that Tell's later requests on those accounts can be checked against them.
//!
//! A consent is named by the caller's UUID (`tell-consent-id`), unique across the server
//! (its URL has no organization in it): registering one that exists is 409. It covers some
//! of the organization's accounts, with a scope (`accounts` with at least one permission,
//! `payments` with whatever permissions Tell returned, usually none) and goes
//! `authorised → consumed | revoked`, each end final: revoking a revoked consent is 422
//! `tell-consent-already-revoked`, and revoking a consumed one 422 `tell-consent-consumed`
//! (it has been used up; there is nothing left to revoke). Consuming is a simulation of ours
//! (test mode): Griffin consumes a payment consent when Tell makes the payment.
//!
//! The gateway (`tell-gateway-id`) is recorded as given: the sandbox has one Tell gateway,
//! which answers to any id, so Griffin's 404 "gateway not found" never happens here.

pub mod handlers;
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{BankAccountId, OrganizationId, TellConsentId, Uuid};
use crate::organizations::OrganizationRow;
use crate::store::Conn;
use crate::store::schema::{bank_accounts, tell_consent_accounts, tell_consents};
use crate::time::{self, Micros};
use crate::urls;

pub use view::TellConsentView;

crate::text_enum! {
    /// What the consent lets Tell do: read accounts, or make payments.
    pub enum TellConsentScope {
        Accounts = "accounts",
        Payments = "payments",
    }
}

crate::text_enum! {
    /// `authorised` until used up (`consumed`) or withdrawn (`revoked`); both final.
    pub enum TellConsentStatus {
        Authorised = "authorised",
        Consumed = "consumed",
        Revoked = "revoked",
    }
}

crate::text_enum! {
    /// Open Banking's account-access permissions, as Griffin names them.
    pub enum TellConsentPermission {
        ReadAccountsBasic = "ReadAccountsBasic",
        ReadAccountsDetail = "ReadAccountsDetail",
        ReadBalances = "ReadBalances",
        ReadBeneficiariesBasic = "ReadBeneficiariesBasic",
        ReadBeneficiariesDetail = "ReadBeneficiariesDetail",
        ReadDirectDebits = "ReadDirectDebits",
        ReadOffers = "ReadOffers",
        ReadPAN = "ReadPAN",
        ReadParty = "ReadParty",
        ReadPartyPSU = "ReadPartyPSU",
        ReadProducts = "ReadProducts",
        ReadScheduledPaymentsBasic = "ReadScheduledPaymentsBasic",
        ReadScheduledPaymentsDetail = "ReadScheduledPaymentsDetail",
        ReadStandingOrdersBasic = "ReadStandingOrdersBasic",
        ReadStandingOrdersDetail = "ReadStandingOrdersDetail",
        ReadStatementsBasic = "ReadStatementsBasic",
        ReadStatementsDetail = "ReadStatementsDetail",
        ReadTransactionsBasic = "ReadTransactionsBasic",
        ReadTransactionsCredits = "ReadTransactionsCredits",
        ReadTransactionsDebits = "ReadTransactionsDebits",
        ReadTransactionsDetail = "ReadTransactionsDetail",
    }
}

/// A consent's permissions, stored as their names separated by spaces (none: empty text).
#[derive(
    Debug, Clone, PartialEq, Eq, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct PermissionList {
    text: String,
    items: Vec<TellConsentPermission>,
}

impl PermissionList {
    pub fn new(items: Vec<TellConsentPermission>) -> Self {
        let names: Vec<&str> = items.iter().map(|p| p.as_str()).collect();
        PermissionList {
            text: names.join(" "),
            items,
        }
    }

    pub fn items(&self) -> &[TellConsentPermission] {
        &self.items
    }
}

impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for PermissionList
where
    DB: diesel::backend::Backend,
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, DB>,
    ) -> diesel::serialize::Result {
        <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(&self.text, out)
    }
}

/// An unknown name in the column is an error, never dropped.
impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for PermissionList
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        let text =
            <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)?;
        let items = text
            .split_whitespace()
            .map(|name| {
                TellConsentPermission::parse(name)
                    .ok_or_else(|| format!("`{name}` is not a Tell consent permission"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PermissionList { text, items })
    }
}

/// A consent as a request describes it, already checked at the edge (UUIDs, enums, the
/// permissions its scope needs).
pub struct NewTellConsent {
    pub uuid: Uuid,
    pub gateway: Uuid,
    pub scope: TellConsentScope,
    pub permissions: Vec<TellConsentPermission>,
    /// The accounts' ids, each once, in the order given (with the index each had, for the
    /// error's pointer).
    pub accounts: Vec<(usize, BankAccountId)>,
    pub expiry: Option<Micros>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tell_consents, treat_none_as_default_value = false)]
pub struct TellConsentRow {
    pub id: TellConsentId,
    pub organization_id: OrganizationId,
    pub consent_uuid: String,
    pub tell_gateway_id: String,
    pub tell_consent_scope: TellConsentScope,
    pub tell_consent_permissions: PermissionList,
    pub tell_consent_status: TellConsentStatus,
    pub tell_consent_expiry: Option<Micros>,
    pub consumed_at: Option<Micros>,
    pub revoked_at: Option<Micros>,
    pub created_at: Micros,
}

/// A consent with the accounts it covers, in their order.
#[derive(Debug, Clone)]
pub struct TellConsent {
    pub row: TellConsentRow,
    pub account_ids: Vec<BankAccountId>,
}

impl crate::access::Owned for TellConsentRow {
    type Kind = crate::ids::TellConsentKind;

    async fn find(conn: &mut Conn<'_>, id: &TellConsentId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

pub async fn find(conn: &mut Conn<'_>, id: &TellConsentId) -> QueryResult<Option<TellConsentRow>> {
    dispatch!(conn, c => tell_consents::table
        .find(id)
        .select(TellConsentRow::as_select())
        .first(c)
        .await
        .optional())
}

/// The consent with the accounts it covers.
pub async fn with_accounts(conn: &mut Conn<'_>, row: TellConsentRow) -> QueryResult<TellConsent> {
    let account_ids = dispatch!(conn, c => tell_consent_accounts::table
        .filter(tell_consent_accounts::tell_consent_id.eq(&row.id))
        .order(tell_consent_accounts::position.asc())
        .select(tell_consent_accounts::account_id)
        .load::<BankAccountId>(c)
        .await)?;
    Ok(TellConsent { row, account_ids })
}

/// 422 `bank-account-not-found` (pointing at the URL) unless every account is one of the
/// organization's.
async fn check_accounts(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    accounts: &[(usize, BankAccountId)],
) -> DomainResult<()> {
    let ids: Vec<&BankAccountId> = accounts.iter().map(|(_, id)| id).collect();
    let own: Vec<BankAccountId> = dispatch!(conn, c => bank_accounts::table
        .filter(bank_accounts::id.eq_any(&ids))
        .filter(bank_accounts::organization_id.eq(organization_id))
        .select(bank_accounts::id)
        .load(c)
        .await)?;
    match accounts.iter().find(|(_, id)| !own.contains(id)) {
        None => Ok(()),
        Some((index, id)) => Err(DomainError::unprocessable(
            "bank-account-not-found",
            format!(
                "{} is not a bank account of this organization.",
                urls::bank_account(id)
            ),
        )
        .at(format!("/bank-account-urls/{index}"))),
    }
}

fn already_exists(uuid: &Uuid) -> DomainError {
    DomainError::conflict(
        "tell-consent-already-exists",
        format!("A Tell consent with the id {uuid} is already registered."),
    )
}

/// Registers a consent of the organization: its accounts must be the organization's (422),
/// its id new (409).
pub async fn register(
    conn: &mut Conn<'_>,
    organization: &OrganizationRow,
    new: NewTellConsent,
) -> DomainResult<TellConsent> {
    let id = TellConsentId::from_bytes(new.uuid.0);
    if find(conn, &id).await?.is_some() {
        return Err(already_exists(&new.uuid));
    }
    check_accounts(conn, &organization.id, &new.accounts).await?;
    let row = TellConsentRow {
        id,
        organization_id: organization.id.clone(),
        consent_uuid: new.uuid.to_string(),
        tell_gateway_id: new.gateway.to_string(),
        tell_consent_scope: new.scope,
        tell_consent_permissions: PermissionList::new(new.permissions),
        tell_consent_status: TellConsentStatus::Authorised,
        tell_consent_expiry: new.expiry,
        consumed_at: None,
        revoked_at: None,
        created_at: time::now(),
    };
    // Two requests racing past the check above meet the primary key.
    dispatch!(conn, c => diesel::insert_into(tell_consents::table).values(&row).execute(c).await)
        .map_err(|error| {
        if crate::store::is_unique_violation(&error) {
            already_exists(&new.uuid)
        } else {
            error.into()
        }
    })?;
    for (position, (_, account)) in new.accounts.iter().enumerate() {
        dispatch!(conn, c => diesel::insert_into(tell_consent_accounts::table)
            .values((
                tell_consent_accounts::tell_consent_id.eq(&row.id),
                tell_consent_accounts::position.eq(position as i32),
                tell_consent_accounts::account_id.eq(account),
            ))
            .execute(c)
            .await)?;
    }
    let account_ids = new.accounts.into_iter().map(|(_, id)| id).collect();
    Ok(TellConsent { row, account_ids })
}

/// An authorised consent's move to `to` (revoked or consumed); 422 from any other status.
fn check_authorised(row: &TellConsentRow, to: TellConsentStatus) -> DomainResult<()> {
    let refused = |code, detail| Err(DomainError::unprocessable(code, detail));
    match (row.tell_consent_status, to) {
        (TellConsentStatus::Authorised, _) => Ok(()),
        (TellConsentStatus::Revoked, TellConsentStatus::Revoked) => refused(
            "tell-consent-already-revoked",
            "The Tell consent is already revoked.",
        ),
        (TellConsentStatus::Revoked, _) => refused(
            "tell-consent-revoked",
            "The Tell consent is revoked; it cannot be consumed.",
        ),
        (TellConsentStatus::Consumed, TellConsentStatus::Revoked) => refused(
            "tell-consent-consumed",
            "The Tell consent has been consumed; there is nothing left to revoke.",
        ),
        (TellConsentStatus::Consumed, _) => refused(
            "tell-consent-already-consumed",
            "The Tell consent is already consumed.",
        ),
    }
}

/// Ends an authorised consent: `revoked` (the customer withdrew it) or `consumed` (used up).
pub async fn end(
    conn: &mut Conn<'_>,
    row: &TellConsentRow,
    to: TellConsentStatus,
) -> DomainResult<TellConsent> {
    check_authorised(row, to)?;
    let now = time::now();
    let mut updated = row.clone();
    updated.tell_consent_status = to;
    if to == TellConsentStatus::Revoked {
        updated.revoked_at = Some(now);
    } else {
        updated.consumed_at = Some(now);
    }
    dispatch!(conn, c => diesel::update(tell_consents::table.find(&row.id))
        .set((
            tell_consents::tell_consent_status.eq(updated.tell_consent_status),
            tell_consents::revoked_at.eq(updated.revoked_at),
            tell_consents::consumed_at.eq(updated.consumed_at),
        ))
        .execute(c)
        .await)?;
    Ok(with_accounts(conn, updated).await?)
}
