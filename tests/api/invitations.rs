use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Json, TestApp};

fn accept_body(token: &str) -> Value {
    json!({"invitation-token": token, "given-name": "Grace", "surname": "Hopper",
           "password": "a long enough password"})
}

async fn invite(app: &TestApp, email: &str) -> Value {
    let response = app
        .admin(
            Method::POST,
            &format!("{}/invitations", app.organization_url),
            Some(json!({"email-address": email})),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
    response.body
}

async fn accept(app: &TestApp, token: &str) -> crate::support::Response {
    app.call(
        Method::POST,
        "/v0/invitations/actions/accept",
        None,
        Some(accept_body(token)),
    )
    .await
}

#[actix_web::test]
async fn invite_and_accept_as_a_new_user() {
    let app = TestApp::new().await;
    let invitation = invite(&app, "Grace@Example.com").await;
    let url = invitation.string_at("invitation-url");
    assert!(url.starts_with("/v0/invitations/iv."));
    assert_eq!(invitation["email-address"], "grace@example.com");
    assert_eq!(invitation["invitation-status"], "pending");
    assert_eq!(invitation["invited-by-url"], app.user_url.as_str());
    assert_eq!(invitation["roles"][0]["display-name"], "Team member");
    assert_eq!(
        invitation["cancel-invitation-url"],
        format!("{url}/actions/cancel")
    );
    let token = invitation.string_at("invitation-token");
    assert!(token.starts_with("g-invite-"));
    // The token is shown at creation only.
    let fetched = app.get(&url).await;
    assert!(fetched.body.get("invitation-token").is_none());
    assert_eq!(fetched.body["expires-at"], invitation["expires-at"]);

    let accepted = accept(&app, &token).await;
    assert_eq!(accepted.status, StatusCode::CREATED);
    let membership_url = accepted.body.string_at("membership-url");
    assert_eq!(accepted.header("location"), Some(membership_url.as_str()));
    let session = format!("GriffinSession {}", accepted.body.str_at("session-token"));
    let me = app
        .call(Method::GET, "/v0/session", Some(&session), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["user-email"], "grace@example.com");
    assert_eq!(me.body["user"]["given-name"], "Grace");
    assert_eq!(
        me.body["memberships"][0]["membership-url"],
        membership_url.as_str()
    );
    let after = app.get(&url).await;
    assert_eq!(after.body["invitation-status"], "accepted");
    assert_eq!(after.body["membership-url"], membership_url.as_str());
    // The new user logs in with the password they chose.
    let login = app
        .call(
            Method::POST,
            "/v0/session",
            None,
            Some(json!({"user-email": "grace@example.com", "password": "a long enough password"})),
        )
        .await;
    assert_eq!(login.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn a_known_email_gets_a_membership() {
    let app = TestApp::new().await;
    let other = app
        .other_organization("Other Ltd", "known@example.com")
        .await;
    let invitation = invite(&app, "known@example.com").await;
    let accepted = accept(&app, invitation.str_at("invitation-token")).await;
    assert_eq!(accepted.status, StatusCode::CREATED);
    assert_eq!(accepted.body["user-url"], other.report().user_url.as_str());
    let session = format!("GriffinSession {}", accepted.body.str_at("session-token"));
    let orgs = app
        .call(Method::GET, "/v0/organizations", Some(&session), None)
        .await;
    assert_eq!(orgs.body["organizations"].as_array().map(Vec::len), Some(2));
}

#[actix_web::test]
async fn each_refusal_has_its_own_title() {
    let app = TestApp::new().await;
    // Accepted twice.
    let first = invite(&app, "twice@example.com").await;
    let token = first.string_at("invitation-token");
    assert_eq!(accept(&app, &token).await.status, StatusCode::CREATED);
    let again = accept(&app, &token).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.error_title(), "invitation-already-accepted");

    // After cancel.
    let cancelled = invite(&app, "cancel@example.com").await;
    let url = cancelled.str_at("invitation-url");
    let cancel = app
        .admin(Method::POST, &format!("{url}/actions/cancel"), None)
        .await;
    assert_eq!(cancel.status, StatusCode::OK);
    assert_eq!(cancel.body["invitation-status"], "cancelled");
    let refused = accept(&app, cancelled.str_at("invitation-token")).await;
    assert_eq!(refused.error_title(), "invitation-cancelled");
    let cancel_again = app
        .admin(Method::POST, &format!("{url}/actions/cancel"), None)
        .await;
    assert_eq!(cancel_again.error_title(), "invitation-not-pending");

    // After resend, with the old token; the new one works.
    let resent = invite(&app, "resend@example.com").await;
    let url = resent.str_at("invitation-url");
    let old = resent.string_at("invitation-token");
    let again = app
        .admin(Method::POST, &format!("{url}/actions/resend"), None)
        .await;
    assert_eq!(again.status, StatusCode::OK);
    let new = again.body.string_at("invitation-token");
    assert_ne!(old, new);
    assert_eq!(
        accept(&app, &old).await.error_title(),
        "invitation-token-superseded"
    );
    assert_eq!(accept(&app, &new).await.status, StatusCode::CREATED);

    // After expiry: the clock moves, nobody sleeps.
    let expiring = invite(&app, "late@example.com").await;
    app.clock.advance(Duration::from_secs(7 * 24 * 3600 + 1));
    let late = accept(&app, expiring.str_at("invitation-token")).await;
    assert_eq!(late.error_title(), "invitation-expired");
    let url = expiring.str_at("invitation-url");
    assert_eq!(app.get(url).await.body["invitation-status"], "expired");
    let expired = app
        .get(&format!(
            "{}/invitations?filter[invitation-status][eq]=expired",
            app.organization_url
        ))
        .await;
    assert_eq!(
        expired.body["invitations"].as_array().map(Vec::len),
        Some(1)
    );
    // An expired invitation can be sent again.
    let revived = app
        .admin(Method::POST, &format!("{url}/actions/resend"), None)
        .await;
    assert_eq!(revived.body["invitation-status"], "pending");
    let token = revived.body.str_at("invitation-token");
    assert_eq!(accept(&app, token).await.status, StatusCode::CREATED);

    // A token nobody issued.
    let unknown = accept(&app, "g-invite-nothing").await;
    assert_eq!(unknown.error_title(), "invitation-token-invalid");
    assert_eq!(unknown.error_pointer(), Some("/invitation-token"));
}

#[actix_web::test]
async fn duplicates_are_409() {
    let app = TestApp::new().await;
    invite(&app, "dup@example.com").await;
    let url = format!("{}/invitations", app.organization_url);
    let pending = app
        .admin(
            Method::POST,
            &url,
            Some(json!({"email-address": "DUP@example.com"})),
        )
        .await;
    assert_eq!(pending.status, StatusCode::CONFLICT);
    assert_eq!(pending.error_title(), "invitation-pending");
    let member = app
        .admin(
            Method::POST,
            &url,
            Some(json!({"email-address": "sandbox@example.com"})),
        )
        .await;
    assert_eq!(member.status, StatusCode::CONFLICT);
    assert_eq!(member.error_title(), "already-a-member");
    let bad = app
        .admin(
            Method::POST,
            &url,
            Some(json!({"email-address": "not-an-email"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_pointer(), Some("/email-address"));
    let weak = app
        .call(Method::POST, "/v0/invitations/actions/accept", None, Some(json!({"invitation-token": "x", "given-name": "A", "surname": "B", "password": "short"})))
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert_eq!(weak.error_pointer(), Some("/password"));
}

#[actix_web::test]
async fn two_concurrent_accepts_make_one_membership() {
    let app = TestApp::new().await;
    let invitation = invite(&app, "race@example.com").await;
    let token = invitation.string_at("invitation-token");
    let (a, b) = futures_util::future::join(accept(&app, &token), accept(&app, &token)).await;
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [201, 422], "{} / {}", a.body, b.body);
    let members = app
        .get(&format!("{}/memberships", app.organization_url))
        .await;
    let emails = members.body.strs_at("memberships", "user/user-email");
    assert_eq!(
        emails.iter().filter(|e| **e == "race@example.com").count(),
        1
    );
}

/// An invitation is not a way into someone else's account: a known address with a password
/// accepts only with that password.
#[actix_web::test]
async fn accepting_for_an_existing_account_needs_its_password() {
    let app = TestApp::new().await;
    let victim = app
        .member("victim@example.com", &[app.role_url("Team member").await])
        .await;
    let other = app
        .other_organization("Attacker Ltd", "attacker@example.com")
        .await;
    let attacker_key = format!("GriffinAPIKey {}", other.secret.as_str());
    let invited = app
        .call(
            Method::POST,
            &format!("{}/invitations", other.report().organization_url),
            Some(&attacker_key),
            Some(json!({"email-address": "victim@example.com"})),
        )
        .await;
    let token = invited.body.string_at("invitation-token");
    let takeover = accept(&app, &token).await;
    assert_eq!(takeover.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(takeover.error_title(), "password-incorrect");
    assert!(takeover.body.get("session-token").is_none());
    // The owner, who knows the password, can accept.
    let owner = app
        .call(Method::POST, "/v0/invitations/actions/accept", None,
            Some(json!({"invitation-token": token, "given-name": "V", "surname": "W", "password": "correct horse battery"})))
        .await;
    assert_eq!(owner.status, StatusCode::CREATED);
    assert!(!victim.session.is_empty());
}
