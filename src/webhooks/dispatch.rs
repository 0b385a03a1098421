//! The dispatcher: turns committed events into deliveries, outside the transactions that
//! recorded them (a payment writes no more than it did before webhooks).
//!
//! One cursor walks the events table by `(position, id)`, where `position` orders commits:
//! on SQLite an autoincrement key given under its single writer; on PostgreSQL the id of the
//! transaction that wrote the event, read only below the oldest transaction still running —
//! every transaction below it has ended, so no event can later appear behind the cursor.
//! Reading a batch, writing its deliveries and moving the cursor is one transaction, so a
//! crash repeats a batch or none of it, and a batch's deliveries exist exactly once.
//! Several processes take turns: PostgreSQL's `SKIP LOCKED` lets one dispatch at a time.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::config::WebhookSettings;
use crate::dispatch;
use crate::events::EventType;
use crate::ids::{EventId, OrganizationId};
use crate::store::schema::{events, webhook_deliveries, webhook_dispatch, webhooks};
use crate::store::{Conn, Db, RawConn, StoreError};
use crate::time::Micros;

use super::deliveries::DeliveryRow;
use super::{WebhookRow, WebhookState};

/// Events read per pass.
const BATCH: i64 = 1000;

/// Where the cursor stands.
#[derive(Debug, Queryable)]
struct Cursor {
    position: i64,
    event_id: String,
}

#[derive(Debug, Queryable)]
struct Pending {
    position: i64,
    id: EventId,
    organization_id: OrganizationId,
    event_type: EventType,
    created_at: Micros,
}

/// Dispatches up to one batch of events; returns how many events it read (so a caller knows
/// whether more may be waiting). Zero also when another process holds the cursor.
pub async fn dispatch_batch(
    db: &Db,
    settings: &WebhookSettings,
    now: Micros,
) -> Result<usize, StoreError> {
    if !anything_new(db).await? {
        return Ok(0);
    }
    let read = db
        .transaction(async |conn| -> QueryResult<usize> {
            let Some(cursor) = lock_cursor(conn).await? else {
                return Ok(0);
            };
            let horizon = horizon(conn).await?;
            let batch = read_after(conn, &cursor, horizon, BATCH).await?;
            let Some(last) = batch.last() else {
                return Ok(0);
            };
            let last = Cursor {
                position: last.position,
                event_id: last.id.as_str().to_string(),
            };
            let deliveries = deliveries_for(conn, &batch, settings, now).await?;
            crate::defer_insert!(conn, webhook_deliveries::table, deliveries);
            dispatch!(conn, c => diesel::update(webhook_dispatch::table.find(1))
                .set((
                    webhook_dispatch::position.eq(last.position),
                    webhook_dispatch::event_id.eq(&last.event_id),
                ))
                .execute(c)
                .await)?;
            Ok(batch.len())
        })
        .await??;
    Ok(read)
}

/// Whether an event lies beyond the cursor, asked on a read connection: an idle dispatcher
/// never takes the write lock (on SQLite, the one writer that every request's write needs).
/// On PostgreSQL such an event may still wait for older transactions to end.
pub async fn anything_new(db: &Db) -> Result<bool, StoreError> {
    let mut conn = db.read().await?;
    let mut conn = conn.conn();
    let cursor: Cursor = dispatch!(&mut conn, c => webhook_dispatch::table
        .find(1)
        .select((webhook_dispatch::position, webhook_dispatch::event_id))
        .first(c)
        .await)?;
    let next = read_after(&mut conn, &cursor, i64::MAX, 1).await?;
    Ok(!next.is_empty())
}

async fn lock_cursor(conn: &mut Conn<'_>) -> QueryResult<Option<Cursor>> {
    let query = webhook_dispatch::table
        .find(1)
        .select((webhook_dispatch::position, webhook_dispatch::event_id));
    match &mut conn.raw {
        RawConn::Postgres(c) => query
            .for_update()
            .skip_locked()
            .first(&mut **c)
            .await
            .optional(),
        RawConn::Sqlite(c) => query.first(&mut **c).await.optional(),
    }
}

/// Positions below this are final (see the module docs).
async fn horizon(conn: &mut Conn<'_>) -> QueryResult<i64> {
    match &mut conn.raw {
        RawConn::Postgres(c) => {
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
            ))
            .get_result(&mut **c)
            .await
        }
        RawConn::Sqlite(_) => Ok(i64::MAX),
    }
}

async fn read_after(
    conn: &mut Conn<'_>,
    cursor: &Cursor,
    horizon: i64,
    limit: i64,
) -> QueryResult<Vec<Pending>> {
    let (position, id) = (cursor.position, cursor.event_id.clone());
    dispatch!(conn, c => events::table
        .filter(events::position.ge(position))
        .filter(events::position.gt(position).or(events::id.gt(id)))
        .filter(events::position.lt(horizon))
        .order((events::position, events::id))
        .limit(limit)
        .select((
            events::position,
            events::id,
            events::organization_id,
            events::event_type,
            events::created_at,
        ))
        .load(c)
        .await)
}

/// A delivery for each event of an organization whose webhook is active and was made before
/// the event; a test event gets one attempt, others the retry schedule's.
async fn deliveries_for(
    conn: &mut Conn<'_>,
    batch: &[Pending],
    settings: &WebhookSettings,
    now: Micros,
) -> QueryResult<Vec<DeliveryRow>> {
    let organizations = crate::ids::distinct(batch.iter().map(|e| e.organization_id.clone()));
    let hooks: Vec<WebhookRow> = dispatch!(conn, c => webhooks::table
        .filter(webhooks::organization_id.eq_any(&organizations))
        .filter(webhooks::webhook_state.eq(WebhookState::Active))
        .select(WebhookRow::as_select())
        .load(c)
        .await)?;
    let by_organization: HashMap<&OrganizationId, &WebhookRow> = hooks
        .iter()
        .map(|hook| (&hook.organization_id, hook))
        .collect();
    Ok(batch
        .iter()
        .filter_map(|event| {
            let hook = by_organization.get(&event.organization_id)?;
            (event.created_at >= hook.created_at).then(|| {
                let attempts = match event.event_type {
                    EventType::TestEvent => 1,
                    _ => settings.max_attempts(),
                };
                DeliveryRow::new(hook, &event.id, attempts, now)
            })
        })
        .collect())
}
