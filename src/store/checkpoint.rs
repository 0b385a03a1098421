//! SQLite's write-ahead log, copied back off the writer's path.
//!
//! Every commit appends the pages it changed to the log. A checkpoint copies them back into
//! the database file and fsyncs it; a log fully copied back starts again from its beginning
//! at the next commit instead of growing. SQLite checkpoints automatically on the committing
//! connection, which here is the one writer, so every queued writer waited for the whole
//! copy: 50 to 200 ms, a few times a second under a payment load, which made the p99.
//!
//! A thread of its own now copies the log back after commits, on a connection of its own,
//! while the writer goes on (`PASSIVE`: it never waits for anyone, and stops short of pages
//! a reader may still need). The writer's automatic checkpoint stays, at 10,000 pages: it is
//! what lets the log start over, and it now finds only the pages written since this thread's
//! last pass left to copy.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

use diesel::{Connection, RunQueryDsl, SqliteConnection};

/// The least time between two passes, so that a steady stream of commits does not turn into
/// a steady stream of fsyncs.
const PAUSE: Duration = Duration::from_millis(20);

/// Wakes the checkpointer after a commit; never blocks.
pub(super) struct Wake(SyncSender<()>);

impl Wake {
    pub(super) fn after_commit(&self) {
        // A full channel means a wake-up is already pending; a closed one, that the thread
        // is gone (and the writer's own checkpoint remains).
        let _ = self.0.try_send(());
    }
}

/// Starts the checkpointer of the database at `path`; it stops when its [`Wake`] is dropped.
pub(super) fn spawn(path: &str) -> Wake {
    let (wake, wakes) = sync_channel(1);
    let path = path.to_string();
    let started = std::thread::Builder::new()
        .name("sqlite-checkpoint".to_string())
        .spawn(move || run(&path, &wakes));
    if let Err(error) = started {
        tracing::warn!(%error, "no checkpoint thread; the writer checkpoints alone");
    }
    Wake(wake)
}

fn run(path: &str, wakes: &Receiver<()>) {
    let mut conn = None;
    while wakes.recv().is_ok() {
        let pass = match &mut conn {
            Some(conn) => copy_back(conn),
            empty => SqliteConnection::establish(path)
                .map_err(|e| e.to_string())
                .and_then(|c| copy_back(empty.insert(c))),
        };
        if let Err(error) = pass {
            tracing::warn!(%error, "a WAL checkpoint failed");
            conn = None;
        }
        std::thread::sleep(PAUSE);
    }
}

fn copy_back(conn: &mut SqliteConnection) -> Result<(), String> {
    // The pragma answers with one row (busy, pages in the log, pages copied back); "busy"
    // (another checkpoint is running) is not an error, and the next pass goes on.
    diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)")
        .execute(conn)
        .map(drop)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use diesel::QueryableByName;
    use diesel::sql_types::BigInt;
    use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};

    use crate::store::SqliteConn;
    use crate::store::group_commit::Writer;

    async fn write(writer: &Writer, sql: &str) {
        let mut tx = writer.begin().await.expect("begin");
        tx.conn().batch_execute(sql).await.expect("statement");
        tx.commit().await.expect("commit");
    }

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    /// Commits far below the writer's own checkpoint threshold (10,000 pages), with a reader
    /// going on all along: the checkpointer copies them into the database file by itself,
    /// and the reader sees every commit. (Without it the file would keep its first pages.)
    #[tokio::test]
    async fn commits_reach_the_database_file_without_the_writer_checkpointing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("db.sqlite3").display().to_string();
        let writer = Writer::new(&path, 1_000);
        write(&writer, "CREATE TABLE t (x BLOB NOT NULL)").await;
        let mut reader = SqliteConn::establish(&path).await.expect("reader");
        const ROWS: i64 = 200;
        const ROW_BYTES: u64 = 6_000;
        for row in 1..=ROWS {
            write(&writer, "INSERT INTO t (x) VALUES (randomblob(6000))").await;
            let seen: Count = diesel::sql_query("SELECT COUNT(*) AS n FROM t")
                .get_result(&mut reader)
                .await
                .expect("read");
            assert_eq!(seen.n, row);
        }
        let written = ROWS as u64 * ROW_BYTES;
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut file = 0;
        while file < written && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
            file = std::fs::metadata(&path).expect("database file").len();
        }
        assert!(
            file >= written,
            "the database file holds {file} bytes after {written} bytes of rows"
        );
    }
}
