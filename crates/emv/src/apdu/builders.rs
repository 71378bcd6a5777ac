//! Builders for the commands a terminal sends to an EMV card (EMV Book 3 section 6.5).
//! Commands that return data carry Le = 256 (`00`), as EMV Book 1 section 9.3.1 has the
//! terminal do for case 2 and 4 commands.

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{ApduError, Command};
use crate::tlv::Tag;

/// Le sent by every builder that expects data: `00`, any length up to 256.
const LE_ANY: usize = 256;

/// Which occurrence SELECT asks for (P2, ISO/IEC 7816-4 section 7.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectOccurrence {
    /// First or only occurrence (P2 = `00`).
    First,
    /// Next occurrence, for partial AID selection (P2 = `02`).
    Next,
}

/// SELECT by DF name (an AID or the PSE/PPSE name): `00 A4 04 P2 Lc name 00`.
pub fn select_by_name(name: &[u8], occurrence: SelectOccurrence) -> Command {
    let p2 = match occurrence {
        SelectOccurrence::First => 0x00,
        SelectOccurrence::Next => 0x02,
    };
    Command::new(0x00, super::ins::SELECT, 0x04, p2)
        .with_data(name)
        .with_le(LE_ANY)
}

/// READ RECORD `record` of short file `sfi` (1..=30): `00 B2 rec (sfi<<3|4) 00`.
pub fn read_record(record: u8, sfi: u8) -> Command {
    Command::new(0x00, super::ins::READ_RECORD, record, (sfi << 3) | 0x04).with_le(LE_ANY)
}

/// GET PROCESSING OPTIONS with the PDOL-related data (empty when the card has no PDOL), sent
/// inside the command template tag 83: `80 A8 00 00 Lc 83 L data 00`.
pub fn get_processing_options(pdol_data: &[u8]) -> Result<Command, ApduError> {
    let mut data = Vec::with_capacity(pdol_data.len() + 4);
    crate::tlv::write(crate::tags::COMMAND_TEMPLATE, pdol_data, &mut data).map_err(|_| {
        ApduError::DataTooLong {
            len: pdol_data.len(),
        }
    })?;
    Ok(
        Command::new(0x80, super::ins::GET_PROCESSING_OPTIONS, 0x00, 0x00)
            .with_data(data)
            .with_le(LE_ANY),
    )
}

/// GET DATA for a one- or two-byte tag (ATC 9F36, last online ATC 9F13, PIN try counter
/// 9F17…): `80 CA tag tag 00`. Longer tags have no P1 P2 form; their low two bytes are sent.
pub fn get_data(tag: Tag) -> Command {
    let raw = tag.raw();
    Command::new(
        0x80,
        super::ins::GET_DATA,
        ((raw >> 8) & 0xFF) as u8,
        (raw & 0xFF) as u8,
    )
    .with_le(LE_ANY)
}

/// GET CHALLENGE: `00 84 00 00 00`.
pub fn get_challenge() -> Command {
    Command::new(0x00, super::ins::GET_CHALLENGE, 0x00, 0x00).with_le(LE_ANY)
}

/// INTERNAL AUTHENTICATE with the DDOL-related data: `00 88 00 00 Lc data 00`.
pub fn internal_authenticate(ddol_data: &[u8]) -> Command {
    Command::new(0x00, super::ins::INTERNAL_AUTHENTICATE, 0x00, 0x00)
        .with_data(ddol_data)
        .with_le(LE_ANY)
}

/// VERIFY with a plaintext PIN block (P2 = `80`): `00 20 00 80 08 block`.
pub fn verify_plaintext_pin(pin: &PlaintextPin) -> Command {
    Command::new(0x00, super::ins::VERIFY, 0x00, 0x80).with_data(pin.block().to_vec())
}

/// EXTERNAL AUTHENTICATE with the issuer authentication data (tag 91's value):
/// `00 82 00 00 Lc data`.
pub fn external_authenticate(issuer_authentication_data: &[u8]) -> Command {
    Command::new(0x00, super::ins::EXTERNAL_AUTHENTICATE, 0x00, 0x00)
        .with_data(issuer_authentication_data)
}

/// GET RESPONSE for `len` bytes announced by 61xx: `00 C0 00 00 Le`.
pub fn get_response(len: usize) -> Command {
    Command::new(0x00, super::ins::GET_RESPONSE, 0x00, 0x00).with_le(len)
}

/// GENERATE AC with the CDOL1- or CDOL2-related data: `80 AE P1 00 Lc data 00`.
pub fn generate_ac(reference: AcReference, cdol_data: &[u8]) -> Command {
    Command::new(0x80, super::ins::GENERATE_AC, reference.to_p1(), 0x00)
        .with_data(cdol_data)
        .with_le(LE_ANY)
}

/// The cryptogram type of GENERATE AC and of the CID (EMV Book 3 section 6.5.5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AcType {
    /// Application Authentication Cryptogram: decline.
    Aac,
    /// Transaction Certificate: approve.
    Tc,
    /// Authorisation Request Cryptogram: go online.
    Arqc,
}

impl AcType {
    /// The two high bits (b8 b7) used in GENERATE AC P1 and the CID.
    pub const fn bits(self) -> u8 {
        match self {
            AcType::Aac => 0x00,
            AcType::Tc => 0x40,
            AcType::Arqc => 0x80,
        }
    }

    /// From a P1 or CID byte's b8 b7; `11` is RFU (AAR in older specs) and gives `None`.
    pub const fn from_bits(byte: u8) -> Option<AcType> {
        match byte & 0xC0 {
            0x00 => Some(AcType::Aac),
            0x40 => Some(AcType::Tc),
            0x80 => Some(AcType::Arqc),
            _ => None,
        }
    }
}

/// GENERATE AC reference control parameter (P1): the cryptogram asked for and whether a CDA
/// signature is requested (b5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AcReference {
    /// Cryptogram type requested.
    pub ac: AcType,
    /// Combined DDA/AC generation signature requested.
    pub cda: bool,
}

impl AcReference {
    /// P1.
    pub const fn to_p1(self) -> u8 {
        self.ac.bits() | if self.cda { 0x10 } else { 0x00 }
    }

    /// From P1, `None` for the RFU cryptogram type `11`. Other RFU bits are ignored.
    pub const fn from_p1(p1: u8) -> Option<AcReference> {
        match AcType::from_bits(p1) {
            Some(ac) => Some(AcReference {
                ac,
                cda: p1 & 0x10 != 0,
            }),
            None => None,
        }
    }
}

/// An offline plaintext PIN as the VERIFY block (ISO 9564 format 2, EMV Book 3 section
/// 6.5.12): `2N`, the digits in BCD, `F` fill to 8 bytes. Zeroized on drop; `Debug` hides it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PlaintextPin {
    block: [u8; 8],
}

impl PlaintextPin {
    /// From 4 to 12 ASCII decimal digits.
    pub fn from_ascii(digits: &[u8]) -> Result<PlaintextPin, ApduError> {
        if !(4..=12).contains(&digits.len()) {
            return Err(ApduError::PinFormat {
                position: digits.len(),
            });
        }
        let mut block = [0xFFu8; 8];
        block[0] = 0x20 | (digits.len() as u8);
        for (i, digit) in digits.iter().enumerate() {
            if !digit.is_ascii_digit() {
                block.zeroize();
                return Err(ApduError::PinFormat { position: i });
            }
            let nibble = digit - b'0';
            if let Some(byte) = block.get_mut(1 + i / 2) {
                *byte = if i % 2 == 0 {
                    (nibble << 4) | 0x0F
                } else {
                    (*byte & 0xF0) | nibble
                };
            }
        }
        Ok(PlaintextPin { block })
    }

    /// The 8-byte PIN block.
    pub fn block(&self) -> &[u8; 8] {
        &self.block
    }

    /// Parses a format-2 block back (for a card checking VERIFY): the digits as ASCII, or
    /// `None` when the control nibble, length, digits or fill are wrong.
    pub fn from_block(block: &[u8]) -> Option<PlaintextPin> {
        let block: [u8; 8] = block.try_into().ok()?;
        let len = usize::from(block[0] & 0x0F);
        if block[0] & 0xF0 != 0x20 || !(4..=12).contains(&len) {
            return None;
        }
        for i in 0..14 {
            let byte = block.get(1 + i / 2)?;
            let nibble = if i % 2 == 0 { byte >> 4 } else { byte & 0x0F };
            let ok = if i < len { nibble <= 9 } else { nibble == 0x0F };
            if !ok {
                return None;
            }
        }
        Some(PlaintextPin { block })
    }

    /// Constant-time comparison with another PIN.
    pub fn matches(&self, other: &PlaintextPin) -> bool {
        self.block
            .iter()
            .zip(other.block.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl core::fmt::Debug for PlaintextPin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PlaintextPin(****)")
    }
}
