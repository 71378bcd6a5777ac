//! Command and response APDUs (ISO/IEC 7816-4 section 5, EMV Book 1 section 9 and Book 3
//! section 6): the four command cases in short and extended length, status words, and
//! builders for the commands a terminal sends to an EMV card.
//!
//! The same types serve both ends: the terminal kernel builds commands and parses responses,
//! a card application parses commands and builds responses.

mod builders;
mod command;
mod error;
mod response;
mod status;

pub use builders::{
    AcReference, AcType, PlaintextPin, SelectOccurrence, external_authenticate, generate_ac,
    get_challenge, get_data, get_processing_options, get_response, internal_authenticate,
    read_record, select_by_name, verify_plaintext_pin,
};
pub use command::{
    Case, Command, MAX_EXTENDED_DATA, MAX_EXTENDED_LE, MAX_SHORT_DATA, MAX_SHORT_LE,
};
pub use error::ApduError;
pub use response::Response;
pub use status::StatusWord;

/// Instruction bytes (INS) of the commands EMV uses (EMV Book 3 section 6.5, ISO/IEC 7816-4).
pub mod ins {
    /// APPLICATION BLOCK (issuer script).
    pub const APPLICATION_BLOCK: u8 = 0x1E;
    /// APPLICATION UNBLOCK (issuer script).
    pub const APPLICATION_UNBLOCK: u8 = 0x18;
    /// CARD BLOCK (issuer script).
    pub const CARD_BLOCK: u8 = 0x16;
    /// EXTERNAL AUTHENTICATE: issuer authentication data to the card.
    pub const EXTERNAL_AUTHENTICATE: u8 = 0x82;
    /// GENERATE APPLICATION CRYPTOGRAM.
    pub const GENERATE_AC: u8 = 0xAE;
    /// GET CHALLENGE: an unpredictable number from the card.
    pub const GET_CHALLENGE: u8 = 0x84;
    /// GET DATA: a primitive data object by tag (ATC, last online ATC, PIN try counter…).
    pub const GET_DATA: u8 = 0xCA;
    /// GET PROCESSING OPTIONS: starts the transaction, returns AIP and AFL.
    pub const GET_PROCESSING_OPTIONS: u8 = 0xA8;
    /// GET RESPONSE: fetches response bytes announced by 61xx (T=0).
    pub const GET_RESPONSE: u8 = 0xC0;
    /// INTERNAL AUTHENTICATE: dynamic signature for DDA.
    pub const INTERNAL_AUTHENTICATE: u8 = 0x88;
    /// PIN CHANGE/UNBLOCK (issuer script).
    pub const PIN_CHANGE_UNBLOCK: u8 = 0x24;
    /// PUT DATA (issuer script).
    pub const PUT_DATA: u8 = 0xDA;
    /// READ RECORD.
    pub const READ_RECORD: u8 = 0xB2;
    /// SELECT.
    pub const SELECT: u8 = 0xA4;
    /// UPDATE RECORD (issuer script).
    pub const UPDATE_RECORD: u8 = 0xDC;
    /// VERIFY: offline PIN.
    pub const VERIFY: u8 = 0x20;
}
