//! Events, the outbox: every state change records its Griffin event here, in the same
//! transaction as the change itself, so an event exists exactly when its change committed.
//! The webhook worker delivers from this table.

pub mod handlers;

use crate::ids::OrganizationId;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use crate::dispatch;
use crate::ids::EventId;
use crate::paginate;
use crate::paging::Cursor;
use crate::paging::{Page, PageRequest};
use crate::store::Conn;
use crate::store::schema::events;
use crate::time::{self, Micros};
use crate::urls;

/// Griffin's event types.
pub const EVENT_TYPES: [&str; 16] = [
    "account-status-created",
    "account-status-updated",
    "admission-created",
    "admission-updated",
    "decision-created",
    "onboarding-application-created",
    "onboarding-application-updated",
    "payment-created",
    "submission-created",
    "submission-updated",
    "test-event",
    "transaction-created",
    "verification-created",
    "verification-updated",
    "verification-resource-created",
    "verification-resource-updated",
];

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
pub struct EventRow {
    pub id: EventId,
    pub organization_id: OrganizationId,
    pub event_type: String,
    pub payload: String,
    pub created_at: Micros,
}

impl crate::access::Owned for EventRow {
    type Kind = crate::ids::EventKind;

    async fn find(
        conn: &mut Conn<'_>,
        id: &crate::ids::Id<crate::ids::EventKind>,
    ) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &crate::ids::OrganizationId {
        &self.organization_id
    }
}

impl EventRow {
    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.created_at, &self.id)
    }
}

/// Queues the events recorded in `conn`'s transaction for its commit, in one insert: on
/// PostgreSQL one statement instead of one per event (a payment records half a dozen).
/// [`WriteTx::finish`](crate::store::WriteTx::finish) calls it after the other waiting writes.
pub(crate) fn flush(conn: &mut Conn<'_>) -> QueryResult<()> {
    let Some(pending) = conn.pending.as_deref_mut() else {
        return Ok(());
    };
    let rows = std::mem::take(&mut pending.events);
    if !rows.is_empty() {
        crate::defer_insert!(conn, events::table, rows);
    }
    Ok(())
}

/// Records an event. Call it with the connection of the write transaction that made the
/// change: the event is inserted when that transaction commits, and only then. A read
/// connection has no outbox, and is refused.
/// `event_type` must be one of [`EVENT_TYPES`]; `payload` is the resource as it is now.
pub async fn record(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    event_type: &'static str,
    payload: &impl Serialize,
) -> QueryResult<()> {
    debug_assert!(
        EVENT_TYPES.contains(&event_type),
        "unknown event type {event_type}"
    );
    let payload = serde_json::to_string(payload)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let row = EventRow {
        id: EventId::generate(),
        organization_id: organization_id.clone(),
        event_type: event_type.to_string(),
        payload,
        created_at: time::now(),
    };
    conn.pending
        .as_deref_mut()
        .ok_or(diesel::result::Error::NotInTransaction)?
        .events
        .push(row);
    Ok(())
}

pub async fn find(conn: &mut Conn<'_>, id: &crate::ids::EventId) -> QueryResult<Option<EventRow>> {
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
    pub event_type: Option<String>,
    pub created: crate::paging::InstantRange,
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
        if let Some(event_type) = &filter.event_type {
            query = query.filter(events::event_type.eq(event_type.clone()));
        }
        query = crate::filter_range!(query, events::created_at, &filter.created);
        paginate!(query, events::created_at, events::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, EventRow::cursor))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct EventView {
    pub event_url: String,
    pub event_type: String,
    pub event_payload: serde_json::Value,
    pub created_at: String,
}

impl EventView {
    pub fn new(row: EventRow) -> Self {
        EventView {
            event_url: urls::event(&row.id),
            event_type: row.event_type,
            // Written by `record` from a serialized value, so it parses; an empty object
            // keeps the response well formed should someone have edited the row by hand.
            event_payload: serde_json::from_str(&row.payload)
                .unwrap_or_else(|_| serde_json::json!({})),
            created_at: time::format(row.created_at),
        }
    }
}
