//! `/v0/organizations/{organization-id}/bank/products` and `/v0/bank/products/{bank-product-id}`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{BankProductStatus, BankProductView};
use crate::AppState;
use crate::access::Caller;
use crate::error::DomainError;
use crate::http::{ApiResult, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::{BankProductKind, OrganizationKind};
use crate::organizations;
use crate::paging::{Cursor, Page};
use crate::roles::Permission;

const STATUS_FILTER: &str = "filter[status][in][]";

fn parse_statuses(query: &QueryParams) -> ApiResult<Vec<BankProductStatus>> {
    query.enum_list(STATUS_FILTER)
}

/// `GET /v0/organizations/{organization-id}/bank/products`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let page_request = list_request(&query, &[STATUS_FILTER], &[])?;
    let statuses = parse_statuses(&query)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .organization(&mut conn, &organization_id, Permission::Read)
        .await?;
    let organization = organizations::find(&mut conn, &organization_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let products = super::with_status(&statuses);
    let total = products.len() as i64;
    let page = Page::from_memory(products, &page_request, |p| {
        Cursor::new(
            organization.created_at,
            super::id_of(&organization.id, p.class).as_str(),
        )
    })
    .map(|p| BankProductView::new(p, &organization.id, organization.created_at));
    Ok(ok(&ListBody::new(
        "bank-account-products",
        page,
        request.path(),
        &query,
    )
    .with_total(total)))
}

/// `GET /v0/bank/products/{bank-product-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<BankProductKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let visible = caller.visible_organizations(&mut conn).await?;
    let (product, organization_id) = super::find(&id, &visible).ok_or(DomainError::NotFound)?;
    let organization = organizations::find(&mut conn, organization_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let view = BankProductView::new(product, &organization.id, organization.created_at);
    Ok(crate::http::ok_at(&view.bank_account_product_url, &view))
}
