//! Verifications: a legal person checked against a workflow. In the sandbox no third party
//! is asked: a verification goes `pending → in-progress → checks-complete` (low risk) on its
//! own, moved by the background worker ([`advance_due`]), and then waits for the
//! organization's decision. The legal person's statuses move with it.

pub mod handlers;

use crate::ids::OrganizationId;
use std::collections::BTreeSet;

use crate::store::PreparedExt;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use serde_json::Value;

use crate::claims::{self, ClaimRow};
use crate::dispatch;
use crate::events;
use crate::ids::LegalPersonKind;
use crate::ids::{LegalPersonId, VerificationId, WorkflowId};
use crate::legal_persons::LegalPersonRow;
use crate::paginate;
use crate::paging::Cursor;
use crate::paging::{Page, PageRequest};
use crate::store::schema::{legal_persons, verifications};
use crate::store::{Conn, Db};
use crate::time::{self, Micros};
use crate::urls;
use crate::workflows;

pub const PENDING: &str = "pending";
pub const IN_PROGRESS: &str = "in-progress";
pub const CHECKS_COMPLETE: &str = "checks-complete";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = verifications, treat_none_as_default_value = false)]
pub struct VerificationRow {
    pub id: VerificationId,
    pub organization_id: OrganizationId,
    pub legal_person_id: LegalPersonId,
    pub workflow_id: WorkflowId,
    pub verification_status: String,
    pub risk_rating: Option<String>,
    pub due_at: Option<Micros>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for VerificationRow {
    type Kind = crate::ids::VerificationKind;

    async fn find(
        conn: &mut Conn<'_>,
        id: &crate::ids::Id<crate::ids::VerificationKind>,
    ) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &crate::ids::OrganizationId {
        &self.organization_id
    }
}

impl VerificationRow {
    pub fn in_flight(&self) -> bool {
        self.verification_status == PENDING || self.verification_status == IN_PROGRESS
    }
}

pub async fn find(
    conn: &mut Conn<'_>,
    id: &crate::ids::VerificationId,
) -> QueryResult<Option<VerificationRow>> {
    dispatch!(conn, c => verifications::table
        .find(id)
        .select(VerificationRow::as_select())
        .first(c)
        .await
        .optional())
}

/// The legal person's verification still in flight, if any.
pub async fn in_flight_for(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
) -> QueryResult<Option<VerificationRow>> {
    dispatch!(conn, c => verifications::table
        .filter(verifications::legal_person_id.eq(legal_person_id))
        .filter(verifications::verification_status.eq_any([PENDING, IN_PROGRESS]))
        .select(VerificationRow::as_select())
        .first(c)
        .await
        .optional())
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
        verification_status: PENDING.to_string(),
        risk_rating: None,
        due_at: Some(now + step),
        created_at: now,
        updated_at: now,
    };
    dispatch!(conn, c => diesel::insert_into(verifications::table).values(&row).execute(c).await)?;
    set_person_status(conn, legal_person_id, "submitted", "onboarding", now).await?;
    events::record(
        conn,
        organization_id,
        crate::events::EventType::VerificationCreated,
        &VerificationView::new(&row),
    )?;
    Ok(row)
}

pub async fn set_person_status(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
    application_status: &str,
    legal_person_status: &str,
    now: Micros,
) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(legal_persons::table.find(legal_person_id))
        .set((
            legal_persons::application_status.eq(application_status),
            legal_persons::legal_person_status.eq(legal_person_status),
            legal_persons::status_changed_at.eq(now),
            legal_persons::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    Ok(())
}

/// Moves every verification whose time has come one step on: `pending → in-progress`, then
/// `in-progress → checks-complete` (low risk; the legal person is then `referred`, awaiting a
/// decision). Each step is its own transaction with its event; a conditional update makes
/// sure that, with several servers on one database, each step happens once. Returns how many
/// steps were taken.
pub async fn advance_due(
    db: &Db,
    now: Micros,
    step: Micros,
) -> Result<usize, crate::store::StoreError> {
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
        let mut tx = db.write().await?;
        let result = advance(&mut tx.conn(), &row, now, step).await;
        if tx.finish(result).await? {
            taken += 1;
        }
    }
    Ok(taken)
}

async fn advance(
    conn: &mut Conn<'_>,
    row: &VerificationRow,
    now: Micros,
    step: Micros,
) -> Result<bool, diesel::result::Error> {
    let (next, due_at, risk_rating) = match row.verification_status.as_str() {
        PENDING => (IN_PROGRESS, Some(now + step), None),
        IN_PROGRESS => (CHECKS_COMPLETE, None, Some("low-risk")),
        _ => return Ok(false),
    };
    let changed = dispatch!(conn, c => diesel::update(
            verifications::table
                .filter(verifications::id.eq(&row.id))
                .filter(verifications::verification_status.eq(&row.verification_status)),
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
    if next == CHECKS_COMPLETE {
        set_person_status(conn, &row.legal_person_id, "referred", "onboarding", now).await?;
    }
    let mut updated = row.clone();
    updated.verification_status = next.to_string();
    updated.risk_rating = risk_rating.map(str::to_string);
    updated.updated_at = now;
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
    let mut latest: std::collections::BTreeMap<LegalPersonId, VerificationRow> = Default::default();
    for row in rows {
        latest.insert(row.legal_person_id.clone(), row);
    }
    Ok(latest.into_values().collect())
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
        if claim.claim_type != "director" && claim.claim_type != "person-with-significant-control" {
            continue;
        }
        let url = serde_json::from_str::<Value>(&claim.body)
            .ok()
            .and_then(|b| {
                b.get("legal-person-url")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        if let Some(id) = url.and_then(|u| urls::parse::<LegalPersonKind>(&u, "/v0/legal-persons"))
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
    workflow: &workflows::Workflow,
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
    workflow: &workflows::Workflow,
) -> Result<(), crate::http::ApiError> {
    let lacking = missing_claims(conn, person, workflow).await?;
    if lacking.is_empty() {
        return Ok(());
    }
    Err(crate::http::ApiError::unprocessable(
        "missing-claims",
        format!(
            "The workflow needs claims that are missing — {}.",
            lacking.join("; ")
        ),
    ))
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
        Cursor::new(row.created_at, &row.id)
    }))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct VerificationView {
    pub verification_url: String,
    pub verification_status: String,
    pub legal_person_url: String,
    pub workflow_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_rating: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub verification_checks_url: String,
    pub verification_profiles_url: String,
    pub verification_resources_url: String,
}

impl VerificationView {
    pub fn new(row: &VerificationRow) -> Self {
        let url = urls::verification(&row.id);
        VerificationView {
            verification_checks_url: format!("{url}/checks"),
            verification_profiles_url: format!("{url}/profiles"),
            verification_resources_url: format!("{url}/resources"),
            verification_url: url,
            verification_status: row.verification_status.clone(),
            legal_person_url: urls::legal_person(&row.legal_person_id),
            workflow_url: urls::workflow(&row.workflow_id),
            risk_rating: row.risk_rating.clone(),
            created_at: time::format(row.created_at),
            updated_at: time::format(row.updated_at),
        }
    }
}
