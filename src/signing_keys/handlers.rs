//! `GET /v0/security/public-keys`: the keys webhook receivers verify signatures with.

use actix_web::{HttpResponse, web};

use super::Jwks;
use crate::AppState;
use crate::http::{ApiResult, ok};

/// `GET /v0/security/public-keys` (no authentication, as a JWKS must be fetchable by any
/// receiver): the current key and those still in their rotation overlap. The first call
/// on a new database makes the first key.
pub async fn public_keys(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read().await?;
    let mut rows = super::published(&mut conn.conn(), crate::time::now()).await?;
    if rows.is_empty() {
        super::current(&state.db).await?;
        rows = super::published(&mut conn.conn(), crate::time::now()).await?;
    }
    Ok(ok(&Jwks::new(&rows)))
}
