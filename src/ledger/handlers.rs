//! An account's transactions, and `/v0/bank/transactions/…`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{PROCESSED_AT, PostingRow, TransactionView};
use crate::AppState;
use crate::access::Caller;
use crate::bank_accounts::BankAccountRow;
use crate::http::pagination::list_request_sorted;
use crate::http::{ApiResult, ListBody, QueryParams, ok, path_id};
use crate::ids::{BankAccountKind, TransactionKind};
use crate::paging::CREATED_AT;
use crate::payments::PaymentView;
use crate::roles::Permission;

/// `post-datetime` is Griffin's older name of `processed-at`, still sent by 2024 clients.
const ALIASES: [(&str, &str); 4] = [
    ("filter[post-datetime][gte]", "filter[processed-at][gte]"),
    ("filter[post-datetime][gt]", "filter[processed-at][gt]"),
    ("filter[post-datetime][lte]", "filter[processed-at][lte]"),
    ("filter[post-datetime][lt]", "filter[processed-at][lt]"),
];

const FILTERS: [&str; 4] = [
    "filter[processed-at][gte]",
    "filter[processed-at][gt]",
    "filter[processed-at][lte]",
    "filter[processed-at][lt]",
];

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Included {
    payments: Vec<PaymentView>,
}

#[derive(Serialize)]
struct TransactionList {
    #[serde(flatten)]
    list: ListBody<TransactionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    included: Option<Included>,
}

/// `GET /v0/bank/accounts/{bank-account-id}/transactions`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let id = path_id::<BankAccountKind>(&path)?;
    let query = query.aliased(&ALIASES);
    let page_request =
        list_request_sorted(&query, &FILTERS, &["payment"], &[CREATED_AT, PROCESSED_AT])?;
    let processed = crate::http::query::instant_range(&query, "processed-at")?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account: BankAccountRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let page = super::transactions(&mut conn, &account.id, &processed, &page_request).await?;
    let included = if query.includes().is_empty() {
        None
    } else {
        let ids = crate::ids::distinct(page.items.iter().filter_map(|t| t.payment_id.clone()));
        let payments = crate::payments::find_many(&mut conn, &ids).await?;
        Some(Included {
            payments: payments.iter().map(PaymentView::new).collect(),
        })
    };
    Ok(ok(&TransactionList {
        list: ListBody::new(
            "account-transactions",
            page.map(|row| TransactionView::new(&row)),
            request.path(),
            &query,
        ),
        included,
    }))
}

/// `GET /v0/bank/transactions/{transaction-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<TransactionKind>(&path)?;
    let mut conn = state.db.read().await?;
    let row: PostingRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
    Ok(ok(&TransactionView::new(&row)))
}
