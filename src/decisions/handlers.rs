use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::DecisionView;
use crate::AppState;
use crate::http::{
    ApiError, ApiResult, Caller, Json, ListBody, QueryParams, created, list_request, ok,
};
use crate::ids::VerificationKind;
use crate::legal_persons::LegalPersonRow;
use crate::roles::Permission;
use crate::verifications::{self, CHECKS_COMPLETE};
use crate::{urls, users};

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
        let verification = verifications::find(&mut conn, &verification_id)
            .await?
            .filter(|v| v.legal_person_id == person.id)
            .ok_or_else(|| {
                ApiError::unprocessable(
                    "verification-not-found",
                    "The legal person has no such verification.",
                )
                .with_pointer("/verification-url")
            })?;
        // Only the person's current verification, and only once: an older one was
        // superseded by a new application, and a decision is final.
        let latest = verifications::latest_for(&mut conn, std::slice::from_ref(&person.id)).await?;
        if latest.first().is_some_and(|l| l.id != verification.id) {
            return Err(ApiError::unprocessable(
                "verification-superseded",
                "A newer verification of this legal person exists; decide on that one.",
            )
            .with_pointer("/verification-url"));
        }
        if super::exists_for(&mut conn, &verification.id)
            .await?
            .is_some()
        {
            return Err(ApiError::conflict(
                "verification-already-decided",
                "This verification has been decided on already.",
            ));
        }
        if verification.verification_status != CHECKS_COMPLETE {
            return Err(ApiError::unprocessable(
                "verification-not-complete",
                format!(
                    "The verification is {}; decide once its checks are complete.",
                    verification.verification_status
                ),
            )
            .with_pointer("/verification-url"));
        }
        let outcome = match body.decision_outcome {
            Outcome::Accepted => super::ACCEPTED,
            Outcome::Declined => super::DECLINED,
        };
        let username = users::find(&mut conn, &caller.user_id)
            .await?
            .map(|u| u.username);
        let view = super::record(
            &mut conn,
            &super::Decided {
                organization_id: &person.organization_id,
                legal_person_id: &person.id,
                verification_id: &verification.id,
                verified_from: verification.created_at,
                outcome,
                notes: &body.decision_notes,
                maker: "user",
                user: Some((&caller.user_id, username)),
            },
            now,
        )
        .await?;
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
