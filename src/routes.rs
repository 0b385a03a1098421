//! The route table: every path the server serves and the handler of each method. The same
//! table registers the routes and is compared with `openapi.yaml` by the test suite.

use actix_web::http::Method;
use actix_web::web::{self, to};

use crate::http::{Endpoint, Offers, negotiation};
use crate::{
    api_keys, bank_accounts, bank_products, claims, companies_house, cop, decisions, events,
    groups, health, holds, invitations, ledger, legal_persons, memberships, message_signatures,
    navigation, onboarding, organizations, payees, payments, pool_members, restrictions, roles,
    sessions, signing_keys, simulation, submissions, tell_consents, users, verifications, webhooks,
    workflows,
};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        // Navigation
        Endpoint::new("/v0/ping").get(to(navigation::handlers::ping)),
        Endpoint::new("/healthz").get(to(health::handlers::healthz)),
        Endpoint::new("/readyz").get(to(health::handlers::readyz)),
        Endpoint::new("/v0/index").get(to(navigation::handlers::index)),
        // Sessions
        Endpoint::new("/v0/session")
            .get(to(sessions::handlers::get))
            .post(to(sessions::handlers::create))
            .put(to(sessions::handlers::update))
            .delete(to(sessions::handlers::delete)),
        Endpoint::new("/v0/session/permission-tree")
            .get(to(sessions::handlers::permission_tree)),
        // Organizations
        Endpoint::new("/v0/organizations")
            .get(to(organizations::handlers::list))
            .post(to(organizations::handlers::create)),
        Endpoint::new("/v0/organizations/{organization-id}")
            .get(to(organizations::handlers::get))
            .patch(to(organizations::handlers::update)),
        Endpoint::new("/v0/organizations/{organization-id}/actions/transfer-ownership")
            .post(to(organizations::handlers::transfer_ownership)),
        Endpoint::new("/v0/organizations/{organization-id}/api-keys")
            .get(to(api_keys::handlers::list_for_organization))
            .post(to(api_keys::handlers::create)),
        Endpoint::new("/v0/organizations/{organization-id}/message-signature-keys")
            .get(to(message_signatures::handlers::list))
            .post(to(message_signatures::handlers::create)),
        Endpoint::new("/v0/organizations/{organization-id}/message-signature-settings")
            .get(to(message_signatures::handlers::settings))
            .put(to(message_signatures::handlers::update_settings)),
        Endpoint::new("/v0/organizations/{organization-id}/memberships")
            .get(to(memberships::handlers::list_for_organization)),
        Endpoint::new("/v0/organizations/{organization-id}/groups")
            .get(to(groups::handlers::list_for_organization))
            .post(to(groups::handlers::create)),
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
        Endpoint::new("/v0/bank/products/{bank-product-id}/accounts")
            .post(to(bank_accounts::handlers::open_with_product)),
        // Bank accounts
        Endpoint::new("/v0/organizations/{organization-id}/bank/accounts")
            .get(to(bank_accounts::handlers::list))
            .post(to(bank_accounts::handlers::open)),
        Endpoint::new("/v0/organizations/{organization-id}/bank/accounts/search")
            .post(to(bank_accounts::handlers::search)),
        Endpoint::new("/v0/legal-persons/{legal-person-id}/bank/accounts")
            .get(to(bank_accounts::handlers::list_for_legal_person)),
        Endpoint::new("/v0/bank/accounts/{bank-account-id}")
            .get(to(bank_accounts::handlers::get))
            .patch(to(bank_accounts::handlers::update)),
        Endpoint::new("/v0/bank/accounts/{bank-account-id}/actions/close")
            .post(to(bank_accounts::handlers::close)),
        Endpoint::new("/v0/bank/accounts/{bank-account-id}/membership")
            .get(to(pool_members::handlers::members)),
        Endpoint::new("/v0/bank/accounts/{bank-account-id}/membership-updates")
            .post(to(pool_members::handlers::update)),
        // Transactions
        Endpoint::new("/v0/bank/accounts/{bank-account-id}/transactions")
            .get(to(ledger::handlers::list))
            .also_produces(Method::GET, negotiation::XERO_CSV),
        Endpoint::new("/v0/bank/transactions/{transaction-id}").get(to(ledger::handlers::get)),
        // Restrictions
        Endpoint::new("/v0/bank/accounts/{bank-account-id}/restrictions")
            .get(to(restrictions::handlers::list))
            .post(to(restrictions::handlers::apply)),
        Endpoint::new("/v0/bank/account-restrictions/{bank-account-restriction-id}")
            .get(to(restrictions::handlers::get)),
        Endpoint::new("/v0/bank/account-restrictions/{bank-account-restriction-id}/events")
            .get(to(restrictions::handlers::events)),
        Endpoint::new("/v0/bank/account-restrictions/{bank-account-restriction-id}/actions/update")
            .post(to(restrictions::handlers::update)),
        Endpoint::new("/v0/bank/account-restrictions/{bank-account-restriction-id}/actions/lift")
            .post(to(restrictions::handlers::lift)),
        // Holds
        Endpoint::new("/v0/bank/accounts/{bank-account-id}/holds").get(to(holds::handlers::list)),
        Endpoint::new("/v0/bank/holds/{hold-id}").get(to(holds::handlers::get)),
        // Payees
        Endpoint::new("/v0/legal-persons/{legal-person-id}/bank/payees")
            .get(to(payees::handlers::list))
            .post(to(payees::handlers::create)),
        Endpoint::new("/v0/payees/{payee-id}")
            .get(to(payees::handlers::get))
            .patch(to(payees::handlers::update)),
        Endpoint::new("/v0/payees/{payee-id}/payments")
            .get(to(payments::handlers::list_for_payee)),
        // Confirmation of payee
        Endpoint::new("/v0/organizations/{organization-id}/cop-request").post(to(cop::handlers::create)),
        Endpoint::new("/v0/cop-request/{cop-request-id}").get(to(cop::handlers::get)),
        Endpoint::new(
            "/v0/simulation/organizations/{organization-id}/cop-request/simulate/{cop-simulation-type}",
        )
        .post(to(cop::handlers::simulate)),
        // Payments, submissions and admissions
        Endpoint::new("/v0/bank/accounts/{bank-account-id}/payments")
            .get(to(payments::handlers::list_for_account))
            .post(to(payments::handlers::create)),
        Endpoint::new("/v0/organizations/{organization-id}/payments")
            .get(to(payments::handlers::list_for_organization)),
        Endpoint::new("/v0/organizations/{organization-id}/payments/search")
            .post(to(payments::handlers::search)),
        Endpoint::new("/v0/payments/{payment-id}/submissions")
            .get(to(submissions::handlers::list_for_payment))
            .post(to(submissions::handlers::submit)),
        Endpoint::new("/v0/submissions/{submission-id}").get(to(submissions::handlers::get)),
        Endpoint::new("/v0/bank/accounts/{bank-account-id}/submissions")
            .get(to(submissions::handlers::list_for_account)),
        Endpoint::new("/v0/bank/accounts/{bank-account-id}/admissions")
            .get(to(payments::handlers::list_for_account_admissions)),
        Endpoint::new("/v0/payments/{payment-id}")
            .get(to(payments::handlers::get))
            .patch(to(payments::handlers::reject)),
        Endpoint::new("/v0/payments/{payment-id}/admissions")
            .get(to(payments::handlers::list_for_payment_admissions)),
        Endpoint::new("/v0/admissions/{admission-id}").get(to(payments::handlers::get_admission)),
        // Sandbox simulations
        Endpoint::new("/v0/simulation/bank/accounts/{bank-account-id}/inbound-payments")
            .post(to(simulation::handlers::inbound_payment)),
        Endpoint::new("/v0/simulation/bank/accounts/{bank-account-id}/holds")
            .post(to(simulation::handlers::place_hold)),
        Endpoint::new("/v0/simulation/bank/holds/{hold-id}/actions/release")
            .post(to(simulation::handlers::release_hold)),
        // Open banking
        Endpoint::new("/v0/organizations/{organization-id}/open-banking/tell-consents")
            .post(to(tell_consents::handlers::register)),
        Endpoint::new("/v0/open-banking/tell-consents/{consent-id}")
            .get(to(tell_consents::handlers::get)),
        Endpoint::new("/v0/open-banking/tell-consents/{consent-id}/actions/revoke")
            .post(to(tell_consents::handlers::revoke)),
        Endpoint::new("/v0/simulation/open-banking/tell-consents/{consent-id}/actions/consume")
            .post(to(tell_consents::handlers::consume)),
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
        Endpoint::new("/v0/risk-ratings/{risk-rating-id}")
            .get(to(verifications::handlers::risk_rating)),
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
        Endpoint::new("/v0/permissions").get(to(roles::handlers::permissions)),
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
        Endpoint::new("/v0/memberships/{membership-id}/permission-tree")
            .get(to(memberships::handlers::permission_tree)),
        Endpoint::new("/v0/memberships/{membership-id}/groups")
            .get(to(groups::handlers::list_for_membership)),
        Endpoint::new("/v0/groups/{group-id}")
            .get(to(groups::handlers::get))
            .patch(to(groups::handlers::update))
            .delete(to(groups::handlers::delete)),
        Endpoint::new("/v0/groups/{group-id}/permission-tree")
            .get(to(groups::handlers::permission_tree)),
        Endpoint::new("/v0/groups/{group-id}/roles")
            .get(to(groups::handlers::roles))
            .put(to(groups::handlers::set_roles)),
        Endpoint::new("/v0/groups/{group-id}/memberships")
            .get(to(memberships::handlers::list_for_group))
            .post(to(groups::handlers::add_members)),
        Endpoint::new("/v0/groups/{group-id}/memberships/{membership-id}")
            .delete(to(groups::handlers::remove_member)),
        // Invitations (the literal `actions/accept` before `{invitation-id}`)
        Endpoint::new("/v0/invitations/actions/accept").post(to(invitations::handlers::accept)),
        Endpoint::new("/v0/invitations/{invitation-id}").get(to(invitations::handlers::get)),
        Endpoint::new("/v0/invitations/{invitation-id}/actions/cancel")
            .post(to(invitations::handlers::cancel)),
        Endpoint::new("/v0/invitations/{invitation-id}/actions/resend")
            .post(to(invitations::handlers::resend)),
        // Events
        Endpoint::new("/v0/events/{event-id}").get(to(events::handlers::get)),
        Endpoint::new("/v0/events/{event-id}/webhook-deliveries")
            .get(to(webhooks::handlers::deliveries_of_event)),
        // Webhooks
        Endpoint::new("/v0/organizations/{organization-id}/webhooks")
            .get(to(webhooks::handlers::list))
            .post(to(webhooks::handlers::create)),
        Endpoint::new("/v0/webhooks/{webhook-id}")
            .get(to(webhooks::handlers::get))
            .patch(to(webhooks::handlers::update))
            .delete(to(webhooks::handlers::delete)),
        Endpoint::new("/v0/webhooks/{webhook-id}/actions/activate")
            .post(to(webhooks::handlers::activate)),
        Endpoint::new("/v0/webhooks/{webhook-id}/actions/deactivate")
            .post(to(webhooks::handlers::deactivate)),
        Endpoint::new("/v0/webhooks/{webhook-id}/actions/test")
            .get(to(webhooks::handlers::test_status))
            .post(to(webhooks::handlers::start_test)),
        Endpoint::new("/v0/webhooks/{webhook-id}/deliveries")
            .get(to(webhooks::handlers::deliveries_of_webhook)),
        Endpoint::new("/v0/webhook-deliveries/{webhook-delivery-id}")
            .get(to(webhooks::handlers::get_delivery)),
        Endpoint::new("/v0/webhook-deliveries/{webhook-delivery-id}/actions/redeliver")
            .post(to(webhooks::handlers::redeliver)),
        Endpoint::new("/v0/security/public-keys").get(to(signing_keys::handlers::public_keys)),
        // Message signatures
        Endpoint::new("/v0/message-signature-keys/{message-signature-key-id}")
            .get(to(message_signatures::handlers::get))
            .delete(to(message_signatures::handlers::delete)),
        Endpoint::new("/v0/security/message-signature/verify")
            .get(to(message_signatures::handlers::verify))
            .post(to(message_signatures::handlers::verify))
            .put(to(message_signatures::handlers::verify))
            .patch(to(message_signatures::handlers::verify))
            .delete(to(message_signatures::handlers::verify)),
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

/// What operations answer besides JSON, for content negotiation.
pub fn offers() -> Offers {
    Offers::new(
        endpoints()
            .iter()
            .flat_map(|endpoint| {
                endpoint
                    .produces()
                    .iter()
                    .map(move |(method, media)| (method.clone(), endpoint.path, *media))
            })
            .collect(),
    )
}

/// Registers every endpoint, in one scope per first segment after `/v0` (`/v0/bank`,
/// `/v0/payments`, …). actix tries an app's services one after another and matches each path
/// with parameters by a regular expression, so in one flat list a route late in it pays for
/// every expression before it; a scope's prefix is a plain string comparison, so a request
/// tries the expressions of its own scope only.
pub fn configure(config: &mut web::ServiceConfig) {
    let mut scopes: Vec<(&'static str, Vec<Endpoint>)> = Vec::new();
    for endpoint in endpoints() {
        let prefix = scope_of(endpoint.path);
        match scopes.iter_mut().find(|(scope, _)| *scope == prefix) {
            Some((_, group)) => group.push(endpoint),
            None => scopes.push((prefix, vec![endpoint])),
        }
    }
    for (prefix, group) in scopes {
        config.service(web::scope(prefix).configure(|scope| {
            for endpoint in group {
                endpoint.register(scope, prefix);
            }
        }));
    }
}

/// `/v0/bank/accounts/{bank-account-id}` → `/v0/bank`: the path up to its third `/`.
fn scope_of(path: &'static str) -> &'static str {
    match path.match_indices('/').nth(2) {
        Some((end, _)) => &path[..end],
        None => path,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn scopes_are_the_first_segment_after_v0() {
        assert_eq!(
            super::scope_of("/v0/bank/accounts/{bank-account-id}"),
            "/v0/bank"
        );
        assert_eq!(super::scope_of("/v0/organizations"), "/v0/organizations");
        assert_eq!(super::scope_of("/v0/ping"), "/v0/ping");
    }
}
