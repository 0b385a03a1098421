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

/// Logs in; the `Authorization` header value of the new session.
async fn login(app: &TestApp, email: &str, password: &str) -> String {
    let login = app
        .call(
            Method::POST,
            "/v0/session",
            None,
            Some(json!({"user-email": email, "password": password})),
        )
        .await;
    assert_eq!(login.status, StatusCode::CREATED, "{}", login.body);
    format!("GriffinSession {}", login.body.str_at("session-token"))
}

/// The organization a session works in, as `GET /v0/session` and `GET /v0/index` both show
/// it (they must agree); `None` when it works in none.
async fn current(app: &TestApp, auth: &str) -> Option<String> {
    let session = app.call(Method::GET, "/v0/session", Some(auth), None).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.body);
    let index = app.call(Method::GET, "/v0/index", Some(auth), None).await;
    assert_eq!(index.status, StatusCode::OK, "{}", index.body);
    assert!(index.body.get("api-key-url").is_none());
    assert_eq!(
        session.body.get("organization-url"),
        index.body.get("organization-url"),
        "{} / {}",
        session.body,
        index.body
    );
    session.body["organization-url"].as_str().map(String::from)
}

async fn switch(app: &TestApp, auth: &str, body: serde_json::Value) -> crate::support::Response {
    app.call(Method::PUT, "/v0/session", Some(auth), Some(body))
        .await
}

#[actix_web::test]
async fn a_session_works_in_its_current_organization() {
    let app = TestApp::new().await;
    let pw = with_password(&app).await;
    let auth = login(&app, "pw@example.com", "s3cret password").await;
    // Login starts in the user's (one) organization.
    assert_eq!(current(&app, &auth).await.as_deref(), Some(pw.as_str()));
    // An organization the session creates becomes its current one.
    let created = app
        .call(
            Method::POST,
            "/v0/organizations",
            Some(&auth),
            Some(json!({"display-name": "Fresh Ltd"})),
        )
        .await;
    let fresh = created.body.string_at("organization-url");
    assert_eq!(current(&app, &auth).await, Some(fresh.clone()));
    // Switching back.
    let switched = switch(&app, &auth, json!({"organization-url": pw})).await;
    assert_eq!(switched.status, StatusCode::OK, "{}", switched.body);
    assert_eq!(switched.body["organization-url"], pw.as_str());
    let seen = app
        .call(Method::GET, "/v0/session", Some(&auth), None)
        .await;
    assert_eq!(switched.body, seen.body);
    assert_eq!(current(&app, &auth).await.as_deref(), Some(pw.as_str()));

    // Refusals change nothing.
    let before = app.team_tables().await;
    for (body, status, title, pointer) in [
        // Not a member there, or no such organization: the same answer.
        (
            json!({"organization-url": app.organization_url}),
            StatusCode::FORBIDDEN,
            "forbidden",
            None,
        ),
        (
            json!({"organization-url": "/v0/organizations/og.AAAAAAAAAAAAAAAAAAAAAA"}),
            StatusCode::FORBIDDEN,
            "forbidden",
            None,
        ),
        (
            json!({"organization-url": "nonsense"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "organization-url-invalid",
            Some("/organization-url"),
        ),
        (
            json!({"organization-url": app.user_url}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "organization-url-invalid",
            Some("/organization-url"),
        ),
        (
            json!({}),
            StatusCode::BAD_REQUEST,
            "Missing field",
            Some("/organization-url"),
        ),
        (
            json!({"organization-url": 5}),
            StatusCode::BAD_REQUEST,
            "Incorrect type",
            Some("/organization-url"),
        ),
        (
            json!({"organization-url": fresh, "api-key-url": "x"}),
            StatusCode::BAD_REQUEST,
            "Invalid value",
            Some("/api-key-url"),
        ),
    ] {
        let refused = switch(&app, &auth, body.clone()).await;
        assert_eq!(refused.status, status, "{body}: {}", refused.body);
        assert_eq!(refused.error_title(), title, "{body}");
        assert_eq!(refused.error_pointer(), pointer, "{body}");
    }
    // An API key has no session to switch: it works in its own organization.
    let by_key = app
        .admin(
            Method::PUT,
            "/v0/session",
            Some(json!({"organization-url": app.organization_url})),
        )
        .await;
    assert_eq!(by_key.status, StatusCode::NOT_FOUND);
    assert_eq!(by_key.error_title(), "no-session");
    assert_eq!(app.team_tables().await, before);
    assert_eq!(current(&app, &auth).await.as_deref(), Some(pw.as_str()));
}

#[actix_web::test]
async fn a_session_moves_on_when_its_user_leaves_the_organization() {
    let app = TestApp::new().await;
    let team_member = app.role_url("Team member").await;
    let member = app
        .member("m@example.com", std::slice::from_ref(&team_member))
        .await;
    // The session an accepted invitation gives works in that organization.
    let accepted = member.session_auth();
    assert_eq!(
        current(&app, &accepted).await.as_deref(),
        Some(app.organization_url.as_str())
    );
    let own = app
        .call(
            Method::POST,
            "/v0/organizations",
            Some(&accepted),
            Some(json!({"display-name": "M Ltd"})),
        )
        .await
        .body
        .string_at("organization-url");
    // A new login starts in the oldest active membership, the invitation's organization.
    let later = login(&app, "m@example.com", "correct horse battery").await;
    assert_eq!(
        current(&app, &later).await.as_deref(),
        Some(app.organization_url.as_str())
    );
    let back = switch(
        &app,
        &accepted,
        json!({"organization-url": app.organization_url}),
    )
    .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);

    // Removed there: both sessions move to the user's other organization.
    let removed = app
        .admin(Method::DELETE, &member.membership_url, None)
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    for auth in [&accepted, &later] {
        assert_eq!(current(&app, auth).await, Some(own.clone()));
    }

    // Deactivated in their only organization: the session works in none, and cannot switch
    // back until the membership is active again.
    let only = app
        .member("n@example.com", std::slice::from_ref(&team_member))
        .await;
    let off = app
        .admin(
            Method::PATCH,
            &only.membership_url,
            Some(json!({"membership-status": "deactivated"})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert_eq!(current(&app, &only.session_auth()).await, None);
    let fresh_login = login(&app, "n@example.com", "correct horse battery").await;
    assert_eq!(current(&app, &fresh_login).await, None);
    let before = app.team_tables().await;
    let refused = switch(
        &app,
        &only.session_auth(),
        json!({"organization-url": app.organization_url}),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(refused.error_title(), "forbidden");
    assert_eq!(app.team_tables().await, before);
    let on = app
        .admin(
            Method::PATCH,
            &only.membership_url,
            Some(json!({"membership-status": "active"})),
        )
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    assert_eq!(current(&app, &only.session_auth()).await, None);
    let switched = switch(
        &app,
        &only.session_auth(),
        json!({"organization-url": app.organization_url}),
    )
    .await;
    assert_eq!(switched.status, StatusCode::OK, "{}", switched.body);
    assert_eq!(
        current(&app, &only.session_auth()).await.as_deref(),
        Some(app.organization_url.as_str())
    );
    // The first member's sessions were not touched by any of it.
    for auth in [&accepted, &later] {
        assert_eq!(current(&app, auth).await, Some(own.clone()));
    }
}
