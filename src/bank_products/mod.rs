//! Bank products: the kinds of account an organization can open, one per class. Like the
//! workflows they are the same for every organization and defined here in code; each
//! organization's copy has its own id, derived from the organization's.

pub mod handlers;
pub mod view;

use crate::bank_accounts::ProductType;
use crate::ids::{BankProductId, OrganizationId};
use crate::legal_persons::LegalPersonType;

pub use view::BankProductView;

crate::text_enum! {
    /// `bank-account-product-class`: which product it is.
    pub enum BankProductClass {
        Operational = "operational",
        Safeguarding = "safeguarding",
        ClientMoney = "client-money",
        Savings = "savings",
        Embedded = "embedded",
    }
}

crate::text_enum! {
    /// `bank-account-product-status`: every product of the sandbox is active.
    pub enum BankProductStatus {
        Active = "active",
        Inactive = "inactive",
    }
}

crate::text_enum! {
    /// Whose money an account of the product holds.
    pub enum FundingType {
        /// Many customers' money in one account.
        Pooled = "pooled",
        Dedicated = "dedicated",
    }
}

#[derive(Debug)]
pub struct BankProduct {
    pub class: BankProductClass,
    /// The `bank-product-type` of the accounts it opens.
    pub account_type: ProductType,
    pub display_name: &'static str,
    pub funding_type: FundingType,
    /// The `legal-person-type` of the accounts' owners.
    pub owner_type: LegalPersonType,
}

pub static BANK_PRODUCTS: [BankProduct; 5] = [
    BankProduct {
        class: BankProductClass::Operational,
        account_type: ProductType::Operational,
        display_name: "Operational account",
        funding_type: FundingType::Dedicated,
        owner_type: LegalPersonType::Corporation,
    },
    BankProduct {
        class: BankProductClass::Safeguarding,
        account_type: ProductType::Safeguarding,
        display_name: "Safeguarding account",
        funding_type: FundingType::Pooled,
        owner_type: LegalPersonType::Corporation,
    },
    BankProduct {
        class: BankProductClass::ClientMoney,
        account_type: ProductType::ClientMoney,
        display_name: "Client money account",
        funding_type: FundingType::Pooled,
        owner_type: LegalPersonType::Corporation,
    },
    BankProduct {
        class: BankProductClass::Savings,
        account_type: ProductType::Savings,
        display_name: "Easy access savings account",
        funding_type: FundingType::Dedicated,
        owner_type: LegalPersonType::Individual,
    },
    BankProduct {
        class: BankProductClass::Embedded,
        account_type: ProductType::Embedded,
        display_name: "Embedded account",
        funding_type: FundingType::Dedicated,
        owner_type: LegalPersonType::Individual,
    },
];

/// The id of the organization's copy of a product.
pub fn id_of(organization_id: &OrganizationId, class: BankProductClass) -> BankProductId {
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

/// The products whose status is one of `statuses` (all of them when none are named).
pub fn with_status(statuses: &[BankProductStatus]) -> Vec<&'static BankProduct> {
    // Every product is active; a filter without `active` matches none.
    if statuses.is_empty() || statuses.contains(&BankProductStatus::Active) {
        BANK_PRODUCTS.iter().collect()
    } else {
        Vec::new()
    }
}
