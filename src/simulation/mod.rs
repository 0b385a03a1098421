//! Sandbox controls Griffin lacks, under `/v0/simulation/`: money arriving from another bank,
//! and card holds placed and released. Only test-mode organizations have them.

pub mod handlers;

use serde_json::Value;

use crate::bank_accounts::BankAccountRow;
use crate::error::{DomainError, DomainResult};
use crate::holds::{self, HoldRow, NewHold};
use crate::money::MinorUnits;
use crate::organizations::{self, OrganizationMode, OrganizationRow};
use crate::payments::{self, Inbound, PaymentRow, PaymentScheme};
use crate::store::Conn;

/// 422 `simulation-not-available` unless the organization is in test mode.
pub fn require_test_mode(organization: &OrganizationRow) -> DomainResult<()> {
    if organization.organization_mode != OrganizationMode::TestMode {
        return Err(DomainError::unprocessable(
            "simulation-not-available",
            "Simulations are only available to test-mode organizations.",
        ));
    }
    Ok(())
}

/// Simulations act only on test-mode organizations' accounts.
async fn account_in_test_mode(conn: &mut Conn<'_>, account: &BankAccountRow) -> DomainResult<()> {
    let organization = organizations::find(conn, &account.organization_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    require_test_mode(&organization)
}

/// A Faster Payment from another bank, as the simulation describes it.
pub struct SimulatedInbound {
    pub amount: MinorUnits,
    pub reference: Option<String>,
    /// The payer, as Griffin shows a debtor.
    pub debtor: Value,
}

/// A Faster Payment from another bank arrives: the inbound payment, its admission and the
/// credit transaction. Refused (422) for accounts that cannot receive: opening, closing,
/// closed or blocked.
pub async fn inbound_payment(
    conn: &mut Conn<'_>,
    account: &BankAccountRow,
    simulated: SimulatedInbound,
) -> DomainResult<PaymentRow> {
    account_in_test_mode(conn, account).await?;
    let inbound = Inbound {
        organization_id: &account.organization_id,
        account_id: &account.id,
        amount: simulated.amount,
        reference: simulated.reference,
        debtor: simulated.debtor,
        payment_scheme: PaymentScheme::Fps,
    };
    let admitted = payments::admit(conn, inbound, payments::Source::Scheme).await?;
    Ok(admitted.payment)
}

/// A card authorization reserves money (see [`holds::place`]).
pub async fn place_hold(
    conn: &mut Conn<'_>,
    account: &BankAccountRow,
    new: NewHold,
) -> DomainResult<HoldRow> {
    account_in_test_mode(conn, account).await?;
    holds::place(conn, account, new).await
}

/// The authorization lapses and the money is available again; a released hold is 422
/// `hold-not-placed`.
pub async fn release_hold(
    conn: &mut Conn<'_>,
    hold: &HoldRow,
    reason: Option<&str>,
) -> DomainResult<HoldRow> {
    let account = crate::bank_accounts::find(conn, &hold.account_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    account_in_test_mode(conn, &account).await?;
    holds::release(conn, hold, reason).await?.ok_or_else(|| {
        DomainError::unprocessable("hold-not-placed", "The hold has already been released.")
    })
}
