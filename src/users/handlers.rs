use actix_web::{HttpResponse, web};

use super::UserView;
use crate::AppState;
use crate::http::{ApiError, ApiResult, Caller, ok, path_id};
use crate::ids::UserKind;

/// `GET /v0/users/{user-id}`: the caller, or members of organizations the caller belongs to.
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<UserKind>(&path)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let visible = caller.visible_organizations(&mut conn).await?;
    let row = super::find_visible(&mut conn, &id, &caller.user_id, &visible)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(ok(&UserView::new(row)))
}
