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

pub mod handlers;
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use serde_json::{Value, json};

use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{CopRequestId, LegalPersonId, OrganizationId};
use crate::organizations::OrganizationRow;
use crate::store::Conn;
use crate::store::schema::{bank_accounts, cop_requests};
use crate::time::{self, Micros};

pub use view::CopView;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cop_requests, treat_none_as_default_value = false)]
pub struct CopRequestRow {
    pub id: CopRequestId,
    pub organization_id: OrganizationId,
    /// The account asked about, as the request gave it (JSON).
    pub account: String,
    /// The answer (JSON).
    pub cop_response: String,
    pub created_at: Micros,
}

impl crate::access::Owned for CopRequestRow {
    type Kind = crate::ids::CopRequestKind;

    async fn find(conn: &mut Conn<'_>, id: &CopRequestId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

crate::text_enum! {
    pub enum AccountClassification {
        Personal = "personal",
        Business = "business",
    }
}

/// What a CoP request asks about, checked; stored as given.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct CopQuestion {
    pub account_number: String,
    pub bank_id: String,
    pub account_classification: AccountClassification,
    pub name: String,
    pub requester_legal_person_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_reference_data: Option<String>,
    #[serde(skip)]
    pub requester: LegalPersonId,
}

pub async fn find(conn: &mut Conn<'_>, id: &CopRequestId) -> QueryResult<Option<CopRequestRow>> {
    dispatch!(conn, c => cop_requests::table
        .find(id)
        .select(CopRequestRow::as_select())
        .first(c)
        .await
        .optional())
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

/// The answer the simulation endpoint gives for each outcome Griffin lists; `None` for a
/// kind Griffin does not list.
pub fn simulated(kind: &str, name: &str) -> Option<Value> {
    let close = |reason: &str| {
        json!({"status": "unverified", "result": "close-match", "reason": reason,
               "suggested-name": name})
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

/// Records a CoP request of the organization with its answer: `simulated` (test mode only),
/// or the sandbox's own. The requester must be a legal person of the organization.
pub async fn record(
    conn: &mut Conn<'_>,
    organization: &OrganizationRow,
    question: &CopQuestion,
    simulated: Option<Value>,
) -> DomainResult<CopRequestRow> {
    if simulated.is_some() {
        crate::simulation::require_test_mode(organization)?;
    }
    let person = crate::legal_persons::find(conn, &question.requester)
        .await?
        .filter(|p| p.organization_id == organization.id);
    if person.is_none() {
        return Err(DomainError::unprocessable(
            "legal-person-not-found",
            "The requester is not a legal person of this organization.",
        )
        .at("/requester-legal-person-url"));
    }
    let cop_response = match simulated {
        Some(outcome) => outcome,
        None => {
            let holder = own_account_holder(conn, &organization.id, question).await?;
            answer(&question.name, holder.as_deref())
        }
    };
    let row = CopRequestRow {
        id: CopRequestId::generate(),
        organization_id: organization.id.clone(),
        account: serde_json::to_string(question)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?,
        cop_response: cop_response.to_string(),
        created_at: time::now(),
    };
    dispatch!(conn, c => diesel::insert_into(cop_requests::table)
        .values(&row)
        .execute(c)
        .await)?;
    Ok(row)
}

/// The holder of the organization's own account the question names, if it is one.
async fn own_account_holder(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    question: &CopQuestion,
) -> QueryResult<Option<String>> {
    if question.bank_id != crate::bank_accounts::SANDBOX_BANK_ID {
        return Ok(None);
    }
    dispatch!(conn, c => bank_accounts::table
        .filter(bank_accounts::organization_id.eq(organization_id))
        .filter(bank_accounts::account_number.eq(&question.account_number))
        .select(bank_accounts::account_holder)
        .first(c)
        .await
        .optional())
}
