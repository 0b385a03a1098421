//! Outbound payments: created on an account with a creditor (a payee, one of this bank's
//! accounts, or UK account details), then submitted (see `submissions`), or rejected before.

use crate::ids::UserId;
use crate::store::PreparedExt;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{OUTBOUND, PaymentRow, PaymentView};
use crate::bank_accounts::{self, BankAccountRow, CLOSED};
use crate::dispatch;
use crate::events;
use crate::http::{ApiError, ApiResult};
use crate::ids::{BankAccountId, BankAccountKind, PayeeId, PayeeKind, PaymentId};
use crate::money::Money;
use crate::payees::{self, DEACTIVATED};
use crate::store::Conn;
use crate::store::schema::payments;
use crate::time::{self, Micros};
use crate::urls;

pub const MAX_REFERENCE: usize = 35;

/// The creditor of a new payment, as the request names it.
#[derive(Debug, Deserialize)]
#[serde(tag = "creditor-type", rename_all = "kebab-case")]
pub enum CreditorIn {
    #[serde(rename_all = "kebab-case")]
    Payee { payee_url: String },
    #[serde(rename_all = "kebab-case")]
    GriffinBankAccount { account_url: String },
    #[serde(rename_all = "kebab-case")]
    UkDomestic {
        account_holder: String,
        account_number: String,
        bank_id: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreatePayment {
    pub creditor: CreditorIn,
    pub payment_amount: Money,
    pub payment_reference: Option<String>,
}

impl CreatePayment {
    /// Checks what can be checked without the database: a positive amount, the reference's
    /// length, the shape of UK account details.
    pub fn check(&self) -> ApiResult<i64> {
        let amount = crate::money::check_amount(&self.payment_amount, "/payment-amount")?;
        if let Some(reference) = &self.payment_reference
            && !(1..=MAX_REFERENCE).contains(&reference.chars().count())
        {
            return Err(ApiError::invalid_body(
                "Invalid value",
                format!("`payment-reference` must be 1 to {MAX_REFERENCE} characters."),
                "/payment-reference",
            ));
        }
        if let CreditorIn::UkDomestic {
            account_holder,
            account_number,
            bank_id,
        } = &self.creditor
        {
            crate::bank_accounts::check_uk_details(
                account_holder,
                account_number,
                bank_id,
                "/creditor",
            )?;
        }
        Ok(amount)
    }
}

/// The creditor, resolved: how the payment shows it, and this bank's account if it is one.
struct Creditor {
    shown: Value,
    account_id: Option<BankAccountId>,
    payee_id: Option<PayeeId>,
}

fn uk_domestic(holder: &str, number: &str, bank_id: &str, account_id: Option<&str>) -> Value {
    let mut shown = json!({
        "creditor-type": "uk-domestic",
        "account-holder": holder,
        "account-number": number,
        "account-number-code": "bban",
        "bank-id": bank_id,
        "bank-id-code": "gbdsc",
    });
    if let Some(id) = account_id {
        shown["account-url"] = json!(urls::bank_account(&BankAccountId::from_db(id.to_string())));
    }
    shown
}

async fn resolve(
    conn: &mut Conn<'_>,
    debtor: &BankAccountRow,
    creditor: &CreditorIn,
) -> ApiResult<Creditor> {
    match creditor {
        CreditorIn::Payee { payee_url } => {
            let payee = urls::parse::<PayeeKind>(payee_url, urls::PAYEES).ok_or_else(|| {
                ApiError::invalid_body(
                    "Invalid value",
                    "Expected a payee URL such as /v0/payees/pe.….",
                    "/creditor/payee-url",
                )
            })?;
            let payee = payees::find(conn, &payee)
                .await?
                .filter(|p| p.organization_id == debtor.organization_id)
                .ok_or_else(|| {
                    ApiError::unprocessable(
                        "payee-not-found",
                        format!("{payee_url} is not a payee of this organization."),
                    )
                    .with_pointer("/creditor/payee-url")
                })?;
            if payee.payee_status == DEACTIVATED {
                return Err(payee_deactivated(payee_url));
            }
            Ok(Creditor {
                shown: uk_domestic(
                    &payee.account_holder,
                    &payee.account_number,
                    &payee.bank_id,
                    payee.account_id.as_deref(),
                ),
                account_id: payee.account_id.clone(),
                payee_id: Some(payee.id),
            })
        }
        CreditorIn::GriffinBankAccount { account_url } => {
            let id = urls::parse::<BankAccountKind>(account_url, urls::BANK_ACCOUNTS).ok_or_else(
                || {
                    ApiError::invalid_body(
                        "Invalid value",
                        "Expected a bank account URL such as /v0/bank/accounts/ba.….",
                        "/creditor/account-url",
                    )
                },
            )?;
            // Any account of this bank can be named; a book transfer to another
            // organization's is refused when submitted (`mixed-organizations`).
            let account = bank_accounts::find(conn, &id).await?.ok_or_else(|| {
                ApiError::unprocessable(
                    "bank-account-not-found",
                    format!("{account_url} is not a bank account."),
                )
                .with_pointer("/creditor/account-url")
            })?;
            Ok(Creditor {
                shown: json!({"creditor-type": "griffin-bank-account", "account-url": account.url()}),
                account_id: Some(account.id),
                payee_id: None,
            })
        }
        CreditorIn::UkDomestic {
            account_holder,
            account_number,
            bank_id,
        } => {
            let account_id = payees::account_by_details(conn, account_number, bank_id).await?;
            Ok(Creditor {
                shown: uk_domestic(
                    account_holder,
                    account_number,
                    bank_id,
                    account_id.as_deref(),
                ),
                account_id,
                payee_id: None,
            })
        }
    }
}

pub fn payee_deactivated(payee_url: &str) -> ApiError {
    ApiError::unprocessable(
        "payee-deactivated",
        format!("The payee {payee_url} is deactivated: it cannot be paid."),
    )
}

pub fn same_debtor_and_beneficiary() -> ApiError {
    ApiError::unprocessable(
        "same-debtor-and-beneficiary",
        "A payment cannot be made from an account to itself.",
    )
}

/// "Sent from <owner>", as Griffin defaults it, cut to the longest reference allowed.
fn default_reference(account: &BankAccountRow) -> String {
    format!("Sent from {}", account.account_holder.trim())
        .chars()
        .take(MAX_REFERENCE)
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// Creates an outbound payment on `debtor` in the caller's transaction, with its event.
pub async fn create(
    conn: &mut Conn<'_>,
    debtor: &BankAccountRow,
    body: &CreatePayment,
    amount: i64,
    user_id: &UserId,
) -> ApiResult<PaymentRow> {
    if debtor.account_status == CLOSED {
        return Err(crate::ledger::Refusal::Closed.error(&debtor.id));
    }
    let creditor = resolve(conn, debtor, &body.creditor).await?;
    if creditor.account_id.as_deref() == Some(debtor.id.as_str()) {
        return Err(same_debtor_and_beneficiary());
    }
    let debtor_shown = json!({
        "account-url": debtor.url(),
        "account-holder": debtor.account_holder,
        "account-number": debtor.account_number,
        "account-number-code": "bban",
        "bank-id": debtor.bank_id,
        "bank-id-code": "gbdsc",
    });
    let row = PaymentRow {
        id: PaymentId::generate(),
        organization_id: debtor.organization_id.clone(),
        account_id: debtor.id.clone(),
        payment_direction: OUTBOUND.to_string(),
        amount,
        payment_reference: Some(
            body.payment_reference
                .clone()
                .unwrap_or_else(|| default_reference(debtor)),
        ),
        creditor: creditor.shown.to_string(),
        debtor: debtor_shown.to_string(),
        created_by_user_id: Some(user_id.clone()),
        created_at: time::now(),
        payee_id: creditor.payee_id,
        creditor_account_id: creditor.account_id,
        created_via: Some("api".to_string()),
        latest_submission_id: None,
        latest_submission_status: None,
        rejected_at: None,
        rejected_by_user_id: None,
        rejection_reason: None,
    };
    conn.defer(diesel::insert_into(payments::table).values(row.clone()))?;
    events::record(
        conn,
        &row.organization_id,
        "payment-created",
        &PaymentView::new(&row),
    )
    .await?;
    Ok(row)
}

/// Rejects an unsubmitted payment; `false` when it was submitted or rejected meanwhile.
pub async fn reject(
    conn: &mut Conn<'_>,
    payment_id: &PaymentId,
    reason: &str,
    user_id: &UserId,
    now: Micros,
) -> QueryResult<bool> {
    let changed = dispatch!(conn, c => diesel::update(
            payments::table
                .filter(payments::id.eq(payment_id))
                .filter(payments::latest_submission_id.is_null())
                .filter(payments::rejected_at.is_null()),
        )
        .set((
            payments::rejected_at.eq(now),
            payments::rejected_by_user_id.eq(user_id),
            payments::rejection_reason.eq(reason),
        ))
        .prepared()
        .execute(c)
        .await)?;
    Ok(changed == 1)
}
