use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use hyperbank::bootstrap;

use crate::support::{Json, TestApp};

async fn with_password(app: &TestApp) -> String {
    let created = bootstrap::create_organization(
        &app.db,
        "Pw Ltd",
        "pw@example.com",
        None,
        Some("s3cret password"),
        hyperbank::config::DEFAULT_TEST_MONEY,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    created.report().organization_url
}

#[actix_web::test]
async fn login_use_and_logout() {
    let app = TestApp::new().await;
    let organization_url = with_password(&app).await;
    for (email, password) in [
        ("pw@example.com", "wrong password"),
        ("nobody@example.com", "s3cret password"),
        ("sandbox@example.com", "anything at all"),
    ] {
        let refused = app
            .call(
                Method::POST,
                "/v0/session",
                None,
                Some(json!({"user-email": email, "password": password})),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{email}");
        assert_eq!(refused.error_title(), "invalid-credentials");
    }
    let login = app
        .call(
            Method::POST,
            "/v0/session",
            None,
            Some(json!({"user-email": "PW@example.com", "password": "s3cret password"})),
        )
        .await;
    assert_eq!(login.status, StatusCode::CREATED);
    let token = login.body.string_at("session-token");
    assert!(token.starts_with("g-session-"));
    let auth = format!("GriffinSession {token}");
    let me = app
        .call(Method::GET, "/v0/session", Some(&auth), None)
        .await;
    assert_eq!(me.body["user"]["user-email"], "pw@example.com");
    assert_eq!(
        me.body["memberships"][0]["organization"]["organization-url"],
        organization_url.as_str()
    );
    // The organization in the URL decides which membership applies: theirs yes, ours no.
    assert_eq!(
        app.call(Method::GET, &organization_url, Some(&auth), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.call(Method::GET, &app.organization_url, Some(&auth), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let index = app.call(Method::GET, "/v0/index", Some(&auth), None).await;
    assert!(index.body.get("api-key-url").is_none());
    // A session can make keys where its roles allow.
    let key = app
        .call(
            Method::POST,
            &format!("{organization_url}/api-keys"),
            Some(&auth),
            Some(json!({"api-key-name": "from-session"})),
        )
        .await;
    assert_eq!(key.status, StatusCode::CREATED);

    assert_eq!(
        app.call(Method::DELETE, "/v0/session", Some(&auth), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call(Method::GET, "/v0/session", Some(&auth), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // An API key has no session.
    assert_eq!(app.get("/v0/session").await.error_title(), "no-session");
}

#[actix_web::test]
async fn sessions_expire() {
    let app = TestApp::new().await;
    with_password(&app).await;
    let login = app
        .call(
            Method::POST,
            "/v0/session",
            None,
            Some(json!({"user-email": "pw@example.com", "password": "s3cret password"})),
        )
        .await;
    let auth = format!("GriffinSession {}", login.body.str_at("session-token"));
    assert_eq!(
        app.call(Method::GET, "/v0/session", Some(&auth), None)
            .await
            .status,
        StatusCode::OK
    );
    app.clock.advance(Duration::from_secs(24 * 3600 + 1));
    assert_eq!(
        app.call(Method::GET, "/v0/session", Some(&auth), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn sessions_create_organizations_keys_cannot() {
    let app = TestApp::new().await;
    with_password(&app).await;
    let login = app
        .call(
            Method::POST,
            "/v0/session",
            None,
            Some(json!({"user-email": "pw@example.com", "password": "s3cret password"})),
        )
        .await;
    let auth = format!("GriffinSession {}", login.body.str_at("session-token"));
    let created = app
        .call(
            Method::POST,
            "/v0/organizations",
            Some(&auth),
            Some(json!({"display-name": "Fresh Ltd"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let url = created.body.string_at("organization-url");
    assert_eq!(created.header("location"), Some(url.as_str()));
    assert_eq!(created.body["organization-mode"], "test-mode");
    let orgs = app
        .call(Method::GET, "/v0/organizations", Some(&auth), None)
        .await;
    assert_eq!(orgs.body["organizations"].as_array().map(Vec::len), Some(2));
    let memberships = app
        .call(
            Method::GET,
            &format!("{url}/memberships"),
            Some(&auth),
            None,
        )
        .await;
    let roles: Vec<_> = memberships
        .body
        .strs_at("memberships/0/roles", "display-name");
    assert_eq!(roles, ["Team admin", "Compliance", "Approve own payments"]);

    let by_key = app
        .admin(
            Method::POST,
            "/v0/organizations",
            Some(json!({"display-name": "Nope"})),
        )
        .await;
    assert_eq!(by_key.status, StatusCode::FORBIDDEN);
    let mine = app.get("/v0/organizations").await;
    assert_eq!(mine.body["organizations"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        mine.body["organizations"][0]["organization-url"],
        app.organization_url.as_str()
    );
}
