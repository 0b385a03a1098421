mod bench;

use std::io::IsTerminal;
use std::process::ExitCode;

use actix_web::{HttpServer, web};
use clap::Parser;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use hyperbank::api_keys::secret::ApiKeySecret;
use hyperbank::config::{
    BenchArgs, BootstrapArgs, Cli, Command, DatabaseArgs, RotateArgs, SandboxArgs, ServeArgs,
};
use hyperbank::store::{Backend, Db, PoolOptions, migrations};
use hyperbank::webhooks::deliverer::Deliverer;
use hyperbank::{AppState, bootstrap};

/// mimalloc instead of glibc's allocator: a request allocates and frees many small buffers
/// (rows, ids, JSON, headers) across the worker threads, which glibc's malloc serves slowly.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One log line per request when its span closes (method, route, status, request id,
    // time), from tracing-actix-web's root span. Headers, and so secrets, are never logged.
    // Lines go to stderr through a background writer, so a request never waits on a write;
    // `_log_flush` flushes what is queued when main returns.
    let (log_writer, _log_flush) = tracing_appender::non_blocking(std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(log_writer)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            None => serve(&cli.database, &cli.sandbox, ServeArgs::parse_env()).await,
            Some(Command::Serve(args)) => serve(&cli.database, &cli.sandbox, args).await,
            Some(Command::Migrate) => migrate(&cli.database).await.map(|_| ()),
            Some(Command::Bootstrap(args)) => {
                bootstrap_command(&cli.database, &cli.sandbox, args).await
            }
            Some(Command::VerifyLedger) => verify_ledger(&cli.database).await,
            Some(Command::RotateSigningKey(args)) => rotate_signing_key(&cli.database, args).await,
            Some(Command::Bench(args)) => bench(&cli.database, &cli.sandbox, args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

trait ParseEnv {
    fn parse_env() -> Self;
}

impl ParseEnv for ServeArgs {
    /// `hyperbank` with no subcommand serves; its flags then come from the environment.
    fn parse_env() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            serve: ServeArgs,
        }
        Only::try_parse_from(["hyperbank"])
            .map(|o| o.serve)
            .unwrap_or_default()
    }
}

async fn migrate(database: &DatabaseArgs) -> Result<Db, String> {
    let backend = Backend::from_url(&database.database_url).map_err(|e| e.to_string())?;
    let applied = migrations::run_pending(&backend)
        .await
        .map_err(|e| e.to_string())?;
    if applied > 0 {
        tracing::info!(applied, backend = backend.name(), "migrations applied");
    }
    let options = PoolOptions {
        max_size: database.pool_size,
        ..PoolOptions::default()
    };
    Db::connect(&backend, &options).map_err(|e| e.to_string())
}

async fn serve(
    database: &DatabaseArgs,
    sandbox: &SandboxArgs,
    args: ServeArgs,
) -> Result<(), String> {
    let db = migrate(database).await?;
    let settings = args.settings.settings(sandbox);
    bootstrap_if_empty(&db, &args, &settings).await?;
    let state = AppState::new(db.clone(), settings);
    start_background(&state).await?;
    // Each HTTP worker thread gets its own state around its own database handle
    // (`Db::for_worker`); limits, clock and settings are shared.
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let worker_states = (0..workers)
        .map(|_| {
            Ok(web::Data::new(AppState {
                db: db.for_worker(workers)?,
                ..state.clone()
            }))
        })
        .collect::<Result<Vec<_>, hyperbank::store::StoreError>>()
        .map_err(|e| e.to_string())?;
    let worker_states = std::sync::Arc::new(std::sync::Mutex::new(worker_states));
    let server = HttpServer::new(move || {
        // actix builds the app once per worker thread; should it ever ask for more than
        // `workers`, the extra ones share the process's handle.
        let state = worker_states
            .lock()
            .ok()
            .and_then(|mut states| states.pop())
            .unwrap_or_else(|| web::Data::new(state.clone()));
        hyperbank::app(state)
    })
    .workers(workers)
    .bind(args.bind)
    .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    tracing::info!(bind = %args.bind, backend = db.backend_name(), "hyperbank listening");
    // actix stops accepting on SIGINT/SIGTERM and lets in-flight requests finish.
    server.run().await.map_err(|e| e.to_string())?;
    tracing::info!("hyperbank stopped");
    Ok(())
}

/// On an empty database, the Sandbox organization, its key printed once.
async fn bootstrap_if_empty(
    db: &Db,
    args: &ServeArgs,
    settings: &hyperbank::config::Settings,
) -> Result<(), String> {
    let bootstrap_secret = args
        .bootstrap_api_key
        .as_deref()
        .map(|text| {
            ApiKeySecret::parse(text).ok_or_else(|| {
                "HYPERBANK_BOOTSTRAP_API_KEY must look like g-test-NAME-<43 base64url characters>"
                    .to_string()
            })
        })
        .transpose()?;
    let given_secret = bootstrap_secret.is_some();
    if let Some(created) = bootstrap::sandbox_if_empty(db, bootstrap_secret, settings.test_money)
        .await
        .map_err(|e| e.to_string())?
    {
        let report = created.report();
        // Printed once, to the terminal and not to the log: the only copy of a new secret.
        // A secret the operator chose is not repeated.
        let secret = if given_secret {
            "the one in HYPERBANK_BOOTSTRAP_API_KEY".to_string()
        } else {
            report.api_key_secret.clone()
        };
        println!(
            "Created the test-mode organization \"{}\" for {}.\n\
             API key (shown once, keep it): {secret}\n\
             organization-url: {}\n\
             Try: curl -H 'Authorization: GriffinAPIKey <key>' http://{}/v0/index",
            created.organization.display_name,
            created.user.email,
            report.organization_url,
            args.bind,
        );
    }
    Ok(())
}

/// The background worker and the webhook deliverer, beside the HTTP server.
async fn start_background(state: &AppState) -> Result<(), String> {
    tokio::spawn(state.worker().run());
    let webhooks = state.settings.webhooks.clone();
    let deliverer = Deliverer::new(state.db.clone(), state.clock.clone(), webhooks)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(deliverer.run());
    Ok(())
}

async fn bootstrap_command(
    database: &DatabaseArgs,
    sandbox: &SandboxArgs,
    args: BootstrapArgs,
) -> Result<(), String> {
    let db = migrate(database).await?;
    let created = bootstrap::create_organization(
        &db,
        &args.organization_name,
        &args.email,
        None,
        args.password.as_deref(),
        sandbox.test_money,
    )
    .await
    .map_err(|e| e.to_string())?;
    let report = created.report();
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
    } else {
        println!("organization-url: {}", report.organization_url);
        println!("user-url: {}", report.user_url);
        println!("api-key-url: {}", report.api_key_url);
        println!("api-key-secret: {}", report.api_key_secret);
    }
    Ok(())
}

/// `hyperbank verify-ledger`: every invariant over the whole database; each breach is printed
/// naming its account or entry, and any breach makes the exit status non-zero.
async fn verify_ledger(database: &DatabaseArgs) -> Result<(), String> {
    let db = migrate(database).await?;
    let report = hyperbank::ledger::verify::run(&db)
        .await
        .map_err(|e| e.to_string())?;
    for breach in &report.breaches {
        println!("BREACH {breach}");
    }
    println!("{}", report.summary());
    if report.breaches.is_empty() {
        Ok(())
    } else {
        Err(format!("{} ledger breach(es)", report.breaches.len()))
    }
}

/// `hyperbank rotate-signing-key`: a new current webhook signing key; the previous ones stay
/// published for the overlap. Running servers sign with the new key within ten seconds.
async fn rotate_signing_key(database: &DatabaseArgs, args: RotateArgs) -> Result<(), String> {
    let db = migrate(database).await?;
    let overlap = std::time::Duration::from_secs(args.overlap_hours * 3600);
    let kid = hyperbank::signing_keys::rotate(&db, overlap)
        .await
        .map_err(|e| e.to_string())?;
    println!("{kid}");
    Ok(())
}

/// `hyperbank bench`: see the `bench` module.
async fn bench(
    database: &DatabaseArgs,
    sandbox: &SandboxArgs,
    args: BenchArgs,
) -> Result<(), String> {
    let address = args
        .url
        .strip_prefix("http://")
        .unwrap_or(&args.url)
        .trim_end_matches('/')
        .to_string();
    let key = match args.key {
        Some(key) => key,
        None => {
            let db = migrate(database).await?;
            let stamp = hyperbank::time::now();
            let created = bootstrap::create_organization(
                &db,
                &format!("Bench {stamp}"),
                &format!("bench-{stamp}@example.com"),
                None,
                None,
                sandbox.test_money,
            )
            .await
            .map_err(|e| e.to_string())?;
            created.secret.as_str().to_string()
        }
    };
    let report = bench::run(bench::Options {
        address,
        key,
        scenario: args.scenario,
        connections: args.connections.max(1),
        duration: std::time::Duration::from_secs(args.duration.max(1)),
        warmup: std::time::Duration::from_secs(args.warmup),
        webhook: args.webhook,
        groups: args.groups,
    })
    .await?;
    println!("{report}");
    Ok(())
}
