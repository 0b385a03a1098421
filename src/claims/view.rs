//! A claim as Griffin shows it: its body as the request gave it, plus where it lives, when it
//! was made and whether it has been verified.

use serde_json::{Map, Value};

use super::ClaimRow;
use crate::ids::ClaimId;
use crate::time;

pub fn url(id: &ClaimId) -> String {
    format!("/v0/claims/{id}")
}

pub fn view(row: &ClaimRow) -> Value {
    let mut body = match serde_json::from_str::<Value>(&row.body) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    body.insert("claim-url".to_string(), Value::String(url(&row.id)));
    body.insert(
        "created-at".to_string(),
        Value::String(time::format(row.created_at)),
    );
    body.insert(
        "verification-status".to_string(),
        Value::String(row.verification_status.as_str().to_string()),
    );
    Value::Object(body)
}
