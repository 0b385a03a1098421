//! `/v0/organizations`, `/v0/organizations/{organization-id}` and its ownership transfer.
//!
//! Griffin's `GET /v0/organizations/{organization-id}` answers with Griffin's organization, a
//! closed object; our own operations add `owner-membership-url` to it.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{DisplayName, OrganizationRow};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::error::DomainResult;
use crate::http::{ApiResult, Json, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::OrganizationKind;
use crate::pipeline::{self, Write};
use crate::provision;
use crate::roles::Permission;
use crate::sessions;
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

/// `GET /v0/organizations`: the organizations the caller belongs to (for an API key, its own),
/// with their owners.
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
/// owns it and gets Team admin, Compliance and Approve own payments. The session works in it
/// from now on.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    Json(body): Json<CreateOrganization>,
) -> ApiResult<Reply> {
    let (founder, session_id) = super::founder(&caller)?;
    let display_name = body.parse()?;
    let test_money = state.settings.test_money;
    let reply = pipeline::unguarded(&state.db, async |conn| {
        let (row, _) = provision::provision(conn, &display_name, founder, test_money).await?;
        sessions::set_organization(conn, session_id, Some(&row.id)).await?;
        let view = super::view::view_with_owner(conn, &row.id).await?;
        Reply::created(&view.organization_url, &view)
    })
    .await?;
    Ok(reply)
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct UpdateOrganization {
    display_name: Option<String>,
}

impl UpdateOrganization {
    fn parse(self) -> DomainResult<Option<DisplayName>> {
        self.display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()
    }
}

/// `PATCH /v0/organizations/{organization-id}` (`team:manage`): renames the organization.
/// Nothing else changes here: a body naming `organization-mode`, or any other field, is a 400.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<UpdateOrganization>,
) -> ApiResult<Reply> {
    let id = path_id::<OrganizationKind>(&path)?;
    let display_name = body.parse()?;
    let reply = Write::new(&caller, Permission::TeamManage)
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<OrganizationRow>| {
                if let Some(name) = &display_name {
                    super::rename(conn, &granted.resource.id, name).await?;
                }
                Reply::ok(&super::view::view_with_owner(conn, &granted.resource.id).await?)
            },
        )
        .await?;
    Ok(reply)
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TransferOwnership {
    membership_url: String,
}

/// `POST /v0/organizations/{organization-id}/actions/transfer-ownership`: the owner hands the
/// organization over to another active member holding Team admin (see
/// [`super::transfer_ownership`]). Behind the organization's lock, as removals and
/// deactivations of members are, so the owner is never a membership on its way out.
pub async fn transfer_ownership(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<TransferOwnership>,
) -> ApiResult<Reply> {
    let id = path_id::<OrganizationKind>(&path)?;
    let reply = Write::new(&caller, Permission::Read)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<OrganizationRow>| {
                super::transfer_ownership(conn, &granted, &body.membership_url).await?;
                Reply::ok(&super::view::view_with_owner(conn, &granted.resource.id).await?)
            },
        )
        .await?;
    Ok(reply)
}
