//! Magnetic stripe and fallback (EMV Book 4 section 11.1, ISO/IEC 7813 service codes): when a
//! swiped card must go to the chip reader instead, and what the service code asks of a
//! swipe that may proceed.

use thiserror::Error;

use super::TransactionType;

/// A service code that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ServiceCodeError {
    /// Track data without a field separator (`=` on a stripe, `D` in track 2 equivalent data).
    #[error("track 2 has no field separator")]
    NoSeparator,
    /// Fewer than the 4 expiry and 3 service code digits after the separator.
    #[error("track 2 ends {digits} digits after the separator (needs 7)")]
    Truncated {
        /// Digits found after the separator.
        digits: usize,
    },
    /// A service code character that is not a digit, at its position (0-based).
    #[error("service code digit {position} is not a decimal digit")]
    NotDigit {
        /// Position in the service code.
        position: usize,
    },
}

/// The three-digit service code of ISO/IEC 7813 (tag 5F30 on the chip).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceCode(pub [u8; 3]);

impl ServiceCode {
    /// From three ASCII digits.
    pub fn from_ascii(digits: &[u8]) -> Result<ServiceCode, ServiceCodeError> {
        let mut out = [0u8; 3];
        for (position, slot) in out.iter_mut().enumerate() {
            let c = digits
                .get(position)
                .ok_or(ServiceCodeError::Truncated { digits: position })?;
            if !c.is_ascii_digit() {
                return Err(ServiceCodeError::NotDigit { position });
            }
            *slot = c - b'0';
        }
        Ok(ServiceCode(out))
    }

    /// From magnetic stripe track 2 as read (`;PAN=YYMMSSS…?`, sentinels optional).
    pub fn from_track2_ascii(track: &[u8]) -> Result<ServiceCode, ServiceCodeError> {
        let at = track
            .iter()
            .position(|c| *c == b'=')
            .ok_or(ServiceCodeError::NoSeparator)?;
        let after = track.get(at + 1..).unwrap_or(&[]);
        let code = after.get(4..7).ok_or(ServiceCodeError::Truncated {
            digits: after.len().min(6),
        })?;
        ServiceCode::from_ascii(code)
    }

    /// From Track 2 Equivalent Data (tag 57, BCD nibbles with `D` as separator).
    pub fn from_track2_equivalent(track: &[u8]) -> Result<ServiceCode, ServiceCodeError> {
        let nibbles: Vec<u8> = track.iter().flat_map(|b| [b >> 4, b & 0x0F]).collect();
        let at = nibbles
            .iter()
            .position(|n| *n == 0x0D)
            .ok_or(ServiceCodeError::NoSeparator)?;
        let after = nibbles.get(at + 1..).unwrap_or(&[]);
        let code = after.get(4..7).ok_or(ServiceCodeError::Truncated {
            digits: after.iter().take_while(|n| **n <= 9).count().min(6),
        })?;
        let ascii: Vec<u8> = code
            .iter()
            .map(|n| if *n <= 9 { b'0' + n } else { b'?' })
            .collect();
        ServiceCode::from_ascii(&ascii)
    }

    /// First digit 2 or 6: the card has a chip and the chip must be used when it can be.
    pub fn has_chip(self) -> bool {
        matches!(self.0[0], 2 | 6)
    }

    /// Second digit 2 or 4: authorisation by the issuer (online) is required.
    pub fn online_required(self) -> bool {
        matches!(self.0[1], 2 | 4)
    }

    /// Third digit 0, 3 or 5: PIN required.
    pub fn pin_required(self) -> bool {
        matches!(self.0[2], 0 | 3 | 5)
    }

    /// Third digit 6 or 7: prompt for a PIN when a PIN pad is present.
    pub fn pin_if_pin_pad(self) -> bool {
        matches!(self.0[2], 6 | 7)
    }

    /// Whether the third digit allows this transaction at a terminal that is (or is not) an
    /// ATM.
    pub fn allows(self, kind: TransactionType, atm: bool) -> bool {
        match self.0[2] {
            // ATMs only.
            3 => atm,
            // Cash only.
            4 => kind == TransactionType::Cash,
            // Goods and services only.
            2 | 5 | 7 => kind != TransactionType::Cash && !atm,
            _ => true,
        }
    }
}

/// How the swipe attempt relates to the chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChipAttempt {
    /// The chip was not tried in this transaction.
    NotTried,
    /// The chip was tried and could not be read or had no mutually supported application
    /// (the conditions that allow fallback, Book 4 11.1).
    Failed,
}

/// What to do with a swiped card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwipeDecision {
    /// A chip card swiped before its chip was tried: ask for the chip.
    InsertChip,
    /// The service code does not allow this transaction here.
    NotAllowed,
    /// Go on with the stripe.
    Proceed {
        /// The swipe is a fallback from a failed chip (POS entry mode 80, not 90).
        fallback: bool,
        /// The transaction must go online (service code, or any fallback).
        online_required: bool,
        /// A PIN must be asked for.
        pin_required: bool,
    },
}

impl SwipeDecision {
    /// The POS entry mode (9F39 / ISO 8583 field 22 first digits) to report: 80 for fallback,
    /// 90 for a plain magnetic stripe read; `None` when the swipe does not proceed.
    pub fn pos_entry_mode(self) -> Option<u8> {
        match self {
            SwipeDecision::Proceed { fallback: true, .. } => Some(0x80),
            SwipeDecision::Proceed {
                fallback: false, ..
            } => Some(0x90),
            _ => None,
        }
    }
}

/// Decides a swipe by the service code rules: a chip card goes to the chip first; a fallback
/// always goes online; PIN by the third digit (6/7 only when a PIN pad is present).
pub fn swipe_decision(
    code: ServiceCode,
    chip: ChipAttempt,
    kind: TransactionType,
    atm: bool,
    pin_pad: bool,
) -> SwipeDecision {
    if code.has_chip() && chip == ChipAttempt::NotTried {
        return SwipeDecision::InsertChip;
    }
    if !code.allows(kind, atm) {
        return SwipeDecision::NotAllowed;
    }
    let fallback = code.has_chip() && chip == ChipAttempt::Failed;
    SwipeDecision::Proceed {
        fallback,
        online_required: fallback || code.online_required(),
        pin_required: code.pin_required() || (pin_pad && code.pin_if_pin_pad()),
    }
}
