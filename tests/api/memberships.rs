use actix_web::http::StatusCode;

use crate::support::{Json, TestApp};

#[actix_web::test]
async fn membership_shows_organization_roles_and_user() {
    let app = TestApp::new().await;
    let list = app
        .get(&format!("{}/memberships", app.organization_url))
        .await;
    let membership = list.body["memberships"][0].clone();
    let url = membership.string_at("membership-url");
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
    let names: Vec<_> = one.body.strs_at("roles", "display-name");
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
    // An API key is bound to its organization: even its own user's other memberships are out
    // of its sight. A session of the same user sees both.
    let by_key = app.get(&format!("{}/memberships", app.user_url)).await;
    let orgs = by_key
        .body
        .strs_at("memberships", "organization/organization-url");
    assert_eq!(orgs, [app.organization_url.as_str()]);
    let second_key = format!("GriffinAPIKey {}", second.secret.as_str());
    let from_second = app
        .call(
            actix_web::http::Method::GET,
            &format!("{}/memberships", app.user_url),
            Some(&second_key),
            None,
        )
        .await;
    assert_eq!(
        from_second.body["memberships"][0]["organization"]["organization-url"],
        second.report().organization_url.as_str()
    );
    let mut tx = app.db.write().await.unwrap_or_else(|e| panic!("{e}"));
    let hash = hyperbank::users::password::hash("sandbox password")
        .unwrap_or_else(|e| panic!("hash: {e}"));
    let set = hyperbank::users::set_password(
        &mut tx.conn(),
        &hyperbank::ids::UserId::parse(crate::support::id_of(&app.user_url)).expect("a user id"),
        &hash,
    )
    .await;
    tx.finish(set).await.unwrap_or_else(|e| panic!("{e}"));
    let login = app
        .call(actix_web::http::Method::POST, "/v0/session", None,
            Some(serde_json::json!({"user-email": "sandbox@example.com", "password": "sandbox password"})))
        .await;
    let session = format!("GriffinSession {}", login.body.str_at("session-token"));
    let by_session = app
        .call(
            actix_web::http::Method::GET,
            &format!("{}/memberships", app.user_url),
            Some(&session),
            None,
        )
        .await;
    assert_eq!(
        by_session.body["memberships"].as_array().map(Vec::len),
        Some(2)
    );

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
    let their_membership = theirs.body.string_at("memberships/0/membership-url");
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
