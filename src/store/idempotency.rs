//! Safe retries, beyond Griffin: a POST may carry an `Idempotency-Key`. The first request
//! with a key does the work and stores its [`Reply`] in the same database transaction; any
//! later request of the organization with the same key gets that reply back without doing the
//! work again, and the same key with a different request is refused (422
//! `idempotency-key-reused`).
//!
//! Two requests racing with one key cannot both do the work: the first thing the work's
//! transaction does is claim the key (an insert that, on PostgreSQL, waits for the other
//! transaction holding it, and on SQLite runs after it), so the loser finds the key taken and
//! answers with the winner's stored reply once it is committed. A failed attempt rolls its
//! claim back with its work, so it can be retried.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use super::{Conn, Db, PreparedExt, StoreError};
use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::OrganizationId;
use crate::store::schema::idempotency_keys;
use crate::time::{self, Micros};

pub const HEADER: &str = "Idempotency-Key";
/// Keys are kept at least this long.
pub const RETENTION_MICROS: Micros = 24 * 3600 * time::MICROS_PER_SECOND;

/// A request's key and the fingerprint of the request that carried it.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    key: String,
    request_hash: String,
}

impl IdempotencyKey {
    /// `key` as the client sent it; `request_hash` tells one request from another.
    pub fn new(key: String, request_hash: String) -> Self {
        IdempotencyKey { key, request_hash }
    }
}

/// How a write answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyStatus {
    Ok,
    Created,
    NoContent,
}

impl ReplyStatus {
    /// The HTTP status it stands for, as the key's row stores it.
    pub fn code(self) -> u16 {
        match self {
            ReplyStatus::Ok => 200,
            ReplyStatus::Created => 201,
            ReplyStatus::NoContent => 204,
        }
    }

    fn from_code(code: i32) -> Option<Self> {
        match code {
            200 => Some(ReplyStatus::Ok),
            201 => Some(ReplyStatus::Created),
            204 => Some(ReplyStatus::NoContent),
            _ => None,
        }
    }
}

/// The answer to a write: what the edge sends, and what a retry with its key gets back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: ReplyStatus,
    /// `Location`, for a created resource.
    pub location: Option<String>,
    /// The JSON body; empty for no content.
    pub body: String,
}

impl Reply {
    pub fn ok(view: &impl Serialize) -> DomainResult<Self> {
        Ok(Reply {
            status: ReplyStatus::Ok,
            location: None,
            body: to_json(view)?,
        })
    }

    /// 200 with a `Location` header naming the resource, where Griffin documents one.
    pub fn ok_at(location: &str, view: &impl Serialize) -> DomainResult<Self> {
        Ok(Reply {
            location: Some(location.to_string()),
            ..Reply::ok(view)?
        })
    }

    pub fn created(location: &str, view: &impl Serialize) -> DomainResult<Self> {
        Ok(Reply {
            status: ReplyStatus::Created,
            location: Some(location.to_string()),
            body: to_json(view)?,
        })
    }

    pub fn no_content() -> Self {
        Reply {
            status: ReplyStatus::NoContent,
            location: None,
            body: String::new(),
        }
    }
}

fn to_json(view: &impl Serialize) -> DomainResult<String> {
    serde_json::to_string(view)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)).into())
}

impl IdempotencyKey {
    /// Claims the key inside the work's transaction, before the work: `false` when another
    /// request holds it (then do nothing and answer with [`IdempotencyKey::replay`] once this
    /// transaction has ended).
    pub async fn claim(
        &self,
        conn: &mut Conn<'_>,
        organization_id: &OrganizationId,
    ) -> QueryResult<bool> {
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

    /// Stores the reply under the claimed key, in the work's transaction.
    pub fn store(
        &self,
        conn: &mut Conn<'_>,
        organization_id: &OrganizationId,
        reply: &Reply,
    ) -> QueryResult<()> {
        conn.defer(
            diesel::update(
                idempotency_keys::table.find((organization_id.clone(), self.key.clone())),
            )
            .set((
                idempotency_keys::response_status.eq(i32::from(reply.status.code())),
                idempotency_keys::response_location.eq(reply.location.clone()),
                idempotency_keys::response_body.eq(reply.body.clone()),
            ))
            .prepared(),
        )
    }

    /// The stored reply of an earlier request with this key, if it has finished; 422 when
    /// that request was a different one.
    pub async fn replay(
        &self,
        conn: &mut Conn<'_>,
        organization_id: &OrganizationId,
    ) -> DomainResult<Option<Reply>> {
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
            return Err(DomainError::unprocessable(
                "idempotency-key-reused",
                format!(
                    "The {HEADER} `{}` was first used with a different request; use a new \
                     key for a new request.",
                    self.key
                ),
            ));
        }
        let status = ReplyStatus::from_code(status).ok_or_else(|| {
            DomainError::from(diesel::result::Error::DeserializationError(
                format!("stored reply status {status}").into(),
            ))
        })?;
        Ok(Some(Reply {
            status,
            location,
            body,
        }))
    }
}

/// Worker step: forgets keys older than the retention period.
pub async fn prune(db: &Db, now: Micros) -> Result<usize, StoreError> {
    let expired = idempotency_keys::created_at.lt(now - RETENTION_MICROS);
    let pruned = db
        .transaction(async |conn| {
            dispatch!(conn, c => diesel::delete(idempotency_keys::table.filter(expired))
                .execute(c)
                .await)
        })
        .await??;
    Ok(pruned)
}
