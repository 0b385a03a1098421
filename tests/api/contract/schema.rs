//! The one schema walker, for both documents: Griffin's Swagger 2.0 spec and our OpenAPI 3.1
//! `openapi.yaml`. It reads JSON Schema the 2020-12 way — each keyword applies to the values
//! of its kind, `$ref` resolves within the document — with the few differences of Griffin's
//! generated spec kept behind [`Dialect::Griffin`].

use std::collections::HashMap;
use std::sync::Mutex;

use regex::Regex;
use serde_json::{Map, Value};

/// How a document writes its schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Griffin's spec, generated from Clojure/malli:
    /// - `x-nullable: true` allows `null`, and so does a schema without `type`;
    /// - `x-anyOf` / `x-oneOf` (and `anyOf` / `oneOf`) are unions: one alternative must match
    ///   (the generated alternatives overlap, so "exactly one" would refuse valid bodies);
    /// - `x-allOf` only restates that a URL string is a string containing an id: ignored;
    /// - closed objects (`additionalProperties: false`) also allow the names in their
    ///   `required` list: Griffin's organization requires `can-decide-on-verifications?`
    ///   without listing it in `properties`, and no body could satisfy the schema read
    ///   literally.
    Griffin,
    /// OpenAPI 3.1, that is JSON Schema: `type` may be a list (with `"null"`), `oneOf` means
    /// exactly one, and a closed object allows its `properties` and nothing else.
    OpenApi31,
}

/// A loaded document's schemas: the document itself (for `$ref`) and how to read it.
pub struct Schemas {
    pub root: Value,
    dialect: Dialect,
    patterns: Mutex<HashMap<String, Result<Regex, String>>>,
}

/// Deeper than any schema of either document: only a `$ref` cycle gets here.
const MAX_DEPTH: usize = 64;

impl Schemas {
    pub fn new(root: Value, dialect: Dialect) -> Schemas {
        Schemas {
            root,
            dialect,
            patterns: Mutex::new(HashMap::new()),
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The value a local `$ref` (`#/components/schemas/Money`) points at.
    pub fn resolve(&self, reference: &str) -> Option<&Value> {
        reference
            .strip_prefix('#')
            .and_then(|pointer| self.root.pointer(pointer))
    }

    /// `value`, or what it refers to when it is a `{"$ref": …}` (a response object of ours).
    pub fn follow<'a>(&'a self, value: &'a Value) -> Result<&'a Value, String> {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => self
                .resolve(reference)
                .ok_or_else(|| format!("unresolvable $ref {reference}")),
            None => Ok(value),
        }
    }

    /// Checks `value` against `schema`; what is wrong goes to `errors`, each prefixed with
    /// the JSON pointer of the offending value.
    pub fn validate(&self, schema: &Value, value: &Value, errors: &mut Vec<String>) {
        self.walk(schema, value, "", errors, 0);
    }

    fn walk(
        &self,
        schema: &Value,
        value: &Value,
        at: &str,
        errors: &mut Vec<String>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            errors.push(format!("{at}: schemas nest too deep (a $ref cycle?)"));
            return;
        }
        let schema = match schema {
            Value::Object(schema) => schema,
            Value::Bool(true) => return,
            Value::Bool(false) => {
                errors.push(format!("{at}: no value is allowed here, got {value}"));
                return;
            }
            other => {
                errors.push(format!("{at}: {other} is not a schema"));
                return;
            }
        };
        // Keywords beside a `$ref` apply too (JSON Schema 2020-12).
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            match self.resolve(reference) {
                Some(target) => self.walk(target, value, at, errors, depth + 1),
                None => errors.push(format!("{at}: unresolvable $ref {reference}")),
            }
        }
        if self.dialect == Dialect::Griffin && value.is_null() {
            if schema.get("x-nullable") != Some(&Value::Bool(true)) && schema.contains_key("type") {
                errors.push(format!("{at}: null is not allowed"));
            }
            return;
        }
        if let Some(types) = schema.get("type") {
            let allowed: Vec<&str> = match types {
                Value::String(one) => vec![one.as_str()],
                Value::Array(several) => several.iter().filter_map(Value::as_str).collect(),
                other => {
                    errors.push(format!("{at}: `type` {other} is not a type"));
                    return;
                }
            };
            if !allowed.iter().any(|kind| is_of_type(value, kind)) {
                errors.push(format!(
                    "{at}: expected {}, got {value}",
                    allowed.join(" or ")
                ));
                return;
            }
        }
        if let Some(constant) = schema.get("const")
            && constant != value
        {
            errors.push(format!("{at}: {value} is not {constant}"));
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            errors.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
        match value {
            Value::Object(object) => self.walk_object(schema, object, at, errors, depth),
            Value::Array(items) => self.walk_array(schema, items, at, errors, depth),
            Value::String(text) => self.check_string(schema, text, at, errors),
            Value::Number(number) => check_number(schema, number, at, errors),
            Value::Bool(_) | Value::Null => {}
        }
        self.walk_combinators(schema, value, at, errors, depth);
    }

    fn walk_combinators(
        &self,
        schema: &Map<String, Value>,
        value: &Value,
        at: &str,
        errors: &mut Vec<String>,
        depth: usize,
    ) {
        let (any_of, one_of): (&[&str], &[&str]) = match self.dialect {
            Dialect::Griffin => (&["x-anyOf", "x-oneOf", "anyOf", "oneOf"], &[]),
            Dialect::OpenApi31 => (&["anyOf"], &["oneOf"]),
        };
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for part in all {
                self.walk(part, value, at, errors, depth + 1);
            }
        }
        for keyword in any_of.iter().chain(one_of) {
            let Some(alternatives) = schema.get(*keyword).and_then(Value::as_array) else {
                continue;
            };
            let failures: Vec<Vec<String>> = alternatives
                .iter()
                .map(|alternative| {
                    let mut failed = Vec::new();
                    self.walk(alternative, value, at, &mut failed, depth + 1);
                    failed
                })
                .collect();
            let matched = failures.iter().filter(|f| f.is_empty()).count();
            if matched == 0 {
                errors.push(format!(
                    "{at}: matches no alternative of {keyword}: {failures:?}"
                ));
            } else if matched > 1 && one_of.contains(keyword) {
                errors.push(format!(
                    "{at}: matches {matched} alternatives of {keyword}, not exactly one"
                ));
            }
        }
        if let Some(forbidden) = schema.get("not") {
            let mut failed = Vec::new();
            self.walk(forbidden, value, at, &mut failed, depth + 1);
            if failed.is_empty() {
                errors.push(format!("{at}: {value} matches the schema under `not`"));
            }
        }
    }

    fn walk_object(
        &self,
        schema: &Map<String, Value>,
        object: &Map<String, Value>,
        at: &str,
        errors: &mut Vec<String>,
        depth: usize,
    ) {
        let properties = schema.get("properties").and_then(Value::as_object);
        let required: Vec<&str> = match schema.get("required") {
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for name in &required {
            if !object.contains_key(*name) {
                errors.push(format!("{at}: missing required `{name}`"));
            }
        }
        for (name, field) in object {
            let field_at = format!("{at}/{name}");
            if let Some(field_schema) = properties.and_then(|p| p.get(name)) {
                self.walk(field_schema, field, &field_at, errors, depth + 1);
                continue;
            }
            match schema.get("additionalProperties") {
                Some(Value::Bool(false)) => {
                    let allowed_by_required =
                        self.dialect == Dialect::Griffin && required.contains(&name.as_str());
                    if !allowed_by_required {
                        errors.push(format!("{at}: `{name}` is not allowed (closed object)"));
                    }
                }
                Some(extra @ Value::Object(_)) => {
                    self.walk(extra, field, &field_at, errors, depth + 1)
                }
                _ => {}
            }
        }
    }

    fn walk_array(
        &self,
        schema: &Map<String, Value>,
        items: &[Value],
        at: &str,
        errors: &mut Vec<String>,
        depth: usize,
    ) {
        let count = items.len() as u64;
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && count < min
        {
            errors.push(format!("{at}: {count} items, fewer than {min}"));
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && count > max
        {
            errors.push(format!("{at}: {count} items, more than {max}"));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.walk(item_schema, item, &format!("{at}/{i}"), errors, depth + 1);
            }
        }
    }

    fn check_string(
        &self,
        schema: &Map<String, Value>,
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
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            match self.regex(pattern) {
                Ok(regex) if regex.is_match(text) => {}
                Ok(_) => errors.push(format!("{at}: {text:?} does not match {pattern}")),
                // A pattern we cannot read would pass everything: say so instead.
                Err(e) => errors.push(format!("{at}: cannot check the pattern {pattern}: {e}")),
            }
        }
        match schema.get("format").and_then(Value::as_str) {
            Some("date-time") if chrono::DateTime::parse_from_rfc3339(text).is_err() => {
                errors.push(format!("{at}: {text:?} is not an RFC 3339 date-time"));
            }
            Some("date") if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err() => {
                errors.push(format!("{at}: {text:?} is not a date (YYYY-MM-DD)"));
            }
            _ => {}
        }
    }

    fn regex(&self, pattern: &str) -> Result<Regex, String> {
        let mut cache = self.patterns.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(pattern.to_string())
            .or_insert_with(|| {
                // ECMA-style classes such as Griffin's `[a-zA-z0-9-_]` put a literal `-` after
                // a range, which Rust's regex refuses; escape it.
                Regex::new(pattern)
                    .or_else(|_| Regex::new(&pattern.replace("9-_", "9\\-_")))
                    .map_err(|e| e.to_string())
            })
            .clone()
    }
}

fn is_of_type(value: &Value, kind: &str) -> bool {
    match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        _ => false,
    }
}

fn check_number(
    schema: &Map<String, Value>,
    number: &serde_json::Number,
    at: &str,
    errors: &mut Vec<String>,
) {
    let Some(n) = number.as_f64() else {
        return;
    };
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    if let Some(min) = bound("minimum")
        && n < min
    {
        errors.push(format!("{at}: {number} is less than {min}"));
    }
    if let Some(max) = bound("maximum")
        && n > max
    {
        errors.push(format!("{at}: {number} is more than {max}"));
    }
    if let Some(min) = bound("exclusiveMinimum")
        && n <= min
    {
        errors.push(format!("{at}: {number} is not more than {min}"));
    }
    if let Some(max) = bound("exclusiveMaximum")
        && n >= max
    {
        errors.push(format!("{at}: {number} is not less than {max}"));
    }
}
