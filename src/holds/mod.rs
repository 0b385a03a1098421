//! Holds: money reserved on an account (a card authorization, say) until released. A placed
//! debit hold lowers the available balance but not the ledger balance; the account keeps
//! the sum of its placed debit holds (`held`), changed in the same transaction as the hold.

pub mod handlers;

use crate::ids::OrganizationId;
use crate::store::PreparedExt;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use serde_json::Value;

use crate::bank_accounts::{BankAccountRow, CLOSING, OPEN};
use crate::dispatch;
use crate::ids::{BankAccountId, HoldId};
use crate::ledger::Refusal;
use crate::money::Money;
use crate::paginate;
use crate::paging::Cursor;
use crate::paging::{Page, PageRequest};
use crate::store::Conn;
use crate::store::schema::{bank_accounts, holds};
use crate::time::{self, Micros};
use crate::urls;

pub const PLACED: &str = "placed";
pub const RELEASED: &str = "released";
pub const DEBIT: &str = "debit";
pub const CREDIT: &str = "credit";
pub const CARD_TRANSACTION: &str = "card-transaction";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = holds, treat_none_as_default_value = false)]
pub struct HoldRow {
    pub id: HoldId,
    pub organization_id: OrganizationId,
    pub account_id: BankAccountId,
    pub status: String,
    pub direction: String,
    pub amount: i64,
    pub origin_type: String,
    pub origin_metadata: Option<String>,
    pub release_reason: Option<String>,
    pub expires_at: Option<Micros>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for HoldRow {
    type Kind = crate::ids::HoldKind;

    async fn find(
        conn: &mut Conn<'_>,
        id: &crate::ids::Id<crate::ids::HoldKind>,
    ) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &crate::ids::OrganizationId {
        &self.organization_id
    }
}

pub async fn find(conn: &mut Conn<'_>, id: &crate::ids::HoldId) -> QueryResult<Option<HoldRow>> {
    dispatch!(conn, c => holds::table
        .find(id)
        .select(HoldRow::as_select())
        .first(c)
        .await
        .optional())
}

/// What a new hold is.
pub struct NewHold {
    pub direction: &'static str,
    pub amount: i64,
    pub origin_metadata: Option<Value>,
    pub expires_at: Option<Micros>,
}

/// Places a hold on the account. A debit hold needs the account able to send and its
/// available balance to cover the amount, checked by one conditional update.
pub async fn place(
    conn: &mut Conn<'_>,
    account: &BankAccountRow,
    new: NewHold,
) -> QueryResult<Result<HoldRow, Refusal>> {
    let now = time::now();
    if new.direction == DEBIT {
        let changed = dispatch!(conn, c => diesel::update(
                bank_accounts::table
                    .filter(bank_accounts::id.eq(&account.id))
                    .filter(
                        bank_accounts::account_status
                            .eq(OPEN)
                            .or(bank_accounts::account_status.eq(CLOSING)),
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
            return Ok(Err(Refusal::of(account, -new.amount)));
        }
    } else if account.account_status != OPEN || account.active_blocks > 0 {
        return Ok(Err(Refusal::of(account, new.amount)));
    }
    let row = HoldRow {
        id: HoldId::generate(),
        organization_id: account.organization_id.clone(),
        account_id: account.id.clone(),
        status: PLACED.to_string(),
        direction: new.direction.to_string(),
        amount: new.amount,
        origin_type: CARD_TRANSACTION.to_string(),
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
    Ok(Ok(row))
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
                .filter(holds::status.eq(PLACED)),
        )
        .set((
            holds::status.eq(RELEASED),
            holds::release_reason.eq(reason),
            holds::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    if changed == 0 {
        return Ok(None);
    }
    if hold.direction == DEBIT {
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
    released.status = RELEASED.to_string();
    released.release_reason = reason.map(str::to_string);
    released.updated_at = now;
    Ok(Some(released))
}

/// List filters.
#[derive(Debug, Default)]
pub struct Filter {
    pub statuses: Vec<String>,
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
        Cursor::new(row.created_at, &row.id)
    }))
}

/// Griffin's hold.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct HoldView {
    pub hold_url: String,
    pub account_url: String,
    pub status: String,
    pub direction: String,
    pub amount: Money,
    pub origin_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl HoldView {
    pub fn new(row: &HoldRow) -> Self {
        HoldView {
            hold_url: urls::hold(&row.id),
            account_url: urls::bank_account(&row.account_id),
            status: row.status.clone(),
            direction: row.direction.clone(),
            amount: Money::gbp(row.amount),
            origin_type: row.origin_type.clone(),
            origin_metadata: row
                .origin_metadata
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok()),
            release_reason: row.release_reason.clone(),
            expires_at: row.expires_at.map(time::format),
            created_at: time::format(row.created_at),
            updated_at: time::format(row.updated_at),
        }
    }
}

/// Worker step: placed holds whose `expires-at` has passed are released (reason `expired`).
pub async fn release_expired(
    db: &crate::store::Db,
    now: Micros,
) -> Result<usize, crate::store::StoreError> {
    let due: Vec<HoldRow> = {
        let mut conn = db.read().await?;
        let mut conn = conn.conn();
        dispatch!(&mut conn, c => holds::table
            .filter(holds::status.eq(PLACED))
            .filter(holds::expires_at.le(now))
            .limit(100)
            .select(HoldRow::as_select())
            .load(c)
            .await)?
    };
    let mut released = 0;
    for hold in due {
        let mut tx = db.write().await?;
        let result = release(&mut tx.conn(), &hold, Some("expired")).await;
        if tx.finish(result).await?.is_some() {
            released += 1;
        }
    }
    Ok(released)
}
