//! The store: one schema on two backends, chosen at run time by the database URL.
//!
//! Query code is written once. It takes a [`Conn`] and runs its diesel query inside
//! [`dispatch!`](crate::dispatch), which expands the same body for PostgreSQL
//! (`AsyncPgConnection`) and SQLite ([`SqliteConn`], run inline).
//!
//! Writes go through [`Db::write`] and are finished with [`WriteTx::finish`]. On PostgreSQL
//! that is a transaction on a pooled connection; one dropped unfinished (a cancelled request,
//! a panic) closes its connection, so the database rolls back at once. On SQLite, which has
//! one writer at a time, writers queue for the one writer connection and share commits
//! ([`group_commit`]).

mod checkpoint;
mod group_commit;
pub mod idempotency;
pub mod migrations;
pub mod outbox;
mod pending;
mod prepared;
pub mod schema;
mod sqlite;
mod text_enum;

pub use pending::Pending;
pub use prepared::{Prepared, PreparedExt};
pub use sqlite::SqliteConn;
pub use text_enum::TextEnum;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection, TransactionManager};
use futures_util::FutureExt;

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Postgres(String),
    /// A file path for SQLite.
    Sqlite(String),
}

impl Backend {
    /// `postgres://…` / `postgresql://…`, or `sqlite://path` (`sqlite:///absolute/path`).
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres(url.to_string()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StoreError::Url(url.to_string()));
            }
            Ok(Backend::Sqlite(path.to_string()))
        } else {
            Err(StoreError::Url(url.to_string()))
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Postgres(_) => "postgres",
            Backend::Sqlite(_) => "sqlite",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    Url(String),
    #[error("database pool: {0}")]
    Pool(String),
    #[error("database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database connection: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("migrations: {0}")]
    Migration(String),
    /// Stored data that cannot be what was written (an unreadable signing key).
    #[error("stored data: {0}")]
    Integrity(String),
}

#[derive(Clone)]
enum Pools {
    Postgres {
        pool: Pool<AsyncPgConnection>,
        /// What [`Db::for_worker`] builds a worker's own pool from.
        url: Arc<str>,
        options: PoolOptions,
    },
    /// Readers share a pool; writes go through one connection of their own. SQLite has one
    /// writer at a time anyway, and a connection's page cache survives only its own writes:
    /// a dedicated writer keeps its cache warm instead of re-reading every page it touches
    /// after each commit by another connection. Writers of this process queue for it fairly
    /// and without blocking a thread, instead of in SQLite's busy handler.
    Sqlite {
        read: Pool<SqliteConn>,
        writer: Arc<group_commit::Writer>,
    },
}

/// The connection pool of one backend; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pools: Pools,
    writes: WriteCount,
}

/// Write transactions begun through a [`Db`] and the handles made from it, so that a
/// background job can tell whether anyone else is writing (see [`Db::writes_begun`]).
#[derive(Clone, Default)]
struct WriteCount {
    begun: Arc<AtomicU64>,
    /// Set on an [`uncounted`](Db::uncounted) handle: its writes are not counted.
    uncounted: bool,
}

/// A borrowed connection of either backend. Query functions take `&mut Conn<'_>` so that they
/// run the same whether the caller holds a plain pooled connection or a write transaction.
pub struct Conn<'a> {
    pub raw: RawConn<'a>,
    /// In a write transaction, the events and writes that wait for its commit ([`Pending`]);
    /// `None` for reads.
    pub pending: Option<&'a mut Pending>,
}

impl Conn<'_> {
    pub fn is_postgres(&self) -> bool {
        matches!(self.raw, RawConn::Postgres(_))
    }
}

pub enum RawConn<'a> {
    Postgres(&'a mut AsyncPgConnection),
    Sqlite(&'a mut SqliteConn),
}

/// Runs one query body on whichever backend `conn` (a `&mut Conn`) is. Inside the body `$c`
/// is the concrete connection, so ordinary diesel-async code works unchanged:
///
/// ```ignore
/// dispatch!(conn, c => organizations::table.find(id).first(c).await)
/// ```
#[macro_export]
macro_rules! dispatch {
    ($conn:expr, $c:ident => $body:expr) => {
        match &mut ($conn).raw {
            $crate::store::RawConn::Postgres(inner) => {
                let $c: &mut ::diesel_async::AsyncPgConnection = &mut **inner;
                $body
            }
            $crate::store::RawConn::Sqlite(inner) => {
                let $c: &mut $crate::store::SqliteConn = &mut **inner;
                $body
            }
        }
    };
}

/// Most rows one multi-row insert ([`defer_insert!`](crate::defer_insert)) carries: bounds the
/// variants of the statement kept prepared.
pub const INSERT_CHUNK: usize = 16;

// Lives on the stack of one request and is moved at most once or twice; boxing the larger
// variant would only add an allocation per request.
#[allow(clippy::large_enum_variant)]
enum Pooled {
    Postgres(Object<AsyncPgConnection>),
    Sqlite(Object<SqliteConn>),
}

/// A connection checked out of the pool for reads (autocommit).
pub struct ReadConn(Pooled);

impl ReadConn {
    pub fn conn(&mut self) -> Conn<'_> {
        self.0.conn()
    }
}

impl Pooled {
    fn conn(&mut self) -> Conn<'_> {
        let raw = match self {
            Pooled::Postgres(c) => RawConn::Postgres(c),
            Pooled::Sqlite(c) => RawConn::Sqlite(c),
        };
        Conn { raw, pending: None }
    }
}

/// An open write transaction. Finish it with [`WriteTx::finish`].
pub struct WriteTx {
    tx: Tx,
    pending: Pending,
}

// Lives on the stack of one request, like `Pooled`: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Tx {
    Postgres {
        /// `Some` for the whole life of the value; taken only by `Drop`.
        conn: Option<Object<AsyncPgConnection>>,
        /// Whether the transaction is still open (not committed or rolled back).
        open: bool,
    },
    Sqlite(group_commit::Member),
}

impl WriteTx {
    pub fn conn(&mut self) -> Conn<'_> {
        let raw = match &mut self.tx {
            Tx::Postgres { conn: Some(c), .. } => RawConn::Postgres(c),
            Tx::Postgres { conn: None, .. } => {
                unreachable!("a WriteTx keeps its connection until it is dropped")
            }
            Tx::Sqlite(member) => RawConn::Sqlite(member.conn()),
        };
        Conn {
            raw,
            pending: Some(&mut self.pending),
        }
    }

    /// Commits when `result` is `Ok`, rolls back when it is `Err`, and hands `result` back.
    /// A failed commit turns into an error, so nothing is reported as done that is not.
    pub async fn finish<T, E>(mut self, result: Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        type Manager = <AsyncPgConnection as AsyncConnection>::TransactionManager;
        // What waited for the commit goes in first, in the same transaction.
        let result = match result {
            Ok(value) => self
                .conn()
                .run_pending()
                .await
                .map(|()| value)
                .map_err(E::from),
            Err(error) => Err(error),
        };
        match (&mut self.tx, result) {
            (Tx::Sqlite(member), Ok(value)) => {
                member.commit().await?;
                Ok(value)
            }
            // The caller's error is what matters, even if the rollback fails too.
            (Tx::Sqlite(member), Err(error)) => {
                let _ = member.rollback().await;
                Err(error)
            }
            (Tx::Postgres { conn: None, .. }, result) => result,
            (
                Tx::Postgres {
                    conn: Some(c),
                    open,
                },
                Ok(value),
            ) => {
                Manager::commit_transaction(&mut **c).await?;
                *open = false;
                Ok(value)
            }
            // If even the rollback fails, the connection is closed on drop.
            (
                Tx::Postgres {
                    conn: Some(c),
                    open,
                },
                Err(error),
            ) => {
                if Manager::rollback_transaction(&mut **c).await.is_ok() {
                    *open = false;
                }
                Err(error)
            }
        }
    }
}

impl Drop for WriteTx {
    /// A PostgreSQL transaction dropped while open (its request was cancelled, or a commit or
    /// rollback failed) takes its connection out of the pool and closes it: the database
    /// rolls back and releases its locks now, not when someone next checks the connection
    /// out. (A SQLite transaction rolls back to its savepoint: see `group_commit`.)
    fn drop(&mut self) {
        if let Tx::Postgres {
            conn: conn @ Some(_),
            open: true,
        } = &mut self.tx
            && let Some(object) = conn.take()
        {
            drop(Object::take(object));
        }
    }
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: usize,
    /// How long a request waits for a free connection before it fails.
    pub wait_timeout: Duration,
    /// How long a SQLite writer waits for the write lock.
    pub busy_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 16,
            wait_timeout: Duration::from_secs(10),
            busy_timeout: Duration::from_secs(10),
        }
    }
}

impl Db {
    /// Builds the pool. Connections are opened lazily, on first use.
    pub fn connect(backend: &Backend, options: &PoolOptions) -> Result<Db, StoreError> {
        let pools = match backend {
            Backend::Postgres(url) => {
                let mut config = ManagerConfig::<AsyncPgConnection>::default();
                // Every checkout would otherwise pay a `SELECT 1` round trip; a dead
                // connection shows up as an error on first use instead.
                config.recycling_method = RecyclingMethod::Fast;
                let manager =
                    AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
                Pools::Postgres {
                    pool: build_pool!(manager, options),
                    url: Arc::from(url.as_str()),
                    options: options.clone(),
                }
            }
            Backend::Sqlite(path) => {
                let busy_ms = options.busy_timeout.as_millis();
                let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(
                    path,
                    sqlite_config(busy_ms),
                );
                Pools::Sqlite {
                    read: build_pool!(manager, options),
                    writer: Arc::new(group_commit::Writer::new(path, busy_ms)),
                }
            }
        };
        Ok(Db {
            pools,
            writes: WriteCount::default(),
        })
    }

    /// The handle one of `workers` HTTP worker threads serves with. On PostgreSQL that is a
    /// pool of its own, with its share of the connections: a connection is driven by a task
    /// on the thread that opened it, so a connection shared between threads costs two
    /// cross-thread wake-ups per statement. SQLite's pools are shared: its calls
    /// run inline on the caller's thread, and its one writer must be shared anyway.
    pub fn for_worker(&self, workers: usize) -> Result<Db, StoreError> {
        match &self.pools {
            Pools::Postgres { url, options, .. } => {
                let share = PoolOptions {
                    max_size: options.max_size.div_ceil(workers.max(1)),
                    ..options.clone()
                };
                let worker = Db::connect(&Backend::Postgres(url.to_string()), &share)?;
                Ok(Db {
                    writes: self.writes.clone(),
                    ..worker
                })
            }
            Pools::Sqlite { .. } => Ok(self.clone()),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self.pools {
            Pools::Postgres { .. } => "postgres",
            Pools::Sqlite { .. } => "sqlite",
        }
    }

    /// A connection for reads.
    pub async fn read(&self) -> Result<ReadConn, StoreError> {
        Ok(ReadConn(match &self.pools {
            Pools::Postgres { pool, .. } => Pooled::Postgres(pool.get().await.map_err(pool_error)?),
            Pools::Sqlite { read, .. } => Pooled::Sqlite(read.get().await.map_err(pool_error)?),
        }))
    }

    /// How many write transactions this process has begun, leaving out those of
    /// [`uncounted`](Db::uncounted) handles. Two readings that differ mean someone wrote in
    /// between.
    pub fn writes_begun(&self) -> u64 {
        self.writes.begun.load(Ordering::Relaxed)
    }

    /// This handle, with its own writes left out of [`writes_begun`](Db::writes_begun): for a
    /// background job that yields to the others' writes and must not count its own.
    pub fn uncounted(&self) -> Db {
        Db {
            writes: WriteCount {
                uncounted: true,
                ..self.writes.clone()
            },
            ..self.clone()
        }
    }

    /// A connection with an open write transaction.
    pub async fn write(&self) -> Result<WriteTx, StoreError> {
        if !self.writes.uncounted {
            self.writes.begun.fetch_add(1, Ordering::Relaxed);
        }
        let tx = match &self.pools {
            Pools::Postgres { pool, .. } => {
                let mut conn = pool.get().await.map_err(pool_error)?;
                <AsyncPgConnection as AsyncConnection>::TransactionManager::begin_transaction(
                    &mut *conn,
                )
                .await?;
                Tx::Postgres {
                    conn: Some(conn),
                    open: true,
                }
            }
            Pools::Sqlite { writer, .. } => Tx::Sqlite(writer.begin().await?),
        };
        Ok(WriteTx {
            tx,
            pending: Pending::default(),
        })
    }

    /// Runs `work` in one write transaction: committed when it succeeds, rolled back when it
    /// fails (or when the future is dropped), so nothing is half-written. The outer error is a
    /// transaction that could not begin; the inner one is the work's, or a failed commit.
    /// Requests reach it through the write pipeline (`crate::pipeline`), background jobs
    /// directly.
    pub async fn transaction<T, E>(
        &self,
        work: impl AsyncFnOnce(&mut Conn<'_>) -> Result<T, E>,
    ) -> Result<Result<T, E>, StoreError>
    where
        E: From<diesel::result::Error>,
    {
        let mut tx = self.write().await?;
        let result = work(&mut tx.conn()).await;
        Ok(tx.finish(result).await)
    }
}

fn pool_error(error: diesel_async::pooled_connection::deadpool::PoolError) -> StoreError {
    StoreError::Pool(error.to_string())
}

fn sqlite_config(busy_ms: u128) -> ManagerConfig<SqliteConn> {
    let mut config = ManagerConfig::<SqliteConn>::default();
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |path| {
        let path = path.to_string();
        async move { open_sqlite(&path, busy_ms).await }.boxed()
    });
    config
}

/// Builds a deadpool pool of either connection type (a macro: the two managers share no
/// trait that names everything `Pool::builder` needs).
macro_rules! build_pool {
    ($manager:expr, $options:expr) => {
        Pool::builder($manager)
            .max_size($options.max_size)
            .wait_timeout(Some($options.wait_timeout))
            .create_timeout(Some($options.wait_timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Pool(e.to_string()))?
    };
}
use build_pool;

/// Opens one SQLite connection with the settings every connection needs: WAL for concurrent
/// readers, foreign keys on, and a busy timeout so that writers wait instead of failing.
/// Pages are read through a memory map: each connection's own page cache is dropped whenever
/// another connection writes, and re-reading it with `read()` calls cost more than the
/// queries themselves under a payment load. The writer checkpoints the write-ahead log every
/// 10,000 pages (about 40 MB) rather than 1,000: each of its checkpoints stalls every queued
/// writer, and most of the copying is done beforehand by a thread of its own
/// ([`checkpoint`]), so that the stall is the last few pages and fsyncs. Temporary files stay in
/// memory: a group commit's savepoints (see `group_commit`) keep the pages each transaction
/// changes in a sub-journal, which would otherwise spill to a temporary file past 64 KiB.
async fn open_sqlite(path: &str, busy_ms: u128) -> diesel::ConnectionResult<SqliteConn> {
    let mut conn = SqliteConn::establish(path).await?;
    let pragmas = format!(
        "PRAGMA busy_timeout = {busy_ms}; PRAGMA journal_mode = WAL; \
         PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
         PRAGMA mmap_size = 1073741824; PRAGMA wal_autocheckpoint = 10000; \
         PRAGMA temp_store = MEMORY;"
    );
    conn.batch_execute(&pragmas)
        .await
        .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    tracing::debug!(path, "opened a SQLite connection");
    Ok(conn)
}

/// A `LIKE … ESCAPE '\'` pattern matching text that contains `text` in any (ASCII) case:
/// lowercased, with the pattern's own wildcards escaped. Compare it with `LOWER(column)`.
pub fn like_contains(text: &str) -> String {
    format!("%{}%", like_escaped(text))
}

/// [`like_contains`] for text that starts with `text`.
pub fn like_prefix(text: &str) -> String {
    format!("{}%", like_escaped(text))
}

/// `text` lowercased, with `LIKE`'s wildcards and the escape character escaped.
fn like_escaped(text: &str) -> String {
    text.to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// True when a database error is a unique-constraint violation (the same on both backends).
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

#[cfg(test)]
impl Db {
    /// The most connections this handle's read pool opens.
    fn max_connections(&self) -> usize {
        match &self.pools {
            Pools::Postgres { pool, .. } => pool.status().max_size,
            Pools::Sqlite { read, .. } => read.status().max_size,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Backend, Db, PoolOptions};

    #[test]
    fn each_postgres_worker_gets_its_share_of_the_connections() {
        // Pools open connections lazily, so no server is needed.
        let backend = Backend::Postgres("postgres://nobody@127.0.0.1:1/none".into());
        let options = PoolOptions {
            max_size: 16,
            ..PoolOptions::default()
        };
        let db = Db::connect(&backend, &options).expect("pool");
        let share = |workers| db.for_worker(workers).expect("pool").max_connections();
        assert_eq!(share(2), 8);
        assert_eq!(share(3), 6, "rounded up");
        assert_eq!(share(32), 1);
        assert_eq!(share(0), 16, "no workers counts as one");
    }

    #[tokio::test]
    async fn writes_count_on_every_handle_but_uncounted_ones() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("db.sqlite3").to_string_lossy().into_owned();
        let db = Db::connect(&Backend::Sqlite(path), &PoolOptions::default()).expect("pool");
        let write = async |db: &Db| {
            db.transaction(async |_| Ok::<_, diesel::result::Error>(()))
                .await
                .expect("begin")
                .expect("commit")
        };
        write(&db).await;
        write(&db.for_worker(2).expect("worker")).await;
        assert_eq!(db.writes_begun(), 2);
        let uncounted = db.uncounted();
        write(&uncounted).await;
        assert_eq!(uncounted.writes_begun(), 2, "its own writes are left out");
        write(&db).await;
        assert_eq!(uncounted.writes_begun(), 3, "it sees the others'");
    }

    #[test]
    fn postgres_workers_share_the_write_count() {
        let backend = Backend::Postgres("postgres://nobody@127.0.0.1:1/none".into());
        let db = Db::connect(&backend, &PoolOptions::default()).expect("pool");
        let worker = db.for_worker(2).expect("pool");
        assert!(std::sync::Arc::ptr_eq(
            &db.writes.begun,
            &worker.writes.begun
        ));
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(super::like_contains("Rent"), "%rent%");
        assert_eq!(super::like_contains("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(super::like_prefix("Ada_L%"), "ada\\_l\\%%");
    }
}
