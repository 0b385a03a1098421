//! Outbound payments: created on an account with a creditor (a payee, one of this bank's
//! accounts, or UK account details), then submitted (see `submissions`), or rejected before.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};

use super::{CreatedVia, PaymentDirection, PaymentRow, PaymentView};
use crate::bank_accounts::{self, AccountStatus, BankAccountRow};
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::events::{self, EventType};
use crate::ids::{BankAccountId, PayeeId, PaymentId, UserId};
use crate::money::MinorUnits;
use crate::payees::{self, PayeeStatus};
use crate::store::schema::payments;
use crate::store::{Conn, PreparedExt};
use crate::time::{self, Micros};
use crate::urls;

pub const MAX_REFERENCE: usize = 35;

/// A payment's reference, if given, is 1 to [`MAX_REFERENCE`] characters.
pub fn check_reference(reference: Option<&str>) -> DomainResult<()> {
    match reference {
        Some(text) if !(1..=MAX_REFERENCE).contains(&text.chars().count()) => {
            Err(DomainError::invalid_value(
                format!("`payment-reference` must be 1 to {MAX_REFERENCE} characters."),
                "/payment-reference",
            ))
        }
        _ => Ok(()),
    }
}

/// The creditor of a new payment, as the request names it.
#[derive(Debug, Clone)]
pub enum CreditorRef {
    Payee(PayeeId),
    Account(BankAccountId),
    /// UK account details, already checked.
    UkDomestic {
        account_holder: String,
        account_number: String,
        bank_id: String,
    },
}

/// A payment as a request describes it: a positive amount within the limit, a reference of
/// at most [`MAX_REFERENCE`] characters, a creditor.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub creditor: CreditorRef,
    pub amount: MinorUnits,
    pub reference: Option<String>,
}

/// The creditor, resolved: how the payment shows it, and this bank's account if it is one.
struct Creditor {
    shown: Value,
    account_id: Option<BankAccountId>,
    payee_id: Option<PayeeId>,
}

fn uk_domestic(
    holder: &str,
    number: &str,
    bank_id: &str,
    account: Option<&BankAccountId>,
) -> Value {
    let mut shown = json!({
        "creditor-type": "uk-domestic",
        "account-holder": holder,
        "account-number": number,
        "account-number-code": "bban",
        "bank-id": bank_id,
        "bank-id-code": "gbdsc",
    });
    if let Some(id) = account {
        shown["account-url"] = json!(urls::bank_account(id));
    }
    shown
}

async fn resolve(
    conn: &mut Conn<'_>,
    debtor: &BankAccountRow,
    creditor: &CreditorRef,
) -> DomainResult<Creditor> {
    match creditor {
        CreditorRef::Payee(id) => {
            let payee = payees::find(conn, id)
                .await?
                .filter(|p| p.organization_id == debtor.organization_id)
                .ok_or_else(|| {
                    DomainError::unprocessable(
                        "payee-not-found",
                        format!("{} is not a payee of this organization.", urls::payee(id)),
                    )
                    .at("/creditor/payee-url")
                })?;
            if payee.payee_status == PayeeStatus::Deactivated {
                return Err(payee_deactivated(id));
            }
            Ok(Creditor {
                shown: uk_domestic(
                    &payee.account_holder,
                    &payee.account_number,
                    &payee.bank_id,
                    payee.account_id.as_ref(),
                ),
                account_id: payee.account_id,
                payee_id: Some(payee.id),
            })
        }
        CreditorRef::Account(id) => {
            // Any account of this bank can be named; a book transfer to another
            // organization's is refused when submitted (`mixed-organizations`).
            let account = bank_accounts::find(conn, id).await?.ok_or_else(|| {
                DomainError::unprocessable(
                    "bank-account-not-found",
                    format!("{} is not a bank account.", urls::bank_account(id)),
                )
                .at("/creditor/account-url")
            })?;
            Ok(Creditor {
                shown: json!({"creditor-type": "griffin-bank-account", "account-url": account.url()}),
                account_id: Some(account.id),
                payee_id: None,
            })
        }
        CreditorRef::UkDomestic {
            account_holder,
            account_number,
            bank_id,
        } => {
            let account_id = payees::account_by_details(conn, account_number, bank_id).await?;
            Ok(Creditor {
                shown: uk_domestic(account_holder, account_number, bank_id, account_id.as_ref()),
                account_id,
                payee_id: None,
            })
        }
    }
}

pub fn payee_deactivated(payee: &PayeeId) -> DomainError {
    DomainError::unprocessable(
        "payee-deactivated",
        format!(
            "The payee {} is deactivated: it cannot be paid.",
            urls::payee(payee)
        ),
    )
}

pub fn same_debtor_and_beneficiary() -> DomainError {
    DomainError::unprocessable(
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

fn debtor_shown(debtor: &BankAccountRow) -> Value {
    json!({
        "account-url": debtor.url(),
        "account-holder": debtor.account_holder,
        "account-number": debtor.account_number,
        "account-number-code": "bban",
        "bank-id": debtor.bank_id,
        "bank-id-code": "gbdsc",
    })
}

/// Creates an outbound payment on `debtor` in the caller's transaction, with its event.
pub async fn create(
    conn: &mut Conn<'_>,
    debtor: &BankAccountRow,
    new: NewPayment,
    user_id: &UserId,
) -> DomainResult<PaymentRow> {
    if debtor.account_status == AccountStatus::Closed {
        return Err(crate::ledger::Refusal::Closed.error(&debtor.id));
    }
    let creditor = resolve(conn, debtor, &new.creditor).await?;
    if creditor.account_id.as_ref() == Some(&debtor.id) {
        return Err(same_debtor_and_beneficiary());
    }
    let row = PaymentRow {
        id: PaymentId::generate(),
        organization_id: debtor.organization_id.clone(),
        account_id: debtor.id.clone(),
        payment_direction: PaymentDirection::Outbound,
        amount: new.amount,
        payment_reference: Some(new.reference.unwrap_or_else(|| default_reference(debtor))),
        creditor: creditor.shown.to_string(),
        debtor: debtor_shown(debtor).to_string(),
        created_by_user_id: Some(user_id.clone()),
        created_at: time::now(),
        payee_id: creditor.payee_id,
        creditor_account_id: creditor.account_id,
        created_via: Some(CreatedVia::Api),
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
        EventType::PaymentCreated,
        &PaymentView::new(&row),
    )?;
    Ok(row)
}

/// Rejects an outbound payment that is neither submitted nor rejected (409 otherwise).
pub async fn reject(
    conn: &mut Conn<'_>,
    payment: &PaymentRow,
    reason: &str,
    user_id: &UserId,
    now: Micros,
) -> DomainResult<()> {
    if payment.payment_direction != PaymentDirection::Outbound
        || !reject_unsubmitted(conn, &payment.id, reason, user_id, now).await?
    {
        return Err(DomainError::conflict(
            "payment-not-rejectable",
            "Only an outbound payment that is neither submitted nor rejected can be rejected.",
        ));
    }
    Ok(())
}

/// `false` when the payment was submitted or rejected meanwhile.
async fn reject_unsubmitted(
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
