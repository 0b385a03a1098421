//! `/v0/session`: log in, see the session, switch its organization, log out.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::view::{SessionCreated, SessionView};
use crate::AppState;
use crate::access::{Caller, Credential};
use crate::error::{DomainError, DomainResult};
use crate::http::{ApiError, ApiResult, Json, ok};
use crate::ids::{OrganizationId, OrganizationKind};
use crate::memberships;
use crate::pipeline;
use crate::roles::Permission;
use crate::store::Conn;
use crate::store::idempotency::Reply;
use crate::time::Micros;
use crate::urls;
use crate::users::{self, UserView, password};

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Login {
    user_email: String,
    password: String,
}

/// `POST /v0/session` (no authentication): email and password for a session token.
pub async fn create(state: web::Data<AppState>, Json(body): Json<Login>) -> ApiResult<Reply> {
    let user = {
        let mut conn = state.db.read().await?;
        users::find_by_email(&mut conn.conn(), &body.user_email).await?
    };
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    // Verified off the worker thread: argon2 takes tens of milliseconds on purpose.
    let matches = web::block(move || password::verify(&body.password, stored.as_deref()))
        .await
        .map_err(ApiError::internal)?;
    let Some(user) = user.filter(|_| matches) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid-credentials",
            "The email or password is not right.",
        ));
    };
    let (now, ttl) = (state.clock.now(), state.settings.session_ttl);
    let reply = pipeline::unguarded(&state.db, async |conn| {
        let organization_id = super::first_organization(conn, &user.id, None).await?;
        let (row, token) = super::start(conn, &user.id, organization_id, now, ttl).await?;
        Reply::created(urls::SESSION, &SessionCreated::new(&row, &token))
    })
    .await?;
    Ok(reply)
}

fn no_session() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no-session",
        "This request is not made with a session; log in with POST /v0/session.",
    )
}

/// `GET /v0/session`: the current user, all their memberships and the organization the
/// session works in.
pub async fn get(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let Credential::Session {
        expires_at,
        organization_id,
        ..
    } = &caller.credential
    else {
        return Err(no_session());
    };
    let mut conn = state.db.read().await?;
    let view = view(
        &mut conn.conn(),
        &caller,
        *expires_at,
        organization_id.as_ref(),
    )
    .await?;
    Ok(ok(&view))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SwitchOrganization {
    organization_url: String,
}

impl SwitchOrganization {
    fn parse(&self) -> DomainResult<OrganizationId> {
        urls::parse::<OrganizationKind>(&self.organization_url, urls::ORGANIZATIONS).ok_or_else(
            || {
                DomainError::unprocessable(
                    "organization-url-invalid",
                    format!(
                        "Expected an organization URL such as {}/og.….",
                        urls::ORGANIZATIONS
                    ),
                )
                .at("/organization-url")
            },
        )
    }
}

/// `PUT /v0/session`: switches the organization the session works in (`GET /v0/index` links
/// it); the user must be an active member there (403 otherwise).
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    Json(body): Json<SwitchOrganization>,
) -> ApiResult<Reply> {
    let Credential::Session { id, expires_at, .. } = &caller.credential else {
        return Err(no_session());
    };
    let organization_id = body.parse()?;
    let reply = pipeline::unguarded(&state.db, async |conn| {
        super::switch(conn, id, &caller.user_id, &organization_id).await?;
        Reply::ok(&view(conn, &caller, *expires_at, Some(&organization_id)).await?)
    })
    .await?;
    Ok(reply)
}

/// The session of `caller`, which works in `organization_id`.
async fn view(
    conn: &mut Conn<'_>,
    caller: &Caller,
    expires_at: Micros,
    organization_id: Option<&OrganizationId>,
) -> DomainResult<SessionView> {
    let user = users::find(conn, &caller.user_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let rows = memberships::all_of_user(conn, &caller.user_id).await?;
    let memberships = memberships::views(conn, rows).await?;
    Ok(SessionView::new(
        expires_at,
        UserView::new(user),
        memberships,
        organization_id,
    ))
}

/// `DELETE /v0/session`: ends the session; its token stops working at once.
pub async fn delete(state: web::Data<AppState>, caller: Caller) -> ApiResult<Reply> {
    let session_id = caller.session_id().ok_or_else(no_session)?;
    let reply = pipeline::unguarded(&state.db, async |conn| {
        super::delete(conn, session_id).await?;
        Ok(Reply::no_content())
    })
    .await?;
    Ok(reply)
}

/// `GET /v0/session/permission-tree`: "my permissions", in the organization the caller works
/// in (an API key's own, or the session's current one): the caller's membership's tree.
pub async fn permission_tree(
    state: web::Data<AppState>,
    caller: Caller,
) -> ApiResult<HttpResponse> {
    let organization_id = caller
        .current_organization()
        .cloned()
        .ok_or(DomainError::NotFound)?;
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let access = caller
        .organization(&mut conn, &organization_id, Permission::Read)
        .await?;
    Ok(ok(&memberships::view::permission_tree(
        &mut conn,
        &access.membership_id,
    )
    .await?))
}
