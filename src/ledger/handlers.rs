//! An account's transactions, and `/v0/bank/transactions/…`.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::{StreamExt, stream};
use serde::Serialize;

use super::{PROCESSED_AT, PostingRow, TransactionView};
use crate::AppState;
use crate::access::Caller;
use crate::bank_accounts::BankAccountRow;
use crate::http::negotiation::XERO_CSV;
use crate::http::pagination::{list_request_sorted, page_request};
use crate::http::{ApiError, ApiResult, ListBody, QueryParams, Representation, ok, path_id};
use crate::ids::{BankAccountId, BankAccountKind, PaymentId, TransactionKind};
use crate::paging::{CREATED_AT, InstantRange, PageRequest};
use crate::payments::view::counterparty_holder;
use crate::payments::{PaymentRow, PaymentView};
use crate::roles::Permission;
use crate::store::Conn;

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

/// `GET /v0/bank/accounts/{bank-account-id}/transactions`: a page as JSON, or the whole
/// filtered history as Xero's CSV when the client asks for it ([`xero_csv`]).
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
    representation: Representation,
) -> ApiResult<HttpResponse> {
    let id = path_id::<BankAccountKind>(&path)?;
    let query = query.aliased(&ALIASES);
    if representation.is(XERO_CSV) {
        return xero_csv(state, caller, id, &query).await;
    }
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

/// Rows the Xero CSV export reads from the store at a time.
const EXPORT_PAGE: i64 = 200;

/// `Accept: application/vnd.griffin+xero-csv`: the account's transactions as a Xero bank
/// statement ([`super::view::XERO_CSV_HEADER`] says which columns). Not a page but every
/// transaction the filters select, in the requested sort: an import wants the whole
/// statement, and `filter[processed-at][…]` narrows it (Xero takes up to 1,000 lines a
/// file), so `page[…]` and `include` are refused rather than ignored.
///
/// The rows are read [`EXPORT_PAGE`] at a time, each page on a connection taken for it
/// alone, and streamed as they are rendered, so memory stays bounded however long the
/// history. Pages follow keyset cursors: a transaction posted meanwhile is either in the
/// export or not, and none is repeated. A store failure after the first bytes can only cut
/// the body short (its 200 is already sent); it is logged.
async fn xero_csv(
    state: web::Data<AppState>,
    caller: Caller,
    id: BankAccountId,
    query: &QueryParams,
) -> ApiResult<HttpResponse> {
    query.check_known(&FILTERS)?;
    let paged = ["page[size]", "page[after]", "page[before]"]
        .into_iter()
        .find(|key| query.all(key).next().is_some());
    if let Some(key) = paged.or((!query.includes().is_empty()).then_some("include")) {
        return Err(ApiError::invalid_parameter(
            key,
            format!(
                "The Xero CSV is every transaction the filters select, without pages or \
                 included resources: remove `{key}`, and narrow it with \
                 `filter[processed-at][…]`."
            ),
        ));
    }
    let sorted = page_request(query, &[CREATED_AT, PROCESSED_AT])?;
    let processed = crate::http::query::instant_range(query, "processed-at")?;
    let account: BankAccountRow = {
        let mut conn = state.db.read().await?;
        caller.read(&mut conn.conn(), &id, Permission::Read).await?
    };
    let first = PageRequest::new(EXPORT_PAGE, sorted.order, sorted.sort, None, None);
    let account_id = account.id.clone();
    let rows = stream::try_unfold(Some(first), move |next| {
        let (state, account_id) = (state.clone(), account_id.clone());
        async move {
            let Some(request) = next else {
                return Ok(None);
            };
            xero_csv_page(&state, &account_id, &processed, request)
                .await
                .map(Some)
                .map_err(|error| {
                    tracing::error!(%error, "the Xero CSV export stopped");
                    std::io::Error::other(error.to_string())
                })
        }
    });
    let header = stream::once(std::future::ready(Ok(Bytes::from_static(
        super::view::XERO_CSV_HEADER.as_bytes(),
    ))));
    Ok(HttpResponse::Ok()
        .content_type(XERO_CSV)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"transactions-{}.csv\"",
                account.id.as_str()
            ),
        ))
        .streaming(header.chain(rows)))
}

/// One page of the Xero CSV's rows, and the request for the page after it (if any).
async fn xero_csv_page(
    state: &AppState,
    account_id: &BankAccountId,
    processed: &InstantRange,
    request: PageRequest,
) -> ApiResult<(Bytes, Option<PageRequest>)> {
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let page = super::transactions(&mut conn, account_id, processed, &request).await?;
    let ids = crate::ids::distinct(page.items.iter().filter_map(|t| t.payment_id.clone()));
    let payments = crate::payments::find_many(&mut conn, &ids).await?;
    let payees = payees(&mut conn, &payments).await?;
    let payments: HashMap<PaymentId, PaymentRow> =
        payments.into_iter().map(|p| (p.id.clone(), p)).collect();
    let mut out = String::with_capacity(page.items.len() * 80);
    for row in &page.items {
        let payment = row.payment_id.as_ref().and_then(|id| payments.get(id));
        let payee = row.payment_id.as_ref().and_then(|id| payees.get(id));
        super::view::xero_csv_row(row, payment, payee.map(String::as_str), &mut out);
    }
    let next = page.next.map(|cursor| {
        PageRequest::new(EXPORT_PAGE, request.order, request.sort, Some(cursor), None)
    });
    Ok((Bytes::from(out), next))
}

/// The name of each payment's other party: the account holder its creditor or debtor
/// names, else (one of this bank's accounts, named by URL) that account's holder.
async fn payees(
    conn: &mut Conn<'_>,
    payments: &[PaymentRow],
) -> ApiResult<HashMap<PaymentId, String>> {
    let mut names = HashMap::new();
    let mut unnamed = Vec::new();
    for payment in payments {
        match counterparty_holder(payment) {
            Some(name) => {
                names.insert(payment.id.clone(), name);
            }
            None => unnamed.extend(payment.creditor_account_id.clone().map(|a| (payment, a))),
        }
    }
    let accounts: Vec<BankAccountId> =
        crate::ids::distinct(unnamed.iter().map(|(_, account)| account.clone()));
    let holders: HashMap<BankAccountId, String> = crate::bank_accounts::holders(conn, &accounts)
        .await?
        .into_iter()
        .collect();
    for (payment, account) in unnamed {
        if let Some(holder) = holders.get(&account) {
            names.insert(payment.id.clone(), holder.clone());
        }
    }
    Ok(names)
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
