//! Query strings with Griffin's bracketed keys: `page[size]=10`, `filter[account-status][in][]=open`
//! (repeated), `include=owner` or `include[]=owner`. Keys are kept literally, in order.
//!
//! A list filter written without its trailing `[]` (`filter[account-status][in]=open`, as
//! Griffin's older documents spell some) is read as the bracketed one; an endpoint may also
//! take Griffin's older names of its filters ([`QueryParams::aliased`]).
//!
//! Parameters of the reserved families (`page[…]`, `filter[…]`, `sort`, `include`) must be
//! ones the endpoint knows: a typo such as `filter[acount-status][eq]` is a 400, not a filter
//! silently ignored. Other parameters are ignored.

use crate::paging::InstantRange;
use crate::store::TextEnum;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use super::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    pub fn parse(query: &str) -> Self {
        QueryParams {
            pairs: form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (list_key(k.into_owned()), v.into_owned()))
                .collect(),
        }
    }

    /// The same parameters with each key `old` of `aliases` read as its `new`: Griffin's
    /// older filter names (`filter[owner][eq]` for `filter[owner-url][eq]`), which clients
    /// written in 2024 still send.
    pub fn aliased(mut self, aliases: &[(&str, &str)]) -> Self {
        for (key, _) in &mut self.pairs {
            if let Some((_, new)) = aliases.iter().find(|(old, _)| *old == key.as_str()) {
                *key = new.to_string();
            }
        }
        self
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The value of a single-valued parameter; given twice it is a 400.
    pub fn single<'a>(&'a self, key: &'a str) -> ApiResult<Option<&'a str>> {
        let mut values = self.all(key);
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::invalid_parameter(
                key,
                format!("`{key}` may be given only once."),
            ));
        }
        Ok(first)
    }

    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `true` or `false` (a filter such as `filter[rejected][eq]`), if given.
    pub fn bool_eq(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.single(key)? {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid_parameter(
                key,
                format!("`{key}` must be true or false."),
            )),
        }
    }

    /// The value of a filter on one of an enum's names (`filter[status][eq]`), if given.
    pub fn enum_eq<T: TextEnum>(&self, key: &str) -> ApiResult<Option<T>> {
        self.single(key)?
            .map(|value| enum_value(key, value))
            .transpose()
    }

    /// The values of a filter on several of an enum's names (`filter[status][in][]`).
    pub fn enum_list<T: TextEnum>(&self, key: &str) -> ApiResult<Vec<T>> {
        self.all(key).map(|value| enum_value(key, value)).collect()
    }

    /// Values of `include=…`, `include[]=…` and comma-separated lists of either.
    pub fn includes(&self) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == "include" || k == "include[]")
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Refuses parameters of the reserved families that `known` does not list. `known`
    /// names parameters literally (`filter[event-type][eq]`); `page[…]` and `sort` are
    /// checked by the pagination parser and `include` values by [`Self::check_includes`].
    pub fn check_known(&self, known_filters: &[&str]) -> ApiResult<()> {
        for (key, _) in &self.pairs {
            let reserved = key.starts_with("filter[") || key.starts_with("filter%5B");
            if reserved && !known_filters.contains(&key.as_str()) {
                return Err(ApiError::invalid_parameter(
                    key,
                    format!("`{key}` is not a filter of this list."),
                ));
            }
            if key.starts_with("page[")
                && !matches!(key.as_str(), "page[size]" | "page[after]" | "page[before]")
            {
                return Err(ApiError::invalid_parameter(
                    key,
                    format!(
                        "`{key}` is not a page parameter; use page[size], page[after] or page[before]."
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Refuses `include` values that `known` does not list.
    pub fn check_includes(&self, known: &[&str]) -> ApiResult<()> {
        for value in self.includes() {
            if !known.contains(&value) {
                let expected = if known.is_empty() {
                    "this resource has nothing to include".to_string()
                } else {
                    format!("expected one of {}", known.join(", "))
                };
                return Err(ApiError::invalid_parameter(
                    "include",
                    format!("Cannot include `{value}`: {expected}."),
                ));
            }
        }
        Ok(())
    }
}

impl FromRequest for QueryParams {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(QueryParams::parse(request.query_string())))
    }
}

/// `filter[<field>][in]` → `filter[<field>][in][]`: both spellings name one list filter.
fn list_key(key: String) -> String {
    if key.starts_with("filter[") && key.ends_with("][in]") {
        key + "[]"
    } else {
        key
    }
}

fn enum_value<T: TextEnum>(key: &str, value: &str) -> ApiResult<T> {
    T::parse(value).ok_or_else(|| {
        ApiError::invalid_parameter(
            key,
            format!(
                "Unknown value `{value}`: expected one of {}.",
                T::NAMES.join(", ")
            ),
        )
    })
}

/// The value of `key` read as an RFC 3339 instant (`filter[updated-at][gte]=…`).
pub fn instant(query: &QueryParams, key: &str) -> ApiResult<Option<crate::time::Micros>> {
    query
        .single(key)?
        .map(|text| {
            crate::time::parse(text).ok_or_else(|| {
                ApiError::invalid_parameter(
                    key,
                    format!(
                        "`{key}` must be an RFC 3339 date-time such as 2024-01-01T13:30:00.000Z."
                    ),
                )
            })
        })
        .transpose()
}

/// Reads `filter[<field>][gte|gt]` and `filter[<field>][lte|lt]`.
pub fn instant_range(query: &QueryParams, field: &str) -> ApiResult<InstantRange> {
    let bound = |inclusive: &str, exclusive: &str| -> ApiResult<Option<(i64, bool)>> {
        let inclusive_key = format!("filter[{field}][{inclusive}]");
        let exclusive_key = format!("filter[{field}][{exclusive}]");
        match (
            instant(query, &inclusive_key)?,
            instant(query, &exclusive_key)?,
        ) {
            (Some(_), Some(_)) => Err(ApiError::invalid_parameter(
                &exclusive_key,
                format!("Give `{inclusive_key}` or `{exclusive_key}`, not both."),
            )),
            (Some(at), None) => Ok(Some((at, true))),
            (None, Some(at)) => Ok(Some((at, false))),
            (None, None) => Ok(None),
        }
    };
    Ok(InstantRange {
        after: bound("gte", "gt")?,
        before: bound("lte", "lt")?,
    })
}

/// Encodes one query component, keeping the brackets of Griffin's keys readable.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'[' | b']' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_brackets_and_repeats() {
        let q = QueryParams::parse(
            "filter%5Baccount-status%5D%5Bin%5D%5B%5D=open&filter[account-status][in][]=closing&page[size]=5",
        );
        let statuses: Vec<_> = q.all("filter[account-status][in][]").collect();
        assert_eq!(statuses, ["open", "closing"]);
        assert_eq!(q.single("page[size]").ok().flatten(), Some("5"));
    }

    #[test]
    fn list_filters_without_brackets_and_old_names() {
        let q = QueryParams::parse("filter[account-status][in]=open&filter[owner][eq]=x&a[in]=1");
        assert_eq!(
            q.all("filter[account-status][in][]").collect::<Vec<_>>(),
            ["open"]
        );
        assert_eq!(q.all("a[in]").collect::<Vec<_>>(), ["1"]);
        let q = q.aliased(&[("filter[owner][eq]", "filter[owner-url][eq]")]);
        assert_eq!(q.single("filter[owner-url][eq]").ok().flatten(), Some("x"));
        assert!(
            q.check_known(&["filter[account-status][in][]", "filter[owner-url][eq]"])
                .is_ok()
        );
    }

    #[test]
    fn single_refuses_repeats() {
        let q = QueryParams::parse("page[size]=5&page[size]=6");
        assert!(q.single("page[size]").is_err());
    }

    #[test]
    fn both_include_forms() {
        let q = QueryParams::parse("include=owner&include[]=beneficiary&include=a,b");
        assert_eq!(q.includes(), ["owner", "beneficiary", "a", "b"]);
        assert!(
            q.check_includes(&["owner", "beneficiary", "a", "b"])
                .is_ok()
        );
        assert!(q.check_includes(&["owner"]).is_err());
    }

    #[test]
    fn unknown_reserved_parameters_are_refused() {
        let q = QueryParams::parse("filter[typo][eq]=1&utm_source=x");
        assert!(q.check_known(&["filter[event-type][eq]"]).is_err());
        let q = QueryParams::parse("utm_source=x&filter[event-type][eq]=a");
        assert!(q.check_known(&["filter[event-type][eq]"]).is_ok());
        let q = QueryParams::parse("page[number]=2");
        assert!(q.check_known(&[]).is_err());
    }

    #[test]
    fn encodes_components() {
        assert_eq!(encode_component("page[after]"), "page[after]");
        assert_eq!(encode_component("a b&c=d"), "a%20b%26c%3Dd");
        assert_eq!(
            encode_component("2024-01-01T00:00:00+01:00"),
            "2024-01-01T00%3A00%3A00%2B01%3A00"
        );
    }
}
