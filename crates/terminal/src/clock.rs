//! Time as an input: the adapter reads the clock, the core turns it into the date and time
//! fields of ISO 8583 (7, 12, 13) and the RRN prefix.

const SECONDS_PER_DAY: i64 = 86_400;

/// A moment as the terminal's clock gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix_s: i64,
    /// Local time minus UTC, in minutes (for fields 12 and 13 and the RRN).
    pub utc_offset_min: i32,
}

/// A civil date and time (proleptic Gregorian calendar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CivilTime {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 1..=366
    pub day_of_year: u32,
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days before the first of each month in a common year.
const DAYS_BEFORE_MONTH: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

impl CivilTime {
    /// The civil time `unix_s` seconds after the Unix epoch.
    pub fn from_unix(unix_s: i64) -> CivilTime {
        let days = unix_s.div_euclid(SECONDS_PER_DAY);
        let secs = unix_s.rem_euclid(SECONDS_PER_DAY);
        let c = iso8583::civil::from_unix_s(days * SECONDS_PER_DAY);
        let (year, month, day) = (c.year, u32::from(c.month), u32::from(c.day));
        let leap_day = u32::from(month > 2 && is_leap(year));
        let before = DAYS_BEFORE_MONTH
            .get(month as usize - 1)
            .copied()
            .unwrap_or(0);
        CivilTime {
            year,
            month,
            day,
            hour: (secs / 3600) as u32,
            minute: (secs % 3600 / 60) as u32,
            second: (secs % 60) as u32,
            day_of_year: before + leap_day + day,
        }
    }
}

impl Now {
    pub fn utc(&self) -> CivilTime {
        CivilTime::from_unix(self.unix_s)
    }

    pub fn local(&self) -> CivilTime {
        CivilTime::from_unix(
            self.unix_s
                .saturating_add(i64::from(self.utc_offset_min) * 60),
        )
    }

    /// Field 7, transmission date and time: UTC `MMDDhhmmss`.
    pub fn transmission_field(&self) -> String {
        let t = self.utc();
        format!(
            "{:02}{:02}{:02}{:02}{:02}",
            t.month, t.day, t.hour, t.minute, t.second
        )
    }

    /// Field 12, local transaction time: `hhmmss`.
    pub fn local_time_field(&self) -> String {
        let t = self.local();
        format!("{:02}{:02}{:02}", t.hour, t.minute, t.second)
    }

    /// Field 13, local transaction date: `MMDD`.
    pub fn local_date_field(&self) -> String {
        let t = self.local();
        format!("{:02}{:02}", t.month, t.day)
    }

    /// The first half of an RRN (retrieval reference number, field 37): `YDDDhh` of local
    /// time: last digit of the year, day of the year, hour.
    pub fn rrn_prefix(&self) -> String {
        let t = self.local();
        format!("{}{:03}{:02}", t.year.rem_euclid(10), t.day_of_year, t.hour)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values checked with GNU date: `date -u -d @SECONDS '+%Y-%m-%d %H:%M:%S %j'`.
    #[test]
    fn known_moments() {
        let t = CivilTime::from_unix(1_700_000_000);
        assert_eq!(
            (
                t.year,
                t.month,
                t.day,
                t.hour,
                t.minute,
                t.second,
                t.day_of_year
            ),
            (2023, 11, 14, 22, 13, 20, 318)
        );
        let t = CivilTime::from_unix(0);
        assert_eq!((t.year, t.month, t.day, t.day_of_year), (1970, 1, 1, 1));
        // 2024-02-29T12:00:00Z, a leap day.
        let t = CivilTime::from_unix(1_709_208_000);
        assert_eq!((t.year, t.month, t.day, t.day_of_year), (2024, 2, 29, 60));
        // 2024-12-31T23:59:59Z: day 366 of a leap year.
        let t = CivilTime::from_unix(1_735_689_599);
        assert_eq!(
            (
                t.year,
                t.month,
                t.day,
                t.hour,
                t.minute,
                t.second,
                t.day_of_year
            ),
            (2024, 12, 31, 23, 59, 59, 366)
        );
        // 2100-03-01T00:00:00Z: 2100 is not a leap year.
        let t = CivilTime::from_unix(4_107_542_400);
        assert_eq!((t.year, t.month, t.day, t.day_of_year), (2100, 3, 1, 60));
        // 1969-12-31T23:59:59Z, before the epoch.
        let t = CivilTime::from_unix(-1);
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.day_of_year),
            (1969, 12, 31, 23, 365)
        );
    }

    fn days_in_month(year: i64, month: u32) -> u32 {
        match month {
            2 if is_leap(year) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    proptest::proptest! {
        /// One day later is the next calendar day, whatever the moment (years 1 to 9999).
        #[test]
        fn a_day_later_is_the_next_day(s in -62_135_596_800i64..253_402_214_400) {
            let a = CivilTime::from_unix(s);
            let b = CivilTime::from_unix(s + SECONDS_PER_DAY);
            proptest::prop_assert_eq!((a.hour, a.minute, a.second), (b.hour, b.minute, b.second));
            proptest::prop_assert!((1..=days_in_month(a.year, a.month)).contains(&a.day));
            if a.day < days_in_month(a.year, a.month) {
                proptest::prop_assert_eq!((b.year, b.month, b.day), (a.year, a.month, a.day + 1));
                proptest::prop_assert_eq!(b.day_of_year, a.day_of_year + 1);
            } else if a.month < 12 {
                proptest::prop_assert_eq!((b.year, b.month, b.day), (a.year, a.month + 1, 1));
                proptest::prop_assert_eq!(b.day_of_year, a.day_of_year + 1);
            } else {
                proptest::prop_assert_eq!((b.year, b.month, b.day, b.day_of_year), (a.year + 1, 1, 1, 1));
                proptest::prop_assert_eq!(a.day_of_year, if is_leap(a.year) { 366 } else { 365 });
            }
        }
    }

    #[test]
    fn fields_use_utc_and_local_time() {
        // 2023-11-14T22:13:20Z; local time UTC+02:00 is 2023-11-15T00:13:20.
        let now = Now {
            unix_s: 1_700_000_000,
            utc_offset_min: 120,
        };
        assert_eq!(now.transmission_field(), "1114221320");
        assert_eq!(now.local_time_field(), "001320");
        assert_eq!(now.local_date_field(), "1115");
        assert_eq!(now.rrn_prefix(), "331900");
    }
}
