//! Clients that send a body slowly are cut off, and do not keep their organization's
//! in-flight slots meanwhile.

use std::time::Duration;

use actix_web::http::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Json, TestApp};

#[actix_web::test]
async fn a_body_that_trickles_is_cut_off_and_frees_its_slot() {
    let app = TestApp::with_settings(hyperbank::config::Settings {
        body_timeout: Duration::from_secs(2),
        organization_in_flight: 1,
        ..Default::default()
    })
    .await;
    let keys = format!("{}/api-keys", app.organization_url);
    let before = app.get(&keys).await.body.array_at("api-keys").len();
    let (port, server) = app.listen();
    let mut slow = TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"));
    let head = format!(
        "POST {keys} HTTP/1.1\r\nHost: localhost\r\nAuthorization: GriffinAPIKey {}\r\n\
         Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{{",
        app.key
    );
    slow.write_all(head.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("write: {e}"));

    // While it trickles it holds the organization's one slot (polled: the server takes the
    // slot once it has read the headers, which a loaded machine may take a moment to do)…
    let mut refused = app.get(&keys).await;
    for _ in 0..50 {
        if refused.status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        refused = app.get(&keys).await;
    }
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert_eq!(refused.header("retry-after"), Some("1"));

    // …until the deadline: 408 with our error body, and the connection is closed.
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "still open after 10 s");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request-timeout"), "{answer}");

    // The slot is free again, and nothing was made.
    let after = app.get(&keys).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.body);
    assert_eq!(after.body.array_at("api-keys").len(), before);
    let made = app
        .post(&keys, json!({"api-key-name": "after-the-slow-one"}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    server.stop(false).await;
}
