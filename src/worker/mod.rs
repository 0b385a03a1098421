//! Background progression: moves sandbox verifications, reliance onboarding applications,
//! bank accounts (opening, and closing once drained), expiring holds and fps submissions
//! on when their time comes, and forgets idempotency keys past their retention. Runs in
//! every `serve` process; the steps are conditional updates in the database, so several
//! servers sharing one database never take the same step twice.

use std::time::Duration;

use crate::AppState;
use crate::{bank_accounts, holds, onboarding, submissions, verifications};

/// How often the worker looks for due work.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// One pass over everything due now; returns how many steps were taken.
pub async fn run_once(state: &AppState) -> Result<usize, crate::store::StoreError> {
    let step = state.settings.verification_step_micros();
    let now = state.clock.now();
    let verified = verifications::advance_due(&state.db, now, step).await?;
    let onboarded = onboarding::advance_due(&state.db, now).await?;
    let opened = bank_accounts::open_due(&state.db, now, state.settings.test_money).await?;
    let expired = holds::release_expired(&state.db, now).await?;
    let delivered = submissions::deliver_due(&state.db, now).await?;
    let closed = bank_accounts::close_drained(&state.db, now).await?;
    Ok(verified + onboarded + opened + expired + delivered + closed)
}

/// Passes between two prunings of old idempotency keys (about a minute).
const PRUNE_EVERY: u32 = 600;

/// Runs passes forever, every [`INTERVAL`]; errors are logged and the next pass retries.
pub async fn run(state: actix_web::web::Data<AppState>) {
    let mut pass: u32 = 0;
    loop {
        if let Err(error) = run_once(&state).await {
            tracing::warn!(%error, "background worker pass failed");
        }
        pass = pass.wrapping_add(1);
        if pass.is_multiple_of(PRUNE_EVERY)
            && let Err(error) = crate::store::idempotency::prune(&state.db, state.clock.now()).await
        {
            tracing::warn!(%error, "pruning idempotency keys failed");
        }
        tokio::time::sleep(INTERVAL).await;
    }
}
