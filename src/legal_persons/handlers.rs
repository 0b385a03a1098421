//! `/v0/legal-persons/…`, and the legal persons of an organization.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::view::{self, Included, LegalPersonView, verification_includes};
use super::{
    ApplicationStatus, DisplayName, Filter, LegalPersonRow, LegalPersonType, NewLegalPerson,
    STATUS_CHANGED_AT, SearchText,
};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::claims::NewClaim;
use crate::http::pagination::list_request_sorted;
use crate::http::{ApiError, ApiResult, Json, ListBody, QueryParams, ok, path_id};
use crate::ids::{LegalPersonId, LegalPersonKind, OrganizationKind};
use crate::organizations::OrganizationRow;
use crate::paging::CREATED_AT;
use crate::pipeline::Write;
use crate::roles::Permission;
use crate::store::idempotency::Reply;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreateLegalPerson {
    display_name: String,
    legal_person_type: LegalPersonType,
    #[serde(default)]
    claims: Vec<serde_json::Value>,
}

impl CreateLegalPerson {
    fn parse(self) -> ApiResult<NewLegalPerson> {
        Ok(NewLegalPerson {
            display_name: DisplayName::parse_at(self.display_name, "/display-name")?,
            claims: NewClaim::parse_all(&self.claims, "/claims")?,
            legal_person_type: self.legal_person_type,
        })
    }
}

/// `POST /v0/organizations/{organization-id}/legal-persons`
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<CreateLegalPerson>,
) -> ApiResult<Reply> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let new = body.parse()?;
    let reply = Write::new(&caller, Permission::LegalPersonsWrite)
        .run(
            &state.db,
            &organization_id,
            async |conn, granted: Granted<OrganizationRow>| {
                let row = super::create(conn, &granted.resource, new).await?;
                // New: no decision yet.
                let view = LegalPersonView::new(row, None);
                Reply::created(&view.legal_person_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

/// `GET /v0/legal-persons/{legal-person-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<LegalPersonKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row: LegalPersonRow = caller.read(&mut conn, &id, Permission::Read).await?;
    Ok(ok(&view::view(&mut conn, row).await?))
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
) -> ApiResult<Reply> {
    let display_name = DisplayName::parse_at(body.display_name, "/display-name")?;
    let id = path_id::<LegalPersonKind>(&path)?;
    let reply = Write::new(&caller, Permission::LegalPersonsWrite)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<LegalPersonRow>| {
                let row = super::rename(conn, granted.resource, display_name).await?;
                let view = view::view(conn, row).await?;
                Reply::ok_at(&view.legal_person_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

const FILTERS: [&str; 3] = [
    "filter[application-status][eq]",
    "filter[legal-person-status][in][]",
    "filter[has][]",
];
const INCLUDES: [&str; 3] = ["latest-verification", "latest-risk-rating", "company-roles"];
const SEARCH_INCLUDES: [&str; 1] = ["company-roles"];

fn parse_filter(query: &QueryParams) -> ApiResult<Filter> {
    let application_status =
        query.enum_eq::<ApplicationStatus>("filter[application-status][eq]")?;
    let legal_person_statuses = query.enum_list("filter[legal-person-status][in][]")?;
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
        .organization(&mut conn, &organization_id, Permission::Read)
        .await?;
    let mut page = super::list(&mut conn, &organization_id, &filter, &page_request).await?;
    let total = super::count(&mut conn, &organization_id, &filter).await?;
    let includes = query.includes();
    let included = if includes.is_empty() {
        None
    } else {
        let ids: Vec<LegalPersonId> = page.items.iter().map(|p| p.id.clone()).collect();
        let mut included = verification_includes(&mut conn, &includes, &ids).await?;
        if includes.contains(&"company-roles") {
            let roles = view::company_roles(&mut conn, &organization_id, &ids).await?;
            included = included.with_company_roles(roles);
        }
        Some(included)
    };
    let views = super::views(&mut conn, std::mem::take(&mut page.items)).await?;
    let page = page.with_items(views);
    Ok(ok(&LegalPersonList {
        list: ListBody::new("legal-persons", page, request.path(), &query).with_total(total),
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
    #[serde(skip_serializing_if = "Option::is_none")]
    included: Option<Included>,
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
    query.check_includes(&SEARCH_INCLUDES)?;
    let status = query.enum_eq("filter[legal-person-status][eq]")?;
    let text = SearchText::parse(&body.search_query)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .organization(&mut conn, &organization_id, Permission::Read)
        .await?;
    let rows = super::search(&mut conn, &organization_id, &text, status, SEARCH_LIMIT).await?;
    let total = rows.len();
    let included = if query.includes().is_empty() {
        None
    } else {
        let ids: Vec<LegalPersonId> = rows.iter().map(|p| p.id.clone()).collect();
        let roles = view::company_roles(&mut conn, &organization_id, &ids).await?;
        Some(Included::default().with_company_roles(roles))
    };
    Ok(ok(&SearchResults {
        search_results: super::views(&mut conn, rows).await?,
        meta: serde_json::json!({"page": {"total": total}}),
        included,
    }))
}
