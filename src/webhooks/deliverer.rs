//! The delivery loop every `serve` process runs: dispatch new events, claim due deliveries
//! up to the concurrency bound (and fewer per webhook, so one slow receiver cannot take every
//! slot), send each in a task of its own, and record outcomes in batches. Requests never wait
//! for it: it has its own tasks and database connections, and a receiver costs at most the
//! attempt timeout.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use super::deliveries::{self, Claimed, Outcome};
use super::dispatch::dispatch_batch;
use super::sender::Sender;
use crate::config::WebhookSettings;
use crate::ids::WebhookId;
use crate::signing_keys::{self, SigningKey};
use crate::store::{Db, StoreError};
use crate::time::Clock;

/// How long the loop sleeps when there is nothing to do.
const IDLE: Duration = Duration::from_millis(20);

/// How often the loop looks for a rotated signing key.
const KEY_CHECK: Duration = Duration::from_secs(10);

pub struct Deliverer {
    db: Db,
    clock: Clock,
    settings: WebhookSettings,
    sender: Arc<Sender>,
    key: Arc<SigningKey>,
}

type Attempt = (Claimed, Outcome);

impl Deliverer {
    /// A deliverer with the current signing key (made on first start).
    pub async fn new(db: Db, clock: Clock, settings: WebhookSettings) -> Result<Self, StoreError> {
        let key = Arc::new(signing_keys::current(&db).await?);
        let sender = Sender::new(settings.timeout)
            .map_err(|e| StoreError::Integrity(format!("cannot build the webhook client: {e}")))?;
        Ok(Deliverer {
            db,
            clock,
            settings,
            sender: Arc::new(sender),
            key,
        })
    }

    /// Everything due now, start to end: dispatches every waiting event, sends every due
    /// delivery (at once) and records the outcomes. Returns the events dispatched plus the
    /// attempts made; for tests and the benchmark, which drive it step by step.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let mut steps = 0;
        loop {
            let read = dispatch_batch(&self.db, &self.settings, now).await?;
            if read == 0 {
                break;
            }
            steps += read;
        }
        let claimed = deliveries::claim(&self.db, now, self.settings.lease(), 10_000, &[]).await?;
        let mut sending = JoinSet::new();
        for attempt in claimed {
            sending.spawn(self.attempt(attempt));
        }
        let outcomes: Vec<Attempt> = sending.join_all().await;
        steps += outcomes.len();
        deliveries::record(&self.db, &outcomes, &self.settings, self.clock.now()).await?;
        Ok(steps)
    }

    fn attempt(&self, claimed: Claimed) -> impl Future<Output = Attempt> + Send + 'static {
        let (sender, key) = (self.sender.clone(), self.key.clone());
        async move {
            let outcome = sender.send(&key, &claimed).await;
            (claimed, outcome)
        }
    }

    /// Delivers forever; errors (a database away) are logged and the next turn retries.
    /// Outcomes that cannot be recorded leave their deliveries leased: they are tried again
    /// when the lease ends, so nothing is lost, at worst sent twice.
    pub async fn run(mut self) {
        let mut in_flight: JoinSet<Attempt> = JoinSet::new();
        let mut per_webhook: HashMap<WebhookId, usize> = HashMap::new();
        let mut key_checked = tokio::time::Instant::now();
        loop {
            let now = self.clock.now();
            let dispatched = match dispatch_batch(&self.db, &self.settings, now).await {
                Ok(read) => read,
                Err(error) => {
                    tracing::warn!(%error, "webhook dispatch failed");
                    0
                }
            };
            let started = self.claim_and_send(&mut in_flight, &mut per_webhook).await;
            let idle = dispatched == 0 && started == 0;
            let finished = collect(&mut in_flight, if idle { IDLE } else { Duration::ZERO }).await;
            for (claimed, _) in &finished {
                release(&mut per_webhook, &claimed.webhook_id);
            }
            let now = self.clock.now();
            if let Err(error) = deliveries::record(&self.db, &finished, &self.settings, now).await {
                tracing::warn!(%error, attempts = finished.len(), "cannot record webhook attempts");
            }
            if key_checked.elapsed() >= KEY_CHECK {
                key_checked = tokio::time::Instant::now();
                self.reload_key().await;
            }
        }
    }

    /// Claims as many due deliveries as there are free slots and starts sending them.
    async fn claim_and_send(
        &self,
        in_flight: &mut JoinSet<Attempt>,
        per_webhook: &mut HashMap<WebhookId, usize>,
    ) -> usize {
        let free = self.settings.concurrency.saturating_sub(in_flight.len());
        if free == 0 {
            return 0;
        }
        let busy: Vec<WebhookId> = per_webhook
            .iter()
            .filter(|(_, count)| **count >= self.settings.per_webhook)
            .map(|(id, _)| id.clone())
            .collect();
        let (now, lease) = (self.clock.now(), self.settings.lease());
        let claimed = match deliveries::claim(&self.db, now, lease, free, &busy).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "cannot claim webhook deliveries");
                return 0;
            }
        };
        let started = claimed.len();
        for attempt in claimed {
            *per_webhook.entry(attempt.webhook_id.clone()).or_default() += 1;
            in_flight.spawn(self.attempt(attempt));
        }
        started
    }

    async fn reload_key(&mut self) {
        match signing_keys::current_kid(&self.db).await {
            Ok(Some(kid)) if kid != self.key.kid => match signing_keys::current(&self.db).await {
                Ok(key) => {
                    tracing::info!(kid = %key.kid, "webhooks now signed with a rotated key");
                    self.key = Arc::new(key);
                }
                Err(error) => tracing::warn!(%error, "cannot load the rotated signing key"),
            },
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "cannot check the signing key"),
        }
    }
}

/// The attempts that end within `wait` (at least the first, if any is in flight), and any
/// others already done.
async fn collect(in_flight: &mut JoinSet<Attempt>, wait: Duration) -> Vec<Attempt> {
    let mut finished = Vec::new();
    if in_flight.is_empty() {
        tokio::time::sleep(wait).await;
        return finished;
    }
    let first = if wait.is_zero() {
        in_flight.try_join_next()
    } else {
        tokio::time::timeout(wait, in_flight.join_next())
            .await
            .ok()
            .flatten()
    };
    finished.extend(first.and_then(log_panic));
    while let Some(done) = in_flight.try_join_next() {
        finished.extend(log_panic(done));
    }
    finished
}

fn log_panic(result: Result<Attempt, tokio::task::JoinError>) -> Option<Attempt> {
    result
        .map_err(|error| tracing::error!(%error, "a webhook attempt panicked"))
        .ok()
}

fn release(per_webhook: &mut HashMap<WebhookId, usize>, id: &WebhookId) {
    if let Some(count) = per_webhook.get_mut(id) {
        *count = count.saturating_sub(1);
        if *count == 0 {
            per_webhook.remove(id);
        }
    }
}
