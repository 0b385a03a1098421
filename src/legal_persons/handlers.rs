use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{
    APPLICATION_STATUSES, CORPORATION, Filter, INDIVIDUAL, LEGAL_PERSON_STATUSES, LegalPersonRow,
    LegalPersonView, STATUS_CHANGED_AT,
};
use crate::AppState;
use crate::http::pagination::list_request_sorted;
use crate::http::{ApiError, ApiResult, Caller, Json, ListBody, QueryParams, created, ok, path_id};
use crate::ids::{LegalPersonId, OrganizationKind};
use crate::paging::CREATED_AT;
use crate::roles::Permission;
use crate::verifications::VerificationView;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
enum LegalPersonType {
    Individual,
    Corporation,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreateLegalPerson {
    display_name: String,
    legal_person_type: LegalPersonType,
    #[serde(default)]
    claims: Vec<serde_json::Value>,
}

/// `POST /v0/organizations/{organization-id}/legal-persons`
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<CreateLegalPerson>,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    crate::organizations::check_display_name(&body.display_name)?;
    let claims = crate::claims::handlers::check_all(&body.claims, "/claims")?;
    let legal_person_type = match body.legal_person_type {
        LegalPersonType::Individual => INDIVIDUAL,
        LegalPersonType::Corporation => CORPORATION,
    };
    let mut tx = state.db.write().await?;
    let result: ApiResult<LegalPersonRow> = async {
        let mut conn = tx.conn();
        caller
            .fresh_access(
                &mut conn,
                organization_id.as_str(),
                Permission::LegalPersonsWrite,
            )
            .await?;
        let row = super::new_row(
            LegalPersonId::generate(),
            &organization_id,
            legal_person_type,
            &body.display_name,
        );
        super::insert(&mut conn, &row).await?;
        let with_pointers: Vec<_> = claims
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, claim)| (claim, format!("/claims/{i}")))
            .collect();
        crate::claims::handlers::add_claims(&mut conn, &row, &with_pointers).await?;
        Ok(super::find(&mut conn, &row.id).await?.unwrap_or(row))
    }
    .await;
    let view = LegalPersonView::new(tx.finish(result).await?, None);
    Ok(created(&view.legal_person_url.clone(), &view))
}

/// `GET /v0/legal-persons/{legal-person-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let row = caller
        .visible::<LegalPersonRow>(&mut conn.conn(), &path, Permission::Read)
        .await?;
    Ok(ok(&super::view(&mut conn.conn(), row).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Rename {
    display_name: String,
}

/// `PUT /v0/legal-persons/{legal-person-id}`: the display name is all that can change here.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<Rename>,
) -> ApiResult<HttpResponse> {
    crate::organizations::check_display_name(&body.display_name)?;
    let mut tx = state.db.write().await?;
    let result: ApiResult<LegalPersonRow> = async {
        let mut conn = tx.conn();
        let (mut row, _) = caller
            .visible_for_write::<LegalPersonRow>(&mut conn, &path, Permission::LegalPersonsWrite)
            .await?;
        super::rename(&mut conn, &row.id, &body.display_name).await?;
        row.display_name = body.display_name.clone();
        Ok(row)
    }
    .await;
    let row = tx.finish(result).await?;
    let mut conn = state.db.read().await?;
    Ok(ok(&super::view(&mut conn.conn(), row).await?))
}

const FILTERS: [&str; 3] = [
    "filter[application-status][eq]",
    "filter[legal-person-status][in][]",
    "filter[has][]",
];
const INCLUDES: [&str; 2] = ["latest-verification", "latest-risk-rating"];

fn parse_filter(query: &QueryParams) -> ApiResult<Filter> {
    let application_status = match query.single("filter[application-status][eq]")? {
        Some(status) if !APPLICATION_STATUSES.contains(&status) => {
            return Err(ApiError::invalid_parameter(
                "filter[application-status][eq]",
                format!("Unknown application status `{status}`."),
            ));
        }
        status => status.map(str::to_string),
    };
    let mut legal_person_statuses = Vec::new();
    for status in query.all("filter[legal-person-status][in][]") {
        if !LEGAL_PERSON_STATUSES.contains(&status) {
            return Err(ApiError::invalid_parameter(
                "filter[legal-person-status][in][]",
                format!("Unknown legal person status `{status}`."),
            ));
        }
        legal_person_statuses.push(status.to_string());
    }
    let mut has_application_status = false;
    for field in query.all("filter[has][]") {
        if field != "application-status" {
            return Err(ApiError::invalid_parameter(
                "filter[has][]",
                format!("Cannot filter on having `{field}`: expected application-status."),
            ));
        }
        has_application_status = true;
    }
    Ok(Filter {
        application_status,
        legal_person_statuses,
        has_application_status,
    })
}

/// What `include=latest-verification|latest-risk-rating` side-loads for legal persons
/// (listed here, or members of a pooled account): their latest verification, and the risk
/// rating their latest rated verification gave.
#[derive(Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub struct Included {
    #[serde(skip_serializing_if = "Option::is_none")]
    verifications: Option<Vec<VerificationView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    risk_rating_entries: Option<Vec<RiskRatingEntry>>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct RiskRatingEntry {
    risk_rating: String,
    legal_person_url: String,
    verification_url: String,
}

async fn included(
    conn: &mut crate::store::Conn<'_>,
    query: &QueryParams,
    legal_person_ids: &[LegalPersonId],
) -> ApiResult<Option<Included>> {
    let includes = query.includes();
    if includes.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        verification_includes(conn, &includes, legal_person_ids).await?,
    ))
}

/// [`Included`] for these legal persons, as far as `includes` asks (no query if it asks
/// for neither).
pub async fn verification_includes(
    conn: &mut crate::store::Conn<'_>,
    includes: &[&str],
    legal_person_ids: &[LegalPersonId],
) -> ApiResult<Included> {
    if !includes.contains(&"latest-verification") && !includes.contains(&"latest-risk-rating") {
        return Ok(Included::default());
    }
    let latest = crate::verifications::latest_for(conn, legal_person_ids).await?;
    let verifications = includes
        .contains(&"latest-verification")
        .then(|| latest.iter().map(VerificationView::new).collect());
    let risk_rating_entries = includes.contains(&"latest-risk-rating").then(|| {
        latest
            .iter()
            .filter_map(|v| {
                let view = VerificationView::new(v);
                v.risk_rating.clone().map(|risk_rating| RiskRatingEntry {
                    risk_rating,
                    legal_person_url: view.legal_person_url,
                    verification_url: view.verification_url,
                })
            })
            .collect()
    });
    Ok(Included {
        verifications,
        risk_rating_entries,
    })
}

#[derive(Serialize)]
struct LegalPersonList {
    #[serde(flatten)]
    list: ListBody<LegalPersonView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    included: Option<Included>,
}

/// `GET /v0/organizations/{organization-id}/legal-persons`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let page_request = list_request_sorted(
        &query,
        &FILTERS,
        &INCLUDES,
        &[CREATED_AT, STATUS_CHANGED_AT],
    )?;
    let filter = parse_filter(&query)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .access(&mut conn, organization_id.as_str(), Permission::Read)
        .await?;
    let page = super::list(&mut conn, &organization_id, &filter, &page_request).await?;
    let mut page = page;
    let ids: Vec<LegalPersonId> = page.items.iter().map(|p| p.id.clone()).collect();
    let included = included(&mut conn, &query, &ids).await?;
    let views = super::views(&mut conn, std::mem::take(&mut page.items)).await?;
    let page = page.with_items(views);
    Ok(ok(&LegalPersonList {
        list: ListBody::new("legal-persons", page, request.path(), &query),
        included,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Search {
    search_query: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct SearchResults {
    search_results: Vec<LegalPersonView>,
    meta: serde_json::Value,
}

const SEARCH_LIMIT: i64 = 200;

/// `POST /v0/organizations/{organization-id}/legal-persons/search`: by display or legal
/// name, case-insensitively; at most 200 results, newest first.
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: QueryParams,
    Json(body): Json<Search>,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    query.check_known(&["filter[legal-person-status][eq]"])?;
    query.check_includes(&[])?;
    let status = match query.single("filter[legal-person-status][eq]")? {
        Some(status) if !LEGAL_PERSON_STATUSES.contains(&status) => {
            return Err(ApiError::invalid_parameter(
                "filter[legal-person-status][eq]",
                format!("Unknown legal person status `{status}`."),
            ));
        }
        status => status,
    };
    let text = body.search_query.trim();
    if text.is_empty() {
        return Err(ApiError::invalid_body(
            "Invalid value",
            "`search-query` must not be empty.",
            "/search-query",
        ));
    }
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .access(&mut conn, organization_id.as_str(), Permission::Read)
        .await?;
    let rows = super::search(&mut conn, &organization_id, text, status, SEARCH_LIMIT).await?;
    let total = rows.len();
    Ok(ok(&SearchResults {
        search_results: super::views(&mut conn, rows).await?,
        meta: serde_json::json!({"page": {"total": total}}),
    }))
}
