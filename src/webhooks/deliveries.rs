//! Deliveries: one per event and webhook, made by [`dispatch`](super::dispatch), with the
//! attempts a sender made. A sender claims due deliveries under a lease (so several server
//! processes deliver each once, and a process that dies leaves its claims to the others when
//! the lease runs out), then records each attempt's outcome: delivered, due again after the
//! next wait of the retry schedule, or — its attempts spent — failed, and kept.

use std::collections::HashMap;
use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::config::WebhookSettings;
use crate::dispatch;
use crate::error::DomainResult;
use crate::events::EventRow;
use crate::ids::{EventId, OrganizationId, WebhookDeliveryId, WebhookId};
use crate::organizations::OrganizationMode;
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::store::schema::{
    events, organizations, webhook_deliveries, webhook_delivery_attempts, webhooks,
};
use crate::store::{Conn, Db, StoreError};
use crate::time::{self, Micros};

use super::{WebhookRow, WebhookState};

crate::text_enum! {
    /// `pending` until an attempt succeeds (`delivered`) or the last one fails (`failed`).
    pub enum DeliveryStatus {
        Pending = "pending",
        Delivered = "delivered",
        Failed = "failed",
    }
}

crate::text_enum! {
    /// Why an attempt failed, in Griffin's words (`webhook-error-code`).
    pub enum DeliveryError {
        Timeout = "webhook-timeout",
        UnknownHost = "webhook-unknown-host",
        UnknownError = "webhook-unknown-error",
        InternalError = "webhook-internal-error",
        InvalidResponse = "webhook-invalid-response",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries, treat_none_as_default_value = false)]
pub struct DeliveryRow {
    pub id: WebhookDeliveryId,
    pub webhook_id: WebhookId,
    pub event_id: EventId,
    pub organization_id: OrganizationId,
    pub delivery_status: DeliveryStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub next_attempt_at: Option<Micros>,
    pub lease_until: Option<Micros>,
    pub last_http_status: Option<i32>,
    pub last_error_code: Option<DeliveryError>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

impl DeliveryRow {
    /// A new delivery of `event` to `webhook`, due now.
    pub fn new(webhook: &WebhookRow, event_id: &EventId, max_attempts: i32, now: Micros) -> Self {
        DeliveryRow {
            id: WebhookDeliveryId::generate(),
            webhook_id: webhook.id.clone(),
            event_id: event_id.clone(),
            organization_id: webhook.organization_id.clone(),
            delivery_status: DeliveryStatus::Pending,
            attempts: 0,
            max_attempts,
            next_attempt_at: Some(now),
            lease_until: None,
            last_http_status: None,
            last_error_code: None,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.created_at, self.id.as_str())
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_delivery_attempts, treat_none_as_default_value = false)]
pub struct AttemptRow {
    pub delivery_id: WebhookDeliveryId,
    pub attempt: i32,
    pub started_at: Micros,
    pub duration_micros: i64,
    pub http_status: Option<i32>,
    pub error_code: Option<DeliveryError>,
}

impl crate::access::Owned for DeliveryRow {
    type Kind = crate::ids::WebhookDeliveryKind;

    async fn find(conn: &mut Conn<'_>, id: &WebhookDeliveryId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

pub async fn find(conn: &mut Conn<'_>, id: &WebhookDeliveryId) -> QueryResult<Option<DeliveryRow>> {
    dispatch!(conn, c => webhook_deliveries::table
        .find(id)
        .select(DeliveryRow::as_select())
        .first(c)
        .await
        .optional())
}

/// The delivery of `event_id` to `webhook_id`, if the dispatcher made one.
pub async fn of_event(
    conn: &mut Conn<'_>,
    webhook_id: &WebhookId,
    event_id: &EventId,
) -> QueryResult<Option<DeliveryRow>> {
    dispatch!(conn, c => webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .filter(webhook_deliveries::event_id.eq(event_id))
        .select(DeliveryRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Whose deliveries a list shows.
pub enum ListOf<'a> {
    Webhook(&'a WebhookId, Option<DeliveryStatus>),
    Event(&'a EventId),
}

pub async fn list(
    conn: &mut Conn<'_>,
    of: ListOf<'_>,
    page: &PageRequest,
) -> QueryResult<Page<DeliveryRow>> {
    let rows = dispatch!(conn, c => {
        let mut query = webhook_deliveries::table
            .select(DeliveryRow::as_select())
            .into_boxed();
        query = match &of {
            ListOf::Webhook(id, status) => {
                let query = query.filter(webhook_deliveries::webhook_id.eq(*id));
                match status {
                    Some(status) => query.filter(webhook_deliveries::delivery_status.eq(*status)),
                    None => query,
                }
            }
            ListOf::Event(id) => query.filter(webhook_deliveries::event_id.eq(*id)),
        };
        paginate!(query, webhook_deliveries::created_at, webhook_deliveries::id, page)
            .load(c)
            .await
    })?;
    Ok(Page::from_rows(rows, page, DeliveryRow::cursor))
}

/// The attempts of these deliveries, oldest first.
pub async fn attempts_of(
    conn: &mut Conn<'_>,
    ids: &[WebhookDeliveryId],
) -> QueryResult<Vec<AttemptRow>> {
    dispatch!(conn, c => webhook_delivery_attempts::table
        .filter(webhook_delivery_attempts::delivery_id.eq_any(ids))
        .order((webhook_delivery_attempts::delivery_id, webhook_delivery_attempts::attempt))
        .select(AttemptRow::as_select())
        .load(c)
        .await)
}

/// Makes the delivery due now with a fresh set of attempts (the retry schedule's again),
/// whatever its state: a delivered event is sent once more, a failed one retried.
pub async fn redeliver(
    conn: &mut Conn<'_>,
    delivery: DeliveryRow,
    settings: &WebhookSettings,
) -> DomainResult<DeliveryRow> {
    let now = time::now();
    let max_attempts = delivery.attempts + settings.max_attempts();
    dispatch!(conn, c => diesel::update(webhook_deliveries::table.find(&delivery.id))
        .set((
            webhook_deliveries::delivery_status.eq(DeliveryStatus::Pending),
            webhook_deliveries::max_attempts.eq(max_attempts),
            webhook_deliveries::next_attempt_at.eq(Some(now)),
            webhook_deliveries::lease_until.eq(None::<Micros>),
            webhook_deliveries::updated_at.eq(now),
        ))
        .execute(c)
        .await)?;
    Ok(DeliveryRow {
        delivery_status: DeliveryStatus::Pending,
        max_attempts,
        next_attempt_at: Some(now),
        lease_until: None,
        updated_at: now,
        ..delivery
    })
}

pub async fn delete_of_webhook(conn: &mut Conn<'_>, webhook_id: &WebhookId) -> QueryResult<()> {
    let ids = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .select(webhook_deliveries::id);
    dispatch!(conn, c => diesel::delete(webhook_delivery_attempts::table
        .filter(webhook_delivery_attempts::delivery_id.eq_any(ids)))
        .execute(c)
        .await)?;
    dispatch!(conn, c => diesel::delete(webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id)))
        .execute(c)
        .await)?;
    Ok(())
}

/// A delivery a sender claimed: what to send, where, and which attempt this is.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery_id: WebhookDeliveryId,
    pub attempt: i32,
    pub max_attempts: i32,
    pub webhook_id: WebhookId,
    pub destination_url: String,
    pub mode: OrganizationMode,
    pub event: EventRow,
}

/// What a sender asks for: up to `limit` deliveries due at `now`, of active webhooks not in
/// `busy`, each for `lease`.
pub struct ClaimRequest<'a> {
    pub now: Micros,
    pub lease: Duration,
    pub limit: usize,
    pub busy: &'a [WebhookId],
}

/// What a turn claimed, and whether due deliveries remain beyond them.
pub struct Turn {
    pub claimed: Vec<Claimed>,
    pub more_due: bool,
}

/// One turn of a sender, in one transaction: records the outcomes of finished attempts, then
/// claims what the sender has room for. With nothing to record and nothing due (asked on a
/// read connection) it writes nothing: an idle sender never takes the write lock.
pub async fn turn(
    db: &Db,
    finished: &[(Claimed, Outcome)],
    settings: &WebhookSettings,
    request: ClaimRequest<'_>,
) -> Result<Turn, StoreError> {
    if finished.is_empty() && !any_due(db, request.now).await? {
        return Ok(Turn {
            claimed: Vec::new(),
            more_due: false,
        });
    }
    let turn = db
        .transaction(async |conn| -> QueryResult<Turn> {
            record(conn, finished, settings, request.now).await?;
            let claimed = claim(conn, &request).await?;
            let more_due = is_any_due(conn, request.now).await?;
            Ok(Turn { claimed, more_due })
        })
        .await??;
    Ok(turn)
}

/// Claims the deliveries `request` asks for: the attempt counter moves on now, so an attempt
/// a dying process never reports still counts. PostgreSQL skips rows another process is
/// claiming.
async fn claim(conn: &mut Conn<'_>, request: &ClaimRequest<'_>) -> QueryResult<Vec<Claimed>> {
    if request.limit == 0 {
        return Ok(Vec::new());
    }
    let ids = due(
        conn,
        request.now,
        request.limit,
        request.busy,
        Lock::SkipLocked,
    )
    .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let until = request.now + time::micros(request.lease);
    dispatch!(conn, c => diesel::update(webhook_deliveries::table
        .filter(webhook_deliveries::id.eq_any(&ids)))
        .set((
            webhook_deliveries::lease_until.eq(Some(until)),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::updated_at.eq(request.now),
        ))
        .execute(c)
        .await)?;
    load_claimed(conn, &ids).await
}

async fn any_due(db: &Db, now: Micros) -> Result<bool, StoreError> {
    let mut conn = db.read().await?;
    Ok(is_any_due(&mut conn.conn(), now).await?)
}

/// Whether a delivery is due, without claiming or locking it.
async fn is_any_due(conn: &mut Conn<'_>, now: Micros) -> QueryResult<bool> {
    let ids = due(conn, now, 1, &[], Lock::None).await?;
    Ok(!ids.is_empty())
}

/// Whether `due` locks what it finds (for a claim), skipping what others locked.
#[derive(PartialEq)]
enum Lock {
    None,
    SkipLocked,
}

async fn due(
    conn: &mut Conn<'_>,
    now: Micros,
    limit: usize,
    busy: &[WebhookId],
    lock: Lock,
) -> QueryResult<Vec<WebhookDeliveryId>> {
    let active = webhooks::table
        .filter(webhooks::webhook_state.eq(WebhookState::Active))
        .select(webhooks::id);
    let query = webhook_deliveries::table
        .filter(webhook_deliveries::delivery_status.eq(DeliveryStatus::Pending))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .filter(
            webhook_deliveries::lease_until
                .is_null()
                .or(webhook_deliveries::lease_until.le(now)),
        )
        .filter(webhook_deliveries::webhook_id.eq_any(active))
        .filter(webhook_deliveries::webhook_id.ne_all(busy))
        .order((webhook_deliveries::next_attempt_at, webhook_deliveries::id))
        .limit(limit as i64)
        .select(webhook_deliveries::id);
    match &mut conn.raw {
        crate::store::RawConn::Postgres(c) if lock == Lock::SkipLocked => {
            query.for_update().skip_locked().load(&mut **c).await
        }
        crate::store::RawConn::Postgres(c) => query.load(&mut **c).await,
        crate::store::RawConn::Sqlite(c) => query.load(&mut **c).await,
    }
}

async fn load_claimed(conn: &mut Conn<'_>, ids: &[WebhookDeliveryId]) -> QueryResult<Vec<Claimed>> {
    let rows: Vec<(DeliveryRow, EventRow, String, OrganizationMode)> = dispatch!(conn, c =>
        webhook_deliveries::table
            .inner_join(events::table)
            .inner_join(webhooks::table.inner_join(organizations::table))
            .filter(webhook_deliveries::id.eq_any(ids))
            .select((
                DeliveryRow::as_select(),
                EventRow::as_select(),
                webhooks::destination_url,
                organizations::organization_mode,
            ))
            .load(c)
            .await)?;
    Ok(rows
        .into_iter()
        .map(|(delivery, event, destination_url, mode)| Claimed {
            delivery_id: delivery.id,
            attempt: delivery.attempts,
            max_attempts: delivery.max_attempts,
            webhook_id: delivery.webhook_id,
            destination_url,
            mode,
            event,
        })
        .collect())
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub started_at: Micros,
    pub duration_micros: i64,
    /// The receiver's status, when it answered.
    pub http_status: Option<u16>,
    /// `None` when the receiver answered 2xx.
    pub error: Option<DeliveryError>,
}

/// Records the outcomes of claimed attempts on `conn`, inside the caller's transaction: each
/// attempt's row, and its delivery delivered, due again after the schedule's next wait, or
/// failed. Deliveries that end alike are settled by one statement. A delivery whose claim was
/// taken over (another process claimed it after the lease ran out) keeps the newer claim's
/// state; its attempt is recorded all the same.
async fn record(
    conn: &mut Conn<'_>,
    outcomes: &[(Claimed, Outcome)],
    settings: &WebhookSettings,
    now: Micros,
) -> QueryResult<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let attempts: Vec<AttemptRow> = outcomes.iter().map(attempt_row).collect();
    crate::defer_insert!(conn, webhook_delivery_attempts::table, attempts);
    let mut alike: HashMap<Settlement, Vec<WebhookDeliveryId>> = HashMap::new();
    for (claimed, outcome) in outcomes {
        let settlement = Settlement::of(claimed, outcome, settings, now);
        alike
            .entry(settlement)
            .or_default()
            .push(claimed.delivery_id.clone());
    }
    for (settlement, ids) in alike {
        settle(conn, &settlement, &ids, now).await?;
    }
    Ok(())
}

fn attempt_row((claimed, outcome): &(Claimed, Outcome)) -> AttemptRow {
    AttemptRow {
        delivery_id: claimed.delivery_id.clone(),
        attempt: claimed.attempt,
        started_at: outcome.started_at,
        duration_micros: outcome.duration_micros,
        http_status: outcome.http_status.map(i32::from),
        error_code: outcome.error,
    }
}

/// Where an attempt leaves its delivery.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Settlement {
    /// The attempt whose claim is settled; a later claim is left alone.
    attempt: i32,
    status: DeliveryStatus,
    next_attempt_at: Option<Micros>,
    http_status: Option<i32>,
    error: Option<DeliveryError>,
}

impl Settlement {
    fn of(claimed: &Claimed, outcome: &Outcome, settings: &WebhookSettings, now: Micros) -> Self {
        let (status, next_attempt_at) = match outcome.error {
            None => (DeliveryStatus::Delivered, None),
            Some(_) if claimed.attempt >= claimed.max_attempts => (DeliveryStatus::Failed, None),
            Some(_) => {
                let wait = settings.retry_wait(claimed.attempt);
                (DeliveryStatus::Pending, Some(now + time::micros(wait)))
            }
        };
        Settlement {
            attempt: claimed.attempt,
            status,
            next_attempt_at,
            http_status: outcome.http_status.map(i32::from),
            error: outcome.error,
        }
    }
}

async fn settle(
    conn: &mut Conn<'_>,
    settlement: &Settlement,
    ids: &[WebhookDeliveryId],
    now: Micros,
) -> QueryResult<()> {
    dispatch!(conn, c => diesel::update(webhook_deliveries::table
        .filter(webhook_deliveries::id.eq_any(ids))
        .filter(webhook_deliveries::attempts.eq(settlement.attempt)))
        .set((
            webhook_deliveries::delivery_status.eq(settlement.status),
            webhook_deliveries::next_attempt_at.eq(settlement.next_attempt_at),
            webhook_deliveries::lease_until.eq(None::<Micros>),
            webhook_deliveries::last_http_status.eq(settlement.http_status),
            webhook_deliveries::last_error_code.eq(settlement.error),
            webhook_deliveries::updated_at.eq(now),
        ))
        .execute(c)
        .await)?;
    Ok(())
}
