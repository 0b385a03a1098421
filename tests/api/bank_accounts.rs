use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Json, TestApp, id_of};

fn is_account_number(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|n| n.len() == 8 && n.bytes().all(|b| b.is_ascii_digit()))
}

#[actix_web::test]
async fn every_organization_has_an_open_primary_account_with_test_money() {
    let app = TestApp::new().await;
    let primary = app.primary_account().await;
    assert_eq!(primary["account-status"], "open");
    assert_eq!(primary["bank-product-type"], "operational-account");
    assert_eq!(primary["primary-account"], true);
    assert_eq!(primary["pooled-funds"], false);
    assert_eq!(primary["account-restricted"], false);
    assert!(primary.get("close-account-url").is_none());
    assert_eq!(
        primary["account-balance"],
        json!({"currency": "GBP", "value": "1000.00"})
    );
    assert_eq!(
        primary["available-balance"],
        json!({"currency": "GBP", "value": "1000.00"})
    );
    assert_eq!(
        primary["accrued-interest"],
        json!({"currency": "GBP", "value": "0.00"})
    );
    let organization = app.get(&app.organization_url).await;
    let own = organization.body["own-legal-person-url"].clone();
    assert_eq!(primary["owner-url"], own);
    assert_eq!(primary["controller-url"], own);
    let address = &primary["bank-addresses"][0];
    assert_eq!(address["bank-id"], "000000");
    assert_eq!(address["bank-id-code"], "gbdsc");
    assert_eq!(address["account-number-code"], "bban");
    assert_eq!(address["account-holder"], organization.body["display-name"]);
    assert!(is_account_number(&address["account-number"]));

    // The test money is a deposit transaction against the sandbox funding account.
    let url = primary.str_at("account-url");
    let transactions = app.get(&format!("{url}/transactions")).await;
    let list = transactions.body.array_at("account-transactions").clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["transaction-origin-type"], "deposit");
    assert_eq!(list[0]["balance-change-direction"], "credit");
    assert_eq!(list[0]["balance-change"]["value"], "1000.00");
    assert_eq!(list[0]["account-balance"]["value"], "1000.00");
    assert_eq!(list[0]["account-url"], primary["account-url"]);

    // The primary account stays open.
    let close = app.post(&format!("{url}/actions/close"), json!({})).await;
    assert_eq!(close.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(close.error_title(), "primary-account-not-closeable");
    app.assert_ledger_ok().await;
}

#[actix_web::test]
async fn test_money_is_configurable_and_can_be_off() {
    let app = TestApp::with_settings(hyperbank::config::Settings {
        account_opening: std::time::Duration::ZERO,
        test_money: hyperbank::money::MinorUnits(25_050),
        ..Default::default()
    })
    .await;
    let primary = app.primary_account().await;
    assert_eq!(primary["account-balance"]["value"], "250.50");
    let none = TestApp::with_settings(hyperbank::config::Settings {
        account_opening: std::time::Duration::ZERO,
        test_money: hyperbank::money::MinorUnits(0),
        ..Default::default()
    })
    .await;
    let primary = none.primary_account().await;
    assert_eq!(primary["account-balance"]["value"], "0.00");
    let url = primary.str_at("account-url");
    let transactions = none.get(&format!("{url}/transactions")).await;
    assert_eq!(transactions.body["account-transactions"], json!([]));
}

#[actix_web::test]
async fn each_product_type_opens_with_its_parties() {
    let app = TestApp::new().await;
    let alice = app.individual("Alice").await;
    let bob = app.individual("Bob").await;
    let organization = app.get(&app.organization_url).await;
    let own = organization.body["own-legal-person-url"].clone();
    let cases = [
        (
            json!({"bank-product-type": "operational-account", "display-name": "Reserve a/c"}),
            own.clone(),
            Value::Null,
            false,
        ),
        (
            json!({"bank-product-type": "embedded-account", "owner-url": alice}),
            json!(alice),
            Value::Null,
            false,
        ),
        (
            json!({"bank-product-type": "savings-account", "savings-type": "easy-access",
                   "owner-url": bob}),
            json!(bob),
            Value::Null,
            false,
        ),
        (
            json!({"bank-product-type": "savings-account", "savings-type": "bare-trust"}),
            own.clone(),
            Value::Null,
            false,
        ),
        (
            json!({"bank-product-type": "safeguarding-account", "pooled-funds": true}),
            own.clone(),
            Value::Null,
            true,
        ),
        (
            json!({"bank-product-type": "client-money-account", "pooled-funds": false,
                   "beneficiary-url": alice, "client-money-type": "general-client-money"}),
            own.clone(),
            json!(alice),
            false,
        ),
    ];
    for (body, owner, beneficiary, pooled) in cases {
        let account = app.open_account(body.clone()).await;
        assert_eq!(account["account-status"], "open", "{body}");
        assert_eq!(account["bank-product-type"], body["bank-product-type"]);
        assert_eq!(account["owner-url"], owner, "{body}");
        assert_eq!(account["controller-url"], own);
        assert_eq!(
            account
                .get("beneficiary-url")
                .cloned()
                .unwrap_or(Value::Null),
            beneficiary
        );
        assert_eq!(account["pooled-funds"], pooled, "{body}");
        assert_eq!(account["primary-account"], false);
        assert_eq!(account["account-balance"]["value"], "1000.00");
        assert!(account["close-account-url"].is_string());
        assert_eq!(
            account.get("pooled-account-memberships-url").is_some(),
            pooled
        );
        // The product link leads to the product of this type.
        let product = app.get(account.str_at("bank-account-product-url")).await;
        assert_eq!(product.status, StatusCode::OK);
        let fetched = app.get(account.str_at("account-url")).await;
        assert_eq!(fetched.body, account);
    }
    let savings = app
        .open_account(
            json!({"bank-product-type": "savings-account", "savings-type": "easy-access",
                             "owner-url": bob}),
        )
        .await;
    assert_eq!(savings["savings-type"], "easy-access");
    assert_eq!(savings["display-name"], "Savings account");
    // The account held for Alice, found by its beneficiary, with her side-loaded.
    let held_for = app
        .get(&format!(
            "{}/bank/accounts?filter[beneficiary-url][eq]={alice}&include=beneficiary",
            app.organization_url
        ))
        .await;
    assert_eq!(held_for.status, StatusCode::OK, "{}", held_for.body);
    assert_eq!(held_for.body["accounts"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        held_for.body["accounts"][0]["beneficiary-url"],
        json!(alice)
    );
    assert_eq!(
        held_for.body["included"]["legal-persons"][0]["legal-person-url"],
        json!(alice)
    );
    app.assert_ledger_ok().await;
}

#[actix_web::test]
async fn opening_refuses_bodies_that_break_the_union() {
    let app = TestApp::new().await;
    let alice = app.individual("Alice").await;
    let url = format!("{}/bank/accounts", app.organization_url);
    let cases = [
        (json!({}), "/bank-product-type"),
        (
            json!({"bank-product-type": "current-account"}),
            "/bank-product-type",
        ),
        (
            json!({"bank-product-type": "embedded-account"}),
            "/owner-url",
        ),
        (
            json!({"bank-product-type": "operational-account", "owner-url": alice}),
            "/owner-url",
        ),
        (
            json!({"bank-product-type": "savings-account", "owner-url": alice}),
            "/savings-type",
        ),
        (
            json!({"bank-product-type": "savings-account", "savings-type": "fixed"}),
            "/savings-type",
        ),
        (
            json!({"bank-product-type": "savings-account", "savings-type": "easy-access"}),
            "/owner-url",
        ),
        (
            json!({"bank-product-type": "safeguarding-account"}),
            "/pooled-funds",
        ),
        (
            json!({"bank-product-type": "safeguarding-account", "pooled-funds": false}),
            "/beneficiary-url",
        ),
        (
            json!({"bank-product-type": "safeguarding-account", "pooled-funds": true,
                   "beneficiary-url": alice}),
            "/beneficiary-url",
        ),
        (
            json!({"bank-product-type": "embedded-account", "owner-url": "/v0/users/x"}),
            "/owner-url",
        ),
        (
            json!({"bank-product-type": "operational-account", "display-name": ""}),
            "/display-name",
        ),
        (
            json!({"bank-product-type": "operational-account", "pooled-funds": true}),
            "/pooled-funds",
        ),
        (
            json!({"bank-product-type": "client-money-account", "pooled-funds": true,
                   "client-money-type": "other"}),
            "/client-money-type",
        ),
    ];
    for (body, pointer) in cases {
        let response = app.post(&url, body.clone()).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.error_pointer(), Some(pointer), "{body}");
    }
    // Another organization's legal person is not a party this organization can name.
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let theirs = app
        .call(
            Method::POST,
            &format!("{}/legal-persons", other.report().organization_url),
            Some(&format!("GriffinAPIKey {}", other.secret.as_str())),
            Some(json!({"display-name": "Eve", "legal-person-type": "individual"})),
        )
        .await;
    let eve = theirs.body["legal-person-url"].clone();
    let response = app
        .post(
            &url,
            json!({"bank-product-type": "embedded-account", "owner-url": eve}),
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.error_title(), "legal-person-not-found");
    assert_eq!(response.error_pointer(), Some("/owner-url"));
    // Nothing was opened by any refused request.
    let list = app.get(&url).await;
    assert_eq!(list.body["accounts"].as_array().map(Vec::len), Some(1));
}

#[actix_web::test]
async fn opening_needs_the_bank_accounts_permission_and_the_organization() {
    let app = TestApp::new().await;
    let member = app
        .member("viewer@example.com", &[app.role_url("Team member").await])
        .await;
    let url = format!("{}/bank/accounts", app.organization_url);
    let body = json!({"bank-product-type": "operational-account"});
    let refused = app
        .call(
            Method::POST,
            &url,
            Some(&member.key_auth()),
            Some(body.clone()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body["errors"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Approve own payments"))
    );
    // Reading is allowed.
    let listed = app
        .call(Method::GET, &url, Some(&member.key_auth()), None)
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    // Another organization's accounts are not found, for reads and writes alike.
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let other_url = format!("{}/bank/accounts", other.report().organization_url);
    assert_eq!(
        app.post(&other_url, body).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&other_url).await.status, StatusCode::NOT_FOUND);
    let theirs = app.get_as(other.secret.as_str(), &other_url).await;
    let their_account = theirs.body.string_at("accounts/0/account-url");
    for (method, path) in [
        (Method::GET, their_account.clone()),
        (Method::PATCH, their_account.clone()),
        (Method::POST, format!("{their_account}/actions/close")),
        (Method::GET, format!("{their_account}/transactions")),
        (Method::GET, format!("{their_account}/restrictions")),
        (Method::POST, format!("{their_account}/restrictions")),
        (Method::GET, format!("{their_account}/holds")),
        (Method::GET, format!("{their_account}/admissions")),
        (Method::GET, format!("{their_account}/payments")),
        (
            Method::POST,
            format!(
                "/v0/simulation/bank/accounts/{}/inbound-payments",
                id_of(&their_account)
            ),
        ),
    ] {
        let body = (method != Method::GET).then(|| {
            json!({"display-name": "x", "payment-amount": {"currency": "GBP", "value": "1.00"},
                   "restriction-type": "freeze", "restriction-reason-code": "other",
                   "restriction-legal-status": "not-applicable", "notes": "n"})
        });
        let response = app.admin(method.clone(), &path, body).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    let theirs = app.get_as(other.secret.as_str(), &their_account).await;
    assert_eq!(theirs.body["account-balance"]["value"], "1000.00");
    assert_eq!(theirs.body["display-name"], "Primary account");
}

#[actix_web::test]
async fn accounts_open_through_the_worker_when_opening_takes_time() {
    let app = TestApp::with_settings(hyperbank::config::Settings {
        account_opening: std::time::Duration::from_secs(3600),
        ..Default::default()
    })
    .await;
    let account = app
        .open_account(json!({"bank-product-type": "operational-account"}))
        .await;
    assert_eq!(account["account-status"], "opening");
    assert!(account.get("bank-addresses").is_none());
    assert!(account.get("opened-at").is_none());
    assert_eq!(account["account-balance"]["value"], "0.00");
    let url = account.str_at("account-url");
    // Not due yet: nothing happens; an opening account takes no money.
    assert_eq!(app.run_worker().await, 0);
    let early = app.inbound(url, "5.00").await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(early.error_title(), "account-not-open");
    let close = app.post(&format!("{url}/actions/close"), json!({})).await;
    assert_eq!(close.error_title(), "account-not-open");
    app.clock.advance(std::time::Duration::from_secs(3601));
    assert_eq!(app.run_worker().await, 1);
    let opened = app.get(url).await;
    assert_eq!(opened.body["account-status"], "open");
    assert!(opened.body["opened-at"].is_string());
    assert_eq!(opened.body["account-balance"]["value"], "1000.00");
    assert!(is_account_number(
        &opened.body["bank-addresses"][0]["account-number"]
    ));
    // Its events: created (opening), updated (open), then the test money.
    let events = app
        .get(&format!("{}/events?sort=created-at", app.organization_url))
        .await;
    let mine: Vec<_> = events
        .body
        .array_at("events")
        .clone()
        .into_iter()
        .filter(|e| e["event-payload"]["account-url"] == url)
        .map(|e| {
            (
                e["event-type"].clone(),
                e["event-payload"]["account-status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        mine,
        [
            (json!("account-status-created"), json!("opening")),
            (json!("account-status-updated"), json!("open")),
            (json!("transaction-created"), Value::Null),
        ]
    );
    app.assert_ledger_ok().await;
}

#[actix_web::test]
async fn opening_with_a_product() {
    let app = TestApp::new().await;
    let alice = app.individual("Alice").await;
    let products = app
        .get(&format!("{}/bank/products", app.organization_url))
        .await;
    let product = |class: &str| -> String {
        products
            .body
            .array_at("bank-account-products")
            .iter()
            .find(|p| p["bank-account-product-class"] == class)
            .unwrap_or_else(|| panic!("no {class} product in {}", products.body))
            .string_at("bank-account-product-accounts-url")
    };
    let embedded = app
        .post(
            &product("embedded"),
            json!({"owner-url": alice, "display-name": "Alice's"}),
        )
        .await;
    assert_eq!(embedded.status, StatusCode::CREATED, "{}", embedded.body);
    assert_eq!(embedded.body["bank-product-type"], "embedded-account");
    assert_eq!(embedded.body["owner-url"], json!(alice));
    assert_eq!(
        embedded.header("location"),
        embedded.body["account-url"].as_str()
    );
    let pooled = app.post(&product("safeguarding"), json!({})).await;
    assert_eq!(pooled.status, StatusCode::CREATED);
    assert_eq!(pooled.body["pooled-funds"], true);
    let dedicated = app
        .post(&product("client-money"), json!({"beneficiary-url": alice}))
        .await;
    assert_eq!(dedicated.body["pooled-funds"], false);
    assert_eq!(dedicated.body["beneficiary-url"], json!(alice));
    let trust = app.post(&product("savings"), json!({})).await;
    assert_eq!(trust.body["savings-type"], "bare-trust");
    let missing = app.post(&product("embedded"), json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.error_pointer(), Some("/owner-url"));
    let unknown = app
        .post(
            "/v0/bank/products/bp.AAAAAAAAAAAAAAAAAAAAAA/accounts",
            json!({}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn rename_list_filter_sort_and_search() {
    let app = TestApp::new().await;
    let alice = app.individual("Alice").await;
    let names = ["Charlie", "alpha", "Bravo", "delta"];
    let mut urls = Vec::new();
    for name in names {
        urls.push(app.operational_account(name).await);
    }
    let embedded = app
        .open_account(json!({"bank-product-type": "embedded-account", "owner-url": alice}))
        .await;
    let renamed = app
        .admin(
            Method::PATCH,
            &urls[0],
            Some(json!({"display-name": "Echo"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.body["display-name"], "Echo");
    assert_eq!(app.get(&urls[0]).await.body["display-name"], "Echo");
    let bad = app
        .admin(
            Method::PATCH,
            &urls[0],
            Some(json!({"display-name": "x".repeat(65)})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_pointer(), Some("/display-name"));

    let base = format!("{}/bank/accounts", app.organization_url);
    let names_of = |body: &Value| -> Vec<String> {
        body.strs_at("accounts", "display-name")
            .into_iter()
            .map(str::to_string)
            .collect()
    };
    // Sorted by name, two at a time, following the links.
    let mut seen = Vec::new();
    let mut next = Some(format!(
        "{base}?sort=display-name&filter[bank-product-type][in][]=operational-account&page[size]=2"
    ));
    while let Some(url) = next {
        let page = app.get(&url).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        seen.extend(names_of(&page.body));
        next = page.body["links"]["next"].as_str().map(str::to_string);
    }
    // The database's collation decides the order (PostgreSQL's may follow the locale); the
    // pages must walk it exactly as one whole-list query returns it.
    let whole = app
        .get(&format!(
            "{base}?sort=display-name&filter[bank-product-type][in][]=operational-account&page[size]=200"
        ))
        .await;
    assert_eq!(seen, names_of(&whole.body));
    let mut sorted = seen.clone();
    sorted.sort_by_key(|name| name.to_lowercase());
    assert_eq!(
        sorted,
        ["alpha", "Bravo", "delta", "Echo", "Primary account"]
    );
    let reversed = app
        .get(&format!(
            "{base}?sort=-display-name&filter[bank-product-type][in][]=operational-account"
        ))
        .await;
    let mut backwards = names_of(&reversed.body);
    backwards.reverse();
    assert_eq!(backwards, seen);

    let embedded_only = app
        .get(&format!(
            "{base}?filter[bank-product-type][in][]=embedded-account&include=owner"
        ))
        .await;
    assert_eq!(
        embedded_only.body["accounts"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        embedded_only.body["included"]["legal-persons"][0]["legal-person-url"],
        json!(alice)
    );
    let owned = app
        .get(&format!("{base}?filter[owner-url][eq]={alice}"))
        .await;
    assert_eq!(
        owned.body["accounts"][0]["account-url"],
        embedded["account-url"]
    );
    let per_person = app.get(&format!("{alice}/bank/accounts")).await;
    assert_eq!(per_person.status, StatusCode::OK);
    assert_eq!(
        per_person.body["accounts"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        per_person.body["accounts"][0]["account-url"],
        embedded["account-url"]
    );
    let open = app
        .get(&format!("{base}?filter[account-status][in][]=open&filter[pooled-funds][eq]=false&filter[account-restricted][eq]=false"))
        .await;
    assert_eq!(open.body["accounts"].as_array().map(Vec::len), Some(6));
    for (query, parameter) in [
        (
            "filter[account-status][in][]=ajar",
            "filter[account-status][in][]",
        ),
        ("filter[pooled-funds][eq]=maybe", "filter[pooled-funds][eq]"),
        ("filter[owner-url][eq]=nobody", "filter[owner-url][eq]"),
        ("sort=balance", "sort"),
        ("include=everything", "include"),
    ] {
        let response = app.get(&format!("{base}?{query}")).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(response.error_parameter(), Some(parameter), "{query}");
    }

    // Search by account number: exact, or by its first digits.
    let number = embedded.string_at("bank-addresses/0/account-number");
    let search = format!("{base}/search");
    let exact = app.post(&search, json!({"search-query": number})).await;
    assert_eq!(exact.status, StatusCode::OK);
    assert_eq!(
        exact.body["search-results"][0]["account-url"],
        embedded["account-url"]
    );
    let prefix = app
        .post(&search, json!({"search-query": &number[..3]}))
        .await;
    assert!(prefix.body["search-results"].as_array().is_some_and(|r| {
        r.iter()
            .any(|a| a["account-url"] == embedded["account-url"])
    }));
    let bad = app.post(&search, json!({"search-query": "12-34"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_pointer(), Some("/search-query"));
}

#[actix_web::test]
async fn closing_waits_for_a_zero_balance_and_refuses_money_in() {
    let app = TestApp::new().await;
    let url = app.operational_account("To close").await;
    let closing = app.post(&format!("{url}/actions/close"), json!({})).await;
    assert_eq!(closing.status, StatusCode::OK, "{}", closing.body);
    assert_eq!(closing.body["account-status"], "closing");
    assert!(closing.body.get("close-account-url").is_none());
    // Money still in it: it stays closing; it can no longer receive.
    assert_eq!(app.run_worker().await, 0);
    let inbound = app.inbound(&url, "1.00").await;
    assert_eq!(inbound.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(inbound.error_title(), "bank-account-closing");
    let again = app.post(&format!("{url}/actions/close"), json!({})).await;
    assert_eq!(again.error_title(), "account-already-closing");
    assert_eq!(
        app.get(&url).await.body["account-balance"]["value"],
        "1000.00"
    );

    // With no test money, a closing account is empty at once and closes.
    let empty = TestApp::with_settings(hyperbank::config::Settings {
        account_opening: std::time::Duration::ZERO,
        test_money: hyperbank::money::MinorUnits(0),
        ..Default::default()
    })
    .await;
    let url = empty.operational_account("Empty").await;
    let closing = empty.post(&format!("{url}/actions/close"), json!({})).await;
    assert_eq!(closing.body["account-status"], "closing");
    assert_eq!(empty.run_worker().await, 1);
    let closed = empty.get(&url).await;
    assert_eq!(closed.body["account-status"], "closed");
    assert!(closed.body["closed-at"].is_string());
    let again = empty.post(&format!("{url}/actions/close"), json!({})).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.error_title(), "account-already-closed");
    let inbound = empty.inbound(&url, "1.00").await;
    assert_eq!(inbound.error_title(), "bank-account-closed");
    // Nor can a payment be made from it.
    let payment = empty
        .pay(
            &url,
            json!({"creditor-type": "uk-domestic", "account-holder": "Ext Ltd",
                   "account-number": "11112222", "bank-id": "203040"}),
            "1.00",
        )
        .await;
    assert_eq!(payment.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(payment.error_title(), "bank-account-closed");
    let statuses: Vec<_> = empty
        .get(&format!(
            "{}/events?sort=created-at&filter[event-type][eq]=account-status-updated",
            empty.organization_url
        ))
        .await
        .body
        .array_at("events")
        .clone()
        .into_iter()
        .filter(|e| e["event-payload"]["account-url"] == url.as_str())
        .map(|e| e["event-payload"]["account-status"].clone())
        .collect();
    assert_eq!(statuses, [json!("open"), json!("closing"), json!("closed")]);
    empty.assert_ledger_ok().await;
}
