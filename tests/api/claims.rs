use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Json, TestApp};

fn identity() -> Value {
    json!({"claim-type": "individual-identity", "given-name": "Ada", "middle-name": "King",
           "surname": "Lovelace", "date-of-birth": "1815-12-10"})
}

fn residence() -> Value {
    json!({"claim-type": "individual-residence", "building-number": "12", "street-name": "Argyle Street",
           "city": "London", "postal-code": "EC2V 9AN", "country-code": "GB"})
}

async fn person(app: &TestApp, kind: &str, claims: Value) -> crate::support::Response {
    app.admin(
        Method::POST,
        &format!("{}/legal-persons", app.organization_url),
        Some(json!({"display-name": "Someone", "legal-person-type": kind, "claims": claims})),
    )
    .await
}

#[actix_web::test]
async fn claims_on_creation_give_the_legal_name() {
    let app = TestApp::new().await;
    let created = person(&app, "individual", json!([identity(), residence(),
        {"claim-type": "contact-details", "email-address": "ada@example.com", "mobile-number": "+447700900000"},
        {"claim-type": "mobile-number", "mobile-number": "+447700900001"}])).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["legal-name"], "Ada King Lovelace");
    let claims_url = created.body.string_at("legal-person-claims-url");
    let claims = app.get(&claims_url).await;
    assert_eq!(claims.status, StatusCode::OK);
    let list = claims.body.array_at("claims").clone();
    assert_eq!(list.len(), 4);
    let first = list
        .iter()
        .find(|c| c["claim-type"] == "individual-identity")
        .unwrap_or_else(|| panic!("no identity claim in {}", claims.body));
    assert_eq!(first["given-name"], "Ada");
    assert_eq!(first["verification-status"], "unverified");
    assert!(
        first["claim-url"]
            .as_str()
            .is_some_and(|u| u.starts_with("/v0/claims/cl."))
    );
    let unverified = app
        .get(&format!(
            "{claims_url}?filter[verification-status][eq]=unverified"
        ))
        .await;
    assert_eq!(unverified.body["claims"].as_array().map(Vec::len), Some(4));
    let verified = app
        .get(&format!(
            "{claims_url}?filter[verification-status][eq]=verified"
        ))
        .await;
    assert_eq!(verified.body["claims"], json!([]));
}

#[actix_web::test]
async fn bad_claims_point_at_the_problem_and_write_nothing() {
    let app = TestApp::new().await;
    let cases = [
        (
            json!([identity(), {"claim-type": "horoscope"}]),
            "Invalid enum value",
            "/claims/1/claim-type",
        ),
        (
            json!([residence(), identity(), {"claim-type": "individual-identity", "given-name": "A", "surname": "B", "date-of-birth": "10/12/1815"}]),
            "Invalid date",
            "/claims/2/date-of-birth",
        ),
        (
            json!([{"claim-type": "mobile-number"}]),
            "Missing field",
            "/claims/0/mobile-number",
        ),
        (
            json!([{"claim-type": "mobile-number", "mobile-number": "call me"}]),
            "Invalid value",
            "/claims/0/mobile-number",
        ),
        (
            json!([{"claim-type": "business-size", "business-size": "huge"}]),
            "Invalid enum value",
            "/claims/0/business-size",
        ),
        (
            json!([{"claim-type": "number-of-employees", "number-of-employees": "ten"}]),
            "Incorrect type",
            "/claims/0/number-of-employees",
        ),
        (
            json!([{"given-name": "A"}]),
            "Missing field",
            "/claims/0/claim-type",
        ),
        (json!(["a claim"]), "Incorrect type", "/claims/0"),
    ];
    for (claims, title, pointer) in cases {
        let response = person(&app, "individual", claims.clone()).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{claims}");
        assert_eq!(response.error_title(), title, "{claims}");
        assert_eq!(response.error_pointer(), Some(pointer), "{claims}");
    }
    let people = app
        .get(&format!("{}/legal-persons", app.organization_url))
        .await;
    assert_eq!(
        people.body["legal-persons"].as_array().map(Vec::len),
        Some(1),
        "only the organization itself"
    );
}

#[actix_web::test]
async fn directors_must_be_of_the_same_organization() {
    let app = TestApp::new().await;
    let director = person(&app, "individual", json!([identity()])).await;
    let director_url = director.body.string_at("legal-person-url");
    let company = person(&app, "corporation", json!([
        {"claim-type": "uk-company-register", "entity-name": "Money Technology Ltd.", "entity-registration-number": "91824539", "corporation-type": "private-limited-company", "date-of-incorporation": "2017-06-01", "country-code": "GB", "building-number": "12", "street-name": "Argyle Street", "city": "London", "postal-code": "EC2V 9AN"},
        {"claim-type": "director", "legal-person-url": director_url}])).await;
    assert_eq!(company.status, StatusCode::CREATED, "{}", company.body);
    assert_eq!(company.body["legal-name"], "Money Technology Ltd.");

    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let foreign = other
        .report()
        .organization_url
        .replace("/organizations/og.", "/legal-persons/lp.");
    let their_person = app
        .call(
            Method::POST,
            &format!("{}/legal-persons", other.report().organization_url),
            Some(&format!("GriffinAPIKey {}", other.secret.as_str())),
            Some(json!({"display-name": "Theirs", "legal-person-type": "individual"})),
        )
        .await;
    let their_url = their_person.body.string_at("legal-person-url");
    for url in [their_url, foreign, "not a url".to_string()] {
        let refused = person(
            &app,
            "corporation",
            json!([{"claim-type": "director", "legal-person-url": url}]),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert_eq!(refused.error_title(), "legal-person-not-in-organization");
        assert_eq!(refused.error_pointer(), Some("/claims/0/legal-person-url"));
    }
}

#[actix_web::test]
async fn add_and_delete_claims() {
    let app = TestApp::new().await;
    let created = person(&app, "individual", json!([])).await;
    assert!(created.body.get("legal-name").is_none());
    let claims_url = created.body.string_at("legal-person-claims-url");
    let added = app.admin(Method::POST, &claims_url, Some(identity())).await;
    assert_eq!(added.status, StatusCode::CREATED);
    let claim_url = added.body.string_at("claim-url");
    assert_eq!(added.header("location"), Some(claim_url.as_str()));
    let person_url = created.body.string_at("legal-person-url");
    assert_eq!(
        app.get(&person_url).await.body["legal-name"],
        "Ada King Lovelace"
    );
    let bad = app
        .admin(
            Method::POST,
            &claims_url,
            Some(json!({"claim-type": "nationality", "nationality": "GBR"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_pointer(), Some("/nationality"));
    assert_eq!(
        app.admin(Method::DELETE, &claim_url, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(app.get(&person_url).await.body.get("legal-name").is_none());
    assert_eq!(
        app.admin(Method::DELETE, &claim_url, None).await.status,
        StatusCode::NOT_FOUND
    );
    // Team members cannot add claims.
    let member = app
        .member("m@example.com", &[app.role_url("Team member").await])
        .await;
    let refused = app
        .call(
            Method::POST,
            &claims_url,
            Some(&member.key_auth()),
            Some(identity()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
