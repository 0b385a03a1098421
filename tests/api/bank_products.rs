use actix_web::http::StatusCode;

use crate::support::{Json, TestApp};

#[actix_web::test]
async fn one_product_per_class_per_organization() {
    let app = TestApp::new().await;
    let organization = app.get(&app.organization_url).await;
    let url = organization
        .body
        .string_at("organization-bank-account-products-url");
    let list = app.get(&url).await;
    assert_eq!(list.status, StatusCode::OK);
    let products = list.body.array_at("bank-account-products").clone();
    let mut classes = list
        .body
        .strs_at("bank-account-products", "bank-account-product-class");
    classes.sort();
    assert_eq!(
        classes,
        [
            "client-money",
            "embedded",
            "operational",
            "safeguarding",
            "savings"
        ]
    );
    for product in &products {
        let one = app.get(product.str_at("bank-account-product-url")).await;
        assert_eq!(&one.body, product);
        assert_eq!(one.body["organization-url"], app.organization_url.as_str());
        assert_eq!(
            one.body["notice-period"]["notice-period-type"],
            "instant-access"
        );
    }
    let inactive = app
        .get(&format!("{url}?filter[status][in][]=inactive"))
        .await;
    assert_eq!(
        inactive.body["bank-account-products"],
        serde_json::json!([])
    );
    let paged = app.get(&format!("{url}?page[size]=3")).await;
    let rest = app.get(paged.body.str_at("links/next")).await;
    assert_eq!(
        rest.body["bank-account-products"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        app.get(&format!("{url}?filter[status][in][]=asleep"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    // Another organization's products are its own, and not visible here.
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let theirs = app
        .get_as(
            other.secret.as_str(),
            &format!("{}/bank/products", other.report().organization_url),
        )
        .await;
    let their_url = theirs
        .body
        .string_at("bank-account-products/0/bank-account-product-url");
    assert!(
        !products
            .iter()
            .any(|p| p["bank-account-product-url"] == their_url.as_str())
    );
    assert_eq!(app.get(&their_url).await.status, StatusCode::NOT_FOUND);
}
