//! Organization owners, ownership transfer and organization settings (`PATCH`).

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Json, Member, Response, TestApp, id_of};

/// Asserts a refusal: its status, Griffin's error body with this title and pointer, and a
/// detail that says something.
#[track_caller]
fn assert_refused(response: &Response, status: StatusCode, title: &str, pointer: Option<&str>) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_eq!(response.error_title(), title, "{}", response.body);
    assert_eq!(response.error_pointer(), pointer, "{}", response.body);
    assert!(
        response.body["errors"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.len() > 10),
        "{}",
        response.body
    );
}

/// The organization as `GET /v0/organizations` (ours) lists it, with its owner.
async fn listed(app: &TestApp, authorization: &str) -> Value {
    let list = app
        .call(Method::GET, "/v0/organizations", Some(authorization), None)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    list.body
        .item_at("organizations", "organization-url", &app.organization_url)
        .clone()
}

async fn transfer(app: &TestApp, authorization: &str, membership_url: &str) -> Response {
    app.call(
        Method::POST,
        &format!("{}/actions/transfer-ownership", app.organization_url),
        Some(authorization),
        Some(json!({"membership-url": membership_url})),
    )
    .await
}

/// A response in a line: its status, and its error's title or the owner it shows.
fn outcome(response: &Response) -> String {
    let said = response.body["errors"][0]["title"]
        .as_str()
        .or(response.body["owner-membership-url"].as_str())
        .unwrap_or("");
    format!("{} {said}", response.status)
}

/// A second member holding Team admin.
async fn second_admin(app: &TestApp, email: &str) -> Member {
    let admin = app.role_url("Team admin").await;
    app.member(email, std::slice::from_ref(&admin)).await
}

#[actix_web::test]
async fn the_founder_owns_the_organization_and_our_operations_show_it() {
    let app = TestApp::new().await;
    let me = app.admin_membership_url().await;
    let organization = listed(&app, &app.auth()).await;
    assert_eq!(organization["owner-membership-url"], me.as_str());
    // Griffin's organization is closed: its own GET (and the organization inside a
    // membership) has no field for the owner.
    let griffins = app.get(&app.organization_url).await;
    assert_eq!(griffins.status, StatusCode::OK);
    assert!(griffins.body.get("owner-membership-url").is_none());
    let membership = app.get(&me).await;
    assert!(
        membership.body["organization"]
            .get("owner-membership-url")
            .is_none()
    );
    // Apart from the owner, our list shows Griffin's organization.
    let mut without_owner = organization.clone();
    without_owner
        .as_object_mut()
        .and_then(|o| o.remove("owner-membership-url"));
    assert_eq!(without_owner, griffins.body);

    // An organization a user creates is theirs.
    let member = app
        .member("founder@example.com", &[app.role_url("Team member").await])
        .await;
    let created = app
        .call(
            Method::POST,
            "/v0/organizations",
            Some(&member.session_auth()),
            Some(json!({"display-name": "Founded Ltd"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let members = app
        .call(
            Method::GET,
            created.body.str_at("organization-memberships-url"),
            Some(&member.session_auth()),
            None,
        )
        .await;
    assert_eq!(
        created.body["owner-membership-url"],
        members.body.str_at("memberships/0/membership-url")
    );
}

#[actix_web::test]
async fn the_owner_cannot_be_removed_or_deactivated() {
    let app = TestApp::new().await;
    let me = app.admin_membership_url().await;
    // Another Team admin, so the last-admin rule is not what refuses.
    let second = second_admin(&app, "second@example.com").await;
    let before = app.team_tables().await;
    let removed = app
        .call(Method::DELETE, &me, Some(&second.key_auth()), None)
        .await;
    assert_refused(
        &removed,
        StatusCode::UNPROCESSABLE_ENTITY,
        "owner-cannot-be-removed",
        None,
    );
    let deactivated = app
        .call(
            Method::PATCH,
            &me,
            Some(&second.session_auth()),
            Some(json!({"membership-status": "deactivated"})),
        )
        .await;
    assert_refused(
        &deactivated,
        StatusCode::UNPROCESSABLE_ENTITY,
        "owner-cannot-be-deactivated",
        None,
    );
    assert_eq!(app.team_tables().await, before);
    // Reactivating (a no-op here) is no deactivation.
    let active = app
        .admin(
            Method::PATCH,
            &me,
            Some(json!({"membership-status": "active"})),
        )
        .await;
    assert_eq!(active.status, StatusCode::OK, "{}", active.body);
    // The owner's roles change like anyone's.
    let member_role = app.role_url("Team member").await;
    let demoted = app
        .call(
            Method::PUT,
            &format!("{me}/roles"),
            Some(&second.key_auth()),
            Some(json!({"role-urls": [member_role]})),
        )
        .await;
    assert_eq!(demoted.status, StatusCode::OK, "{}", demoted.body);
    assert_eq!(
        listed(&app, &app.auth()).await["owner-membership-url"],
        me.as_str()
    );
}

#[actix_web::test]
async fn ownership_moves_to_another_active_team_admin() {
    let app = TestApp::new().await;
    let me = app.admin_membership_url().await;
    let second = second_admin(&app, "second@example.com").await;
    let moved = transfer(&app, &app.auth(), &second.membership_url).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(
        moved.body["organization-url"],
        app.organization_url.as_str()
    );
    assert_eq!(
        moved.body["owner-membership-url"],
        second.membership_url.as_str()
    );
    assert_eq!(listed(&app, &app.auth()).await, moved.body);

    // The new owner is guarded now; the old one is a member like any other.
    let guarded = app
        .admin(Method::DELETE, &second.membership_url, None)
        .await;
    assert_refused(
        &guarded,
        StatusCode::UNPROCESSABLE_ENTITY,
        "owner-cannot-be-removed",
        None,
    );
    let again = transfer(&app, &app.auth(), &me).await;
    assert_refused(&again, StatusCode::FORBIDDEN, "forbidden", None);
    let removed = app
        .call(Method::DELETE, &me, Some(&second.session_auth()), None)
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.body);
    let members = app
        .call(
            Method::GET,
            &format!("{}/memberships", app.organization_url),
            Some(&second.key_auth()),
            None,
        )
        .await;
    assert_eq!(
        members.body.strs_at("memberships", "membership-url"),
        [second.membership_url.as_str()]
    );
}

#[actix_web::test]
async fn only_the_owner_transfers_the_ownership() {
    let app = TestApp::new().await;
    let me = app.admin_membership_url().await;
    let second = second_admin(&app, "second@example.com").await;
    let third = second_admin(&app, "third@example.com").await;
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let before = app.team_tables().await;
    for auth in [second.key_auth(), second.session_auth()] {
        let refused = transfer(&app, &auth, &third.membership_url).await;
        assert_refused(&refused, StatusCode::FORBIDDEN, "forbidden", None);
        assert!(
            refused.body["errors"][0]["detail"]
                .as_str()
                .is_some_and(|d| d.contains("owner")),
            "{}",
            refused.body
        );
    }
    // Another organization's key does not see this one at all.
    let outsider = transfer(
        &app,
        &format!("GriffinAPIKey {}", other.secret.as_str()),
        &me,
    )
    .await;
    assert_refused(&outsider, StatusCode::NOT_FOUND, "not-found", None);
    assert_eq!(app.team_tables().await, before);
}

#[actix_web::test]
async fn a_transfer_to_a_membership_that_cannot_own_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let me = app.admin_membership_url().await;
    let team_member = app
        .member("member@example.com", &[app.role_url("Team member").await])
        .await;
    let deactivated = second_admin(&app, "away@example.com").await;
    let off = app
        .admin(
            Method::PATCH,
            &deactivated.membership_url,
            Some(json!({"membership-status": "deactivated"})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    // Team admin's permissions through a custom role are not the Team admin role.
    let lookalike_role = app
        .admin(
            Method::POST,
            &format!("{}/roles", app.organization_url),
            Some(json!({"display-name": "Almost admin",
                        "permissions": ["read", "team:manage", "api-keys:manage"]})),
        )
        .await;
    let lookalike = app
        .member(
            "lookalike@example.com",
            &[lookalike_role.body.string_at("role-url")],
        )
        .await;
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let theirs = app
        .get_as(
            other.secret.as_str(),
            &format!("{}/memberships", other.report().organization_url),
        )
        .await
        .body
        .string_at("memberships/0/membership-url");
    let not_available = "membership-not-available";
    let cases = [
        (me.clone(), "already-owner"),
        (deactivated.membership_url.clone(), "membership-deactivated"),
        (
            team_member.membership_url.clone(),
            "new-owner-not-team-admin",
        ),
        (lookalike.membership_url.clone(), "new-owner-not-team-admin"),
        (theirs, not_available),
        (
            "/v0/memberships/mp.AAAAAAAAAAAAAAAAAAAAAA".to_string(),
            not_available,
        ),
        (app.role_url("Team admin").await, not_available),
        (format!("{me}x"), not_available),
        ("nonsense".to_string(), not_available),
        (String::new(), not_available),
    ];
    let before = app.team_tables().await;
    for (url, title) in cases {
        let refused = transfer(&app, &app.auth(), &url).await;
        assert_refused(
            &refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            title,
            Some("/membership-url"),
        );
    }
    // Bodies that are not a transfer at all.
    let path = format!("{}/actions/transfer-ownership", app.organization_url);
    for (body, title, pointer) in [
        (json!({}), "Missing field", "/membership-url"),
        (
            json!({"membership-url": 7}),
            "Incorrect type",
            "/membership-url",
        ),
        (
            json!({"membership-url": me, "keep-roles": true}),
            "Invalid value",
            "/keep-roles",
        ),
    ] {
        let refused = app.admin(Method::POST, &path, Some(body)).await;
        assert_refused(&refused, StatusCode::BAD_REQUEST, title, Some(pointer));
    }
    assert_eq!(app.team_tables().await, before);
    assert_eq!(
        listed(&app, &app.auth()).await["owner-membership-url"],
        me.as_str()
    );
}

/// Racing requests cannot leave the organization with an owner who is deactivated, or give it
/// two owners: transfers, removals and deactivations take the organization's lock.
#[actix_web::test]
async fn ownership_rules_hold_under_concurrency() {
    let app = TestApp::new().await;
    let me = app.admin_membership_url().await;
    let second = second_admin(&app, "second@example.com").await;
    let third = second_admin(&app, "third@example.com").await;
    let owner_auth = app.auth();
    for round in 0..8 {
        // The owner hands over to `second` while `second` is being deactivated.
        let (moved, deactivated) = futures_util::join!(
            transfer(&app, &owner_auth, &second.membership_url),
            app.admin(
                Method::PATCH,
                &second.membership_url,
                Some(json!({"membership-status": "deactivated"})),
            ),
        );
        let owner = listed(&app, &app.auth())
            .await
            .string_at("owner-membership-url");
        match (moved.status, deactivated.status) {
            (StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY) => {
                assert_eq!(deactivated.error_title(), "owner-cannot-be-deactivated");
                assert_eq!(owner, second.membership_url);
                let back = transfer(&app, &second.key_auth(), &me).await;
                assert_eq!(back.status, StatusCode::OK, "{}", back.body);
            }
            (StatusCode::UNPROCESSABLE_ENTITY, StatusCode::OK) => {
                assert_eq!(moved.error_title(), "membership-deactivated");
                assert_eq!(owner, me);
                let on = app
                    .admin(
                        Method::PATCH,
                        &second.membership_url,
                        Some(json!({"membership-status": "active"})),
                    )
                    .await;
                assert_eq!(on.status, StatusCode::OK, "{}", on.body);
            }
            _ => panic!(
                "round {round}: {} / {}",
                outcome(&moved),
                outcome(&deactivated)
            ),
        }
        // Two transfers at once from the same owner: one wins, the other is no longer the
        // owner's to make.
        let (to_second, to_third) = futures_util::join!(
            transfer(&app, &owner_auth, &second.membership_url),
            transfer(&app, &owner_auth, &third.membership_url),
        );
        let mut statuses = [to_second.status, to_third.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::FORBIDDEN],
            "round {round}: {} / {}",
            outcome(&to_second),
            outcome(&to_third)
        );
        let (winner, winner_url) = if to_second.status == StatusCode::OK {
            (&second, &second.membership_url)
        } else {
            (&third, &third.membership_url)
        };
        let owner = listed(&app, &app.auth())
            .await
            .string_at("owner-membership-url");
        assert_eq!(&owner, winner_url);
        let back = transfer(&app, &winner.key_auth(), &me).await;
        assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    }
}

#[actix_web::test]
async fn team_admins_rename_the_organization_and_nothing_else() {
    let app = TestApp::new().await;
    let renamed = app
        .admin(
            Method::PATCH,
            &app.organization_url,
            Some(json!({"display-name": "Renamed Ltd"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["display-name"], "Renamed Ltd");
    assert_eq!(renamed.body["organization-mode"], "test-mode");
    assert_eq!(
        renamed.body["owner-membership-url"],
        app.admin_membership_url().await.as_str()
    );
    assert_eq!(
        app.get(&app.organization_url).await.body["display-name"],
        "Renamed Ltd"
    );
    // An empty change changes nothing.
    let unchanged = app
        .admin(Method::PATCH, &app.organization_url, Some(json!({})))
        .await;
    assert_eq!(unchanged.status, StatusCode::OK);
    assert_eq!(unchanged.body, renamed.body);

    let member = app
        .member("member@example.com", &[app.role_url("Team member").await])
        .await;
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let before = app.team_tables().await;
    let long = "x".repeat(65);
    for (body, title, pointer) in [
        (
            json!({"organization-mode": "live-mode"}),
            "Invalid value",
            "/organization-mode",
        ),
        (
            json!({"display-name": "Mode too", "organization-mode": "test-mode"}),
            "Invalid value",
            "/organization-mode",
        ),
        (
            json!({"owner-membership-url": "x"}),
            "Invalid value",
            "/owner-membership-url",
        ),
        (
            json!({"display-name": ""}),
            "Invalid value",
            "/display-name",
        ),
        (
            json!({"display-name": "   "}),
            "Invalid value",
            "/display-name",
        ),
        (
            json!({"display-name": long}),
            "Invalid value",
            "/display-name",
        ),
        (
            json!({"display-name": 5}),
            "Incorrect type",
            "/display-name",
        ),
    ] {
        let refused = app
            .admin(Method::PATCH, &app.organization_url, Some(body.clone()))
            .await;
        assert_refused(&refused, StatusCode::BAD_REQUEST, title, Some(pointer));
        if body.get("organization-mode").is_some() {
            assert!(
                refused.body["errors"][0]["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("organization-mode")),
                "{}",
                refused.body
            );
        }
    }
    // A Team member may not; another organization's key finds nothing.
    for auth in [member.key_auth(), member.session_auth()] {
        let forbidden = app
            .call(
                Method::PATCH,
                &app.organization_url,
                Some(&auth),
                Some(json!({"display-name": "Mine now"})),
            )
            .await;
        assert_refused(&forbidden, StatusCode::FORBIDDEN, "forbidden", None);
        assert!(
            forbidden.body["errors"][0]["detail"]
                .as_str()
                .is_some_and(|d| d.contains("team:manage") && d.contains("Team admin")),
            "{}",
            forbidden.body
        );
    }
    let outsider = app
        .call(
            Method::PATCH,
            &app.organization_url,
            Some(&format!("GriffinAPIKey {}", other.secret.as_str())),
            Some(json!({"display-name": "Taken over"})),
        )
        .await;
    assert_refused(&outsider, StatusCode::NOT_FOUND, "not-found", None);
    assert_eq!(app.team_tables().await, before);
    assert_eq!(
        app.get(&app.organization_url).await.body["display-name"],
        "Renamed Ltd"
    );
}

/// Runs SQL on the test's database, in one transaction.
async fn execute(app: &TestApp, sql: &str) {
    use diesel_async::SimpleAsyncConnection;
    let mut tx = app.db.write().await.unwrap_or_else(|e| panic!("{e}"));
    let result = hyperbank::dispatch!(&mut tx.conn(), c => c.batch_execute(sql).await);
    tx.finish(result)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The owners migration on a database that already has organizations and sessions: each
/// organization gets its oldest active Team admin as owner, else its oldest membership; each
/// session its user's oldest active membership's organization, else none.
#[actix_web::test]
async fn the_migration_gives_existing_organizations_owners_and_sessions_organizations() {
    let app = TestApp::new().await;
    let founder = app.admin_membership_url().await;
    let member = app
        .member("member@example.com", &[app.role_url("Team member").await])
        .await;
    let admin = second_admin(&app, "admin@example.com").await;
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let other_founder = app
        .get_as(
            other.secret.as_str(),
            &format!("{}/memberships", other.report().organization_url),
        )
        .await
        .body
        .string_at("memberships/0/membership-url");
    // One text serves both backends: the migration is written in the SQL they share.
    let up = include_str!("../../migrations/sqlite/2026-12-03-000014_owners/up.sql");
    let down = include_str!("../../migrations/sqlite/2026-12-03-000014_owners/down.sql");
    assert_eq!(
        (up, down),
        (
            include_str!("../../migrations/postgres/2026-12-03-000014_owners/up.sql"),
            include_str!("../../migrations/postgres/2026-12-03-000014_owners/down.sql"),
        )
    );
    execute(&app, down).await;
    // Before the migration: the oldest members of both organizations are deactivated, and so
    // is the member (no Team admin) who joined before the other admin.
    let deactivated = [&founder, &member.membership_url, &other_founder]
        .map(|url| format!("'{}'", id_of(url)))
        .join(", ");
    execute(
        &app,
        &format!(
            "UPDATE memberships SET membership_status = 'deactivated' WHERE id IN ({deactivated})"
        ),
    )
    .await;
    execute(&app, up).await;

    let tables = app.team_tables().await;
    let line = |prefix: &str| -> String {
        let found: Vec<&String> = tables.iter().filter(|l| l.starts_with(prefix)).collect();
        assert_eq!(found.len(), 1, "{prefix}: {tables:#?}");
        found[0].clone()
    };
    let organization = id_of(&app.organization_url);
    assert!(
        line(&format!("organization {organization} "))
            .ends_with(&format!(" owner {}", id_of(&admin.membership_url))),
        "{tables:#?}"
    );
    assert!(
        line(&format!(
            "organization {} ",
            id_of(&other.report().organization_url)
        ))
        .ends_with(&format!(" owner {}", id_of(&other_founder))),
        "{tables:#?}"
    );
    // Sessions: the member's one membership is deactivated, the admin's is active.
    let session_of = |auth: String| {
        let app = &app;
        async move {
            app.call(Method::GET, "/v0/session", Some(&auth), None)
                .await
                .body
        }
    };
    let member_session = session_of(member.session_auth()).await;
    assert!(
        member_session.get("organization-url").is_none(),
        "{member_session}"
    );
    let admin_session = session_of(admin.session_auth()).await;
    assert_eq!(
        admin_session["organization-url"],
        app.organization_url.as_str()
    );
    // The new owner answers for the organization as the owner.
    let listed = listed(&app, &admin.key_auth()).await;
    assert_eq!(
        listed["owner-membership-url"],
        admin.membership_url.as_str()
    );
}
