//! `/v0/events/…` and an organization's event list.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{EventRow, EventType, EventView, Filter};
use crate::AppState;
use crate::access::Caller;
use crate::http::query::instant_range;
use crate::http::{ApiResult, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::{EventKind, OrganizationKind};
use crate::roles::Permission;

const FILTERS: [&str; 5] = [
    "filter[event-type][eq]",
    "filter[created-at][gte]",
    "filter[created-at][gt]",
    "filter[created-at][lte]",
    "filter[created-at][lt]",
];

/// `GET /v0/organizations/{organization-id}/events`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let page_request = list_request(&query, &FILTERS, &[])?;
    let filter = parse_filter(&query)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .organization(&mut conn, &organization_id, Permission::Read)
        .await?;
    let page = super::list(&mut conn, &organization_id, &filter, &page_request).await?;
    let page = page.map(EventView::new);
    Ok(ok(&ListBody::new("events", page, request.path(), &query)))
}

fn parse_filter(query: &QueryParams) -> ApiResult<Filter> {
    let event_type = query.enum_eq::<EventType>("filter[event-type][eq]")?;
    Ok(Filter {
        event_type,
        created: instant_range(query, "created-at")?,
    })
}

/// `GET /v0/events/{event-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<EventKind>(&path)?;
    let mut conn = state.db.read().await?;
    let row: EventRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
    Ok(ok(&EventView::new(row)))
}
