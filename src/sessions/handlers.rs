use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::http::auth::Credential;
use crate::http::{ApiError, ApiResult, Caller, Json, created, no_content, ok};
use crate::memberships::{self, MembershipView};
use crate::time::{self, MICROS_PER_SECOND};
use crate::users::{self, UserView, password};
use crate::{ids::UserId, urls};

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Login {
    user_email: String,
    password: String,
}

/// A new session: the token is in this answer only.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SessionCreated {
    pub session_url: &'static str,
    pub session_token: String,
    pub expires_at: String,
    pub user_url: String,
}

/// `POST /v0/session` (no authentication): email and password for a session token.
pub async fn create(
    state: web::Data<AppState>,
    Json(body): Json<Login>,
) -> ApiResult<HttpResponse> {
    let user = {
        let mut conn = state.db.read().await?;
        users::find_by_email(&mut conn.conn(), &body.user_email).await?
    };
    let stored = user.as_ref().and_then(|u| u.password_hash.as_deref());
    // Verified off the worker thread: argon2 takes tens of milliseconds on purpose.
    let password_text = body.password.clone();
    let stored_hash = stored.map(str::to_string);
    let matches = web::block(move || password::verify(&password_text, stored_hash.as_deref()))
        .await
        .map_err(ApiError::internal)?;
    let Some(user) = user.filter(|_| matches) else {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "invalid-credentials",
            "The email or password is not right.",
        ));
    };
    let body = start(&state, &user.id).await?;
    Ok(created(urls::SESSION, &body))
}

/// Starts a session for a user (after a login or an accepted invitation).
pub async fn start(state: &AppState, user_id: &UserId) -> ApiResult<SessionCreated> {
    let now = state.clock.now();
    let ttl =
        i64::try_from(state.settings.session_ttl.as_secs()).unwrap_or(i64::MAX / MICROS_PER_SECOND);
    let expires_at = now.saturating_add(ttl.saturating_mul(MICROS_PER_SECOND));
    let mut tx = state.db.write().await?;
    let result = super::create(&mut tx.conn(), user_id, now, expires_at).await;
    let (row, token) = tx.finish(result).await?;
    Ok(SessionCreated {
        session_url: urls::SESSION,
        session_token: token.as_str().to_string(),
        expires_at: time::format(row.expires_at),
        user_url: urls::user(&row.user_id),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct SessionView {
    session_url: &'static str,
    expires_at: String,
    user: UserView,
    memberships: Vec<MembershipView>,
}

fn no_session() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "no-session",
        "This request is not made with a session; log in with POST /v0/session.",
    )
}

/// `GET /v0/session`: the current user and all their memberships.
pub async fn get(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let Credential::Session { expires_at, .. } = caller.credential else {
        return Err(no_session());
    };
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let user = users::find(&mut conn, &caller.user_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let rows = memberships::all_of_user(&mut conn, &caller.user_id).await?;
    let memberships = memberships::views(&mut conn, rows).await?;
    Ok(ok(&SessionView {
        session_url: urls::SESSION,
        expires_at: time::format(expires_at),
        user: UserView::new(user),
        memberships,
    }))
}

/// `DELETE /v0/session`: ends the session; its token stops working at once.
pub async fn delete(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let session_id = caller.session_id().ok_or_else(no_session)?.clone();
    let mut tx = state.db.write().await?;
    let result = super::delete(&mut tx.conn(), session_id.as_str()).await;
    tx.finish(result).await?;
    Ok(no_content())
}
