//! hyperbank: a self-hosted server for the Griffin v0 banking API.
//!
//! [`app`] builds the actix application from an [`AppState`]; the binary and the tests share
//! it, so the tests exercise exactly what is served.

pub mod access;
pub mod api_keys;
pub mod bank_accounts;
pub mod bank_products;
pub mod bootstrap;
pub mod claims;
pub mod companies_house;
pub mod config;
pub mod cop;
pub mod decisions;
pub mod error;
pub mod events;
pub mod groups;
pub mod health;
pub mod holds;
pub mod http;
pub mod ids;
pub mod invitations;
pub mod ledger;
pub mod legal_persons;
pub mod memberships;
pub mod message_signatures;
pub mod money;
pub mod navigation;
pub mod onboarding;
pub mod organizations;
pub mod paging;
pub mod payees;
pub mod payments;
pub mod pipeline;
pub mod pool_members;
pub mod provision;
pub mod restrictions;
pub mod roles;
pub mod routes;
pub mod sessions;
pub mod signing_keys;
pub mod simulation;
pub mod store;
pub mod submissions;
pub mod tell_consents;
pub mod time;
pub mod urls;
pub mod users;
pub mod verifications;
pub mod webhooks;
pub mod worker;
pub mod workflows;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpMessage, web};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder, TracingLogger};

use crate::store::Db;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: time::Clock,
    pub settings: config::Settings,
    pub limits: http::limits::Limits,
    /// The background worker's, for `GET /readyz`.
    pub heartbeat: worker::Heartbeat,
}

impl AppState {
    pub fn new(db: Db, settings: config::Settings) -> Self {
        AppState {
            limits: http::limits::Limits::new(
                settings.organization_in_flight,
                settings.account_submissions_in_flight,
            ),
            db,
            clock: time::Clock::default(),
            settings,
            heartbeat: worker::Heartbeat::default(),
        }
    }

    /// The background worker over the same store, clock and settings.
    pub fn worker(&self) -> worker::Worker {
        worker::Worker {
            db: self.db.clone(),
            clock: self.clock.clone(),
            settings: self.settings.clone(),
            heartbeat: self.heartbeat.clone(),
        }
    }
}

/// The application: routes, our error bodies for unknown paths and methods, content
/// negotiation, request ids and request logs.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let body_deadline = http::json::BodyDeadline(state.settings.body_timeout);
    App::new()
        .app_data(state)
        .app_data(web::Data::new(body_deadline))
        .app_data(web::Data::new(routes::offers()))
        .configure(routes::configure)
        .default_service(web::to(http::unknown_route))
        .wrap(from_fn(message_signatures::handlers::buffer_signed_body))
        .wrap(from_fn(http::negotiate))
        .wrap(from_fn(request_id_header))
        .wrap(TracingLogger::<RequestSpan>::new())
}

/// The span of each request, logged when it closes: one line with method, path, status,
/// request id and time. Kept to these few fields (tracing-actix-web's default records a
/// dozen), since formatting it is a real share of a request's cost. Never headers, so never
/// a secret.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request.extensions().get::<RequestId>().copied();
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = request.path(),
            status = tracing::field::Empty,
            request_id = tracing::field::display(DisplayOption(request_id)),
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        span.record("status", status.as_u16());
    }
}

struct DisplayOption<T>(Option<T>);

impl<T: std::fmt::Display> std::fmt::Display for DisplayOption<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(value) => value.fmt(f),
            None => Ok(()),
        }
    }
}

/// Echoes the request id that the request log carries as `x-request-id`, so a client can
/// quote it when reporting a problem.
async fn request_id_header(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = request.extensions().get::<RequestId>().copied();
    let mut response = next.call(request).await?;
    if let Some(id) = request_id
        && let Ok(value) = HeaderValue::from_str(&id.to_string())
    {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}
