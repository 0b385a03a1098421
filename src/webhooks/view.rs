//! Webhooks, test statuses and deliveries as the API shows them.

use serde::Serialize;

use super::deliveries::{AttemptRow, DeliveryError, DeliveryRow, DeliveryStatus};
use super::{TestStatus, WebhookRow, WebhookState};
use crate::{time, urls};

/// Griffin's webhook, with the URL of its deliveries (ours).
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct WebhookView {
    pub webhook_url: String,
    pub webhook_destination_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_description: Option<String>,
    pub webhook_state: WebhookState,
    pub organization_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub activate_webhook_url: String,
    pub deactivate_webhook_url: String,
    pub test_webhook_url: String,
    pub webhook_deliveries_url: String,
}

impl WebhookView {
    pub fn new(row: &WebhookRow) -> Self {
        WebhookView {
            webhook_url: urls::webhook(&row.id),
            webhook_destination_url: row.destination_url.clone(),
            webhook_description: row.description.clone(),
            webhook_state: row.webhook_state,
            organization_url: urls::organization(&row.organization_id),
            created_by: row.created_by.as_ref().map(urls::user),
            created_at: time::format(row.created_at),
            updated_at: time::format(row.updated_at),
            activate_webhook_url: urls::webhook_sub(&row.id, "actions/activate"),
            deactivate_webhook_url: urls::webhook_sub(&row.id, "actions/deactivate"),
            test_webhook_url: urls::webhook_sub(&row.id, "actions/test"),
            webhook_deliveries_url: urls::webhook_sub(&row.id, "deliveries"),
        }
    }
}

/// Griffin's `webhook-test-response`: `default` until the test's one attempt ends, then
/// `complete` with what the receiver answered.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct TestView {
    pub webhook_request_status: &'static str,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_http_status: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_error_code: Option<DeliveryError>,
}

impl TestView {
    pub fn new(status: &TestStatus) -> Self {
        match status {
            TestStatus::Waiting { since } => TestView {
                webhook_request_status: "default",
                updated_at: time::format(*since),
                webhook_http_status: None,
                webhook_error_code: None,
            },
            TestStatus::Complete(delivery) => TestView {
                webhook_request_status: "complete",
                updated_at: time::format(delivery.updated_at),
                webhook_http_status: delivery.last_http_status,
                webhook_error_code: delivery.last_error_code,
            },
        }
    }
}

/// A delivery of one event to a webhook, with its attempts (ours).
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct DeliveryView {
    pub webhook_delivery_url: String,
    pub webhook_url: String,
    pub event_url: String,
    pub delivery_status: DeliveryStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_http_status: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_error_code: Option<DeliveryError>,
    pub created_at: String,
    pub updated_at: String,
    pub redeliver_webhook_delivery_url: String,
    pub webhook_delivery_attempts: Vec<AttemptView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AttemptView {
    pub attempt: i32,
    pub started_at: String,
    pub duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_http_status: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_error_code: Option<DeliveryError>,
}

impl DeliveryView {
    /// The delivery with its attempts, picked out of `attempts` (those of several
    /// deliveries, as a list loads them).
    pub fn new(row: &DeliveryRow, attempts: &[AttemptRow]) -> Self {
        let url = urls::webhook_delivery(&row.id);
        DeliveryView {
            redeliver_webhook_delivery_url: format!("{url}/actions/redeliver"),
            webhook_delivery_url: url,
            webhook_url: urls::webhook(&row.webhook_id),
            event_url: urls::event(&row.event_id),
            delivery_status: row.delivery_status,
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            next_attempt_at: row.next_attempt_at.map(time::format),
            webhook_http_status: row.last_http_status,
            webhook_error_code: row.last_error_code,
            created_at: time::format(row.created_at),
            updated_at: time::format(row.updated_at),
            webhook_delivery_attempts: attempts
                .iter()
                .filter(|attempt| attempt.delivery_id == row.id)
                .map(AttemptView::new)
                .collect(),
        }
    }
}

impl AttemptView {
    fn new(row: &AttemptRow) -> Self {
        AttemptView {
            attempt: row.attempt,
            started_at: time::format(row.started_at),
            duration_ms: row.duration_micros as f64 / 1000.0,
            webhook_http_status: row.http_status,
            webhook_error_code: row.error_code,
        }
    }
}
