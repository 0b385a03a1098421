//! Events: every state change records its Griffin event in the same transaction as the change
//! itself (through the store's outbox), so an event exists exactly when its change committed.

pub mod handlers;
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use crate::dispatch;
use crate::ids::{EventId, OrganizationId};
use crate::paginate;
use crate::paging::{Cursor, InstantRange, Page, PageRequest};
use crate::store::Conn;
use crate::store::outbox::NewEvent;
use crate::store::schema::events;
use crate::time::{self, Micros};

pub use view::EventView;

crate::text_enum! {
    /// Griffin's event types.
    pub enum EventType {
        AccountStatusCreated = "account-status-created",
        AccountStatusUpdated = "account-status-updated",
        AdmissionCreated = "admission-created",
        AdmissionUpdated = "admission-updated",
        DecisionCreated = "decision-created",
        OnboardingApplicationCreated = "onboarding-application-created",
        OnboardingApplicationUpdated = "onboarding-application-updated",
        PaymentCreated = "payment-created",
        SubmissionCreated = "submission-created",
        SubmissionUpdated = "submission-updated",
        TestEvent = "test-event",
        TransactionCreated = "transaction-created",
        VerificationCreated = "verification-created",
        VerificationUpdated = "verification-updated",
        VerificationResourceCreated = "verification-resource-created",
        VerificationResourceUpdated = "verification-resource-updated",
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: EventId,
    pub organization_id: OrganizationId,
    pub event_type: EventType,
    pub payload: String,
    pub created_at: Micros,
}

impl crate::access::Owned for EventRow {
    type Kind = crate::ids::EventKind;

    async fn find(conn: &mut Conn<'_>, id: &EventId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

impl EventRow {
    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.created_at, self.id.as_str())
    }
}

/// Records an event with the connection of the write transaction that made the change:
/// `payload` is the resource as it is now. The event is inserted when that transaction
/// commits, and only then; a read connection is refused.
pub fn record(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    event_type: EventType,
    payload: &impl Serialize,
) -> QueryResult<EventId> {
    let payload = serde_json::to_string(payload)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let id = EventId::generate();
    conn.record_event(NewEvent {
        id: id.clone(),
        organization_id: organization_id.clone(),
        event_type: event_type.as_str(),
        payload,
        created_at: time::now(),
    })?;
    Ok(id)
}

pub async fn find(conn: &mut Conn<'_>, id: &EventId) -> QueryResult<Option<EventRow>> {
    dispatch!(conn, c => events::table
        .find(id)
        .select(EventRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Filters of the event list.
#[derive(Debug, Default)]
pub struct Filter {
    pub event_type: Option<EventType>,
    pub created: InstantRange,
}

pub async fn list(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    filter: &Filter,
    page: &PageRequest,
) -> QueryResult<Page<EventRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = events::table
            .select(EventRow::as_select())
            .filter(events::organization_id.eq(organization_id))
            .into_boxed();
        if let Some(event_type) = filter.event_type {
            query = query.filter(events::event_type.eq(event_type));
        }
        query = crate::filter_range!(query, events::created_at, &filter.created);
        paginate!(query, events::created_at, events::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, EventRow::cursor))
}
