//! Limits on work in flight: at most so many requests of one organization, or submissions
//! from one account, at a time; the one over the limit gets a 429 at once rather than
//! queueing. The counts live in this process: with several servers on one database each
//! applies the limit to its own share (they protect the server, not the money, which the
//! database's rules guard).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;

use super::ApiError;

/// Counts of work in flight, by key (an organization or account id).
#[derive(Debug, Default)]
pub struct InFlight {
    counts: Mutex<HashMap<String, usize>>,
}

/// One unit of work in flight; dropping it ends it.
#[derive(Debug)]
pub struct Permit {
    owner: Arc<InFlight>,
    key: String,
}

impl InFlight {
    /// A permit for `key`, unless `limit` are already in flight.
    pub fn try_acquire(self: &Arc<Self>, key: &str, limit: usize) -> Option<Permit> {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = counts.entry(key.to_string()).or_insert(0);
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(Permit {
            owner: Arc::clone(self),
            key: key.to_string(),
        })
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self
            .owner
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = counts.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// The limits of one server.
#[derive(Debug, Clone)]
pub struct Limits {
    pub organizations: Arc<InFlight>,
    pub organization_limit: usize,
    pub submissions: Arc<InFlight>,
    pub submission_limit: usize,
}

impl Limits {
    pub fn new(organization_limit: usize, submission_limit: usize) -> Self {
        Limits {
            organizations: Arc::default(),
            organization_limit,
            submissions: Arc::default(),
            submission_limit,
        }
    }

    pub fn organization(&self, organization_id: &str) -> Result<Permit, ApiError> {
        self.organizations
            .try_acquire(organization_id, self.organization_limit)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-requests",
                    format!(
                        "More than {} requests of this organization are in flight; retry shortly.",
                        self.organization_limit
                    ),
                )
            })
    }

    pub fn submission(&self, account_id: &str) -> Result<Permit, ApiError> {
        self.submissions
            .try_acquire(account_id, self.submission_limit)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-submissions",
                    format!(
                        "More than {} submissions from this bank account are in flight; retry \
                         shortly.",
                        self.submission_limit
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_count_up_to_the_limit_and_free_on_drop() {
        let in_flight = Arc::new(InFlight::default());
        let a = in_flight.try_acquire("k", 2);
        let b = in_flight.try_acquire("k", 2);
        assert!(a.is_some() && b.is_some());
        assert!(in_flight.try_acquire("k", 2).is_none());
        assert!(in_flight.try_acquire("other", 2).is_some());
        drop(a);
        assert!(in_flight.try_acquire("k", 2).is_some());
    }
}
