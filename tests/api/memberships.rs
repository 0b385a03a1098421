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

#[actix_web::test]
async fn members_are_found_by_the_start_of_their_email_role_and_status() {
    let app = TestApp::new().await;
    let member = app.role_url("Team member").await;
    let admin = app.role_url("Team admin").await;
    for (email, role) in [
        ("ada.lovelace@example.com", &member),
        ("Adam@Example.com", &admin),
        ("ada_x@example.com", &member),
        ("50%off@example.com", &member),
        ("bob@example.com", &member),
    ] {
        app.member(email, std::slice::from_ref(role)).await;
    }
    let bob = app
        .get(&format!(
            "{}/memberships?filter[email][prefix]=bob",
            app.organization_url
        ))
        .await
        .body
        .string_at("memberships/0/membership-url");
    let off = app
        .admin(
            actix_web::http::Method::PATCH,
            &bob,
            Some(serde_json::json!({"membership-status": "deactivated"})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    // Someone of another organization whose address would match.
    app.other_organization("Other Ltd", "ada.other@example.com")
        .await;

    let emails = |query: String| {
        let app = &app;
        async move {
            let list = app
                .get(&format!("{}/memberships?{query}", app.organization_url))
                .await;
            assert_eq!(list.status, StatusCode::OK, "{query}: {}", list.body);
            let mut emails: Vec<String> = list
                .body
                .strs_at("memberships", "user/user-email")
                .into_iter()
                .map(String::from)
                .collect();
            emails.sort();
            emails
        }
    };
    let prefix = |text: &str| format!("filter[email][prefix]={text}");
    // Any case, on either side.
    assert_eq!(
        emails(prefix("ADA")).await,
        [
            "ada.lovelace@example.com",
            "ada_x@example.com",
            "adam@example.com"
        ]
    );
    // `_` and `%` are characters, not wildcards.
    assert_eq!(emails(prefix("ada_")).await, ["ada_x@example.com"]);
    assert_eq!(emails(prefix("50%25")).await, ["50%off@example.com"]);
    assert!(emails(prefix("%25")).await.is_empty());
    assert!(emails(prefix("5_")).await.is_empty());
    assert!(emails(prefix("ada.lovelace@example.com.")).await.is_empty());
    // With the other filters.
    let admin_filter = format!("filter[role-url][eq]={admin}");
    assert_eq!(
        emails(format!("{}&{admin_filter}", prefix("ada"))).await,
        ["adam@example.com"]
    );
    assert_eq!(
        emails(format!(
            "{}&filter[membership-status][eq]=deactivated",
            prefix("b")
        ))
        .await,
        ["bob@example.com"]
    );
    assert!(
        emails(format!(
            "{}&filter[membership-status][eq]=active",
            prefix("b")
        ))
        .await
        .is_empty()
    );

    // Pages keep the filter.
    let first = app
        .get(&format!(
            "{}/memberships?{}&page[size]=2",
            app.organization_url,
            prefix("ada")
        ))
        .await;
    assert_eq!(first.body.array_at("memberships").len(), 2);
    let next = first.body.string_at("links/next");
    assert!(next.contains("filter[email][prefix]=ada&"), "{next}");
    let second = app.get(&next).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    let mut seen: Vec<&str> = first.body.strs_at("memberships", "user/user-email");
    seen.extend(second.body.strs_at("memberships", "user/user-email"));
    seen.sort();
    assert_eq!(
        seen,
        [
            "ada.lovelace@example.com",
            "ada_x@example.com",
            "adam@example.com"
        ]
    );
    assert!(second.body["links"]["next"].is_null(), "{}", second.body);
    assert_eq!(emails("page[size]=200".to_string()).await.len(), 6);

    // What the list refuses.
    for (query, parameter) in [
        (prefix(""), "filter[email][prefix]"),
        (prefix("%20%20"), "filter[email][prefix]"),
        (
            format!("{}&{}", prefix("a"), prefix("b")),
            "filter[email][prefix]",
        ),
        ("page[size]=201".to_string(), "page[size]"),
        ("filter[email][eq]=ada".to_string(), "filter[email][eq]"),
    ] {
        let refused = app
            .get(&format!("{}/memberships?{query}", app.organization_url))
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(refused.error_title(), "Bad query parameter", "{query}");
        assert_eq!(refused.error_parameter(), Some(parameter), "{query}");
    }
    // A user's own list has no use for it.
    let mine = app
        .get(&format!(
            "{}/memberships?{}",
            app.user_url,
            prefix("sandbox")
        ))
        .await;
    assert_eq!(mine.status, StatusCode::BAD_REQUEST);
    assert_eq!(mine.error_parameter(), Some("filter[email][prefix]"));
}
