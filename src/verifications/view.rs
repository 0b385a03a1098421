//! A verification as Griffin shows it, and what it checked: the profiles of the people it
//! verified and its checks.

use serde::Serialize;
use serde_json::Value;

use super::{RiskRating, VerificationRow, VerificationStatus};
use crate::claims;
use crate::error::{DomainError, DomainResult};
use crate::legal_persons::{self, LegalPersonRow, LegalPersonType};
use crate::store::Conn;
use crate::time;
use crate::urls;

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct VerificationView {
    pub verification_url: String,
    pub verification_status: VerificationStatus,
    pub legal_person_url: String,
    pub workflow_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_rating: Option<RiskRating>,
    pub created_at: String,
    pub updated_at: String,
    pub verification_checks_url: String,
    pub verification_profiles_url: String,
    pub verification_resources_url: String,
}

impl VerificationView {
    pub fn new(row: &VerificationRow) -> Self {
        let url = urls::verification(&row.id);
        VerificationView {
            verification_checks_url: format!("{url}/checks"),
            verification_profiles_url: format!("{url}/profiles"),
            verification_resources_url: format!("{url}/resources"),
            verification_url: url,
            verification_status: row.verification_status,
            legal_person_url: urls::legal_person(&row.legal_person_id),
            workflow_url: urls::workflow(&row.workflow_id),
            risk_rating: row.risk_rating,
            created_at: time::format(row.created_at),
            updated_at: time::format(row.updated_at),
        }
    }
}

/// Griffin's risk-rating entry: the rating a verification gave a legal person. Its URL
/// (`/v0/risk-ratings/rr.…`) has the verification's 16 bytes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RiskRatingEntry {
    pub risk_rating_url: String,
    pub risk_rating: RiskRating,
    pub legal_person_url: String,
    pub verification_url: String,
}

impl RiskRatingEntry {
    /// The rating `row` gave, if it gave one.
    pub fn of(row: &VerificationRow) -> Option<Self> {
        Some(RiskRatingEntry {
            risk_rating_url: urls::risk_rating(&super::risk_rating_id(&row.id)?),
            risk_rating: row.risk_rating?,
            legal_person_url: urls::legal_person(&row.legal_person_id),
            verification_url: urls::verification(&row.id),
        })
    }
}

/// A person verified, with the claims made about them now.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Profile {
    display_name: String,
    legal_person_url: String,
    legal_person_type: LegalPersonType,
    current_claims: Vec<Value>,
}

impl Profile {
    async fn of(conn: &mut Conn<'_>, person: LegalPersonRow) -> DomainResult<Profile> {
        let claims = claims::all_of(conn, &person.id).await?;
        Ok(Profile {
            legal_person_url: urls::legal_person(&person.id),
            display_name: person.display_name,
            legal_person_type: person.legal_person_type,
            current_claims: claims.iter().map(claims::view).collect(),
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Profiles {
    verification_subject_profile: Profile,
    verification_related_party_profiles: Vec<Profile>,
}

/// The verification's subject and its related parties (directors, persons with significant
/// control) with their current claims.
pub async fn profiles(
    conn: &mut Conn<'_>,
    verification: &VerificationRow,
) -> DomainResult<Profiles> {
    let subject = legal_persons::find(conn, &verification.legal_person_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let own_claims = claims::all_of(conn, &subject.id).await?;
    let mut related = Vec::new();
    for id in super::related_people(&own_claims) {
        if let Some(person) = legal_persons::find(conn, &id).await? {
            related.push(Profile::of(conn, person).await?);
        }
    }
    Ok(Profiles {
        verification_subject_profile: Profile::of(conn, subject).await?,
        verification_related_party_profiles: related,
    })
}

crate::text_enum! {
    pub enum CheckStatus {
        Pending = "pending",
        Passed = "passed",
    }
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Check {
    check_type: &'static str,
    claim_type: &'static str,
    check_status: CheckStatus,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Checks {
    verification_url: String,
    verification_checks: Vec<Check>,
}

impl Checks {
    /// One check per claim the workflow needs of the subject, `passed` once the checks are
    /// complete (the sandbox passes them all).
    pub fn new(verification: &VerificationRow) -> Self {
        let status = if verification.verification_status == VerificationStatus::ChecksComplete {
            CheckStatus::Passed
        } else {
            CheckStatus::Pending
        };
        let verification_checks = verification
            .workflow()
            .map(|w| w.subject_requirements())
            .unwrap_or(&[])
            .iter()
            .map(|claim_type| Check {
                check_type: "claim",
                claim_type,
                check_status: status,
            })
            .collect();
        Checks {
            verification_url: urls::verification(&verification.id),
            verification_checks,
        }
    }
}
