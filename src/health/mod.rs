//! Health and readiness, for load balancers and orchestrators: the process answers
//! (`/healthz`), and it can serve (`/readyz`): the database answers, its migrations are this
//! build's, and the background worker has finished a pass recently.

pub mod handlers;
pub mod view;

use std::time::Duration;

use crate::store::{Db, migrations};
use crate::time::{self, Micros};
use crate::worker::Heartbeat;

/// How long since the worker's last pass before the process counts as not ready: passes run
/// every 100 ms, so this is a worker stuck or failing for a while, not a slow pass.
pub const WORKER_STALE_AFTER: Duration = Duration::from_secs(30);

/// One check's outcome: `None` when it passed, else why not.
pub type Failure = Option<String>;

/// What `/readyz` checks.
#[derive(Debug)]
pub struct Readiness {
    pub database: Failure,
    pub migrations: Failure,
    pub worker: Failure,
    pub worker_last_pass: Option<Micros>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.database.is_none() && self.migrations.is_none() && self.worker.is_none()
    }
}

/// Runs the checks at `now`. The migrations check also shows whether the database answers.
pub async fn readiness(db: &Db, heartbeat: &Heartbeat, now: Micros) -> Readiness {
    let (database, migrations) = match migrations::missing(db).await {
        Ok(missing) if missing.is_empty() => (None, None),
        Ok(missing) => (
            None,
            Some(format!("migrations not applied: {}", missing.join(", "))),
        ),
        Err(error) => (
            Some(format!("the database does not answer: {error}")),
            Some("unknown while the database does not answer".to_string()),
        ),
    };
    let last = heartbeat.last();
    let worker = match last {
        None => Some("the background worker has not finished a pass yet".to_string()),
        Some(at) if now - at > time::micros(WORKER_STALE_AFTER) => Some(format!(
            "the background worker's last pass ended {} s ago",
            (now - at) / time::MICROS_PER_SECOND
        )),
        Some(_) => None,
    };
    Readiness {
        database,
        migrations,
        worker,
        worker_last_pass: last,
    }
}
