//! `/v0/payments/…`, `/v0/admissions/…`, and the payment lists of accounts, organizations
//! and payees.

use actix_web::{HttpRequest, HttpResponse, web};
use diesel::QueryResult;
use serde::{Deserialize, Serialize};

use super::outbound::{self, CreditorRef, NewPayment};
use super::{
    APPROVAL, AdmissionRow, AdmissionView, Filter, PaymentDirection, PaymentRow, PaymentView, Scope,
};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::bank_accounts::{self, BankAccountRow, BankAccountView};
use crate::http::idempotency::Idempotent;
use crate::http::pagination::list_request;
use crate::http::url_id;
use crate::http::{ApiError, ApiResult, Json, ListBody, QueryParams, ok, path_id};
use crate::ids::{AdmissionKind, BankAccountKind, OrganizationKind, PayeeKind, PaymentKind};
use crate::money::Money;
use crate::organizations::OrganizationRow;
use crate::paging::InstantRange;
use crate::payees::PayeeRow;
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::Conn;
use crate::store::idempotency::Reply;
use crate::submissions::{self, SubmissionStatus, SubmissionView};
use crate::urls;
use crate::users::{self, UserView};

/// The creditor of a new payment, as the request names it.
#[derive(Debug, Deserialize)]
#[serde(tag = "creditor-type", rename_all = "kebab-case")]
pub enum CreditorIn {
    #[serde(rename_all = "kebab-case")]
    Payee { payee_url: String },
    #[serde(rename_all = "kebab-case")]
    GriffinBankAccount { account_url: String },
    #[serde(rename_all = "kebab-case")]
    UkDomestic {
        account_holder: String,
        account_number: String,
        bank_id: String,
    },
}

impl CreditorIn {
    fn parse(self) -> ApiResult<CreditorRef> {
        Ok(match self {
            CreditorIn::Payee { payee_url } => CreditorRef::Payee(url_id(
                &payee_url,
                urls::PAYEES,
                "payee",
                "/creditor/payee-url",
            )?),
            CreditorIn::GriffinBankAccount { account_url } => CreditorRef::Account(url_id(
                &account_url,
                urls::BANK_ACCOUNTS,
                "bank account",
                "/creditor/account-url",
            )?),
            CreditorIn::UkDomestic {
                account_holder,
                account_number,
                bank_id,
            } => {
                bank_accounts::check_uk_details(
                    &account_holder,
                    &account_number,
                    &bank_id,
                    "/creditor",
                )?;
                CreditorRef::UkDomestic {
                    account_holder,
                    account_number,
                    bank_id,
                }
            }
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreatePayment {
    creditor: CreditorIn,
    payment_amount: Money,
    payment_reference: Option<String>,
}

impl CreatePayment {
    /// A positive amount, the reference's length, the creditor's URL or UK details.
    fn parse(self) -> ApiResult<NewPayment> {
        let amount = crate::money::positive_amount(&self.payment_amount, "/payment-amount")?;
        outbound::check_reference(self.payment_reference.as_deref())?;
        Ok(NewPayment {
            creditor: self.creditor.parse()?,
            amount,
            reference: self.payment_reference,
        })
    }
}

/// `POST /v0/bank/accounts/{bank-account-id}/payments` → 201 with the payment.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: Idempotent<CreatePayment>,
) -> ApiResult<Reply> {
    let new = request.body.parse()?;
    let id = path_id::<BankAccountKind>(&path)?;
    let reply = Write::new(&caller, Permission::PaymentsCreate)
        .idempotent(request.key.as_ref())
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<BankAccountRow>| {
                let row = outbound::create(conn, &granted.resource, new, &caller.user_id).await?;
                let view = PaymentView::new(&row);
                Reply::created(&view.payment_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

/// `GET /v0/payments/{payment-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<PaymentKind>(&path)?;
    let mut conn = state.db.read().await?;
    let row: PaymentRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
    Ok(ok(&PaymentView::new(&row)))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Reject {
    rejection_reason: String,
}

/// `PATCH /v0/payments/{payment-id}` with a `rejection-reason` → 204: rejects a payment not
/// yet submitted (409 once it is submitted or rejected). Approvers reject others' payments;
/// creators who may submit their own may reject them.
pub async fn reject(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<Reject>,
) -> ApiResult<Reply> {
    let reason = body.rejection_reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::invalid_body(
            "Invalid value",
            "`rejection-reason` must be 1 to 500 characters.",
            "/rejection-reason",
        ));
    }
    let id = path_id::<PaymentKind>(&path)?;
    let reply = Write::new(&caller, APPROVAL)
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<PaymentRow>| {
                let now = crate::time::now();
                outbound::reject(conn, &granted.resource, reason, &caller.user_id, now).await?;
                Ok(Reply::no_content())
            },
        )
        .await?;
    Ok(reply)
}

const FILTERS: [&str; 7] = [
    "filter[payment-direction][eq]",
    "filter[rejected][eq]",
    "filter[latest-submission-status][in][]",
    "filter[created-at][gte]",
    "filter[created-at][gt]",
    "filter[created-at][lte]",
    "filter[created-at][lt]",
];
const INCLUDES: [&str; 5] = [
    "bank-account",
    "latest-submission",
    "latest-submission.created-by",
    "created-by",
    "rejected-by",
];

fn parse_filter(query: &QueryParams) -> ApiResult<Filter> {
    let direction = query.enum_eq::<PaymentDirection>("filter[payment-direction][eq]")?;
    let rejected = query.bool_eq("filter[rejected][eq]")?;
    let mut latest_submission_statuses = Vec::new();
    for status in query.all("filter[latest-submission-status][in][]") {
        if status == "null" {
            latest_submission_statuses.push(None);
        } else if let Some(status) = SubmissionStatus::parse(status) {
            latest_submission_statuses.push(Some(status));
        } else {
            return Err(ApiError::invalid_parameter(
                "filter[latest-submission-status][in][]",
                format!("Unknown submission status `{status}` (use `null` for none)."),
            ));
        }
    }
    Ok(Filter {
        direction,
        rejected,
        latest_submission_statuses,
        created: crate::http::query::instant_range(query, "created-at")?,
    })
}

/// What `include=` side-loads for listed payments.
#[derive(Serialize, Default)]
#[serde(rename_all = "kebab-case")]
struct Included {
    /// Griffin's key for the payments' bank accounts (`include=bank-account`).
    #[serde(skip_serializing_if = "Option::is_none")]
    accounts: Option<Vec<BankAccountView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    submissions: Option<Vec<SubmissionView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    users: Option<Vec<UserView>>,
}

async fn included(
    conn: &mut Conn<'_>,
    query: &QueryParams,
    payments: &[PaymentRow],
) -> QueryResult<Option<Included>> {
    let includes = query.includes();
    if includes.is_empty() {
        return Ok(None);
    }
    let mut included = Included::default();
    if includes.contains(&"bank-account") {
        let mut accounts = Vec::new();
        for id in crate::ids::distinct(payments.iter().map(|p| p.account_id.clone())) {
            if let Some(row) = bank_accounts::find(conn, &id).await? {
                accounts.push(BankAccountView::new(&row));
            }
        }
        included.accounts = Some(accounts);
    }
    let submission_ids = crate::ids::distinct(
        payments
            .iter()
            .filter_map(|p| p.latest_submission_id.clone()),
    );
    let latest = if includes.contains(&"latest-submission")
        || includes.contains(&"latest-submission.created-by")
    {
        submissions::find_many(conn, &submission_ids).await?
    } else {
        Vec::new()
    };
    if includes.contains(&"latest-submission") {
        included.submissions = Some(latest.iter().map(SubmissionView::new).collect());
    }
    let mut user_ids = Vec::new();
    if includes.contains(&"created-by") {
        user_ids.extend(payments.iter().filter_map(|p| p.created_by_user_id.clone()));
    }
    if includes.contains(&"rejected-by") {
        user_ids.extend(
            payments
                .iter()
                .filter_map(|p| p.rejected_by_user_id.clone()),
        );
    }
    if includes.contains(&"latest-submission.created-by") {
        user_ids.extend(latest.iter().filter_map(|s| s.created_by_user_id.clone()));
    }
    if !user_ids.is_empty()
        || includes
            .iter()
            .any(|i| ["created-by", "rejected-by", "latest-submission.created-by"].contains(i))
    {
        let rows = users::find_many(conn, &crate::ids::distinct(user_ids)).await?;
        included.users = Some(rows.into_iter().map(UserView::new).collect());
    }
    Ok(Some(included))
}

#[derive(Serialize)]
struct PaymentList {
    #[serde(flatten)]
    list: ListBody<PaymentView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    included: Option<Included>,
}

async fn list_in(
    conn: &mut Conn<'_>,
    scope: Scope<'_>,
    request: &HttpRequest,
    query: &QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(query, &FILTERS, &INCLUDES)?;
    let filter = parse_filter(query)?;
    let page = super::list(conn, scope, &filter, &page_request).await?;
    let included = included(conn, query, &page.items).await?;
    Ok(ok(&PaymentList {
        list: ListBody::new(
            "payments",
            page.map(|row| PaymentView::new(&row)),
            request.path(),
            query,
        ),
        included,
    }))
}

/// `GET /v0/bank/accounts/{bank-account-id}/payments`
pub async fn list_for_account(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let id = path_id::<BankAccountKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account: BankAccountRow = caller.read(&mut conn, &id, Permission::Read).await?;
    list_in(&mut conn, Scope::Account(&account.id), &request, &query).await
}

/// `GET /v0/organizations/{organization-id}/payments`
pub async fn list_for_organization(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .organization(&mut conn, &organization_id, Permission::Read)
        .await?;
    list_in(
        &mut conn,
        Scope::Organization(&organization_id),
        &request,
        &query,
    )
    .await
}

/// `GET /v0/payees/{payee-id}/payments` (ours): the payments made to a payee.
pub async fn list_for_payee(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let id = path_id::<PayeeKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let payee: PayeeRow = caller.read(&mut conn, &id, Permission::Read).await?;
    list_in(&mut conn, Scope::Payee(&payee.id), &request, &query).await
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Search {
    search_query: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct SearchResults {
    search_results: Vec<PaymentView>,
    meta: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    included: Option<Included>,
}

const SEARCH_LIMIT: i64 = 200;

/// `POST /v0/organizations/{organization-id}/payments/search`: by reference (contains, any
/// case) or by a submission's or admission's scheme identifier (exact). A search changes
/// nothing, but like every POST of this area it takes an `Idempotency-Key`: a retry with it
/// gets the first answer back, which takes the write pipeline to store.
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: QueryParams,
    request: Idempotent<Search>,
) -> ApiResult<Reply> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    query.check_known(&[])?;
    query.check_includes(&INCLUDES)?;
    let text = request.body.search_query.trim();
    if text.is_empty() {
        return Err(ApiError::invalid_body(
            "Invalid value",
            "`search-query` must not be empty.",
            "/search-query",
        ));
    }
    if request.key.is_none() {
        let mut conn = state.db.read().await?;
        let mut conn = conn.conn();
        caller
            .organization(&mut conn, &organization_id, Permission::Read)
            .await?;
        return Ok(search_reply(&mut conn, &organization_id, &query, text).await?);
    }
    let reply = Write::new(&caller, Permission::Read)
        .idempotent(request.key.as_ref())
        .run(
            &state.db,
            &organization_id,
            async |conn, granted: Granted<OrganizationRow>| {
                search_reply(conn, &granted.resource.id, &query, text).await
            },
        )
        .await?;
    Ok(reply)
}

async fn search_reply(
    conn: &mut Conn<'_>,
    organization_id: &crate::ids::OrganizationId,
    query: &QueryParams,
    text: &str,
) -> crate::error::DomainResult<Reply> {
    let rows = super::search(conn, organization_id, text, SEARCH_LIMIT).await?;
    let included = included(conn, query, &rows).await?;
    Reply::ok(&SearchResults {
        meta: serde_json::json!({"page": {"total": rows.len()}}),
        search_results: rows.iter().map(PaymentView::new).collect(),
        included,
    })
}

/// `GET /v0/admissions/{admission-id}`
pub async fn get_admission(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<AdmissionKind>(&path)?;
    let mut conn = state.db.read().await?;
    let row: AdmissionRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
    Ok(ok(&AdmissionView::new(&row)))
}

const ADMISSION_FILTERS: [&str; 5] = [
    "filter[admission-status][in][]",
    "filter[created-at][gte]",
    "filter[created-at][gt]",
    "filter[created-at][lte]",
    "filter[created-at][lt]",
];

/// `GET /v0/bank/accounts/{bank-account-id}/admissions`
pub async fn list_for_account_admissions(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let id = path_id::<BankAccountKind>(&path)?;
    let page_request = list_request(&query, &ADMISSION_FILTERS, &[])?;
    let statuses = query.enum_list("filter[admission-status][in][]")?;
    let created = crate::http::query::instant_range(&query, "created-at")?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account: BankAccountRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let page = super::list_admissions(
        &mut conn,
        super::AdmissionScope::Account(&account.id),
        &statuses,
        &created,
        &page_request,
    )
    .await?;
    Ok(ok(&ListBody::new(
        "admissions",
        page.map(|row| AdmissionView::new(&row)),
        request.path(),
        &query,
    )))
}

/// `GET /v0/payments/{payment-id}/admissions`
pub async fn list_for_payment_admissions(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let id = path_id::<PaymentKind>(&path)?;
    let page_request = list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let payment: PaymentRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let page = super::list_admissions(
        &mut conn,
        super::AdmissionScope::Payment(&payment.id),
        &[],
        &InstantRange::default(),
        &page_request,
    )
    .await?;
    Ok(ok(&ListBody::new(
        "admissions",
        page.map(|row| AdmissionView::new(&row)),
        request.path(),
        &query,
    )))
}
