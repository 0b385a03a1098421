//! A bank product as Griffin shows it.

use serde::Serialize;
use serde_json::{Value, json};

use super::{BankProduct, BankProductClass, BankProductStatus, FundingType, id_of};
use crate::ids::OrganizationId;
use crate::legal_persons::LegalPersonType;
use crate::time;
use crate::urls;

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct BankProductView {
    pub bank_account_product_url: String,
    pub bank_account_product_status: BankProductStatus,
    pub bank_account_product_class: BankProductClass,
    pub display_name: &'static str,
    pub funding_type: FundingType,
    pub owner_type: LegalPersonType,
    pub notice_period: Value,
    pub bank_account_product_accounts_url: String,
    pub organization_url: String,
    pub created_at: String,
}

impl BankProductView {
    /// `created_at`: the organization's creation, when its products came to be.
    pub fn new(
        product: &BankProduct,
        organization_id: &OrganizationId,
        created_at: time::Micros,
    ) -> Self {
        let url = urls::bank_product(&id_of(organization_id, product.class));
        BankProductView {
            bank_account_product_accounts_url: format!("{url}/accounts"),
            bank_account_product_url: url,
            bank_account_product_status: BankProductStatus::Active,
            bank_account_product_class: product.class,
            display_name: product.display_name,
            funding_type: product.funding_type,
            owner_type: product.owner_type,
            // The sandbox has no notice accounts: money is available at once.
            notice_period: json!({"notice-period-type": "instant-access"}),
            organization_url: urls::organization(organization_id),
            created_at: time::format(created_at),
        }
    }
}
