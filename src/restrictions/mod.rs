//! Bank account restrictions: a `freeze` stops money leaving an account, a `block` stops it
//! moving either way. Several can be active at once; the account keeps a count of each type
//! (changed in the same transaction), which the ledger's conditional update reads.

pub mod handlers;
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::access::Owned;
use crate::bank_accounts::{AccountStatus, BankAccountRow};
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{BankAccountId, OrganizationId, RestrictionEventId, RestrictionId, UserId};
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::store::schema::{bank_accounts, restriction_events, restrictions, users};
use crate::store::{Conn, PreparedExt};
use crate::time::{self, Micros};

pub use view::{RestrictionEventView, RestrictionView};

crate::text_enum! {
    pub enum RestrictionStatus {
        Active = "active",
        Lifted = "lifted",
    }
}

crate::text_enum! {
    /// A freeze stops money leaving an account; a block stops it moving either way.
    pub enum RestrictionType {
        Block = "block",
        Freeze = "freeze",
    }
}

crate::text_enum! {
    /// The reasons a customer's organization may give; Griffin keeps `suspicious`, `fraud` and
    /// `high-risk-pep` for its own restrictions.
    pub enum ReasonCode {
        CustomerRequest = "customer-request",
        Deceased = "deceased",
        Dormant = "dormant",
        Fraud1stParty = "fraud-1st-party",
        Fraud3rdParty = "fraud-3rd-party",
        FraudAppPerpetrator = "fraud-app-perpetrator",
        FraudAppVictim = "fraud-app-victim",
        LawEnforcement = "law-enforcement",
        MoneyLaundering = "money-laundering",
        Other = "other",
        RiskAppetite = "risk-appetite",
        Sanctions = "sanctions",
        TerroristFinancing = "terrorist-financing",
    }
}

crate::text_enum! {
    pub enum LegalStatus {
        NotApplicable = "not-applicable",
        Suspected = "suspected",
        FormalChargeFiled = "formal-charge-filed",
        ConvictionConfirmed = "conviction-confirmed",
    }
}

crate::text_enum! {
    /// What happened to a restriction, in its history.
    pub enum RestrictionEventType {
        Applied = "restriction-applied",
        Updated = "restriction-updated",
        Lifted = "restriction-lifted",
    }
}

/// Most characters of the notes that go with each change.
pub const MAX_NOTES: usize = 2000;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = restrictions, treat_none_as_default_value = false)]
pub struct RestrictionRow {
    pub id: RestrictionId,
    pub organization_id: OrganizationId,
    pub account_id: BankAccountId,
    pub restriction_status: RestrictionStatus,
    pub restriction_type: RestrictionType,
    pub restriction_reason_code: ReasonCode,
    pub restriction_legal_status: LegalStatus,
    pub applied_by_user_id: UserId,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl Owned for RestrictionRow {
    type Kind = crate::ids::RestrictionKind;

    async fn find(conn: &mut Conn<'_>, id: &RestrictionId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }

    /// A restriction changes its account's counts: changes queue on the account's row, and
    /// the restriction is read again behind that lock.
    async fn lock(
        conn: &mut Conn<'_>,
        id: &RestrictionId,
        organization_id: &OrganizationId,
    ) -> QueryResult<Option<Self>> {
        let Some(found) = find(conn, id).await? else {
            return Ok(None);
        };
        BankAccountRow::lock(conn, &found.account_id, organization_id).await?;
        find(conn, id).await
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = restriction_events, treat_none_as_default_value = false)]
pub struct RestrictionEventRow {
    pub id: RestrictionEventId,
    pub restriction_id: RestrictionId,
    pub restriction_event_type: RestrictionEventType,
    pub restriction_type: RestrictionType,
    pub restriction_reason_code: ReasonCode,
    pub restriction_legal_status: LegalStatus,
    pub notes: String,
    pub user_id: UserId,
    pub created_at: Micros,
}

pub async fn find(
    conn: &mut Conn<'_>,
    id: &crate::ids::RestrictionId,
) -> QueryResult<Option<RestrictionRow>> {
    dispatch!(conn, c => restrictions::table
        .find(id)
        .select(RestrictionRow::as_select())
        .first(c)
        .await
        .optional())
}

/// The active restriction of these terms' type and reason on the account, if any.
async fn find_active_like(
    conn: &mut Conn<'_>,
    account_id: &BankAccountId,
    terms: &Terms,
) -> QueryResult<Option<RestrictionRow>> {
    dispatch!(conn, c => restrictions::table
        .filter(restrictions::account_id.eq(account_id))
        .filter(restrictions::restriction_status.eq(RestrictionStatus::Active))
        .filter(restrictions::restriction_type.eq(terms.restriction_type))
        .filter(restrictions::restriction_reason_code.eq(terms.reason_code))
        .select(RestrictionRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Moves the account's count of active restrictions of `restriction_type` by `delta`.
async fn count(
    conn: &mut Conn<'_>,
    account_id: &BankAccountId,
    restriction_type: RestrictionType,
    delta: i32,
    now: Micros,
) -> QueryResult<()> {
    let target = bank_accounts::table.find(account_id);
    if restriction_type == RestrictionType::Block {
        dispatch!(conn, c => diesel::update(target)
            .set((
                bank_accounts::active_blocks.eq(bank_accounts::active_blocks + delta),
                bank_accounts::updated_at.eq(now),
            ))
            .prepared()
            .execute(c)
            .await)?;
    } else {
        dispatch!(conn, c => diesel::update(target)
            .set((
                bank_accounts::active_freezes.eq(bank_accounts::active_freezes + delta),
                bank_accounts::updated_at.eq(now),
            ))
            .prepared()
            .execute(c)
            .await)?;
    }
    Ok(())
}

async fn record(
    conn: &mut Conn<'_>,
    row: &RestrictionRow,
    event_type: RestrictionEventType,
    change: &Change,
) -> QueryResult<()> {
    let event = RestrictionEventRow {
        id: RestrictionEventId::generate(),
        restriction_id: row.id.clone(),
        restriction_event_type: event_type,
        restriction_type: row.restriction_type,
        restriction_reason_code: row.restriction_reason_code,
        restriction_legal_status: row.restriction_legal_status,
        notes: change.notes.clone(),
        user_id: change.user_id.clone(),
        created_at: row.updated_at,
    };
    dispatch!(conn, c => diesel::insert_into(restriction_events::table)
        .values(&event)
        .execute(c)
        .await)?;
    Ok(())
}

/// What a restriction is: its type, reason and legal status.
#[derive(Debug, Clone, Copy)]
pub struct Terms {
    pub restriction_type: RestrictionType,
    pub reason_code: ReasonCode,
    pub legal_status: LegalStatus,
}

/// New terms for an active restriction: `None` keeps a term as it is.
#[derive(Debug, Clone, Copy)]
pub struct NewTerms {
    pub restriction_type: Option<RestrictionType>,
    pub reason_code: Option<ReasonCode>,
    pub legal_status: Option<LegalStatus>,
}

/// Who makes a change, and the notes (at most [`MAX_NOTES`] characters) that go with it.
pub struct Change {
    pub notes: String,
    pub user_id: UserId,
}

fn already_applied(existing: &RestrictionRow) -> DomainError {
    let url = crate::urls::restriction(&existing.id);
    DomainError::conflict(
        "restriction-already-applied",
        format!(
            "An active {} for this reason already exists: {url}.",
            existing.restriction_type
        ),
    )
}

/// Applies a restriction to the account (whose row the caller has locked). A closed account
/// takes none, and one active restriction of a type and reason is enough.
pub async fn apply(
    conn: &mut Conn<'_>,
    account: &BankAccountRow,
    terms: Terms,
    change: &Change,
) -> DomainResult<RestrictionRow> {
    if account.account_status == AccountStatus::Closed {
        return Err(DomainError::unprocessable(
            "bank-account-closed",
            format!("{} is closed.", account.url()),
        ));
    }
    if let Some(existing) = find_active_like(conn, &account.id, &terms).await? {
        return Err(already_applied(&existing));
    }
    let now = time::now();
    let row = RestrictionRow {
        id: RestrictionId::generate(),
        organization_id: account.organization_id.clone(),
        account_id: account.id.clone(),
        restriction_status: RestrictionStatus::Active,
        restriction_type: terms.restriction_type,
        restriction_reason_code: terms.reason_code,
        restriction_legal_status: terms.legal_status,
        applied_by_user_id: change.user_id.clone(),
        created_at: now,
        updated_at: now,
    };
    dispatch!(conn, c => diesel::insert_into(restrictions::table)
        .values(&row)
        .execute(c)
        .await)?;
    count(conn, &account.id, row.restriction_type, 1, now).await?;
    record(conn, &row, RestrictionEventType::Applied, change).await?;
    Ok(row)
}

/// Only an active restriction can change.
fn active(row: &RestrictionRow) -> DomainResult<()> {
    if row.restriction_status == RestrictionStatus::Active {
        return Ok(());
    }
    Err(DomainError::unprocessable(
        "restriction-not-active",
        "The restriction has been lifted: it cannot change any more.",
    ))
}

/// Changes an active restriction's terms (the caller holds its account's lock); the new
/// terms must not duplicate another active restriction's.
pub async fn update(
    conn: &mut Conn<'_>,
    row: &RestrictionRow,
    new: NewTerms,
    change: &Change,
) -> DomainResult<RestrictionRow> {
    active(row)?;
    let terms = Terms {
        restriction_type: new.restriction_type.unwrap_or(row.restriction_type),
        reason_code: new.reason_code.unwrap_or(row.restriction_reason_code),
        legal_status: new.legal_status.unwrap_or(row.restriction_legal_status),
    };
    if let Some(other) = find_active_like(conn, &row.account_id, &terms).await?
        && other.id != row.id
    {
        return Err(already_applied(&other));
    }
    let now = time::now();
    dispatch!(conn, c => diesel::update(restrictions::table.find(&row.id))
        .set((
            restrictions::restriction_type.eq(terms.restriction_type),
            restrictions::restriction_reason_code.eq(terms.reason_code),
            restrictions::restriction_legal_status.eq(terms.legal_status),
            restrictions::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    if terms.restriction_type != row.restriction_type {
        count(conn, &row.account_id, row.restriction_type, -1, now).await?;
        count(conn, &row.account_id, terms.restriction_type, 1, now).await?;
    }
    let mut updated = row.clone();
    updated.restriction_type = terms.restriction_type;
    updated.restriction_reason_code = terms.reason_code;
    updated.restriction_legal_status = terms.legal_status;
    updated.updated_at = now;
    record(conn, &updated, RestrictionEventType::Updated, change).await?;
    Ok(updated)
}

/// Lifts an active restriction (the caller holds its account's lock).
pub async fn lift(
    conn: &mut Conn<'_>,
    row: &RestrictionRow,
    change: &Change,
) -> DomainResult<RestrictionRow> {
    active(row)?;
    let now = time::now();
    dispatch!(conn, c => diesel::update(restrictions::table.find(&row.id))
        .set((
            restrictions::restriction_status.eq(RestrictionStatus::Lifted),
            restrictions::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    count(conn, &row.account_id, row.restriction_type, -1, now).await?;
    let mut lifted = row.clone();
    lifted.restriction_status = RestrictionStatus::Lifted;
    lifted.updated_at = now;
    record(conn, &lifted, RestrictionEventType::Lifted, change).await?;
    Ok(lifted)
}

/// A page of the account's restrictions, each with the username of the user who applied it.
pub async fn list(
    conn: &mut Conn<'_>,
    account_id: &BankAccountId,
    status: Option<RestrictionStatus>,
    page: &PageRequest,
) -> QueryResult<Page<(RestrictionRow, String)>> {
    let rows = dispatch!(conn, c => {
        let mut query = restrictions::table
            .inner_join(users::table.on(users::id.eq(restrictions::applied_by_user_id)))
            .filter(restrictions::account_id.eq(account_id))
            .select((RestrictionRow::as_select(), users::username))
            .into_boxed();
        if let Some(status) = status {
            query = query.filter(restrictions::restriction_status.eq(status));
        }
        paginate!(query, restrictions::created_at, restrictions::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, |(row, _)| {
        Cursor::new(row.created_at, row.id.as_str())
    }))
}

pub async fn applied_by_username(conn: &mut Conn<'_>, row: &RestrictionRow) -> QueryResult<String> {
    dispatch!(conn, c => users::table
        .find(&row.applied_by_user_id)
        .select(users::username)
        .first(c)
        .await)
}

/// A page of what happened to the restriction, each with the acting user's username.
pub async fn events(
    conn: &mut Conn<'_>,
    restriction_id: &RestrictionId,
    page: &PageRequest,
) -> QueryResult<Page<(RestrictionEventRow, String)>> {
    let rows = dispatch!(conn, c => {
        let query = restriction_events::table
            .inner_join(users::table.on(users::id.eq(restriction_events::user_id)))
            .filter(restriction_events::restriction_id.eq(restriction_id))
            .select((RestrictionEventRow::as_select(), users::username))
            .into_boxed();
        paginate!(query, restriction_events::created_at, restriction_events::id, page)
            .load(c)
            .await
    })?;
    Ok(Page::from_rows(rows, page, |(row, _)| {
        Cursor::new(row.created_at, row.id.as_str())
    }))
}
