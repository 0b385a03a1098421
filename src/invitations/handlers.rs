//! `/v0/organizations/{organization-id}/invitations` and `/v0/invitations/…`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::accept::{self, Acceptance, Invitee};
use super::view::{AcceptedView, view};
use super::{InvitationRow, InvitationStatus, NewInvitation};
use crate::AppState;
use crate::access::{Caller, Granted};
use crate::error::{DomainError, DomainResult};
use crate::http::{ApiError, ApiResult, Json, ListBody, QueryParams, list_request, ok, path_id};
use crate::ids::{InvitationKind, OrganizationKind};
use crate::organizations::OrganizationRow;
use crate::pipeline::{self, Write};
use crate::roles::Permission;
use crate::sessions::{self, view::SessionCreated};
use crate::store::idempotency::Reply;
use crate::users::password::{self, Password};
use crate::users::{Email, PersonName};

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreateInvitation {
    email_address: String,
    role_urls: Option<Vec<String>>,
    #[serde(default)]
    group_urls: Vec<String>,
}

impl CreateInvitation {
    fn parse(self) -> DomainResult<NewInvitation> {
        let email = Email::parse(&self.email_address).ok_or_else(|| {
            DomainError::invalid_value("`email-address` is not an email address.", "/email-address")
        })?;
        Ok(NewInvitation {
            email,
            role_urls: self.role_urls,
            group_urls: self.group_urls,
        })
    }
}

/// `POST /v0/organizations/{organization-id}/invitations`
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<CreateInvitation>,
) -> ApiResult<Reply> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let new = body.parse()?;
    let now = state.clock.now();
    let expires_at = super::expiry(now, state.settings.invitation_ttl);
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(
            &state.db,
            &organization_id,
            async |conn, granted: Granted<OrganizationRow>| {
                let (row, token) =
                    super::invite(conn, &granted, &caller.user_id, new, now, expires_at).await?;
                let view = view(conn, row, now, Some(&token)).await?;
                Reply::created(&view.invitation_url, &view)
            },
        )
        .await?;
    Ok(reply)
}

const FILTERS: [&str; 1] = ["filter[invitation-status][eq]"];

fn parse_status(query: &QueryParams) -> ApiResult<Option<InvitationStatus>> {
    query.enum_eq::<InvitationStatus>("filter[invitation-status][eq]")
}

/// `GET /v0/organizations/{organization-id}/invitations`
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    query: QueryParams,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    let page_request = list_request(&query, &FILTERS, &[])?;
    let status = parse_status(&query)?;
    let now = state.clock.now();
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .organization(&mut conn, &organization_id, Permission::Read)
        .await?;
    let mut page = super::list(&mut conn, &organization_id, status, now, &page_request).await?;
    let mut views = Vec::with_capacity(page.items.len());
    for row in std::mem::take(&mut page.items) {
        views.push(view(&mut conn, row, now, None).await?);
    }
    Ok(ok(&ListBody::new(
        "invitations",
        page.with_items(views),
        request.path(),
        &query,
    )))
}

/// `GET /v0/invitations/{invitation-id}`
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id::<InvitationKind>(&path)?;
    let now = state.clock.now();
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row: InvitationRow = caller.read(&mut conn, &id, Permission::Read).await?;
    Ok(ok(&view(&mut conn, row, now, None).await?))
}

/// `POST /v0/invitations/{invitation-id}/actions/cancel`: pending invitations only.
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    let id = path_id::<InvitationKind>(&path)?;
    let now = state.clock.now();
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<InvitationRow>| {
                let row = super::cancel(conn, granted.resource, now).await?;
                Reply::ok(&view(conn, row, now, None).await?)
            },
        )
        .await?;
    Ok(reply)
}

/// `POST /v0/invitations/{invitation-id}/actions/resend`: a new token and expiry for a pending
/// or expired invitation; the previous token stops working.
pub async fn resend(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<Reply> {
    let id = path_id::<InvitationKind>(&path)?;
    let now = state.clock.now();
    let expires_at = super::expiry(now, state.settings.invitation_ttl);
    let reply = Write::new(&caller, Permission::TeamManage)
        .locked()
        .run(
            &state.db,
            &id,
            async |conn, granted: Granted<InvitationRow>| {
                let (row, token) = super::resend(conn, granted.resource, now, expires_at).await?;
                Reply::ok(&view(conn, row, now, Some(&token)).await?)
            },
        )
        .await?;
    Ok(reply)
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Accept {
    invitation_token: String,
    given_name: String,
    surname: String,
    password: String,
}

impl Accept {
    fn parse(self) -> DomainResult<Acceptance> {
        let name = |text: &str, pointer: &'static str| {
            PersonName::parse(text).ok_or_else(|| {
                DomainError::invalid_value("Names are 1 to 100 characters.", pointer)
            })
        };
        let given_name = name(&self.given_name, "/given-name")?;
        let surname = name(&self.surname, "/surname")?;
        let password = Password::parse(&self.password).ok_or_else(|| {
            DomainError::invalid_value("`password` must be 8 to 256 characters.", "/password")
        })?;
        Ok(Acceptance::new(
            &self.invitation_token,
            given_name,
            surname,
            password,
        ))
    }
}

/// `POST /v0/invitations/actions/accept` (no authentication: the token is the credential).
/// A new email becomes a new user; a known one gets the membership. Answers with the
/// membership and a session for the user, working in the invitation's organization.
pub async fn accept(state: web::Data<AppState>, Json(body): Json<Accept>) -> ApiResult<Reply> {
    let acceptance = body.parse()?;
    let invitee = {
        let mut conn = state.db.read().await?;
        accept::invitee(&mut conn.conn(), &acceptance).await?
    };
    let new_password_hash = password_hash(&invitee, &acceptance.password).await?;
    let (now, session_ttl) = (state.clock.now(), state.settings.session_ttl);
    let reply = pipeline::unguarded(&state.db, async |conn| {
        let hash = new_password_hash.as_deref();
        let accepted = accept::accept(conn, &invitee, &acceptance, hash, now).await?;
        let organization_id = Some(accepted.organization_id.clone());
        let (session, token) =
            sessions::start(conn, &accepted.user_id, organization_id, now, session_ttl).await?;
        let view = AcceptedView::new(&accepted, SessionCreated::new(&session, &token));
        Reply::created(&view.membership_url, &view)
    })
    .await?;
    Ok(reply)
}

/// Off the async threads, since argon2 is slow on purpose: checks the password of the
/// invitee's existing account (`None`), or hashes the new account's (`Some`).
async fn password_hash(invitee: &Invitee, password: &Password) -> ApiResult<Option<String>> {
    let password = password.clone();
    match invitee.password_hash.clone() {
        Some(stored) => {
            web::block(move || accept::check_password(&password, &stored))
                .await
                .map_err(ApiError::internal)??;
            Ok(None)
        }
        None => web::block(move || password::hash(password.as_str()))
            .await
            .map_err(ApiError::internal)?
            .map(Some)
            .map_err(ApiError::internal),
    }
}
