//! Confirmation of payee in the sandbox: before paying someone, ask whether the name matches
//! the account. The answer is deterministic:
//! - for one of the organization's own accounts, the name is compared with the account
//!   holder's: equal (ignoring case and spaces) is a match, one containing the other a close
//!   match (suggesting the holder's name), anything else no match;
//! - for other accounts, a name beginning "no match" answers no match, "close match" a close
//!   match, and any other name a match.
//!
//! `POST /v0/simulation/organizations/{id}/cop-request/simulate/{type}` answers with the
//! given outcome instead.

use crate::ids::OrganizationId;
use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::dispatch;
use crate::http::idempotency::{self, Answer, Idempotent, Outcome};
use crate::http::{ApiError, ApiResult, Caller, ok, path_id};
use crate::ids::{CopRequestId, LegalPersonKind, OrganizationKind};
use crate::roles::Permission;
use crate::store::Conn;
use crate::store::schema::{bank_accounts, cop_requests};
use crate::time::{self, Micros};
use crate::urls;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cop_requests, treat_none_as_default_value = false)]
pub struct CopRequestRow {
    pub id: CopRequestId,
    pub organization_id: OrganizationId,
    pub account: String,
    pub cop_response: String,
    pub created_at: Micros,
}

impl crate::access::Owned for CopRequestRow {
    type Kind = crate::ids::CopRequestKind;

    async fn find(
        conn: &mut Conn<'_>,
        id: &crate::ids::Id<crate::ids::CopRequestKind>,
    ) -> QueryResult<Option<Self>> {
        dispatch!(conn, c => cop_requests::table
            .find(id)
            .select(CopRequestRow::as_select())
            .first(c)
            .await
            .optional())
    }

    fn organization_id(&self) -> &crate::ids::OrganizationId {
        &self.organization_id
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct CopBody {
    account_number: String,
    bank_id: String,
    account_classification: String,
    name: String,
    requester_legal_person_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    secondary_reference_data: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct CopView {
    cop_request_url: String,
    account: Value,
    cop_response: Value,
}

pub fn view(row: &CopRequestRow) -> CopView {
    CopView {
        cop_request_url: urls::cop_request(&row.id),
        account: serde_json::from_str(&row.account).unwrap_or(Value::Null),
        cop_response: serde_json::from_str(&row.cop_response).unwrap_or(Value::Null),
    }
}

impl CopBody {
    fn check(&self) -> ApiResult<()> {
        crate::bank_accounts::check_account_details(&self.account_number, &self.bank_id, "")?;
        if self.account_classification != "personal" && self.account_classification != "business" {
            return Err(ApiError::invalid_body(
                "Invalid enum value",
                "`account-classification` must be personal or business.",
                "/account-classification",
            ));
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 140 {
            return Err(ApiError::invalid_body(
                "Invalid value",
                "`name` must be 1 to 140 characters.",
                "/name",
            ));
        }
        Ok(())
    }
}

fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The sandbox's answer for a name against an account holder (if the account is ours).
fn answer(name: &str, holder: Option<&str>) -> Value {
    let (given, lowered) = (normalized(name), name.trim().to_lowercase());
    match holder {
        Some(holder) => {
            let expected = normalized(holder);
            if given == expected {
                json!({"status": "verified", "result": "match"})
            } else if !given.is_empty() && (expected.contains(&given) || given.contains(&expected))
            {
                json!({"status": "unverified", "result": "close-match",
                       "reason": "close-match-name", "suggested-name": holder})
            } else {
                json!({"status": "unverified", "result": "no-match", "reason": "no-match-name"})
            }
        }
        None if lowered.starts_with("no match") => {
            json!({"status": "unverified", "result": "no-match", "reason": "no-match-name"})
        }
        None if lowered.starts_with("close match") => json!({
            "status": "unverified", "result": "close-match", "reason": "close-match-name",
            "suggested-name": name.trim().get("close match".len()..).unwrap_or("").trim(),
        }),
        None => json!({"status": "verified", "result": "match"}),
    }
}

/// The answer the simulation endpoint gives for each outcome Griffin lists.
fn simulated(kind: &str, body: &CopBody) -> Option<Value> {
    let close = |reason: &str| {
        json!({"status": "unverified", "result": "close-match", "reason": reason,
               "suggested-name": body.name})
    };
    let no = |reason: &str| json!({"status": "unverified", "result": "no-match", "reason": reason});
    Some(match kind {
        "full-match" => json!({"status": "verified", "result": "match"}),
        "close-match-name"
        | "close-match-name-business-personal"
        | "close-match-name-personal-business" => close(kind),
        "match-name-business-personal" | "match-name-personal-business" => {
            json!({"status": "unverified", "result": "match", "reason": kind})
        }
        "no-match-name" | "no-match-secondary-ref" | "account-switched" => no(kind),
        "account-not-found" => no("no-match-name"),
        "account-not-supported" => no("account-not-supported"),
        _ => return None,
    })
}

async fn record(
    state: &AppState,
    caller: &Caller,
    organization: &str,
    request: Idempotent<CopBody>,
    outcome: Option<Value>,
) -> ApiResult<HttpResponse> {
    let (body, key) = (request.body, request.key);
    body.check()?;
    let organization_id = path_id::<OrganizationKind>(organization)?;
    let requester =
        urls::parse::<LegalPersonKind>(&body.requester_legal_person_url, urls::LEGAL_PERSONS)
            .ok_or_else(|| {
                ApiError::invalid_body(
                    "Invalid value",
                    "Expected a legal person URL such as /v0/legal-persons/lp.….",
                    "/requester-legal-person-url",
                )
            })?;
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        caller
            .fresh_access(
                &mut conn,
                organization_id.as_str(),
                Permission::PaymentsCreate,
            )
            .await?;
        if let Some(taken) =
            idempotency::claim(&mut conn, key.as_ref(), organization_id.as_str()).await?
        {
            return Ok(taken);
        }
        if outcome.is_some() {
            let organization = crate::organizations::find(&mut conn, &organization_id)
                .await?
                .ok_or_else(ApiError::not_found)?;
            crate::simulation::require_test_mode(&organization)?;
        }
        let person = crate::legal_persons::find(&mut conn, &requester)
            .await?
            .filter(|p| p.organization_id == organization_id);
        if person.is_none() {
            return Err(ApiError::unprocessable(
                "legal-person-not-found",
                "The requester is not a legal person of this organization.",
            )
            .with_pointer("/requester-legal-person-url"));
        }
        let cop_response = match outcome {
            Some(outcome) => outcome,
            None => {
                let holder: Option<String> =
                    if body.bank_id == crate::bank_accounts::SANDBOX_BANK_ID {
                        dispatch!(&mut conn, c => bank_accounts::table
                        .filter(bank_accounts::organization_id.eq(organization_id.as_str()))
                        .filter(bank_accounts::account_number.eq(&body.account_number))
                        .select(bank_accounts::account_holder)
                        .first(c)
                        .await
                        .optional())?
                    } else {
                        None
                    };
                answer(&body.name, holder.as_deref())
            }
        };
        let row = CopRequestRow {
            id: CopRequestId::generate(),
            organization_id: organization_id.clone(),
            account: serde_json::to_string(&body).map_err(ApiError::internal)?,
            cop_response: cop_response.to_string(),
            created_at: time::now(),
        };
        dispatch!(&mut conn, c => diesel::insert_into(cop_requests::table)
            .values(&row)
            .execute(c)
            .await)?;
        let shown = view(&row);
        let answer = Answer::created(&shown.cop_request_url, &shown)?;
        idempotency::done(&mut conn, key.as_ref(), organization_id.as_str(), answer).await
    }
    .await;
    let outcome: Outcome = tx.finish(result).await?;
    idempotency::respond(&state.db, key.as_ref(), outcome).await
}

pub async fn find_many(
    conn: &mut Conn<'_>,
    ids: &[CopRequestId],
) -> QueryResult<Vec<CopRequestRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    dispatch!(conn, c => cop_requests::table
        .filter(cop_requests::id.eq_any(ids))
        .select(CopRequestRow::as_select())
        .load(c)
        .await)
}

/// `POST /v0/organizations/{organization-id}/cop-request`
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: Idempotent<CopBody>,
) -> ApiResult<HttpResponse> {
    record(&state, &caller, &path, request, None).await
}

/// `POST /v0/simulation/organizations/{organization-id}/cop-request/simulate/{cop-simulation-type}`
pub async fn simulate(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    request: Idempotent<CopBody>,
) -> ApiResult<HttpResponse> {
    let (organization, kind) = path.into_inner();
    let outcome = simulated(&kind, &request.body).ok_or_else(ApiError::not_found)?;
    record(&state, &caller, &organization, request, Some(outcome)).await
}

/// `GET /v0/cop-request/{cop-request-id}` (ours: Griffin links it without describing it).
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<CopRequestRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    Ok(ok(&view(&row)))
}
