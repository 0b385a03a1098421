//! Webhooks: Griffin's nine operations, the destination rules, and delivery — signed, retried,
//! kept when it fails, replayable — to a real receiver on loopback.

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::receiver::{Received, Receiver};
use crate::support::{Json, TestApp, id_of};

async fn create(app: &TestApp, destination: &str) -> Value {
    let created = app
        .post(
            &format!("{}/webhooks", app.organization_url),
            json!({"webhook-destination-url": destination, "webhook-description": "Ours"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body
}

async fn count(app: &TestApp, table: &str) -> i64 {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.read().await.unwrap_or_else(|e| panic!("{e}"));
    let query = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"));
    let found: Count = hyperbank::dispatch!(&mut conn.conn(), c => query.get_result(c).await)
        .unwrap_or_else(|e| panic!("{e}"));
    found.n
}

#[actix_web::test]
async fn a_webhook_is_created_read_changed_and_deleted_as_griffin_does() {
    let app = TestApp::new().await;
    let webhook = create(&app, "http://127.0.0.1:9/hooks").await;
    let url = webhook.string_at("webhook-url");
    assert!(url.starts_with("/v0/webhooks/wh."));
    assert_eq!(webhook["webhook-state"], "active");
    assert_eq!(
        webhook["webhook-destination-url"],
        "http://127.0.0.1:9/hooks"
    );
    assert_eq!(webhook["webhook-description"], "Ours");
    assert_eq!(webhook["organization-url"], app.organization_url.as_str());
    assert_eq!(webhook["created-by"], app.user_url.as_str());
    assert_eq!(
        webhook["activate-webhook-url"],
        format!("{url}/actions/activate")
    );
    assert_eq!(
        webhook["deactivate-webhook-url"],
        format!("{url}/actions/deactivate")
    );
    assert_eq!(webhook["test-webhook-url"], format!("{url}/actions/test"));

    let second = app
        .post(
            &format!("{}/webhooks", app.organization_url),
            json!({"webhook-destination-url": "http://127.0.0.1:9/other"}),
        )
        .await;
    assert_eq!(second.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(second.error_title(), "webhook-already-exists");
    assert_eq!(count(&app, "webhooks").await, 1);

    let list = app.get(&format!("{}/webhooks", app.organization_url)).await;
    assert_eq!(list.body["organization-webhooks"], json!([webhook.clone()]));
    assert_eq!(app.get(&url).await.body, webhook);

    let patched = app
        .admin(
            Method::PATCH,
            &url,
            Some(json!({"webhook-description": "Renamed"})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["webhook-description"], "Renamed");
    let unknown = app
        .admin(
            Method::PATCH,
            &url,
            Some(json!({"webhook-destination-url": "http://x"})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let empty = app
        .admin(
            Method::PATCH,
            &url,
            Some(json!({"webhook-description": " "})),
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.error_pointer(), Some("/webhook-description"));
    assert_eq!(app.get(&url).await.body["webhook-description"], "Renamed");

    let off = app
        .post(&format!("{url}/actions/deactivate"), json!({}))
        .await;
    assert_eq!(off.body["webhook-state"], "inactive");
    let on = app
        .post(&format!("{url}/actions/activate"), json!({}))
        .await;
    assert_eq!(on.body["webhook-state"], "active");

    assert_eq!(app.delete(&url).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&url).await.status, StatusCode::NOT_FOUND);
    let list = app.get(&format!("{}/webhooks", app.organization_url)).await;
    assert_eq!(list.body["organization-webhooks"], json!([]));
    assert_eq!(count(&app, "webhooks").await, 0);
}

async fn refused(app: &TestApp, destination: &str) -> String {
    let answer = app
        .post(
            &format!("{}/webhooks", app.organization_url),
            json!({"webhook-destination-url": destination}),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{destination}: {}",
        answer.body
    );
    assert_eq!(answer.error_title(), "webhook-destination-invalid");
    assert_eq!(answer.error_pointer(), Some("/webhook-destination-url"));
    answer
        .body
        .at("errors/0/detail")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[actix_web::test]
async fn destinations_follow_the_rules_of_the_organizations_mode() {
    let app = TestApp::new().await;
    // Test mode: http and loopback are fine, other schemes and non-URLs are not.
    assert!(refused(&app, "ftp://127.0.0.1/x").await.contains("http"));
    assert!(refused(&app, "not a url").await.contains("not a URL"));
    let long = format!("http://127.0.0.1/{}", "a".repeat(2048));
    assert!(refused(&app, &long).await.contains("2048"));
    refused(&app, "http://user:pw@127.0.0.1/x").await;
    // Live mode: Griffin's rule, and no address inside the server's network.
    app.set_organization_mode("live-mode").await;
    assert!(
        refused(&app, "http://hooks.example.com/x")
            .await
            .contains("https")
    );
    assert!(
        refused(&app, "https://hooks.example.com:8443/x")
            .await
            .contains("443")
    );
    assert!(
        refused(&app, "https://10.0.0.1/x")
            .await
            .contains("not a public address")
    );
    assert!(
        refused(&app, "https://[::1]/x")
            .await
            .contains("not a public address")
    );
    assert!(
        refused(&app, "https://localhost/x")
            .await
            .contains("not a public address")
    );
    assert_eq!(count(&app, "webhooks").await, 0);
    // A body that is not a webhook is a 400, and changes nothing either.
    let missing = app
        .post(&format!("{}/webhooks", app.organization_url), json!({}))
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.error_pointer(), Some("/webhook-destination-url"));
}

#[actix_web::test]
async fn webhooks_are_the_organizations_own_and_need_team_admin() {
    let app = TestApp::new().await;
    let webhook = create(&app, "http://127.0.0.1:9/hooks").await;
    let url = webhook.string_at("webhook-url");
    let (other, _) = app.other_organization_account().await;
    let theirs = app.get_as(&other.report().api_key_secret, &url).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let deliveries = app
        .get_as(&other.report().api_key_secret, &format!("{url}/deliveries"))
        .await;
    assert_eq!(deliveries.status, StatusCode::NOT_FOUND);

    let reader = app
        .member("reader@example.com", &[app.role_url("Team member").await])
        .await;
    let read = app.get_as(&reader.key, &url).await;
    assert_eq!(read.status, StatusCode::OK);
    let change = app
        .call(
            Method::POST,
            &format!("{url}/actions/deactivate"),
            Some(&reader.key_auth()),
            Some(json!({})),
        )
        .await;
    assert_eq!(change.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&url).await.body["webhook-state"], "active");
}

/// Deliveries of `webhook` as the API lists them, newest first.
async fn deliveries(app: &TestApp, webhook: &Value) -> Vec<Value> {
    let url = webhook.str_at("webhook-deliveries-url");
    let list = app.get(url).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    list.body.array_at("webhook-deliveries").clone()
}

#[actix_web::test]
async fn every_event_is_posted_signed_as_griffin_sends_it() {
    let app = TestApp::new().await;
    let receiver = Receiver::start().await;
    create(&app, &receiver.url("/hooks/griffin")).await;
    let account = app.primary_account().await;
    let inbound = app.inbound(account.str_at("account-url"), "12.34").await;
    assert_eq!(inbound.status, StatusCode::CREATED, "{}", inbound.body);
    app.run_worker().await;
    assert!(app.deliver_webhooks().await > 0);

    let received = receiver.received();
    assert!(!received.is_empty());
    for request in &received {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/hooks/griffin");
        assert_eq!(request.header("content-type"), "application/json");
        let event = request.json();
        let stored = app.get(event.str_at("event-url")).await;
        assert_eq!(stored.status, StatusCode::OK);
        assert_eq!(event, stored.body, "the event as GET shows it");
    }
    let types: Vec<String> = received
        .iter()
        .map(|r| r.json().string_at("event-type"))
        .collect();
    for expected in [
        "payment-created",
        "admission-created",
        "transaction-created",
    ] {
        assert!(
            types.iter().any(|t| t == expected),
            "{expected} in {types:?}"
        );
    }
    verify_in_rust(&app, &received).await;
    crate::webhook_signers::verify_webhooks(&app, &receiver, &received).await;
}

/// The signature checks a receiver makes, in Rust (the Python check is the independent one).
async fn verify_in_rust(app: &TestApp, received: &[Received]) {
    use base64::Engine;
    let jwks = app
        .send(actix_web::test::TestRequest::get().uri("/v0/security/public-keys"))
        .await;
    assert_eq!(jwks.status, StatusCode::OK);
    let key = &jwks.body.array_at("keys")[0];
    assert_eq!(key["kty"], "EC");
    assert_eq!(key["crv"], "P-521");
    assert_eq!(key["alg"], "ES512");
    let b64url = |field: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(key.str_at(field))
            .unwrap_or_else(|e| panic!("{field}: {e}"))
    };
    let point = [vec![4u8], b64url("x"), b64url("y")].concat();
    let kid = key.str_at("kid");
    for request in received {
        let input = request.header("signature-input");
        assert!(
            input.starts_with(&format!(
                "{kid}=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \
             \"content-length\" \"content-digest\");created="
            )),
            "{input}"
        );
        let params = &input[kid.len() + 1..];
        let base = format!(
            "\"date\": {}\n\"@method\": POST\n\"@path\": {}\n\"@authority\": {}\n\
             \"content-type\": application/json\n\"content-length\": {}\n\
             \"content-digest\": {}\n\"@signature-params\": {params}",
            request.header("date"),
            request.path,
            request.header("host"),
            request.body.len(),
            request.header("content-digest"),
        );
        let signature = request.header("signature");
        let encoded = signature
            .strip_prefix(&format!("{kid}=:"))
            .and_then(|rest| rest.strip_suffix(':'))
            .unwrap_or_else(|| panic!("signature {signature}"));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap_or_else(|e| panic!("{e}"));
        let public = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::ECDSA_P521_SHA512_FIXED,
            &point,
        );
        assert!(public.verify(base.as_bytes(), &bytes).is_ok(), "{base}");
    }
}

#[actix_web::test]
async fn a_failing_receiver_is_retried_then_the_delivery_is_kept_as_failed() {
    let app = TestApp::new().await;
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let webhook = create(&app, &receiver.url("/hooks")).await;
    let test = app
        .post(webhook.str_at("test-webhook-url"), json!({}))
        .await;
    assert_eq!(test.status, StatusCode::CREATED);
    // A test event gets one attempt; use a real event for the retries.
    let account = app.primary_account().await;
    app.inbound(account.str_at("account-url"), "1.00").await;
    app.deliver_webhooks().await;
    let pending: Vec<Value> = deliveries(&app, &webhook)
        .await
        .into_iter()
        .filter(|d| d["delivery-status"] == "pending")
        .collect();
    assert!(!pending.is_empty());
    let first = &pending[0];
    assert_eq!(first["attempts"], 1);
    assert_eq!(first["max-attempts"], 6);
    assert_eq!(first["webhook-http-status"], 500);
    assert_eq!(first["webhook-error-code"], "webhook-invalid-response");
    assert_eq!(
        first["webhook-delivery-attempts"][0]["webhook-http-status"],
        500
    );
    for _ in 0..6 {
        app.clock.advance(Duration::from_secs(601));
        app.deliver_webhooks().await;
    }
    let one = app.get(first.str_at("webhook-delivery-url")).await;
    assert_eq!(one.body["delivery-status"], "failed", "{}", one.body);
    assert_eq!(one.body["attempts"], 6);
    assert_eq!(one.body.array_at("webhook-delivery-attempts").len(), 6);
    assert!(one.body.get("next-attempt-at").is_none());
    let sent_for_it = receiver
        .received()
        .iter()
        .filter(|r| r.json()["event-url"] == one.body["event-url"])
        .count();
    assert_eq!(sent_for_it, 6);

    // Redelivery starts over, and a receiver that recovered gets it.
    receiver.answer(204);
    let again = app
        .post(one.body.str_at("redeliver-webhook-delivery-url"), json!({}))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["delivery-status"], "pending");
    assert_eq!(again.body["max-attempts"], 12);
    app.deliver_webhooks().await;
    let done = app.get(first.str_at("webhook-delivery-url")).await;
    assert_eq!(done.body["delivery-status"], "delivered");
    assert_eq!(done.body["webhook-http-status"], 204);
    assert!(done.body.get("webhook-error-code").is_none());
    let by_event = app
        .get(&hyperbank::urls::event_deliveries(
            &hyperbank::ids::EventId::parse(id_of(done.body.str_at("event-url")))
                .expect("an event id"),
        ))
        .await;
    assert_eq!(by_event.body["webhook-deliveries"][0], done.body);
}

#[actix_web::test]
async fn a_receiver_that_goes_away_gets_every_event_when_it_comes_back() {
    let app = TestApp::new().await;
    let mut receiver = Receiver::start().await;
    create(&app, &receiver.url("/hooks")).await;
    let account = app.primary_account().await;
    let account_url = account.string_at("account-url");
    app.inbound(&account_url, "1.00").await;
    app.deliver_webhooks().await;
    let before = receiver.received().len();
    assert!(before > 0);
    receiver.stop().await;
    for _ in 0..3 {
        app.inbound(&account_url, "2.00").await;
    }
    app.deliver_webhooks().await;
    let webhook = &app
        .get(&format!("{}/webhooks", app.organization_url))
        .await
        .body["organization-webhooks"][0];
    let waiting = deliveries(&app, webhook).await;
    let failed_once: Vec<&Value> = waiting
        .iter()
        .filter(|d| d["delivery-status"] == "pending")
        .collect();
    assert!(!failed_once.is_empty());
    for delivery in &failed_once {
        assert_eq!(delivery["webhook-error-code"], "webhook-unknown-error");
        assert!(delivery.get("webhook-http-status").is_none());
    }
    receiver.restart().await;
    app.clock.advance(Duration::from_secs(2));
    app.deliver_webhooks().await;
    let all = deliveries(&app, webhook).await;
    assert!(
        all.iter().all(|d| d["delivery-status"] == "delivered"),
        "{all:?}"
    );
    let events = app
        .get(&format!("{}/events?page[size]=200", app.organization_url))
        .await;
    let received: Vec<Value> = receiver.received().iter().map(Received::json).collect();
    let since_webhook = all.len();
    for event in &events.body.array_at("events")[..since_webhook] {
        assert!(received.contains(event), "{event} was never received");
    }
}

#[actix_web::test]
async fn a_test_event_is_sent_once_and_reported() {
    let app = TestApp::new().await;
    let receiver = Receiver::start().await;
    let webhook = create(&app, &receiver.url("/hooks")).await;
    let test_url = webhook.string_at("test-webhook-url");
    let before = app.get(&test_url).await;
    assert_eq!(before.body["webhook-request-status"], "default");
    let started = app.post(&test_url, json!({})).await;
    assert_eq!(started.status, StatusCode::CREATED);
    assert_eq!(
        started
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some(test_url.as_str())
    );
    assert_eq!(started.body["webhook-request-status"], "default");
    let again = app.post(&test_url, json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    app.deliver_webhooks().await;
    let done = app.get(&test_url).await;
    assert_eq!(
        done.body["webhook-request-status"], "complete",
        "{}",
        done.body
    );
    assert_eq!(done.body["webhook-http-status"], 200);
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].json()["event-type"], "test-event");
    assert_eq!(received[0].json()["event-payload"], json!({}));

    receiver.answer(503);
    app.post(&test_url, json!({})).await;
    app.deliver_webhooks().await;
    let failed = app.get(&test_url).await;
    assert_eq!(failed.body["webhook-http-status"], 503);
    assert_eq!(
        failed.body["webhook-error-code"],
        "webhook-invalid-response"
    );
    app.clock.advance(Duration::from_secs(3600));
    app.deliver_webhooks().await;
    assert_eq!(receiver.received().len(), 2, "a test event is not retried");

    app.post(webhook.str_at("deactivate-webhook-url"), json!({}))
        .await;
    let inactive = app.post(&test_url, json!({})).await;
    assert_eq!(inactive.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(inactive.error_title(), "webhook-inactive");
}

#[actix_web::test]
async fn an_inactive_webhook_receives_nothing() {
    let app = TestApp::new().await;
    let receiver = Receiver::start().await;
    let webhook = create(&app, &receiver.url("/hooks")).await;
    app.post(webhook.str_at("deactivate-webhook-url"), json!({}))
        .await;
    let account = app.primary_account().await;
    app.inbound(account.str_at("account-url"), "1.00").await;
    app.deliver_webhooks().await;
    assert!(receiver.received().is_empty());
    assert!(deliveries(&app, &webhook).await.is_empty());
    // Reactivated, it gets what happens next.
    app.post(webhook.str_at("activate-webhook-url"), json!({}))
        .await;
    app.inbound(account.str_at("account-url"), "1.00").await;
    app.deliver_webhooks().await;
    assert!(!receiver.received().is_empty());
}

#[actix_web::test]
async fn a_rotated_key_stays_published_for_its_overlap() {
    let app = TestApp::new().await;
    let jwks = || app.send(actix_web::test::TestRequest::get().uri("/v0/security/public-keys"));
    let kids = async || -> Vec<String> {
        let published = jwks().await.body;
        published
            .strs_at("keys", "kid")
            .iter()
            .map(|k| k.to_string())
            .collect()
    };
    let first = jwks().await.body.array_at("keys")[0].string_at("kid");
    let second = hyperbank::signing_keys::rotate(&app.db, Duration::from_secs(3600))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(first, second);
    let published = kids().await;
    assert_eq!(
        published,
        [second.clone(), first.clone()],
        "the new key first, the old still there"
    );
    // Replaced without an overlap, the second key leaves at once; the first keeps its hour.
    let third = hyperbank::signing_keys::rotate(&app.db, Duration::ZERO)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let published = kids().await;
    assert_eq!(published, [third, first]);
}
