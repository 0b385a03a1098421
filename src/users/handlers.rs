//! `/v0/users/{user-id}`.

use actix_web::{HttpResponse, web};

use super::UserView;
use crate::AppState;
use crate::access::Caller;
use crate::http::{ApiResult, ok, path_id};
use crate::ids::UserKind;

/// `GET /v0/users/{user-id}`: the caller, or members of organizations the caller belongs to.
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<UserKind>(&path)?;
    let mut conn = state.db.read().await?;
    let (row, _) = super::visible_to(&mut conn.conn(), &caller, &id).await?;
    Ok(ok(&UserView::new(row)))
}
