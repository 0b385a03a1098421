use actix_web::{HttpResponse, web};

use super::OrganizationView;
use crate::AppState;
use crate::http::{ApiError, ApiResult, Caller, ok, path_id};
use crate::ids::OrganizationKind;

/// `GET /v0/organizations/{organization-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<OrganizationKind>(&path)?;
    caller.require_organization(id.as_str())?;
    let mut conn = state.db.read().await?;
    let row = super::find(&mut conn.conn(), id.as_str())
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(ok(&OrganizationView::new(row)))
}
