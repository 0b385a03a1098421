//! The route table: every path the server serves and the handler of each method. The same
//! table registers the routes and is compared with `openapi.yaml` by the test suite.

use actix_web::http::Method;
use actix_web::web::{self, to};

use crate::http::Endpoint;
use crate::{
    api_keys, bank_products, claims, companies_house, decisions, events, invitations,
    legal_persons, memberships, navigation, onboarding, organizations, roles, sessions, users,
    verifications, workflows,
};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        // Navigation
        Endpoint::new("/v0/ping").get(to(navigation::ping)),
        Endpoint::new("/v0/index").get(to(navigation::index)),
        // Sessions
        Endpoint::new("/v0/session")
            .get(to(sessions::handlers::get))
            .post(to(sessions::handlers::create))
            .delete(to(sessions::handlers::delete)),
        // Organizations
        Endpoint::new("/v0/organizations")
            .get(to(organizations::handlers::list))
            .post(to(organizations::handlers::create)),
        Endpoint::new("/v0/organizations/{organization-id}").get(to(organizations::handlers::get)),
        Endpoint::new("/v0/organizations/{organization-id}/api-keys")
            .get(to(api_keys::handlers::list_for_organization))
            .post(to(api_keys::handlers::create)),
        Endpoint::new("/v0/organizations/{organization-id}/memberships")
            .get(to(memberships::handlers::list_for_organization)),
        Endpoint::new("/v0/organizations/{organization-id}/roles")
            .get(to(roles::handlers::list_for_organization))
            .post(to(roles::handlers::create)),
        Endpoint::new("/v0/organizations/{organization-id}/invitations")
            .get(to(invitations::handlers::list))
            .post(to(invitations::handlers::create)),
        Endpoint::new("/v0/organizations/{organization-id}/legal-persons")
            .get(to(legal_persons::handlers::list))
            .post(to(legal_persons::handlers::create)),
        Endpoint::new("/v0/organizations/{organization-id}/legal-persons/search")
            .post(to(legal_persons::handlers::search)),
        Endpoint::new("/v0/organizations/{organization-id}/workflows")
            .get(to(workflows::handlers::list)),
        Endpoint::new("/v0/organizations/{organization-id}/onboarding/applications")
            .post(to(onboarding::handlers::create)),
        Endpoint::new("/v0/organizations/{organization-id}/bank/products")
            .get(to(bank_products::handlers::list)),
        Endpoint::new("/v0/organizations/{organization-id}/events").get(to(events::handlers::list)),
        // Bank products
        Endpoint::new("/v0/bank/products/{bank-product-id}").get(to(bank_products::handlers::get)),
        // Companies House
        Endpoint::new("/v0/companies-house/companies/{company-number}")
            .get(to(companies_house::handlers::get)),
        Endpoint::new("/v0/onboarding/applications/{onboarding-application-id}")
            .get(to(onboarding::handlers::get)),
        Endpoint::new("/v0/workflows/{workflow-id}").get(to(workflows::handlers::get)),
        // Legal persons
        Endpoint::new("/v0/legal-persons/{legal-person-id}")
            .get(to(legal_persons::handlers::get))
            .put(to(legal_persons::handlers::update)),
        Endpoint::new("/v0/legal-persons/{legal-person-id}/claims")
            .get(to(claims::handlers::list))
            .post(to(claims::handlers::create)),
        Endpoint::new("/v0/claims/{claim-id}").delete(to(claims::handlers::delete)),
        Endpoint::new("/v0/legal-persons/{legal-person-id}/verifications")
            .get(to(verifications::handlers::list))
            .post(to(verifications::handlers::create)),
        Endpoint::new("/v0/legal-persons/{legal-person-id}/history")
            .get(to(verifications::handlers::history)),
        Endpoint::new("/v0/legal-persons/{legal-person-id}/decisions")
            .get(to(decisions::handlers::list))
            .post(to(decisions::handlers::create)),
        Endpoint::new("/v0/verifications/{verification-id}").get(to(verifications::handlers::get)),
        Endpoint::new("/v0/verifications/{verification-id}/checks")
            .get(to(verifications::handlers::checks)),
        Endpoint::new("/v0/verifications/{verification-id}/profiles")
            .get(to(verifications::handlers::profiles)),
        Endpoint::new("/v0/verifications/{verification-id}/resources")
            .get(to(verifications::handlers::resources)),
        // Users
        Endpoint::new("/v0/users/{user-id}").get(to(users::handlers::get)),
        Endpoint::new("/v0/users/{user-id}/api-keys").get(to(api_keys::handlers::list_for_user)),
        Endpoint::new("/v0/users/{user-id}/memberships")
            .get(to(memberships::handlers::list_for_user)),
        // API keys
        Endpoint::new("/v0/api-keys/{api-key-id}")
            .get(to(api_keys::handlers::get))
            .delete(to(api_keys::handlers::delete)),
        // Roles
        Endpoint::new("/v0/roles").get(to(roles::handlers::list)),
        Endpoint::new("/v0/roles/{role-id}")
            .get(to(roles::handlers::get))
            .patch(to(roles::handlers::update))
            .delete(to(roles::handlers::delete)),
        // Memberships
        Endpoint::new("/v0/memberships/{membership-id}")
            .get(to(memberships::handlers::get))
            .patch(to(memberships::handlers::update))
            .delete(to(memberships::handlers::delete)),
        Endpoint::new("/v0/memberships/{membership-id}/roles")
            .get(to(memberships::handlers::roles))
            .put(to(memberships::handlers::set_roles)),
        Endpoint::new("/v0/memberships/{membership-id}/permissions")
            .get(to(memberships::handlers::permissions)),
        // Invitations (the literal `actions/accept` before `{invitation-id}`)
        Endpoint::new("/v0/invitations/actions/accept").post(to(invitations::handlers::accept)),
        Endpoint::new("/v0/invitations/{invitation-id}").get(to(invitations::handlers::get)),
        Endpoint::new("/v0/invitations/{invitation-id}/actions/cancel")
            .post(to(invitations::handlers::cancel)),
        Endpoint::new("/v0/invitations/{invitation-id}/actions/resend")
            .post(to(invitations::handlers::resend)),
        // Events
        Endpoint::new("/v0/events/{event-id}").get(to(events::handlers::get)),
    ]
}

/// `(method, path)` of every route, for the OpenAPI check.
pub fn route_table() -> Vec<(Method, &'static str)> {
    endpoints()
        .iter()
        .flat_map(|endpoint| {
            endpoint
                .methods()
                .into_iter()
                .map(move |method| (method, endpoint.path))
        })
        .collect()
}

pub fn configure(config: &mut web::ServiceConfig) {
    for endpoint in endpoints() {
        endpoint.register(config);
    }
}
