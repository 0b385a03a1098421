//! `/v0/submissions/…`, submitting a payment, and the submission lists.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{Scope, SubmissionRow, SubmissionView};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::bank_accounts::BankAccountRow;
use crate::http::idempotency::Idempotent;
use crate::http::pagination::list_request;
use crate::http::{ApiResult, ListBody, QueryParams, ok, path_id};
use crate::ids::{BankAccountKind, PaymentKind, SubmissionKind};
use crate::paging::InstantRange;
use crate::payments::{APPROVAL, PaymentRow, PaymentScheme};
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::idempotency::Reply;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Submit {
    payment_scheme: PaymentScheme,
}

/// `POST /v0/payments/{payment-id}/submissions` → 200 with the submission. Its creator
/// submits with `payments:submit`, anyone else with `payments:approve`.
pub async fn submit(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: Idempotent<Submit>,
) -> ApiResult<Reply> {
    let scheme = request.body.payment_scheme;
    let id = path_id::<PaymentKind>(&path)?;
    // The account is read first, to count this submission against the account's limit
    // before it queues for the writer; the pipeline reads the payment again.
    let account_id = {
        let mut conn = state.db.read().await?;
        let payment: PaymentRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
        payment.account_id
    };
    let _permit = state.limits.submission(account_id.as_str())?;
    let delay = crate::time::micros(state.settings.fps_settlement);
    let reply = Write::new(&caller, APPROVAL)
        .idempotent(request.key.as_ref())
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<PaymentRow>| {
                let row =
                    super::submit(conn, &granted.resource, scheme, &caller.user_id, delay).await?;
                Reply::ok(&SubmissionView::new(&row))
            },
        )
        .await?;
    Ok(reply)
}

/// `GET /v0/submissions/{submission-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<SubmissionKind>(&path)?;
    let mut conn = state.db.read().await?;
    let row: SubmissionRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
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
    let id = path_id::<BankAccountKind>(&path)?;
    let page_request = list_request(&query, &ACCOUNT_FILTERS, &[])?;
    let statuses = query.enum_list("filter[submission-status][in][]")?;
    let created = crate::http::query::instant_range(&query, "created-at")?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account: BankAccountRow = caller.read(&mut conn, &id, Permission::Read).await?;
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
    let id = path_id::<PaymentKind>(&path)?;
    let page_request = list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let payment: PaymentRow = caller.read(&mut conn, &id, Permission::Read).await?;
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
