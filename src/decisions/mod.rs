//! Decisions: the organization's verdict on a verified application. Accepting onboards the
//! legal person and marks its claims verified; declining declines it. Decisions have no URL
//! of their own in Griffin's API: they are listed per legal person and embedded as its
//! `latest-decision`.

pub mod handlers;

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use crate::dispatch;
use crate::http::pagination::Cursor;
use crate::http::{Page, PageRequest};
use crate::ids::{LegalPersonId, UserId, VerificationId};
use crate::paginate;
use crate::store::Conn;
use crate::store::schema::{decisions, users};
use crate::time::{self, Micros};
use crate::urls;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = decisions)]
pub struct DecisionRow {
    pub id: String,
    pub organization_id: String,
    pub legal_person_id: String,
    pub verification_id: String,
    pub decision_outcome: String,
    pub decision_notes: String,
    pub decision_maker: String,
    pub user_id: Option<String>,
    pub created_at: Micros,
}

pub async fn insert(conn: &mut Conn<'_>, row: &DecisionRow) -> QueryResult<()> {
    dispatch!(conn, c => diesel::insert_into(decisions::table).values(row).execute(c).await)?;
    Ok(())
}

/// All of a legal person's decisions, oldest first.
pub async fn all_of(conn: &mut Conn<'_>, legal_person_id: &str) -> QueryResult<Vec<DecisionRow>> {
    dispatch!(conn, c => decisions::table
        .filter(decisions::legal_person_id.eq(legal_person_id))
        .order((decisions::created_at.asc(), decisions::id.asc()))
        .select(DecisionRow::as_select())
        .load(c)
        .await)
}

pub async fn list(
    conn: &mut Conn<'_>,
    legal_person_id: &str,
    page: &PageRequest,
) -> QueryResult<Page<DecisionRow>> {
    let rows = dispatch!(conn, c => {
        let query = decisions::table
            .filter(decisions::legal_person_id.eq(legal_person_id))
            .select(DecisionRow::as_select())
            .into_boxed();
        paginate!(query, decisions::created_at, decisions::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, |row| {
        Cursor::new(row.created_at, &row.id)
    }))
}

/// The latest decision of each of the given legal persons.
pub async fn latest_for(
    conn: &mut Conn<'_>,
    legal_person_ids: &[String],
) -> QueryResult<HashMap<String, DecisionView>> {
    let rows: Vec<(DecisionRow, Option<String>)> = dispatch!(conn, c => decisions::table
        .left_join(users::table.on(users::id.nullable().eq(decisions::user_id)))
        .filter(decisions::legal_person_id.eq_any(legal_person_ids))
        .order((decisions::created_at.asc(), decisions::id.asc()))
        .select((DecisionRow::as_select(), users::username.nullable()))
        .load(c)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|(row, username)| {
            (
                row.legal_person_id.clone(),
                DecisionView::new(row, username),
            )
        })
        .collect())
}

/// Usernames of the deciding users.
pub async fn usernames(
    conn: &mut Conn<'_>,
    rows: &[DecisionRow],
) -> QueryResult<HashMap<String, String>> {
    let ids: Vec<String> = rows.iter().filter_map(|r| r.user_id.clone()).collect();
    let pairs: Vec<(String, String)> = dispatch!(conn, c => users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::username))
        .load(c)
        .await)?;
    Ok(pairs.into_iter().collect())
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct DecisionView {
    pub legal_person_url: String,
    pub verification_url: String,
    pub decision_outcome: String,
    pub decision_notes: String,
    pub decision_maker: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_user_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_user_username: Option<String>,
    pub created_at: String,
}

impl DecisionView {
    pub fn new(row: DecisionRow, username: Option<String>) -> Self {
        DecisionView {
            legal_person_url: urls::legal_person(&LegalPersonId::from_db(row.legal_person_id)),
            verification_url: urls::verification(&VerificationId::from_db(row.verification_id)),
            decision_outcome: row.decision_outcome,
            decision_notes: row.decision_notes,
            decision_maker: row.decision_maker,
            decision_user_url: row.user_id.map(|id| urls::user(&UserId::from_db(id))),
            decision_user_username: username,
            created_at: time::format(row.created_at),
        }
    }
}
