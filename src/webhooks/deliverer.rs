//! The delivery loop every `serve` process runs: dispatch new events, claim due deliveries
//! up to the concurrency bound (and fewer per webhook, so one slow receiver cannot take every
//! slot), send each in a task of its own, and record outcomes in batches. Requests never wait
//! for it: it has its own tasks and database connections, and a receiver costs at most the
//! attempt timeout.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::task::JoinSet;

use super::deliveries::{self, ClaimRequest, Claimed, Outcome};
use super::dispatch::dispatch_batch;
use super::sender::Sender;
use super::sending_threads::SendingThreads;
use crate::config::WebhookSettings;
use crate::ids::WebhookId;
use crate::signing_keys::{self, SigningKey};
use crate::store::{Db, StoreError};
use crate::time::Clock;

/// How long the loop sleeps when there is nothing to do.
const IDLE: Duration = Duration::from_millis(20);

/// How long the loop rests after a turn while others write, in multiples of the turn's
/// database time: the deliverer then spends at most a fifth of its time on the database (see
/// [`Deliverer::run`]).
const REST_PER_DATABASE_TIME: u32 = 4;

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
    /// A deliverer with the current signing key (made on first start). Its own writes do not
    /// count as others' (see [`Db::uncounted`]).
    pub async fn new(db: Db, clock: Clock, settings: WebhookSettings) -> Result<Self, StoreError> {
        let db = db.uncounted();
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
        let everything = self.claim_request(now, 10_000, &[]);
        let claimed = deliveries::turn(&self.db, &[], &self.settings, everything)
            .await?
            .claimed;
        let mut sending = JoinSet::new();
        for attempt in claimed {
            sending.spawn(self.attempt(attempt));
        }
        let outcomes: Vec<Attempt> = sending.join_all().await;
        steps += outcomes.len();
        let nothing = self.claim_request(self.clock.now(), 0, &[]);
        deliveries::turn(&self.db, &outcomes, &self.settings, nothing).await?;
        Ok(steps)
    }

    fn attempt(&self, claimed: Claimed) -> impl Future<Output = Attempt> + Send + 'static {
        let (sender, key) = (self.sender.clone(), self.key.clone());
        async move {
            let outcome = sender.send(&key, &claimed).await;
            (claimed, outcome)
        }
    }

    fn claim_request<'a>(
        &self,
        now: crate::time::Micros,
        limit: usize,
        busy: &'a [WebhookId],
    ) -> ClaimRequest<'a> {
        ClaimRequest {
            now,
            lease: self.settings.lease(),
            limit,
            busy,
        }
    }

    /// Delivers forever; errors (a database away) are logged and the next turn retries.
    /// Outcomes that cannot be recorded leave their deliveries leased: they are tried again
    /// when the lease ends, so nothing is lost, at worst sent twice.
    ///
    /// The deliverer yields the database to the API:
    /// - each turn is one read (anything new?) and at most two write transactions (dispatch;
    ///   record and claim together), so it takes the writer — SQLite's one — a few times per
    ///   batch of attempts rather than a few times per attempt;
    /// - events are dispatched only once the due deliveries ran dry, so under a burst they
    ///   wait in their table and the deliverer's writes keep pace with its sending;
    /// - while others write (requests, the worker: anything but the deliverer began a write
    ///   transaction in this process since the last turn), it rests after each turn
    ///   [`REST_PER_DATABASE_TIME`] times as long as the turn's database work took. The busier
    ///   the database, the longer a turn waits for it and the longer the rest, so deliveries
    ///   lag behind a burst; once the writes stop, it delivers without resting and catches up.
    pub async fn run(mut self) {
        let threads = match SendingThreads::start() {
            Ok(threads) => threads,
            Err(error) => {
                tracing::error!(%error, "cannot start the webhook senders; no webhook is sent");
                return;
            }
        };
        let mut sending = Sending::new(threads.handle());
        let mut key_checked = tokio::time::Instant::now();
        let mut ran_dry = true;
        let mut others_writes = self.db.writes_begun();
        loop {
            let turn_started = tokio::time::Instant::now();
            let dispatched = if ran_dry { self.dispatch().await } else { 0 };
            let dispatch_time = turn_started.elapsed();
            // New deliveries are claimed at once; otherwise the turn waits for an attempt to
            // end (or, with none in flight, sleeps) so that it records several together.
            let wait = if dispatched > 0 { Duration::ZERO } else { IDLE };
            let finished = sending.collect(wait).await;
            let turn_started = tokio::time::Instant::now();
            ran_dry = self.turn(&mut sending, &finished).await;
            let database_time = dispatch_time + turn_started.elapsed();
            let others_wrote = self.db.writes_begun() != others_writes;
            tracing::trace!(
                dispatched,
                finished = finished.len(),
                others_wrote,
                ?dispatch_time,
                ?database_time,
                "webhook turn"
            );
            if others_wrote {
                // Attempts go on meanwhile, on their own threads.
                tokio::time::sleep(database_time * REST_PER_DATABASE_TIME).await;
            }
            others_writes = self.db.writes_begun();
            if key_checked.elapsed() >= KEY_CHECK {
                key_checked = tokio::time::Instant::now();
                self.reload_key().await;
            }
        }
    }

    async fn dispatch(&self) -> usize {
        match dispatch_batch(&self.db, &self.settings, self.clock.now()).await {
            Ok(read) => read,
            Err(error) => {
                tracing::warn!(%error, "webhook dispatch failed");
                0
            }
        }
    }

    /// Records what finished and claims as many due deliveries as there are free slots, then
    /// starts sending them. Says whether the due deliveries ran dry, so that dispatching more
    /// is worthwhile.
    async fn turn(&self, sending: &mut Sending, finished: &[Attempt]) -> bool {
        let free = self.settings.concurrency.saturating_sub(sending.len());
        let busy = sending.busy(self.settings.per_webhook);
        let request = self.claim_request(self.clock.now(), free, &busy);
        let turn = match deliveries::turn(&self.db, finished, &self.settings, request).await {
            Ok(turn) => turn,
            Err(error) => {
                tracing::warn!(%error, attempts = finished.len(), "webhook turn failed");
                return true;
            }
        };
        for attempt in turn.claimed {
            sending.start(attempt.webhook_id.clone(), self.attempt(attempt));
        }
        !turn.more_due
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

/// The attempts in flight, and how many of them each webhook has.
struct Sending {
    tasks: JoinSet<Attempt>,
    per_webhook: HashMap<WebhookId, usize>,
    /// Where attempts run: the low-priority threads.
    threads: Handle,
}

impl Sending {
    fn new(threads: Handle) -> Self {
        Sending {
            tasks: JoinSet::new(),
            per_webhook: HashMap::new(),
            threads,
        }
    }

    fn len(&self) -> usize {
        self.tasks.len()
    }

    fn start(
        &mut self,
        webhook: WebhookId,
        attempt: impl Future<Output = Attempt> + Send + 'static,
    ) {
        *self.per_webhook.entry(webhook).or_default() += 1;
        self.tasks.spawn_on(attempt, &self.threads);
    }

    /// The webhooks that have `limit` attempts in flight already.
    fn busy(&self, limit: usize) -> Vec<WebhookId> {
        self.per_webhook
            .iter()
            .filter(|(_, count)| **count >= limit)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The attempts that end within `wait` (at least the first, if any is in flight), and
    /// any others already done; sleeps `wait` when nothing is in flight.
    async fn collect(&mut self, wait: Duration) -> Vec<Attempt> {
        let mut finished = Vec::new();
        if self.tasks.is_empty() {
            tokio::time::sleep(wait).await;
            return finished;
        }
        let first = if wait.is_zero() {
            self.tasks.try_join_next()
        } else {
            tokio::time::timeout(wait, self.tasks.join_next())
                .await
                .ok()
                .flatten()
        };
        finished.extend(first.and_then(log_panic));
        while let Some(done) = self.tasks.try_join_next() {
            finished.extend(log_panic(done));
        }
        for (claimed, _) in &finished {
            self.release(&claimed.webhook_id);
        }
        finished
    }

    fn release(&mut self, id: &WebhookId) {
        if let Some(count) = self.per_webhook.get_mut(id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.per_webhook.remove(id);
            }
        }
    }
}

fn log_panic(result: Result<Attempt, tokio::task::JoinError>) -> Option<Attempt> {
    result
        .map_err(|error| tracing::error!(%error, "a webhook attempt panicked"))
        .ok()
}
