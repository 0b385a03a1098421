use actix_web::{HttpResponse, web};

use super::UserView;
use crate::AppState;
use crate::http::{ApiError, ApiResult, Caller, ok, path_id};
use crate::ids::UserKind;

/// `GET /v0/users/{user-id}`: users who are members of the caller's organization.
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<UserKind>(&path)?;
    let mut conn = state.db.read().await?;
    let row = super::find_in_organization(
        &mut conn.conn(),
        id.as_str(),
        caller.organization_id.as_str(),
    )
    .await?
    .ok_or_else(ApiError::not_found)?;
    Ok(ok(&UserView::new(row)))
}
