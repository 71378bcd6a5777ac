//! UTC calendar fields from a Unix time, for field 7 (transmission date and time,
//! `MMDDhhmmss`) and every other date a service needs. Pure: the caller reads the clock.
//! The one calendar of the workspace: the services call it rather than keep their own.

/// A UTC calendar date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

/// The UTC calendar fields of `unix_s` seconds since 1970-01-01T00:00:00Z.
pub fn from_unix_s(unix_s: i64) -> Civil {
    let days = unix_s.div_euclid(86_400);
    let second_of_day = unix_s.rem_euclid(86_400);
    // Days to a proleptic Gregorian date, counting in 400-year eras that start on March 1st
    // so that the leap day falls at the end of each year.
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month: month as u8,
        day: day as u8,
        hour: (second_of_day / 3_600) as u8,
        minute: (second_of_day / 60 % 60) as u8,
        second: (second_of_day % 60) as u8,
    }
}

/// Field 7, transmission date and time: `MMDDhhmmss` in UTC.
pub fn transmission_time(unix_s: i64) -> String {
    let c = from_unix_s(unix_s);
    format!(
        "{:02}{:02}{:02}{:02}{:02}",
        c.month, c.day, c.hour, c.minute, c.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_instants() {
        // Reference values: `date -u -d @N` (GNU coreutils).
        let cases = [
            (0, (1970, 1, 1, 0, 0, 0)),
            (951_782_400, (2000, 2, 29, 0, 0, 0)),
            (1_709_251_199, (2024, 2, 29, 23, 59, 59)),
            (1_735_689_600, (2025, 1, 1, 0, 0, 0)),
            (4_107_542_400, (2100, 3, 1, 0, 0, 0)),
            (-1, (1969, 12, 31, 23, 59, 59)),
        ];
        for (unix_s, (year, month, day, hour, minute, second)) in cases {
            assert_eq!(
                from_unix_s(unix_s),
                Civil {
                    year,
                    month,
                    day,
                    hour,
                    minute,
                    second
                },
                "{unix_s}"
            );
        }
        assert_eq!(transmission_time(1_709_251_199), "0229235959");
    }

    proptest! {
        #[test]
        fn consecutive_days_are_consecutive_dates(day in -1_000_000i64..1_000_000) {
            let a = from_unix_s(day * 86_400);
            let b = from_unix_s((day + 1) * 86_400);
            let next_day = b.day == a.day + 1 && b.month == a.month && b.year == a.year;
            let next_month = b.day == 1 && b.month == a.month + 1 && b.year == a.year;
            let next_year = b.day == 1 && b.month == 1 && a.month == 12 && a.day == 31
                && b.year == a.year + 1;
            prop_assert!(next_day || next_month || next_year, "{a:?} -> {b:?}");
            prop_assert!((1..=12).contains(&a.month) && (1..=31).contains(&a.day));
        }
    }
}
