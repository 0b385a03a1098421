use std::collections::HashSet;

use actix_web::http::StatusCode;
use serde_json::json;

use hyperbank::access::authenticate::hash_secret;
use hyperbank::api_keys;

use crate::support::{Json, TestApp, id_of};

fn keys_url(app: &TestApp) -> String {
    format!("{}/api-keys", app.organization_url)
}

#[actix_web::test]
async fn create_shows_the_secret_once_and_stores_only_its_hash() {
    let app = TestApp::new().await;
    let created = app
        .post(&keys_url(&app), json!({"api-key-name": "buildserver"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let body = &created.body;
    let url = body.string_at("api-key-url");
    assert_eq!(created.header("location"), Some(url.as_str()));
    assert_eq!(body["api-key-name"], "buildserver");
    assert_eq!(body["api-key-live?"], false);
    assert_eq!(body["organization-url"], app.organization_url.as_str());
    assert_eq!(body["user-url"], app.user_url.as_str());
    let secret = body.string_at("api-key-secret");
    assert!(secret.starts_with("g-test-buildserver-"), "{secret}");
    assert_eq!(secret.len(), "g-test-buildserver-".len() + 43);

    // The new key works and knows itself.
    let index = app.get_as(&secret, "/v0/index").await;
    assert_eq!(index.status, StatusCode::OK);
    assert_eq!(index.body["api-key-url"], url.as_str());

    // Reading it back never shows the secret.
    let fetched = app.get(&url).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert!(fetched.body.get("api-key-secret").is_none());
    assert!(!String::from_utf8_lossy(&fetched.raw).contains(&secret));

    // The database holds the hash, not the secret.
    let mut conn = app.db.read().await.unwrap_or_else(|e| panic!("{e}"));
    let id = hyperbank::ids::ApiKeyId::parse(id_of(&url)).expect("an API key id");
    let row = api_keys::find(&mut conn.conn(), &id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the key row exists"));
    assert_eq!(row.secret_hash, hash_secret(&secret));
    assert_eq!(row.name, "buildserver");
    let row_text = format!("{row:?}");
    assert!(!row_text.contains(&secret[secret.len() - 43..]));
    // On SQLite, not a byte of it anywhere in the database files either.
    for file in app.sqlite_files() {
        let bytes =
            std::fs::read(&file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let random = &secret.as_bytes()[secret.len() - 43..];
        assert!(
            !bytes.windows(random.len()).any(|w| w == random),
            "the secret is in {}",
            file.display()
        );
    }
}

/// Keyset pages do not shift when rows are added between two requests.
#[actix_web::test]
async fn pages_are_stable_under_concurrent_inserts() {
    let app = TestApp::new().await;
    for i in 0..4 {
        app.post(&keys_url(&app), json!({"api-key-name": format!("old{i}")}))
            .await;
    }
    let first = app.get(&format!("{}?page[size]=3", keys_url(&app))).await;
    let mut seen: Vec<String> = first
        .body
        .strs_at("api-keys", "api-key-name")
        .into_iter()
        .map(str::to_string)
        .collect();
    for i in 0..3 {
        app.post(&keys_url(&app), json!({"api-key-name": format!("new{i}")}))
            .await;
    }
    let second = app.get(first.body.str_at("links/next")).await;
    seen.extend(
        second
            .body
            .strs_at("api-keys", "api-key-name")
            .into_iter()
            .map(str::to_string),
    );
    assert_eq!(seen, ["old3", "old2", "old1", "old0", "bootstrap"]);
}

#[actix_web::test]
async fn a_duplicate_name_is_409() {
    let app = TestApp::new().await;
    let first = app
        .post(&keys_url(&app), json!({"api-key-name": "ci"}))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let second = app
        .post(&keys_url(&app), json!({"api-key-name": "ci"}))
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert_eq!(second.error_title(), "api-key-name-taken");
    // Names are per organization: another one may use it.
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let other_keys = format!("{}/api-keys", other.report().organization_url);
    let theirs = app
        .send(
            actix_web::test::TestRequest::post()
                .uri(&other_keys)
                .insert_header((
                    "Authorization",
                    format!("GriffinAPIKey {}", other.secret.as_str()),
                ))
                .set_json(json!({"api-key-name": "ci"})),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn names_must_follow_the_rules() {
    let app = TestApp::new().await;
    let too_long = "x".repeat(65);
    for name in ["", "has space", "dot.ted", "ümlaut", too_long.as_str()] {
        let response = app
            .post(&keys_url(&app), json!({"api-key-name": name}))
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{name:?}");
        assert_eq!(response.error_pointer(), Some("/api-key-name"));
    }
    let ok = app
        .post(&keys_url(&app), json!({"api-key-name": "x".repeat(64)}))
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn lists_page_through_every_key_once() {
    let app = TestApp::new().await;
    let mut created = vec![app.api_key_url.clone()];
    for i in 0..4 {
        let response = app
            .post(&keys_url(&app), json!({"api-key-name": format!("k{i}")}))
            .await;
        created.push(response.body.string_at("api-key-url"));
    }
    // Newest first by default, two at a time.
    let mut seen = Vec::new();
    let mut next = Some(format!("{}?page[size]=2", keys_url(&app)));
    let mut pages = 0;
    while let Some(url) = next {
        let page = app.get(&url).await;
        assert_eq!(page.status, StatusCode::OK, "{url}");
        let urls = page.body.strs_at("api-keys", "api-key-url");
        assert!(!urls.is_empty() && urls.len() <= 2, "{}", page.body);
        seen.extend(urls.into_iter().map(str::to_string));
        if pages > 0 {
            let prev = page.body.str_at("links/prev");
            assert!(
                prev.contains("page[size]=2") && prev.contains("page[before]="),
                "{prev}"
            );
        } else {
            assert!(page.body["links"]["prev"].is_null());
        }
        next = page.body["links"]["next"].as_str().map(str::to_string);
        if let Some(link) = &next {
            assert!(
                link.starts_with(&format!("{}?page[size]=2&page[after]=", keys_url(&app))),
                "{link}"
            );
        }
        pages += 1;
    }
    assert_eq!(pages, 3);
    let mut expected = created.clone();
    expected.reverse();
    assert_eq!(seen, expected);

    // Ascending order, and walking back with `prev` returns the same pages.
    let first = app
        .get(&format!("{}?sort=created-at&page[size]=3", keys_url(&app)))
        .await;
    let first_items: Vec<_> = first.body.array_at("api-keys").clone();
    assert_eq!(first_items[0]["api-key-url"], created[0].as_str());
    let second = app.get(first.body.str_at("links/next")).await;
    assert_eq!(second.body["api-keys"].as_array().map(Vec::len), Some(2));
    assert!(second.body["links"]["next"].is_null());
    let back = app.get(second.body.str_at("links/prev")).await;
    assert_eq!(back.body["api-keys"], first.body["api-keys"]);
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len());
}

/// Every key at the same instant: the cursor's id half alone separates the pages.
#[actix_web::test]
async fn pages_break_ties_in_created_at_by_id() {
    let app = TestApp::new().await;
    for i in 0..4 {
        app.post(&keys_url(&app), json!({"api-key-name": format!("k{i}")}))
            .await;
    }
    let mut tx = app.db.write().await.unwrap_or_else(|e| panic!("{e}"));
    let result = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use hyperbank::store::schema::api_keys;
        hyperbank::dispatch!(&mut tx.conn(), c => diesel::update(api_keys::table)
            .set(api_keys::created_at.eq(1_700_000_000_000_000i64))
            .execute(c)
            .await)
    };
    tx.finish(result).await.unwrap_or_else(|e| panic!("{e}"));
    for (sort, ascending) in [("created-at", true), ("-created-at", false)] {
        let mut seen: Vec<String> = Vec::new();
        let mut next = Some(format!("{}?sort={sort}&page[size]=2", keys_url(&app)));
        while let Some(url) = next {
            let page = app.get(&url).await;
            assert_eq!(page.status, StatusCode::OK, "{url}");
            seen.extend(
                page.body
                    .strs_at("api-keys", "api-key-url")
                    .into_iter()
                    .map(str::to_string),
            );
            next = page.body["links"]["next"].as_str().map(str::to_string);
        }
        let mut by_id = seen.clone();
        by_id.sort_by_key(|url| id_of(url).to_string());
        if !ascending {
            by_id.reverse();
        }
        assert_eq!(
            seen.len(),
            5,
            "{sort}: the bootstrap key and four more, once each"
        );
        assert_eq!(seen, by_id, "{sort}: in id order");
    }
}

#[actix_web::test]
async fn user_key_lists_show_that_users_keys() {
    let app = TestApp::new().await;
    app.post(&keys_url(&app), json!({"api-key-name": "second"}))
        .await;
    let list = app.get(&format!("{}/api-keys", app.user_url)).await;
    assert_eq!(list.status, StatusCode::OK);
    let names: Vec<_> = list.body.strs_at("api-keys", "api-key-name");
    assert_eq!(names, ["second", "bootstrap"]);
}

#[actix_web::test]
async fn delete_revokes_at_once() {
    let app = TestApp::new().await;
    let created = app
        .post(&keys_url(&app), json!({"api-key-name": "temp"}))
        .await;
    let url = created.body.string_at("api-key-url");
    let secret = created.body.string_at("api-key-secret");
    assert_eq!(
        app.get_as(&secret, "/v0/index").await.status,
        StatusCode::OK
    );
    let deleted = app.delete(&url).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.raw.is_empty());
    let after = app.get_as(&secret, "/v0/index").await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(&url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&url).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_key_cannot_delete_itself_nor_other_organizations_keys() {
    let app = TestApp::new().await;
    let itself = app.delete(&app.api_key_url).await;
    assert_eq!(itself.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(itself.error_title(), "api-key-in-use");
    assert_eq!(app.get("/v0/index").await.status, StatusCode::OK);

    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let theirs = other.report().api_key_url;
    assert_eq!(app.get(&theirs).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&theirs).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_as(other.secret.as_str(), "/v0/index").await.status,
        StatusCode::OK
    );
}
