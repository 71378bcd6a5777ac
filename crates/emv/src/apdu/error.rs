//! Errors of APDU coding, each naming the part and byte offset at fault.

use thiserror::Error;

/// An APDU that cannot be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ApduError {
    /// Fewer than the 4 header bytes CLA INS P1 P2.
    #[error("command APDU of {len} bytes: the header CLA INS P1 P2 needs 4")]
    HeaderTruncated {
        /// Bytes present.
        len: usize,
    },
    /// A body of `00 xx`: an extended length field cut short.
    #[error("extended length at offset 4 needs 3 bytes, the body has {body_len}")]
    ExtendedLengthTruncated {
        /// Bytes after the header.
        body_len: usize,
    },
    /// An extended Lc of `0000`, which ISO/IEC 7816-4 does not allow.
    #[error("extended Lc at offset 5 is zero")]
    ZeroExtendedLc,
    /// Lc (at `offset`) announces a data field that does not fit the bytes that follow,
    /// neither alone (case 3) nor with an Le field (case 4).
    #[error(
        "Lc at offset {offset} announces {lc} data bytes but {remaining} bytes follow it \
         (expected {lc}, or {lc} plus a {le_len}-byte Le)"
    )]
    LcMismatch {
        /// Offset of the Lc field.
        offset: usize,
        /// Data length announced.
        lc: usize,
        /// Bytes after the Lc field.
        remaining: usize,
        /// Length of the Le field in this coding (1 short, 2 extended).
        le_len: usize,
    },
    /// A command data field longer than extended length allows (65 535 bytes).
    #[error("command data of {len} bytes exceeds 65535")]
    DataTooLong {
        /// Data length.
        len: usize,
    },
    /// An Le of 0 or above 65 536 (absent Le is `None`, not 0).
    #[error("Le {le} is outside 1..=65536")]
    LeOutOfRange {
        /// The Le value asked for.
        le: usize,
    },
    /// A response APDU shorter than its status word.
    #[error("response APDU of {len} bytes: the status word SW1 SW2 needs 2")]
    ResponseTruncated {
        /// Bytes present.
        len: usize,
    },
    /// A plaintext PIN that is not 4 to 12 decimal digits.
    #[error("PIN must be 4 to 12 decimal digits (digit {position} is wrong or the length is)")]
    PinFormat {
        /// 0-based position of the first bad digit, or the length when the length is wrong.
        position: usize,
    },
}
