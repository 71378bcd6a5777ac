//! The calendar lives in `iso8583::civil` (pure); this module adds the clock reading.

pub use iso8583::civil::{Civil, from_unix_s, transmission_time};

/// Seconds since the Unix epoch now, read from the system clock (0 if it is before 1970).
pub fn now_unix_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
