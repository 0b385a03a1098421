//! Payments and their admissions. An inbound payment arrives on an account through an
//! admission, which the ledger credits; outbound payments (created and submitted by
//! customers) build on the same rows.

pub mod handlers;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use serde_json::{Value, json};

use crate::dispatch;
use crate::events;
use crate::http::pagination::Cursor;
use crate::http::{Page, PageRequest};
use crate::ids::{AdmissionId, BankAccountId, PaymentId};
use crate::ledger::{self, Leg, Movement, PostError, PostingRow};
use crate::money::Money;
use crate::paginate;
use crate::store::Conn;
use crate::store::schema::{admissions, payments};
use crate::time::{self, Micros};
use crate::urls;

pub const INBOUND: &str = "inbound-payment";
pub const OUTBOUND: &str = "outbound-payment";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payments)]
pub struct PaymentRow {
    pub id: String,
    pub organization_id: String,
    pub account_id: String,
    pub payment_direction: String,
    pub amount: i64,
    pub payment_reference: Option<String>,
    pub creditor: String,
    pub debtor: String,
    pub created_by_user_id: Option<String>,
    pub created_at: Micros,
}

impl crate::http::auth::OrganizationResource for PaymentRow {
    type Kind = crate::ids::PaymentKind;

    async fn find(conn: &mut Conn<'_>, id: &str) -> QueryResult<Option<Self>> {
        dispatch!(conn, c => payments::table
            .find(id)
            .select(PaymentRow::as_select())
            .first(c)
            .await
            .optional())
    }

    fn organization_id(&self) -> &str {
        &self.organization_id
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = admissions)]
pub struct AdmissionRow {
    pub id: String,
    pub organization_id: String,
    pub payment_id: String,
    pub account_id: String,
    pub admission_status: String,
    pub payment_scheme: String,
    pub end_to_end_identification: String,
    pub unique_scheme_identifier: String,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::http::auth::OrganizationResource for AdmissionRow {
    type Kind = crate::ids::AdmissionKind;

    async fn find(conn: &mut Conn<'_>, id: &str) -> QueryResult<Option<Self>> {
        dispatch!(conn, c => admissions::table
            .find(id)
            .select(AdmissionRow::as_select())
            .first(c)
            .await
            .optional())
    }

    fn organization_id(&self) -> &str {
        &self.organization_id
    }
}

/// An inbound payment from outside the bank, as the scheme delivers it.
pub struct Inbound<'a> {
    pub organization_id: &'a str,
    pub account_id: &'a str,
    pub amount: i64,
    pub reference: Option<String>,
    /// The payer, as Griffin shows a debtor.
    pub debtor: Value,
    pub payment_scheme: &'static str,
}

/// What admitting an inbound payment wrote.
pub struct Admitted {
    pub payment: PaymentRow,
    pub admission: AdmissionRow,
    pub transaction: PostingRow,
}

/// Admits an inbound payment in the caller's transaction: the payment, its admission
/// (`processing`, then `delivered` once credited), the credit transaction against scheme
/// settlement, and their events in Griffin's order.
pub async fn admit(conn: &mut Conn<'_>, inbound: Inbound<'_>) -> Result<Admitted, PostError> {
    let now = time::now();
    let account_url = urls::bank_account(&BankAccountId::from_db(inbound.account_id.to_string()));
    let payment = PaymentRow {
        id: PaymentId::generate().into_string(),
        organization_id: inbound.organization_id.to_string(),
        account_id: inbound.account_id.to_string(),
        payment_direction: INBOUND.to_string(),
        amount: inbound.amount,
        payment_reference: inbound.reference,
        creditor: json!({"creditor-type": "griffin-bank-account", "account-url": account_url})
            .to_string(),
        debtor: inbound.debtor.to_string(),
        created_by_user_id: None,
        created_at: now,
    };
    dispatch!(conn, c => diesel::insert_into(payments::table)
        .values(&payment)
        .execute(c)
        .await)?;
    events::record(
        conn,
        inbound.organization_id,
        "payment-created",
        &PaymentView::new(&payment),
    )
    .await?;
    let scheme_id = format!("{:016X}", rand::random::<u64>());
    let mut admission = AdmissionRow {
        id: AdmissionId::generate().into_string(),
        organization_id: inbound.organization_id.to_string(),
        payment_id: payment.id.clone(),
        account_id: inbound.account_id.to_string(),
        admission_status: "processing".to_string(),
        payment_scheme: inbound.payment_scheme.to_string(),
        end_to_end_identification: format!("E2E{scheme_id}"),
        unique_scheme_identifier: format!("SANDBOX{scheme_id}"),
        created_at: now,
        updated_at: now,
    };
    dispatch!(conn, c => diesel::insert_into(admissions::table)
        .values(&admission)
        .execute(c)
        .await)?;
    events::record(
        conn,
        inbound.organization_id,
        "admission-created",
        &AdmissionView::new(&admission),
    )
    .await?;
    let movement = Movement {
        organization_id: inbound.organization_id,
        origin_type: ledger::PAYMENT,
        payment_id: Some(&payment.id),
        reference: payment.payment_reference.as_deref(),
        description: None,
        legs: vec![
            Leg {
                account_id: ledger::SCHEME_SETTLEMENT,
                amount: -inbound.amount,
            },
            Leg {
                account_id: inbound.account_id,
                amount: inbound.amount,
            },
        ],
    };
    let mut transactions = ledger::post(conn, &movement, now).await?;
    let transaction = transactions
        .pop()
        .ok_or(PostError::Database(diesel::result::Error::NotFound))?;
    dispatch!(conn, c => diesel::update(admissions::table.find(&admission.id))
        .set((
            admissions::admission_status.eq("delivered"),
            admissions::updated_at.eq(now),
        ))
        .execute(c)
        .await)?;
    admission.admission_status = "delivered".to_string();
    events::record(
        conn,
        inbound.organization_id,
        "admission-updated",
        &AdmissionView::new(&admission),
    )
    .await?;
    Ok(Admitted {
        payment,
        admission,
        transaction,
    })
}

pub async fn find_many(conn: &mut Conn<'_>, ids: &[String]) -> QueryResult<Vec<PaymentRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    dispatch!(conn, c => payments::table
        .filter(payments::id.eq_any(ids))
        .select(PaymentRow::as_select())
        .load(c)
        .await)
}

/// A page of the account's payments.
pub async fn list_for_account(
    conn: &mut Conn<'_>,
    account_id: &str,
    page: &PageRequest,
) -> QueryResult<Page<PaymentRow>> {
    let rows = dispatch!(conn, c => {
        let query = payments::table
            .filter(payments::account_id.eq(account_id))
            .select(PaymentRow::as_select())
            .into_boxed();
        paginate!(query, payments::created_at, payments::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, |row| {
        Cursor::new(row.created_at, &row.id)
    }))
}

/// A page of admissions: the account's, or the payment's.
pub async fn list_admissions(
    conn: &mut Conn<'_>,
    account_id: Option<&str>,
    payment_id: Option<&str>,
    page: &PageRequest,
) -> QueryResult<Page<AdmissionRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = admissions::table
            .select(AdmissionRow::as_select())
            .into_boxed();
        if let Some(account_id) = account_id {
            query = query.filter(admissions::account_id.eq(account_id));
        }
        if let Some(payment_id) = payment_id {
            query = query.filter(admissions::payment_id.eq(payment_id));
        }
        paginate!(query, admissions::created_at, admissions::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, |row| {
        Cursor::new(row.created_at, &row.id)
    }))
}

/// Griffin's payment.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PaymentView {
    pub payment_url: String,
    pub payment_direction: String,
    pub payment_amount: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_reference: Option<String>,
    pub creditor: Value,
    pub debtor: Value,
    pub created_at: String,
    pub payment_admissions_url: String,
    pub payment_submissions_url: String,
}

impl PaymentView {
    pub fn new(row: &PaymentRow) -> Self {
        let id = PaymentId::from_db(row.id.clone());
        PaymentView {
            payment_url: urls::payment(&id),
            payment_direction: row.payment_direction.clone(),
            payment_amount: Money::gbp(row.amount),
            payment_reference: row.payment_reference.clone(),
            creditor: serde_json::from_str(&row.creditor).unwrap_or(Value::Null),
            debtor: serde_json::from_str(&row.debtor).unwrap_or(Value::Null),
            created_at: time::format(row.created_at),
            payment_admissions_url: urls::payment_sub(&id, "admissions"),
            payment_submissions_url: urls::payment_sub(&id, "submissions"),
        }
    }
}

/// Griffin's payment admission.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AdmissionView {
    pub admission_url: String,
    pub payment_url: String,
    pub account_url: String,
    pub admission_status: String,
    pub admission_scheme_information: Value,
    pub unique_scheme_identifier: String,
    pub created_at: String,
}

impl AdmissionView {
    pub fn new(row: &AdmissionRow) -> Self {
        AdmissionView {
            admission_url: urls::admission(&AdmissionId::from_db(row.id.clone())),
            payment_url: urls::payment(&PaymentId::from_db(row.payment_id.clone())),
            account_url: urls::bank_account(&BankAccountId::from_db(row.account_id.clone())),
            admission_status: row.admission_status.clone(),
            admission_scheme_information: json!({
                "payment-scheme": row.payment_scheme,
                "end-to-end-identification": row.end_to_end_identification,
            }),
            unique_scheme_identifier: row.unique_scheme_identifier.clone(),
            created_at: time::format(row.created_at),
        }
    }
}
