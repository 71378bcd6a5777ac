//! The wall clock where commands need it (the cores take time as an input).

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The current UTC year.
pub fn year_now() -> u16 {
    receipt::DateTime::from_unix_seconds(unix_now())
        .map(|d| d.year())
        .unwrap_or(2026)
}
