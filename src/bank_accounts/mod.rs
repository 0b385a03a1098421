//! Bank accounts: opened with a product, `opening → open → closing → closed`, their money
//! kept by the ledger. Every organization has a primary operational account from its first
//! moment; test-mode accounts receive test money when they open.

pub mod handlers;
pub mod pool;

use crate::ids::OrganizationId;
use crate::store::PreparedExt;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use serde_json::json;

use crate::dispatch;
use crate::events;
use crate::ids::{BankAccountId, LegalPersonId};
use crate::ledger::{self, InternalAccount, Leg, Movement, PostError};
use crate::money::{MinorUnits, Money};
use crate::organizations::{OrganizationMode, OrganizationRow};
use crate::paging::{CREATED_AT, Cursor};
use crate::paging::{Page, PageRequest};
use crate::store::schema::{bank_accounts, organizations, submissions};
use crate::store::{Conn, Db, RawConn, StoreError};
use crate::time::{self, Micros};
use crate::urls;
use crate::{paginate, paginate_by_text};

pub const OPENING: &str = "opening";
pub const OPEN: &str = "open";
pub const CLOSING: &str = "closing";
pub const CLOSED: &str = "closed";
pub const STATUSES: [&str; 4] = [OPENING, OPEN, CLOSING, CLOSED];

pub const OPERATIONAL: &str = "operational-account";
pub const SAFEGUARDING: &str = "safeguarding-account";
pub const CLIENT_MONEY: &str = "client-money-account";
pub const SAVINGS: &str = "savings-account";
pub const EMBEDDED: &str = "embedded-account";
pub const PRODUCT_TYPES: [&str; 5] = [OPERATIONAL, SAFEGUARDING, CLIENT_MONEY, SAVINGS, EMBEDDED];

/// The sort code of every sandbox account: unreachable from any real bank.
pub const SANDBOX_BANK_ID: &str = "000000";

/// UK account details as clients send them: the holder's name (1 to 140 characters), an
/// 8-digit account number and a 6-digit sort code without dashes. The 400 points at the bad
/// one, below `prefix` (e.g. `/creditor`).
pub fn check_uk_details(
    account_holder: &str,
    account_number: &str,
    bank_id: &str,
    prefix: &str,
) -> crate::http::ApiResult<()> {
    if account_holder.trim().is_empty() || account_holder.chars().count() > 140 {
        return Err(crate::http::ApiError::invalid_body(
            "Invalid value",
            "`account-holder` must be 1 to 140 characters.",
            format!("{prefix}/account-holder"),
        ));
    }
    check_account_details(account_number, bank_id, prefix)
}

/// The number and sort code of [`check_uk_details`], for bodies that name the holder
/// otherwise (a CoP request's `name`).
pub fn check_account_details(
    account_number: &str,
    bank_id: &str,
    prefix: &str,
) -> crate::http::ApiResult<()> {
    let digits =
        |text: &str, len: usize| text.len() == len && text.bytes().all(|b| b.is_ascii_digit());
    if !digits(account_number, 8) {
        return Err(crate::http::ApiError::invalid_body(
            "Invalid value",
            "`account-number` must be 8 digits.",
            format!("{prefix}/account-number"),
        ));
    }
    if !digits(bank_id, 6) {
        return Err(crate::http::ApiError::invalid_body(
            "Invalid value",
            "`bank-id` must be a sort code of 6 digits, without dashes.",
            format!("{prefix}/bank-id"),
        ));
    }
    Ok(())
}

pub const DISPLAY_NAME: &str = "display-name";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bank_accounts, treat_none_as_default_value = false)]
pub struct BankAccountRow {
    pub id: BankAccountId,
    pub organization_id: OrganizationId,
    pub bank_product_type: String,
    pub client_money_type: Option<String>,
    pub savings_type: Option<String>,
    pub pooled_funds: bool,
    pub primary_account: bool,
    pub display_name: String,
    pub account_status: String,
    pub owner_id: LegalPersonId,
    pub controller_id: LegalPersonId,
    pub beneficiary_id: Option<LegalPersonId>,
    pub account_holder: String,
    pub account_number: String,
    pub bank_id: String,
    pub balance: i64,
    pub held: i64,
    pub transaction_count: i64,
    pub active_freezes: i32,
    pub active_blocks: i32,
    pub opens_at: Option<Micros>,
    pub created_at: Micros,
    pub opened_at: Option<Micros>,
    pub closed_at: Option<Micros>,
    pub updated_at: Micros,
}

impl crate::access::Owned for BankAccountRow {
    type Kind = crate::ids::BankAccountKind;

    async fn find(
        conn: &mut Conn<'_>,
        id: &crate::ids::Id<crate::ids::BankAccountKind>,
    ) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &crate::ids::OrganizationId {
        &self.organization_id
    }
}

impl BankAccountRow {
    pub fn url(&self) -> String {
        urls::bank_account(&self.id)
    }

    pub fn available(&self) -> i64 {
        self.balance - self.held
    }

    pub fn restricted(&self) -> bool {
        self.active_freezes > 0 || self.active_blocks > 0
    }

    pub fn cursor(&self, sort: &str) -> Cursor {
        if sort == DISPLAY_NAME {
            Cursor::text(&self.display_name, &self.id)
        } else {
            Cursor::new(self.created_at, &self.id)
        }
    }
}

pub async fn find(
    conn: &mut Conn<'_>,
    id: &crate::ids::BankAccountId,
) -> QueryResult<Option<BankAccountRow>> {
    dispatch!(conn, c => bank_accounts::table
        .find(id)
        .select(BankAccountRow::as_select())
        .first(c)
        .await
        .optional())
}

/// What an account is opened as: the product and the parties, already checked.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub bank_product_type: &'static str,
    pub client_money_type: Option<String>,
    pub savings_type: Option<&'static str>,
    pub pooled_funds: bool,
    pub display_name: Option<String>,
    pub owner_id: LegalPersonId,
    pub owner_name: String,
    pub beneficiary_id: Option<LegalPersonId>,
}

/// Opens an account for the organization: `opening`, then `open` at once when
/// `opening_delay` is zero (else the worker opens it when due). Records its events.
pub async fn open(
    conn: &mut Conn<'_>,
    organization: &OrganizationRow,
    new: NewAccount,
    opening_delay: Micros,
    test_money: MinorUnits,
) -> Result<BankAccountRow, PostError> {
    let row = insert(conn, organization, new, false, opening_delay).await?;
    if opening_delay > 0 {
        return Ok(row);
    }
    let money = money_for(organization.organization_mode, test_money);
    Ok(activate(conn, &row, money, time::now())
        .await?
        .unwrap_or(row))
}

/// The organization's primary operational account, open from the start.
pub async fn open_primary(
    conn: &mut Conn<'_>,
    organization: &OrganizationRow,
    display_name: &str,
    test_money: MinorUnits,
) -> QueryResult<BankAccountRow> {
    let new = NewAccount {
        bank_product_type: OPERATIONAL,
        client_money_type: None,
        savings_type: None,
        pooled_funds: false,
        display_name: Some("Primary account".to_string()),
        owner_id: organization.own_legal_person_id.clone(),
        owner_name: display_name.to_string(),
        beneficiary_id: None,
    };
    let row = insert(conn, organization, new, true, 0).await?;
    let money = money_for(organization.organization_mode, test_money);
    match activate(conn, &row, money, time::now()).await {
        Ok(opened) => Ok(opened.unwrap_or(row)),
        Err(PostError::Database(error)) => Err(error),
        // A fresh open account with no restrictions takes any credit.
        Err(other) => Err(diesel::result::Error::QueryBuilderError(other.into())),
    }
}

/// Test money is for test-mode organizations only.
fn money_for(organization_mode: OrganizationMode, test_money: MinorUnits) -> i64 {
    if organization_mode == OrganizationMode::TestMode {
        test_money.0
    } else {
        0
    }
}

async fn insert(
    conn: &mut Conn<'_>,
    organization: &OrganizationRow,
    new: NewAccount,
    primary_account: bool,
    opening_delay: Micros,
) -> QueryResult<BankAccountRow> {
    let now = time::now();
    let display_name = new
        .display_name
        .unwrap_or_else(|| default_display_name(new.bank_product_type).to_string());
    let row = BankAccountRow {
        id: BankAccountId::generate(),
        organization_id: organization.id.clone(),
        bank_product_type: new.bank_product_type.to_string(),
        client_money_type: new.client_money_type,
        savings_type: new.savings_type.map(str::to_string),
        pooled_funds: new.pooled_funds,
        primary_account,
        display_name,
        account_status: OPENING.to_string(),
        owner_id: new.owner_id,
        controller_id: organization.own_legal_person_id.clone(),
        beneficiary_id: new.beneficiary_id,
        account_holder: new.owner_name,
        account_number: unused_account_number(conn).await?,
        bank_id: SANDBOX_BANK_ID.to_string(),
        balance: 0,
        held: 0,
        transaction_count: 0,
        active_freezes: 0,
        active_blocks: 0,
        opens_at: Some(now + opening_delay),
        created_at: now,
        opened_at: None,
        closed_at: None,
        updated_at: now,
    };
    dispatch!(conn, c => diesel::insert_into(bank_accounts::table)
        .values(&row)
        .execute(c)
        .await)?;
    record_status(conn, &row, "account-status-created").await?;
    Ok(row)
}

fn default_display_name(bank_product_type: &str) -> &'static str {
    match bank_product_type {
        SAFEGUARDING => "Safeguarding account",
        CLIENT_MONEY => "Client money account",
        SAVINGS => "Savings account",
        EMBEDDED => "Embedded account",
        _ => "Operational account",
    }
}

/// A random 8-digit account number no account has. Two openings drawing the same number at
/// the same moment (one chance in 10^8 per pair) make the later insert fail on the unique
/// index, and its request with it, rather than share a number.
async fn unused_account_number(conn: &mut Conn<'_>) -> QueryResult<String> {
    loop {
        let number = format!("{:08}", rand::random_range(0..100_000_000u32));
        let taken: Option<String> = dispatch!(conn, c => bank_accounts::table
            .filter(bank_accounts::account_number.eq(&number))
            .select(bank_accounts::id)
            .first(c)
            .await
            .optional())?;
        if taken.is_none() {
            return Ok(number);
        }
    }
}

async fn record_status(
    conn: &mut Conn<'_>,
    row: &BankAccountRow,
    event_type: &'static str,
) -> QueryResult<()> {
    events::record(
        conn,
        &row.organization_id,
        event_type,
        &json!({"account-url": row.url(), "account-status": row.account_status}),
    )
    .await?;
    Ok(())
}

/// `opening → open`, crediting `test_money` from the sandbox funding account. `None` when
/// the account was no longer opening (another worker got there first).
async fn activate(
    conn: &mut Conn<'_>,
    row: &BankAccountRow,
    test_money: i64,
    now: Micros,
) -> Result<Option<BankAccountRow>, PostError> {
    let changed = dispatch!(conn, c => diesel::update(
            bank_accounts::table
                .filter(bank_accounts::id.eq(&row.id))
                .filter(bank_accounts::account_status.eq(OPENING)),
        )
        .set((
            bank_accounts::account_status.eq(OPEN),
            bank_accounts::opens_at.eq(None::<Micros>),
            bank_accounts::opened_at.eq(now),
            bank_accounts::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    if changed == 0 {
        return Ok(None);
    }
    let mut opened = row.clone();
    opened.account_status = OPEN.to_string();
    opened.opened_at = Some(now);
    opened.opens_at = None;
    record_status(conn, &opened, "account-status-updated").await?;
    if test_money > 0 {
        let movement = Movement {
            organization_id: &row.organization_id,
            origin_type: ledger::DEPOSIT,
            payment_id: None,
            reference: None,
            description: Some("Sandbox test money"),
            legs: vec![
                Leg::internal(InternalAccount::SandboxFunding, -test_money),
                Leg::bank(&row.id, test_money),
            ],
        };
        let transactions = ledger::post(conn, &movement, now).await?;
        opened.balance = transactions
            .iter()
            .find_map(|t| t.balance_after)
            .unwrap_or(opened.balance);
        opened.transaction_count += 1;
    }
    Ok(Some(opened))
}

/// Worker step: opens the accounts whose opening time has come. Returns how many.
pub async fn open_due(db: &Db, now: Micros, test_money: MinorUnits) -> Result<usize, StoreError> {
    let due: Vec<(BankAccountRow, OrganizationMode)> = {
        let mut conn = db.read().await?;
        let mut conn = conn.conn();
        dispatch!(&mut conn, c => bank_accounts::table
            .inner_join(organizations::table.on(organizations::id.eq(bank_accounts::organization_id)))
            .filter(bank_accounts::account_status.eq(OPENING))
            .filter(bank_accounts::opens_at.le(now))
            .order(bank_accounts::opens_at.asc())
            .limit(100)
            .select((BankAccountRow::as_select(), organizations::organization_mode))
            .load(c)
            .await)?
    };
    let mut opened = 0;
    for (row, mode) in due {
        let money = money_for(mode, test_money);
        let mut tx = db.write().await?;
        let result = activate(&mut tx.conn(), &row, money, now).await;
        match tx.finish(result).await {
            Ok(Some(_)) => opened += 1,
            Ok(None) => {}
            Err(PostError::Database(error)) => return Err(error.into()),
            Err(refused) => tracing::warn!(account = %row.id, %refused, "cannot open account"),
        }
    }
    Ok(opened)
}

/// A closing account that can close: nothing left, nothing held, and no payment from it still
/// on its way (it may yet come back).
#[diesel::dsl::auto_type]
fn drained() -> _ {
    let processing: &'static str = crate::submissions::PROCESSING;
    let closing: &'static str = CLOSING;
    bank_accounts::account_status
        .eq(closing)
        .and(bank_accounts::balance.eq(0_i64))
        .and(bank_accounts::held.eq(0_i64))
        .and(diesel::dsl::not(diesel::dsl::exists(
            submissions::table
                .filter(submissions::account_id.eq(bank_accounts::id))
                .filter(submissions::submission_status.eq(processing)),
        )))
}

/// Worker step: closing accounts that have drained ([`drained`]) close.
pub async fn close_drained(db: &Db, now: Micros) -> Result<usize, StoreError> {
    let due: Vec<BankAccountRow> = {
        let mut conn = db.read().await?;
        let mut conn = conn.conn();
        dispatch!(&mut conn, c => bank_accounts::table
            .filter(drained())
            .limit(100)
            .select(BankAccountRow::as_select())
            .load(c)
            .await)?
    };
    let mut closed = 0;
    for row in due {
        let mut tx = db.write().await?;
        let result = async {
            let mut conn = tx.conn();
            let changed = dispatch!(&mut conn, c => diesel::update(
                    bank_accounts::table
                        .filter(bank_accounts::id.eq(&row.id))
                        .filter(drained()),
                )
                .set((
                    bank_accounts::account_status.eq(CLOSED),
                    bank_accounts::closed_at.eq(now),
                    bank_accounts::updated_at.eq(now),
                ))
                .prepared()
                .execute(c)
                .await)?;
            if changed == 1 {
                let mut updated = row.clone();
                updated.account_status = CLOSED.to_string();
                record_status(&mut conn, &updated, "account-status-updated").await?;
            }
            Ok::<_, diesel::result::Error>(changed == 1)
        }
        .await;
        if tx.finish(result).await? {
            closed += 1;
        }
    }
    Ok(closed)
}

/// Why a close request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseRefusal {
    Primary,
    NotOpen,
    AlreadyClosing,
    AlreadyClosed,
}

/// `open → closing`; the worker finishes the close once the balance is zero.
pub async fn request_close(
    conn: &mut Conn<'_>,
    row: &BankAccountRow,
    now: Micros,
) -> QueryResult<Result<BankAccountRow, CloseRefusal>> {
    if row.primary_account {
        return Ok(Err(CloseRefusal::Primary));
    }
    match row.account_status.as_str() {
        OPEN => {}
        CLOSING => return Ok(Err(CloseRefusal::AlreadyClosing)),
        CLOSED => return Ok(Err(CloseRefusal::AlreadyClosed)),
        _ => return Ok(Err(CloseRefusal::NotOpen)),
    }
    let changed = dispatch!(conn, c => diesel::update(
            bank_accounts::table
                .filter(bank_accounts::id.eq(&row.id))
                .filter(bank_accounts::account_status.eq(OPEN)),
        )
        .set((
            bank_accounts::account_status.eq(CLOSING),
            bank_accounts::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    if changed == 0 {
        // Changed under us: the caller holds the row lock, so this cannot happen; refuse
        // rather than guess.
        return Ok(Err(CloseRefusal::NotOpen));
    }
    let mut closing = row.clone();
    closing.account_status = CLOSING.to_string();
    closing.updated_at = now;
    record_status(conn, &closing, "account-status-updated").await?;
    Ok(Ok(closing))
}

pub async fn rename(conn: &mut Conn<'_>, id: &str, display_name: &str) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(bank_accounts::table.find(id))
        .set((
            bank_accounts::display_name.eq(display_name),
            bank_accounts::updated_at.eq(time::now()),
        ))
        .prepared()
        .execute(c)
        .await)?;
    Ok(())
}

/// Takes the row lock of `found`, an account read earlier in this write transaction, until
/// the transaction ends, and returns the account as it is now: on PostgreSQL read again
/// behind the lock, so that a change that depends on the account's current state
/// (restrictions, holds, membership) sees the last committed one; on SQLite `found` itself,
/// since the write transaction has held the only write lock since before it was read.
async fn lock(conn: &mut Conn<'_>, found: BankAccountRow) -> QueryResult<Option<BankAccountRow>> {
    match &mut conn.raw {
        RawConn::Postgres(c) => bank_accounts::table
            .find(&found.id)
            .select(BankAccountRow::as_select())
            .for_update()
            .first(&mut **c)
            .await
            .optional(),
        RawConn::Sqlite(_) => Ok(Some(found)),
    }
}

/// List filters.
#[derive(Debug, Default)]
pub struct Filter {
    pub statuses: Vec<String>,
    pub product_types: Vec<String>,
    pub pooled_funds: Option<bool>,
    pub restricted: Option<bool>,
    pub owner_id: Option<LegalPersonId>,
    pub beneficiary_id: Option<LegalPersonId>,
    /// Accounts owned by, or held for, this legal person.
    pub party_id: Option<LegalPersonId>,
}

pub async fn list(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    filter: &Filter,
    page: &PageRequest,
) -> QueryResult<Page<BankAccountRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = bank_accounts::table
            .filter(bank_accounts::organization_id.eq(organization_id))
            .select(BankAccountRow::as_select())
            .into_boxed();
        if !filter.statuses.is_empty() {
            query = query.filter(bank_accounts::account_status.eq_any(&filter.statuses));
        }
        if !filter.product_types.is_empty() {
            query = query.filter(bank_accounts::bank_product_type.eq_any(&filter.product_types));
        }
        if let Some(pooled) = filter.pooled_funds {
            query = query.filter(bank_accounts::pooled_funds.eq(pooled));
        }
        if let Some(restricted) = filter.restricted {
            let any = bank_accounts::active_freezes
                .gt(0)
                .or(bank_accounts::active_blocks.gt(0));
            query = if restricted {
                query.filter(any)
            } else {
                query.filter(bank_accounts::active_freezes.eq(0).and(bank_accounts::active_blocks.eq(0)))
            };
        }
        if let Some(owner) = &filter.owner_id {
            query = query.filter(bank_accounts::owner_id.eq(owner));
        }
        if let Some(beneficiary) = &filter.beneficiary_id {
            query = query.filter(bank_accounts::beneficiary_id.eq(beneficiary));
        }
        if let Some(party) = &filter.party_id {
            query = query.filter(
                bank_accounts::owner_id
                    .eq(party)
                    .or(bank_accounts::beneficiary_id.eq(party)),
            );
        }
        if page.sort == DISPLAY_NAME {
            paginate_by_text!(query, bank_accounts::display_name, bank_accounts::id, page)
                .load(c)
                .await
        } else {
            paginate!(query, bank_accounts::created_at, bank_accounts::id, page)
                .load(c)
                .await
        }
    })?;
    let sort = page.sort;
    Ok(Page::from_rows(rows, page, |row| row.cursor(sort)))
}

/// Accounts of the organization whose number is, or starts with, `number`; newest first.
pub async fn search(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    number: &str,
    limit: i64,
) -> QueryResult<Vec<BankAccountRow>> {
    let pattern = format!("{number}%");
    dispatch!(conn, c => bank_accounts::table
        .filter(bank_accounts::organization_id.eq(organization_id))
        .filter(bank_accounts::account_number.like(pattern))
        .order((bank_accounts::created_at.desc(), bank_accounts::id.desc()))
        .limit(limit)
        .select(BankAccountRow::as_select())
        .load(c)
        .await)
}

/// The product an account type belongs to, among the organization's products.
pub fn product_url(organization_id: &OrganizationId, bank_product_type: &str) -> Option<String> {
    crate::bank_products::BANK_PRODUCTS
        .iter()
        .find(|p| p.account_type == bank_product_type)
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
    pub account_status: String,
    pub bank_product_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_account_product_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_money_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savings_type: Option<String>,
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
            account_status: row.account_status.clone(),
            bank_product_type: row.bank_product_type.clone(),
            bank_account_product_url: product_url(&row.organization_id, &row.bank_product_type),
            client_money_type: row.client_money_type.clone(),
            savings_type: row.savings_type.clone(),
            pooled_funds: row.pooled_funds,
            primary_account: row.primary_account,
            account_restricted: row.restricted(),
            account_balance: Money::gbp(row.balance),
            available_balance: Money::gbp(row.available()),
            // The sandbox pays no interest.
            accrued_interest: Money::gbp(0),
            // Griffin may omit the address while the account is opening.
            bank_addresses: (row.account_status != OPENING).then(|| {
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
            close_account_url: (!row.primary_account && row.account_status == OPEN)
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

/// `created-at` or `display-name`, the sorts bank account lists offer.
pub const SORTS: [&str; 2] = [CREATED_AT, DISPLAY_NAME];

/// The account a path names, for a change inside the caller's write transaction: the
/// caller's access to its organization is read afresh, then the account's row is locked and
/// read again, so the change applies to its current state. Changes to one account queue on
/// that account alone, not on the whole organization.
pub async fn for_write(
    caller: &crate::http::Caller,
    conn: &mut Conn<'_>,
    path: &str,
    permission: crate::roles::Permission,
) -> crate::http::ApiResult<BankAccountRow> {
    let id = crate::http::path_id::<crate::ids::BankAccountKind>(path)?;
    let found = find(conn, &id)
        .await?
        .ok_or_else(crate::http::ApiError::not_found)?;
    caller
        .fresh_access(conn, &found.organization_id, permission)
        .await?;
    lock(conn, found)
        .await?
        .ok_or_else(crate::http::ApiError::not_found)
}
