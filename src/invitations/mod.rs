//! Invitations: a Team admin invites an email address with some roles; whoever holds the
//! one-time token (sent by email in a live system, returned in the 201 body here, since the
//! sandbox sends no mail) accepts it, becoming a member — a new user for a new address.
//!
//! Tokens are stored hashed. A resend replaces the token and the expiry; the old token is
//! kept, marked superseded, so that it is refused with its own title rather than as unknown.

pub mod accept;
pub mod handlers;
pub mod view;

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::access::Granted;
use crate::access::authenticate::hash_secret;
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{GroupId, InvitationId, MembershipId, OrganizationId, RoleId, UserId};
use crate::organizations::OrganizationRow;
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::store::schema::{invitation_tokens, invitations};
use crate::store::{Conn, PreparedExt};
use crate::time::{MICROS_PER_SECOND, Micros};
use crate::users::{self, Email};
use crate::{memberships, roles};

crate::text_enum! {
    /// Where an invitation is. `expired` is never stored: it is a pending invitation past its
    /// expiry, as clients see it ([`InvitationRow::status_at`]).
    pub enum InvitationStatus {
        Pending = "pending",
        Accepted = "accepted",
        Cancelled = "cancelled",
        Expired = "expired",
    }
}

const TOKEN_PREFIX: &str = "g-invite-";

/// A one-time invitation token, `g-invite-<43 base64url characters>`; redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct InvitationToken(String);

impl InvitationToken {
    pub fn generate() -> Self {
        InvitationToken(format!(
            "{TOKEN_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> String {
        hash_secret(&self.0)
    }
}

impl fmt::Debug for InvitationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InvitationToken(…)")
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = invitations, treat_none_as_default_value = false)]
pub struct InvitationRow {
    pub id: InvitationId,
    pub organization_id: OrganizationId,
    pub email: String,
    pub role_ids: String,
    /// The groups accepting adds the member to, comma-separated.
    pub group_ids: String,
    pub invitation_status: InvitationStatus,
    pub invited_by_user_id: UserId,
    pub membership_id: Option<MembershipId>,
    pub expires_at: Micros,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for InvitationRow {
    type Kind = crate::ids::InvitationKind;

    async fn find(conn: &mut Conn<'_>, id: &InvitationId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

impl InvitationRow {
    /// The status a client sees: `expired` once a pending invitation is past its expiry.
    pub fn status_at(&self, now: Micros) -> InvitationStatus {
        if self.invitation_status == InvitationStatus::Pending && self.expires_at <= now {
            InvitationStatus::Expired
        } else {
            self.invitation_status
        }
    }

    pub fn role_id_list(&self) -> Vec<RoleId> {
        self.role_ids
            .split(',')
            .filter(|id| !id.is_empty())
            .map(|id| RoleId::from_db(id.to_string()))
            .collect()
    }

    pub fn group_id_list(&self) -> Vec<GroupId> {
        self.group_ids
            .split(',')
            .filter(|id| !id.is_empty())
            .map(|id| GroupId::from_db(id.to_string()))
            .collect()
    }

    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.created_at, self.id.as_str())
    }
}

/// An invitation as a request asked for it: an address, the URLs of the roles to give
/// (Team member when none are named) and of the groups to join.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub email: Email,
    pub role_urls: Option<Vec<String>>,
    pub group_urls: Vec<String>,
}

/// When an invitation sent at `now` expires, `ttl` later.
pub fn expiry(now: Micros, ttl: Duration) -> Micros {
    let seconds = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
    now.saturating_add(seconds.saturating_mul(MICROS_PER_SECOND))
}

/// Invites `new.email` to the granted organization on behalf of `inviter`, until
/// `expires_at`: the invitation and its one-time token. The roles must be ones the
/// organization offers; the address must not be a member already, nor have a pending
/// invitation (409 for both).
pub async fn invite(
    conn: &mut Conn<'_>,
    granted: &Granted<OrganizationRow>,
    inviter: &UserId,
    new: NewInvitation,
    now: Micros,
    expires_at: Micros,
) -> DomainResult<(InvitationRow, InvitationToken)> {
    let organization_id = &granted.resource.id;
    let role_ids = match &new.role_urls {
        Some(urls) => memberships::available_role_ids(conn, organization_id, urls).await?,
        None => roles::builtin_id(roles::TEAM_MEMBER)
            .map(|id| vec![id])
            .unwrap_or_default(),
    };
    let group_ids = crate::groups::named(conn, organization_id, &new.group_urls).await?;
    not_yet_invited(conn, organization_id, &new.email, now).await?;
    let row = InvitationRow {
        id: InvitationId::generate(),
        organization_id: organization_id.clone(),
        email: new.email.as_str().to_string(),
        role_ids: role_ids
            .iter()
            .map(|id| id.as_str())
            .collect::<Vec<_>>()
            .join(","),
        group_ids: group_ids
            .iter()
            .map(|id| id.as_str())
            .collect::<Vec<_>>()
            .join(","),
        invitation_status: InvitationStatus::Pending,
        invited_by_user_id: inviter.clone(),
        membership_id: None,
        expires_at,
        created_at: now,
        updated_at: now,
    };
    let token = InvitationToken::generate();
    insert(conn, &row, &token).await?;
    Ok((row, token))
}

/// 409 when `email` is a member of the organization already, or has a pending invitation.
async fn not_yet_invited(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    email: &Email,
    now: Micros,
) -> DomainResult<()> {
    if let Some(user) = users::find_by_email(conn, email.as_str()).await?
        && memberships::find_of_user(conn, organization_id, &user.id)
            .await?
            .is_some()
    {
        return Err(DomainError::conflict(
            "already-a-member",
            format!("{email} is already a member of this organization."),
        ));
    }
    if pending_for_email(conn, organization_id, email, now)
        .await?
        .is_some()
    {
        return Err(DomainError::conflict(
            "invitation-pending",
            format!("{email} already has a pending invitation; resend it instead."),
        ));
    }
    Ok(())
}

fn not_pending(status: InvitationStatus) -> DomainError {
    DomainError::unprocessable(
        "invitation-not-pending",
        format!("The invitation is {status}, not pending."),
    )
}

/// Cancels a pending invitation (422 otherwise).
pub async fn cancel(
    conn: &mut Conn<'_>,
    mut row: InvitationRow,
    now: Micros,
) -> DomainResult<InvitationRow> {
    let status = row.status_at(now);
    if status != InvitationStatus::Pending
        || !transition(conn, &row.id, InvitationStatus::Cancelled, None, now).await?
    {
        return Err(not_pending(status));
    }
    row.invitation_status = InvitationStatus::Cancelled;
    Ok(row)
}

/// Sends a pending (or expired) invitation again: a new token, valid until `expires_at`;
/// the previous token stops working.
pub async fn resend(
    conn: &mut Conn<'_>,
    mut row: InvitationRow,
    now: Micros,
    expires_at: Micros,
) -> DomainResult<(InvitationRow, InvitationToken)> {
    if row.invitation_status != InvitationStatus::Pending {
        return Err(not_pending(row.invitation_status));
    }
    let token = InvitationToken::generate();
    row.expires_at = expires_at;
    replace_token(conn, &row.id, &token, now, expires_at).await?;
    Ok((row, token))
}

pub async fn insert(
    conn: &mut Conn<'_>,
    row: &InvitationRow,
    token: &InvitationToken,
) -> QueryResult<()> {
    dispatch!(conn, c => diesel::insert_into(invitations::table).values(row).execute(c).await)?;
    add_token(conn, &row.id, token, row.created_at).await
}

async fn add_token(
    conn: &mut Conn<'_>,
    invitation_id: &InvitationId,
    token: &InvitationToken,
    now: Micros,
) -> QueryResult<()> {
    let values = (
        invitation_tokens::token_hash.eq(token.hash()),
        invitation_tokens::invitation_id.eq(invitation_id),
        invitation_tokens::superseded.eq(false),
        invitation_tokens::created_at.eq(now),
    );
    dispatch!(conn, c => diesel::insert_into(invitation_tokens::table).values(values).execute(c).await)?;
    Ok(())
}

/// Supersedes every earlier token and issues `token` with a new expiry.
pub async fn replace_token(
    conn: &mut Conn<'_>,
    invitation_id: &InvitationId,
    token: &InvitationToken,
    now: Micros,
    expires_at: Micros,
) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(invitation_tokens::table.filter(invitation_tokens::invitation_id.eq(invitation_id)))
        .set(invitation_tokens::superseded.eq(true))
        .prepared()
        .execute(c)
        .await)?;
    add_token(conn, invitation_id, token, now).await?;
    dispatch!(conn, c => diesel::update(invitations::table.find(invitation_id))
        .set((invitations::expires_at.eq(expires_at), invitations::updated_at.eq(now)))
        .prepared()
        .execute(c)
        .await)?;
    Ok(())
}

pub async fn find(conn: &mut Conn<'_>, id: &InvitationId) -> QueryResult<Option<InvitationRow>> {
    dispatch!(conn, c => invitations::table
        .find(id)
        .select(InvitationRow::as_select())
        .first(c)
        .await
        .optional())
}

/// The invitation a token was issued for, and whether the token has been superseded.
pub async fn find_by_token(
    conn: &mut Conn<'_>,
    token_hash: &str,
) -> QueryResult<Option<(InvitationRow, bool)>> {
    dispatch!(conn, c => invitation_tokens::table
        .inner_join(invitations::table)
        .filter(invitation_tokens::token_hash.eq(token_hash))
        .select((InvitationRow::as_select(), invitation_tokens::superseded))
        .first(c)
        .await
        .optional())
}

/// The organization's pending, unexpired invitation of this email, if any.
pub async fn pending_for_email(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    email: &Email,
    now: Micros,
) -> QueryResult<Option<InvitationRow>> {
    dispatch!(conn, c => invitations::table
        .filter(invitations::organization_id.eq(organization_id))
        .filter(invitations::email.eq(email.as_str()))
        .filter(invitations::invitation_status.eq(InvitationStatus::Pending))
        .filter(invitations::expires_at.gt(now))
        .select(InvitationRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Moves a pending invitation to `status`; false when it was no longer pending (someone else
/// got there first), so that exactly one of two racing requests wins.
pub async fn transition(
    conn: &mut Conn<'_>,
    id: &InvitationId,
    status: InvitationStatus,
    membership_id: Option<&MembershipId>,
    now: Micros,
) -> QueryResult<bool> {
    let changed = dispatch!(conn, c => diesel::update(
            invitations::table
                .filter(invitations::id.eq(id))
                .filter(invitations::invitation_status.eq(InvitationStatus::Pending)),
        )
        .set((
            invitations::invitation_status.eq(status),
            invitations::membership_id.eq(membership_id),
            invitations::updated_at.eq(now),
        ))
        .prepared()
        .execute(c)
        .await)?;
    Ok(changed == 1)
}

/// The organization's invitations; `status` filters by the status clients see.
pub async fn list(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    status: Option<InvitationStatus>,
    now: Micros,
    page: &PageRequest,
) -> QueryResult<Page<InvitationRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = invitations::table
            .filter(invitations::organization_id.eq(organization_id))
            .select(InvitationRow::as_select())
            .into_boxed();
        query = match status {
            Some(InvitationStatus::Pending) => query
                .filter(invitations::invitation_status.eq(InvitationStatus::Pending))
                .filter(invitations::expires_at.gt(now)),
            Some(InvitationStatus::Expired) => query
                .filter(invitations::invitation_status.eq(InvitationStatus::Pending))
                .filter(invitations::expires_at.le(now)),
            Some(other) => query.filter(invitations::invitation_status.eq(other)),
            None => query,
        };
        paginate!(query, invitations::created_at, invitations::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, InvitationRow::cursor))
}
