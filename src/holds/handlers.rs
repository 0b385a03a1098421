use actix_web::{HttpRequest, HttpResponse, web};

use super::{Filter, HoldRow, HoldView, PLACED, RELEASED};
use crate::AppState;
use crate::bank_accounts::BankAccountRow;
use crate::http::pagination::list_request;
use crate::http::{ApiError, ApiResult, Caller, ListBody, QueryParams, ok};
use crate::roles::Permission;

const FILTERS: [&str; 3] = [
    "filter[status][in][]",
    "filter[origin-type][eq]",
    "filter[updated-at][gte]",
];

/// `GET /v0/bank/accounts/{bank-account-id}/holds`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(&query, &FILTERS, &[])?;
    let statuses = query.enum_list("filter[status][in][]", &[PLACED, RELEASED])?;
    if let Some(origin) = query.single("filter[origin-type][eq]")?
        && origin != super::CARD_TRANSACTION
    {
        return Err(ApiError::invalid_parameter(
            "filter[origin-type][eq]",
            format!("Unknown origin type `{origin}`: expected card-transaction."),
        ));
    }
    let updated_since = crate::http::query::instant(&query, "filter[updated-at][gte]")?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account = caller
        .visible::<BankAccountRow>(&mut conn, &path, Permission::Read)
        .await?;
    let filter = Filter {
        statuses,
        updated_since,
    };
    let page = super::list(&mut conn, &account.id, &filter, &page_request).await?;
    Ok(ok(&ListBody::new(
        "holds",
        page.map(|row| HoldView::new(&row)),
        request.path(),
        &query,
    )))
}

/// `GET /v0/bank/holds/{hold-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<HoldRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    Ok(ok(&HoldView::new(&row)))
}
