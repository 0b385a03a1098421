//! Claims: what a customer states about a legal person — identity, residence, company
//! register entry, directors, … — before any verification. Every claim type of Griffin's
//! contract is accepted and validated against the contract's own schema for it
//! (`schemas.json`); claims that name other legal persons (`director`,
//! `person-with-significant-control`, …) must name legal persons of the same organization.

pub mod handlers;
pub mod validate;

use crate::ids::{LegalPersonId, OrganizationId};
use std::collections::BTreeMap;
use std::sync::OnceLock;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Map, Value};

use crate::dispatch;
use crate::ids::{ClaimId, LegalPersonKind};
use crate::paginate;
use crate::paging::Cursor;
use crate::paging::{Page, PageRequest};
use crate::store::Conn;
use crate::store::schema::{claims, legal_persons};
use crate::time::{self, Micros};
use crate::urls;
use validate::Problem;

pub const UNVERIFIED: &str = "unverified";
pub const VERIFIED: &str = "verified";

/// Claim type → its request schema, from Griffin's contract.
fn schemas() -> &'static BTreeMap<String, Value> {
    static SCHEMAS: OnceLock<BTreeMap<String, Value>> = OnceLock::new();
    SCHEMAS.get_or_init(|| serde_json::from_str(include_str!("schemas.json")).unwrap_or_default())
}

pub fn claim_types() -> impl Iterator<Item = &'static str> {
    schemas().keys().map(String::as_str)
}

/// A claim that passed validation.
#[derive(Debug, Clone)]
pub struct ValidClaim {
    pub claim_type: String,
    pub body: Map<String, Value>,
}

/// Validates one claim of a request; `pointer` is where it sits (`/claims/2`, or empty).
pub fn check(value: &Value, pointer: &str) -> Result<ValidClaim, Problem> {
    let Some(body) = value.as_object() else {
        return Err(Problem {
            title: "Incorrect type",
            detail: "A claim is an object.".to_string(),
            pointer: pointer.to_string(),
        });
    };
    let type_pointer = format!("{pointer}/claim-type");
    let claim_type = match body.get("claim-type") {
        None => {
            return Err(Problem {
                title: "Missing field",
                detail: "`claim-type` is required.".to_string(),
                pointer: type_pointer,
            });
        }
        Some(Value::String(name)) => name.clone(),
        Some(_) => {
            return Err(Problem {
                title: "Incorrect type",
                detail: "`claim-type` is a string.".to_string(),
                pointer: type_pointer,
            });
        }
    };
    let schema = schemas().get(&claim_type).ok_or_else(|| Problem {
        title: "Invalid enum value",
        detail: format!("Unknown claim type {claim_type:?}."),
        pointer: type_pointer,
    })?;
    validate::validate(schema, value, pointer)?;
    Ok(ValidClaim {
        claim_type,
        body: body.clone(),
    })
}

/// The claim types that point to another legal person, through `legal-person-url`.
pub fn references(claim: &ValidClaim) -> Option<&str> {
    claim.body.get("legal-person-url").and_then(Value::as_str)
}

/// Whether `url` names a legal person of the organization.
pub async fn refers_within(
    conn: &mut Conn<'_>,
    url: &str,
    organization_id: &OrganizationId,
) -> QueryResult<bool> {
    let Some(id) = urls::parse::<LegalPersonKind>(url, "/v0/legal-persons") else {
        return Ok(false);
    };
    let found: Option<String> = dispatch!(conn, c => legal_persons::table
        .find(id.as_str())
        .filter(legal_persons::organization_id.eq(organization_id))
        .select(legal_persons::id)
        .first(c)
        .await
        .optional())?;
    Ok(found.is_some())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = claims, treat_none_as_default_value = false)]
pub struct ClaimRow {
    pub id: ClaimId,
    pub legal_person_id: LegalPersonId,
    pub organization_id: OrganizationId,
    pub claim_type: String,
    pub body: String,
    pub verification_status: String,
    pub created_at: Micros,
}

impl crate::access::Owned for ClaimRow {
    type Kind = crate::ids::ClaimKind;

    async fn find(
        conn: &mut Conn<'_>,
        id: &crate::ids::Id<crate::ids::ClaimKind>,
    ) -> QueryResult<Option<Self>> {
        dispatch!(conn, c => claims::table
            .find(id)
            .select(ClaimRow::as_select())
            .first(c)
            .await
            .optional())
    }

    fn organization_id(&self) -> &crate::ids::OrganizationId {
        &self.organization_id
    }
}

pub async fn insert(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
    organization_id: &OrganizationId,
    claim: &ValidClaim,
) -> QueryResult<ClaimRow> {
    let row = ClaimRow {
        id: ClaimId::generate(),
        legal_person_id: legal_person_id.clone(),
        organization_id: organization_id.clone(),
        claim_type: claim.claim_type.clone(),
        body: Value::Object(claim.body.clone()).to_string(),
        verification_status: UNVERIFIED.to_string(),
        created_at: time::now(),
    };
    dispatch!(conn, c => diesel::insert_into(claims::table).values(&row).execute(c).await)?;
    Ok(row)
}

pub async fn delete(conn: &mut Conn<'_>, id: &str) -> QueryResult<()> {
    dispatch!(conn, c => diesel::delete(claims::table.find(id)).execute(c).await)?;
    Ok(())
}

/// All claims of a legal person, oldest first.
pub async fn all_of(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
) -> QueryResult<Vec<ClaimRow>> {
    dispatch!(conn, c => claims::table
        .filter(claims::legal_person_id.eq(legal_person_id))
        .order((claims::created_at.asc(), claims::id.asc()))
        .select(ClaimRow::as_select())
        .load(c)
        .await)
}

pub async fn list(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
    verification_status: Option<&str>,
    page: &PageRequest,
) -> QueryResult<Page<ClaimRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = claims::table
            .filter(claims::legal_person_id.eq(legal_person_id))
            .select(ClaimRow::as_select())
            .into_boxed();
        if let Some(status) = verification_status {
            query = query.filter(claims::verification_status.eq(status));
        }
        paginate!(query, claims::created_at, claims::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, |row| {
        Cursor::new(row.created_at, &row.id)
    }))
}

/// The legal name the claims give: an individual's names from their latest
/// `individual-identity`; a company's registered name from its latest `uk-company-register`
/// or `entity-name`.
pub fn legal_name(rows: &[ClaimRow]) -> Option<String> {
    rows.iter().rev().find_map(|row| {
        let body: Value = serde_json::from_str(&row.body).ok()?;
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
        match row.claim_type.as_str() {
            "individual-identity" => {
                let names: Vec<String> = ["given-name", "middle-name", "surname"]
                    .iter()
                    .filter_map(|key| text(key))
                    .collect();
                Some(names.join(" "))
            }
            "uk-company-register" | "entity-name" => text("entity-name"),
            _ => None,
        }
    })
}

/// A claim as Griffin shows it: its body, plus where it lives and when it was made.
pub fn view(row: &ClaimRow) -> Value {
    let mut body = match serde_json::from_str::<Value>(&row.body) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    body.insert(
        "claim-url".to_string(),
        Value::String(format!("/v0/claims/{}", row.id)),
    );
    body.insert(
        "created-at".to_string(),
        Value::String(time::format(row.created_at)),
    );
    body.insert(
        "verification-status".to_string(),
        Value::String(row.verification_status.clone()),
    );
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_contract_claim_type_is_known() {
        assert_eq!(claim_types().count(), 71);
    }

    #[test]
    fn checks_claims() {
        let identity = json!({"claim-type": "individual-identity", "given-name": "Ada",
            "surname": "Lovelace", "date-of-birth": "1815-12-10"});
        assert!(check(&identity, "/claims/0").is_ok());
        let unknown = check(&json!({"claim-type": "horoscope"}), "/claims/1").unwrap_err();
        assert_eq!(
            (unknown.title, unknown.pointer.as_str()),
            ("Invalid enum value", "/claims/1/claim-type")
        );
        let bad_date = check(
            &json!({"claim-type": "individual-identity", "given-name": "A",
            "surname": "B", "date-of-birth": "10/12/1815"}),
            "/claims/2",
        )
        .unwrap_err();
        assert_eq!(bad_date.pointer, "/claims/2/date-of-birth");
        let phone = check(
            &json!({"claim-type": "mobile-number", "mobile-number": "not a number"}),
            "",
        )
        .unwrap_err();
        assert_eq!(phone.pointer, "/mobile-number");
        let residence = check(
            &json!({"claim-type": "individual-residence", "country-code": "GB",
            "street-name": "Argyle Street", "city": "London", "postal-code": "EC2V 9AN"}),
            "",
        )
        .unwrap_err();
        assert_eq!(residence.title, "Missing field", "{residence:?}");
        assert!(
            check(
                &json!({"claim-type": "individual-residence", "country-code": "GB",
            "building-number": "12", "street-name": "Argyle Street", "city": "London",
            "postal-code": "EC2V 9AN"}),
                ""
            )
            .is_ok()
        );
    }
}
