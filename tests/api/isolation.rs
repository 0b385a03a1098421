//! A Team admin of one organization can do nothing to another: 404 everywhere, through
//! memberships, roles and invitations alike.

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{Json, TestApp};

#[actix_web::test]
async fn an_admin_of_a_reaches_nothing_of_b() {
    let app = TestApp::new().await;
    let b = app.other_organization("B Ltd", "b-admin@example.com").await;
    let b_key = format!("GriffinAPIKey {}", b.secret.as_str());
    let b_org = b.report().organization_url;
    let b_role = app
        .call(
            Method::POST,
            &format!("{b_org}/roles"),
            Some(&b_key),
            Some(json!({"display-name": "B role", "permissions": ["read"]})),
        )
        .await;
    let b_role_url = b_role.body.string_at("role-url");
    let b_invitation = app
        .call(
            Method::POST,
            &format!("{b_org}/invitations"),
            Some(&b_key),
            Some(json!({"email-address": "b-invitee@example.com"})),
        )
        .await;
    let b_invitation_url = b_invitation.body.string_at("invitation-url");
    let b_memberships = app
        .call(
            Method::GET,
            &format!("{b_org}/memberships"),
            Some(&b_key),
            None,
        )
        .await;
    let b_membership = b_memberships.body.string_at("memberships/0/membership-url");
    let b_key_url = b.report().api_key_url;

    let attempts: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, b_org.clone(), None),
        (Method::GET, format!("{b_org}/memberships"), None),
        (Method::GET, format!("{b_org}/roles"), None),
        (
            Method::POST,
            format!("{b_org}/roles"),
            Some(json!({"display-name": "Mine", "permissions": []})),
        ),
        (Method::GET, format!("{b_org}/invitations"), None),
        (
            Method::POST,
            format!("{b_org}/invitations"),
            Some(json!({"email-address": "spy@example.com"})),
        ),
        (Method::GET, format!("{b_org}/api-keys"), None),
        (
            Method::POST,
            format!("{b_org}/api-keys"),
            Some(json!({"api-key-name": "spy"})),
        ),
        (Method::GET, format!("{b_org}/events"), None),
        (Method::GET, b_membership.clone(), None),
        (Method::GET, format!("{b_membership}/roles"), None),
        (Method::GET, format!("{b_membership}/permissions"), None),
        (
            Method::PUT,
            format!("{b_membership}/roles"),
            Some(json!({"role-urls": [b_role_url.clone()]})),
        ),
        (
            Method::PATCH,
            b_membership.clone(),
            Some(json!({"membership-status": "deactivated"})),
        ),
        (Method::DELETE, b_membership.clone(), None),
        (Method::GET, b_role_url.clone(), None),
        (
            Method::PATCH,
            b_role_url.clone(),
            Some(json!({"description": "mine"})),
        ),
        (Method::DELETE, b_role_url.clone(), None),
        (Method::GET, b_invitation_url.clone(), None),
        (
            Method::POST,
            format!("{b_invitation_url}/actions/cancel"),
            None,
        ),
        (
            Method::POST,
            format!("{b_invitation_url}/actions/resend"),
            None,
        ),
        (Method::GET, b_key_url.clone(), None),
        (Method::DELETE, b_key_url.clone(), None),
        (Method::GET, b.report().user_url, None),
    ];
    for (method, path, body) in attempts {
        let response = app.admin(method.clone(), &path, body).await;
        assert_eq!(
            response.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            response.body
        );
    }
    // B's role cannot be given to A's members either.
    let me = app.admin_membership_url().await;
    let foreign = app
        .admin(
            Method::PUT,
            &format!("{me}/roles"),
            Some(json!({"role-urls": [b_role_url]})),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(foreign.error_title(), "role-not-available");
    // And B is untouched.
    let still = app
        .call(Method::GET, &b_invitation_url, Some(&b_key), None)
        .await;
    assert_eq!(still.body["invitation-status"], "pending");
    assert_eq!(
        app.call(Method::GET, &b_membership, Some(&b_key), None)
            .await
            .body["membership-status"],
        "active"
    );
}
