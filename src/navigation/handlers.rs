//! `/v0/index` and `/v0/ping`.

use actix_web::HttpResponse;

use super::view::IndexView;
use crate::access::Caller;
use crate::http::{no_content, ok};

/// `GET /v0/index`: the global links and, for the calling key, its own URL; and the
/// organization the caller works in (a key's own, a session's current one). Clients follow
/// links from here.
pub async fn index(caller: Caller) -> HttpResponse {
    ok(&IndexView::new(&caller))
}

/// `GET /v0/ping` (no authentication): 204.
pub async fn ping() -> HttpResponse {
    no_content()
}
