//! Payments and their admissions. An inbound payment arrives on an account through an
//! admission, which the ledger credits; outbound payments (created and submitted by
//! customers) build on the same rows.

pub mod handlers;
pub mod outbound;
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};

use crate::access::Need;
use crate::dispatch;
use crate::events::{self, EventType};
use crate::ids::{
    AdmissionId, BankAccountId, OrganizationId, PayeeId, PaymentId, SubmissionId, UserId,
};
use crate::ledger::{self, InternalAccount, Leg, Movement, PostError, PostingRow};
use crate::money::MinorUnits;
use crate::paginate;
use crate::paging::{Cursor, InstantRange, Page, PageRequest};
use crate::roles::Permission;
use crate::store::Conn;
use crate::store::schema::{admissions, payments};
use crate::submissions::SubmissionStatus;
use crate::time::{self, Micros};
use crate::urls;

pub use view::{AdmissionView, PaymentView};

crate::text_enum! {
    pub enum PaymentDirection {
        Inbound = "inbound-payment",
        Outbound = "outbound-payment",
    }
}

crate::text_enum! {
    /// How a payment travels: Faster Payments to any bank, or a book transfer between two
    /// accounts of this bank.
    pub enum PaymentScheme {
        Fps = "fps",
        BookTransfer = "book-transfer",
    }
}

/// Who may submit or reject a payment: its creator with `payments:submit`, anyone else with
/// `payments:approve` (a second pair of eyes).
pub const APPROVAL: Need = Need::CreatorOr {
    creator: Permission::PaymentsSubmit,
    others: Permission::PaymentsApprove,
};

crate::text_enum! {
    /// How an outbound payment was made: through the API, or a person in Griffin's app.
    pub enum CreatedVia {
        Api = "api",
        Ui = "ui",
    }
}

crate::text_enum! {
    pub enum AdmissionStatus {
        Processing = "processing",
        Delivered = "delivered",
        Returned = "returned",
        Cancelled = "cancelled",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payments, treat_none_as_default_value = false)]
pub struct PaymentRow {
    pub id: PaymentId,
    pub organization_id: OrganizationId,
    pub account_id: BankAccountId,
    pub payment_direction: PaymentDirection,
    pub amount: MinorUnits,
    pub payment_reference: Option<String>,
    pub creditor: String,
    pub debtor: String,
    pub created_by_user_id: Option<UserId>,
    pub created_at: Micros,
    pub payee_id: Option<PayeeId>,
    /// The creditor's account when it is one of this bank's.
    pub creditor_account_id: Option<BankAccountId>,
    pub created_via: Option<CreatedVia>,
    pub latest_submission_id: Option<SubmissionId>,
    pub latest_submission_status: Option<SubmissionStatus>,
    pub rejected_at: Option<Micros>,
    pub rejected_by_user_id: Option<UserId>,
    pub rejection_reason: Option<String>,
}

impl crate::access::Owned for PaymentRow {
    type Kind = crate::ids::PaymentKind;

    async fn find(conn: &mut Conn<'_>, id: &PaymentId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }

    fn created_by(&self) -> Option<&UserId> {
        self.created_by_user_id.as_ref()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = admissions, treat_none_as_default_value = false)]
pub struct AdmissionRow {
    pub id: AdmissionId,
    pub organization_id: OrganizationId,
    pub payment_id: PaymentId,
    pub account_id: BankAccountId,
    pub admission_status: AdmissionStatus,
    pub payment_scheme: PaymentScheme,
    pub end_to_end_identification: String,
    pub unique_scheme_identifier: String,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for AdmissionRow {
    type Kind = crate::ids::AdmissionKind;

    async fn find(conn: &mut Conn<'_>, id: &AdmissionId) -> QueryResult<Option<Self>> {
        dispatch!(conn, c => admissions::table
            .find(id)
            .select(AdmissionRow::as_select())
            .first(c)
            .await
            .optional())
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

/// An inbound payment from outside the bank, as the scheme delivers it.
pub struct Inbound<'a> {
    pub organization_id: &'a OrganizationId,
    pub account_id: &'a BankAccountId,
    pub amount: MinorUnits,
    pub reference: Option<String>,
    /// The payer, as Griffin shows a debtor.
    pub debtor: Value,
    pub payment_scheme: PaymentScheme,
}

/// Where the money of an inbound payment comes from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// Another bank, through the scheme's settlement account.
    Scheme,
    /// An account of this bank, by book transfer: one ledger entry debits it (for its
    /// outbound payment) and credits the inbound payment's account.
    Account {
        account_id: &'a BankAccountId,
        outbound_payment_id: &'a PaymentId,
    },
}

/// What admitting an inbound payment wrote.
pub struct Admitted {
    pub payment: PaymentRow,
    pub admission: AdmissionRow,
    /// The entry's transactions: the credit, and for a book transfer the debit.
    pub transactions: Vec<PostingRow>,
}

/// Admits an inbound payment in the caller's transaction: the payment, its admission
/// (`processing`, then `delivered` once credited), the ledger entry that moves the money
/// from `source`, and their events in Griffin's order.
pub async fn admit(
    conn: &mut Conn<'_>,
    inbound: Inbound<'_>,
    source: Source<'_>,
) -> Result<Admitted, PostError> {
    let now = time::now();
    let payment = inbound_payment(&inbound, now);
    conn.defer(diesel::insert_into(payments::table).values(payment.clone()))?;
    events::record(
        conn,
        inbound.organization_id,
        EventType::PaymentCreated,
        &PaymentView::new(&payment),
    )?;
    let mut admission = admission_of(&payment, inbound.payment_scheme, now);
    // The admission is created `processing` and delivered by the same transaction: its row is
    // written once, delivered, but its events tell both steps, in order.
    events::record(
        conn,
        inbound.organization_id,
        EventType::AdmissionCreated,
        &AdmissionView::new(&admission),
    )?;
    let debit = match source {
        Source::Scheme => Leg::internal(InternalAccount::SchemeSettlement, -inbound.amount),
        Source::Account {
            account_id,
            outbound_payment_id,
        } => Leg {
            payment_id: Some(outbound_payment_id),
            ..Leg::bank(account_id, -inbound.amount)
        },
    };
    let movement = Movement {
        organization_id: inbound.organization_id,
        origin_type: ledger::TransactionOrigin::Payment,
        payment_id: Some(&payment.id),
        reference: payment.payment_reference.as_deref(),
        description: None,
        legs: vec![debit, Leg::bank(inbound.account_id, inbound.amount)],
    };
    let transactions = ledger::post(conn, &movement, now).await?;
    admission.admission_status = AdmissionStatus::Delivered;
    conn.defer(diesel::insert_into(admissions::table).values(admission.clone()))?;
    events::record(
        conn,
        inbound.organization_id,
        EventType::AdmissionUpdated,
        &AdmissionView::new(&admission),
    )?;
    Ok(Admitted {
        payment,
        admission,
        transactions,
    })
}

/// The inbound payment's row, crediting its account.
fn inbound_payment(inbound: &Inbound<'_>, now: Micros) -> PaymentRow {
    let account_url = urls::bank_account(inbound.account_id);
    PaymentRow {
        id: PaymentId::generate(),
        organization_id: inbound.organization_id.clone(),
        account_id: inbound.account_id.clone(),
        payment_direction: PaymentDirection::Inbound,
        amount: inbound.amount,
        payment_reference: inbound.reference.clone(),
        creditor: json!({"creditor-type": "griffin-bank-account", "account-url": account_url})
            .to_string(),
        debtor: inbound.debtor.to_string(),
        created_by_user_id: None,
        created_at: now,
        payee_id: None,
        creditor_account_id: None,
        created_via: None,
        latest_submission_id: None,
        latest_submission_status: None,
        rejected_at: None,
        rejected_by_user_id: None,
        rejection_reason: None,
    }
}

/// A new admission of the payment, `processing`, with its scheme's identifiers.
fn admission_of(payment: &PaymentRow, scheme: PaymentScheme, now: Micros) -> AdmissionRow {
    let scheme_id = format!("{:016X}", rand::random::<u64>());
    AdmissionRow {
        id: AdmissionId::generate(),
        organization_id: payment.organization_id.clone(),
        payment_id: payment.id.clone(),
        account_id: payment.account_id.clone(),
        admission_status: AdmissionStatus::Processing,
        payment_scheme: scheme,
        end_to_end_identification: format!("E2E{scheme_id}"),
        unique_scheme_identifier: format!("SANDBOX{scheme_id}"),
        created_at: now,
        updated_at: now,
    }
}

pub async fn find(conn: &mut Conn<'_>, id: &PaymentId) -> QueryResult<Option<PaymentRow>> {
    dispatch!(conn, c => payments::table
        .find(id)
        .select(PaymentRow::as_select())
        .first(c)
        .await
        .optional())
}

pub async fn find_many(conn: &mut Conn<'_>, ids: &[PaymentId]) -> QueryResult<Vec<PaymentRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    dispatch!(conn, c => payments::table
        .filter(payments::id.eq_any(ids))
        .select(PaymentRow::as_select())
        .load(c)
        .await)
}

/// Which admissions a list shows.
pub enum AdmissionScope<'a> {
    Account(&'a BankAccountId),
    Payment(&'a PaymentId),
}

/// A page of admissions: the account's, or the payment's.
pub async fn list_admissions(
    conn: &mut Conn<'_>,
    scope: AdmissionScope<'_>,
    statuses: &[AdmissionStatus],
    created: &InstantRange,
    page: &PageRequest,
) -> QueryResult<Page<AdmissionRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = admissions::table
            .select(AdmissionRow::as_select())
            .into_boxed();
        query = match scope {
            AdmissionScope::Account(id) => query.filter(admissions::account_id.eq(id)),
            AdmissionScope::Payment(id) => query.filter(admissions::payment_id.eq(id)),
        };
        if !statuses.is_empty() {
            query = query.filter(admissions::admission_status.eq_any(statuses));
        }
        query = crate::filter_range!(query, admissions::created_at, created);
        paginate!(query, admissions::created_at, admissions::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, |row| {
        Cursor::new(row.created_at, row.id.as_str())
    }))
}

/// Which payments a list shows.
pub enum Scope<'a> {
    Account(&'a BankAccountId),
    Organization(&'a OrganizationId),
    Payee(&'a PayeeId),
}

/// Payment list filters.
#[derive(Debug, Default)]
pub struct Filter {
    pub direction: Option<PaymentDirection>,
    pub rejected: Option<bool>,
    /// Latest submission statuses; `None` in the list matches payments never submitted.
    pub latest_submission_statuses: Vec<Option<SubmissionStatus>>,
    pub created: InstantRange,
}

pub async fn list(
    conn: &mut Conn<'_>,
    scope: Scope<'_>,
    filter: &Filter,
    page: &PageRequest,
) -> QueryResult<Page<PaymentRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = payments::table.select(PaymentRow::as_select()).into_boxed();
        query = match scope {
            Scope::Account(id) => query.filter(payments::account_id.eq(id)),
            Scope::Organization(id) => query.filter(payments::organization_id.eq(id)),
            Scope::Payee(id) => query.filter(payments::payee_id.eq(id)),
        };
        if let Some(direction) = filter.direction {
            query = query.filter(payments::payment_direction.eq(direction));
        }
        match filter.rejected {
            Some(true) => query = query.filter(payments::rejected_at.is_not_null()),
            Some(false) => query = query.filter(payments::rejected_at.is_null()),
            None => {}
        }
        if !filter.latest_submission_statuses.is_empty() {
            let named: Vec<SubmissionStatus> =
                filter.latest_submission_statuses.iter().flatten().copied().collect();
            let unsubmitted = filter.latest_submission_statuses.iter().any(Option::is_none);
            query = match (named.is_empty(), unsubmitted) {
                (true, _) => query.filter(payments::latest_submission_status.is_null()),
                (false, false) => query.filter(payments::latest_submission_status.eq_any(named)),
                (false, true) => query.filter(
                    payments::latest_submission_status
                        .eq_any(named)
                        .or(payments::latest_submission_status.is_null()),
                ),
            };
        }
        query = crate::filter_range!(query, payments::created_at, &filter.created);
        paginate!(query, payments::created_at, payments::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, |row| {
        Cursor::new(row.created_at, row.id.as_str())
    }))
}

/// Payments of the organization whose reference contains `text` (any case), or whose
/// submission or admission carries it as its scheme identifier; newest first.
pub async fn search(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    text: &str,
    limit: i64,
) -> QueryResult<Vec<PaymentRow>> {
    use crate::store::schema::submissions;
    let pattern = crate::store::like_contains(text);
    let by_scheme_id: Vec<PaymentId> = dispatch!(conn, c => submissions::table
        .filter(submissions::organization_id.eq(organization_id))
        .filter(submissions::unique_scheme_identifier.eq(text))
        .select(submissions::payment_id)
        .union(
            admissions::table
                .filter(admissions::organization_id.eq(organization_id))
                .filter(admissions::unique_scheme_identifier.eq(text))
                .select(admissions::payment_id),
        )
        .load(c)
        .await)?;
    dispatch!(conn, c => payments::table
        .filter(payments::organization_id.eq(organization_id))
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("(LOWER(COALESCE(payment_reference, '')) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern.clone())
                .sql(" ESCAPE '\\')")
                .or(payments::id.eq_any(by_scheme_id.clone())),
        )
        .order((payments::created_at.desc(), payments::id.desc()))
        .limit(limit)
        .select(PaymentRow::as_select())
        .load(c)
        .await)
}
