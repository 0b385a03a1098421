//! Safe retries, beyond Griffin: a POST may carry an `Idempotency-Key` header. The first
//! request with a key does the work and stores its answer (status, `Location`, body) in the
//! same database transaction; any later request of the organization with the same key gets
//! that answer back without doing the work again, and the same key with a different request
//! is refused (422 `idempotency-key-reused`).
//!
//! Two requests racing with one key cannot both do the work: the first thing the work's
//! transaction does is claim the key (an insert that, on PostgreSQL, waits for the other
//! transaction holding it, and on SQLite runs after it), so the loser finds the key taken and
//! answers with the winner's stored response once it is committed. A failed attempt rolls its
//! claim back with its work, so it can be retried.

use std::future::Future;
use std::pin::Pin;

use crate::store::PreparedExt;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::{ApiError, ApiResult};
use crate::dispatch;
use crate::store::Conn;
use crate::store::schema::idempotency_keys;
use crate::time::{self, Micros};

pub const HEADER: &str = "Idempotency-Key";
const MAX_KEY_LENGTH: usize = 255;
/// Keys are kept at least this long.
pub const RETENTION_MICROS: Micros = 24 * 3600 * time::MICROS_PER_SECOND;

/// A JSON body with the request's idempotency key, if it has one.
pub struct Idempotent<T> {
    pub body: T,
    pub key: Option<IdempotencyKey>,
}

/// The key and the fingerprint of the request that carried it.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    key: String,
    request_hash: String,
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
                IdempotencyKey { key, request_hash }
            });
            Ok(Idempotent { body: parsed, key })
        })
    }
}

/// An answer as it is stored and replayed.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Answer {
    pub fn ok(body: &impl Serialize) -> ApiResult<Self> {
        Ok(Answer {
            status: StatusCode::OK,
            location: None,
            body: serde_json::to_string(body).map_err(ApiError::internal)?,
        })
    }

    pub fn created(location: &str, body: &impl Serialize) -> ApiResult<Self> {
        Ok(Answer {
            status: StatusCode::CREATED,
            location: Some(location.to_string()),
            body: serde_json::to_string(body).map_err(ApiError::internal)?,
        })
    }

    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.content_type("application/json");
        if let Some(location) = &self.location {
            response.insert_header((header::LOCATION, location.as_str()));
        }
        response.body(self.body)
    }
}

/// What the work of an idempotent request came to.
pub enum Outcome {
    /// Done now: this answer, stored under the key if there is one.
    Done(Answer),
    /// Another request of the organization holds the key: answer with what it stored.
    Taken { organization_id: String },
}

/// The HTTP answer to an idempotent request whose transaction has ended.
pub async fn respond(
    db: &crate::store::Db,
    key: Option<&IdempotencyKey>,
    outcome: Outcome,
) -> ApiResult<HttpResponse> {
    match (outcome, key) {
        (Outcome::Done(answer), _) => Ok(answer.into_response()),
        (Outcome::Taken { organization_id }, Some(key)) => {
            let mut conn = db.read().await?;
            key.replay(&mut conn.conn(), &organization_id)
                .await?
                .map(Answer::into_response)
                .ok_or_else(|| {
                    ApiError::conflict(
                        "idempotency-key-in-use",
                        "Another request with this key has not finished; retry shortly.",
                    )
                })
        }
        (Outcome::Taken { .. }, None) => Err(ApiError::internal("no idempotency key to replay")),
    }
}

/// Claims `key` (if any) for the organization inside the work's transaction: `Some(Taken)`
/// when another request holds it, and the work must not be done.
pub async fn claim(
    conn: &mut Conn<'_>,
    key: Option<&IdempotencyKey>,
    organization_id: &str,
) -> ApiResult<Option<Outcome>> {
    match key {
        Some(key) if !key.claim(conn, organization_id).await? => Ok(Some(Outcome::Taken {
            organization_id: organization_id.to_string(),
        })),
        _ => Ok(None),
    }
}

/// Stores `answer` under `key` (if any) and makes it the outcome.
pub async fn done(
    conn: &mut Conn<'_>,
    key: Option<&IdempotencyKey>,
    organization_id: &str,
    answer: Answer,
) -> ApiResult<Outcome> {
    if let Some(key) = key {
        key.store(conn, organization_id, &answer).await?;
    }
    Ok(Outcome::Done(answer))
}

impl IdempotencyKey {
    /// The stored answer of an earlier request with this key, if there is one; 422 when that
    /// request was a different one.
    pub async fn replay(
        &self,
        conn: &mut Conn<'_>,
        organization_id: &str,
    ) -> ApiResult<Option<Answer>> {
        let stored: Option<(String, i32, Option<String>, String)> = dispatch!(conn, c => idempotency_keys::table
            .find((organization_id, &self.key))
            .select((
                idempotency_keys::request_hash,
                idempotency_keys::response_status,
                idempotency_keys::response_location,
                idempotency_keys::response_body,
            ))
            .first(c)
            .await
            .optional())?;
        let Some((hash, status, location, body)) = stored else {
            return Ok(None);
        };
        if hash != self.request_hash {
            return Err(ApiError::unprocessable(
                "idempotency-key-reused",
                format!(
                    "The {HEADER} `{}` was first used with a different request; use a new \
                     key for a new request.",
                    self.key
                ),
            ));
        }
        let status = u16::try_from(status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .ok_or_else(|| ApiError::internal("stored answer has no valid status"))?;
        Ok(Some(Answer {
            status,
            location,
            body,
        }))
    }

    /// Claims the key inside the work's transaction, before the work: `false` when another
    /// request holds it (then do nothing and answer with [`IdempotencyKey::replay`] once this
    /// transaction has ended).
    pub async fn claim(&self, conn: &mut Conn<'_>, organization_id: &str) -> ApiResult<bool> {
        let inserted = dispatch!(conn, c => diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::organization_id.eq(organization_id),
                idempotency_keys::idempotency_key.eq(&self.key),
                idempotency_keys::request_hash.eq(&self.request_hash),
                idempotency_keys::response_status.eq(0),
                idempotency_keys::response_body.eq(""),
                idempotency_keys::created_at.eq(time::now()),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        Ok(inserted == 1)
    }

    /// Stores the answer under the claimed key, in the work's transaction.
    pub async fn store(
        &self,
        conn: &mut Conn<'_>,
        organization_id: &str,
        answer: &Answer,
    ) -> ApiResult<()> {
        conn.defer(
            diesel::update(
                idempotency_keys::table.find((organization_id.to_string(), self.key.clone())),
            )
            .set((
                idempotency_keys::response_status.eq(i32::from(answer.status.as_u16())),
                idempotency_keys::response_location.eq(answer.location.clone()),
                idempotency_keys::response_body.eq(answer.body.clone()),
            ))
            .prepared(),
        )?;
        Ok(())
    }
}

/// Worker step: forgets keys older than the retention period.
pub async fn prune(db: &crate::store::Db, now: Micros) -> Result<usize, crate::store::StoreError> {
    let mut tx = db.write().await?;
    let result = dispatch!(&mut tx.conn(), c => diesel::delete(
            idempotency_keys::table.filter(idempotency_keys::created_at.lt(now - RETENTION_MICROS)),
        )
        .execute(c)
        .await);
    Ok(tx.finish(result).await?)
}
