use actix_web::{HttpRequest, HttpResponse, web};

use super::{AdmissionRow, AdmissionView, PaymentRow, PaymentView};
use crate::AppState;
use crate::bank_accounts::BankAccountRow;
use crate::http::pagination::list_request;
use crate::http::{ApiResult, Caller, ListBody, QueryParams, ok};
use crate::roles::Permission;

/// `GET /v0/payments/{payment-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<PaymentRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    Ok(ok(&PaymentView::new(&row)))
}

/// `GET /v0/bank/accounts/{bank-account-id}/payments`
pub async fn list_for_account(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account = caller
        .visible::<BankAccountRow>(&mut conn, &path, Permission::Read)
        .await?;
    let page = super::list_for_account(&mut conn, &account.id, &page_request).await?;
    Ok(ok(&ListBody::new(
        "payments",
        page.map(|row| PaymentView::new(&row)),
        request.path(),
        &query,
    )))
}

/// `GET /v0/admissions/{admission-id}`
pub async fn get_admission(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<AdmissionRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    Ok(ok(&AdmissionView::new(&row)))
}

/// `GET /v0/bank/accounts/{bank-account-id}/admissions`
pub async fn list_for_account_admissions(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account = caller
        .visible::<BankAccountRow>(&mut conn, &path, Permission::Read)
        .await?;
    let page = super::list_admissions(&mut conn, Some(&account.id), None, &page_request).await?;
    Ok(ok(&ListBody::new(
        "admissions",
        page.map(|row| AdmissionView::new(&row)),
        request.path(),
        &query,
    )))
}

/// `GET /v0/payments/{payment-id}/admissions`
pub async fn list_for_payment_admissions(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let payment = caller
        .visible::<PaymentRow>(&mut conn, &path, Permission::Read)
        .await?;
    let page = super::list_admissions(&mut conn, None, Some(&payment.id), &page_request).await?;
    Ok(ok(&ListBody::new(
        "admissions",
        page.map(|row| AdmissionView::new(&row)),
        request.path(),
        &query,
    )))
}
