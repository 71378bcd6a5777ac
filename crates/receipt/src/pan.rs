//! The masked PAN (primary account number) a receipt may print.
//!
//! The caller masks the PAN; this module checks it again, because printing one digit too many
//! on paper cannot be taken back. Errors name positions, never the digits.

use std::fmt;

use thiserror::Error;

/// Digits that may stay visible at the start (the issuer's BIN).
pub const CLEAR_HEAD_DIGITS: usize = 6;
/// Digits that may stay visible at the end.
pub const CLEAR_TAIL_DIGITS: usize = 4;
/// Shortest PAN in use (ISO/IEC 7812 allows 8, but at 10 or fewer nothing would stay masked).
pub const PAN_LEN_MIN: usize = 12;
/// Longest PAN ISO/IEC 7812 allows.
pub const PAN_LEN_MAX: usize = 19;

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum MaskedPanError {
    #[error("masked PAN is {len} characters; a PAN has {PAN_LEN_MIN} to {PAN_LEN_MAX} digits")]
    Length { len: usize },
    #[error(
        "masked PAN has a character that is neither a digit nor a mask (* or X) at position {position}"
    )]
    BadCharacter { position: usize },
    #[error(
        "masked PAN shows a digit at position {position}: only the first {CLEAR_HEAD_DIGITS} and last {CLEAR_TAIL_DIGITS} may be visible"
    )]
    TooManyDigitsVisible { position: usize },
}

/// A PAN with every digit masked except at most the first 6 and last 4, e.g. `476173******0119`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MaskedPan(String);

impl MaskedPan {
    /// Checks a PAN the caller masked with `*` or `X`: 12 to 19 characters, digits allowed
    /// only in the first 6 and last 4 positions.
    pub fn parse(masked: &str) -> Result<MaskedPan, MaskedPanError> {
        let len = masked.chars().count();
        if !(PAN_LEN_MIN..=PAN_LEN_MAX).contains(&len) {
            return Err(MaskedPanError::Length { len });
        }
        let visible_end = len - CLEAR_TAIL_DIGITS;
        for (position, c) in masked.chars().enumerate() {
            let is_mask = c == '*' || c == 'X';
            if !(is_mask || c.is_ascii_digit()) {
                return Err(MaskedPanError::BadCharacter { position });
            }
            if !is_mask && (CLEAR_HEAD_DIGITS..visible_end).contains(&position) {
                return Err(MaskedPanError::TooManyDigitsVisible { position });
            }
        }
        Ok(MaskedPan(masked.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MaskedPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MaskedPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MaskedPan({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_six_and_four() {
        for ok in [
            "476173******0119",
            "4761XXXXXXXX0119",
            "************0119",
            "****************",
            "123456**3456",
            "476173*********0119",
        ] {
            assert_eq!(MaskedPan::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_more_digits() {
        assert_eq!(
            MaskedPan::parse("4761731*****0119"),
            Err(MaskedPanError::TooManyDigitsVisible { position: 6 })
        );
        assert_eq!(
            MaskedPan::parse("476173*****10119"),
            Err(MaskedPanError::TooManyDigitsVisible { position: 11 })
        );
        // An unmasked PAN (the Visa test card 4761 7390 0101 0119).
        assert_eq!(
            MaskedPan::parse("4761739001010119"),
            Err(MaskedPanError::TooManyDigitsVisible { position: 6 })
        );
        assert_eq!(
            MaskedPan::parse("4761 73** **** 0119"),
            Err(MaskedPanError::BadCharacter { position: 4 })
        );
        assert_eq!(
            MaskedPan::parse("476173*0119"),
            Err(MaskedPanError::Length { len: 11 })
        );
        assert_eq!(
            MaskedPan::parse("476173**********0119"),
            Err(MaskedPanError::Length { len: 20 })
        );
    }

    #[test]
    fn errors_do_not_show_digits() {
        let err = MaskedPan::parse("4761739001010119")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("4761739001"), "{err}");
    }
}
