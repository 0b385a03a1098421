//! The real binary: `serve` bootstraps once and stops cleanly on SIGTERM, `bootstrap` and
//! `migrate` work, and no secret reaches the log.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{database_url, fresh_database};

const BIN: &str = env!("CARGO_BIN_EXE_hyperbank");
const KNOWN_KEY: &str = "g-test-ci-RrUZ5fUG4pSKwYVVG1C3Ft1xrMRxy1T7KUIyTva5bTk";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// A minimal HTTP/1.1 client, enough to talk to our own server.
fn http(
    port: u16,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("connect: {e}"));
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if let Some(key) = key {
        request.push_str(&format!("Authorization: GriffinAPIKey {key}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream
        .write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("write: {e}"));
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

struct Server {
    child: Child,
    port: u16,
    /// What the server prints, read as it comes: an undrained pipe fills up (64 KiB of debug
    /// log) and stalls the server's log writer, which then drops lines.
    stdout: std::thread::JoinHandle<String>,
    stderr: std::thread::JoinHandle<String>,
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

impl Server {
    fn start(database_url: &str, bootstrap_key: Option<&str>) -> Server {
        Server::start_with(database_url, bootstrap_key, &[])
    }

    /// [`Server::start`] with extra environment settings.
    fn start_with(
        database_url: &str,
        bootstrap_key: Option<&str>,
        settings: &[(&str, &str)],
    ) -> Server {
        let port = free_port();
        let mut command = Command::new(BIN);
        command
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("HYPERBANK_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "debug")
            .env("NO_COLOR", "1")
            .env_remove("HYPERBANK_BOOTSTRAP_API_KEY")
            .envs(settings.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(key) = bootstrap_key {
            command.env("HYPERBANK_BOOTSTRAP_API_KEY", key);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {BIN}: {e}"));
        let (stdout, stderr) = (drain(child.stdout.take()), drain(child.stderr.take()));
        let server = Server {
            child,
            port,
            stdout,
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the server did not start listening"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// SIGTERM, then the exit status and everything printed.
    fn stop(mut self) -> (bool, String, String) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let status = self.child.wait().unwrap_or_else(|e| panic!("wait: {e}"));
        let stdout = self.stdout.join().unwrap_or_default();
        let stderr = self.stderr.join().unwrap_or_default();
        (status.success(), stdout, stderr)
    }
}

#[actix_web::test]
async fn serve_bootstraps_an_empty_database_once_and_stops_cleanly() {
    let (backend, _guard) = fresh_database().await;
    let url = database_url(&backend);

    let server = Server::start(&url, Some(KNOWN_KEY));
    assert_eq!(http(server.port, "GET", "/v0/ping", None, None).0, 204);
    let (status, index) = http(server.port, "GET", "/v0/index", Some(KNOWN_KEY), None);
    assert_eq!(status, 200, "{index}");
    let index: Value = serde_json::from_str(&index).unwrap_or_default();
    let organization_url = index["organization-url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (_, organization) = http(server.port, "GET", &organization_url, Some(KNOWN_KEY), None);
    assert!(
        organization.contains("\"display-name\":\"Sandbox\""),
        "{organization}"
    );
    let (status, created) = http(
        server.port,
        "POST",
        &format!("{organization_url}/api-keys"),
        Some(KNOWN_KEY),
        Some(r#"{"api-key-name": "second"}"#),
    );
    assert_eq!(status, 201, "{created}");
    let created: Value = serde_json::from_str(&created).unwrap_or_default();
    let second_secret = created["api-key-secret"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        http(server.port, "GET", "/v0/index", Some(&second_secret), None).0,
        200
    );
    let (clean_exit, stdout, stderr) = server.stop();
    assert!(
        clean_exit,
        "SIGTERM must end the server with status 0\n{stderr}"
    );
    assert!(
        stdout.contains("Created the test-mode organization \"Sandbox\""),
        "{stdout}"
    );
    assert!(stderr.contains("hyperbank listening"), "{stderr}");
    // The secrets appear in neither the log nor (when given by the operator) stdout.
    for secret in [KNOWN_KEY, &second_secret] {
        let random = &secret[secret.len() - 43..];
        assert!(!stderr.contains(random), "a secret reached the log");
        assert!(!stdout.contains(random), "a secret reached stdout");
    }

    // A second start finds the organization and bootstraps nothing.
    let server = Server::start(&url, Some(KNOWN_KEY));
    assert_eq!(
        http(server.port, "GET", "/v0/index", Some(KNOWN_KEY), None).0,
        200
    );
    let (clean_exit, stdout, _) = server.stop();
    assert!(clean_exit);
    assert!(!stdout.contains("Created"), "{stdout}");
}

/// `hyperbank bench` against a server that lets one request of the organization in at a
/// time: the refusals (429, after which the server closes the connection) are counted by
/// status, each connection is reopened and goes on, and payments still get through. A bench
/// that kept writing to a closed connection would report a flood of `io` errors instead.
#[actix_web::test]
async fn bench_counts_refusals_and_reopens_the_connections_the_server_closes() {
    let (backend, _guard) = fresh_database().await;
    let url = database_url(&backend);
    let server = Server::start_with(
        &url,
        Some(KNOWN_KEY),
        &[("HYPERBANK_ORGANIZATION_IN_FLIGHT", "1")],
    );
    let bench = Command::new(BIN)
        .args(["bench", "--key", KNOWN_KEY, "--scenario", "payments"])
        .args(["--connections", "4", "--duration", "2", "--warmup", "0"])
        .args(["--url", &format!("http://127.0.0.1:{}", server.port)])
        .output()
        .unwrap_or_else(|e| panic!("run the bench: {e}"));
    let (stopped, _, log) = server.stop();
    assert!(stopped, "{log}");
    let stdout = String::from_utf8_lossy(&bench.stdout);
    let stderr = String::from_utf8_lossy(&bench.stderr);
    assert!(bench.status.success(), "{stdout}\n{stderr}");
    let report = json_of(&stdout);
    let errors = report["errors"].as_object().cloned().unwrap_or_default();
    assert!(
        errors.get("429").and_then(Value::as_u64).unwrap_or(0) > 0,
        "{report}"
    );
    assert_eq!(errors.keys().collect::<Vec<_>>(), ["429"], "{report}");
    assert!(report["payments"].as_u64().unwrap_or(0) > 0, "{report}");
    // Every answer is a payment's creation or submission, or a refusal of one.
    let requests = report["requests"].as_u64().unwrap_or(0);
    let refused = errors["429"].as_u64().unwrap_or(0);
    assert!(
        requests >= 2 * report["payments"].as_u64().unwrap_or(0) + refused,
        "{report}"
    );
}

/// A server that goes away while the bench warms up ends the bench's connections there and
/// then, with the failures in its figures: a bench that kept retrying would go on for the
/// whole ten-minute warm-up.
#[actix_web::test]
async fn bench_stops_when_the_server_goes_away_during_the_warm_up() {
    let (backend, _guard) = fresh_database().await;
    let url = database_url(&backend);
    let mut server = Server::start(&url, Some(KNOWN_KEY));
    let mut bench = Command::new(BIN)
        .args(["bench", "--key", KNOWN_KEY, "--scenario", "index"])
        .args(["--connections", "2", "--duration", "1", "--warmup", "600"])
        .args(["--url", &format!("http://127.0.0.1:{}", server.port)])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run the bench: {e}"));
    // Let it get through its preparation and into the warm-up.
    std::thread::sleep(Duration::from_secs(2));
    let _ = server.child.kill();
    let _ = server.child.wait();
    let deadline = Instant::now() + Duration::from_secs(60);
    while bench.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = bench.kill();
            panic!("the bench went on warming up against a server that is gone");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut stdout = String::new();
    if let Some(mut pipe) = bench.stdout.take() {
        let _ = pipe.read_to_string(&mut stdout);
    }
    let report = json_of(&stdout);
    assert!(
        report["errors"]["io"].as_u64().unwrap_or(0) > 100,
        "{stdout}"
    );
    assert_eq!(report["requests"], 0, "{stdout}");
}

#[actix_web::test]
async fn bootstrap_and_migrate_commands() {
    let (backend, _guard) = fresh_database().await;
    let url = database_url(&backend);
    let migrate = Command::new(BIN)
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let output = Command::new(BIN)
        .args([
            "bootstrap",
            "--organization-name",
            "Acme Ltd",
            "--email",
            "founder@acme.test",
            "--json",
        ])
        .env("DATABASE_URL", &url)
        .env("HYPERBANK_BOOTSTRAP_PASSWORD", "founder password")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    for field in [
        "organization-url",
        "user-url",
        "api-key-url",
        "api-key-secret",
    ] {
        assert!(report[field].as_str().is_some(), "{field} in {report}");
    }
    let secret = report["api-key-secret"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let bad = Command::new(BIN)
        .args([
            "bootstrap",
            "--organization-name",
            "",
            "--email",
            "founder@acme.test",
        ])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!bad.status.success());

    let server = Server::start(&url, None);
    let organization_url = report["organization-url"].as_str().unwrap_or_default();
    let (status, organization) = http(server.port, "GET", organization_url, Some(&secret), None);
    assert_eq!(status, 200);
    assert!(
        organization.contains("\"display-name\":\"Acme Ltd\""),
        "{organization}"
    );
    let (status, user) = http(
        server.port,
        "GET",
        report["user-url"].as_str().unwrap_or_default(),
        Some(&secret),
        None,
    );
    assert_eq!(status, 200);
    assert!(user.contains("founder@acme.test"));
    // `--password` (here through its environment variable) lets the founder log in.
    let (status, session) = http(
        server.port,
        "POST",
        "/v0/session",
        None,
        Some(r#"{"user-email": "founder@acme.test", "password": "founder password"}"#),
    );
    assert_eq!(status, 201, "{session}");
    assert!(session.contains("g-session-"));
    let (clean_exit, stdout, _) = server.stop();
    assert!(clean_exit);
    assert!(
        !stdout.contains("Created"),
        "a non-empty database is not bootstrapped: {stdout}"
    );
}

/// The real server moves verifications on by itself: a client polling every second with the
/// default settings sees `checks-complete` within 5 s.
#[actix_web::test]
async fn the_served_worker_completes_verifications() {
    let (backend, _guard) = fresh_database().await;
    let url = database_url(&backend);
    let server = Server::start(&url, Some(KNOWN_KEY));
    let (_, index) = http(server.port, "GET", "/v0/index", Some(KNOWN_KEY), None);
    let index: Value = serde_json::from_str(&index).unwrap_or_default();
    let organization_url = index["organization-url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let person = r#"{"display-name": "Ada", "legal-person-type": "individual", "claims": [
        {"claim-type": "individual-identity", "given-name": "Ada", "surname": "Lovelace", "date-of-birth": "1815-12-10"},
        {"claim-type": "individual-residence", "building-number": "12", "street-name": "Argyle Street", "city": "London", "postal-code": "EC2V 9AN", "country-code": "GB"},
        {"claim-type": "contact-details", "email-address": "ada@example.com"},
        {"claim-type": "mobile-number", "mobile-number": "+447700900000"}]}"#;
    let (status, created) = http(
        server.port,
        "POST",
        &format!("{organization_url}/legal-persons"),
        Some(KNOWN_KEY),
        Some(person),
    );
    assert_eq!(status, 201, "{created}");
    let created: Value = serde_json::from_str(&created).unwrap_or_default();
    let (_, workflows) = http(
        server.port,
        "GET",
        &format!("{organization_url}/workflows"),
        Some(KNOWN_KEY),
        None,
    );
    let workflows: Value = serde_json::from_str(&workflows).unwrap_or_default();
    let workflow = workflows["workflows"]
        .as_array()
        .and_then(|w| {
            w.iter()
                .find(|x| x["display-name"] == "Sample individual workflow")
        })
        .and_then(|w| w["workflow-url"].as_str())
        .unwrap_or_default()
        .to_string();
    let (status, started) = http(
        server.port,
        "POST",
        &format!(
            "{}/verifications",
            created["legal-person-url"].as_str().unwrap_or_default()
        ),
        Some(KNOWN_KEY),
        Some(&format!(r#"{{"workflow-url": "{workflow}"}}"#)),
    );
    assert_eq!(status, 201, "{started}");
    let started: Value = serde_json::from_str(&started).unwrap_or_default();
    let verification_url = started["verification-url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        let (_, polled) = http(server.port, "GET", &verification_url, Some(KNOWN_KEY), None);
        let polled: Value = serde_json::from_str(&polled).unwrap_or_default();
        let status = polled["verification-status"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if status == "checks-complete" || Instant::now() > deadline {
            break status;
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    assert_eq!(status, "checks-complete");
    let (clean_exit, _, _) = server.stop();
    assert!(clean_exit);
}

/// Sends inbound payments of 1.00 … to the accounts in turn, each remembered once the
/// server acknowledged it (201), until the server goes away.
fn pay_until_gone(port: u16, accounts: Vec<String>, worker: usize) -> Vec<(String, String, i64)> {
    let mut acknowledged = Vec::new();
    for n in 0.. {
        let account = &accounts[n % accounts.len()];
        let pence = 100 + (worker as i64) * 1000 + n as i64;
        let body = format!(
            r#"{{"payment-amount": {{"currency": "GBP", "value": "{}.{:02}"}}}}"#,
            pence / 100,
            pence % 100
        );
        let path = format!(
            "/v0/simulation/bank/accounts/{}/inbound-payments",
            account.rsplit('/').next().unwrap_or_default()
        );
        let result =
            std::panic::catch_unwind(|| http(port, "POST", &path, Some(KNOWN_KEY), Some(&body)));
        match result {
            Ok((201, created)) => {
                let created: Value = serde_json::from_str(&created).unwrap_or_default();
                let url = created["payment-url"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                acknowledged.push((account.clone(), url, pence));
            }
            _ => return acknowledged,
        }
    }
    acknowledged
}

fn verify_ledger(url: &str) -> (bool, String) {
    let output = Command::new(BIN)
        .arg("verify-ledger")
        .env("DATABASE_URL", url)
        .output()
        .unwrap_or_else(|e| panic!("verify-ledger: {e}"));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[actix_web::test]
async fn sigkill_under_load_loses_no_acknowledged_payment() {
    let (backend, _guard) = fresh_database().await;
    let url = database_url(&backend);
    let server = Server::start(&url, Some(KNOWN_KEY));
    let port = server.port;
    let (_, index) = http(port, "GET", "/v0/index", Some(KNOWN_KEY), None);
    let index: Value = serde_json::from_str(&index).unwrap_or_default();
    let organization_url = index["organization-url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (_, list) = http(
        port,
        "GET",
        &format!("{organization_url}/bank/accounts"),
        Some(KNOWN_KEY),
        None,
    );
    let list: Value = serde_json::from_str(&list).unwrap_or_default();
    let mut accounts = vec![
        list["accounts"][0]["account-url"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    ];
    for name in ["Second", "Third"] {
        let (status, opened) = http(
            port,
            "POST",
            &format!("{organization_url}/bank/accounts"),
            Some(KNOWN_KEY),
            Some(&format!(
                r#"{{"bank-product-type": "operational-account", "display-name": "{name}"}}"#
            )),
        );
        assert_eq!(status, 201, "{opened}");
        let opened: Value = serde_json::from_str(&opened).unwrap_or_default();
        accounts.push(
            opened["account-url"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    // Wait for the worker to open them (and credit their test money).
    let deadline = Instant::now() + Duration::from_secs(10);
    for account in &accounts {
        loop {
            let (_, shown) = http(port, "GET", account, Some(KNOWN_KEY), None);
            let shown: Value = serde_json::from_str(&shown).unwrap_or_default();
            if shown["account-balance"]["value"] == "1000.00" {
                break;
            }
            assert!(Instant::now() < deadline, "account not opened: {shown}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let payers: Vec<_> = (0..6)
        .map(|worker| {
            let accounts = accounts.clone();
            std::thread::spawn(move || pay_until_gone(port, accounts, worker))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    // SIGKILL: no shutdown, no flushing, whatever was in flight is cut off.
    let mut child = server.child;
    child.kill().unwrap_or_else(|e| panic!("kill: {e}"));
    let _ = child.wait();
    let acknowledged: Vec<(String, String, i64)> = payers
        .into_iter()
        .flat_map(|p| p.join().unwrap_or_default())
        .collect();
    assert!(
        acknowledged.len() > 20,
        "only {} payments before the kill",
        acknowledged.len()
    );

    let (ok, report) = verify_ledger(&url);
    assert!(ok, "{report}");
    let server = Server::start(&url, None);
    for (_, payment_url, pence) in &acknowledged {
        let (status, payment) = http(server.port, "GET", payment_url, Some(KNOWN_KEY), None);
        assert_eq!(status, 200, "acknowledged payment lost: {payment_url}");
        let payment: Value = serde_json::from_str(&payment).unwrap_or_default();
        assert_eq!(
            payment["payment-amount"]["value"],
            format!("{}.{:02}", pence / 100, pence % 100)
        );
    }
    for account in &accounts {
        let mine: i64 = acknowledged
            .iter()
            .filter(|(a, _, _)| a == account)
            .map(|(_, _, pence)| pence)
            .sum();
        let (_, shown) = http(server.port, "GET", account, Some(KNOWN_KEY), None);
        let shown: Value = serde_json::from_str(&shown).unwrap_or_default();
        let balance: f64 = shown["account-balance"]["value"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let balance = (balance * 100.0).round() as i64;
        // At least what was acknowledged; at most that and one cut-off payment per payer.
        assert!(
            balance >= 100_000 + mine,
            "{account}: {balance} < {}",
            100_000 + mine
        );
        assert!(
            balance <= 100_000 + mine + 6 * 10_000,
            "{account}: {balance}"
        );
    }
    let (stopped, _, _) = server.stop();
    assert!(stopped);

    // A ledger edited behind its back fails the check, naming the account.
    let db = hyperbank::store::Db::connect(&backend, &hyperbank::store::PoolOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let id = accounts[1]
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let mut tx = db.write().await.unwrap_or_else(|e| panic!("{e}"));
    let result = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use hyperbank::store::schema::bank_accounts;
        hyperbank::dispatch!(&mut tx.conn(), c => diesel::update(bank_accounts::table.find(&id))
            .set(bank_accounts::balance.eq(bank_accounts::balance - 1))
            .execute(c)
            .await)
    };
    tx.finish(result).await.unwrap_or_else(|e| panic!("{e}"));
    let (ok, report) = verify_ledger(&url);
    assert!(!ok);
    assert!(report.contains(&format!("BREACH {id}")), "{report}");
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_default()
}

/// Two `serve` processes on one PostgreSQL database share 100 concurrent submissions of
/// 30.00 from an account holding 1000.00: exactly 33 are paid, whichever process took them,
/// and each is delivered once by the two workers. (SQLite is for one process: skipped there.)
#[actix_web::test]
async fn two_servers_on_one_postgres_database_pay_exactly_what_is_there() {
    let (backend, _guard) = fresh_database().await;
    if !matches!(backend, hyperbank::store::Backend::Postgres(_)) {
        return;
    }
    let url = database_url(&backend);
    let first = Server::start(&url, Some(KNOWN_KEY));
    let second = Server::start(&url, None);
    let ports = [first.port, second.port];
    let (_, index) = http(ports[0], "GET", "/v0/index", Some(KNOWN_KEY), None);
    let organization_url = json_of(&index)["organization-url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (status, opened) = http(
        ports[0],
        "POST",
        &format!("{organization_url}/bank/accounts"),
        Some(KNOWN_KEY),
        Some(r#"{"bank-product-type": "operational-account", "display-name": "Shared"}"#),
    );
    assert_eq!(status, 201, "{opened}");
    let account = json_of(&opened)["account-url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    while json_of(&http(ports[1], "GET", &account, Some(KNOWN_KEY), None).1)["account-balance"]["value"]
        != "1000.00"
    {
        assert!(Instant::now() < deadline, "the account did not open");
        std::thread::sleep(Duration::from_millis(50));
    }
    let body = r#"{"creditor": {"creditor-type": "uk-domestic", "account-holder": "Ext Ltd",
        "account-number": "11112222", "bank-id": "203040"},
        "payment-amount": {"currency": "GBP", "value": "30.00"}}"#;
    let payments: Vec<String> = (0..100)
        .map(|n| {
            let (status, created) = http(
                ports[n % 2],
                "POST",
                &format!("{account}/payments"),
                Some(KNOWN_KEY),
                Some(body),
            );
            assert_eq!(status, 201, "{created}");
            json_of(&created)["payment-url"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let submitters: Vec<_> = payments
        .into_iter()
        .enumerate()
        .map(|(n, payment)| {
            std::thread::spawn(move || {
                // A 429 (too many submissions in flight) is retried, as a client would.
                loop {
                    let (status, answer) = http(
                        ports[n % 2],
                        "POST",
                        &format!("{payment}/submissions"),
                        Some(KNOWN_KEY),
                        Some(r#"{"payment-scheme": "fps"}"#),
                    );
                    if status != 429 {
                        return (status, json_of(&answer));
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        })
        .collect();
    let answers: Vec<(u16, Value)> = submitters
        .into_iter()
        .map(|t| t.join().unwrap_or((0, Value::Null)))
        .collect();
    let paid = answers.iter().filter(|(s, _)| *s == 200).count();
    let short = answers
        .iter()
        .filter(|(s, a)| *s == 422 && a["errors"][0]["title"] == "insufficient-funds")
        .count();
    assert_eq!((paid, short), (33, 67), "{answers:?}");
    let shown = json_of(&http(ports[1], "GET", &account, Some(KNOWN_KEY), None).1);
    assert_eq!(shown["account-balance"]["value"], "10.00");
    // Both workers deliver fps submissions; each is delivered exactly once.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, delivered) = http(
            ports[0],
            "GET",
            &format!(
                "{account}/submissions?filter[submission-status][in][]=delivered&page[size]=200"
            ),
            Some(KNOWN_KEY),
            None,
        );
        let count = json_of(&delivered)["submissions"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0);
        if count == 33 {
            break;
        }
        assert!(Instant::now() < deadline, "{count} of 33 delivered");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (_, updates) = http(
        ports[1],
        "GET",
        &format!(
            "{organization_url}/events?filter[event-type][eq]=submission-updated&page[size]=200"
        ),
        Some(KNOWN_KEY),
        None,
    );
    let mut delivered: Vec<String> = json_of(&updates)["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|e| {
            e["event-payload"]["submission-url"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert_eq!(delivered.len(), 33);
    delivered.sort();
    delivered.dedup();
    assert_eq!(delivered.len(), 33, "a submission was delivered twice");
    let (first_stopped, _, _) = first.stop();
    let (second_stopped, _, _) = second.stop();
    assert!(first_stopped && second_stopped);
    let (ok, report) = verify_ledger(&url);
    assert!(ok, "{report}");
}
