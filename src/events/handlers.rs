use actix_web::{HttpRequest, HttpResponse, web};

use super::{EVENT_TYPES, EventRow, EventView, Filter};
use crate::AppState;
use crate::http::{ApiError, ApiResult, Caller, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::OrganizationKind;
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
        .access(&mut conn, organization_id.as_str(), Permission::Read)
        .await?;
    let page = super::list(&mut conn, &organization_id, &filter, &page_request).await?;
    let page = page.map(EventView::new);
    Ok(ok(&ListBody::new("events", page, request.path(), &query)))
}

fn parse_filter(query: &QueryParams) -> ApiResult<Filter> {
    let event_type = match query.single("filter[event-type][eq]")? {
        Some(value) if !EVENT_TYPES.contains(&value) => {
            return Err(ApiError::invalid_parameter(
                "filter[event-type][eq]",
                format!("Unknown event type `{value}`."),
            ));
        }
        value => value.map(str::to_string),
    };
    Ok(Filter {
        event_type,
        created: crate::http::query::instant_range(query, "created-at")?,
    })
}

/// `GET /v0/events/{event-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<EventRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    Ok(ok(&EventView::new(row)))
}
