//! `GET /v0/bank/accounts/{id}/transactions` with `Accept: application/vnd.griffin+xero-csv`:
//! the account's transactions as a Xero bank statement CSV, and content negotiation around it.

use actix_web::http::{StatusCode, header};
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::support::{Json, Response, TestApp};

const XERO_CSV: &str = "application/vnd.griffin+xero-csv";
const HEADER: &str = "Date,Amount,Payee,Description,Reference";

/// `GET url` as the admin with this `Accept` header.
async fn get_accepting(app: &TestApp, url: &str, accept: &str) -> Response {
    app.send(
        TestRequest::get()
            .uri(url)
            .insert_header((header::AUTHORIZATION, app.auth()))
            .insert_header((header::ACCEPT, accept)),
    )
    .await
}

/// The CSV of `url`: a 200 served as Xero's CSV; its lines, split at CRLF outside quotes.
async fn csv_lines(app: &TestApp, url: &str) -> Vec<String> {
    let response = get_accepting(app, url, XERO_CSV).await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&response.raw)
    );
    assert_eq!(response.header("content-type"), Some(XERO_CSV));
    let text = match String::from_utf8(response.raw) {
        Ok(text) => text,
        Err(e) => panic!("the CSV is not UTF-8: {e}"),
    };
    assert_eq!(response.body, Value::String(text.clone()));
    let Some(body) = text.strip_suffix("\r\n") else {
        panic!("the CSV does not end with CRLF: {text:?}");
    };
    body.split("\r\n").map(str::to_string).collect()
}

/// A transaction of the JSON list as the CSV shows its date and signed amount.
fn date_and_amount(transaction: &Value) -> String {
    let at = transaction.str_at("processed-at");
    let date = format!("{}/{}/{}", &at[8..10], &at[5..7], &at[0..4]);
    let value = transaction.str_at("balance-change/value");
    match transaction.str_at("balance-change-direction") {
        "debit" => format!("{date},-{value}"),
        _ => format!("{date},{value}"),
    }
}

/// A customer's account with a deposit, three inbound payments whose payer and reference
/// need escaping or the formula guard, a Faster Payment out to a payee, and a book transfer
/// to another of the organization's accounts. Returns the account's URL and the CSV rows
/// expected after the header, oldest first.
async fn busy_account(app: &TestApp) -> (String, Vec<String>) {
    let customer = app.individual("Customer").await;
    let account = app
        .open_account(json!({"bank-product-type": "embedded-account", "owner-url": customer}))
        .await
        .string_at("account-url");
    let inbound = |holder: &str, value: &str, reference: &str| {
        let body = json!({"payment-amount": {"currency": "GBP", "value": value},
                          "payment-reference": reference,
                          "debtor": {"account-holder": holder, "account-number": "12345678",
                                     "bank-id": "040004"}});
        let url = format!(
            "/v0/simulation/bank/accounts/{}/inbound-payments",
            crate::support::id_of(&account)
        );
        async move {
            // Transactions a millisecond apart at least, so that a filter at one's
            // `processed-at` (which shows milliseconds) parts it from its neighbours.
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            let response = app.post(&url, body).await;
            assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
        }
    };
    inbound("Smith, \"Jo\"", "12.34", "Inv, \"42\"").await;
    inbound("=HYPERLINK(\"http://x\")", "0.05", "@SUM(A1)").await;
    inbound("Sandbox payer", "1.00", "two\nlines").await;
    let payee = app
        .post(
            &format!("{customer}/bank/payees"),
            json!({"account-holder": "Jane Doe", "account-number": "12345678", "bank-id": "040004"}),
        )
        .await;
    assert_eq!(payee.status, StatusCode::CREATED, "{}", payee.body);
    let to_payee = json!({"creditor-type": "payee", "payee-url": payee.body.str_at("payee-url")});
    let reserve = app.operational_account("Reserve").await;
    let reserve_holder = app
        .get(&reserve)
        .await
        .body
        .string_at("bank-addresses/0/account-holder");
    let to_reserve = json!({"creditor-type": "griffin-bank-account", "account-url": reserve});
    for (creditor, value, reference, scheme) in [
        (to_payee, "25.00", "-25 refund", "fps"),
        (to_reserve, "2.00", "INV-1", "book-transfer"),
    ] {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        let created = app
            .post(
                &format!("{account}/payments"),
                json!({"creditor": creditor, "payment-reference": reference,
                       "payment-amount": {"currency": "GBP", "value": value}}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let submitted = app.submit(created.body.str_at("payment-url"), scheme).await;
        assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    }
    app.run_worker().await;
    let expected = vec![
        ",,Sandbox test money,".to_string(),
        ",\"Smith, \"\"Jo\"\"\",Payment received,\"Inv, \"\"42\"\"\"".to_string(),
        ",\"'=HYPERLINK(\"\"http://x\"\")\",Payment received,'@SUM(A1)".to_string(),
        ",Sandbox payer,Payment received,\"two\nlines\"".to_string(),
        ",Jane Doe,Payment sent,'-25 refund".to_string(),
        format!(",{reserve_holder},Payment sent,INV-1"),
    ];
    (account, expected)
}

/// The JSON list of the account's transactions, oldest first.
async fn oldest_first(app: &TestApp, account: &str) -> Vec<Value> {
    let list = app
        .get(&format!(
            "{account}/transactions?sort=processed-at&page[size]=200"
        ))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    list.body.array_at("account-transactions").clone()
}

#[actix_web::test]
async fn transactions_export_as_a_xero_csv() {
    let app = TestApp::new().await;
    let (account, tails) = busy_account(&app).await;
    let transactions = oldest_first(&app, &account).await;
    assert_eq!(transactions.len(), tails.len());
    // Each row: the JSON list's date and signed amount, then payee, description, reference.
    let expected: Vec<String> = std::iter::once(HEADER.to_string())
        .chain(
            transactions
                .iter()
                .zip(&tails)
                .map(|(t, tail)| format!("{}{tail}", date_and_amount(t))),
        )
        .collect();
    let amounts: Vec<&str> = expected[1..]
        .iter()
        .map(|row| row.split(',').nth(1).unwrap_or("?"))
        .collect();
    assert_eq!(
        amounts,
        ["1000.00", "12.34", "0.05", "1.00", "-25.00", "-2.00"]
    );
    let oldest = csv_lines(&app, &format!("{account}/transactions?sort=processed-at")).await;
    assert_eq!(oldest, expected);
    // The default order is Griffin's: newest first.
    let newest = csv_lines(&app, &format!("{account}/transactions")).await;
    let mut reversed = expected[1..].to_vec();
    reversed.reverse();
    assert_eq!(newest[0], HEADER);
    assert_eq!(newest[1..], reversed[..]);

    let response = get_accepting(&app, &format!("{account}/transactions"), XERO_CSV).await;
    assert_eq!(
        response.header("content-disposition"),
        Some(
            format!(
                "attachment; filename=\"transactions-{}.csv\"",
                crate::support::id_of(&account)
            )
            .as_str()
        )
    );
    assert_eq!(response.header("vary"), Some("accept"));
}

#[actix_web::test]
async fn the_csv_applies_the_lists_filters_and_refuses_pages() {
    let app = TestApp::new().await;
    let (account, _) = busy_account(&app).await;
    let all = csv_lines(&app, &format!("{account}/transactions?sort=processed-at")).await;
    let transactions = oldest_first(&app, &account).await;
    let third = transactions[2].string_at("processed-at");
    let from_third = csv_lines(
        &app,
        &format!("{account}/transactions?sort=processed-at&filter[processed-at][gte]={third}"),
    )
    .await;
    assert_eq!(from_third[0], HEADER);
    assert_eq!(from_third[1..], all[3..]);
    // Griffin's older name of the filter, newest first.
    let before_third = csv_lines(
        &app,
        &format!("{account}/transactions?filter[post-datetime][lt]={third}"),
    )
    .await;
    assert_eq!(before_third, [HEADER, all[2].as_str(), all[1].as_str()]);
    // A filter that selects nothing leaves the header alone.
    let none = csv_lines(
        &app,
        &format!("{account}/transactions?filter[processed-at][lt]=2000-01-01T00:00:00Z"),
    )
    .await;
    assert_eq!(none, [HEADER]);

    // The CSV is the whole selection: pages and includes are refused, not ignored; so are
    // unknown filters and sorts, as on the JSON list.
    for (query, parameter) in [
        ("page[size]=2", "page[size]"),
        ("include=payment", "include"),
        ("include[]=payment", "include"),
        (
            "filter[created-at][gte]=2000-01-01T00:00:00Z",
            "filter[created-at][gte]",
        ),
        ("sort=amount", "sort"),
        (
            "filter[processed-at][gte]=yesterday",
            "filter[processed-at][gte]",
        ),
    ] {
        let refused =
            get_accepting(&app, &format!("{account}/transactions?{query}"), XERO_CSV).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(refused.error_parameter(), Some(parameter), "{query}");
    }
}

#[actix_web::test]
async fn negotiation_is_honest_about_what_each_operation_answers() {
    let app = TestApp::new().await;
    let account = app.primary_account().await.string_at("account-url");
    let transactions = format!("{account}/transactions");
    for accept in [
        None,
        Some("application/json"),
        Some("*/*"),
        Some("application/*"),
        Some("application/json, application/vnd.griffin+xero-csv"),
        Some("application/vnd.griffin+xero-csv;q=0.5, application/json"),
    ] {
        let response = match accept {
            Some(accept) => get_accepting(&app, &transactions, accept).await,
            None => app.get(&transactions).await,
        };
        assert_eq!(response.status, StatusCode::OK, "{accept:?}");
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.header("vary"), Some("accept"), "{accept:?}");
        assert_eq!(
            response.body.array_at("account-transactions").len(),
            1,
            "{accept:?}"
        );
    }
    let lines = csv_lines(&app, &transactions).await;
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[1].ends_with(",1000.00,,Sandbox test money,"),
        "{lines:?}"
    );
    for accept in [
        "application/vnd.griffin+xero-csv, application/json",
        "application/json;q=0.5, application/vnd.griffin+xero-csv",
        "Application/Vnd.Griffin+Xero-CSV",
        "text/html, application/vnd.griffin+xero-csv;q=0.9, */*;q=0.1",
    ] {
        let response = get_accepting(&app, &transactions, accept).await;
        assert_eq!(response.status, StatusCode::OK, "{accept}");
        assert_eq!(response.header("content-type"), Some(XERO_CSV), "{accept}");
        assert_eq!(response.body, Value::String(lines.join("\r\n") + "\r\n"));
    }
    // Nothing the transactions answer with: 406, naming both types.
    for accept in [
        "text/html",
        "text/csv",
        "application/json;q=0, application/vnd.griffin+xero-csv;q=0",
    ] {
        let refused = get_accepting(&app, &transactions, accept).await;
        assert_eq!(refused.status, StatusCode::NOT_ACCEPTABLE, "{accept}");
        assert_eq!(refused.error_title(), "not-acceptable");
        let detail = refused.body.str_at("errors/0/detail");
        assert!(
            detail.contains(XERO_CSV) && detail.contains("application/json"),
            "{detail}"
        );
    }
    // The CSV type only where Griffin offers it: not on the account, its payments, a
    // transaction, the index.
    let transaction = app
        .get(&transactions)
        .await
        .body
        .string_at("account-transactions/0/account-transaction-url");
    for url in [
        account.clone(),
        format!("{account}/payments"),
        transaction,
        "/v0/index".to_string(),
    ] {
        let refused = get_accepting(&app, &url, XERO_CSV).await;
        assert_eq!(refused.status, StatusCode::NOT_ACCEPTABLE, "{url}");
        let detail = refused.body.str_at("errors/0/detail");
        assert!(!detail.contains(XERO_CSV), "{detail}");
        assert_eq!(refused.header("vary"), None, "{url}");
    }
    // Errors of the CSV operation are JSON: no key, another organization's account.
    let anonymous = app
        .send(
            TestRequest::get()
                .uri(&transactions)
                .insert_header((header::ACCEPT, XERO_CSV)),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.header("content-type"), Some("application/json"));
    let (_, theirs) = app.other_organization_account().await;
    let theirs = get_accepting(
        &app,
        &format!("{}/transactions", theirs.str_at("account-url")),
        XERO_CSV,
    )
    .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}

/// The export reads the store a page at a time: a history longer than a page comes out
/// whole, in order, each transaction once.
#[actix_web::test]
async fn the_csv_is_the_whole_history_past_one_page() {
    let app = TestApp::new().await;
    let account = app.operational_account("Busy").await;
    let count = 205;
    for pence in 1..=count {
        let value = format!("{}.{:02}", pence / 100, pence % 100);
        let response = app.inbound(&account, &value).await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
    }
    let lines = csv_lines(&app, &format!("{account}/transactions")).await;
    assert_eq!(
        lines.len(),
        1 + count + 1,
        "a header, the payments, the deposit"
    );
    let amounts: Vec<&str> = lines[1..]
        .iter()
        .map(|line| line.split(',').nth(1).unwrap_or("?"))
        .collect();
    let mut expected: Vec<String> = (1..=count)
        .rev()
        .map(|pence| format!("{}.{:02}", pence / 100, pence % 100))
        .collect();
    expected.push("1000.00".to_string());
    assert_eq!(amounts, expected);
}
