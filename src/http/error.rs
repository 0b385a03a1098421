//! The one error type of the HTTP layer and its JSON body:
//!
//! ```json
//! {"errors": [{"status": "422", "title": "insufficient-funds", "detail": "…",
//!              "source": {"pointer": "/payment-amount/value"}}]}
//! ```
//!
//! 400 titles follow Griffin's ("Missing field", "Incorrect type", …); every other status
//! carries a kebab-case machine code as its title.

use std::borrow::Cow;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::DomainError;
use crate::store::StoreError;

/// Where in the request the problem is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ErrorSource {
    /// A JSON pointer into the request body (RFC 6901), e.g. `/claims/2/date-of-birth`.
    #[serde(rename = "pointer")]
    Pointer(String),
    /// A query parameter, e.g. `page[size]`.
    #[serde(rename = "parameter")]
    Parameter(String),
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub title: Cow<'static, str>,
    pub detail: String,
    pub source: Option<ErrorSource>,
    /// The `Allow` header of a 405.
    allow: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The `Retry-After` of a 429 or 503, in seconds.
pub const RETRY_AFTER_SECONDS: &str = "1";

/// The `WWW-Authenticate` challenge of every 401: the schemes this server accepts.
pub const AUTH_CHALLENGE: &str = "GriffinAPIKey realm=\"hyperbank\", GriffinSession";

impl ApiError {
    pub fn new(
        status: StatusCode,
        title: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            title: title.into(),
            detail: detail.into(),
            source: None,
            allow: None,
        }
    }

    pub fn with_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.source = Some(ErrorSource::Pointer(pointer.into()));
        self
    }

    pub fn with_parameter(mut self, parameter: impl Into<String>) -> Self {
        self.source = Some(ErrorSource::Parameter(parameter.into()));
        self
    }

    /// 400 about the request body, pointing at the offending value.
    pub fn invalid_body(
        title: &'static str,
        detail: impl Into<String>,
        pointer: impl Into<String>,
    ) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, title, detail).with_pointer(pointer)
    }

    /// 400 about a query parameter.
    pub fn invalid_parameter(parameter: &str, detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "Bad query parameter", detail)
            .with_parameter(parameter)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404: unknown, malformed or another organization's resource alike.
    pub fn not_found() -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "No such resource, or it is not visible to this organization.",
        )
    }

    pub fn method_not_allowed(allow: &str) -> Self {
        let mut error = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            format!("This resource supports {allow}."),
        );
        error.allow = Some(allow.to_string());
        error
    }

    pub fn conflict(title: &'static str, detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, title, detail)
    }

    /// 422: a business rule refused the request; `code` is the machine-readable title.
    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    /// 500. The cause is logged here and never shown to the caller.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal-error",
            "Something went wrong on our side; the request may be retried.",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.title,
            self.detail
        )
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    errors: [ErrorItem<'a>; 1],
}

#[derive(Serialize)]
struct ErrorItem<'a> {
    status: &'a str,
    title: &'a str,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a ErrorSource>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status.as_u16().to_string();
        let body = ErrorBody {
            errors: [ErrorItem {
                status: &status,
                title: &self.title,
                detail: &self.detail,
                source: self.source.as_ref(),
            }],
        };
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, AUTH_CHALLENGE));
        }
        // Refusals for now, not for good: say when to try again, so clients back off.
        if self.status == StatusCode::TOO_MANY_REQUESTS
            || self.status == StatusCode::SERVICE_UNAVAILABLE
        {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS));
        }
        if let Some(allow) = &self.allow
            && let Ok(value) = HeaderValue::from_str(allow)
        {
            response.insert_header((header::ALLOW, value));
        }
        response.json(body)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            // Every connection busy for the whole wait: tell the client to come back.
            StoreError::Pool(cause) => {
                tracing::warn!(%cause, "no database connection available");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service-unavailable",
                    "The server is too busy to take this request; retry shortly.",
                )
            }
            other => ApiError::internal(other),
        }
    }
}

/// The one place where the domain's refusals become HTTP statuses and Griffin's error body.
impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::NotFound => ApiError::not_found(),
            DomainError::Unauthenticated(detail) => ApiError::unauthorized(detail),
            DomainError::Forbidden {
                permission,
                granted_by,
            } => ApiError::forbidden(format!(
                "This needs the `{permission}` permission, which these roles grant: {}.",
                granted_by.join(", ")
            )),
            DomainError::Refused(detail) => ApiError::forbidden(detail),
            DomainError::Invalid {
                title,
                detail,
                pointer,
            } => ApiError::invalid_body(title, detail, pointer),
            DomainError::Conflict { code, detail } => ApiError::conflict(code, detail),
            DomainError::Gone { code, detail } => ApiError::new(StatusCode::GONE, code, detail),
            DomainError::Unprocessable {
                code,
                detail,
                pointer,
            } => {
                let error = ApiError::unprocessable(code, detail);
                match pointer {
                    Some(pointer) => error.with_pointer(pointer),
                    None => error,
                }
            }
            DomainError::Store(error) => error.into(),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        ApiError::internal(error)
    }
}
