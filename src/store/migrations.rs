//! Embedded migrations, one folder per backend (the same schema, each in its own dialect).

use diesel::Connection;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{Backend, StoreError};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Applies every pending migration and returns how many ran. Diesel's migration harness is
/// synchronous, so it runs on a blocking thread.
pub async fn run_pending(backend: &Backend) -> Result<usize, StoreError> {
    let backend = backend.clone();
    tokio::task::spawn_blocking(move || match backend {
        Backend::Postgres(url) => {
            let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)?;
            apply(&mut conn, POSTGRES)
        }
        Backend::Sqlite(path) => {
            let mut conn = diesel::SqliteConnection::establish(&path)?;
            // WAL is a property of the database file: set it before the first write.
            diesel::connection::SimpleConnection::batch_execute(
                &mut conn,
                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
            )?;
            apply(&mut conn, SQLITE)
        }
    })
    .await
    .map_err(|e| StoreError::Migration(e.to_string()))?
}

fn apply<C>(conn: &mut C, migrations: EmbeddedMigrations) -> Result<usize, StoreError>
where
    C: MigrationHarness<C::Backend> + Connection,
{
    conn.run_pending_migrations(migrations)
        .map(|applied| applied.len())
        .map_err(|e| StoreError::Migration(e.to_string()))
}
