use std::collections::BTreeSet;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;

use super::{VerificationRow, VerificationView};
use crate::AppState;
use crate::claims::{self, ClaimRow};
use crate::http::{
    ApiError, ApiResult, Caller, Json, ListBody, QueryParams, created, list_request, ok,
};
use crate::ids::{LegalPersonKind, WorkflowKind};
use crate::legal_persons::LegalPersonRow;
use crate::roles::Permission;
use crate::store::Conn;
use crate::{urls, workflows};

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct StartVerification {
    workflow_url: String,
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
fn related_people(claims: &[ClaimRow]) -> Vec<String> {
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
            && !ids.contains(&id.to_string())
        {
            ids.push(id.to_string());
        }
    }
    ids
}

/// Every claim the workflow needs and the subject (and, for a corporation, each of its
/// directors and persons with significant control) lacks, as `who: types` lines.
async fn missing_claims(
    conn: &mut Conn<'_>,
    person: &LegalPersonRow,
    workflow: &workflows::Workflow,
) -> ApiResult<Vec<String>> {
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

/// `POST /v0/legal-persons/{legal-person-id}/verifications`
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<StartVerification>,
) -> ApiResult<HttpResponse> {
    let workflow_id =
        urls::parse::<WorkflowKind>(&body.workflow_url, "/v0/workflows").ok_or_else(|| {
            ApiError::invalid_body("Invalid value", "Not a workflow URL.", "/workflow-url")
        })?;
    let now = state.clock.now();
    let step = state.settings.verification_step_micros();
    let mut tx = state.db.write().await?;
    let result: ApiResult<VerificationRow> = async {
        let mut conn = tx.conn();
        let (person, _) = caller
            .visible_for_write::<LegalPersonRow>(&mut conn, &path, Permission::LegalPersonsWrite)
            .await?;
        let (workflow, _) = workflows::find(
            workflow_id.as_str(),
            std::slice::from_ref(&person.organization_id),
        )
        .ok_or_else(ApiError::not_found)?;
        if workflow.legal_person_type != person.legal_person_type {
            return Err(ApiError::unprocessable(
                "workflow-legal-person-type-mismatch",
                format!(
                    "This workflow verifies {}s; the legal person is a {}.",
                    workflow.legal_person_type, person.legal_person_type
                ),
            )
            .with_pointer("/workflow-url"));
        }
        if super::in_flight_for(&mut conn, &person.id).await?.is_some() {
            return Err(ApiError::conflict(
                "verification-in-progress",
                "A verification of this legal person is already in progress.",
            ));
        }
        let lacking = missing_claims(&mut conn, &person, workflow).await?;
        if !lacking.is_empty() {
            return Err(ApiError::unprocessable(
                "missing-claims",
                format!(
                    "The workflow needs claims that are missing — {}.",
                    lacking.join("; ")
                ),
            ));
        }
        super::start(
            &mut conn,
            &person.organization_id,
            &person.id,
            &workflow_id,
            now,
            step,
        )
        .await
        .map_err(ApiError::from)
    }
    .await;
    let row = tx.finish(result).await?;
    let view = VerificationView::new(&row);
    Ok(created(&view.verification_url.clone(), &view))
}

/// `GET /v0/verifications/{verification-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<VerificationRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    Ok(ok(&VerificationView::new(&row)))
}

/// `GET /v0/legal-persons/{legal-person-id}/verifications`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let person = caller
        .visible::<LegalPersonRow>(&mut conn, &path, Permission::Read)
        .await?;
    let page = super::list(&mut conn, &person.id, &page_request).await?;
    let page = page.map(|row| VerificationView::new(&row));
    Ok(ok(&ListBody::new(
        "verifications",
        page,
        request.path(),
        &query,
    )))
}
