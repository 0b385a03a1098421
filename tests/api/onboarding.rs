//! Reliance onboarding: the application in one request, then submitted → processing →
//! complete with a system decision.

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Json, TestApp};

fn address() -> Value {
    json!({"building-number": "12", "street-name": "Argyle Street", "city": "London", "postal-code": "EC2V 9AN", "country-code": "GB"})
}

fn reliance() -> Value {
    json!({"claim-type": "reliance-verification", "reliance-verification-methods": ["electronic"], "reliance-verification-standard": "jmlsg"})
}

fn person_claims() -> Value {
    let mut residence = address();
    residence["claim-type"] = json!("individual-residence");
    json!([{"claim-type": "individual-identity", "given-name": "Ada", "surname": "Lovelace", "date-of-birth": "1815-12-10"}, residence, reliance()])
}

#[actix_web::test]
async fn an_ltd_company_is_onboarded_in_one_request() {
    let app = TestApp::new().await;
    let mut register = address();
    register["claim-type"] = json!("uk-company-register");
    register["entity-name"] = json!("Money Technology Ltd.");
    register["entity-registration-number"] = json!("91824539");
    register["corporation-type"] = json!("private-limited-company");
    let body = json!({
        "workflow-url": app.workflow_url("Reliance: LTD company").await,
        "subject-profile": {"display-name": "Money Technology", "claims": [register, {"claim-type": "trading-address", "trading-address": address()}, reliance()]},
        "related-profiles": [{"display-name": "Ada", "claims": person_claims(),
            "subject-association": {"director": {}, "psc": {"ownership-percent": "75.00"}}}]
    });
    let created = app
        .admin(
            Method::POST,
            &format!("{}/onboarding/applications", app.organization_url),
            Some(body),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["onboarding-application-status"], "submitted");
    let url = created.body.string_at("onboarding-application-url");
    assert!(url.starts_with("/v0/onboarding/applications/oa."));
    assert_eq!(created.header("location"), Some(url.as_str()));

    app.run_worker().await;
    let done = app.get(&url).await;
    assert_eq!(done.body["onboarding-application-status"], "complete");
    assert_eq!(done.body["decision-outcome"], "accepted");
    let company = app.get(done.body.str_at("legal-person-url")).await;
    assert_eq!(company.body["legal-name"], "Money Technology Ltd.");
    assert_eq!(company.body["legal-person-status"], "onboarded");
    assert_eq!(company.body["latest-decision"]["decision-maker"], "system");
    let profiles = app
        .get(&format!(
            "{}/profiles",
            done.body.str_at("verification-url")
        ))
        .await;
    assert_eq!(
        profiles.body["verification-related-party-profiles"][0]["display-name"],
        "Ada"
    );
    let claims = app
        .get(&format!("{}/claims", done.body.str_at("legal-person-url")))
        .await;
    let types: Vec<_> = claims.body.strs_at("claims", "claim-type");
    assert!(
        types.contains(&"director") && types.contains(&"person-with-significant-control"),
        "{types:?}"
    );
    let events = app
        .get(&format!(
            "{}/events?filter[event-type][eq]=onboarding-application-updated",
            app.organization_url
        ))
        .await;
    assert_eq!(events.body["events"].as_array().map(Vec::len), Some(2));
}

#[actix_web::test]
async fn applications_are_refused_when_incomplete_or_not_reliance() {
    let app = TestApp::new().await;
    let url = format!("{}/onboarding/applications", app.organization_url);
    let individual = app.workflow_url("Reliance: individual").await;
    let missing = app
        .admin(Method::POST, &url, Some(json!({"workflow-url": individual, "subject-profile": {"display-name": "Ada", "claims": [reliance()]}})))
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.error_title(), "missing-claims");
    let bad_claim = app
        .admin(Method::POST, &url, Some(json!({"workflow-url": individual, "subject-profile": {"display-name": "Ada", "claims": [{"claim-type": "reliance-verification"}]}})))
        .await;
    assert_eq!(bad_claim.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad_claim.error_pointer(),
        Some("/subject-profile/claims/0/reliance-verification-methods")
    );
    let sample = app.workflow_url("Sample individual workflow").await;
    let not_reliance = app
        .admin(Method::POST, &url, Some(json!({"workflow-url": sample, "subject-profile": {"display-name": "Ada", "claims": person_claims()}})))
        .await;
    assert_eq!(not_reliance.error_title(), "not-a-reliance-workflow");
    // Nothing was left behind by the refusals.
    let people = app
        .get(&format!("{}/legal-persons", app.organization_url))
        .await;
    assert_eq!(
        people.body["legal-persons"].as_array().map(Vec::len),
        Some(1)
    );
    let ok = app
        .admin(Method::POST, &url, Some(json!({"workflow-url": individual, "subject-profile": {"display-name": "Ada", "claims": person_claims()}})))
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
}

/// If the organization decides before the worker completes the application, its decision
/// stands: the system never overrides it.
#[actix_web::test]
async fn an_organizations_own_decision_wins_over_the_automatic_one() {
    let app = TestApp::new().await;
    let created = app
        .admin(Method::POST, &format!("{}/onboarding/applications", app.organization_url),
            Some(json!({"workflow-url": app.workflow_url("Reliance: individual").await, "subject-profile": {"display-name": "Ada", "claims": person_claims()}})))
        .await;
    let url = created.body.string_at("onboarding-application-url");
    // Only the verification moves on, twice, to checks-complete.
    for _ in 0..2 {
        hyperbank::verifications::advance_due(&app.db, app.clock.now(), 0)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let legal_persons = app
        .get(&format!("{}/legal-persons", app.organization_url))
        .await;
    let ada_url = legal_persons
        .body
        .string_at("legal-persons/0/legal-person-url");
    let verifications = app.get(&format!("{ada_url}/verifications")).await;
    let verification_url = verifications
        .body
        .string_at("verifications/0/verification-url");
    let declined = app
        .admin(Method::POST, &format!("{ada_url}/decisions"), Some(json!({"verification-url": verification_url, "decision-outcome": "declined", "decision-notes": "no"})))
        .await;
    assert_eq!(declined.status, StatusCode::CREATED);
    app.run_worker().await;
    let done = app.get(&url).await;
    assert_eq!(done.body["onboarding-application-status"], "complete");
    assert_eq!(done.body["decision-outcome"], "declined");
    assert_eq!(
        app.get(&ada_url).await.body["legal-person-status"],
        "onboarding-declined"
    );
    let decisions = app.get(&format!("{ada_url}/decisions")).await;
    assert_eq!(
        decisions.body["decisions"].as_array().map(Vec::len),
        Some(1)
    );
}
