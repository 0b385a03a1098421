use actix_web::http::StatusCode;
use actix_web::test::TestRequest;

use crate::support::{Json, TestApp};

#[actix_web::test]
async fn roles_are_public_and_resolvable() {
    let app = TestApp::new().await;
    let list = app.send(TestRequest::get().uri("/v0/roles")).await;
    assert_eq!(list.status, StatusCode::OK);
    let roles = list.body.array_at("roles").clone();
    assert_eq!(roles.len(), 7);
    for role in roles {
        assert!(role["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(role["role-category"].as_str().is_some());
        let url = role.str_at("role-url");
        assert!(url.starts_with("/v0/roles/re."));
        let one = app.send(TestRequest::get().uri(url)).await;
        assert_eq!(one.body, role);
    }
}

#[actix_web::test]
async fn unknown_and_malformed_roles_are_404() {
    let app = TestApp::new().await;
    for path in [
        "/v0/roles/re.AAAAAAAAAAAAAAAAAAAAAA",
        "/v0/roles/og.AAAAAAAAAAAAAAAAAAAAAA",
        "/v0/roles/re.x",
    ] {
        let response = app.send(TestRequest::get().uri(path)).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
    }
}
