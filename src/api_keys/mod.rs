//! API keys: one organization's credentials, each acting for the user who made it.

pub mod handlers;
pub mod secret;
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::access::Granted;
use crate::access::authenticate::hash_secret;
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{ApiKeyId, OrganizationId, UserId};
use crate::organizations::OrganizationRow;
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::store::Conn;
use crate::store::schema::api_keys;
use crate::time::{self, Micros};
use secret::{ApiKeyName, ApiKeySecret};

pub use view::ApiKeyView;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys, treat_none_as_default_value = false)]
pub struct ApiKeyRow {
    pub id: ApiKeyId,
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub name: String,
    pub secret_hash: String,
    pub live: bool,
    pub created_at: Micros,
}

impl crate::access::Owned for ApiKeyRow {
    type Kind = crate::ids::ApiKeyKind;

    async fn find(conn: &mut Conn<'_>, id: &ApiKeyId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

impl ApiKeyRow {
    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.created_at, self.id.as_str())
    }
}

/// A new key named `name` in the granted organization, acting for `user_id`: the key and its
/// secret, which is shown this once and stored only as a hash.
pub async fn create(
    conn: &mut Conn<'_>,
    granted: &Granted<OrganizationRow>,
    user_id: &UserId,
    name: &ApiKeyName,
) -> DomainResult<(ApiKeyRow, ApiKeySecret)> {
    let secret = ApiKeySecret::generate(name.as_str());
    let row = insert(conn, &granted.resource.id, user_id, &secret).await?;
    Ok((row, secret))
}

/// Creates a key named after `secret` (which the caller generated or was given), storing
/// only the secret's hash. Names are unique in an organization (409 `api-key-name-taken`).
pub async fn insert(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    user_id: &UserId,
    secret: &ApiKeySecret,
) -> DomainResult<ApiKeyRow> {
    let name = secret.name().to_string();
    if name_taken(conn, organization_id, &name).await? {
        return Err(name_taken_error(&name));
    }
    let row = ApiKeyRow {
        id: ApiKeyId::generate(),
        organization_id: organization_id.clone(),
        user_id: user_id.clone(),
        name,
        secret_hash: hash_secret(secret.as_str()),
        live: secret.is_live(),
        created_at: time::now(),
    };
    let inserted = dispatch!(conn, c => diesel::insert_into(api_keys::table)
        .values(&row)
        .execute(c)
        .await);
    match inserted {
        Ok(_) => Ok(row),
        // Two requests raced past the check above: the unique index decides.
        Err(e) if crate::store::is_unique_violation(&e) => Err(name_taken_error(&row.name)),
        Err(e) => Err(e.into()),
    }
}

fn name_taken_error(name: &str) -> DomainError {
    DomainError::conflict(
        "api-key-name-taken",
        format!("This organization already has an API key named {name:?}."),
    )
}

async fn name_taken(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    name: &str,
) -> QueryResult<bool> {
    let found: Option<ApiKeyId> = dispatch!(conn, c => api_keys::table
        .filter(api_keys::organization_id.eq(organization_id))
        .filter(api_keys::name.eq(name))
        .select(api_keys::id)
        .first(c)
        .await
        .optional())?;
    Ok(found.is_some())
}

pub async fn find(conn: &mut Conn<'_>, id: &ApiKeyId) -> QueryResult<Option<ApiKeyRow>> {
    dispatch!(conn, c => api_keys::table
        .find(id)
        .select(ApiKeyRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Deletes a key. A key cannot delete itself (`own_key`: the caller's), so a client cannot
/// lock itself out by mistake.
pub async fn revoke(
    conn: &mut Conn<'_>,
    own_key: Option<&ApiKeyId>,
    row: &ApiKeyRow,
) -> DomainResult<()> {
    if own_key == Some(&row.id) {
        return Err(DomainError::unprocessable(
            "api-key-in-use",
            "An API key cannot delete itself; delete it with another key.",
        ));
    }
    delete(conn, &row.id).await?;
    Ok(())
}

pub async fn delete(conn: &mut Conn<'_>, id: &ApiKeyId) -> QueryResult<usize> {
    dispatch!(conn, c => diesel::delete(api_keys::table.find(id)).execute(c).await)
}

/// Keys of the given organizations, only those of `user_id` when given.
pub async fn list(
    conn: &mut Conn<'_>,
    organization_ids: &[OrganizationId],
    user_id: Option<&UserId>,
    page: &PageRequest,
) -> QueryResult<Page<ApiKeyRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = api_keys::table
            .select(ApiKeyRow::as_select())
            .filter(api_keys::organization_id.eq_any(organization_ids))
            .into_boxed();
        if let Some(user_id) = user_id {
            query = query.filter(api_keys::user_id.eq(user_id.clone()));
        }
        paginate!(query, api_keys::created_at, api_keys::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, ApiKeyRow::cursor))
}
