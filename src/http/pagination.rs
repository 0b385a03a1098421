//! The one pagination mechanism of every list: keyset pages over `(sort key, id)`.
//!
//! `page[size]` is 1..=200 (default 25); `page[after]` / `page[before]` are opaque cursors
//! naming the boundary row; `sort` is `created-at` or `-created-at` (the default), or another
//! instant a list offers (`status-changed-at`), ascending or with `-` descending. A page is
//! fetched with one more row than asked for, to know whether another page follows. Because a
//! cursor holds the boundary's own sort key, rows inserted meanwhile never shift a page: no
//! row is repeated or skipped.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::ser::SerializeMap;

use super::error::{ApiError, ApiResult};
use super::query::{QueryParams, encode_component};
use crate::time::Micros;

pub const DEFAULT_PAGE_SIZE: i64 = 25;
pub const MAX_PAGE_SIZE: i64 = 200;

/// The position of a row in a list: its sort key (an instant, or a text such as a display
/// name for lists sorted by one), then its id to break ties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: Micros,
    pub id: String,
    pub text: Option<String>,
}

impl Cursor {
    pub fn new(key: Micros, id: &str) -> Self {
        Cursor {
            key,
            id: id.to_string(),
            text: None,
        }
    }

    /// The position of a row in a list sorted by a text column ([`paginate_by_text!`]).
    pub fn text(text: &str, id: &str) -> Self {
        Cursor {
            key: 0,
            id: id.to_string(),
            text: Some(text.to_string()),
        }
    }

    /// The cursor names the sort it belongs to, so that it is refused under another one.
    pub fn encode(&self, sort: &str) -> String {
        let mut plain = format!("v1:{sort}:{}:{}", self.key, self.id);
        if let Some(text) = &self.text {
            plain.push(':');
            plain.push_str(&URL_SAFE_NO_PAD.encode(text));
        }
        URL_SAFE_NO_PAD.encode(plain)
    }

    pub fn decode(text: &str, sort: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let rest = text
            .strip_prefix("v1:")?
            .strip_prefix(sort)?
            .strip_prefix(':')?;
        let (created_at, id) = rest.split_once(':')?;
        let (id, text) = match id.split_once(':') {
            Some((id, encoded)) => {
                let text = String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).ok()?).ok()?;
                (id, Some(text))
            }
            None => (id, None),
        };
        let id_ok = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !id_ok {
            return None;
        }
        Some(Cursor {
            key: created_at.parse().ok()?,
            id: id.to_string(),
            text,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

/// What page of a list the client asked for.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub size: i64,
    pub order: Order,
    /// The sort key, without its `-` (`created-at`, `status-changed-at`, …).
    pub sort: &'static str,
    after: Option<Cursor>,
    before: Option<Cursor>,
}

pub const CREATED_AT: &str = "created-at";

impl PageRequest {
    /// A page of a list sorted by `created-at`.
    pub fn parse(query: &QueryParams) -> ApiResult<Self> {
        Self::parse_sorted(query, &[CREATED_AT])
    }

    /// A page of a list that may be sorted by any of `sorts` (instants, ascending or with `-`
    /// descending); the default is `-created-at`.
    pub fn parse_sorted(query: &QueryParams, sorts: &[&'static str]) -> ApiResult<Self> {
        let size = match query.single("page[size]")? {
            None => DEFAULT_PAGE_SIZE,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid_parameter(
                        "page[size]",
                        format!("`page[size]` must be a whole number from 1 to {MAX_PAGE_SIZE}."),
                    )
                })?,
        };
        let (sort, order) = match query.single("sort")? {
            None => (CREATED_AT, Order::Descending),
            Some(text) => {
                let (name, order) = match text.strip_prefix('-') {
                    Some(name) => (name, Order::Descending),
                    None => (text, Order::Ascending),
                };
                let known = sorts.iter().find(|s| **s == name).ok_or_else(|| {
                    let allowed: Vec<String> = sorts
                        .iter()
                        .flat_map(|s| [s.to_string(), format!("-{s}")])
                        .collect();
                    ApiError::invalid_parameter(
                        "sort",
                        format!(
                            "Cannot sort by `{text}`: expected one of {}.",
                            allowed.join(", ")
                        ),
                    )
                })?;
                (*known, order)
            }
        };
        let cursor = |key: &str| -> ApiResult<Option<Cursor>> {
            query
                .single(key)?
                .map(|text| {
                    Cursor::decode(text, sort).ok_or_else(|| {
                        ApiError::invalid_parameter(
                            key,
                            format!("`{key}` is not a cursor this server issued."),
                        )
                    })
                })
                .transpose()
        };
        let after = cursor("page[after]")?;
        let before = cursor("page[before]")?;
        if after.is_some() && before.is_some() {
            return Err(ApiError::invalid_parameter(
                "page[before]",
                "Give `page[after]` or `page[before]`, not both.",
            ));
        }
        Ok(PageRequest {
            size,
            order,
            sort,
            after,
            before,
        })
    }

    /// Whether the query walks the sort key upwards: ascending order forwards, or descending
    /// order backwards from a `page[before]` cursor.
    pub fn scan_ascending(&self) -> bool {
        (self.order == Order::Ascending) != self.before.is_some()
    }

    /// The row the scan starts after (exclusive).
    pub fn boundary(&self) -> Option<&Cursor> {
        self.after.as_ref().or(self.before.as_ref())
    }

    /// Rows to fetch: one more than the page, to learn whether more follow.
    pub fn fetch_limit(&self) -> i64 {
        self.size + 1
    }
}

/// Applies a [`PageRequest`] to a boxed diesel query: the keyset condition, the order and the
/// limit. `$created_at` is the column of the page's sort key (an instant), `$id` the id.
#[macro_export]
macro_rules! paginate {
    ($query:expr, $created_at:expr, $id:expr, $page:expr) => {{
        use ::diesel::prelude::*;
        let page: &$crate::http::pagination::PageRequest = $page;
        let mut query = $query;
        let ascending = page.scan_ascending();
        if let Some(cursor) = page.boundary() {
            let at = cursor.key;
            let id = cursor.id.clone();
            query = if ascending {
                query.filter($created_at.gt(at).or($created_at.eq(at).and($id.gt(id))))
            } else {
                query.filter($created_at.lt(at).or($created_at.eq(at).and($id.lt(id))))
            };
        }
        query = if ascending {
            query.order(($created_at.asc(), $id.asc()))
        } else {
            query.order(($created_at.desc(), $id.desc()))
        };
        query.limit(page.fetch_limit())
    }};
}

/// [`paginate!`] for a list sorted by a text column (`$text`, such as a display name), with
/// cursors made by [`Cursor::text`].
#[macro_export]
macro_rules! paginate_by_text {
    ($query:expr, $text:expr, $id:expr, $page:expr) => {{
        use ::diesel::prelude::*;
        let page: &$crate::http::pagination::PageRequest = $page;
        let mut query = $query;
        let ascending = page.scan_ascending();
        if let Some(cursor) = page.boundary() {
            let at = cursor.text.clone().unwrap_or_default();
            let id = cursor.id.clone();
            query = if ascending {
                query.filter($text.gt(at.clone()).or($text.eq(at).and($id.gt(id))))
            } else {
                query.filter($text.lt(at.clone()).or($text.eq(at).and($id.lt(id))))
            };
        }
        query = if ascending {
            query.order(($text.asc(), $id.asc()))
        } else {
            query.order(($text.desc(), $id.desc()))
        };
        query.limit(page.fetch_limit())
    }};
}

/// One page of rows, in the requested order, with the cursors of its neighbours.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub prev: Option<Cursor>,
    pub next: Option<Cursor>,
    /// The sort the cursors belong to.
    pub sort: &'static str,
}

impl<T> Page<T> {
    /// Builds the page from the rows a [`paginate!`] query returned.
    pub fn from_rows(mut rows: Vec<T>, request: &PageRequest, key: impl Fn(&T) -> Cursor) -> Self {
        let more = rows.len() as i64 > request.size;
        rows.truncate(request.size as usize);
        let backwards = request.before.is_some();
        if backwards {
            rows.reverse();
        }
        let first = rows.first().map(&key);
        let last = rows.last().map(&key);
        let (prev, next) = if backwards {
            // Walking back from `before`: rows exist after this page (the boundary itself).
            (if more { first } else { None }, last)
        } else {
            (
                if request.after.is_some() { first } else { None },
                if more { last } else { None },
            )
        };
        Page {
            items: rows,
            prev,
            next,
            sort: request.sort,
        }
    }

    /// The page of a list held in memory (a handful of items assembled from several
    /// tables, or defined in code), cut exactly as [`paginate!`] cuts a query.
    pub fn from_memory(
        mut items: Vec<T>,
        request: &PageRequest,
        key: impl Fn(&T) -> Cursor,
    ) -> Self {
        let ascending = request.scan_ascending();
        items.sort_by(|a, b| {
            let (a, b) = (key(a), key(b));
            (a.key, a.id).cmp(&(b.key, b.id))
        });
        if !ascending {
            items.reverse();
        }
        let limit = usize::try_from(request.fetch_limit()).unwrap_or(usize::MAX);
        let rows: Vec<T> = items
            .into_iter()
            .filter(|item| {
                let at = key(item);
                match request.boundary() {
                    None => true,
                    Some(c) if ascending => (at.key, at.id.as_str()) > (c.key, c.id.as_str()),
                    Some(c) => (at.key, at.id.as_str()) < (c.key, c.id.as_str()),
                }
            })
            .take(limit)
            .collect();
        Page::from_rows(rows, request, key)
    }

    /// The same page with its items replaced (by views built from them elsewhere).
    pub fn with_items<U>(self, items: Vec<U>) -> Page<U> {
        Page {
            items,
            prev: self.prev,
            next: self.next,
            sort: self.sort,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            prev: self.prev,
            next: self.next,
            sort: self.sort,
        }
    }
}

/// `links.prev` / `links.next`: the list's own path with the original query and a new cursor.
#[derive(Debug, Serialize)]
pub struct Links {
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Links {
    pub fn new<T>(page: &Page<T>, sort: &str, path: &str, query: &QueryParams) -> Self {
        let link = |key: &str, cursor: &Option<Cursor>| {
            cursor.as_ref().map(|cursor| {
                let mut url = String::from(path);
                let mut separator = '?';
                for (k, v) in query.pairs() {
                    if k == "page[after]" || k == "page[before]" {
                        continue;
                    }
                    url.push(separator);
                    url.push_str(&encode_component(k));
                    url.push('=');
                    url.push_str(&encode_component(v));
                    separator = '&';
                }
                url.push(separator);
                url.push_str(key);
                url.push('=');
                url.push_str(&cursor.encode(sort));
                url
            })
        };
        Links {
            prev: link("page[before]", &page.prev),
            next: link("page[after]", &page.next),
        }
    }
}

/// Checks the query of a list endpoint — only `known_filters` and `known_includes` may
/// appear — and reads its page request.
pub fn list_request(
    query: &QueryParams,
    known_filters: &[&str],
    known_includes: &[&str],
) -> ApiResult<PageRequest> {
    list_request_sorted(query, known_filters, known_includes, &[CREATED_AT])
}

/// [`list_request`] for a list with more sort keys than `created-at`.
pub fn list_request_sorted(
    query: &QueryParams,
    known_filters: &[&str],
    known_includes: &[&str],
    sorts: &[&'static str],
) -> ApiResult<PageRequest> {
    query.check_known(known_filters)?;
    query.check_includes(known_includes)?;
    PageRequest::parse_sorted(query, sorts)
}

/// A list response: `{"<key>": [...], "links": {...}}`.
pub struct ListBody<T> {
    pub key: &'static str,
    pub items: Vec<T>,
    pub links: Links,
}

impl<T> ListBody<T> {
    /// The body of one page of a list served at `path` (whose links repeat `query`).
    pub fn new(key: &'static str, page: Page<T>, path: &str, query: &QueryParams) -> Self {
        let links = Links::new(&page, page.sort, path, query);
        ListBody {
            key,
            items: page.items,
            links,
        }
    }
}

impl<T: Serialize> Serialize for ListBody<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(self.key, &self.items)?;
        map.serialize_entry("links", &self.links)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> ApiResult<PageRequest> {
        PageRequest::parse(&QueryParams::parse(query))
    }

    #[test]
    fn cursor_round_trip() {
        let cursor = Cursor::new(1_704_115_800_123_456, "og.2To90xd1QV2IdWh1Ay8Epw");
        assert_eq!(
            Cursor::decode(&cursor.encode("created-at"), "created-at"),
            Some(cursor.clone())
        );
        assert_eq!(
            Cursor::decode(&cursor.encode("created-at"), "status-changed-at"),
            None
        );
        let named = Cursor::text("Reserve a/c: £ ✓", "ba.2To90xd1QV2IdWh1Ay8Epw");
        assert_eq!(
            Cursor::decode(&named.encode("display-name"), "display-name"),
            Some(named)
        );
    }

    #[test]
    fn cursor_rejects_forgeries() {
        for text in [
            "",
            "!!!",
            &URL_SAFE_NO_PAD.encode("v2:created-at:1:og.x"),
            &URL_SAFE_NO_PAD.encode("v1:created-at:x:og.x"),
            &URL_SAFE_NO_PAD.encode("v1:created-at:1:"),
            &URL_SAFE_NO_PAD.encode("v1:created-at:1:og.x'; drop table"),
            &URL_SAFE_NO_PAD.encode("v1:1:og.x"),
        ] {
            assert_eq!(Cursor::decode(text, "created-at"), None, "{text}");
        }
    }

    #[test]
    fn page_size_bounds() {
        assert_eq!(request("").map(|r| r.size).ok(), Some(25));
        assert_eq!(request("page[size]=1").map(|r| r.size).ok(), Some(1));
        assert_eq!(request("page[size]=200").map(|r| r.size).ok(), Some(200));
        for bad in ["0", "201", "-1", "abc", "1.5", ""] {
            assert!(request(&format!("page[size]={bad}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn sort_and_cursor_rules() {
        assert!(request("sort=created-at").is_ok());
        assert!(request("sort=-created-at").is_ok());
        assert!(request("sort=display-name").is_err());
        assert!(request("page[after]=nope").is_err());
        let c = Cursor::new(1, "og.a").encode("created-at");
        assert!(request(&format!("page[after]={c}&page[before]={c}")).is_err());
    }

    #[test]
    fn pages_forward_and_back() {
        let rows: Vec<i64> = (1..=4).collect();
        let key = |n: &i64| Cursor::new(*n, "x");
        let first = Page::from_rows(
            rows.clone(),
            &request("page[size]=3").unwrap_or_else(|e| panic!("{e}")),
            key,
        );
        assert_eq!(first.items, [1, 2, 3]);
        assert_eq!(first.prev, None);
        assert_eq!(first.next, Some(Cursor::new(3, "x")));

        let c = Cursor::new(9, "x").encode("created-at");
        let back = Page::from_rows(
            vec![8, 7, 6, 5],
            &request(&format!("page[size]=3&page[before]={c}")).unwrap_or_else(|e| panic!("{e}")),
            key,
        );
        assert_eq!(back.items, [6, 7, 8]);
        assert_eq!(back.prev, Some(Cursor::new(6, "x")));
        assert_eq!(back.next, Some(Cursor::new(8, "x")));
    }

    #[test]
    fn links_repeat_the_query() {
        let query = QueryParams::parse(
            "filter[event-type][eq]=payment-created&page[size]=2&page[after]=old",
        );
        let page = Page {
            items: vec![1],
            prev: Some(Cursor::new(1, "a")),
            next: None,
            sort: "created-at",
        };
        let links = Links::new(&page, page.sort, "/v0/x", &query);
        assert_eq!(
            links.prev.as_deref(),
            Some(
                format!(
                    "/v0/x?filter[event-type][eq]=payment-created&page[size]=2&page[before]={}",
                    Cursor::new(1, "a").encode("created-at")
                )
                .as_str()
            )
        );
        assert_eq!(links.next, None);
    }
}
