//! `/v0/verifications/…`, and the verifications and history of a legal person.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::view::{self, Checks, VerificationView};
use super::{RiskRatingEntry, VerificationRow};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::http::pagination::Links;
use crate::http::url_id;
use crate::http::{ApiError, ApiResult, Json, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::{LegalPersonKind, RiskRatingKind, VerificationKind, WorkflowId};
use crate::legal_persons::LegalPersonRow;
use crate::paging::Page;
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::idempotency::Reply;
use crate::urls;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct StartVerification {
    workflow_url: String,
}

impl StartVerification {
    fn parse(&self) -> ApiResult<WorkflowId> {
        url_id(
            &self.workflow_url,
            urls::WORKFLOWS,
            "workflow",
            "/workflow-url",
        )
    }
}

/// `POST /v0/legal-persons/{legal-person-id}/verifications`
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<StartVerification>,
) -> ApiResult<Reply> {
    let workflow_id = body.parse()?;
    let now = state.clock.now();
    let step = state.settings.verification_step_micros();
    let id = path_id::<LegalPersonKind>(&path)?;
    let reply = Write::new(&caller, Permission::LegalPersonsWrite)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<LegalPersonRow>| {
                let row = super::verify(conn, &granted.resource, &workflow_id, now, step).await?;
                let view = VerificationView::new(&row);
                Reply::created(&view.verification_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

/// `GET /v0/verifications/{verification-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<VerificationKind>(&path)?;
    let mut conn = state.db.read().await?;
    let row: VerificationRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
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
    let id = path_id::<LegalPersonKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let person: LegalPersonRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let page = super::list(&mut conn, &person.id, &page_request).await?;
    let total = super::count(&mut conn, &person.id).await?;
    let page = page.map(|row| VerificationView::new(&row));
    Ok(ok(&ListBody::new(
        "verifications",
        page,
        request.path(),
        &query,
    )
    .with_total(total)))
}

/// `GET /v0/verifications/{verification-id}/profiles`: the subject and its related parties
/// (directors, persons with significant control) with their current claims.
pub async fn profiles(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<VerificationKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let verification: VerificationRow = caller.read(&mut conn, &id, Permission::Read).await?;
    Ok(ok(&view::profiles(&mut conn, &verification).await?))
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Resources {
    verification_url: String,
    legal_person_url: String,
    organization_url: String,
    verification_resources: Vec<Value>,
    links: Links,
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
    let id = path_id::<VerificationKind>(&path)?;
    let mut conn = state.db.read().await?;
    let verification: VerificationRow =
        caller.read(&mut conn.conn(), &id, Permission::Read).await?;
    let view = VerificationView::new(&verification);
    Ok(ok(&Resources {
        verification_url: view.verification_url,
        legal_person_url: view.legal_person_url,
        organization_url: urls::organization(&verification.organization_id),
        verification_resources: Vec::new(),
        links: Links {
            prev: None,
            next: None,
        },
    }))
}

/// `GET /v0/verifications/{verification-id}/checks`: one check per claim the workflow
/// needs of the subject, `passed` once the checks are complete (the sandbox passes them all).
pub async fn checks(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<VerificationKind>(&path)?;
    let mut conn = state.db.read().await?;
    let verification: VerificationRow =
        caller.read(&mut conn.conn(), &id, Permission::Read).await?;
    Ok(ok(&Checks::new(&verification)))
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
    let id = path_id::<LegalPersonKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let person: LegalPersonRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let entries = super::history::of(&mut conn, &person.id).await?;
    let total = entries.len() as i64;
    let page = Page::from_memory(entries, &page_request, |e| e.cursor()).map(|e| e.body);
    Ok(ok(&ListBody::new(
        "legal-person-history",
        page,
        request.path(),
        &query,
    )
    .with_total(total)))
}

/// `GET /v0/risk-ratings/{risk-rating-id}` (ours: Griffin links risk ratings without
/// describing them): the rating a verification gave, as Griffin's risk-rating entry. A
/// verification that gave none has no rating to show: 404.
pub async fn risk_rating(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<RiskRatingKind>(&path)?;
    let verification_id = id
        .same_bytes::<VerificationKind>()
        .ok_or_else(ApiError::not_found)?;
    let mut conn = state.db.read().await?;
    let verification: VerificationRow = caller
        .read(&mut conn.conn(), &verification_id, Permission::Read)
        .await?;
    let entry = RiskRatingEntry::of(&verification).ok_or_else(ApiError::not_found)?;
    Ok(ok(&entry))
}
