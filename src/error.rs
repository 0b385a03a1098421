//! The domain's one error type: why a rule or a lookup refused, in the domain's own terms.
//! The core returns it and knows nothing of HTTP; the edge turns it into Griffin's error body
//! in one place (`http::error`).

use std::borrow::Cow;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Unknown, malformed, or another organization's: never told apart.
    #[error("not found")]
    NotFound,
    /// The credential no longer holds (a removed or deactivated member, an expired token).
    #[error("unauthenticated: {0}")]
    Unauthenticated(Cow<'static, str>),
    /// The caller lacks `permission`; `granted_by` names the organization's roles that
    /// grant it.
    #[error("forbidden: needs {permission}")]
    Forbidden {
        permission: &'static str,
        granted_by: Vec<String>,
    },
    /// A refusal that is not about permissions, such as a user acting on themselves.
    #[error("forbidden: {0}")]
    Refused(Cow<'static, str>),
    /// A value the request carried cannot be taken: `title` in Griffin's wording
    /// ("Invalid value", "Missing field"), `pointer` into the request body.
    #[error("invalid {pointer}: {detail}")]
    Invalid {
        title: &'static str,
        detail: Cow<'static, str>,
        pointer: Cow<'static, str>,
    },
    /// The request conflicts with the resource's current state (`code` is machine-readable).
    #[error("conflict {code}: {detail}")]
    Conflict {
        code: &'static str,
        detail: Cow<'static, str>,
    },
    /// The resource is gone for good for this request (a rejected payment).
    #[error("gone {code}: {detail}")]
    Gone {
        code: &'static str,
        detail: Cow<'static, str>,
    },
    /// A business rule refused the request (`code` is machine-readable), optionally at a
    /// place in the request body.
    #[error("unprocessable {code}: {detail}")]
    Unprocessable {
        code: &'static str,
        detail: Cow<'static, str>,
        pointer: Option<Cow<'static, str>>,
    },
    /// The store failed, or has no connection to give.
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn invalid(
        title: &'static str,
        detail: impl Into<Cow<'static, str>>,
        pointer: impl Into<Cow<'static, str>>,
    ) -> Self {
        DomainError::Invalid {
            title,
            detail: detail.into(),
            pointer: pointer.into(),
        }
    }

    /// "Invalid value" at `pointer`: the commonest 400.
    pub fn invalid_value(
        detail: impl Into<Cow<'static, str>>,
        pointer: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::invalid("Invalid value", detail, pointer)
    }

    pub fn conflict(code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        DomainError::Conflict {
            code,
            detail: detail.into(),
        }
    }

    pub fn unprocessable(code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        DomainError::Unprocessable {
            code,
            detail: detail.into(),
            pointer: None,
        }
    }

    /// The same refusal, placed at `pointer` in the request body.
    pub fn at(mut self, at: impl Into<Cow<'static, str>>) -> Self {
        match &mut self {
            DomainError::Unprocessable { pointer, .. } => *pointer = Some(at.into()),
            DomainError::Invalid { pointer, .. } => *pointer = at.into(),
            _ => {}
        }
        self
    }

    pub fn unauthenticated(detail: impl Into<Cow<'static, str>>) -> Self {
        DomainError::Unauthenticated(detail.into())
    }

    /// Whether this is the refusal with machine code `code`.
    pub fn has_code(&self, code: &str) -> bool {
        match self {
            DomainError::Conflict { code: c, .. }
            | DomainError::Gone { code: c, .. }
            | DomainError::Unprocessable { code: c, .. } => *c == code,
            _ => false,
        }
    }
}

impl From<diesel::result::Error> for DomainError {
    fn from(error: diesel::result::Error) -> Self {
        DomainError::Store(StoreError::Query(error))
    }
}
