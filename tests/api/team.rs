//! Roles and permissions, and the membership lifecycle.

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{Json, TestApp};

#[actix_web::test]
async fn the_last_team_admin_cannot_be_demoted_removed_or_deactivated() {
    let app = TestApp::new().await;
    let me = app.admin_membership_url().await;
    let member_role = app.role_url("Team member").await;
    let admin_role = app.role_url("Team admin").await;

    let demote = app
        .admin(
            Method::PUT,
            &format!("{me}/roles"),
            Some(json!({"role-urls": [member_role]})),
        )
        .await;
    assert_eq!(demote.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(demote.error_title(), "last-team-admin");
    // The founder also owns the organization, which guards it first (see owners.rs).
    let remove = app.admin(Method::DELETE, &me, None).await;
    assert_eq!(remove.error_title(), "owner-cannot-be-removed");
    let deactivate = app
        .admin(
            Method::PATCH,
            &me,
            Some(json!({"membership-status": "deactivated"})),
        )
        .await;
    assert_eq!(deactivate.error_title(), "owner-cannot-be-deactivated");
    // Nothing changed.
    let roles = app.get(&format!("{me}/roles")).await;
    assert_eq!(roles.body["roles"].as_array().map(Vec::len), Some(3));
    assert_eq!(app.get(&me).await.body["membership-status"], "active");

    // With a second admin, the first can step down.
    let second = app
        .member("second@example.com", std::slice::from_ref(&admin_role))
        .await;
    let stepped_down = app
        .admin(
            Method::PUT,
            &format!("{me}/roles"),
            Some(json!({"role-urls": [member_role]})),
        )
        .await;
    assert_eq!(stepped_down.status, StatusCode::OK);
    let names: Vec<_> = stepped_down.body.strs_at("roles", "display-name");
    assert_eq!(names, ["Team member"]);
    // …and the second admin, now the last (and no owner), is protected in turn.
    let last = app
        .call(
            Method::DELETE,
            &second.membership_url,
            Some(&second.key_auth()),
            None,
        )
        .await;
    assert_eq!(last.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(last.error_title(), "last-team-admin");
    let deactivate = app
        .call(
            Method::PATCH,
            &second.membership_url,
            Some(&second.key_auth()),
            Some(json!({"membership-status": "deactivated"})),
        )
        .await;
    assert_eq!(deactivate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(deactivate.error_title(), "last-team-admin");
    assert_eq!(
        app.get(&second.membership_url).await.body["membership-status"],
        "active"
    );
}

#[actix_web::test]
async fn a_team_member_gets_403_on_every_write_naming_a_role() {
    let app = TestApp::new().await;
    let member_role = app.role_url("Team member").await;
    let member = app
        .member("member@example.com", std::slice::from_ref(&member_role))
        .await;
    let org = &app.organization_url;
    let me = app.admin_membership_url().await;
    let custom = app
        .admin(
            Method::POST,
            &format!("{org}/roles"),
            Some(json!({"display-name": "Auditor", "permissions": ["read"]})),
        )
        .await;
    let custom_url = custom.body.string_at("role-url");
    let invitation = app
        .admin(
            Method::POST,
            &format!("{org}/invitations"),
            Some(json!({"email-address": "x@example.com"})),
        )
        .await;
    let invitation_url = invitation.body.string_at("invitation-url");

    let writes: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (
            Method::POST,
            format!("{org}/api-keys"),
            Some(json!({"api-key-name": "mine"})),
        ),
        (Method::DELETE, app.api_key_url.clone(), None),
        (
            Method::POST,
            format!("{org}/roles"),
            Some(json!({"display-name": "X", "permissions": []})),
        ),
        (
            Method::PATCH,
            custom_url.clone(),
            Some(json!({"description": "changed"})),
        ),
        (Method::DELETE, custom_url.clone(), None),
        (
            Method::PUT,
            format!("{me}/roles"),
            Some(json!({"role-urls": [member_role]})),
        ),
        (
            Method::PATCH,
            me.clone(),
            Some(json!({"membership-status": "deactivated"})),
        ),
        (Method::DELETE, me.clone(), None),
        (
            Method::POST,
            format!("{org}/invitations"),
            Some(json!({"email-address": "y@example.com"})),
        ),
        (
            Method::POST,
            format!("{invitation_url}/actions/cancel"),
            None,
        ),
        (
            Method::POST,
            format!("{invitation_url}/actions/resend"),
            None,
        ),
    ];
    for auth in [member.key_auth(), member.session_auth()] {
        for (method, path, body) in &writes {
            let response = app
                .call(method.clone(), path, Some(&auth), body.clone())
                .await;
            assert_eq!(response.status, StatusCode::FORBIDDEN, "{method} {path}");
            let detail = response.body.str_at("errors/0/detail");
            assert!(detail.contains("Team admin"), "{method} {path}: {detail}");
        }
        // Reads work.
        assert_eq!(
            app.call(Method::GET, org, Some(&auth), None).await.status,
            StatusCode::OK
        );
    }
    // Nothing was written.
    assert_eq!(app.get(&app.api_key_url).await.status, StatusCode::OK);
    assert_eq!(app.get(&custom_url).await.body["description"], "");
}

#[actix_web::test]
async fn a_deactivated_member_is_refused_at_once_and_back_after_reactivation() {
    let app = TestApp::new().await;
    let member = app
        .member("m@example.com", &[app.role_url("Team member").await])
        .await;
    let org = app.organization_url.clone();
    for auth in [member.key_auth(), member.session_auth()] {
        assert_eq!(
            app.call(Method::GET, &org, Some(&auth), None).await.status,
            StatusCode::OK
        );
    }
    let off = app
        .admin(
            Method::PATCH,
            &member.membership_url,
            Some(json!({"membership-status": "deactivated"})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK);
    assert_eq!(off.body["membership-status"], "deactivated");
    for auth in [member.key_auth(), member.session_auth()] {
        let refused = app.call(Method::GET, &org, Some(&auth), None).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    }
    let filtered = app
        .get(&format!(
            "{org}/memberships?filter[membership-status][eq]=deactivated"
        ))
        .await;
    let urls = filtered.body.strs_at("memberships", "membership-url");
    assert_eq!(urls, [member.membership_url.as_str()]);

    let on = app
        .admin(
            Method::PATCH,
            &member.membership_url,
            Some(json!({"membership-status": "active"})),
        )
        .await;
    assert_eq!(on.body["membership-status"], "active");
    for auth in [member.key_auth(), member.session_auth()] {
        assert_eq!(
            app.call(Method::GET, &org, Some(&auth), None).await.status,
            StatusCode::OK
        );
    }
    let bad = app
        .admin(
            Method::PATCH,
            &member.membership_url,
            Some(json!({"membership-status": "paused"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_title(), "Invalid enum value");
    assert_eq!(bad.error_pointer(), Some("/membership-status"));
}

#[actix_web::test]
async fn a_removed_members_key_stops_at_once() {
    let app = TestApp::new().await;
    let member = app
        .member("gone@example.com", &[app.role_url("Team member").await])
        .await;
    assert_eq!(
        app.admin(Method::DELETE, &member.membership_url, None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let key = app
        .call(Method::GET, "/v0/index", Some(&member.key_auth()), None)
        .await;
    assert_eq!(key.status, StatusCode::UNAUTHORIZED);
    // The session still authenticates the user, but the organization is no longer theirs.
    let org = app
        .call(
            Method::GET,
            &app.organization_url,
            Some(&member.session_auth()),
            None,
        )
        .await;
    assert_eq!(org.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&member.membership_url).await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn roles_must_be_available_and_permissions_are_the_union() {
    let app = TestApp::new().await;
    let member = app
        .member("p@example.com", &[app.role_url("Team member").await])
        .await;
    let permissions = app
        .get(&format!("{}/permissions", member.membership_url))
        .await;
    assert_eq!(permissions.body["permissions"], json!(["read"]));
    let me = app.admin_membership_url().await;
    let mine = app.get(&format!("{me}/permissions")).await;
    assert_eq!(
        mine.body["permissions"],
        json!([
            "read",
            "team:manage",
            "api-keys:manage",
            "legal-persons:write",
            "decisions:write",
            "bank-accounts:write",
            "payments:create",
            "payments:submit",
            "account-restrictions:write",
            "pool-membership:write"
        ])
    );
    for urls in [
        json!(["/v0/roles/re.AAAAAAAAAAAAAAAAAAAAAA"]),
        json!(["not a url"]),
    ] {
        let response = app
            .admin(
                Method::PUT,
                &format!("{}/roles", member.membership_url),
                Some(json!({"role-urls": urls})),
            )
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{urls}");
        assert_eq!(response.error_title(), "role-not-available");
        assert_eq!(response.error_pointer(), Some("/role-urls/0"));
    }
    let empty = app
        .admin(
            Method::PUT,
            &format!("{}/roles", member.membership_url),
            Some(json!({"role-urls": []})),
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    let compliance = app.role_url("Compliance").await;
    let set = app
        .admin(
            Method::PUT,
            &format!("{}/roles", member.membership_url),
            Some(json!({"role-urls": [compliance]})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK);
    let permissions = app
        .get(&format!("{}/permissions", member.membership_url))
        .await;
    assert_eq!(
        permissions.body["permissions"],
        json!([
            "read",
            "legal-persons:write",
            "decisions:write",
            "account-restrictions:write",
            "pool-membership:write"
        ])
    );
    let by_role = app
        .get(&format!(
            "{}/memberships?filter[role-url][eq]={compliance}",
            app.organization_url
        ))
        .await;
    assert_eq!(
        by_role.body["memberships"].as_array().map(Vec::len),
        Some(2)
    );
}

#[actix_web::test]
async fn custom_roles_lifecycle() {
    let app = TestApp::new().await;
    let org = &app.organization_url;
    let created = app
        .admin(
            Method::POST,
            &format!("{org}/roles"),
            Some(json!({"display-name": "Inviter",
            "description": "Invites people", "permissions": ["read", "team:manage"]})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let url = created.body.string_at("role-url");
    assert_eq!(created.header("location"), Some(url.as_str()));
    assert_eq!(created.body["role-category"], "custom");
    assert_eq!(created.body["permissions"], json!(["read", "team:manage"]));
    // Listed among the available roles, on the organization too.
    let organization = app.get(org).await;
    assert!(
        organization.body["available-roles"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x["role-url"] == url.as_str()))
    );
    let listed = app.get(&format!("{org}/roles")).await;
    assert_eq!(listed.body["roles"].as_array().map(Vec::len), Some(8));

    let duplicate = app
        .admin(
            Method::POST,
            &format!("{org}/roles"),
            Some(json!({"display-name": "inviter", "permissions": []})),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    let unknown = app
        .admin(
            Method::POST,
            &format!("{org}/roles"),
            Some(json!({"display-name": "Y", "permissions": ["read", "root"]})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.error_pointer(), Some("/permissions/1"));

    // A member holding it gets its permissions, and its changes, at once.
    let member = app
        .member("inviter@example.com", std::slice::from_ref(&url))
        .await;
    let invite = |email: &'static str| json!({"email-address": email});
    let allowed = app
        .call(
            Method::POST,
            &format!("{org}/invitations"),
            Some(&member.key_auth()),
            Some(invite("a@example.com")),
        )
        .await;
    assert_eq!(allowed.status, StatusCode::CREATED);
    let patched = app
        .admin(Method::PATCH, &url, Some(json!({"permissions": ["read"]})))
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(patched.body["permissions"], json!(["read"]));
    let refused = app
        .call(
            Method::POST,
            &format!("{org}/invitations"),
            Some(&member.key_auth()),
            Some(invite("b@example.com")),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let in_use = app.admin(Method::DELETE, &url, None).await;
    assert_eq!(in_use.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(in_use.error_title(), "role-in-use");
    let reassign = app
        .admin(
            Method::PUT,
            &format!("{}/roles", member.membership_url),
            Some(json!({"role-urls": [app.role_url("Team member").await]})),
        )
        .await;
    assert_eq!(reassign.status, StatusCode::OK);
    assert_eq!(
        app.admin(Method::DELETE, &url, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get(&url).await.status, StatusCode::NOT_FOUND);

    // Built-in roles cannot change.
    let builtin = app.role_url("Team admin").await;
    let change = app
        .admin(
            Method::PATCH,
            &builtin,
            Some(json!({"description": "mine now"})),
        )
        .await;
    assert_eq!(change.error_title(), "builtin-role-immutable");
    assert_eq!(
        app.admin(Method::DELETE, &builtin, None)
            .await
            .error_title(),
        "builtin-role-immutable"
    );
}

#[actix_web::test]
async fn nobody_widens_their_own_permissions() {
    let app = TestApp::new().await;
    let me = app.admin_membership_url().await;
    let approve = app.role_url("Approve payments").await;
    let admin = app.role_url("Team admin").await;
    let widen = app
        .admin(
            Method::PUT,
            &format!("{me}/roles"),
            Some(json!({"role-urls": [admin.clone(), approve.clone()]})),
        )
        .await;
    assert_eq!(widen.status, StatusCode::FORBIDDEN);
    assert!(
        widen.body["errors"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("payments:approve"))
    );
    // Narrowing is fine, and another Team admin may grant it.
    let second = app
        .member("second@example.com", &[admin.clone(), approve.clone()])
        .await;
    let granted = app
        .call(
            Method::PUT,
            &format!("{me}/roles"),
            Some(&second.key_auth()),
            Some(json!({"role-urls": [admin.clone(), approve]})),
        )
        .await;
    assert_eq!(granted.status, StatusCode::OK);

    // A custom role one holds cannot be widened by oneself either.
    let org = &app.organization_url;
    let custom = app
        .admin(
            Method::POST,
            &format!("{org}/roles"),
            Some(json!({"display-name": "Mine", "permissions": ["read"]})),
        )
        .await;
    let custom_url = custom.body.string_at("role-url");
    let third = app
        .member("third@example.com", &[admin, custom_url.clone()])
        .await;
    let self_widen = app
        .call(
            Method::PATCH,
            &custom_url,
            Some(&third.key_auth()),
            Some(json!({"permissions": ["read", "payments:approve"]})),
        )
        .await;
    assert_eq!(self_widen.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn a_removed_members_key_stays_dead_when_they_rejoin() {
    let app = TestApp::new().await;
    let member_role = app.role_url("Team member").await;
    let member = app
        .member("back@example.com", std::slice::from_ref(&member_role))
        .await;
    assert_eq!(
        app.admin(Method::DELETE, &member.membership_url, None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let again = app
        .admin(
            Method::POST,
            &format!("{}/invitations", app.organization_url),
            Some(json!({"email-address": "back@example.com"})),
        )
        .await;
    let token = again.body.str_at("invitation-token");
    let accepted = app
        .call(Method::POST, "/v0/invitations/actions/accept", None,
            Some(json!({"invitation-token": token, "given-name": "A", "surname": "B", "password": "correct horse battery"})))
        .await;
    assert_eq!(accepted.status, StatusCode::CREATED);
    let old_key = app
        .call(Method::GET, "/v0/index", Some(&member.key_auth()), None)
        .await;
    assert_eq!(old_key.status, StatusCode::UNAUTHORIZED);
}
