use actix_web::http::StatusCode;
use actix_web::test::TestRequest;

use crate::support::{Json, TestApp, id_of};

#[actix_web::test]
async fn ping_needs_no_key_and_answers_204() {
    let app = TestApp::new().await;
    let response = app.send(TestRequest::get().uri("/v0/ping")).await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);
    assert!(response.raw.is_empty());
}

#[actix_web::test]
async fn index_links_to_the_key_and_its_organization() {
    let app = TestApp::new().await;
    let index = app.get("/v0/index").await;
    assert_eq!(index.status, StatusCode::OK);
    assert_eq!(index.body["organizations-url"], "/v0/organizations");
    assert_eq!(index.body["users-url"], "/v0/users");
    assert_eq!(index.body["roles-url"], "/v0/roles");
    assert_eq!(index.body["api-key-url"], app.api_key_url.as_str());
    assert_eq!(
        index.body["organization-url"],
        app.organization_url.as_str()
    );
}

/// The README's walk: index → api-key-url → organization-url → memberships, following links
/// only.
#[actix_web::test]
async fn a_client_can_walk_from_the_index_by_links_alone() {
    let app = TestApp::new().await;
    let index = app.get("/v0/index").await;
    let key = app.get(index.body.str_at("api-key-url")).await;
    assert_eq!(key.status, StatusCode::OK);
    assert_eq!(key.body["api-key-name"], "bootstrap");
    let organization_url = key.body.str_at("organization-url");
    assert_eq!(organization_url, index.body["organization-url"]);
    let organization = app.get(organization_url).await;
    assert_eq!(organization.status, StatusCode::OK);
    assert_eq!(organization.body["display-name"], "Sandbox");
    let memberships = app
        .get(organization.body.str_at("organization-memberships-url"))
        .await;
    assert_eq!(memberships.status, StatusCode::OK);
    let list = memberships.body.array_at("memberships").clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["user"]["user-email"], "sandbox@example.com");
    assert_eq!(list[0]["user"]["user-url"], key.body["user-url"]);
    let user = app.get(key.body.str_at("user-url")).await;
    assert_eq!(user.status, StatusCode::OK);
    assert!(id_of(&app.user_url).starts_with("ur."));
}
