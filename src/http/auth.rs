//! Authentication and authorization.
//!
//! Two credentials are accepted on every endpoint:
//! - `Authorization: GriffinAPIKey g-test-<name>-<secret>`: a key belongs to one organization
//!   and acts for the user who made it, with that user's current roles there;
//! - `Authorization: GriffinSession <token>`: a user's login session; the organization named
//!   by the URL decides which of the user's memberships (and so which roles) apply.
//!
//! Either way, a membership must be active: a removed member's key, or a deactivated member's
//! key or session, is refused with 401 at once. Only SHA-256 hashes of secrets and tokens are
//! stored (both carry 256 random bits, so a fast hash is enough), and neither is ever logged.
//!
//! Handlers ask [`Caller::access`] for the permission they need in an organization: another
//! organization's resources are 404, a missing permission is 403 naming the roles that grant
//! it.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use sha2::{Digest, Sha256};

use super::error::{ApiError, ApiResult};
use crate::AppState;
use crate::api_keys::secret::ApiKeySecret;
use crate::dispatch;
use crate::ids::{ApiKeyId, MembershipId, OrganizationId, SessionId, UserId};
use crate::roles::custom::available;
use crate::roles::{Permission, PermissionSet, builtin_role};
use crate::sessions::{self, SessionToken};
use crate::store::Conn;
use crate::store::schema::{api_keys, membership_roles, memberships as memberships_table, roles};
use crate::time::Micros;
use crate::{memberships, organizations};

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    ApiKey {
        id: ApiKeyId,
        organization_id: OrganizationId,
    },
    Session {
        id: SessionId,
        expires_at: Micros,
    },
}

/// What a caller may do in one organization.
#[derive(Debug, Clone)]
pub struct Access {
    pub organization_id: OrganizationId,
    pub membership_id: MembershipId,
    pub permissions: PermissionSet,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: UserId,
    pub credential: Credential,
    /// For an API key, its access in its own organization, resolved with the key.
    key_access: Option<Access>,
    /// This request's place among its organization's requests in flight (API keys: their
    /// organization is known before the handler runs); released when the request ends.
    _in_flight: Option<std::sync::Arc<super::limits::Permit>>,
}

impl Caller {
    pub fn api_key_id(&self) -> Option<&ApiKeyId> {
        match &self.credential {
            Credential::ApiKey { id, .. } => Some(id),
            Credential::Session { .. } => None,
        }
    }

    pub fn session_id(&self) -> Option<&SessionId> {
        match &self.credential {
            Credential::Session { id, .. } => Some(id),
            Credential::ApiKey { .. } => None,
        }
    }

    /// The organization an API key belongs to; `None` for sessions.
    pub fn key_organization(&self) -> Option<&OrganizationId> {
        match &self.credential {
            Credential::ApiKey {
                organization_id, ..
            } => Some(organization_id),
            Credential::Session { .. } => None,
        }
    }

    /// The caller's access in `organization_id`, which must include `permission`.
    /// Not a member (or another organization's key): 404. Deactivated: 401. Lacking the
    /// permission: 403 naming the roles that grant it.
    pub async fn access(
        &self,
        conn: &mut Conn<'_>,
        organization_id: &str,
        permission: Permission,
    ) -> ApiResult<Access> {
        let access = match (&self.credential, &self.key_access) {
            (Credential::ApiKey { .. }, Some(access)) => {
                if access.organization_id != *organization_id {
                    return Err(ApiError::not_found());
                }
                access.clone()
            }
            _ => self.current_access(conn, organization_id).await?,
        };
        if !access.permissions.contains(permission) {
            return Err(forbidden(conn, &access.organization_id, permission).await);
        }
        Ok(access)
    }

    /// [`Caller::access`] for a change: called inside the write transaction, it first takes
    /// the organization's lock, then reads the caller's membership afresh. A member
    /// deactivated or removed while this request waited is refused, and the check and the
    /// change see the same state.
    pub async fn write_access(
        &self,
        conn: &mut Conn<'_>,
        organization_id: &str,
        permission: Permission,
    ) -> ApiResult<Access> {
        // Another organization's key never takes that organization's lock.
        if self
            .key_organization()
            .is_some_and(|own| *own != *organization_id)
        {
            return Err(ApiError::not_found());
        }
        organizations::lock(conn, organization_id).await?;
        self.fresh_access(conn, organization_id, permission).await
    }

    /// [`Caller::access`] read afresh from the database rather than from the request's
    /// authentication, without the organization lock: for changes that no rule across rows
    /// guards (creating a customer, say), so a member deactivated a moment ago is refused.
    pub async fn fresh_access(
        &self,
        conn: &mut Conn<'_>,
        organization_id: &str,
        permission: Permission,
    ) -> ApiResult<Access> {
        if self
            .key_organization()
            .is_some_and(|own| *own != *organization_id)
        {
            return Err(ApiError::not_found());
        }
        let access = self.current_access(conn, organization_id).await?;
        if !access.permissions.contains(permission) {
            return Err(forbidden(conn, &access.organization_id, permission).await);
        }
        Ok(access)
    }

    /// The caller's membership of the organization as the database has it now.
    async fn current_access(
        &self,
        conn: &mut Conn<'_>,
        organization_id: &str,
    ) -> ApiResult<Access> {
        let grant = membership_grant(conn, self.user_id.as_str(), organization_id)
            .await?
            .ok_or_else(|| match self.credential {
                // A key whose user has left answers as an unknown key.
                Credential::ApiKey { .. } => ApiError::unauthorized("The API key is not valid."),
                Credential::Session { .. } => ApiError::not_found(),
            })?;
        if grant.status != memberships::MembershipStatus::Active {
            return Err(deactivated());
        }
        Ok(Access {
            organization_id: OrganizationId::from_db(organization_id.to_string()),
            membership_id: MembershipId::from_db(grant.membership_id),
            permissions: grant.permissions,
        })
    }
}

fn deactivated() -> ApiError {
    ApiError::unauthorized("Your membership of this organization is deactivated.")
}

/// 403 whose detail names the roles of the organization that grant `permission`.
async fn forbidden(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    permission: Permission,
) -> ApiError {
    let granting: Vec<String> = match available(conn, organization_id).await {
        Ok(roles) => roles
            .into_iter()
            .filter(|role| role.permissions.contains(permission))
            .map(|role| role.display_name)
            .collect(),
        Err(error) => return error.into(),
    };
    ApiError::forbidden(format!(
        "This needs the `{}` permission, which these roles grant: {}.",
        permission.name(),
        granting.join(", ")
    ))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = credentials(request);
        let state = request.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let presented = presented?;
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let mut conn = state.db.read().await?;
            let mut conn = conn.conn();
            match presented {
                Presented::ApiKey(secret) => {
                    let mut caller =
                        authenticate_key(&mut conn, &hash_secret(secret.as_str())).await?;
                    if let Some(access) = &caller.key_access {
                        let permit = state.limits.organization(access.organization_id.as_str())?;
                        caller._in_flight = Some(std::sync::Arc::new(permit));
                    }
                    Ok(caller)
                }
                Presented::Session(token) => {
                    let session = sessions::find_active(
                        &mut conn,
                        &hash_secret(token.as_str()),
                        state.clock.now(),
                    )
                    .await?
                    .ok_or_else(|| {
                        ApiError::unauthorized("The session is not valid or has expired.")
                    })?;
                    Ok(Caller {
                        user_id: session.user_id,
                        credential: Credential::Session {
                            id: session.id,
                            expires_at: session.expires_at,
                        },
                        key_access: None,
                        _in_flight: None,
                    })
                }
            }
        })
    }
}

enum Presented {
    ApiKey(ApiKeySecret),
    Session(SessionToken),
}

/// Reads and checks the shape of the `Authorization` header.
fn credentials(request: &HttpRequest) -> ApiResult<Presented> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthorized(
                "Send `Authorization: GriffinAPIKey <api-key-secret>` or `GriffinSession <token>`.",
            )
        })?
        .to_str()
        .map_err(|_| ApiError::unauthorized("The Authorization header is not valid."))?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
    match scheme {
        "GriffinAPIKey" => ApiKeySecret::parse(token.trim())
            .map(Presented::ApiKey)
            .ok_or_else(|| ApiError::unauthorized("The API key is not valid.")),
        "GriffinSession" => SessionToken::parse(token.trim())
            .map(Presented::Session)
            .ok_or_else(|| ApiError::unauthorized("The session is not valid or has expired.")),
        _ => Err(ApiError::unauthorized(
            "Unsupported authorization scheme: use `GriffinAPIKey` or `GriffinSession`.",
        )),
    }
}

/// SHA-256 of a secret or token, as lower-case hex: what the database stores and looks up.
pub fn hash_secret(secret: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(secret.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(HEX[usize::from(byte >> 4)] as char);
        hex.push(HEX[usize::from(byte & 0x0f)] as char);
    }
    hex
}

/// One row per role the membership holds (or one with no role): membership id, status,
/// role id, and the permissions of a custom role.
type GrantRow = (
    String,
    memberships::MembershipStatus,
    Option<String>,
    Option<String>,
);

struct Grant {
    membership_id: String,
    status: memberships::MembershipStatus,
    permissions: PermissionSet,
}

fn fold_grant(rows: impl IntoIterator<Item = GrantRow>) -> Option<Grant> {
    let mut grant: Option<Grant> = None;
    for (membership_id, status, role_id, custom_permissions) in rows {
        let granted = match (&role_id, &custom_permissions) {
            (_, Some(stored)) => PermissionSet::from_stored(stored),
            (Some(id), None) => builtin_role(id).map(|r| r.permissions).unwrap_or_default(),
            (None, None) => PermissionSet::default(),
        };
        let entry = grant.get_or_insert_with(|| Grant {
            membership_id,
            status,
            permissions: PermissionSet::default(),
        });
        entry.permissions = entry.permissions.union(granted);
    }
    grant
}

/// The user's membership of the organization with the permissions of all its roles, in one
/// query.
async fn membership_grant(
    conn: &mut Conn<'_>,
    user_id: &str,
    organization_id: &str,
) -> ApiResult<Option<Grant>> {
    let rows: Vec<GrantRow> = dispatch!(conn, c => memberships_table::table
        .left_join(membership_roles::table.on(membership_roles::membership_id.eq(memberships_table::id)))
        .left_join(roles::table.on(roles::id.nullable().eq(membership_roles::role_id.nullable())))
        .filter(memberships_table::user_id.eq(user_id))
        .filter(memberships_table::organization_id.eq(organization_id))
        .select((
            memberships_table::id,
            memberships_table::membership_status,
            membership_roles::role_id.nullable(),
            roles::permissions.nullable(),
        ))
        .load(c)
        .await)?;
    Ok(fold_grant(rows))
}

/// A [`GrantRow`] preceded by the key's id, organization and user.
type KeyGrantRow = (
    String,
    String,
    String,
    String,
    memberships::MembershipStatus,
    Option<String>,
    Option<String>,
);

/// One query: the key, the membership its user holds in the key's organization, and the
/// permissions of that membership's roles.
async fn authenticate_key(conn: &mut Conn<'_>, secret_hash: &str) -> ApiResult<Caller> {
    let rows: Vec<KeyGrantRow> = dispatch!(conn, c => api_keys::table
            .inner_join(
                memberships_table::table.on(memberships_table::organization_id
                    .eq(api_keys::organization_id)
                    .and(memberships_table::user_id.eq(api_keys::user_id))),
            )
            .left_join(membership_roles::table.on(membership_roles::membership_id.eq(memberships_table::id)))
            .left_join(roles::table.on(roles::id.nullable().eq(membership_roles::role_id.nullable())))
            .filter(api_keys::secret_hash.eq(secret_hash))
            .select((
                api_keys::id,
                api_keys::organization_id,
                api_keys::user_id,
                memberships_table::id,
                memberships_table::membership_status,
                membership_roles::role_id.nullable(),
                roles::permissions.nullable(),
            ))
            .load(c)
            .await)?;
    let Some((key_id, organization_id, user_id, ..)) = <[_]>::first(&rows).cloned() else {
        return Err(ApiError::unauthorized("The API key is not valid."));
    };
    let grant = fold_grant(rows.into_iter().map(|(_, _, _, m, s, r, p)| (m, s, r, p)))
        .ok_or_else(|| ApiError::unauthorized("The API key is not valid."))?;
    if grant.status != memberships::MembershipStatus::Active {
        return Err(deactivated());
    }
    let organization_id = OrganizationId::from_db(organization_id);
    Ok(Caller {
        user_id: UserId::from_db(user_id),
        credential: Credential::ApiKey {
            id: ApiKeyId::from_db(key_id),
            organization_id: organization_id.clone(),
        },
        key_access: Some(Access {
            organization_id,
            membership_id: MembershipId::from_db(grant.membership_id),
            permissions: grant.permissions,
        }),
        _in_flight: None,
    })
}

impl Caller {
    /// Organizations whose members and resources this caller can see at all: an API key's own
    /// organization, or every organization where the session's user is an active member —
    /// in both cases only where the caller's roles grant `read`.
    pub async fn visible_organizations(
        &self,
        conn: &mut Conn<'_>,
    ) -> ApiResult<Vec<OrganizationId>> {
        match &self.credential {
            Credential::ApiKey { .. } => Ok(self
                .key_access
                .iter()
                .filter(|access| access.permissions.contains(Permission::Read))
                .map(|access| access.organization_id.clone())
                .collect()),
            Credential::Session { .. } => {
                let rows = memberships::all_of_user(conn, &self.user_id).await?;
                let mut readable = Vec::new();
                for membership in rows {
                    if membership.membership_status != memberships::MembershipStatus::Active {
                        continue;
                    }
                    let grant =
                        membership_grant(conn, self.user_id.as_str(), &membership.organization_id)
                            .await?;
                    if grant.is_some_and(|g| g.permissions.contains(Permission::Read)) {
                        readable.push(membership.organization_id);
                    }
                }
                Ok(readable)
            }
        }
    }
}

impl Caller {
    /// The resource named by a path id, if it belongs to an organization where the caller has
    /// `permission`: malformed, unknown and other organizations' ids are all 404.
    pub async fn visible<R: crate::access::Owned>(
        &self,
        conn: &mut Conn<'_>,
        id: &str,
        permission: Permission,
    ) -> ApiResult<R> {
        let id = super::path_id::<R::Kind>(id)?;
        let resource = R::find(conn, &id).await?.ok_or_else(ApiError::not_found)?;
        self.access(conn, resource.organization_id(), permission)
            .await?;
        Ok(resource)
    }

    /// [`Caller::visible`] for a change, inside the write transaction: the access check takes
    /// the organization's lock ([`Caller::write_access`]) and the resource is read again
    /// behind it, so the change applies to its current state.
    pub async fn visible_for_write<R: crate::access::Owned>(
        &self,
        conn: &mut Conn<'_>,
        id: &str,
        permission: Permission,
    ) -> ApiResult<(R, Access)> {
        let id = super::path_id::<R::Kind>(id)?;
        let found = R::find(conn, &id).await?.ok_or_else(ApiError::not_found)?;
        let access = self
            .write_access(conn, found.organization_id(), permission)
            .await?;
        let current = R::find(conn, &id).await?.ok_or_else(ApiError::not_found)?;
        Ok((current, access))
    }
}

#[cfg(test)]
mod tests {
    use super::hash_secret;

    #[test]
    fn hashes_as_lower_hex_sha256() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
