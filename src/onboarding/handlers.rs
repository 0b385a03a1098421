use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApplicationRow, ApplicationView, SUBMITTED};
use crate::AppState;
use crate::claims::handlers::{add_claims, check_all};
use crate::claims::{self, ValidClaim};
use crate::http::{ApiError, ApiResult, Caller, Json, created, ok, path_id};
use crate::ids::{LegalPersonId, OnboardingApplicationId, OrganizationKind, WorkflowKind};
use crate::legal_persons::{self, INDIVIDUAL};
use crate::roles::Permission;
use crate::{urls, verifications, workflows};

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Profile {
    display_name: String,
    #[serde(default)]
    claims: Vec<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub struct Association {
    director: Option<Value>,
    psc: Option<Psc>,
    governing_body_member: Option<Value>,
    senior_manager_function_holder: Option<Value>,
    role_titles: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Psc {
    ownership_percent: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RelatedProfile {
    display_name: String,
    #[serde(default)]
    claims: Vec<Value>,
    #[serde(default)]
    subject_association: Association,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Apply {
    workflow_url: String,
    subject_profile: Profile,
    #[serde(default)]
    related_profiles: Vec<RelatedProfile>,
}

/// The claims on the subject that tie a related person to it, from their association.
fn association_claims(association: &Association, person_url: &str) -> Vec<Value> {
    let mut out = Vec::new();
    if association.director.is_some() {
        out.push(json!({"claim-type": "director", "legal-person-url": person_url}));
    }
    if let Some(psc) = &association.psc {
        out.push(json!({"claim-type": "person-with-significant-control",
            "legal-person-url": person_url, "ownership-percent": psc.ownership_percent}));
    }
    if association.governing_body_member.is_some() {
        out.push(json!({"claim-type": "governing-body-member", "legal-person-url": person_url}));
    }
    if association.senior_manager_function_holder.is_some() {
        out.push(
            json!({"claim-type": "senior-manager-function-holder", "legal-person-url": person_url}),
        );
    }
    if let Some(titles) = &association.role_titles {
        out.push(json!({"claim-type": "role-titles", "legal-person-url": person_url, "role-titles": titles}));
    }
    out
}

fn with_pointers(claims: Vec<ValidClaim>, base: &str) -> Vec<(ValidClaim, String)> {
    claims
        .into_iter()
        .enumerate()
        .map(|(i, claim)| (claim, format!("{base}/{i}")))
        .collect()
}

/// Directors, persons with significant control and the like of one company: a bound keeps
/// one request's transaction short.
const MAX_RELATED: usize = 100;

/// `POST /v0/organizations/{organization-id}/onboarding/applications` (`legal-persons:write`):
/// one of the reliance workflows; everything the workflow needs must be in the request.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<Apply>,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let workflow_id =
        urls::parse::<WorkflowKind>(&body.workflow_url, "/v0/workflows").ok_or_else(|| {
            ApiError::invalid_body("Invalid value", "Not a workflow URL.", "/workflow-url")
        })?;
    crate::organizations::check_display_name(&body.subject_profile.display_name)
        .map_err(|e| e.at("/subject-profile/display-name"))?;
    if body.related_profiles.len() > MAX_RELATED {
        return Err(ApiError::invalid_body(
            "Invalid value",
            format!("At most {MAX_RELATED} related profiles."),
            "/related-profiles",
        ));
    }
    let subject_claims = check_all(&body.subject_profile.claims, "/subject-profile/claims")?;
    let mut related_claims = Vec::new();
    for (i, related) in body.related_profiles.iter().enumerate() {
        crate::organizations::check_display_name(&related.display_name)
            .map_err(|e| e.at(format!("/related-profiles/{i}/display-name")))?;
        related_claims.push(check_all(
            &related.claims,
            &format!("/related-profiles/{i}/claims"),
        )?);
    }
    let now = state.clock.now();
    let step = state.settings.verification_step_micros();
    let mut tx = state.db.write().await?;
    let result: ApiResult<ApplicationRow> = async {
        let mut conn = tx.conn();
        caller
            .fresh_access(
                &mut conn,
                organization_id.as_str(),
                Permission::LegalPersonsWrite,
            )
            .await?;
        let (workflow, _) = workflows::find(&workflow_id, std::slice::from_ref(&organization_id))
            .ok_or_else(ApiError::not_found)?;
        if !workflow.key.starts_with("reliance-") {
            return Err(ApiError::unprocessable(
                "not-a-reliance-workflow",
                "Onboarding applications take one of the reliance workflows.",
            )
            .with_pointer("/workflow-url"));
        }
        let subject = legal_persons::new_row(
            LegalPersonId::generate(),
            &organization_id,
            workflow.legal_person_type,
            &body.subject_profile.display_name,
        );
        legal_persons::insert(&mut conn, &subject).await?;
        add_claims(
            &mut conn,
            &subject,
            &with_pointers(subject_claims.clone(), "/subject-profile/claims"),
        )
        .await?;
        for (i, (related, claims)) in body
            .related_profiles
            .iter()
            .zip(related_claims.iter())
            .enumerate()
        {
            let person = legal_persons::new_row(
                LegalPersonId::generate(),
                &organization_id,
                INDIVIDUAL,
                &related.display_name,
            );
            legal_persons::insert(&mut conn, &person).await?;
            let base = format!("/related-profiles/{i}/claims");
            add_claims(&mut conn, &person, &with_pointers(claims.clone(), &base)).await?;
            let person_url = urls::legal_person(&person.id);
            let ties: Vec<ValidClaim> =
                association_claims(&related.subject_association, &person_url)
                    .iter()
                    .map(|value| {
                        claims::check(value, &format!("/related-profiles/{i}/subject-association"))
                    })
                    .collect::<Result<_, _>>()?;
            let pointer = format!("/related-profiles/{i}/subject-association");
            let ties: Vec<_> = ties
                .into_iter()
                .map(|claim| (claim, pointer.clone()))
                .collect();
            add_claims(&mut conn, &subject, &ties).await?;
        }
        verifications::require_claims(&mut conn, &subject, workflow).await?;
        let verification = verifications::start(
            &mut conn,
            &organization_id,
            &subject.id,
            &workflow_id,
            now,
            step,
        )
        .await?;
        let row = ApplicationRow {
            id: OnboardingApplicationId::generate(),
            organization_id: organization_id.clone(),
            workflow_id: workflow_id.clone(),
            onboarding_application_status: SUBMITTED.to_string(),
            legal_person_id: subject.id.clone(),
            verification_id: verification.id,
            decision_outcome: None,
            due_at: Some(now + step),
            created_at: now,
            updated_at: now,
        };
        super::insert(&mut conn, &row).await?;
        Ok(row)
    }
    .await;
    let view = ApplicationView::new(&tx.finish(result).await?);
    Ok(created(&view.onboarding_application_url.clone(), &view))
}

/// `GET /v0/onboarding/applications/{onboarding-application-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<ApplicationRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    Ok(ok(&ApplicationView::new(&row)))
}
