//! Login sessions: `POST /v0/session` trades an email and password for a token, sent as
//! `Authorization: GriffinSession <token>`. Only the token's hash is stored.

pub mod handlers;
pub mod view;

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::access::authenticate::hash_secret;
use crate::dispatch;
use crate::ids::{SessionId, UserId};
use crate::store::Conn;
use crate::store::schema::sessions;
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
}

/// Starts a session for `user_id` (after a login or an accepted invitation) that lasts `ttl`
/// from `now`.
pub async fn start(
    conn: &mut Conn<'_>,
    user_id: &UserId,
    now: Micros,
    ttl: Duration,
) -> QueryResult<(SessionRow, SessionToken)> {
    let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / MICROS_PER_SECOND);
    let expires_at = now.saturating_add(ttl.saturating_mul(MICROS_PER_SECOND));
    create(conn, user_id, now, expires_at).await
}

/// Starts a session for `user_id`, valid until `expires_at`.
pub async fn create(
    conn: &mut Conn<'_>,
    user_id: &UserId,
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
