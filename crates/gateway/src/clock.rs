//! Time as the core sees it: milliseconds since the Unix epoch, given by the adapter.
//!
//! Wall-clock time rather than a monotonic one because deadlines outlive the process in the
//! journal (a reversal's next attempt); a clock stepped backwards only delays a deadline.

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type UnixMs = u64;

/// Field 7, transmission date and time: `MMDDhhmmss` in UTC.
pub fn transmission_time(now_ms: UnixMs) -> String {
    iso8583::civil::transmission_time(i64::try_from(now_ms / 1000).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_7_in_utc() {
        // Expected values from GNU date: `date -u -d @SECONDS +%m%d%H%M%S`.
        assert_eq!(transmission_time(0), "0101000000");
        assert_eq!(transmission_time(951_782_400_000), "0229000000");
        assert_eq!(transmission_time(1_700_000_000_999), "1114221320");
        assert_eq!(transmission_time(4_102_444_799_000), "1231235959");
    }
}
