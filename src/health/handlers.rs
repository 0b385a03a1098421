//! `GET /healthz` and `GET /readyz` (ours; no key needed).

use super::view::{HealthView, ReadinessView};
use crate::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

/// Seconds a client is asked to wait before asking again while not ready.
const RETRY_AFTER_SECONDS: &str = "5";

/// `GET /healthz`: the process answers; nothing else is checked.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthView { status: "ok" })
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
