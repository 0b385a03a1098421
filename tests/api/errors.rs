//! Bad input of every kind gets its documented status and our error body, never a 5xx
//! (the harness fails any test that sees one).

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::json;

use crate::support::{TestApp, id_of};

#[actix_web::test]
async fn missing_or_wrong_credentials_are_401_with_a_challenge() {
    let app = TestApp::new().await;
    let random = "RrUZ5fUG4pSKwYVVG1C3Ft1xrMRxy1T7KUIyTva5bTk";
    let cases: Vec<Option<String>> = vec![
        None,
        Some(String::new()),
        Some("GriffinAPIKey".into()),
        Some("GriffinAPIKey ".into()),
        Some(format!("Bearer g-test-x-{random}")),
        Some(format!("griffinapikey g-test-x-{random}")),
        Some("GriffinAPIKey not-a-key".into()),
        Some(format!("GriffinAPIKey g-test-x-{}", &random[1..])),
        Some(format!("GriffinAPIKey g-test-unknown-{random}")), // well formed, unknown
        Some(format!("GriffinAPIKey {}x", app.key)),
    ];
    for header in cases {
        let mut request = TestRequest::get().uri("/v0/index");
        if let Some(value) = &header {
            request = request.insert_header(("Authorization", value.as_str()));
        }
        let response = app.send(request).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{header:?}");
        assert_eq!(response.error_title(), "unauthorized");
        let challenge = response
            .header("www-authenticate")
            .unwrap_or_else(|| panic!("a 401 without WWW-Authenticate for {header:?}"));
        assert!(challenge.contains("GriffinAPIKey"), "{challenge}");
        assert!(!String::from_utf8_lossy(&response.raw).contains(random));
    }
    // Every authenticated route refuses without a key, not only the index.
    for path in [
        app.organization_url.clone(),
        format!("{}/api-keys", app.organization_url),
        app.user_url.clone(),
        app.api_key_url.clone(),
    ] {
        let response = app.send(TestRequest::get().uri(&path)).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[actix_web::test]
async fn malformed_bodies_are_400_with_a_pointer() {
    let app = TestApp::new().await;
    let url = format!("{}/api-keys", app.organization_url);
    let cases: [(&str, &str, &str); 7] = [
        ("{", "Bad request", ""),
        ("", "Bad request", ""),
        ("{\"api-key-name\": \"a\"} trailing", "Bad request", ""),
        ("{}", "Missing field", "/api-key-name"),
        ("{\"api-key-name\": 42}", "Incorrect type", "/api-key-name"),
        (
            "{\"api-key-name\": null}",
            "Incorrect type",
            "/api-key-name",
        ),
        ("[\"api-key-name\"]", "Incorrect type", ""),
    ];
    for (body, title, pointer) in cases {
        let response = app
            .send(
                TestRequest::post()
                    .uri(&url)
                    .insert_header(("Authorization", app.auth()))
                    .insert_header(("Content-Type", "application/json"))
                    .set_payload(body),
            )
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.error_title(), title, "{body}");
        assert_eq!(response.error_pointer(), Some(pointer), "{body}");
    }
}

#[actix_web::test]
async fn wrong_content_types_are_415_and_unacceptable_accepts_406() {
    let app = TestApp::new().await;
    let url = format!("{}/api-keys", app.organization_url);
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut request = TestRequest::post()
            .uri(&url)
            .insert_header(("Authorization", app.auth()))
            .set_payload(r#"{"api-key-name": "x"}"#);
        if let Some(value) = content_type {
            request = request.insert_header(("Content-Type", value));
        }
        let response = app.send(request).await;
        assert_eq!(
            response.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
    }
    let with_charset = app
        .send(
            TestRequest::post()
                .uri(&url)
                .insert_header(("Authorization", app.auth()))
                .insert_header(("Content-Type", "application/json; charset=utf-8"))
                .set_payload(r#"{"api-key-name": "x"}"#),
        )
        .await;
    assert_eq!(with_charset.status, StatusCode::CREATED);

    for accept in ["text/html", "application/xml", "application/json;q=0"] {
        let response = app
            .send(
                TestRequest::get()
                    .uri("/v0/index")
                    .insert_header(("Authorization", app.auth()))
                    .insert_header(("Accept", accept)),
            )
            .await;
        assert_eq!(response.status, StatusCode::NOT_ACCEPTABLE, "{accept}");
    }
    for accept in [
        "application/json",
        "*/*",
        "text/html, application/json;q=0.5",
        "application/*",
    ] {
        let response = app
            .send(
                TestRequest::get()
                    .uri("/v0/index")
                    .insert_header(("Authorization", app.auth()))
                    .insert_header(("Accept", accept)),
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{accept}");
    }
}

#[actix_web::test]
async fn nul_characters_are_400() {
    let app = TestApp::new().await;
    let response = app
        .send(
            TestRequest::post()
                .uri(&format!("{}/legal-persons", app.organization_url))
                .insert_header(("Authorization", app.auth()))
                .insert_header(("Content-Type", "application/json"))
                .set_payload(r#"{"display-name": "A\u0000", "legal-person-type": "individual"}"#),
        )
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn oversize_bodies_are_413() {
    let app = TestApp::new().await;
    let name = "x".repeat(300 * 1024);
    let response = app
        .post(
            &format!("{}/api-keys", app.organization_url),
            json!({"api-key-name": name}),
        )
        .await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.error_title(), "payload-too-large");
}

#[actix_web::test]
async fn wrong_methods_are_405_with_allow() {
    let app = TestApp::new().await;
    let cases = [
        (TestRequest::delete().uri("/v0/index"), "GET"),
        (TestRequest::post().uri("/v0/ping"), "GET"),
        (
            TestRequest::put().uri(&format!("{}/api-keys", app.organization_url)),
            "GET, POST",
        ),
        (TestRequest::patch().uri(&app.api_key_url), "GET, DELETE"),
        // A path that is its routing scope's own prefix.
        (TestRequest::delete().uri("/v0/organizations"), "GET, POST"),
    ];
    for (request, allow) in cases {
        let response = app
            .send(request.insert_header(("Authorization", app.auth())))
            .await;
        assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.header("allow"), Some(allow));
        assert_eq!(response.error_title(), "method-not-allowed");
    }
}

#[actix_web::test]
async fn unknown_routes_are_404_json() {
    let app = TestApp::new().await;
    for path in [
        "/",
        "/v0",
        "/v0/nowhere",
        "/v1/index",
        &format!("{}/nowhere", app.organization_url),
        // Routes are grouped in scopes by their first segment: these match a scope's
        // prefix, or nearly, and no route in it.
        "/v0/bank",
        "/v0/bank/",
        "/v0/bank/accounts/",
        "/v0/organizations/",
        "/v0/organizationsx",
        "/v0/payments/pm.x/submissions/extra",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(response.error_title(), "not-found");
    }
}

#[actix_web::test]
async fn ids_of_the_wrong_shape_are_404() {
    let app = TestApp::new().await;
    let key_id = id_of(&app.api_key_url).to_string();
    for path in [
        format!("/v0/api-keys/og.{}", &key_id[3..]),
        format!("/v0/api-keys/{key_id}A"),
        format!("/v0/api-keys/{}", &key_id[..24]),
        "/v0/api-keys/ak.".to_string(),
        "/v0/memberships/mp.%00%00".to_string(),
        "/v0/events/ev.AAAAAAAAAAAAAAAAAAAAAA".to_string(),
        "/v0/memberships/x/roles".to_string(),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[actix_web::test]
async fn bad_page_parameters_are_400_naming_the_parameter() {
    let app = TestApp::new().await;
    let url = format!("{}/api-keys", app.organization_url);
    for (query, parameter) in [
        ("page[size]=0", "page[size]"),
        ("page[size]=201", "page[size]"),
        ("page[size]=ten", "page[size]"),
        ("page[size]=-5", "page[size]"),
        ("page[size]=1&page[size]=2", "page[size]"),
        ("page[after]=garbage", "page[after]"),
        ("page[before]=djE6eHh4", "page[before]"),
        ("page[number]=2", "page[number]"),
        ("sort=name", "sort"),
    ] {
        let response = app.get(&format!("{url}?{query}")).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(response.error_title(), "Bad query parameter");
        assert_eq!(response.error_parameter(), Some(parameter), "{query}");
    }
    for size in [1, 200] {
        let response = app.get(&format!("{url}?page[size]={size}")).await;
        assert_eq!(response.status, StatusCode::OK);
    }
}
