//! The one place where resource URLs are made. Every link in every response comes from a
//! function here, so the URL shapes the router serves and the links we emit cannot drift.
//!
//! Request bodies refer to resources by these same URLs; [`parse`] turns such a URL back
//! into a typed id.

use crate::ids::{
    AdmissionId, ApiKeyId, BankAccountId, BankProductId, CopRequestId, EventId, HoldId, Id, IdKind,
    InvitationId, LegalPersonId, MembershipId, MessageSignatureKeyId, OrganizationId, PayeeId,
    PaymentId, RestrictionId, RiskRatingId, RoleId, SubmissionId, TransactionId, UserId,
    VerificationId, WebhookDeliveryId, WebhookId, WorkflowId,
};

pub const INDEX: &str = "/v0/index";
pub const ORGANIZATIONS: &str = "/v0/organizations";
pub const USERS: &str = "/v0/users";
pub const ROLES: &str = "/v0/roles";
pub const SESSION: &str = "/v0/session";

pub fn organization(id: &OrganizationId) -> String {
    format!("/v0/organizations/{id}")
}

/// A collection or action below an organization, e.g. `/v0/organizations/og.…/api-keys`.
pub fn organization_sub(id: &OrganizationId, tail: &str) -> String {
    format!("/v0/organizations/{id}/{tail}")
}

pub fn user(id: &UserId) -> String {
    format!("/v0/users/{id}")
}

pub fn user_api_keys(id: &UserId) -> String {
    format!("/v0/users/{id}/api-keys")
}

pub fn user_memberships(id: &UserId) -> String {
    format!("/v0/users/{id}/memberships")
}

pub fn api_key(id: &ApiKeyId) -> String {
    format!("/v0/api-keys/{id}")
}

pub const MEMBERSHIPS: &str = "/v0/memberships";

pub fn membership(id: &MembershipId) -> String {
    format!("/v0/memberships/{id}")
}

pub fn membership_roles(id: &MembershipId) -> String {
    format!("/v0/memberships/{id}/roles")
}

pub fn membership_permissions(id: &MembershipId) -> String {
    format!("/v0/memberships/{id}/permissions")
}

pub fn invitation(id: &InvitationId) -> String {
    format!("/v0/invitations/{id}")
}

pub const INVITATION_ACCEPT: &str = "/v0/invitations/actions/accept";

pub fn role(id: &RoleId) -> String {
    format!("/v0/roles/{id}")
}

pub fn legal_person(id: &LegalPersonId) -> String {
    format!("/v0/legal-persons/{id}")
}

pub fn workflow(id: &WorkflowId) -> String {
    format!("/v0/workflows/{id}")
}

pub fn verification(id: &VerificationId) -> String {
    format!("/v0/verifications/{id}")
}

pub fn event(id: &EventId) -> String {
    format!("/v0/events/{id}")
}

pub fn message_signature_key(id: &MessageSignatureKeyId) -> String {
    format!("/v0/message-signature-keys/{id}")
}

pub const LEGAL_PERSONS: &str = "/v0/legal-persons";
pub const BANK_ACCOUNTS: &str = "/v0/bank/accounts";

pub fn bank_product(id: &BankProductId) -> String {
    format!("/v0/bank/products/{id}")
}

pub fn bank_account(id: &BankAccountId) -> String {
    format!("/v0/bank/accounts/{id}")
}

/// A collection or action below a bank account, e.g. `/v0/bank/accounts/ba.…/transactions`.
pub fn bank_account_sub(id: &BankAccountId, tail: &str) -> String {
    format!("/v0/bank/accounts/{id}/{tail}")
}

pub fn transaction(id: &TransactionId) -> String {
    format!("/v0/bank/transactions/{id}")
}

pub fn payment(id: &PaymentId) -> String {
    format!("/v0/payments/{id}")
}

pub fn payment_sub(id: &PaymentId, tail: &str) -> String {
    format!("/v0/payments/{id}/{tail}")
}

pub fn admission(id: &AdmissionId) -> String {
    format!("/v0/admissions/{id}")
}

pub fn hold(id: &HoldId) -> String {
    format!("/v0/bank/holds/{id}")
}

pub fn restriction(id: &RestrictionId) -> String {
    format!("/v0/bank/account-restrictions/{id}")
}

pub fn restriction_sub(id: &RestrictionId, tail: &str) -> String {
    format!("/v0/bank/account-restrictions/{id}/{tail}")
}

pub const PAYEES: &str = "/v0/payees";
pub const WORKFLOWS: &str = "/v0/workflows";
pub const VERIFICATIONS: &str = "/v0/verifications";
pub const COP_REQUESTS: &str = "/v0/cop-request";

pub fn payee(id: &PayeeId) -> String {
    format!("/v0/payees/{id}")
}

pub fn submission(id: &SubmissionId) -> String {
    format!("/v0/submissions/{id}")
}

pub fn webhook(id: &WebhookId) -> String {
    format!("/v0/webhooks/{id}")
}

pub fn webhook_sub(id: &WebhookId, tail: &str) -> String {
    format!("/v0/webhooks/{id}/{tail}")
}

pub fn webhook_delivery(id: &WebhookDeliveryId) -> String {
    format!("/v0/webhook-deliveries/{id}")
}

pub fn event_deliveries(id: &EventId) -> String {
    format!("/v0/events/{id}/webhook-deliveries")
}

pub const PUBLIC_KEYS: &str = "/v0/security/public-keys";

pub fn cop_request(id: &CopRequestId) -> String {
    format!("/v0/cop-request/{id}")
}

pub fn risk_rating(id: &RiskRatingId) -> String {
    format!("/v0/risk-ratings/{id}")
}

pub const TELL_CONSENTS: &str = "/v0/open-banking/tell-consents";

/// A Tell consent, named by the caller's UUID (`tell-consent-id`).
pub fn tell_consent(uuid: &str) -> String {
    format!("{TELL_CONSENTS}/{uuid}")
}

/// Reads the id out of a resource URL such as `/v0/roles/re.…`, as clients send them in
/// request bodies. `collection` is the path before the id (`/v0/roles`). Absolute URLs
/// (`https://host/v0/roles/re.…`) are accepted too, since clients often prepend the base.
pub fn parse<K: IdKind>(url: &str, collection: &str) -> Option<Id<K>> {
    let path = match url.find("://") {
        Some(scheme_end) => {
            let after_scheme = &url[scheme_end + 3..];
            &after_scheme[after_scheme.find('/')?..]
        }
        None => url,
    };
    let id = path.strip_prefix(collection)?.strip_prefix('/')?;
    Id::parse(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_urls() {
        let org = OrganizationId::from_bytes(*b" organization-id");
        assert_eq!(
            organization(&org),
            "/v0/organizations/og.IG9yZ2FuaXphdGlvbi1pZA"
        );
        assert_eq!(
            organization_sub(&org, "api-keys"),
            "/v0/organizations/og.IG9yZ2FuaXphdGlvbi1pZA/api-keys"
        );
        let key = ApiKeyId::from_bytes(*b"      api-key-id");
        assert_eq!(api_key(&key), "/v0/api-keys/ak.ICAgICAgYXBpLWtleS1pZA");
    }

    #[test]
    fn parses_what_it_builds() {
        let role_id = RoleId::generate();
        let url = role(&role_id);
        assert_eq!(
            parse::<crate::ids::RoleKind>(&url, ROLES),
            Some(role_id.clone())
        );
        let absolute = format!("https://api.example.com{url}");
        assert_eq!(
            parse::<crate::ids::RoleKind>(&absolute, ROLES),
            Some(role_id)
        );
    }

    #[test]
    fn rejects_other_urls() {
        let role_id = RoleId::generate();
        for url in [
            String::new(),
            role_id.to_string(),
            format!("/v0/roles/{role_id}/extra"),
            format!("/v0/rolesx/{role_id}"),
            format!("/v0/users/{role_id}"),
            format!("/v0/roles/{}", UserId::generate()),
            "/v0/roles/".to_string(),
            "https://no-path".to_string(),
        ] {
            assert_eq!(parse::<crate::ids::RoleKind>(&url, ROLES), None, "{url}");
        }
    }
}
