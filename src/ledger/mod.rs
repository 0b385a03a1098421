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
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::bank_accounts::{self, AccountStatus, BankAccountRow};
use crate::dispatch;
use crate::error::DomainError;
use crate::events;
use crate::ids::{BankAccountId, LedgerEntryId, OrganizationId, PaymentId, TransactionId};
use crate::money::MinorUnits;
use crate::paging::{Cursor, InstantRange, Page, PageRequest};
use crate::store::schema::{bank_accounts as accounts, postings};
use crate::store::{Conn, PreparedExt};
use crate::time::Micros;
use crate::{filter_range, paginate, urls};

pub use view::TransactionView;

crate::text_enum! {
    /// The bank's own accounts, the other side of money entering or leaving customers' ones.
    pub enum InternalAccount {
        /// Where sandbox test money comes from.
        SandboxFunding = "internal.sandbox-funding",
        /// The other side of payments to and from other banks.
        SchemeSettlement = "internal.scheme-settlement",
    }
}

/// An account the ledger posts to, stored as the bank account's id or the internal account's
/// name (the two cannot collide: ids have a two-letter prefix).
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum LedgerAccount {
    Bank(BankAccountId),
    Internal(InternalAccount),
}

impl LedgerAccount {
    pub fn as_str(&self) -> &str {
        match self {
            LedgerAccount::Bank(id) => id.as_str(),
            LedgerAccount::Internal(account) => account.as_str(),
        }
    }

    /// The bank account, unless this is an internal account.
    pub fn bank(&self) -> Option<&BankAccountId> {
        match self {
            LedgerAccount::Bank(id) => Some(id),
            LedgerAccount::Internal(_) => None,
        }
    }
}

impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for LedgerAccount
where
    DB: diesel::backend::Backend,
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, DB>,
    ) -> diesel::serialize::Result {
        <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(self.as_str(), out)
    }
}

impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for LedgerAccount
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        let text =
            <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)?;
        Ok(match InternalAccount::parse(&text) {
            Some(internal) => LedgerAccount::Internal(internal),
            None => LedgerAccount::Bank(BankAccountId::from_db(text)),
        })
    }
}

crate::text_enum! {
    /// What caused a movement (Griffin's `transaction-origin-type`, the values this server
    /// produces).
    pub enum TransactionOrigin {
        Deposit = "deposit",
        Payment = "payment",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = postings, treat_none_as_default_value = false)]
pub struct PostingRow {
    pub id: TransactionId,
    pub entry_id: LedgerEntryId,
    pub organization_id: OrganizationId,
    pub account_id: LedgerAccount,
    pub amount: MinorUnits,
    pub balance_after: Option<MinorUnits>,
    pub account_seq: Option<i64>,
    pub origin_type: TransactionOrigin,
    pub payment_id: Option<PaymentId>,
    pub reference: Option<String>,
    pub description: Option<String>,
    pub processed_at: Micros,
    pub effective_at: Micros,
    pub created_at: Micros,
}

/// A bank account's transaction (internal accounts' postings are not resources).
impl crate::access::Owned for PostingRow {
    type Kind = crate::ids::TransactionKind;

    async fn find(conn: &mut Conn<'_>, id: &TransactionId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
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
        Cursor::new(key, self.id.as_str())
    }
}

pub const PROCESSED_AT: &str = "processed-at";

/// One leg of a movement: a signed amount (credit positive) on a bank account or an
/// internal account.
#[derive(Debug, Clone)]
pub struct Leg<'a> {
    pub account: LedgerAccount,
    pub amount: MinorUnits,
    /// The payment this leg's transaction belongs to, when not the movement's (a book
    /// transfer: the debtor's outbound payment, the creditor's inbound one).
    pub payment_id: Option<&'a PaymentId>,
}

impl Leg<'_> {
    /// A leg on a customer's bank account.
    pub fn bank(account_id: &BankAccountId, amount: MinorUnits) -> Self {
        Leg {
            account: LedgerAccount::Bank(account_id.clone()),
            amount,
            payment_id: None,
        }
    }

    /// A leg on one of the bank's internal accounts.
    pub fn internal(account: InternalAccount, amount: MinorUnits) -> Self {
        Leg {
            account: LedgerAccount::Internal(account),
            amount,
            payment_id: None,
        }
    }
}

/// A movement of money, described by what caused it.
#[derive(Debug)]
pub struct Movement<'a> {
    pub organization_id: &'a OrganizationId,
    pub origin_type: TransactionOrigin,
    pub payment_id: Option<&'a PaymentId>,
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
    pub fn error(self, account_id: &BankAccountId) -> DomainError {
        let account = urls::bank_account(account_id);
        match self {
            Refusal::NotOpen => DomainError::unprocessable(
                "account-not-open",
                format!("The bank account {account} has not opened yet."),
            ),
            Refusal::Closing => DomainError::unprocessable(
                "bank-account-closing",
                format!("The bank account {account} is closing: it can send but not receive."),
            ),
            Refusal::Closed => DomainError::unprocessable(
                "bank-account-closed",
                format!("The bank account {account} is closed."),
            ),
            Refusal::Restricted => DomainError::unprocessable(
                "account-restricted",
                format!("The bank account {account} is restricted."),
            ),
            Refusal::InsufficientFunds => DomainError::unprocessable(
                "insufficient-funds",
                format!("The available balance of the bank account {account} is too low."),
            ),
        }
    }

    /// Why `account` cannot take a leg of `amount` now.
    pub fn of(account: &BankAccountRow, amount: MinorUnits) -> Refusal {
        match account.account_status {
            AccountStatus::Closed => Refusal::Closed,
            AccountStatus::Closing if amount.is_positive() => Refusal::Closing,
            AccountStatus::Open | AccountStatus::Closing => {
                if account.active_blocks > 0
                    || (!amount.is_positive() && account.active_freezes > 0)
                {
                    Refusal::Restricted
                } else {
                    Refusal::InsufficientFunds
                }
            }
            AccountStatus::Opening => Refusal::NotOpen,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("bank account {account_id} refused the movement: {refusal:?}")]
    Refused {
        account_id: BankAccountId,
        refusal: Refusal,
    },
    #[error("the legs of a movement must sum to zero")]
    Unbalanced,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<PostError> for DomainError {
    fn from(error: PostError) -> Self {
        match error {
            PostError::Refused {
                account_id,
                refusal,
            } => refusal.error(&account_id),
            // A programming error, not a refusal: the store reports it as such.
            PostError::Unbalanced => diesel::result::Error::QueryBuilderError(error.into()).into(),
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
    let total: i128 = movement
        .legs
        .iter()
        .map(|leg| i128::from(leg.amount.0))
        .sum();
    if total != 0
        || movement
            .legs
            .iter()
            .any(|leg| leg.amount == MinorUnits::ZERO)
    {
        return Err(PostError::Unbalanced);
    }
    let entry_id = LedgerEntryId::generate();
    // Bank accounts are updated in id order, so two movements between the same accounts
    // always lock them in the same order and cannot deadlock.
    let mut order: Vec<usize> = (0..movement.legs.len()).collect();
    order.sort_by(|&a, &b| movement.legs[a].account.cmp(&movement.legs[b].account));
    let mut rows: Vec<Option<PostingRow>> = vec![None; movement.legs.len()];
    for i in order {
        let leg = &movement.legs[i];
        let (balance_after, account_seq) = match leg.account.bank() {
            None => (None, None),
            Some(account_id) => {
                let (balance, seq) = move_balance(conn, account_id, leg.amount, now).await?;
                (Some(balance), Some(seq))
            }
        };
        rows[i] = Some(PostingRow {
            id: TransactionId::generate(),
            entry_id: entry_id.clone(),
            organization_id: movement.organization_id.clone(),
            account_id: leg.account.clone(),
            amount: leg.amount,
            balance_after,
            account_seq,
            origin_type: movement.origin_type,
            payment_id: leg.payment_id.or(movement.payment_id).cloned(),
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
            crate::events::EventType::TransactionCreated,
            &TransactionView::new(transaction),
        )?;
    }
    Ok(transactions)
}

/// The conditional update at the heart of the ledger: one row changes, or the account's
/// state, restrictions or available balance forbid the leg and nothing does.
async fn move_balance(
    conn: &mut Conn<'_>,
    account_id: &BankAccountId,
    amount: MinorUnits,
    now: Micros,
) -> Result<(MinorUnits, i64), PostError> {
    let target = accounts::table.filter(accounts::id.eq(account_id));
    let set = (
        accounts::balance.eq(accounts::balance + amount),
        accounts::transaction_count.eq(accounts::transaction_count + 1),
        accounts::updated_at.eq(now),
    );
    let returning = (accounts::balance, accounts::transaction_count);
    let moved: Option<(MinorUnits, i64)> = if amount < MinorUnits::ZERO {
        dispatch!(conn, c => diesel::update(
                target
                    .filter(
                        accounts::account_status
                            .eq(AccountStatus::Open)
                            .or(accounts::account_status.eq(AccountStatus::Closing)),
                    )
                    .filter(accounts::active_blocks.eq(0))
                    .filter(accounts::active_freezes.eq(0))
                    .filter((accounts::balance - accounts::held).ge(-amount)),
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
                    .filter(accounts::account_status.eq(AccountStatus::Open))
                    .filter(accounts::active_blocks.eq(0))
                    .filter(accounts::balance.le(MinorUnits(i64::MAX) - amount)),
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
            let refusal = match bank_accounts::find(conn, account_id).await? {
                Some(account) => Refusal::of(&account, amount),
                None => Refusal::Closed,
            };
            Err(PostError::Refused {
                account_id: account_id.clone(),
                refusal,
            })
        }
    }
}

pub async fn find(
    conn: &mut Conn<'_>,
    id: &crate::ids::TransactionId,
) -> QueryResult<Option<PostingRow>> {
    dispatch!(conn, c => postings::table
        .find(id)
        .filter(postings::account_seq.is_not_null())
        .select(PostingRow::as_select())
        .first(c)
        .await
        .optional())
}

/// A page of the bank account's transactions, processed within `processed`.
pub async fn transactions(
    conn: &mut Conn<'_>,
    account_id: &BankAccountId,
    processed: &InstantRange,
    page: &PageRequest,
) -> QueryResult<Page<PostingRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = postings::table
            .filter(postings::account_id.eq(account_id))
            .select(PostingRow::as_select())
            .into_boxed();
        query = filter_range!(query, postings::processed_at, processed);
        if page.sort == PROCESSED_AT {
            paginate!(query, postings::processed_at, postings::id, page).load(c).await
        } else {
            paginate!(query, postings::created_at, postings::id, page).load(c).await
        }
    })?;
    let sort = page.sort;
    Ok(Page::from_rows(rows, page, |row| row.cursor(sort)))
}
