use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{BOOK_TRANSFER, FPS, STATUSES, Scope, SubmissionRow, SubmissionView};
use crate::AppState;
use crate::bank_accounts::BankAccountRow;
use crate::http::idempotency::{self, Answer, Idempotent, Outcome};
use crate::http::pagination::list_request;
use crate::http::{ApiError, ApiResult, Caller, ListBody, QueryParams, ok, path_id};
use crate::ids::PaymentKind;
use crate::paging::InstantRange;
use crate::payments::PaymentRow;
use crate::roles::Permission;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Submit {
    payment_scheme: String,
}

/// Who may submit a payment: its creator with `payments:submit`, anyone else with
/// `payments:approve` (a second pair of eyes).
pub fn submit_permission(payment: &PaymentRow, caller: &Caller) -> Permission {
    if payment.created_by_user_id.as_deref() == Some(caller.user_id.as_str()) {
        Permission::PaymentsSubmit
    } else {
        Permission::PaymentsApprove
    }
}

/// `POST /v0/payments/{payment-id}/submissions` → 200 with the submission.
pub async fn submit(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: Idempotent<Submit>,
) -> ApiResult<HttpResponse> {
    let scheme = match request.body.payment_scheme.as_str() {
        "fps" => FPS,
        "book-transfer" => BOOK_TRANSFER,
        _ => {
            return Err(ApiError::invalid_body(
                "Invalid enum value",
                "`payment-scheme` must be fps or book-transfer.",
                "/payment-scheme",
            ));
        }
    };
    let id = path_id::<PaymentKind>(&path)?;
    let key = request.key;
    // The account is read first, to count this submission against the account's limit
    // before it queues for the writer; the payment is read again behind the write below.
    let account_id = {
        let mut conn = state.db.read().await?;
        let payment = caller
            .visible::<PaymentRow>(&mut conn.conn(), id.as_str(), Permission::Read)
            .await?;
        payment.account_id
    };
    let _permit = state.limits.submission(&account_id)?;
    let delay = crate::time::micros(state.settings.fps_settlement);
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let payment = crate::payments::find(&mut conn, &id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        caller
            .fresh_access(
                &mut conn,
                &payment.organization_id,
                submit_permission(&payment, &caller),
            )
            .await?;
        if let Some(taken) =
            idempotency::claim(&mut conn, key.as_ref(), &payment.organization_id).await?
        {
            return Ok(taken);
        }
        let row = super::submit(&mut conn, &payment, scheme, &caller.user_id, delay).await?;
        let answer = Answer::ok(&SubmissionView::new(&row))?;
        idempotency::done(&mut conn, key.as_ref(), &payment.organization_id, answer).await
    }
    .await;
    let outcome: Outcome = tx.finish(result).await?;
    idempotency::respond(&state.db, key.as_ref(), outcome).await
}

/// `GET /v0/submissions/{submission-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<SubmissionRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    Ok(ok(&SubmissionView::new(&row)))
}

const ACCOUNT_FILTERS: [&str; 5] = [
    "filter[submission-status][in][]",
    "filter[created-at][gte]",
    "filter[created-at][gt]",
    "filter[created-at][lte]",
    "filter[created-at][lt]",
];

/// `GET /v0/bank/accounts/{bank-account-id}/submissions`
pub async fn list_for_account(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(&query, &ACCOUNT_FILTERS, &[])?;
    let statuses = query.enum_list("filter[submission-status][in][]", &STATUSES)?;
    let created = crate::http::query::instant_range(&query, "created-at")?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account = caller
        .visible::<BankAccountRow>(&mut conn, &path, Permission::Read)
        .await?;
    let page = super::list(
        &mut conn,
        Scope::Account(&account.id),
        &statuses,
        &created,
        &page_request,
    )
    .await?;
    Ok(ok(&ListBody::new(
        "submissions",
        page.map(|row| SubmissionView::new(&row)),
        request.path(),
        &query,
    )))
}

/// `GET /v0/payments/{payment-id}/submissions`
pub async fn list_for_payment(
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
    let page = super::list(
        &mut conn,
        Scope::Payment(&payment.id),
        &[],
        &InstantRange::default(),
        &page_request,
    )
    .await?;
    Ok(ok(&ListBody::new(
        "submissions",
        page.map(|row| SubmissionView::new(&row)),
        request.path(),
        &query,
    )))
}
