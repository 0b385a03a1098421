//! `bench --webhook`: a receiver of the bench's own that counts the webhook requests it gets,
//! and the webhook that points the organization's events at it. After the run the bench
//! waits for the backlog to drain and reports how fast events arrived and how far behind
//! they were when the load stopped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use super::client::Connection;
use super::{BenchResult, expect, text};

/// How long the count must stay still to call the backlog drained.
const QUIET: Duration = Duration::from_secs(3);

#[derive(Default)]
struct Counter {
    received: AtomicU64,
}

pub struct Receiver {
    counter: Arc<Counter>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    /// Listens on a free loopback port and makes it the organization's webhook (replacing
    /// any webhook it had).
    pub async fn start(conn: &mut Connection, organization: &str) -> BenchResult<Receiver> {
        let counter = Arc::new(Counter::default());
        let shared = web::Data::from(counter.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .default_service(web::to(count))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .map_err(|e| format!("webhook receiver: {e}"))?;
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        replace_webhook(
            conn,
            organization,
            &format!("http://127.0.0.1:{port}/bench"),
        )
        .await?;
        Ok(Receiver { counter, handle })
    }

    pub fn received(&self) -> u64 {
        self.counter.received.load(Ordering::Relaxed)
    }

    /// Reads the count from another task.
    pub fn counter(&self) -> impl Fn() -> u64 + Send + 'static {
        let counter = self.counter.clone();
        move || counter.received.load(Ordering::Relaxed)
    }

    /// Waits until nothing has arrived for [`QUIET`] (or five minutes), then reports, given
    /// the count when measuring began and ended.
    pub async fn drain(self, at_start: u64, at_end: u64, seconds: f64) -> Value {
        let ended = Instant::now();
        let (mut last, mut last_change) = (self.received(), Instant::now());
        while last_change.elapsed() < QUIET && ended.elapsed() < Duration::from_secs(300) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let now = self.received();
            if now != last {
                (last, last_change) = (now, Instant::now());
            }
        }
        self.handle.stop(false).await;
        let during = at_end - at_start;
        json!({
            "delivered_during_run": during,
            "delivered_per_s": ((during as f64 / seconds) * 10.0).round() / 10.0,
            "backlog_at_end": last - at_end,
            "drain_s": ((last_change - ended).as_secs_f64() * 10.0).round() / 10.0,
        })
    }
}

async fn count(counter: web::Data<Counter>) -> HttpResponse {
    counter.received.fetch_add(1, Ordering::Relaxed);
    HttpResponse::NoContent().finish()
}

async fn replace_webhook(
    conn: &mut Connection,
    organization: &str,
    destination: &str,
) -> BenchResult<()> {
    let url = format!("{organization}/webhooks");
    let send = |e: std::io::Error| e.to_string();
    let list = expect(
        conn.send("GET", &url, None, None).await.map_err(send)?,
        200,
        "list webhooks",
    )?;
    if let Some(existing) = list["organization-webhooks"]
        .as_array()
        .and_then(|l| l.first())
    {
        let old = text(existing, "webhook-url")?;
        let deleted = conn.send("DELETE", &old, None, None).await.map_err(send)?;
        if deleted.status != 204 {
            return Err(format!(
                "cannot delete the webhook {old}: {}",
                deleted.status
            ));
        }
    }
    let body = json!({"webhook-destination-url": destination});
    let created = conn
        .send("POST", &url, Some(&body), None)
        .await
        .map_err(send)?;
    expect(created, 201, "create webhook")?;
    Ok(())
}
