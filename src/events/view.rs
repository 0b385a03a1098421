//! An event as Griffin shows it.

use serde::Serialize;

use super::{EventRow, EventType};
use crate::{time, urls};

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct EventView {
    pub event_url: String,
    pub event_type: EventType,
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
