use crate::ids::OrganizationId;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{ACTIVE, DEACTIVATED, PayeeRow, PayeeView};
use crate::AppState;
use crate::http::idempotency::{self, Answer, Idempotent, Outcome};
use crate::http::pagination::list_request;
use crate::http::{ApiError, ApiResult, Caller, Json, ListBody, QueryParams, ok};
use crate::ids::{CopRequestId, CopRequestKind, PayeeId};
use crate::legal_persons::LegalPersonRow;
use crate::roles::Permission;
use crate::store::Conn;
use crate::time;
use crate::urls;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreatePayee {
    account_holder: String,
    account_number: String,
    bank_id: String,
    cop_request_url: Option<String>,
}

/// The CoP request a body names, which must be one of the organization's.
async fn cop_request(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    url: &str,
) -> ApiResult<CopRequestId> {
    let id = urls::parse::<CopRequestKind>(url, urls::COP_REQUESTS).ok_or_else(|| {
        ApiError::invalid_body(
            "Invalid value",
            "Expected a CoP request URL such as /v0/cop-request/cp.….",
            "/cop-request-url",
        )
    })?;
    let found = <crate::cop::CopRequestRow as crate::access::Owned>::find(conn, &id)
        .await?
        .filter(|row| row.organization_id == *organization_id);
    found.map(|row| row.id).ok_or_else(|| {
        ApiError::unprocessable(
            "cop-request-not-found",
            format!("{url} is not a CoP request of this organization."),
        )
        .with_pointer("/cop-request-url")
    })
}

/// `POST /v0/legal-persons/{legal-person-id}/bank/payees`: 409 when the legal person
/// already has an active payee with these account details (a retry with the first
/// request's `Idempotency-Key` gets the first answer instead).
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: Idempotent<CreatePayee>,
) -> ApiResult<HttpResponse> {
    let (body, key) = (request.body, request.key);
    crate::bank_accounts::check_uk_details(
        &body.account_holder,
        &body.account_number,
        &body.bank_id,
        "",
    )?;
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let person = caller
            .visible::<LegalPersonRow>(&mut conn, &path, Permission::Read)
            .await?;
        caller
            .fresh_access(
                &mut conn,
                &person.organization_id,
                Permission::PaymentsCreate,
            )
            .await?;
        if let Some(taken) =
            idempotency::claim(&mut conn, key.as_ref(), &person.organization_id).await?
        {
            return Ok(taken);
        }
        let cop_request_id = match &body.cop_request_url {
            Some(url) => Some(cop_request(&mut conn, &person.organization_id, url).await?),
            None => None,
        };
        if let Some(existing) =
            super::find_active_like(&mut conn, &person.id, &body.account_number, &body.bank_id)
                .await?
        {
            return Err(ApiError::conflict(
                "payee-already-exists",
                format!(
                    "{} already has an active payee with these details: {}.",
                    urls::legal_person(&person.id),
                    urls::payee(&existing.id)
                ),
            ));
        }
        let account_id =
            super::account_by_details(&mut conn, &body.account_number, &body.bank_id).await?;
        let now = time::now();
        let row = PayeeRow {
            id: PayeeId::generate(),
            organization_id: person.organization_id.clone(),
            legal_person_id: person.id.clone(),
            account_holder: body.account_holder.trim().to_string(),
            account_number: body.account_number.clone(),
            bank_id: body.bank_id.clone(),
            payee_status: ACTIVE.to_string(),
            cop_request_id,
            account_id,
            created_at: now,
            updated_at: now,
        };
        // Two requests racing past the check above meet the unique index.
        super::insert(&mut conn, &row).await.map_err(|error| {
            if crate::store::is_unique_violation(&error) {
                ApiError::conflict(
                    "payee-already-exists",
                    "The legal person already has an active payee with these details.",
                )
            } else {
                error.into()
            }
        })?;
        let view = PayeeView::new(&row);
        let answer = Answer::created(&view.payee_url, &view)?;
        idempotency::done(&mut conn, key.as_ref(), &person.organization_id, answer).await
    }
    .await;
    let outcome: Outcome = tx.finish(result).await?;
    idempotency::respond(&state.db, key.as_ref(), outcome).await
}

/// `GET /v0/legal-persons/{legal-person-id}/bank/payees`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(&query, &[], &["cop-requests"])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let person = caller
        .visible::<LegalPersonRow>(&mut conn, &path, Permission::Read)
        .await?;
    let page = super::list(&mut conn, &person.id, &page_request).await?;
    let included = if query.includes().is_empty() {
        None
    } else {
        let ids = crate::ids::distinct(page.items.iter().filter_map(|p| p.cop_request_id.clone()));
        let rows = crate::cop::find_many(&mut conn, &ids).await?;
        Some(Included {
            cop_requests: rows.iter().map(crate::cop::view).collect(),
        })
    };
    Ok(ok(&PayeeList {
        list: ListBody::new(
            "payees",
            page.map(|row| PayeeView::new(&row)),
            request.path(),
            &query,
        ),
        included,
    }))
}

/// What `include=cop-requests` side-loads: the payees' CoP requests.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Included {
    cop_requests: Vec<crate::cop::CopView>,
}

#[derive(Serialize)]
struct PayeeList {
    #[serde(flatten)]
    list: ListBody<PayeeView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    included: Option<Included>,
}

/// `GET /v0/payees/{payee-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<PayeeRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    Ok(ok(&PayeeView::new(&row)))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct UpdatePayee {
    payee_status: Option<String>,
    cop_request_url: Option<String>,
}

/// `PATCH /v0/payees/{payee-id}`: deactivate (one way: 422 `payee-already-deactivated`
/// the second time) and/or attach a CoP request.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<UpdatePayee>,
) -> ApiResult<HttpResponse> {
    if let Some(status) = &body.payee_status
        && status != DEACTIVATED
    {
        return Err(ApiError::invalid_body(
            "Invalid enum value",
            "`payee-status` can only be set to deactivated.",
            "/payee-status",
        ));
    }
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let (row, _) = caller
            .visible_for_write::<PayeeRow>(&mut conn, &path, Permission::PaymentsCreate)
            .await?;
        if body.payee_status.is_some() && row.payee_status == DEACTIVATED {
            return Err(ApiError::unprocessable(
                "payee-already-deactivated",
                "The payee is already deactivated.",
            ));
        }
        let cop_request_id = match &body.cop_request_url {
            Some(url) => Some(cop_request(&mut conn, &row.organization_id, url).await?),
            None => None,
        };
        let updated = super::update(
            &mut conn,
            &row,
            body.payee_status.as_deref(),
            cop_request_id.as_ref(),
        )
        .await?;
        Ok::<_, ApiError>(PayeeView::new(&updated))
    }
    .await;
    Ok(ok(&tx.finish(result).await?))
}
