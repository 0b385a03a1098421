use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Json, Response, TestApp, id_of};

const CONSENT: &str = "0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9";
const GATEWAY: &str = "11111111-2222-4333-8444-555555555555";

fn register_url(app: &TestApp) -> String {
    format!("{}/open-banking/tell-consents", app.organization_url)
}

fn body(id: &str, scope: &str, permissions: Value, accounts: &[&str]) -> Value {
    json!({
        "tell-consent-id": id,
        "tell-gateway-id": GATEWAY,
        "tell-consent-scope": scope,
        "tell-consent-permissions": permissions,
        "bank-account-urls": accounts,
    })
}

/// Rows of the consent tables: (consents, consent accounts).
async fn rows(app: &TestApp) -> (i64, i64) {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use hyperbank::store::schema::{tell_consent_accounts, tell_consents};
    let mut conn = app.db.read().await.unwrap_or_else(|e| panic!("{e}"));
    let mut conn = conn.conn();
    let consents: i64 = hyperbank::dispatch!(&mut conn, c => tell_consents::table
        .count()
        .get_result(c)
        .await)
    .unwrap_or_else(|e| panic!("{e}"));
    let accounts: i64 = hyperbank::dispatch!(&mut conn, c => tell_consent_accounts::table
        .count()
        .get_result(c)
        .await)
    .unwrap_or_else(|e| panic!("{e}"));
    (consents, accounts)
}

/// The consent's status and ends as the database holds them.
async fn stored_status(app: &TestApp, uuid: &str) -> (String, Option<i64>, Option<i64>) {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use hyperbank::store::schema::tell_consents;
    let mut conn = app.db.read().await.unwrap_or_else(|e| panic!("{e}"));
    hyperbank::dispatch!(&mut conn.conn(), c => tell_consents::table
        .filter(tell_consents::consent_uuid.eq(uuid))
        .select((
            tell_consents::tell_consent_status,
            tell_consents::revoked_at,
            tell_consents::consumed_at,
        ))
        .first(c)
        .await)
    .unwrap_or_else(|e| panic!("{e}"))
}

#[track_caller]
fn assert_error(response: &Response, status: StatusCode, title: &str) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_eq!(response.error_title(), title, "{}", response.body);
}

#[actix_web::test]
async fn register_get_and_revoke() {
    let app = TestApp::new().await;
    let first = app.operational_account("First").await;
    let second = app.operational_account("Second").await;
    let mut request = body(
        &CONSENT.to_uppercase(),
        "accounts",
        json!(["ReadBalances", "ReadTransactionsDetail"]),
        &[&first, &second, &first],
    );
    request["tell-consent-expiry"] = json!("2030-01-01T00:00:00Z");
    let created = app.post(&register_url(&app), request).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let url = format!("/v0/open-banking/tell-consents/{CONSENT}");
    assert_eq!(created.header("location"), Some(url.as_str()));
    let consent = &created.body;
    assert_eq!(consent["tell-consent-url"], url);
    assert_eq!(consent["tell-consent-id"], CONSENT);
    assert_eq!(consent["tell-gateway-id"], GATEWAY);
    assert_eq!(consent["tell-consent-scope"], "accounts");
    assert_eq!(
        consent["tell-consent-permissions"],
        json!(["ReadBalances", "ReadTransactionsDetail"])
    );
    assert_eq!(consent["tell-consent-status"], "authorised");
    assert_eq!(consent["bank-account-urls"], json!([first, second]));
    assert_eq!(consent["tell-consent-expiry"], "2030-01-01T00:00:00.000Z");
    assert!(consent.get("tell-consent-revoked-at").is_none());
    assert!(consent.get("tell-consent-consumed-at").is_none());
    assert_eq!(rows(&app).await, (1, 2));

    let fetched = app.get(&url).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(&fetched.body, consent);
    // The path takes the UUID in either case; anything else is unknown.
    let upper = format!("/v0/open-banking/tell-consents/{}", CONSENT.to_uppercase());
    assert_eq!(app.get(&upper).await.body, *consent);
    assert_eq!(
        app.get("/v0/open-banking/tell-consents/tc.not-a-uuid")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let revoked = app.post(&format!("{url}/actions/revoke"), json!({})).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(revoked.body["tell-consent-status"], "revoked");
    assert!(revoked.body["tell-consent-revoked-at"].is_string());
    assert_eq!(app.get(&url).await.body, revoked.body);
    let (status, revoked_at, consumed_at) = stored_status(&app, CONSENT).await;
    assert_eq!(status, "revoked");
    assert!(revoked_at.is_some() && consumed_at.is_none());

    // Twice is refused, and nothing changes.
    let again = app.post(&format!("{url}/actions/revoke"), json!({})).await;
    assert_error(
        &again,
        StatusCode::UNPROCESSABLE_ENTITY,
        "tell-consent-already-revoked",
    );
    assert_eq!(
        stored_status(&app, CONSENT).await,
        (status, revoked_at, consumed_at)
    );
    // A revoked consent cannot be consumed either.
    let consume = format!("/v0/simulation/open-banking/tell-consents/{CONSENT}/actions/consume");
    let consumed = app.post(&consume, json!({})).await;
    assert_error(
        &consumed,
        StatusCode::UNPROCESSABLE_ENTITY,
        "tell-consent-revoked",
    );
}

#[actix_web::test]
async fn payments_consents_are_consumed_then_final() {
    let app = TestApp::new().await;
    let account = app.operational_account("Paying").await;
    let created = app
        .post(
            &register_url(&app),
            body(CONSENT, "payments", json!([]), &[&account]),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["tell-consent-permissions"], json!([]));
    let consume = format!("/v0/simulation/open-banking/tell-consents/{CONSENT}/actions/consume");
    let consumed = app.post(&consume, json!({})).await;
    assert_eq!(consumed.status, StatusCode::OK, "{}", consumed.body);
    assert_eq!(consumed.body["tell-consent-status"], "consumed");
    assert!(consumed.body["tell-consent-consumed-at"].is_string());
    assert!(consumed.body.get("tell-consent-revoked-at").is_none());
    let before = stored_status(&app, CONSENT).await;
    assert_eq!(before.0, "consumed");

    let twice = app.post(&consume, json!({})).await;
    assert_error(
        &twice,
        StatusCode::UNPROCESSABLE_ENTITY,
        "tell-consent-already-consumed",
    );
    // Revoking a consumed consent: it has been used up, there is nothing to revoke.
    let url = created.body.str_at("tell-consent-url");
    let revoke = app.post(&format!("{url}/actions/revoke"), json!({})).await;
    assert_error(
        &revoke,
        StatusCode::UNPROCESSABLE_ENTITY,
        "tell-consent-consumed",
    );
    assert_eq!(stored_status(&app, CONSENT).await, before);
    // Payments consents echo the permissions Tell returned, if any.
    let other = "22222222-2222-4222-8222-222222222222";
    let with = app
        .post(
            &register_url(&app),
            body(other, "payments", json!(["ReadBalances"]), &[&account]),
        )
        .await;
    assert_eq!(with.status, StatusCode::CREATED, "{}", with.body);
    assert_eq!(
        with.body["tell-consent-permissions"],
        json!(["ReadBalances"])
    );
}

#[actix_web::test]
async fn bad_input_is_refused_and_nothing_is_written() {
    let app = TestApp::new().await;
    let account = app.operational_account("Mine").await;
    let url = register_url(&app);
    let cases: Vec<(Value, &str, Option<&str>)> = vec![
        (
            body(
                "not-a-uuid",
                "accounts",
                json!(["ReadBalances"]),
                &[&account],
            ),
            "Invalid value",
            Some("/tell-consent-id"),
        ),
        (
            body(
                &CONSENT[1..],
                "accounts",
                json!(["ReadBalances"]),
                &[&account],
            ),
            "Invalid value",
            Some("/tell-consent-id"),
        ),
        (
            json!({"tell-consent-id": CONSENT, "tell-gateway-id": "gw", "tell-consent-scope": "accounts",
                "tell-consent-permissions": ["ReadBalances"], "bank-account-urls": [account]}),
            "Invalid value",
            Some("/tell-gateway-id"),
        ),
        (
            body(CONSENT, "everything", json!(["ReadBalances"]), &[&account]),
            "Invalid enum value",
            Some("/tell-consent-scope"),
        ),
        (
            body(
                CONSENT,
                "accounts",
                json!(["ReadBalances", "ReadMinds"]),
                &[&account],
            ),
            "Invalid enum value",
            Some("/tell-consent-permissions/1"),
        ),
        (
            body(CONSENT, "accounts", json!([]), &[&account]),
            "Invalid value",
            Some("/tell-consent-permissions"),
        ),
        (
            body(
                CONSENT,
                "accounts",
                json!(["ReadBalances", "ReadBalances"]),
                &[&account],
            ),
            "Invalid value",
            Some("/tell-consent-permissions/1"),
        ),
        (
            body(
                CONSENT,
                "accounts",
                json!(["ReadBalances"]),
                &["/v0/payees/pe.x"],
            ),
            "Invalid value",
            Some("/bank-account-urls/0"),
        ),
        (
            json!({"tell-consent-id": CONSENT, "tell-gateway-id": GATEWAY, "tell-consent-scope": "accounts",
                "tell-consent-permissions": ["ReadBalances"]}),
            "Missing field",
            Some("/bank-account-urls"),
        ),
    ];
    for (request, title, pointer) in cases {
        let refused = app.post(&url, request.clone()).await;
        assert_error(&refused, StatusCode::BAD_REQUEST, title);
        assert_eq!(
            refused.error_pointer(),
            pointer,
            "{request}: {}",
            refused.body
        );
    }
    let mut expiry = body(CONSENT, "accounts", json!(["ReadBalances"]), &[&account]);
    expiry["tell-consent-expiry"] = json!("tomorrow");
    let refused = app.post(&url, expiry).await;
    assert_error(&refused, StatusCode::BAD_REQUEST, "Invalid datetime");
    assert_eq!(rows(&app).await, (0, 0));

    // Another organization's account, or one that does not exist: 422 at its URL.
    let (_, theirs) = app.other_organization_account().await;
    let theirs = theirs.str_at("account-url");
    for stranger in [theirs, "/v0/bank/accounts/ba.AAAAAAAAAAAAAAAAAAAAAA"] {
        let refused = app
            .post(
                &url,
                body(
                    CONSENT,
                    "accounts",
                    json!(["ReadBalances"]),
                    &[&account, stranger],
                ),
            )
            .await;
        assert_error(
            &refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "bank-account-not-found",
        );
        assert_eq!(refused.error_pointer(), Some("/bank-account-urls/1"));
    }
    assert_eq!(rows(&app).await, (0, 0));

    // A taken id is 409, whichever organization took it.
    let created = app
        .post(
            &url,
            body(CONSENT, "accounts", json!(["ReadBalances"]), &[&account]),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let duplicate = app
        .post(
            &url,
            body(&CONSENT.to_uppercase(), "payments", json!([]), &[]),
        )
        .await;
    assert_error(
        &duplicate,
        StatusCode::CONFLICT,
        "tell-consent-already-exists",
    );
    assert_eq!(rows(&app).await, (1, 1));
    assert_eq!(
        app.get(created.body.str_at("tell-consent-url")).await.body,
        created.body
    );
}

#[actix_web::test]
async fn other_organizations_and_missing_roles() {
    let app = TestApp::new().await;
    let account = app.operational_account("Mine").await;
    let created = app
        .post(
            &register_url(&app),
            body(CONSENT, "accounts", json!(["ReadParty"]), &[&account]),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let url = created.body.str_at("tell-consent-url").to_string();
    let (other, their_account) = app.other_organization_account().await;
    let their_key = other.secret.as_str();
    // Another organization's key sees neither the consent nor the organization.
    assert_eq!(
        app.get_as(their_key, &url).await.status,
        StatusCode::NOT_FOUND
    );
    let revoke = app
        .call(
            Method::POST,
            &format!("{url}/actions/revoke"),
            Some(&format!("GriffinAPIKey {their_key}")),
            Some(json!({})),
        )
        .await;
    assert_eq!(revoke.status, StatusCode::NOT_FOUND);
    let theirs = app
        .call(
            Method::POST,
            &register_url(&app),
            Some(&format!("GriffinAPIKey {their_key}")),
            Some(body(
                GATEWAY,
                "accounts",
                json!(["ReadParty"]),
                &[their_account.str_at("account-url")],
            )),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(stored_status(&app, CONSENT).await.0, "authorised");

    // A Team member reads but may not register or revoke.
    let member = app
        .member("team@example.com", &[app.role_url("Team member").await])
        .await;
    let read = app
        .call(Method::GET, &url, Some(&member.key_auth()), None)
        .await;
    assert_eq!(read.status, StatusCode::OK);
    for (path, request) in [
        (format!("{url}/actions/revoke"), json!({})),
        (
            register_url(&app),
            body(GATEWAY, "payments", json!([]), &[&account]),
        ),
    ] {
        let refused = app
            .call(Method::POST, &path, Some(&member.key_auth()), Some(request))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    }
    assert_eq!(stored_status(&app, CONSENT).await.0, "authorised");
    assert_eq!(rows(&app).await, (1, 1));
}

#[actix_web::test]
async fn consuming_is_for_test_mode_only() {
    let app = TestApp::new().await;
    let account = app.operational_account("Mine").await;
    let created = app
        .post(
            &register_url(&app),
            body(CONSENT, "payments", json!([]), &[&account]),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    set_mode(&app, "live-mode").await;
    let consume = format!("/v0/simulation/open-banking/tell-consents/{CONSENT}/actions/consume");
    let refused = app.post(&consume, json!({})).await;
    assert_error(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "simulation-not-available",
    );
    assert_eq!(
        stored_status(&app, CONSENT).await,
        ("authorised".to_string(), None, None)
    );
}

async fn set_mode(app: &TestApp, mode: &str) {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use hyperbank::store::schema::organizations;
    let id = id_of(&app.organization_url).to_string();
    let mut tx = app.db.write().await.unwrap_or_else(|e| panic!("{e}"));
    let result = hyperbank::dispatch!(&mut tx.conn(), c => diesel::update(
            organizations::table.find(&id))
        .set(organizations::organization_mode.eq(mode))
        .execute(c)
        .await);
    tx.finish(result).await.unwrap_or_else(|e| panic!("{e}"));
}
