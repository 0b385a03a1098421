//! Lists at the edge: the page a query asks for, and the `links` of the page served.
//!
//! `page[size]` is 1..=200 (default 25); `page[after]` / `page[before]` are opaque cursors
//! naming the boundary row; `sort` is `created-at` or `-created-at` (the default), or another
//! instant a list offers (`status-changed-at`), ascending or with `-` descending. Unknown
//! filters and includes are refused before the page is read.

use serde::Serialize;
use serde::ser::SerializeMap;

use super::error::{ApiError, ApiResult};
use super::query::{QueryParams, encode_component};
use crate::paging::{
    CREATED_AT, Cursor, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Order, Page, PageRequest, TOTAL_CAP,
};

/// A page of a list that may be sorted by any of `sorts` (instants, ascending or with `-`
/// descending); the default is `-created-at`.
pub fn page_request(query: &QueryParams, sorts: &[&'static str]) -> ApiResult<PageRequest> {
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
    Ok(PageRequest::new(size, order, sort, after, before))
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
    page_request(query, sorts)
}

/// A list response: `{"<key>": [...], "links": {...}}`, and `meta` on the lists Griffin
/// counts ([`ListBody::with_total`]).
pub struct ListBody<T> {
    pub key: &'static str,
    pub items: Vec<T>,
    pub links: Links,
    pub meta: Option<Meta>,
}

/// `{"page": {"total": n}}` under [`TOTAL_CAP`] items, else
/// `{"page": {"estimated-total": {"at-least": 10000}}}`.
#[derive(Debug, Serialize)]
pub struct Meta {
    page: PageMeta,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct PageMeta {
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    estimated_total: Option<AtLeast>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct AtLeast {
    at_least: i64,
}

impl Meta {
    /// The meta of a list of `total` items, counted up to [`TOTAL_CAP`].
    pub fn total(total: i64) -> Self {
        let page = if total < TOTAL_CAP {
            PageMeta {
                total: Some(total),
                estimated_total: None,
            }
        } else {
            PageMeta {
                total: None,
                estimated_total: Some(AtLeast {
                    at_least: TOTAL_CAP,
                }),
            }
        };
        Meta { page }
    }
}

impl<T> ListBody<T> {
    /// The body of one page of a list served at `path` (whose links repeat `query`).
    pub fn new(key: &'static str, page: Page<T>, path: &str, query: &QueryParams) -> Self {
        let links = Links::new(&page, page.sort, path, query);
        ListBody {
            key,
            items: page.items,
            links,
            meta: None,
        }
    }

    /// The same body with `meta.page` for a list of `total` items (counted up to
    /// [`TOTAL_CAP`]).
    pub fn with_total(mut self, total: i64) -> Self {
        self.meta = Some(Meta::total(total));
        self
    }
}

impl<T: Serialize> Serialize for ListBody<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(self.key, &self.items)?;
        map.serialize_entry("links", &self.links)?;
        if let Some(meta) = &self.meta {
            map.serialize_entry("meta", meta)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> ApiResult<PageRequest> {
        page_request(&QueryParams::parse(query), &[CREATED_AT])
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
