//! Bank accounts: opened with a product, `opening → open → closing → closed`, their money
//! kept by the ledger. Every organization has a primary operational account from its first
//! moment; test-mode accounts receive test money when they open.

pub mod handlers;
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;

use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::events::{self, EventType};
use crate::ids::{BankAccountId, LegalPersonId, OrganizationId};
use crate::ledger::{self, InternalAccount, Leg, Movement, PostError};
use crate::legal_persons::{self, LegalPersonRow};
use crate::money::MinorUnits;
use crate::organizations::{OrganizationMode, OrganizationRow};
use crate::paging::{Cursor, Page, PageRequest};
use crate::store::schema::{bank_accounts, organizations, submissions};
use crate::store::{Conn, Db, PreparedExt, RawConn, StoreError};
use crate::submissions::SubmissionStatus;
use crate::time::{self, Micros};
use crate::urls;
use crate::{paginate, paginate_by_text};

pub use view::BankAccountView;

crate::text_enum! {
    /// Where an account is in its life: `opening → open → closing → closed`.
    pub enum AccountStatus {
        Opening = "opening",
        Open = "open",
        Closing = "closing",
        Closed = "closed",
    }
}

crate::text_enum! {
    /// What an account is for (Griffin's `bank-product-type`).
    pub enum ProductType {
        Operational = "operational-account",
        Safeguarding = "safeguarding-account",
        ClientMoney = "client-money-account",
        Savings = "savings-account",
        Embedded = "embedded-account",
    }
}

crate::text_enum! {
    /// A savings account held for its owner, or on a bare trust with none.
    pub enum SavingsType {
        EasyAccess = "easy-access",
        BareTrust = "bare-trust",
    }
}

crate::text_enum! {
    pub enum ClientMoneyType {
        DesignatedClientFund = "designated-client-fund",
        DesignatedClientMoney = "designated-client-money",
        GeneralClientMoney = "general-client-money",
    }
}

/// The sort code of every sandbox account: unreachable from any real bank.
pub const SANDBOX_BANK_ID: &str = "000000";

/// The sort bank account lists offer besides `created-at`.
pub const DISPLAY_NAME: &str = "display-name";

/// UK account details as clients send them: the holder's name (1 to 140 characters), an
/// 8-digit account number and a 6-digit sort code without dashes. The 400 points at the bad
/// one, below `prefix` (e.g. `/creditor`).
pub fn check_uk_details(
    account_holder: &str,
    account_number: &str,
    bank_id: &str,
    prefix: &str,
) -> DomainResult<()> {
    if account_holder.trim().is_empty() || account_holder.chars().count() > 140 {
        return Err(DomainError::invalid_value(
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
) -> DomainResult<()> {
    let digits =
        |text: &str, len: usize| text.len() == len && text.bytes().all(|b| b.is_ascii_digit());
    if !digits(account_number, 8) {
        return Err(DomainError::invalid_value(
            "`account-number` must be 8 digits.",
            format!("{prefix}/account-number"),
        ));
    }
    if !digits(bank_id, 6) {
        return Err(DomainError::invalid_value(
            "`bank-id` must be a sort code of 6 digits, without dashes.",
            format!("{prefix}/bank-id"),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bank_accounts, treat_none_as_default_value = false)]
pub struct BankAccountRow {
    pub id: BankAccountId,
    pub organization_id: OrganizationId,
    pub bank_product_type: ProductType,
    pub client_money_type: Option<ClientMoneyType>,
    pub savings_type: Option<SavingsType>,
    pub pooled_funds: bool,
    pub primary_account: bool,
    pub display_name: String,
    pub account_status: AccountStatus,
    pub owner_id: LegalPersonId,
    pub controller_id: LegalPersonId,
    pub beneficiary_id: Option<LegalPersonId>,
    pub account_holder: String,
    pub account_number: String,
    pub bank_id: String,
    pub balance: MinorUnits,
    pub held: MinorUnits,
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

    async fn find(conn: &mut Conn<'_>, id: &BankAccountId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }

    /// Changes to one account (restrictions, holds, membership) depend on its current state
    /// alone: they queue on its row, not on the whole organization. On SQLite the write
    /// transaction holds the only write lock already, so the row read before is current.
    async fn lock(
        conn: &mut Conn<'_>,
        id: &BankAccountId,
        _: &OrganizationId,
    ) -> QueryResult<Option<Self>> {
        match &mut conn.raw {
            RawConn::Postgres(c) => bank_accounts::table
                .find(id)
                .select(BankAccountRow::as_select())
                .for_update()
                .first(&mut **c)
                .await
                .optional(),
            RawConn::Sqlite(_) => find(conn, id).await,
        }
    }
}

impl BankAccountRow {
    pub fn url(&self) -> String {
        urls::bank_account(&self.id)
    }

    pub fn available(&self) -> MinorUnits {
        self.balance - self.held
    }

    pub fn restricted(&self) -> bool {
        self.active_freezes > 0 || self.active_blocks > 0
    }

    pub fn cursor(&self, sort: &str) -> Cursor {
        if sort == DISPLAY_NAME {
            Cursor::text(&self.display_name, self.id.as_str())
        } else {
            Cursor::new(self.created_at, self.id.as_str())
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

/// The account holders of these accounts, each with its account's id.
pub async fn holders(
    conn: &mut Conn<'_>,
    ids: &[BankAccountId],
) -> QueryResult<Vec<(BankAccountId, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    dispatch!(conn, c => bank_accounts::table
        .filter(bank_accounts::id.eq_any(ids))
        .select((bank_accounts::id, bank_accounts::account_holder))
        .load(c)
        .await)
}

/// What a request opens: the product and its kind, as parsed from the body. The parties are
/// named by id and checked against the organization when the account opens.
#[derive(Debug, Clone)]
pub struct AccountOpening {
    pub product: ProductType,
    pub savings_type: Option<SavingsType>,
    pub client_money_type: Option<ClientMoneyType>,
    pub pooled_funds: bool,
    pub display_name: Option<String>,
    /// `None`: the organization itself.
    pub owner: Option<LegalPersonId>,
    pub beneficiary: Option<LegalPersonId>,
}

/// An account about to be inserted: the opening with its owner resolved.
struct NewAccount {
    opening: AccountOpening,
    owner_id: LegalPersonId,
    /// The owner's name, as the account's holder.
    holder: String,
    primary_account: bool,
    opening_delay: Micros,
}

/// Opens an account for the organization: `opening`, then `open` at once when
/// `opening_delay` is zero (else the worker opens it when due). Records its events.
pub async fn open(
    conn: &mut Conn<'_>,
    organization: &OrganizationRow,
    opening: AccountOpening,
    opening_delay: Micros,
    test_money: MinorUnits,
) -> DomainResult<BankAccountRow> {
    let owner = match &opening.owner {
        Some(id) => party(conn, organization, id, "/owner-url").await?,
        None => own_legal_person(conn, organization).await?,
    };
    if let Some(id) = &opening.beneficiary {
        party(conn, organization, id, "/beneficiary-url").await?;
    }
    let new = NewAccount {
        opening,
        owner_id: owner.id,
        holder: owner.legal_name.unwrap_or(owner.display_name),
        primary_account: false,
        opening_delay,
    };
    let row = insert(conn, organization, new).await?;
    if opening_delay > 0 {
        return Ok(row);
    }
    let money = money_for(organization.organization_mode, test_money);
    Ok(activate(conn, &row, money, time::now())
        .await?
        .unwrap_or(row))
}

/// The legal person `id` names, which must be the organization's (422 at `pointer` if not).
async fn party(
    conn: &mut Conn<'_>,
    organization: &OrganizationRow,
    id: &LegalPersonId,
    pointer: &'static str,
) -> DomainResult<LegalPersonRow> {
    legal_persons::find(conn, id)
        .await?
        .filter(|person| person.organization_id == organization.id)
        .ok_or_else(|| {
            DomainError::unprocessable(
                "legal-person-not-found",
                format!(
                    "{} is not a legal person of this organization.",
                    urls::legal_person(id)
                ),
            )
            .at(pointer)
        })
}

async fn own_legal_person(
    conn: &mut Conn<'_>,
    organization: &OrganizationRow,
) -> DomainResult<LegalPersonRow> {
    legal_persons::find(conn, &organization.own_legal_person_id)
        .await?
        .ok_or(DomainError::NotFound)
}

/// The organization's primary operational account, open from the start.
pub async fn open_primary(
    conn: &mut Conn<'_>,
    organization: &OrganizationRow,
    display_name: &str,
    test_money: MinorUnits,
) -> QueryResult<BankAccountRow> {
    let opening = AccountOpening {
        product: ProductType::Operational,
        savings_type: None,
        client_money_type: None,
        pooled_funds: false,
        display_name: Some("Primary account".to_string()),
        owner: None,
        beneficiary: None,
    };
    let new = NewAccount {
        opening,
        owner_id: organization.own_legal_person_id.clone(),
        holder: display_name.to_string(),
        primary_account: true,
        opening_delay: 0,
    };
    let row = insert(conn, organization, new).await?;
    let money = money_for(organization.organization_mode, test_money);
    match activate(conn, &row, money, time::now()).await {
        Ok(opened) => Ok(opened.unwrap_or(row)),
        Err(PostError::Database(error)) => Err(error),
        // A fresh open account with no restrictions takes any credit.
        Err(other) => Err(diesel::result::Error::QueryBuilderError(other.into())),
    }
}

/// Test money is for test-mode organizations only.
fn money_for(organization_mode: OrganizationMode, test_money: MinorUnits) -> MinorUnits {
    if organization_mode == OrganizationMode::TestMode {
        test_money
    } else {
        MinorUnits::ZERO
    }
}

async fn insert(
    conn: &mut Conn<'_>,
    organization: &OrganizationRow,
    new: NewAccount,
) -> QueryResult<BankAccountRow> {
    let now = time::now();
    let opening = new.opening;
    let row = BankAccountRow {
        id: BankAccountId::generate(),
        organization_id: organization.id.clone(),
        bank_product_type: opening.product,
        client_money_type: opening.client_money_type,
        savings_type: opening.savings_type,
        pooled_funds: opening.pooled_funds,
        primary_account: new.primary_account,
        display_name: opening
            .display_name
            .unwrap_or_else(|| default_display_name(opening.product).to_string()),
        account_status: AccountStatus::Opening,
        account_holder: new.holder,
        owner_id: new.owner_id,
        controller_id: organization.own_legal_person_id.clone(),
        beneficiary_id: opening.beneficiary,
        account_number: unused_account_number(conn).await?,
        bank_id: SANDBOX_BANK_ID.to_string(),
        balance: MinorUnits::ZERO,
        held: MinorUnits::ZERO,
        transaction_count: 0,
        active_freezes: 0,
        active_blocks: 0,
        opens_at: Some(now + new.opening_delay),
        created_at: now,
        opened_at: None,
        closed_at: None,
        updated_at: now,
    };
    dispatch!(conn, c => diesel::insert_into(bank_accounts::table)
        .values(&row)
        .execute(c)
        .await)?;
    record_status(conn, &row, EventType::AccountStatusCreated)?;
    Ok(row)
}

fn default_display_name(product: ProductType) -> &'static str {
    match product {
        ProductType::Operational => "Operational account",
        ProductType::Safeguarding => "Safeguarding account",
        ProductType::ClientMoney => "Client money account",
        ProductType::Savings => "Savings account",
        ProductType::Embedded => "Embedded account",
    }
}

/// A random 8-digit account number no account has. Two openings drawing the same number at
/// the same moment (one chance in 10^8 per pair) make the later insert fail on the unique
/// index, and its request with it, rather than share a number.
async fn unused_account_number(conn: &mut Conn<'_>) -> QueryResult<String> {
    loop {
        let number = format!("{:08}", rand::random_range(0..100_000_000u32));
        let taken: Option<BankAccountId> = dispatch!(conn, c => bank_accounts::table
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

fn record_status(
    conn: &mut Conn<'_>,
    row: &BankAccountRow,
    event_type: EventType,
) -> QueryResult<()> {
    events::record(
        conn,
        &row.organization_id,
        event_type,
        &json!({"account-url": row.url(), "account-status": row.account_status}),
    )?;
    Ok(())
}

/// `opening → open`, crediting `test_money` from the sandbox funding account. `None` when
/// the account was no longer opening (another worker got there first).
async fn activate(
    conn: &mut Conn<'_>,
    row: &BankAccountRow,
    test_money: MinorUnits,
    now: Micros,
) -> Result<Option<BankAccountRow>, PostError> {
    let changed = dispatch!(conn, c => diesel::update(
            bank_accounts::table
                .filter(bank_accounts::id.eq(&row.id))
                .filter(bank_accounts::account_status.eq(AccountStatus::Opening)),
        )
        .set((
            bank_accounts::account_status.eq(AccountStatus::Open),
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
    opened.account_status = AccountStatus::Open;
    opened.opened_at = Some(now);
    opened.opens_at = None;
    record_status(conn, &opened, EventType::AccountStatusUpdated)?;
    if test_money.is_positive() {
        let movement = Movement {
            organization_id: &row.organization_id,
            origin_type: ledger::TransactionOrigin::Deposit,
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
            .filter(bank_accounts::account_status.eq(AccountStatus::Opening))
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
        let result = db
            .transaction(async |conn| activate(conn, &row, money, now).await)
            .await?;
        match result {
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
    let processing: SubmissionStatus = SubmissionStatus::Processing;
    let closing: AccountStatus = AccountStatus::Closing;
    let nothing: MinorUnits = MinorUnits::ZERO;
    bank_accounts::account_status
        .eq(closing)
        .and(bank_accounts::balance.eq(nothing))
        .and(bank_accounts::held.eq(nothing))
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
        let closing = async |conn: &mut Conn<'_>| close_if_drained(conn, row, now).await;
        if db.transaction(closing).await?? {
            closed += 1;
        }
    }
    Ok(closed)
}

/// `closing → closed`, unless the account stopped being drained meanwhile.
async fn close_if_drained(
    conn: &mut Conn<'_>,
    mut row: BankAccountRow,
    now: Micros,
) -> QueryResult<bool> {
    let changed = dispatch!(conn, c => diesel::update(
            bank_accounts::table
                .filter(bank_accounts::id.eq(&row.id))
                .filter(drained()),
        )
        .set((
            bank_accounts::account_status.eq(AccountStatus::Closed),
            bank_accounts::closed_at.eq(now),
            bank_accounts::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    if changed == 1 {
        row.account_status = AccountStatus::Closed;
        record_status(conn, &row, EventType::AccountStatusUpdated)?;
    }
    Ok(changed == 1)
}

/// `open → closing`; the worker finishes the close once the balance is zero. The primary
/// account stays open, and only an open account can start closing.
pub async fn close(
    conn: &mut Conn<'_>,
    row: &BankAccountRow,
    now: Micros,
) -> DomainResult<BankAccountRow> {
    let url = row.url();
    let refused = |code, why: &str| DomainError::unprocessable(code, format!("{url} {why}"));
    if row.primary_account {
        return Err(refused(
            "primary-account-not-closeable",
            "is the organization's primary account, which stays open.",
        ));
    }
    match row.account_status {
        AccountStatus::Open => {}
        AccountStatus::Closing => {
            return Err(refused("account-already-closing", "is already closing."));
        }
        AccountStatus::Closed => {
            return Err(refused("account-already-closed", "is already closed."));
        }
        AccountStatus::Opening => return Err(refused("account-not-open", "has not opened yet.")),
    }
    let changed = dispatch!(conn, c => diesel::update(
            bank_accounts::table
                .filter(bank_accounts::id.eq(&row.id))
                .filter(bank_accounts::account_status.eq(AccountStatus::Open)),
        )
        .set((
            bank_accounts::account_status.eq(AccountStatus::Closing),
            bank_accounts::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    if changed == 0 {
        // Changed under us: the caller holds the row lock, so this cannot happen; refuse
        // rather than guess.
        return Err(refused("account-not-open", "has not opened yet."));
    }
    let mut closing = row.clone();
    closing.account_status = AccountStatus::Closing;
    closing.updated_at = now;
    record_status(conn, &closing, EventType::AccountStatusUpdated)?;
    Ok(closing)
}

/// The display name is all of an account that its owner can change.
pub async fn rename(
    conn: &mut Conn<'_>,
    mut row: BankAccountRow,
    display_name: String,
) -> QueryResult<BankAccountRow> {
    dispatch!(conn, c => diesel::update(bank_accounts::table.find(&row.id))
        .set((
            bank_accounts::display_name.eq(&display_name),
            bank_accounts::updated_at.eq(time::now()),
        ))
        .prepared()
        .execute(c)
        .await)?;
    row.display_name = display_name;
    Ok(row)
}

/// List filters.
#[derive(Debug, Default)]
pub struct Filter {
    pub statuses: Vec<AccountStatus>,
    pub product_types: Vec<ProductType>,
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
