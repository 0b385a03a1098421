//! `/v0/organizations` and `/v0/organizations/{organization-id}`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::DisplayName;
use crate::AppState;
use crate::access::Caller;
use crate::error::DomainResult;
use crate::http::{ApiResult, Json, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::OrganizationKind;
use crate::pipeline;
use crate::provision;
use crate::roles::Permission;
use crate::store::idempotency::Reply;

/// `GET /v0/organizations/{organization-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<OrganizationKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .organization(&mut conn, &id, Permission::Read)
        .await?;
    let view = super::view::view(&mut conn, &id).await?;
    Ok(crate::http::ok_at(&crate::urls::organization(&id), &view))
}

/// `GET /v0/organizations`: the organizations the caller belongs to (for an API key, its own).
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let page_request = list_request(&query, &[], &[])?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let visible = caller.visible_organizations(&mut conn).await?;
    let mut page = super::list(&mut conn, &visible, &page_request).await?;
    let views = super::view::views(&mut conn, std::mem::take(&mut page.items)).await?;
    Ok(ok(&ListBody::new(
        "organizations",
        page.with_items(views),
        request.path(),
        &query,
    )))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreateOrganization {
    display_name: String,
}

impl CreateOrganization {
    fn parse(self) -> DomainResult<DisplayName> {
        DisplayName::parse(&self.display_name)
    }
}

/// `POST /v0/organizations` (sessions only): a new test-mode organization whose creator
/// gets Team admin, Compliance and Approve own payments.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    Json(body): Json<CreateOrganization>,
) -> ApiResult<Reply> {
    let founder = super::founder(&caller)?;
    let display_name = body.parse()?;
    let test_money = state.settings.test_money;
    let reply = pipeline::unguarded(&state.db, async |conn| {
        let (row, _) = provision::provision(conn, &display_name, founder, test_money).await?;
        let view = super::view::view(conn, &row.id).await?;
        Reply::created(&view.organization_url, &view)
    })
    .await?;
    Ok(reply)
}
