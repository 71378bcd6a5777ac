//! Time as the issuer sees it: an input (never read from a clock here), with the calendar
//! arithmetic that card expiry dates and daily limits need.

/// Nanoseconds per second.
const NS_PER_S: u64 = 1_000_000_000;
/// Seconds per day (UTC days: the ledger and the daily limit ignore leap seconds, as Unix time does).
const S_PER_DAY: u64 = 86_400;

/// A point in time: nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime {
    ns: u64,
}

impl UnixTime {
    /// From nanoseconds since the epoch.
    pub const fn from_ns(ns: u64) -> Self {
        Self { ns }
    }

    /// From whole seconds since the epoch (saturating far in the future).
    pub const fn from_secs(s: u64) -> Self {
        Self {
            ns: s.saturating_mul(NS_PER_S),
        }
    }

    /// Nanoseconds since the epoch.
    pub const fn as_ns(self) -> u64 {
        self.ns
    }

    /// Whole seconds since the epoch.
    pub const fn as_secs(self) -> u64 {
        self.ns / NS_PER_S
    }

    /// This time plus `s` seconds.
    #[must_use]
    pub const fn plus_secs(self, s: u64) -> Self {
        Self {
            ns: self.ns.saturating_add(s.saturating_mul(NS_PER_S)),
        }
    }

    /// UTC day number since the epoch: the unit of the daily limit.
    pub const fn day(self) -> u64 {
        self.as_secs() / S_PER_DAY
    }

    /// UTC calendar year and month (1..=12).
    pub fn year_month(self) -> (u64, u8) {
        let c = iso8583::civil::from_unix_s(i64::try_from(self.as_secs()).unwrap_or(i64::MAX));
        (u64::try_from(c.year).unwrap_or(0), c.month)
    }
}

/// A card's expiry date as printed and encoded (YYMM): valid through the last day of that month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Expiry {
    /// Two-digit year (20YY).
    pub yy: u8,
    /// Month, 1..=12.
    pub mm: u8,
}

impl Expiry {
    /// Reads `YYMM`; `None` unless four digits with a month 01..=12.
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() != 4 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let digit = |i: usize| b.get(i).map_or(0, |d| d - b'0');
        let yy = digit(0) * 10 + digit(1);
        let mm = digit(2) * 10 + digit(3);
        (1..=12).contains(&mm).then_some(Self { yy, mm })
    }

    /// True once the month after the expiry month has begun (UTC).
    pub fn is_expired_at(self, now: UnixTime) -> bool {
        let (year, month) = now.year_month();
        (year, month) > (2000 + u64::from(self.yy), self.mm)
    }

    /// The `YYMM` text.
    pub fn to_yymm(self) -> String {
        format!("{:02}{:02}", self.yy, self.mm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_dates_of_known_instants() {
        // Unix times of these UTC instants are standard facts (e.g. `date -u -d @N`).
        assert_eq!(UnixTime::from_secs(0).year_month(), (1970, 1));
        // 2000-02-29T00:00:00Z = 951 782 400 s: a leap day in a century leap year.
        assert_eq!(UnixTime::from_secs(951_782_400).year_month(), (2000, 2));
        // 2024-12-31T23:59:59Z = 1 735 689 599 s; one second later is 2025-01-01.
        assert_eq!(UnixTime::from_secs(1_735_689_599).year_month(), (2024, 12));
        assert_eq!(UnixTime::from_secs(1_735_689_600).year_month(), (2025, 1));
        // 2100-03-01T00:00:00Z = 4 107 542 400 s (2100 is not a leap year).
        assert_eq!(UnixTime::from_secs(4_107_542_400).year_month(), (2100, 3));
        assert_eq!(UnixTime::from_secs(4_107_542_399).year_month(), (2100, 2));
    }

    #[test]
    fn expiry_is_inclusive_of_its_month() {
        let e = Expiry::parse("2412").unwrap();
        assert!(!e.is_expired_at(UnixTime::from_secs(1_735_689_599)));
        assert!(e.is_expired_at(UnixTime::from_secs(1_735_689_600)));
        assert_eq!(e.to_yymm(), "2412");
        assert_eq!(Expiry::parse("2413"), None);
        assert_eq!(Expiry::parse("2400"), None);
        assert_eq!(Expiry::parse("24 1"), None);
        assert_eq!(Expiry::parse("24121"), None);
    }

    #[test]
    fn days_and_seconds() {
        let t = UnixTime::from_secs(1_735_689_600).plus_secs(86_399);
        assert_eq!(t.day(), 1_735_689_600 / 86_400);
        assert_eq!(t.plus_secs(1).day(), t.day() + 1);
        assert_eq!(UnixTime::from_ns(1_500_000_000).as_secs(), 1);
    }
}
