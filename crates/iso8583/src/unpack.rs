//! Reading a message: MTI, bitmaps, then each data element the bitmaps announce.

use crate::bitmap::Bitmap;
use crate::ebcdic;
use crate::error::{CodecError, ErrorKind, Location};
use crate::hex;
use crate::message::{Entry, Message, Slot};
use crate::mti::Mti;
use crate::spec::{
    BitmapEncoding, Encoding, Fast, FieldSpec, Kind, LengthEncoding, MtiEncoding, Pad, Spec, Unit,
};

/// A cursor over the frame that turns short reads into typed errors.
struct Reader<'a> {
    frame: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    #[inline]
    fn take(&mut self, n: usize, at: Location) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.frame.get(self.pos..end)) {
            Some(b) => {
                self.pos += n;
                Ok(b)
            }
            None => Err(CodecError::new(
                at,
                self.pos,
                ErrorKind::Truncated {
                    needed: n,
                    available: self.frame.len().saturating_sub(self.pos),
                },
            )),
        }
    }
}

impl Spec {
    /// Unpacks `frame` (one whole message, without its length header) into a new message.
    pub fn unpack<'a>(&self, frame: &'a [u8]) -> Result<Message<'a>, CodecError> {
        let mut msg = Message::new(Mti::ZERO);
        self.unpack_into(frame, &mut msg)?;
        Ok(msg)
    }

    /// Unpacks into `msg`, reusing its allocations (the hot path of a long-lived connection).
    pub fn unpack_into<'a>(
        &self,
        frame: &'a [u8],
        msg: &mut Message<'a>,
    ) -> Result<(), CodecError> {
        let mut r = Reader { frame, pos: 0 };
        let mti = self.read_mti(&mut r)?;
        msg.clear(mti);
        let bitmap = self.read_bitmaps(&mut r)?;
        for n in bitmap.data_fields() {
            let start = r.pos;
            if let Some(value) =
                fast_field(self.fast.get(n).copied().unwrap_or(Fast::General), &mut r)
            {
                msg.entries.push(Entry {
                    number: n as u8,
                    slot: Slot::Borrowed(value),
                });
                continue;
            }
            // The general path, which also gives the exact error for anything the short path
            // refused.
            r.pos = start;
            let at = Location::Field(n as u8);
            let Some(fs) = self.field(n) else {
                return Err(CodecError::new(at, r.pos, ErrorKind::UndefinedField));
            };
            let slot = read_field(fs, &mut r, msg).map_err(|e| {
                let mut e = e.named(&fs.name);
                if e.offset == 0 {
                    e.offset = start;
                }
                e
            })?;
            msg.entries.push(Entry {
                number: n as u8,
                slot,
            });
        }
        if r.pos != frame.len() {
            return Err(CodecError::new(
                Location::Message,
                r.pos,
                ErrorKind::TrailingData {
                    count: frame.len() - r.pos,
                },
            ));
        }
        Ok(())
    }

    fn read_mti(&self, r: &mut Reader<'_>) -> Result<Mti, CodecError> {
        let at = r.pos;
        let digits: [u8; 4] = match self.mti {
            MtiEncoding::Ascii => take4(r.take(4, Location::Mti)?),
            MtiEncoding::Ebcdic => {
                let mut d = take4(r.take(4, Location::Mti)?);
                for b in &mut d {
                    *b = ebcdic::to_ascii(*b).unwrap_or(0xFF);
                }
                d
            }
            MtiEncoding::Bcd => {
                let b = r.take(2, Location::Mti)?;
                let (x, y) = (
                    b.first().copied().unwrap_or(0),
                    b.get(1).copied().unwrap_or(0),
                );
                [
                    nib_char(x >> 4),
                    nib_char(x & 0xF),
                    nib_char(y >> 4),
                    nib_char(y & 0xF),
                ]
            }
        };
        Mti::new(digits).ok_or_else(|| {
            let (position, byte) = digits
                .iter()
                .enumerate()
                .find(|(_, b)| !b.is_ascii_digit())
                .map(|(i, b)| (i, *b))
                .unwrap_or((0, 0));
            CodecError::new(
                Location::Mti,
                at,
                ErrorKind::BadChar {
                    position,
                    byte,
                    expected: "digits 0-9",
                },
            )
        })
    }

    fn read_bitmaps(&self, r: &mut Reader<'_>) -> Result<Bitmap, CodecError> {
        let mut bitmap = Bitmap::default();
        bitmap.0[0] = self.read_bitmap_word(r, 1)?;
        if bitmap.is_set(1) {
            bitmap.0[1] = self.read_bitmap_word(r, 2)?;
            if bitmap.is_set(65) {
                if !self.tertiary_bitmap {
                    return Err(CodecError::new(
                        Location::Field(65),
                        r.pos,
                        ErrorKind::UndefinedField,
                    ));
                }
                bitmap.0[2] = self.read_bitmap_word(r, 3)?;
            }
        }
        Ok(bitmap)
    }

    fn read_bitmap_word(&self, r: &mut Reader<'_>, which: u8) -> Result<u64, CodecError> {
        let at = Location::Bitmap(which);
        let start = r.pos;
        match self.bitmap {
            BitmapEncoding::Binary => {
                let b = r.take(8, at)?;
                let arr: [u8; 8] = b.try_into().unwrap_or([0; 8]);
                Ok(u64::from_be_bytes(arr))
            }
            BitmapEncoding::Hex | BitmapEncoding::EbcdicHex => {
                let text = r.take(16, at)?;
                let mut word = 0u64;
                for (i, &c) in text.iter().enumerate() {
                    let c = if self.bitmap == BitmapEncoding::EbcdicHex {
                        ebcdic::to_ascii(c).unwrap_or(0xFF)
                    } else {
                        c
                    };
                    let v = hex::nibble(c).ok_or(CodecError::new(
                        at,
                        start + i,
                        ErrorKind::BadHex {
                            position: i,
                            byte: c,
                        },
                    ))?;
                    word = word << 4 | u64::from(v);
                }
                Ok(word)
            }
        }
    }
}

#[inline]
fn take4(b: &[u8]) -> [u8; 4] {
    b.try_into().unwrap_or([0; 4])
}

/// The short path for ASCII text and raw bytes: the value, or `None` for anything unusual (the
/// general path then reads the field again and reports precisely).
#[inline(always)]
fn fast_field<'a>(fast: Fast, r: &mut Reader<'a>) -> Option<&'a [u8]> {
    let (len, kind) = match fast {
        Fast::General => return None,
        Fast::TextFixed { len, kind } => (usize::from(len), Some(kind)),
        Fast::BytesFixed { len } => (usize::from(len), None),
        Fast::TextVar { width, max, kind } => (ascii_len(r, width, max)?, Some(kind)),
        Fast::BytesVar { width, max } => (ascii_len(r, width, max)?, None),
    };
    let value = r.frame.get(r.pos..r.pos.checked_add(len)?)?;
    if let Some(kind) = kind
        && kind.first_invalid(value).is_some()
    {
        return None;
    }
    r.pos += len;
    Some(value)
}

/// An ASCII decimal length of `width` digits, at most `max`.
#[inline(always)]
fn ascii_len(r: &mut Reader<'_>, width: u8, max: u16) -> Option<usize> {
    let width = usize::from(width);
    let digits = r.frame.get(r.pos..r.pos + width)?;
    let mut len = 0usize;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        len = len * 10 + usize::from(d - b'0');
    }
    if len > usize::from(max) {
        return None;
    }
    r.pos += width;
    Some(len)
}

/// A nibble as the character it stands for: digits, or `A`–`F` (a BCD track's `D` separator).
#[inline]
fn nib_char(n: u8) -> u8 {
    if n < 10 { b'0' + n } else { b'A' + n - 10 }
}

/// Bytes a value of `units` takes on the wire.
#[inline]
pub(crate) fn wire_len(fs: &FieldSpec, units: usize) -> usize {
    match (fs.encoding, fs.unit) {
        (Encoding::Bcd, Unit::Nibbles) if fs.kind == Kind::Xn => {
            1 + units.saturating_sub(1).div_ceil(2)
        }
        (Encoding::Bcd, Unit::Nibbles) => units.div_ceil(2),
        _ => units,
    }
}

fn read_length(fs: &FieldSpec, r: &mut Reader<'_>) -> Result<usize, CodecError> {
    let at = Location::Field(fs.number);
    if fs.prefix.is_fixed() {
        return Ok(usize::from(fs.max_len));
    }
    let start = r.pos;
    let raw = r.take(usize::from(fs.prefix.width_bytes), at)?;
    let bad = || {
        CodecError::new(
            at,
            start,
            ErrorKind::BadLengthPrefix {
                raw_hex: hex::encode_upper(raw),
            },
        )
    };
    let mut len = 0usize;
    match fs.prefix.encoding {
        LengthEncoding::Ascii => {
            for &c in raw {
                if !c.is_ascii_digit() {
                    return Err(bad());
                }
                len = len * 10 + usize::from(c - b'0');
            }
        }
        LengthEncoding::Ebcdic => {
            for &c in raw {
                if !(0xF0..=0xF9).contains(&c) {
                    return Err(bad());
                }
                len = len * 10 + usize::from(c - 0xF0);
            }
        }
        LengthEncoding::Bcd => {
            for &c in raw {
                let (h, l) = (c >> 4, c & 0xF);
                if h > 9 || l > 9 {
                    return Err(bad());
                }
                len = len * 100 + usize::from(h) * 10 + usize::from(l);
            }
        }
        LengthEncoding::Binary => {
            for &c in raw {
                len = len << 8 | usize::from(c);
            }
        }
    }
    if len > usize::from(fs.max_len) {
        return Err(CodecError::new(
            at,
            start,
            ErrorKind::TooLong {
                len,
                max: usize::from(fs.max_len),
                unit: unit_name(fs.unit),
            },
        ));
    }
    Ok(len)
}

pub(crate) fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Bytes => "bytes",
        Unit::Nibbles => "digits",
    }
}

fn bad_char(fs: &FieldSpec, start: usize, (position, byte): (usize, u8)) -> CodecError {
    CodecError::new(
        Location::Field(fs.number),
        start + position,
        ErrorKind::BadChar {
            position,
            byte,
            expected: fs.kind.expectation(),
        },
    )
}

fn read_field<'a>(
    fs: &FieldSpec,
    r: &mut Reader<'a>,
    msg: &mut Message<'a>,
) -> Result<Slot<'a>, CodecError> {
    let at = Location::Field(fs.number);
    let units = read_length(fs, r)?;
    let start = r.pos;
    let data = r.take(wire_len(fs, units), at)?;
    match fs.encoding {
        Encoding::Ascii => {
            if let Some(bad) = fs.kind.first_invalid(data) {
                return Err(bad_char(fs, start, bad));
            }
            Ok(Slot::Borrowed(data))
        }
        Encoding::Binary => Ok(Slot::Borrowed(data)),
        Encoding::Hex => {
            let begin = msg.scratch.len();
            if let Err(e) = hex::decode_into(data, &mut msg.scratch) {
                msg.scratch.truncate(begin);
                let kind = match e {
                    hex::HexError::OddLength(len) => ErrorKind::OddHex { len },
                    hex::HexError::BadDigit { position, byte } => {
                        ErrorKind::BadHex { position, byte }
                    }
                };
                return Err(CodecError::new(at, start, kind));
            }
            Ok(scratch_slot(begin, msg.scratch.len()))
        }
        Encoding::Ebcdic => {
            let begin = msg.scratch.len();
            for (i, &c) in data.iter().enumerate() {
                match ebcdic::to_ascii(c) {
                    Some(a) if fs.kind.accepts(i, a) => msg.scratch.push(a),
                    Some(a) => return Err(bad_char(fs, start, (i, a))),
                    None => {
                        return Err(CodecError::new(
                            at,
                            start + i,
                            ErrorKind::BadChar {
                                position: i,
                                byte: c,
                                expected: "an EBCDIC character with an ASCII equivalent",
                            },
                        ));
                    }
                }
            }
            Ok(scratch_slot(begin, msg.scratch.len()))
        }
        Encoding::Bcd => read_bcd(fs, units, data, start, msg),
    }
}

#[inline]
fn scratch_slot<'a>(begin: usize, end: usize) -> Slot<'a> {
    Slot::Scratch {
        start: begin as u32,
        len: (end - begin) as u32,
    }
}

fn read_bcd<'a>(
    fs: &FieldSpec,
    units: usize,
    data: &[u8],
    start: usize,
    msg: &mut Message<'a>,
) -> Result<Slot<'a>, CodecError> {
    let begin = msg.scratch.len();
    let (sign, packed, digits) = if fs.kind == Kind::Xn {
        let (s, rest) = data
            .split_first()
            .map(|(s, r)| (Some(*s), r))
            .unwrap_or((None, data));
        (s, rest, units.saturating_sub(1))
    } else if fs.unit == Unit::Bytes {
        (None, data, units * 2)
    } else {
        (None, data, units)
    };
    if let Some(s) = sign {
        msg.scratch.push(s);
    }
    // An odd count leaves one filler nibble, first or last as the spec pads.
    let skip_first = digits % 2 == 1 && matches!(fs.pad, Pad::Left(_));
    let mut emitted = 0usize;
    for (i, &b) in packed.iter().enumerate() {
        for (j, n) in [(0usize, b >> 4), (1, b & 0xF)] {
            let nibble_index = i * 2 + j;
            if (skip_first && nibble_index == 0) || emitted == digits {
                continue;
            }
            msg.scratch.push(nib_char(n));
            emitted += 1;
        }
    }
    let value = msg.scratch.get(begin..).unwrap_or(&[]);
    if let Some((position, byte)) = fs.kind.first_invalid(value) {
        msg.scratch.truncate(begin);
        // Where the refused digit sits among the packed nibbles (after the sign and the filler).
        let packed_index =
            position.saturating_sub(usize::from(sign.is_some())) + usize::from(skip_first);
        let err = if fs.kind == Kind::Xn && position == 0 {
            bad_char(fs, start, (0, byte))
        } else {
            CodecError::new(
                Location::Field(fs.number),
                start + usize::from(sign.is_some()) + packed_index / 2,
                ErrorKind::BadBcd {
                    position,
                    byte: packed.get(packed_index / 2).copied().unwrap_or(0),
                },
            )
        };
        return Err(err);
    }
    Ok(scratch_slot(begin, msg.scratch.len()))
}
