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
    /// Make a new webhook signing key current; print its key id.
    RotateSigningKey(RotateArgs),
}

#[derive(Debug, Args, Clone)]
pub struct RotateArgs {
    /// How long the replaced keys stay published, so receivers can verify what they signed.
    #[arg(long, default_value_t = 7 * 24)]
    pub overlap_hours: u64,
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
                body_timeout_ms: 10_000,
                webhook_retry_schedule: RetrySchedule(WebhookSettings::default().retry_schedule),
                webhook_timeout_ms: 10_000,
                webhook_concurrency: 64,
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

    /// Point the organization's webhook at a receiver of the bench's own and report how
    /// fast events arrive and how long the backlog takes to drain.
    #[arg(long)]
    pub webhook: bool,
    /// Put the key's membership in this many groups, each holding the Team member role,
    /// before the run: every permission check then reads its groups too.
    #[arg(long, default_value_t = 0)]
    pub groups: usize,
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
    /// How long a request body may take to arrive; slower ones are cut off with 408.
    pub body_timeout: Duration,
    pub webhooks: WebhookSettings,
}

/// How webhook deliveries are sent and retried.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The waits between attempts: a delivery is tried once, then once after each wait;
    /// when the last fails it is kept as failed.
    pub retry_schedule: Vec<Duration>,
    /// How long one attempt may take, connection included.
    pub timeout: Duration,
    /// Most attempts in flight at once, per server process.
    pub concurrency: usize,
    /// Most attempts in flight at once to one webhook, so that a slow receiver cannot hold
    /// every slot.
    pub per_webhook: usize,
}

impl WebhookSettings {
    /// Attempts a delivery gets: the first and one per wait.
    pub fn max_attempts(&self) -> i32 {
        i32::try_from(self.retry_schedule.len()).unwrap_or(i32::MAX - 1) + 1
    }

    /// The wait after the `attempt`th attempt failed (1-based); the last wait repeats.
    pub fn retry_wait(&self, attempt: i32) -> Duration {
        let index = usize::try_from(attempt.max(1) - 1).unwrap_or(0);
        self.retry_schedule
            .get(index)
            .or(self.retry_schedule.last())
            .copied()
            .unwrap_or(Duration::ZERO)
    }

    /// How long a claimed delivery stays with the process that claimed it: well past the
    /// attempt's timeout, so only a process that died loses its claims.
    pub fn lease(&self) -> Duration {
        self.timeout * 3
    }
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            retry_schedule: parse_schedule(DEFAULT_RETRY_SCHEDULE).unwrap_or_default(),
            timeout: Duration::from_secs(10),
            concurrency: 64,
            per_webhook: 16,
        }
    }
}

/// Short, for a sandbox: six attempts over about a quarter of an hour.
pub const DEFAULT_RETRY_SCHEDULE: &str = "1s,5s,30s,2m,10m";

/// The retry schedule as a flag gives it (a newtype: clap would read a `Vec` as a list of
/// flags).
#[derive(Debug, Clone)]
pub struct RetrySchedule(pub Vec<Duration>);

impl RetrySchedule {
    fn parse(text: &str) -> Result<Self, String> {
        parse_schedule(text).map(RetrySchedule)
    }
}

/// `1s,5s,500ms,2m,1h`: waits, each a whole number of milliseconds, seconds, minutes or hours.
pub fn parse_schedule(text: &str) -> Result<Vec<Duration>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let split = part
                .find(|c: char| !c.is_ascii_digit())
                .ok_or_else(|| format!("{part:?} has no unit (ms, s, m or h)"))?;
            let (number, unit) = part.split_at(split);
            let number: u64 = number
                .parse()
                .map_err(|_| format!("{part:?} does not start with a number"))?;
            match unit {
                "ms" => Ok(Duration::from_millis(number)),
                "s" => Ok(Duration::from_secs(number)),
                "m" => Ok(Duration::from_secs(number * 60)),
                "h" => Ok(Duration::from_secs(number * 3600)),
                _ => Err(format!("{part:?}: the unit must be ms, s, m or h")),
            }
        })
        .collect()
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
            body_timeout: Duration::from_secs(10),
            webhooks: WebhookSettings::default(),
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

    /// How long a request body may take to arrive, in milliseconds; slower ones get 408.
    #[arg(long, env = "HYPERBANK_BODY_TIMEOUT_MS", default_value_t = 10_000)]
    pub body_timeout_ms: u64,

    /// Waits between webhook delivery attempts, e.g. `1s,5s,30s,2m,10m`.
    #[arg(long, env = "HYPERBANK_WEBHOOK_RETRY_SCHEDULE", default_value = DEFAULT_RETRY_SCHEDULE,
          value_parser = RetrySchedule::parse)]
    pub webhook_retry_schedule: RetrySchedule,

    /// How long one webhook delivery attempt may take, in milliseconds.
    #[arg(long, env = "HYPERBANK_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub webhook_timeout_ms: u64,

    /// Most webhook delivery attempts in flight at once.
    #[arg(long, env = "HYPERBANK_WEBHOOK_CONCURRENCY", default_value_t = 64)]
    pub webhook_concurrency: usize,
}

impl SettingsArgs {
    pub fn settings(&self, sandbox: &SandboxArgs) -> Settings {
        Settings {
            account_opening: Duration::from_millis(self.account_opening_ms),
            test_money: sandbox.test_money,
            fps_settlement: Duration::from_millis(self.fps_settlement_ms),
            organization_in_flight: self.organization_in_flight,
            body_timeout: Duration::from_millis(self.body_timeout_ms),
            // Griffin's documented limit.
            account_submissions_in_flight: 3,
            session_ttl: Duration::from_secs(self.session_ttl),
            invitation_ttl: Duration::from_secs(self.invitation_ttl),
            verification_duration: Duration::from_millis(self.verification_ms),
            webhooks: WebhookSettings {
                retry_schedule: self.webhook_retry_schedule.0.clone(),
                timeout: Duration::from_millis(self.webhook_timeout_ms),
                concurrency: self.webhook_concurrency.max(1),
                per_webhook: (self.webhook_concurrency / 4).max(1),
            },
        }
    }
}
