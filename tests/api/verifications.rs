//! The onboarding loop as real clients run it: create a person with claims, start a
//! verification with a workflow URL, poll it until its checks are complete, then decide.

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Json, TestApp};

fn individual_claims() -> Value {
    json!([
        {"claim-type": "individual-identity", "given-name": "Ada", "surname": "Lovelace", "date-of-birth": "1815-12-10"},
        {"claim-type": "individual-residence", "building-number": "12", "street-name": "Argyle Street", "city": "London", "postal-code": "EC2V 9AN", "country-code": "GB"},
        {"claim-type": "contact-details", "email-address": "ada@example.com"},
        {"claim-type": "mobile-number", "mobile-number": "+447700900000"}
    ])
}

async fn person(app: &TestApp, kind: &str, claims: Value) -> Value {
    let created = app
        .admin(
            Method::POST,
            &format!("{}/legal-persons", app.organization_url),
            Some(json!({"display-name": "Customer", "legal-person-type": kind, "claims": claims})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body
}

#[actix_web::test]
async fn verify_then_accept() {
    let app = TestApp::new().await;
    let workflows = app
        .get(&format!("{}/workflows", app.organization_url))
        .await;
    assert_eq!(
        workflows.body["workflows"].as_array().map(Vec::len),
        Some(6)
    );
    // Paged, every workflow comes once.
    let first = app
        .get(&format!("{}/workflows?page[size]=4", app.organization_url))
        .await;
    assert_eq!(first.body["workflows"].as_array().map(Vec::len), Some(4));
    let rest = app.get(first.body.str_at("links/next")).await;
    assert_eq!(rest.body["workflows"].as_array().map(Vec::len), Some(2));
    let mut seen: Vec<String> = first
        .body
        .array_at("workflows")
        .clone()
        .into_iter()
        .chain(rest.body.array_at("workflows").clone())
        .map(|w| w["workflow-url"].to_string())
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 6);
    let individual = app.workflow_url("Sample individual workflow").await;
    let fetched = app.get(&individual).await;
    assert_eq!(
        fetched.body["required-claim-types"]["individual"],
        json!([
            "contact-details",
            "individual-identity",
            "individual-residence",
            "mobile-number"
        ])
    );

    let ada = person(&app, "individual", individual_claims()).await;
    let ada_url = ada.string_at("legal-person-url");
    let started = app
        .admin(
            Method::POST,
            &format!("{ada_url}/verifications"),
            Some(json!({"workflow-url": individual})),
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    assert_eq!(started.body["verification-status"], "pending");
    let verification_url = started.body.string_at("verification-url");
    assert_eq!(started.header("location"), Some(verification_url.as_str()));
    let submitted = app.get(&ada_url).await;
    assert_eq!(submitted.body["application-status"], "submitted");
    assert_eq!(submitted.body["legal-person-status"], "onboarding");

    // A second one while the first runs is refused; so is a decision before the checks end.
    let again = app
        .admin(
            Method::POST,
            &format!("{ada_url}/verifications"),
            Some(json!({"workflow-url": individual})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let early = app
        .admin(Method::POST, &format!("{ada_url}/decisions"), Some(json!({"verification-url": verification_url, "decision-outcome": "accepted", "decision-notes": "too soon"})))
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(early.error_title(), "verification-not-complete");

    // The worker moves it on: pending → in-progress → checks-complete.
    assert_eq!(app.run_worker().await, 2);
    let polled = app.get(&verification_url).await;
    assert_eq!(polled.body["verification-status"], "checks-complete");
    assert_eq!(polled.body["risk-rating"], "low-risk");
    assert_eq!(
        app.get(&ada_url).await.body["application-status"],
        "referred"
    );

    // A Team member cannot decide.
    let member = app
        .member("m@example.com", &[app.role_url("Team member").await])
        .await;
    let refused = app
        .call(Method::POST, &format!("{ada_url}/decisions"), Some(&member.key_auth()), Some(json!({"verification-url": verification_url, "decision-outcome": "accepted", "decision-notes": "x"})))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let decided = app
        .admin(Method::POST, &format!("{ada_url}/decisions"), Some(json!({"verification-url": verification_url, "decision-outcome": "accepted", "decision-notes": "all good"})))
        .await;
    assert_eq!(decided.status, StatusCode::CREATED, "{}", decided.body);
    assert_eq!(decided.body["decision-maker"], "user");
    assert_eq!(decided.body["decision-user-url"], app.user_url.as_str());
    let accepted = app.get(&ada_url).await;
    assert_eq!(accepted.body["application-status"], "accepted");
    assert_eq!(accepted.body["legal-person-status"], "onboarded");
    assert_eq!(
        accepted.body["latest-decision"]["decision-outcome"],
        "accepted"
    );
    let claims = app
        .get(&format!(
            "{ada_url}/claims?filter[verification-status][eq]=verified"
        ))
        .await;
    assert_eq!(claims.body["claims"].as_array().map(Vec::len), Some(4));
    let decisions = app.get(&format!("{ada_url}/decisions")).await;
    assert_eq!(
        decisions.body["decisions"].as_array().map(Vec::len),
        Some(1)
    );
    let verifications = app.get(&format!("{ada_url}/verifications")).await;
    assert_eq!(
        verifications.body["verifications"][0]["verification-url"],
        verification_url.as_str()
    );

    // Its checks, profiles and resources.
    let checks = app.get(&format!("{verification_url}/checks")).await;
    assert_eq!(checks.status, StatusCode::OK);
    assert_eq!(
        checks.body["verification-checks"].as_array().map(Vec::len),
        Some(4)
    );
    assert_eq!(
        checks.body["verification-checks"][0]["check-status"],
        "passed"
    );
    let profiles = app.get(&format!("{verification_url}/profiles")).await;
    assert_eq!(
        profiles.body["verification-subject-profile"]["legal-person-url"],
        ada_url.as_str()
    );
    assert_eq!(
        profiles.body["verification-subject-profile"]["current-claims"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    assert_eq!(
        profiles.body["verification-related-party-profiles"],
        json!([])
    );
    let resources = app.get(&format!("{verification_url}/resources")).await;
    assert_eq!(resources.status, StatusCode::OK);
    assert_eq!(resources.body["verification-resources"], json!([]));

    // The history, newest first, two at a time.
    let history = app.get(&format!("{ada_url}/history?page[size]=2")).await;
    let kinds = |body: &Value| -> Vec<String> {
        body.strs_at("legal-person-history", "legal-person-history-event-type")
            .into_iter()
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        kinds(&history.body),
        ["decision-created", "risk-rating-registered"]
    );
    let rest = app.get(history.body.str_at("links/next")).await;
    assert_eq!(kinds(&rest.body), ["verification-created"]);
    assert!(rest.body["links"]["next"].is_null());

    // Lists side-load the latest verification and its risk rating on request.
    let listed = app
        .get(&format!(
            "{}/legal-persons?include[]=latest-verification&include=latest-risk-rating",
            app.organization_url
        ))
        .await;
    assert_eq!(
        listed.body["included"]["verifications"][0]["verification-url"],
        verification_url.as_str()
    );
    assert_eq!(
        listed.body["included"]["risk-rating-entries"][0]["risk-rating"],
        "low-risk"
    );

    // Every step left its event.
    let events = app
        .get(&format!("{}/events?sort=created-at", app.organization_url))
        .await;
    // (After those of the organization's own primary account.)
    let types: Vec<_> = events.body.strs_at("events", "event-type");
    let types = &types[3..];
    assert_eq!(
        types,
        [
            "verification-created",
            "verification-updated",
            "verification-updated",
            "decision-created"
        ]
    );
}

#[actix_web::test]
async fn missing_claims_are_all_named() {
    let app = TestApp::new().await;
    let individual = app.workflow_url("Sample individual workflow").await;
    let corporate = app.workflow_url("Sample workflow (corporations)").await;
    let bare = person(
        &app,
        "individual",
        json!([{"claim-type": "mobile-number", "mobile-number": "+447700900000"}]),
    )
    .await;
    let bare_url = bare.str_at("legal-person-url");
    let refused = app
        .admin(
            Method::POST,
            &format!("{bare_url}/verifications"),
            Some(json!({"workflow-url": individual})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error_title(), "missing-claims");
    let detail = refused.body.str_at("errors/0/detail");
    for claim in [
        "contact-details",
        "individual-identity",
        "individual-residence",
    ] {
        assert!(detail.contains(claim), "{detail}");
    }
    assert!(!detail.contains("mobile-number"), "{detail}");
    // A corporation's directors need their own claims.
    let director = person(&app, "individual", json!([])).await;
    let director_url = director.str_at("legal-person-url");
    let company = person(&app, "corporation", json!([
        {"claim-type": "uk-company-register", "entity-name": "Money Technology Ltd.", "entity-registration-number": "91824539", "corporation-type": "private-limited-company", "country-code": "GB", "building-number": "12", "street-name": "Argyle Street", "city": "London", "postal-code": "EC2V 9AN"},
        {"claim-type": "director", "legal-person-url": director_url}])).await;
    let company_url = company.str_at("legal-person-url");
    let refused = app
        .admin(
            Method::POST,
            &format!("{company_url}/verifications"),
            Some(json!({"workflow-url": corporate})),
        )
        .await;
    assert_eq!(refused.error_title(), "missing-claims");
    let detail = refused.body.str_at("errors/0/detail");
    assert!(
        detail.contains(crate::support::id_of(director_url))
            && detail.contains("individual-identity"),
        "{detail}"
    );
    // The wrong kind of workflow.
    let mismatch = app
        .admin(
            Method::POST,
            &format!("{company_url}/verifications"),
            Some(json!({"workflow-url": individual})),
        )
        .await;
    assert_eq!(
        mismatch.error_title(),
        "workflow-legal-person-type-mismatch"
    );
    // Another organization's workflow is unknown here.
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let theirs = app
        .call(
            Method::GET,
            &format!("{}/workflows", other.report().organization_url),
            Some(&format!("GriffinAPIKey {}", other.secret.as_str())),
            None,
        )
        .await;
    let their_workflow = theirs.body.string_at("workflows/0/workflow-url");
    assert_eq!(app.get(&their_workflow).await.status, StatusCode::NOT_FOUND);
    let foreign = app
        .admin(
            Method::POST,
            &format!("{bare_url}/verifications"),
            Some(json!({"workflow-url": their_workflow})),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_corporation_with_a_director_is_verified_then_declined() {
    let app = TestApp::new().await;
    let corporate = app.workflow_url("Sample workflow (corporations)").await;
    let director = person(&app, "individual", json!([
        {"claim-type": "individual-identity", "given-name": "Alan", "surname": "Turing", "date-of-birth": "1912-06-23"},
        {"claim-type": "individual-residence", "building-number": "2", "street-name": "Adlington Road", "city": "Wilmslow", "postal-code": "SK9 1LZ", "country-code": "GB"},
        {"claim-type": "contact-details", "email-address": "alan@example.com"}])).await;
    let director_url = director.string_at("legal-person-url");
    let company = person(&app, "corporation", json!([
        {"claim-type": "uk-company-register", "entity-name": "Money Technology Ltd.", "entity-registration-number": "91824539", "corporation-type": "private-limited-company", "country-code": "GB", "building-number": "12", "street-name": "Argyle Street", "city": "London", "postal-code": "EC2V 9AN"},
        {"claim-type": "director", "legal-person-url": director_url}])).await;
    let company_url = company.string_at("legal-person-url");
    let started = app
        .admin(
            Method::POST,
            &format!("{company_url}/verifications"),
            Some(json!({"workflow-url": corporate})),
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let verification_url = started.body.string_at("verification-url");
    app.run_worker().await;
    assert_eq!(
        app.get(&verification_url).await.body["verification-status"],
        "checks-complete"
    );
    let profiles = app.get(&format!("{verification_url}/profiles")).await;
    assert_eq!(
        profiles.body["verification-related-party-profiles"][0]["legal-person-url"],
        director_url.as_str()
    );

    // Another organization sees none of it.
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let other_key = format!("GriffinAPIKey {}", other.secret.as_str());
    for path in [
        verification_url.clone(),
        format!("{verification_url}/profiles"),
        format!("{company_url}/verifications"),
        format!("{company_url}/decisions"),
        format!("{company_url}/history"),
    ] {
        assert_eq!(
            app.call(Method::GET, &path, Some(&other_key), None)
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let foreign_decision = app
        .call(Method::POST, &format!("{company_url}/decisions"), Some(&other_key), Some(json!({"verification-url": verification_url, "decision-outcome": "accepted", "decision-notes": "mine"})))
        .await;
    assert_eq!(foreign_decision.status, StatusCode::NOT_FOUND);

    let declined = app
        .admin(Method::POST, &format!("{company_url}/decisions"), Some(json!({"verification-url": verification_url, "decision-outcome": "declined", "decision-notes": "risk appetite"})))
        .await;
    assert_eq!(declined.status, StatusCode::CREATED);
    let after = app.get(&company_url).await;
    assert_eq!(after.body["application-status"], "declined");
    assert_eq!(after.body["legal-person-status"], "onboarding-declined");
    assert_eq!(
        after.body["latest-decision"]["decision-notes"],
        "risk appetite"
    );
    // Declining verifies nothing.
    let verified = app
        .get(&format!(
            "{company_url}/claims?filter[verification-status][eq]=verified"
        ))
        .await;
    assert_eq!(verified.body["claims"], json!([]));
}

#[actix_web::test]
async fn decisions_are_final_and_only_on_the_current_verification() {
    let app = TestApp::new().await;
    let individual = app.workflow_url("Sample individual workflow").await;
    let ada = person(&app, "individual", individual_claims()).await;
    let ada_url = ada.string_at("legal-person-url");
    let verifications_url = format!("{ada_url}/verifications");
    let start = || {
        app.admin(
            Method::POST,
            &verifications_url,
            Some(json!({"workflow-url": individual})),
        )
    };
    let first = start().await.body.string_at("verification-url");
    app.run_worker().await;
    // A claim made after the verification started was not checked by it.
    let late = app
        .admin(
            Method::POST,
            &format!("{ada_url}/claims"),
            Some(json!({"claim-type": "nationality", "nationality": "GB"})),
        )
        .await;
    assert_eq!(late.status, StatusCode::CREATED);
    let decide = |verification: String| {
        let app = &app;
        let url = format!("{ada_url}/decisions");
        async move {
            app.admin(Method::POST, &url, Some(json!({"verification-url": verification, "decision-outcome": "accepted", "decision-notes": "ok"}))).await
        }
    };
    assert_eq!(decide(first.clone()).await.status, StatusCode::CREATED);
    let claims = app.get(&format!("{ada_url}/claims")).await;
    let unverified: Vec<_> = claims
        .body
        .array_at("claims")
        .iter()
        .filter(|x| x["verification-status"] == "unverified")
        .map(|x| x.str_at("claim-type"))
        .collect();
    assert_eq!(unverified, ["nationality"]);
    let twice = decide(first.clone()).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(twice.error_title(), "verification-already-decided");
    // A newer verification supersedes the old one.
    assert_eq!(start().await.status, StatusCode::CREATED);
    let stale = decide(first).await;
    assert_eq!(stale.error_title(), "verification-superseded");
}
