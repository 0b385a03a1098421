//! Claims: what a customer states about a legal person — identity, residence, company
//! register entry, directors, … — before any verification. Every claim type of Griffin's
//! contract is accepted and validated against the contract's own schema for it
//! (`schemas.json`); claims that name other legal persons (`director`,
//! `person-with-significant-control`, …) must name legal persons of the same organization.

pub mod claim_type;
pub mod handlers;
pub mod validate;
pub mod view;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Map, Value};

use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{ClaimId, LegalPersonId, LegalPersonKind, OrganizationId};
use crate::legal_persons::{self, LegalPersonRow};
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::store::schema::{claims, legal_persons as persons};
use crate::store::{Conn, PreparedExt};
use crate::time::{self, Micros};
use crate::urls;
use validate::Problem;

pub use claim_type::ClaimType;
pub use view::view;

crate::text_enum! {
    /// Whether a verification the organization accepted has checked the claim.
    pub enum ClaimStatus {
        Unverified = "unverified",
        Verified = "verified",
    }
}

/// Claim type → its request schema, from Griffin's contract.
fn schemas() -> &'static BTreeMap<String, Value> {
    static SCHEMAS: OnceLock<BTreeMap<String, Value>> = OnceLock::new();
    SCHEMAS.get_or_init(|| serde_json::from_str(include_str!("schemas.json")).unwrap_or_default())
}

/// A claim of a request, checked against its type's schema.
#[derive(Debug, Clone)]
pub struct NewClaim {
    pub claim_type: ClaimType,
    pub body: Map<String, Value>,
    /// Where the request carried it (`/claims/2`, or empty), for refusals that concern it.
    pub pointer: String,
}

impl NewClaim {
    /// The claim `value` of a request, found at `pointer`; 400 at the first problem.
    pub fn parse(value: &Value, pointer: &str) -> DomainResult<NewClaim> {
        check(value, pointer).map_err(DomainError::from)
    }

    /// The claims of a request; `base` is where they sit (`/claims`).
    pub fn parse_all(values: &[Value], base: &str) -> DomainResult<Vec<NewClaim>> {
        values
            .iter()
            .enumerate()
            .map(|(i, value)| NewClaim::parse(value, &format!("{base}/{i}")))
            .collect()
    }

    /// The legal person the claim names, through `legal-person-url`, if any.
    pub fn references(&self) -> Option<&str> {
        self.body.get("legal-person-url").and_then(Value::as_str)
    }
}

/// Validates one claim of a request; `pointer` is where it sits (`/claims/2`, or empty).
pub fn check(value: &Value, pointer: &str) -> Result<NewClaim, Problem> {
    let Some(body) = value.as_object() else {
        return Err(Problem {
            title: "Incorrect type",
            detail: "A claim is an object.".to_string(),
            pointer: pointer.to_string(),
        });
    };
    let type_pointer = format!("{pointer}/claim-type");
    let name = match body.get("claim-type") {
        None => {
            return Err(Problem {
                title: "Missing field",
                detail: "`claim-type` is required.".to_string(),
                pointer: type_pointer,
            });
        }
        Some(Value::String(name)) => name,
        Some(_) => {
            return Err(Problem {
                title: "Incorrect type",
                detail: "`claim-type` is a string.".to_string(),
                pointer: type_pointer,
            });
        }
    };
    let known = ClaimType::parse(name).zip(schemas().get(name.as_str()));
    let Some((claim_type, schema)) = known else {
        return Err(Problem {
            title: "Invalid enum value",
            detail: format!("Unknown claim type {name:?}."),
            pointer: type_pointer,
        });
    };
    validate::validate(schema, value, pointer)?;
    Ok(NewClaim {
        claim_type,
        body: body.clone(),
        pointer: pointer.to_string(),
    })
}

/// Whether `url` names a legal person of the organization.
pub async fn refers_within(
    conn: &mut Conn<'_>,
    url: &str,
    organization_id: &OrganizationId,
) -> QueryResult<bool> {
    let Some(id) = urls::parse::<LegalPersonKind>(url, urls::LEGAL_PERSONS) else {
        return Ok(false);
    };
    let found: Option<LegalPersonId> = dispatch!(conn, c => persons::table
        .find(&id)
        .filter(persons::organization_id.eq(organization_id))
        .select(persons::id)
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
    pub claim_type: ClaimType,
    pub body: String,
    pub verification_status: ClaimStatus,
    pub created_at: Micros,
}

impl crate::access::Owned for ClaimRow {
    type Kind = crate::ids::ClaimKind;

    async fn find(conn: &mut Conn<'_>, id: &ClaimId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

pub async fn find(conn: &mut Conn<'_>, id: &ClaimId) -> QueryResult<Option<ClaimRow>> {
    dispatch!(conn, c => claims::table
        .find(id)
        .select(ClaimRow::as_select())
        .first(c)
        .await
        .optional())
}

pub async fn insert(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
    organization_id: &OrganizationId,
    claim: &NewClaim,
) -> QueryResult<ClaimRow> {
    let row = ClaimRow {
        id: ClaimId::generate(),
        legal_person_id: legal_person_id.clone(),
        organization_id: organization_id.clone(),
        claim_type: claim.claim_type,
        body: Value::Object(claim.body.clone()).to_string(),
        verification_status: ClaimStatus::Unverified,
        created_at: time::now(),
    };
    dispatch!(conn, c => diesel::insert_into(claims::table).values(&row).execute(c).await)?;
    Ok(row)
}

pub async fn delete(conn: &mut Conn<'_>, id: &ClaimId) -> QueryResult<()> {
    dispatch!(conn, c => diesel::delete(claims::table.find(id)).execute(c).await)?;
    Ok(())
}

/// Marks verified the legal person's claims made up to `made_by` (those a verification
/// started then has checked).
pub async fn mark_verified(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
    made_by: Micros,
) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(
            claims::table
                .filter(claims::legal_person_id.eq(legal_person_id))
                .filter(claims::created_at.le(made_by)),
        )
        .set(claims::verification_status.eq(ClaimStatus::Verified))
        .prepared()
        .execute(c)
        .await)?;
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

/// The claims of the organization that name one of `legal_person_ids` as a related party
/// (a director or a person with significant control of the corporation that carries the
/// claim), each with the legal person it names.
pub async fn naming_related_parties(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    legal_person_ids: &[LegalPersonId],
) -> QueryResult<Vec<(ClaimRow, LegalPersonId)>> {
    if legal_person_ids.is_empty() {
        return Ok(Vec::new());
    }
    let types = [ClaimType::Director, ClaimType::PersonWithSignificantControl];
    let rows: Vec<ClaimRow> = dispatch!(conn, c => {
        // The body names the person by URL: a LIKE on each id narrows the claims (`_` in an
        // id matches any character, so the match is made exact below).
        let mut query = claims::table.select(ClaimRow::as_select()).into_boxed();
        for id in legal_person_ids {
            query = query.or_filter(claims::body.like(format!("%{}%", id.as_str())));
        }
        query
            .filter(claims::organization_id.eq(organization_id))
            .filter(claims::claim_type.eq_any(types))
            .order((claims::created_at.asc(), claims::id.asc()))
            .load(c)
            .await
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let named = serde_json::from_str::<Value>(&row.body).ok()?;
            let url = named.get("legal-person-url")?.as_str()?;
            let id = urls::parse::<LegalPersonKind>(url, urls::LEGAL_PERSONS)?;
            legal_person_ids.contains(&id).then_some((row, id))
        })
        .collect())
}

pub async fn list(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
    verification_status: Option<ClaimStatus>,
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
        Cursor::new(row.created_at, row.id.as_str())
    }))
}

/// The legal name the claims give: an individual's names from their latest
/// `individual-identity`; a company's registered name from its latest `uk-company-register`
/// or `entity-name`.
pub fn legal_name(rows: &[ClaimRow]) -> Option<String> {
    rows.iter().rev().find_map(|row| {
        let body: Value = serde_json::from_str(&row.body).ok()?;
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
        match row.claim_type {
            ClaimType::IndividualIdentity => {
                let names: Vec<String> = ["given-name", "middle-name", "surname"]
                    .iter()
                    .filter_map(|key| text(key))
                    .collect();
                Some(names.join(" "))
            }
            ClaimType::UkCompanyRegister | ClaimType::EntityName => text("entity-name"),
            _ => None,
        }
    })
}

/// Adds claims to a legal person, in the write's transaction: claims naming other legal
/// persons must name ones of the same organization. The legal name follows.
pub async fn add(
    conn: &mut Conn<'_>,
    legal_person: &LegalPersonRow,
    claims: &[NewClaim],
) -> DomainResult<Vec<ClaimRow>> {
    let mut rows = Vec::with_capacity(claims.len());
    for claim in claims {
        if let Some(url) = claim.references()
            && !refers_within(conn, url, &legal_person.organization_id).await?
        {
            return Err(DomainError::unprocessable(
                "legal-person-not-in-organization",
                format!("{url} is not a legal person of this organization."),
            )
            .at(format!("{}/legal-person-url", claim.pointer)));
        }
        rows.push(insert(conn, &legal_person.id, &legal_person.organization_id, claim).await?);
    }
    refresh_legal_name(conn, &legal_person.id).await?;
    Ok(rows)
}

/// Adds one claim to a legal person.
pub async fn create(
    conn: &mut Conn<'_>,
    legal_person: &LegalPersonRow,
    claim: NewClaim,
) -> DomainResult<ClaimRow> {
    add(conn, legal_person, std::slice::from_ref(&claim))
        .await?
        .pop()
        .ok_or(DomainError::NotFound)
}

/// Withdraws a claim; the legal name follows.
pub async fn remove(conn: &mut Conn<'_>, claim: &ClaimRow) -> DomainResult<()> {
    delete(conn, &claim.id).await?;
    refresh_legal_name(conn, &claim.legal_person_id).await?;
    Ok(())
}

async fn refresh_legal_name(
    conn: &mut Conn<'_>,
    legal_person_id: &LegalPersonId,
) -> QueryResult<()> {
    let all = all_of(conn, legal_person_id).await?;
    legal_persons::set_legal_name(conn, legal_person_id, legal_name(&all).as_deref()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_contract_claim_type_is_known() {
        let names: Vec<&str> = ClaimType::ALL.iter().map(|t| t.as_str()).collect();
        let schema_names: Vec<&str> = schemas().keys().map(String::as_str).collect();
        assert_eq!(names, schema_names);
        assert_eq!(names.len(), 71);
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
