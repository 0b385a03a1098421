//! A bank account's transaction as Griffin shows it.

use serde::Serialize;

use super::{PostingRow, TransactionOrigin};
use crate::money::{MinorUnits, Money};
use crate::{time, urls};

/// Griffin's account transaction: one bank account's side of a movement.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct TransactionView {
    pub account_transaction_url: String,
    pub account_url: String,
    pub balance_change: Money,
    pub balance_change_direction: &'static str,
    pub account_balance: Money,
    pub transaction_origin_type: TransactionOrigin,
    pub processed_at: String,
    pub effective_at: String,
    pub post_datetime: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl TransactionView {
    pub fn new(row: &PostingRow) -> Self {
        TransactionView {
            account_transaction_url: urls::transaction(&row.id),
            // Only bank accounts' postings are transactions.
            account_url: row
                .account_id
                .bank()
                .map(urls::bank_account)
                .unwrap_or_default(),
            balance_change: Money::gbp(MinorUnits(row.amount.0.abs())),
            balance_change_direction: if row.amount.is_positive() {
                "credit"
            } else {
                "debit"
            },
            account_balance: Money::gbp(row.balance_after.unwrap_or_default()),
            transaction_origin_type: row.origin_type,
            processed_at: time::format(row.processed_at),
            effective_at: time::format(row.effective_at),
            post_datetime: time::format(row.processed_at),
            payment_url: row.payment_id.as_ref().map(urls::payment),
            reference: row.reference.clone(),
            description: row.description.clone(),
        }
    }
}
