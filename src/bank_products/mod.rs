//! Bank products: the kinds of account an organization can open, one per class. Like the
//! workflows they are the same for every organization and defined here in code; each
//! organization's copy has its own id, derived from the organization's.

pub mod handlers;

use serde::Serialize;
use serde_json::{Value, json};

use crate::bank_accounts::ProductType;
use crate::ids::{BankProductId, OrganizationId};
use crate::time;
use crate::urls;

#[derive(Debug)]
pub struct BankProduct {
    /// `bank-account-product-class`.
    pub class: &'static str,
    /// The `bank-product-type` of the accounts it opens.
    pub account_type: ProductType,
    pub display_name: &'static str,
    /// `pooled` (many customers' money in one account) or `dedicated`.
    pub funding_type: &'static str,
    pub owner_type: &'static str,
}

pub static BANK_PRODUCTS: [BankProduct; 5] = [
    BankProduct {
        class: "operational",
        account_type: ProductType::Operational,
        display_name: "Operational account",
        funding_type: "dedicated",
        owner_type: "corporation",
    },
    BankProduct {
        class: "safeguarding",
        account_type: ProductType::Safeguarding,
        display_name: "Safeguarding account",
        funding_type: "pooled",
        owner_type: "corporation",
    },
    BankProduct {
        class: "client-money",
        account_type: ProductType::ClientMoney,
        display_name: "Client money account",
        funding_type: "pooled",
        owner_type: "corporation",
    },
    BankProduct {
        class: "savings",
        account_type: ProductType::Savings,
        display_name: "Easy access savings account",
        funding_type: "dedicated",
        owner_type: "individual",
    },
    BankProduct {
        class: "embedded",
        account_type: ProductType::Embedded,
        display_name: "Embedded account",
        funding_type: "dedicated",
        owner_type: "individual",
    },
];

/// The id of the organization's copy of a product.
pub fn id_of(organization_id: &OrganizationId, class: &str) -> BankProductId {
    BankProductId::derived(&format!("hyperbank bank product {organization_id} {class}"))
}

/// The product with this id among the given organizations' products, with its organization.
pub fn find<'a>(
    id: &BankProductId,
    organization_ids: &'a [OrganizationId],
) -> Option<(&'static BankProduct, &'a OrganizationId)> {
    crate::organizations::find_in_catalogue(
        &BANK_PRODUCTS,
        id,
        organization_ids,
        |organization, p| id_of(organization, p.class),
    )
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct BankProductView {
    pub bank_account_product_url: String,
    pub bank_account_product_status: &'static str,
    pub bank_account_product_class: &'static str,
    pub display_name: &'static str,
    pub funding_type: &'static str,
    pub owner_type: &'static str,
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
            bank_account_product_status: "active",
            bank_account_product_class: product.class,
            display_name: product.display_name,
            funding_type: product.funding_type,
            owner_type: product.owner_type,
            // The sandbox has no notice accounts: money is available at once.
            notice_period: json!({"notice-period-type": "instant-access"}),
            organization_url: urls::organization(&OrganizationId::from_db(
                organization_id.to_string(),
            )),
            created_at: time::format(created_at),
        }
    }
}
