//! `/v0/cop-request/…`, an organization's CoP requests and their simulation.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;

use super::{AccountClassification, CopQuestion, CopRequestRow, CopView};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::http::idempotency::Idempotent;
use crate::http::url_id;
use crate::http::{ApiError, ApiResult, ok, path_id};
use crate::ids::{CopRequestKind, OrganizationKind};
use crate::organizations::OrganizationRow;
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::idempotency::Reply;
use crate::urls;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CopBody {
    account_number: String,
    bank_id: String,
    account_classification: AccountClassification,
    name: String,
    requester_legal_person_url: String,
    secondary_reference_data: Option<String>,
}

impl CopBody {
    fn parse(self) -> ApiResult<CopQuestion> {
        crate::bank_accounts::check_account_details(&self.account_number, &self.bank_id, "")?;
        if self.name.trim().is_empty() || self.name.chars().count() > 140 {
            return Err(ApiError::invalid_body(
                "Invalid value",
                "`name` must be 1 to 140 characters.",
                "/name",
            ));
        }
        let requester = url_id(
            &self.requester_legal_person_url,
            urls::LEGAL_PERSONS,
            "legal person",
            "/requester-legal-person-url",
        )?;
        Ok(CopQuestion {
            account_number: self.account_number,
            bank_id: self.bank_id,
            account_classification: self.account_classification,
            name: self.name,
            requester_legal_person_url: self.requester_legal_person_url,
            secondary_reference_data: self.secondary_reference_data,
            requester,
        })
    }
}

async fn record(
    state: &AppState,
    caller: &Caller,
    organization: &str,
    request: Idempotent<CopBody>,
    simulated: Option<Value>,
) -> ApiResult<Reply> {
    let question = request.body.parse()?;
    let organization_id = path_id::<OrganizationKind>(organization)?;
    let reply = Write::new(caller, Permission::PaymentsCreate)
        .idempotent(request.key.as_ref())
        .run(
            &state.db,
            &organization_id,
            async |conn, granted: Granted<OrganizationRow>| {
                let row = super::record(conn, &granted.resource, &question, simulated).await?;
                let view = CopView::new(&row);
                Reply::created(&urls::cop_request(&row.id), &view)
            },
        )
        .await?;
    Ok(reply)
}

/// `POST /v0/organizations/{organization-id}/cop-request`
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: Idempotent<CopBody>,
) -> ApiResult<Reply> {
    record(&state, &caller, &path, request, None).await
}

/// `POST /v0/simulation/organizations/{organization-id}/cop-request/simulate/{cop-simulation-type}`
pub async fn simulate(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    request: Idempotent<CopBody>,
) -> ApiResult<Reply> {
    let (organization, kind) = path.into_inner();
    let outcome = super::simulated(&kind, &request.body.name).ok_or_else(ApiError::not_found)?;
    record(&state, &caller, &organization, request, Some(outcome)).await
}

/// `GET /v0/cop-request/{cop-request-id}` (ours: Griffin links it without describing it).
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<CopRequestKind>(&path)?;
    let mut conn = state.db.read().await?;
    let row: CopRequestRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
    Ok(ok(&CopView::new(&row)))
}
