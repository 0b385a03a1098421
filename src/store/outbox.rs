//! The outbox: the events a write transaction records wait here and are inserted together, in
//! one statement on PostgreSQL, when it commits (a payment records half a dozen). An event
//! therefore exists exactly when the change that caused it committed.

use diesel::prelude::*;

use super::Conn;
use super::schema::events;
use crate::ids::{EventId, OrganizationId};
use crate::time::Micros;

/// An event as the outbox stores it; the events area decides its type and payload.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
pub struct NewEvent {
    pub id: EventId,
    pub organization_id: OrganizationId,
    pub event_type: &'static str,
    pub payload: String,
    pub created_at: Micros,
}

impl Conn<'_> {
    /// Queues an event for the transaction's commit. A read connection has no outbox.
    pub fn record_event(&mut self, event: NewEvent) -> QueryResult<()> {
        self.pending
            .as_deref_mut()
            .ok_or(diesel::result::Error::NotInTransaction)?
            .events
            .push(event);
        Ok(())
    }

    /// Queues the recorded events' insert, after every other waiting write.
    pub(super) fn flush_events(&mut self) -> QueryResult<()> {
        let Some(pending) = self.pending.as_deref_mut() else {
            return Ok(());
        };
        let rows = std::mem::take(&mut pending.events);
        if !rows.is_empty() {
            crate::defer_insert!(self, events::table, rows);
        }
        Ok(())
    }
}
