//! Sessions as the client sees them: a new one with its token (shown once), and the current
//! one with its user, all their memberships and the organization it works in.

use serde::Serialize;

use super::{SessionRow, SessionToken};
use crate::ids::OrganizationId;
use crate::memberships::MembershipView;
use crate::time::{self, Micros};
use crate::urls;
use crate::users::UserView;

/// A new session: the token is in this answer only.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SessionCreated {
    pub session_url: &'static str,
    pub session_token: String,
    pub expires_at: String,
    pub user_url: String,
}

impl SessionCreated {
    pub fn new(row: &SessionRow, token: &SessionToken) -> Self {
        SessionCreated {
            session_url: urls::SESSION,
            session_token: token.as_str().to_string(),
            expires_at: time::format(row.expires_at),
            user_url: urls::user(&row.user_id),
        }
    }
}

/// The current session.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SessionView {
    pub session_url: &'static str,
    pub expires_at: String,
    pub user: UserView,
    pub memberships: Vec<MembershipView>,
    /// The current organization; none when the user is an active member nowhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_url: Option<String>,
}

impl SessionView {
    pub fn new(
        expires_at: Micros,
        user: UserView,
        memberships: Vec<MembershipView>,
        organization_id: Option<&OrganizationId>,
    ) -> Self {
        SessionView {
            session_url: urls::SESSION,
            expires_at: time::format(expires_at),
            user,
            memberships,
            organization_url: organization_id.map(urls::organization),
        }
    }
}
