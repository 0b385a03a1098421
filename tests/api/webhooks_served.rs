//! Webhook delivery by the real binary: nothing is lost when the server is killed with
//! deliveries waiting, and two servers on one PostgreSQL deliver each event once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::{KNOWN_KEY, Server, http};
use crate::receiver::Receiver;
use crate::support::{Json, database_url, fresh_database};

/// Short retries, so a test sees several within seconds.
const FAST_RETRIES: [(&str, &str); 2] = [
    (
        "HYPERBANK_WEBHOOK_RETRY_SCHEDULE",
        "100ms,100ms,200ms,200ms,500ms,500ms,1s,1s,1s,1s",
    ),
    ("HYPERBANK_FPS_SETTLEMENT_MS", "0"),
];

fn create_webhook(port: u16, organization_url: &str, destination: &str) {
    let created = http(
        port,
        "POST",
        &format!("{organization_url}/webhooks"),
        Some(KNOWN_KEY),
        Some(&format!(
            r#"{{"webhook-destination-url": "{destination}"}}"#
        )),
    );
    assert_eq!(created.status, 201, "{}", created.body);
}

/// Inbound payments of 1.00 to the primary account: each records several events.
fn inbound_payments(port: u16, organization_url: &str, count: usize) {
    let accounts = http(
        port,
        "GET",
        &format!("{organization_url}/bank/accounts"),
        Some(KNOWN_KEY),
        None,
    );
    let account = accounts.body.string_at("accounts/0/account-url");
    let id = account.rsplit('/').next().unwrap_or_default().to_string();
    for _ in 0..count {
        let paid = http(
            port,
            "POST",
            &format!("/v0/simulation/bank/accounts/{id}/inbound-payments"),
            Some(KNOWN_KEY),
            Some(r#"{"payment-amount": {"currency": "GBP", "value": "1.00"}}"#),
        );
        assert_eq!(paid.status, 201, "{}", paid.body);
    }
}

/// Every event of the organization made after the webhook, by URL.
fn events_since_webhook(port: u16, organization_url: &str) -> Vec<String> {
    let webhooks = http(
        port,
        "GET",
        &format!("{organization_url}/webhooks"),
        Some(KNOWN_KEY),
        None,
    );
    let since = webhooks
        .body
        .string_at("organization-webhooks/0/created-at");
    let events = http(
        port,
        "GET",
        &format!("{organization_url}/events?page[size]=200&filter[created-at][gte]={since}"),
        Some(KNOWN_KEY),
        None,
    );
    let list: &Vec<Value> = events.body.array_at("events");
    assert!(list.len() < 200, "more events than one page");
    list.iter().map(|e| e.string_at("event-url")).collect()
}

/// How often the receiver got each event.
fn received_counts(receiver: &Receiver) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for request in receiver.received() {
        *counts
            .entry(request.json().string_at("event-url"))
            .or_default() += 1;
    }
    counts
}

/// Waits until the receiver holds every one of `events`; panics after 30 s naming the rest.
async fn wait_for_all(receiver: &Receiver, events: &[String]) -> HashMap<String, usize> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let counts = received_counts(receiver);
        let missing: Vec<&String> = events.iter().filter(|e| !counts.contains_key(*e)).collect();
        if missing.is_empty() {
            return counts;
        }
        assert!(Instant::now() < deadline, "never delivered: {missing:?}");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn a_server_killed_with_deliveries_waiting_delivers_them_after_its_restart() {
    let (backend, _guard) = fresh_database().await;
    let url = database_url(&backend);
    let receiver = Receiver::start().await;
    receiver.answer(503);
    let mut server = Server::start_with(&url, Some(KNOWN_KEY), &FAST_RETRIES);
    let organization_url = http(server.port, "GET", "/v0/index", Some(KNOWN_KEY), None)
        .body
        .string_at("organization-url");
    create_webhook(server.port, &organization_url, &receiver.url("/hooks"));
    inbound_payments(server.port, &organization_url, 10);
    // Some attempts fail (503) and wait for their retry; then the server dies.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !receiver.received().is_empty(),
        "nothing was attempted before the kill"
    );
    server.kill();
    receiver.answer(200);
    let server = Server::start_with(&url, None, &FAST_RETRIES);
    let events = events_since_webhook(server.port, &organization_url);
    assert!(events.len() >= 30, "only {} events", events.len());
    wait_for_all(&receiver, &events).await;
    let (stopped, _, _) = server.stop();
    assert!(stopped);
}

/// Two servers share the queue: each event is delivered once, by one of them.
#[actix_web::test]
async fn two_servers_on_one_postgres_database_deliver_each_event_once() {
    let (backend, _guard) = fresh_database().await;
    if !matches!(backend, hyperbank::store::Backend::Postgres(_)) {
        return;
    }
    let url = database_url(&backend);
    let receiver = Receiver::start().await;
    let first = Server::start_with(&url, Some(KNOWN_KEY), &FAST_RETRIES);
    let second = Server::start_with(&url, None, &FAST_RETRIES);
    let organization_url = http(first.port, "GET", "/v0/index", Some(KNOWN_KEY), None)
        .body
        .string_at("organization-url");
    create_webhook(first.port, &organization_url, &receiver.url("/hooks"));
    inbound_payments(first.port, &organization_url, 10);
    inbound_payments(second.port, &organization_url, 10);
    let events = events_since_webhook(first.port, &organization_url);
    let counts = wait_for_all(&receiver, &events).await;
    // A moment more: a second copy would arrive now if either server sent one.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let counts_after = received_counts(&receiver);
    assert_eq!(counts, counts_after);
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    for server in [first, second] {
        let (stopped, _, _) = server.stop();
        assert!(stopped);
    }
}
