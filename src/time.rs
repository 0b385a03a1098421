//! Timestamps. The store keeps instants as microseconds since the Unix epoch (UTC) in a
//! BIGINT, identical on both backends and trivially ordered; responses show them as RFC 3339
//! UTC with milliseconds (`2024-01-01T13:30:00.000Z`), as Griffin does.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};

/// Microseconds since the Unix epoch, UTC.
pub type Micros = i64;

/// The current instant. Strictly increasing within a process, so that rows created one
/// after another sort in that order even within one microsecond.
pub fn now() -> Micros {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let wall = Utc::now().timestamp_micros();
    let previous = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(wall.max(last + 1))
        })
        .unwrap_or(wall);
    wall.max(previous + 1)
}

/// `2024-01-01T13:30:00.000Z`.
pub fn format(micros: Micros) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The UTC date of an instant as `DD/MM/YYYY` (`01/01/2024`), as UK bank statements
/// write dates.
pub fn day_month_year(micros: Micros) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .unwrap_or_default()
        .format("%d/%m/%Y")
        .to_string()
}

/// Parses an RFC 3339 date-time with any offset, as query filters receive them.
pub fn parse(text: &str) -> Option<Micros> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc).timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_and_z() {
        assert_eq!(format(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format(1_704_115_800_123_456), "2024-01-01T13:30:00.123Z");
        assert_eq!(day_month_year(1_704_115_800_123_456), "01/01/2024");
        assert_eq!(day_month_year(1_719_791_999_000_000), "30/06/2024");
    }

    #[test]
    fn parses_offsets() {
        assert_eq!(
            parse("2024-01-01T13:30:00.123456Z"),
            Some(1_704_115_800_123_456)
        );
        assert_eq!(
            parse("2024-01-01T14:30:00+01:00"),
            Some(1_704_115_800_000_000)
        );
        for bad in ["", "2024-01-01", "yesterday", "2024-13-01T00:00:00Z"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_trips_at_millisecond_precision() {
        let t = 1_704_115_800_123_000;
        assert_eq!(parse(&format(t)), Some(t));
    }
}

/// The clock requests read: real time plus an offset that tests move forward to expire
/// invitations and sessions without sleeping. Cheap to clone; clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: std::sync::Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> Micros {
        now() + self.offset.load(Ordering::Relaxed)
    }

    /// Moves this clock (and its clones) forward.
    pub fn advance(&self, by: std::time::Duration) {
        self.offset.fetch_add(micros(by), Ordering::Relaxed);
    }
}

pub const MICROS_PER_SECOND: i64 = 1_000_000;

/// A duration in microseconds, as instants are kept (saturating: durations this long are
/// settings, never arithmetic).
pub fn micros(duration: std::time::Duration) -> Micros {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}
