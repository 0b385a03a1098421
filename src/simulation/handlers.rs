//! `/v0/simulation/…`: inbound payments and card holds (CoP simulations live with CoP).

use serde::Deserialize;
use serde_json::{Value, json};

use super::SimulatedInbound;
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::bank_accounts::BankAccountRow;
use crate::holds::{HoldDirection, HoldRow, HoldView, NewHold};
use crate::http::{ApiError, ApiResult, Json, path_id};
use crate::ids::{BankAccountKind, HoldKind};
use crate::money::Money;
use crate::payments::PaymentView;
use crate::payments::outbound;
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::idempotency::Reply;
use actix_web::web;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Debtor {
    account_holder: String,
    account_number: String,
    bank_id: String,
}

impl Debtor {
    /// The payer as Griffin shows a debtor.
    fn parse(&self) -> ApiResult<Value> {
        crate::bank_accounts::check_uk_details(
            &self.account_holder,
            &self.account_number,
            &self.bank_id,
            "/debtor",
        )?;
        Ok(uk_debtor(
            &self.account_holder,
            &self.account_number,
            &self.bank_id,
        ))
    }
}

fn uk_debtor(holder: &str, number: &str, bank_id: &str) -> Value {
    json!({
        "account-holder": holder,
        "account-number": number,
        "account-number-code": "bban",
        "bank-id": bank_id,
        "bank-id-code": "gbdsc",
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct InboundPayment {
    payment_amount: Money,
    debtor: Option<Debtor>,
    payment_reference: Option<String>,
}

impl InboundPayment {
    fn parse(self) -> ApiResult<SimulatedInbound> {
        let amount = crate::money::positive_amount(&self.payment_amount, "/payment-amount")?;
        outbound::check_reference(self.payment_reference.as_deref())?;
        let debtor = match &self.debtor {
            None => uk_debtor("Sandbox payer", "12345678", "040004"),
            Some(debtor) => debtor.parse()?,
        };
        Ok(SimulatedInbound {
            amount,
            reference: self.payment_reference,
            debtor,
        })
    }
}

/// `POST /v0/simulation/bank/accounts/{bank-account-id}/inbound-payments`: a Faster
/// Payment from another bank arrives, in one database transaction.
pub async fn inbound_payment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<InboundPayment>,
) -> ApiResult<Reply> {
    let simulated = body.parse()?;
    let id = path_id::<BankAccountKind>(&path)?;
    // No row lock: the ledger's conditional update is the guard, and payments to one
    // account should not queue behind each other longer than that update.
    let reply = Write::new(&caller, Permission::BankAccountsWrite)
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<BankAccountRow>| {
                let payment = super::inbound_payment(conn, &granted.resource, simulated).await?;
                let view = PaymentView::new(&payment);
                Reply::created(&view.payment_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PlaceHold {
    amount: Money,
    direction: Option<HoldDirection>,
    expires_at: Option<String>,
    origin_metadata: Option<Value>,
}

impl PlaceHold {
    fn parse(self) -> ApiResult<NewHold> {
        let amount = crate::money::positive_amount(&self.amount, "/amount")?;
        let expires_at = self
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
        if self
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
        Ok(NewHold {
            direction: self.direction.unwrap_or(HoldDirection::Debit),
            amount,
            origin_metadata: self.origin_metadata,
            expires_at,
        })
    }
}

/// `POST /v0/simulation/bank/accounts/{bank-account-id}/holds`: a card authorization
/// reserves money. A debit hold needs the available balance to cover it (else 422
/// `insufficient-funds`) and an account that can send.
pub async fn place_hold(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<PlaceHold>,
) -> ApiResult<Reply> {
    let new = body.parse()?;
    let id = path_id::<BankAccountKind>(&path)?;
    let reply = Write::new(&caller, Permission::BankAccountsWrite)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<BankAccountRow>| {
                let hold = super::place_hold(conn, &granted.resource, new).await?;
                let view = HoldView::new(&hold);
                Reply::created(&view.hold_url, &view)
            },
        )
        .await?;
    Ok(reply)
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
) -> ApiResult<Reply> {
    let id = path_id::<HoldKind>(&path)?;
    let reply = Write::new(&caller, Permission::BankAccountsWrite)
        .locked()
        .run(&state.db, &id, async |conn, granted: Granted<HoldRow>| {
            let reason = body.release_reason.as_deref();
            let hold = super::release_hold(conn, &granted.resource, reason).await?;
            Reply::ok(&HoldView::new(&hold))
        })
        .await?;
    Ok(reply)
}
