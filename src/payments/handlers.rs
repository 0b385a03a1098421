use crate::ids::OrganizationId;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::outbound::{self, CreatePayment};
use super::{
    AdmissionRow, AdmissionView, Filter, INBOUND, OUTBOUND, PaymentRow, PaymentView, Scope,
};
use crate::AppState;
use crate::bank_accounts::{self, BankAccountRow, BankAccountView};
use crate::http::idempotency::{self, Answer, Idempotent, Outcome};
use crate::http::pagination::list_request;
use crate::http::{
    ApiError, ApiResult, Caller, Json, ListBody, QueryParams, no_content, ok, path_id,
};
use crate::ids::{BankAccountKind, OrganizationKind};
use crate::paging::InstantRange;
use crate::payees::PayeeRow;
use crate::roles::Permission;
use crate::store::Conn;
use crate::submissions::{self, SubmissionView};
use crate::users::{self, UserView};

/// `POST /v0/bank/accounts/{bank-account-id}/payments` → 201 with the payment.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: Idempotent<CreatePayment>,
) -> ApiResult<HttpResponse> {
    let amount = request.body.check()?;
    let id = path_id::<BankAccountKind>(&path)?;
    let key = request.key;
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let account = bank_accounts::find(&mut conn, &id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        caller
            .fresh_access(
                &mut conn,
                &account.organization_id,
                Permission::PaymentsCreate,
            )
            .await?;
        if let Some(taken) =
            idempotency::claim(&mut conn, key.as_ref(), &account.organization_id).await?
        {
            return Ok(taken);
        }
        let row =
            outbound::create(&mut conn, &account, &request.body, amount, &caller.user_id).await?;
        let view = PaymentView::new(&row);
        let answer = Answer::created(&view.payment_url, &view)?;
        idempotency::done(&mut conn, key.as_ref(), &account.organization_id, answer).await
    }
    .await;
    let outcome: Outcome = tx.finish(result).await?;
    idempotency::respond(&state.db, key.as_ref(), outcome).await
}

/// `GET /v0/payments/{payment-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<PaymentRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
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
) -> ApiResult<HttpResponse> {
    let reason = body.rejection_reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::invalid_body(
            "Invalid value",
            "`rejection-reason` must be 1 to 500 characters.",
            "/rejection-reason",
        ));
    }
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let payment = caller
            .visible::<PaymentRow>(&mut conn, &path, Permission::Read)
            .await?;
        caller
            .fresh_access(
                &mut conn,
                &payment.organization_id,
                submissions::handlers::submit_permission(&payment, &caller),
            )
            .await?;
        if payment.payment_direction != OUTBOUND
            || !outbound::reject(
                &mut conn,
                &payment.id,
                reason,
                &caller.user_id,
                crate::time::now(),
            )
            .await?
        {
            return Err(ApiError::conflict(
                "payment-not-rejectable",
                "Only an outbound payment that is neither submitted nor rejected can be rejected.",
            ));
        }
        Ok(())
    }
    .await;
    tx.finish(result).await?;
    Ok(no_content())
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
    let direction = match query.single("filter[payment-direction][eq]")? {
        Some(d) if d != INBOUND && d != OUTBOUND => {
            return Err(ApiError::invalid_parameter(
                "filter[payment-direction][eq]",
                "`filter[payment-direction][eq]` must be inbound-payment or outbound-payment.",
            ));
        }
        d => d.map(str::to_string),
    };
    let rejected = match query.single("filter[rejected][eq]")? {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            return Err(ApiError::invalid_parameter(
                "filter[rejected][eq]",
                "`filter[rejected][eq]` must be true or false.",
            ));
        }
    };
    let mut latest_submission_statuses = Vec::new();
    for status in query.all("filter[latest-submission-status][in][]") {
        if status == "null" {
            latest_submission_statuses.push(None);
        } else if submissions::STATUSES.contains(&status) {
            latest_submission_statuses.push(Some(status.to_string()));
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
    #[serde(skip_serializing_if = "Option::is_none")]
    bank_accounts: Option<Vec<BankAccountView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    submissions: Option<Vec<SubmissionView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    users: Option<Vec<UserView>>,
}

async fn included(
    conn: &mut Conn<'_>,
    query: &QueryParams,
    payments: &[PaymentRow],
) -> ApiResult<Option<Included>> {
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
        included.bank_accounts = Some(accounts);
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
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account = caller
        .visible::<BankAccountRow>(&mut conn, &path, Permission::Read)
        .await?;
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
        .access(&mut conn, organization_id.as_str(), Permission::Read)
        .await?;
    list_in(
        &mut conn,
        Scope::Organization(organization_id.as_str()),
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
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let payee = caller
        .visible::<PayeeRow>(&mut conn, &path, Permission::Read)
        .await?;
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
/// gets the first answer back.
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: QueryParams,
    request: Idempotent<Search>,
) -> ApiResult<HttpResponse> {
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
    let organization_id = &organization_id;
    let Some(key) = request.key.as_ref() else {
        let mut conn = state.db.read().await?;
        let mut conn = conn.conn();
        caller
            .access(&mut conn, organization_id, Permission::Read)
            .await?;
        let answer = search_answer(&mut conn, organization_id, &query, text).await?;
        return Ok(answer.into_response());
    };
    // With a key, the answer is stored, which takes a write transaction.
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        caller
            .access(&mut conn, organization_id, Permission::Read)
            .await?;
        if let Some(taken) = idempotency::claim(&mut conn, Some(key), organization_id).await? {
            return Ok(taken);
        }
        let answer = search_answer(&mut conn, organization_id, &query, text).await?;
        idempotency::done(&mut conn, Some(key), organization_id, answer).await
    }
    .await;
    let outcome: Outcome = tx.finish(result).await?;
    idempotency::respond(&state.db, Some(key), outcome).await
}

async fn search_answer(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    query: &QueryParams,
    text: &str,
) -> ApiResult<Answer> {
    let rows = super::search(conn, organization_id, text, SEARCH_LIMIT).await?;
    let included = included(conn, query, &rows).await?;
    Answer::ok(&SearchResults {
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
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<AdmissionRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    Ok(ok(&AdmissionView::new(&row)))
}

const ADMISSION_FILTERS: [&str; 5] = [
    "filter[admission-status][in][]",
    "filter[created-at][gte]",
    "filter[created-at][gt]",
    "filter[created-at][lte]",
    "filter[created-at][lt]",
];
const ADMISSION_STATUSES: [&str; 4] = ["processing", "delivered", "returned", "cancelled"];

/// `GET /v0/bank/accounts/{bank-account-id}/admissions`
pub async fn list_for_account_admissions(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(&query, &ADMISSION_FILTERS, &[])?;
    let statuses = query.enum_list("filter[admission-status][in][]", &ADMISSION_STATUSES)?;
    let created = crate::http::query::instant_range(&query, "created-at")?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account = caller
        .visible::<BankAccountRow>(&mut conn, &path, Permission::Read)
        .await?;
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
    let page_request = list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let payment = caller
        .visible::<PaymentRow>(&mut conn, &path, Permission::Read)
        .await?;
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
