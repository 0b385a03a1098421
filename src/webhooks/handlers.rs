//! `/v0/webhooks/…`, an organization's webhooks, and the deliveries (ours).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::deliveries::{self, DeliveryRow, DeliveryStatus, ListOf};
use super::view::{DeliveryView, TestView};
use super::{Destination, NewWebhook, WebhookRow, WebhookState, WebhookView, destination};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::events::EventRow;
use crate::http::{ApiError, ApiResult, Json, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::{EventKind, OrganizationKind, WebhookDeliveryKind, WebhookKind};
use crate::organizations::OrganizationRow;
use crate::paging::Page;
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::Conn;
use crate::store::idempotency::Reply;
use crate::urls;

/// Longest description taken.
const MAX_DESCRIPTION: usize = 1000;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CreateWebhook {
    webhook_destination_url: String,
    webhook_description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct UpdateWebhook {
    webhook_description: Option<String>,
}

fn description(text: Option<String>) -> ApiResult<Option<String>> {
    match text {
        Some(text) if text.trim().is_empty() || text.chars().count() > MAX_DESCRIPTION => {
            Err(ApiError::invalid_body(
                "Invalid value",
                format!("`webhook-description` must be 1 to {MAX_DESCRIPTION} characters."),
                "/webhook-description",
            ))
        }
        text => Ok(text),
    }
}

/// `POST /v0/organizations/{organization-id}/webhooks`: one per organization (422
/// `webhook-already-exists`), created `active`; the destination must suit the organization's
/// mode (422 `webhook-destination-invalid`, see `destination`).
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<CreateWebhook>,
) -> ApiResult<Reply> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let description = description(body.webhook_description)?;
    let url = body.webhook_destination_url;
    let resolved = destination::resolve(&url).await;
    let user_id = caller.user_id.clone();
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(
            &state.db,
            &organization_id,
            async |conn, granted: Granted<OrganizationRow>| {
                let mode = granted.resource.organization_mode;
                let destination = Destination::parse_resolved(&url, mode, &resolved)?;
                let new = NewWebhook {
                    destination,
                    description,
                };
                let row = super::create(conn, &granted.resource.id, &user_id, new).await?;
                let view = WebhookView::new(&row);
                Reply::created(&view.webhook_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct WebhookList {
    organization_webhooks: Vec<WebhookView>,
}

/// `GET /v0/organizations/{organization-id}/webhooks`: Griffin's list, without paging (an
/// organization has one webhook at most).
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .organization(&mut conn, &organization_id, Permission::Read)
        .await?;
    let found = super::of_organization(&mut conn, &organization_id).await?;
    Ok(ok(&WebhookList {
        organization_webhooks: found.iter().map(WebhookView::new).collect(),
    }))
}

/// `GET /v0/webhooks/{webhook-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<WebhookKind>(&path)?;
    let mut conn = state.db.read().await?;
    let row: WebhookRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
    Ok(ok(&WebhookView::new(&row)))
}

/// `PATCH /v0/webhooks/{webhook-id}`: the description only (the destination is fixed:
/// delete and create to move it). Unknown fields are 400.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<UpdateWebhook>,
) -> ApiResult<Reply> {
    let id = path_id::<WebhookKind>(&path)?;
    let description = description(body.webhook_description)?;
    change(&state, &caller, &id, async |conn, row| match description {
        Some(text) => super::describe(conn, row, Some(text)).await,
        None => Ok(row),
    })
    .await
}

/// `POST /v0/webhooks/{webhook-id}/actions/activate`
pub async fn activate(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    let id = path_id::<WebhookKind>(&path)?;
    change(&state, &caller, &id, async |conn, row| {
        super::set_state(conn, row, WebhookState::Active).await
    })
    .await
}

/// `POST /v0/webhooks/{webhook-id}/actions/deactivate`
pub async fn deactivate(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    let id = path_id::<WebhookKind>(&path)?;
    change(&state, &caller, &id, async |conn, row| {
        super::set_state(conn, row, WebhookState::Inactive).await
    })
    .await
}

/// A Team admin's change to a webhook, answered with the webhook as it is after.
async fn change(
    state: &AppState,
    caller: &Caller,
    id: &crate::ids::WebhookId,
    rule: impl AsyncFnOnce(&mut Conn<'_>, WebhookRow) -> crate::error::DomainResult<WebhookRow>,
) -> ApiResult<Reply> {
    let reply = Write::new(caller, Permission::TeamManage)
        .locked()
        .run(&state.db, id, async |conn, granted: Granted<WebhookRow>| {
            let row = rule(conn, granted.resource).await?;
            Reply::ok(&WebhookView::new(&row))
        })
        .await?;
    Ok(reply)
}

/// `DELETE /v0/webhooks/{webhook-id}`: with its deliveries; events stay.
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    let id = path_id::<WebhookKind>(&path)?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<WebhookRow>| {
                super::delete(conn, &granted.resource).await?;
                Ok(Reply::no_content())
            },
        )
        .await?;
    Ok(reply)
}

/// `POST /v0/webhooks/{webhook-id}/actions/test`: 201, `Location` the status to poll.
pub async fn start_test(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    let id = path_id::<WebhookKind>(&path)?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<WebhookRow>| {
                let row = super::start_test(conn, granted.resource).await?;
                let status = super::test_status(conn, &row).await?;
                Reply::created(
                    &urls::webhook_sub(&row.id, "actions/test"),
                    &TestView::new(&status),
                )
            },
        )
        .await?;
    Ok(reply)
}

/// `GET /v0/webhooks/{webhook-id}/actions/test`
pub async fn test_status(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<WebhookKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row: WebhookRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let status = super::test_status(&mut conn, &row).await?;
    Ok(ok(&TestView::new(&status)))
}

const DELIVERY_FILTERS: [&str; 1] = ["filter[delivery-status][eq]"];

/// `GET /v0/webhooks/{webhook-id}/deliveries` (ours): newest first, with their attempts.
pub async fn deliveries_of_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let id = path_id::<WebhookKind>(&path)?;
    let page_request = list_request(&query, &DELIVERY_FILTERS, &[])?;
    let status = query.enum_eq::<DeliveryStatus>("filter[delivery-status][eq]")?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row: WebhookRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let page = deliveries::list(&mut conn, ListOf::Webhook(&row.id, status), &page_request).await?;
    delivery_list(&mut conn, page, &request, &query).await
}

/// `GET /v0/events/{event-id}/webhook-deliveries` (ours)
pub async fn deliveries_of_event(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let id = path_id::<EventKind>(&path)?;
    let page_request = list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let event: EventRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let page = deliveries::list(&mut conn, ListOf::Event(&event.id), &page_request).await?;
    delivery_list(&mut conn, page, &request, &query).await
}

async fn delivery_list(
    conn: &mut Conn<'_>,
    page: Page<DeliveryRow>,
    request: &HttpRequest,
    query: &QueryParams,
) -> ApiResult<HttpResponse> {
    let ids: Vec<_> = page.items.iter().map(|row| row.id.clone()).collect();
    let attempts = deliveries::attempts_of(conn, &ids).await?;
    let page = page.map(|row| DeliveryView::new(&row, &attempts));
    Ok(ok(&ListBody::new(
        "webhook-deliveries",
        page,
        request.path(),
        query,
    )))
}

/// `GET /v0/webhook-deliveries/{webhook-delivery-id}` (ours)
pub async fn get_delivery(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<WebhookDeliveryKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row: DeliveryRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let attempts = deliveries::attempts_of(&mut conn, std::slice::from_ref(&row.id)).await?;
    Ok(ok(&DeliveryView::new(&row, &attempts)))
}

/// `POST /v0/webhook-deliveries/{webhook-delivery-id}/actions/redeliver` (ours): due now,
/// with the retry schedule's attempts again.
pub async fn redeliver(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    let id = path_id::<WebhookDeliveryKind>(&path)?;
    let settings = &state.settings.webhooks;
    let reply = Write::new(&caller, Permission::TeamManage)
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<DeliveryRow>| {
                let row = deliveries::redeliver(conn, granted.resource, settings).await?;
                let attempts = deliveries::attempts_of(conn, std::slice::from_ref(&row.id)).await?;
                Reply::ok(&DeliveryView::new(&row, &attempts))
            },
        )
        .await?;
    Ok(reply)
}
