//! `/v0/organizations/{id}/open-banking/tell-consents`, `/v0/open-banking/tell-consents/…`
//! and the simulation that consumes a consent.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{
    NewTellConsent, TellConsentPermission, TellConsentRow, TellConsentScope, TellConsentStatus,
    TellConsentView,
};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::http::{ApiError, ApiResult, Json, ok, path_id, url_id};
use crate::ids::{BankAccountId, OrganizationKind, TellConsentId, Uuid};
use crate::organizations::{self, OrganizationRow};
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::idempotency::Reply;
use crate::urls;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RegisterTellConsent {
    tell_consent_id: String,
    tell_gateway_id: String,
    tell_consent_scope: TellConsentScope,
    tell_consent_permissions: Vec<TellConsentPermission>,
    bank_account_urls: Vec<String>,
    tell_consent_expiry: Option<String>,
}

fn uuid_at(text: &str, pointer: &str) -> ApiResult<Uuid> {
    Uuid::parse(text).ok_or_else(|| {
        ApiError::invalid_body(
            "Invalid value",
            "Expected a UUID such as 00000000-0000-0000-0000-000000000000.",
            pointer,
        )
    })
}

impl RegisterTellConsent {
    fn parse(self) -> ApiResult<NewTellConsent> {
        let permissions = self.tell_consent_permissions;
        if self.tell_consent_scope == TellConsentScope::Accounts && permissions.is_empty() {
            return Err(ApiError::invalid_body(
                "Invalid value",
                "A consent of scope `accounts` needs at least one permission.",
                "/tell-consent-permissions",
            ));
        }
        if let Some(i) =
            (1..permissions.len()).find(|&i| permissions[..i].contains(&permissions[i]))
        {
            return Err(ApiError::invalid_body(
                "Invalid value",
                "Each permission may be given once.",
                format!("/tell-consent-permissions/{i}"),
            ));
        }
        let expiry = self
            .tell_consent_expiry
            .as_deref()
            .map(|text| {
                crate::time::parse(text).ok_or_else(|| {
                    ApiError::invalid_body(
                        "Invalid datetime",
                        "`tell-consent-expiry` must be an RFC 3339 date-time.",
                        "/tell-consent-expiry",
                    )
                })
            })
            .transpose()?;
        Ok(NewTellConsent {
            uuid: uuid_at(&self.tell_consent_id, "/tell-consent-id")?,
            gateway: uuid_at(&self.tell_gateway_id, "/tell-gateway-id")?,
            scope: self.tell_consent_scope,
            permissions,
            accounts: account_urls(&self.bank_account_urls)?,
            expiry,
        })
    }
}

/// The accounts the URLs name, each once (a repeat is dropped), with its index in the body.
fn account_urls(urls_in: &[String]) -> ApiResult<Vec<(usize, BankAccountId)>> {
    let mut accounts: Vec<(usize, BankAccountId)> = Vec::with_capacity(urls_in.len());
    for (i, url) in urls_in.iter().enumerate() {
        let id = url_id(
            url,
            urls::BANK_ACCOUNTS,
            "bank account",
            format!("/bank-account-urls/{i}"),
        )?;
        if !accounts.iter().any(|(_, seen)| *seen == id) {
            accounts.push((i, id));
        }
    }
    Ok(accounts)
}

/// `POST /v0/organizations/{organization-id}/open-banking/tell-consents`: 409 when the
/// `tell-consent-id` is taken, 422 `bank-account-not-found` for an account that is not the
/// organization's.
pub async fn register(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<RegisterTellConsent>,
) -> ApiResult<Reply> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let new = body.parse()?;
    let reply = Write::new(&caller, Permission::BankAccountsWrite)
        .run(
            &state.db,
            &organization_id,
            async |conn, granted: Granted<OrganizationRow>| {
                let consent = super::register(conn, &granted.resource, new).await?;
                let view = TellConsentView::new(&consent);
                Reply::created(&view.tell_consent_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

/// A consent's id from its URL's UUID; anything else is a 404.
fn consent_id(text: &str) -> ApiResult<TellConsentId> {
    Uuid::parse(text)
        .map(|uuid| TellConsentId::from_bytes(uuid.0))
        .ok_or_else(ApiError::not_found)
}

/// `GET /v0/open-banking/tell-consents/{consent-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = consent_id(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row: TellConsentRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let consent = super::with_accounts(&mut conn, row).await?;
    Ok(ok(&TellConsentView::new(&consent)))
}

/// Ends the consent the path names: revoked, or (simulated, test mode only) consumed.
async fn end(
    state: &AppState,
    caller: &Caller,
    path: &str,
    to: TellConsentStatus,
) -> ApiResult<Reply> {
    let id = consent_id(path)?;
    let reply = Write::new(caller, Permission::BankAccountsWrite)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<TellConsentRow>| {
                let row = granted.resource;
                if to == TellConsentStatus::Consumed {
                    let organization = organizations::find(conn, &row.organization_id)
                        .await?
                        .ok_or(crate::error::DomainError::NotFound)?;
                    crate::simulation::require_test_mode(&organization)?;
                }
                let consent = super::end(conn, &row, to).await?;
                Reply::ok(&TellConsentView::new(&consent))
            },
        )
        .await?;
    Ok(reply)
}

/// `POST /v0/open-banking/tell-consents/{consent-id}/actions/revoke`: 422
/// `tell-consent-already-revoked` the second time, `tell-consent-consumed` once consumed.
pub async fn revoke(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    end(&state, &caller, &path, TellConsentStatus::Revoked).await
}

/// `POST /v0/simulation/open-banking/tell-consents/{consent-id}/actions/consume` (ours,
/// test mode only): Tell used the consent up, as it does making the payment.
pub async fn consume(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    end(&state, &caller, &path, TellConsentStatus::Consumed).await
}
