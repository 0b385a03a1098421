//! Every list Griffin documents and every `include` value it documents, requested against one
//! organization seeded so that each list and each side-loaded array has items: the normal
//! test client checks each response against both contracts, which then have something to
//! check. The operations and values come from Griffin's spec, so one that the spec has and
//! this test does not request fails it by name.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::contract::griffin;
use crate::support::{Json, TestApp};

/// What Griffin's spec asks of this test.
struct Derived {
    /// GET operations whose 200 has top-level arrays: path template → the arrays' names.
    lists: BTreeMap<String, BTreeSet<String>>,
    /// `(path template, value)` of every GET operation's `include` values.
    includes: BTreeSet<(String, String)>,
}

fn derived() -> Derived {
    let mut lists = BTreeMap::new();
    let mut includes = BTreeSet::new();
    for operation in griffin().operations().iter().filter(|o| o.method == "GET") {
        let properties =
            operation.definition["responses"]["200"]["schema"]["properties"].as_object();
        let arrays: BTreeSet<String> = properties
            .into_iter()
            .flatten()
            .filter(|(_, schema)| schema["type"] == "array")
            .map(|(name, _)| name.clone())
            .collect();
        if !arrays.is_empty() {
            lists.insert(operation.path.clone(), arrays);
        }
        let parameters = operation.definition["parameters"].as_array();
        for parameter in parameters.into_iter().flatten() {
            if parameter["name"] != "include" {
                continue;
            }
            // `type: string` with an enum, or `type: array` with an enum of its items.
            let values = parameter["enum"]
                .as_array()
                .or_else(|| parameter["items"]["enum"].as_array())
                .unwrap_or_else(|| {
                    panic!("{}: `include` without an enum: {parameter}", operation.path)
                });
            for value in values {
                let value = value
                    .as_str()
                    .unwrap_or_else(|| panic!("{value} is no name"));
                includes.insert((operation.path.clone(), value.to_string()));
            }
        }
    }
    assert!(
        lists.len() > 30,
        "only {} lists in Griffin's spec",
        lists.len()
    );
    assert!(
        includes.len() > 15,
        "only {} include values",
        includes.len()
    );
    Derived { lists, includes }
}

const PAYMENTS: &str = "/v0/bank/accounts/{bank-account-id}/payments";
const ORGANIZATION_PAYMENTS: &str = "/v0/organizations/{organization-id}/payments";
const MEMBERSHIP: &str = "/v0/bank/accounts/{bank-account-id}/membership";
const LEGAL_PERSONS: &str = "/v0/organizations/{organization-id}/legal-persons";

/// What each `include` value side-loads: (path template, value, key under `included`).
const INCLUDED: [(&str, &str, &str); 20] = [
    (MEMBERSHIP, "legal-person", "legal-persons"),
    (MEMBERSHIP, "latest-verification", "verifications"),
    (MEMBERSHIP, "latest-risk-rating", "risk-rating-entries"),
    (PAYMENTS, "bank-account", "accounts"),
    (PAYMENTS, "latest-submission", "submissions"),
    (PAYMENTS, "created-by", "users"),
    (PAYMENTS, "rejected-by", "users"),
    (PAYMENTS, "latest-submission.created-by", "users"),
    (ORGANIZATION_PAYMENTS, "bank-account", "accounts"),
    (ORGANIZATION_PAYMENTS, "latest-submission", "submissions"),
    (ORGANIZATION_PAYMENTS, "created-by", "users"),
    (ORGANIZATION_PAYMENTS, "rejected-by", "users"),
    (
        ORGANIZATION_PAYMENTS,
        "latest-submission.created-by",
        "users",
    ),
    (
        "/v0/bank/accounts/{bank-account-id}/transactions",
        "payment",
        "payments",
    ),
    (
        "/v0/legal-persons/{legal-person-id}/bank/payees",
        "cop-requests",
        "cop-requests",
    ),
    (
        "/v0/organizations/{organization-id}/bank/accounts",
        "beneficiary",
        "legal-persons",
    ),
    (
        "/v0/organizations/{organization-id}/bank/accounts",
        "owner",
        "legal-persons",
    ),
    (LEGAL_PERSONS, "company-roles", "company-roles"),
    (LEGAL_PERSONS, "latest-verification", "verifications"),
    (LEGAL_PERSONS, "latest-risk-rating", "risk-rating-entries"),
];

/// Arrays Griffin documents that hyperbank leaves out or empty, each with why: (path
/// template, array, reason). Each must be absent or empty, so an entry that stops being true
/// fails the test and is removed.
const NEVER_FILLED: [(&str, &str, &str); 2] = [
    (
        "/v0/bank/holds/{hold-id}",
        "account-transactions",
        "simulated holds are released, never settled into transactions",
    ),
    (
        "/v0/verifications/{verification-id}/resources",
        "verification-resources",
        "the sandbox sends no identity-check links to the people it verifies",
    ),
];

/// `POST url body` as the admin; the body of its 200 or 201.
async fn created(app: &TestApp, url: &str, body: Value) -> Value {
    let response = app.post(url, body).await;
    assert!(
        matches!(response.status, StatusCode::OK | StatusCode::CREATED),
        "POST {url}: {} {}",
        response.status,
        response.body
    );
    response.body
}

fn money(value: &str) -> Value {
    json!({"currency": "GBP", "value": value})
}

/// Ada: an individual with the claims the sample workflow needs, verified (and so rated)
/// and accepted. Returns her URL.
async fn ada(app: &TestApp) -> String {
    let workflow = app.workflow_url("Sample individual workflow").await;
    let ada = created(app, &format!("{}/legal-persons", app.organization_url), json!({
        "display-name": "Ada", "legal-person-type": "individual", "claims": [
        {"claim-type": "individual-identity", "given-name": "Ada", "surname": "Lovelace", "date-of-birth": "1815-12-10"},
        {"claim-type": "individual-residence", "building-number": "12", "street-name": "Argyle Street", "city": "London", "postal-code": "EC2V 9AN", "country-code": "GB"},
        {"claim-type": "contact-details", "email-address": "ada@example.com"},
        {"claim-type": "mobile-number", "mobile-number": "+447700900000"}]}))
    .await
    .string_at("legal-person-url");
    let verification = created(
        app,
        &format!("{ada}/verifications"),
        json!({"workflow-url": workflow}),
    )
    .await
    .string_at("verification-url");
    app.run_worker().await;
    created(
        app,
        &format!("{ada}/decisions"),
        json!({"verification-url": verification,
        "decision-outcome": "accepted", "decision-notes": "ok"}),
    )
    .await;
    ada
}

/// Acme Ltd., a corporation whose director is `director`, verified: its verification's URL.
async fn acme(app: &TestApp, director: &str) -> String {
    let workflow = app.workflow_url("Sample workflow (corporations)").await;
    let acme = created(app, &format!("{}/legal-persons", app.organization_url), json!({
        "display-name": "Acme", "legal-person-type": "corporation", "claims": [
        {"claim-type": "uk-company-register", "entity-name": "Money Technology Ltd.", "entity-registration-number": "91824539", "corporation-type": "private-limited-company", "country-code": "GB", "building-number": "12", "street-name": "Argyle Street", "city": "London", "postal-code": "EC2V 9AN"},
        {"claim-type": "director", "legal-person-url": director}]}))
    .await
    .string_at("legal-person-url");
    let verification = created(
        app,
        &format!("{acme}/verifications"),
        json!({"workflow-url": workflow}),
    )
    .await
    .string_at("verification-url");
    app.run_worker().await;
    verification
}

/// The money side, on an account of Ada's: a payee with a CoP request, a payment to it
/// submitted and delivered, a payment rejected, an inbound payment, a hold. Returns the
/// URLs of the hold, the inbound payment and the submitted one.
async fn money_moved(app: &TestApp, ada: &str, account: &str) -> (String, String, String) {
    let cop = created(
        app,
        &format!("{}/cop-request", app.organization_url),
        json!({
        "account-number": "12345678", "bank-id": "040004", "account-classification": "personal",
        "name": "Jane Doe", "requester-legal-person-url": ada}),
    )
    .await;
    let payee = created(
        app,
        &format!("{ada}/bank/payees"),
        json!({"account-holder": "Jane Doe",
        "account-number": "12345678", "bank-id": "040004",
        "cop-request-url": cop.str_at("cop-request-url")}),
    )
    .await;
    let to_payee = json!({"creditor-type": "payee", "payee-url": payee.str_at("payee-url")});
    let paid = created(
        app,
        &format!("{account}/payments"),
        json!({"creditor": to_payee, "payment-amount": money("25.00")}),
    )
    .await
    .string_at("payment-url");
    created(
        app,
        &format!("{paid}/submissions"),
        json!({"payment-scheme": "fps"}),
    )
    .await;
    app.run_worker().await;
    let unwanted = created(
        app,
        &format!("{account}/payments"),
        json!({"creditor": {
        "creditor-type": "uk-domestic", "account-holder": "Ext Ltd", "account-number": "11112222",
        "bank-id": "203040"}, "payment-amount": money("5.00")}),
    )
    .await
    .string_at("payment-url");
    let rejected = app
        .admin(
            Method::PATCH,
            &unwanted,
            Some(json!({"rejection-reason": "Wrong amount"})),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::NO_CONTENT, "{}", rejected.body);
    let id = crate::support::id_of(account);
    let inbound = created(
        app,
        &format!("/v0/simulation/bank/accounts/{id}/inbound-payments"),
        json!({"payment-amount": money("12.34"), "payment-reference": "Invoice 7"}),
    )
    .await
    .string_at("payment-url");
    let hold = created(
        app,
        &format!("/v0/simulation/bank/accounts/{id}/holds"),
        json!({"amount": money("1.00")}),
    )
    .await
    .string_at("hold-url");
    (hold, inbound, paid)
}

/// One organization with something in every list Griffin documents: the concrete URL of
/// each list's path template.
async fn seed(app: &TestApp) -> BTreeMap<String, String> {
    let organization = app.organization_url.clone();
    let ada = ada(app).await;
    let corporate_verification = acme(app, &ada).await;
    let account = app
        .open_account(json!({"bank-product-type": "embedded-account", "owner-url": ada}))
        .await
        .string_at("account-url");
    app.open_account(json!({"bank-product-type": "client-money-account",
                            "pooled-funds": false, "beneficiary-url": ada}))
        .await;
    let pooled = app
        .open_account(json!({"bank-product-type": "safeguarding-account", "pooled-funds": true}))
        .await
        .string_at("account-url");
    created(
        app,
        &format!("{pooled}/membership-updates"),
        json!({"additions": [ada], "deletions": []}),
    )
    .await;
    let restricted = app.operational_account("Restricted").await;
    created(
        app,
        &format!("{restricted}/restrictions"),
        json!({"restriction-type": "freeze",
        "restriction-reason-code": "money-laundering", "restriction-legal-status": "suspected",
        "notes": "Suspicious pattern"}),
    )
    .await;
    let (hold, inbound, paid) = money_moved(app, &ada, &account).await;
    let consent = "0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9";
    created(
        app,
        &format!("{organization}/open-banking/tell-consents"),
        json!({
        "tell-consent-id": consent, "tell-gateway-id": "11111111-2222-4333-8444-555555555555",
        "tell-consent-scope": "accounts", "tell-consent-permissions": ["ReadBalances"],
        "bank-account-urls": [account]}),
    )
    .await;
    created(
        app,
        &format!("{organization}/webhooks"),
        json!({"webhook-destination-url": "http://127.0.0.1:9/hooks"}),
    )
    .await;
    let membership = app.admin_membership_url().await;
    let user = app.user_url.clone();
    let accounts = "/v0/bank/accounts/{bank-account-id}";
    let organizations = "/v0/organizations/{organization-id}";
    let persons = "/v0/legal-persons/{legal-person-id}";
    let mut urls: Vec<(String, String)> = vec![
        (accounts.into(), account.clone()),
        (
            format!("{accounts}/membership"),
            format!("{pooled}/membership"),
        ),
        (
            format!("{accounts}/restrictions"),
            format!("{restricted}/restrictions"),
        ),
        ("/v0/bank/holds/{hold-id}".into(), hold),
        (
            "/v0/companies-house/companies/{company-number}".into(),
            "/v0/companies-house/companies/91824539".into(),
        ),
        ("/v0/memberships/{membership-id}".into(), membership.clone()),
        (
            "/v0/memberships/{membership-id}/roles".into(),
            format!("{membership}/roles"),
        ),
        (
            "/v0/open-banking/tell-consents/{consent-id}".into(),
            format!("/v0/open-banking/tell-consents/{consent}"),
        ),
        (organizations.into(), organization.clone()),
        (
            "/v0/payments/{payment-id}/admissions".into(),
            format!("{inbound}/admissions"),
        ),
        (
            "/v0/payments/{payment-id}/submissions".into(),
            format!("{paid}/submissions"),
        ),
        ("/v0/roles".into(), "/v0/roles".into()),
        // The one of the six workflows with a rule.
        (
            "/v0/workflows/{workflow-id}".into(),
            app.workflow_url("Reliance: LTD company").await,
        ),
    ];
    for list in [
        "admissions",
        "holds",
        "payments",
        "submissions",
        "transactions",
    ] {
        urls.push((format!("{accounts}/{list}"), format!("{account}/{list}")));
    }
    for list in [
        "bank/payees",
        "claims",
        "decisions",
        "history",
        "verifications",
    ] {
        urls.push((format!("{persons}/{list}"), format!("{ada}/{list}")));
    }
    for list in [
        "api-keys",
        "bank/accounts",
        "bank/products",
        "events",
        "legal-persons",
        "memberships",
        "payments",
        "webhooks",
        "workflows",
    ] {
        urls.push((
            format!("{organizations}/{list}"),
            format!("{organization}/{list}"),
        ));
    }
    for list in ["api-keys", "memberships"] {
        urls.push((
            format!("/v0/users/{{user-id}}/{list}"),
            format!("{user}/{list}"),
        ));
    }
    for list in ["profiles", "resources"] {
        urls.push((
            format!("/v0/verifications/{{verification-id}}/{list}"),
            format!("{corporate_verification}/{list}"),
        ));
    }
    urls.into_iter().collect()
}

/// `GET url`: a 200 (the client has checked it against both contracts).
async fn get_ok(app: &TestApp, url: &str) -> Value {
    let response = app.get(url).await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "GET {url}: {}",
        response.body
    );
    response.body
}

/// The array `key` of `body`: present and non-empty.
#[track_caller]
fn assert_filled(body: &Value, key: &str, request: &str) {
    let items = body.pointer(key).and_then(Value::as_array);
    assert!(
        items.is_some_and(|items| !items.is_empty()),
        "GET {request}: `{key}` is not a non-empty array in {body:#}"
    );
}

#[actix_web::test]
async fn every_list_and_include_griffin_documents_is_served_with_items() {
    let derived = derived();
    // What this test knows how to request must be what the spec has, before seeding.
    let known_includes: BTreeSet<(String, String)> = INCLUDED
        .iter()
        .map(|(path, value, _)| (path.to_string(), value.to_string()))
        .collect();
    let forgotten: Vec<_> = derived.includes.difference(&known_includes).collect();
    let unknown: Vec<_> = known_includes.difference(&derived.includes).collect();
    assert!(
        forgotten.is_empty() && unknown.is_empty(),
        "include values Griffin documents that INCLUDED lacks: {forgotten:?}; \
         INCLUDED values Griffin does not document: {unknown:?}"
    );
    for (path, array, _) in NEVER_FILLED {
        assert!(
            derived.lists.get(path).is_some_and(|a| a.contains(array)),
            "NEVER_FILLED names `{array}` of {path}, which Griffin does not document"
        );
    }

    let app = TestApp::new().await;
    let urls = seed(&app).await;
    let no_url: Vec<&String> = derived
        .lists
        .keys()
        .filter(|p| !urls.contains_key(*p))
        .collect();
    assert!(
        no_url.is_empty(),
        "lists Griffin documents that seed() has no URL for: {no_url:?}"
    );
    let mut requested_lists = BTreeSet::new();
    let mut requested_includes = BTreeSet::new();
    for (path, arrays) in &derived.lists {
        let url = &urls[path];
        let fits = griffin().operation("GET", url).map(|o| o.path.as_str());
        assert_eq!(
            fits,
            Some(path.as_str()),
            "{url} is not an instance of {path}"
        );
        let body = get_ok(&app, url).await;
        for array in arrays {
            match NEVER_FILLED
                .iter()
                .find(|(p, a, _)| p == path && a == array)
            {
                Some((_, _, why)) => assert!(
                    body.get(array)
                        .and_then(Value::as_array)
                        .is_none_or(Vec::is_empty),
                    "{url}: `{array}` has items, though NEVER_FILLED says {why}: {body:#}"
                ),
                None => assert_filled(&body, &format!("/{array}"), url),
            }
        }
        requested_lists.insert(path.clone());

        let included: Vec<(&str, &str)> = INCLUDED
            .iter()
            .filter(|(p, _, _)| p == path)
            .map(|(_, value, key)| (*value, *key))
            .collect();
        for (value, key) in &included {
            let request = format!("{url}?include={value}");
            let body = get_ok(&app, &request).await;
            assert_filled(&body, &format!("/included/{key}"), &request);
            requested_includes.insert((path.clone(), value.to_string()));
        }
        if !included.is_empty() {
            let all: Vec<String> = included
                .iter()
                .map(|(v, _)| format!("include[]={v}"))
                .collect();
            let request = format!("{url}?{}", all.join("&"));
            let body = get_ok(&app, &request).await;
            for (_, key) in &included {
                assert_filled(&body, &format!("/included/{key}"), &request);
            }
        }
    }
    let lists: BTreeSet<String> = derived.lists.keys().cloned().collect();
    assert_eq!(
        requested_lists, lists,
        "lists requested and lists Griffin documents"
    );
    assert_eq!(
        requested_includes, derived.includes,
        "include values requested and documented"
    );
}
