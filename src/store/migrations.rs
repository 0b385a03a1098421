//! Embedded migrations, one folder per backend (the same schema, each in its own dialect).

use diesel::Connection;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel_async::AsyncPgConnection;
use diesel_async::RunQueryDsl;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{Backend, Db, Pools, StoreError};

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

diesel::table! {
    /// Diesel's own record of the migrations applied.
    __diesel_schema_migrations (version) {
        version -> Text,
    }
}

/// The versions this build embeds that the database has not applied (empty when current).
pub async fn missing(db: &Db) -> Result<Vec<String>, StoreError> {
    let embedded: Vec<String> = match &db.pools {
        Pools::Postgres { .. } => versions::<diesel::pg::Pg>(POSTGRES)?,
        Pools::Sqlite { .. } => versions::<diesel::sqlite::Sqlite>(SQLITE)?,
    };
    let mut conn = db.read().await?;
    let applied: Vec<String> = crate::dispatch!(&mut conn.conn(), c => __diesel_schema_migrations::table
        .select(__diesel_schema_migrations::version)
        .load(c)
        .await)?;
    Ok(embedded
        .into_iter()
        .filter(|version| !applied.contains(version))
        .collect())
}

fn versions<DB: diesel::backend::Backend>(
    migrations: EmbeddedMigrations,
) -> Result<Vec<String>, StoreError> {
    let all = MigrationSource::<DB>::migrations(&migrations)
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok(all.iter().map(|m| m.name().version().to_string()).collect())
}
