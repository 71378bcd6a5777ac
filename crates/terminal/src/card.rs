//! What the card reader hands the core: a PAN keyed in with its expiry, or a swiped track 2.
//! Every type here keeps its digits in zeroizing memory and prints them masked.

use std::fmt;

use emv::kernel::TransactionType;
use emv::kernel::fallback::{ChipAttempt, ServiceCode, SwipeDecision, swipe_decision};
use iso8583::composite::track2::{Track2, Track2Error};
use iso8583::mask::mask_pan;
use zeroize::Zeroizing;

/// Why card data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("PAN has {0} characters; 12 to 19 digits expected")]
    PanLength(usize),
    #[error("PAN character at position {0} is not a digit")]
    PanNotDigit(usize),
    #[error("expiry must be four digits YYMM with month 01..12")]
    Expiry,
    #[error("track 2: {0}")]
    Track2(#[from] Track2Error),
    #[error("track 2 is {0} characters; at most 37 fit field 35")]
    Track2Length(usize),
    #[error("track 2's PAN or expiry differs from the card's")]
    Track2Disagrees,
    #[error("swiped entry needs a track 2")]
    NoTrack2,
    #[error("entry must be `keyed` or `swiped`")]
    EntryMode,
    #[error("track 2 service code: {0}")]
    ServiceCode(#[from] emv::kernel::fallback::ServiceCodeError),
    #[error(
        "the service code says the card has a chip: insert it; a swipe is a fallback only after the chip failed"
    )]
    InsertChip,
    #[error("the service code does not allow this transaction at a point of sale")]
    ServiceCodeForbids,
    #[error("the service code requires a PIN: enter one")]
    PinRequired,
    #[error("a fallback is a swipe of a chip card whose chip failed; service code {0} has no chip")]
    FallbackWithoutChip(String),
}

/// PAN (primary account number, field 2). `Debug` and `Display` show the first 6 and last 4
/// digits only.
#[derive(Clone, PartialEq, Eq)]
pub struct Pan(Zeroizing<String>);

impl Pan {
    pub fn new(digits: &str) -> Result<Pan, CardError> {
        if !(12..=19).contains(&digits.len()) {
            return Err(CardError::PanLength(digits.len()));
        }
        if let Some(i) = digits.bytes().position(|b| !b.is_ascii_digit()) {
            return Err(CardError::PanNotDigit(i));
        }
        Ok(Pan(Zeroizing::new(digits.to_string())))
    }

    /// The clear digits, for the wire (field 2) and the journal only.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// First 6 and last 4 digits, the rest `*`.
    pub fn masked(&self) -> String {
        mask_pan(&self.0)
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

/// Card expiry date (field 14), `YYMM`.
#[derive(Clone, PartialEq, Eq)]
pub struct Expiry(Zeroizing<String>);

impl Expiry {
    pub fn new(yymm: &str) -> Result<Expiry, CardError> {
        let digits = yymm.len() == 4 && yymm.bytes().all(|b| b.is_ascii_digit());
        let month_ok = yymm
            .get(2..4)
            .and_then(|m| m.parse::<u8>().ok())
            .is_some_and(|m| (1..=12).contains(&m));
        if !(digits && month_ok) {
            return Err(CardError::Expiry);
        }
        Ok(Expiry(Zeroizing::new(yymm.to_string())))
    }

    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Expiry(****)")
    }
}

/// Track 2 equivalent data as read from the stripe (field 35), checked on creation.
#[derive(Clone, PartialEq, Eq)]
pub struct Track2Data(Zeroizing<String>);

impl Track2Data {
    /// Field 35 is `z ..37`.
    pub const LEN_MAX: usize = 37;

    pub fn new(value: &str) -> Result<Track2Data, CardError> {
        if value.len() > Self::LEN_MAX {
            return Err(CardError::Track2Length(value.len()));
        }
        Track2::parse(value)?;
        Ok(Track2Data(Zeroizing::new(value.to_string())))
    }

    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// The PAN the track starts with.
    pub fn pan(&self) -> Result<Pan, CardError> {
        Pan::new(Track2::parse(&self.0)?.pan)
    }

    /// The expiry the track carries.
    pub fn expiry(&self) -> Result<Expiry, CardError> {
        Expiry::new(Track2::parse(&self.0)?.expiry)
    }
}

impl fmt::Debug for Track2Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Track2::parse(&self.0) {
            Ok(t) => write!(f, "Track2Data({}=****)", mask_pan(t.pan)),
            Err(_) => f.write_str("Track2Data(unreadable)"),
        }
    }
}

/// POS entry mode (field 22): how the PAN entered the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryMode {
    /// `012`: typed on the keypad.
    Keyed,
    /// `022`: read from the magnetic stripe.
    Swiped,
    /// `051`: read from the chip (ICC), with field 55.
    Chip,
    /// `801`: read from the magnetic stripe of a chip card whose chip could not be used
    /// (EMV fallback).
    Fallback,
}

impl EntryMode {
    /// Field 22's three digits.
    pub fn field(self) -> &'static str {
        match self {
            EntryMode::Keyed => "012",
            EntryMode::Swiped => "022",
            EntryMode::Chip => "051",
            EntryMode::Fallback => "801",
        }
    }

    pub fn from_field(field: &str) -> Option<EntryMode> {
        match field {
            "012" => Some(EntryMode::Keyed),
            "022" => Some(EntryMode::Swiped),
            "051" => Some(EntryMode::Chip),
            "801" => Some(EntryMode::Fallback),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            EntryMode::Keyed => "keyed",
            EntryMode::Swiped => "swiped",
            EntryMode::Chip => "chip",
            EntryMode::Fallback => "fallback",
        }
    }
}

/// The card as presented for one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Card {
    Keyed {
        pan: Pan,
        expiry: Expiry,
    },
    /// Read from the magnetic stripe; `fallback` when the card's chip was tried first and
    /// could not be used.
    Swiped {
        track2: Track2Data,
        fallback: bool,
    },
}

impl Card {
    pub fn keyed(pan: &str, expiry_yymm: &str) -> Result<Card, CardError> {
        Ok(Card::Keyed {
            pan: Pan::new(pan)?,
            expiry: Expiry::new(expiry_yymm)?,
        })
    }

    pub fn swiped(track2: &str) -> Result<Card, CardError> {
        let track2 = Track2Data::new(track2)?;
        // A track whose PAN or expiry is unusable is refused here, not at send time.
        track2.pan()?;
        track2.expiry()?;
        Ok(Card::Swiped {
            track2,
            fallback: false,
        })
    }

    /// The same stripe, read after the card's chip failed (EMV fallback, entry mode 801).
    /// Only a chip card (service code 2xx or 6xx) falls back; others are plain swipes.
    pub fn as_fallback(&self) -> Result<Card, CardError> {
        let Card::Swiped { track2, .. } = self else {
            return Err(CardError::NoTrack2);
        };
        let code = ServiceCode::from_track2_ascii(track2.reveal().as_bytes())?;
        if !code.has_chip() {
            let digits: String = code.0.iter().map(|d| char::from(b'0' + d % 10)).collect();
            return Err(CardError::FallbackWithoutChip(digits));
        }
        Ok(Card::Swiped {
            track2: track2.clone(),
            fallback: true,
        })
    }

    pub fn entry_mode(&self) -> EntryMode {
        match self {
            Card::Keyed { .. } => EntryMode::Keyed,
            Card::Swiped {
                fallback: false, ..
            } => EntryMode::Swiped,
            Card::Swiped { fallback: true, .. } => EntryMode::Fallback,
        }
    }

    /// The service code rules for a swipe (ISO/IEC 7813, EMV Book 4 11.1) at this
    /// attended point of sale with a PIN pad: a chip card must be inserted unless its chip
    /// failed; the code may forbid goods and services here, or demand a PIN. Keyed cards
    /// have no service code.
    pub fn check_service_code(&self, pin_entered: bool) -> Result<(), CardError> {
        let Card::Swiped { track2, fallback } = self else {
            return Ok(());
        };
        let code = ServiceCode::from_track2_ascii(track2.reveal().as_bytes())?;
        let chip = if *fallback {
            ChipAttempt::Failed
        } else {
            ChipAttempt::NotTried
        };
        match swipe_decision(code, chip, TransactionType::Purchase, false, true) {
            SwipeDecision::InsertChip => Err(CardError::InsertChip),
            SwipeDecision::NotAllowed => Err(CardError::ServiceCodeForbids),
            SwipeDecision::Proceed { pin_required, .. } if pin_required && !pin_entered => {
                Err(CardError::PinRequired)
            }
            SwipeDecision::Proceed { .. } => Ok(()),
        }
    }

    pub fn pan(&self) -> Result<Pan, CardError> {
        match self {
            Card::Keyed { pan, .. } => Ok(pan.clone()),
            Card::Swiped { track2, .. } => track2.pan(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_pan() {
        let card = Card::swiped("4761739001010010=25122011143804400000").unwrap();
        let shown = format!("{card:?}");
        assert!(shown.contains("476173******0010"), "{shown}");
        assert!(!shown.contains("4761739001010010"));
        assert!(!shown.contains("1143804400000"));
        let keyed = Card::keyed("5413330089010434", "2712").unwrap();
        let shown = format!("{keyed:?}");
        assert!(
            shown.contains("541333******0434") && !shown.contains("2712"),
            "{shown}"
        );
        assert_eq!(card.pan().unwrap().reveal(), "4761739001010010");
        assert_eq!(card.entry_mode().field(), "022");
        assert_eq!(keyed.entry_mode().field(), "012");
    }

    #[test]
    fn refuses_bad_card_data() {
        assert_eq!(Pan::new("41111"), Err(CardError::PanLength(5)));
        assert_eq!(
            Pan::new("41111111111x1111"),
            Err(CardError::PanNotDigit(11))
        );
        assert_eq!(Expiry::new("2713").err(), Some(CardError::Expiry));
        assert_eq!(Expiry::new("27-1").err(), Some(CardError::Expiry));
        assert!(matches!(
            Card::swiped("4761739001010010"),
            Err(CardError::Track2(Track2Error::NoSeparator))
        ));
        assert_eq!(
            Card::swiped("4761739001010010=251220111438044000000000"),
            Err(CardError::Track2Length(41))
        );
    }

    /// Service codes (ISO/IEC 7813): first digit 2 = chip card, third digit 1 = no
    /// restriction, 0 = PIN required, 6 = PIN when a PIN pad is present, 3 = ATM only.
    fn stripe(service_code: &str) -> Card {
        Card::swiped(&format!("4761739001010010=3012{service_code}1000000000")).unwrap()
    }

    #[test]
    fn a_chip_card_is_swiped_only_as_a_fallback_and_by_its_service_code() {
        assert_eq!(stripe("101").check_service_code(false), Ok(()));
        assert_eq!(stripe("101").entry_mode(), EntryMode::Swiped);
        assert_eq!(
            stripe("101").as_fallback(),
            Err(CardError::FallbackWithoutChip("101".into()))
        );
        assert_eq!(
            stripe("201").check_service_code(false),
            Err(CardError::InsertChip)
        );
        let fallback = stripe("201").as_fallback().unwrap();
        assert_eq!(fallback.entry_mode(), EntryMode::Fallback);
        assert_eq!(fallback.entry_mode().field(), "801");
        assert_eq!(fallback.check_service_code(false), Ok(()));
        for (code, pin, expected) in [
            ("220", false, Err(CardError::PinRequired)),
            ("220", true, Ok(())),
            ("206", false, Err(CardError::PinRequired)),
            ("203", true, Err(CardError::ServiceCodeForbids)),
        ] {
            let card = stripe(code).as_fallback().unwrap();
            assert_eq!(card.check_service_code(pin), expected, "{code} pin {pin}");
        }
        assert_eq!(
            stripe("101").check_service_code(false),
            stripe("601")
                .as_fallback()
                .unwrap()
                .check_service_code(false)
        );
        assert_eq!(
            Card::keyed("4761739001010010", "3012")
                .unwrap()
                .check_service_code(false),
            Ok(())
        );
    }
}
