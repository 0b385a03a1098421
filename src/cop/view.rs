//! A CoP request with its answer, as Griffin shows it.

use serde::Serialize;
use serde_json::Value;

use super::CopRequestRow;
use crate::urls;

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct CopView {
    cop_request_url: String,
    account: Value,
    cop_response: Value,
}

impl CopView {
    pub fn new(row: &CopRequestRow) -> Self {
        CopView {
            cop_request_url: urls::cop_request(&row.id),
            account: serde_json::from_str(&row.account).unwrap_or(Value::Null),
            cop_response: serde_json::from_str(&row.cop_response).unwrap_or(Value::Null),
        }
    }
}
