//! `GET /healthz` and `GET /readyz` (ours; no key needed).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::{Failure, Readiness};
use crate::AppState;
use crate::time;

/// Seconds a client is asked to wait before asking again while not ready.
const RETRY_AFTER_SECONDS: &str = "5";

#[derive(Serialize)]
struct Status {
    status: &'static str,
}

/// `GET /healthz`: the process answers; nothing else is checked.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ReadinessView {
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
    fn new(readiness: Readiness) -> Self {
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

/// `GET /readyz`: 200 when the database answers, its migrations are current and the worker
/// passed recently; else 503 with `Retry-After`, saying which check failed.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let readiness = super::readiness(&state.db, &state.heartbeat, state.clock.now()).await;
    if readiness.ready() {
        return HttpResponse::Ok().json(ReadinessView::new(readiness));
    }
    HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE)
        .insert_header(("Retry-After", RETRY_AFTER_SECONDS))
        .json(ReadinessView::new(readiness))
}
