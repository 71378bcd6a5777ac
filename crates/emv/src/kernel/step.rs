//! What the kernel asks of its caller, and what the caller answers.

use super::Outcome;
use crate::apdu::{Command, PlaintextPin};

/// The kernel's next need.
#[derive(Debug)]
pub enum Step {
    /// Send this command to the card and hand the answer to [`super::Kernel::card_response`].
    Send(Command),
    /// Let the cardholder choose an application (answer with
    /// [`super::Kernel::application_chosen`] and an index into this list).
    ChooseApplication(Vec<Candidate>),
    /// Ask the cardholder for a PIN ([`super::Kernel::pin_entered`]).
    EnterPin(PinRequest),
    /// Send an authorisation request to the host ([`super::Kernel::online_response`]).
    GoOnline(OnlineRequest),
    /// The transaction is over.
    Done(Box<Outcome>),
}

/// An application that both card and terminal support (Book 1 section 12.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The card's AID (ADF name).
    pub aid: Vec<u8>,
    /// Application label (50), if the card gave one.
    pub label: String,
    /// Priority 1 (highest)..=15 from tag 87, `None` when unset.
    pub priority: Option<u8>,
    /// Tag 87 bit 8: the cardholder must confirm this application.
    pub needs_confirmation: bool,
    /// Index of the matching entry in the terminal's AID list.
    pub(crate) config_index: usize,
}

/// Which PIN the kernel needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinRequest {
    /// Offline plaintext PIN, checked by the card with VERIFY; `tries_left` from the PIN try
    /// counter (9F17) or the last 63Cx, when known.
    Offline {
        /// PIN tries left.
        tries_left: Option<u8>,
    },
    /// Online PIN: the PIN pad encrypts it (DUKPT) for the authorisation request.
    Online,
}

/// The PIN pad's answer.
#[derive(Debug)]
pub enum PinEntry {
    /// An offline PIN to send in VERIFY.
    Offline(PlaintextPin),
    /// The PIN pad captured and enciphered an online PIN (the kernel never sees it).
    OnlineCaptured,
    /// The cardholder or merchant bypassed PIN entry.
    Bypassed,
    /// The PIN pad is missing or failed.
    PinPadFailure,
}

/// An authorisation request for the host: the ICC data for ISO 8583 field 55.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineRequest {
    /// TLV-encoded ICC data (9F26 ARQC, 9F27, 9F10, 9F37, 9F36, 95, 9A, 9C, 9F02, …).
    pub field55: Vec<u8>,
    /// Whether an online PIN was captured for this transaction.
    pub online_pin: bool,
}

/// The host's answer to an [`OnlineRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostResponse {
    /// Authorisation Response Code (8A), two ASCII characters, e.g. `b"00"`.
    pub response_code: [u8; 2],
    /// Issuer Authentication Data (91): ARPC and response code / CSU.
    pub issuer_authentication_data: Option<Vec<u8>>,
    /// Issuer script templates, TLV-encoded (71 and/or 72, each holding 9F18 and 86s).
    pub scripts: Vec<u8>,
}

impl HostResponse {
    /// Whether the response code approves (00, 08, 10, 11).
    pub fn approved(&self) -> bool {
        matches!(&self.response_code, b"00" | b"08" | b"10" | b"11")
    }
}
