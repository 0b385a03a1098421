//! What a write transaction holds back until it commits.
//!
//! Many statements of a write are only ever written, never read back by a later statement of
//! the same transaction: the row of a new payment, its postings, its submission, the stored
//! answer of an idempotency key, the events. On PostgreSQL each would be a round trip of its
//! own: the connection waits for one reply before it sends the next statement. So such writes
//! are queued here, in order, and [`WriteTx::finish`](super::WriteTx::finish) sends them
//! together, pipelined on the connection, and sends `COMMIT` only after every one of them has
//! succeeded. The transaction waits for fewer replies; PostgreSQL still runs every statement
//! (see docs/performance.md for what bounds a payment).
//!
//! Pipelined statements leave in the order their futures are first polled, which
//! [`in_order`] keeps. Were two ever to arrive out of order, the worst outcome is a failed
//! foreign-key check, which fails the transaction: nothing is committed half-written.
//! On SQLite, where a statement costs no round trip, the queue runs one statement after
//! another at the same point, so the two backends see the same statements in the same order.
//!
//! The rule for callers: defer a write only when nothing later in the transaction reads what
//! it writes, and when its failure can only mean that the whole transaction must fail.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{QueryFragment, QueryId};
use diesel::sqlite::Sqlite;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::future::BoxFuture;

use super::outbox::NewEvent;
use super::{Conn, RawConn, SqliteConn};

type PgWrite =
    Box<dyn for<'c> FnOnce(&'c AsyncPgConnection) -> BoxFuture<'c, QueryResult<usize>> + Send>;
type SqliteWrite =
    Box<dyn for<'c> FnOnce(&'c mut SqliteConn) -> BoxFuture<'c, QueryResult<usize>> + Send>;

enum Write {
    Postgres(PgWrite),
    Sqlite(SqliteWrite),
}

/// The events and writes a transaction holds for its commit.
#[derive(Default)]
pub struct Pending {
    /// The outbox: recorded events, inserted last, together.
    pub(super) events: Vec<NewEvent>,
    writes: Vec<Write>,
}

impl Conn<'_> {
    /// Queues `statement` (which owns its binds) to run when the transaction commits, in the
    /// order it was queued; see the module docs for when a write may wait. Refused on a
    /// connection without a transaction.
    pub fn defer<Q>(&mut self, statement: Q) -> QueryResult<()>
    where
        Q: QueryFragment<Pg> + QueryFragment<Sqlite> + QueryId + Send + 'static,
    {
        match self.raw {
            RawConn::Postgres(_) => {
                self.defer_postgres(move |mut c| RunQueryDsl::execute(statement, &mut c))
            }
            RawConn::Sqlite(_) => {
                self.defer_sqlite(move |c| Box::pin(RunQueryDsl::execute(statement, c)))
            }
        }
    }

    /// Queues a write built for PostgreSQL alone (see [`defer_insert!`](crate::defer_insert)).
    pub fn defer_postgres(
        &mut self,
        write: impl for<'c> FnOnce(&'c AsyncPgConnection) -> BoxFuture<'c, QueryResult<usize>>
        + Send
        + 'static,
    ) -> QueryResult<()> {
        self.queue(Write::Postgres(Box::new(write)))
    }

    /// Queues a write built for SQLite alone (see [`defer_insert!`](crate::defer_insert)).
    pub fn defer_sqlite(
        &mut self,
        write: impl for<'c> FnOnce(&'c mut SqliteConn) -> BoxFuture<'c, QueryResult<usize>>
        + Send
        + 'static,
    ) -> QueryResult<()> {
        self.queue(Write::Sqlite(Box::new(write)))
    }

    fn queue(&mut self, write: Write) -> QueryResult<()> {
        self.pending
            .as_deref_mut()
            .ok_or(diesel::result::Error::NotInTransaction)?
            .writes
            .push(write);
        Ok(())
    }

    /// Runs the queued writes, the recorded events last: on PostgreSQL sent together, without
    /// waiting for each reply. The first failure, in queue order, is the result.
    pub(super) async fn run_pending(&mut self) -> QueryResult<()> {
        self.flush_events()?;
        let Some(pending) = self.pending.as_deref_mut() else {
            return Ok(());
        };
        let writes = std::mem::take(&mut pending.writes);
        match &mut self.raw {
            RawConn::Postgres(c) => {
                let shared: &AsyncPgConnection = c;
                let futures = writes
                    .into_iter()
                    .map(|write| match write {
                        Write::Postgres(write) => write(shared),
                        Write::Sqlite(_) => Box::pin(std::future::ready(Err(other_backend()))),
                    })
                    .collect();
                in_order(futures).await
            }
            RawConn::Sqlite(c) => {
                for write in writes {
                    match write {
                        Write::Sqlite(write) => write(c).await?,
                        Write::Postgres(_) => return Err(other_backend()),
                    };
                }
                Ok(())
            }
        }
    }
}

/// Queues inserting `rows` (a `Vec` of `Insertable` rows, owned) into `table` for the commit,
/// with `?` on failure: on PostgreSQL in statements of up to
/// [`INSERT_CHUNK`](crate::store::INSERT_CHUNK) rows, on SQLite one statement per row (which
/// costs no round trip there, and diesel-async has no multi-row insert for SQLite).
#[macro_export]
macro_rules! defer_insert {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let conn: &mut $crate::store::Conn<'_> = $conn;
        let rows = $rows;
        if conn.is_postgres() {
            for chunk in rows.chunks($crate::store::INSERT_CHUNK) {
                let insert = $crate::store::PreparedExt::prepared(
                    ::diesel::insert_into($table).values(chunk.to_vec()),
                );
                conn.defer_postgres(move |mut c| {
                    ::diesel_async::RunQueryDsl::execute(insert, &mut c)
                })?;
            }
        } else {
            for row in rows {
                let insert = ::diesel::insert_into($table).values(row);
                conn.defer_sqlite(move |c| {
                    ::std::boxed::Box::pin(::diesel_async::RunQueryDsl::execute(insert, c))
                })?;
            }
        }
    }};
}

/// A write queued for the other backend than its transaction's: a programmer error, which
/// fails the transaction rather than dropping the write.
fn other_backend() -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError("a write was queued for the other backend".into())
}

/// Drives `futures` together, always polling them in their order, so that the statements they
/// send leave in that order (each is sent when its future is first polled through); waits for
/// all of them, then returns the first error in that order. After a failed statement
/// PostgreSQL fails the rest of the transaction, so the first error is the one that says why.
async fn in_order(mut futures: Vec<BoxFuture<'_, QueryResult<usize>>>) -> QueryResult<()> {
    let mut results: Vec<Option<QueryResult<usize>>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for (future, result) in futures.iter_mut().zip(results.iter_mut()) {
            if result.is_none() {
                match Pin::new(future).poll(cx) {
                    Poll::Ready(done) => *result = Some(done),
                    Poll::Pending => waiting = true,
                }
            }
        }
        if waiting {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    for result in results.into_iter().flatten() {
        result?;
    }
    Ok(())
}
