//! `/v0/legal-persons/{legal-person-id}/decisions`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{DecisionOutcome, DecisionView, NewDecision};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::http::url_id;
use crate::http::{ApiResult, Json, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::LegalPersonKind;
use crate::legal_persons::LegalPersonRow;
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::idempotency::Reply;
use crate::urls;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Decide {
    verification_url: String,
    decision_outcome: DecisionOutcome,
    decision_notes: String,
}

impl Decide {
    fn parse(self) -> ApiResult<NewDecision> {
        let verification_id = url_id(
            &self.verification_url,
            urls::VERIFICATIONS,
            "verification",
            "/verification-url",
        )?;
        Ok(NewDecision {
            verification_id,
            outcome: self.decision_outcome,
            notes: self.decision_notes,
        })
    }
}

/// `POST /v0/legal-persons/{legal-person-id}/decisions` (`decisions:write`): only on a
/// verification of this legal person whose checks are complete.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<Decide>,
) -> ApiResult<Reply> {
    let decision = body.parse()?;
    let now = state.clock.now();
    let id = path_id::<LegalPersonKind>(&path)?;
    let reply = Write::new(&caller, Permission::DecisionsWrite)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<LegalPersonRow>| {
                let person = &granted.resource;
                let view = super::decide(conn, person, &caller.user_id, decision, now).await?;
                let location = view.legal_person_url.clone() + "/decisions";
                Reply::created(&location, &view)
            },
        )
        .await?;
    Ok(reply)
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
    let id = path_id::<LegalPersonKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let person: LegalPersonRow = caller.read(&mut conn, &id, Permission::Read).await?;
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
