//! Field 90 of ISO 8583:1987, original data elements: which message a reversal undoes.

use std::fmt::Write;

/// Why field 90 could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginalDataError {
    #[error("field 90 is {0} characters; 42 expected")]
    Length(usize),
    #[error("field 90 character at position {0} is not a digit")]
    NotDigit(usize),
}

/// The five parts of field 90 (n42).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginalData {
    /// MTI of the original message (n4).
    pub mti: String,
    /// STAN of the original message (n6).
    pub stan: String,
    /// Transmission date and time of the original, MMDDhhmmss (n10).
    pub transmission: String,
    /// Acquiring institution id of the original (n11, zero-filled on the left).
    pub acquirer: String,
    /// Forwarding institution id of the original (n11, zero-filled on the left).
    pub forwarder: String,
}

impl OriginalData {
    pub fn parse(value: &str) -> Result<OriginalData, OriginalDataError> {
        if value.len() != 42 {
            return Err(OriginalDataError::Length(value.len()));
        }
        if let Some(i) = value.bytes().position(|b| !b.is_ascii_digit()) {
            return Err(OriginalDataError::NotDigit(i));
        }
        let part = |a: usize, b: usize| value.get(a..b).unwrap_or("").to_string();
        Ok(OriginalData {
            mti: part(0, 4),
            stan: part(4, 10),
            transmission: part(10, 20),
            acquirer: part(20, 31),
            forwarder: part(31, 42),
        })
    }

    /// The 42-digit field value; ids are zero-filled on the left to 11 digits.
    pub fn to_field(&self) -> String {
        let mut s = String::with_capacity(42);
        let _ = write!(
            s,
            "{:0>4}{:0>6}{:0>10}{:0>11}{:0>11}",
            self.mti, self.stan, self.transmission, self.acquirer, self.forwarder
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let v = "020000012311241530450000000123400000000000";
        let od = OriginalData::parse(v).unwrap();
        assert_eq!(od.mti, "0200");
        assert_eq!(od.stan, "000123");
        assert_eq!(od.transmission, "1124153045");
        assert_eq!(od.acquirer, "00000001234");
        assert_eq!(od.forwarder, "00000000000");
        assert_eq!(od.to_field(), v);
        assert_eq!(
            OriginalData::parse("0200"),
            Err(OriginalDataError::Length(4))
        );
    }
}
