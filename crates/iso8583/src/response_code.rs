//! Response codes (field 39) of ISO 8583:1987, each with the short text receipts and logs use.

use std::fmt;

/// A two-character response code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResponseCode([u8; 2]);

macro_rules! codes {
    ($($name:ident = $code:literal, $text:literal;)*) => {
        impl ResponseCode {
            $(
                #[doc = $text]
                pub const $name: ResponseCode = ResponseCode(*$code);
            )*
        }

        /// Every code this crate names, with its text.
        pub const KNOWN: &[(ResponseCode, &str)] = &[$((ResponseCode(*$code), $text)),*];
    };
}

codes! {
    APPROVED = b"00", "Approved";
    REFER_TO_ISSUER = b"01", "Refer to card issuer";
    INVALID_MERCHANT = b"03", "Invalid merchant";
    DO_NOT_HONOUR = b"05", "Do not honour";
    INVALID_TRANSACTION = b"12", "Invalid transaction";
    INVALID_AMOUNT = b"13", "Invalid amount";
    INVALID_CARD_NUMBER = b"14", "Invalid card number";
    NO_SUCH_RECORD = b"25", "Unable to locate record";
    FORMAT_ERROR = b"30", "Format error";
    LOST_CARD = b"41", "Lost card, pick up";
    STOLEN_CARD = b"43", "Stolen card, pick up";
    INSUFFICIENT_FUNDS = b"51", "Insufficient funds";
    EXPIRED_CARD = b"54", "Expired card";
    INCORRECT_PIN = b"55", "Incorrect PIN";
    NOT_PERMITTED_CARDHOLDER = b"57", "Transaction not permitted to cardholder";
    NOT_PERMITTED_TERMINAL = b"58", "Transaction not permitted to terminal";
    EXCEEDS_AMOUNT_LIMIT = b"61", "Exceeds withdrawal amount limit";
    SECURITY_VIOLATION = b"63", "Security violation";
    EXCEEDS_FREQUENCY_LIMIT = b"65", "Exceeds withdrawal frequency limit";
    RESPONSE_TOO_LATE = b"68", "Response received too late";
    PIN_TRIES_EXCEEDED = b"75", "Allowable number of PIN tries exceeded";
    CUTOFF_IN_PROGRESS = b"90", "Cutoff is in process";
    ISSUER_INOPERATIVE = b"91", "Issuer or switch inoperative";
    DUPLICATE_TRANSMISSION = b"94", "Duplicate transmission";
    RECONCILE_ERROR = b"95", "Reconcile error";
    SYSTEM_MALFUNCTION = b"96", "System malfunction";
}

impl ResponseCode {
    /// From field 39's two characters (letters and digits, as the field is `an2`).
    pub fn parse(s: &str) -> Option<ResponseCode> {
        let b: [u8; 2] = s.as_bytes().try_into().ok()?;
        b.iter()
            .all(u8::is_ascii_alphanumeric)
            .then_some(ResponseCode(b))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    pub fn as_bytes(&self) -> &[u8; 2] {
        &self.0
    }

    /// Whether the transaction was approved (`00`).
    pub fn is_approved(&self) -> bool {
        *self == ResponseCode::APPROVED
    }

    /// The short text for receipts and logs; unknown codes say so.
    pub fn text(&self) -> &'static str {
        KNOWN
            .iter()
            .find(|(c, _)| c == self)
            .map(|(_, t)| *t)
            .unwrap_or("Unknown response code")
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.as_str(), self.text())
    }
}

impl fmt::Debug for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResponseCode({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_texts() {
        assert_eq!(
            ResponseCode::parse("51"),
            Some(ResponseCode::INSUFFICIENT_FUNDS)
        );
        assert_eq!(
            ResponseCode::INSUFFICIENT_FUNDS.text(),
            "Insufficient funds"
        );
        assert_eq!(ResponseCode::APPROVED.to_string(), "00 Approved");
        assert!(ResponseCode::APPROVED.is_approved());
        assert_eq!(
            ResponseCode::parse("Z9").unwrap().text(),
            "Unknown response code"
        );
        assert_eq!(ResponseCode::parse("0"), None);
        assert_eq!(ResponseCode::parse("0 "), None);
        let mut seen = std::collections::HashSet::new();
        assert!(
            KNOWN.iter().all(|(c, _)| seen.insert(*c)),
            "codes are unique"
        );
    }
}
