use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::OrganizationView;
use crate::AppState;
use crate::http::{
    ApiError, ApiResult, Caller, Json, ListBody, QueryParams, created, list_request, ok, path_id,
};
use crate::ids::OrganizationKind;
use crate::roles::{Permission, custom};

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
        .access(&mut conn, id.as_str(), Permission::Read)
        .await?;
    let (row, roles) = super::find_with_roles(&mut conn, id.as_str())
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(ok(&OrganizationView::new(row, &roles)))
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
    let page = super::list(&mut conn, &visible, &page_request).await?;
    let ids: Vec<crate::ids::OrganizationId> = page.items.iter().map(|o| o.id.clone()).collect();
    let mut available = custom::available_for_many(&mut conn, &ids).await?;
    let page = page.map(|row| {
        let roles = available.remove(&row.id).unwrap_or_default();
        OrganizationView::new(row, &roles)
    });
    Ok(ok(&ListBody::new(
        "organizations",
        page,
        request.path(),
        &query,
    )))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreateOrganization {
    display_name: String,
}

/// `POST /v0/organizations` (sessions only): a new test-mode organization whose creator
/// gets Team admin, Compliance and Approve own payments.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    Json(body): Json<CreateOrganization>,
) -> ApiResult<HttpResponse> {
    if caller.session_id().is_none() {
        return Err(ApiError::forbidden(
            "Organizations are created by users: log in with POST /v0/session and send \
             `Authorization: GriffinSession <token>`.",
        ));
    }
    super::check_display_name(&body.display_name)?;
    let mut tx = state.db.write().await?;
    let result = async {
        let mut conn = tx.conn();
        let (row, _) = super::provision(
            &mut conn,
            &body.display_name,
            &caller.user_id,
            state.settings.test_money,
        )
        .await?;
        let roles = custom::available(&mut conn, &row.id).await?;
        Ok::<_, ApiError>(OrganizationView::new(row, &roles))
    }
    .await;
    let view = tx.finish(result).await?;
    Ok(created(&view.organization_url.clone(), &view))
}
