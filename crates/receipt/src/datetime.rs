//! The date and time a receipt prints: a checked civil date and time, no time zone (the
//! terminal's local time, as ISO 8583 fields 12 and 13 carry it).

use thiserror::Error;

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DateTimeError {
    #[error("{field} {value} is out of range ({min} to {max})")]
    OutOfRange {
        field: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
}

/// A calendar date and time of day, years 1970 to 9999 (four digits on paper).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

const YEAR_MIN: u16 = 1970;
const YEAR_MAX: u16 = 9999;
/// Seconds from 1970-01-01T00:00:00 to 9999-12-31T23:59:59.
const UNIX_SECONDS_MAX: u64 = 253_402_300_799;

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn check(field: &'static str, value: u64, min: u64, max: u64) -> Result<(), DateTimeError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(DateTimeError::OutOfRange {
            field,
            value,
            min,
            max,
        })
    }
}

impl DateTime {
    pub fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Result<DateTime, DateTimeError> {
        check("year", year.into(), YEAR_MIN.into(), YEAR_MAX.into())?;
        check("month", month.into(), 1, 12)?;
        check("day", day.into(), 1, days_in_month(year, month).into())?;
        check("hour", hour.into(), 0, 23)?;
        check("minute", minute.into(), 0, 59)?;
        check("second", second.into(), 0, 59)?;
        Ok(DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
    }

    /// From seconds since 1970-01-01T00:00:00 UTC (leap seconds not counted, as Unix time).
    pub fn from_unix_seconds(seconds: u64) -> Result<DateTime, DateTimeError> {
        check("Unix time", seconds, 0, UNIX_SECONDS_MAX)?;
        let mut days = seconds / 86_400;
        let in_day = seconds % 86_400;
        // Walk years then months: at most 8030 years of 365 days, bounded by the check above.
        let mut year = YEAR_MIN;
        loop {
            let year_days = if is_leap(year) { 366 } else { 365 };
            if days < year_days {
                break;
            }
            days -= year_days;
            year += 1;
        }
        let mut month = 1;
        loop {
            let month_days = u64::from(days_in_month(year, month));
            if days < month_days {
                break;
            }
            days -= month_days;
            month += 1;
        }
        // Every quotient below is bounded by the loops and the modulo above.
        let narrow = |v: u64| u8::try_from(v).unwrap_or(u8::MAX);
        DateTime::new(
            year,
            month,
            narrow(days + 1),
            narrow(in_day / 3600),
            narrow(in_day % 3600 / 60),
            narrow(in_day % 60),
        )
    }

    pub fn year(&self) -> u16 {
        self.year
    }

    pub fn month(&self) -> u8 {
        self.month
    }

    pub fn day(&self) -> u8 {
        self.day
    }

    pub fn hour(&self) -> u8 {
        self.hour
    }

    pub fn minute(&self) -> u8 {
        self.minute
    }

    pub fn second(&self) -> u8 {
        self.second
    }

    /// `YYYY-MM-DD` (ISO 8601).
    pub fn date_str(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `HH:MM:SS`, 24-hour clock.
    pub fn time_str(&self) -> String {
        format!("{:02}:{:02}:{:02}", self.hour, self.minute, self.second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(t: &DateTime) -> String {
        format!("{} {}", t.date_str(), t.time_str())
    }

    #[test]
    fn unix_seconds_known_instants() {
        // Expected values from Python's datetime.fromtimestamp(t, timezone.utc).
        for (seconds, expected) in [
            (0, "1970-01-01 00:00:00"),
            (68_256_000, "1972-03-01 00:00:00"),
            (951_782_400, "2000-02-29 00:00:00"),
            (1_000_000_000, "2001-09-09 01:46:40"),
            (1_741_944_413, "2025-03-14 09:26:53"),
            (4_102_444_800, "2100-01-01 00:00:00"),
            (253_402_300_799, "9999-12-31 23:59:59"),
        ] {
            assert_eq!(
                both(&DateTime::from_unix_seconds(seconds).unwrap()),
                expected
            );
        }
        assert_eq!(
            DateTime::from_unix_seconds(253_402_300_800),
            Err(DateTimeError::OutOfRange {
                field: "Unix time",
                value: 253_402_300_800,
                min: 0,
                max: UNIX_SECONDS_MAX
            })
        );
    }

    #[test]
    fn calendar_checks() {
        assert!(DateTime::new(2024, 2, 29, 0, 0, 0).is_ok());
        assert!(DateTime::new(2000, 2, 29, 0, 0, 0).is_ok());
        assert_eq!(
            DateTime::new(2100, 2, 29, 0, 0, 0),
            Err(DateTimeError::OutOfRange {
                field: "day",
                value: 29,
                min: 1,
                max: 28
            })
        );
        assert!(DateTime::new(2025, 4, 31, 0, 0, 0).is_err());
        assert!(DateTime::new(2025, 13, 1, 0, 0, 0).is_err());
        assert!(DateTime::new(2025, 1, 1, 24, 0, 0).is_err());
        assert!(DateTime::new(2025, 1, 1, 0, 60, 0).is_err());
        assert!(DateTime::new(2025, 1, 1, 0, 0, 60).is_err());
        assert!(DateTime::new(1969, 12, 31, 0, 0, 0).is_err());
    }
}
