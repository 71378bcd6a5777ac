//! Time as the core sees it: milliseconds since the Unix epoch, given by the adapter.
//!
//! Wall-clock time rather than a monotonic one because deadlines outlive the process in the
//! journal (a reversal's next attempt); a clock stepped backwards only delays a deadline.

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type UnixMs = u64;

/// Field 7, transmission date and time: `MMDDhhmmss` in UTC.
pub fn transmission_time(now_ms: UnixMs) -> String {
    let secs = now_ms / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (_, month, day) = civil_from_days(days);
    format!(
        "{month:02}{day:02}{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Year, month, day of a count of days since 1970-01-01 (Howard Hinnant's civil-from-days
/// algorithm over 400-year eras, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
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
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
