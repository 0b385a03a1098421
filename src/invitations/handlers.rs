use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{ACCEPTED, CANCELLED, EXPIRED, InvitationRow, InvitationToken, PENDING};
use crate::AppState;
use crate::http::auth::hash_secret;
use crate::http::{
    ApiError, ApiResult, Caller, Json, ListBody, QueryParams, created, list_request, ok, path_id,
};
use crate::ids::{InvitationId, MembershipId, OrganizationId, OrganizationKind, UserId};
use crate::memberships::available_role_ids;
use crate::roles::{self, Permission, RoleView, custom};
use crate::sessions::handlers::start as start_session;
use crate::store::Conn;
use crate::time::{self, MICROS_PER_SECOND, Micros};
use crate::users::{self, password};
use crate::{memberships, organizations, urls};

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct InvitationView {
    pub invitation_url: String,
    pub organization_url: String,
    pub email_address: String,
    pub roles: Vec<RoleView>,
    pub invitation_status: String,
    pub invited_by_url: String,
    pub expires_at: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_invitation_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resend_invitation_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accept_invitation_url: Option<&'static str>,
    /// Only in the answers to create and resend, in test mode (no email is sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_token: Option<String>,
}

async fn view(
    conn: &mut Conn<'_>,
    row: InvitationRow,
    now: Micros,
    token: Option<&InvitationToken>,
) -> ApiResult<InvitationView> {
    let roles = custom::resolve(conn, &row.role_id_list()).await?;
    let status = row.status_at(now).to_string();
    let id = row.id;
    let url = urls::invitation(&id);
    let pending = status == PENDING;
    Ok(InvitationView {
        cancel_invitation_url: pending.then(|| format!("{url}/actions/cancel")),
        resend_invitation_url: (pending || status == EXPIRED)
            .then(|| format!("{url}/actions/resend")),
        accept_invitation_url: pending.then_some(urls::INVITATION_ACCEPT),
        invitation_url: url,
        organization_url: urls::organization(&row.organization_id),
        email_address: row.email,
        roles: roles::views(&roles),
        invitation_status: status,
        invited_by_url: urls::user(&row.invited_by_user_id),
        expires_at: time::format(row.expires_at),
        created_at: time::format(row.created_at),
        membership_url: row.membership_id.map(|m| urls::membership(&m)),
        invitation_token: token.map(|t| t.as_str().to_string()),
    })
}

fn expiry(state: &AppState, now: Micros) -> Micros {
    let seconds = i64::try_from(state.settings.invitation_ttl.as_secs()).unwrap_or(i64::MAX);
    now.saturating_add(seconds.saturating_mul(MICROS_PER_SECOND))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CreateInvitation {
    email_address: String,
    role_urls: Option<Vec<String>>,
}

/// `POST /v0/organizations/{organization-id}/invitations`
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<CreateInvitation>,
) -> ApiResult<HttpResponse> {
    let organization_id = path_id::<OrganizationKind>(&path)?;
    if !users::valid_email(&body.email_address) {
        return Err(ApiError::invalid_body(
            "Invalid value",
            "`email-address` is not an email address.",
            "/email-address",
        ));
    }
    let email = users::normalize_email(&body.email_address);
    let now = state.clock.now();
    let token = InvitationToken::generate();
    let mut tx = state.db.write().await?;
    let result: ApiResult<InvitationView> = async {
        let mut conn = tx.conn();
        caller
            .write_access(&mut conn, organization_id.as_str(), Permission::TeamManage)
            .await?;
        let role_ids = match &body.role_urls {
            Some(urls) => available_role_ids(&mut conn, &organization_id, urls).await?,
            None => roles::builtin_id(roles::TEAM_MEMBER)
                .map(|id| vec![id])
                .unwrap_or_default(),
        };
        if let Some(user) = users::find_by_email(&mut conn, &email).await?
            && memberships::find_of_user(&mut conn, &organization_id, &user.id)
                .await?
                .is_some()
        {
            return Err(ApiError::conflict(
                "already-a-member",
                format!("{email} is already a member of this organization."),
            ));
        }
        if super::pending_for_email(&mut conn, &organization_id, &email, now)
            .await?
            .is_some()
        {
            return Err(ApiError::conflict(
                "invitation-pending",
                format!("{email} already has a pending invitation; resend it instead."),
            ));
        }
        let row = InvitationRow {
            id: InvitationId::generate(),
            organization_id: organization_id.clone(),
            email: email.clone(),
            role_ids: role_ids
                .iter()
                .map(|id| id.as_str())
                .collect::<Vec<_>>()
                .join(","),
            invitation_status: PENDING.to_string(),
            invited_by_user_id: caller.user_id.clone(),
            membership_id: None,
            expires_at: expiry(&state, now),
            created_at: now,
            updated_at: now,
        };
        super::insert(&mut conn, &row, &token).await?;
        view(&mut conn, row, now, Some(&token)).await
    }
    .await;
    let view = tx.finish(result).await?;
    Ok(created(&view.invitation_url.clone(), &view))
}

const FILTERS: [&str; 1] = ["filter[invitation-status][eq]"];

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
    let status = match query.single("filter[invitation-status][eq]")? {
        None => None,
        Some(status @ (PENDING | ACCEPTED | CANCELLED | EXPIRED)) => Some(status),
        Some(other) => {
            return Err(ApiError::invalid_parameter(
                "filter[invitation-status][eq]",
                format!(
                    "Unknown status `{other}`: expected pending, accepted, expired or cancelled."
                ),
            ));
        }
    };
    let now = state.clock.now();
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    caller
        .access(&mut conn, organization_id.as_str(), Permission::Read)
        .await?;
    let page = super::list(&mut conn, &organization_id, status, now, &page_request).await?;
    let mut views = Vec::with_capacity(page.items.len());
    for row in page.items.iter().cloned() {
        views.push(view(&mut conn, row, now, None).await?);
    }
    let page = page.with_items(views);
    Ok(ok(&ListBody::new(
        "invitations",
        page,
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
    let now = state.clock.now();
    let mut conn = state.db.read().await?;
    let mut conn = conn.conn();
    let row = caller
        .visible::<InvitationRow>(&mut conn, &path, Permission::Read)
        .await?;
    Ok(ok(&view(&mut conn, row, now, None).await?))
}

fn not_pending(status: &str) -> ApiError {
    ApiError::unprocessable(
        "invitation-not-pending",
        format!("The invitation is {status}, not pending."),
    )
}

/// `POST /v0/invitations/{invitation-id}/actions/cancel`: pending invitations only.
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let mut tx = state.db.write().await?;
    let result: ApiResult<InvitationView> = async {
        let mut conn = tx.conn();
        let (mut row, _) = caller
            .visible_for_write::<InvitationRow>(&mut conn, &path, Permission::TeamManage)
            .await?;
        let status = row.status_at(now).to_string();
        if status != PENDING || !super::transition(&mut conn, &row.id, CANCELLED, None, now).await?
        {
            return Err(not_pending(&status));
        }
        row.invitation_status = CANCELLED.to_string();
        view(&mut conn, row, now, None).await
    }
    .await;
    Ok(ok(&tx.finish(result).await?))
}

/// `POST /v0/invitations/{invitation-id}/actions/resend`: a new token and expiry for a pending
/// or expired invitation; the previous token stops working.
pub async fn resend(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let token = InvitationToken::generate();
    let mut tx = state.db.write().await?;
    let result: ApiResult<InvitationView> = async {
        let mut conn = tx.conn();
        let (mut row, _) = caller
            .visible_for_write::<InvitationRow>(&mut conn, &path, Permission::TeamManage)
            .await?;
        if row.invitation_status != PENDING {
            return Err(not_pending(&row.invitation_status));
        }
        row.expires_at = expiry(&state, now);
        super::replace_token(&mut conn, &row.id, &token, now, row.expires_at).await?;
        view(&mut conn, row, now, Some(&token)).await
    }
    .await;
    Ok(ok(&tx.finish(result).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Accept {
    invitation_token: String,
    given_name: String,
    surname: String,
    password: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Accepted {
    membership_url: String,
    organization_url: String,
    user_url: String,
    session_url: &'static str,
    session_token: String,
    session_expires_at: String,
}

fn check_name(value: &str, pointer: &'static str) -> ApiResult<()> {
    let length = value.trim().chars().count();
    if (1..=100).contains(&length) {
        Ok(())
    } else {
        Err(ApiError::invalid_body(
            "Invalid value",
            "Names are 1 to 100 characters.",
            pointer,
        ))
    }
}

/// `POST /v0/invitations/actions/accept` (no authentication: the token is the credential).
/// A new email becomes a new user; a known one gets the membership. Answers with the
/// membership and a session for the user.
pub async fn accept(
    state: web::Data<AppState>,
    Json(body): Json<Accept>,
) -> ApiResult<HttpResponse> {
    check_name(&body.given_name, "/given-name")?;
    check_name(&body.surname, "/surname")?;
    if !password::valid(&body.password) {
        return Err(ApiError::invalid_body(
            "Invalid value",
            "`password` must be 8 to 256 characters.",
            "/password",
        ));
    }
    let token_hash = hash_secret(body.invitation_token.trim());
    let refused = |title: &'static str, detail: &str| {
        ApiError::unprocessable(title, detail.to_string()).with_pointer("/invitation-token")
    };
    let invalid = || refused("invitation-token-invalid", "No invitation has this token.");
    // Before the transaction, since password hashing is slow on purpose: which invitation,
    // and whether its address already has an account — whose password must then be given,
    // or an invitation token would be a way into someone else's account.
    let (organization_id, existing_hash) = {
        let mut conn = state.db.read().await?;
        let mut conn = conn.conn();
        let (invitation, _) = super::find_by_token(&mut conn, &token_hash)
            .await?
            .ok_or_else(invalid)?;
        let user = users::find_by_email(&mut conn, &invitation.email).await?;
        (
            invitation.organization_id,
            user.and_then(|u| u.password_hash),
        )
    };
    let password_text = body.password.clone();
    let new_password_hash = match existing_hash {
        Some(stored) => {
            let matches = web::block(move || password::verify(&password_text, Some(&stored)))
                .await
                .map_err(ApiError::internal)?;
            if !matches {
                return Err(ApiError::unprocessable(
                    "password-incorrect",
                    "This address already has an account: give its password to accept.",
                )
                .with_pointer("/password"));
            }
            None
        }
        None => Some(
            web::block(move || password::hash(&password_text))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?,
        ),
    };
    let now = state.clock.now();
    let mut tx = state.db.write().await?;
    let result: ApiResult<(MembershipId, OrganizationId, UserId)> = async {
        let mut conn = tx.conn();
        // One accept (or resend, or cancel) at a time per organization: the token and the
        // invitation are read behind the lock, so a racing second accept sees `accepted` and
        // a token superseded meanwhile is refused.
        organizations::lock(&mut conn, &organization_id).await?;
        let (row, superseded) = super::find_by_token(&mut conn, &token_hash)
            .await?
            .ok_or_else(invalid)?;
        if superseded {
            return Err(refused(
                "invitation-token-superseded",
                "The invitation was sent again with a new token; use the newest one.",
            ));
        }
        match row.status_at(now) {
            PENDING => {}
            ACCEPTED => {
                return Err(refused(
                    "invitation-already-accepted",
                    "The invitation was already accepted.",
                ));
            }
            CANCELLED => {
                return Err(refused(
                    "invitation-cancelled",
                    "The invitation was cancelled.",
                ));
            }
            _ => {
                return Err(refused(
                    "invitation-expired",
                    "The invitation has expired; ask for it to be sent again.",
                ));
            }
        }
        let user = users::find_or_create(&mut conn, &row.email).await?;
        if user.password_hash.is_none() {
            let Some(hash) = &new_password_hash else {
                // The account got a password between the check above and now.
                return Err(ApiError::conflict(
                    "account-changed",
                    "The account changed while accepting; try again.",
                ));
            };
            users::set_password(&mut conn, &user.id, hash).await?;
        }
        users::set_names_if_unset(
            &mut conn,
            &user.id,
            body.given_name.trim(),
            body.surname.trim(),
        )
        .await?;
        if memberships::find_of_user(&mut conn, &row.organization_id, &user.id)
            .await?
            .is_some()
        {
            return Err(ApiError::conflict(
                "already-a-member",
                "This user is already a member of the organization.",
            ));
        }
        let membership = memberships::insert(
            &mut conn,
            &row.organization_id,
            &user.id,
            &row.role_id_list(),
        )
        .await?;
        if !super::transition(&mut conn, &row.id, ACCEPTED, Some(&membership.id), now).await? {
            return Err(refused(
                "invitation-already-accepted",
                "The invitation was already accepted.",
            ));
        }
        Ok((membership.id, row.organization_id, user.id))
    }
    .await;
    let (membership_id, organization_id, user_id) = tx.finish(result).await?;
    let session = start_session(&state, &user_id).await?;
    let membership_url = urls::membership(&membership_id);
    let body = Accepted {
        organization_url: urls::organization(&organization_id),
        user_url: session.user_url,
        session_url: session.session_url,
        session_token: session.session_token,
        session_expires_at: session.expires_at,
        membership_url: membership_url.clone(),
    };
    Ok(created(&membership_url, &body))
}
