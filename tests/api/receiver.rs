//! A webhook receiver on a real loopback port: records every request it gets and answers
//! with the status a test sets. It can be stopped and started again on the same port, as a
//! receiver that crashes and comes back.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e})"))
    }
}

#[derive(Clone, Default)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

pub struct Receiver {
    pub port: u16,
    shared: Shared,
    handle: Option<ServerHandle>,
}

impl Receiver {
    /// A receiver on a free port, answering 200.
    pub async fn start() -> Receiver {
        let shared = Shared::default();
        shared.status.store(200, Ordering::SeqCst);
        let (port, handle) = serve(shared.clone(), 0);
        Receiver {
            port,
            shared,
            handle: Some(handle),
        }
    }

    /// Where it listens, on `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Answers every later request with `status`.
    pub fn answer(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .unwrap_or_else(|e| panic!("receiver lock: {e}"))
            .clone()
    }

    /// Stops listening: connections are refused until [`Receiver::restart`].
    pub async fn stop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.stop(false).await;
        }
    }

    pub async fn restart(&mut self) {
        self.stop().await;
        let (_, handle) = serve(self.shared.clone(), self.port);
        self.handle = Some(handle);
    }
}

fn serve(shared: Shared, port: u16) -> (u16, ServerHandle) {
    let data = web::Data::new(shared);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(record))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", port))
    .unwrap_or_else(|e| panic!("receiver cannot listen on {port}: {e}"));
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (port, handle)
}

async fn record(shared: web::Data<Shared>, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                value.to_str().unwrap_or("(not text)").to_string(),
            )
        })
        .collect();
    shared
        .received
        .lock()
        .unwrap_or_else(|e| panic!("receiver lock: {e}"))
        .push(Received {
            method: request.method().to_string(),
            path: request.path().to_string(),
            headers,
            body: body.to_vec(),
        });
    let status = shared.status.load(Ordering::SeqCst);
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or_else(|e| panic!("status {status}: {e}")),
    )
    .finish()
}
