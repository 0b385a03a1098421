//! The contract checks: every response the HTTP tests see is checked against two documents.
//!
//! - Griffin's published spec (`tests/fixtures/griffin-openapi.yml`, Swagger 2.0): a response
//!   of an operation Griffin defines must validate against that operation's schema for its
//!   status. Griffin publishes no error schemas, so errors are left to our document.
//! - Our `openapi.yaml` (OpenAPI 3.1): every response must be documented — its route, method
//!   and status — and validate against the schema documented for it. A path the document does
//!   not have may only answer `components/responses/NotFound`, and a documented path asked
//!   with a method it does not document only `components/responses/MethodNotAllowed`.
//!
//! Both documents are read by one schema walker (`contract/schema.rs`); what differs is how
//! each is loaded and where it keeps a response's schema.

mod schema;

use std::borrow::Cow;
use std::sync::OnceLock;

use serde_json::Value;

use schema::Dialect;
use schema::Schemas;

const GRIFFIN_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/griffin-openapi.yml"
);
const OURS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of a document.
pub struct Operation {
    /// Upper case, as on the wire.
    pub method: String,
    /// The path template, e.g. `/v0/bank/accounts/{bank-account-id}`.
    pub path: String,
    pub definition: Value,
}

impl Operation {
    /// Whether the concrete `path` fits this template: the same literal segments, and a
    /// non-empty segment wherever the template has a parameter.
    fn fits(&self, path: &str) -> bool {
        let template: Vec<&str> = self.path.split('/').collect();
        let segments: Vec<&str> = path.split('/').collect();
        template.len() == segments.len()
            && template
                .iter()
                .zip(&segments)
                .all(|(t, s)| t == s || (is_parameter(t) && !s.is_empty()))
    }

    fn literal_segments(&self) -> usize {
        self.path.split('/').filter(|s| !is_parameter(s)).count()
    }
}

fn is_parameter(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

/// A loaded API document.
pub struct Document {
    /// What the failure messages call it.
    pub name: &'static str,
    schemas: Schemas,
    operations: Vec<Operation>,
}

/// Griffin's spec, loaded once.
pub fn griffin() -> &'static Document {
    static GRIFFIN: OnceLock<Document> = OnceLock::new();
    GRIFFIN.get_or_init(|| {
        let document = Document::load("Griffin's spec", GRIFFIN_PATH, Dialect::Griffin);
        assert_eq!(
            document.operations.len(),
            97,
            "Griffin's spec has 97 operations"
        );
        document
    })
}

/// Where we read Griffin's spec otherwise than it is written, each for a stated reason.
///
/// The `complete` status of a webhook test requires both `webhook-http-status` and
/// `webhook-error-code`, but the error code's enum has no value for success and a receiver
/// that never answered has no status: each is required here only when there is one.
fn griffin_errata(node: &mut Value) {
    match node {
        Value::Object(map) => {
            let completes = map.get("properties").is_some_and(|p| {
                p["webhook-request-status"]["enum"] == serde_json::json!(["complete"])
            });
            if completes && let Some(Value::Array(required)) = map.get_mut("required") {
                required.retain(|f| f != "webhook-http-status" && f != "webhook-error-code");
            }
            map.values_mut().for_each(griffin_errata);
        }
        Value::Array(items) => items.iter_mut().for_each(griffin_errata),
        _ => {}
    }
}

/// Our `openapi.yaml`, loaded once.
pub fn ours() -> &'static Document {
    static OURS: OnceLock<Document> = OnceLock::new();
    OURS.get_or_init(|| {
        let document = Document::load("openapi.yaml", OURS_PATH, Dialect::OpenApi31);
        let version = document.schemas.root["openapi"].as_str();
        assert!(
            version.is_some_and(|v| v.starts_with("3.1")),
            "openapi.yaml is OpenAPI 3.1, not {version:?}"
        );
        document
    })
}

/// A response body as the checks see it: JSON, or text of another media type (Griffin's Xero
/// CSV), which must be documented as that type.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    Json(&'a Value),
    Text { media_type: &'a str, text: &'a str },
}

impl Body<'_> {
    fn media_type(&self) -> &str {
        match self {
            Body::Json(_) => "application/json",
            Body::Text { media_type, .. } => media_type,
        }
    }

    /// The value a schema checks: the JSON itself, or the text as a JSON string.
    fn value(&self) -> Cow<'_, Value> {
        match self {
            Body::Json(value) => Cow::Borrowed(value),
            Body::Text { text, .. } => Cow::Owned(Value::String(text.to_string())),
        }
    }
}

impl std::fmt::Display for Body<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Json(value) => write!(f, "{value:#}"),
            Body::Text { media_type, text } => write!(f, "({media_type}) {text}"),
        }
    }
}

/// Checks one response against both documents; fails the test naming every violation.
#[track_caller]
pub fn assert_documented(method: &str, path: &str, status: u16, body: Option<Body<'_>>) {
    for document in [griffin(), ours()] {
        let violations = document.check_body(method, path, status, body);
        assert!(
            violations.is_empty(),
            "{method} {path} {status} breaks {}:\n{}\nbody: {}",
            document.name,
            violations.join("\n"),
            body.map_or("(none)".to_string(), |b| b.to_string()),
        );
    }
}

impl Document {
    fn load(name: &'static str, path: &str, dialect: Dialect) -> Document {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
        let yaml: serde_yaml::Value =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut root = to_json(yaml);
        if dialect == Dialect::Griffin {
            griffin_errata(&mut root);
        }
        let paths = root["paths"]
            .as_object()
            .unwrap_or_else(|| panic!("{path} has no `paths`"));
        let mut operations = Vec::new();
        for (template, item) in paths {
            let item = item
                .as_object()
                .unwrap_or_else(|| panic!("{path}: {template} is not a path item"));
            // Besides its operations a path item may hold `parameters`, `summary`, …
            for (method, definition) in item.iter().filter(|(k, _)| METHODS.contains(&k.as_str())) {
                operations.push(Operation {
                    method: method.to_uppercase(),
                    path: template.clone(),
                    definition: definition.clone(),
                });
            }
        }
        assert!(!operations.is_empty(), "{path} defines no operation");
        Document {
            name,
            schemas: Schemas::new(root, dialect),
            operations,
        }
    }

    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation for this method and concrete path, if any; literal
    /// segments win over parameters (`/accounts/search` over `/accounts/{id}`).
    pub fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        let path = path.split('?').next().unwrap_or(path);
        self.operations
            .iter()
            .filter(|operation| operation.method == method && operation.fits(path))
            .max_by_key(|operation| operation.literal_segments())
    }

    /// The operation of this method whose path has the shape of `template`, another
    /// document's: the same literal segments, and parameters in the same places, whatever
    /// their names.
    pub fn operation_like(&self, method: &str, template: &str) -> Option<&Operation> {
        let shape = |path: &str| -> Vec<String> {
            path.split('/')
                .map(|s| {
                    if is_parameter(s) {
                        "{}".to_string()
                    } else {
                        s.to_string()
                    }
                })
                .collect()
        };
        self.operations.iter().find(|operation| {
            operation.method == method && shape(&operation.path) == shape(template)
        })
    }

    /// Whether any operation, of any method, has a template that fits `path`.
    fn has_path(&self, path: &str) -> bool {
        self.operations.iter().any(|operation| operation.fits(path))
    }

    /// Checks a response with a JSON body (or none). Returns what is wrong, empty when it
    /// passes.
    pub fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: Option<&Value>,
    ) -> Vec<String> {
        self.check_body(method, path, status, body.map(Body::Json))
    }

    /// Checks a response with a body of any media type (or none).
    pub fn check_body(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: Option<Body<'_>>,
    ) -> Vec<String> {
        match self.schemas.dialect() {
            Dialect::Griffin => self.check_griffin(method, path, status, body),
            Dialect::OpenApi31 => self.check_ours(method, path, status, body),
        }
    }

    fn check_griffin(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: Option<Body<'_>>,
    ) -> Vec<String> {
        // Only Griffin's own operations are Griffin's business; ours are checked by ours().
        let Some(operation) = self.operation(method, path) else {
            return Vec::new();
        };
        if status >= 400 {
            // Griffin publishes no error schemas.
            return Vec::new();
        }
        let Some(response) = operation.definition["responses"].get(status.to_string()) else {
            return vec![format!("{} does not answer {status}", operation.path)];
        };
        if let Some(Body::Text { media_type, .. }) = body {
            return self.griffin_produces(operation, media_type);
        }
        // A status Griffin declares without a schema leaves its body unspecified.
        let Some(schema) = response.get("schema") else {
            return Vec::new();
        };
        let Some(body) = body else {
            return vec![format!("{} {status} has a body; got none", operation.path)];
        };
        let mut errors = Vec::new();
        self.schemas.validate(schema, &body.value(), &mut errors);
        errors
    }

    /// Whether Griffin's operation answers with `media_type`, other than the JSON its schemas
    /// describe. Swagger 2.0 lists media types under `produces`; Griffin's spec lists only
    /// JSON there and names its one other type in the operation's description (`Use an
    /// `Accept: application/vnd.griffin+xero-csv` header…`), without a schema: the type must
    /// be named in one of the two, and there is nothing more to validate.
    fn griffin_produces(&self, operation: &Operation, media_type: &str) -> Vec<String> {
        let produces = operation
            .definition
            .get("produces")
            .unwrap_or(&self.schemas.root["produces"]);
        let listed = produces
            .as_array()
            .is_some_and(|types| types.iter().any(|t| t == media_type));
        let described = operation.definition["description"]
            .as_str()
            .is_some_and(|d| d.contains(&format!("Accept: {media_type}")));
        if listed || described {
            Vec::new()
        } else {
            vec![format!(
                "{} {} does not produce `{media_type}`",
                operation.method, operation.path
            )]
        }
    }

    fn check_ours(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: Option<Body<'_>>,
    ) -> Vec<String> {
        let response = match self.operation(method, path) {
            Some(operation) => match operation.definition["responses"].get(status.to_string()) {
                Some(response) => response,
                None => {
                    return vec![format!(
                        "{method} {} does not document the status {status}",
                        operation.path
                    )];
                }
            },
            // No such operation: only the document's answers for that are allowed.
            None => {
                let (expected, answer) = if self.has_path(path) {
                    (405, "MethodNotAllowed")
                } else {
                    (404, "NotFound")
                };
                if status != expected {
                    return vec![format!(
                        "no operation {method} {path} is documented, yet it answered {status}"
                    )];
                }
                let reference = format!("#/components/responses/{answer}");
                match self.schemas.resolve(&reference) {
                    Some(response) => response,
                    None => return vec![format!("{reference} is not documented")],
                }
            }
        };
        let response = match self.schemas.follow(response) {
            Ok(response) => response,
            Err(e) => return vec![e],
        };
        match (response.get("content"), body) {
            (None, None) => Vec::new(),
            (None, Some(body)) => {
                vec![format!("{status} is documented without a body; got {body}")]
            }
            (Some(_), None) => vec![format!("{status} is documented with a body; got none")],
            (Some(content), Some(body)) => {
                let media_type = body.media_type();
                match content
                    .get(media_type)
                    .and_then(|media| media.get("schema"))
                {
                    None => vec![format!(
                        "{status} is documented without a `{media_type}` schema"
                    )],
                    Some(schema) => {
                        let mut errors = Vec::new();
                        self.schemas.validate(schema, &body.value(), &mut errors);
                        errors
                    }
                }
            }
        }
    }
}

/// YAML to JSON, with non-string keys (status codes) turned into strings.
fn to_json(yaml: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n)
            .unwrap_or_else(|e| panic!("the YAML number {n} is not a JSON number: {e}")),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s,
                        Y::Number(n) => n.to_string(),
                        Y::Bool(b) => b.to_string(),
                        other => panic!("a YAML key that is not a scalar: {other:?}"),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => to_json(tagged.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_documents_load_and_find_operations() {
        let griffin = griffin();
        assert!(griffin.operation("GET", "/v0/organizations/og.x").is_some());
        assert!(griffin.operation("GET", "/v0/index").is_some());
        assert!(griffin.operation("GET", "/v0/nowhere").is_none());
        assert_eq!(
            griffin
                .operation("POST", "/v0/organizations/og.x/bank/accounts/search")
                .map(|o| o.path.as_str()),
            Some("/v0/organizations/{organization-id}/bank/accounts/search")
        );
        let ours = ours();
        assert!(ours.operation("GET", "/v0/ping").is_some());
        assert!(ours.operation("GET", "/v0/bank/accounts/").is_none());
    }

    fn api_key() -> Value {
        json!({"api-key-url": "/v0/api-keys/ak.x", "api-key-name": "a",
            "api-key-live?": false, "organization-url": "/v0/organizations/og.x",
            "user-url": "/v0/users/ur.x", "created-at": "2024-01-01T00:00:00.000Z"})
    }

    /// Both documents catch what a schema can say is wrong with a body.
    #[test]
    fn the_validator_catches_what_it_must() {
        for document in [griffin(), ours()] {
            let check = |body: &Value| document.check("GET", "/v0/api-keys/ak.x", 200, Some(body));
            let name = document.name;
            assert_eq!(check(&api_key()), Vec::<String>::new(), "{name}");
            let mut missing = api_key();
            missing.as_object_mut().map(|o| o.remove("user-url"));
            assert!(!check(&missing).is_empty(), "{name}: a missing field");
            let mut wrong_type = api_key();
            wrong_type["api-key-live?"] = json!("no");
            assert!(!check(&wrong_type).is_empty(), "{name}: a wrong type");
            let mut bad_time = api_key();
            bad_time["created-at"] = json!("yesterday");
            assert!(!check(&bad_time).is_empty(), "{name}: a bad date-time");
            // Closed objects: Griffin's organization, and every object of our responses.
            let errors = document.check(
                "GET",
                "/v0/organizations/og.x",
                200,
                Some(&json!({"surprise": 1})),
            );
            assert!(
                errors
                    .iter()
                    .any(|e| e.contains("`surprise` is not allowed")),
                "{name}: {errors:?}"
            );
            // Undeclared statuses.
            assert!(
                !document
                    .check("GET", "/v0/organizations/og.x", 201, Some(&json!({})))
                    .is_empty(),
                "{name}"
            );
        }
        let mut extra = api_key();
        extra["surprise"] = json!(1);
        let errors = ours().check("GET", "/v0/api-keys/ak.x", 200, Some(&extra));
        assert!(
            errors
                .iter()
                .any(|e| e.contains("`surprise` is not allowed")),
            "{errors:?}"
        );
        // Griffin's key name has a minimum length.
        let mut empty_name = api_key();
        empty_name["api-key-name"] = json!("");
        assert!(
            !griffin()
                .check("GET", "/v0/api-keys/ak.x", 200, Some(&empty_name))
                .is_empty()
        );
    }

    /// What only our document answers for: errors, routes and statuses it does not know.
    #[test]
    fn our_document_refuses_what_it_does_not_document() {
        let ours = ours();
        let error = json!({"errors": [{"status": "404", "title": "not-found", "detail": "x"}]});
        assert_eq!(
            ours.check("GET", "/v0/api-keys/ak.x", 404, Some(&error)),
            Vec::<String>::new()
        );
        // An error body that is not our error body.
        assert!(
            !ours
                .check(
                    "GET",
                    "/v0/api-keys/ak.x",
                    404,
                    Some(&json!({"message": "no"}))
                )
                .is_empty()
        );
        // A status the operation does not document.
        assert!(
            !ours
                .check("GET", "/v0/api-keys/ak.x", 409, Some(&error))
                .is_empty()
        );
        // A route not in the document may only be a 404.
        assert!(
            !ours
                .check("GET", "/v0/nowhere", 200, Some(&json!({})))
                .is_empty()
        );
        assert_eq!(
            ours.check("GET", "/v0/nowhere", 404, Some(&error)),
            Vec::<String>::new()
        );
        // A method a documented path does not have may only be a 405.
        assert!(
            !ours
                .check("PUT", "/v0/api-keys/ak.x", 200, Some(&api_key()))
                .is_empty()
        );
        // A body where none is documented, and none where one is.
        assert!(
            !ours
                .check("GET", "/v0/ping", 204, Some(&json!({})))
                .is_empty()
        );
        assert!(!ours.check("GET", "/v0/api-keys/ak.x", 200, None).is_empty());
    }

    /// A body of another media type is checked as that type: documented for the operation
    /// and status, and valid against that type's schema.
    #[test]
    fn other_media_types_are_checked_not_skipped() {
        let csv = |text| Body::Text {
            media_type: "application/vnd.griffin+xero-csv",
            text,
        };
        let transactions = "/v0/bank/accounts/ba.x/transactions";
        let good = csv("Date,Amount,Payee,Description,Reference\r\n");
        for document in [griffin(), ours()] {
            let name = document.name;
            let errors = document.check_body("GET", transactions, 200, Some(good));
            assert_eq!(errors, Vec::<String>::new(), "{name}");
            let elsewhere = document.check_body("GET", "/v0/index", 200, Some(good));
            assert!(
                !elsewhere.is_empty(),
                "{name}: CSV where none is documented"
            );
        }
        let bad = csv("date;amount\n");
        assert!(
            !ours()
                .check_body("GET", transactions, 200, Some(bad))
                .is_empty()
        );
        let html = Body::Text {
            media_type: "text/html",
            text: "<p>",
        };
        for document in [griffin(), ours()] {
            let errors = document.check_body("GET", transactions, 200, Some(html));
            assert!(
                !errors.is_empty(),
                "{}: an undocumented type",
                document.name
            );
        }
    }

    /// The walker's keywords, on schemas of their own.
    #[test]
    fn json_schema_keywords() {
        let schemas = Schemas::new(
            json!({"components": {"schemas": {
                "Name": {"type": "string", "minLength": 1, "maxLength": 3, "pattern": "^[a-z]+$"},
                "Pet": {"type": "object", "additionalProperties": false,
                        "required": ["kind"],
                        "properties": {"kind": {"const": "cat"}, "name": {"$ref": "#/components/schemas/Name"}}}
            }}}),
            Dialect::OpenApi31,
        );
        let errors = |schema: Value, value: Value| {
            let mut errors = Vec::new();
            schemas.validate(&schema, &value, &mut errors);
            errors
        };
        let pet = json!({"$ref": "#/components/schemas/Pet"});
        assert!(errors(pet.clone(), json!({"kind": "cat", "name": "tom"})).is_empty());
        assert!(!errors(pet.clone(), json!({"kind": "dog"})).is_empty());
        assert!(!errors(pet.clone(), json!({"kind": "cat", "name": "Tom"})).is_empty());
        assert!(!errors(pet.clone(), json!({"kind": "cat", "name": "tomcat"})).is_empty());
        assert!(!errors(pet.clone(), json!({"kind": "cat", "name": ""})).is_empty());
        assert!(!errors(pet, json!({"kind": "cat", "age": 3})).is_empty());
        let nullable = json!({"type": ["string", "null"]});
        assert!(errors(nullable.clone(), json!(null)).is_empty());
        assert!(!errors(nullable, json!(1)).is_empty());
        assert!(!errors(json!({"type": "string"}), json!(null)).is_empty());
        let one_of = json!({"oneOf": [{"type": "string"}, {"type": "string", "minLength": 2}]});
        assert!(errors(one_of.clone(), json!("a")).is_empty());
        assert!(!errors(one_of.clone(), json!("ab")).is_empty(), "two match");
        assert!(!errors(one_of, json!(1)).is_empty(), "none match");
        let any_of = json!({"anyOf": [{"type": "string"}, {"type": "string", "minLength": 2}]});
        assert!(errors(any_of, json!("ab")).is_empty());
        let all_of = json!({"allOf": [{"type": "integer", "minimum": 1}, {"maximum": 5}]});
        assert!(errors(all_of.clone(), json!(3)).is_empty());
        assert!(!errors(all_of.clone(), json!(0)).is_empty());
        assert!(!errors(all_of.clone(), json!(6)).is_empty());
        assert!(!errors(all_of, json!(2.5)).is_empty());
        let list = json!({"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 1});
        assert!(errors(list.clone(), json!(["a", "b"])).is_empty());
        assert!(!errors(list.clone(), json!([])).is_empty());
        assert!(!errors(list, json!(["c"])).is_empty());
        let time = json!({"type": "string", "format": "date-time"});
        assert!(errors(time.clone(), json!("2024-01-01T13:30:00.000Z")).is_empty());
        assert!(!errors(time, json!("2024-01-01")).is_empty());
        // A pattern that cannot be read fails rather than passing everything.
        assert!(!errors(json!({"pattern": "(?<=a)b"}), json!("ab")).is_empty());
        assert!(!errors(json!({"$ref": "#/components/schemas/Nothing"}), json!(1)).is_empty());
    }
}
