//! What `/readyz` answers: each check's status, and why it failed.

use serde::Serialize;

use super::{Failure, Readiness};
use crate::time;

/// What `/healthz` answers.
#[derive(Serialize)]
pub struct HealthView {
    pub status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReadinessView {
    status: &'static str,
    checks: Checks,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Checks {
    database: Check,
    migrations: Check,
    worker: WorkerCheck,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Check {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct WorkerCheck {
    #[serde(flatten)]
    check: Check,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_pass_at: Option<String>,
}

impl Check {
    fn new(failure: Failure) -> Self {
        Check {
            status: if failure.is_none() { "ok" } else { "failed" },
            detail: failure,
        }
    }
}

impl ReadinessView {
    pub fn new(readiness: Readiness) -> Self {
        let ready = readiness.ready();
        ReadinessView {
            status: if ready { "ready" } else { "not-ready" },
            checks: Checks {
                database: Check::new(readiness.database),
                migrations: Check::new(readiness.migrations),
                worker: WorkerCheck {
                    check: Check::new(readiness.worker),
                    last_pass_at: readiness.worker_last_pass.map(time::format),
                },
            },
        }
    }
}
