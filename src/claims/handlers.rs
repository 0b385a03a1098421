//! `/v0/legal-persons/{legal-person-id}/claims` and `/v0/claims/{claim-id}`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::{ClaimRow, ClaimStatus, NewClaim};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::http::{ApiResult, Json, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::{ClaimKind, LegalPersonKind};
use crate::legal_persons::LegalPersonRow;
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::idempotency::Reply;

/// `POST /v0/legal-persons/{legal-person-id}/claims`
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<Value>,
) -> ApiResult<Reply> {
    let claim = NewClaim::parse(&body, "")?;
    let id = path_id::<LegalPersonKind>(&path)?;
    let reply = Write::new(&caller, Permission::LegalPersonsWrite)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<LegalPersonRow>| {
                let row = super::create(conn, &granted.resource, claim).await?;
                Reply::created(&super::view::url(&row.id), &super::view(&row))
            },
        )
        .await?;
    Ok(reply)
}

const STATUS_FILTER: &str = "filter[verification-status][eq]";

/// `GET /v0/legal-persons/{legal-person-id}/claims`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(&query, &[STATUS_FILTER], &[])?;
    let status = query.enum_eq::<ClaimStatus>(STATUS_FILTER)?;
    let id = path_id::<LegalPersonKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let person: LegalPersonRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let page = super::list(&mut conn, &person.id, status, &page_request).await?;
    let page = page.map(|row| super::view(&row));
    Ok(ok(&ListBody::new("claims", page, request.path(), &query)))
}

/// `DELETE /v0/claims/{claim-id}`
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    let id = path_id::<ClaimKind>(&path)?;
    let reply = Write::new(&caller, Permission::LegalPersonsWrite)
        .locked()
        .run(&state.db, &id, async |conn, granted: Granted<ClaimRow>| {
            super::remove(conn, &granted.resource).await?;
            Ok(Reply::no_content())
        })
        .await?;
    Ok(reply)
}
