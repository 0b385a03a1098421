//! Verifications: a legal person checked against a workflow. In the sandbox no third party
//! is asked: a verification goes `pending → in-progress → checks-complete` (low risk) on its
//! own, moved by the background worker ([`advance_due`]), and then waits for the
//! organization's decision. The legal person's statuses move with it.

pub mod handlers;
pub mod history;
pub mod view;

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::Value;

use crate::claims::{self, ClaimRow};
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::events;
use crate::ids::{
    LegalPersonId, LegalPersonKind, OrganizationId, RiskRatingId, VerificationId, WorkflowId,
};
use crate::legal_persons::{self, ApplicationStatus, LegalPersonRow, LegalPersonStatus};
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::store::schema::verifications;
use crate::store::{Conn, Db, PreparedExt, StoreError};
use crate::time::Micros;
use crate::urls;
use crate::workflows::{self, Workflow};

pub use view::{RiskRatingEntry, VerificationView};

crate::text_enum! {
    /// Griffin's verification statuses; the sandbox goes `pending → in-progress →
    /// checks-complete`.
    pub enum VerificationStatus {
        Pending = "pending",
        InProgress = "in-progress",
        ChecksComplete = "checks-complete",
        ChecksDeclined = "checks-declined",
        Failed = "failed",
    }
}

crate::text_enum! {
    /// The risk a verification rated the legal person (Griffin's values; the sandbox rates
    /// everyone low).
    pub enum RiskRating {
        LowRisk = "low-risk",
        MediumRisk = "medium-risk",
        HighRisk = "high-risk",
        ProhibitedRisk = "prohibited-risk",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = verifications, treat_none_as_default_value = false)]
pub struct VerificationRow {
    pub id: VerificationId,
    pub organization_id: OrganizationId,
    pub legal_person_id: LegalPersonId,
    pub workflow_id: WorkflowId,
    pub verification_status: VerificationStatus,
    pub risk_rating: Option<RiskRating>,
    pub due_at: Option<Micros>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for VerificationRow {
    type Kind = crate::ids::VerificationKind;

    async fn find(conn: &mut Conn<'_>, id: &VerificationId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

impl VerificationRow {
    /// The workflow it checks against.
    pub fn workflow(&self) -> Option<&'static Workflow> {
        workflows::find(
            &self.workflow_id,
            std::slice::from_ref(&self.organization_id),
        )
        .map(|(workflow, _)| workflow)
    }
}

pub async fn find(
    conn: &mut Conn<'_>,
    id: &VerificationId,
) -> QueryResult<Option<VerificationRow>> {
    dispatch!(conn, c => verifications::table
        .find(id)
        .select(VerificationRow::as_select())
        .first(c)
        .await
        .optional())
}

/// The legal person's verification still in flight (moving on by itself, towards checks
/// complete), if any.
pub async fn in_flight_for(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
) -> QueryResult<Option<VerificationRow>> {
    dispatch!(conn, c => verifications::table
        .filter(verifications::legal_person_id.eq(legal_person_id))
        .filter(verifications::verification_status.eq_any([
            VerificationStatus::Pending,
            VerificationStatus::InProgress,
        ]))
        .select(VerificationRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Verifies `person` against the organization's workflow `workflow_id`, in the write's
/// transaction: the workflow must verify legal persons of its type, no other verification of
/// it may be in flight, and it must carry every claim the workflow needs.
pub async fn verify(
    conn: &mut Conn<'_>,
    person: &LegalPersonRow,
    workflow_id: &WorkflowId,
    now: Micros,
    step: Micros,
) -> DomainResult<VerificationRow> {
    let (workflow, _) = workflows::find(workflow_id, std::slice::from_ref(&person.organization_id))
        .ok_or(DomainError::NotFound)?;
    if workflow.legal_person_type != person.legal_person_type {
        return Err(DomainError::unprocessable(
            "workflow-legal-person-type-mismatch",
            format!(
                "This workflow verifies {}s; the legal person is a {}.",
                workflow.legal_person_type, person.legal_person_type
            ),
        )
        .at("/workflow-url"));
    }
    if in_flight_for(conn, &person.id).await?.is_some() {
        return Err(DomainError::conflict(
            "verification-in-progress",
            "A verification of this legal person is already in progress.",
        ));
    }
    require_claims(conn, person, workflow).await?;
    Ok(start(
        conn,
        &person.organization_id,
        &person.id,
        workflow_id,
        now,
        step,
    )
    .await?)
}

/// Starts a verification (inside the caller's transaction): the row, its event, and the
/// legal person's move to `submitted` / `onboarding`.
pub async fn start(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    legal_person_id: &LegalPersonId,
    workflow_id: &WorkflowId,
    now: Micros,
    step: Micros,
) -> QueryResult<VerificationRow> {
    let row = VerificationRow {
        id: VerificationId::generate(),
        organization_id: organization_id.clone(),
        legal_person_id: legal_person_id.clone(),
        workflow_id: workflow_id.clone(),
        verification_status: VerificationStatus::Pending,
        risk_rating: None,
        due_at: Some(now + step),
        created_at: now,
        updated_at: now,
    };
    dispatch!(conn, c => diesel::insert_into(verifications::table).values(&row).execute(c).await)?;
    legal_persons::set_statuses(
        conn,
        legal_person_id,
        ApplicationStatus::Submitted,
        LegalPersonStatus::Onboarding,
        now,
    )
    .await?;
    events::record(
        conn,
        organization_id,
        crate::events::EventType::VerificationCreated,
        &VerificationView::new(&row),
    )?;
    Ok(row)
}

/// Moves every verification whose time has come one step on: `pending → in-progress`, then
/// `in-progress → checks-complete` (low risk; the legal person is then `referred`, awaiting a
/// decision). Each step is its own transaction with its event; a conditional update makes
/// sure that, with several servers on one database, each step happens once. Returns how many
/// steps were taken.
pub async fn advance_due(db: &Db, now: Micros, step: Micros) -> Result<usize, StoreError> {
    let due: Vec<VerificationRow> = {
        let mut conn = db.read().await?;
        let mut conn = conn.conn();
        dispatch!(&mut conn, c => verifications::table
            .filter(verifications::due_at.le(now))
            .select(VerificationRow::as_select())
            .order(verifications::due_at.asc())
            .limit(100)
            .load(c)
            .await)?
    };
    let mut taken = 0;
    for row in due {
        if db
            .transaction(async |conn| advance(conn, &row, now, step).await)
            .await??
        {
            taken += 1;
        }
    }
    Ok(taken)
}

/// The sandbox's next step from `status`: the new status, when the one after is due, and the
/// risk rating it gives.
fn next_step(
    status: VerificationStatus,
    now: Micros,
    step: Micros,
) -> Option<(VerificationStatus, Option<Micros>, Option<RiskRating>)> {
    match status {
        VerificationStatus::Pending => {
            Some((VerificationStatus::InProgress, Some(now + step), None))
        }
        VerificationStatus::InProgress => Some((
            VerificationStatus::ChecksComplete,
            None,
            Some(RiskRating::LowRisk),
        )),
        _ => None,
    }
}

async fn advance(
    conn: &mut Conn<'_>,
    row: &VerificationRow,
    now: Micros,
    step: Micros,
) -> QueryResult<bool> {
    let Some((next, due_at, risk_rating)) = next_step(row.verification_status, now, step) else {
        return Ok(false);
    };
    let changed = dispatch!(conn, c => diesel::update(
            verifications::table
                .filter(verifications::id.eq(&row.id))
                .filter(verifications::verification_status.eq(row.verification_status)),
        )
        .set((
            verifications::verification_status.eq(next),
            verifications::due_at.eq(due_at),
            verifications::risk_rating.eq(risk_rating),
            verifications::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    if changed == 0 {
        return Ok(false);
    }
    if next == VerificationStatus::ChecksComplete {
        legal_persons::set_statuses(
            conn,
            &row.legal_person_id,
            ApplicationStatus::Referred,
            LegalPersonStatus::Onboarding,
            now,
        )
        .await?;
    }
    let updated = VerificationRow {
        verification_status: next,
        risk_rating,
        updated_at: now,
        ..row.clone()
    };
    events::record(
        conn,
        &row.organization_id,
        crate::events::EventType::VerificationUpdated,
        &VerificationView::new(&updated),
    )?;
    Ok(true)
}

/// All of a legal person's verifications, oldest first.
pub async fn all_of(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
) -> QueryResult<Vec<VerificationRow>> {
    dispatch!(conn, c => verifications::table
        .filter(verifications::legal_person_id.eq(legal_person_id))
        .order((verifications::created_at.asc(), verifications::id.asc()))
        .select(VerificationRow::as_select())
        .load(c)
        .await)
}

/// The latest verification of each of the given legal persons that has one.
pub async fn latest_for(
    conn: &mut Conn<'_>,
    legal_person_ids: &[LegalPersonId],
) -> QueryResult<Vec<VerificationRow>> {
    let rows: Vec<VerificationRow> = dispatch!(conn, c => verifications::table
        .filter(verifications::legal_person_id.eq_any(legal_person_ids))
        .order((verifications::created_at.asc(), verifications::id.asc()))
        .select(VerificationRow::as_select())
        .load(c)
        .await)?;
    let mut latest: BTreeMap<LegalPersonId, VerificationRow> = BTreeMap::new();
    for row in rows {
        latest.insert(row.legal_person_id.clone(), row);
    }
    Ok(latest.into_values().collect())
}

/// The latest verification that gave a risk rating, of each of the given legal persons that
/// has one.
pub async fn latest_rated_for(
    conn: &mut Conn<'_>,
    legal_person_ids: &[LegalPersonId],
) -> QueryResult<Vec<VerificationRow>> {
    let rows: Vec<VerificationRow> = dispatch!(conn, c => verifications::table
        .filter(verifications::legal_person_id.eq_any(legal_person_ids))
        .filter(verifications::risk_rating.is_not_null())
        .order((verifications::created_at.asc(), verifications::id.asc()))
        .select(VerificationRow::as_select())
        .load(c)
        .await)?;
    let mut latest: BTreeMap<LegalPersonId, VerificationRow> = BTreeMap::new();
    for row in rows {
        latest.insert(row.legal_person_id.clone(), row);
    }
    Ok(latest.into_values().collect())
}

/// The id of the risk rating a verification gave: the verification's own 16 bytes.
pub fn risk_rating_id(verification: &VerificationId) -> Option<RiskRatingId> {
    verification.same_bytes()
}

/// Claim types among `required` that `claims` lack.
fn missing(required: &[&str], claims: &[ClaimRow]) -> Vec<String> {
    let present: BTreeSet<&str> = claims.iter().map(|c| c.claim_type.as_str()).collect();
    required
        .iter()
        .filter(|t| !present.contains(**t))
        .map(|t| t.to_string())
        .collect()
}

/// The legal persons a corporation's `director` and `person-with-significant-control`
/// claims name.
pub fn related_people(claims: &[ClaimRow]) -> Vec<LegalPersonId> {
    let mut ids = Vec::new();
    for claim in claims {
        if !claim.claim_type.names_related_party() {
            continue;
        }
        let url = serde_json::from_str::<Value>(&claim.body)
            .ok()
            .and_then(|b| {
                b.get("legal-person-url")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        if let Some(id) = url.and_then(|u| urls::parse::<LegalPersonKind>(&u, urls::LEGAL_PERSONS))
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    ids
}

/// Every claim the workflow needs and the subject (and, for a corporation, each of its
/// directors and persons with significant control) lacks, as `who: types` lines.
pub async fn missing_claims(
    conn: &mut Conn<'_>,
    person: &LegalPersonRow,
    workflow: &Workflow,
) -> QueryResult<Vec<String>> {
    let own = claims::all_of(conn, &person.id).await?;
    let mut report = Vec::new();
    let subject = missing(workflow.subject_requirements(), &own);
    if !subject.is_empty() {
        report.push(format!("{}: {}", person.id, subject.join(", ")));
    }
    for related in related_people(&own) {
        let theirs = claims::all_of(conn, &related).await?;
        let lacking = missing(workflow.related_requirements(), &theirs);
        if !lacking.is_empty() {
            report.push(format!("{related}: {}", lacking.join(", ")));
        }
    }
    Ok(report)
}

/// 422 `missing-claims` naming every claim the workflow needs and lacks, for the subject and
/// its related people.
pub async fn require_claims(
    conn: &mut Conn<'_>,
    person: &LegalPersonRow,
    workflow: &Workflow,
) -> DomainResult<()> {
    let lacking = missing_claims(conn, person, workflow).await?;
    if lacking.is_empty() {
        return Ok(());
    }
    Err(DomainError::unprocessable(
        "missing-claims",
        format!(
            "The workflow needs claims that are missing — {}.",
            lacking.join("; ")
        ),
    ))
}

/// How many verifications the legal person has, counted up to [`crate::paging::TOTAL_CAP`].
pub async fn count(conn: &mut Conn<'_>, legal_person_id: &LegalPersonId) -> QueryResult<i64> {
    let ids: Vec<VerificationId> = dispatch!(conn, c => verifications::table
        .filter(verifications::legal_person_id.eq(legal_person_id))
        .select(verifications::id)
        .limit(crate::paging::TOTAL_CAP)
        .load(c)
        .await)?;
    Ok(ids.len() as i64)
}

pub async fn list(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
    page: &PageRequest,
) -> QueryResult<Page<VerificationRow>> {
    let rows = dispatch!(conn, c => {
        let query = verifications::table
            .filter(verifications::legal_person_id.eq(legal_person_id))
            .select(VerificationRow::as_select())
            .into_boxed();
        paginate!(query, verifications::created_at, verifications::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, |row| {
        Cursor::new(row.created_at, row.id.as_str())
    }))
}
