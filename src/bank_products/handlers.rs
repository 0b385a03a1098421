use actix_web::{HttpRequest, HttpResponse, web};

use super::{BANK_PRODUCTS, BankProductView};
use crate::AppState;
use crate::http::{ApiError, ApiResult, Caller, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::{BankProductKind, OrganizationKind};
use crate::organizations;
use crate::paging::Cursor;
use crate::paging::Page;
use crate::roles::Permission;

const STATUSES: [&str; 2] = ["active", "inactive"];

/// `GET /v0/organizations/{organization-id}/bank/products`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let page_request = list_request(&query, &["filter[status][in][]"], &[])?;
    let statuses: Vec<&str> = query.all("filter[status][in][]").collect();
    if let Some(unknown) = statuses.iter().find(|s| !STATUSES.contains(s)) {
        return Err(ApiError::invalid_parameter(
            "filter[status][in][]",
            format!("Unknown status `{unknown}`: expected active or inactive."),
        ));
    }
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .access(&mut conn, organization_id.as_str(), Permission::Read)
        .await?;
    let organization = organizations::find(&mut conn, &organization_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    // Every product is active; a filter without `active` matches none.
    let products: Vec<_> = if statuses.is_empty() || statuses.contains(&"active") {
        BANK_PRODUCTS.iter().collect()
    } else {
        Vec::new()
    };
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
    )))
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
    let (product, organization_id) = super::find(&id, &visible).ok_or_else(ApiError::not_found)?;
    let organization = organizations::find(&mut conn, organization_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(ok(&BankProductView::new(
        product,
        &organization.id,
        organization.created_at,
    )))
}
