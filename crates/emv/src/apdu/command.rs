//! Command APDUs: header, optional data field and optional Le, in the four ISO/IEC 7816-4
//! cases, short or extended length.

use super::ApduError;

/// Longest data field with a short (1-byte) Lc.
pub const MAX_SHORT_DATA: usize = 255;
/// Largest Le expressible in one byte (`00` means 256).
pub const MAX_SHORT_LE: usize = 256;
/// Longest data field with an extended (3-byte) Lc.
pub const MAX_EXTENDED_DATA: usize = 65_535;
/// Largest Le expressible in extended length (`0000` means 65 536).
pub const MAX_EXTENDED_LE: usize = 65_536;

/// The four command cases of ISO/IEC 7816-3 section 12.1.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// No data, no response data.
    One,
    /// No data, response data expected (Le).
    Two,
    /// Data, no response data.
    Three,
    /// Data and response data expected.
    Four,
}

/// A command APDU.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data field (its length is Lc); empty when absent.
    pub data: Vec<u8>,
    /// Maximum response data length expected, 1..=65536; `None` when there is no Le field.
    /// 256 and 65 536 are sent as `00` and `0000`.
    pub le: Option<usize>,
}

impl Command {
    /// A command with header only (case 1); add data and Le with [`Command::with_data`] and
    /// [`Command::with_le`].
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Command {
        Command {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    /// Sets the data field.
    #[must_use]
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Command {
        self.data = data.into();
        self
    }

    /// Sets Le.
    #[must_use]
    pub fn with_le(mut self, le: usize) -> Command {
        self.le = Some(le);
        self
    }

    /// Which case this command is.
    pub fn case(&self) -> Case {
        match (self.data.is_empty(), self.le.is_some()) {
            (true, false) => Case::One,
            (true, true) => Case::Two,
            (false, false) => Case::Three,
            (false, true) => Case::Four,
        }
    }

    /// Whether encoding needs extended length fields (data over 255 bytes or Le over 256).
    pub fn needs_extended(&self) -> bool {
        self.data.len() > MAX_SHORT_DATA || self.le.is_some_and(|le| le > MAX_SHORT_LE)
    }

    /// Encodes the command, with short length fields whenever they suffice.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ApduError> {
        if self.data.len() > MAX_EXTENDED_DATA {
            return Err(ApduError::DataTooLong {
                len: self.data.len(),
            });
        }
        if let Some(le) = self.le
            && !(1..=MAX_EXTENDED_LE).contains(&le)
        {
            return Err(ApduError::LeOutOfRange { le });
        }
        let mut out = Vec::with_capacity(4 + 3 + self.data.len() + 2);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        let extended = self.needs_extended();
        if !self.data.is_empty() {
            // Both lengths fit: data.len() <= 65535 was checked above.
            let lc = self.data.len();
            if extended {
                out.push(0);
                out.extend_from_slice(&low_two_bytes(lc));
            } else {
                out.push(low_byte(lc));
            }
            out.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            if extended {
                if self.data.is_empty() {
                    out.push(0);
                }
                out.extend_from_slice(&low_two_bytes(le));
            } else {
                out.push(low_byte(le));
            }
        }
        Ok(out)
    }

    /// Parses a command APDU, recognising all four cases in short and extended length
    /// (ISO/IEC 7816-3 section 12.1.3).
    pub fn parse(bytes: &[u8]) -> Result<Command, ApduError> {
        let (header, body) = bytes
            .split_first_chunk::<4>()
            .ok_or(ApduError::HeaderTruncated { len: bytes.len() })?;
        let [cla, ins, p1, p2] = *header;
        let mut command = Command::new(cla, ins, p1, p2);
        match body {
            [] => {}
            [le] => command.le = Some(short_le(*le)),
            [0, rest @ ..] => parse_extended(&mut command, rest)?,
            [lc, rest @ ..] => {
                let lc = usize::from(*lc);
                if rest.len() == lc {
                    command.data = rest.to_vec();
                } else if rest.len() == lc + 1 {
                    let (data, le) = rest.split_at(lc);
                    command.data = data.to_vec();
                    command.le = le.first().map(|b| short_le(*b));
                } else {
                    return Err(ApduError::LcMismatch {
                        offset: 4,
                        lc,
                        remaining: rest.len(),
                        le_len: 1,
                    });
                }
            }
        }
        Ok(command)
    }
}

/// The body after a leading `00`: case 2E (`00 Le Le`), 3E or 4E (`00 Lc Lc data [Le Le]`).
fn parse_extended(command: &mut Command, rest: &[u8]) -> Result<(), ApduError> {
    let Some((length, after)) = rest.split_first_chunk::<2>() else {
        return Err(ApduError::ExtendedLengthTruncated {
            body_len: rest.len() + 1,
        });
    };
    let value = usize::from(u16::from_be_bytes(*length));
    if after.is_empty() {
        command.le = Some(extended_le(value));
        return Ok(());
    }
    if value == 0 {
        return Err(ApduError::ZeroExtendedLc);
    }
    if after.len() == value {
        command.data = after.to_vec();
    } else if after.len() == value + 2 {
        let (data, le) = after.split_at(value);
        command.data = data.to_vec();
        if let Some(le) = le.first_chunk::<2>() {
            command.le = Some(extended_le(usize::from(u16::from_be_bytes(*le))));
        }
    } else {
        return Err(ApduError::LcMismatch {
            offset: 5,
            lc: value,
            remaining: after.len(),
            le_len: 2,
        });
    }
    Ok(())
}

fn short_le(byte: u8) -> usize {
    if byte == 0 {
        MAX_SHORT_LE
    } else {
        usize::from(byte)
    }
}

fn extended_le(value: usize) -> usize {
    if value == 0 { MAX_EXTENDED_LE } else { value }
}

/// The low byte; 256 becomes `00` as the coding wants.
fn low_byte(value: usize) -> u8 {
    (value & 0xFF) as u8
}

/// The low two bytes, big-endian; 65 536 becomes `0000` as the coding wants.
fn low_two_bytes(value: usize) -> [u8; 2] {
    [((value >> 8) & 0xFF) as u8, (value & 0xFF) as u8]
}

impl core::fmt::Debug for Command {
    // Data is shown as a length only: VERIFY carries a plaintext PIN block.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Command({:02X} {:02X} {:02X} {:02X}, {} data bytes, Le {:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}
