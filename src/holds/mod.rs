//! Holds: money reserved on an account (a card authorization, say) until released. A placed
//! debit hold lowers the available balance but not the ledger balance; the account keeps
//! the sum of its placed debit holds (`held`), changed in the same transaction as the hold.

pub mod handlers;
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::Value;

use crate::access::Owned;
use crate::bank_accounts::{AccountStatus, BankAccountRow};
use crate::dispatch;
use crate::error::DomainResult;
use crate::ids::{BankAccountId, HoldId, OrganizationId};
use crate::ledger::Refusal;
use crate::money::MinorUnits;
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::store::schema::{bank_accounts, holds};
use crate::store::{Conn, Db, PreparedExt, StoreError};
use crate::time::{self, Micros};

pub use view::HoldView;

crate::text_enum! {
    pub enum HoldStatus {
        Placed = "placed",
        Released = "released",
    }
}

crate::text_enum! {
    /// A debit hold reserves money the account has; a credit hold announces money to come.
    pub enum HoldDirection {
        Debit = "debit",
        Credit = "credit",
    }
}

crate::text_enum! {
    pub enum HoldOrigin {
        CardTransaction = "card-transaction",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = holds, treat_none_as_default_value = false)]
pub struct HoldRow {
    pub id: HoldId,
    pub organization_id: OrganizationId,
    pub account_id: BankAccountId,
    pub status: HoldStatus,
    pub direction: HoldDirection,
    pub amount: MinorUnits,
    pub origin_type: HoldOrigin,
    pub origin_metadata: Option<String>,
    pub release_reason: Option<String>,
    pub expires_at: Option<Micros>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl Owned for HoldRow {
    type Kind = crate::ids::HoldKind;

    async fn find(conn: &mut Conn<'_>, id: &HoldId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }

    /// A hold changes its account's `held`: changes queue on the account's row, and the
    /// hold is read again behind that lock.
    async fn lock(
        conn: &mut Conn<'_>,
        id: &HoldId,
        organization_id: &OrganizationId,
    ) -> QueryResult<Option<Self>> {
        let Some(found) = find(conn, id).await? else {
            return Ok(None);
        };
        BankAccountRow::lock(conn, &found.account_id, organization_id).await?;
        find(conn, id).await
    }
}

pub async fn find(conn: &mut Conn<'_>, id: &HoldId) -> QueryResult<Option<HoldRow>> {
    dispatch!(conn, c => holds::table
        .find(id)
        .select(HoldRow::as_select())
        .first(c)
        .await
        .optional())
}

/// What a new hold is.
pub struct NewHold {
    pub direction: HoldDirection,
    pub amount: MinorUnits,
    pub origin_metadata: Option<Value>,
    pub expires_at: Option<Micros>,
}

/// Places a hold on the account. A debit hold needs the account able to send and its
/// available balance to cover the amount, checked by one conditional update; a credit hold
/// needs it open and not blocked.
pub async fn place(
    conn: &mut Conn<'_>,
    account: &BankAccountRow,
    new: NewHold,
) -> DomainResult<HoldRow> {
    let now = time::now();
    let refused = |amount| Refusal::of(account, amount).error(&account.id);
    if new.direction == HoldDirection::Debit {
        let changed = dispatch!(conn, c => diesel::update(
                bank_accounts::table
                    .filter(bank_accounts::id.eq(&account.id))
                    .filter(
                        bank_accounts::account_status
                            .eq(AccountStatus::Open)
                            .or(bank_accounts::account_status.eq(AccountStatus::Closing)),
                    )
                    .filter(bank_accounts::active_blocks.eq(0))
                    .filter(bank_accounts::active_freezes.eq(0))
                    .filter((bank_accounts::balance - bank_accounts::held).ge(new.amount)),
            )
            .set((
                bank_accounts::held.eq(bank_accounts::held + new.amount),
                bank_accounts::updated_at.eq(now),
            ))
            .prepared()
            .execute(c)
            .await)?;
        if changed == 0 {
            return Err(refused(-new.amount));
        }
    } else if account.account_status != AccountStatus::Open || account.active_blocks > 0 {
        return Err(refused(new.amount));
    }
    let row = HoldRow {
        id: HoldId::generate(),
        organization_id: account.organization_id.clone(),
        account_id: account.id.clone(),
        status: HoldStatus::Placed,
        direction: new.direction,
        amount: new.amount,
        origin_type: HoldOrigin::CardTransaction,
        origin_metadata: new.origin_metadata.map(|m| m.to_string()),
        release_reason: None,
        expires_at: new.expires_at,
        created_at: now,
        updated_at: now,
    };
    dispatch!(conn, c => diesel::insert_into(holds::table)
        .values(&row)
        .execute(c)
        .await)?;
    Ok(row)
}

/// Releases a placed hold, giving a debit hold's amount back to the available balance.
/// `None` when the hold was not placed any more.
pub async fn release(
    conn: &mut Conn<'_>,
    hold: &HoldRow,
    reason: Option<&str>,
) -> QueryResult<Option<HoldRow>> {
    let now = time::now();
    let changed = dispatch!(conn, c => diesel::update(
            holds::table
                .filter(holds::id.eq(&hold.id))
                .filter(holds::status.eq(HoldStatus::Placed)),
        )
        .set((
            holds::status.eq(HoldStatus::Released),
            holds::release_reason.eq(reason),
            holds::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    if changed == 0 {
        return Ok(None);
    }
    if hold.direction == HoldDirection::Debit {
        dispatch!(conn, c => diesel::update(bank_accounts::table.find(&hold.account_id))
            .set((
                bank_accounts::held.eq(bank_accounts::held - hold.amount),
                bank_accounts::updated_at.eq(now),
            ))
            .prepared()
            .execute(c)
            .await)?;
    }
    let mut released = hold.clone();
    released.status = HoldStatus::Released;
    released.release_reason = reason.map(str::to_string);
    released.updated_at = now;
    Ok(Some(released))
}

/// List filters.
#[derive(Debug, Default)]
pub struct Filter {
    pub statuses: Vec<HoldStatus>,
    pub updated_since: Option<Micros>,
}

pub async fn list(
    conn: &mut Conn<'_>,
    account_id: &BankAccountId,
    filter: &Filter,
    page: &PageRequest,
) -> QueryResult<Page<HoldRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = holds::table
            .filter(holds::account_id.eq(account_id))
            .select(HoldRow::as_select())
            .into_boxed();
        if !filter.statuses.is_empty() {
            query = query.filter(holds::status.eq_any(&filter.statuses));
        }
        if let Some(since) = filter.updated_since {
            query = query.filter(holds::updated_at.ge(since));
        }
        paginate!(query, holds::created_at, holds::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, |row| {
        Cursor::new(row.created_at, row.id.as_str())
    }))
}

/// Worker step: placed holds whose `expires-at` has passed are released (reason `expired`).
pub async fn release_expired(db: &Db, now: Micros) -> Result<usize, StoreError> {
    let due: Vec<HoldRow> = {
        let mut conn = db.read().await?;
        let mut conn = conn.conn();
        dispatch!(&mut conn, c => holds::table
            .filter(holds::status.eq(HoldStatus::Placed))
            .filter(holds::expires_at.le(now))
            .limit(100)
            .select(HoldRow::as_select())
            .load(c)
            .await)?
    };
    let mut released = 0;
    for hold in due {
        let expired = async |conn: &mut Conn<'_>| release(conn, &hold, Some("expired")).await;
        if db.transaction(expired).await??.is_some() {
            released += 1;
        }
    }
    Ok(released)
}
