//! `Idempotency-Key` on every POST of the payments area: payees, payments, submissions,
//! payment searches, confirmation of payee and its simulation. (Payment creation's 20
//! concurrent retries are in `payments.rs`.)

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::payments::external;
use crate::support::{Json, Response, TestApp};

/// Sends the same request twice with one key: both answers must be the first, status,
/// `Location` and body alike. Returns it.
async fn replayed(app: &TestApp, url: &str, key: &str, body: Value) -> Response {
    let first = app.post_idempotent(url, key, body.clone()).await;
    assert!(
        first.status.is_success(),
        "{url}: {} {}",
        first.status,
        first.body
    );
    let again = app.post_idempotent(url, key, body).await;
    assert_eq!(again.status, first.status, "{url}: {}", again.body);
    assert_eq!(again.body, first.body, "{url}");
    assert_eq!(again.header("location"), first.header("location"), "{url}");
    first
}

/// The same key with another body is refused, naming the reuse.
async fn assert_reuse_refused(app: &TestApp, url: &str, key: &str, body: Value) {
    let reused = app.post_idempotent(url, key, body).await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
    assert_eq!(reused.error_title(), "idempotency-key-reused", "{url}");
}

#[actix_web::test]
async fn a_retried_payee_creation_answers_the_first_201_not_409() {
    let app = TestApp::new().await;
    let person = app.individual("Jane Doe").await;
    let url = format!("{person}/bank/payees");
    let body = json!({"account-holder": "Ext Ltd", "account-number": "11112222",
                      "bank-id": "203040"});
    let first = replayed(&app, &url, "payee-1", body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let payee_url = first.body["payee-url"].as_str();
    assert!(payee_url.is_some_and(|url| url.starts_with("/v0/payees/pe.")));
    assert_eq!(
        first.header("location"),
        payee_url,
        "Location names the payee"
    );
    let listed = app.get(&url).await;
    assert_eq!(listed.body["payees"].as_array().map(Vec::len), Some(1));
    // Without the key the duplicate is what it is: a conflict.
    let duplicate = app.post(&url, body.clone()).await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert_eq!(duplicate.error_title(), "payee-already-exists");
    let mut other = body;
    other["account-number"] = json!("33334444");
    assert_reuse_refused(&app, &url, "payee-1", other).await;
    assert_eq!(
        app.get(&url).await.body["payees"].as_array().map(Vec::len),
        Some(1)
    );
}

#[actix_web::test]
async fn retried_cop_requests_and_simulations_record_one_request_each() {
    let app = TestApp::new().await;
    let person = app.individual("Jane Doe").await;
    let body = json!({"account-number": "11112222", "bank-id": "203040",
                      "account-classification": "business", "name": "Ext Ltd",
                      "requester-legal-person-url": person});
    let org = &app.organization_url;
    let simulate = format!(
        "/v0/simulation/organizations/{}/cop-request/simulate/close-match-name",
        crate::support::id_of(org)
    );
    for (url, key) in [(format!("{org}/cop-request"), "cop-1"), (simulate, "cop-2")] {
        let first = replayed(&app, &url, key, body.clone()).await;
        assert_eq!(first.status, StatusCode::CREATED);
        let recorded = first.body.str_at("cop-request-url");
        assert!(
            recorded.starts_with("/v0/cop-request/cp."),
            "{url}: {recorded}"
        );
        assert_eq!(first.header("location"), Some(recorded), "{url}");
        assert_eq!(app.get(recorded).await.body, first.body, "{url}");
        // A new request without the key records a new CoP request.
        let fresh = app.post(&url, body.clone()).await;
        assert_eq!(fresh.status, StatusCode::CREATED);
        assert_ne!(fresh.body.str_at("cop-request-url"), recorded);
        let mut other = body.clone();
        other["name"] = json!("Someone Else");
        assert_reuse_refused(&app, &url, key, other).await;
    }
}

#[actix_web::test]
async fn a_retried_search_answers_what_the_first_found() {
    let app = TestApp::new().await;
    let from = app.operational_account("From").await;
    let pay = |reference: &'static str| {
        let app = &app;
        let from = &from;
        async move {
            let created = app
                .post(
                    &format!("{from}/payments"),
                    json!({"creditor": external(), "payment-reference": reference,
                           "payment-amount": {"currency": "GBP", "value": "1.00"}}),
                )
                .await;
            assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        }
    };
    pay("Rent March").await;
    let url = format!("{}/payments/search", app.organization_url);
    let query = json!({"search-query": "rent"});
    let first = replayed(&app, &url, "search-1", query.clone()).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(
        first.body["search-results"].as_array().map(Vec::len),
        Some(1)
    );
    pay("Rent April").await;
    // The retry answers the stored first answer; a search without the key sees both.
    let retried = app.post_idempotent(&url, "search-1", query.clone()).await;
    assert_eq!(retried.body, first.body);
    let fresh = app.post(&url, query).await;
    assert_eq!(
        fresh.body["search-results"].as_array().map(Vec::len),
        Some(2)
    );
    assert_reuse_refused(&app, &url, "search-1", json!({"search-query": "april"})).await;
    // The query string is part of the request: another `include` is another request.
    let included = format!("{url}?include=bank-account");
    assert_reuse_refused(&app, &included, "search-1", json!({"search-query": "rent"})).await;
}

#[actix_web::test]
async fn keys_are_per_organization() {
    let app = TestApp::new().await;
    let ours = app.operational_account("Ours").await;
    let body = json!({"creditor": external(),
                      "payment-amount": {"currency": "GBP", "value": "10.00"}});
    let mine = app
        .post_idempotent(&format!("{ours}/payments"), "shared-key", body.clone())
        .await;
    assert_eq!(mine.status, StatusCode::CREATED);
    // Another organization sending the same key and body makes its own payment.
    let (other, their_account) = app.other_organization_account().await;
    let auth = format!("GriffinAPIKey {}", other.secret.as_str());
    let theirs = their_account.string_at("account-url");
    let url = format!("{theirs}/payments");
    let send = || app.post_idempotent_as(&auth, &url, "shared-key", body.clone());
    let first = send().await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_ne!(
        first.body.str_at("payment-url"),
        mine.body.str_at("payment-url")
    );
    assert_eq!(first.body["debtor"]["account-url"], json!(theirs));
    // ... and its own retries replay its own answer.
    let again = send().await;
    assert_eq!(again.body, first.body);
    for (account, auth) in [(&ours, app.auth()), (&theirs, auth.clone())] {
        let listed = app
            .call(
                Method::GET,
                &format!("{account}/payments"),
                Some(&auth),
                None,
            )
            .await;
        assert_eq!(
            listed.body["payments"].as_array().map(Vec::len),
            Some(1),
            "{account}"
        );
    }
}

#[actix_web::test]
async fn concurrent_retries_of_one_submission_pay_once() {
    let app = TestApp::new().await;
    let from = app.operational_account("From").await;
    let payment = app.pay(&from, external(), "10.00").await;
    let submissions = format!("{}/submissions", payment.body.str_at("payment-url"));
    let scheme = json!({"payment-scheme": "fps"});
    let attempts = (0..10).map(|_| app.post_idempotent(&submissions, "submit-1", scheme.clone()));
    let answers = futures_util::future::join_all(attempts).await;
    // Each answer is the one submission, or a 429 to retry later (more than three
    // submissions of one account at once).
    let done: Vec<&Response> = answers
        .iter()
        .filter(|a| a.status == StatusCode::OK)
        .collect();
    assert!(!done.is_empty());
    for answer in &answers {
        match answer.status {
            StatusCode::OK => assert_eq!(answer.body, done[0].body),
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}: {}", answer.body),
        }
    }
    let retry = app.post_idempotent(&submissions, "submit-1", scheme).await;
    assert_eq!(retry.body, done[0].body);
    let listed = app.get(&submissions).await;
    assert_eq!(listed.body["submissions"].as_array().map(Vec::len), Some(1));
    assert_eq!(app.balances(&from).await.0, "990.00");
    app.assert_ledger_ok().await;
}

#[actix_web::test]
async fn keys_are_kept_a_day_then_forgotten() {
    let app = TestApp::new().await;
    let from = app.operational_account("From").await;
    let url = format!("{from}/payments");
    let body = json!({"creditor": external(),
                      "payment-amount": {"currency": "GBP", "value": "1.00"}});
    let first = app.post_idempotent(&url, "day-key", body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let now = hyperbank::time::now();
    let hour = 3600 * hyperbank::time::MICROS_PER_SECOND;
    let prune = |at| hyperbank::store::idempotency::prune(&app.db, at);
    // Within a day the key stays, and answers the retry.
    assert_eq!(prune(now + 23 * hour).await.expect("prune"), 0);
    let retry = app.post_idempotent(&url, "day-key", body.clone()).await;
    assert_eq!(retry.body, first.body);
    // After it, the key is forgotten: the same key makes a new payment.
    assert_eq!(prune(now + 24 * hour + hour).await.expect("prune"), 1);
    let later = app.post_idempotent(&url, "day-key", body).await;
    assert_eq!(later.status, StatusCode::CREATED);
    assert_ne!(
        later.body.str_at("payment-url"),
        first.body.str_at("payment-url")
    );
    assert_eq!(
        app.get(&url).await.body["payments"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}
