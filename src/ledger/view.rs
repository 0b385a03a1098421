//! A bank account's transaction as Griffin shows it.

use serde::Serialize;

use super::{PostingRow, TransactionOrigin};
use crate::money::{MinorUnits, Money};
use crate::payments::{PaymentDirection, PaymentRow};
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

/// Xero's bank statement import (central.xero.com, "Import a CSV bank statement"): one
/// header row, then one row per transaction with the columns of Xero's statement template
/// (Cheque Number is left out, as Xero asks of columns with no data): `Date` (DD/MM/YYYY, as
/// Xero's UK template, of `processed-at` in UTC, the instant the list's filters compare),
/// `Amount` (signed: credits positive, debits negative; the currency's minor units as
/// decimals, no symbol or separators), `Payee` (the payment's other party: its creditor's
/// account holder for money out, its debtor's for money in; empty for sandbox test money),
/// `Description` (the transaction's description, else what kind it is) and `Reference` (the
/// payment's reference). Lines end with CRLF (RFC 4180).
pub const XERO_CSV_HEADER: &str = "Date,Amount,Payee,Description,Reference\r\n";

/// Appends one transaction's row of the Xero CSV to `out`: `payment` is the transaction's
/// payment, if it has one, and `payee` the name of that payment's other party.
pub fn xero_csv_row(
    row: &PostingRow,
    payment: Option<&PaymentRow>,
    payee: Option<&str>,
    out: &mut String,
) {
    let kind = match (payment.map(|p| p.payment_direction), row.origin_type) {
        (Some(PaymentDirection::Inbound), _) => "Payment received",
        (Some(PaymentDirection::Outbound), _) => "Payment sent",
        (None, TransactionOrigin::Deposit) => "Deposit",
        (None, TransactionOrigin::Payment) => "Payment",
    };
    out.push_str(&time::day_month_year(row.processed_at));
    out.push(',');
    // The amount is ours, not the client's: a leading `-` is its sign, left as it is.
    // Accounts hold pounds sterling, the only currency of Griffin's API.
    out.push_str(&Money::gbp(row.amount).decimal());
    for text in [
        payee.unwrap_or(""),
        row.description.as_deref().unwrap_or(kind),
        row.reference.as_deref().unwrap_or(""),
    ] {
        out.push(',');
        push_csv_text(text, out);
    }
    out.push_str("\r\n");
}

/// Appends a text field a client may have written (a payee's name, a reference) to a CSV
/// row. Against CSV formula injection (OWASP), a field starting with `=`, `+`, `-`, `@`, a
/// tab or a carriage return gets a leading `'`, so that a spreadsheet opening the file shows
/// the text instead of evaluating it (Xero keeps the `'` as part of the text). Then, as RFC
/// 4180 has it, a field holding a `"`, a comma or a line break is quoted, with each `"`
/// doubled; line breaks stay inside the quotes.
fn push_csv_text(text: &str, out: &mut String) {
    let guarded = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quoted = text.contains(['"', ',', '\n', '\r']);
    if quoted {
        out.push('"');
    }
    if guarded {
        out.push('\'');
    }
    for c in text.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quoted {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::push_csv_text;

    fn field(text: &str) -> String {
        let mut out = String::new();
        push_csv_text(text, &mut out);
        out
    }

    #[test]
    fn csv_text_is_escaped_and_guarded() {
        assert_eq!(field("Jane Doe"), "Jane Doe");
        assert_eq!(field(""), "");
        assert_eq!(field("Doe, Jane"), "\"Doe, Jane\"");
        assert_eq!(field("the \"best\""), "\"the \"\"best\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for formula in ["+1", "-1", "@SUM(A1)", "\tx", "=1+1"] {
            assert!(
                field(formula).trim_start_matches('"').starts_with('\''),
                "{formula:?}"
            );
        }
        assert_eq!(field("a=b"), "a=b");
    }
}
