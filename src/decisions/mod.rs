//! Decisions: the organization's verdict on a verified application. Accepting onboards the
//! legal person and marks its claims verified; declining declines it. Decisions have no URL
//! of their own in Griffin's API: they are listed per legal person and embedded as its
//! `latest-decision`.

pub mod handlers;

use crate::ids::OrganizationId;
use std::collections::HashMap;

use crate::store::PreparedExt;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use crate::dispatch;
use crate::ids::{DecisionId, LegalPersonId, UserId, VerificationId};
use crate::paginate;
use crate::paging::Cursor;
use crate::paging::{Page, PageRequest};
use crate::store::Conn;
use crate::store::schema::{claims, decisions, users};
use crate::time::{self, Micros};
use crate::urls;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = decisions, treat_none_as_default_value = false)]
pub struct DecisionRow {
    pub id: DecisionId,
    pub organization_id: OrganizationId,
    pub legal_person_id: LegalPersonId,
    pub verification_id: VerificationId,
    pub decision_outcome: String,
    pub decision_notes: String,
    pub decision_maker: String,
    pub user_id: Option<UserId>,
    pub created_at: Micros,
}

pub const ACCEPTED: &str = "accepted";
pub const DECLINED: &str = "declined";

/// A decision about to be taken.
pub struct Decided<'a> {
    pub organization_id: &'a OrganizationId,
    pub legal_person_id: &'a LegalPersonId,
    pub verification_id: &'a VerificationId,
    /// When the verification started: only claims made by then were checked.
    pub verified_from: Micros,
    /// [`ACCEPTED`] or [`DECLINED`].
    pub outcome: &'static str,
    pub notes: &'a str,
    /// `user` (an API caller) or `system` (automatic, as for reliance onboarding).
    pub maker: &'static str,
    /// The deciding user and their username.
    pub user: Option<(&'a UserId, Option<String>)>,
}

/// Takes a decision inside the caller's transaction: the decision, the legal person's new
/// statuses (accepted → onboarded, declined → onboarding-declined), on acceptance its claims
/// made before the verification started marked verified, and the `decision-created` event.
pub async fn record(
    conn: &mut Conn<'_>,
    decided: &Decided<'_>,
    now: Micros,
) -> QueryResult<DecisionView> {
    let row = DecisionRow {
        id: DecisionId::generate(),
        organization_id: decided.organization_id.clone(),
        legal_person_id: decided.legal_person_id.clone(),
        verification_id: decided.verification_id.clone(),
        decision_outcome: decided.outcome.to_string(),
        decision_notes: decided.notes.to_string(),
        decision_maker: decided.maker.to_string(),
        user_id: decided.user.as_ref().map(|(id, _)| (*id).clone()),
        created_at: now,
    };
    insert(conn, &row).await?;
    let status = if decided.outcome == ACCEPTED {
        "onboarded"
    } else {
        "onboarding-declined"
    };
    crate::verifications::set_person_status(
        conn,
        decided.legal_person_id,
        decided.outcome,
        status,
        now,
    )
    .await?;
    if decided.outcome == ACCEPTED {
        dispatch!(conn, c => diesel::update(
                claims::table
                    .filter(claims::legal_person_id.eq(decided.legal_person_id))
                    .filter(claims::created_at.le(decided.verified_from)),
            )
            .set(claims::verification_status.eq(crate::claims::VERIFIED))
            .prepared()
            .execute(c)
            .await)?;
    }
    let view = DecisionView::new(
        row,
        decided.user.as_ref().and_then(|(_, name)| name.clone()),
    );
    crate::events::record(
        conn,
        decided.organization_id,
        crate::events::EventType::DecisionCreated,
        &view,
    )?;
    Ok(view)
}

pub async fn insert(conn: &mut Conn<'_>, row: &DecisionRow) -> QueryResult<()> {
    dispatch!(conn, c => diesel::insert_into(decisions::table).values(row).execute(c).await)?;
    Ok(())
}

/// Whether the verification has been decided on.
pub async fn exists_for(
    conn: &mut Conn<'_>,
    verification_id: &VerificationId,
) -> QueryResult<Option<String>> {
    dispatch!(conn, c => decisions::table
        .filter(decisions::verification_id.eq(verification_id))
        .select(decisions::decision_outcome)
        .first(c)
        .await
        .optional())
}

/// All of a legal person's decisions, oldest first.
pub async fn all_of(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
) -> QueryResult<Vec<DecisionRow>> {
    dispatch!(conn, c => decisions::table
        .filter(decisions::legal_person_id.eq(legal_person_id))
        .order((decisions::created_at.asc(), decisions::id.asc()))
        .select(DecisionRow::as_select())
        .load(c)
        .await)
}

pub async fn list(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
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
    legal_person_ids: &[LegalPersonId],
) -> QueryResult<HashMap<LegalPersonId, DecisionView>> {
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
) -> QueryResult<HashMap<UserId, String>> {
    let ids: Vec<UserId> = rows.iter().filter_map(|r| r.user_id.clone()).collect();
    let pairs: Vec<(UserId, String)> = dispatch!(conn, c => users::table
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
            legal_person_url: urls::legal_person(&row.legal_person_id),
            verification_url: urls::verification(&row.verification_id),
            decision_outcome: row.decision_outcome,
            decision_notes: row.decision_notes,
            decision_maker: row.decision_maker,
            decision_user_url: row.user_id.map(|id| urls::user(&id)),
            decision_user_username: username,
            created_at: time::format(row.created_at),
        }
    }
}
