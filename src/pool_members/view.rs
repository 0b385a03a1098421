//! A pooled account's member, as the membership list shows it.

use serde::Serialize;

use super::PoolMemberRow;
use crate::{time, urls};

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PoolMemberView {
    legal_person_url: String,
    created_at: String,
}

impl PoolMemberView {
    pub fn new(row: PoolMemberRow) -> Self {
        PoolMemberView {
            legal_person_url: urls::legal_person(&row.legal_person_id),
            created_at: time::format(row.created_at),
        }
    }
}
