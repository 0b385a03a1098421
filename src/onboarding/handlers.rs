//! `/v0/onboarding/applications/…`, and the applications of an organization.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Application, ApplicationRow, ApplicationView, MAX_RELATED};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::claims::NewClaim;
use crate::http::url_id;
use crate::http::{ApiError, ApiResult, Json, ok, path_id};
use crate::ids::{LegalPersonId, OnboardingApplicationKind, OrganizationKind};
use crate::legal_persons::DisplayName;
use crate::organizations::OrganizationRow;
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::idempotency::Reply;
use crate::urls;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Profile {
    display_name: String,
    #[serde(default)]
    claims: Vec<Value>,
}

impl Profile {
    /// The profile found at `base` in the request.
    fn parse(self, base: &str) -> ApiResult<super::Profile> {
        let display_name =
            DisplayName::parse_at(self.display_name, format!("{base}/display-name"))?;
        let claims = NewClaim::parse_all(&self.claims, &format!("{base}/claims"))?;
        Ok(super::Profile {
            display_name,
            claims,
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub struct Association {
    director: Option<Value>,
    psc: Option<Psc>,
    governing_body_member: Option<Value>,
    senior_manager_function_holder: Option<Value>,
    role_titles: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Psc {
    ownership_percent: String,
}

impl Association {
    /// The claims on the subject that tie the related person at `person_url` to it.
    fn claims(&self, person_url: &str) -> Vec<Value> {
        let mut out = Vec::new();
        if self.director.is_some() {
            out.push(json!({"claim-type": "director", "legal-person-url": person_url}));
        }
        if let Some(psc) = &self.psc {
            out.push(json!({"claim-type": "person-with-significant-control",
                "legal-person-url": person_url, "ownership-percent": psc.ownership_percent}));
        }
        if self.governing_body_member.is_some() {
            out.push(
                json!({"claim-type": "governing-body-member", "legal-person-url": person_url}),
            );
        }
        if self.senior_manager_function_holder.is_some() {
            out.push(json!({"claim-type": "senior-manager-function-holder",
                "legal-person-url": person_url}));
        }
        if let Some(titles) = &self.role_titles {
            out.push(
                json!({"claim-type": "role-titles", "legal-person-url": person_url,
                "role-titles": titles}),
            );
        }
        out
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RelatedProfile {
    display_name: String,
    #[serde(default)]
    claims: Vec<Value>,
    #[serde(default)]
    subject_association: Association,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Apply {
    workflow_url: String,
    subject_profile: Profile,
    #[serde(default)]
    related_profiles: Vec<RelatedProfile>,
}

impl Apply {
    fn parse(self) -> ApiResult<Application> {
        let workflow_id = url_id(
            &self.workflow_url,
            urls::WORKFLOWS,
            "workflow",
            "/workflow-url",
        )?;
        let subject = self.subject_profile.parse("/subject-profile")?;
        if self.related_profiles.len() > MAX_RELATED {
            return Err(ApiError::invalid_body(
                "Invalid value",
                format!("At most {MAX_RELATED} related profiles."),
                "/related-profiles",
            ));
        }
        let mut profiles = Vec::with_capacity(self.related_profiles.len());
        let mut associations = Vec::with_capacity(self.related_profiles.len());
        for (i, related) in self.related_profiles.into_iter().enumerate() {
            let profile = Profile {
                display_name: related.display_name,
                claims: related.claims,
            };
            profiles.push(profile.parse(&format!("/related-profiles/{i}"))?);
            associations.push(related.subject_association);
        }
        let mut related = Vec::with_capacity(profiles.len());
        for (i, (profile, association)) in profiles.into_iter().zip(associations).enumerate() {
            let id = LegalPersonId::generate();
            let pointer = format!("/related-profiles/{i}/subject-association");
            let ties = association
                .claims(&urls::legal_person(&id))
                .iter()
                .map(|value| NewClaim::parse(value, &pointer))
                .collect::<Result<_, _>>()?;
            related.push(super::RelatedProfile { id, profile, ties });
        }
        Ok(Application {
            workflow_id,
            subject,
            related,
        })
    }
}

/// `POST /v0/organizations/{organization-id}/onboarding/applications` (`legal-persons:write`):
/// one of the reliance workflows; everything the workflow needs must be in the request.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<Apply>,
) -> ApiResult<Reply> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let application = body.parse()?;
    let now = state.clock.now();
    let step = state.settings.verification_step_micros();
    let reply = Write::new(&caller, Permission::LegalPersonsWrite)
        .run(
            &state.db,
            &organization_id,
            async |conn, granted: Granted<OrganizationRow>| {
                let row = super::apply(conn, &granted.resource, application, now, step).await?;
                let view = ApplicationView::new(&row);
                Reply::created(&view.onboarding_application_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

/// `GET /v0/onboarding/applications/{onboarding-application-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<OnboardingApplicationKind>(&path)?;
    let mut conn = state.db.read().await?;
    let row: ApplicationRow = caller.read(&mut conn.conn(), &id, Permission::Read).await?;
    Ok(ok(&ApplicationView::new(&row)))
}
