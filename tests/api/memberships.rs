use actix_web::http::StatusCode;

use crate::support::TestApp;

#[actix_web::test]
async fn membership_shows_organization_roles_and_user() {
    let app = TestApp::new().await;
    let list = app
        .get(&format!("{}/memberships", app.organization_url))
        .await;
    let membership = list.body["memberships"][0].clone();
    let url = membership["membership-url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(url.starts_with("/v0/memberships/mp."));
    let one = app.get(&url).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body, membership);
    assert_eq!(
        one.body["organization"]["organization-url"],
        app.organization_url.as_str()
    );
    assert_eq!(one.body["user"]["user-url"], app.user_url.as_str());
    assert_eq!(one.body["membership-roles-url"], format!("{url}/roles"));
    let names: Vec<_> = one.body["roles"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|role| role["display-name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names, ["Team admin", "Compliance", "Approve own payments"]);
    let roles = app.get(&format!("{url}/roles")).await;
    assert_eq!(roles.status, StatusCode::OK);
    assert_eq!(roles.body["roles"], one.body["roles"]);
}

#[actix_web::test]
async fn a_user_sees_all_their_memberships_others_see_only_theirs() {
    let app = TestApp::new().await;
    // The sandbox user founds a second organization too.
    let second = app
        .other_organization("Second Ltd", "Sandbox@Example.com")
        .await;
    assert_eq!(
        second.report().user_url,
        app.user_url,
        "emails match case-insensitively"
    );
    let mine = app.get(&format!("{}/memberships", app.user_url)).await;
    assert_eq!(mine.body["memberships"].as_array().map(Vec::len), Some(2));

    // A colleague in the second organization sees only the membership there.
    let colleague = app
        .other_organization("Third Ltd", "third@example.com")
        .await;
    let from_third = app
        .get_as(
            colleague.secret.as_str(),
            &format!("{}/memberships", app.user_url),
        )
        .await;
    assert_eq!(from_third.status, StatusCode::NOT_FOUND);

    // Another organization's membership is 404, its list too.
    let theirs = app
        .get_as(
            colleague.secret.as_str(),
            &format!("{}/memberships", colleague.report().organization_url),
        )
        .await;
    let their_membership = theirs.body["memberships"][0]["membership-url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        app.get(&their_membership).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{their_membership}/roles")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!(
            "{}/memberships",
            colleague.report().organization_url
        ))
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}
