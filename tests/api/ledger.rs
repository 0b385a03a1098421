use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Json, TestApp, id_of};

fn money(value: &str) -> Value {
    json!({"currency": "GBP", "value": value})
}

fn hold_url(account_url: &str) -> String {
    format!("/v0/simulation/bank/accounts/{}/holds", id_of(account_url))
}

fn release_url(hold_url: &str) -> String {
    format!(
        "/v0/simulation/bank/holds/{}/actions/release",
        id_of(hold_url)
    )
}

#[actix_web::test]
async fn an_inbound_payment_is_a_payment_an_admission_and_a_credit() {
    let app = TestApp::new().await;
    let account = app.operational_account("Receiving").await;
    let response = app
        .post(
            &format!(
                "/v0/simulation/bank/accounts/{}/inbound-payments",
                id_of(&account)
            ),
            json!({"payment-amount": money("12.34"), "payment-reference": "Invoice 7",
                   "debtor": {"account-holder": "Payer Ltd", "account-number": "87654321",
                              "bank-id": "123456"}}),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
    let payment = response.body;
    assert_eq!(payment["payment-direction"], "inbound-payment");
    assert_eq!(payment["payment-amount"], money("12.34"));
    assert_eq!(payment["payment-reference"], "Invoice 7");
    assert_eq!(payment["debtor"]["account-holder"], "Payer Ltd");
    assert_eq!(
        payment["creditor"],
        json!({"creditor-type": "griffin-bank-account", "account-url": account})
    );
    let payment_url = payment.str_at("payment-url");
    assert_eq!(app.get(payment_url).await.body, payment);
    assert_eq!(
        app.balances(&account).await,
        ("1012.34".into(), "1012.34".into())
    );

    // Its admission, delivered.
    let admissions = app.get(payment.str_at("payment-admissions-url")).await;
    let admission = admissions.body["admissions"][0].clone();
    assert_eq!(admission["admission-status"], "delivered");
    assert_eq!(admission["account-url"], json!(account));
    assert_eq!(
        admission["admission-scheme-information"]["payment-scheme"],
        "fps"
    );
    let fetched = app.get(admission.str_at("admission-url")).await;
    assert_eq!(fetched.body, admission);
    let by_account = app.get(&format!("{account}/admissions")).await;
    assert_eq!(by_account.body["admissions"], json!([admission]));
    let by_account = app.get(&format!("{account}/payments")).await;
    assert_eq!(by_account.body["payments"], json!([payment]));

    // Its credit transaction, newest first, with the payment side-loaded on request.
    let transactions = app
        .get(&format!("{account}/transactions?include=payment"))
        .await;
    let list = transactions.body.array_at("account-transactions").clone();
    assert_eq!(list.len(), 2);
    let credit = &list[0];
    assert_eq!(credit["transaction-origin-type"], "payment");
    assert_eq!(credit["balance-change"], money("12.34"));
    assert_eq!(credit["balance-change-direction"], "credit");
    assert_eq!(credit["account-balance"], money("1012.34"));
    assert_eq!(credit["payment-url"], payment["payment-url"]);
    assert_eq!(credit["reference"], "Invoice 7");
    assert_eq!(transactions.body["included"]["payments"], json!([payment]));
    let one = app.get(credit.str_at("account-transaction-url")).await;
    assert_eq!(&one.body, credit);

    // Sorts and processed-at windows.
    let oldest_first = app
        .get(&format!("{account}/transactions?sort=processed-at"))
        .await;
    assert_eq!(oldest_first.body["account-transactions"][1], *credit);
    let at = credit.str_at("processed-at");
    let since = app
        .get(&format!(
            "{account}/transactions?filter[processed-at][gte]={at}"
        ))
        .await;
    assert_eq!(
        since.body["account-transactions"].as_array().map(Vec::len),
        Some(1)
    );
    let before = app
        .get(&format!(
            "{account}/transactions?filter[processed-at][lt]={at}"
        ))
        .await;
    assert_eq!(
        before.body["account-transactions"][0]["transaction-origin-type"],
        "deposit"
    );
    let bad = app
        .get(&format!(
            "{account}/transactions?filter[processed-at][gte]=soon"
        ))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_parameter(), Some("filter[processed-at][gte]"));

    // The events, in Griffin's order.
    let events = app
        .get(&format!("{}/events?sort=created-at", app.organization_url))
        .await;
    let events = events.body.array_at("events").clone();
    let types: Vec<_> = events.iter().map(|e| e.string_at("event-type")).collect();
    assert_eq!(
        types[types.len() - 4..],
        [
            "payment-created",
            "admission-created",
            "transaction-created",
            "admission-updated"
        ]
    );
    // The admission's row is written once, delivered; its events still tell both steps.
    let admission_statuses: Vec<_> = events
        .iter()
        .filter(|e| e.str_at("event-type").starts_with("admission-"))
        .map(|e| e["event-payload"]["admission-status"].clone())
        .collect();
    assert_eq!(
        admission_statuses[admission_statuses.len() - 2..],
        [json!("processing"), json!("delivered")]
    );
    app.assert_ledger_ok().await;
}

#[actix_web::test]
async fn inbound_payment_bodies_are_checked() {
    let app = TestApp::new().await;
    let account = app.operational_account("Receiving").await;
    let url = format!(
        "/v0/simulation/bank/accounts/{}/inbound-payments",
        id_of(&account)
    );
    for (body, pointer) in [
        (json!({}), "/payment-amount"),
        (
            json!({"payment-amount": money("0.00")}),
            "/payment-amount/value",
        ),
        (
            json!({"payment-amount": money("-5.00")}),
            "/payment-amount/value",
        ),
        (
            json!({"payment-amount": money("1.001")}),
            "/payment-amount/value",
        ),
        (
            json!({"payment-amount": {"currency": "EUR", "value": "1.00"}}),
            "/payment-amount/currency",
        ),
        (
            json!({"payment-amount": money("1.00"), "payment-reference": "x".repeat(36)}),
            "/payment-reference",
        ),
        (
            json!({"payment-amount": money("1.00"),
                   "debtor": {"account-holder": "A", "account-number": "1234", "bank-id": "123456"}}),
            "/debtor/account-number",
        ),
    ] {
        let response = app.post(&url, body.clone()).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.error_pointer(), Some(pointer), "{body}");
    }
    let unknown = app
        .post(
            "/v0/simulation/bank/accounts/ba.AAAAAAAAAAAAAAAAAAAAAA/inbound-payments",
            json!({"payment-amount": money("1.00")}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // A Team member may read but not move money.
    let member = app
        .member("viewer@example.com", &[app.role_url("Team member").await])
        .await;
    let refused = app
        .call(
            Method::POST,
            &url,
            Some(&member.key_auth()),
            Some(json!({"payment-amount": money("1.00")})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.balances(&account).await.0, "1000.00");
    // Nothing half-written by any refusal.
    assert_eq!(
        app.get(&format!("{account}/payments")).await.body["payments"],
        json!([])
    );
    app.assert_ledger_ok().await;
}

#[actix_web::test]
async fn holds_reduce_the_available_balance_until_released() {
    let app = TestApp::new().await;
    let account = app.operational_account("Card").await;
    let placed = app
        .post(
            &hold_url(&account),
            json!({"amount": money("300.00"),
              "origin-metadata": {"merchant": "Coffee"}}),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    assert_eq!(placed.body["status"], "placed");
    assert_eq!(placed.body["direction"], "debit");
    assert_eq!(placed.body["origin-type"], "card-transaction");
    assert_eq!(
        placed.body["origin-metadata"],
        json!({"merchant": "Coffee"})
    );
    assert_eq!(
        app.balances(&account).await,
        ("1000.00".into(), "700.00".into())
    );
    // More than is available cannot be held.
    let too_much = app
        .post(&hold_url(&account), json!({"amount": money("700.01")}))
        .await;
    assert_eq!(too_much.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_much.error_title(), "insufficient-funds");
    let exact = app
        .post(&hold_url(&account), json!({"amount": money("700.00")}))
        .await;
    assert_eq!(exact.status, StatusCode::CREATED);
    assert_eq!(
        app.balances(&account).await,
        ("1000.00".into(), "0.00".into())
    );
    // A credit hold changes nothing available.
    let credit = app
        .post(
            &hold_url(&account),
            json!({"amount": money("5.00"), "direction": "credit"}),
        )
        .await;
    assert_eq!(credit.status, StatusCode::CREATED);
    assert_eq!(app.balances(&account).await.1, "0.00");

    let hold = placed.body.string_at("hold-url");
    assert_eq!(app.get(&hold).await.body, placed.body);
    let released = app
        .post(&release_url(&hold), json!({"release-reason": "expired"}))
        .await;
    assert_eq!(released.status, StatusCode::OK);
    assert_eq!(released.body["status"], "released");
    assert_eq!(released.body["release-reason"], "expired");
    assert_eq!(
        app.balances(&account).await,
        ("1000.00".into(), "300.00".into())
    );
    let twice = app.post(&release_url(&hold), json!({})).await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(twice.error_title(), "hold-not-placed");

    // A hold with an expiry is released by the worker once it passes.
    let expiring = app
        .post(
            &hold_url(&account),
            json!({"amount": money("100.00"),
              "expires-at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(expiring.body["expires-at"], "2099-01-01T00:00:00.000Z");
    assert_eq!(app.balances(&account).await.1, "200.00");
    assert_eq!(app.run_worker().await, 0);
    app.clock
        .advance(std::time::Duration::from_secs(100 * 365 * 24 * 3600));
    assert_eq!(app.run_worker().await, 1);
    let expired = app.get(expiring.body.str_at("hold-url")).await;
    assert_eq!(expired.body["status"], "released");
    assert_eq!(expired.body["release-reason"], "expired");
    assert_eq!(app.balances(&account).await.1, "300.00");

    let listed = app.get(&format!("{account}/holds")).await;
    assert_eq!(listed.body["holds"].as_array().map(Vec::len), Some(4));
    let placed_only = app
        .get(&format!(
            "{account}/holds?filter[status][in][]=placed&filter[origin-type][eq]=card-transaction"
        ))
        .await;
    assert_eq!(placed_only.body["holds"].as_array().map(Vec::len), Some(2));
    let bad = app
        .get(&format!("{account}/holds?filter[status][in][]=settled"))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad = app
        .post(&hold_url(&account), json!({"amount": money("0.00")}))
        .await;
    assert_eq!(bad.error_pointer(), Some("/amount/value"));
    app.assert_ledger_ok().await;
}

async fn restrict(
    app: &TestApp,
    account: &str,
    kind: &str,
    reason: &str,
) -> crate::support::Response {
    app.post(
        &format!("{account}/restrictions"),
        json!({"restriction-type": kind, "restriction-reason-code": reason,
               "restriction-legal-status": "suspected", "notes": "Suspicious pattern"}),
    )
    .await
}

#[actix_web::test]
async fn restrictions_freeze_and_block_money() {
    let app = TestApp::new().await;
    let account = app.operational_account("Watched").await;
    let freeze = restrict(&app, &account, "freeze", "money-laundering").await;
    assert_eq!(freeze.status, StatusCode::CREATED, "{}", freeze.body);
    assert_eq!(freeze.body["restriction-status"], "active");
    assert_eq!(freeze.body["restriction-type"], "freeze");
    assert_eq!(
        freeze.body["restriction-applied-by"]["restriction-applied-by-type"],
        "user"
    );
    assert_eq!(
        freeze.body["restriction-applied-by"]["user-url"],
        json!(app.user_url)
    );
    assert_eq!(app.get(&account).await.body["account-restricted"], true);
    // A freeze stops money out (a debit hold) but not money in.
    let hold = app
        .post(&hold_url(&account), json!({"amount": money("1.00")}))
        .await;
    assert_eq!(hold.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(hold.error_title(), "account-restricted");
    assert_eq!(
        app.inbound(&account, "2.00").await.status,
        StatusCode::CREATED
    );
    // The same restriction twice is a conflict; another reason is another restriction.
    let twice = restrict(&app, &account, "freeze", "money-laundering").await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(twice.error_title(), "restriction-already-applied");

    // Turned into a block, it stops money in too.
    let restriction = freeze.body.string_at("bank-account-restriction-url");
    let updated = app
        .post(
            &format!("{restriction}/actions/update"),
            json!({"restriction-type": "block", "notes": "Escalated"}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["restriction-type"], "block");
    assert_eq!(updated.body["restriction-reason-code"], "money-laundering");
    let refused = app.inbound(&account, "2.00").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error_title(), "account-restricted");
    assert_eq!(app.balances(&account).await.0, "1002.00");

    // Lifted, money moves again; a lifted restriction cannot change.
    let lifted = app
        .post(
            &format!("{restriction}/actions/lift"),
            json!({"notes": "Cleared"}),
        )
        .await;
    assert_eq!(lifted.status, StatusCode::OK);
    assert_eq!(lifted.body["restriction-status"], "lifted");
    assert!(
        lifted
            .body
            .get("lift-bank-account-restriction-url")
            .is_none()
    );
    assert_eq!(app.get(&account).await.body["account-restricted"], false);
    assert_eq!(
        app.inbound(&account, "2.00").await.status,
        StatusCode::CREATED
    );
    for action in ["lift", "update"] {
        let again = app
            .post(
                &format!("{restriction}/actions/{action}"),
                json!({"notes": "Again"}),
            )
            .await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{action}");
        assert_eq!(again.error_title(), "restriction-not-active");
    }
    assert_eq!(app.get(&restriction).await.body, lifted.body);
    let history = app
        .get(&format!("{restriction}/events?sort=created-at"))
        .await;
    let notes: Vec<_> = history
        .body
        .array_at("bank-account-restriction-events")
        .iter()
        .map(|x| (x["restriction-event-type"].clone(), x["notes"].clone()))
        .collect();
    assert_eq!(
        notes,
        [
            (json!("restriction-applied"), json!("Suspicious pattern")),
            (json!("restriction-updated"), json!("Escalated")),
            (json!("restriction-lifted"), json!("Cleared")),
        ]
    );
    // A credit hold needs an account that can receive.
    let blocked = restrict(&app, &account, "block", "customer-request").await;
    let credit = app
        .post(
            &hold_url(&account),
            json!({"amount": money("1.00"), "direction": "credit"}),
        )
        .await;
    assert_eq!(credit.error_title(), "account-restricted");
    // An update cannot make a restriction the duplicate of another active one.
    let other = restrict(&app, &account, "freeze", "customer-request").await;
    let other_url = other.body.str_at("bank-account-restriction-url");
    let clash = app
        .post(
            &format!("{other_url}/actions/update"),
            json!({"restriction-type": "block", "notes": "Same as the other"}),
        )
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    assert_eq!(clash.error_title(), "restriction-already-applied");
    for url in [
        &blocked.body["bank-account-restriction-url"],
        &other.body["bank-account-restriction-url"],
    ] {
        let lifted = app
            .post(
                &format!("{}/actions/lift", url.as_str().expect("a restriction URL")),
                json!({"notes": "ok"}),
            )
            .await;
        assert_eq!(lifted.status, StatusCode::OK);
    }
    // Two independent restrictions: lifting one leaves the account restricted.
    let a = restrict(&app, &account, "freeze", "fraud-1st-party").await;
    let b = restrict(&app, &account, "block", "sanctions").await;
    assert_eq!(b.status, StatusCode::CREATED);
    let a_url = a.body.str_at("bank-account-restriction-url");
    app.post(&format!("{a_url}/actions/lift"), json!({"notes": "ok"}))
        .await;
    assert_eq!(app.get(&account).await.body["account-restricted"], true);
    let active = app
        .get(&format!(
            "{account}/restrictions?filter[restriction-status][eq]=active"
        ))
        .await;
    assert_eq!(
        active.body["bank-account-restrictions"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let all = app.get(&format!("{account}/restrictions")).await;
    assert_eq!(
        all.body["bank-account-restrictions"]
            .as_array()
            .map(Vec::len),
        Some(5)
    );
    let blocked_only = app
        .get(&format!(
            "{}/bank/accounts?filter[account-restricted][eq]=true",
            app.organization_url
        ))
        .await;
    assert_eq!(
        blocked_only.body["accounts"][0]["account-url"],
        json!(account)
    );
    app.assert_ledger_ok().await;
}

#[actix_web::test]
async fn restriction_rules_and_permissions() {
    let app = TestApp::new().await;
    let account = app.operational_account("Watched").await;
    for (body, pointer) in [
        (
            json!({"restriction-type": "chill", "restriction-reason-code": "other",
                "restriction-legal-status": "suspected", "notes": ""}),
            "/restriction-type",
        ),
        (
            json!({"restriction-type": "freeze", "restriction-reason-code": "fraud",
                "restriction-legal-status": "suspected", "notes": ""}),
            "/restriction-reason-code",
        ),
        (
            json!({"restriction-type": "freeze", "restriction-reason-code": "other",
                "restriction-legal-status": "guilty", "notes": ""}),
            "/restriction-legal-status",
        ),
        (
            json!({"restriction-type": "freeze", "restriction-reason-code": "other",
                "restriction-legal-status": "suspected", "notes": "n".repeat(2001)}),
            "/notes",
        ),
        (
            json!({"restriction-type": "freeze", "restriction-reason-code": "other",
                "restriction-legal-status": "suspected"}),
            "/notes",
        ),
    ] {
        let response = app
            .post(&format!("{account}/restrictions"), body.clone())
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.error_pointer(), Some(pointer), "{body}");
    }
    // Only Compliance restricts.
    let member = app
        .member(
            "payer@example.com",
            &[app.role_url("Approve own payments").await],
        )
        .await;
    let refused = app
        .call(
            Method::POST,
            &format!("{account}/restrictions"),
            Some(&member.key_auth()),
            Some(
                json!({"restriction-type": "freeze", "restriction-reason-code": "other",
                        "restriction-legal-status": "suspected", "notes": "x"}),
            ),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body["errors"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Compliance"))
    );
    assert_eq!(app.get(&account).await.body["account-restricted"], false);
    let unknown = app
        .get("/v0/bank/account-restrictions/ri.AAAAAAAAAAAAAAAAAAAAAA")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn pooled_account_membership() {
    let app = TestApp::new().await;
    let pooled = app
        .open_account(json!({"bank-product-type": "safeguarding-account", "pooled-funds": true}))
        .await;
    let members_url = pooled.str_at("pooled-account-memberships-url");
    let updates_url = pooled.str_at("pooled-account-membership-updates-url");
    let alice = app.individual("Alice").await;
    let bob = app.individual("Bob").await;
    let added = app
        .post(
            updates_url,
            json!({"additions": [alice, bob, alice], "deletions": []}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_eq!(
        added.body["pooled-account-memberships-url"],
        json!(members_url)
    );
    let members = app
        .get(&format!(
            "{members_url}?include=legal-person&sort=created-at"
        ))
        .await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.body);
    let urls = members.body.strs_at("pool-members", "legal-person-url");
    assert_eq!(urls.len(), 2);
    assert!(urls.contains(&alice.as_str()) && urls.contains(&bob.as_str()));
    assert_eq!(
        members.body["included"]["legal-persons"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let removed = app
        .post(updates_url, json!({"additions": [], "deletions": [alice]}))
        .await;
    assert_eq!(removed.status, StatusCode::OK);
    let members = app.get(members_url).await;
    assert_eq!(
        members.body["pool-members"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        members.body["pool-members"][0]["legal-person-url"],
        json!(bob)
    );

    let too_many: Vec<String> = (0..1001).map(|_| alice.clone()).collect();
    let refused = app
        .post(updates_url, json!({"additions": too_many, "deletions": []}))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let both = app
        .post(updates_url, json!({"additions": [bob], "deletions": [bob]}))
        .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
    assert_eq!(both.error_pointer(), Some("/deletions/0"));
    let unknown = app
        .post(
            updates_url,
            json!({"additions": ["/v0/legal-persons/lp.AAAAAAAAAAAAAAAAAAAAAA"], "deletions": []}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.error_title(), "legal-person-not-found");
    assert_eq!(unknown.error_pointer(), Some("/additions/0"));
    assert_eq!(
        app.get(members_url).await.body["pool-members"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // Accounts that are not pooled have no members.
    let dedicated = app.operational_account("Dedicated").await;
    assert_eq!(
        app.get(&format!("{dedicated}/membership")).await.status,
        StatusCode::NOT_FOUND
    );
    let not_pooled = app
        .post(
            &format!("{dedicated}/membership-updates"),
            json!({"additions": [bob], "deletions": []}),
        )
        .await;
    assert_eq!(not_pooled.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(not_pooled.error_title(), "account-not-pooled");
}

#[actix_web::test]
async fn verify_ledger_names_the_account_of_a_breach() {
    let app = TestApp::new().await;
    let account = app.operational_account("Tampered").await;
    app.inbound(&account, "5.00").await;
    app.assert_ledger_ok().await;
    // Someone edits a balance behind the ledger's back.
    let id = id_of(&account).to_string();
    let mut tx = app.db.write().await.unwrap_or_else(|e| panic!("{e}"));
    let result = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use hyperbank::store::schema::bank_accounts;
        hyperbank::dispatch!(&mut tx.conn(), c => diesel::update(bank_accounts::table.find(&id))
            .set(bank_accounts::balance.eq(bank_accounts::balance + 1))
            .execute(c)
            .await)
    };
    tx.finish(result).await.unwrap_or_else(|e| panic!("{e}"));
    let report = hyperbank::ledger::verify::run(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.breaches.len(), 1, "{:?}", report.breaches);
    assert_eq!(report.breaches[0].subject, id);
    assert!(
        report.breaches[0].problem.contains("100501"),
        "{}",
        report.breaches[0]
    );
}

#[actix_web::test]
async fn concurrent_inbound_payments_add_up_exactly() {
    let app = TestApp::new().await;
    let hot = app.operational_account("Hot").await;
    let mut spread = Vec::new();
    for n in 0..64 {
        spread.push(app.operational_account(&format!("Spread {n}")).await);
    }
    // 64 payments of 0.01 … 0.64 to one account, and one to each of 64 accounts, at once.
    let values: Vec<String> = (1..=64).map(|n| format!("0.{n:02}")).collect();
    // (More than 50 at once exceed the organization's requests in flight: those retry.)
    let to_one = values.iter().map(|v| app.inbound_retrying(&hot, v));
    let to_many = spread
        .iter()
        .zip(&values)
        .map(|(url, v)| app.inbound_retrying(url, v));
    let (one, many) = futures_util::future::join(
        futures_util::future::join_all(to_one),
        futures_util::future::join_all(to_many),
    )
    .await;
    for response in one.iter().chain(&many) {
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
    }
    // 1000.00 + (1 + 2 + … + 64) pence = 1000.00 + 20.80.
    assert_eq!(app.balances(&hot).await.0, "1020.80");
    for (url, value) in spread.iter().zip(&values) {
        let pence: i64 = value
            .trim_start_matches("0.")
            .parse()
            .unwrap_or_else(|e| panic!("{value}: {e}"));
        assert_eq!(app.balances(url).await.0, format!("1000.{pence:02}"));
    }
    let transactions = app.get(&format!("{hot}/transactions?page[size]=200")).await;
    assert_eq!(
        transactions.body["account-transactions"]
            .as_array()
            .map(Vec::len),
        Some(65)
    );
    app.assert_ledger_ok().await;
}

/// Writes that wait for the commit (store::Pending) are part of their transaction: when one
/// of them fails, nothing of the transaction is kept, neither the balance moved before it
/// nor the postings queued before it nor the events queued after it.
#[actix_web::test]
async fn a_failed_waiting_write_takes_its_whole_transaction_with_it() {
    use hyperbank::events::EventRow;
    use hyperbank::ids::{BankAccountId, EventId, OrganizationId};
    use hyperbank::ledger::{self, InternalAccount, Leg, Movement};
    use hyperbank::store::schema::events;

    let app = TestApp::new().await;
    let account = app.operational_account("Target").await;
    let before = transactions_of(&app, &account).await;
    let events_url = format!("{}/events?page[size]=200", app.organization_url);
    let events_before = app.get(&events_url).await.body["events"].clone();
    // An event that exists already: inserting it again breaks the events' primary key.
    let taken_id = EventId::parse(id_of(events_before.str_at("0/event-url"))).expect("an event id");

    let organization_id =
        OrganizationId::parse(id_of(&app.organization_url)).expect("an organization id");
    let account_id = BankAccountId::parse(id_of(&account)).expect("a bank account id");
    let mut tx = app.db.write().await.unwrap_or_else(|e| panic!("{e}"));
    let result = async {
        let mut conn = tx.conn();
        let movement = Movement {
            organization_id: &organization_id,
            origin_type: ledger::DEPOSIT,
            payment_id: None,
            reference: Some("never kept"),
            description: None,
            legs: vec![
                Leg::internal(InternalAccount::SandboxFunding, -500),
                Leg::bank(&account_id, 500),
            ],
        };
        ledger::post(&mut conn, &movement, hyperbank::time::now())
            .await
            .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
        conn.defer(diesel::insert_into(events::table).values(EventRow {
            id: taken_id.clone(),
            organization_id: organization_id.clone(),
            event_type: "payment-created".to_string(),
            payload: "{}".to_string(),
            created_at: hyperbank::time::now(),
        }))
    }
    .await;
    assert!(result.is_ok(), "{result:?}");
    let finished = tx.finish(result).await;
    assert!(
        finished
            .as_ref()
            .is_err_and(hyperbank::store::is_unique_violation),
        "{finished:?}"
    );

    assert_eq!(app.balances(&account).await.0, "1000.00");
    assert_eq!(transactions_of(&app, &account).await, before);
    assert_eq!(app.get(&events_url).await.body["events"], events_before);
    app.assert_ledger_ok().await;
}

async fn transactions_of(app: &TestApp, account: &str) -> Value {
    app.get(&format!("{account}/transactions?page[size]=200"))
        .await
        .body["account-transactions"]
        .clone()
}
