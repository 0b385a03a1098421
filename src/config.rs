//! Settings. Every flag is also an environment variable (see the README's table).

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://hyperbank.sqlite3";

#[derive(Debug, Parser)]
#[command(
    name = "hyperbank",
    version,
    about = "A self-hosted Griffin v0 banking API server"
)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` (embedded, the default) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// Most database connections the pool keeps open.
    #[arg(long, env = "HYPERBANK_POOL_SIZE", default_value_t = 16, global = true)]
    pub pool_size: usize,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run pending migrations, then serve the API (the default).
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate,
    /// Create a test-mode organization, its first user and an API key.
    Bootstrap(BootstrapArgs),
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HYPERBANK_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "HYPERBANK_WORKERS")]
    pub workers: Option<usize>,

    /// On an empty database, give the bootstrapped Sandbox key this secret
    /// (`g-test-NAME-SECRET`) instead of a random one.
    #[arg(long, env = "HYPERBANK_BOOTSTRAP_API_KEY", hide_env_values = true)]
    pub bootstrap_api_key: Option<String>,
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            workers: None,
            bootstrap_api_key: None,
        }
    }
}

#[derive(Debug, Args, Clone)]
pub struct BootstrapArgs {
    /// Display name of the new organization.
    #[arg(long)]
    pub organization_name: String,

    /// Email of its first user (created if new).
    #[arg(long)]
    pub email: String,

    /// Print one JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
}
