//! The Griffin contract check. Loads Griffin's published spec
//! (`tests/fixtures/griffin-openapi.yml`, Swagger 2.0) once, and validates every
//! response body the HTTP tests receive against the schema of the operation and status it
//! answers — when Griffin defines that operation.
//!
//! The spec is generated from Clojure/malli and reads with these conventions:
//! - `x-anyOf` / `x-oneOf` are unions: the value must match one alternative.
//! - `x-allOf` only restates that a URL string is a string containing an id: ignored.
//! - `x-nullable: true` allows `null`.
//! - Closed objects (`additionalProperties: false`) allow their `properties` and also the
//!   names in their `required` list: Griffin's organization requires
//!   `can-decide-on-verifications?` without listing it in `properties`, and no body could
//!   satisfy the schema read literally.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

const SPEC_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/griffin-openapi.yml"
);

pub struct Spec {
    /// (method, path template split in segments, operation)
    operations: Vec<(String, Vec<String>, Value)>,
    patterns: std::sync::Mutex<HashMap<String, Option<Regex>>>,
}

pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(SPEC_PATH)
            .unwrap_or_else(|e| panic!("cannot read Griffin's spec at {SPEC_PATH}: {e}"));
        let yaml: serde_yaml::Value =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("Griffin's spec: {e}"));
        let root = to_json(yaml);
        let mut operations = Vec::new();
        if let Some(paths) = root.get("paths").and_then(Value::as_object) {
            for (path, item) in paths {
                let segments: Vec<String> = path.split('/').map(str::to_string).collect();
                if let Some(item) = item.as_object() {
                    for (method, operation) in item {
                        operations.push((
                            method.to_uppercase(),
                            segments.clone(),
                            operation.clone(),
                        ));
                    }
                }
            }
        }
        assert!(operations.len() > 90, "Griffin's spec has 97 operations");
        Spec {
            operations,
            patterns: std::sync::Mutex::new(HashMap::new()),
        }
    })
}

/// YAML to JSON, with non-string keys (status codes) turned into strings.
fn to_json(yaml: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s,
                        Y::Number(n) => n.to_string(),
                        Y::Bool(b) => b.to_string(),
                        other => format!("{other:?}"),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => to_json(tagged.value),
    }
}

impl Spec {
    /// The operation Griffin defines for this method and concrete path, if any.
    pub fn operation(&self, method: &str, path: &str) -> Option<&Value> {
        let path = path.split('?').next().unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        self.operations
            .iter()
            .filter(|(m, template, _)| {
                m == method
                    && template.len() == segments.len()
                    && template
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')))
            })
            // Prefer literal segments over parameters (`/accounts/search` over `/accounts/{id}`).
            .max_by_key(|(_, template, _)| template.iter().filter(|t| !t.starts_with('{')).count())
            .map(|(_, _, operation)| operation)
    }

    /// Checks a response of a Griffin operation. Returns what is wrong, empty when it passes.
    pub fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: Option<&Value>,
    ) -> Vec<String> {
        let Some(operation) = self.operation(method, path) else {
            return Vec::new();
        };
        if status >= 400 {
            // Griffin publishes no error schemas; our error body is checked by the harness.
            return Vec::new();
        }
        let Some(response) = operation
            .get("responses")
            .and_then(|r| r.get(status.to_string()))
        else {
            return vec![format!(
                "Griffin's {method} {path} does not answer {status}"
            )];
        };
        // A status Griffin declares without a schema leaves its body unspecified.
        let Some(schema) = response.get("schema") else {
            return Vec::new();
        };
        let Some(body) = body else {
            return vec![format!(
                "Griffin's {method} {path} {status} has a body; got none"
            )];
        };
        let mut errors = Vec::new();
        self.validate(schema, body, "", &mut errors);
        errors
    }

    fn validate(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let Some(schema) = schema.as_object() else {
            return;
        };
        if value.is_null() {
            if schema.get("x-nullable") != Some(&Value::Bool(true))
                && !schema.is_empty()
                && schema.contains_key("type")
            {
                errors.push(format!("{at}: null is not allowed"));
            }
            return;
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            errors.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("object") => self.validate_object(schema, value, at, errors),
            Some("array") => match value.as_array() {
                Some(items) => {
                    if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                        && (items.len() as u64) < min
                    {
                        errors.push(format!("{at}: fewer than {min} items"));
                    }
                    if let Some(item_schema) = schema.get("items") {
                        for (i, item) in items.iter().enumerate() {
                            self.validate(item_schema, item, &format!("{at}/{i}"), errors);
                        }
                    }
                }
                None => errors.push(format!("{at}: expected an array, got {value}")),
            },
            Some("string") => match value.as_str() {
                Some(text) => self.validate_string(schema, text, at, errors),
                None => errors.push(format!("{at}: expected a string, got {value}")),
            },
            Some("boolean") if !value.is_boolean() => {
                errors.push(format!("{at}: expected a boolean, got {value}"))
            }
            Some("integer") if !(value.is_i64() || value.is_u64()) => {
                errors.push(format!("{at}: expected an integer, got {value}"))
            }
            Some("number") if !value.is_number() => {
                errors.push(format!("{at}: expected a number, got {value}"))
            }
            // Untyped properties carry only string constraints (e.g. `api-key-name`).
            None if value.is_string() => {
                if let Some(text) = value.as_str() {
                    self.validate_string(schema, text, at, errors);
                }
            }
            _ => {}
        }
        for union in ["x-anyOf", "x-oneOf", "anyOf", "oneOf"] {
            if let Some(alternatives) = schema.get(union).and_then(Value::as_array) {
                let failures: Vec<Vec<String>> = alternatives
                    .iter()
                    .map(|alternative| {
                        let mut alt_errors = Vec::new();
                        self.validate(alternative, value, at, &mut alt_errors);
                        alt_errors
                    })
                    .collect();
                if !failures.iter().any(Vec::is_empty) {
                    errors.push(format!(
                        "{at}: matches no alternative of {union}: {failures:?}"
                    ));
                }
            }
        }
    }

    fn validate_object(
        &self,
        schema: &serde_json::Map<String, Value>,
        value: &Value,
        at: &str,
        errors: &mut Vec<String>,
    ) {
        let Some(object) = value.as_object() else {
            errors.push(format!("{at}: expected an object, got {value}"));
            return;
        };
        let properties = schema.get("properties").and_then(Value::as_object);
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for name in &required {
            if !object.contains_key(*name) {
                errors.push(format!("{at}: missing required `{name}`"));
            }
        }
        for (name, field) in object {
            let field_at = format!("{at}/{name}");
            match properties.and_then(|p| p.get(name)) {
                Some(field_schema) => self.validate(field_schema, field, &field_at, errors),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) if !required.contains(&name.as_str()) => {
                        errors.push(format!("{at}: `{name}` is not allowed (closed object)"))
                    }
                    Some(extra @ Value::Object(_)) => {
                        self.validate(extra, field, &field_at, errors)
                    }
                    _ => {}
                },
            }
        }
    }

    fn validate_string(
        &self,
        schema: &serde_json::Map<String, Value>,
        text: &str,
        at: &str,
        errors: &mut Vec<String>,
    ) {
        let chars = text.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && chars < min
        {
            errors.push(format!("{at}: {text:?} is shorter than {min}"));
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && chars > max
        {
            errors.push(format!("{at}: {text:?} is longer than {max}"));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && let Some(regex) = self.regex(pattern)
            && !regex.is_match(text)
        {
            errors.push(format!("{at}: {text:?} does not match {pattern}"));
        }
        if schema.get("format").and_then(Value::as_str) == Some("date-time")
            && chrono::DateTime::parse_from_rfc3339(text).is_err()
        {
            errors.push(format!("{at}: {text:?} is not an RFC 3339 date-time"));
        }
    }

    fn regex(&self, pattern: &str) -> Option<Regex> {
        let mut cache = self.patterns.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(pattern.to_string())
            .or_insert_with(|| {
                // ECMA-style classes such as `[a-zA-z0-9-_]` put a literal `-` after a range,
                // which Rust's regex refuses; escape it.
                Regex::new(pattern)
                    .or_else(|_| Regex::new(&pattern.replace("9-_", "9\\-_")))
                    .ok()
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_spec_loads_and_finds_operations() {
        let spec = spec();
        assert!(spec.operation("GET", "/v0/organizations/og.x").is_some());
        assert!(spec.operation("GET", "/v0/index").is_some());
        assert!(spec.operation("GET", "/v0/nowhere").is_none());
    }

    #[test]
    fn the_validator_catches_what_it_must() {
        let spec = spec();
        // A closed object with a field too many.
        let key = json!({"api-key-url": "/v0/api-keys/ak.x", "api-key-name": "a",
            "api-key-live?": false, "organization-url": "/v0/organizations/og.x",
            "user-url": "/v0/users/ur.x", "created-at": "2024-01-01T00:00:00.000Z"});
        assert!(
            spec.check("GET", "/v0/api-keys/ak.x", 200, Some(&key))
                .is_empty()
        );
        let mut missing = key.clone();
        missing.as_object_mut().map(|o| o.remove("user-url"));
        assert!(
            !spec
                .check("GET", "/v0/api-keys/ak.x", 200, Some(&missing))
                .is_empty()
        );
        let mut wrong_type = key.clone();
        wrong_type["api-key-live?"] = json!("no");
        assert!(
            !spec
                .check("GET", "/v0/api-keys/ak.x", 200, Some(&wrong_type))
                .is_empty()
        );
        let mut bad_time = key.clone();
        bad_time["created-at"] = json!("yesterday");
        assert!(
            !spec
                .check("GET", "/v0/api-keys/ak.x", 200, Some(&bad_time))
                .is_empty()
        );
        let mut bad_name = key;
        bad_name["api-key-name"] = json!("");
        assert!(
            !spec
                .check("GET", "/v0/api-keys/ak.x", 200, Some(&bad_name))
                .is_empty()
        );
        // The organization schema is closed.
        let errors = spec.check(
            "GET",
            "/v0/organizations/og.x",
            200,
            Some(&json!({"surprise": 1})),
        );
        assert!(
            errors.iter().any(|e| e.contains("closed object")),
            "{errors:?}"
        );
        // Undeclared statuses.
        assert!(
            !spec
                .check("GET", "/v0/organizations/og.x", 201, Some(&json!({})))
                .is_empty()
        );
    }
}
