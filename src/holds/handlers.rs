//! `/v0/bank/holds/…` and an account's holds.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Filter, HoldOrigin, HoldRow, HoldView};
use crate::AppState;
use crate::access::Caller;
use crate::bank_accounts::BankAccountRow;
use crate::http::pagination::list_request;
use crate::http::{ApiError, ApiResult, ListBody, QueryParams, ok, path_id};
use crate::ids::{BankAccountKind, HoldKind};
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
    let id = path_id::<BankAccountKind>(&path)?;
    let statuses = query.enum_list("filter[status][in][]")?;
    if let Some(origin) = query.single("filter[origin-type][eq]")?
        && HoldOrigin::parse(origin).is_none()
    {
        return Err(ApiError::invalid_parameter(
            "filter[origin-type][eq]",
            format!("Unknown origin type `{origin}`: expected card-transaction."),
        ));
    }
    let updated_since = crate::http::query::instant(&query, "filter[updated-at][gte]")?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account: BankAccountRow = caller.read(&mut conn, &id, Permission::Read).await?;
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
    let id = path_id::<HoldKind>(&path)?;
    let mut conn = state.db.read().await?;
    let row: HoldRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
    Ok(ok(&HoldView::new(&row)))
}
