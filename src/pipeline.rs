//! The one write pipeline. Every change a request makes runs through [`Write::run`] (or, for
//! the few writes no organization's permission guards, [`unguarded`]), which owns, in order:
//!
//! 1. the transaction: opened here, committed when the rule succeeds, rolled back when it
//!    fails, so nothing is half-written;
//! 2. the caller's access: the resource the request names, the permission it needs and, for
//!    a locked write, the lock its rules need ([`Caller::write`], [`Caller::write_locked`]);
//! 3. the `Idempotency-Key`: claimed before the rule runs, its stored reply replayed to a
//!    retry instead of running the rule again, the new reply stored with the change;
//! 4. the rule, which makes the change and records its events (they commit with it);
//! 5. the reply, built by the rule from the resource's view.
//!
//! A new write endpoint is therefore a request type (parsed at the edge into a domain value),
//! a rule function and a view.

use crate::access::{Caller, Granted, Need, Owned};
use crate::error::{DomainError, DomainResult};
use crate::ids::{Id, OrganizationId};
use crate::store::idempotency::{IdempotencyKey, Reply};
use crate::store::{Conn, Db};

/// A write by a caller that needs a permission on the resource it names ([`Need`]).
pub struct Write<'a> {
    caller: &'a Caller,
    need: Need,
    locked: bool,
    key: Option<&'a IdempotencyKey>,
}

/// How a write's transaction ended.
enum Ended<'k> {
    Done(Reply),
    /// Another request of the organization holds the key: answer with what it stored.
    Taken(&'k IdempotencyKey, OrganizationId),
}

impl<'a> Write<'a> {
    pub fn new(caller: &'a Caller, need: impl Into<Need>) -> Self {
        Write {
            caller,
            need: need.into(),
            locked: false,
            key: None,
        }
    }

    /// Runs the rule behind the resource's lock ([`Caller::write_locked`]).
    pub fn locked(mut self) -> Self {
        self.locked = true;
        self
    }

    /// Makes the write safe to retry with the request's `Idempotency-Key`, if it has one.
    pub fn idempotent(mut self, key: Option<&'a IdempotencyKey>) -> Self {
        self.key = key;
        self
    }

    /// Runs `rule` on the resource `id` in one transaction, as the module docs describe.
    pub async fn run<R: Owned>(
        self,
        db: &Db,
        id: &Id<R::Kind>,
        rule: impl AsyncFnOnce(&mut Conn<'_>, Granted<R>) -> DomainResult<Reply>,
    ) -> DomainResult<Reply> {
        let ended = db
            .transaction(async |conn| -> DomainResult<Ended> {
                let (caller, need) = (self.caller, self.need);
                let granted = if self.locked {
                    caller.write_locked::<R>(conn, id, need).await?
                } else {
                    caller.write::<R>(conn, id, need).await?
                };
                let organization_id = granted.access.organization_id.clone();
                if let Some(key) = self.key
                    && !key.claim(conn, &organization_id).await?
                {
                    return Ok(Ended::Taken(key, organization_id));
                }
                let reply = rule(conn, granted).await?;
                if let Some(key) = self.key {
                    key.store(conn, &organization_id, &reply)?;
                }
                Ok(Ended::Done(reply))
            })
            .await??;
        match ended {
            Ended::Done(reply) => Ok(reply),
            Ended::Taken(key, organization_id) => replay(db, key, &organization_id).await,
        }
    }
}

/// The reply a finished request with the same key stored.
async fn replay(
    db: &Db,
    key: &IdempotencyKey,
    organization_id: &OrganizationId,
) -> DomainResult<Reply> {
    let mut conn = db.read().await?;
    key.replay(&mut conn.conn(), organization_id)
        .await?
        .ok_or_else(|| {
            DomainError::conflict(
                "idempotency-key-in-use",
                "Another request with this key has not finished; retry shortly.",
            )
        })
}

/// A write that no organization's permission guards (signing in, accepting an invitation,
/// creating an organization): `rule` checks what it needs, in one transaction.
pub async fn unguarded<T>(
    db: &Db,
    rule: impl AsyncFnOnce(&mut Conn<'_>) -> DomainResult<T>,
) -> DomainResult<T> {
    db.transaction(rule).await?
}
