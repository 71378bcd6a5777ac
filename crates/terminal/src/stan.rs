//! STAN (system trace audit number, field 11): the terminal's number for each message it
//! originates, 000001..=999999, wrapping back to 000001.

use std::fmt;

/// A system trace audit number, always in 1..=999_999.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stan(u32);

impl Stan {
    pub const FIRST: Stan = Stan(1);
    pub const LAST: Stan = Stan(999_999);

    /// `None` outside 1..=999_999 (0 is never issued).
    pub fn new(n: u32) -> Option<Stan> {
        (1..=Self::LAST.0).contains(&n).then_some(Stan(n))
    }

    /// From field 11's six digits.
    pub fn parse(field: &str) -> Option<Stan> {
        if field.len() != 6 || !field.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        field.parse().ok().and_then(Stan::new)
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// The number after this one: 999999 is followed by 000001.
    pub fn next(self) -> Stan {
        if self.0 >= Self::LAST.0 {
            Self::FIRST
        } else {
            Stan(self.0 + 1)
        }
    }

    /// Field 11: six digits, zero-filled.
    pub fn field(self) -> String {
        format!("{:06}", self.0)
    }
}

impl fmt::Display for Stan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl fmt::Debug for Stan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Stan({:06})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_after_999999_to_000001() {
        assert_eq!(Stan::LAST.next(), Stan::FIRST);
        assert_eq!(Stan::new(999_998).unwrap().next(), Stan::LAST);
        assert_eq!(Stan::LAST.next().field(), "000001");
        assert_eq!(Stan::new(42).unwrap().field(), "000042");
        assert_eq!(Stan::new(0), None);
        assert_eq!(Stan::new(1_000_000), None);
    }

    proptest::proptest! {
        #[test]
        fn field_and_parse_are_inverse(n in 1u32..=999_999) {
            let s = Stan::new(n).unwrap();
            proptest::prop_assert_eq!(s.field().len(), 6);
            proptest::prop_assert_eq!(Stan::parse(&s.field()), Some(s));
        }
    }

    #[test]
    fn parses_only_six_digits() {
        assert_eq!(Stan::parse("000042"), Stan::new(42));
        assert_eq!(Stan::parse("000000"), None);
        assert_eq!(Stan::parse("42"), None);
        assert_eq!(Stan::parse("+00042"), None);
        assert_eq!(Stan::parse("0000420"), None);
    }
}
