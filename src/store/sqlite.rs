//! SQLite as a diesel-async connection, run inline on the calling thread.
//!
//! An embedded SQLite query on an indexed key takes microseconds, less than handing it to a
//! blocking-pool thread and back (two context switches on a 2-core machine), so every call
//! runs in place. The one call that can wait long — taking the write lock — never waits on
//! another writer of this process, because writers first queue on the asynchronous writer
//! lock ([`group_commit`](super::group_commit)); SQLite's `busy_timeout` only covers other
//! processes (such as `hyperbank bootstrap`). A call's future is complete by the time it is
//! returned, so dropping it (a client disconnects) can never leave a query running behind
//! the connection's back.
//!
//! This is diesel-async's `SyncConnectionWrapper` without what an inline connection does not
//! need. The wrapper renders each statement's SQL text and copies its binds on every call,
//! so that it can send them to another thread, and looks the prepared statement up by that
//! text, on every call. Here a statement goes straight to diesel's own `SqliteConnection`,
//! which finds it prepared by its type.

use std::future::{Ready, ready};

use diesel::connection::{
    AnsiTransactionManager, CacheSize, Connection, Instrumentation, LoadConnection,
    SimpleConnection, TransactionManager as SyncTransactionManager, TransactionManagerStatus,
};
use diesel::query_builder::{AsQuery, AstPass, Query, QueryFragment, QueryId};
use diesel::row::IntoOwnedRow;
use diesel::sqlite::Sqlite;
use diesel::{ConnectionResult, QueryResult, SqliteConnection};
use diesel_async::{
    AsyncConnection, AsyncConnectionCore, SimpleAsyncConnection, TransactionManager,
};
use futures_util::stream;

/// One SQLite connection, driven through diesel-async's traits.
pub struct SqliteConn(SqliteConnection);

/// A row copied out of SQLite's statement: the statement is reset before the rows are read.
type OwnedRow = <<SqliteConnection as LoadConnection>::Row<'static, 'static> as IntoOwnedRow<
    'static,
    Sqlite,
>>::OwnedRow;

type Rows = stream::Iter<std::vec::IntoIter<QueryResult<OwnedRow>>>;

impl SqliteConn {
    /// The diesel connection itself, for what diesel-async has no word for (`BEGIN
    /// IMMEDIATE`).
    pub(super) fn inner(&mut self) -> &mut SqliteConnection {
        &mut self.0
    }
}

impl SimpleAsyncConnection for SqliteConn {
    fn batch_execute(&mut self, query: &str) -> impl Future<Output = QueryResult<()>> + Send {
        ready(self.0.batch_execute(query))
    }
}

impl AsyncConnectionCore for SqliteConn {
    type ExecuteFuture<'conn, 'query> = Ready<QueryResult<usize>>;
    type LoadFuture<'conn, 'query> = Ready<QueryResult<Rows>>;
    type Stream<'conn, 'query> = Rows;
    type Row<'conn, 'query> = OwnedRow;
    type Backend = Sqlite;

    fn load<'conn, 'query, T>(&'conn mut self, source: T) -> Self::LoadFuture<'conn, 'query>
    where
        T: AsQuery + 'query,
        T::Query: QueryFragment<Sqlite> + QueryId + 'query,
    {
        let load = || -> QueryResult<Vec<QueryResult<OwnedRow>>> {
            let mut cache = Default::default();
            LoadConnection::load(&mut self.0, Untyped(source.as_query()))?
                .map(|row| Ok(Ok(row?.into_owned(&mut cache))))
                .collect()
        };
        ready(load().map(stream::iter))
    }

    fn execute_returning_count<'conn, 'query, T>(
        &'conn mut self,
        source: T,
    ) -> Self::ExecuteFuture<'conn, 'query>
    where
        T: QueryFragment<Sqlite> + QueryId + 'query,
    {
        ready(execute(&mut self.0, source))
    }
}

/// Runs a statement that returns no rows and counts the rows it changed.
///
/// diesel's `execute_returning_count` takes the statement by reference, and a reference
/// answers whether the statement may stay prepared by walking it, not by asking it: an
/// update marked `.prepared()` would be prepared again on every run. Such a statement (no
/// static id, so keyed by its SQL, yet safe to keep) goes through `load`, which takes it by
/// value, and then asks SQLite how many rows it changed.
fn execute<T>(conn: &mut SqliteConnection, source: T) -> QueryResult<usize>
where
    T: QueryFragment<Sqlite> + QueryId,
{
    if T::HAS_STATIC_QUERY_ID || !source.is_safe_to_cache_prepared(&Sqlite)? {
        return conn.execute_returning_count(&source);
    }
    for row in LoadConnection::load(conn, Untyped(source))? {
        row?;
    }
    let changed: i64 = diesel::RunQueryDsl::get_result(diesel::select(changes()), conn)?;
    usize::try_from(changed).map_err(|e| diesel::result::Error::DeserializationError(e.into()))
}

diesel::define_sql_function! {
    /// SQLite's count of the rows the last finished `INSERT`, `UPDATE` or `DELETE` changed.
    fn changes() -> diesel::sql_types::BigInt;
}

/// A query loaded without its result's SQL types, which diesel-async's `load` does not
/// promise to SQLite's metadata lookup: SQLite rows carry each value's type, so none is
/// needed. Its query id is the query's own, so its prepared statement is still found by type.
struct Untyped<Q>(Q);

impl<Q> Query for Untyped<Q> {
    type SqlType = diesel::sql_types::Untyped;
}

impl<Q: QueryFragment<Sqlite>> QueryFragment<Sqlite> for Untyped<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    // The query's own answer, which `.prepared()` overrides: walking its tree would ask
    // `UPDATE`s and defaulted `INSERT`s again, and they say no.
    fn is_safe_to_cache_prepared(&self, backend: &Sqlite) -> QueryResult<bool> {
        self.0.is_safe_to_cache_prepared(backend)
    }
}

impl<Q: QueryId> QueryId for Untyped<Q> {
    type QueryId = Q::QueryId;
    const HAS_STATIC_QUERY_ID: bool = Q::HAS_STATIC_QUERY_ID;
}

impl AsyncConnection for SqliteConn {
    type TransactionManager = InlineTransactionManager;

    fn establish(database_url: &str) -> impl Future<Output = ConnectionResult<Self>> + Send {
        ready(SqliteConnection::establish(database_url).map(SqliteConn))
    }

    fn transaction_state(&mut self) -> &mut AnsiTransactionManager {
        self.0.transaction_state()
    }

    fn instrumentation(&mut self) -> &mut dyn Instrumentation {
        self.0.instrumentation()
    }

    fn set_instrumentation(&mut self, instrumentation: impl Instrumentation) {
        self.0.set_instrumentation(instrumentation);
    }

    fn set_prepared_statement_cache_size(&mut self, size: CacheSize) {
        self.0.set_prepared_statement_cache_size(size);
    }
}

/// diesel's own transaction manager (`BEGIN`, then savepoints when nested), run inline.
pub struct InlineTransactionManager;

impl TransactionManager<SqliteConn> for InlineTransactionManager {
    type TransactionStateData = AnsiTransactionManager;

    fn begin_transaction(conn: &mut SqliteConn) -> impl Future<Output = QueryResult<()>> + Send {
        ready(AnsiTransactionManager::begin_transaction(&mut conn.0))
    }

    fn rollback_transaction(conn: &mut SqliteConn) -> impl Future<Output = QueryResult<()>> + Send {
        ready(AnsiTransactionManager::rollback_transaction(&mut conn.0))
    }

    fn commit_transaction(conn: &mut SqliteConn) -> impl Future<Output = QueryResult<()>> + Send {
        ready(AnsiTransactionManager::commit_transaction(&mut conn.0))
    }

    fn transaction_manager_status_mut(conn: &mut SqliteConn) -> &mut TransactionManagerStatus {
        AnsiTransactionManager::transaction_manager_status_mut(&mut conn.0)
    }
}

/// Pooled with deadpool; a connection left in a broken transaction is not reused.
impl diesel_async::pooled_connection::PoolableConnection for SqliteConn {}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use diesel::connection::InstrumentationEvent;
    use diesel::prelude::*;
    use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};

    use super::SqliteConn;
    use crate::store::PreparedExt;

    diesel::table! {
        counters (id) {
            id -> Text,
            n -> BigInt,
        }
    }

    /// An update marked `.prepared()` is prepared once and then found in the cache, both
    /// with `RETURNING` (loaded through [`super::Untyped`], which must not answer for
    /// itself) and without (run through [`super::execute`], which still counts the rows
    /// changed).
    #[tokio::test]
    async fn prepared_updates_are_prepared_once() {
        let mut conn = SqliteConn::establish(":memory:").await.expect("connection");
        conn.batch_execute("CREATE TABLE counters (id TEXT PRIMARY KEY NOT NULL, n BIGINT NOT NULL); INSERT INTO counters VALUES ('a', 0);")
            .await
            .expect("schema");
        let cached = Arc::new(Mutex::new(Vec::new()));
        let seen = cached.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::CacheQuery { sql, .. } = event
                && let Ok(mut seen) = seen.lock()
            {
                seen.push(sql.to_string());
            }
        });
        for expected in 1..=3_i64 {
            let n: i64 = diesel::update(counters::table.find("a"))
                .set(counters::n.eq(counters::n + 1))
                .returning(counters::n)
                .prepared()
                .get_result(&mut conn)
                .await
                .expect("update");
            assert_eq!(n, expected);
        }
        for changed in [1, 0] {
            let id = if changed == 1 { "a" } else { "missing" };
            let count = diesel::update(counters::table.find(id))
                .set(counters::n.eq(counters::n + 10))
                .prepared()
                .execute(&mut conn)
                .await
                .expect("update");
            assert_eq!(count, changed, "rows changed for {id}");
        }
        let n: i64 = counters::table
            .find("a")
            .select(counters::n)
            .first(&mut conn)
            .await
            .expect("read");
        assert_eq!(n, 13);
        let cached = cached.lock().expect("events").clone();
        let updates: Vec<_> = cached.iter().filter(|s| s.starts_with("UPDATE")).collect();
        assert_eq!(updates.len(), 2, "prepared for the cache: {cached:?}");
    }
}
