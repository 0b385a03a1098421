use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{Json, TestApp};

fn people_url(app: &TestApp) -> String {
    format!("{}/legal-persons", app.organization_url)
}

#[actix_web::test]
async fn every_organization_is_its_own_legal_person() {
    let app = TestApp::new().await;
    let organization = app.get(&app.organization_url).await;
    let own_url = organization.body.string_at("own-legal-person-url");
    let own = app.get(&own_url).await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.body["legal-person-url"], own_url.as_str());
    assert_eq!(own.body["legal-person-type"], "corporation");
    assert_eq!(own.body["display-name"], "Sandbox");
    assert_eq!(own.body["application-status"], "accepted");
    assert_eq!(own.body["legal-person-status"], "onboarded");
}

#[actix_web::test]
async fn create_get_rename() {
    let app = TestApp::new().await;
    let created = app
        .admin(
            Method::POST,
            &people_url(&app),
            Some(json!({"display-name": "Ada", "legal-person-type": "individual"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let url = created.body.string_at("legal-person-url");
    assert!(url.starts_with("/v0/legal-persons/lp."));
    assert_eq!(created.header("location"), Some(url.as_str()));
    assert_eq!(created.body["legal-person-type"], "individual");
    assert!(created.body.get("application-status").is_none());
    for (field, tail) in [
        ("legal-person-claims-url", "claims"),
        ("legal-person-verifications-url", "verifications"),
        ("legal-person-decisions-url", "decisions"),
    ] {
        assert_eq!(created.body[field], format!("{url}/{tail}"));
    }
    let fetched = app.get(&url).await;
    assert_eq!(fetched.body, created.body);
    let renamed = app
        .admin(Method::PUT, &url, Some(json!({"display-name": "Ada L."})))
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.body["display-name"], "Ada L.");
    assert_eq!(app.get(&url).await.body["display-name"], "Ada L.");

    for (body, pointer) in [
        (
            json!({"display-name": "X", "legal-person-type": "trust"}),
            "/legal-person-type",
        ),
        (
            json!({"display-name": "", "legal-person-type": "individual"}),
            "/display-name",
        ),
        (json!({"legal-person-type": "individual"}), "/display-name"),
    ] {
        let refused = app.admin(Method::POST, &people_url(&app), Some(body)).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert_eq!(refused.error_pointer(), Some(pointer));
    }
    let with_claims = app
        .admin(Method::POST, &people_url(&app), Some(json!({"display-name": "C", "legal-person-type": "individual", "claims": [{"claim-type": "mobile-number", "mobile-number": "+447700900000"}]})))
        .await;
    assert_eq!(with_claims.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn lists_filter_sort_and_include() {
    let app = TestApp::new().await;
    for (name, kind) in [
        ("A", "individual"),
        ("B", "corporation"),
        ("C", "individual"),
    ] {
        app.admin(
            Method::POST,
            &people_url(&app),
            Some(json!({"display-name": name, "legal-person-type": kind})),
        )
        .await;
    }
    let names = |body: &serde_json::Value| -> Vec<String> {
        body.strs_at("legal-persons", "display-name")
            .into_iter()
            .map(str::to_string)
            .collect()
    };
    let all = app.get(&people_url(&app)).await;
    assert_eq!(names(&all.body), ["C", "B", "A", "Sandbox"]);
    assert!(all.body.get("included").is_none());
    let by_change = app
        .get(&format!(
            "{}?sort=status-changed-at&page[size]=2",
            people_url(&app)
        ))
        .await;
    assert_eq!(names(&by_change.body), ["Sandbox", "A"]);
    let next = app.get(by_change.body.str_at("links/next")).await;
    assert_eq!(names(&next.body), ["B", "C"]);
    let onboarded = app
        .get(&format!(
            "{}?filter[legal-person-status][in][]=onboarded",
            people_url(&app)
        ))
        .await;
    assert_eq!(names(&onboarded.body), ["Sandbox"]);
    let accepted = app
        .get(&format!(
            "{}?filter[application-status][eq]=accepted&filter[has][]=application-status",
            people_url(&app)
        ))
        .await;
    assert_eq!(names(&accepted.body), ["Sandbox"]);
    let included = app
        .get(&format!(
            "{}?include[]=latest-verification",
            people_url(&app)
        ))
        .await;
    assert_eq!(included.body["included"], json!({"verifications": []}));
    for query in [
        "sort=display-name",
        "filter[legal-person-status][in][]=asleep",
        "include=owner",
    ] {
        let refused = app.get(&format!("{}?{query}", people_url(&app))).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{query}");
    }
    // A cursor of one sort is refused under another.
    let other = app
        .get(&format!(
            "{}&sort=created-at",
            by_change
                .body
                .str_at("links/next")
                .replace("sort=status-changed-at&", "")
        ))
        .await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn search_by_name() {
    let app = TestApp::new().await;
    for name in ["Money Technology Ltd", "Tech 100%_Corp", "Unrelated"] {
        app.admin(
            Method::POST,
            &people_url(&app),
            Some(json!({"display-name": name, "legal-person-type": "corporation"})),
        )
        .await;
    }
    let search = |text: &'static str| {
        let app = &app;
        async move {
            app.admin(
                Method::POST,
                &format!("{}/search", people_url(app)),
                Some(json!({"search-query": text})),
            )
            .await
        }
    };
    let found = search("tech").await;
    assert_eq!(found.status, StatusCode::OK);
    let names: Vec<_> = found.body.strs_at("search-results", "display-name");
    assert_eq!(names, ["Tech 100%_Corp", "Money Technology Ltd"]);
    assert_eq!(found.body["meta"]["page"]["total"], 2);
    // LIKE wildcards are searched literally.
    let literal = search("100%_").await;
    assert_eq!(
        literal.body["search-results"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        search("%").await.body["search-results"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(search("   ").await.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn permissions_and_isolation() {
    let app = TestApp::new().await;
    let member = app
        .member("viewer@example.com", &[app.role_url("Team member").await])
        .await;
    let refused = app
        .call(
            Method::POST,
            &people_url(&app),
            Some(&member.key_auth()),
            Some(json!({"display-name": "X", "legal-person-type": "individual"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body["errors"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Compliance"))
    );
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let other_key = format!("GriffinAPIKey {}", other.secret.as_str());
    let theirs = app
        .call(
            Method::POST,
            &format!("{}/legal-persons", other.report().organization_url),
            Some(&other_key),
            Some(json!({"display-name": "Theirs", "legal-person-type": "individual"})),
        )
        .await;
    let their_url = theirs.body.string_at("legal-person-url");
    assert_eq!(app.get(&their_url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.admin(
            Method::PUT,
            &their_url,
            Some(json!({"display-name": "Mine"}))
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!(
            "{}/legal-persons",
            other.report().organization_url
        ))
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}
