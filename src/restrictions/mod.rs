//! Bank account restrictions: a `freeze` stops money leaving an account, a `block` stops it
//! moving either way. Several can be active at once; the account keeps a count of each type
//! (changed in the same transaction), which the ledger's conditional update reads.

pub mod handlers;

use crate::ids::OrganizationId;
use crate::store::PreparedExt;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use serde_json::json;

use crate::dispatch;
use crate::ids::{BankAccountId, RestrictionEventId, RestrictionId, UserId};
use crate::paginate;
use crate::paging::Cursor;
use crate::paging::{Page, PageRequest};
use crate::store::Conn;
use crate::store::schema::{bank_accounts, restriction_events, restrictions, users};
use crate::time::{self, Micros};
use crate::urls;

pub const ACTIVE: &str = "active";
pub const LIFTED: &str = "lifted";
pub const FREEZE: &str = "freeze";
pub const BLOCK: &str = "block";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = restrictions, treat_none_as_default_value = false)]
pub struct RestrictionRow {
    pub id: RestrictionId,
    pub organization_id: OrganizationId,
    pub account_id: BankAccountId,
    pub restriction_status: String,
    pub restriction_type: String,
    pub restriction_reason_code: String,
    pub restriction_legal_status: String,
    pub applied_by_user_id: UserId,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for RestrictionRow {
    type Kind = crate::ids::RestrictionKind;

    async fn find(
        conn: &mut Conn<'_>,
        id: &crate::ids::Id<crate::ids::RestrictionKind>,
    ) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &crate::ids::OrganizationId {
        &self.organization_id
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = restriction_events, treat_none_as_default_value = false)]
pub struct RestrictionEventRow {
    pub id: RestrictionEventId,
    pub restriction_id: RestrictionId,
    pub restriction_event_type: String,
    pub restriction_type: String,
    pub restriction_reason_code: String,
    pub restriction_legal_status: String,
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

/// Active restrictions of this type and reason on the account.
pub async fn find_active_like(
    conn: &mut Conn<'_>,
    account_id: &BankAccountId,
    restriction_type: &str,
    reason_code: &str,
) -> QueryResult<Option<RestrictionRow>> {
    dispatch!(conn, c => restrictions::table
        .filter(restrictions::account_id.eq(account_id))
        .filter(restrictions::restriction_status.eq(ACTIVE))
        .filter(restrictions::restriction_type.eq(restriction_type))
        .filter(restrictions::restriction_reason_code.eq(reason_code))
        .select(RestrictionRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Moves the account's count of active restrictions of `restriction_type` by `delta`.
async fn count(
    conn: &mut Conn<'_>,
    account_id: &BankAccountId,
    restriction_type: &str,
    delta: i32,
    now: Micros,
) -> QueryResult<()> {
    let target = bank_accounts::table.find(account_id);
    if restriction_type == BLOCK {
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
    event_type: &str,
    notes: &str,
    user_id: &UserId,
) -> QueryResult<()> {
    let event = RestrictionEventRow {
        id: RestrictionEventId::generate(),
        restriction_id: row.id.clone(),
        restriction_event_type: event_type.to_string(),
        restriction_type: row.restriction_type.clone(),
        restriction_reason_code: row.restriction_reason_code.clone(),
        restriction_legal_status: row.restriction_legal_status.clone(),
        notes: notes.to_string(),
        user_id: user_id.clone(),
        created_at: row.updated_at,
    };
    dispatch!(conn, c => diesel::insert_into(restriction_events::table)
        .values(&event)
        .execute(c)
        .await)?;
    Ok(())
}

/// What a restriction is: its type, reason and legal status.
#[derive(Debug, Clone)]
pub struct Terms {
    pub restriction_type: String,
    pub reason_code: String,
    pub legal_status: String,
}

/// Applies a restriction to the account (whose row the caller has locked).
pub async fn apply(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    account_id: &BankAccountId,
    terms: &Terms,
    notes: &str,
    user_id: &UserId,
) -> QueryResult<RestrictionRow> {
    let now = time::now();
    let row = RestrictionRow {
        id: RestrictionId::generate(),
        organization_id: organization_id.clone(),
        account_id: account_id.clone(),
        restriction_status: ACTIVE.to_string(),
        restriction_type: terms.restriction_type.clone(),
        restriction_reason_code: terms.reason_code.clone(),
        restriction_legal_status: terms.legal_status.clone(),
        applied_by_user_id: user_id.clone(),
        created_at: now,
        updated_at: now,
    };
    dispatch!(conn, c => diesel::insert_into(restrictions::table)
        .values(&row)
        .execute(c)
        .await)?;
    count(conn, account_id, &row.restriction_type, 1, now).await?;
    record(conn, &row, "restriction-applied", notes, user_id).await?;
    Ok(row)
}

/// Changes an active restriction's terms (the caller holds its account's lock).
pub async fn update(
    conn: &mut Conn<'_>,
    row: &RestrictionRow,
    terms: &Terms,
    notes: &str,
    user_id: &UserId,
) -> QueryResult<RestrictionRow> {
    let now = time::now();
    dispatch!(conn, c => diesel::update(restrictions::table.find(&row.id))
        .set((
            restrictions::restriction_type.eq(&terms.restriction_type),
            restrictions::restriction_reason_code.eq(&terms.reason_code),
            restrictions::restriction_legal_status.eq(&terms.legal_status),
            restrictions::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    if terms.restriction_type != row.restriction_type {
        count(conn, &row.account_id, &row.restriction_type, -1, now).await?;
        count(conn, &row.account_id, &terms.restriction_type, 1, now).await?;
    }
    let mut updated = row.clone();
    updated.restriction_type = terms.restriction_type.clone();
    updated.restriction_reason_code = terms.reason_code.clone();
    updated.restriction_legal_status = terms.legal_status.clone();
    updated.updated_at = now;
    record(conn, &updated, "restriction-updated", notes, user_id).await?;
    Ok(updated)
}

/// Lifts an active restriction (the caller holds its account's lock).
pub async fn lift(
    conn: &mut Conn<'_>,
    row: &RestrictionRow,
    notes: &str,
    user_id: &UserId,
) -> QueryResult<RestrictionRow> {
    let now = time::now();
    dispatch!(conn, c => diesel::update(restrictions::table.find(&row.id))
        .set((
            restrictions::restriction_status.eq(LIFTED),
            restrictions::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    count(conn, &row.account_id, &row.restriction_type, -1, now).await?;
    let mut lifted = row.clone();
    lifted.restriction_status = LIFTED.to_string();
    lifted.updated_at = now;
    record(conn, &lifted, "restriction-lifted", notes, user_id).await?;
    Ok(lifted)
}

/// A page of the account's restrictions, each with the username of the user who applied it.
pub async fn list(
    conn: &mut Conn<'_>,
    account_id: &BankAccountId,
    status: Option<&str>,
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
        Cursor::new(row.created_at, &row.id)
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
        Cursor::new(row.created_at, &row.id)
    }))
}

fn applied_by(user_id: &UserId, username: &str) -> serde_json::Value {
    json!({
        "restriction-applied-by-type": "user",
        "user-url": urls::user(&UserId::from_db(user_id.to_string())),
        "user-username": username,
    })
}

/// Griffin's bank account restriction.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RestrictionView {
    pub bank_account_restriction_url: String,
    pub account_url: String,
    pub restriction_status: String,
    pub restriction_type: String,
    pub restriction_reason_code: String,
    pub restriction_legal_status: String,
    pub restriction_applied_by: serde_json::Value,
    pub created_at: String,
    pub bank_account_restriction_events_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_bank_account_restriction_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lift_bank_account_restriction_url: Option<String>,
}

impl RestrictionView {
    pub fn new(row: &RestrictionRow, applied_by_username: &str) -> Self {
        let id = row.id.clone();
        let active = row.restriction_status == ACTIVE;
        RestrictionView {
            bank_account_restriction_url: urls::restriction(&id),
            account_url: urls::bank_account(&row.account_id),
            restriction_status: row.restriction_status.clone(),
            restriction_type: row.restriction_type.clone(),
            restriction_reason_code: row.restriction_reason_code.clone(),
            restriction_legal_status: row.restriction_legal_status.clone(),
            restriction_applied_by: applied_by(&row.applied_by_user_id, applied_by_username),
            created_at: time::format(row.created_at),
            bank_account_restriction_events_url: urls::restriction_sub(&id, "events"),
            update_bank_account_restriction_url: active
                .then(|| urls::restriction_sub(&id, "actions/update")),
            lift_bank_account_restriction_url: active
                .then(|| urls::restriction_sub(&id, "actions/lift")),
        }
    }
}

/// One item of a restriction's history (ours: Griffin links it without describing it).
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RestrictionEventView {
    pub restriction_event_type: String,
    pub restriction_type: String,
    pub restriction_reason_code: String,
    pub restriction_legal_status: String,
    pub notes: String,
    pub restriction_applied_by: serde_json::Value,
    pub created_at: String,
}

impl RestrictionEventView {
    pub fn new(row: &RestrictionEventRow, username: &str) -> Self {
        RestrictionEventView {
            restriction_event_type: row.restriction_event_type.clone(),
            restriction_type: row.restriction_type.clone(),
            restriction_reason_code: row.restriction_reason_code.clone(),
            restriction_legal_status: row.restriction_legal_status.clone(),
            notes: row.notes.clone(),
            restriction_applied_by: applied_by(&row.user_id, username),
            created_at: time::format(row.created_at),
        }
    }
}
