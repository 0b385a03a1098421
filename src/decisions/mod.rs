//! Decisions: the organization's verdict on a verified application. Accepting onboards the
//! legal person and marks its claims verified; declining declines it. Decisions have no URL
//! of their own in Griffin's API: they are listed per legal person and embedded as its
//! `latest-decision`.

pub mod handlers;
pub mod view;

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::claims;
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::events::{self, EventType};
use crate::ids::{DecisionId, LegalPersonId, OrganizationId, UserId, VerificationId};
use crate::legal_persons::{self, ApplicationStatus, LegalPersonRow, LegalPersonStatus};
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::store::Conn;
use crate::store::schema::{decisions, users};
use crate::time::Micros;
use crate::verifications::{self, VerificationRow, VerificationStatus};

pub use view::DecisionView;

crate::text_enum! {
    pub enum DecisionOutcome {
        Accepted = "accepted",
        Declined = "declined",
    }
}

crate::text_enum! {
    /// Who decided: a user of the organization, or the bank itself (reliance onboarding).
    pub enum DecisionMaker {
        User = "user",
        System = "system",
    }
}

impl DecisionOutcome {
    /// The legal person's application status after the decision.
    pub fn application_status(self) -> ApplicationStatus {
        match self {
            DecisionOutcome::Accepted => ApplicationStatus::Accepted,
            DecisionOutcome::Declined => ApplicationStatus::Declined,
        }
    }

    /// The legal person's status after the decision.
    pub fn legal_person_status(self) -> LegalPersonStatus {
        match self {
            DecisionOutcome::Accepted => LegalPersonStatus::Onboarded,
            DecisionOutcome::Declined => LegalPersonStatus::OnboardingDeclined,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = decisions, treat_none_as_default_value = false)]
pub struct DecisionRow {
    pub id: DecisionId,
    pub organization_id: OrganizationId,
    pub legal_person_id: LegalPersonId,
    pub verification_id: VerificationId,
    pub decision_outcome: DecisionOutcome,
    pub decision_notes: String,
    pub decision_maker: DecisionMaker,
    pub user_id: Option<UserId>,
    pub created_at: Micros,
}

/// A decision a user asks for.
#[derive(Debug, Clone)]
pub struct NewDecision {
    pub verification_id: VerificationId,
    pub outcome: DecisionOutcome,
    pub notes: String,
}

/// A decision about to be taken.
pub struct Decided<'a> {
    pub organization_id: &'a OrganizationId,
    pub legal_person_id: &'a LegalPersonId,
    pub verification_id: &'a VerificationId,
    /// When the verification started: only claims made by then were checked.
    pub verified_from: Micros,
    pub outcome: DecisionOutcome,
    pub notes: &'a str,
    pub maker: DecisionMaker,
    /// The deciding user and their username.
    pub user: Option<(&'a UserId, Option<String>)>,
}

/// `decider` decides on `person`'s current verification, in the write's transaction.
pub async fn decide(
    conn: &mut Conn<'_>,
    person: &LegalPersonRow,
    decider: &UserId,
    decision: NewDecision,
    now: Micros,
) -> DomainResult<DecisionView> {
    let verification = decidable(conn, person, &decision.verification_id).await?;
    let username = crate::users::find(conn, decider).await?.map(|u| u.username);
    let decided = Decided {
        organization_id: &person.organization_id,
        legal_person_id: &person.id,
        verification_id: &verification.id,
        verified_from: verification.created_at,
        outcome: decision.outcome,
        notes: &decision.notes,
        maker: DecisionMaker::User,
        user: Some((decider, username)),
    };
    Ok(record(conn, &decided, now).await?)
}

/// The verification `id` of `person`, if it can be decided on: only the person's current
/// verification, only once its checks are complete, and only once (an older one was
/// superseded by a new application, and a decision is final).
async fn decidable(
    conn: &mut Conn<'_>,
    person: &LegalPersonRow,
    id: &VerificationId,
) -> DomainResult<VerificationRow> {
    let refused =
        |code, detail: String| DomainError::unprocessable(code, detail).at("/verification-url");
    let verification = verifications::find(conn, id)
        .await?
        .filter(|v| v.legal_person_id == person.id)
        .ok_or_else(|| {
            refused(
                "verification-not-found",
                "The legal person has no such verification.".into(),
            )
        })?;
    let latest = verifications::latest_for(conn, std::slice::from_ref(&person.id)).await?;
    if <[_]>::first(&latest).is_some_and(|l| l.id != verification.id) {
        return Err(refused(
            "verification-superseded",
            "A newer verification of this legal person exists; decide on that one.".into(),
        ));
    }
    if outcome_of(conn, &verification.id).await?.is_some() {
        return Err(DomainError::conflict(
            "verification-already-decided",
            "This verification has been decided on already.",
        ));
    }
    if verification.verification_status != VerificationStatus::ChecksComplete {
        return Err(refused(
            "verification-not-complete",
            format!(
                "The verification is {}; decide once its checks are complete.",
                verification.verification_status
            ),
        ));
    }
    Ok(verification)
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
        decision_outcome: decided.outcome,
        decision_notes: decided.notes.to_string(),
        decision_maker: decided.maker,
        user_id: decided.user.as_ref().map(|(id, _)| (*id).clone()),
        created_at: now,
    };
    insert(conn, &row).await?;
    legal_persons::set_statuses(
        conn,
        decided.legal_person_id,
        decided.outcome.application_status(),
        decided.outcome.legal_person_status(),
        now,
    )
    .await?;
    if decided.outcome == DecisionOutcome::Accepted {
        claims::mark_verified(conn, decided.legal_person_id, decided.verified_from).await?;
    }
    let view = DecisionView::new(
        row,
        decided.user.as_ref().and_then(|(_, name)| name.clone()),
    );
    events::record(
        conn,
        decided.organization_id,
        EventType::DecisionCreated,
        &view,
    )?;
    Ok(view)
}

pub async fn insert(conn: &mut Conn<'_>, row: &DecisionRow) -> QueryResult<()> {
    dispatch!(conn, c => diesel::insert_into(decisions::table).values(row).execute(c).await)?;
    Ok(())
}

/// The outcome of the decision on the verification, if it has been decided on.
pub async fn outcome_of(
    conn: &mut Conn<'_>,
    verification_id: &VerificationId,
) -> QueryResult<Option<DecisionOutcome>> {
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
        Cursor::new(row.created_at, row.id.as_str())
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
