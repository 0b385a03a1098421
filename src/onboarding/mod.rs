//! Reliance onboarding: an organization that verified a customer itself submits the whole
//! application in one request. The legal persons, their claims and the verification are
//! created at once (`submitted`); the worker moves the application to `processing`, and
//! once the verification's checks are complete the bank accepts it automatically
//! (`complete`, a `system` decision).

pub mod handlers;
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::claims::{self, NewClaim};
use crate::decisions::{self, Decided, DecisionMaker, DecisionOutcome};
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{
    LegalPersonId, OnboardingApplicationId, OrganizationId, VerificationId, WorkflowId,
};
use crate::legal_persons::{self, DisplayName, LegalPersonRow, LegalPersonType, NewLegalPerson};
use crate::organizations::OrganizationRow;
use crate::store::schema::onboarding_applications as applications;
use crate::store::{Conn, Db, PreparedExt, StoreError};
use crate::time::Micros;
use crate::verifications::{self, VerificationStatus};
use crate::workflows::{self, Workflow};
use crate::{access, events};

pub use view::ApplicationView;

crate::text_enum! {
    pub enum ApplicationStatus {
        Submitted = "submitted",
        Processing = "processing",
        Complete = "complete",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = applications, treat_none_as_default_value = false)]
pub struct ApplicationRow {
    pub id: OnboardingApplicationId,
    pub organization_id: OrganizationId,
    pub workflow_id: WorkflowId,
    pub onboarding_application_status: ApplicationStatus,
    pub legal_person_id: LegalPersonId,
    pub verification_id: VerificationId,
    pub decision_outcome: Option<DecisionOutcome>,
    pub due_at: Option<Micros>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for ApplicationRow {
    type Kind = crate::ids::OnboardingApplicationKind;

    async fn find(conn: &mut Conn<'_>, id: &OnboardingApplicationId) -> QueryResult<Option<Self>> {
        dispatch!(conn, c => applications::table
            .find(id)
            .select(ApplicationRow::as_select())
            .first(c)
            .await
            .optional())
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

/// A person of an application: their display name and the claims made about them.
#[derive(Debug, Clone)]
pub struct Profile {
    pub display_name: DisplayName,
    pub claims: Vec<NewClaim>,
}

/// An individual related to the subject (a director, a person with significant control, …).
#[derive(Debug, Clone)]
pub struct RelatedProfile {
    /// Chosen beforehand: the ties name the person by URL.
    pub id: LegalPersonId,
    pub profile: Profile,
    /// The claims on the subject that tie the person to it.
    pub ties: Vec<NewClaim>,
}

/// A reliance onboarding application, as a request describes it.
#[derive(Debug, Clone)]
pub struct Application {
    pub workflow_id: WorkflowId,
    pub subject: Profile,
    pub related: Vec<RelatedProfile>,
}

/// Directors, persons with significant control and the like of one company: a bound keeps
/// one request's transaction short.
pub const MAX_RELATED: usize = 100;

/// Takes an application, in the write's transaction: the workflow must be one of the
/// organization's reliance workflows, and the request must carry every claim it needs. The
/// subject, its related people, their claims and the verification are created at once.
pub async fn apply(
    conn: &mut Conn<'_>,
    organization: &OrganizationRow,
    application: Application,
    now: Micros,
    step: Micros,
) -> DomainResult<ApplicationRow> {
    let workflow = reliance_workflow(&application.workflow_id, &organization.id)?;
    let subject_id = LegalPersonId::generate();
    let subject = add_person(
        conn,
        organization,
        subject_id,
        workflow.legal_person_type,
        application.subject,
    )
    .await?;
    for related in application.related {
        let individual = LegalPersonType::Individual;
        add_person(conn, organization, related.id, individual, related.profile).await?;
        claims::add(conn, &subject, &related.ties).await?;
    }
    verifications::require_claims(conn, &subject, workflow).await?;
    let verification = verifications::start(
        conn,
        &organization.id,
        &subject.id,
        &application.workflow_id,
        now,
        step,
    )
    .await?;
    let row = ApplicationRow {
        id: OnboardingApplicationId::generate(),
        organization_id: organization.id.clone(),
        workflow_id: application.workflow_id,
        onboarding_application_status: ApplicationStatus::Submitted,
        legal_person_id: subject.id,
        verification_id: verification.id,
        decision_outcome: None,
        due_at: Some(now + step),
        created_at: now,
        updated_at: now,
    };
    insert(conn, &row).await?;
    Ok(row)
}

/// The organization's workflow `id`, if it is one of the reliance workflows.
fn reliance_workflow(
    id: &WorkflowId,
    organization_id: &OrganizationId,
) -> DomainResult<&'static Workflow> {
    let (workflow, _) =
        workflows::find(id, std::slice::from_ref(organization_id)).ok_or(DomainError::NotFound)?;
    if !workflow.key.starts_with("reliance-") {
        return Err(DomainError::unprocessable(
            "not-a-reliance-workflow",
            "Onboarding applications take one of the reliance workflows.",
        )
        .at("/workflow-url"));
    }
    Ok(workflow)
}

async fn add_person(
    conn: &mut Conn<'_>,
    organization: &OrganizationRow,
    id: LegalPersonId,
    legal_person_type: LegalPersonType,
    profile: Profile,
) -> DomainResult<LegalPersonRow> {
    let new = NewLegalPerson {
        legal_person_type,
        display_name: profile.display_name,
        claims: profile.claims,
    };
    legal_persons::create_with_id(conn, organization, id, new).await
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
                applications::onboarding_application_status.eq(ApplicationStatus::Processing).or(
                    applications::onboarding_application_status
                        .eq(ApplicationStatus::Submitted)
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
        if db
            .transaction(async |conn| advance(conn, &row, now).await)
            .await??
        {
            taken += 1;
        }
    }
    Ok(taken)
}

/// What the next step of an application does.
struct Step {
    next: ApplicationStatus,
    outcome: Option<DecisionOutcome>,
    /// The system decides, on claims made by then, when the organization has not.
    system_decides_from: Option<Micros>,
}

/// The application's next step, if one is due.
async fn next_step(
    conn: &mut Conn<'_>,
    row: &ApplicationRow,
    now: Micros,
) -> QueryResult<Option<Step>> {
    match row.onboarding_application_status {
        ApplicationStatus::Submitted if row.due_at.is_some_and(|due| due <= now) => {
            Ok(Some(Step {
                next: ApplicationStatus::Processing,
                outcome: None,
                system_decides_from: None,
            }))
        }
        ApplicationStatus::Processing => {
            let Some(verification) = verifications::find(conn, &row.verification_id).await? else {
                return Ok(None);
            };
            if verification.verification_status != VerificationStatus::ChecksComplete {
                return Ok(None);
            }
            // Behind the organization's lock, as user decisions are: if the organization
            // decided first, the application completes with its decision, not the system's.
            access::lock_organization(conn, &row.organization_id).await?;
            let decided = decisions::outcome_of(conn, &verification.id).await?;
            Ok(Some(Step {
                next: ApplicationStatus::Complete,
                outcome: Some(decided.unwrap_or(DecisionOutcome::Accepted)),
                system_decides_from: decided.is_none().then_some(verification.created_at),
            }))
        }
        _ => Ok(None),
    }
}

async fn advance(conn: &mut Conn<'_>, row: &ApplicationRow, now: Micros) -> QueryResult<bool> {
    let Some(step) = next_step(conn, row, now).await? else {
        return Ok(false);
    };
    let changed = dispatch!(conn, c => diesel::update(
            applications::table
                .filter(applications::id.eq(&row.id))
                .filter(applications::onboarding_application_status.eq(row.onboarding_application_status)),
        )
        .set((
            applications::onboarding_application_status.eq(step.next),
            applications::decision_outcome.eq(step.outcome),
            applications::due_at.eq(None::<Micros>),
            applications::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    if changed == 0 {
        return Ok(false);
    }
    if let (Some(outcome), Some(verified_from)) = (step.outcome, step.system_decides_from) {
        let decided = Decided {
            organization_id: &row.organization_id,
            legal_person_id: &row.legal_person_id,
            verification_id: &row.verification_id,
            verified_from,
            outcome,
            notes: "auto-accepted: onboarded under reliance",
            maker: DecisionMaker::System,
            user: None,
        };
        decisions::record(conn, &decided, now).await?;
    }
    let updated = ApplicationRow {
        onboarding_application_status: step.next,
        decision_outcome: step.outcome,
        ..row.clone()
    };
    events::record(
        conn,
        &row.organization_id,
        crate::events::EventType::OnboardingApplicationUpdated,
        &ApplicationView::new(&updated),
    )?;
    Ok(true)
}
