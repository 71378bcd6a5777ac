//! Decimal data: the PAN (primary account number) and the PIN, and the decimalisation of
//! cipher output used by PVV, CVV and EMV option B.

use core::fmt;

use zeroize::{Zeroize, Zeroizing};

/// Most PAN digits allowed by ISO/IEC 7812.
pub const PAN_MAX_DIGITS: usize = 19;
/// Fewest PIN digits allowed by ISO 9564-1.
pub const PIN_MIN_DIGITS: usize = 4;
/// Most PIN digits allowed by ISO 9564-1.
pub const PIN_MAX_DIGITS: usize = 12;

/// Why a PAN was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PanError {
    /// No digits at all.
    #[error("PAN is empty")]
    Empty,
    /// More than 19 digits.
    #[error("PAN has {len} digits; at most {PAN_MAX_DIGITS} are allowed")]
    TooLong {
        /// Digits given.
        len: usize,
    },
    /// A character that is not 0-9.
    #[error("PAN character at offset {offset} is not a decimal digit")]
    NotDigit {
        /// Offset of the character.
        offset: usize,
    },
    /// Fewer digits than an algorithm needs.
    #[error("{what} needs a PAN of at least {min} digits; this one has {len}")]
    TooShortFor {
        /// The algorithm.
        what: &'static str,
        /// Its minimum.
        min: usize,
        /// Digits present.
        len: usize,
    },
}

/// A primary account number: 1 to 19 decimal digits. `Debug` and `Display` show at most the
/// first 6 and last 4 digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Pan {
    digits: [u8; PAN_MAX_DIGITS],
    len: usize,
}

impl Pan {
    /// Parses ASCII decimal digits.
    pub fn new(text: &str) -> Result<Self, PanError> {
        let bytes = text.as_bytes();
        if bytes.is_empty() {
            return Err(PanError::Empty);
        }
        if bytes.len() > PAN_MAX_DIGITS {
            return Err(PanError::TooLong { len: bytes.len() });
        }
        if let Some(offset) = bytes.iter().position(|b| !b.is_ascii_digit()) {
            return Err(PanError::NotDigit { offset });
        }
        let mut digits = [0u8; PAN_MAX_DIGITS];
        for (d, b) in digits.iter_mut().zip(bytes) {
            *d = b - b'0';
        }
        Ok(Pan {
            digits,
            len: bytes.len(),
        })
    }

    /// Number of digits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a PAN has at least one digit.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Digit values (0-9), most significant first.
    pub fn digits(&self) -> &[u8] {
        self.digits.get(..self.len).unwrap_or(&[])
    }

    /// The full PAN as text. Only for building cryptographic input; never log it.
    pub fn reveal(&self) -> String {
        self.digits().iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// Fails unless the PAN has at least `min` digits.
    pub fn require_len(&self, what: &'static str, min: usize) -> Result<(), PanError> {
        if self.len < min {
            return Err(PanError::TooShortFor {
                what,
                min,
                len: self.len,
            });
        }
        Ok(())
    }

    /// The ISO 9564-1 "PAN block" digits: the 12 rightmost digits excluding the check digit,
    /// left-padded with zeros when the PAN is shorter.
    pub fn rightmost_12_excluding_check(&self) -> [u8; 12] {
        let body = self
            .digits()
            .split_last()
            .map(|(_, body)| body)
            .unwrap_or(&[]);
        right_justify::<12>(body)
    }
}

/// The last `N` values of `src`, left-padded with zeros.
pub(crate) fn right_justify<const N: usize>(src: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let take = src.len().min(N);
    let from = src.get(src.len() - take..).unwrap_or(&[]);
    if let Some(dst) = out.get_mut(N - take..) {
        dst.copy_from_slice(from);
    }
    out
}

impl fmt::Display for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Short numbers would be fully revealed by 6 + 4, so they show the last 4 only.
        let show_head = if self.len >= 13 { 6 } else { 0 };
        let show_tail = self.len.saturating_sub(show_head).min(4);
        for (i, d) in self.digits().iter().enumerate() {
            if i < show_head || i >= self.len - show_tail {
                write!(f, "{d}")?;
            } else {
                f.write_str("*")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pan({self})")
    }
}

/// Why a PIN was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// Outside 4 to 12 digits.
    #[error("PIN has {len} digits; {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} are allowed")]
    Length {
        /// Digits given.
        len: usize,
    },
    /// A character that is not 0-9.
    #[error("PIN character at offset {offset} is not a decimal digit")]
    NotDigit {
        /// Offset of the character.
        offset: usize,
    },
}

/// A cardholder PIN: 4 to 12 digits, zeroized on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin {
    digits: [u8; PIN_MAX_DIGITS],
    len: usize,
}

impl Pin {
    /// Parses ASCII decimal digits.
    pub fn new(text: &str) -> Result<Self, PinError> {
        let bytes = text.as_bytes();
        if let Some(offset) = bytes.iter().position(|b| !b.is_ascii_digit()) {
            return Err(PinError::NotDigit { offset });
        }
        if !(PIN_MIN_DIGITS..=PIN_MAX_DIGITS).contains(&bytes.len()) {
            return Err(PinError::Length { len: bytes.len() });
        }
        // Parse straight into the zeroizing buffer: no unwiped copy of the digits.
        let mut digits = [0u8; PIN_MAX_DIGITS];
        for (d, b) in digits.iter_mut().zip(bytes) {
            *d = b - b'0';
        }
        Ok(Pin {
            digits,
            len: bytes.len(),
        })
    }

    /// Builds a PIN from digit values 0-9.
    pub fn from_digit_values(values: &[u8]) -> Result<Self, PinError> {
        if !(PIN_MIN_DIGITS..=PIN_MAX_DIGITS).contains(&values.len()) {
            return Err(PinError::Length { len: values.len() });
        }
        if let Some(offset) = values.iter().position(|d| *d > 9) {
            return Err(PinError::NotDigit { offset });
        }
        let mut digits = [0u8; PIN_MAX_DIGITS];
        for (d, v) in digits.iter_mut().zip(values) {
            *d = *v;
        }
        Ok(Pin {
            digits,
            len: values.len(),
        })
    }

    /// Number of digits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Digit values (0-9).
    pub fn digits(&self) -> &[u8] {
        self.digits.get(..self.len).unwrap_or(&[])
    }

    /// The PIN as text, wiped on drop. Only inside the HSM boundary (tests, PIN verification).
    pub fn reveal(&self) -> Zeroizing<String> {
        Zeroizing::new(self.digits().iter().map(|d| char::from(b'0' + d)).collect())
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        self.digits.zeroize();
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin(<{} digits>)", self.len)
    }
}

/// Decimalises hex nibbles the way Visa PVV, CVV and EMV option B do: first every nibble
/// 0-9 in order, then, if more are needed, every nibble A-F minus 10, in order.
/// Returns fewer than `want` digits only when `nibbles` is shorter than `want`.
pub(crate) fn decimalise_two_pass(nibbles: &[u8], want: usize) -> Vec<u8> {
    let mut out: Vec<u8> = nibbles
        .iter()
        .copied()
        .filter(|n| *n <= 9)
        .take(want)
        .collect();
    if out.len() < want {
        let missing = want - out.len();
        out.extend(
            nibbles
                .iter()
                .filter(|n| **n > 9)
                .map(|n| n - 10)
                .take(missing),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pan_masks_in_debug_and_display() {
        let pan = Pan::new("4111111111111111").unwrap();
        assert_eq!(format!("{pan}"), "411111******1111");
        assert_eq!(format!("{pan:?}"), "Pan(411111******1111)");
        let short = Pan::new("123456789012").unwrap();
        assert_eq!(format!("{short}"), "********9012");
        assert_eq!(Pan::new("12a4"), Err(PanError::NotDigit { offset: 2 }));
        assert_eq!(Pan::new(""), Err(PanError::Empty));
        assert_eq!(
            Pan::new(&"1".repeat(20)),
            Err(PanError::TooLong { len: 20 })
        );
    }

    #[test]
    fn pan_block_digits() {
        let pan = Pan::new("4012345678909").unwrap();
        assert_eq!(
            pan.rightmost_12_excluding_check(),
            [4, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]
        );
        let short = Pan::new("12345").unwrap();
        assert_eq!(
            short.rightmost_12_excluding_check(),
            [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]
        );
    }

    #[test]
    fn pin_rules_and_secrecy() {
        assert_eq!(Pin::new("123"), Err(PinError::Length { len: 3 }));
        assert_eq!(Pin::new("12a4"), Err(PinError::NotDigit { offset: 2 }));
        let pin = Pin::new("1234").unwrap();
        assert_eq!(format!("{pin:?}"), "Pin(<4 digits>)");
        assert_eq!(pin.reveal().as_str(), "1234");
    }

    #[test]
    fn decimalisation_two_pass() {
        assert_eq!(
            decimalise_two_pass(&[0xA, 1, 0xB, 2, 3], 4),
            vec![1, 2, 3, 0]
        );
        assert_eq!(decimalise_two_pass(&[0xF, 0xE], 2), vec![5, 4]);
    }
}
