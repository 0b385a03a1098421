//! Payment submissions: sending an outbound payment through a scheme.
//!
//! - `fps` debits the account at once (against its available balance) to the scheme's
//!   settlement account and stays `processing` until the worker delivers it; when the
//!   creditor is an account of this bank, delivery admits the money there, and if that
//!   account can no longer receive, the payment is `returned` to the debtor.
//! - `book-transfer` moves the money to another account of the same organization in one
//!   ledger entry, creating on the creditor's side the inbound payment, its admission and the
//!   credit; it is `delivered` at once.
//!
//! A payment is submitted at most once: the submission claims the payment's
//! `latest-submission` by a conditional update in the same transaction as the money moves.

pub mod handlers;
pub mod view;

use std::collections::HashSet;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;

use crate::bank_accounts::{self, BankAccountRow};
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::events::{self, EventType};
use crate::ids::{BankAccountId, OrganizationId, PaymentId, SubmissionId, UserId};
use crate::ledger::{self, InternalAccount, Leg, Movement, PostError};
use crate::money::MinorUnits;
use crate::paging::{Cursor, InstantRange, Page, PageRequest};
use crate::payees::{self, PayeeStatus};
use crate::payments::outbound::{payee_deactivated, same_debtor_and_beneficiary};
use crate::payments::{self, Inbound, PaymentDirection, PaymentRow, PaymentScheme, Source};
use crate::store::schema::{payments as payments_table, submissions};
use crate::store::{Conn, Db, PreparedExt, StoreError};
use crate::time::{self, Micros};
use crate::{filter_range, paginate};

pub use view::SubmissionView;

crate::text_enum! {
    pub enum SubmissionStatus {
        Scheduled = "scheduled",
        Processing = "processing",
        Delivered = "delivered",
        Failed = "failed",
        Returned = "returned",
    }
}

/// The most one Faster Payment may carry (£1,000,000.00).
pub const FPS_LIMIT: MinorUnits = MinorUnits(100_000_000);

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = submissions, treat_none_as_default_value = false)]
pub struct SubmissionRow {
    pub id: SubmissionId,
    pub organization_id: OrganizationId,
    pub payment_id: PaymentId,
    pub account_id: BankAccountId,
    pub submission_status: SubmissionStatus,
    pub payment_scheme: PaymentScheme,
    pub end_to_end_identification: String,
    pub unique_scheme_identifier: String,
    pub created_by_user_id: Option<UserId>,
    pub due_at: Option<Micros>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for SubmissionRow {
    type Kind = crate::ids::SubmissionKind;

    async fn find(
        conn: &mut Conn<'_>,
        id: &crate::ids::Id<crate::ids::SubmissionKind>,
    ) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &crate::ids::OrganizationId {
        &self.organization_id
    }
}

pub async fn find(
    conn: &mut Conn<'_>,
    id: &crate::ids::SubmissionId,
) -> QueryResult<Option<SubmissionRow>> {
    dispatch!(conn, c => submissions::table
        .find(id)
        .select(SubmissionRow::as_select())
        .first(c)
        .await
        .optional())
}

pub async fn find_many(
    conn: &mut Conn<'_>,
    ids: &[SubmissionId],
) -> QueryResult<Vec<SubmissionRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    dispatch!(conn, c => submissions::table
        .filter(submissions::id.eq_any(ids))
        .select(SubmissionRow::as_select())
        .load(c)
        .await)
}

fn rejected() -> DomainError {
    DomainError::Gone {
        code: "payment-rejected",
        detail: "The payment was rejected: it can no longer be submitted.".into(),
    }
}

fn already_submitted() -> DomainError {
    DomainError::unprocessable(
        "payment-already-submitted",
        "The payment has been submitted already; follow its latest-submission-url.",
    )
}

/// Whether `payment` can go by `scheme` now; returns its creditor's account if it is one of
/// this bank's.
async fn submittable(
    conn: &mut Conn<'_>,
    payment: &PaymentRow,
    scheme: PaymentScheme,
) -> DomainResult<Option<BankAccountRow>> {
    if payment.payment_direction != PaymentDirection::Outbound {
        return Err(DomainError::unprocessable(
            "payment-not-outbound",
            "Only outbound payments are submitted.",
        ));
    }
    if payment.rejected_at.is_some() {
        return Err(rejected());
    }
    if payment.latest_submission_id.is_some() {
        return Err(already_submitted());
    }
    if let Some(payee_id) = &payment.payee_id {
        let payee = payees::find(conn, payee_id).await?;
        if payee.is_some_and(|p| p.payee_status == PayeeStatus::Deactivated) {
            return Err(payee_deactivated(payee_id));
        }
    }
    let creditor = match &payment.creditor_account_id {
        Some(id) => bank_accounts::find(conn, id).await?,
        None => None,
    };
    scheme_allows(payment, scheme, creditor.as_ref())?;
    if creditor
        .as_ref()
        .is_some_and(|c| c.id == payment.account_id)
    {
        return Err(same_debtor_and_beneficiary());
    }
    Ok(creditor)
}

/// Faster Payments have a limit; a book transfer stays within one organization of this bank.
fn scheme_allows(
    payment: &PaymentRow,
    scheme: PaymentScheme,
    creditor: Option<&BankAccountRow>,
) -> DomainResult<()> {
    match (scheme, creditor) {
        (PaymentScheme::Fps, _) if payment.amount > FPS_LIMIT => Err(DomainError::unprocessable(
            "payment-amount-exceeds-scheme-limit",
            "Faster Payments carry at most 1000000.00; send more by book transfer or in parts.",
        )),
        (PaymentScheme::BookTransfer, None) => Err(DomainError::unprocessable(
            "book-transfer-not-possible",
            "A book transfer goes to an account of this bank; pay other banks by fps.",
        )),
        (PaymentScheme::BookTransfer, Some(creditor))
            if creditor.organization_id != payment.organization_id =>
        {
            Err(DomainError::unprocessable(
                "mixed-organizations",
                "A book transfer moves money between accounts of one organization.",
            ))
        }
        _ => Ok(()),
    }
}

/// Submits `payment` by `scheme` in the caller's transaction: claims the payment, moves the
/// money (fps: to the scheme, delivered later; book transfer: to the creditor's account now)
/// and records the submission with its event.
pub async fn submit(
    conn: &mut Conn<'_>,
    payment: &PaymentRow,
    scheme: PaymentScheme,
    user_id: &UserId,
    settlement_delay: Micros,
) -> DomainResult<SubmissionRow> {
    let creditor = submittable(conn, payment, scheme).await?;
    let now = time::now();
    let id = SubmissionId::generate();
    let status = match scheme {
        PaymentScheme::Fps => SubmissionStatus::Processing,
        PaymentScheme::BookTransfer => SubmissionStatus::Delivered,
    };
    // Claim the payment: one submission, ever, and none after a rejection.
    let claimed = dispatch!(conn, c => diesel::update(
            payments_table::table
                .filter(payments_table::id.eq(&payment.id))
                .filter(payments_table::latest_submission_id.is_null())
                .filter(payments_table::rejected_at.is_null()),
        )
        .set((
            payments_table::latest_submission_id.eq(&id),
            payments_table::latest_submission_status.eq(status),
        ))
        .prepared()
        .execute(c)
        .await)?;
    if claimed == 0 {
        let current = crate::payments::find(conn, &payment.id).await?;
        return Err(match current {
            Some(p) if p.rejected_at.is_some() => rejected(),
            _ => already_submitted(),
        });
    }
    move_money(conn, payment, scheme, creditor.as_ref(), now).await?;
    let scheme_id = format!("{:016X}", rand::random::<u64>());
    let row = SubmissionRow {
        id,
        organization_id: payment.organization_id.clone(),
        payment_id: payment.id.clone(),
        account_id: payment.account_id.clone(),
        submission_status: status,
        payment_scheme: scheme,
        end_to_end_identification: format!("E2E{scheme_id}"),
        unique_scheme_identifier: format!("SANDBOX{scheme_id}"),
        created_by_user_id: Some(user_id.clone()),
        due_at: (scheme == PaymentScheme::Fps).then_some(now + settlement_delay),
        created_at: now,
        updated_at: now,
    };
    conn.defer(diesel::insert_into(submissions::table).values(row.clone()))?;
    events::record(
        conn,
        &row.organization_id,
        EventType::SubmissionCreated,
        &SubmissionView::new(&row),
    )?;
    Ok(row)
}

/// The money of a submission: fps debits the account to the scheme; a book transfer admits
/// the payment on the creditor's account, in one ledger entry.
async fn move_money(
    conn: &mut Conn<'_>,
    payment: &PaymentRow,
    scheme: PaymentScheme,
    creditor: Option<&BankAccountRow>,
    now: Micros,
) -> Result<(), PostError> {
    let reference = payment.payment_reference.as_deref();
    if scheme == PaymentScheme::Fps {
        let movement = Movement {
            organization_id: &payment.organization_id,
            origin_type: ledger::TransactionOrigin::Payment,
            payment_id: Some(&payment.id),
            reference,
            description: None,
            legs: vec![
                Leg::bank(&payment.account_id, -payment.amount),
                Leg::internal(InternalAccount::SchemeSettlement, payment.amount),
            ],
        };
        ledger::post(conn, &movement, now).await?;
    } else if let Some(creditor) = creditor {
        payments::admit(
            conn,
            arriving(payment, creditor, PaymentScheme::BookTransfer),
            Source::Account {
                account_id: &payment.account_id,
                outbound_payment_id: &payment.id,
            },
        )
        .await?;
    }
    Ok(())
}

/// The inbound side of `payment` on `creditor`, an account of this bank: same amount and
/// reference, the payer as its debtor, in the creditor's organization.
fn arriving<'a>(
    payment: &'a PaymentRow,
    creditor: &'a BankAccountRow,
    payment_scheme: PaymentScheme,
) -> Inbound<'a> {
    Inbound {
        organization_id: &creditor.organization_id,
        account_id: &creditor.id,
        amount: payment.amount,
        reference: payment.payment_reference.clone(),
        debtor: serde_json::from_str(&payment.debtor).unwrap_or(json!({})),
        payment_scheme,
    }
}

/// Moves the processing submissions among `rows` to `status` (and their payments' latest
/// status), with their events, and returns them as they are now. Any that another worker
/// moved first are left out: the conditional update decides, so each moves once.
async fn settle(
    conn: &mut Conn<'_>,
    rows: &[SubmissionRow],
    status: SubmissionStatus,
    now: Micros,
) -> QueryResult<Vec<SubmissionRow>> {
    let ids: Vec<&SubmissionId> = rows.iter().map(|row| &row.id).collect();
    let moved: HashSet<SubmissionId> = dispatch!(conn, c => diesel::update(
            submissions::table
                .filter(submissions::id.eq_any(&ids))
                .filter(submissions::submission_status.eq(SubmissionStatus::Processing)),
        )
        .set((
            submissions::submission_status.eq(status),
            submissions::due_at.eq(None::<Micros>),
            submissions::updated_at.eq(now),
        ))
        .returning(submissions::id)
        .get_results(c)
        .await)?
    .into_iter()
    .collect();
    if moved.is_empty() {
        return Ok(Vec::new());
    }
    let settled: Vec<SubmissionRow> = rows
        .iter()
        .filter(|row| moved.contains(&row.id))
        .map(|row| SubmissionRow {
            submission_status: status,
            due_at: None,
            updated_at: now,
            ..row.clone()
        })
        .collect();
    let payment_ids: Vec<PaymentId> = settled.iter().map(|row| row.payment_id.clone()).collect();
    conn.defer(
        diesel::update(
            payments_table::table
                .filter(payments_table::id.eq_any(payment_ids))
                .filter(payments_table::latest_submission_id.eq_any(moved)),
        )
        .set(payments_table::latest_submission_status.eq(status)),
    )?;
    for row in &settled {
        events::record(
            conn,
            &row.organization_id,
            crate::events::EventType::SubmissionUpdated,
            &SubmissionView::new(row),
        )?;
    }
    Ok(settled)
}

/// Delivers a processing fps submission: the scheme has the money; a creditor account of
/// this bank receives it.
async fn deliver(conn: &mut Conn<'_>, row: &SubmissionRow, now: Micros) -> Result<bool, PostError> {
    if settle(
        conn,
        std::slice::from_ref(row),
        SubmissionStatus::Delivered,
        now,
    )
    .await?
    .is_empty()
    {
        return Ok(false);
    }
    let payment = crate::payments::find(conn, &row.payment_id)
        .await?
        .ok_or(PostError::Database(diesel::result::Error::NotFound))?;
    if let Some(creditor_id) = &payment.creditor_account_id {
        let creditor = bank_accounts::find(conn, creditor_id)
            .await?
            .ok_or(PostError::Database(diesel::result::Error::NotFound))?;
        let arriving = arriving(&payment, &creditor, PaymentScheme::Fps);
        payments::admit(conn, arriving, Source::Scheme).await?;
    }
    Ok(true)
}

/// A submission whose creditor could not receive goes back to the debtor: `returned`, and
/// the scheme's settlement account pays the amount back.
async fn give_back(
    conn: &mut Conn<'_>,
    row: &SubmissionRow,
    now: Micros,
) -> Result<bool, PostError> {
    if settle(
        conn,
        std::slice::from_ref(row),
        SubmissionStatus::Returned,
        now,
    )
    .await?
    .is_empty()
    {
        return Ok(false);
    }
    let payment = crate::payments::find(conn, &row.payment_id)
        .await?
        .ok_or(PostError::Database(diesel::result::Error::NotFound))?;
    let movement = Movement {
        organization_id: &payment.organization_id,
        origin_type: ledger::TransactionOrigin::Payment,
        payment_id: Some(&payment.id),
        reference: payment.payment_reference.as_deref(),
        description: Some("Returned: the creditor's account could not receive it"),
        legs: vec![
            Leg::internal(InternalAccount::SchemeSettlement, -payment.amount),
            Leg::bank(&payment.account_id, payment.amount),
        ],
    };
    ledger::post(conn, &movement, now).await?;
    Ok(true)
}

/// Worker step: delivers the fps submissions whose time has come. Each is settled by a
/// conditional update, so with several servers on one database each is delivered once.
/// Those to other banks only change status: they are delivered together, in one
/// transaction. Those to an account of this bank move money that the account may refuse:
/// each goes in a transaction of its own.
pub async fn deliver_due(db: &Db, now: Micros) -> Result<usize, StoreError> {
    // Each due submission, with the account of this bank its payment credits, if any.
    let due: Vec<(SubmissionRow, Option<BankAccountId>)> = {
        let mut conn = db.read().await?;
        dispatch!(&mut conn.conn(), c => submissions::table
            .inner_join(payments_table::table.on(payments_table::id.eq(submissions::payment_id)))
            .filter(submissions::submission_status.eq(SubmissionStatus::Processing))
            .filter(submissions::due_at.le(now))
            .order(submissions::due_at.asc())
            .limit(200)
            .select((SubmissionRow::as_select(), payments_table::creditor_account_id))
            .load(c)
            .await)?
    };
    let (elsewhere, here): (Vec<_>, Vec<_>) = due
        .into_iter()
        .partition(|(_, creditor)| creditor.is_none());
    let elsewhere: Vec<SubmissionRow> = elsewhere.into_iter().map(|(row, _)| row).collect();
    let mut settled = 0;
    if !elsewhere.is_empty() {
        let delivered = SubmissionStatus::Delivered;
        let result = db
            .transaction(async |conn| settle(conn, &elsewhere, delivered, now).await)
            .await?;
        match result {
            Ok(delivered) => settled += delivered.len(),
            Err(error) => tracing::warn!(%error, "cannot deliver fps submissions"),
        }
    }
    for (row, _) in here {
        // One submission's trouble never holds up the others: it is logged and skipped.
        match settle_one(db, &row, now).await {
            Ok(true) => settled += 1,
            Ok(false) => {}
            Err(error) => tracing::warn!(submission = %row.id, %error, "cannot settle submission"),
        }
    }
    Ok(settled)
}

/// Delivers one due submission; when its creditor refuses the money, returns it to the
/// debtor; when the debtor cannot take it back either (closed or blocked since), marks it
/// `failed` and leaves the money with the scheme's settlement account.
async fn settle_one(db: &Db, row: &SubmissionRow, now: Micros) -> Result<bool, StoreError> {
    match db
        .transaction(async |conn| deliver(conn, row, now).await)
        .await?
    {
        Ok(done) => return Ok(done),
        Err(PostError::Database(error)) => return Err(error.into()),
        Err(_) => {}
    }
    match db
        .transaction(async |conn| give_back(conn, row, now).await)
        .await?
    {
        Ok(done) => return Ok(done),
        Err(PostError::Database(error)) => return Err(error.into()),
        Err(refused) => tracing::warn!(submission = %row.id, %refused, "cannot return payment"),
    }
    let failed = SubmissionStatus::Failed;
    let settled = db
        .transaction(async |conn| settle(conn, std::slice::from_ref(row), failed, now).await)
        .await??;
    Ok(!settled.is_empty())
}

/// Which submissions a list shows.
pub enum Scope<'a> {
    Account(&'a BankAccountId),
    Payment(&'a PaymentId),
}

pub async fn list(
    conn: &mut Conn<'_>,
    scope: Scope<'_>,
    statuses: &[SubmissionStatus],
    created: &InstantRange,
    page: &PageRequest,
) -> QueryResult<Page<SubmissionRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = submissions::table
            .select(SubmissionRow::as_select())
            .into_boxed();
        query = match scope {
            Scope::Account(id) => query.filter(submissions::account_id.eq(id)),
            Scope::Payment(id) => query.filter(submissions::payment_id.eq(id)),
        };
        if !statuses.is_empty() {
            query = query.filter(submissions::submission_status.eq_any(statuses));
        }
        query = filter_range!(query, submissions::created_at, created);
        paginate!(query, submissions::created_at, submissions::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, |row| {
        Cursor::new(row.created_at, row.id.as_str())
    }))
}
