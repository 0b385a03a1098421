//! Background progression: moves sandbox verifications, reliance onboarding applications,
//! bank accounts (opening, and closing once drained), expiring holds and fps submissions
//! on when their time comes, and forgets idempotency keys past their retention. Runs in
//! every `serve` process; the steps are conditional updates in the database, so several
//! servers sharing one database never take the same step twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::config::Settings;
use crate::store::{Db, StoreError};
use crate::time::{Clock, Micros};
use crate::{bank_accounts, holds, onboarding, submissions, verifications};

/// How often the worker looks for due work.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// Passes between two prunings of old idempotency keys (about a minute).
const PRUNE_EVERY: u32 = 600;

/// What the worker needs: the store, the clock that says what is due, and the settings that
/// say how long steps take.
#[derive(Clone)]
pub struct Worker {
    pub db: Db,
    pub clock: Clock,
    pub settings: Settings,
    pub heartbeat: Heartbeat,
}

/// When the worker last finished a pass, for readiness checks; shared by clones.
#[derive(Debug, Clone, Default)]
pub struct Heartbeat(Arc<AtomicI64>);

impl Heartbeat {
    fn beat(&self, at: Micros) {
        self.0.store(at, Ordering::Relaxed);
    }

    /// The end of the last finished pass; `None` before the first.
    pub fn last(&self) -> Option<Micros> {
        Some(self.0.load(Ordering::Relaxed)).filter(|at| *at != 0)
    }
}

impl Worker {
    /// One pass over everything due now; returns how many steps were taken.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let (db, now) = (&self.db, self.clock.now());
        let step = self.settings.verification_step_micros();
        let verified = verifications::advance_due(db, now, step).await?;
        let onboarded = onboarding::advance_due(db, now).await?;
        let opened = bank_accounts::open_due(db, now, self.settings.test_money).await?;
        let expired = holds::release_expired(db, now).await?;
        let delivered = submissions::deliver_due(db, now).await?;
        let closed = bank_accounts::close_drained(db, now).await?;
        self.heartbeat.beat(self.clock.now());
        Ok(verified + onboarded + opened + expired + delivered + closed)
    }

    /// Runs passes forever, every [`INTERVAL`]; errors are logged and the next pass retries.
    pub async fn run(self) {
        let mut pass: u32 = 0;
        loop {
            if let Err(error) = self.run_once().await {
                tracing::warn!(%error, "background worker pass failed");
            }
            pass = pass.wrapping_add(1);
            if pass.is_multiple_of(PRUNE_EVERY)
                && let Err(error) =
                    crate::store::idempotency::prune(&self.db, self.clock.now()).await
            {
                tracing::warn!(%error, "pruning idempotency keys failed");
            }
            tokio::time::sleep(INTERVAL).await;
        }
    }
}
