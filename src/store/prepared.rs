//! Keeping every statement prepared.
//!
//! diesel re-prepares some statements on every run, to keep its statement cache from filling
//! with one-off SQL: every `UPDATE`, and every `INSERT` whose struct may leave a column to its
//! default. A re-prepare costs SQLite a parse and plan, and PostgreSQL an extra round trip,
//! and a payment runs a dozen such statements. So:
//! - `Insertable` structs are declared `treat_none_as_default_value = false`: they always
//!   name every column (`NULL` for `None`), so their SQL never varies and diesel caches it;
//! - updates say [`.prepared()`](PreparedExt::prepared), which tells the cache the statement is safe to keep.
//!   The cache is keyed by the SQL text (and bind types), so this is right for any statement
//!   whose text comes from a bounded set — true of every update written with the query builder
//!   here (no `IN` lists of varying length).

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// `.prepared()` marks a statement as safe to keep in the prepared-statement cache (see the
/// module docs): `diesel::update(…).set(…).prepared().execute(c)`.
pub trait PreparedExt: Sized {
    fn prepared(self) -> Prepared<Self> {
        Prepared(self)
    }
}

impl<Q: QueryId> PreparedExt for Q {}

#[derive(Debug, Clone, Copy)]
pub struct Prepared<Q>(Q);

impl<Q> QueryId for Prepared<Q> {
    // No static id: the cache keys such statements by their SQL text.
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}
