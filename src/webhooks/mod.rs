//! Webhooks: where an organization's events are POSTed, signed. One per organization, as
//! Griffin allows; `active ↔ inactive`. Delivery is at least once and unordered: the events
//! table is the queue ([`dispatch`] turns committed events into deliveries), [`deliveries`]
//! holds each delivery's state and attempts, and [`sender`] makes the signed requests.

pub mod deliverer;
pub mod deliveries;
pub mod destination;
pub mod dispatch;
pub mod handlers;
pub mod sender;
mod sending_threads;
pub mod signature;
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::events::{self, EventType};
use crate::ids::{EventId, OrganizationId, UserId, WebhookId};
use crate::store::Conn;
use crate::store::schema::webhooks;
use crate::time::{self, Micros};

pub use destination::Destination;
pub use view::WebhookView;

crate::text_enum! {
    /// Only an active webhook receives events.
    pub enum WebhookState {
        Active = "active",
        Inactive = "inactive",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks, treat_none_as_default_value = false)]
pub struct WebhookRow {
    pub id: WebhookId,
    pub organization_id: OrganizationId,
    pub destination_url: String,
    pub description: Option<String>,
    pub webhook_state: WebhookState,
    pub created_by: Option<UserId>,
    pub test_event_id: Option<EventId>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for WebhookRow {
    type Kind = crate::ids::WebhookKind;

    async fn find(conn: &mut Conn<'_>, id: &WebhookId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

pub async fn find(conn: &mut Conn<'_>, id: &WebhookId) -> QueryResult<Option<WebhookRow>> {
    dispatch!(conn, c => webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(c)
        .await
        .optional())
}

/// The organization's webhook, if it has one (Griffin's list holds at most one).
pub async fn of_organization(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
) -> QueryResult<Option<WebhookRow>> {
    dispatch!(conn, c => webhooks::table
        .filter(webhooks::organization_id.eq(organization_id))
        .select(WebhookRow::as_select())
        .first(c)
        .await
        .optional())
}

/// A webhook as a request describes it, its destination already checked.
pub struct NewWebhook {
    pub destination: Destination,
    pub description: Option<String>,
}

/// Creates the organization's webhook, `active`: 422 `webhook-already-exists` when it has one.
/// Run with the organization's row locked, so two creates cannot both pass the check (the
/// unique organization column would refuse the second anyway).
pub async fn create(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    created_by: &UserId,
    new: NewWebhook,
) -> DomainResult<WebhookRow> {
    if let Some(existing) = of_organization(conn, organization_id).await? {
        return Err(DomainError::unprocessable(
            "webhook-already-exists",
            format!(
                "The organization already has a webhook ({}); Griffin allows one. Update or \
                 delete it instead.",
                crate::urls::webhook(&existing.id)
            ),
        ));
    }
    let now = time::now();
    let row = WebhookRow {
        id: WebhookId::generate(),
        organization_id: organization_id.clone(),
        destination_url: new.destination.to_string(),
        description: new.description,
        webhook_state: WebhookState::Active,
        created_by: Some(created_by.clone()),
        test_event_id: None,
        created_at: now,
        updated_at: now,
    };
    dispatch!(conn, c => diesel::insert_into(webhooks::table)
        .values(row.clone())
        .execute(c)
        .await)?;
    Ok(row)
}

/// What a PATCH may change: the description (Griffin's only updatable field).
pub async fn describe(
    conn: &mut Conn<'_>,
    webhook: WebhookRow,
    description: Option<String>,
) -> DomainResult<WebhookRow> {
    let now = time::now();
    dispatch!(conn, c => diesel::update(webhooks::table.find(&webhook.id))
        .set((webhooks::description.eq(&description), webhooks::updated_at.eq(now)))
        .execute(c)
        .await)?;
    Ok(WebhookRow {
        description,
        updated_at: now,
        ..webhook
    })
}

/// Activates or deactivates; setting the state it already has changes nothing but
/// `updated-at` (Griffin answers 200 either way). Deliveries of an inactive webhook wait,
/// and events recorded while it is inactive are not delivered.
pub async fn set_state(
    conn: &mut Conn<'_>,
    webhook: WebhookRow,
    state: WebhookState,
) -> DomainResult<WebhookRow> {
    let now = time::now();
    dispatch!(conn, c => diesel::update(webhooks::table.find(&webhook.id))
        .set((webhooks::webhook_state.eq(state), webhooks::updated_at.eq(now)))
        .execute(c)
        .await)?;
    Ok(WebhookRow {
        webhook_state: state,
        updated_at: now,
        ..webhook
    })
}

/// Deletes the webhook with its deliveries and their attempts.
pub async fn delete(conn: &mut Conn<'_>, webhook: &WebhookRow) -> DomainResult<()> {
    deliveries::delete_of_webhook(conn, &webhook.id).await?;
    dispatch!(conn, c => diesel::delete(webhooks::table.find(&webhook.id))
        .execute(c)
        .await)?;
    Ok(())
}

/// Where the latest test event stands.
pub enum TestStatus {
    /// No test yet, or one not delivered yet: Griffin's `default`.
    Waiting { since: Micros },
    /// The test's one attempt ended.
    Complete(deliveries::DeliveryRow),
}

pub async fn test_status(conn: &mut Conn<'_>, webhook: &WebhookRow) -> DomainResult<TestStatus> {
    let Some(event_id) = &webhook.test_event_id else {
        return Ok(TestStatus::Waiting {
            since: webhook.updated_at,
        });
    };
    let delivery = deliveries::of_event(conn, &webhook.id, event_id).await?;
    Ok(match delivery {
        Some(row) if row.delivery_status != deliveries::DeliveryStatus::Pending => {
            TestStatus::Complete(row)
        }
        Some(row) => TestStatus::Waiting {
            since: row.updated_at,
        },
        None => TestStatus::Waiting {
            since: webhook.updated_at,
        },
    })
}

/// Sends a `test-event` (`{}` payload) to the webhook, once, without retries: 422
/// `webhook-inactive` on an inactive webhook, 409 `webhook-test-in-flight` while the previous
/// test has not ended. Run with the webhook's row locked.
pub async fn start_test(conn: &mut Conn<'_>, webhook: WebhookRow) -> DomainResult<WebhookRow> {
    if webhook.webhook_state != WebhookState::Active {
        return Err(DomainError::unprocessable(
            "webhook-inactive",
            "The webhook is not active; activate it before testing it.",
        ));
    }
    if webhook.test_event_id.is_some()
        && matches!(
            test_status(conn, &webhook).await?,
            TestStatus::Waiting { .. }
        )
    {
        return Err(DomainError::conflict(
            "webhook-test-in-flight",
            "The previous test event has not been delivered yet; check it with GET.",
        ));
    }
    let event_id = events::record(
        conn,
        &webhook.organization_id,
        EventType::TestEvent,
        &serde_json::json!({}),
    )?;
    let now = time::now();
    dispatch!(conn, c => diesel::update(webhooks::table.find(&webhook.id))
        .set((webhooks::test_event_id.eq(&event_id), webhooks::updated_at.eq(now)))
        .execute(c)
        .await)?;
    Ok(WebhookRow {
        test_event_id: Some(event_id),
        updated_at: now,
        ..webhook
    })
}
