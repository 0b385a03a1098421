//! Pooled account membership: the legal persons whose money a pooled (safeguarding or client
//! money) account holds.

pub mod handlers;
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::bank_accounts::BankAccountRow;
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{BankAccountId, LegalPersonId};
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::store::Conn;
use crate::store::schema::{legal_persons as persons, pool_members};
use crate::time::{self, Micros};
use crate::urls;

/// Most additions plus deletions one update may carry.
pub const MAX_CHANGES: usize = 1000;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pool_members, treat_none_as_default_value = false)]
pub struct PoolMemberRow {
    pub account_id: BankAccountId,
    pub legal_person_id: LegalPersonId,
    pub created_at: Micros,
}

/// One update of the members: legal persons to add and to remove, none in both.
pub struct MembershipChange {
    pub additions: Vec<LegalPersonId>,
    pub deletions: Vec<LegalPersonId>,
}

/// How many members the pooled account has, counted up to [`crate::paging::TOTAL_CAP`].
pub async fn count(conn: &mut Conn<'_>, account_id: &BankAccountId) -> QueryResult<i64> {
    let ids: Vec<crate::ids::LegalPersonId> = dispatch!(conn, c => pool_members::table
        .filter(pool_members::account_id.eq(account_id))
        .select(pool_members::legal_person_id)
        .limit(crate::paging::TOTAL_CAP)
        .load(c)
        .await)?;
    Ok(ids.len() as i64)
}

pub async fn list(
    conn: &mut Conn<'_>,
    account_id: &BankAccountId,
    page: &PageRequest,
) -> QueryResult<Page<PoolMemberRow>> {
    let rows = dispatch!(conn, c => {
        let query = pool_members::table
            .filter(pool_members::account_id.eq(account_id))
            .select(PoolMemberRow::as_select())
            .into_boxed();
        paginate!(query, pool_members::created_at, pool_members::legal_person_id, page)
            .load(c)
            .await
    })?;
    Ok(Page::from_rows(rows, page, |row| {
        Cursor::new(row.created_at, row.legal_person_id.as_str())
    }))
}

/// Only pooled accounts have members.
fn not_pooled(account: &BankAccountRow) -> DomainError {
    DomainError::unprocessable(
        "account-not-pooled",
        format!(
            "{} does not hold pooled funds: it has no members.",
            account.url()
        ),
    )
}

/// Adds and removes members of a pooled account (422 for any other). Adding a member twice,
/// or removing one that is not there, changes nothing; every addition must be a legal person
/// of the account's organization.
pub async fn change(
    conn: &mut Conn<'_>,
    account: &BankAccountRow,
    change: &MembershipChange,
) -> DomainResult<()> {
    if !account.pooled_funds {
        return Err(not_pooled(account));
    }
    let unique = crate::ids::distinct(change.additions.iter().cloned());
    known_to_organization(conn, account, &change.additions, &unique).await?;
    let now = time::now();
    for id in &unique {
        let row = PoolMemberRow {
            account_id: account.id.clone(),
            legal_person_id: id.clone(),
            created_at: now,
        };
        dispatch!(conn, c => diesel::insert_into(pool_members::table)
            .values(&row)
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
    }
    if !change.deletions.is_empty() {
        dispatch!(conn, c => diesel::delete(
                pool_members::table
                    .filter(pool_members::account_id.eq(&account.id))
                    .filter(pool_members::legal_person_id.eq_any(&change.deletions)),
            )
            .execute(c)
            .await)?;
    }
    Ok(())
}

/// 422 at the first of `additions` that is not a legal person of the account's organization.
async fn known_to_organization(
    conn: &mut Conn<'_>,
    account: &BankAccountRow,
    additions: &[LegalPersonId],
    unique: &[LegalPersonId],
) -> DomainResult<()> {
    let known: Vec<LegalPersonId> = if unique.is_empty() {
        Vec::new()
    } else {
        dispatch!(conn, c => persons::table
            .filter(persons::id.eq_any(unique))
            .filter(persons::organization_id.eq(&account.organization_id))
            .select(persons::id)
            .load(c)
            .await)?
    };
    match additions.iter().position(|id| !known.contains(id)) {
        None => Ok(()),
        Some(i) => Err(DomainError::unprocessable(
            "legal-person-not-found",
            format!(
                "{} is not a legal person of this organization.",
                urls::legal_person(&additions[i])
            ),
        )
        .at(format!("/additions/{i}"))),
    }
}
