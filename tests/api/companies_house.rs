use actix_web::http::StatusCode;
use actix_web::test::TestRequest;

use crate::support::TestApp;

const BASE: &str = "/v0/companies-house/companies";

#[actix_web::test]
async fn money_technology_as_in_griffins_documentation() {
    let app = TestApp::new().await;
    let company = app.get(&format!("{BASE}/91824539")).await;
    assert_eq!(company.status, StatusCode::OK);
    assert_eq!(company.body["entity-name"], "Money Technology Ltd.");
    assert_eq!(company.body["entity-registration-number"], "91824539");
    assert_eq!(company.body["corporation-type"], "private-limited-company");
    assert_eq!(company.body["date-of-incorporation"], "2017-06-01");
    assert_eq!(company.body["company-status"], "active");
    assert_eq!(
        company.body["company-address"]["street-name"],
        "Argyle Street"
    );
    assert_eq!(company.body["company-address"]["postal-code"], "EC2V 9AN");
    assert!(
        company.body["directors"]
            .as_array()
            .is_some_and(|d| !d.is_empty())
    );
    assert!(
        company.body["persons-with-significant-control"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    );
}

#[actix_web::test]
async fn other_numbers_are_stable_and_magic_numbers_documented() {
    let app = TestApp::new().await;
    let first = app.get(&format!("{BASE}/SC123456")).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["entity-registration-number"], "SC123456");
    assert_eq!(app.get(&format!("{BASE}/SC123456")).await.body, first.body);
    assert_ne!(
        app.get(&format!("{BASE}/SC123457")).await.body["entity-name"],
        serde_json::Value::Null
    );
    let missing = app.get(&format!("{BASE}/12345404")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_title(), "company-not-found");
    let dissolved = app.get(&format!("{BASE}/12345410")).await;
    assert_eq!(dissolved.body["company-status"], "dissolved");
    for bad in ["1234567", "123456789", "sc123456", "ABCDEFGH"] {
        let response = app.get(&format!("{BASE}/{bad}")).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(response.error_parameter(), Some("company-number"));
    }
    let anonymous = app
        .send(TestRequest::get().uri(&format!("{BASE}/91824539")))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
