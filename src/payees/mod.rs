//! Payees: the people and businesses a customer pays, under the customer's legal person.
//! `active → deactivated`, one way; payments to a deactivated payee are refused.

pub mod handlers;
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::bank_accounts::SANDBOX_BANK_ID;
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{BankAccountId, CopRequestId, LegalPersonId, OrganizationId, PayeeId};
use crate::legal_persons::LegalPersonRow;
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::store::schema::{bank_accounts, payees};
use crate::store::{Conn, PreparedExt};
use crate::time::{self, Micros};
use crate::urls;

pub use view::PayeeView;

crate::text_enum! {
    /// One way: a deactivated payee takes no more payments.
    pub enum PayeeStatus {
        Active = "active",
        Deactivated = "deactivated",
    }
}

/// A payee as a request describes it, its account details already checked.
pub struct NewPayee {
    pub account_holder: String,
    pub account_number: String,
    pub bank_id: String,
    pub cop_request_id: Option<CopRequestId>,
}

/// What a payee's update asks for; `None` leaves a field as it is.
pub struct PayeeChange {
    pub deactivate: bool,
    pub cop_request_id: Option<CopRequestId>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payees, treat_none_as_default_value = false)]
pub struct PayeeRow {
    pub id: PayeeId,
    pub organization_id: OrganizationId,
    pub legal_person_id: LegalPersonId,
    pub account_holder: String,
    pub account_number: String,
    pub bank_id: String,
    pub payee_status: PayeeStatus,
    pub cop_request_id: Option<CopRequestId>,
    pub account_id: Option<BankAccountId>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for PayeeRow {
    type Kind = crate::ids::PayeeKind;

    async fn find(conn: &mut Conn<'_>, id: &PayeeId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

pub async fn find(conn: &mut Conn<'_>, id: &PayeeId) -> QueryResult<Option<PayeeRow>> {
    dispatch!(conn, c => payees::table
        .find(id)
        .select(PayeeRow::as_select())
        .first(c)
        .await
        .optional())
}

/// The account of this bank with these details, whichever organization holds it: money
/// sent there by fps arrives there (a book transfer still needs the same organization).
pub async fn account_by_details(
    conn: &mut Conn<'_>,
    account_number: &str,
    bank_id: &str,
) -> QueryResult<Option<BankAccountId>> {
    if bank_id != SANDBOX_BANK_ID {
        return Ok(None);
    }
    dispatch!(conn, c => bank_accounts::table
        .filter(bank_accounts::account_number.eq(account_number))
        .select(bank_accounts::id)
        .first(c)
        .await
        .optional())
}

/// An active payee of the legal person with the same details, if there is one.
pub async fn find_active_like(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
    account_number: &str,
    bank_id: &str,
) -> QueryResult<Option<PayeeRow>> {
    dispatch!(conn, c => payees::table
        .filter(payees::legal_person_id.eq(legal_person_id))
        .filter(payees::account_number.eq(account_number))
        .filter(payees::bank_id.eq(bank_id))
        .filter(payees::payee_status.eq(PayeeStatus::Active))
        .select(PayeeRow::as_select())
        .first(c)
        .await
        .optional())
}

/// The CoP request `id`, which must be one of the organization's (422 if not).
async fn own_cop_request(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    id: &CopRequestId,
) -> DomainResult<CopRequestId> {
    let found = crate::cop::find(conn, id)
        .await?
        .filter(|row| row.organization_id == *organization_id);
    found.map(|row| row.id).ok_or_else(|| {
        DomainError::unprocessable(
            "cop-request-not-found",
            format!(
                "{} is not a CoP request of this organization.",
                urls::cop_request(id)
            ),
        )
        .at("/cop-request-url")
    })
}

fn already_exists(detail: impl Into<std::borrow::Cow<'static, str>>) -> DomainError {
    DomainError::conflict("payee-already-exists", detail)
}

/// Creates a payee of the legal person; 409 when it already has an active payee with these
/// account details.
pub async fn create(
    conn: &mut Conn<'_>,
    person: &LegalPersonRow,
    new: NewPayee,
) -> DomainResult<PayeeRow> {
    let cop_request_id = match &new.cop_request_id {
        Some(id) => Some(own_cop_request(conn, &person.organization_id, id).await?),
        None => None,
    };
    if let Some(existing) =
        find_active_like(conn, &person.id, &new.account_number, &new.bank_id).await?
    {
        return Err(already_exists(format!(
            "{} already has an active payee with these details: {}.",
            urls::legal_person(&person.id),
            urls::payee(&existing.id)
        )));
    }
    let account_id = account_by_details(conn, &new.account_number, &new.bank_id).await?;
    let now = time::now();
    let row = PayeeRow {
        id: PayeeId::generate(),
        organization_id: person.organization_id.clone(),
        legal_person_id: person.id.clone(),
        account_holder: new.account_holder.trim().to_string(),
        account_number: new.account_number,
        bank_id: new.bank_id,
        payee_status: PayeeStatus::Active,
        cop_request_id,
        account_id,
        created_at: now,
        updated_at: now,
    };
    // Two requests racing past the check above meet the unique index.
    dispatch!(conn, c => diesel::insert_into(payees::table).values(&row).execute(c).await)
        .map_err(|error| {
            if crate::store::is_unique_violation(&error) {
                already_exists("The legal person already has an active payee with these details.")
            } else {
                error.into()
            }
        })?;
    Ok(row)
}

/// Deactivates a payee (one way: 422 `payee-already-deactivated` the second time) and/or
/// attaches a CoP request of its organization.
pub async fn change(
    conn: &mut Conn<'_>,
    row: &PayeeRow,
    change: PayeeChange,
) -> DomainResult<PayeeRow> {
    if change.deactivate && row.payee_status == PayeeStatus::Deactivated {
        return Err(DomainError::unprocessable(
            "payee-already-deactivated",
            "The payee is already deactivated.",
        ));
    }
    let mut updated = row.clone();
    if change.deactivate {
        updated.payee_status = PayeeStatus::Deactivated;
    }
    if let Some(id) = &change.cop_request_id {
        updated.cop_request_id = Some(own_cop_request(conn, &row.organization_id, id).await?);
    }
    updated.updated_at = time::now();
    dispatch!(conn, c => diesel::update(payees::table.find(&row.id))
        .set((
            payees::payee_status.eq(updated.payee_status),
            payees::cop_request_id.eq(&updated.cop_request_id),
            payees::updated_at.eq(updated.updated_at),
        ))
        .prepared()
        .execute(c)
        .await)?;
    Ok(updated)
}

pub async fn list(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
    page: &PageRequest,
) -> QueryResult<Page<PayeeRow>> {
    let rows = dispatch!(conn, c => {
        let query = payees::table
            .filter(payees::legal_person_id.eq(legal_person_id))
            .select(PayeeRow::as_select())
            .into_boxed();
        paginate!(query, payees::created_at, payees::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, |row| {
        Cursor::new(row.created_at, row.id.as_str())
    }))
}
