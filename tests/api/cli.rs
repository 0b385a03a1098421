//! The real binary: `serve` bootstraps once and stops cleanly on SIGTERM, `bootstrap` and
//! `migrate` work, and no secret reaches the log.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Json, check_response, database_url, fresh_database, id_of};

const BIN: &str = env!("CARGO_BIN_EXE_hyperbank");
pub(crate) const KNOWN_KEY: &str = "g-test-ci-RrUZ5fUG4pSKwYVVG1C3Ft1xrMRxy1T7KUIyTva5bTk";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// An answer of the real server, as read off the wire.
struct Raw {
    status: u16,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// An answer of the real server, checked like every answer the in-process tests see
/// (`support::check_response`: no 5xx, our error body, both contracts).
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Value,
}

/// One request over a new connection (a minimal HTTP/1.1 client, enough to talk to our own
/// server). `Err` when the server is not there, does not answer in time, or its answer is cut
/// off: what a server that goes away looks like.
fn exchange(
    port: u16,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> std::io::Result<Raw> {
    use std::io::{Error, ErrorKind};
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if let Some(key) = key {
        request.push_str(&format!("Authorization: GriffinAPIKey {key}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or(""));
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let cut_off = |what: &str| Error::new(ErrorKind::UnexpectedEof, what.to_string());
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| cut_off("no complete head"))?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let body = response[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.strip_prefix("HTTP/1.1 "))
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| Error::new(ErrorKind::InvalidData, format!("not HTTP: {head}")))?;
    let mut content_type = None;
    let mut length = None;
    for line in lines {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        match name.to_ascii_lowercase().as_str() {
            "content-type" => content_type = Some(value.trim().to_string()),
            "content-length" => length = value.trim().parse::<usize>().ok(),
            "transfer-encoding" => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("this client reads sized bodies only: {head}"),
                ));
            }
            _ => {}
        }
    }
    if body.len() != length.unwrap_or(0) {
        return Err(cut_off("a body shorter or longer than its Content-Length"));
    }
    Ok(Raw {
        status,
        content_type,
        body,
    })
}

impl Raw {
    /// Checks the answer to `method path` as every answer is checked.
    #[track_caller]
    fn checked(self, method: &str, path: &str) -> Reply {
        let path = path.split('?').next().unwrap_or(path);
        let body = check_response(
            method,
            path,
            self.status,
            self.content_type.as_deref(),
            &self.body,
        );
        Reply {
            status: self.status,
            body,
        }
    }
}

/// [`exchange`] with a server that must be there, its answer checked.
#[track_caller]
pub(crate) fn http(
    port: u16,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> Reply {
    exchange(port, method, path, key, body)
        .unwrap_or_else(|e| panic!("{method} {path}: no answer from the server: {e}"))
        .checked(method, path)
}

/// An amount as pence: `"1234.56"` → 123456 (exact, never through a float).
#[track_caller]
fn pence(value: &str) -> i64 {
    let parsed = value
        .split_once('.')
        .filter(|(_, decimals)| decimals.len() == 2)
        .and_then(|(units, decimals)| {
            Some(units.parse::<i64>().ok()? * 100 + decimals.parse::<i64>().ok()?)
        });
    parsed.unwrap_or_else(|| panic!("{value:?} is not an amount with two decimals"))
}

pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
    /// What the server prints, read as it comes: an undrained pipe fills up (64 KiB of debug
    /// log) and stalls the server's log writer, which then drops lines. Taken by `stop`.
    stdout: Option<std::thread::JoinHandle<String>>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    let mut pipe = pipe.expect("the child's output is piped");
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        pipe.read_to_end(&mut bytes)
            .unwrap_or_else(|e| panic!("reading the server's output: {e}"));
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The text a drain thread read; its panic, if it had one, is this test's.
fn drained(handle: Option<std::thread::JoinHandle<String>>) -> String {
    handle
        .expect("the output is read once")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

impl Drop for Server {
    /// A test that fails half-way leaves no server behind. (After `stop` or a kill the child
    /// has exited already, and these do nothing.)
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub(crate) fn start(database_url: &str, bootstrap_key: Option<&str>) -> Server {
        Server::start_with(database_url, bootstrap_key, &[])
    }

    /// [`Server::start`] with extra environment settings.
    pub(crate) fn start_with(
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
            stdout: Some(stdout),
            stderr: Some(stderr),
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
    pub(crate) fn stop(mut self) -> (bool, String, String) {
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap_or_else(|e| panic!("kill -TERM: {e}"));
        assert!(sent.success(), "kill -TERM {} failed", self.child.id());
        let status = self.child.wait().unwrap_or_else(|e| panic!("wait: {e}"));
        let stdout = drained(self.stdout.take());
        let stderr = drained(self.stderr.take());
        (status.success(), stdout, stderr)
    }

    /// SIGKILL: no shutdown, no flushing, whatever was in flight is cut off.
    pub(crate) fn kill(&mut self) {
        self.child
            .kill()
            .unwrap_or_else(|e| panic!("kill the server: {e}"));
        self.child
            .wait()
            .unwrap_or_else(|e| panic!("wait for the server: {e}"));
    }
}

#[actix_web::test]
async fn serve_bootstraps_an_empty_database_once_and_stops_cleanly() {
    let (backend, _guard) = fresh_database().await;
    let url = database_url(&backend);

    let server = Server::start(&url, Some(KNOWN_KEY));
    assert_eq!(http(server.port, "GET", "/v0/ping", None, None).status, 204);
    let index = http(server.port, "GET", "/v0/index", Some(KNOWN_KEY), None);
    assert_eq!(index.status, 200, "{}", index.body);
    let organization_url = index.body.string_at("organization-url");
    let organization = http(server.port, "GET", &organization_url, Some(KNOWN_KEY), None);
    assert_eq!(organization.status, 200, "{}", organization.body);
    assert_eq!(organization.body["display-name"], "Sandbox");
    let created = http(
        server.port,
        "POST",
        &format!("{organization_url}/api-keys"),
        Some(KNOWN_KEY),
        Some(r#"{"api-key-name": "second"}"#),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let second_secret = created.body.string_at("api-key-secret");
    assert_eq!(
        http(server.port, "GET", "/v0/index", Some(&second_secret), None).status,
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
        http(server.port, "GET", "/v0/index", Some(KNOWN_KEY), None).status,
        200
    );
    let (clean_exit, stdout, _) = server.stop();
    assert!(clean_exit);
    assert!(!stdout.contains("Created"), "{stdout}");
}

/// The bench's JSON report, or the test fails showing what the bench printed.
#[track_caller]
fn report_of(stdout: &str) -> Value {
    serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("the bench's report is not JSON ({e}): {stdout}"))
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
    let report = report_of(&stdout);
    let errors = report
        .at("errors")
        .as_object()
        .unwrap_or_else(|| panic!("`errors` is not an object in {report}"));
    assert_eq!(errors.keys().collect::<Vec<_>>(), ["429"], "{report}");
    let refused = report.u64_at("errors/429");
    assert!(refused > 0, "{report}");
    let payments = report.u64_at("payments");
    assert!(payments > 0, "{report}");
    // Every answer is a payment's creation or submission, or a refusal of one.
    assert!(
        report.u64_at("requests") >= 2 * payments + refused,
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
    server.kill();
    let deadline = Instant::now() + Duration::from_secs(60);
    while bench
        .try_wait()
        .unwrap_or_else(|e| panic!("wait for the bench: {e}"))
        .is_none()
    {
        if Instant::now() > deadline {
            // Not left running after the test; the kill's own failure would change nothing.
            let _ = bench.kill();
            panic!("the bench went on warming up against a server that is gone");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut stdout = String::new();
    bench
        .stdout
        .take()
        .expect("the bench's stdout is piped")
        .read_to_string(&mut stdout)
        .unwrap_or_else(|e| panic!("read the bench's report: {e}"));
    let report = report_of(&stdout);
    assert!(report.u64_at("errors/io") > 100, "{stdout}");
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
    let secret = report.string_at("api-key-secret");

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
    let organization = http(
        server.port,
        "GET",
        report.str_at("organization-url"),
        Some(&secret),
        None,
    );
    assert_eq!(organization.status, 200, "{}", organization.body);
    assert_eq!(organization.body["display-name"], "Acme Ltd");
    let user = http(
        server.port,
        "GET",
        report.str_at("user-url"),
        Some(&secret),
        None,
    );
    assert_eq!(user.status, 200, "{}", user.body);
    assert_eq!(user.body["user-email"], "founder@acme.test");
    // `--password` (here through its environment variable) lets the founder log in.
    let session = http(
        server.port,
        "POST",
        "/v0/session",
        None,
        Some(r#"{"user-email": "founder@acme.test", "password": "founder password"}"#),
    );
    assert_eq!(session.status, 201, "{}", session.body);
    assert!(
        session
            .body
            .str_at("session-token")
            .starts_with("g-session-"),
        "{}",
        session.body
    );
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
    let organization_url = http(server.port, "GET", "/v0/index", Some(KNOWN_KEY), None)
        .body
        .string_at("organization-url");
    let person = r#"{"display-name": "Ada", "legal-person-type": "individual", "claims": [
        {"claim-type": "individual-identity", "given-name": "Ada", "surname": "Lovelace", "date-of-birth": "1815-12-10"},
        {"claim-type": "individual-residence", "building-number": "12", "street-name": "Argyle Street", "city": "London", "postal-code": "EC2V 9AN", "country-code": "GB"},
        {"claim-type": "contact-details", "email-address": "ada@example.com"},
        {"claim-type": "mobile-number", "mobile-number": "+447700900000"}]}"#;
    let created = http(
        server.port,
        "POST",
        &format!("{organization_url}/legal-persons"),
        Some(KNOWN_KEY),
        Some(person),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let workflows = http(
        server.port,
        "GET",
        &format!("{organization_url}/workflows"),
        Some(KNOWN_KEY),
        None,
    );
    let workflow = workflows
        .body
        .item_at("workflows", "display-name", "Sample individual workflow")
        .string_at("workflow-url");
    let started = http(
        server.port,
        "POST",
        &format!("{}/verifications", created.body.str_at("legal-person-url")),
        Some(KNOWN_KEY),
        Some(&format!(r#"{{"workflow-url": "{workflow}"}}"#)),
    );
    assert_eq!(started.status, 201, "{}", started.body);
    let verification_url = started.body.string_at("verification-url");
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        let polled = http(server.port, "GET", &verification_url, Some(KNOWN_KEY), None);
        assert_eq!(polled.status, 200, "{}", polled.body);
        let status = polled.body.string_at("verification-status");
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
/// server acknowledged it (201), until the server goes away: no answer, or one cut off.
/// Every complete answer is checked, and must be that 201.
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
            id_of(account)
        );
        let Ok(raw) = exchange(port, "POST", &path, Some(KNOWN_KEY), Some(&body)) else {
            return acknowledged;
        };
        let created = raw.checked("POST", &path);
        assert_eq!(created.status, 201, "{}", created.body);
        acknowledged.push((
            account.clone(),
            created.body.string_at("payment-url"),
            pence,
        ));
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

/// The result of a thread of this test; its panic, if it had one, is this test's.
fn joined<T>(thread: std::thread::JoinHandle<T>) -> T {
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[actix_web::test]
async fn sigkill_under_load_loses_no_acknowledged_payment() {
    let (backend, _guard) = fresh_database().await;
    let url = database_url(&backend);
    let mut server = Server::start(&url, Some(KNOWN_KEY));
    let port = server.port;
    let organization_url = http(port, "GET", "/v0/index", Some(KNOWN_KEY), None)
        .body
        .string_at("organization-url");
    let list = http(
        port,
        "GET",
        &format!("{organization_url}/bank/accounts"),
        Some(KNOWN_KEY),
        None,
    );
    let mut accounts = vec![list.body.string_at("accounts/0/account-url")];
    for name in ["Second", "Third"] {
        let opened = http(
            port,
            "POST",
            &format!("{organization_url}/bank/accounts"),
            Some(KNOWN_KEY),
            Some(&format!(
                r#"{{"bank-product-type": "operational-account", "display-name": "{name}"}}"#
            )),
        );
        assert_eq!(opened.status, 201, "{}", opened.body);
        accounts.push(opened.body.string_at("account-url"));
    }
    // Wait for the worker to open them (and credit their test money).
    let deadline = Instant::now() + Duration::from_secs(10);
    for account in &accounts {
        loop {
            let shown = http(port, "GET", account, Some(KNOWN_KEY), None);
            if shown.body["account-balance"]["value"] == "1000.00" {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "account not opened: {}",
                shown.body
            );
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
    server.kill();
    let acknowledged: Vec<(String, String, i64)> = payers.into_iter().flat_map(joined).collect();
    assert!(
        acknowledged.len() > 20,
        "only {} payments before the kill",
        acknowledged.len()
    );

    let (ok, report) = verify_ledger(&url);
    assert!(ok, "{report}");
    let server = Server::start(&url, None);
    for (_, payment_url, pence) in &acknowledged {
        let payment = http(server.port, "GET", payment_url, Some(KNOWN_KEY), None);
        assert_eq!(
            payment.status, 200,
            "acknowledged payment lost: {payment_url}"
        );
        assert_eq!(
            payment.body["payment-amount"]["value"],
            format!("{}.{:02}", pence / 100, pence % 100)
        );
    }
    for account in &accounts {
        let mine: i64 = acknowledged
            .iter()
            .filter(|(a, _, _)| a == account)
            .map(|(_, _, pence)| pence)
            .sum();
        let shown = http(server.port, "GET", account, Some(KNOWN_KEY), None);
        let balance = pence(shown.body.str_at("account-balance/value"));
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
    let id = id_of(&accounts[1]).to_string();
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
    let organization_url = http(ports[0], "GET", "/v0/index", Some(KNOWN_KEY), None)
        .body
        .string_at("organization-url");
    let opened = http(
        ports[0],
        "POST",
        &format!("{organization_url}/bank/accounts"),
        Some(KNOWN_KEY),
        Some(r#"{"bank-product-type": "operational-account", "display-name": "Shared"}"#),
    );
    assert_eq!(opened.status, 201, "{}", opened.body);
    let account = opened.body.string_at("account-url");
    let deadline = Instant::now() + Duration::from_secs(10);
    while http(ports[1], "GET", &account, Some(KNOWN_KEY), None).body["account-balance"]["value"]
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
            let created = http(
                ports[n % 2],
                "POST",
                &format!("{account}/payments"),
                Some(KNOWN_KEY),
                Some(body),
            );
            assert_eq!(created.status, 201, "{}", created.body);
            created.body.string_at("payment-url")
        })
        .collect();
    let submitters: Vec<_> = payments
        .into_iter()
        .enumerate()
        .map(|(n, payment)| {
            std::thread::spawn(move || {
                // A 429 (too many submissions in flight) is retried, as a client would.
                loop {
                    let answer = http(
                        ports[n % 2],
                        "POST",
                        &format!("{payment}/submissions"),
                        Some(KNOWN_KEY),
                        Some(r#"{"payment-scheme": "fps"}"#),
                    );
                    if answer.status != 429 {
                        return (answer.status, answer.body);
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        })
        .collect();
    let answers: Vec<(u16, Value)> = submitters.into_iter().map(joined).collect();
    let paid = answers.iter().filter(|(s, _)| *s == 200).count();
    let short = answers
        .iter()
        .filter(|(s, a)| *s == 422 && a["errors"][0]["title"] == "insufficient-funds")
        .count();
    assert_eq!((paid, short), (33, 67), "{answers:?}");
    let shown = http(ports[1], "GET", &account, Some(KNOWN_KEY), None);
    assert_eq!(shown.body["account-balance"]["value"], "10.00");
    // Both workers deliver fps submissions; each is delivered exactly once.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let delivered = http(
            ports[0],
            "GET",
            &format!(
                "{account}/submissions?filter[submission-status][in][]=delivered&page[size]=200"
            ),
            Some(KNOWN_KEY),
            None,
        );
        let count = delivered.body.array_at("submissions").len();
        if count == 33 {
            break;
        }
        assert!(Instant::now() < deadline, "{count} of 33 delivered");
        std::thread::sleep(Duration::from_millis(100));
    }
    let updates = http(
        ports[1],
        "GET",
        &format!(
            "{organization_url}/events?filter[event-type][eq]=submission-updated&page[size]=200"
        ),
        Some(KNOWN_KEY),
        None,
    );
    let mut delivered = updates
        .body
        .strs_at("events", "event-payload/submission-url");
    assert_eq!(delivered.len(), 33, "{}", updates.body);
    delivered.sort();
    delivered.dedup();
    assert_eq!(delivered.len(), 33, "a submission was delivered twice");
    let (first_stopped, _, _) = first.stop();
    let (second_stopped, _, _) = second.stop();
    assert!(first_stopped && second_stopped);
    let (ok, report) = verify_ledger(&url);
    assert!(ok, "{report}");
}
