//! Creating an organization with its first user, membership and API key: used by `serve` on
//! an empty database and by `hyperbank bootstrap`. Everything is written in one transaction.

use serde::Serialize;

use crate::api_keys::secret::ApiKeySecret;
use crate::api_keys::{self, ApiKeyRow};
use crate::error::{DomainError, DomainResult};
use crate::money::MinorUnits;
use crate::organizations::{self, DisplayName, OrganizationRow};
use crate::pipeline;
use crate::provision;
use crate::store::{Conn, Db, StoreError};
use crate::urls;
use crate::users::{self, Email, UserRow, password};

pub const SANDBOX_ORGANIZATION: &str = "Sandbox";
pub const SANDBOX_EMAIL: &str = "sandbox@example.com";
const DEFAULT_KEY_NAME: &str = "bootstrap";

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("organization name must be 1 to 64 characters")]
    OrganizationName,
    #[error("{0:?} is not an email address")]
    Email(String),
    #[error("the password must be 8 to 256 characters")]
    Password,
    #[error("cannot hash the password: {0}")]
    PasswordHash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<diesel::result::Error> for BootstrapError {
    fn from(error: diesel::result::Error) -> Self {
        BootstrapError::Store(error.into())
    }
}

pub struct Bootstrapped {
    pub organization: OrganizationRow,
    pub user: UserRow,
    pub api_key: ApiKeyRow,
    pub secret: ApiKeySecret,
}

/// What `hyperbank bootstrap` prints.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct BootstrapReport {
    pub organization_url: String,
    pub user_url: String,
    pub api_key_url: String,
    pub api_key_secret: String,
}

impl Bootstrapped {
    pub fn report(&self) -> BootstrapReport {
        BootstrapReport {
            organization_url: urls::organization(&self.organization.id),
            user_url: urls::user(&self.user.id),
            api_key_url: urls::api_key(&self.api_key.id),
            api_key_secret: self.secret.as_str().to_string(),
        }
    }
}

/// What a bootstrap founds, parsed from its command-line text.
struct Founding {
    organization_name: DisplayName,
    email: Email,
    password_hash: Option<String>,
}

impl Founding {
    fn parse(
        organization_name: &str,
        email: &str,
        password: Option<&str>,
    ) -> Result<Self, BootstrapError> {
        let organization_name =
            DisplayName::parse(organization_name).map_err(|_| BootstrapError::OrganizationName)?;
        let email = Email::parse(email).ok_or_else(|| BootstrapError::Email(email.to_string()))?;
        let password_hash = password
            .map(|text| {
                let given = password::Password::parse(text).ok_or(BootstrapError::Password)?;
                password::hash(given.as_str())
                    .map_err(|e| BootstrapError::PasswordHash(e.to_string()))
            })
            .transpose()?;
        Ok(Founding {
            organization_name,
            email,
            password_hash,
        })
    }
}

/// Creates a test-mode organization whose first user (found or created by email) holds the
/// founder roles, and an API key for that user. `secret` fixes the key's secret (and name);
/// `password`, when given, becomes the user's password.
pub async fn create_organization(
    db: &Db,
    organization_name: &str,
    email: &str,
    secret: Option<ApiKeySecret>,
    password: Option<&str>,
    test_money: MinorUnits,
) -> Result<Bootstrapped, BootstrapError> {
    let founding = Founding::parse(organization_name, email, password)?;
    let secret = secret.unwrap_or_else(|| ApiKeySecret::generate(DEFAULT_KEY_NAME));
    let (organization, user, api_key) = pipeline::unguarded(db, async |conn| {
        found(conn, &founding, &secret, test_money).await
    })
    .await?;
    Ok(Bootstrapped {
        organization,
        user,
        api_key,
        secret,
    })
}

async fn found(
    conn: &mut Conn<'_>,
    founding: &Founding,
    secret: &ApiKeySecret,
    test_money: MinorUnits,
) -> DomainResult<(OrganizationRow, UserRow, ApiKeyRow)> {
    let mut user = users::find_or_create(conn, founding.email.as_str()).await?;
    if let Some(hash) = &founding.password_hash {
        users::set_password(conn, &user.id, hash).await?;
        user.password_hash = Some(hash.clone());
    }
    let (organization, _) =
        provision::provision(conn, &founding.organization_name, &user.id, test_money).await?;
    let api_key = api_keys::insert(conn, &organization.id, &user.id, secret).await?;
    Ok((organization, user, api_key))
}

/// On an empty database, creates the "Sandbox" organization; `None` when there already is one.
pub async fn sandbox_if_empty(
    db: &Db,
    secret: Option<ApiKeySecret>,
    test_money: MinorUnits,
) -> Result<Option<Bootstrapped>, BootstrapError> {
    let mut conn = db.read().await?;
    if organizations::any_exist(&mut conn.conn()).await? {
        return Ok(None);
    }
    drop(conn);
    create_organization(
        db,
        SANDBOX_ORGANIZATION,
        SANDBOX_EMAIL,
        secret,
        None,
        test_money,
    )
    .await
    .map(Some)
}
