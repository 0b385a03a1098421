use actix_web::http::StatusCode;
use actix_web::test::TestRequest;

use crate::support::{Json, TestApp, id_of};

#[actix_web::test]
async fn get_organization_shows_every_link_and_the_roles() {
    let app = TestApp::new().await;
    let response = app.get(&app.organization_url).await;
    assert_eq!(response.status, StatusCode::OK);
    let body = &response.body;
    let id = id_of(&app.organization_url);
    assert!(id.starts_with("og.") && id.len() == 25, "{id}");
    assert_eq!(body["organization-url"], app.organization_url.as_str());
    assert_eq!(body["organization-mode"], "test-mode");
    assert_eq!(body["can-decide-on-verifications?"], true);
    assert!(
        body["own-legal-person-url"]
            .as_str()
            .is_some_and(|u| u.starts_with("/v0/legal-persons/lp."))
    );
    for (field, tail) in [
        ("organization-memberships-url", "memberships"),
        ("organization-invitations-url", "invitations"),
        ("organization-payments-url", "payments"),
        ("organization-payments-search-url", "payments/search"),
        ("organization-bank-accounts-url", "bank/accounts"),
        (
            "organization-bank-accounts-search-url",
            "bank/accounts/search",
        ),
        ("organization-bank-account-products-url", "bank/products"),
        (
            "organization-onboarding-applications-url",
            "onboarding/applications",
        ),
        ("organization-api-keys-url", "api-keys"),
        ("organization-live-access-url", "live-access"),
        ("organization-webhooks-url", "webhooks"),
        ("organization-workflows-url", "workflows"),
        ("organization-individuals-url", "individuals"),
        ("organization-corporations-url", "corporations"),
        ("organization-legal-persons-url", "legal-persons"),
        (
            "organization-legal-persons-search-url",
            "legal-persons/search",
        ),
        ("organization-events-url", "events"),
    ] {
        assert_eq!(
            body[field],
            format!("{}/{tail}", app.organization_url),
            "{field}"
        );
    }
    let roles = body.array_at("available-roles");
    let names = body.strs_at("available-roles", "display-name");
    assert_eq!(
        names,
        [
            "Team admin",
            "Compliance",
            "Compliance view-only",
            "Request payments",
            "Approve payments",
            "Approve own payments",
            "Team member"
        ]
    );
    // Every role link resolves, without a key.
    for role in roles {
        let url = role.str_at("role-url");
        let fetched = app.send(TestRequest::get().uri(url)).await;
        assert_eq!(fetched.status, StatusCode::OK, "{url}");
        assert_eq!(&fetched.body, role);
    }
}

#[actix_web::test]
async fn another_organization_is_not_found_never_forbidden() {
    let app = TestApp::new().await;
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let other_url = other.report().organization_url;
    let response = app.get(&other_url).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.error_title(), "not-found");
    // …and the other organization's key sees its own, not ours.
    let theirs = app.get_as(other.secret.as_str(), &other_url).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(theirs.body["display-name"], "Other Ltd");
    let ours = app
        .get_as(other.secret.as_str(), &app.organization_url)
        .await;
    assert_eq!(ours.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn malformed_and_unknown_organization_ids_are_404() {
    let app = TestApp::new().await;
    let id = id_of(&app.organization_url).to_string();
    for bad in [
        format!("lp.{}", &id[3..]),              // another kind's prefix
        format!("{id}x"),                        // too long
        id[..id.len() - 1].to_string(),          // too short
        "og.AAAAAAAAAAAAAAAAAAAAAA".to_string(), // well formed, unknown
        "og.!!!!!!!!!!!!!!!!!!!!!!".to_string(), // not base64
        "nothing".to_string(),
    ] {
        let response = app.get(&format!("/v0/organizations/{bad}")).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{bad}");
    }
}
