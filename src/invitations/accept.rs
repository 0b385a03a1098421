//! Accepting an invitation (`POST /v0/invitations/actions/accept`): the token is the
//! credential. A new address becomes a new user; an address that already has an account must
//! give that account's password, or an invitation token would be a way into someone else's
//! account. Either way the user becomes a member with the invitation's roles.

use super::{InvitationRow, InvitationStatus, find_by_token, transition};
use crate::access::authenticate::hash_secret;
use crate::access::lock_organization;
use crate::error::{DomainError, DomainResult};
use crate::ids::{MembershipId, OrganizationId, UserId};
use crate::memberships;
use crate::store::Conn;
use crate::time::Micros;
use crate::users::password::{self, Password};
use crate::users::{self, PersonName, UserRow};

/// An acceptance as the request made it: the token (kept only as its hash), the names a new
/// user gets, and the password.
#[derive(Debug)]
pub struct Acceptance {
    token_hash: String,
    pub given_name: PersonName,
    pub surname: PersonName,
    pub password: Password,
}

impl Acceptance {
    pub fn new(
        token: &str,
        given_name: PersonName,
        surname: PersonName,
        password: Password,
    ) -> Self {
        Acceptance {
            token_hash: hash_secret(token.trim()),
            given_name,
            surname,
            password,
        }
    }
}

/// Whom a token invites, as known before the acceptance's transaction (password hashing is
/// slow on purpose, so it happens in between).
#[derive(Debug)]
pub struct Invitee {
    pub organization_id: OrganizationId,
    /// The password hash of the account the address already has, if any.
    pub password_hash: Option<String>,
}

/// What an acceptance made.
#[derive(Debug)]
pub struct Accepted {
    pub membership_id: MembershipId,
    pub organization_id: OrganizationId,
    pub user_id: UserId,
}

fn refused(code: &'static str, detail: &'static str) -> DomainError {
    DomainError::unprocessable(code, detail).at("/invitation-token")
}

fn invalid_token() -> DomainError {
    refused("invitation-token-invalid", "No invitation has this token.")
}

fn already_accepted() -> DomainError {
    refused(
        "invitation-already-accepted",
        "The invitation was already accepted.",
    )
}

/// The invitation's organization, and whether its address already has an account.
pub async fn invitee(conn: &mut Conn<'_>, acceptance: &Acceptance) -> DomainResult<Invitee> {
    let (invitation, _) = find_by_token(conn, &acceptance.token_hash)
        .await?
        .ok_or_else(invalid_token)?;
    let user = users::find_by_email(conn, &invitation.email).await?;
    Ok(Invitee {
        organization_id: invitation.organization_id,
        password_hash: user.and_then(|u| u.password_hash),
    })
}

/// An existing account's password must be the one given (422 `password-incorrect`). Slow on
/// purpose: run it off the async threads.
pub fn check_password(password: &Password, stored: &str) -> DomainResult<()> {
    if password::verify(password.as_str(), Some(stored)) {
        return Ok(());
    }
    Err(DomainError::unprocessable(
        "password-incorrect",
        "This address already has an account: give its password to accept.",
    )
    .at("/password"))
}

/// Accepts the invitation of `invitee`'s organization: `new_password_hash` is the hash of
/// the given password when the address had no account ([`check_password`] otherwise).
pub async fn accept(
    conn: &mut Conn<'_>,
    invitee: &Invitee,
    acceptance: &Acceptance,
    new_password_hash: Option<&str>,
    now: Micros,
) -> DomainResult<Accepted> {
    // One accept (or resend, or cancel) at a time per organization: the token and the
    // invitation are read behind the lock, so a racing second accept sees `accepted` and a
    // token superseded meanwhile is refused.
    lock_organization(conn, &invitee.organization_id).await?;
    let row = pending(conn, &acceptance.token_hash, now).await?;
    let user = account(conn, &row, acceptance, new_password_hash).await?;
    let membership_id = join(conn, &row, &user.id, now).await?;
    Ok(Accepted {
        membership_id,
        organization_id: row.organization_id,
        user_id: user.id,
    })
}

/// The invitation of the token, if the token is its newest and it is still pending.
async fn pending(
    conn: &mut Conn<'_>,
    token_hash: &str,
    now: Micros,
) -> DomainResult<InvitationRow> {
    let (row, superseded) = find_by_token(conn, token_hash)
        .await?
        .ok_or_else(invalid_token)?;
    if superseded {
        return Err(refused(
            "invitation-token-superseded",
            "The invitation was sent again with a new token; use the newest one.",
        ));
    }
    match row.status_at(now) {
        InvitationStatus::Pending => Ok(row),
        InvitationStatus::Accepted => Err(already_accepted()),
        InvitationStatus::Cancelled => Err(refused(
            "invitation-cancelled",
            "The invitation was cancelled.",
        )),
        InvitationStatus::Expired => Err(refused(
            "invitation-expired",
            "The invitation has expired; ask for it to be sent again.",
        )),
    }
}

/// The invited address's user, created if new, with a password and (if it has none yet)
/// the names given.
async fn account(
    conn: &mut Conn<'_>,
    row: &InvitationRow,
    acceptance: &Acceptance,
    new_password_hash: Option<&str>,
) -> DomainResult<UserRow> {
    let user = users::find_or_create(conn, &row.email).await?;
    if user.password_hash.is_none() {
        let Some(hash) = new_password_hash else {
            // The account got a password between the check before the transaction and now.
            return Err(DomainError::conflict(
                "account-changed",
                "The account changed while accepting; try again.",
            ));
        };
        users::set_password(conn, &user.id, hash).await?;
    }
    users::set_names_if_unset(conn, &user.id, &acceptance.given_name, &acceptance.surname).await?;
    Ok(user)
}

/// Makes the user a member with the invitation's roles, in its groups, and marks the
/// invitation accepted.
async fn join(
    conn: &mut Conn<'_>,
    row: &InvitationRow,
    user_id: &UserId,
    now: Micros,
) -> DomainResult<MembershipId> {
    if memberships::find_of_user(conn, &row.organization_id, user_id)
        .await?
        .is_some()
    {
        return Err(DomainError::conflict(
            "already-a-member",
            "This user is already a member of the organization.",
        ));
    }
    let membership =
        memberships::insert(conn, &row.organization_id, user_id, &row.role_id_list()).await?;
    crate::groups::add_to_groups(conn, &membership, &row.group_id_list()).await?;
    let accepted = InvitationStatus::Accepted;
    if !transition(conn, &row.id, accepted, Some(&membership.id), now).await? {
        return Err(already_accepted());
    }
    Ok(membership.id)
}
