use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Json, Response, TestApp, id_of};

fn money(value: &str) -> Value {
    json!({"currency": "GBP", "value": value})
}

/// A creditor: an account of this server, by its URL.
fn to_account(account_url: impl serde::Serialize) -> Value {
    json!({"creditor-type": "griffin-bank-account", "account-url": account_url})
}

/// A creditor at another bank.
pub fn external() -> Value {
    json!({"creditor-type": "uk-domestic", "account-holder": "Ext Ltd",
           "account-number": "11112222", "bank-id": "203040"})
}

#[track_caller]
fn url_of(body: &Value, key: &str) -> String {
    body.string_at(key)
}

async fn payee(app: &TestApp, person: &str, number: &str, bank_id: &str) -> Value {
    let created = app
        .post(
            &format!("{person}/bank/payees"),
            json!({"account-holder": "Jane Doe", "account-number": number, "bank-id": bank_id}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body
}

/// A 422 with Griffin's title.
fn assert_refused(response: &Response, title: &str) {
    assert_eq!(
        response.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        response.body
    );
    assert_eq!(response.error_title(), title);
}

async fn transactions(app: &TestApp, account: &str) -> Vec<Value> {
    app.get(&format!("{account}/transactions?page[size]=200"))
        .await
        .body
        .array_at("account-transactions")
        .clone()
}

#[actix_web::test]
async fn payee_payment_submission_poll_and_transactions() {
    let app = TestApp::new().await;
    let customer = app.individual("Customer").await;
    let account = app
        .open_account(json!({"bank-product-type": "embedded-account", "owner-url": customer}))
        .await;
    let account_url = url_of(&account, "account-url");
    let payee = payee(&app, &customer, "12345678", "040004").await;
    assert_eq!(payee["payee-status"], "active");
    assert_eq!(payee["country-code"], "GB");
    assert_eq!(payee["legal-person-url"], json!(customer));
    assert!(payee.get("account-url").is_none());
    let payee_url = url_of(&payee, "payee-url");
    assert_eq!(app.get(&payee_url).await.body, payee);
    let listed = app.get(&format!("{customer}/bank/payees")).await;
    assert_eq!(listed.body["payees"], json!([payee]));

    let created = app
        .pay(
            &account_url,
            json!({"creditor-type": "payee", "payee-url": payee_url}),
            "123.45",
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let payment = created.body;
    assert_eq!(
        created
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok()),
        payment["payment-url"].as_str()
    );
    assert_eq!(payment["payment-direction"], "outbound-payment");
    assert_eq!(payment["payment-amount"], money("123.45"));
    assert_eq!(payment["payment-reference"], "Sent from Customer");
    assert_eq!(payment["creditor"]["creditor-type"], "uk-domestic");
    assert_eq!(payment["creditor"]["account-number"], "12345678");
    assert_eq!(payment["debtor"]["account-url"], json!(account_url));
    assert_eq!(payment["created-by-url"], json!(app.user_url));
    assert!(payment.get("latest-submission-url").is_none());
    let payment_url = url_of(&payment, "payment-url");
    // Creating moves no money.
    assert_eq!(app.balances(&account_url).await.0, "1000.00");

    let submitted = app.submit(&payment_url, "fps").await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    let submission = submitted.body;
    assert_eq!(submission["submission-status"], "processing");
    assert_eq!(submission["payment-url"], json!(payment_url));
    assert_eq!(
        submission["submission-scheme-information"]["payment-scheme"],
        "fps"
    );
    // The money left at once.
    assert_eq!(
        app.balances(&account_url).await,
        ("876.55".into(), "876.55".into())
    );
    let polled = app.get(&payment_url).await;
    let latest = url_of(&polled.body, "latest-submission-url");
    assert_eq!(latest, url_of(&submission, "submission-url"));
    assert_eq!(
        app.get(&latest).await.body["submission-status"],
        "processing"
    );
    // The worker delivers it.
    assert_eq!(app.run_worker().await, 1);
    let delivered = app.get(&latest).await;
    assert_eq!(delivered.body["submission-status"], "delivered");
    let list = app.get(&format!("{payment_url}/submissions")).await;
    assert_eq!(list.body["submissions"], json!([delivered.body]));
    let by_account = app
        .get(&format!(
            "{account_url}/submissions?filter[submission-status][in][]=delivered"
        ))
        .await;
    assert_eq!(by_account.body["submissions"], json!([delivered.body]));

    let history = transactions(&app, &account_url).await;
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["balance-change"], money("123.45"));
    assert_eq!(history[0]["balance-change-direction"], "debit");
    assert_eq!(history[0]["account-balance"], money("876.55"));
    assert_eq!(history[0]["payment-url"], json!(payment_url));
    assert_eq!(history[0]["reference"], "Sent from Customer");
    let to_payee = app.get(&format!("{payee_url}/payments")).await;
    assert_eq!(
        to_payee.body["payments"][0]["payment-url"],
        json!(payment_url)
    );

    let events = app
        .get(&format!("{}/events?sort=created-at", app.organization_url))
        .await;
    let types: Vec<String> = events
        .body
        .strs_at("events", "event-type")
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        types[types.len() - 4..],
        [
            "payment-created",
            "transaction-created",
            "submission-created",
            "submission-updated"
        ]
    );
    // Each event carries the resource as it was then.
    let last: Vec<Value> = events
        .body
        .array_at("events")
        .clone()
        .split_off(types.len() - 4);
    assert_eq!(last[0]["event-payload"]["payment-url"], json!(payment_url));
    assert_eq!(last[0]["event-payload"]["payment-amount"], money("123.45"));
    assert_eq!(last[1]["event-payload"]["account-url"], json!(account_url));
    assert_eq!(last[1]["event-payload"]["balance-change"], money("123.45"));
    for (event, status) in [(&last[2], "processing"), (&last[3], "delivered")] {
        assert_eq!(event["event-payload"]["payment-url"], json!(payment_url));
        assert_eq!(event["event-payload"]["submission-status"], status);
        assert!(
            url_of(&event["event-payload"], "submission-url").starts_with("/v0/submissions/ps.")
        );
    }
    app.assert_ledger_ok().await;
}

#[actix_web::test]
async fn a_book_transfer_moves_money_between_two_accounts_in_one_entry() {
    let app = TestApp::new().await;
    let from = app.operational_account("From").await;
    let to = app.operational_account("To").await;
    let payment = app.pay(&from, to_account(&to), "250.00").await;
    assert_eq!(payment.status, StatusCode::CREATED, "{}", payment.body);
    assert_eq!(payment.body["creditor"], to_account(&to));
    let submitted = app
        .submit(&url_of(&payment.body, "payment-url"), "book-transfer")
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    assert_eq!(submitted.body["submission-status"], "delivered");
    assert_eq!(
        submitted.body["submission-scheme-information"]["payment-scheme"],
        "book-transfer"
    );
    assert_eq!(app.balances(&from).await.0, "750.00");
    assert_eq!(app.balances(&to).await.0, "1250.00");
    // The creditor's side: an inbound payment, its admission, the credit.
    let inbound = app
        .get(&format!(
            "{to}/payments?filter[payment-direction][eq]=inbound-payment"
        ))
        .await;
    let inbound = inbound.body["payments"][0].clone();
    assert_eq!(inbound["payment-amount"], money("250.00"));
    assert_eq!(inbound["debtor"]["account-url"], json!(from));
    let admissions = app.get(&format!("{to}/admissions")).await;
    assert_eq!(
        admissions.body["admissions"][0]["admission-status"],
        "delivered"
    );
    assert_eq!(
        admissions.body["admissions"][0]["admission-scheme-information"]["payment-scheme"],
        "book-transfer"
    );
    let credit = &transactions(&app, &to).await[0];
    assert_eq!(credit["balance-change-direction"], "credit");
    assert_eq!(credit["account-balance"], money("1250.00"));
    assert_eq!(credit["payment-url"], inbound["payment-url"]);
    let debit = &transactions(&app, &from).await[0];
    assert_eq!(debit["balance-change-direction"], "debit");
    assert_eq!(debit["account-balance"], money("750.00"));
    assert_eq!(debit["payment-url"], payment.body["payment-url"]);
    // Nothing for the worker: a book transfer is delivered at once.
    assert_eq!(app.run_worker().await, 0);
    // A payee whose details are one of our accounts gets its account-url, and fps to it
    // arrives there when delivered.
    let person = app.individual("Payer").await;
    let number = app
        .get(&to)
        .await
        .body
        .string_at("bank-addresses/0/account-number");
    let own = payee(&app, &person, &number, "000000").await;
    assert_eq!(own["account-url"], json!(to));
    let fps = app
        .pay(
            &from,
            json!({"creditor-type": "payee", "payee-url": own["payee-url"]}),
            "50.00",
        )
        .await;
    let payment_url = url_of(&fps.body, "payment-url");
    assert_eq!(app.submit(&payment_url, "fps").await.status, StatusCode::OK);
    assert_eq!(app.balances(&to).await.0, "1250.00");
    assert_eq!(app.run_worker().await, 1);
    assert_eq!(app.balances(&from).await.0, "700.00");
    assert_eq!(app.balances(&to).await.0, "1300.00");
    // The same payee paid by book transfer, as a client does it: submit, poll the payment's
    // latest submission, read both sides' transactions.
    let book = app
        .pay(
            &from,
            json!({"creditor-type": "payee", "payee-url": own["payee-url"]}),
            "25.50",
        )
        .await;
    let book_url = url_of(&book.body, "payment-url");
    let submitted = app.submit(&book_url, "book-transfer").await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    let latest = url_of(&app.get(&book_url).await.body, "latest-submission-url");
    assert_eq!(json!(latest), submitted.body["submission-url"]);
    assert_eq!(
        app.get(&latest).await.body["submission-status"],
        "delivered"
    );
    assert_eq!(app.balances(&from).await.0, "674.50");
    assert_eq!(app.balances(&to).await.0, "1325.50");
    let debit = &transactions(&app, &from).await[0];
    assert_eq!(
        (&debit["balance-change"], &debit["balance-change-direction"]),
        (&money("25.50"), &json!("debit"))
    );
    assert_eq!(debit["account-balance"], money("674.50"));
    assert_eq!(debit["payment-url"], json!(book_url));
    let credit = &transactions(&app, &to).await[0];
    assert_eq!(
        (
            &credit["balance-change"],
            &credit["balance-change-direction"]
        ),
        (&money("25.50"), &json!("credit"))
    );
    assert_eq!(credit["account-balance"], money("1325.50"));
    assert_eq!(app.run_worker().await, 0);
    app.assert_ledger_ok().await;
}

#[actix_web::test]
async fn submissions_are_refused_with_griffins_titles() {
    let app = TestApp::new().await;
    let from = app.operational_account("From").await;
    let to = app.operational_account("To").await;
    let external = external();
    let submit_new = |value: &'static str, scheme: &'static str, creditor: Value| {
        let app = &app;
        let from = from.clone();
        async move {
            let created = app.pay(&from, creditor, value).await;
            assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
            let url = url_of(&created.body, "payment-url");
            (url.clone(), app.submit(&url, scheme).await)
        }
    };
    // Against the available balance: a hold counts.
    let held = app
        .post(
            &format!("/v0/simulation/bank/accounts/{}/holds", id_of(&from)),
            json!({"amount": money("900.00")}),
        )
        .await;
    assert_eq!(held.status, StatusCode::CREATED);
    let (_, refused) = submit_new("100.01", "fps", external.clone()).await;
    assert_refused(&refused, "insufficient-funds");
    let (paid, ok) = submit_new("100.00", "fps", external.clone()).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(app.balances(&from).await, ("900.00".into(), "0.00".into()));
    // Twice is refused.
    let again = app.submit(&paid, "fps").await;
    assert_refused(&again, "payment-already-submitted");
    assert_eq!(app.balances(&from).await, ("900.00".into(), "0.00".into()));
    let hold_url = url_of(&held.body, "hold-url");
    app.post(
        &format!(
            "/v0/simulation/bank/holds/{}/actions/release",
            id_of(&hold_url)
        ),
        json!({}),
    )
    .await;

    // Book transfers only to this organization's accounts.
    let (_, their_account) = app.other_organization_account().await;
    let their_account = their_account["account-url"].clone();
    let (_, mixed) = submit_new("1.00", "book-transfer", to_account(&their_account)).await;
    assert_refused(&mixed, "mixed-organizations");
    assert_eq!(app.balances(&from).await.0, "900.00", "no money moved");
    let (_, external_book) = submit_new("1.00", "book-transfer", external.clone()).await;
    assert_refused(&external_book, "book-transfer-not-possible");
    // Paying oneself.
    let own = app.pay(&from, to_account(&from), "1.00").await;
    assert_refused(&own, "same-debtor-and-beneficiary");

    // A frozen account cannot send; a closed creditor cannot receive.
    let freeze = app
        .post(
            &format!("{from}/restrictions"),
            json!({"restriction-type": "freeze", "restriction-reason-code": "other",
                     "restriction-legal-status": "not-applicable", "notes": "x"}),
        )
        .await;
    let (frozen_payment, frozen) = submit_new("1.00", "fps", external.clone()).await;
    assert_refused(&frozen, "account-restricted");
    let restriction = url_of(&freeze.body, "bank-account-restriction-url");
    app.post(
        &format!("{restriction}/actions/lift"),
        json!({"notes": "ok"}),
    )
    .await;
    // The refused submission left the payment unsubmitted: it can go now.
    assert_eq!(
        app.submit(&frozen_payment, "fps").await.status,
        StatusCode::OK
    );
    let to_pay = app.pay(&from, to_account(&to), "1.00").await;
    app.post(&format!("{to}/actions/close"), json!({})).await;
    let closing = app
        .submit(&url_of(&to_pay.body, "payment-url"), "book-transfer")
        .await;
    assert_refused(&closing, "bank-account-closing");

    // A deactivated payee cannot be paid.
    let person = app.individual("P").await;
    let payee = payee(&app, &person, "33334444", "102030").await;
    let payee_url = url_of(&payee, "payee-url");
    let to_payee = app
        .pay(
            &from,
            json!({"creditor-type": "payee", "payee-url": payee_url}),
            "1.00",
        )
        .await;
    let deactivated = app
        .admin(
            Method::PATCH,
            &payee_url,
            Some(json!({"payee-status": "deactivated"})),
        )
        .await;
    assert_eq!(deactivated.status, StatusCode::OK);
    assert_eq!(deactivated.body["payee-status"], "deactivated");
    let twice = app
        .admin(
            Method::PATCH,
            &payee_url,
            Some(json!({"payee-status": "deactivated"})),
        )
        .await;
    assert_refused(&twice, "payee-already-deactivated");
    // `null` is not "left out": a 400 at the field, not a silent no-op.
    for field in ["payee-status", "cop-request-url"] {
        let null = app
            .admin(Method::PATCH, &payee_url, Some(json!({field: null})))
            .await;
        assert_eq!(
            null.status,
            StatusCode::BAD_REQUEST,
            "{field}: {}",
            null.body
        );
        assert_eq!(null.error_pointer(), Some(format!("/{field}").as_str()));
    }
    let refused = app
        .submit(&url_of(&to_payee.body, "payment-url"), "fps")
        .await;
    assert_refused(&refused, "payee-deactivated");
    let refused = app
        .pay(
            &from,
            json!({"creditor-type": "payee", "payee-url": payee_url}),
            "1.00",
        )
        .await;
    assert_refused(&refused, "payee-deactivated");

    // Bad bodies are 400s with pointers.
    for (body, pointer) in [
        (
            json!({"creditor": external, "payment-amount": money("0.00")}),
            "/payment-amount/value",
        ),
        (
            json!({"creditor": external, "payment-amount": money("1.00"),
                "payment-reference": "r".repeat(36)}),
            "/payment-reference",
        ),
        (
            json!({"creditor": {"creditor-type": "uk-domestic", "account-holder": "X",
                             "account-number": "1234", "bank-id": "203040"},
                "payment-amount": money("1.00")}),
            "/creditor/account-number",
        ),
        (json!({"payment-amount": money("1.00")}), "/creditor"),
    ] {
        let response = app.post(&format!("{from}/payments"), body.clone()).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.error_pointer(), Some(pointer), "{body}");
    }
    let bad_scheme = app.submit(&paid, "chaps").await;
    assert_eq!(bad_scheme.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_scheme.error_pointer(), Some("/payment-scheme"));
    app.run_worker().await;
    app.assert_ledger_ok().await;
}

#[actix_web::test]
async fn rejected_payments_are_gone_and_roles_decide_who_submits() {
    let app = TestApp::new().await;
    let from = app.operational_account("From").await;
    let external = external();
    let created = app.pay(&from, external.clone(), "5.00").await;
    let payment_url = url_of(&created.body, "payment-url");
    let rejected = app
        .admin(
            Method::PATCH,
            &payment_url,
            Some(json!({"rejection-reason": "Wrong amount"})),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::NO_CONTENT);
    let shown = app.get(&payment_url).await;
    assert_eq!(shown.body["rejection-reason"], "Wrong amount");
    assert_eq!(shown.body["rejected-by-url"], json!(app.user_url));
    assert!(shown.body["rejected-at"].is_string());
    let again = app
        .admin(
            Method::PATCH,
            &payment_url,
            Some(json!({"rejection-reason": "Again"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let gone = app.submit(&payment_url, "fps").await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert_eq!(gone.error_title(), "payment-rejected");
    let listed = app
        .get(&format!(
            "{from}/payments?filter[rejected][eq]=true&include=rejected-by"
        ))
        .await;
    assert_eq!(listed.body["payments"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        listed.body["included"]["users"][0]["user-url"],
        json!(app.user_url)
    );

    // Request payments creates; it cannot submit, even its own.
    let requester = app
        .member(
            "requester@example.com",
            &[app.role_url("Request payments").await],
        )
        .await;
    let approver = app
        .member(
            "approver@example.com",
            &[app.role_url("Approve payments").await],
        )
        .await;
    let requested = app
        .call(
            Method::POST,
            &format!("{from}/payments"),
            Some(&requester.key_auth()),
            Some(json!({"creditor": external, "payment-amount": money("7.00")})),
        )
        .await;
    assert_eq!(requested.status, StatusCode::CREATED, "{}", requested.body);
    let requested_url = url_of(&requested.body, "payment-url");
    let submit = |auth: String, url: String| {
        let app = &app;
        async move {
            app.call(
                Method::POST,
                &format!("{url}/submissions"),
                Some(&auth),
                Some(json!({"payment-scheme": "fps"})),
            )
            .await
        }
    };
    let own = submit(requester.key_auth(), requested_url.clone()).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    let approved = submit(approver.key_auth(), requested_url.clone()).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    // The submission names who submitted it: the approver, not the payment's creator.
    let submitter = url_of(&approved.body, "created-by-url");
    assert!(submitter.starts_with("/v0/users/ur."));
    assert_ne!(submitter, requested.body.str_at("created-by-url"));
    // An approver cannot create payments, nor a Team member submit.
    let not_creator = app
        .call(
            Method::POST,
            &format!("{from}/payments"),
            Some(&approver.key_auth()),
            Some(json!({"creditor": external, "payment-amount": money("7.00")})),
        )
        .await;
    assert_eq!(not_creator.status, StatusCode::FORBIDDEN);
    assert_eq!(app.balances(&from).await.0, "993.00");

    // Lists: filters and side-loads.
    let base = format!("{}/payments", app.organization_url);
    let unsubmitted = app
        .get(&format!(
            "{base}?filter[latest-submission-status][in][]=null"
        ))
        .await;
    assert_eq!(
        unsubmitted.body["payments"].as_array().map(Vec::len),
        Some(1)
    );
    let processing = app
        .get(&format!("{base}?filter[latest-submission-status][in][]=processing&include=latest-submission&include=bank-account&include=created-by"))
        .await;
    assert_eq!(processing.status, StatusCode::OK, "{}", processing.body);
    assert_eq!(
        processing.body["payments"][0]["payment-url"],
        json!(requested_url)
    );
    assert_eq!(
        processing.body["included"]["submissions"][0]["submission-status"],
        "processing"
    );
    // Griffin's key for the side-loaded accounts is `accounts`.
    assert_eq!(
        processing.body["included"]["accounts"][0]["account-url"],
        json!(from)
    );
    assert!(processing.body["included"].get("bank-accounts").is_none());
    assert_eq!(
        processing.body["included"]["users"][0]["user-email"],
        "requester@example.com"
    );
    // Who submitted it: the approver.
    let submitted_by = app
        .get(&format!(
            "{base}?filter[latest-submission-status][in][]=processing&include=latest-submission.created-by"
        ))
        .await;
    assert_eq!(
        submitted_by.body["included"]["users"][0]["user-email"],
        "approver@example.com"
    );
    // Created-at windows: everything so far is after the first payment was created.
    let since = app
        .get(&format!(
            "{base}?filter[created-at][gte]={}",
            created.body.str_at("created-at")
        ))
        .await;
    assert_eq!(since.body["payments"].as_array().map(Vec::len), Some(2));
    let before = app
        .get(&format!(
            "{base}?filter[created-at][lt]={}",
            created.body.str_at("created-at")
        ))
        .await;
    assert_eq!(before.body["payments"], json!([]));
    let outbound = app
        .get(&format!(
            "{base}?filter[payment-direction][eq]=outbound-payment"
        ))
        .await;
    assert_eq!(outbound.body["payments"].as_array().map(Vec::len), Some(2));
    for (query, parameter) in [
        (
            "filter[payment-direction][eq]=sideways",
            "filter[payment-direction][eq]",
        ),
        (
            "filter[latest-submission-status][in][]=lost",
            "filter[latest-submission-status][in][]",
        ),
        ("filter[created-at][gte]=then", "filter[created-at][gte]"),
        ("include=payee", "include"),
    ] {
        let response = app.get(&format!("{base}?{query}")).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(response.error_parameter(), Some(parameter), "{query}");
    }
    // Search by reference, and by the scheme's identifier.
    let search = format!("{}/payments/search", app.organization_url);
    let by_reference = app
        .post(&search, json!({"search-query": "sent FROM"}))
        .await;
    assert_eq!(
        by_reference.body["search-results"].as_array().map(Vec::len),
        Some(2)
    );
    let scheme_id = approved.body["unique-scheme-identifier"].clone();
    let by_scheme = app.post(&search, json!({"search-query": scheme_id})).await;
    assert_eq!(
        by_scheme.body["search-results"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        by_scheme.body["search-results"][0]["payment-url"],
        json!(requested_url)
    );
    // Side-loads under Griffin's keys: `accounts`, `submissions`, `users`.
    let included = app
        .post(
            &format!(
                "{search}?include=bank-account&include[]=latest-submission&include=created-by"
            ),
            json!({"search-query": scheme_id}),
        )
        .await;
    assert_eq!(included.status, StatusCode::OK, "{}", included.body);
    let keys: Vec<&String> = included.body["included"]
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["accounts", "submissions", "users"]);
    assert_eq!(
        included.body["included"]["accounts"][0]["account-url"],
        json!(from)
    );
    let nothing = app
        .post(&search, json!({"search-query": "no such reference"}))
        .await;
    assert_eq!(nothing.body["search-results"], json!([]));
    assert_eq!(nothing.body["meta"]["page"]["total"], 0);
}

#[actix_web::test]
async fn idempotency_keys_make_retries_safe() {
    let app = TestApp::new().await;
    let from = app.operational_account("From").await;
    let body = json!({"creditor": {"creditor-type": "uk-domestic", "account-holder": "Ext Ltd",
                                   "account-number": "11112222", "bank-id": "203040"},
                      "payment-amount": money("10.00")});
    let url = format!("{from}/payments");
    // 20 concurrent retries of one creation: one payment, one answer.
    let attempts = (0..20).map(|_| app.post_idempotent(&url, "create-1", body.clone()));
    let answers = futures_util::future::join_all(attempts).await;
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        assert_eq!(answer.body, answers[0].body);
        assert_eq!(answer.header("location"), answers[0].header("location"));
    }
    let listed = app.get(&url).await;
    assert_eq!(listed.body["payments"].as_array().map(Vec::len), Some(1));
    // The same key with another body is refused; another key is another payment.
    let mut other = body.clone();
    other["payment-amount"] = money("11.00");
    let reused = app.post_idempotent(&url, "create-1", other.clone()).await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reused.error_title(), "idempotency-key-reused");
    assert_eq!(
        app.post_idempotent(&url, "create-2", other).await.status,
        StatusCode::CREATED
    );
    // Keys are per organization.
    let (other_org, their_account) = app.other_organization_account().await;
    let their_url = format!("{}/payments", their_account.str_at("account-url"));
    let theirs = app
        .call(
            Method::POST,
            &their_url,
            Some(&format!("GriffinAPIKey {}", other_org.secret.as_str())),
            Some(body.clone()),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED);

    // A retried submission pays once.
    let payment_url = url_of(&answers[0].body, "payment-url");
    let submit_url = format!("{payment_url}/submissions");
    let first = app
        .post_idempotent(&submit_url, "submit-1", json!({"payment-scheme": "fps"}))
        .await;
    let retry = app
        .post_idempotent(&submit_url, "submit-1", json!({"payment-scheme": "fps"}))
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.body, first.body);
    assert_eq!(app.balances(&from).await.0, "990.00");
    // A refused attempt stores nothing: the same key can try again once the money is there.
    let big = app
        .pay(
            &from,
            json!({"creditor-type": "uk-domestic", "account-holder": "Ext Ltd",
                                    "account-number": "11112222", "bank-id": "203040"}),
            "995.00",
        )
        .await;
    let big_submit = format!("{}/submissions", url_of(&big.body, "payment-url"));
    let short = app
        .post_idempotent(&big_submit, "submit-2", json!({"payment-scheme": "fps"}))
        .await;
    assert_eq!(short.error_title(), "insufficient-funds");
    assert_eq!(app.inbound(&from, "5.00").await.status, StatusCode::CREATED);
    let funded = app
        .post_idempotent(&big_submit, "submit-2", json!({"payment-scheme": "fps"}))
        .await;
    assert_eq!(funded.status, StatusCode::OK, "{}", funded.body);
    assert_eq!(app.balances(&from).await.0, "0.00");
    let bad_key = app
        .post_idempotent(&big_submit, "not a key", json!({"payment-scheme": "fps"}))
        .await;
    assert_eq!(bad_key.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_key.error_parameter(), Some("Idempotency-Key"));
    app.assert_ledger_ok().await;
}

#[actix_web::test]
async fn a_hundred_concurrent_submissions_spend_exactly_what_is_there() {
    let app = TestApp::new().await;
    let from = app.operational_account("From").await;
    let external = external();
    let mut payments = Vec::new();
    for _ in 0..100 {
        let created = app.pay(&from, external.clone(), "30.00").await;
        assert_eq!(created.status, StatusCode::CREATED);
        payments.push(url_of(&created.body, "payment-url"));
    }
    // Each client retries a 429 (too many in flight) with the same key until it gets an
    // answer.
    let attempts = payments.iter().enumerate().map(|(n, url)| {
        let app = &app;
        async move {
            loop {
                let response = app
                    .post_idempotent(
                        &format!("{url}/submissions"),
                        &format!("k{n}"),
                        json!({"payment-scheme": "fps"}),
                    )
                    .await;
                if response.status != StatusCode::TOO_MANY_REQUESTS {
                    return response;
                }
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let succeeded = answers
        .iter()
        .filter(|a| a.status == StatusCode::OK)
        .count();
    let refused = answers
        .iter()
        .filter(|a| {
            a.status == StatusCode::UNPROCESSABLE_ENTITY && a.error_title() == "insufficient-funds"
        })
        .count();
    assert_eq!((succeeded, refused), (33, 67));
    assert_eq!(app.balances(&from).await, ("10.00".into(), "10.00".into()));
    // The 33 are delivered, once each; the refused stay unsubmitted.
    app.run_worker().await;
    let submissions = app.get(&format!("{from}/submissions?page[size]=200")).await;
    let statuses = submissions.body.strs_at("submissions", "submission-status");
    assert_eq!(statuses, vec!["delivered"; 33], "{}", submissions.body);
    let unsubmitted = app
        .get(&format!(
            "{from}/payments?filter[latest-submission-status][in][]=null&page[size]=200"
        ))
        .await;
    assert_eq!(
        unsubmitted.body["payments"].as_array().map(Vec::len),
        Some(67)
    );
    assert_eq!(app.balances(&from).await.0, "10.00");
    app.assert_ledger_ok().await;
}

#[actix_web::test]
async fn too_many_submissions_from_one_account_are_429() {
    let app = TestApp::new().await;
    let from = app.operational_account("From").await;
    let created = app
        .pay(
            &from,
            json!({"creditor-type": "uk-domestic", "account-holder": "Ext Ltd",
                           "account-number": "11112222", "bank-id": "203040"}),
            "1.00",
        )
        .await;
    let payment_url = url_of(&created.body, "payment-url");
    // Three submissions from this account are in flight.
    let limits = &app.state().limits;
    let held: Vec<_> = (0..3)
        .map(|_| limits.submission(id_of(&from)))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}", e.detail));
    let refused = app.submit(&payment_url, "fps").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.error_title(), "too-many-submissions");
    drop(held);
    assert_eq!(app.submit(&payment_url, "fps").await.status, StatusCode::OK);
    // Fifty requests of the organization are in flight.
    let organization = id_of(&app.organization_url).to_string();
    let busy: Vec<_> = (0..50)
        .map(|_| limits.organization(&organization))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}", e.detail));
    let refused = app.get(&from).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.error_title(), "too-many-requests");
    drop(busy);
    assert_eq!(app.get(&from).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn confirmation_of_payee_answers_deterministically() {
    let app = TestApp::new().await;
    let person = app.individual("Requester").await;
    let to = app.operational_account("Holder").await;
    let number = app.get(&to).await.body["bank-addresses"][0]["account-number"].clone();
    let holder = app.get(&app.organization_url).await.body["display-name"].clone();
    let url = format!("{}/cop-request", app.organization_url);
    let ask = |name: Value, number: Value, bank_id: &'static str| {
        let app = &app;
        let url = url.clone();
        let person = person.clone();
        async move {
            app.post(
                &url,
                json!({"account-number": number, "bank-id": bank_id,
                                  "account-classification": "business", "name": name,
                                  "requester-legal-person-url": person}),
            )
            .await
        }
    };
    let exact = ask(holder.clone(), number.clone(), "000000").await;
    assert_eq!(exact.status, StatusCode::CREATED, "{}", exact.body);
    assert_eq!(
        exact.body["cop-response"],
        json!({"status": "verified", "result": "match"})
    );
    assert_eq!(exact.body["account"]["name"], holder);
    let partial = holder.as_str().expect("the holder's name")[..4].to_string();
    let close = ask(json!(partial), number.clone(), "000000").await;
    assert_eq!(close.body["cop-response"]["result"], "close-match");
    assert_eq!(close.body["cop-response"]["suggested-name"], holder);
    let none = ask(json!("Somebody Else"), number.clone(), "000000").await;
    assert_eq!(none.body["cop-response"]["result"], "no-match");
    let external = ask(json!("Jane Doe"), json!("12345678"), "040004").await;
    assert_eq!(external.body["cop-response"]["result"], "match");
    let external = ask(json!("No match Jane"), json!("12345678"), "040004").await;
    assert_eq!(external.body["cop-response"]["result"], "no-match");
    let cop_url = url_of(&exact.body, "cop-request-url");
    assert_eq!(app.get(&cop_url).await.body, exact.body);
    // A payee can carry its CoP request.
    let created = app
        .post(
            &format!("{person}/bank/payees"),
            json!({"account-holder": "Jane Doe", "account-number": "12345678",
                     "bank-id": "040004", "cop-request-url": cop_url}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["cop-request-url"], json!(cop_url));
    let listed = app
        .get(&format!("{person}/bank/payees?include=cop-requests"))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.body["included"]["cop-requests"], json!([exact.body]));
    // A CoP request can also be attached later; another organization's cannot.
    let later = ask(json!("Jane Doe"), json!("12345678"), "040004").await;
    let payee_url = url_of(&created.body, "payee-url");
    let attached = app
        .admin(
            Method::PATCH,
            &payee_url,
            Some(json!({"cop-request-url": later.body["cop-request-url"]})),
        )
        .await;
    assert_eq!(attached.status, StatusCode::OK, "{}", attached.body);
    assert_eq!(
        attached.body["cop-request-url"],
        later.body["cop-request-url"]
    );
    assert_eq!(attached.body["payee-status"], "active");
    let unknown_cop = app
        .admin(
            Method::PATCH,
            &payee_url,
            Some(json!({"cop-request-url": "/v0/cop-request/cp.AAAAAAAAAAAAAAAAAAAAAA"})),
        )
        .await;
    assert_eq!(unknown_cop.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown_cop.error_title(), "cop-request-not-found");
    let duplicate = app
        .post(&format!("{person}/bank/payees"),
              json!({"account-holder": "Jane Doe", "account-number": "12345678", "bank-id": "040004"}))
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert_eq!(duplicate.error_title(), "payee-already-exists");
    // The simulation answers with the outcome asked for: (type, status, result, reason).
    let simulate_url = |kind: &str| {
        format!(
            "/v0/simulation/organizations/{}/cop-request/simulate/{kind}",
            id_of(&app.organization_url)
        )
    };
    let asked = json!({"account-number": "12345678", "bank-id": "040004",
                       "account-classification": "personal", "name": "Jane",
                       "requester-legal-person-url": person});
    for (kind, status, result, reason) in [
        ("full-match", "verified", "match", None),
        (
            "close-match-name",
            "unverified",
            "close-match",
            Some("close-match-name"),
        ),
        (
            "close-match-name-business-personal",
            "unverified",
            "close-match",
            Some("close-match-name-business-personal"),
        ),
        (
            "close-match-name-personal-business",
            "unverified",
            "close-match",
            Some("close-match-name-personal-business"),
        ),
        (
            "match-name-business-personal",
            "unverified",
            "match",
            Some("match-name-business-personal"),
        ),
        (
            "match-name-personal-business",
            "unverified",
            "match",
            Some("match-name-personal-business"),
        ),
        (
            "no-match-name",
            "unverified",
            "no-match",
            Some("no-match-name"),
        ),
        (
            "no-match-secondary-ref",
            "unverified",
            "no-match",
            Some("no-match-secondary-ref"),
        ),
        (
            "account-switched",
            "unverified",
            "no-match",
            Some("account-switched"),
        ),
        (
            "account-not-found",
            "unverified",
            "no-match",
            Some("no-match-name"),
        ),
        (
            "account-not-supported",
            "unverified",
            "no-match",
            Some("account-not-supported"),
        ),
    ] {
        let simulated = app.post(&simulate_url(kind), asked.clone()).await;
        assert_eq!(
            simulated.status,
            StatusCode::CREATED,
            "{kind}: {}",
            simulated.body
        );
        let answer = &simulated.body["cop-response"];
        assert_eq!(answer["status"], status, "{kind}");
        assert_eq!(answer["result"], result, "{kind}");
        assert_eq!(answer["reason"].as_str(), reason, "{kind}");
        let suggested = answer["suggested-name"].as_str();
        assert_eq!(
            suggested,
            (result == "close-match").then_some("Jane"),
            "{kind}"
        );
    }
    // Simulations are for test-mode organizations only.
    app.set_organization_mode("live-mode").await;
    let live = app.post(&simulate_url("full-match"), asked.clone()).await;
    assert_refused(&live, "simulation-not-available");
    // ... while the sandbox's own answer works in any mode.
    let real = app
        .post(&format!("{}/cop-request", app.organization_url), asked)
        .await;
    assert_eq!(real.status, StatusCode::CREATED, "{}", real.body);
    app.set_organization_mode("test-mode").await;
    let unknown = app
        .post(
            &format!(
                "/v0/simulation/organizations/{}/cop-request/simulate/perhaps",
                id_of(&app.organization_url)
            ),
            json!({"account-number": "12345678", "bank-id": "040004",
                     "account-classification": "personal", "name": "Jane",
                     "requester-legal-person-url": person}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let bad = ask(json!("Jane"), json!("1234"), "040004").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_pointer(), Some("/account-number"));
}

#[actix_web::test]
async fn fps_to_this_banks_accounts_arrives_or_comes_back() {
    let app = TestApp::new().await;
    let from = app.operational_account("From").await;
    // Another organization's account, named by its details: credited when delivered.
    let (other, their_account) = app.other_organization_account().await;
    let number = their_account["bank-addresses"][0]["account-number"].clone();
    let paid = app
        .pay(
            &from,
            json!({"creditor-type": "uk-domestic", "account-holder": "Other Ltd",
                           "account-number": number, "bank-id": "000000"}),
            "40.00",
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.body);
    assert_eq!(
        paid.body["creditor"]["account-url"],
        their_account["account-url"]
    );
    let payment_url = url_of(&paid.body, "payment-url");
    assert_eq!(app.submit(&payment_url, "fps").await.status, StatusCode::OK);
    assert_eq!(app.run_worker().await, 1);
    let their_url = their_account.str_at("account-url");
    let shown = app.get_as(other.secret.as_str(), their_url).await;
    assert_eq!(shown.body["account-balance"]["value"], "1040.00");
    // A creditor that cannot receive (blocked) sends it back: returned, and refunded.
    let blocked = app.operational_account("Blocked").await;
    app.post(
        &format!("{blocked}/restrictions"),
        json!({"restriction-type": "block", "restriction-reason-code": "other",
                    "restriction-legal-status": "not-applicable", "notes": "x"}),
    )
    .await;
    let to_blocked = app.pay(&from, to_account(&blocked), "25.00").await;
    let to_blocked_url = url_of(&to_blocked.body, "payment-url");
    let submitted = app.submit(&to_blocked_url, "fps").await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    assert_eq!(app.balances(&from).await.0, "935.00");
    assert_eq!(app.run_worker().await, 1);
    let returned = app.get(&url_of(&submitted.body, "submission-url")).await;
    assert_eq!(returned.body["submission-status"], "returned");
    assert_eq!(app.balances(&from).await.0, "960.00");
    assert_eq!(app.balances(&blocked).await.0, "1000.00");
    // Faster Payments carry at most 1,000,000.00; no amount is over 10 billion.
    assert_eq!(
        app.inbound(&from, "2000000.00").await.status,
        StatusCode::CREATED
    );
    let big = app
        .pay(
            &from,
            json!({"creditor-type": "uk-domestic", "account-holder": "Ext Ltd",
                           "account-number": "11112222", "bank-id": "203040"}),
            "1000000.01",
        )
        .await;
    let refused = app.submit(&url_of(&big.body, "payment-url"), "fps").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error_title(), "payment-amount-exceeds-scheme-limit");
    let huge = app
        .pay(
            &from,
            json!({"creditor-type": "uk-domestic", "account-holder": "Ext Ltd",
                           "account-number": "11112222", "bank-id": "203040"}),
            "10000000000.01",
        )
        .await;
    assert_eq!(huge.status, StatusCode::BAD_REQUEST);
    assert_eq!(huge.error_pointer(), Some("/payment-amount/value"));
    app.assert_ledger_ok().await;
}

#[actix_web::test]
async fn one_worker_pass_delivers_every_due_fps_submission_once() {
    let app = TestApp::new().await;
    let from = app.operational_account("From").await;
    let to = app.operational_account("To").await;
    // Three to another bank (delivered together) and one to an account of this bank
    // (delivered with its credit, in a transaction of its own).
    let elsewhere = |number: &str| {
        json!({"creditor-type": "uk-domestic", "account-holder": "Ext Ltd",
               "account-number": number, "bank-id": "203040"})
    };
    let mut submissions = Vec::new();
    for (creditor, value) in [
        (elsewhere("11112222"), "1.00"),
        (elsewhere("11112223"), "2.00"),
        (elsewhere("11112224"), "3.00"),
        (to_account(&to), "4.00"),
    ] {
        let paid = app.pay(&from, creditor, value).await;
        assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.body);
        let submitted = app.submit(&url_of(&paid.body, "payment-url"), "fps").await;
        assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
        submissions.push(url_of(&submitted.body, "submission-url"));
    }
    assert_eq!(app.balances(&from).await.0, "990.00");

    assert_eq!(app.run_worker().await, 4);
    assert_eq!(app.run_worker().await, 0, "nothing is delivered twice");
    for url in &submissions {
        assert_eq!(app.get(url).await.body["submission-status"], "delivered");
    }
    // Each payment's latest status moved with its submission.
    let delivered = app
        .get(&format!(
            "{from}/payments?filter[latest-submission-status][in][]=delivered"
        ))
        .await;
    let mut latest: Vec<String> = delivered
        .body
        .array_at("payments")
        .clone()
        .iter()
        .map(|p| url_of(p, "latest-submission-url"))
        .collect();
    latest.sort();
    let mut expected = submissions.clone();
    expected.sort();
    assert_eq!(latest, expected);
    // One `submission-updated` per submission, each telling `delivered`.
    let events = app
        .get(&format!(
            "{}/events?sort=created-at&page[size]=200",
            app.organization_url
        ))
        .await;
    let mut updated: Vec<(String, String)> = events
        .body
        .array_at("events")
        .clone()
        .iter()
        .filter(|e| e["event-type"] == "submission-updated")
        .map(|e| {
            (
                url_of(&e["event-payload"], "submission-url"),
                url_of(&e["event-payload"], "submission-status"),
            )
        })
        .collect();
    updated.sort();
    let expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|url| (url, "delivered".to_string()))
        .collect();
    assert_eq!(updated, expected);
    assert_eq!(app.balances(&from).await.0, "990.00");
    assert_eq!(app.balances(&to).await.0, "1004.00");
    app.assert_ledger_ok().await;
}

#[actix_web::test]
async fn payee_details_and_references_are_checked_where_they_are_given() {
    let app = TestApp::new().await;
    let person = app.individual("Jane Doe").await;
    let payees = format!("{person}/bank/payees");
    for (number, bank_id, pointer) in [
        ("1234", "203040", "/account-number"),
        ("1234567a", "203040", "/account-number"),
        ("11112222", "20-30-40", "/bank-id"),
        ("11112222", "2030405", "/bank-id"),
    ] {
        let refused = app
            .post(
                &payees,
                json!({"account-holder": "Ext Ltd", "account-number": number, "bank-id": bank_id}),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{number} {bank_id}"
        );
        assert_eq!(refused.error_pointer(), Some(pointer), "{number} {bank_id}");
    }
    assert_eq!(
        app.get(&payees).await.body["payees"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    // Another organization's account, named by its details: the payee links it (fps
    // reaches it), but a book transfer to it is refused.
    let (_, their_account) = app.other_organization_account().await;
    let their_payee = payee(
        &app,
        &person,
        their_account.str_at("bank-addresses/0/account-number"),
        "000000",
    )
    .await;
    assert!(their_account["account-url"].is_string(), "{their_account}");
    assert_eq!(their_payee["account-url"], their_account["account-url"]);
    let from = app.operational_account("From").await;
    let to_them = app
        .pay(
            &from,
            json!({"creditor-type": "payee", "payee-url": their_payee["payee-url"]}),
            "1.00",
        )
        .await;
    let book = app
        .submit(&url_of(&to_them.body, "payment-url"), "book-transfer")
        .await;
    assert_refused(&book, "mixed-organizations");

    // A reference is 1 to 35 characters.
    let external = external();
    let with_reference = |reference: String| {
        json!({"creditor": external, "payment-amount": money("1.00"),
               "payment-reference": reference})
    };
    let longest = "r".repeat(35);
    let created = app
        .post(&format!("{from}/payments"), with_reference(longest.clone()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["payment-reference"], json!(longest));
    let empty = app
        .post(&format!("{from}/payments"), with_reference(String::new()))
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.error_pointer(), Some("/payment-reference"));
    // Without one, "Sent from" and the owner's name, cut to 35 characters.
    let long_name = app.individual("Bartholomew Fitzgerald-Worthington").await;
    let owned = app
        .open_account(json!({"bank-product-type": "embedded-account", "owner-url": long_name}))
        .await;
    let defaulted = app
        .pay(&url_of(&owned, "account-url"), external.clone(), "1.00")
        .await;
    assert_eq!(defaulted.status, StatusCode::CREATED, "{}", defaulted.body);
    assert_eq!(
        defaulted.body["payment-reference"],
        "Sent from Bartholomew Fitzgerald-Wo"
    );

    // Only an unsubmitted payment can be rejected, and only with a reason.
    let payment_url = url_of(&created.body, "payment-url");
    let no_reason = app
        .admin(
            Method::PATCH,
            &payment_url,
            Some(json!({"rejection-reason": ""})),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_reason.error_pointer(), Some("/rejection-reason"));
    assert_eq!(app.submit(&payment_url, "fps").await.status, StatusCode::OK);
    let submitted = app
        .admin(
            Method::PATCH,
            &payment_url,
            Some(json!({"rejection-reason": "Too late"})),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::CONFLICT);
    assert_eq!(submitted.error_title(), "payment-not-rejectable");
    assert!(
        app.get(&payment_url)
            .await
            .body
            .get("rejected-at")
            .is_none()
    );
}

#[actix_web::test]
async fn a_closed_account_neither_sends_nor_receives_what_was_asked_before() {
    let app = TestApp::new().await;
    let from = app.operational_account("From").await;
    let to = app.operational_account("To").await;
    let external = external();
    // Two payments are made while both accounts are open...
    let into_to = app.pay(&from, to_account(&to), "1.00").await;
    let out_of_to = app.pay(&to, external.clone(), "1.00").await;
    // ... then `to` pays out what it holds and closes.
    let drain = app.pay(&to, external, "1000.00").await;
    let drained = app.submit(&url_of(&drain.body, "payment-url"), "fps").await;
    assert_eq!(drained.status, StatusCode::OK, "{}", drained.body);
    let close = app.post(&format!("{to}/actions/close"), json!({})).await;
    assert_eq!(close.status, StatusCode::OK, "{}", close.body);
    app.run_worker().await;
    assert_eq!(app.get(&to).await.body["account-status"], "closed");

    let receiving = app
        .submit(&url_of(&into_to.body, "payment-url"), "book-transfer")
        .await;
    assert_refused(&receiving, "bank-account-closed");
    let sending = app
        .submit(&url_of(&out_of_to.body, "payment-url"), "fps")
        .await;
    assert_refused(&sending, "bank-account-closed");
    assert_eq!(app.balances(&from).await.0, "1000.00");
    assert_eq!(app.balances(&to).await.0, "0.00");
    app.assert_ledger_ok().await;
}

#[actix_web::test]
async fn list_filters_leave_out_what_does_not_match() {
    let app = TestApp::new().await;
    let from = app.operational_account("From").await;
    let to = app.operational_account("To").await;
    let book = app.pay(&from, to_account(&to), "2.00").await;
    let book_url = url_of(&book.body, "payment-url");
    assert_eq!(
        app.submit(&book_url, "book-transfer").await.status,
        StatusCode::OK
    );
    let kept = app.pay(&from, to_account(&to), "3.00").await;
    let rejected = app.pay(&from, to_account(&to), "4.00").await;
    let rejected_url = url_of(&rejected.body, "payment-url");
    let reject = app
        .admin(
            Method::PATCH,
            &rejected_url,
            Some(json!({"rejection-reason": "No"})),
        )
        .await;
    assert_eq!(reject.status, StatusCode::NO_CONTENT);
    let urls = |listed: &Value| -> Vec<String> {
        let mut urls: Vec<String> = listed
            .strs_at("payments", "payment-url")
            .into_iter()
            .map(str::to_string)
            .collect();
        urls.sort();
        urls
    };
    let sorted = |mut urls: Vec<String>| {
        urls.sort();
        urls
    };
    let list = |query: &str| {
        let url = format!("{from}/payments?{query}");
        let app = &app;
        async move {
            let listed = app.get(&url).await;
            assert_eq!(listed.status, StatusCode::OK, "{url}: {}", listed.body);
            urls(&listed.body)
        }
    };
    let kept_url = url_of(&kept.body, "payment-url");
    assert_eq!(
        list("filter[rejected][eq]=true").await,
        vec![rejected_url.clone()]
    );
    assert_eq!(
        list("filter[rejected][eq]=false").await,
        sorted(vec![book_url.clone(), kept_url.clone()])
    );
    // The debtor's account holds only outbound payments; the creditor's only the inbound
    // one the book transfer made.
    assert_eq!(
        list("filter[payment-direction][eq]=outbound-payment").await,
        sorted(vec![book_url.clone(), kept_url, rejected_url])
    );
    assert!(
        list("filter[payment-direction][eq]=inbound-payment")
            .await
            .is_empty()
    );
    let inbound = app
        .get(&format!(
            "{to}/payments?filter[payment-direction][eq]=inbound-payment"
        ))
        .await;
    let inbound = urls(&inbound.body);
    assert_eq!(inbound.len(), 1);
    assert_ne!(inbound[0], book_url);
    let outbound = app
        .get(&format!(
            "{to}/payments?filter[payment-direction][eq]=outbound-payment"
        ))
        .await;
    assert!(urls(&outbound.body).is_empty());
}

#[actix_web::test]
async fn the_payments_permissions_decide_every_write_of_the_area() {
    let app = TestApp::new().await;
    let from = app.operational_account("From").await;
    let person = app.individual("Jane Doe").await;
    let external = external();
    let own_approver = app
        .member(
            "own@example.com",
            &[app.role_url("Approve own payments").await],
        )
        .await;
    let team_member = app
        .member("team@example.com", &[app.role_url("Team member").await])
        .await;
    let as_member = |auth: String, method: Method, url: String, body: Value| {
        let app = &app;
        async move { app.call(method, &url, Some(&auth), Some(body)).await }
    };
    // Someone else's payment needs `payments:approve`, which "Approve own payments" lacks.
    let admins = app.pay(&from, external.clone(), "1.00").await;
    let admins_url = url_of(&admins.body, "payment-url");
    let not_own = as_member(
        own_approver.key_auth(),
        Method::POST,
        format!("{admins_url}/submissions"),
        json!({"payment-scheme": "fps"}),
    )
    .await;
    assert_eq!(not_own.status, StatusCode::FORBIDDEN, "{}", not_own.body);
    assert!(
        not_own.body["errors"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("payments:approve")),
        "{}",
        not_own.body
    );
    // Its own it may create and submit.
    let own = as_member(
        own_approver.key_auth(),
        Method::POST,
        format!("{from}/payments"),
        json!({"creditor": external, "payment-amount": money("2.00")}),
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);
    let submitted = as_member(
        own_approver.key_auth(),
        Method::POST,
        format!("{}/submissions", url_of(&own.body, "payment-url")),
        json!({"payment-scheme": "fps"}),
    )
    .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);

    // A Team member reads, but writes nothing of the area.
    let org = app.organization_url.clone();
    let cop = json!({"account-number": "11112222", "bank-id": "203040",
                     "account-classification": "business", "name": "Ext Ltd",
                     "requester-legal-person-url": person});
    for (method, url, body) in [
        (
            Method::POST,
            format!("{person}/bank/payees"),
            json!({"account-holder": "Ext Ltd", "account-number": "11112222",
                   "bank-id": "203040"}),
        ),
        (
            Method::POST,
            format!("{from}/payments"),
            json!({"creditor": external, "payment-amount": money("3.00")}),
        ),
        (
            Method::PATCH,
            admins_url.clone(),
            json!({"rejection-reason": "No"}),
        ),
        (
            Method::POST,
            format!("{admins_url}/submissions"),
            json!({"payment-scheme": "fps"}),
        ),
        (Method::POST, format!("{org}/cop-request"), cop),
    ] {
        let refused = as_member(team_member.key_auth(), method.clone(), url.clone(), body).await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{method} {url}: {}",
            refused.body
        );
    }
    let read = app
        .call(
            Method::GET,
            &admins_url,
            Some(&team_member.key_auth()),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    // Nothing the refusals asked for happened.
    assert!(read.body.get("rejected-at").is_none());
    assert!(read.body.get("latest-submission-url").is_none());
    assert_eq!(
        app.get(&format!("{person}/bank/payees")).await.body["payees"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    assert_eq!(
        app.get(&format!("{from}/payments")).await.body["payments"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(app.balances(&from).await.0, "998.00");
}
