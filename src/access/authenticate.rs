//! From a credential to a [`Caller`]: an API key's secret or a session's token, looked up by
//! its SHA-256 hash (both carry 256 random bits, so a fast hash is enough; neither is stored
//! or logged as given).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use sha2::{Digest, Sha256};

use super::{Access, Caller, Credential};
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{ApiKeyId, MembershipId, OrganizationId, RoleId, UserId};
use crate::memberships::MembershipStatus;
use crate::roles::{PermissionSet, builtin_role};
use crate::sessions;
use crate::store::Conn;
use crate::store::schema::{
    api_keys, group_memberships, group_roles, membership_roles, memberships, organizations, roles,
};
use crate::time::Micros;

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

pub fn invalid_key() -> DomainError {
    DomainError::unauthenticated("The API key is not valid.")
}

fn deactivated() -> DomainError {
    DomainError::unauthenticated("Your membership of this organization is deactivated.")
}

/// A membership and what its roles allow.
pub(super) struct Grant {
    membership_id: MembershipId,
    status: MembershipStatus,
    pub(super) permissions: PermissionSet,
}

impl Grant {
    /// The access the grant gives, unless the membership is deactivated (401 at once).
    pub(super) fn into_access(self, organization_id: OrganizationId) -> DomainResult<Access> {
        if self.status != MembershipStatus::Active {
            return Err(deactivated());
        }
        Ok(Access {
            organization_id,
            membership_id: self.membership_id,
            permissions: self.permissions,
        })
    }
}

/// One row per role the membership holds (or one with no role): membership id, status,
/// role id, and the permissions of a custom role.
type GrantRow = (
    MembershipId,
    MembershipStatus,
    Option<RoleId>,
    Option<String>,
);

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

/// The user's membership of the organization with the permissions of all its roles, its own
/// and its groups', in one statement: the rows of its own roles (or one row with none), then
/// one per role of each of its groups.
pub(super) async fn membership_grant(
    conn: &mut Conn<'_>,
    user_id: &UserId,
    organization_id: &OrganizationId,
) -> QueryResult<Option<Grant>> {
    let rows: Vec<GrantRow> = dispatch!(conn, c => {
        let own = memberships::table
            .left_join(membership_roles::table.on(membership_roles::membership_id.eq(memberships::id)))
            .left_join(roles::table.on(roles::id.nullable().eq(membership_roles::role_id.nullable())))
            .filter(memberships::user_id.eq(user_id))
            .filter(memberships::organization_id.eq(organization_id))
            .select((
                memberships::id,
                memberships::membership_status,
                membership_roles::role_id.nullable(),
                roles::permissions.nullable(),
            ));
        let through_groups = memberships::table
            .inner_join(group_memberships::table.on(group_memberships::membership_id.eq(memberships::id)))
            .inner_join(group_roles::table.on(group_roles::group_id.eq(group_memberships::group_id)))
            .left_join(roles::table.on(roles::id.eq(group_roles::role_id)))
            .filter(memberships::user_id.eq(user_id))
            .filter(memberships::organization_id.eq(organization_id))
            .select((
                memberships::id,
                memberships::membership_status,
                group_roles::role_id.nullable(),
                roles::permissions.nullable(),
            ));
        own.union_all(through_groups).load(c).await
    })?;
    Ok(fold_grant(rows))
}

/// A [`GrantRow`] preceded by the key's id, organization, user and whether the organization
/// requires signed requests.
type KeyGrantRow = (
    ApiKeyId,
    OrganizationId,
    UserId,
    bool,
    MembershipId,
    MembershipStatus,
    Option<RoleId>,
    Option<String>,
);

/// The caller an API key's secret (by its hash) stands for, with its access in its
/// organization: the key, the membership its user holds there and that membership's roles,
/// its own and its groups', in one statement (as [`membership_grant`]).
pub async fn api_key(conn: &mut Conn<'_>, secret_hash: &str) -> DomainResult<Caller> {
    let rows: Vec<KeyGrantRow> = dispatch!(conn, c => {
        let key_membership = || api_keys::table
            .inner_join(
                memberships::table.on(memberships::organization_id
                    .eq(api_keys::organization_id)
                    .and(memberships::user_id.eq(api_keys::user_id))),
            )
            .inner_join(organizations::table.on(organizations::id.eq(api_keys::organization_id)));
        let own = key_membership()
            .left_join(membership_roles::table.on(membership_roles::membership_id.eq(memberships::id)))
            .left_join(roles::table.on(roles::id.nullable().eq(membership_roles::role_id.nullable())))
            .filter(api_keys::secret_hash.eq(secret_hash))
            .select((
                api_keys::id,
                api_keys::organization_id,
                api_keys::user_id,
                organizations::message_signatures_required,
                memberships::id,
                memberships::membership_status,
                membership_roles::role_id.nullable(),
                roles::permissions.nullable(),
            ));
        let through_groups = key_membership()
            .inner_join(group_memberships::table.on(group_memberships::membership_id.eq(memberships::id)))
            .inner_join(group_roles::table.on(group_roles::group_id.eq(group_memberships::group_id)))
            .left_join(roles::table.on(roles::id.eq(group_roles::role_id)))
            .filter(api_keys::secret_hash.eq(secret_hash))
            .select((
                api_keys::id,
                api_keys::organization_id,
                api_keys::user_id,
                organizations::message_signatures_required,
                memberships::id,
                memberships::membership_status,
                group_roles::role_id.nullable(),
                roles::permissions.nullable(),
            ));
        own.union_all(through_groups).load(c).await
    })?;
    let Some((key_id, organization_id, user_id, signatures_required, ..)) =
        <[_]>::first(&rows).cloned()
    else {
        return Err(invalid_key());
    };
    let access = fold_grant(
        rows.into_iter()
            .map(|(_, _, _, _, m, s, r, p)| (m, s, r, p)),
    )
    .ok_or_else(invalid_key)?
    .into_access(organization_id.clone())?;
    let credential = Credential::ApiKey {
        id: key_id,
        organization_id,
        signatures_required,
    };
    Ok(Caller::new(user_id, credential, Some(access)))
}

/// The caller a session's token (by its hash) stands for, if the session is live at `now`.
pub async fn session(conn: &mut Conn<'_>, token_hash: &str, now: Micros) -> DomainResult<Caller> {
    let session = sessions::find_active(conn, token_hash, now)
        .await?
        .ok_or_else(|| DomainError::unauthenticated("The session is not valid or has expired."))?;
    let credential = Credential::Session {
        id: session.id,
        expires_at: session.expires_at,
        organization_id: session.organization_id,
    };
    Ok(Caller::new(session.user_id, credential, None))
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
