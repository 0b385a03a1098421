//! API keys: one organization's credentials, each acting for the user who made it.

pub mod handlers;
pub mod secret;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use crate::dispatch;
use crate::http::auth::hash_secret;
use crate::ids::{ApiKeyId, OrganizationId, UserId};
use crate::paginate;
use crate::paging::Cursor;
use crate::paging::{Page, PageRequest};
use crate::store::Conn;
use crate::store::schema::api_keys;
use crate::time::{self, Micros};
use crate::urls;
use secret::ApiKeySecret;

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

    async fn find(
        conn: &mut Conn<'_>,
        id: &crate::ids::Id<crate::ids::ApiKeyKind>,
    ) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &crate::ids::OrganizationId {
        &self.organization_id
    }
}

impl ApiKeyRow {
    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.created_at, &self.id)
    }
}

/// Why a key could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("an API key named {0:?} already exists in this organization")]
    NameTaken(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Creates a key named after `secret` (which the caller generated or was given), storing
/// only the secret's hash.
pub async fn insert(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    user_id: &UserId,
    secret: &ApiKeySecret,
) -> Result<ApiKeyRow, CreateError> {
    let name = secret.name().to_string();
    if name_taken(conn, organization_id, &name).await? {
        return Err(CreateError::NameTaken(name));
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
        Err(e) if crate::store::is_unique_violation(&e) => Err(CreateError::NameTaken(row.name)),
        Err(e) => Err(e.into()),
    }
}

async fn name_taken(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    name: &str,
) -> QueryResult<bool> {
    let found: Option<String> = dispatch!(conn, c => api_keys::table
        .filter(api_keys::organization_id.eq(organization_id))
        .filter(api_keys::name.eq(name))
        .select(api_keys::id)
        .first(c)
        .await
        .optional())?;
    Ok(found.is_some())
}

pub async fn find(
    conn: &mut Conn<'_>,
    id: &crate::ids::ApiKeyId,
) -> QueryResult<Option<ApiKeyRow>> {
    dispatch!(conn, c => api_keys::table
        .find(id)
        .select(ApiKeyRow::as_select())
        .first(c)
        .await
        .optional())
}

pub async fn delete(conn: &mut Conn<'_>, id: &str) -> QueryResult<usize> {
    dispatch!(conn, c => diesel::delete(api_keys::table.find(id)).execute(c).await)
}

/// Keys of the given organizations, only those of `user_id` when given.
pub async fn list(
    conn: &mut Conn<'_>,
    organization_ids: &[OrganizationId],
    user_id: Option<&str>,
    page: &PageRequest,
) -> QueryResult<Page<ApiKeyRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = api_keys::table
            .select(ApiKeyRow::as_select())
            .filter(api_keys::organization_id.eq_any(organization_ids))
            .into_boxed();
        if let Some(user_id) = user_id {
            query = query.filter(api_keys::user_id.eq(user_id));
        }
        paginate!(query, api_keys::created_at, api_keys::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, ApiKeyRow::cursor))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ApiKeyView {
    pub api_key_url: String,
    pub api_key_name: String,
    #[serde(rename = "api-key-live?")]
    pub api_key_live: bool,
    pub organization_url: String,
    pub user_url: String,
    pub created_at: String,
    /// Only in the answer to the request that created the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_secret: Option<String>,
}

impl ApiKeyView {
    pub fn new(row: ApiKeyRow) -> Self {
        ApiKeyView {
            api_key_url: urls::api_key(&row.id),
            api_key_name: row.name,
            api_key_live: row.live,
            organization_url: urls::organization(&row.organization_id),
            user_url: urls::user(&row.user_id),
            created_at: time::format(row.created_at),
            api_key_secret: None,
        }
    }

    pub fn with_secret(row: ApiKeyRow, secret: &ApiKeySecret) -> Self {
        ApiKeyView {
            api_key_secret: Some(secret.as_str().to_string()),
            ..ApiKeyView::new(row)
        }
    }
}
