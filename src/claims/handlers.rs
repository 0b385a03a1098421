use crate::ids::LegalPersonId;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::validate::Problem;
use super::{ClaimRow, UNVERIFIED, VERIFIED, ValidClaim};
use crate::AppState;
use crate::http::{
    ApiError, ApiResult, Caller, ListBody, QueryParams, created, list_request, no_content, ok,
};
use crate::legal_persons::{self, LegalPersonRow};
use crate::roles::Permission;
use crate::store::Conn;

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, problem.title, problem.detail)
            .with_pointer(problem.pointer)
    }
}

/// Validates the claims of a request body; `base` is where they sit (`/claims`).
pub fn check_all(values: &[Value], base: &str) -> ApiResult<Vec<ValidClaim>> {
    values
        .iter()
        .enumerate()
        .map(|(i, value)| super::check(value, &format!("{base}/{i}")).map_err(ApiError::from))
        .collect()
}

/// Adds validated claims to a legal person inside the caller's transaction: claims naming
/// other legal persons must name ones of the same organization. The legal name follows.
pub async fn add_claims(
    conn: &mut Conn<'_>,
    legal_person: &LegalPersonRow,
    claims: &[(ValidClaim, String)],
) -> ApiResult<Vec<ClaimRow>> {
    let mut rows = Vec::with_capacity(claims.len());
    for (claim, pointer) in claims {
        if let Some(url) = super::references(claim)
            && !super::refers_within(conn, url, &legal_person.organization_id).await?
        {
            return Err(ApiError::unprocessable(
                "legal-person-not-in-organization",
                format!("{url} is not a legal person of this organization."),
            )
            .with_pointer(format!("{pointer}/legal-person-url")));
        }
        rows.push(
            super::insert(conn, &legal_person.id, &legal_person.organization_id, claim).await?,
        );
    }
    refresh_legal_name(conn, &legal_person.id).await?;
    Ok(rows)
}

async fn refresh_legal_name(conn: &mut Conn<'_>, legal_person_id: &LegalPersonId) -> ApiResult<()> {
    let all = super::all_of(conn, legal_person_id).await?;
    legal_persons::set_legal_name(conn, legal_person_id, super::legal_name(&all).as_deref())
        .await?;
    Ok(())
}

/// `POST /v0/legal-persons/{legal-person-id}/claims`
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    crate::http::Json(body): crate::http::Json<Value>,
) -> ApiResult<HttpResponse> {
    let claim = super::check(&body, "")?;
    let mut tx = state.db.write().await?;
    let result: ApiResult<ClaimRow> = async {
        let mut conn = tx.conn();
        let (person, _) = caller
            .visible_for_write::<LegalPersonRow>(&mut conn, &path, Permission::LegalPersonsWrite)
            .await?;
        let mut rows = add_claims(&mut conn, &person, &[(claim, String::new())]).await?;
        rows.pop().ok_or_else(ApiError::not_found)
    }
    .await;
    let row = tx.finish(result).await?;
    let view = super::view(&row);
    let url = format!("/v0/claims/{}", row.id);
    Ok(created(&url, &view))
}

/// `GET /v0/legal-persons/{legal-person-id}/claims`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(&query, &["filter[verification-status][eq]"], &[])?;
    let status = match query.single("filter[verification-status][eq]")? {
        None => None,
        Some(status @ (UNVERIFIED | VERIFIED)) => Some(status),
        Some(other) => {
            return Err(ApiError::invalid_parameter(
                "filter[verification-status][eq]",
                format!("Unknown verification status `{other}`: expected unverified or verified."),
            ));
        }
    };
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let person = caller
        .visible::<LegalPersonRow>(&mut conn, &path, Permission::Read)
        .await?;
    let page = super::list(&mut conn, &person.id, status, &page_request).await?;
    let page = page.map(|row| super::view(&row));
    Ok(ok(&ListBody::new("claims", page, request.path(), &query)))
}

/// `DELETE /v0/claims/{claim-id}`
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut tx = state.db.write().await?;
    let result: ApiResult<()> = async {
        let mut conn = tx.conn();
        let (claim, _) = caller
            .visible_for_write::<ClaimRow>(&mut conn, &path, Permission::LegalPersonsWrite)
            .await?;
        super::delete(&mut conn, &claim.id).await?;
        refresh_legal_name(&mut conn, &claim.legal_person_id).await
    }
    .await;
    tx.finish(result).await?;
    Ok(no_content())
}
