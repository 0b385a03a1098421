//! Who may do what: the caller a request authenticated as, and the one API every handler asks
//! before it reads or changes an organization's resources.
//!
//! - [`Caller::organization`]: the caller's access to an organization, for reads;
//! - [`Caller::read`]: a resource named by id, if the caller may read it;
//! - [`Caller::write`]: a resource for a change, with the caller's membership read afresh;
//! - [`Caller::write_locked`]: the same behind the lock the resource's writes take
//!   ([`Owned::lock`]), for rules that span rows (the last Team admin, one accept per token).
//!
//! Another organization's resources are 404, never 403; a missing permission is 403 naming
//! the roles that grant it; a member removed or deactivated is 401 at once. Writes go through
//! the write pipeline ([`crate::pipeline`]), which calls `write` or `write_locked` inside its
//! transaction.

pub mod authenticate;
pub mod handlers;

use std::future::Future;

use diesel::QueryResult;

use crate::error::{DomainError, DomainResult};
use crate::ids::{ApiKeyId, Id, IdKind, MembershipId, OrganizationId, SessionId, UserId};
use crate::memberships::MembershipStatus;
use crate::roles::custom::available;
use crate::roles::{Permission, PermissionSet};
use crate::store::Conn;
use crate::time::Micros;

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    ApiKey {
        id: ApiKeyId,
        organization_id: OrganizationId,
        /// Whether the organization requires its API keys' requests to be signed.
        signatures_required: bool,
    },
    Session {
        id: SessionId,
        expires_at: Micros,
        /// The session's current organization, as read with the session.
        organization_id: Option<OrganizationId>,
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
    /// For an API key, its access in its own organization, read with the key.
    key_access: Option<Access>,
}

/// The permission a change needs: one permission, or for a resource someone created (a
/// payment), one for its creator and another, a second pair of eyes, for everyone else.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    Permission(Permission),
    CreatorOr {
        creator: Permission,
        others: Permission,
    },
}

impl From<Permission> for Need {
    fn from(permission: Permission) -> Self {
        Need::Permission(permission)
    }
}

impl Need {
    /// The permission `caller` needs on `resource`.
    pub fn of<R: Owned>(self, resource: &R, caller: &UserId) -> Permission {
        match self {
            Need::Permission(permission) => permission,
            Need::CreatorOr { creator, others } => {
                if resource.created_by() == Some(caller) {
                    creator
                } else {
                    others
                }
            }
        }
    }
}

/// A resource found for a change, with the access that allowed it.
pub struct Granted<R> {
    pub resource: R,
    pub access: Access,
}

/// A resource that belongs to one organization and can be found by id.
pub trait Owned: Sized {
    type Kind: IdKind;

    fn find(
        conn: &mut Conn<'_>,
        id: &Id<Self::Kind>,
    ) -> impl Future<Output = QueryResult<Option<Self>>>;

    fn organization_id(&self) -> &OrganizationId;

    /// The user who created it, for resources whose creator has a say ([`Need::CreatorOr`]).
    fn created_by(&self) -> Option<&UserId> {
        None
    }

    /// Reads the resource `id` of `organization_id` again behind the lock its locked writes
    /// take. By default that is the organization's lock, which serializes the organization's
    /// locked writes; a resource whose rules concern itself alone (a bank account) locks just
    /// its row instead.
    fn lock(
        conn: &mut Conn<'_>,
        id: &Id<Self::Kind>,
        organization_id: &OrganizationId,
    ) -> impl Future<Output = QueryResult<Option<Self>>> {
        async move {
            lock_organization(conn, organization_id).await?;
            Self::find(conn, id).await
        }
    }
}

/// Takes the organization's lock until the transaction ends. PostgreSQL locks its row; SQLite
/// has one writer at a time, so every write transaction holds it already.
pub async fn lock_organization(conn: &mut Conn<'_>, id: &OrganizationId) -> QueryResult<()> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;

    use crate::store::RawConn;
    use crate::store::schema::organizations;

    if let RawConn::Postgres(c) = &mut conn.raw {
        organizations::table
            .find(id)
            .select(organizations::id)
            .for_update()
            .first::<OrganizationId>(&mut **c)
            .await
            .optional()?;
    }
    Ok(())
}

impl Caller {
    pub fn new(user_id: UserId, credential: Credential, key_access: Option<Access>) -> Self {
        Caller {
            user_id,
            credential,
            key_access,
        }
    }

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

    /// The organization the caller works in: an API key's own, or a session's current one
    /// (see [`crate::sessions`]).
    pub fn current_organization(&self) -> Option<&OrganizationId> {
        match &self.credential {
            Credential::ApiKey {
                organization_id, ..
            } => Some(organization_id),
            Credential::Session {
                organization_id, ..
            } => organization_id.as_ref(),
        }
    }

    /// The caller's access in `organization_id` for a read, which must include `permission`.
    /// An API key's access was read with the key; a session's is read now.
    pub async fn organization(
        &self,
        conn: &mut Conn<'_>,
        organization_id: &OrganizationId,
        permission: Permission,
    ) -> DomainResult<Access> {
        let access = match &self.key_access {
            Some(access) if access.organization_id == *organization_id => access.clone(),
            Some(_) => return Err(DomainError::NotFound),
            None => self.current_access(conn, organization_id).await?,
        };
        require(conn, access, permission).await
    }

    /// The resource with `id`, if the caller may read it with `permission`.
    pub async fn read<R: Owned>(
        &self,
        conn: &mut Conn<'_>,
        id: &Id<R::Kind>,
        permission: Permission,
    ) -> DomainResult<R> {
        let resource = R::find(conn, id).await?.ok_or(DomainError::NotFound)?;
        self.organization(conn, resource.organization_id(), permission)
            .await?;
        Ok(resource)
    }

    /// The resource with `id` for a change needing `permission`, inside the change's
    /// transaction: the caller's membership is read afresh, so a member deactivated a moment
    /// ago is refused, and the check and the change see the same state.
    pub async fn write<R: Owned>(
        &self,
        conn: &mut Conn<'_>,
        id: &Id<R::Kind>,
        need: Need,
    ) -> DomainResult<Granted<R>> {
        let resource = self.find_own::<R>(conn, id).await?;
        let permission = need.of(&resource, &self.user_id);
        let access = self
            .fresh_access(conn, resource.organization_id(), permission)
            .await?;
        Ok(Granted { resource, access })
    }

    /// [`Caller::write`] behind the resource's lock ([`Owned::lock`]): the resource and the
    /// membership are read after the lock is taken, so the change applies to their current
    /// state.
    pub async fn write_locked<R: Owned>(
        &self,
        conn: &mut Conn<'_>,
        id: &Id<R::Kind>,
        need: Need,
    ) -> DomainResult<Granted<R>> {
        let found = self.find_own::<R>(conn, id).await?;
        let resource = R::lock(conn, id, found.organization_id())
            .await?
            .ok_or(DomainError::NotFound)?;
        let permission = need.of(&resource, &self.user_id);
        let access = self
            .fresh_access(conn, resource.organization_id(), permission)
            .await?;
        Ok(Granted { resource, access })
    }

    /// The resource, unless it is another organization's than the key's: such a key never
    /// takes that organization's locks nor reads its memberships.
    async fn find_own<R: Owned>(&self, conn: &mut Conn<'_>, id: &Id<R::Kind>) -> DomainResult<R> {
        let resource = R::find(conn, id).await?.ok_or(DomainError::NotFound)?;
        match self.key_organization() {
            Some(own) if own != resource.organization_id() => Err(DomainError::NotFound),
            _ => Ok(resource),
        }
    }

    async fn fresh_access(
        &self,
        conn: &mut Conn<'_>,
        organization_id: &OrganizationId,
        permission: Permission,
    ) -> DomainResult<Access> {
        let access = self.current_access(conn, organization_id).await?;
        require(conn, access, permission).await
    }

    /// The caller's membership of the organization as the database has it now.
    async fn current_access(
        &self,
        conn: &mut Conn<'_>,
        organization_id: &OrganizationId,
    ) -> DomainResult<Access> {
        let grant = authenticate::membership_grant(conn, &self.user_id, organization_id)
            .await?
            .ok_or_else(|| match self.credential {
                // A key whose user has left answers as an unknown key.
                Credential::ApiKey { .. } => authenticate::invalid_key(),
                Credential::Session { .. } => DomainError::NotFound,
            })?;
        grant.into_access(organization_id.clone())
    }

    /// Organizations whose members and resources this caller can see at all: an API key's own
    /// organization, or every organization where the session's user is an active member —
    /// in both cases only where the caller's roles grant `read`.
    pub async fn visible_organizations(
        &self,
        conn: &mut Conn<'_>,
    ) -> DomainResult<Vec<OrganizationId>> {
        if self.key_access.is_some() {
            return Ok(self
                .key_access
                .iter()
                .filter(|access| access.permissions.contains(Permission::Read))
                .map(|access| access.organization_id.clone())
                .collect());
        }
        let mut readable = Vec::new();
        for membership in crate::memberships::all_of_user(conn, &self.user_id).await? {
            if membership.membership_status != MembershipStatus::Active {
                continue;
            }
            let grant =
                authenticate::membership_grant(conn, &self.user_id, &membership.organization_id)
                    .await?;
            if grant.is_some_and(|g| g.permissions.contains(Permission::Read)) {
                readable.push(membership.organization_id);
            }
        }
        Ok(readable)
    }
}

/// `access`, if it includes `permission`; else 403 naming the organization's roles that grant
/// it.
async fn require(
    conn: &mut Conn<'_>,
    access: Access,
    permission: Permission,
) -> DomainResult<Access> {
    if access.permissions.contains(permission) {
        return Ok(access);
    }
    let granted_by = available(conn, &access.organization_id)
        .await?
        .into_iter()
        .filter(|role| role.permissions.contains(permission))
        .map(|role| role.display_name)
        .collect();
    Err(DomainError::Forbidden {
        permission: permission.name(),
        granted_by,
    })
}
