//! `/v0/companies-house/companies/{company-number}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::CompanyNumber;
use crate::access::Caller;
use crate::http::{ApiError, ApiResult, ok};

/// `GET /v0/companies-house/companies/{company-number}` (any authenticated caller).
pub async fn get(_caller: Caller, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let number = CompanyNumber::parse(&path).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Bad path parameter",
            "A company number is 8 characters: 8 digits, or 2 capital letters and 6 digits.",
        )
        .with_parameter("company-number")
    })?;
    let company = super::lookup(&number).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "company-not-found",
            format!("Companies House has no company {}.", number.as_str()),
        )
    })?;
    Ok(ok(&company))
}
