//! The JSON body extractor. Unlike actix's own it answers every problem with our error body:
//! 415 for another content type, 413 over the size limit, and 400 with a JSON pointer to the
//! offending value for malformed JSON, missing fields, wrong types and unknown enum values.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_path_to_error::{Path, Segment};

use crate::ids::{Id, IdKind};

use super::error::ApiError;

/// For an optional body field that may be left out but not sent as `null` (which would
/// otherwise read as "left out" and change nothing, silently): `#[serde(default,
/// deserialize_with = "not_null")]`. A `null` is then a 400 pointing at the field.
pub fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 256 * 1024;

/// A request body deserialized from JSON.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(request, payload);
        Box::pin(async move { parse(&body.await?).map(Json) })
    }
}

/// How long a request body may take to arrive once its headers have: a client that sends
/// it a byte at a time is cut off (408) instead of holding a connection and one of its
/// organization's in-flight slots. Set by the app from its settings; this is the default.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Duration);

impl Default for BodyDeadline {
    fn default() -> Self {
        BodyDeadline(Duration::from_secs(10))
    }
}

impl BodyDeadline {
    pub fn of(request: &HttpRequest) -> Self {
        request
            .app_data::<web::Data<BodyDeadline>>()
            .map(|deadline| *deadline.get_ref())
            .unwrap_or_default()
    }
}

/// Reads a JSON request body (any JSON content type, at most [`BODY_LIMIT`] bytes).
pub fn read_body(
    request: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<Vec<u8>, ApiError>> + 'static {
    let content_type_ok = is_json_content_type(request);
    let declared_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let deadline = BodyDeadline::of(request);
    let payload = payload.take();
    async move {
        if !content_type_ok {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Send the request body as JSON with `Content-Type: application/json`.",
            ));
        }
        if declared_length.is_some_and(|n| n > BODY_LIMIT) {
            return Err(too_large());
        }
        read_limited(payload, declared_length.unwrap_or(1024), deadline).await
    }
}

/// The whole of `payload`: at most [`BODY_LIMIT`] bytes (413), arriving within `deadline`
/// (408). `expected` sizes the buffer.
pub async fn read_limited(
    mut payload: Payload,
    expected: usize,
    deadline: BodyDeadline,
) -> Result<Vec<u8>, ApiError> {
    let read = async {
        let mut body = Vec::with_capacity(expected.min(BODY_LIMIT));
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::new(StatusCode::BAD_REQUEST, "Bad request", e.to_string())
            })?;
            if body.len() + chunk.len() > BODY_LIMIT {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    tokio::time::timeout(deadline.0, read)
        .await
        .unwrap_or_else(|_| {
            Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                format!(
                    "The request body did not arrive within {} ms.",
                    deadline.0.as_millis()
                ),
            ))
        })
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        format!("Request bodies are limited to {BODY_LIMIT} bytes."),
    )
}

fn is_json_content_type(request: &HttpRequest) -> bool {
    let Some(value) = request.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Deserializes `body`, turning serde's errors into 400s with a JSON pointer.
/// Whether a JSON text holds a NUL character (raw or as `\u0000`): PostgreSQL's text cannot
/// store one, and no field of this API has a use for it.
fn contains_nul(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            0 => return true,
            b'\\' => {
                if body.get(i + 1) == Some(&b'u')
                    && body.get(i + 2..i + 6).is_some_and(|hex| hex == b"0000")
                {
                    return true;
                }
                i += 2;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// The id in the URL a request body names a resource by, at `pointer`: a URL of
/// `collection` (`/v0/payees`), else a 400 that says what a `noun` URL looks like.
pub fn url_id<K: IdKind>(
    url: &str,
    collection: &str,
    noun: &str,
    pointer: impl Into<String>,
) -> Result<Id<K>, ApiError> {
    crate::urls::parse(url, collection).ok_or_else(|| {
        ApiError::invalid_body(
            "Invalid value",
            format!(
                "Expected a {noun} URL such as {collection}/{}.….",
                K::PREFIX
            ),
            pointer,
        )
    })
}

pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if contains_nul(body) {
        return Err(ApiError::invalid_body(
            "Invalid value",
            "Text must not contain NUL characters.",
            "",
        ));
    }
    // serde's derived structs also accept arrays (fields by position); a request body is an
    // object, so anything else is refused up front.
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{')
        && serde_json::from_slice::<serde_json::Value>(body).is_ok()
    {
        return Err(ApiError::invalid_body(
            "Incorrect type",
            "The body must be a JSON object.",
            "",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(describe)?;
    deserializer.end().map_err(|e| {
        ApiError::invalid_body(
            "Bad request",
            format!("The body is not valid JSON: {e}."),
            "",
        )
    })?;
    Ok(value)
}

fn describe(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let pointer = pointer(error.path());
    let inner = error.inner();
    if matches!(
        inner.classify(),
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof
    ) {
        return ApiError::invalid_body(
            "Bad request",
            format!("The body is not valid JSON: {inner}."),
            "",
        );
    }
    // serde_json appends " at line L column C" to data errors; the pointer says where.
    let message = inner.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(head, _)| head)
        .to_string();
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        return ApiError::invalid_body(
            "Missing field",
            format!("`{field}` is required."),
            format!("{pointer}/{}", escape(field)),
        );
    }
    let title = if message.starts_with("unknown variant") {
        "Invalid enum value"
    } else if message.starts_with("invalid type") {
        "Incorrect type"
    } else {
        "Invalid value"
    };
    ApiError::invalid_body(title, capitalize(&message), pointer)
}

/// The JSON pointer (RFC 6901) of a serde path.
fn pointer(path: &Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                out.push('/');
                out.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&escape(key));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn capitalize(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    #[allow(dead_code)]
    struct Body {
        api_key_name: String,
        items: Option<Vec<Item>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    #[allow(dead_code)]
    struct Item {
        kind: Kind,
        count: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    enum Kind {
        Small,
    }

    fn error_of(body: &str) -> ApiError {
        match parse::<Body>(body.as_bytes()) {
            Ok(parsed) => panic!("{body} parsed as {parsed:?}"),
            Err(error) => error,
        }
    }

    fn pointer_of(error: &ApiError) -> Option<&str> {
        match &error.source {
            Some(super::super::error::ErrorSource::Pointer(p)) => Some(p),
            _ => None,
        }
    }

    #[test]
    fn malformed_json() {
        for body in [
            "",
            "{",
            "{\"api-key-name\": }",
            "nonsense",
            "{\"api-key-name\": \"a\"} trailing",
        ] {
            let error = error_of(body);
            assert_eq!(error.title, "Bad request", "{body}");
            assert_eq!(pointer_of(&error), Some(""));
        }
    }

    #[test]
    fn missing_field_points_at_it() {
        let error = error_of(r#"{"items": []}"#);
        assert_eq!(error.title, "Missing field");
        assert_eq!(pointer_of(&error), Some("/api-key-name"));
        let error = error_of(
            r#"{"api-key-name": "a", "items": [{"kind": "small", "count": 1}, {"kind": "small"}]}"#,
        );
        assert_eq!(error.title, "Missing field");
        assert_eq!(pointer_of(&error), Some("/items/1/count"));
    }

    #[test]
    fn wrong_type_and_enum() {
        let error = error_of(r#"{"api-key-name": 5}"#);
        assert_eq!(error.title, "Incorrect type");
        assert_eq!(pointer_of(&error), Some("/api-key-name"));
        let error = error_of(r#"{"api-key-name": "a", "items": [{"kind": "huge", "count": 1}]}"#);
        assert_eq!(error.title, "Invalid enum value");
        assert_eq!(pointer_of(&error), Some("/items/0/kind"));
        let error = error_of(r#"{"api-key-name": "a", "items": [{"kind": "small", "count": -1}]}"#);
        assert_eq!(error.title, "Invalid value");
        assert_eq!(pointer_of(&error), Some("/items/0/count"));
        let error = error_of("[]");
        assert_eq!(error.title, "Incorrect type");
        assert_eq!(pointer_of(&error), Some(""));
    }

    #[test]
    fn nul_characters_are_refused() {
        assert!(contains_nul(br#"{"a": "x\u0000y"}"#));
        assert!(contains_nul(b"{\"a\": \"x\0\"}"));
        assert!(
            !contains_nul(br#"{"a": "x\\u0000"}"#),
            "an escaped backslash, then text"
        );
        assert!(!contains_nul(br#"{"a": "\u0001"}"#));
        assert_eq!(
            error_of(r#"{"api-key-name": "a\u0000"}"#).title,
            "Invalid value"
        );
    }

    #[test]
    fn escapes_pointer_tokens() {
        assert_eq!(escape("a/b~c"), "a~1b~0c");
    }
}
