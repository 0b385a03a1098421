//! `/v0/bank/account-restrictions/…` and an account's restrictions.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{
    Change, LegalStatus, MAX_NOTES, NewTerms, ReasonCode, RestrictionEventView, RestrictionRow,
    RestrictionStatus, RestrictionType, RestrictionView, Terms,
};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::bank_accounts::BankAccountRow;
use crate::http::pagination::list_request;
use crate::http::{ApiError, ApiResult, Json, ListBody, QueryParams, ok, path_id};
use crate::ids::{BankAccountKind, RestrictionKind};
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::idempotency::Reply;

/// The notes that go with every change, and the user who makes it.
fn change(notes: String, caller: &Caller) -> ApiResult<Change> {
    if notes.chars().count() > MAX_NOTES {
        return Err(ApiError::invalid_body(
            "Invalid value",
            format!("`notes` must be at most {MAX_NOTES} characters."),
            "/notes",
        ));
    }
    Ok(Change {
        notes,
        user_id: caller.user_id.clone(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Apply {
    restriction_type: RestrictionType,
    restriction_reason_code: ReasonCode,
    restriction_legal_status: LegalStatus,
    notes: String,
}

/// `POST /v0/bank/accounts/{bank-account-id}/restrictions`
pub async fn apply(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<Apply>,
) -> ApiResult<Reply> {
    let id = path_id::<BankAccountKind>(&path)?;
    let terms = Terms {
        restriction_type: body.restriction_type,
        reason_code: body.restriction_reason_code,
        legal_status: body.restriction_legal_status,
    };
    let change = change(body.notes, &caller)?;
    let reply = Write::new(&caller, Permission::AccountRestrictionsWrite)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<BankAccountRow>| {
                let row = super::apply(conn, &granted.resource, terms, &change).await?;
                let view = RestrictionView::load(conn, &row).await?;
                Reply::created(&view.bank_account_restriction_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

/// `GET /v0/bank/account-restrictions/{bank-account-restriction-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<RestrictionKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row: RestrictionRow = caller.read(&mut conn, &id, Permission::Read).await?;
    Ok(ok(&RestrictionView::load(&mut conn, &row).await?))
}

/// `GET /v0/bank/accounts/{bank-account-id}/restrictions`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let id = path_id::<BankAccountKind>(&path)?;
    let page_request = list_request(&query, &["filter[restriction-status][eq]"], &[])?;
    let status = query.enum_eq::<RestrictionStatus>("filter[restriction-status][eq]")?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account: BankAccountRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let page = super::list(&mut conn, &account.id, status, &page_request).await?;
    Ok(ok(&ListBody::new(
        "bank-account-restrictions",
        page.map(|(row, username)| RestrictionView::new(&row, &username)),
        request.path(),
        &query,
    )))
}

/// `GET /v0/bank/account-restrictions/{bank-account-restriction-id}/events` (ours): what
/// happened to the restriction, with the notes given each time.
pub async fn events(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let id = path_id::<RestrictionKind>(&path)?;
    let page_request = list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row: RestrictionRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let page = super::events(&mut conn, &row.id, &page_request).await?;
    Ok(ok(&ListBody::new(
        "bank-account-restriction-events",
        page.map(|(event, username)| RestrictionEventView::new(&event, &username)),
        request.path(),
        &query,
    )))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Update {
    restriction_type: Option<RestrictionType>,
    restriction_reason_code: Option<ReasonCode>,
    restriction_legal_status: Option<LegalStatus>,
    notes: String,
}

/// `POST /v0/bank/account-restrictions/{bank-account-restriction-id}/actions/update`
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<Update>,
) -> ApiResult<Reply> {
    let id = path_id::<RestrictionKind>(&path)?;
    let change = change(body.notes, &caller)?;
    let terms = NewTerms {
        restriction_type: body.restriction_type,
        reason_code: body.restriction_reason_code,
        legal_status: body.restriction_legal_status,
    };
    let reply = Write::new(&caller, Permission::AccountRestrictionsWrite)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<RestrictionRow>| {
                let updated = super::update(conn, &granted.resource, terms, &change).await?;
                Reply::ok(&RestrictionView::load(conn, &updated).await?)
            },
        )
        .await?;
    Ok(reply)
}

#[derive(Deserialize)]
pub struct Lift {
    notes: String,
}

/// `POST /v0/bank/account-restrictions/{bank-account-restriction-id}/actions/lift`
pub async fn lift(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<Lift>,
) -> ApiResult<Reply> {
    let id = path_id::<RestrictionKind>(&path)?;
    let change = change(body.notes, &caller)?;
    let reply = Write::new(&caller, Permission::AccountRestrictionsWrite)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<RestrictionRow>| {
                let lifted = super::lift(conn, &granted.resource, &change).await?;
                Reply::ok(&RestrictionView::load(conn, &lifted).await?)
            },
        )
        .await?;
    Ok(reply)
}
