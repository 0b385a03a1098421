use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{ACTIVE, LIFTED, RestrictionEventView, RestrictionRow, RestrictionView, Terms};
use crate::AppState;
use crate::bank_accounts::{self, BankAccountRow, CLOSED};
use crate::http::pagination::list_request;
use crate::http::{ApiError, ApiResult, Caller, Json, ListBody, QueryParams, created, ok};
use crate::roles::Permission;
use crate::store::Conn;

const TYPES: [&str; 2] = [super::BLOCK, super::FREEZE];
/// Reasons a customer's organization may give; Griffin keeps `suspicious`, `fraud` and
/// `high-risk-pep` for its own restrictions.
const REASON_CODES: [&str; 13] = [
    "customer-request",
    "deceased",
    "dormant",
    "fraud-1st-party",
    "fraud-3rd-party",
    "fraud-app-perpetrator",
    "fraud-app-victim",
    "law-enforcement",
    "money-laundering",
    "other",
    "risk-appetite",
    "sanctions",
    "terrorist-financing",
];
const LEGAL_STATUSES: [&str; 4] = [
    "not-applicable",
    "suspected",
    "formal-charge-filed",
    "conviction-confirmed",
];
const MAX_NOTES: usize = 2000;

fn one_of(value: &str, allowed: &[&str], field: &str) -> ApiResult<String> {
    if allowed.contains(&value) {
        Ok(value.to_string())
    } else {
        Err(ApiError::invalid_body(
            "Invalid enum value",
            format!("`{field}` must be one of {}.", allowed.join(", ")),
            format!("/{field}"),
        ))
    }
}

fn check_notes(notes: &str) -> ApiResult<()> {
    if notes.chars().count() > MAX_NOTES {
        return Err(ApiError::invalid_body(
            "Invalid value",
            format!("`notes` must be at most {MAX_NOTES} characters."),
            "/notes",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Apply {
    restriction_type: String,
    restriction_reason_code: String,
    restriction_legal_status: String,
    notes: String,
}

fn already_applied(existing: &RestrictionRow, terms: &Terms) -> ApiError {
    let url = RestrictionView::new(existing, "").bank_account_restriction_url;
    ApiError::conflict(
        "restriction-already-applied",
        format!(
            "An active {} for this reason already exists: {url}.",
            terms.restriction_type
        ),
    )
}

/// `POST /v0/bank/accounts/{bank-account-id}/restrictions`
pub async fn apply(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<Apply>,
) -> ApiResult<HttpResponse> {
    let terms = Terms {
        restriction_type: one_of(&body.restriction_type, &TYPES, "restriction-type")?,
        reason_code: one_of(
            &body.restriction_reason_code,
            &REASON_CODES,
            "restriction-reason-code",
        )?,
        legal_status: one_of(
            &body.restriction_legal_status,
            &LEGAL_STATUSES,
            "restriction-legal-status",
        )?,
    };
    check_notes(&body.notes)?;
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let account = bank_accounts::for_write(
            &caller,
            &mut conn,
            &path,
            Permission::AccountRestrictionsWrite,
        )
        .await?;
        if account.account_status == CLOSED {
            return Err(ApiError::unprocessable(
                "bank-account-closed",
                format!("{} is closed.", account.url()),
            ));
        }
        if let Some(existing) = super::find_active_like(
            &mut conn,
            &account.id,
            &terms.restriction_type,
            &terms.reason_code,
        )
        .await?
        {
            return Err(already_applied(&existing, &terms));
        }
        let row = super::apply(
            &mut conn,
            &account.organization_id,
            &account.id,
            &terms,
            &body.notes,
            &caller.user_id,
        )
        .await?;
        let username = super::applied_by_username(&mut conn, &row).await?;
        Ok::<_, ApiError>(RestrictionView::new(&row, &username))
    }
    .await;
    let view = tx.finish(result).await?;
    Ok(created(&view.bank_account_restriction_url.clone(), &view))
}

/// `GET /v0/bank/account-restrictions/{bank-account-restriction-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row = caller
        .visible::<RestrictionRow>(&mut conn, &path, Permission::Read)
        .await?;
    let username = super::applied_by_username(&mut conn, &row).await?;
    Ok(ok(&RestrictionView::new(&row, &username)))
}

/// `GET /v0/bank/accounts/{bank-account-id}/restrictions`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(&query, &["filter[restriction-status][eq]"], &[])?;
    let status = match query.single("filter[restriction-status][eq]")? {
        Some(status) if status != ACTIVE && status != LIFTED => {
            return Err(ApiError::invalid_parameter(
                "filter[restriction-status][eq]",
                "`filter[restriction-status][eq]` must be active or lifted.",
            ));
        }
        status => status,
    };
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let account = caller
        .visible::<BankAccountRow>(&mut conn, &path, Permission::Read)
        .await?;
    let page = super::list(&mut conn, &account.id, status, &page_request).await?;
    Ok(ok(&ListBody::new(
        "bank-account-restrictions",
        page.map(|(row, username)| RestrictionView::new(&row, &username)),
        request.path(),
        &query,
    )))
}

/// `GET /v0/bank/account-restrictions/{bank-account-restriction-id}/events` (ours): what
/// happened to the restriction, with the notes given each time.
pub async fn events(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row = caller
        .visible::<RestrictionRow>(&mut conn, &path, Permission::Read)
        .await?;
    let page = super::events(&mut conn, &row.id, &page_request).await?;
    Ok(ok(&ListBody::new(
        "bank-account-restriction-events",
        page.map(|(event, username)| RestrictionEventView::new(&event, &username)),
        request.path(),
        &query,
    )))
}

/// The restriction a path names, for a change: its account is locked first (restrictions
/// move the account's counts), then the restriction is read again behind the lock. Only an
/// active restriction can change.
async fn active_for_write(
    caller: &Caller,
    conn: &mut Conn<'_>,
    path: &str,
) -> ApiResult<RestrictionRow> {
    let id = crate::http::path_id::<crate::ids::RestrictionKind>(path)?;
    let found = super::find(conn, &id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    bank_accounts::for_write(
        caller,
        conn,
        &found.account_id,
        Permission::AccountRestrictionsWrite,
    )
    .await?;
    let current = super::find(conn, &id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if current.restriction_status != ACTIVE {
        return Err(ApiError::unprocessable(
            "restriction-not-active",
            "The restriction has been lifted: it cannot change any more.",
        ));
    }
    Ok(current)
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Update {
    restriction_type: Option<String>,
    restriction_reason_code: Option<String>,
    restriction_legal_status: Option<String>,
    notes: String,
}

/// `POST /v0/bank/account-restrictions/{bank-account-restriction-id}/actions/update`
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<Update>,
) -> ApiResult<HttpResponse> {
    check_notes(&body.notes)?;
    let restriction_type = body
        .restriction_type
        .as_deref()
        .map(|t| one_of(t, &TYPES, "restriction-type"))
        .transpose()?;
    let reason_code = body
        .restriction_reason_code
        .as_deref()
        .map(|r| one_of(r, &REASON_CODES, "restriction-reason-code"))
        .transpose()?;
    let legal_status = body
        .restriction_legal_status
        .as_deref()
        .map(|l| one_of(l, &LEGAL_STATUSES, "restriction-legal-status"))
        .transpose()?;
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let row = active_for_write(&caller, &mut conn, &path).await?;
        let terms = Terms {
            restriction_type: restriction_type.unwrap_or(row.restriction_type.clone()),
            reason_code: reason_code.unwrap_or(row.restriction_reason_code.clone()),
            legal_status: legal_status.unwrap_or(row.restriction_legal_status.clone()),
        };
        if let Some(other) = super::find_active_like(
            &mut conn,
            &row.account_id,
            &terms.restriction_type,
            &terms.reason_code,
        )
        .await?
            && other.id != row.id
        {
            return Err(already_applied(&other, &terms));
        }
        let updated = super::update(&mut conn, &row, &terms, &body.notes, &caller.user_id).await?;
        let username = super::applied_by_username(&mut conn, &updated).await?;
        Ok::<_, ApiError>(RestrictionView::new(&updated, &username))
    }
    .await;
    Ok(ok(&tx.finish(result).await?))
}

#[derive(Deserialize)]
pub struct Lift {
    notes: String,
}

/// `POST /v0/bank/account-restrictions/{bank-account-restriction-id}/actions/lift`
pub async fn lift(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<Lift>,
) -> ApiResult<HttpResponse> {
    check_notes(&body.notes)?;
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let row = active_for_write(&caller, &mut conn, &path).await?;
        let lifted = super::lift(&mut conn, &row, &body.notes, &caller.user_id).await?;
        let username = super::applied_by_username(&mut conn, &lifted).await?;
        Ok::<_, ApiError>(RestrictionView::new(&lifted, &username))
    }
    .await;
    Ok(ok(&tx.finish(result).await?))
}
