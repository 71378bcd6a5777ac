//! Framing on a stream: a length header before each message, an optional TPDU, keep-alives.
//!
//! Sans-I/O: [`Framing::decode`] looks at the bytes received so far and says whether a whole
//! frame is there; [`Framing::encode`] appends one. Sockets live in the services.

use std::fmt;

/// How the length before each message is written. The length counts everything after the
/// header (the TPDU, if any, and the message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthHeader {
    /// Two bytes, unsigned big-endian (jPOS NACChannel; the default).
    Binary2,
    /// Two bytes of packed BCD, 0000–9999.
    Bcd2,
    /// Four ASCII digits, 0000–9999.
    Ascii4,
}

impl LengthHeader {
    pub fn width(self) -> usize {
        match self {
            LengthHeader::Binary2 | LengthHeader::Bcd2 => 2,
            LengthHeader::Ascii4 => 4,
        }
    }

    /// The largest length the header can carry.
    pub fn capacity(self) -> usize {
        match self {
            LengthHeader::Binary2 => 65_535,
            LengthHeader::Bcd2 | LengthHeader::Ascii4 => 9_999,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LengthHeader::Binary2 => "binary2",
            LengthHeader::Bcd2 => "bcd2",
            LengthHeader::Ascii4 => "ascii4",
        }
    }

    /// From a name as configs and the command line spell it.
    pub fn from_name(s: &str) -> Option<LengthHeader> {
        match s {
            "binary2" | "2be" | "nac" => Some(LengthHeader::Binary2),
            "bcd2" => Some(LengthHeader::Bcd2),
            "ascii4" => Some(LengthHeader::Ascii4),
            _ => None,
        }
    }
}

/// A TPDU (transport protocol data unit) header: 5 bytes, an id (0x60) and two 2-byte
/// addresses, as UnionPay-style POS links put before each message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tpdu {
    pub id: u8,
    pub destination: u16,
    pub source: u16,
}

impl Tpdu {
    pub const LEN: usize = 5;

    pub fn to_bytes(self) -> [u8; 5] {
        let d = self.destination.to_be_bytes();
        let s = self.source.to_be_bytes();
        [self.id, d[0], d[1], s[0], s[1]]
    }

    pub fn from_bytes(b: [u8; 5]) -> Tpdu {
        Tpdu {
            id: b[0],
            destination: u16::from_be_bytes([b[1], b[2]]),
            source: u16::from_be_bytes([b[3], b[4]]),
        }
    }

    /// The TPDU of a reply: addresses swapped.
    pub fn reply(self) -> Tpdu {
        Tpdu {
            id: self.id,
            destination: self.source,
            source: self.destination,
        }
    }
}

/// Why a frame could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The length header is not a number in its encoding.
    BadHeader { raw_hex: String },
    /// The announced length is above the configured maximum; the connection should be closed,
    /// since the stream cannot be resynchronised.
    TooLarge { len: usize, max: usize },
    /// A frame shorter than the TPDU it must carry.
    ShortTpdu { len: usize },
    /// A message too large for the header or the maximum, when writing.
    CannotEncode { len: usize, max: usize },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::BadHeader { raw_hex } => write!(
                f,
                "frame length header {raw_hex} (hex) is not a valid length"
            ),
            FrameError::TooLarge { len, max } => {
                write!(f, "frame of {len} bytes is more than the maximum {max}")
            }
            FrameError::ShortTpdu { len } => {
                write!(f, "frame of {len} bytes cannot hold the 5-byte TPDU")
            }
            FrameError::CannotEncode { len, max } => {
                write!(f, "message of {len} bytes cannot be framed (maximum {max})")
            }
        }
    }
}

impl std::error::Error for FrameError {}

/// One frame read from a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A zero-length frame: the peer says it is alive.
    KeepAlive,
    /// A message, with its TPDU when the framing has one.
    Message {
        tpdu: Option<Tpdu>,
        payload: &'a [u8],
    },
}

/// A framing configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Framing {
    pub header: LengthHeader,
    /// Whether a 5-byte TPDU follows the length header.
    pub tpdu: bool,
    /// Largest frame accepted or written (after the header), bounded by the header's capacity.
    pub frame_max: usize,
}

impl Default for Framing {
    fn default() -> Framing {
        Framing {
            header: LengthHeader::Binary2,
            tpdu: false,
            frame_max: 8_192,
        }
    }
}

impl Framing {
    fn limit(&self) -> usize {
        self.frame_max.min(self.header.capacity())
    }

    /// Looks for one whole frame at the start of `buf`. Returns the frame and the bytes it
    /// took, or `None` when more bytes are needed.
    pub fn decode<'a>(&self, buf: &'a [u8]) -> Result<Option<(Frame<'a>, usize)>, FrameError> {
        let w = self.header.width();
        let Some(head) = buf.get(..w) else {
            return Ok(None);
        };
        let len = self.read_header(head)?;
        if len > self.limit() {
            return Err(FrameError::TooLarge {
                len,
                max: self.limit(),
            });
        }
        let Some(body) = buf.get(w..w + len) else {
            return Ok(None);
        };
        if len == 0 {
            return Ok(Some((Frame::KeepAlive, w)));
        }
        let (tpdu, payload) = if self.tpdu {
            let (t, p) = body
                .split_at_checked(Tpdu::LEN)
                .ok_or(FrameError::ShortTpdu { len })?;
            let t: [u8; 5] = t.try_into().map_err(|_| FrameError::ShortTpdu { len })?;
            (Some(Tpdu::from_bytes(t)), p)
        } else {
            (None, body)
        };
        Ok(Some((Frame::Message { tpdu, payload }, w + len)))
    }

    fn read_header(&self, head: &[u8]) -> Result<usize, FrameError> {
        let bad = || FrameError::BadHeader {
            raw_hex: crate::hex::encode_upper(head),
        };
        let mut len = 0usize;
        match self.header {
            LengthHeader::Binary2 => {
                for &b in head {
                    len = len << 8 | usize::from(b);
                }
            }
            LengthHeader::Bcd2 => {
                for &b in head {
                    let (h, l) = (b >> 4, b & 0xF);
                    if h > 9 || l > 9 {
                        return Err(bad());
                    }
                    len = len * 100 + usize::from(h * 10 + l);
                }
            }
            LengthHeader::Ascii4 => {
                for &b in head {
                    if !b.is_ascii_digit() {
                        return Err(bad());
                    }
                    len = len * 10 + usize::from(b - b'0');
                }
            }
        }
        Ok(len)
    }

    fn write_header(&self, len: usize, out: &mut Vec<u8>) {
        match self.header {
            LengthHeader::Binary2 => out.extend_from_slice(&(len as u16).to_be_bytes()),
            LengthHeader::Bcd2 => {
                let (hi, lo) = ((len / 100) as u8, (len % 100) as u8);
                out.push(((hi / 10) << 4) | (hi % 10));
                out.push(((lo / 10) << 4) | (lo % 10));
            }
            LengthHeader::Ascii4 => out.extend_from_slice(format!("{len:04}").as_bytes()),
        }
    }

    /// Appends one framed message. With a TPDU framing, `tpdu` must be given.
    pub fn encode(
        &self,
        tpdu: Option<Tpdu>,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), FrameError> {
        let tpdu_len = if self.tpdu { Tpdu::LEN } else { 0 };
        let len = payload.len() + tpdu_len;
        if len > self.limit() {
            return Err(FrameError::CannotEncode {
                len,
                max: self.limit(),
            });
        }
        self.write_header(len, out);
        if self.tpdu {
            out.extend_from_slice(
                &tpdu
                    .unwrap_or(Tpdu {
                        id: 0x60,
                        destination: 0,
                        source: 0,
                    })
                    .to_bytes(),
            );
        }
        out.extend_from_slice(payload);
        Ok(())
    }

    /// Appends a keep-alive (a zero length).
    pub fn encode_keepalive(&self, out: &mut Vec<u8>) {
        self.write_header(0, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framing(header: LengthHeader, tpdu: bool) -> Framing {
        Framing {
            header,
            tpdu,
            frame_max: 4096,
        }
    }

    #[test]
    fn headers_encode_as_their_standards_say() {
        let mut out = Vec::new();
        framing(LengthHeader::Binary2, false)
            .encode(None, &[0xAA; 300], &mut out)
            .unwrap();
        assert_eq!(&out[..2], &[0x01, 0x2C]);
        out.clear();
        framing(LengthHeader::Bcd2, false)
            .encode(None, &[0xAA; 300], &mut out)
            .unwrap();
        assert_eq!(&out[..2], &[0x03, 0x00]);
        out.clear();
        framing(LengthHeader::Ascii4, false)
            .encode(None, &[0xAA; 300], &mut out)
            .unwrap();
        assert_eq!(&out[..4], b"0300");
    }

    #[test]
    fn partial_whole_keepalive_and_tpdu() {
        let f = framing(LengthHeader::Binary2, true);
        let mut out = Vec::new();
        let t = Tpdu {
            id: 0x60,
            destination: 0x0001,
            source: 0x0203,
        };
        f.encode(Some(t), b"0800", &mut out).unwrap();
        assert_eq!(
            out,
            [
                0x00, 0x09, 0x60, 0x00, 0x01, 0x02, 0x03, b'0', b'8', b'0', b'0'
            ]
        );
        assert_eq!(f.decode(&out[..5]).unwrap(), None);
        f.encode_keepalive(&mut out);
        let (frame, used) = f.decode(&out).unwrap().unwrap();
        assert_eq!(
            frame,
            Frame::Message {
                tpdu: Some(t),
                payload: b"0800"
            }
        );
        assert_eq!(used, 11);
        assert_eq!(f.decode(&out[used..]).unwrap(), Some((Frame::KeepAlive, 2)));
        assert_eq!(t.reply().destination, 0x0203);
    }

    #[test]
    fn hostile_headers_are_refused() {
        let f = framing(LengthHeader::Binary2, false);
        assert_eq!(
            f.decode(&[0xFF, 0xFF]),
            Err(FrameError::TooLarge {
                len: 65535,
                max: 4096
            })
        );
        let b = framing(LengthHeader::Bcd2, false);
        assert!(matches!(
            b.decode(&[0x0A, 0x00]),
            Err(FrameError::BadHeader { .. })
        ));
        let a = framing(LengthHeader::Ascii4, false);
        assert!(matches!(
            a.decode(b"00x1"),
            Err(FrameError::BadHeader { .. })
        ));
        let t = framing(LengthHeader::Binary2, true);
        assert_eq!(
            t.decode(&[0, 3, 1, 2, 3]),
            Err(FrameError::ShortTpdu { len: 3 })
        );
        assert!(f.encode(None, &[0; 5000], &mut Vec::new()).is_err());
    }
}
