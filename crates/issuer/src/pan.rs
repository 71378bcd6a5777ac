//! The PAN (primary account number) as a type that never prints itself in full.

use std::fmt;

/// Why a PAN was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PanError {
    /// Fewer than 12 or more than 19 digits (ISO/IEC 7812).
    #[error("PAN has {0} digits; 12 to 19 expected")]
    Length(usize),
    /// A character that is not a digit.
    #[error("PAN character at position {0} is not a digit")]
    NotDigit(usize),
    /// The last digit is not the Luhn check digit of the others.
    #[error("PAN fails the Luhn check")]
    Luhn,
}

/// A primary account number: 12 to 19 digits with a valid Luhn check digit. `Debug` and
/// `Display` show at most the first 6 and last 4 digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pan(String);

impl Pan {
    /// Checks length, digits and the Luhn check digit.
    pub fn parse(text: &str) -> Result<Self, PanError> {
        if let Some(i) = text.bytes().position(|b| !b.is_ascii_digit()) {
            return Err(PanError::NotDigit(i));
        }
        if !(12..=19).contains(&text.len()) {
            return Err(PanError::Length(text.len()));
        }
        if !luhn_valid(text) {
            return Err(PanError::Luhn);
        }
        Ok(Self(text.to_owned()))
    }

    /// The digits in clear: for the ledger's key derivation and the wire, never for logs.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// First 6 and last 4 digits, the rest as `*`.
    pub fn masked(&self) -> String {
        iso8583::mask::mask_pan(&self.0)
    }

    /// True when the PAN begins with `prefix`.
    pub fn starts_with(&self, prefix: &str) -> bool {
        self.0.starts_with(prefix)
    }
}

impl fmt::Debug for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pan({})", self.masked())
    }
}

impl fmt::Display for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// The Luhn (mod 10) check of ISO/IEC 7812-1 over a string of ASCII digits; false for anything
/// else or for an empty string.
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() {
        return false;
    }
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let d = u32::from(b - b'0');
        // Every second digit from the right, check digit excluded, is doubled.
        sum += if i % 2 == 1 {
            let twice = d * 2;
            if twice > 9 { twice - 9 } else { twice }
        } else {
            d
        };
    }
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_of_published_examples() {
        // "79927398713" is the worked example of the Luhn algorithm (Wikipedia, "Luhn algorithm").
        assert!(luhn_valid("79927398713"));
        for wrong in ["79927398710", "79927398711", "79927398712", "79927398714"] {
            assert!(!luhn_valid(wrong), "{wrong}");
        }
        // Card-brand test numbers published by payment processors' test-card lists.
        assert!(luhn_valid("4111111111111111"));
        assert!(luhn_valid("5555555555554444"));
        assert!(luhn_valid("378282246310005"));
        assert!(!luhn_valid("4111111111111112"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("4111-1111"));
    }

    #[test]
    fn pan_parse_and_mask() {
        let pan = Pan::parse("4111111111111111").unwrap();
        assert_eq!(format!("{pan:?}"), "Pan(411111******1111)");
        assert_eq!(pan.to_string(), "411111******1111");
        assert_eq!(pan.reveal(), "4111111111111111");
        assert_eq!(Pan::parse("41111111111"), Err(PanError::Length(11)));
        assert_eq!(Pan::parse("4111111111111112"), Err(PanError::Luhn));
        assert_eq!(Pan::parse("41111111x1111111"), Err(PanError::NotDigit(8)));
    }
}
