use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::{RoleView, builtin, builtin_views};
use crate::http::{ApiError, ApiResult, ok, path_id};
use crate::ids::RoleKind;

#[derive(Serialize)]
struct RolesBody {
    roles: Vec<RoleView>,
}

/// `GET /v0/roles` (no authentication): the built-in roles.
pub async fn list() -> HttpResponse {
    ok(&RolesBody {
        roles: builtin_views(),
    })
}

/// `GET /v0/roles/{role-id}` (no authentication)
pub async fn get(path: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id::<RoleKind>(&path)?;
    let role = builtin(&id).ok_or_else(ApiError::not_found)?;
    Ok(ok(&RoleView::builtin(&id, role)))
}
