//! Users: people who belong to organizations through memberships.

pub mod handlers;
pub mod password;
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::access::Caller;
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{OrganizationId, UserId};
use crate::store::schema::{memberships, users};
use crate::store::{Conn, PreparedExt};
use crate::time::{self, Micros};

pub use view::UserView;

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

/// An email address as users are known by: well formed ([`valid_email`]) and normalized
/// ([`normalize_email`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Option<Self> {
        valid_email(text).then(|| Email(normalize_email(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A given name or surname: 1 to 100 characters once trimmed, kept trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(text: &str) -> Option<Self> {
        let trimmed = text.trim();
        (1..=100)
            .contains(&trimmed.chars().count())
            .then(|| PersonName(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
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

pub async fn find(conn: &mut Conn<'_>, id: &UserId) -> QueryResult<Option<UserRow>> {
    dispatch!(conn, c => users::table
        .find(id)
        .select(UserRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Sets the user's password hash. `id` is text, so that tools holding a user's URL can set it.
pub async fn set_password(conn: &mut Conn<'_>, id: &UserId, hash: &str) -> QueryResult<()> {
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
    id: &UserId,
    given_name: &PersonName,
    surname: &PersonName,
) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(users::table.find(id).filter(users::given_name.is_null()))
        .set((users::given_name.eq(given_name.as_str()), users::surname.eq(surname.as_str())))
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

/// The user `id` if `caller` may see them (see [`find_visible`]), with the organizations
/// the caller can see; 404 otherwise.
pub async fn visible_to(
    conn: &mut Conn<'_>,
    caller: &Caller,
    id: &UserId,
) -> DomainResult<(UserRow, Vec<OrganizationId>)> {
    let visible = caller.visible_organizations(conn).await?;
    let user = find_visible(conn, id, &caller.user_id, &visible)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok((user, visible))
}

pub async fn find_many(conn: &mut Conn<'_>, ids: &[UserId]) -> QueryResult<Vec<UserRow>> {
    dispatch!(conn, c => users::table
        .filter(users::id.eq_any(ids))
        .select(UserRow::as_select())
        .load(c)
        .await)
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
