//! Reliance onboarding: an organization that verified a customer itself submits the whole
//! application in one request. The legal persons, their claims and the verification are
//! created at once (`submitted`); the worker moves the application to `processing`, and
//! once the verification's checks are complete the bank accepts it automatically
//! (`complete`, a `system` decision).

pub mod handlers;

use crate::ids::OrganizationId;
use crate::store::PreparedExt;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use crate::decisions::{self, Decided};
use crate::dispatch;
use crate::ids::{LegalPersonId, OnboardingApplicationId, VerificationId, WorkflowId};
use crate::store::schema::onboarding_applications as applications;
use crate::store::{Conn, Db, StoreError};
use crate::time::{self, Micros};
use crate::{events, urls, verifications};

pub const SUBMITTED: &str = "submitted";
pub const PROCESSING: &str = "processing";
pub const COMPLETE: &str = "complete";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = applications, treat_none_as_default_value = false)]
pub struct ApplicationRow {
    pub id: OnboardingApplicationId,
    pub organization_id: OrganizationId,
    pub workflow_id: WorkflowId,
    pub onboarding_application_status: String,
    pub legal_person_id: LegalPersonId,
    pub verification_id: VerificationId,
    pub decision_outcome: Option<String>,
    pub due_at: Option<Micros>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for ApplicationRow {
    type Kind = crate::ids::OnboardingApplicationKind;

    async fn find(
        conn: &mut Conn<'_>,
        id: &crate::ids::Id<crate::ids::OnboardingApplicationKind>,
    ) -> QueryResult<Option<Self>> {
        dispatch!(conn, c => applications::table
            .find(id)
            .select(ApplicationRow::as_select())
            .first(c)
            .await
            .optional())
    }

    fn organization_id(&self) -> &crate::ids::OrganizationId {
        &self.organization_id
    }
}

pub async fn insert(conn: &mut Conn<'_>, row: &ApplicationRow) -> QueryResult<()> {
    dispatch!(conn, c => diesel::insert_into(applications::table).values(row).execute(c).await)?;
    events::record(
        conn,
        &row.organization_id,
        crate::events::EventType::OnboardingApplicationCreated,
        &ApplicationView::new(row),
    )?;
    Ok(())
}

/// Moves applications on: `submitted → processing` when due, and `processing → complete`
/// (accepted by the system) once the verification's checks are complete. Conditional
/// updates make each step happen once across servers.
pub async fn advance_due(db: &Db, now: Micros) -> Result<usize, StoreError> {
    let open: Vec<ApplicationRow> = {
        let mut conn = db.read().await?;
        let mut conn = conn.conn();
        dispatch!(&mut conn, c => applications::table
            .filter(
                applications::onboarding_application_status.eq(PROCESSING).or(
                    applications::onboarding_application_status
                        .eq(SUBMITTED)
                        .and(applications::due_at.le(now)),
                ),
            )
            .order(applications::updated_at.asc())
            .select(ApplicationRow::as_select())
            .limit(100)
            .load(c)
            .await)?
    };
    let mut taken = 0;
    for row in open {
        let mut tx = db.write().await?;
        let result = advance(&mut tx.conn(), &row, now).await;
        if tx.finish(result).await? {
            taken += 1;
        }
    }
    Ok(taken)
}

async fn advance(conn: &mut Conn<'_>, row: &ApplicationRow, now: Micros) -> QueryResult<bool> {
    let mut decide_for_system: Option<Micros> = None;
    let (next, outcome) = match row.onboarding_application_status.as_str() {
        SUBMITTED if row.due_at.is_some_and(|due| due <= now) => (PROCESSING, None),
        PROCESSING => {
            let Some(verification) = verifications::find(conn, &row.verification_id).await? else {
                return Ok(false);
            };
            if verification.verification_status != verifications::CHECKS_COMPLETE {
                return Ok(false);
            }
            // Behind the organization's lock, as user decisions are: if the organization
            // decided first, the application completes with its decision, not the system's.
            crate::organizations::lock(conn, &row.organization_id).await?;
            match decisions::exists_for(conn, &verification.id).await? {
                Some(outcome) => (
                    COMPLETE,
                    Some(if outcome == decisions::ACCEPTED {
                        decisions::ACCEPTED
                    } else {
                        decisions::DECLINED
                    }),
                ),
                None => {
                    decide_for_system = Some(verification.created_at);
                    (COMPLETE, Some(decisions::ACCEPTED))
                }
            }
        }
        _ => return Ok(false),
    };
    let changed = dispatch!(conn, c => diesel::update(
            applications::table
                .filter(applications::id.eq(&row.id))
                .filter(applications::onboarding_application_status.eq(&row.onboarding_application_status)),
        )
        .set((
            applications::onboarding_application_status.eq(next),
            applications::decision_outcome.eq(outcome),
            applications::due_at.eq(None::<Micros>),
            applications::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    if changed == 0 {
        return Ok(false);
    }
    if let (Some(outcome), Some(verified_from)) = (outcome, decide_for_system) {
        decisions::record(
            conn,
            &Decided {
                organization_id: &row.organization_id,
                legal_person_id: &row.legal_person_id,
                verification_id: &row.verification_id,
                verified_from,
                outcome,
                notes: "auto-accepted: onboarded under reliance",
                maker: "system",
                user: None,
            },
            now,
        )
        .await?;
    }
    let mut updated = row.clone();
    updated.onboarding_application_status = next.to_string();
    updated.decision_outcome = outcome.map(str::to_string);
    events::record(
        conn,
        &row.organization_id,
        crate::events::EventType::OnboardingApplicationUpdated,
        &ApplicationView::new(&updated),
    )?;
    Ok(true)
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ApplicationView {
    pub onboarding_application_url: String,
    pub onboarding_application_status: String,
    pub workflow_url: String,
    pub created_at: String,
    /// Griffin shows these once the application is processing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_person_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_outcome: Option<String>,
}

impl ApplicationView {
    pub fn new(row: &ApplicationRow) -> Self {
        let past_submitted = row.onboarding_application_status != SUBMITTED;
        ApplicationView {
            onboarding_application_url: format!("/v0/onboarding/applications/{}", row.id.clone()),
            onboarding_application_status: row.onboarding_application_status.clone(),
            workflow_url: urls::workflow(&row.workflow_id),
            created_at: time::format(row.created_at),
            legal_person_url: past_submitted.then(|| urls::legal_person(&row.legal_person_id)),
            verification_url: past_submitted.then(|| urls::verification(&row.verification_id)),
            decision_outcome: row.decision_outcome.clone(),
        }
    }
}
