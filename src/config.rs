//! Settings. Every flag is also an environment variable (see the README's table).

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::money::MinorUnits;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://hyperbank.sqlite3";
/// £1,000.00, as Griffin's sandbox gives.
pub const DEFAULT_TEST_MONEY: MinorUnits = MinorUnits(100_000);

#[derive(Debug, Parser)]
#[command(
    name = "hyperbank",
    version,
    about = "A self-hosted Griffin v0 banking API server"
)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(flatten)]
    pub sandbox: SandboxArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` (embedded, the default) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// Most database connections open for requests; on PostgreSQL shared out among the HTTP
    /// worker threads, each with a pool of its own. The background worker's pool has as many.
    #[arg(long, env = "HYPERBANK_POOL_SIZE", default_value_t = 16, global = true)]
    pub pool_size: usize,
}

/// What every new test-mode account receives, for `serve` and `bootstrap` alike.
#[derive(Debug, Args, Clone)]
pub struct SandboxArgs {
    /// Test money credited to every test-mode account when it opens, as a decimal in pounds
    /// (`0` for none).
    #[arg(long, env = "HYPERBANK_TEST_MONEY", default_value = "1000.00", global = true,
          value_parser = parse_test_money)]
    pub test_money: MinorUnits,
}

fn parse_test_money(text: &str) -> Result<MinorUnits, String> {
    match MinorUnits::parse_decimal(text) {
        Ok(amount) if amount.0 >= 0 => Ok(amount),
        Ok(_) => Err("must not be negative".to_string()),
        Err(error) => Err(error.to_string()),
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run pending migrations, then serve the API (the default).
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate,
    /// Create a test-mode organization, its first user and an API key.
    Bootstrap(BootstrapArgs),
    /// Check every ledger invariant over the whole database; exits non-zero on a breach.
    VerifyLedger,
    /// Drive a running server with one scenario and print one JSON line of figures.
    Bench(BenchArgs),
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
                account_opening_ms: 500,
                fps_settlement_ms: 200,
                organization_in_flight: 50,
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

/// What `hyperbank bench` drives (see the binary's `bench` module).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// `GET /v0/index`.
    Index,
    /// `GET` one bank account.
    Account,
    /// Create and submit payments: book transfers between two accounts and fps payments.
    Payments,
}

#[derive(Debug, Args, Clone)]
pub struct BenchArgs {
    /// The server to drive.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,

    /// An API key of the organization to use; without one, a new organization is
    /// bootstrapped through `--database-url` (the server's database).
    #[arg(long, env = "HYPERBANK_BENCH_KEY", hide_env_values = true)]
    pub key: Option<String>,

    #[arg(long, value_enum, default_value = "account")]
    pub scenario: Scenario,

    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,

    /// Seconds measured.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,

    /// Seconds driven before measuring.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
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
    /// How long a new bank account stays `opening`; zero opens it in the request itself.
    pub account_opening: Duration,
    /// Credited to every test-mode account when it opens.
    pub test_money: MinorUnits,
    /// How long an fps submission stays `processing` before it is delivered; zero delivers
    /// it at the worker's next pass.
    pub fps_settlement: Duration,
    /// Most requests of one organization in flight at once (API keys); more are 429.
    pub organization_in_flight: usize,
    /// Most payment submissions from one bank account in flight at once; more are 429.
    pub account_submissions_in_flight: usize,
}

impl Settings {
    pub fn verification_step_micros(&self) -> i64 {
        crate::time::micros(self.verification_duration / 2)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_ttl: Duration::from_secs(24 * 3600),
            invitation_ttl: Duration::from_secs(7 * 24 * 3600),
            verification_duration: Duration::from_secs(1),
            account_opening: Duration::from_millis(500),
            test_money: DEFAULT_TEST_MONEY,
            fps_settlement: Duration::from_millis(200),
            organization_in_flight: 50,
            account_submissions_in_flight: 3,
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

    /// How long a new bank account takes to open, in milliseconds (0: at once).
    #[arg(long, env = "HYPERBANK_ACCOUNT_OPENING_MS", default_value_t = 500)]
    pub account_opening_ms: u64,

    /// How long an fps payment stays `processing` before it is delivered, in milliseconds.
    #[arg(long, env = "HYPERBANK_FPS_SETTLEMENT_MS", default_value_t = 200)]
    pub fps_settlement_ms: u64,

    /// Most requests of one organization in flight at once; more get 429.
    #[arg(long, env = "HYPERBANK_ORGANIZATION_IN_FLIGHT", default_value_t = 50)]
    pub organization_in_flight: usize,
}

impl SettingsArgs {
    pub fn settings(&self, sandbox: &SandboxArgs) -> Settings {
        Settings {
            account_opening: Duration::from_millis(self.account_opening_ms),
            test_money: sandbox.test_money,
            fps_settlement: Duration::from_millis(self.fps_settlement_ms),
            organization_in_flight: self.organization_in_flight,
            // Griffin's documented limit.
            account_submissions_in_flight: 3,
            session_ttl: Duration::from_secs(self.session_ttl),
            invitation_ttl: Duration::from_secs(self.invitation_ttl),
            verification_duration: Duration::from_millis(self.verification_ms),
        }
    }
}
