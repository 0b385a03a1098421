//! `/v0/payees/…` and a legal person's payees.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{NewPayee, PayeeChange, PayeeRow, PayeeStatus, PayeeView};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::http::idempotency::Idempotent;
use crate::http::json::not_null;
use crate::http::pagination::list_request;
use crate::http::url_id;
use crate::http::{ApiError, ApiResult, Json, ListBody, QueryParams, ok, path_id};
use crate::ids::{CopRequestId, LegalPersonKind, PayeeKind};
use crate::legal_persons::LegalPersonRow;
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::idempotency::Reply;
use crate::urls;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreatePayee {
    account_holder: String,
    account_number: String,
    bank_id: String,
    cop_request_url: Option<String>,
}

impl CreatePayee {
    fn parse(self) -> ApiResult<NewPayee> {
        crate::bank_accounts::check_uk_details(
            &self.account_holder,
            &self.account_number,
            &self.bank_id,
            "",
        )?;
        Ok(NewPayee {
            cop_request_id: cop_request_url(self.cop_request_url.as_deref())?,
            account_holder: self.account_holder,
            account_number: self.account_number,
            bank_id: self.bank_id,
        })
    }
}

/// The CoP request a body's `cop-request-url` names.
fn cop_request_url(url: Option<&str>) -> ApiResult<Option<CopRequestId>> {
    url.map(|url| url_id(url, urls::COP_REQUESTS, "CoP request", "/cop-request-url"))
        .transpose()
}

/// `POST /v0/legal-persons/{legal-person-id}/bank/payees`: 409 when the legal person
/// already has an active payee with these account details (a retry with the first
/// request's `Idempotency-Key` gets the first answer instead).
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: Idempotent<CreatePayee>,
) -> ApiResult<Reply> {
    let id = path_id::<LegalPersonKind>(&path)?;
    let new = request.body.parse()?;
    let reply = Write::new(&caller, Permission::PaymentsCreate)
        .idempotent(request.key.as_ref())
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<LegalPersonRow>| {
                let row = super::create(conn, &granted.resource, new).await?;
                let view = PayeeView::new(&row);
                Reply::created(&view.payee_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

/// `GET /v0/legal-persons/{legal-person-id}/bank/payees`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let id = path_id::<LegalPersonKind>(&path)?;
    let page_request = list_request(&query, &[], &["cop-requests"])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let person: LegalPersonRow = caller.read(&mut conn, &id, Permission::Read).await?;
    let page = super::list(&mut conn, &person.id, &page_request).await?;
    let included = if query.includes().is_empty() {
        None
    } else {
        let ids = crate::ids::distinct(page.items.iter().filter_map(|p| p.cop_request_id.clone()));
        let rows = crate::cop::find_many(&mut conn, &ids).await?;
        Some(Included {
            cop_requests: rows.iter().map(crate::cop::CopView::new).collect(),
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
    let id = path_id::<PayeeKind>(&path)?;
    let mut conn = state.db.read().await?;
    let row: PayeeRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
    Ok(ok(&PayeeView::new(&row)))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct UpdatePayee {
    #[serde(default, deserialize_with = "not_null")]
    payee_status: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    cop_request_url: Option<String>,
}

impl UpdatePayee {
    fn parse(self) -> ApiResult<PayeeChange> {
        let deactivate = match self.payee_status.as_deref().map(PayeeStatus::parse) {
            None => false,
            Some(Some(PayeeStatus::Deactivated)) => true,
            Some(_) => {
                return Err(ApiError::invalid_body(
                    "Invalid enum value",
                    "`payee-status` can only be set to deactivated.",
                    "/payee-status",
                ));
            }
        };
        Ok(PayeeChange {
            deactivate,
            cop_request_id: cop_request_url(self.cop_request_url.as_deref())?,
        })
    }
}

/// `PATCH /v0/payees/{payee-id}`: deactivate (one way: 422 `payee-already-deactivated`
/// the second time) and/or attach a CoP request.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<UpdatePayee>,
) -> ApiResult<Reply> {
    let id = path_id::<PayeeKind>(&path)?;
    let change = body.parse()?;
    let reply = Write::new(&caller, Permission::PaymentsCreate)
        .locked()
        .run(&state.db, &id, async |conn, granted: Granted<PayeeRow>| {
            let updated = super::change(conn, &granted.resource, change).await?;
            Reply::ok(&PayeeView::new(&updated))
        })
        .await?;
    Ok(reply)
}
