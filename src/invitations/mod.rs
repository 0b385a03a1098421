//! Invitations: a Team admin invites an email address with some roles; whoever holds the
//! one-time token (sent by email in a live system, returned in the 201 body here, since the
//! sandbox sends no mail) accepts it, becoming a member — a new user for a new address.
//!
//! Tokens are stored hashed. A resend replaces the token and the expiry; the old token is
//! kept, marked superseded, so that it is refused with its own title rather than as unknown.

pub mod handlers;

use crate::ids::{InvitationId, MembershipId, OrganizationId, RoleId, UserId};
use std::fmt;

use crate::store::PreparedExt;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::dispatch;
use crate::http::auth::hash_secret;
use crate::paginate;
use crate::paging::Cursor;
use crate::paging::{Page, PageRequest};
use crate::store::Conn;
use crate::store::schema::{invitation_tokens, invitations};
use crate::time::Micros;

pub const PENDING: &str = "pending";
pub const ACCEPTED: &str = "accepted";
pub const CANCELLED: &str = "cancelled";
/// Not stored: a pending invitation past its expiry.
pub const EXPIRED: &str = "expired";

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
    pub invitation_status: String,
    pub invited_by_user_id: UserId,
    pub membership_id: Option<MembershipId>,
    pub expires_at: Micros,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl crate::access::Owned for InvitationRow {
    type Kind = crate::ids::InvitationKind;

    async fn find(
        conn: &mut Conn<'_>,
        id: &crate::ids::Id<crate::ids::InvitationKind>,
    ) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &crate::ids::OrganizationId {
        &self.organization_id
    }
}

impl InvitationRow {
    /// The status a client sees: `expired` once a pending invitation is past its expiry.
    pub fn status_at(&self, now: Micros) -> &str {
        if self.invitation_status == PENDING && self.expires_at <= now {
            EXPIRED
        } else {
            &self.invitation_status
        }
    }

    pub fn role_id_list(&self) -> Vec<RoleId> {
        self.role_ids
            .split(',')
            .filter(|id| !id.is_empty())
            .map(|id| RoleId::from_db(id.to_string()))
            .collect()
    }

    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.created_at, &self.id)
    }
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
    invitation_id: &str,
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
    invitation_id: &str,
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

pub async fn find(
    conn: &mut Conn<'_>,
    id: &crate::ids::InvitationId,
) -> QueryResult<Option<InvitationRow>> {
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
    email: &str,
    now: Micros,
) -> QueryResult<Option<InvitationRow>> {
    dispatch!(conn, c => invitations::table
        .filter(invitations::organization_id.eq(organization_id))
        .filter(invitations::email.eq(email))
        .filter(invitations::invitation_status.eq(PENDING))
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
    id: &str,
    status: &str,
    membership_id: Option<&str>,
    now: Micros,
) -> QueryResult<bool> {
    let changed = dispatch!(conn, c => diesel::update(
            invitations::table
                .filter(invitations::id.eq(id))
                .filter(invitations::invitation_status.eq(PENDING)),
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
    status: Option<&str>,
    now: Micros,
    page: &PageRequest,
) -> QueryResult<Page<InvitationRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = invitations::table
            .filter(invitations::organization_id.eq(organization_id))
            .select(InvitationRow::as_select())
            .into_boxed();
        query = match status {
            Some(PENDING) => query
                .filter(invitations::invitation_status.eq(PENDING))
                .filter(invitations::expires_at.gt(now)),
            Some(EXPIRED) => query
                .filter(invitations::invitation_status.eq(PENDING))
                .filter(invitations::expires_at.le(now)),
            Some(other) => query.filter(invitations::invitation_status.eq(other.to_string())),
            None => query,
        };
        paginate!(query, invitations::created_at, invitations::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, InvitationRow::cursor))
}
