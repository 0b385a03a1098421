use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::http::{ApiError, ApiResult, Caller, ok};

/// `GET /v0/companies-house/companies/{company-number}` (any authenticated caller).
pub async fn get(_caller: Caller, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let number = path.into_inner();
    if !super::valid_number(&number) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Bad path parameter",
            "A company number is 8 characters: 8 digits, or 2 capital letters and 6 digits.",
        )
        .with_parameter("company-number"));
    }
    let company = super::lookup(&number).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "company-not-found",
            format!("Companies House has no company {number}."),
        )
    })?;
    Ok(ok(&company))
}
