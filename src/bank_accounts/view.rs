//! A bank account as Griffin shows it.

use serde::Serialize;

use super::{AccountStatus, BankAccountRow, ClientMoneyType, ProductType, SavingsType};
use crate::ids::OrganizationId;
use crate::money::{MinorUnits, Money};
use crate::{time, urls};

/// The product an account type belongs to, among the organization's products.
pub fn product_url(organization_id: &OrganizationId, product: ProductType) -> Option<String> {
    crate::bank_products::BANK_PRODUCTS
        .iter()
        .find(|p| p.account_type == product)
        .map(|p| urls::bank_product(&crate::bank_products::id_of(organization_id, p.class)))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct BankAddress {
    pub account_holder: String,
    pub bank_id: String,
    pub bank_id_code: &'static str,
    pub account_number: String,
    pub account_number_code: &'static str,
}

/// Griffin's bank account.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct BankAccountView {
    pub account_url: String,
    pub display_name: String,
    pub account_status: AccountStatus,
    pub bank_product_type: ProductType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_account_product_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_money_type: Option<ClientMoneyType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savings_type: Option<SavingsType>,
    pub pooled_funds: bool,
    pub primary_account: bool,
    pub account_restricted: bool,
    pub account_balance: Money,
    pub available_balance: Money,
    pub accrued_interest: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_addresses: Option<Vec<BankAddress>>,
    pub owner_url: String,
    pub controller_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beneficiary_url: Option<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub close_account_url: Option<String>,
    pub account_transactions_url: String,
    pub account_payments_url: String,
    pub account_submissions_url: String,
    pub account_admissions_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pooled_account_memberships_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pooled_account_membership_updates_url: Option<String>,
    pub bank_account_restrictions_url: String,
}

impl BankAccountView {
    pub fn new(row: &BankAccountRow) -> Self {
        let id = row.id.clone();
        let sub = |tail: &str| urls::bank_account_sub(&id, tail);
        let party = urls::legal_person;
        BankAccountView {
            account_url: urls::bank_account(&id),
            display_name: row.display_name.clone(),
            account_status: row.account_status,
            bank_product_type: row.bank_product_type,
            bank_account_product_url: product_url(&row.organization_id, row.bank_product_type),
            client_money_type: row.client_money_type,
            savings_type: row.savings_type,
            pooled_funds: row.pooled_funds,
            primary_account: row.primary_account,
            account_restricted: row.restricted(),
            account_balance: Money::gbp(row.balance),
            available_balance: Money::gbp(row.available()),
            // The sandbox pays no interest.
            accrued_interest: Money::gbp(MinorUnits::ZERO),
            // Griffin may omit the address while the account is opening.
            bank_addresses: (row.account_status != AccountStatus::Opening).then(|| {
                vec![BankAddress {
                    account_holder: row.account_holder.clone(),
                    bank_id: row.bank_id.clone(),
                    bank_id_code: "gbdsc",
                    account_number: row.account_number.clone(),
                    account_number_code: "bban",
                }]
            }),
            owner_url: party(&row.owner_id),
            controller_url: party(&row.controller_id),
            beneficiary_url: row.beneficiary_id.as_ref().map(party),
            created_at: time::format(row.created_at),
            opened_at: row.opened_at.map(time::format),
            closed_at: row.closed_at.map(time::format),
            close_account_url: (!row.primary_account && row.account_status == AccountStatus::Open)
                .then(|| sub("actions/close")),
            account_transactions_url: sub("transactions"),
            account_payments_url: sub("payments"),
            account_submissions_url: sub("submissions"),
            account_admissions_url: sub("admissions"),
            pooled_account_memberships_url: row.pooled_funds.then(|| sub("membership")),
            pooled_account_membership_updates_url: row
                .pooled_funds
                .then(|| sub("membership-updates")),
            bank_account_restrictions_url: sub("restrictions"),
        }
    }
}
