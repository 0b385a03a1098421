//! SQLite's one writer, with group commit.
//!
//! SQLite runs one write transaction at a time, and a commit costs far more than most
//! transactions' statements: it appends every page the transaction dirtied to the
//! write-ahead log, and the same few pages (an account's row, the tails of the ledger's
//! indexes) are dirtied by every payment. So writers that queue behind each other share one
//! commit:
//!
//! - The first writer opens the outer transaction (`BEGIN IMMEDIATE`); each writer, itself
//!   included, runs inside it in a savepoint of its own ([`Member`]). A writer that fails
//!   rolls back to its savepoint and leaves the others' work alone.
//! - A writer that succeeds releases its savepoint and the write lock, then waits for the
//!   outer transaction to commit. It does not answer its client before: nothing is reported
//!   done that is not durable (as durable as `synchronous = NORMAL` makes any commit).
//! - Whoever finds the outer transaction still open when it next holds the lock commits it:
//!   a waiting member queues for the lock again, and the lock is first-come first-served, so
//!   the batch grows by exactly the writers that queued while it ran and commits as soon as
//!   they are through. Under no load that is one commit per transaction, as before. A writer
//!   cancelled while it waits hands the commit to a task, in case nobody else was left to.
//! - A failed commit fails every member of its batch, and a failure that leaves the outer
//!   transaction in doubt (a savepoint that cannot be released or rolled back, a writer
//!   dropped mid-transaction whose rollback does not complete) closes the connection, which
//!   rolls the whole batch back, and fails every member that was waiting on it.

use std::sync::Arc;

use diesel::connection::AnsiTransactionManager;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, TransactionManager};
use futures_util::FutureExt;
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use super::checkpoint::{self, Wake};
use super::{SqliteConn, StoreError};

/// The most transactions one commit carries: a bound on how long the first of them waits.
const MAX_BATCH: usize = 64;

type Manager = <SqliteConn as AsyncConnection>::TransactionManager;

/// How a batch ended: committed, or why not.
type Outcome = Result<(), Arc<str>>;

/// The writer connection and its lock; cheap to share.
pub(super) struct Writer {
    state: Arc<Mutex<WriterState>>,
    path: String,
    busy_ms: u128,
}

struct WriterState {
    /// Opened on first use, and again after a failure closed it.
    conn: Option<SqliteConn>,
    /// The open outer transaction, if any.
    batch: Option<Batch>,
    batches: u64,
    /// The log's checkpointer, told of every commit.
    checkpoints: Wake,
}

struct Batch {
    id: u64,
    /// Transactions begun in it.
    members: usize,
    /// Transactions finished successfully, waiting for the commit.
    waiting: usize,
    outcome: watch::Sender<Option<Outcome>>,
}

impl Writer {
    pub(super) fn new(path: &str, busy_ms: u128) -> Writer {
        Writer {
            state: Arc::new(Mutex::new(WriterState {
                conn: None,
                batch: None,
                batches: 0,
                checkpoints: checkpoint::spawn(path),
            })),
            path: path.to_string(),
            busy_ms,
        }
    }

    /// Waits for the write lock, then begins a transaction in the current batch (or a new
    /// one).
    pub(super) async fn begin(&self) -> Result<Member, StoreError> {
        let mut guard = self.state.clone().lock_owned().await;
        let state: &mut WriterState = &mut guard;
        if state.batch.as_ref().is_some_and(|b| b.members >= MAX_BATCH) {
            state.commit_batch().await;
        }
        let conn = match &mut state.conn {
            Some(conn) => conn,
            empty => empty.insert(super::open_sqlite(&self.path, self.busy_ms).await?),
        };
        if state.batch.is_none() {
            AnsiTransactionManager::begin_transaction_sql(conn.inner(), "BEGIN IMMEDIATE")?;
            state.batches += 1;
            state.batch = Some(Batch {
                id: state.batches,
                members: 0,
                waiting: 0,
                outcome: watch::channel(None).0,
            });
        }
        // A savepoint: at depth one, diesel's transaction manager nests.
        if let Err(error) = Manager::begin_transaction(conn).await {
            state.poison("a savepoint could not be opened");
            return Err(error.into());
        }
        let Some(batch) = state.batch.as_mut() else {
            unreachable!("a batch was opened above")
        };
        batch.members += 1;
        let (batch_id, outcome) = (batch.id, batch.outcome.subscribe());
        Ok(Member {
            batch_id,
            outcome,
            state: Some(guard),
            lock: self.state.clone(),
            waiting: false,
        })
    }
}

#[derive(Clone, Copy)]
enum End {
    Commit,
    Rollback,
}
use End::{Commit, Rollback};

impl WriterState {
    /// Ends the innermost open level: a member's savepoint, or the batch's transaction.
    async fn end_level(&mut self, end: End) -> Result<(), DieselError> {
        let Some(conn) = &mut self.conn else {
            return Err(DieselError::NotInTransaction);
        };
        match end {
            Commit => Manager::commit_transaction(conn).await,
            Rollback => Manager::rollback_transaction(conn).await,
        }
    }

    /// Commits the open batch, if any, and tells its members how it went.
    async fn commit_batch(&mut self) {
        let Some(batch) = self.batch.take() else {
            return;
        };
        let committed = self.end_level(Commit).await;
        tracing::debug!(
            members = batch.members,
            waiting = batch.waiting,
            "group commit"
        );
        let outcome = match committed {
            Ok(()) => {
                self.checkpoints.after_commit();
                Ok(())
            }
            Err(error) => {
                tracing::error!(%error, "a group commit failed");
                // Whatever state the transaction is in, a new connection starts clean.
                self.conn = None;
                Err(Arc::from(format!("the commit failed: {error}")))
            }
        };
        batch.outcome.send_replace(Some(outcome));
    }

    /// Closes the connection, which rolls the open batch back, and fails its members.
    fn poison(&mut self, why: &str) {
        tracing::error!(why, "rolling back a group of SQLite writes");
        self.conn = None;
        if let Some(batch) = self.batch.take() {
            batch
                .outcome
                .send_replace(Some(Err(Arc::from(format!("rolled back: {why}")))));
        }
    }

    /// Ends the batch `id` now if it is open and nobody waits on it (its members failed).
    async fn end_if_unwanted(&mut self, id: u64) {
        if self
            .batch
            .as_ref()
            .is_some_and(|b| b.id == id && b.waiting == 0)
        {
            self.commit_batch().await;
        }
    }
}

/// One writer's transaction: a savepoint in a batch, holding the write lock until it ends.
pub(super) struct Member {
    /// The write lock; `None` once the transaction has ended.
    state: Option<OwnedMutexGuard<WriterState>>,
    lock: Arc<Mutex<WriterState>>,
    batch_id: u64,
    outcome: watch::Receiver<Option<Outcome>>,
    /// Released into the batch and waiting for its commit.
    waiting: bool,
}

impl Member {
    pub(super) fn conn(&mut self) -> &mut SqliteConn {
        match self.state.as_mut().and_then(|state| state.conn.as_mut()) {
            Some(conn) => conn,
            None => unreachable!("a transaction keeps its connection until it ends"),
        }
    }

    /// Releases the savepoint and waits until the batch is committed.
    pub(super) async fn commit(&mut self) -> Result<(), DieselError> {
        let Some(mut state) = self.state.take() else {
            return Err(DieselError::NotInTransaction);
        };
        if let Err(error) = state.end_level(Commit).await {
            state.poison("a savepoint could not be released");
            return Err(error);
        }
        if let Some(batch) = state.batch.as_mut() {
            batch.waiting += 1;
        }
        drop(state);
        self.waiting = true;
        let outcome = self.wait_for_commit().await;
        self.waiting = false;
        outcome
    }

    async fn wait_for_commit(&mut self) -> Result<(), DieselError> {
        loop {
            if let Some(outcome) = self.outcome.borrow().clone() {
                return outcome.map_err(|why| {
                    DieselError::DatabaseError(
                        DatabaseErrorKind::Unknown,
                        Box::new(why.to_string()),
                    )
                });
            }
            tokio::select! {
                changed = self.outcome.changed() => {
                    if changed.is_err() {
                        return Err(DieselError::BrokenTransactionManager);
                    }
                }
                mut state = self.lock.clone().lock_owned() => {
                    // Everyone who queued behind this transaction has run: commit for them all.
                    if state.batch.as_ref().is_some_and(|b| b.id == self.batch_id) {
                        state.commit_batch().await;
                    }
                }
            }
        }
    }

    /// Rolls back to the savepoint; the rest of the batch goes on.
    pub(super) async fn rollback(&mut self) -> Result<(), DieselError> {
        let Some(mut state) = self.state.take() else {
            return Err(DieselError::NotInTransaction);
        };
        let rolled_back = state.end_level(Rollback).await;
        match rolled_back {
            Ok(()) => state.end_if_unwanted(self.batch_id).await,
            Err(_) => state.poison("a savepoint could not be rolled back"),
        }
        rolled_back
    }
}

impl Member {
    /// A transaction dropped while it waited for its batch's commit (its request was
    /// cancelled) may have been the batch's last hope of one: commit it from a task.
    fn commit_in_background(&self) {
        let (lock, id) = (self.lock.clone(), self.batch_id);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let mut state = lock.lock_owned().await;
                if state.batch.as_ref().is_some_and(|b| b.id == id) {
                    state.commit_batch().await;
                }
            });
        }
    }
}

impl Drop for Member {
    /// A transaction dropped mid-way (its request was cancelled) rolls back to its savepoint
    /// on the spot: SQLite calls run inline, so the rollback is complete when its future is
    /// first polled. If it is not, the batch is rolled back with the connection.
    fn drop(&mut self) {
        let Some(mut state) = self.state.take() else {
            if self.waiting {
                self.commit_in_background();
            }
            return;
        };
        let rolled_back = matches!(state.end_level(Rollback).now_or_never(), Some(Ok(())));
        let ended = rolled_back
            && state
                .end_if_unwanted(self.batch_id)
                .now_or_never()
                .is_some();
        if !ended {
            state.poison("a transaction was abandoned");
        }
    }
}

#[cfg(test)]
impl Writer {
    /// How many outer transactions have been opened.
    async fn batches(&self) -> u64 {
        self.state.lock().await.batches
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use diesel::QueryableByName;
    use diesel::sql_types::BigInt;
    use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
    use futures_util::future::join_all;

    use crate::dispatch;
    use crate::store::{Backend, Db, PoolOptions, Pools, WriteTx};

    async fn database(dir: &tempfile::TempDir) -> Db {
        let path = dir.path().join("db.sqlite3").display().to_string();
        let options = PoolOptions {
            busy_timeout: Duration::from_millis(200),
            ..PoolOptions::default()
        };
        let db = Db::connect(&Backend::Sqlite(path), &options).expect("pool");
        let mut tx = db.write().await.expect("write");
        let created =
            dispatch!(&mut tx.conn(), c => c.batch_execute("CREATE TABLE t (x INTEGER)").await);
        tx.finish(created).await.expect("create");
        db
    }

    async fn insert(tx: &mut WriteTx, x: i64) {
        let sql = format!("INSERT INTO t (x) VALUES ({x})");
        dispatch!(&mut tx.conn(), c => c.batch_execute(&sql).await).expect("insert");
    }

    /// The rows a fresh read connection sees: what is committed.
    async fn committed(db: &Db) -> Vec<i64> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            x: i64,
        }
        let mut conn = db.read().await.expect("read");
        let rows: Vec<Row> = dispatch!(&mut conn.conn(), c => diesel::sql_query("SELECT x FROM t ORDER BY x").load(c).await)
            .expect("select");
        rows.into_iter().map(|r| r.x).collect()
    }

    async fn batches(db: &Db) -> u64 {
        match &db.pools {
            Pools::Sqlite { writer, .. } => writer.batches().await,
            Pools::Postgres { .. } => unreachable!("a SQLite database"),
        }
    }

    /// How writer `x` ends its transaction.
    #[derive(Clone, Copy, PartialEq)]
    enum Ending {
        Commit,
        Fail,
        Abandon,
    }

    /// Ten writers that all queue while the first one runs, so they share one batch.
    async fn ten_writers(db: &Db, end: impl Fn(i64) -> Ending) -> Vec<Result<(), String>> {
        join_all((1..=10).map(|x| {
            let how = end(x);
            async move {
                let mut tx = db.write().await.map_err(|e| e.to_string())?;
                // Let every other writer queue behind this one.
                tokio::task::yield_now().await;
                insert(&mut tx, x).await;
                match how {
                    Ending::Commit => tx
                        .finish(Ok(()))
                        .await
                        .map_err(|e: diesel::result::Error| e.to_string()),
                    Ending::Fail => tx
                        .finish(Err(diesel::result::Error::RollbackTransaction))
                        .await
                        .map_err(|e| e.to_string()),
                    Ending::Abandon => {
                        drop(tx);
                        Err("abandoned".to_string())
                    }
                }
            }
        }))
        .await
    }

    #[tokio::test]
    async fn queued_writers_share_one_commit_and_see_it_before_answering() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = database(&dir).await;
        let before = batches(&db).await;
        let results = ten_writers(&db, |_| Ending::Commit).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert_eq!(committed(&db).await, (1..=10).collect::<Vec<_>>());
        assert_eq!(batches(&db).await - before, 1, "one commit for ten writers");
    }

    #[tokio::test]
    async fn a_failed_or_abandoned_writer_leaves_the_rest_of_its_batch_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = database(&dir).await;
        let end = |x| match x {
            3 => Ending::Fail,
            7 => Ending::Abandon,
            _ => Ending::Commit,
        };
        let results = ten_writers(&db, end).await;
        for (x, result) in (1..=10).zip(&results) {
            assert_eq!(
                result.is_ok(),
                end(x) == Ending::Commit,
                "writer {x}: {result:?}"
            );
        }
        assert_eq!(committed(&db).await, vec![1, 2, 4, 5, 6, 8, 9, 10]);
    }

    #[tokio::test]
    async fn a_lone_failed_writer_does_not_keep_the_database_locked() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = database(&dir).await;
        let results = ten_writers(&db, |_| Ending::Fail).await;
        assert!(results.iter().all(Result::is_err));
        let mut tx = db.write().await.expect("write");
        insert(&mut tx, 1).await;
        drop(tx);
        // Another process (here: another pool on the same file) can take the write lock at
        // once, so neither the failures nor the abandoned writer left a transaction open.
        let other = Db::connect(
            &Backend::Sqlite(dir.path().join("db.sqlite3").display().to_string()),
            &PoolOptions {
                busy_timeout: Duration::from_millis(200),
                ..PoolOptions::default()
            },
        )
        .expect("pool");
        let mut tx = other.write().await.expect("the write lock is free");
        insert(&mut tx, 42).await;
        tx.finish(Ok::<_, diesel::result::Error>(()))
            .await
            .expect("commit");
        assert_eq!(committed(&db).await, vec![42]);
    }

    #[tokio::test]
    async fn a_writer_cancelled_while_waiting_for_its_commit_still_gets_it() {
        use futures_util::FutureExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let db = database(&dir).await;
        let mut first = db.write().await.expect("write");
        insert(&mut first, 1).await;
        // A second writer queues for the lock...
        let mut second = Box::pin(db.write());
        assert!(second.as_mut().now_or_never().is_none(), "the lock is held");
        // ...the first releases its savepoint and waits for the commit, then is cancelled.
        let mut finishing = Box::pin(first.finish(Ok::<_, diesel::result::Error>(())));
        assert!(
            finishing.as_mut().now_or_never().is_none(),
            "waits behind the second"
        );
        drop(finishing);
        // The second fails: nobody left in the batch is waiting to commit it.
        let mut second = second.await.expect("write");
        insert(&mut second, 2).await;
        let _ = second
            .finish(Err::<(), _>(diesel::result::Error::RollbackTransaction))
            .await;
        for _ in 0..100 {
            if !committed(&db).await.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(committed(&db).await, vec![1]);
    }
}
