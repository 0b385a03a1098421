//! The `Idempotency-Key` header of a POST, read with its JSON body: the key, and a
//! fingerprint of the request (method, path and query, body) that tells a retry from a
//! different request under the same key. The write pipeline claims it and replays its reply
//! (`store::idempotency`).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::ApiError;
use crate::store::idempotency::{HEADER, IdempotencyKey};

const MAX_KEY_LENGTH: usize = 255;

/// A JSON body with the request's idempotency key, if it has one.
pub struct Idempotent<T> {
    pub body: T,
    pub key: Option<IdempotencyKey>,
}

impl<T: DeserializeOwned + 'static> FromRequest for Idempotent<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let key = request
            .headers()
            .get(HEADER)
            .map(|value| {
                value
                    .to_str()
                    .ok()
                    .filter(|k| {
                        !k.is_empty()
                            && k.len() <= MAX_KEY_LENGTH
                            && k.bytes().all(|b| b.is_ascii_graphic())
                    })
                    .map(str::to_string)
                    .ok_or_else(|| {
                        ApiError::new(
                            StatusCode::BAD_REQUEST,
                            "Invalid header",
                            format!(
                                "`{HEADER}` must be 1 to {MAX_KEY_LENGTH} visible ASCII \
                                 characters, such as a UUID."
                            ),
                        )
                        .with_parameter(HEADER)
                    })
            })
            .transpose();
        let method = request.method().to_string();
        // The query is part of the request: a search's `include` changes its answer.
        let target = request
            .uri()
            .path_and_query()
            .map_or_else(|| request.uri().path(), |target| target.as_str())
            .to_string();
        let body = super::json::read_body(request, payload);
        Box::pin(async move {
            let key = key?;
            let body = body.await?;
            let parsed = super::json::parse(&body)?;
            let key = key.map(|key| {
                let mut hash = Sha256::new();
                hash.update(method.as_bytes());
                hash.update(b" ");
                hash.update(target.as_bytes());
                hash.update(b"\n");
                hash.update(&body);
                let request_hash = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
                IdempotencyKey::new(key, request_hash)
            });
            Ok(Idempotent { body: parsed, key })
        })
    }
}
