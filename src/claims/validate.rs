//! Validates a claim against its schema from Griffin's contract (`schemas.json`, written by
//! `scripts/extract-claim-schemas.py`): types, required fields, enums, lengths, patterns,
//! dates, nested objects, lists, and the unions the contract spells `x-anyOf` / `x-oneOf`.
//! The first problem found is reported with a JSON pointer into the request: a 400 of the
//! domain's ([`DomainError::Invalid`]).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use regex::Regex;
use serde_json::{Map, Value};

use crate::error::DomainError;

/// What is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub title: &'static str,
    pub detail: String,
    pub pointer: String,
}

impl From<Problem> for DomainError {
    fn from(problem: Problem) -> Self {
        DomainError::invalid(problem.title, problem.detail, problem.pointer)
    }
}

fn problem(title: &'static str, detail: impl Into<String>, pointer: &str) -> Problem {
    Problem {
        title,
        detail: detail.into(),
        pointer: pointer.to_string(),
    }
}

pub fn validate(schema: &Value, value: &Value, pointer: &str) -> Result<(), Problem> {
    let Some(schema) = schema.as_object() else {
        return Ok(());
    };
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        let names: Vec<String> = allowed.iter().map(|v| v.to_string()).collect();
        return Err(problem(
            "Invalid enum value",
            format!("Expected one of {}.", names.join(", ")),
            pointer,
        ));
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => validate_object(schema, value, pointer)?,
        Some("array") => validate_array(schema, value, pointer)?,
        Some("string") => match value.as_str() {
            Some(text) => validate_string(schema, text, pointer)?,
            None => return Err(problem("Incorrect type", "Expected a string.", pointer)),
        },
        Some("boolean") if !value.is_boolean() => {
            return Err(problem(
                "Incorrect type",
                "Expected true or false.",
                pointer,
            ));
        }
        Some("integer") => {
            let Some(number) = value.as_i64() else {
                return Err(problem(
                    "Incorrect type",
                    "Expected a whole number.",
                    pointer,
                ));
            };
            if let Some(minimum) = schema.get("minimum").and_then(Value::as_i64)
                && number < minimum
            {
                return Err(problem(
                    "Invalid value",
                    format!("Must be at least {minimum}."),
                    pointer,
                ));
            }
        }
        // Untyped fields carrying string constraints are strings.
        None if has_string_constraints(schema) => match value.as_str() {
            Some(text) => validate_string(schema, text, pointer)?,
            None => return Err(problem("Incorrect type", "Expected a string.", pointer)),
        },
        _ => {}
    }
    for union in ["x-anyOf", "x-oneOf"] {
        if let Some(alternatives) = schema.get(union).and_then(Value::as_array) {
            validate_union(alternatives, value, pointer)?;
        }
    }
    Ok(())
}

fn has_string_constraints(schema: &Map<String, Value>) -> bool {
    ["minLength", "maxLength", "pattern"]
        .iter()
        .any(|k| schema.contains_key(*k))
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn validate_object(
    schema: &Map<String, Value>,
    value: &Value,
    pointer: &str,
) -> Result<(), Problem> {
    let Some(object) = value.as_object() else {
        return Err(problem("Incorrect type", "Expected an object.", pointer));
    };
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for name in required.iter().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                return Err(problem(
                    "Missing field",
                    format!("`{name}` is required."),
                    &format!("{pointer}/{}", escape(name)),
                ));
            }
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    for (name, field) in object {
        let field_pointer = format!("{pointer}/{}", escape(name));
        match properties.and_then(|p| p.get(name)) {
            Some(field_schema) => validate(field_schema, field, &field_pointer)?,
            None => {
                if let Some(extra @ Value::Object(_)) = schema.get("additionalProperties") {
                    validate(extra, field, &field_pointer)?;
                }
            }
        }
    }
    Ok(())
}

/// Lists in claims are short (countries, purposes, titles); a bound keeps a hostile request
/// from costing much.
pub const MAX_ITEMS: usize = 1000;

fn validate_array(
    schema: &Map<String, Value>,
    value: &Value,
    pointer: &str,
) -> Result<(), Problem> {
    let Some(items) = value.as_array() else {
        return Err(problem("Incorrect type", "Expected a list.", pointer));
    };
    if items.len() > MAX_ITEMS {
        return Err(problem(
            "Invalid value",
            format!("At most {MAX_ITEMS} items."),
            pointer,
        ));
    }
    if let Some(item_schema) = schema.get("items") {
        for (i, item) in items.iter().enumerate() {
            validate(item_schema, item, &format!("{pointer}/{i}"))?;
        }
    }
    if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
        let mut seen = std::collections::HashSet::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if !seen.insert(item.to_string()) {
                return Err(problem(
                    "Invalid value",
                    "Items must not repeat.",
                    &format!("{pointer}/{i}"),
                ));
            }
        }
    }
    Ok(())
}

fn validate_string(schema: &Map<String, Value>, text: &str, pointer: &str) -> Result<(), Problem> {
    let length = text.chars().count() as u64;
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
        && length < min
    {
        let detail = if min == 1 {
            "Must not be empty.".to_string()
        } else {
            format!("Must be at least {min} characters.")
        };
        return Err(problem("Invalid value", detail, pointer));
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
        && length > max
    {
        return Err(problem(
            "Invalid value",
            format!("Must be at most {max} characters."),
            pointer,
        ));
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
        && !matches_pattern(pattern, text)
    {
        return Err(problem(
            "Invalid value",
            format!("Must match {pattern}."),
            pointer,
        ));
    }
    if schema.get("format").and_then(Value::as_str) == Some("date")
        && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err()
    {
        return Err(problem(
            "Invalid date",
            "Expected a date such as 2024-01-31.",
            pointer,
        ));
    }
    Ok(())
}

/// Whole-value match of a contract pattern (the contract's patterns describe whole values,
/// such as a phone number, even where they are not anchored). Patterns that do not compile
/// are not enforced rather than refusing every value.
fn matches_pattern(pattern: &str, text: &str) -> bool {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    let regex = cache
        .entry(pattern.to_string())
        .or_insert_with(|| {
            let body = pattern.trim_start_matches('^').trim_end_matches('$');
            Regex::new(&format!("^(?:{body})$")).ok()
        })
        .clone();
    regex.is_none_or(|r| r.is_match(text))
}

/// A union: the value must match one alternative. When it matches none, the problem
/// reported is that of the alternative its fixed fields (such as a `country-code` or a
/// `*-type` tag) point to, so the client learns what is wrong with the form it meant.
fn validate_union(alternatives: &[Value], value: &Value, pointer: &str) -> Result<(), Problem> {
    let mut problems = Vec::new();
    for alternative in alternatives {
        match validate(alternative, value, pointer) {
            Ok(()) => return Ok(()),
            Err(p) => problems.push((alternative, p)),
        }
    }
    let intended: Vec<&Problem> = problems
        .iter()
        .filter(|(alternative, _)| tags_match(alternative, value))
        .map(|(_, p)| p)
        .collect();
    match intended.as_slice() {
        [only] => Err((*only).clone()),
        _ => {
            // No tag decides: report what is common, or the first problem.
            let first = problems.first().map(|(_, p)| p.clone());
            Err(first.unwrap_or_else(|| {
                problem(
                    "Invalid value",
                    "Matches none of the allowed forms.",
                    pointer,
                )
            }))
        }
    }
}

/// Whether every single-valued enum property of the alternative (its tags) that the value
/// carries has the tag's value, and at least one is carried.
fn tags_match(alternative: &Value, value: &Value) -> bool {
    let (Some(properties), Some(object)) = (
        alternative.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) else {
        return false;
    };
    let mut carried = 0;
    for (name, field) in properties {
        if let Some([tag]) = field
            .get("enum")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            && let Some(given) = object.get(name)
        {
            if given != tag {
                return false;
            }
            carried += 1;
        }
    }
    carried > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patterns_match_whole_values() {
        assert!(matches_pattern(r"(\+[1-9])?\d{1,14}", "+447700900000"));
        assert!(!matches_pattern(r"(\+[1-9])?\d{1,14}", "call me"));
        assert!(!matches_pattern(r"^[0-9]{8}$", "1234567"));
    }

    #[test]
    fn reports_pointers() {
        let schema = json!({"type": "object", "required": ["a"], "properties": {
            "a": {"type": "array", "items": {"type": "string", "minLength": 1}},
            "d": {"type": "string", "format": "date"}}});
        let missing = validate(&schema, &json!({}), "/claims/0").unwrap_err();
        assert_eq!(
            (missing.title, missing.pointer.as_str()),
            ("Missing field", "/claims/0/a")
        );
        let empty = validate(&schema, &json!({"a": ["x", ""]}), "").unwrap_err();
        assert_eq!(empty.pointer, "/a/1");
        let date = validate(&schema, &json!({"a": [], "d": "2024-02-30"}), "").unwrap_err();
        assert_eq!((date.title, date.pointer.as_str()), ("Invalid date", "/d"));
    }

    #[test]
    fn unions_report_the_intended_alternative() {
        let schema = json!({"type": "object", "required": ["kind"], "x-anyOf": [
            {"type": "object", "required": ["kind"], "properties": {"kind": {"enum": ["a"]}}},
            {"type": "object", "required": ["kind", "n"], "properties": {"kind": {"enum": ["b"]}, "n": {"type": "integer"}}}]});
        assert!(validate(&schema, &json!({"kind": "a"}), "").is_ok());
        let wrong = validate(&schema, &json!({"kind": "b"}), "").unwrap_err();
        assert_eq!(
            (wrong.title, wrong.pointer.as_str()),
            ("Missing field", "/n")
        );
    }
}
