//! Sandbox controls Griffin lacks, under `/v0/simulation/`: money arriving from another bank,
//! and card holds placed and released. Only test-mode organizations have them.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::bank_accounts::{self, BankAccountRow};
use crate::holds::{self, HoldRow, HoldView, NewHold};
use crate::http::{ApiError, ApiResult, Caller, Json, created, ok};
use crate::money::Money;
use crate::organizations::{self, OrganizationMode};
use crate::payments::{self, Inbound, PaymentView};
use crate::roles::Permission;
use crate::store::Conn;

/// Simulations act only on test-mode organizations' accounts.
async fn check_test_mode(conn: &mut Conn<'_>, account: &BankAccountRow) -> ApiResult<()> {
    let organization = organizations::find(conn, &account.organization_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    require_test_mode(&organization)
}

/// 422 `simulation-not-available` unless the organization is in test mode.
pub fn require_test_mode(organization: &organizations::OrganizationRow) -> ApiResult<()> {
    if organization.organization_mode != OrganizationMode::TestMode {
        return Err(ApiError::unprocessable(
            "simulation-not-available",
            "Simulations are only available to test-mode organizations.",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Debtor {
    account_holder: String,
    account_number: String,
    bank_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct InboundPayment {
    payment_amount: Money,
    debtor: Option<Debtor>,
    payment_reference: Option<String>,
}

impl InboundPayment {
    fn check(&self) -> ApiResult<(i64, Value)> {
        let amount = crate::money::check_amount(&self.payment_amount, "/payment-amount")?;
        if let Some(reference) = &self.payment_reference
            && !(1..=35).contains(&reference.chars().count())
        {
            return Err(ApiError::invalid_body(
                "Invalid value",
                "`payment-reference` must be 1 to 35 characters.",
                "/payment-reference",
            ));
        }
        let debtor = match &self.debtor {
            None => json!({
                "account-holder": "Sandbox payer",
                "account-number": "12345678",
                "account-number-code": "bban",
                "bank-id": "040004",
                "bank-id-code": "gbdsc",
            }),
            Some(debtor) => {
                crate::bank_accounts::check_uk_details(
                    &debtor.account_holder,
                    &debtor.account_number,
                    &debtor.bank_id,
                    "/debtor",
                )?;
                json!({
                    "account-holder": debtor.account_holder,
                    "account-number": debtor.account_number,
                    "account-number-code": "bban",
                    "bank-id": debtor.bank_id,
                    "bank-id-code": "gbdsc",
                })
            }
        };
        Ok((amount, debtor))
    }
}

/// `POST /v0/simulation/bank/accounts/{bank-account-id}/inbound-payments`: a Faster
/// Payment from another bank arrives: the inbound payment, its admission and the credit
/// transaction, in one database transaction. Refused (422) for accounts that cannot
/// receive: opening, closing, closed or blocked.
pub async fn inbound_payment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<InboundPayment>,
) -> ApiResult<HttpResponse> {
    let (amount, debtor) = body.check()?;
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let id = crate::http::path_id::<crate::ids::BankAccountKind>(&path)?;
        // No row lock here: the ledger's conditional update is the guard, and payments to
        // one account should not queue behind each other longer than that update.
        let account = bank_accounts::find(&mut conn, &id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        caller
            .fresh_access(
                &mut conn,
                &account.organization_id,
                Permission::BankAccountsWrite,
            )
            .await?;
        check_test_mode(&mut conn, &account).await?;
        let admitted = payments::admit(
            &mut conn,
            Inbound {
                organization_id: &account.organization_id,
                account_id: &account.id,
                amount,
                reference: body.payment_reference.clone(),
                debtor,
                payment_scheme: "fps",
            },
            payments::Source::Scheme,
        )
        .await?;
        Ok::<_, ApiError>(admitted.payment)
    }
    .await;
    let view = PaymentView::new(&tx.finish(result).await?);
    Ok(created(&view.payment_url.clone(), &view))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PlaceHold {
    amount: Money,
    direction: Option<String>,
    expires_at: Option<String>,
    origin_metadata: Option<Value>,
}

/// `POST /v0/simulation/bank/accounts/{bank-account-id}/holds`: a card authorization
/// reserves money. A debit hold needs the available balance to cover it (else 422
/// `insufficient-funds`) and an account that can send.
pub async fn place_hold(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<PlaceHold>,
) -> ApiResult<HttpResponse> {
    let amount = crate::money::check_amount(&body.amount, "/amount")?;
    let direction = match body.direction.as_deref() {
        None | Some("debit") => holds::DEBIT,
        Some("credit") => holds::CREDIT,
        Some(_) => {
            return Err(ApiError::invalid_body(
                "Invalid enum value",
                "`direction` must be debit or credit.",
                "/direction",
            ));
        }
    };
    let expires_at = body
        .expires_at
        .as_deref()
        .map(|text| {
            crate::time::parse(text).ok_or_else(|| {
                ApiError::invalid_body(
                    "Invalid datetime",
                    "`expires-at` must be an RFC 3339 date-time.",
                    "/expires-at",
                )
            })
        })
        .transpose()?;
    if body
        .origin_metadata
        .as_ref()
        .is_some_and(|m| !m.is_object())
    {
        return Err(ApiError::invalid_body(
            "Incorrect type",
            "`origin-metadata` must be an object.",
            "/origin-metadata",
        ));
    }
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let account =
            bank_accounts::for_write(&caller, &mut conn, &path, Permission::BankAccountsWrite)
                .await?;
        check_test_mode(&mut conn, &account).await?;
        let new = NewHold {
            direction,
            amount,
            origin_metadata: body.origin_metadata.clone(),
            expires_at,
        };
        holds::place(&mut conn, &account, new)
            .await?
            .map_err(|refusal| refusal.error(&account.id))
    }
    .await;
    let view = HoldView::new(&tx.finish(result).await?);
    Ok(created(&view.hold_url.clone(), &view))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReleaseHold {
    release_reason: Option<String>,
}

/// `POST /v0/simulation/bank/holds/{hold-id}/actions/release`: the authorization lapses
/// and the money is available again. Releasing a released hold is 422 `hold-not-placed`.
pub async fn release_hold(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<ReleaseHold>,
) -> ApiResult<HttpResponse> {
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let id = crate::http::path_id::<crate::ids::HoldKind>(&path)?;
        let found: HoldRow = holds::find(&mut conn, &id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let account = bank_accounts::for_write(
            &caller,
            &mut conn,
            &found.account_id,
            Permission::BankAccountsWrite,
        )
        .await?;
        check_test_mode(&mut conn, &account).await?;
        let hold = holds::find(&mut conn, &id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        holds::release(&mut conn, &hold, body.release_reason.as_deref())
            .await?
            .ok_or_else(|| {
                ApiError::unprocessable("hold-not-placed", "The hold has already been released.")
            })
    }
    .await;
    Ok(ok(&HoldView::new(&tx.finish(result).await?)))
}
