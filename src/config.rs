//! Settings. Every flag is also an environment variable (see the README's table).

use std::net::SocketAddr;
use std::time::Duration;

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

    #[command(flatten)]
    pub settings: SettingsArgs,
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            workers: None,
            bootstrap_api_key: None,
            settings: SettingsArgs {
                session_ttl: Settings::default().session_ttl.as_secs(),
                invitation_ttl: Settings::default().invitation_ttl.as_secs(),
                verification_ms: 1000,
            },
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

    /// A password for the user, to log in with `POST /v0/session` (8 to 256 characters).
    /// Prefer the environment variable: command lines are visible to other local users.
    #[arg(long, env = "HYPERBANK_BOOTSTRAP_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

/// Settings the running application reads.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a login session lasts.
    pub session_ttl: Duration,
    /// How long an invitation can be accepted.
    pub invitation_ttl: Duration,
    /// How long a sandbox verification takes from `pending` to `checks-complete` (two steps
    /// of half this each); zero completes it at the worker's next pass.
    pub verification_duration: Duration,
}

impl Settings {
    pub fn verification_step_micros(&self) -> i64 {
        i64::try_from(self.verification_duration.as_micros() / 2).unwrap_or(i64::MAX)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_ttl: Duration::from_secs(24 * 3600),
            invitation_ttl: Duration::from_secs(7 * 24 * 3600),
            verification_duration: Duration::from_secs(1),
        }
    }
}

#[derive(Debug, Args, Clone)]
pub struct SettingsArgs {
    /// Lifetime of a login session, in seconds.
    #[arg(long, env = "HYPERBANK_SESSION_TTL", default_value_t = 24 * 3600)]
    pub session_ttl: u64,

    /// Lifetime of an invitation, in seconds.
    #[arg(long, env = "HYPERBANK_INVITATION_TTL", default_value_t = 7 * 24 * 3600)]
    pub invitation_ttl: u64,

    /// How long a sandbox verification takes to reach checks-complete, in milliseconds.
    #[arg(long, env = "HYPERBANK_VERIFICATION_MS", default_value_t = 1000)]
    pub verification_ms: u64,
}

impl SettingsArgs {
    pub fn settings(&self) -> Settings {
        Settings {
            session_ttl: Duration::from_secs(self.session_ttl),
            invitation_ttl: Duration::from_secs(self.invitation_ttl),
            verification_duration: Duration::from_millis(self.verification_ms),
        }
    }
}
