//! A user as Griffin shows it.

use serde::Serialize;

use super::UserRow;
use crate::urls;

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct UserView {
    pub user_url: String,
    pub user_email: String,
    pub user_username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    pub api_keys_url: String,
    pub user_memberships_url: String,
}

impl UserView {
    pub fn new(row: UserRow) -> Self {
        let id = row.id;
        UserView {
            user_url: urls::user(&id),
            api_keys_url: urls::user_api_keys(&id),
            user_memberships_url: urls::user_memberships(&id),
            user_email: row.email,
            user_username: row.username,
            given_name: row.given_name,
            surname: row.surname,
        }
    }
}
