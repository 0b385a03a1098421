use actix_web::{HttpRequest, HttpResponse, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;

use super::{DecisionRow, DecisionView};
use crate::AppState;
use crate::http::{
    ApiError, ApiResult, Caller, Json, ListBody, QueryParams, created, list_request, ok,
};
use crate::ids::{DecisionId, VerificationKind};
use crate::legal_persons::LegalPersonRow;
use crate::roles::Permission;
use crate::store::schema::claims;
use crate::verifications::{self, CHECKS_COMPLETE};
use crate::{dispatch, events, urls, users};

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum Outcome {
    Accepted,
    Declined,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Decide {
    verification_url: String,
    decision_outcome: Outcome,
    decision_notes: String,
}

/// `POST /v0/legal-persons/{legal-person-id}/decisions` (`decisions:write`): only on a
/// verification of this legal person whose checks are complete.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<Decide>,
) -> ApiResult<HttpResponse> {
    let verification_id =
        urls::parse::<VerificationKind>(&body.verification_url, "/v0/verifications").ok_or_else(
            || {
                ApiError::invalid_body(
                    "Invalid value",
                    "Not a verification URL.",
                    "/verification-url",
                )
            },
        )?;
    let now = state.clock.now();
    let mut tx = state.db.write().await?;
    let result: ApiResult<DecisionView> = async {
        let mut conn = tx.conn();
        let (person, _) = caller
            .visible_for_write::<LegalPersonRow>(&mut conn, &path, Permission::DecisionsWrite)
            .await?;
        let verification = verifications::find(&mut conn, verification_id.as_str())
            .await?
            .filter(|v| v.legal_person_id == person.id)
            .ok_or_else(|| {
                ApiError::unprocessable("verification-not-found", "The legal person has no such verification.")
                    .with_pointer("/verification-url")
            })?;
        if verification.verification_status != CHECKS_COMPLETE {
            return Err(ApiError::unprocessable(
                "verification-not-complete",
                format!("The verification is {}; decide once its checks are complete.", verification.verification_status),
            )
            .with_pointer("/verification-url"));
        }
        let (application, status) = match body.decision_outcome {
            Outcome::Accepted => ("accepted", "onboarded"),
            Outcome::Declined => ("declined", "onboarding-declined"),
        };
        let row = DecisionRow {
            id: DecisionId::generate().into_string(),
            organization_id: person.organization_id.clone(),
            legal_person_id: person.id.clone(),
            verification_id: verification.id.clone(),
            decision_outcome: application.to_string(),
            decision_notes: body.decision_notes.clone(),
            decision_maker: "user".to_string(),
            user_id: Some(caller.user_id.to_string()),
            created_at: now,
        };
        super::insert(&mut conn, &row).await?;
        verifications::set_person_status(&mut conn, &person.id, application, status, now).await?;
        if matches!(body.decision_outcome, Outcome::Accepted) {
            dispatch!(&mut conn, c => diesel::update(claims::table.filter(claims::legal_person_id.eq(&person.id)))
                .set(claims::verification_status.eq(crate::claims::VERIFIED))
                .execute(c)
                .await)?;
        }
        let username = users::find(&mut conn, caller.user_id.as_str()).await?.map(|u| u.username);
        let view = DecisionView::new(row, username);
        events::record(&mut conn, &person.organization_id, "decision-created", &view).await?;
        Ok(view)
    }
    .await;
    let view = tx.finish(result).await?;
    let location = view.legal_person_url.clone() + "/decisions";
    Ok(created(&location, &view))
}

/// `GET /v0/legal-persons/{legal-person-id}/decisions`
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
    let names = super::usernames(&mut conn, &page.items).await?;
    let page = page.map(|row| {
        let name = row.user_id.as_ref().and_then(|id| names.get(id).cloned());
        DecisionView::new(row, name)
    });
    Ok(ok(&ListBody::new(
        "decisions",
        page,
        request.path(),
        &query,
    )))
}
