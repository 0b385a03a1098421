//! Groups: members holding roles through a group, and every rule a change to one keeps.

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Json, TestApp, id_of};

fn groups_url(app: &TestApp) -> String {
    format!("{}/groups", app.organization_url)
}

impl TestApp {
    /// Creates a group with the admin's key; panics unless 201.
    async fn group(&self, body: Value) -> Value {
        let created = self
            .admin(Method::POST, &groups_url(self), Some(body))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        created.body
    }

    /// How many rows a group has in `group_memberships` and `group_roles`, read directly.
    async fn group_rows(&self, group_url: &str) -> (i64, i64) {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use hyperbank::store::schema::{group_memberships, group_roles};
        let id = id_of(group_url).to_string();
        let mut conn = self.db.read().await.unwrap_or_else(|e| panic!("{e}"));
        let mut conn = conn.conn();
        let members: QueryResult<i64> = hyperbank::dispatch!(&mut conn, c => group_memberships::table
            .filter(group_memberships::group_id.eq(&id))
            .count()
            .get_result(c)
            .await);
        let roles: QueryResult<i64> = hyperbank::dispatch!(&mut conn, c => group_roles::table
            .filter(group_roles::group_id.eq(&id))
            .count()
            .get_result(c)
            .await);
        match (members, roles) {
            (Ok(members), Ok(roles)) => (members, roles),
            (Err(e), _) | (_, Err(e)) => panic!("{e}"),
        }
    }
}

/// A custom role with the given permissions; its URL.
async fn custom_role(app: &TestApp, name: &str, permissions: &[&str]) -> String {
    let created = app
        .admin(
            Method::POST,
            &format!("{}/roles", app.organization_url),
            Some(json!({"display-name": name, "permissions": permissions})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body.string_at("role-url")
}

#[actix_web::test]
async fn groups_are_created_listed_read_changed_and_deleted() {
    let app = TestApp::new().await;
    let compliance = app.role_url("Compliance").await;
    let member_role = app.role_url("Team member").await;
    let ada = app
        .member("ada@example.com", std::slice::from_ref(&member_role))
        .await;
    let created = app
        .admin(
            Method::POST,
            &groups_url(&app),
            Some(json!({
                "display-name": "Onboarding",
                "description": "Checks new customers",
                "role-urls": [compliance],
                "membership-urls": [ada.membership_url, ada.membership_url],
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let group = created.body.string_at("group-url");
    assert!(id_of(&group).starts_with("gr."), "{group}");
    assert_eq!(created.header("location"), Some(group.as_str()));
    assert_eq!(
        created.body["organization-url"],
        app.organization_url.as_str()
    );
    assert_eq!(created.body["description"], "Checks new customers");
    assert_eq!(
        created.body.strs_at("roles", "display-name"),
        ["Compliance"]
    );
    assert_eq!(
        created.body["group-memberships-url"],
        format!("{group}/memberships")
    );
    assert_eq!(
        app.group_rows(&group).await,
        (1, 1),
        "the repeat was ignored"
    );

    // Lists, with both filters.
    app.group(json!({"display-name": "Payments"})).await;
    let all = app.get(&groups_url(&app)).await;
    assert_eq!(
        all.body.strs_at("groups", "display-name"),
        ["Payments", "Onboarding"]
    );
    let by_name = app
        .get(&format!(
            "{}?filter[display-name][eq]=Onboarding",
            groups_url(&app)
        ))
        .await;
    assert_eq!(
        by_name.body.strs_at("groups", "group-url"),
        [group.as_str()]
    );
    let of_ada = app
        .get(&format!(
            "{}?filter[membership-url][eq]={}",
            groups_url(&app),
            ada.membership_url
        ))
        .await;
    assert_eq!(of_ada.body.strs_at("groups", "group-url"), [group.as_str()]);
    let ada_groups = app.get(&format!("{}/groups", ada.membership_url)).await;
    assert_eq!(
        ada_groups.body.strs_at("groups", "group-url"),
        [group.as_str()]
    );
    let ada_view = app.get(&ada.membership_url).await;
    assert_eq!(
        ada_view.body["membership-groups-url"],
        format!("{}/groups", ada.membership_url)
    );
    let members = app.get(&format!("{group}/memberships")).await;
    assert_eq!(
        members.body.strs_at("memberships", "membership-url"),
        [ada.membership_url.as_str()]
    );
    // A group's list takes the member filters too (but not the group filter, which it is).
    for (query, expected) in [
        (
            "filter[email][prefix]=ADA",
            vec![ada.membership_url.as_str()],
        ),
        ("filter[email][prefix]=zed", vec![]),
        (
            &format!("filter[role-url][eq]={member_role}") as &str,
            vec![ada.membership_url.as_str()],
        ),
    ] {
        let filtered = app.get(&format!("{group}/memberships?{query}")).await;
        assert_eq!(
            filtered.body.strs_at("memberships", "membership-url"),
            expected,
            "{query}"
        );
    }
    let not_here = app
        .get(&format!(
            "{group}/memberships?filter[group-url][eq]={group}"
        ))
        .await;
    assert_eq!(not_here.status, StatusCode::BAD_REQUEST);
    let by_group = app
        .get(&format!(
            "{}/memberships?filter[group-url][eq]={group}",
            app.organization_url
        ))
        .await;
    assert_eq!(
        by_group.body.strs_at("memberships", "membership-url"),
        [ada.membership_url.as_str()]
    );

    // The role filter counts roles held through groups: the founder holds Compliance
    // directly, Ada through the group.
    let by_role = app
        .get(&format!(
            "{}/memberships?filter[role-url][eq]={compliance}&sort=created-at",
            app.organization_url
        ))
        .await;
    let founder = app.admin_membership_url().await;
    assert_eq!(
        by_role.body.strs_at("memberships", "membership-url"),
        [founder.as_str(), ada.membership_url.as_str()]
    );

    // Renamed: the name is free case aside, and another group's is taken.
    let taken = app
        .admin(
            Method::PATCH,
            &group,
            Some(json!({"display-name": "PAYMENTS"})),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    assert_eq!(taken.error_title(), "group-name-taken");
    let duplicate = app
        .admin(
            Method::POST,
            &groups_url(&app),
            Some(json!({"display-name": "onboarding"})),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    let null = app
        .admin(Method::PATCH, &group, Some(json!({"display-name": null})))
        .await;
    assert_eq!(null.status, StatusCode::BAD_REQUEST, "{}", null.body);
    assert_eq!(null.error_pointer(), Some("/display-name"));
    let renamed = app
        .admin(
            Method::PATCH,
            &group,
            Some(json!({"display-name": "KYC", "description": ""})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(app.get(&group).await.body["display-name"], "KYC");
    assert_eq!(app.get(&group).await.body["description"], "");

    // Deleted, with its members and roles.
    let deleted = app.admin(Method::DELETE, &group, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&group).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.group_rows(&group).await, (0, 0));
    assert_eq!(app.get(&ada.membership_url).await.status, StatusCode::OK);
}

/// What a member may do follows their groups' roles from one request to the next.
#[actix_web::test]
async fn a_member_holds_their_groups_roles_until_the_group_loses_them() {
    let app = TestApp::new().await;
    let member_role = app.role_url("Team member").await;
    let compliance = app.role_url("Compliance").await;
    let ada = app
        .member("ada@example.com", std::slice::from_ref(&member_role))
        .await;
    let legal_persons = format!("{}/legal-persons", app.organization_url);
    let person = json!({
        "display-name": "Grace Hopper",
        "legal-person-type": "individual",
    });
    let create_person = async |auth: &str| {
        app.call(
            Method::POST,
            &legal_persons,
            Some(auth),
            Some(person.clone()),
        )
        .await
    };
    let refused = create_person(&ada.key_auth()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    let group = app
        .group(json!({
            "display-name": "Onboarding",
            "role-urls": [compliance],
            "membership-urls": [ada.membership_url],
        }))
        .await
        .string_at("group-url");
    for auth in [ada.key_auth(), ada.session_auth()] {
        let allowed = create_person(&auth).await;
        assert_eq!(allowed.status, StatusCode::CREATED, "{}", allowed.body);
    }
    let permissions = app
        .get(&format!("{}/permissions", ada.membership_url))
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
    // Her own roles are unchanged: the group's are held through it.
    let own = app.get(&format!("{}/roles", ada.membership_url)).await;
    assert_eq!(own.body.strs_at("roles", "display-name"), ["Team member"]);

    // The group loses the role: refused at once, with the key and the session.
    let emptied = app
        .admin(
            Method::PUT,
            &format!("{group}/roles"),
            Some(json!({"role-urls": []})),
        )
        .await;
    assert_eq!(emptied.status, StatusCode::OK, "{}", emptied.body);
    assert_eq!(emptied.body["roles"], json!([]));
    for auth in [ada.key_auth(), ada.session_auth()] {
        let refused = create_person(&auth).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    }

    // Given back, then Ada leaves the group: refused again.
    let restored = app
        .admin(
            Method::PUT,
            &format!("{group}/roles"),
            Some(json!({"role-urls": [compliance]})),
        )
        .await;
    assert_eq!(
        restored.body.strs_at("roles", "display-name"),
        ["Compliance"]
    );
    assert_eq!(app.get(&format!("{group}/roles")).await.body, restored.body);
    assert_eq!(
        create_person(&ada.key_auth()).await.status,
        StatusCode::CREATED
    );
    let member_in_group = format!("{group}/memberships/{}", id_of(&ada.membership_url));
    let left = app.admin(Method::DELETE, &member_in_group, None).await;
    assert_eq!(left.status, StatusCode::NO_CONTENT);
    assert_eq!(
        create_person(&ada.key_auth()).await.status,
        StatusCode::FORBIDDEN
    );
    let again = app.admin(Method::DELETE, &member_in_group, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "no longer in it");

    // Added back through the members endpoint, then the group is deleted: refused.
    let joined = app
        .admin(
            Method::POST,
            &format!("{group}/memberships"),
            Some(json!({"membership-urls": [ada.membership_url]})),
        )
        .await;
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
    assert_eq!(joined.body["group-url"], group.as_str());
    assert_eq!(
        create_person(&ada.session_auth()).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        app.admin(Method::DELETE, &group, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        create_person(&ada.session_auth()).await.status,
        StatusCode::FORBIDDEN
    );
}

/// With the only other Team admin holding the role through a group, no path may take it away.
#[actix_web::test]
async fn the_last_team_admin_is_kept_through_groups() {
    let app = TestApp::new().await;
    let admin_role = app.role_url("Team admin").await;
    let member_role = app.role_url("Team member").await;
    let ada = app
        .member("ada@example.com", std::slice::from_ref(&member_role))
        .await;
    let group = app
        .group(json!({
            "display-name": "Admins",
            "role-urls": [admin_role],
            "membership-urls": [ada.membership_url],
        }))
        .await
        .string_at("group-url");
    // The founder steps down: Ada is a Team admin through the group.
    let me = app.admin_membership_url().await;
    let stepped_down = app
        .admin(
            Method::PUT,
            &format!("{me}/roles"),
            Some(json!({"role-urls": [member_role]})),
        )
        .await;
    assert_eq!(stepped_down.status, StatusCode::OK, "{}", stepped_down.body);

    let ada_key = ada.key_auth();
    let as_ada = async |method: Method, path: String, body: Option<Value>| {
        app.call(method, &path, Some(&ada_key), body).await
    };
    let member_in_group = format!("{group}/memberships/{}", id_of(&ada.membership_url));
    let attempts = [
        as_ada(Method::DELETE, group.clone(), None).await,
        as_ada(
            Method::PUT,
            format!("{group}/roles"),
            Some(json!({"role-urls": [member_role]})),
        )
        .await,
        as_ada(Method::DELETE, member_in_group, None).await,
        as_ada(
            Method::PATCH,
            ada.membership_url.clone(),
            Some(json!({"membership-status": "deactivated"})),
        )
        .await,
        as_ada(Method::DELETE, ada.membership_url.clone(), None).await,
    ];
    for refused in attempts {
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert_eq!(refused.error_title(), "last-team-admin");
    }
    // Nothing changed.
    assert_eq!(app.group_rows(&group).await, (1, 1));
    assert_eq!(
        app.get(&ada.membership_url).await.body["membership-status"],
        "active"
    );

    // With the founder an admin again, the group may go.
    let restored = as_ada(
        Method::PUT,
        format!("{me}/roles"),
        Some(json!({"role-urls": [admin_role]})),
    )
    .await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.body);
    assert_eq!(
        as_ada(Method::DELETE, group.clone(), None).await.status,
        StatusCode::NO_CONTENT
    );
}

#[actix_web::test]
async fn nobody_widens_their_own_permissions_through_a_group() {
    let app = TestApp::new().await;
    let admin_role = app.role_url("Team admin").await;
    let compliance = app.role_url("Compliance").await;
    let ada = app
        .member("ada@example.com", std::slice::from_ref(&admin_role))
        .await;
    let ada_key = ada.key_auth();
    let as_ada = async |method: Method, path: String, body: Value| {
        app.call(method, &path, Some(&ada_key), Some(body)).await
    };
    let into_compliance = as_ada(
        Method::POST,
        groups_url(&app),
        json!({"display-name": "Mine", "role-urls": [compliance],
            "membership-urls": [ada.membership_url]}),
    )
    .await;
    assert_eq!(
        into_compliance.status,
        StatusCode::FORBIDDEN,
        "{}",
        into_compliance.body
    );
    assert!(
        into_compliance
            .body
            .to_string()
            .contains("legal-persons:write"),
        "{}",
        into_compliance.body
    );
    assert_eq!(app.get(&groups_url(&app)).await.body["groups"], json!([]));

    // A group for others is fine; joining it, or giving her own group more, is not.
    let others = as_ada(
        Method::POST,
        groups_url(&app),
        json!({"display-name": "Others", "role-urls": [compliance]}),
    )
    .await;
    assert_eq!(others.status, StatusCode::CREATED, "{}", others.body);
    let others = others.body.string_at("group-url");
    let join = as_ada(
        Method::POST,
        format!("{others}/memberships"),
        json!({"membership-urls": [ada.membership_url]}),
    )
    .await;
    assert_eq!(join.status, StatusCode::FORBIDDEN, "{}", join.body);
    let own = as_ada(
        Method::POST,
        groups_url(&app),
        json!({"display-name": "Own", "membership-urls": [ada.membership_url]}),
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);
    let own = own.body.string_at("group-url");
    let widen = as_ada(
        Method::PUT,
        format!("{own}/roles"),
        json!({"role-urls": [compliance]}),
    )
    .await;
    assert_eq!(widen.status, StatusCode::FORBIDDEN, "{}", widen.body);
    assert_eq!(app.group_rows(&others).await, (0, 1));
    assert_eq!(app.group_rows(&own).await, (1, 0));
    // Nor by widening a custom role she holds through a group.
    let auditor = custom_role(&app, "Auditor", &["read"]).await;
    let audit = app
        .group(json!({"display-name": "Audit", "role-urls": [auditor],
            "membership-urls": [ada.membership_url]}))
        .await;
    let widened = as_ada(
        Method::PATCH,
        auditor.clone(),
        json!({"permissions": ["read", "payments:create"]}),
    )
    .await;
    assert_eq!(widened.status, StatusCode::FORBIDDEN, "{}", widened.body);
    assert_eq!(app.get(&auditor).await.body["permissions"], json!(["read"]));
    assert_eq!(app.group_rows(audit.str_at("group-url")).await, (1, 1));
    // Another Team admin may.
    let by_admin = app
        .admin(
            Method::PUT,
            &format!("{own}/roles"),
            Some(json!({"role-urls": [compliance]})),
        )
        .await;
    assert_eq!(by_admin.status, StatusCode::OK, "{}", by_admin.body);
}

#[actix_web::test]
async fn references_to_roles_members_and_groups_are_checked() {
    let app = TestApp::new().await;
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let other_key = other.secret.as_str().to_string();
    let other_org = other.report().organization_url;
    let other_role = app
        .get_as(&other_key, &format!("{other_org}/memberships"))
        .await;
    let other_membership = other_role.body.string_at("memberships/0/membership-url");
    let foreign_role = app
        .call(
            Method::POST,
            &format!("{other_org}/roles"),
            Some(&format!("GriffinAPIKey {other_key}")),
            Some(json!({"display-name": "Theirs", "permissions": ["read"]})),
        )
        .await
        .body
        .string_at("role-url");
    let removed = app
        .member("gone@example.com", &[app.role_url("Team member").await])
        .await;
    let deleted = app
        .admin(Method::DELETE, &removed.membership_url, None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    let cases = [
        (
            json!({"display-name": "G", "role-urls": [foreign_role]}),
            "/role-urls/0",
            "role-not-available",
        ),
        (
            json!({"display-name": "G", "role-urls": ["/v0/roles/nope"]}),
            "/role-urls/0",
            "role-not-available",
        ),
        (
            json!({"display-name": "G", "membership-urls": [other_membership]}),
            "/membership-urls/0",
            "membership-not-found",
        ),
        (
            json!({"display-name": "G", "membership-urls": [removed.membership_url]}),
            "/membership-urls/0",
            "membership-not-found",
        ),
        (
            json!({"display-name": "G", "membership-urls": ["x", "y"]}),
            "/membership-urls/0",
            "membership-not-found",
        ),
    ];
    for (body, pointer, title) in cases {
        let refused = app
            .admin(Method::POST, &groups_url(&app), Some(body.clone()))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            refused.body
        );
        assert_eq!(refused.error_title(), title, "{body}");
        assert_eq!(refused.error_pointer(), Some(pointer), "{body}");
    }
    for body in [
        json!({"display-name": ""}),
        json!({"display-name": "x".repeat(65)}),
        json!({"display-name": "G", "description": "d".repeat(501)}),
        json!({"display-name": "G", "colour": "red"}),
        json!({}),
    ] {
        let refused = app
            .admin(Method::POST, &groups_url(&app), Some(body.clone()))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            refused.body
        );
    }
    assert_eq!(
        app.get(&groups_url(&app)).await.body["groups"],
        json!([]),
        "nothing made"
    );

    // Another organization's group is not found, whatever the method.
    let group = app
        .group(json!({"display-name": "Ours"}))
        .await
        .string_at("group-url");
    let theirs = format!("GriffinAPIKey {other_key}");
    for (method, path, body) in [
        (Method::GET, group.clone(), None),
        (
            Method::PATCH,
            group.clone(),
            Some(json!({"display-name": "Mine"})),
        ),
        (Method::DELETE, group.clone(), None),
        (Method::GET, format!("{group}/memberships"), None),
        (
            Method::PUT,
            format!("{group}/roles"),
            Some(json!({"role-urls": []})),
        ),
        (
            Method::POST,
            format!("{group}/memberships"),
            Some(json!({"membership-urls": [other_membership]})),
        ),
    ] {
        let response = app.call(method.clone(), &path, Some(&theirs), body).await;
        assert_eq!(
            response.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            response.body
        );
    }
    let adding = app
        .admin(
            Method::POST,
            &format!("{group}/memberships"),
            Some(json!({"membership-urls": [removed.membership_url]})),
        )
        .await;
    assert_eq!(adding.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(adding.error_pointer(), Some("/membership-urls/0"));
    let none = app
        .admin(
            Method::POST,
            &format!("{group}/memberships"),
            Some(json!({"membership-urls": []})),
        )
        .await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    let foreign = app
        .admin(
            Method::PUT,
            &format!("{group}/roles"),
            Some(json!({"role-urls": [foreign_role]})),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(foreign.error_pointer(), Some("/role-urls/0"));
    assert_eq!(app.group_rows(&group).await, (0, 0), "nothing changed");
    let bad_filter = app
        .get(&format!(
            "{}/memberships?filter[group-url][eq]=nope",
            app.organization_url
        ))
        .await;
    assert_eq!(bad_filter.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_filter.error_parameter(), Some("filter[group-url][eq]"));
}

#[actix_web::test]
async fn an_invitation_may_name_groups_its_member_joins() {
    let app = TestApp::new().await;
    let compliance = app.role_url("Compliance").await;
    let group = app
        .group(json!({"display-name": "Onboarding", "role-urls": [compliance]}))
        .await
        .string_at("group-url");
    let invitations = format!("{}/invitations", app.organization_url);
    let refused = app
        .admin(
            Method::POST,
            &invitations,
            Some(
                json!({"email-address": "x@example.com", "group-urls": [group, "/v0/groups/nope"]}),
            ),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(refused.error_title(), "group-not-found");
    assert_eq!(refused.error_pointer(), Some("/group-urls/1"));

    let invited = app
        .admin(
            Method::POST,
            &invitations,
            Some(json!({"email-address": "ada@example.com", "group-urls": [group]})),
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    assert_eq!(invited.body["group-urls"], json!([group]));
    let accepted = app
        .call(
            Method::POST,
            "/v0/invitations/actions/accept",
            None,
            Some(
                json!({"invitation-token": invited.body.str_at("invitation-token"),
                "given-name": "Ada", "surname": "Lovelace", "password": "correct horse battery"}),
            ),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.body);
    let membership = accepted.body.string_at("membership-url");
    let groups = app.get(&format!("{membership}/groups")).await;
    assert_eq!(groups.body.strs_at("groups", "group-url"), [group.as_str()]);
    let permissions = app.get(&format!("{membership}/permissions")).await;
    let names: Vec<&str> = permissions
        .body
        .array_at("permissions")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        names.contains(&"legal-persons:write"),
        "{}",
        permissions.body
    );
}

#[actix_web::test]
async fn a_custom_role_a_group_holds_cannot_be_deleted() {
    let app = TestApp::new().await;
    let role = custom_role(&app, "Auditor", &["read"]).await;
    let group = app
        .group(json!({"display-name": "Audit", "role-urls": [role]}))
        .await
        .string_at("group-url");
    let refused = app.admin(Method::DELETE, &role, None).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(refused.error_title(), "role-held-by-groups");
    assert!(
        refused.body.to_string().contains("Audit"),
        "{}",
        refused.body
    );
    assert_eq!(app.get(&role).await.status, StatusCode::OK);

    let taken = app
        .admin(
            Method::PUT,
            &format!("{group}/roles"),
            Some(json!({"role-urls": []})),
        )
        .await;
    assert_eq!(taken.status, StatusCode::OK);
    assert_eq!(
        app.admin(Method::DELETE, &role, None).await.status,
        StatusCode::NO_CONTENT
    );
}

/// The node of `permission` in a permission tree.
fn node<'a>(tree: &'a Value, permission: &str) -> &'a Value {
    tree["permission-areas"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|area| area["permissions"].as_array().into_iter().flatten())
        .find(|node| node["permission"] == permission)
        .unwrap_or_else(|| panic!("no {permission} in {tree}"))
}

#[actix_web::test]
async fn permission_trees_say_what_is_granted_and_why() {
    let app = TestApp::new().await;
    let catalogue = app.call(Method::GET, "/v0/permissions", None, None).await;
    assert_eq!(catalogue.status, StatusCode::OK, "{}", catalogue.body);
    let areas: Vec<&str> = catalogue.body.strs_at("permission-areas", "area");
    assert_eq!(
        areas,
        [
            "organization",
            "team",
            "api-keys",
            "customers",
            "bank-accounts",
            "payments"
        ]
    );
    let all: Vec<&Value> = catalogue.body["permission-areas"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|area| area["permissions"].as_array().into_iter().flatten())
        .collect();
    assert_eq!(all.len(), 11, "{}", catalogue.body);
    assert!(all.iter().all(
        |node| node["description"].as_str().is_some_and(|d| !d.is_empty())
            && node.get("granted").is_none()
    ));
    assert_eq!(
        node(&catalogue.body, "team:manage")["description"]
            .as_str()
            .map(|d| d.contains("webhooks")),
        Some(true)
    );

    let member_role = app.role_url("Team member").await;
    let compliance = app.role_url("Compliance").await;
    let ada = app
        .member("ada@example.com", std::slice::from_ref(&member_role))
        .await;
    let group = app
        .group(
            json!({"display-name": "Onboarding", "role-urls": [compliance],
            "membership-urls": [ada.membership_url]}),
        )
        .await;
    let group_url = group.string_at("group-url");
    let member_view = app.get(&ada.membership_url).await;
    let tree_url = member_view.body.string_at("membership-permission-tree-url");
    let tree = app.get(&tree_url).await;
    assert_eq!(tree.status, StatusCode::OK, "{}", tree.body);
    assert_eq!(tree.body["membership-url"], ada.membership_url.as_str());
    let read = node(&tree.body, "read");
    assert_eq!(read["granted"], true);
    let mut read_by = read["granted-by"].as_array().cloned().unwrap_or_default();
    read_by.sort_by_key(|by| by.get("group-url").is_some());
    assert_eq!(
        Value::Array(read_by),
        json!([{"role-url": member_role}, {"role-url": compliance, "group-url": group_url}])
    );
    assert_eq!(
        node(&tree.body, "legal-persons:write")["granted-by"],
        json!([{"role-url": compliance, "group-url": group_url}])
    );
    let team = node(&tree.body, "team:manage");
    assert_eq!(
        (&team["granted"], &team["granted-by"]),
        (&json!(false), &json!([]))
    );

    let group_tree = app.get(group.str_at("group-permission-tree-url")).await;
    assert_eq!(group_tree.status, StatusCode::OK, "{}", group_tree.body);
    assert_eq!(group_tree.body["group-url"], group_url.as_str());
    assert_eq!(
        node(&group_tree.body, "decisions:write")["granted-by"],
        json!([{"role-url": compliance}])
    );
    assert_eq!(node(&group_tree.body, "payments:create")["granted"], false);

    // The tree follows the group at once.
    app.admin(
        Method::PUT,
        &format!("{group_url}/roles"),
        Some(json!({"role-urls": []})),
    )
    .await;
    let after = app.get(&tree_url).await;
    assert_eq!(node(&after.body, "legal-persons:write")["granted"], false);
    assert_eq!(
        node(&after.body, "read")["granted-by"],
        json!([{"role-url": member_role}])
    );
}

/// "My permissions": the caller's own tree, with a key or in the session's organization.
#[actix_web::test]
async fn my_permission_tree_is_the_callers_own() {
    let app = TestApp::new().await;
    let compliance = app.role_url("Compliance").await;
    let member_role = app.role_url("Team member").await;
    let ada = app
        .member("ada@example.com", std::slice::from_ref(&member_role))
        .await;
    let group = app
        .group(
            json!({"display-name": "Onboarding", "role-urls": [compliance],
            "membership-urls": [ada.membership_url]}),
        )
        .await
        .string_at("group-url");
    for auth in [ada.key_auth(), ada.session_auth()] {
        let mine = app
            .call(
                Method::GET,
                "/v0/session/permission-tree",
                Some(&auth),
                None,
            )
            .await;
        assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
        assert_eq!(mine.body["membership-url"], ada.membership_url.as_str());
        assert_eq!(
            node(&mine.body, "legal-persons:write")["granted-by"],
            json!([{"role-url": compliance, "group-url": group}])
        );
    }
    let founder = app.get("/v0/session/permission-tree").await;
    assert_eq!(
        founder.body["membership-url"],
        app.admin_membership_url().await.as_str()
    );
    assert_eq!(node(&founder.body, "team:manage")["granted"], true);
    let anonymous = app
        .call(Method::GET, "/v0/session/permission-tree", None, None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
