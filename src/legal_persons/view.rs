//! A legal person as Griffin shows it, with its latest decision; and what lists of legal
//! persons side-load about their verifications.

use std::collections::BTreeMap;

use diesel::QueryResult;
use serde::Serialize;

use super::{ApplicationStatus, LegalPersonRow, LegalPersonStatus, LegalPersonType};
use crate::decisions::DecisionView;
use crate::error::{DomainError, DomainResult};
use crate::ids::{LegalPersonId, OrganizationId};
use crate::store::Conn;
use crate::time;
use crate::urls;
use crate::verifications::{self, RiskRatingEntry, VerificationView};

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct LegalPersonView {
    pub legal_person_url: String,
    pub legal_person_type: LegalPersonType,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_status: Option<ApplicationStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_person_status: Option<LegalPersonStatus>,
    pub status_changed_at: String,
    pub created_at: String,
    pub legal_person_claims_url: String,
    pub legal_person_verifications_url: String,
    pub legal_person_decisions_url: String,
    pub legal_person_documents_url: String,
    pub legal_person_bank_payees_url: String,
    /// The rating of the latest verification that gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_risk_rating_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_decision: Option<DecisionView>,
}

impl LegalPersonView {
    pub fn new(row: LegalPersonRow, latest_decision: Option<DecisionView>) -> Self {
        let id = row.id;
        let url = urls::legal_person(&id);
        LegalPersonView {
            legal_person_claims_url: format!("{url}/claims"),
            legal_person_verifications_url: format!("{url}/verifications"),
            legal_person_decisions_url: format!("{url}/decisions"),
            legal_person_documents_url: format!("{url}/documents"),
            legal_person_bank_payees_url: format!("{url}/bank/payees"),
            legal_person_url: url,
            legal_person_type: row.legal_person_type,
            display_name: row.display_name,
            legal_name: row.legal_name,
            application_status: row.application_status,
            legal_person_status: row.legal_person_status,
            status_changed_at: time::format(row.status_changed_at),
            created_at: time::format(row.created_at),
            latest_risk_rating_url: None,
            latest_decision,
        }
    }
}

/// The views of `rows`, each with its latest decision and latest risk rating (one query
/// for each, for all).
pub async fn views(
    conn: &mut Conn<'_>,
    rows: Vec<LegalPersonRow>,
) -> QueryResult<Vec<LegalPersonView>> {
    let ids: Vec<LegalPersonId> = rows.iter().map(|r| r.id.clone()).collect();
    let mut latest = crate::decisions::latest_for(conn, &ids).await?;
    let ratings = verifications::latest_rated_for(conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let decision = latest.remove(&row.id);
            let rating = ratings.iter().find(|v| v.legal_person_id == row.id);
            let mut view = LegalPersonView::new(row, decision);
            view.latest_risk_rating_url = rating
                .and_then(RiskRatingEntry::of)
                .map(|e| e.risk_rating_url);
            view
        })
        .collect())
}

/// The view of one legal person.
pub async fn view(conn: &mut Conn<'_>, row: LegalPersonRow) -> DomainResult<LegalPersonView> {
    views(conn, vec![row])
        .await?
        .pop()
        .ok_or(DomainError::NotFound)
}

/// What `include=latest-verification|latest-risk-rating` side-loads for legal persons
/// (listed, or members of a pooled account): their latest verification, and the risk
/// rating their latest rated verification gave (which a verification in progress since
/// does not hide).
#[derive(Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub struct Included {
    #[serde(skip_serializing_if = "Option::is_none")]
    verifications: Option<Vec<VerificationView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    risk_rating_entries: Option<Vec<RiskRatingEntry>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    company_roles: Option<Vec<CompanyRoles>>,
}

impl Included {
    /// The same, with the company roles `include=company-roles` side-loads.
    pub fn with_company_roles(mut self, company_roles: Vec<CompanyRoles>) -> Self {
        self.company_roles = Some(company_roles);
        self
    }
}

/// Griffin's `included.company-roles` entry: the roles a legal person holds in companies,
/// keyed by the company's legal person URL (`{"/v0/legal-persons/lp.…": ["director"]}`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct CompanyRoles {
    legal_person_url: String,
    individual_company_roles: BTreeMap<String, Vec<&'static str>>,
}

/// What `include=company-roles` side-loads for these legal persons: for each that a
/// corporation of the organization names as a director or a person with significant
/// control, its roles in each such corporation (the claim types that name it). Legal persons
/// without a role have no entry.
pub async fn company_roles(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    legal_person_ids: &[LegalPersonId],
) -> QueryResult<Vec<CompanyRoles>> {
    let claims =
        crate::claims::naming_related_parties(conn, organization_id, legal_person_ids).await?;
    let mut roles: BTreeMap<&LegalPersonId, BTreeMap<String, Vec<&'static str>>> = BTreeMap::new();
    for (claim, named) in &claims {
        let held = roles
            .entry(named)
            .or_default()
            .entry(urls::legal_person(&claim.legal_person_id))
            .or_default();
        if !held.contains(&claim.claim_type.as_str()) {
            held.push(claim.claim_type.as_str());
        }
    }
    // In the order the page lists the legal persons.
    Ok(legal_person_ids
        .iter()
        .filter_map(|id| {
            roles.remove(id).map(|companies| CompanyRoles {
                legal_person_url: urls::legal_person(id),
                individual_company_roles: companies,
            })
        })
        .collect())
}

/// [`Included`] for these legal persons, as far as `includes` asks (no query if it asks
/// for neither).
pub async fn verification_includes(
    conn: &mut Conn<'_>,
    includes: &[&str],
    legal_person_ids: &[LegalPersonId],
) -> QueryResult<Included> {
    if !includes.contains(&"latest-verification") && !includes.contains(&"latest-risk-rating") {
        return Ok(Included::default());
    }
    let verifications = if includes.contains(&"latest-verification") {
        let latest = verifications::latest_for(conn, legal_person_ids).await?;
        Some(latest.iter().map(VerificationView::new).collect())
    } else {
        None
    };
    let risk_rating_entries = if includes.contains(&"latest-risk-rating") {
        let rated = verifications::latest_rated_for(conn, legal_person_ids).await?;
        Some(rated.iter().filter_map(RiskRatingEntry::of).collect())
    } else {
        None
    };
    Ok(Included {
        verifications,
        risk_rating_entries,
        company_roles: None,
    })
}
