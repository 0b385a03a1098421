use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;

use super::{VerificationRow, VerificationView};
use crate::AppState;
use crate::claims::{self};
use crate::http::{
    ApiError, ApiResult, Caller, Json, ListBody, QueryParams, created, list_request, ok,
};
use crate::ids::WorkflowKind;
use crate::legal_persons::LegalPersonRow;
use crate::roles::Permission;
use crate::store::Conn;
use crate::{urls, workflows};

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct StartVerification {
    workflow_url: String,
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
        let (workflow, _) =
            workflows::find(&workflow_id, std::slice::from_ref(&person.organization_id))
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
        super::require_claims(&mut conn, &person, workflow).await?;
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

#[derive(serde::Serialize)]
#[serde(rename_all = "kebab-case")]
struct Profile {
    display_name: String,
    legal_person_url: String,
    legal_person_type: String,
    current_claims: Vec<Value>,
}

async fn profile(conn: &mut Conn<'_>, person: LegalPersonRow) -> ApiResult<Profile> {
    let claims = claims::all_of(conn, &person.id).await?;
    Ok(Profile {
        legal_person_url: urls::legal_person(&person.id),
        display_name: person.display_name,
        legal_person_type: person.legal_person_type,
        current_claims: claims.iter().map(claims::view).collect(),
    })
}

#[derive(serde::Serialize)]
#[serde(rename_all = "kebab-case")]
struct Profiles {
    verification_subject_profile: Profile,
    verification_related_party_profiles: Vec<Profile>,
}

/// `GET /v0/verifications/{verification-id}/profiles`: the subject and its related parties
/// (directors, persons with significant control) with their current claims.
pub async fn profiles(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let verification = caller
        .visible::<VerificationRow>(&mut conn, &path, Permission::Read)
        .await?;
    let subject = crate::legal_persons::find(&mut conn, &verification.legal_person_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let own_claims = claims::all_of(&mut conn, &subject.id).await?;
    let mut related = Vec::new();
    for id in super::related_people(&own_claims) {
        if let Some(person) = crate::legal_persons::find(&mut conn, &id).await? {
            related.push(profile(&mut conn, person).await?);
        }
    }
    Ok(ok(&Profiles {
        verification_subject_profile: profile(&mut conn, subject).await?,
        verification_related_party_profiles: related,
    }))
}

#[derive(serde::Serialize)]
#[serde(rename_all = "kebab-case")]
struct Resources {
    verification_url: String,
    legal_person_url: String,
    organization_url: String,
    verification_resources: Vec<Value>,
    links: crate::http::pagination::Links,
}

/// `GET /v0/verifications/{verification-id}/resources`: identity-check links sent to the
/// people verified. The sandbox sends none, so the list is empty.
pub async fn resources(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let verification = caller
        .visible::<VerificationRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    let view = VerificationView::new(&verification);
    Ok(ok(&Resources {
        verification_url: view.verification_url,
        legal_person_url: view.legal_person_url,
        organization_url: urls::organization(&verification.organization_id),
        verification_resources: Vec::new(),
        links: crate::http::pagination::Links {
            prev: None,
            next: None,
        },
    }))
}

#[derive(serde::Serialize)]
#[serde(rename_all = "kebab-case")]
struct Check {
    check_type: &'static str,
    claim_type: &'static str,
    check_status: &'static str,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "kebab-case")]
struct Checks {
    verification_url: String,
    verification_checks: Vec<Check>,
}

/// `GET /v0/verifications/{verification-id}/checks`: one check per claim the workflow
/// needs of the subject, `passed` once the checks are complete (the sandbox passes them all).
pub async fn checks(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let verification = caller
        .visible::<VerificationRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    let workflow = workflows::find(
        &verification.workflow_id,
        std::slice::from_ref(&verification.organization_id),
    )
    .map(|(w, _)| w);
    let status = if verification.verification_status == super::CHECKS_COMPLETE {
        "passed"
    } else {
        "pending"
    };
    let verification_checks = workflow
        .map(|w| w.subject_requirements())
        .unwrap_or(&[])
        .iter()
        .map(|claim_type| Check {
            check_type: "claim",
            claim_type,
            check_status: status,
        })
        .collect();
    Ok(ok(&Checks {
        verification_url: VerificationView::new(&verification).verification_url,
        verification_checks,
    }))
}

/// One entry of a legal person's history, built from its verifications and decisions.
struct HistoryEntry {
    at: crate::time::Micros,
    /// Unique among the entries: the source row's id and what happened to it.
    key: String,
    body: Value,
}

/// `GET /v0/legal-persons/{legal-person-id}/history`: verifications started, risk ratings
/// registered and decisions taken, newest first.
pub async fn history(
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
    let mut entries = Vec::new();
    let all = super::all_of(&mut conn, &person.id).await?;
    for verification in &all {
        let view = VerificationView::new(verification);
        entries.push(HistoryEntry {
            at: verification.created_at,
            key: format!("{}.created", verification.id),
            body: serde_json::json!({
                "legal-person-history-event-type": "verification-created",
                "timestamp": crate::time::format(verification.created_at),
                "verification-url": view.verification_url,
                "workflow-url": view.workflow_url,
            }),
        });
        if let Some(risk_rating) = &verification.risk_rating {
            entries.push(HistoryEntry {
                at: verification.updated_at,
                key: format!("{}.rated", verification.id),
                body: serde_json::json!({
                    "legal-person-history-event-type": "risk-rating-registered",
                    "timestamp": crate::time::format(verification.updated_at),
                    "risk-rating": risk_rating,
                }),
            });
        }
    }
    for decision in crate::decisions::all_of(&mut conn, &person.id).await? {
        let at = decision.created_at;
        let key = format!("{}.decided", decision.id);
        let username = match &decision.user_id {
            Some(id) => crate::users::find(&mut conn, id).await?.map(|u| u.username),
            None => None,
        };
        let mut body =
            serde_json::to_value(crate::decisions::DecisionView::new(decision, username))
                .unwrap_or_default();
        if let Some(map) = body.as_object_mut() {
            map.remove("legal-person-url");
            map.remove("created-at");
            map.insert(
                "legal-person-history-event-type".into(),
                "decision-created".into(),
            );
            map.insert("timestamp".into(), crate::time::format(at).into());
        }
        entries.push(HistoryEntry { at, key, body });
    }
    let page = crate::paging::Page::from_memory(entries, &page_request, |e| {
        crate::paging::Cursor::new(e.at, &e.key)
    });
    let page = page.map(|e| e.body);
    Ok(ok(&ListBody::new(
        "legal-person-history",
        page,
        request.path(),
        &query,
    )))
}
