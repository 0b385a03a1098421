use crate::ids::BankAccountId;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use super::{PROCESSED_AT, PostingRow, TransactionView};
use crate::AppState;
use crate::bank_accounts::BankAccountRow;
use crate::http::pagination::list_request_sorted;
use crate::http::{ApiResult, Caller, ListBody, QueryParams, ok};
use crate::paging::CREATED_AT;
use crate::paging::InstantRange;
use crate::paging::{Page, PageRequest};
use crate::payments::PaymentView;
use crate::roles::Permission;
use crate::store::Conn;
use crate::store::schema::postings;
use crate::{dispatch, filter_range, paginate};

const FILTERS: [&str; 4] = [
    "filter[processed-at][gte]",
    "filter[processed-at][gt]",
    "filter[processed-at][lte]",
    "filter[processed-at][lt]",
];

async fn list_rows(
    conn: &mut Conn<'_>,
    account_id: &BankAccountId,
    processed: &InstantRange,
    page: &PageRequest,
) -> QueryResult<Page<PostingRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = postings::table
            .filter(postings::account_id.eq(account_id))
            .select(PostingRow::as_select())
            .into_boxed();
        query = filter_range!(query, postings::processed_at, processed);
        if page.sort == PROCESSED_AT {
            paginate!(query, postings::processed_at, postings::id, page).load(c).await
        } else {
            paginate!(query, postings::created_at, postings::id, page).load(c).await
        }
    })?;
    let sort = page.sort;
    Ok(Page::from_rows(rows, page, |row| row.cursor(sort)))
}

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
    let page_request =
        list_request_sorted(&query, &FILTERS, &["payment"], &[CREATED_AT, PROCESSED_AT])?;
    let processed = crate::http::query::instant_range(&query, "processed-at")?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account = caller
        .visible::<BankAccountRow>(&mut conn, &path, Permission::Read)
        .await?;
    let page = list_rows(&mut conn, &account.id, &processed, &page_request).await?;
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
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<PostingRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    Ok(ok(&TransactionView::new(&row)))
}
