//! `/v0/organizations/{organization-id}/workflows` and `/v0/workflows/{workflow-id}`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{WORKFLOWS, WorkflowView};
use crate::AppState;
use crate::access::Caller;
use crate::error::DomainError;
use crate::http::{ApiResult, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::{OrganizationKind, WorkflowKind};
use crate::organizations;
use crate::paging::{Cursor, Page};
use crate::roles::Permission;

/// `GET /v0/organizations/{organization-id}/workflows`: the organization's six workflows.
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let page_request = list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .organization(&mut conn, &organization_id, Permission::Read)
        .await?;
    let organization = organizations::find(&mut conn, &organization_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let page = Page::from_memory(WORKFLOWS.iter().collect(), &page_request, |w| {
        Cursor::new(
            organization.created_at,
            super::id_of(&organization.id, w.key).as_str(),
        )
    })
    .map(|w| WorkflowView::new(w, &organization.id, organization.created_at));
    let total = WORKFLOWS.len() as i64;
    Ok(ok(&ListBody::new(
        "workflows",
        page,
        request.path(),
        &query,
    )
    .with_total(total)))
}

/// `GET /v0/workflows/{workflow-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<WorkflowKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let visible = caller.visible_organizations(&mut conn).await?;
    let (workflow, organization_id) = super::find(&id, &visible).ok_or(DomainError::NotFound)?;
    let organization = organizations::find(&mut conn, organization_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok(ok(&WorkflowView::new(
        workflow,
        &organization.id,
        organization.created_at,
    )))
}
