//! `hyperbank verify-ledger`: every ledger invariant, checked over the whole database in one
//! consistent snapshot.
//!
//! - each bank account's balance is the sum of its postings, and its transaction count the
//!   number of them;
//! - its transactions are numbered 1, 2, 3… and each carries the balance after it: the one
//!   before plus its amount;
//! - the postings of every entry, and so of the whole ledger, sum to zero;
//! - no balance, and no available balance, is below zero, and what is held is the sum of the
//!   placed debit holds;
//! - every posting names a bank account or an internal account.

use std::collections::HashMap;
use std::fmt;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

use crate::dispatch;
use crate::store::schema::{bank_accounts, postings};
use crate::store::{Conn, Db, RawConn, StoreError};

/// One broken invariant, naming the account or entry it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub subject: String,
    pub problem: String,
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.problem)
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub accounts: usize,
    pub postings: i64,
    pub entries: i64,
    pub breaches: Vec<Breach>,
}

impl Report {
    pub fn summary(&self) -> String {
        format!(
            "{}: {} bank accounts, {} postings in {} entries checked, {} breach(es)",
            if self.breaches.is_empty() {
                "ledger ok"
            } else {
                "LEDGER BROKEN"
            },
            self.accounts,
            self.postings,
            self.entries,
            self.breaches.len()
        )
    }

    fn breach(&mut self, subject: &str, problem: String) {
        self.breaches.push(Breach {
            subject: subject.to_string(),
            problem,
        });
    }
}

#[derive(QueryableByName)]
struct AccountTotal {
    #[diesel(sql_type = Text)]
    account_id: String,
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = BigInt)]
    postings: i64,
    #[diesel(sql_type = BigInt)]
    numbered: i64,
}

#[derive(QueryableByName)]
struct Unbalanced {
    #[diesel(sql_type = Text)]
    entry_id: String,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = Text)]
    account_id: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    total: Option<i64>,
}

/// Rows of the running-balance walk fetched at a time.
const BATCH: i64 = 10_000;

/// Checks everything in one read-only snapshot, so a ledger under load is seen as of one
/// instant. Errors are the database's; breaches are in the report.
pub async fn run(db: &Db) -> Result<Report, StoreError> {
    let mut read = db.read().await?;
    let mut conn = read.conn();
    let begin = match &conn.raw {
        RawConn::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        RawConn::Sqlite(_) => "BEGIN",
    };
    dispatch!(&mut conn, c => c.batch_execute(begin).await)?;
    let result = check(&mut conn).await;
    dispatch!(&mut conn, c => c.batch_execute("ROLLBACK").await)?;
    Ok(result?)
}

async fn check(conn: &mut Conn<'_>) -> QueryResult<Report> {
    let mut report = Report::default();
    let mut totals = posting_totals(conn, &mut report).await?;
    check_accounts(conn, &mut report, &mut totals).await?;
    check_internal_accounts(&mut report, totals);
    check_entries(conn, &mut report).await?;
    walk_running_balances(conn, &mut report).await?;
    Ok(report)
}

/// Each account's postings summed; all of them together must sum to zero.
async fn posting_totals(
    conn: &mut Conn<'_>,
    report: &mut Report,
) -> QueryResult<HashMap<String, AccountTotal>> {
    let totals: Vec<AccountTotal> = dispatch!(conn, c => diesel::sql_query(
            "SELECT account_id, CAST(SUM(amount) AS BIGINT) AS total, \
             CAST(COUNT(*) AS BIGINT) AS postings, \
             CAST(COUNT(account_seq) AS BIGINT) AS numbered \
             FROM postings GROUP BY account_id",
        )
        .load(c)
        .await)?;
    let mut ledger_total: i128 = 0;
    let mut by_account = HashMap::new();
    for total in totals {
        report.postings += total.postings;
        ledger_total += i128::from(total.total);
        by_account.insert(total.account_id.clone(), total);
    }
    if ledger_total != 0 {
        report.breach(
            "ledger",
            format!("all postings sum to {ledger_total}, not zero"),
        );
    }
    Ok(by_account)
}

/// Each bank account's balance, held amount and transaction count against its postings and
/// placed holds; none below zero. Takes the bank accounts' totals out of `totals`.
async fn check_accounts(
    conn: &mut Conn<'_>,
    report: &mut Report,
    totals: &mut HashMap<String, AccountTotal>,
) -> QueryResult<()> {
    let accounts: Vec<(String, i64, i64, i64)> = dispatch!(conn, c => bank_accounts::table
        .select((
            bank_accounts::id,
            bank_accounts::balance,
            bank_accounts::held,
            bank_accounts::transaction_count,
        ))
        .order(bank_accounts::id.asc())
        .load(c)
        .await)?;
    report.accounts = accounts.len();
    let held = placed_debit_holds(conn).await?;
    for (id, balance, held_amount, count) in &accounts {
        let (sum, postings, numbered) = totals
            .remove(id)
            .map(|t| (t.total, t.postings, t.numbered))
            .unwrap_or((0, 0, 0));
        if *balance != sum {
            report.breach(
                id,
                format!("balance {balance} but its postings sum to {sum}"),
            );
        }
        if *count != postings || numbered != postings {
            report.breach(
                id,
                format!(
                    "{count} transactions recorded on the account, {postings} postings of \
                     which {numbered} numbered"
                ),
            );
        }
        if *balance < 0 {
            report.breach(id, format!("negative balance {balance}"));
        }
        let placed = held.get(id).copied().unwrap_or(0);
        if *held_amount != placed {
            report.breach(
                id,
                format!("{held_amount} held but its placed debit holds sum to {placed}"),
            );
        }
        if balance - held_amount < 0 {
            let available = balance - held_amount;
            report.breach(id, format!("negative available balance {available}"));
        }
    }
    Ok(())
}

/// The sum of each account's placed debit holds.
async fn placed_debit_holds(conn: &mut Conn<'_>) -> QueryResult<HashMap<String, i64>> {
    let held: Vec<Held> = dispatch!(conn, c => diesel::sql_query(
            "SELECT account_id, CAST(SUM(amount) AS BIGINT) AS total FROM holds \
             WHERE status = 'placed' AND direction = 'debit' GROUP BY account_id",
        )
        .load(c)
        .await)?;
    Ok(held
        .into_iter()
        .map(|h| (h.account_id, h.total.unwrap_or(0)))
        .collect())
}

/// What is left of `totals` once the bank accounts are taken out: internal accounts only,
/// whose postings carry no sequence.
fn check_internal_accounts(report: &mut Report, totals: HashMap<String, AccountTotal>) {
    for (id, total) in totals {
        if super::InternalAccount::parse(&id).is_none() {
            report.breach(
                &id,
                "postings to an account that does not exist".to_string(),
            );
        } else if total.numbered != 0 {
            report.breach(
                &id,
                "internal account postings carry a sequence".to_string(),
            );
        }
    }
}

/// Every entry's postings sum to zero.
async fn check_entries(conn: &mut Conn<'_>, report: &mut Report) -> QueryResult<()> {
    let unbalanced: Vec<Unbalanced> = dispatch!(conn, c => diesel::sql_query(
            "SELECT entry_id, CAST(SUM(amount) AS BIGINT) AS total FROM postings \
             GROUP BY entry_id HAVING SUM(amount) <> 0",
        )
        .load(c)
        .await)?;
    for entry in unbalanced {
        report.breach(
            &entry.entry_id,
            format!("entry's postings sum to {}, not zero", entry.total),
        );
    }
    let entries: Vec<Count> = dispatch!(conn, c => diesel::sql_query(
            "SELECT CAST(COUNT(DISTINCT entry_id) AS BIGINT) AS n FROM postings",
        )
        .load(c)
        .await)?;
    report.entries = entries.iter().map(|c| c.n).sum();
    Ok(())
}

/// Every bank account's transactions in sequence: numbered from 1 without gaps, each
/// balance the one before plus the amount.
async fn walk_running_balances(conn: &mut Conn<'_>, report: &mut Report) -> QueryResult<()> {
    let mut after: (String, i64) = (String::new(), 0);
    let mut current: Option<(String, i64, i64)> = None; // account, last seq, last balance
    loop {
        let (account, seq) = after.clone();
        let rows: Vec<(String, Option<i64>, i64, Option<i64>)> = dispatch!(conn, c => postings::table
            .filter(postings::account_seq.is_not_null())
            // Keyset as in `paginate!`: the `>=` bounds the index scan.
            .filter(postings::account_id.ge(account.clone()))
            .filter(postings::account_id.gt(account).or(postings::account_seq.gt(seq)))
            .order((postings::account_id.asc(), postings::account_seq.asc()))
            .select((
                postings::account_id,
                postings::account_seq,
                postings::amount,
                postings::balance_after,
            ))
            .limit(BATCH)
            .load(c)
            .await)?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = (last.0.clone(), last.1.unwrap_or(0));
        for (account_id, seq, amount, balance_after) in rows {
            let seq = seq.unwrap_or(0);
            let (expected_seq, before) = match &current {
                Some((id, last_seq, last_balance)) if *id == account_id => {
                    (last_seq + 1, *last_balance)
                }
                _ => (1, 0),
            };
            if seq != expected_seq {
                report.breach(
                    &account_id,
                    format!("transaction number {seq} where {expected_seq} was expected"),
                );
            }
            let expected = before + amount;
            match balance_after {
                Some(balance) if balance == expected => {}
                other => report.breach(
                    &account_id,
                    format!(
                        "transaction {seq} records balance {other:?}, but {before} + {amount} = \
                         {expected}"
                    ),
                ),
            }
            current = Some((account_id, seq, balance_after.unwrap_or(expected)));
        }
    }
}
