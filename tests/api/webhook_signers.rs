//! Webhook signatures checked by implementations that are not ours (Python's
//! `http-message-signatures` and `cryptography`, installed by `tests/api/python.rs`).

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::receiver::{Received, Receiver};
use crate::support::TestApp;

/// Runs `tests/signers/verify_webhooks.py` on what `receiver` got, with the JWKS the server
/// publishes; fails the test unless every request verifies, and unless a request whose body
/// was changed after signing does not.
pub async fn verify_webhooks(app: &TestApp, receiver: &Receiver, received: &[Received]) {
    let (verified, report) = run_verifier(app, receiver, received).await;
    assert!(verified, "the independent verifier refused:\n{report}");
    assert_eq!(
        report
            .lines()
            .filter(|l| l.starts_with("verified "))
            .count(),
        received.len(),
        "{report}"
    );
    let mut tampered = received[0].clone();
    tampered.body = tampered.body.replace_one_digit();
    let (verified, report) = run_verifier(app, receiver, &[tampered]).await;
    assert!(!verified, "a changed body verified:\n{report}");
    assert!(report.contains("FAILED"), "{report}");
}

trait ReplaceOneDigit {
    fn replace_one_digit(self) -> Self;
}

impl ReplaceOneDigit for Vec<u8> {
    /// The same bytes with the first digit changed (`1` → `2`, others → `1`).
    fn replace_one_digit(mut self) -> Self {
        if let Some(byte) = self.iter_mut().find(|b| b.is_ascii_digit()) {
            *byte = if *byte == b'1' { b'2' } else { b'1' };
        }
        self
    }
}

/// Whether every request verified, and what the verifier printed.
async fn run_verifier(app: &TestApp, receiver: &Receiver, received: &[Received]) -> (bool, String) {
    let jwks = app
        .send(actix_web::test::TestRequest::get().uri("/v0/security/public-keys"))
        .await
        .body;
    let requests: Vec<_> = received
        .iter()
        .map(|request| {
            let headers: serde_json::Map<String, serde_json::Value> = request
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), json!(value)))
                .collect();
            json!({
                "method": request.method,
                "url": receiver.url(&request.path),
                "headers": headers,
                "body": String::from_utf8_lossy(&request.body),
            })
        })
        .collect();
    let input = json!({"jwks": jwks, "requests": requests}).to_string();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/signers/verify_webhooks.py"
    );
    let mut child = Command::new(crate::python::python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
    child
        .stdin
        .take()
        .unwrap_or_else(|| panic!("no stdin"))
        .write_all(input.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), report)
}
