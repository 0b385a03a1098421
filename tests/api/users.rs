use actix_web::http::StatusCode;

use crate::support::{Json, TestApp};

#[actix_web::test]
async fn get_user_links_to_keys_and_memberships() {
    let app = TestApp::new().await;
    let user = app.get(&app.user_url).await;
    assert_eq!(user.status, StatusCode::OK);
    assert_eq!(user.body["user-url"], app.user_url.as_str());
    assert_eq!(user.body["user-email"], "sandbox@example.com");
    assert_eq!(user.body["user-username"], "sandbox@example.com");
    assert_eq!(
        user.body["api-keys-url"],
        format!("{}/api-keys", app.user_url)
    );
    assert_eq!(
        user.body["user-memberships-url"],
        format!("{}/memberships", app.user_url)
    );
    let keys = app.get(user.body.str_at("api-keys-url")).await;
    assert_eq!(keys.status, StatusCode::OK);
    assert_eq!(
        keys.body["api-keys"][0]["api-key-url"],
        app.api_key_url.as_str()
    );
    let memberships = app.get(user.body.str_at("user-memberships-url")).await;
    assert_eq!(memberships.status, StatusCode::OK);
    assert_eq!(
        memberships.body["memberships"].as_array().map(Vec::len),
        Some(1)
    );
}

#[actix_web::test]
async fn users_of_other_organizations_are_404() {
    let app = TestApp::new().await;
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let other_user = other.report().user_url;
    for path in [
        other_user.clone(),
        format!("{other_user}/api-keys"),
        format!("{other_user}/memberships"),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        app.get("/v0/users/ur.AAAAAAAAAAAAAAAAAAAAAA").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/v0/users/og.AAAAAAAAAAAAAAAAAAAAAA").await.status,
        StatusCode::NOT_FOUND
    );
}
