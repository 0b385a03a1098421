//! Login sessions: `POST /v0/session` trades an email and password for a token, sent as
//! `Authorization: GriffinSession <token>`. Only the token's hash is stored.
//!
//! A session works in a current organization, the one `GET /v0/index` links: at login the
//! user's oldest active membership's, after an accepted invitation its organization's, after
//! `POST /v0/organizations` the new one's, and whichever `PUT /v0/session` names (the user
//! must be an active member there). When the user is removed from that organization or
//! deactivated there, their sessions move to their oldest other organization where they are an
//! active member, or to none ([`leave`]). The organization in a request's URL still decides
//! which membership applies to it.

pub mod handlers;
pub mod view;

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::access::authenticate::hash_secret;
use crate::access::lock_organization;
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{OrganizationId, SessionId, UserId};
use crate::memberships::{self, MembershipStatus};
use crate::store::schema::sessions;
use crate::store::{Conn, PreparedExt};
use crate::time::{MICROS_PER_SECOND, Micros};

const PREFIX: &str = "g-session-";

/// A session token: `g-session-<43 base64url characters>` (32 random bytes). Its `Debug`
/// output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    pub fn generate() -> Self {
        SessionToken(format!(
            "{PREFIX}{}",
            URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
        ))
    }

    pub fn parse(text: &str) -> Option<Self> {
        let random = text.strip_prefix(PREFIX)?;
        let bytes = URL_SAFE_NO_PAD.decode(random).ok()?;
        (bytes.len() == 32 && URL_SAFE_NO_PAD.encode(&bytes) == random)
            .then(|| SessionToken(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(…)")
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions, treat_none_as_default_value = false)]
pub struct SessionRow {
    pub id: SessionId,
    pub user_id: UserId,
    pub token_hash: String,
    pub expires_at: Micros,
    pub created_at: Micros,
    /// The current organization; `None` when the user is an active member nowhere.
    pub organization_id: Option<OrganizationId>,
}

/// Starts a session for `user_id` (after a login or an accepted invitation) in
/// `organization_id`, that lasts `ttl` from `now`.
pub async fn start(
    conn: &mut Conn<'_>,
    user_id: &UserId,
    organization_id: Option<OrganizationId>,
    now: Micros,
    ttl: Duration,
) -> QueryResult<(SessionRow, SessionToken)> {
    let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / MICROS_PER_SECOND);
    let expires_at = now.saturating_add(ttl.saturating_mul(MICROS_PER_SECOND));
    create(conn, user_id, organization_id, now, expires_at).await
}

/// Starts a session for `user_id` in `organization_id`, valid until `expires_at`.
pub async fn create(
    conn: &mut Conn<'_>,
    user_id: &UserId,
    organization_id: Option<OrganizationId>,
    now: Micros,
    expires_at: Micros,
) -> QueryResult<(SessionRow, SessionToken)> {
    let token = SessionToken::generate();
    let row = SessionRow {
        id: SessionId::generate(),
        user_id: user_id.clone(),
        token_hash: hash_secret(token.as_str()),
        expires_at,
        created_at: now,
        organization_id,
    };
    dispatch!(conn, c => diesel::insert_into(sessions::table).values(&row).execute(c).await)?;
    Ok((row, token))
}

/// The unexpired session with this token hash.
pub async fn find_active(
    conn: &mut Conn<'_>,
    token_hash: &str,
    now: Micros,
) -> QueryResult<Option<SessionRow>> {
    dispatch!(conn, c => sessions::table
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(now))
        .select(SessionRow::as_select())
        .first(c)
        .await
        .optional())
}

pub async fn delete(conn: &mut Conn<'_>, id: &SessionId) -> QueryResult<()> {
    dispatch!(conn, c => diesel::delete(sessions::table.find(id)).execute(c).await)?;
    Ok(())
}

/// Where a user's session starts: the organization of their oldest active membership, if any
/// (`except` one they are leaving).
pub async fn first_organization(
    conn: &mut Conn<'_>,
    user_id: &UserId,
    except: Option<&OrganizationId>,
) -> QueryResult<Option<OrganizationId>> {
    Ok(memberships::all_of_user(conn, user_id)
        .await?
        .into_iter()
        .find(|m| {
            m.membership_status == MembershipStatus::Active && Some(&m.organization_id) != except
        })
        .map(|m| m.organization_id))
}

/// Makes `organization_id` the session's current organization.
pub async fn set_organization(
    conn: &mut Conn<'_>,
    id: &SessionId,
    organization_id: Option<&OrganizationId>,
) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(sessions::table.find(id))
        .set(sessions::organization_id.eq(organization_id))
        .prepared()
        .execute(c)
        .await)?;
    Ok(())
}

/// Switches the session to `organization_id`, where its user must be an active member (403
/// otherwise, for an unknown organization too). Behind the organization's lock, so a removal
/// of the membership running meanwhile either comes first and is seen, or comes after and
/// moves the session on ([`leave`]).
pub async fn switch(
    conn: &mut Conn<'_>,
    id: &SessionId,
    user_id: &UserId,
    organization_id: &OrganizationId,
) -> DomainResult<()> {
    // Checked before the lock as well, so that nobody takes the lock of an organization
    // they do not belong to (it would stall that organization's locked writes).
    active_member(conn, user_id, organization_id).await?;
    lock_organization(conn, organization_id).await?;
    active_member(conn, user_id, organization_id).await?;
    set_organization(conn, id, Some(organization_id)).await?;
    Ok(())
}

/// 403 unless `user_id` is an active member of `organization_id` (an unknown one too).
async fn active_member(
    conn: &mut Conn<'_>,
    user_id: &UserId,
    organization_id: &OrganizationId,
) -> DomainResult<()> {
    let active = memberships::find_of_user(conn, organization_id, user_id)
        .await?
        .is_some_and(|m| m.membership_status == MembershipStatus::Active);
    if !active {
        return Err(DomainError::Refused(
            "You are not an active member of that organization.".into(),
        ));
    }
    Ok(())
}

/// Moves the sessions of `user_id` working in `organization_id`, which the user is leaving
/// (removed or deactivated there), to their oldest other organization where they are an
/// active member, or to none. Runs in the change's transaction.
pub async fn leave(
    conn: &mut Conn<'_>,
    user_id: &UserId,
    organization_id: &OrganizationId,
) -> QueryResult<()> {
    let next = first_organization(conn, user_id, Some(organization_id)).await?;
    dispatch!(conn, c => diesel::update(
            sessions::table
                .filter(sessions::user_id.eq(user_id))
                .filter(sessions::organization_id.eq(organization_id)),
        )
        .set(sessions::organization_id.eq(next.as_ref()))
        .prepared()
        .execute(c)
        .await)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_forgeries() {
        let token = SessionToken::generate();
        assert_eq!(SessionToken::parse(token.as_str()), Some(token.clone()));
        assert!(!format!("{token:?}").contains(&token.as_str()[PREFIX.len()..]));
        for bad in [
            "",
            "g-session-",
            "g-session-abc",
            "g-test-x-RrUZ5fUG4pSKwYVVG1C3Ft1xrMRxy1T7KUIyTva5bTk",
        ] {
            assert_eq!(SessionToken::parse(bad), None, "{bad}");
        }
    }
}
