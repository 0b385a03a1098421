use actix_web::http::StatusCode;
use serde_json::json;

use hyperbank::events;

use crate::support::{Json, TestApp, id_of};

/// Events arrive with later areas; here they are recorded through the store directly, as a
/// state change would, to exercise the outbox and its endpoints.
async fn record(app: &TestApp, organization_url: &str, event_type: &str, n: i64) {
    let event_type = events::EventType::parse(event_type).expect("a Griffin event type");
    let mut tx = app.db.write().await.unwrap_or_else(|e| panic!("{e}"));
    let organization_id =
        hyperbank::ids::OrganizationId::parse(id_of(organization_url)).expect("an organization id");
    let result = events::record(
        &mut tx.conn(),
        &organization_id,
        event_type,
        &json!({"n": n}),
    );
    tx.finish(result).await.unwrap_or_else(|e| panic!("{e}"));
}

#[actix_web::test]
async fn events_list_filter_and_get() {
    let app = TestApp::new().await;
    for n in 0..3 {
        record(&app, &app.organization_url, "payment-created", n).await;
        // Responses show milliseconds: keep the events' instants apart at that precision.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    record(&app, &app.organization_url, "transaction-created", 3).await;
    let url = format!("{}/events", app.organization_url);
    let all = app.get(&url).await;
    assert_eq!(all.status, StatusCode::OK);
    let list = all.body.array_at("events").clone();
    // After ours, newest first, come the organization's own: its primary account opening
    // and its test money.
    let provisioning: Vec<_> = list[4..].iter().map(|e| e.str_at("event-type")).collect();
    assert_eq!(
        provisioning,
        [
            "transaction-created",
            "account-status-updated",
            "account-status-created"
        ]
    );
    assert_eq!(list[0]["event-type"], "transaction-created");
    assert_eq!(list[0]["event-payload"], json!({"n": 3}));

    let payments = app
        .get(&format!("{url}?filter[event-type][eq]=payment-created"))
        .await;
    assert_eq!(payments.body["events"].as_array().map(Vec::len), Some(3));

    let one_url = list[1].str_at("event-url");
    assert!(one_url.starts_with("/v0/events/ev."));
    let one = app.get(one_url).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body, list[1]);

    // Time windows: from the second event's instant on.
    let second_at = list[2].str_at("created-at");
    let since = app
        .get(&format!(
            "{url}?filter[created-at][gte]={second_at}&sort=created-at"
        ))
        .await;
    let payloads: Vec<_> = since
        .body
        .array_at("events")
        .iter()
        .map(|x| x.at("event-payload/n").clone())
        .collect();
    assert_eq!(payloads, [json!(1), json!(2), json!(3)]);
    let before = app
        .get(&format!(
            "{url}?filter[created-at][lt]=2000-01-01T00:00:00Z"
        ))
        .await;
    assert_eq!(before.body["events"], json!([]));
    assert!(before.body["links"]["next"].is_null() && before.body["links"]["prev"].is_null());
    // Filters are repeated in the page links.
    let paged = app
        .get(&format!(
            "{url}?filter[event-type][eq]=payment-created&page[size]=2"
        ))
        .await;
    let next = paged.body.str_at("links/next");
    assert!(
        next.starts_with(&format!(
            "{url}?filter[event-type][eq]=payment-created&page[size]=2&page[after]="
        )),
        "{next}"
    );
    let rest = app.get(next).await;
    assert_eq!(rest.body["events"].as_array().map(Vec::len), Some(1));
}

#[actix_web::test]
async fn bad_event_filters_are_400() {
    let app = TestApp::new().await;
    let url = format!("{}/events", app.organization_url);
    for (query, parameter) in [
        ("filter[event-type][eq]=nonsense", "filter[event-type][eq]"),
        (
            "filter[created-at][gte]=yesterday",
            "filter[created-at][gte]",
        ),
        (
            "filter[created-at][gte]=2024-01-01T00:00:00Z&filter[created-at][gt]=2024-01-01T00:00:00Z",
            "filter[created-at][gt]",
        ),
        ("filter[nope][eq]=1", "filter[nope][eq]"),
        ("include=everything", "include"),
    ] {
        let response = app.get(&format!("{url}?{query}")).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(response.error_parameter(), Some(parameter), "{query}");
    }
}

#[actix_web::test]
async fn other_organizations_events_are_404() {
    let app = TestApp::new().await;
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let other_url = other.report().organization_url;
    record(&app, &other_url, "payment-created", 1).await;
    assert_eq!(
        app.get(&format!("{other_url}/events")).await.status,
        StatusCode::NOT_FOUND
    );
    let theirs = app
        .get_as(other.secret.as_str(), &format!("{other_url}/events"))
        .await;
    let event_url = theirs.body.string_at("events/0/event-url");
    assert_eq!(app.get(&event_url).await.status, StatusCode::NOT_FOUND);
    let ours = app.get(&format!("{}/events", app.organization_url)).await;
    let ours = ours.body.array_at("events").clone();
    assert!(!ours.is_empty());
    assert!(ours.iter().all(|e| e["event-payload"].get("n").is_none()));
}
