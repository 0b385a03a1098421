//! `hyperbank bench`: a load generator for this API, like pgbench for a database. It takes a
//! key (or bootstraps its own organization through the database the server uses), prepares
//! what the scenario needs, drives one scenario from many keep-alive connections for a
//! while, and prints one JSON object with the throughput, latency percentiles and errors.
//!
//! Scenarios:
//! - `index`: `GET /v0/index`;
//! - `account`: `GET` one bank account;
//! - `payments`: create a payment and submit it; in every three, one fps payment to a payee
//!   at another bank and two book transfers back and forth between the connection's two
//!   accounts.
//!
//! `--groups N` first puts the key's membership in N groups, so that every permission check
//! reads groups as well; `--webhook` receives the events by webhook and reports delivery.

pub mod client;
mod receiver;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use client::Connection;

pub use hyperbank::config::Scenario;

#[derive(Debug, Clone)]
pub struct Options {
    /// `host:port` of the server.
    pub address: String,
    pub key: String,
    pub scenario: Scenario,
    pub connections: usize,
    pub duration: Duration,
    pub warmup: Duration,
    /// Also receive the organization's events by webhook and report their delivery.
    pub webhook: bool,
    /// Groups to put the key's membership in before the run.
    pub groups: usize,
}

type BenchResult<T> = Result<T, String>;

fn expect(reply: client::Reply, status: u16, what: &str) -> BenchResult<Value> {
    if reply.status == status {
        Ok(reply.json())
    } else {
        Err(format!(
            "{what}: HTTP {} {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        ))
    }
}

fn text(value: &Value, key: &str) -> BenchResult<String> {
    value[key]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("no `{key}` in {value}"))
}

/// What each connection works on.
#[derive(Debug, Clone)]
enum Work {
    Index,
    Account(String),
    Payments {
        accounts: [String; 2],
        payee_url: String,
    },
}

async fn organization_url(conn: &mut Connection) -> BenchResult<String> {
    let index = expect(
        conn.send("GET", "/v0/index", None, None)
            .await
            .map_err(|e| e.to_string())?,
        200,
        "GET /v0/index",
    )?;
    text(&index, "organization-url")
}

/// Asks for a new operational account; it opens a moment later (see [`fund_when_open`]).
async fn open_account(conn: &mut Connection, organization: &str, n: usize) -> BenchResult<String> {
    let body =
        json!({"bank-product-type": "operational-account", "display-name": format!("Bench {n}")});
    let account = expect(
        conn.send(
            "POST",
            &format!("{organization}/bank/accounts"),
            Some(&body),
            None,
        )
        .await
        .map_err(|e| e.to_string())?,
        201,
        "open account",
    )?;
    text(&account, "account-url")
}

/// Waits for an account to open, then pays 1,000,000.00 into it.
async fn fund_when_open(conn: &mut Connection, url: String) -> BenchResult<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let shown = expect(
            conn.send("GET", &url, None, None)
                .await
                .map_err(|e| e.to_string())?,
            200,
            "get account",
        )?;
        if shown["account-status"] == "open" {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("{url} did not open"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let id = url.rsplit('/').next().unwrap_or_default();
    let funding = json!({"payment-amount": {"currency": "GBP", "value": "1000000.00"}});
    expect(
        conn.send(
            "POST",
            &format!("/v0/simulation/bank/accounts/{id}/inbound-payments"),
            Some(&funding),
            None,
        )
        .await
        .map_err(|e| e.to_string())?,
        201,
        "fund account",
    )?;
    Ok(url)
}

async fn prepare(options: &Options) -> BenchResult<Vec<Work>> {
    let mut conn = Connection::open(&options.address, &options.key)
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", options.address))?;
    let organization = organization_url(&mut conn).await?;
    match options.scenario {
        Scenario::Index => Ok(vec![Work::Index; options.connections]),
        Scenario::Account => {
            let list = expect(
                conn.send(
                    "GET",
                    &format!("{organization}/bank/accounts?sort=created-at"),
                    None,
                    None,
                )
                .await
                .map_err(|e| e.to_string())?,
                200,
                "list accounts",
            )?;
            let url = text(&list["accounts"][0], "account-url")?;
            Ok(vec![Work::Account(url); options.connections])
        }
        Scenario::Payments => {
            let person = expect(
                conn.send(
                    "POST",
                    &format!("{organization}/legal-persons"),
                    Some(
                        &json!({"display-name": "Bench payer", "legal-person-type": "individual"}),
                    ),
                    None,
                )
                .await
                .map_err(|e| e.to_string())?,
                201,
                "create legal person",
            )?;
            let person = text(&person, "legal-person-url")?;
            let payee = expect(
                conn.send(
                    "POST",
                    &format!("{person}/bank/payees"),
                    Some(
                        &json!({"account-holder": "Bench Payee Ltd", "account-number": "12345678",
                                 "bank-id": "040004"}),
                    ),
                    None,
                )
                .await
                .map_err(|e| e.to_string())?,
                201,
                "create payee",
            )?;
            let payee_url = text(&payee, "payee-url")?;
            // Every account is asked for first, so that they open together.
            let mut requested = Vec::new();
            for n in 0..2 * options.connections {
                requested.push(open_account(&mut conn, &organization, n).await?);
            }
            let mut funded = Vec::new();
            for url in requested {
                funded.push(fund_when_open(&mut conn, url).await?);
            }
            Ok(funded
                .chunks_exact(2)
                .map(|pair| Work::Payments {
                    accounts: [pair[0].clone(), pair[1].clone()],
                    payee_url: payee_url.clone(),
                })
                .collect())
        }
    }
}

#[derive(Debug, Default)]
struct Tally {
    latencies_us: Vec<u32>,
    payments: u64,
    errors: BTreeMap<String, u64>,
}

impl Tally {
    fn record(&mut self, started: Instant, status: Option<u16>, ok: u16) {
        let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        self.latencies_us.push(micros);
        match status {
            Some(status) if status == ok => {}
            Some(status) => *self.errors.entry(status.to_string()).or_default() += 1,
            None => *self.errors.entry("io".to_string()).or_default() += 1,
        }
    }
}

/// One connection's loop until `until`; only what happens after `measure_from` counts.
async fn drive(
    options: Options,
    work: Work,
    measure_from: Instant,
    until: Instant,
    worker: usize,
) -> Tally {
    let mut tally = Tally::default();
    let Ok(mut conn) = Connection::open(&options.address, &options.key).await else {
        *tally.errors.entry("connect".to_string()).or_default() += 1;
        return tally;
    };
    let mut n: u64 = 0;
    // What happens during the warm-up, kept apart from the figures.
    let mut warmup = Tally::default();
    // A connection whose exchanges keep failing (the server is gone) stops early, warming up
    // or not.
    while Instant::now() < until && !conn_broken(&tally) && !conn_broken(&warmup) {
        n += 1;
        let counting = Instant::now() >= measure_from;
        let target = if counting { &mut tally } else { &mut warmup };
        match &work {
            Work::Index => get(&mut conn, "/v0/index", target).await,
            Work::Account(url) => get(&mut conn, url, target).await,
            Work::Payments {
                accounts,
                payee_url,
            } => {
                let key = format!("bench-{worker}-{n}-{}", rand::random::<u32>());
                pay(&mut conn, accounts, payee_url, n, &key, target).await;
            }
        }
    }
    // A connection lost while warming up still shows in the figures, as the failures that
    // ended it.
    if conn_broken(&warmup) {
        *tally.errors.entry("io".to_string()).or_default() +=
            warmup.errors.get("io").copied().unwrap_or(0);
    }
    tally
}

/// One `GET`, which must answer 200.
async fn get(conn: &mut Connection, url: &str, target: &mut Tally) {
    let started = Instant::now();
    let status = conn
        .send("GET", url, None, None)
        .await
        .ok()
        .map(|r| r.status);
    target.record(started, status, 200);
}

/// The `n`th payment of a connection: created, then submitted. Book transfers go back and
/// forth between the two accounts; every third payment is fps to the payee.
async fn pay(
    conn: &mut Connection,
    accounts: &[String; 2],
    payee_url: &str,
    n: u64,
    key: &str,
    target: &mut Tally,
) {
    let (from, creditor, scheme) = match n % 3 {
        0 => (
            &accounts[0],
            json!({"creditor-type": "payee", "payee-url": payee_url}),
            "fps",
        ),
        1 => (
            &accounts[0],
            json!({"creditor-type": "griffin-bank-account", "account-url": accounts[1]}),
            "book-transfer",
        ),
        _ => (
            &accounts[1],
            json!({"creditor-type": "griffin-bank-account", "account-url": accounts[0]}),
            "book-transfer",
        ),
    };
    let body = json!({"creditor": creditor,
                      "payment-amount": {"currency": "GBP", "value": "1.00"}});
    let started = Instant::now();
    let created = conn
        .send(
            "POST",
            &format!("{from}/payments"),
            Some(&body),
            Some(&format!("{key}-c")),
        )
        .await;
    let status = created.as_ref().ok().map(|r| r.status);
    target.record(started, status, 201);
    let Some(payment_url) = created
        .ok()
        .filter(|r| r.status == 201)
        .and_then(|r| r.json()["payment-url"].as_str().map(str::to_string))
    else {
        return;
    };
    let started = Instant::now();
    let submitted = conn
        .send(
            "POST",
            &format!("{payment_url}/submissions"),
            Some(&json!({"payment-scheme": scheme})),
            Some(&format!("{key}-s")),
        )
        .await;
    let status = submitted.as_ref().ok().map(|r| r.status);
    target.record(started, status, 200);
    if status == Some(200) {
        target.payments += 1;
    }
}

fn conn_broken(tally: &Tally) -> bool {
    tally.errors.get("io").is_some_and(|n| *n > 100)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

async fn start_receiver(options: &Options) -> BenchResult<receiver::Receiver> {
    let mut conn = Connection::open(&options.address, &options.key)
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", options.address))?;
    let organization = organization_url(&mut conn).await?;
    receiver::Receiver::start(&mut conn, &organization).await
}

/// Puts the key's membership in `n` new groups holding the Team member role, which it holds
/// already (a group may not widen its own caller's permissions).
async fn join_groups(options: &Options, n: usize) -> BenchResult<()> {
    if n == 0 {
        return Ok(());
    }
    let mut conn = Connection::open(&options.address, &options.key)
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", options.address))?;
    let organization = organization_url(&mut conn).await?;
    let send = async |conn: &mut Connection, method, path: &str, body: Option<&Value>| {
        conn.send(method, path, body, None)
            .await
            .map_err(|e| e.to_string())
    };
    // The key's own membership: its user's, as the key sees them (only its organization's).
    let index = expect(
        send(&mut conn, "GET", "/v0/index", None).await?,
        200,
        "index",
    )?;
    let key = text(&index, "api-key-url")?;
    let key = expect(
        send(&mut conn, "GET", &key, None).await?,
        200,
        "GET api key",
    )?;
    let user = text(&key, "user-url")?;
    let memberships = expect(
        send(&mut conn, "GET", &format!("{user}/memberships"), None).await?,
        200,
        "list memberships",
    )?;
    let membership = text(&memberships["memberships"][0], "membership-url")?;
    let roles = expect(
        send(&mut conn, "GET", "/v0/roles", None).await?,
        200,
        "roles",
    )?;
    let team_member = roles["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|role| role["display-name"] == "Team member")
        .ok_or("no Team member role")?;
    let role = text(team_member, "role-url")?;
    for i in 0..n {
        // Unique per run: a second run against the same server makes groups of its own.
        let name = format!("Bench group {i} {:x}", std::process::id());
        let body = json!({"display-name": name, "role-urls": [role],
            "membership-urls": [membership]});
        let path = format!("{organization}/groups");
        expect(
            send(&mut conn, "POST", &path, Some(&body)).await?,
            201,
            "create group",
        )?;
    }
    Ok(())
}

/// Prepares, runs and reports one benchmark.
pub async fn run(options: Options) -> BenchResult<Value> {
    let work = prepare(&options).await?;
    join_groups(&options, options.groups).await?;
    let receiver = match options.webhook {
        true => Some(start_receiver(&options).await?),
        false => None,
    };
    let start = Instant::now();
    let measure_from = start + options.warmup;
    let until = measure_from + options.duration;
    let counts = receiver.as_ref().map(|r| {
        let counter = r.counter();
        tokio::spawn(async move {
            tokio::time::sleep_until(measure_from.into()).await;
            let at_start = counter();
            tokio::time::sleep_until(until.into()).await;
            (at_start, counter())
        })
    });
    let tasks: Vec<_> = work
        .into_iter()
        .enumerate()
        .map(|(worker, work)| {
            tokio::spawn(drive(options.clone(), work, measure_from, until, worker))
        })
        .collect();
    let mut total = Tally::default();
    for task in tasks {
        let tally = task.await.map_err(|e| e.to_string())?;
        total.latencies_us.extend(tally.latencies_us);
        total.payments += tally.payments;
        for (status, n) in tally.errors {
            *total.errors.entry(status).or_default() += n;
        }
    }
    total.latencies_us.sort_unstable();
    let seconds = options.duration.as_secs_f64();
    let requests = total.latencies_us.len() as f64;
    let round = |x: f64| (x * 10.0).round() / 10.0;
    let webhook = match (receiver, counts) {
        (Some(receiver), Some(counts)) => {
            let (at_start, at_end) = counts.await.map_err(|e| e.to_string())?;
            receiver.drain(at_start, at_end, seconds).await
        }
        _ => Value::Null,
    };
    Ok(json!({
        "webhook": webhook,
        "scenario": format!("{:?}", options.scenario).to_lowercase(),
        "connections": options.connections,
        "duration_s": seconds,
        "requests": total.latencies_us.len(),
        "requests_per_s": round(requests / seconds),
        "payments": total.payments,
        "payments_per_s": round(total.payments as f64 / seconds),
        "latency_ms": {
            "p50": percentile(&total.latencies_us, 50.0),
            "p95": percentile(&total.latencies_us, 95.0),
            "p99": percentile(&total.latencies_us, 99.0),
            "max": percentile(&total.latencies_us, 100.0),
        },
        "errors": total.errors,
    }))
}
