use actix_web::{HttpRequest, HttpResponse, web};

use super::{EVENT_TYPES, EventRow, EventView, Filter};
use crate::AppState;
use crate::http::{ApiError, ApiResult, Caller, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::OrganizationKind;
use crate::roles::Permission;
use crate::time;

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
    let page = super::list(&mut conn, organization_id.as_str(), &filter, &page_request).await?;
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
    let instant = |key: &str| -> ApiResult<Option<i64>> {
        query
            .single(key)?
            .map(|text| {
                time::parse(text).ok_or_else(|| {
                    ApiError::invalid_parameter(
                        key,
                        format!("`{key}` must be an RFC 3339 date-time such as 2024-01-01T13:30:00.000Z."),
                    )
                })
            })
            .transpose()
    };
    let bound = |inclusive: &str, exclusive: &str| -> ApiResult<Option<(i64, bool)>> {
        match (instant(inclusive)?, instant(exclusive)?) {
            (Some(_), Some(_)) => Err(ApiError::invalid_parameter(
                exclusive,
                format!("Give `{inclusive}` or `{exclusive}`, not both."),
            )),
            (Some(at), None) => Ok(Some((at, true))),
            (None, Some(at)) => Ok(Some((at, false))),
            (None, None) => Ok(None),
        }
    };
    Ok(Filter {
        event_type,
        created_after: bound("filter[created-at][gte]", "filter[created-at][gt]")?,
        created_before: bound("filter[created-at][lte]", "filter[created-at][lt]")?,
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
