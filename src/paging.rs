//! Pages of lists: keyset pages over `(sort key, id)`, the one pagination mechanism of every
//! list.
//!
//! A page is fetched with one more row than asked for, to know whether another page follows.
//! Because a cursor holds the boundary's own sort key, rows inserted meanwhile never shift a
//! page: no row is repeated or skipped. The edge reads a [`PageRequest`] from `page[size]`,
//! `page[after]`, `page[before]` and `sort`, and writes the cursors back as links.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::time::Micros;

pub const DEFAULT_PAGE_SIZE: i64 = 25;
/// Lists count their items up to this many (`meta.page.total`); from it on, Griffin answers
/// `meta.page.estimated-total.at-least` instead, so no count has to read further.
pub const TOTAL_CAP: i64 = 10_000;
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
    pub fn new(
        size: i64,
        order: Order,
        sort: &'static str,
        after: Option<Cursor>,
        before: Option<Cursor>,
    ) -> Self {
        PageRequest {
            size,
            order,
            sort,
            after,
            before,
        }
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
///
/// The keyset condition `(key, id) > (at, id₀)` is written as `key >= at AND (key > at OR
/// id > id₀)`: the first half bounds the index scan, which the bare `OR` form does not, so
/// a page deep in a long list costs as little as the first.
#[macro_export]
macro_rules! paginate {
    ($query:expr, $created_at:expr, $id:expr, $page:expr) => {{
        use ::diesel::prelude::*;
        let page: &$crate::paging::PageRequest = $page;
        let mut query = $query;
        let ascending = page.scan_ascending();
        if let Some(cursor) = page.boundary() {
            let at = cursor.key;
            let id = cursor.id.clone();
            query = if ascending {
                query
                    .filter($created_at.ge(at))
                    .filter($created_at.gt(at).or($id.gt(id)))
            } else {
                query
                    .filter($created_at.le(at))
                    .filter($created_at.lt(at).or($id.lt(id)))
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
        let page: &$crate::paging::PageRequest = $page;
        let mut query = $query;
        let ascending = page.scan_ascending();
        if let Some(cursor) = page.boundary() {
            let at = cursor.text.clone().unwrap_or_default();
            let id = cursor.id.clone();
            query = if ascending {
                query
                    .filter($text.ge(at.clone()))
                    .filter($text.gt(at).or($id.gt(id)))
            } else {
                query
                    .filter($text.le(at.clone()))
                    .filter($text.lt(at).or($id.lt(id)))
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

/// A range filter on an instant: `filter[<field>][gte|gt]` and `filter[<field>][lte|lt]`,
/// each bound with whether it is inclusive. Applied with [`filter_range!`](crate::filter_range).
#[derive(Debug, Clone, Copy, Default)]
pub struct InstantRange {
    pub after: Option<(crate::time::Micros, bool)>,
    pub before: Option<(crate::time::Micros, bool)>,
}

/// Narrows a boxed diesel query to the rows whose `$column` lies in an [`InstantRange`].
#[macro_export]
macro_rules! filter_range {
    ($query:expr, $column:expr, $range:expr) => {{
        use ::diesel::prelude::*;
        let range: &$crate::paging::InstantRange = $range;
        let mut query = $query;
        query = match range.after {
            Some((at, true)) => query.filter($column.ge(at)),
            Some((at, false)) => query.filter($column.gt(at)),
            None => query,
        };
        match range.before {
            Some((at, true)) => query.filter($column.le(at)),
            Some((at, false)) => query.filter($column.lt(at)),
            None => query,
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
