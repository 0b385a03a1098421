//! `/healthz` and `/readyz`: what a load balancer asks, without a key.

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use actix_web::{test, web};
use serde_json::Value;

use hyperbank::AppState;
use hyperbank::store::{Backend, Db, PoolOptions};

use crate::support::{Json, TestApp};

#[actix_web::test]
async fn healthz_answers_without_a_key() {
    let app = TestApp::new().await;
    let health = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, serde_json::json!({"status": "ok"}));
}

#[actix_web::test]
async fn readyz_waits_for_a_worker_pass_and_notices_a_stuck_worker() {
    let app = TestApp::new().await;
    let before = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        before.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        before.body
    );
    assert_eq!(before.header("retry-after"), Some("5"));
    assert_eq!(before.body["status"], "not-ready");
    assert_eq!(before.body["checks"]["database"]["status"], "ok");
    assert_eq!(before.body["checks"]["migrations"]["status"], "ok");
    assert_eq!(before.body["checks"]["worker"]["status"], "failed");

    app.run_worker().await;
    let ready = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    assert_eq!(ready.body["status"], "ready");
    assert_eq!(ready.body["checks"]["worker"]["status"], "ok");
    assert!(ready.body["checks"]["worker"]["last-pass-at"].is_string());

    // No pass for longer than the bound: not ready, and it says why.
    app.clock.advance(Duration::from_secs(31));
    let stuck = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(stuck.status, StatusCode::SERVICE_UNAVAILABLE);
    let detail = stuck.body.str_at("checks/worker/detail");
    assert!(detail.contains(" s ago"), "{detail}");
    app.run_worker().await;
    let again = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
}

/// A database that does not answer (nothing listens on the port): 503 naming the database.
#[actix_web::test]
async fn readyz_is_503_while_the_database_does_not_answer() {
    let backend = Backend::Postgres("postgres://nobody@127.0.0.1:1/none".into());
    let options = PoolOptions {
        wait_timeout: Duration::from_secs(2),
        ..PoolOptions::default()
    };
    let db = Db::connect(&backend, &options).unwrap_or_else(|e| panic!("pool: {e}"));
    let state = web::Data::new(AppState::new(db, hyperbank::config::Settings::default()));
    let service = test::init_service(hyperbank::app(state)).await;
    let response = test::call_service(
        &service,
        test::TestRequest::get().uri("/readyz").to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    let body: Value = test::read_body_json(response).await;
    assert_eq!(body["checks"]["database"]["status"], "failed", "{body}");
    assert!(
        body.str_at("checks/database/detail")
            .contains("does not answer"),
        "{body}"
    );
    let health = test::call_service(
        &service,
        test::TestRequest::get().uri("/healthz").to_request(),
    )
    .await;
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "the process itself answers"
    );
}
