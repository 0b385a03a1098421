//! Content negotiation. Every operation answers JSON; a few also answer another media type
//! (Griffin's Xero CSV of an account's transactions). The route table declares which
//! ([`Offers`]). [`negotiate`] runs before routing: it picks, among what the requested
//! operation offers, the representation the `Accept` header prefers, or answers 406, and
//! leaves its choice in the request for the handler to read ([`Representation`]).
//!
//! The choice follows RFC 9110 §12.5.1: each offered type takes the quality of the most
//! specific range that matches it (`type/subtype` over `type/*` over `*/*`); the highest
//! quality above zero wins. On equal quality the type named by a more specific range wins,
//! then the one whose range comes first in the header (a client listing JSON after the CSV
//! type wants JSON only as a fallback), then JSON. No `Accept` header means JSON.

use std::future::{Ready, ready};

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::error::ApiError;

pub const JSON: &str = "application/json";
/// Griffin's Xero bank statement CSV (`GET /v0/bank/accounts/{id}/transactions`).
pub const XERO_CSV: &str = "application/vnd.griffin+xero-csv";

/// Media types other than JSON that operations offer, as the route table declares them.
#[derive(Debug, Clone, Default)]
pub struct Offers {
    /// `(method, path template, media type)`.
    offers: Vec<(Method, &'static str, &'static str)>,
}

impl Offers {
    pub fn new(offers: Vec<(Method, &'static str, &'static str)>) -> Self {
        Offers { offers }
    }

    pub fn all(&self) -> &[(Method, &'static str, &'static str)] {
        &self.offers
    }

    /// What the operation serving `method path` offers: JSON, then its other types.
    fn of(&self, method: &Method, path: &str) -> Vec<&'static str> {
        let mut offered = vec![JSON];
        offered.extend(
            self.offers
                .iter()
                .filter(|(m, template, _)| m == method && fits(template, path))
                .map(|(_, _, media)| *media),
        );
        offered
    }
}

/// Whether a concrete path fits a template: the same literal segments, and a non-empty
/// segment wherever the template has a `{parameter}`.
fn fits(template: &str, path: &str) -> bool {
    let mut segments = path.split('/');
    for expected in template.split('/') {
        match segments.next() {
            Some(segment) if expected.starts_with('{') => {
                if segment.is_empty() {
                    return false;
                }
            }
            Some(segment) if segment == expected => {}
            _ => return false,
        }
    }
    segments.next().is_none()
}

/// The representation negotiation chose for this request; JSON unless the operation offers
/// another type and the client prefers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Representation(pub &'static str);

impl Representation {
    pub fn is(self, media_type: &str) -> bool {
        self.0 == media_type
    }
}

impl FromRequest for Representation {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let chosen = request.extensions().get::<Representation>().copied();
        ready(Ok(chosen.unwrap_or(Representation(JSON))))
    }
}

/// Applies before routing, to every request: 406 unless the client accepts something the
/// operation offers. Responses of operations that offer more than JSON carry `Vary: Accept`.
pub async fn negotiate(
    request: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, actix_web::Error> {
    let offered = match request.app_data::<web::Data<Offers>>() {
        Some(offers) => offers.of(request.method(), request.path()),
        None => vec![JSON],
    };
    let Some(chosen) = choose(request.headers().get(header::ACCEPT), &offered) else {
        let detail = format!(
            "This operation answers with {} only.",
            offered
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        );
        let response = actix_web::ResponseError::error_response(&ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "not-acceptable",
            detail,
        ));
        return Ok(request.into_response(response).map_into_right_body());
    };
    request.extensions_mut().insert(Representation(chosen));
    let mut response = next.call(request).await?;
    if offered.len() > 1 {
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept"));
    }
    Ok(response.map_into_left_body())
}

/// One range of an `Accept` header: its media range (lower case), quality and position.
struct Range {
    media: String,
    quality: f32,
    position: usize,
}

fn ranges(accept: &str) -> Vec<Range> {
    accept
        .split(',')
        .enumerate()
        .filter_map(|(position, range)| {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            if media.is_empty() {
                return None;
            }
            // A quality that cannot be read counts as 1, as if it were absent.
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .filter_map(|q| q.trim().parse::<f32>().ok())
                .next_back()
                .unwrap_or(1.0);
            Some(Range {
                media,
                quality,
                position,
            })
        })
        .collect()
}

/// How specifically `range` names `offered` (3 exactly, 2 by its type, 1 as `*/*`), if at
/// all. `application/problem+json`, which some clients send for error bodies, names JSON.
fn specificity(range: &str, offered: &str) -> Option<u8> {
    let offered_type = offered.split('/').next().unwrap_or("");
    if range == offered || (offered == JSON && range == "application/problem+json") {
        Some(3)
    } else if range.strip_suffix("/*") == Some(offered_type) {
        Some(2)
    } else if range == "*/*" {
        Some(1)
    } else {
        None
    }
}

/// How well an `Accept` header names an offered type: the quality of the most specific range
/// that names it, that specificity, and (reversed) the range's position in the header.
type Score = (f32, u8, std::cmp::Reverse<usize>);

/// The offered type the `Accept` header prefers (see the module's documentation); `None`
/// when it accepts none of them. `offered` starts with JSON.
fn choose(accept: Option<&HeaderValue>, offered: &[&'static str]) -> Option<&'static str> {
    let Some(accept) = accept else {
        return offered.first().copied();
    };
    let accept = accept.to_str().ok()?;
    let ranges = ranges(accept);
    let mut best: Option<(Score, &'static str)> = None;
    for &media in offered {
        let matched = ranges
            .iter()
            .filter_map(|r| specificity(&r.media, media).map(|s| (s, r)))
            .max_by_key(|(s, _)| *s);
        let Some((specific, range)) = matched else {
            continue;
        };
        if range.quality <= 0.0 {
            continue;
        }
        let score = (range.quality, specific, std::cmp::Reverse(range.position));
        // Strictly better only: on a complete tie the earlier offer (JSON) stays.
        if best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, media));
        }
    }
    best.map(|(_, media)| media)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(accept: &str) -> Option<&'static str> {
        let accept = HeaderValue::from_str(accept).expect("a header value");
        choose(Some(&accept), &[JSON, XERO_CSV])
    }

    #[test]
    fn json_unless_the_client_prefers_the_other_type() {
        assert_eq!(choose(None, &[JSON, XERO_CSV]), Some(JSON));
        assert_eq!(chosen("*/*"), Some(JSON));
        assert_eq!(chosen("application/*"), Some(JSON));
        assert_eq!(chosen("application/json"), Some(JSON));
        assert_eq!(chosen(XERO_CSV), Some(XERO_CSV));
        assert_eq!(chosen("Application/VND.Griffin+Xero-CSV"), Some(XERO_CSV));
        assert_eq!(
            chosen("application/vnd.griffin+xero-csv, */*;q=0.1"),
            Some(XERO_CSV)
        );
        assert_eq!(
            chosen("application/vnd.griffin+xero-csv, application/json"),
            Some(XERO_CSV)
        );
        assert_eq!(
            chosen("application/json, application/vnd.griffin+xero-csv"),
            Some(JSON)
        );
        assert_eq!(
            chosen("application/json;q=0.5, application/vnd.griffin+xero-csv"),
            Some(XERO_CSV)
        );
        assert_eq!(
            chosen("application/vnd.griffin+xero-csv;q=0.5, application/*"),
            Some(JSON)
        );
        assert_eq!(chosen("application/json;q=0, */*"), Some(XERO_CSV));
        assert_eq!(chosen("text/html, application/json;q=0.5"), Some(JSON));
    }

    #[test]
    fn nothing_acceptable() {
        assert_eq!(chosen("text/html"), None);
        assert_eq!(chosen("text/csv"), None);
        assert_eq!(
            chosen("application/json;q=0, application/vnd.griffin+xero-csv;q=0"),
            None
        );
        let json_only = |accept: &str| {
            let accept = HeaderValue::from_str(accept).expect("a header value");
            choose(Some(&accept), &[JSON])
        };
        assert_eq!(json_only(XERO_CSV), None);
        assert_eq!(json_only("application/problem+json"), Some(JSON));
        assert_eq!(json_only("application/json;q=0, */*"), None);
    }

    #[test]
    fn paths_fit_templates() {
        let template = "/v0/bank/accounts/{bank-account-id}/transactions";
        assert!(fits(template, "/v0/bank/accounts/ba.x/transactions"));
        assert!(!fits(template, "/v0/bank/accounts//transactions"));
        assert!(!fits(template, "/v0/bank/accounts/ba.x/transactions/more"));
        assert!(!fits(template, "/v0/bank/accounts/ba.x/payments"));
        assert!(!fits(template, "/v0/bank/accounts/ba.x"));
    }
}
