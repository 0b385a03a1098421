//! Invitations as clients see them (ours: Griffin has no invitation resource beyond create),
//! and the answer to an acceptance.

use serde::Serialize;

use super::accept::Accepted;
use super::{InvitationRow, InvitationStatus, InvitationToken};
use crate::error::DomainResult;
use crate::roles::{self, RoleView, custom};
use crate::sessions::view::SessionCreated;
use crate::store::Conn;
use crate::time::{self, Micros};
use crate::urls;

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct InvitationView {
    pub invitation_url: String,
    pub organization_url: String,
    pub email_address: String,
    pub roles: Vec<RoleView>,
    /// Ours: the groups accepting adds the member to.
    pub group_urls: Vec<String>,
    pub invitation_status: InvitationStatus,
    pub invited_by_url: String,
    pub expires_at: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_invitation_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resend_invitation_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accept_invitation_url: Option<&'static str>,
    /// Only in the answers to create and resend, in test mode (no email is sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_token: Option<String>,
}

/// The view of an invitation as it stands at `now`, with its roles; `token` for the answers
/// that issue one.
pub async fn view(
    conn: &mut Conn<'_>,
    row: InvitationRow,
    now: Micros,
    token: Option<&InvitationToken>,
) -> DomainResult<InvitationView> {
    let roles = custom::resolve(conn, &row.role_id_list()).await?;
    let groups = crate::groups::existing(conn, &row.group_id_list()).await?;
    let status = row.status_at(now);
    let id = row.id;
    let url = urls::invitation(&id);
    let pending = status == InvitationStatus::Pending;
    Ok(InvitationView {
        cancel_invitation_url: pending.then(|| format!("{url}/actions/cancel")),
        resend_invitation_url: (pending || status == InvitationStatus::Expired)
            .then(|| format!("{url}/actions/resend")),
        accept_invitation_url: pending.then_some(urls::INVITATION_ACCEPT),
        invitation_url: url,
        organization_url: urls::organization(&row.organization_id),
        email_address: row.email,
        roles: roles::views(&roles),
        group_urls: groups.iter().map(urls::group).collect(),
        invitation_status: status,
        invited_by_url: urls::user(&row.invited_by_user_id),
        expires_at: time::format(row.expires_at),
        created_at: time::format(row.created_at),
        membership_url: row.membership_id.map(|m| urls::membership(&m)),
        invitation_token: token.map(|t| t.as_str().to_string()),
    })
}

/// The answer to an acceptance: the new membership, and a session for its user.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AcceptedView {
    pub membership_url: String,
    pub organization_url: String,
    pub user_url: String,
    pub session_url: &'static str,
    pub session_token: String,
    pub session_expires_at: String,
}

impl AcceptedView {
    pub fn new(accepted: &Accepted, session: SessionCreated) -> Self {
        AcceptedView {
            membership_url: urls::membership(&accepted.membership_id),
            organization_url: urls::organization(&accepted.organization_id),
            user_url: session.user_url,
            session_url: session.session_url,
            session_token: session.session_token,
            session_expires_at: session.expires_at,
        }
    }
}
