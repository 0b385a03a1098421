//! Payees: the people and businesses a customer pays, under the customer's legal person.
//! `active → deactivated`, one way; payments to a deactivated payee are refused.

pub mod handlers;

use crate::ids::OrganizationId;
use crate::store::PreparedExt;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use crate::bank_accounts::SANDBOX_BANK_ID;
use crate::dispatch;
use crate::ids::{BankAccountId, CopRequestId, LegalPersonId, PayeeId};
use crate::paginate;
use crate::paging::Cursor;
use crate::paging::{Page, PageRequest};
use crate::store::Conn;
use crate::store::schema::{bank_accounts, payees};
use crate::time::{self, Micros};
use crate::urls;

pub const ACTIVE: &str = "active";
pub const DEACTIVATED: &str = "deactivated";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payees, treat_none_as_default_value = false)]
pub struct PayeeRow {
    pub id: PayeeId,
    pub organization_id: OrganizationId,
    pub legal_person_id: LegalPersonId,
    pub account_holder: String,
    pub account_number: String,
    pub bank_id: String,
    pub payee_status: String,
    pub cop_request_id: Option<CopRequestId>,
    pub account_id: Option<BankAccountId>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for PayeeRow {
    type Kind = crate::ids::PayeeKind;

    async fn find(
        conn: &mut Conn<'_>,
        id: &crate::ids::Id<crate::ids::PayeeKind>,
    ) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &crate::ids::OrganizationId {
        &self.organization_id
    }
}

pub async fn find(conn: &mut Conn<'_>, id: &crate::ids::PayeeId) -> QueryResult<Option<PayeeRow>> {
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
        .filter(payees::payee_status.eq(ACTIVE))
        .select(PayeeRow::as_select())
        .first(c)
        .await
        .optional())
}

pub async fn insert(conn: &mut Conn<'_>, row: &PayeeRow) -> QueryResult<()> {
    dispatch!(conn, c => diesel::insert_into(payees::table).values(row).execute(c).await)?;
    Ok(())
}

/// Sets the status and CoP request; `None` leaves a field as it is.
pub async fn update(
    conn: &mut Conn<'_>,
    row: &PayeeRow,
    status: Option<&str>,
    cop_request_id: Option<&CopRequestId>,
) -> QueryResult<PayeeRow> {
    let mut updated = row.clone();
    if let Some(status) = status {
        updated.payee_status = status.to_string();
    }
    if let Some(cop) = cop_request_id {
        updated.cop_request_id = Some(cop.clone());
    }
    updated.updated_at = time::now();
    dispatch!(conn, c => diesel::update(payees::table.find(&row.id))
        .set((
            payees::payee_status.eq(&updated.payee_status),
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
        Cursor::new(row.created_at, &row.id)
    }))
}

/// Griffin's payee.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PayeeView {
    pub payee_url: String,
    pub legal_person_url: String,
    pub account_holder: String,
    pub account_number: String,
    pub bank_id: String,
    pub country_code: &'static str,
    pub payee_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cop_request_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_url: Option<String>,
    pub created_at: String,
}

impl PayeeView {
    pub fn new(row: &PayeeRow) -> Self {
        PayeeView {
            payee_url: urls::payee(&row.id),
            legal_person_url: urls::legal_person(&row.legal_person_id),
            account_holder: row.account_holder.clone(),
            account_number: row.account_number.clone(),
            bank_id: row.bank_id.clone(),
            country_code: "GB",
            payee_status: row.payee_status.clone(),
            cop_request_url: row
                .cop_request_id
                .as_ref()
                .map(|id| urls::cop_request(&id.clone())),
            account_url: row
                .account_id
                .as_ref()
                .map(|id| urls::bank_account(&id.clone())),
            created_at: time::format(row.created_at),
        }
    }
}
