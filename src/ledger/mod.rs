//! The double-entry ledger. Every movement of money is one entry: legs on accounts whose
//! amounts sum to zero. A leg on a bank account moves its balance by a conditional update
//! (which refuses to go below the available balance, or to touch an account whose state or
//! restrictions forbid it) and becomes that account's transaction, numbered in the account's
//! sequence and carrying the balance after it. Legs on internal accounts (sandbox funding,
//! scheme settlement) are postings only: those accounts may go negative, and their balance is
//! the sum of their postings, so no hot row serializes every movement.
//!
//! [`post`] runs inside the caller's database transaction, together with the change that
//! caused the movement and the events it records; nothing is written unless all of it is.

pub mod handlers;
pub mod verify;

use crate::store::PreparedExt;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use crate::bank_accounts::{self, BankAccountRow, CLOSED, CLOSING, OPEN};
use crate::dispatch;
use crate::events;
use crate::http::ApiError;
use crate::ids::{BankAccountId, LedgerEntryId, PaymentId, TransactionId};
use crate::money::Money;
use crate::paging::Cursor;
use crate::store::Conn;
use crate::store::schema::{bank_accounts as accounts, postings};
use crate::time::{self, Micros};
use crate::urls;

/// Where sandbox test money comes from.
pub const SANDBOX_FUNDING: &str = "internal.sandbox-funding";
/// The other side of payments to and from other banks.
pub const SCHEME_SETTLEMENT: &str = "internal.scheme-settlement";
pub const INTERNAL_ACCOUNTS: [&str; 2] = [SANDBOX_FUNDING, SCHEME_SETTLEMENT];

pub fn is_internal(account_id: &str) -> bool {
    INTERNAL_ACCOUNTS.contains(&account_id)
}

/// `transaction-origin-type` values this server produces.
pub const DEPOSIT: &str = "deposit";
pub const PAYMENT: &str = "payment";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = postings, treat_none_as_default_value = false)]
pub struct PostingRow {
    pub id: String,
    pub entry_id: String,
    pub organization_id: String,
    pub account_id: String,
    pub amount: i64,
    pub balance_after: Option<i64>,
    pub account_seq: Option<i64>,
    pub origin_type: String,
    pub payment_id: Option<String>,
    pub reference: Option<String>,
    pub description: Option<String>,
    pub processed_at: Micros,
    pub effective_at: Micros,
    pub created_at: Micros,
}

/// A bank account's transaction (internal accounts' postings are not resources).
impl crate::http::auth::OrganizationResource for PostingRow {
    type Kind = crate::ids::TransactionKind;

    async fn find(conn: &mut Conn<'_>, id: &str) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &str {
        &self.organization_id
    }
}

impl PostingRow {
    pub fn cursor(&self, sort: &str) -> Cursor {
        let key = if sort == PROCESSED_AT {
            self.processed_at
        } else {
            self.created_at
        };
        Cursor::new(key, &self.id)
    }
}

pub const PROCESSED_AT: &str = "processed-at";

/// One leg of a movement: a signed amount (credit positive) on a bank account or an
/// internal account.
#[derive(Debug, Clone, Copy)]
pub struct Leg<'a> {
    pub account_id: &'a str,
    pub amount: i64,
    /// The payment this leg's transaction belongs to, when not the movement's (a book
    /// transfer: the debtor's outbound payment, the creditor's inbound one).
    pub payment_id: Option<&'a str>,
}

impl<'a> Leg<'a> {
    pub fn new(account_id: &'a str, amount: i64) -> Self {
        Leg {
            account_id,
            amount,
            payment_id: None,
        }
    }
}

/// A movement of money, described by what caused it.
#[derive(Debug)]
pub struct Movement<'a> {
    pub organization_id: &'a str,
    pub origin_type: &'static str,
    pub payment_id: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub description: Option<&'a str>,
    pub legs: Vec<Leg<'a>>,
}

/// Why a bank account refused its leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotOpen,
    Closing,
    Closed,
    Restricted,
    InsufficientFunds,
}

impl Refusal {
    pub fn error(self, account_id: &str) -> ApiError {
        let account = urls::bank_account(&BankAccountId::from_db(account_id.to_string()));
        match self {
            Refusal::NotOpen => ApiError::unprocessable(
                "account-not-open",
                format!("The bank account {account} has not opened yet."),
            ),
            Refusal::Closing => ApiError::unprocessable(
                "bank-account-closing",
                format!("The bank account {account} is closing: it can send but not receive."),
            ),
            Refusal::Closed => ApiError::unprocessable(
                "bank-account-closed",
                format!("The bank account {account} is closed."),
            ),
            Refusal::Restricted => ApiError::unprocessable(
                "account-restricted",
                format!("The bank account {account} is restricted."),
            ),
            Refusal::InsufficientFunds => ApiError::unprocessable(
                "insufficient-funds",
                format!("The available balance of the bank account {account} is too low."),
            ),
        }
    }

    /// Why `account` cannot take a leg of `amount` now.
    pub fn of(account: &BankAccountRow, amount: i64) -> Refusal {
        match account.account_status.as_str() {
            CLOSED => Refusal::Closed,
            CLOSING if amount > 0 => Refusal::Closing,
            OPEN | CLOSING => {
                if account.active_blocks > 0 || (amount < 0 && account.active_freezes > 0) {
                    Refusal::Restricted
                } else {
                    Refusal::InsufficientFunds
                }
            }
            _ => Refusal::NotOpen,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("bank account {account_id} refused the movement: {refusal:?}")]
    Refused {
        account_id: String,
        refusal: Refusal,
    },
    #[error("the legs of a movement must sum to zero")]
    Unbalanced,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<PostError> for ApiError {
    fn from(error: PostError) -> Self {
        match error {
            PostError::Refused {
                account_id,
                refusal,
            } => refusal.error(&account_id),
            PostError::Unbalanced => ApiError::internal(error),
            PostError::Database(error) => error.into(),
        }
    }
}

/// Posts a movement in the caller's transaction: moves every bank account's balance, writes
/// the postings and records `transaction-created` for each bank account's transaction.
/// Returns those transactions, in leg order. On a refusal nothing should be committed: the
/// caller's transaction must roll back.
pub async fn post(
    conn: &mut Conn<'_>,
    movement: &Movement<'_>,
    now: Micros,
) -> Result<Vec<PostingRow>, PostError> {
    let total: i128 = movement.legs.iter().map(|leg| i128::from(leg.amount)).sum();
    if total != 0 || movement.legs.iter().any(|leg| leg.amount == 0) {
        return Err(PostError::Unbalanced);
    }
    let entry_id = LedgerEntryId::generate().into_string();
    // Bank accounts are updated in id order, so two movements between the same accounts
    // always lock them in the same order and cannot deadlock.
    let mut order: Vec<usize> = (0..movement.legs.len()).collect();
    order.sort_by_key(|&i| movement.legs[i].account_id);
    let mut rows: Vec<Option<PostingRow>> = vec![None; movement.legs.len()];
    for i in order {
        let leg = movement.legs[i];
        let (balance_after, account_seq) = if is_internal(leg.account_id) {
            (None, None)
        } else {
            let (balance, seq) = move_balance(conn, leg, now).await?;
            (Some(balance), Some(seq))
        };
        rows[i] = Some(PostingRow {
            id: TransactionId::generate().into_string(),
            entry_id: entry_id.clone(),
            organization_id: movement.organization_id.to_string(),
            account_id: leg.account_id.to_string(),
            amount: leg.amount,
            balance_after,
            account_seq,
            origin_type: movement.origin_type.to_string(),
            payment_id: leg.payment_id.or(movement.payment_id).map(str::to_string),
            reference: movement.reference.map(str::to_string),
            description: movement.description.map(str::to_string),
            processed_at: now,
            effective_at: now,
            created_at: now,
        });
    }
    let rows: Vec<PostingRow> = rows.into_iter().flatten().collect();
    let transactions: Vec<PostingRow> = rows
        .iter()
        .filter(|row| row.account_seq.is_some())
        .cloned()
        .collect();
    // Nothing later in a movement's transaction reads its postings back.
    crate::defer_insert!(conn, postings::table, rows);
    for transaction in &transactions {
        events::record(
            conn,
            movement.organization_id,
            "transaction-created",
            &TransactionView::new(transaction),
        )
        .await?;
    }
    Ok(transactions)
}

/// The conditional update at the heart of the ledger: one row changes, or the account's
/// state, restrictions or available balance forbid the leg and nothing does.
async fn move_balance(
    conn: &mut Conn<'_>,
    leg: Leg<'_>,
    now: Micros,
) -> Result<(i64, i64), PostError> {
    let target = accounts::table.filter(accounts::id.eq(leg.account_id));
    let set = (
        accounts::balance.eq(accounts::balance + leg.amount),
        accounts::transaction_count.eq(accounts::transaction_count + 1),
        accounts::updated_at.eq(now),
    );
    let returning = (accounts::balance, accounts::transaction_count);
    let moved: Option<(i64, i64)> = if leg.amount < 0 {
        dispatch!(conn, c => diesel::update(
                target
                    .filter(
                        accounts::account_status
                            .eq(OPEN)
                            .or(accounts::account_status.eq(CLOSING)),
                    )
                    .filter(accounts::active_blocks.eq(0))
                    .filter(accounts::active_freezes.eq(0))
                    .filter((accounts::balance - accounts::held).ge(-leg.amount)),
            )
            .set(set)
            .returning(returning)
            .prepared()
            .get_result(c)
            .await
            .optional())?
    } else {
        dispatch!(conn, c => diesel::update(
                target
                    .filter(accounts::account_status.eq(OPEN))
                    .filter(accounts::active_blocks.eq(0))
                    .filter(accounts::balance.le(i64::MAX - leg.amount)),
            )
            .set(set)
            .returning(returning)
            .prepared()
            .get_result(c)
            .await
            .optional())?
    };
    match moved {
        Some(moved) => Ok(moved),
        None => {
            let refusal = match bank_accounts::find(conn, leg.account_id).await? {
                Some(account) => Refusal::of(&account, leg.amount),
                None => Refusal::Closed,
            };
            Err(PostError::Refused {
                account_id: leg.account_id.to_string(),
                refusal,
            })
        }
    }
}

pub async fn find(conn: &mut Conn<'_>, id: &str) -> QueryResult<Option<PostingRow>> {
    dispatch!(conn, c => postings::table
        .find(id)
        .filter(postings::account_seq.is_not_null())
        .select(PostingRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Griffin's account transaction: one bank account's side of a movement.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct TransactionView {
    pub account_transaction_url: String,
    pub account_url: String,
    pub balance_change: Money,
    pub balance_change_direction: &'static str,
    pub account_balance: Money,
    pub transaction_origin_type: String,
    pub processed_at: String,
    pub effective_at: String,
    pub post_datetime: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl TransactionView {
    pub fn new(row: &PostingRow) -> Self {
        TransactionView {
            account_transaction_url: urls::transaction(&TransactionId::from_db(row.id.clone())),
            account_url: urls::bank_account(&BankAccountId::from_db(row.account_id.clone())),
            balance_change: Money::gbp(row.amount.abs()),
            balance_change_direction: if row.amount > 0 { "credit" } else { "debit" },
            account_balance: Money::gbp(row.balance_after.unwrap_or_default()),
            transaction_origin_type: row.origin_type.clone(),
            processed_at: time::format(row.processed_at),
            effective_at: time::format(row.effective_at),
            post_datetime: time::format(row.processed_at),
            payment_url: row
                .payment_id
                .as_ref()
                .map(|id| urls::payment(&PaymentId::from_db(id.clone()))),
            reference: row.reference.clone(),
            description: row.description.clone(),
        }
    }
}
