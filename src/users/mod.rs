//! Users: people who belong to organizations through memberships.

pub mod handlers;
pub mod password;

use crate::store::PreparedExt;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use crate::dispatch;
use crate::ids::{OrganizationId, UserId};
use crate::store::Conn;
use crate::store::schema::{memberships, users};
use crate::time::{self, Micros};
use crate::urls;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub username: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub created_at: Micros,
    pub password_hash: Option<String>,
}

/// Emails are compared case-insensitively: they are stored lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A deliberately small check: one `@` with something on each side and no whitespace.
/// Deliverability is the mail system's business.
pub fn valid_email(email: &str) -> bool {
    let email = email.trim();
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && email.len() <= 254
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

pub async fn find_by_email(conn: &mut Conn<'_>, email: &str) -> QueryResult<Option<UserRow>> {
    let email = normalize_email(email);
    dispatch!(conn, c => users::table
        .filter(users::email.eq(&email))
        .select(UserRow::as_select())
        .first(c)
        .await
        .optional())
}

/// The user with this email, created if there is none yet.
pub async fn find_or_create(conn: &mut Conn<'_>, email: &str) -> QueryResult<UserRow> {
    if let Some(user) = find_by_email(conn, email).await? {
        return Ok(user);
    }
    let email = normalize_email(email);
    let row = UserRow {
        id: UserId::generate(),
        username: email.clone(),
        email,
        given_name: None,
        surname: None,
        created_at: time::now(),
        password_hash: None,
    };
    // Two requests may create the same address at once (accepting invitations of two
    // organizations): the loser of the race reads the winner's row instead of failing.
    dispatch!(conn, c => diesel::insert_into(users::table)
        .values(&row)
        .on_conflict_do_nothing()
        .execute(c)
        .await)?;
    find_by_email(conn, &row.email)
        .await?
        .ok_or(diesel::result::Error::NotFound)
}

pub async fn find(conn: &mut Conn<'_>, id: &crate::ids::UserId) -> QueryResult<Option<UserRow>> {
    dispatch!(conn, c => users::table
        .find(id)
        .select(UserRow::as_select())
        .first(c)
        .await
        .optional())
}

pub async fn set_password(conn: &mut Conn<'_>, id: &str, hash: &str) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(users::table.find(id))
        .set(users::password_hash.eq(hash))
        .prepared()
        .execute(c)
        .await)?;
    Ok(())
}

/// Sets the names of a user who has none yet (an invitee signing up).
pub async fn set_names_if_unset(
    conn: &mut Conn<'_>,
    id: &str,
    given_name: &str,
    surname: &str,
) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(users::table.find(id).filter(users::given_name.is_null()))
        .set((users::given_name.eq(given_name), users::surname.eq(surname)))
        .prepared()
        .execute(c)
        .await)?;
    Ok(())
}

/// The user, if the caller (`caller_user_id`, who can see `visible_organizations`) may see
/// them: themself, or a member of one of those organizations.
pub async fn find_visible(
    conn: &mut Conn<'_>,
    user_id: &UserId,
    caller_user_id: &UserId,
    visible_organizations: &[OrganizationId],
) -> QueryResult<Option<UserRow>> {
    if user_id == caller_user_id {
        return find(conn, user_id).await;
    }
    dispatch!(conn, c => users::table
        .inner_join(memberships::table)
        .filter(users::id.eq(user_id))
        .filter(memberships::organization_id.eq_any(visible_organizations))
        .select(UserRow::as_select())
        .first(c)
        .await
        .optional())
}

pub async fn find_many(conn: &mut Conn<'_>, ids: &[UserId]) -> QueryResult<Vec<UserRow>> {
    dispatch!(conn, c => users::table
        .filter(users::id.eq_any(ids))
        .select(UserRow::as_select())
        .load(c)
        .await)
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct UserView {
    pub user_url: String,
    pub user_email: String,
    pub user_username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    pub api_keys_url: String,
    pub user_memberships_url: String,
}

impl UserView {
    pub fn new(row: UserRow) -> Self {
        let id = row.id;
        UserView {
            user_url: urls::user(&id),
            api_keys_url: urls::user_api_keys(&id),
            user_memberships_url: urls::user_memberships(&id),
            user_email: row.email,
            user_username: row.username,
            given_name: row.given_name,
            surname: row.surname,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_rules() {
        for good in ["a@b.co", "First.Last+tag@example.com"] {
            assert!(valid_email(good), "{good}");
        }
        for bad in [
            "", "a", "@b.co", "a@", "a@b", "a@.b", "a@b.", "a b@c.d", "a@b@c.d",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
        assert_eq!(
            normalize_email(" Sandbox@Example.COM "),
            "sandbox@example.com"
        );
    }
}
