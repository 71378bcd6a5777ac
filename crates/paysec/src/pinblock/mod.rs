//! ISO 9564-1 PIN blocks: formats 0, 1, 3 and 4.
//!
//! Formats 0, 1 and 3 are 8-byte blocks enciphered with TDES; format 4 is a 16-byte PIN field
//! enciphered with AES in two passes with the PAN field between them (ISO 9564-1:2017).

mod format0;
mod format1;
mod format3;
mod format4;
mod translate;

pub use format0::{decode_format0, encode_format0};
pub use format1::{decode_format1, encode_format1};
pub use format3::{decode_format3, encode_format3};
pub use format4::{
    decipher_format4, decode_format4_pin_field, encipher_format4, encode_format4_pin_field,
    format4_pan_field,
};
pub use translate::{PinZone, translate};

use zeroize::Zeroizing;

use crate::cipher::{BlockOps, CipherError, Tdea};
use crate::digits::{Pan, PanError, Pin};
use crate::key::SecretKey;
use crate::rng::ByteSource;

/// The ISO 9564-1 formats supported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PinBlockFormat {
    /// Format 0 (ANSI X9.8): PIN XOR PAN, fill F. TDES.
    Iso0,
    /// Format 1: PIN with random fill, no PAN. TDES.
    Iso1,
    /// Format 3: PIN XOR PAN, random fill A-F. TDES.
    Iso3,
    /// Format 4: 16-byte PIN field and PAN field, AES.
    Iso4,
}

impl PinBlockFormat {
    /// The control nibble at the start of the clear block.
    pub const fn control_nibble(self) -> u8 {
        match self {
            PinBlockFormat::Iso0 => 0,
            PinBlockFormat::Iso1 => 1,
            PinBlockFormat::Iso3 => 3,
            PinBlockFormat::Iso4 => 4,
        }
    }

    /// Block length in bytes.
    pub const fn block_len(self) -> usize {
        match self {
            PinBlockFormat::Iso4 => 16,
            _ => 8,
        }
    }
}

/// Why a PIN block could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinBlockError {
    /// The block is not the format's length.
    #[error("{format:?} PIN block is {len_bytes} bytes; expected {expected_bytes}")]
    BlockLength {
        /// Format expected.
        format: PinBlockFormat,
        /// Length given.
        len_bytes: usize,
        /// Length required.
        expected_bytes: usize,
    },
    /// The first nibble names another format.
    #[error("control nibble is {found:X}; {format:?} needs {expected:X}")]
    FormatNibble {
        /// Format expected.
        format: PinBlockFormat,
        /// Nibble expected.
        expected: u8,
        /// Nibble found.
        found: u8,
    },
    /// The length nibble is not 4-12.
    #[error("PIN length nibble is {found:X}; must be 4 to C")]
    PinLength {
        /// Nibble found.
        found: u8,
    },
    /// A PIN digit nibble is A-F.
    #[error("PIN digit at nibble {nibble_offset} is {found:X}, not 0-9")]
    PinDigit {
        /// Offset in nibbles from the start of the clear block.
        nibble_offset: usize,
        /// Nibble found.
        found: u8,
    },
    /// A fill nibble is not what the format prescribes.
    #[error("fill nibble at {nibble_offset} is {found:X}; {format:?} fill must be {expected}")]
    Fill {
        /// Format expected.
        format: PinBlockFormat,
        /// Offset in nibbles.
        nibble_offset: usize,
        /// Nibble found.
        found: u8,
        /// What the format allows.
        expected: &'static str,
    },
    /// This format binds the PIN to a PAN and none was given.
    #[error("{format:?} needs the PAN")]
    PanRequired {
        /// The format.
        format: PinBlockFormat,
    },
    /// The PAN does not fit the format.
    #[error("PAN: {0}")]
    Pan(#[from] PanError),
    /// The key cannot encipher this format.
    #[error("PIN block key: {0}")]
    Cipher(#[from] CipherError),
}

/// A clear 8-byte PIN block; wiped on drop.
pub type ClearBlock8 = Zeroizing<[u8; 8]>;
/// A clear 16-byte format 4 PIN field; wiped on drop.
pub type ClearBlock16 = Zeroizing<[u8; 16]>;

/// The ISO 9564-1 format 0/3 PAN block: 0000 then the 12 rightmost PAN digits excluding the
/// check digit.
pub fn pan_block_8(pan: &Pan) -> [u8; 8] {
    let mut nibbles = [0u8; 16];
    for (dst, d) in nibbles
        .iter_mut()
        .skip(4)
        .zip(pan.rightmost_12_excluding_check())
    {
        *dst = d;
    }
    pack16(&nibbles)
}

/// Packs 16 nibbles into 8 bytes.
pub(crate) fn pack16(nibbles: &[u8; 16]) -> [u8; 8] {
    let mut out = [0u8; 8];
    let (pairs, _) = nibbles.as_chunks::<2>();
    for (o, [h, l]) in out.iter_mut().zip(pairs) {
        *o = (h << 4) | (l & 0x0F);
    }
    out
}

/// Lays out control nibble, length nibble and PIN digits; the caller fills the rest.
pub(crate) fn pin_field_nibbles<const N: usize>(control: u8, pin: &Pin) -> Zeroizing<[u8; N]> {
    let mut n = Zeroizing::new([0u8; N]);
    if let Some(first) = n.first_mut() {
        *first = control;
    }
    if let Some(len) = n.get_mut(1) {
        // PIN length is 4..=12, so it fits the nibble.
        *len = (pin.len() & 0x0F) as u8;
    }
    for (dst, d) in n.iter_mut().skip(2).zip(pin.digits()) {
        *dst = *d;
    }
    n
}

/// Reads control, length and PIN digits from clear nibbles; returns the PIN and the offset
/// where fill starts.
pub(crate) fn read_pin_field(
    format: PinBlockFormat,
    nibbles: &[u8],
) -> Result<(Pin, usize), PinBlockError> {
    let (control, length) = match nibbles {
        [c, l, ..] => (*c, *l),
        _ => {
            return Err(PinBlockError::BlockLength {
                format,
                len_bytes: nibbles.len() / 2,
                expected_bytes: format.block_len(),
            });
        }
    };
    if control != format.control_nibble() {
        return Err(PinBlockError::FormatNibble {
            format,
            expected: format.control_nibble(),
            found: control,
        });
    }
    if !(4..=12).contains(&length) {
        return Err(PinBlockError::PinLength { found: length });
    }
    let end = 2 + usize::from(length);
    let digits = nibbles.get(2..end).unwrap_or(&[]);
    if let Some(i) = digits.iter().position(|d| *d > 9) {
        return Err(PinBlockError::PinDigit {
            nibble_offset: 2 + i,
            found: digits.get(i).copied().unwrap_or_default(),
        });
    }
    let pin =
        Pin::from_digit_values(digits).map_err(|_| PinBlockError::PinLength { found: length })?;
    Ok((pin, end))
}

/// Unpacks 8 bytes into 16 nibbles.
pub(crate) fn unpack8(block: &[u8; 8]) -> Zeroizing<[u8; 16]> {
    let mut n = Zeroizing::new([0u8; 16]);
    let (pairs, _) = n.as_chunks_mut::<2>();
    for (pair, b) in pairs.iter_mut().zip(block) {
        *pair = [b >> 4, b & 0x0F];
    }
    n
}

pub(crate) fn exact8(format: PinBlockFormat, block: &[u8]) -> Result<[u8; 8], PinBlockError> {
    <[u8; 8]>::try_from(block).map_err(|_| PinBlockError::BlockLength {
        format,
        len_bytes: block.len(),
        expected_bytes: 8,
    })
}

fn require_pan(format: PinBlockFormat, pan: Option<&Pan>) -> Result<&Pan, PinBlockError> {
    pan.ok_or(PinBlockError::PanRequired { format })
}

/// Builds the clear block of a TDES format (0, 1 or 3).
pub fn encode_clear_block(
    format: PinBlockFormat,
    pin: &Pin,
    pan: Option<&Pan>,
    rng: &mut dyn ByteSource,
) -> Result<ClearBlock8, PinBlockError> {
    match format {
        PinBlockFormat::Iso0 => Ok(encode_format0(pin, require_pan(format, pan)?)),
        PinBlockFormat::Iso1 => Ok(encode_format1(pin, rng)),
        PinBlockFormat::Iso3 => Ok(encode_format3(pin, require_pan(format, pan)?, rng)),
        PinBlockFormat::Iso4 => Err(PinBlockError::BlockLength {
            format,
            len_bytes: 8,
            expected_bytes: 16,
        }),
    }
}

/// Reads the clear block of a TDES format (0, 1 or 3).
pub fn decode_clear_block(
    format: PinBlockFormat,
    block: &[u8],
    pan: Option<&Pan>,
) -> Result<Pin, PinBlockError> {
    match format {
        PinBlockFormat::Iso0 => decode_format0(block, require_pan(format, pan)?),
        PinBlockFormat::Iso1 => decode_format1(block),
        PinBlockFormat::Iso3 => decode_format3(block, require_pan(format, pan)?),
        PinBlockFormat::Iso4 => decode_format4_pin_field(block),
    }
}

/// Builds and enciphers a PIN block: TDES-ECB for formats 0, 1 and 3; AES two-pass for 4.
pub fn encipher(
    format: PinBlockFormat,
    key: &SecretKey,
    pin: &Pin,
    pan: Option<&Pan>,
    rng: &mut dyn ByteSource,
) -> Result<Vec<u8>, PinBlockError> {
    if format == PinBlockFormat::Iso4 {
        return Ok(encipher_format4(key, pin, require_pan(format, pan)?, rng)?.to_vec());
    }
    let cipher = Tdea::new(key)?;
    let mut block = encode_clear_block(format, pin, pan, rng)?;
    cipher.encrypt(&mut block);
    Ok(block.to_vec())
}

/// Deciphers and reads a PIN block.
pub fn decipher(
    format: PinBlockFormat,
    key: &SecretKey,
    block: &[u8],
    pan: Option<&Pan>,
) -> Result<Pin, PinBlockError> {
    if format == PinBlockFormat::Iso4 {
        return decipher_format4(key, block, require_pan(format, pan)?);
    }
    let cipher = Tdea::new(key)?;
    let mut clear = Zeroizing::new(exact8(format, block)?);
    cipher.decrypt(&mut clear);
    decode_clear_block(format, &clear[..], pan)
}
