//! One delivery attempt: the event POSTed as Griffin sends it (`{event-url, event-type,
//! event-payload, created-at}`), signed, with a timeout, no redirects and no proxy. Live-mode
//! destinations connect only to public addresses, checked again at each connection, so a name
//! that resolves to a private address later (DNS rebinding) still gets nowhere.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, DATE, HeaderMap, HeaderName, HeaderValue};

use super::deliveries::{Claimed, DeliveryError, Outcome};
use super::destination::is_public;
use super::signature::{self, SignedHeaders};
use crate::events::EventView;
use crate::organizations::OrganizationMode;
use crate::signing_keys::SigningKey;
use crate::time::{self, Micros};

/// The HTTP clients of both modes.
pub struct Sender {
    sandbox: reqwest::Client,
    live: reqwest::Client,
}

impl Sender {
    pub fn new(timeout: Duration) -> Result<Self, reqwest::Error> {
        let builder = || {
            reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .user_agent(concat!("hyperbank-webhooks/", env!("CARGO_PKG_VERSION")))
        };
        Ok(Sender {
            sandbox: builder().build()?,
            live: builder()
                .dns_resolver(std::sync::Arc::new(PublicOnly))
                .https_only(true)
                .build()?,
        })
    }

    /// Makes the claimed attempt with `key` and says how it went.
    pub async fn send(&self, key: &SigningKey, claimed: &Claimed) -> Outcome {
        let started_at = time::now();
        let clock = Instant::now();
        let (http_status, error) = match self.post(key, claimed, started_at).await {
            Ok(status) if (200..300).contains(&status) => (Some(status), None),
            Ok(status) => (Some(status), Some(DeliveryError::InvalidResponse)),
            Err(error) => (None, Some(error)),
        };
        Outcome {
            started_at,
            duration_micros: i64::try_from(clock.elapsed().as_micros()).unwrap_or(i64::MAX),
            http_status,
            error,
        }
    }

    async fn post(
        &self,
        key: &SigningKey,
        claimed: &Claimed,
        now: Micros,
    ) -> Result<u16, DeliveryError> {
        let url =
            url::Url::parse(&claimed.destination_url).map_err(|_| DeliveryError::InternalError)?;
        let body = serde_json::to_vec(&EventView::new(claimed.event.clone()))
            .map_err(|_| DeliveryError::InternalError)?;
        let signed = signature::sign(key, &url, &body, now).map_err(|error| {
            tracing::error!(%error, "cannot sign a webhook");
            DeliveryError::InternalError
        })?;
        let client = match claimed.mode {
            OrganizationMode::TestMode => &self.sandbox,
            OrganizationMode::LiveMode => &self.live,
        };
        let response = client
            .post(url)
            .headers(headers(&signed)?)
            .body(body)
            .send()
            .await
            .map_err(|error| classify(&error))?;
        let status = response.status().as_u16();
        // Read the answer so the connection can be kept; what it says does not matter.
        let _ = response.bytes().await;
        Ok(status)
    }
}

fn headers(signed: &SignedHeaders) -> Result<HeaderMap, DeliveryError> {
    let value = |text: &str| HeaderValue::from_str(text).map_err(|_| DeliveryError::InternalError);
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(signature::CONTENT_TYPE),
    );
    headers.insert(DATE, value(&signed.date)?);
    headers.insert(
        HeaderName::from_static("content-digest"),
        value(&signed.content_digest)?,
    );
    headers.insert(
        HeaderName::from_static("signature-input"),
        value(&signed.signature_input)?,
    );
    headers.insert(
        HeaderName::from_static("signature"),
        value(&signed.signature)?,
    );
    Ok(headers)
}

/// Griffin's error code for a request that got no answer.
fn classify(error: &reqwest::Error) -> DeliveryError {
    if error.is_timeout() {
        return DeliveryError::Timeout;
    }
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = source {
        let text = current.to_string();
        if text.contains("dns error") || text.contains(NO_PUBLIC_ADDRESS) {
            return DeliveryError::UnknownHost;
        }
        source = current.source();
    }
    DeliveryError::UnknownError
}

const NO_PUBLIC_ADDRESS: &str = "resolves to no public address";

/// Resolves names to their public addresses only (live mode).
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = found.filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{} {NO_PUBLIC_ADDRESS}", name.as_str()).into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(addresses)
        })
    }
}
