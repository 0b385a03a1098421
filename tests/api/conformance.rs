//! Details of Griffin's contract that real clients tripped on: `Location` on some 200s,
//! `meta.page.total`, older filter spellings, risk ratings with URLs, and company roles.

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Json, TestApp};

#[actix_web::test]
async fn location_headers_on_the_200s_griffin_documents() {
    let app = TestApp::new().await;
    let organization = app.get(&app.organization_url).await;
    assert_eq!(organization.status, StatusCode::OK);
    assert_eq!(
        organization.header("location"),
        Some(app.organization_url.as_str())
    );

    let account = app.operational_account("Located").await;
    let got = app.get(&account).await;
    assert_eq!(got.header("location"), Some(account.as_str()));
    let renamed = app
        .admin(
            Method::PATCH,
            &account,
            Some(json!({"display-name": "Renamed"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.header("location"), Some(account.as_str()));
    let closed = app
        .post(&format!("{account}/actions/close"), json!({}))
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    assert_eq!(closed.header("location"), Some(account.as_str()));

    let products = app
        .get(&format!("{}/bank/products", app.organization_url))
        .await;
    let product = products
        .body
        .str_at("bank-account-products/0/bank-account-product-url");
    assert_eq!(app.get(product).await.header("location"), Some(product));

    let person = app.individual("Jane").await;
    let put = app
        .admin(Method::PUT, &person, Some(json!({"display-name": "Janet"})))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.header("location"), Some(person.as_str()));
    // Not on the reads Griffin documents none for.
    assert_eq!(app.get(&person).await.header("location"), None);
}

#[actix_web::test]
async fn lists_griffin_counts_carry_their_total() {
    let app = TestApp::new().await;
    let organization = &app.organization_url;
    let total = |body: &Value| body.at("meta/page/total").as_i64();
    let workflows = app
        .get(&format!("{organization}/workflows?page[size]=2"))
        .await;
    assert_eq!(total(&workflows.body), Some(6));
    let products = app.get(&format!("{organization}/bank/products")).await;
    let listed = products.body.array_at("bank-account-products").len() as i64;
    assert_eq!(total(&products.body), Some(listed));
    let inactive = app
        .get(&format!(
            "{organization}/bank/products?filter[status][in][]=inactive"
        ))
        .await;
    assert_eq!(total(&inactive.body), Some(0));

    let persons_before = app.get(&format!("{organization}/legal-persons")).await;
    let before = total(&persons_before.body).unwrap_or(-1);
    let jane = app.individual("Jane").await;
    app.individual("John").await;
    let persons = app
        .get(&format!("{organization}/legal-persons?page[size]=1"))
        .await;
    assert_eq!(persons.body.array_at("legal-persons").len(), 1);
    assert_eq!(total(&persons.body), Some(before + 2));
    // The total counts what the filters let through, not the page.
    let filtered = app
        .get(&format!(
            "{organization}/legal-persons?filter[has][]=application-status&page[size]=200"
        ))
        .await;
    let passed = filtered.body.array_at("legal-persons").len() as i64;
    assert!(passed < before + 2);
    assert_eq!(total(&filtered.body), Some(passed));

    for list in ["verifications", "history"] {
        let empty = app.get(&format!("{jane}/{list}")).await;
        assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
        assert_eq!(total(&empty.body), Some(0), "{list}");
    }
    let pooled = app
        .open_account(json!({"bank-product-type": "safeguarding-account", "pooled-funds": true}))
        .await;
    let pooled = pooled.str_at("account-url");
    let added = app
        .post(
            &format!("{pooled}/membership-updates"),
            json!({"additions": [jane], "deletions": []}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let members = app.get(&format!("{pooled}/membership")).await;
    assert_eq!(total(&members.body), Some(1));
}

#[actix_web::test]
async fn older_filter_spellings_give_the_same_lists() {
    let app = TestApp::new().await;
    let organization = &app.organization_url;
    let jane = app.individual("Jane").await;
    app.open_account(json!({"bank-product-type": "embedded-account", "owner-url": jane}))
        .await;
    let beneficiary = app.individual("Ben").await;
    app.open_account(json!({"bank-product-type": "client-money-account",
                            "pooled-funds": false, "beneficiary-url": beneficiary}))
        .await;
    let accounts = format!("{organization}/bank/accounts");
    let urls = |body: &Value| -> Vec<String> {
        body.array_at("accounts")
            .iter()
            .map(|a| a.string_at("account-url"))
            .collect()
    };
    let pairs = [
        (
            "filter[account-status][in]=open",
            "filter[account-status][in][]=open",
        ),
        (
            &format!("filter[owner][eq]={jane}") as &str,
            &format!("filter[owner-url][eq]={jane}") as &str,
        ),
        (
            &format!("filter[beneficiary][eq]={beneficiary}"),
            &format!("filter[beneficiary-url][eq]={beneficiary}"),
        ),
        (
            "filter[account-restricted][in][]=false",
            "filter[account-restricted][eq]=false",
        ),
        (
            "filter[account-restricted][in][]=true",
            "filter[account-restricted][eq]=true",
        ),
    ];
    for (old, current) in pairs {
        let old_list = app.get(&format!("{accounts}?{old}")).await;
        assert_eq!(old_list.status, StatusCode::OK, "{old}: {}", old_list.body);
        let current_list = app.get(&format!("{accounts}?{current}")).await;
        assert_eq!(urls(&old_list.body), urls(&current_list.body), "{old}");
    }
    let owned = app
        .get(&format!("{accounts}?filter[owner][eq]={jane}"))
        .await;
    assert_eq!(owned.body.array_at("accounts").len(), 1);

    // Transactions: `post-datetime` is `processed-at`.
    let account = app.operational_account("Busy").await;
    assert_eq!(
        app.inbound(&account, "5.00").await.status,
        StatusCode::CREATED
    );
    let since = "2000-01-01T00:00:00Z";
    let transactions = |filter: String| {
        let app = &app;
        let url = format!("{account}/transactions?{filter}");
        async move { app.get(&url).await }
    };
    for op in ["gte", "gt", "lte", "lt"] {
        let old = transactions(format!("filter[post-datetime][{op}]={since}")).await;
        assert_eq!(old.status, StatusCode::OK, "{}", old.body);
        let current = transactions(format!("filter[processed-at][{op}]={since}")).await;
        assert_eq!(
            old.body["account-transactions"], current.body["account-transactions"],
            "{op}"
        );
    }
    let after = transactions(format!("filter[post-datetime][gte]={since}")).await;
    assert!(!after.body.array_at("account-transactions").is_empty());

    // Submissions and admissions: `[in]` without its `[]`.
    for (list, filter) in [
        ("submissions", "filter[submission-status][in]=delivered"),
        ("admissions", "filter[admission-status][in]=delivered"),
    ] {
        let old = app.get(&format!("{account}/{list}?{filter}")).await;
        assert_eq!(old.status, StatusCode::OK, "{}", old.body);
        let current = app
            .get(&format!("{account}/{list}?{filter}").replace("[in]=", "[in][]="))
            .await;
        assert_eq!(old.body[list], current.body[list], "{list}");
    }
    let admissions = app
        .get(&format!("{account}/admissions?filter[admission-status][in]=delivered&filter[admission-status][in]=processing"))
        .await;
    assert_eq!(admissions.body.array_at("admissions").len(), 1);
    // Unknown names are still refused.
    let typo = app
        .get(&format!("{accounts}?filter[ownr][eq]={jane}"))
        .await;
    assert_eq!(typo.status, StatusCode::BAD_REQUEST);
}

/// A new individual with the claims the sample individual workflow needs.
async fn verifiable(app: &TestApp, name: &str) -> Value {
    let created = app
        .post(
            &format!("{}/legal-persons", app.organization_url),
            json!({"display-name": name, "legal-person-type": "individual", "claims": [
                {"claim-type": "individual-identity", "given-name": "Ada", "surname": "Lovelace", "date-of-birth": "1815-12-10"},
                {"claim-type": "individual-residence", "building-number": "12", "street-name": "Argyle Street", "city": "London", "postal-code": "EC2V 9AN", "country-code": "GB"},
                {"claim-type": "contact-details", "email-address": "ada@example.com"},
                {"claim-type": "mobile-number", "mobile-number": "+447700900000"}]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body
}

#[actix_web::test]
async fn risk_ratings_have_urls() {
    let app = TestApp::new().await;
    let workflow = app.workflow_url("Sample individual workflow").await;
    let created = verifiable(&app, "Ada").await;
    let ada = created.string_at("legal-person-url");
    assert!(created.get("latest-risk-rating-url").is_none());
    let started = app
        .post(
            &format!("{ada}/verifications"),
            json!({"workflow-url": workflow}),
        )
        .await;
    let verification = started.body.string_at("verification-url");
    app.run_worker().await;

    let person = app.get(&ada).await;
    let rating_url = person.body.string_at("latest-risk-rating-url");
    assert!(
        rating_url.starts_with("/v0/risk-ratings/rr."),
        "{rating_url}"
    );
    let rating = app.get(&rating_url).await;
    assert_eq!(rating.status, StatusCode::OK, "{}", rating.body);
    assert_eq!(
        rating.body,
        json!({"risk-rating-url": rating_url, "risk-rating": "low-risk",
               "legal-person-url": ada, "verification-url": verification})
    );
    // Side-loaded entries carry the same URL, on legal persons and on pool members.
    let listed = app
        .get(&format!(
            "{}/legal-persons?include=latest-risk-rating",
            app.organization_url
        ))
        .await;
    assert_eq!(
        listed.body["included"]["risk-rating-entries"],
        json!([rating.body])
    );
    let pooled = app
        .open_account(json!({"bank-product-type": "safeguarding-account", "pooled-funds": true}))
        .await;
    let pooled = pooled.str_at("account-url");
    app.post(
        &format!("{pooled}/membership-updates"),
        json!({"additions": [ada], "deletions": []}),
    )
    .await;
    let members = app
        .get(&format!("{pooled}/membership?include=latest-risk-rating&include=legal-person&include=latest-verification"))
        .await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.body);
    assert_eq!(
        members.body["included"]["risk-rating-entries"],
        json!([rating.body])
    );
    assert_eq!(
        members.body["included"]["legal-persons"][0]["latest-risk-rating-url"],
        rating_url
    );

    // A verification's id with the risk rating prefix, before it rated, or someone else's: 404.
    let unrated = verifiable(&app, "Unrated")
        .await
        .string_at("legal-person-url");
    let pending = app
        .post(
            &format!("{unrated}/verifications"),
            json!({"workflow-url": workflow}),
        )
        .await;
    let pending_id = pending
        .body
        .str_at("verification-url")
        .rsplit('/')
        .next()
        .unwrap_or("");
    let pending_rating = format!("/v0/risk-ratings/rr.{}", &pending_id[3..]);
    assert_eq!(app.get(&pending_rating).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/v0/risk-ratings/rr.nope").await.status,
        StatusCode::NOT_FOUND
    );
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let theirs = app.get_as(other.secret.as_str(), &rating_url).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn company_roles_are_side_loaded_on_lists_and_searches() {
    let app = TestApp::new().await;
    let organization = &app.organization_url;
    let ada = verifiable(&app, "Ada").await.string_at("legal-person-url");
    app.individual("Bystander").await;
    let mut companies = Vec::new();
    for (name, claims) in [
        (
            "Acme",
            json!([{"claim-type": "director", "legal-person-url": ada}]),
        ),
        (
            "Both",
            json!([{"claim-type": "director", "legal-person-url": ada},
                   {"claim-type": "person-with-significant-control", "legal-person-url": ada,
                    "ownership-percent": "75.00"}]),
        ),
    ] {
        let created = app
            .post(
                &format!("{organization}/legal-persons"),
                json!({"display-name": name, "legal-person-type": "corporation", "claims": claims}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        companies.push(created.body.string_at("legal-person-url"));
    }
    let mut roles = serde_json::Map::new();
    roles.insert(companies[0].clone(), json!(["director"]));
    roles.insert(
        companies[1].clone(),
        json!(["director", "person-with-significant-control"]),
    );
    let expected = json!([{"legal-person-url": ada, "individual-company-roles": roles}]);
    let listed = app
        .get(&format!(
            "{organization}/legal-persons?include=company-roles"
        ))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.body["included"], json!({"company-roles": expected}));
    // Only the page's legal persons: the newest, a corporation, holds no role.
    let page = app
        .get(&format!(
            "{organization}/legal-persons?include[]=company-roles&page[size]=1"
        ))
        .await;
    assert_eq!(
        page.body.strs_at("legal-persons", "legal-person-url"),
        [companies[1].as_str()]
    );
    assert_eq!(page.body["included"], json!({"company-roles": []}));
    let found = app
        .post(
            &format!("{organization}/legal-persons/search?include=company-roles"),
            json!({"search-query": "ada"}),
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert_eq!(found.body["included"], json!({"company-roles": expected}));
    let plain = app
        .post(
            &format!("{organization}/legal-persons/search"),
            json!({"search-query": "ada"}),
        )
        .await;
    assert!(plain.body.get("included").is_none(), "{}", plain.body);
}
