//! The message type indicator (MTI): version, class, function and origin in four digits.

use std::fmt;

/// A message type indicator such as `0100`, held as four ASCII digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mti([u8; 4]);

impl Mti {
    /// `0000`, a placeholder for a message being filled in.
    pub const ZERO: Mti = Mti(*b"0000");

    /// From four ASCII digits; `None` if any is not a digit.
    pub fn new(digits: [u8; 4]) -> Option<Mti> {
        digits.iter().all(u8::is_ascii_digit).then_some(Mti(digits))
    }

    /// From text such as `"0200"`.
    pub fn parse(s: &str) -> Option<Mti> {
        let b: [u8; 4] = s.as_bytes().try_into().ok()?;
        Mti::new(b)
    }

    pub fn as_bytes(&self) -> &[u8; 4] {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        // Always four ASCII digits by construction.
        std::str::from_utf8(&self.0).unwrap_or("????")
    }

    /// Version digit: 0 = ISO 8583:1987, 1 = 1993, 2 = 2003.
    pub fn version(&self) -> u8 {
        self.0[0] - b'0'
    }

    /// Class digit: 1 authorization, 2 financial, 4 reversal, 5 reconciliation, 8 network management.
    pub fn class(&self) -> u8 {
        self.0[1] - b'0'
    }

    /// Function digit: 0 request, 1 response, 2 advice, 3 advice response …
    pub fn function(&self) -> u8 {
        self.0[2] - b'0'
    }

    /// Whether this is a request or advice that expects an answer (function digit even).
    pub fn is_request(&self) -> bool {
        self.function().is_multiple_of(2)
    }

    /// The response MTI for a request or advice: `0100` → `0110`, `0420` → `0430`.
    /// `None` for a message that is already a response.
    pub fn response(&self) -> Option<Mti> {
        if !self.is_request() {
            return None;
        }
        let mut d = self.0;
        d[2] += 1;
        Some(Mti(d))
    }
}

impl fmt::Display for Mti {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Mti {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mti({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_and_parts() {
        let m = Mti::parse("0420").unwrap();
        assert_eq!(m.class(), 4);
        assert_eq!(m.function(), 2);
        assert_eq!(m.response().unwrap().as_str(), "0430");
        assert_eq!(Mti::parse("0110").unwrap().response(), None);
        assert_eq!(Mti::parse("1200").unwrap().version(), 1);
        assert!(Mti::parse("01A0").is_none());
        assert!(Mti::parse("010").is_none());
    }
}
