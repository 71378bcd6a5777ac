//! Writing a message: MTI, bitmaps derived from the fields present, then each data element.

use crate::bitmap::Bitmap;
use crate::ebcdic;
use crate::error::{CodecError, ErrorKind, Location};
use crate::hex;
use crate::message::Message;
use crate::spec::{
    BitmapEncoding, Encoding, Fast, FieldSpec, Kind, LengthEncoding, MtiEncoding, Pad, Spec, Unit,
};
use crate::unpack::{unit_name, wire_len};

impl Spec {
    /// Packs `msg` into a new buffer.
    pub fn pack(&self, msg: &Message<'_>) -> Result<Vec<u8>, CodecError> {
        let mut out = Vec::with_capacity(256);
        self.pack_into(msg, &mut out)?;
        Ok(out)
    }

    /// Appends the packed `msg` to `out`. On error `out` is left as it was.
    pub fn pack_into(&self, msg: &Message<'_>, out: &mut Vec<u8>) -> Result<(), CodecError> {
        let base = out.len();
        let result = self.pack_inner(msg, out, base);
        if result.is_err() {
            out.truncate(base);
        }
        result
    }

    fn pack_inner(
        &self,
        msg: &Message<'_>,
        out: &mut Vec<u8>,
        base: usize,
    ) -> Result<(), CodecError> {
        self.write_mti(msg, out);
        let limit = self.field_limit();
        let mut bitmap = Bitmap::default();
        for n in msg.entries.iter().map(|e| usize::from(e.number)) {
            if n > limit {
                return Err(CodecError::new(
                    Location::Field(n as u8),
                    0,
                    ErrorKind::OutOfRange { limit },
                ));
            }
            bitmap.set(n);
        }
        if bitmap.0[1] != 0 || bitmap.0[2] != 0 {
            bitmap.set(1);
        }
        if bitmap.0[2] != 0 {
            bitmap.set(65);
        }
        self.write_bitmap_word(bitmap.0[0], out);
        if bitmap.is_set(1) {
            self.write_bitmap_word(bitmap.0[1], out);
        }
        if bitmap.is_set(65) {
            self.write_bitmap_word(bitmap.0[2], out);
        }
        for (n, value) in msg.fields() {
            if fast_write(
                self.fast.get(n).copied().unwrap_or(Fast::General),
                value,
                out,
            ) {
                continue;
            }
            let offset = out.len() - base;
            let Some(fs) = self.field(n) else {
                return Err(CodecError::new(
                    Location::Field(n as u8),
                    offset,
                    ErrorKind::UndefinedField,
                ));
            };
            write_field(fs, value, out).map_err(|kind| {
                CodecError::new(Location::Field(fs.number), offset, kind).named(&fs.name)
            })?;
        }
        Ok(())
    }

    fn write_mti(&self, msg: &Message<'_>, out: &mut Vec<u8>) {
        let mti = msg.mti();
        let d = mti.as_bytes();
        match self.mti {
            MtiEncoding::Ascii => out.extend_from_slice(d),
            MtiEncoding::Ebcdic => {
                out.extend(d.iter().map(|&c| ebcdic::from_ascii(c).unwrap_or(0)))
            }
            MtiEncoding::Bcd => {
                out.push((d[0] - b'0') << 4 | (d[1] - b'0'));
                out.push((d[2] - b'0') << 4 | (d[3] - b'0'));
            }
        }
    }

    fn write_bitmap_word(&self, word: u64, out: &mut Vec<u8>) {
        let bytes = word.to_be_bytes();
        match self.bitmap {
            BitmapEncoding::Binary => out.extend_from_slice(&bytes),
            BitmapEncoding::Hex => hex::encode_into(&bytes, out),
            BitmapEncoding::EbcdicHex => {
                let start = out.len();
                hex::encode_into(&bytes, out);
                for c in out.iter_mut().skip(start) {
                    *c = ebcdic::from_ascii(*c).unwrap_or(0);
                }
            }
        }
    }
}

/// The short path for ASCII text and raw bytes; `false` (nothing written) for anything unusual,
/// which the general path then writes or refuses with a precise error.
#[inline(always)]
fn fast_write(fast: Fast, value: &[u8], out: &mut Vec<u8>) -> bool {
    let (width, max, fixed, kind) = match fast {
        Fast::General => return false,
        Fast::TextFixed { len, kind } => (0, len, true, Some(kind)),
        Fast::BytesFixed { len } => (0, len, true, None),
        Fast::TextVar { width, max, kind } => (width, max, false, Some(kind)),
        Fast::BytesVar { width, max } => (width, max, false, None),
    };
    let len = value.len();
    let fits = if fixed {
        len == usize::from(max)
    } else {
        len <= usize::from(max)
    };
    if !fits || kind.is_some_and(|k| k.first_invalid(value).is_some()) {
        return false;
    }
    // An ASCII decimal length of `width` digits (at most 4: `max` fits the prefix).
    match width {
        0 => {}
        1 => out.push(b'0' + (len % 10) as u8),
        2 => out.extend_from_slice(&[b'0' + (len / 10 % 10) as u8, b'0' + (len % 10) as u8]),
        3 => out.extend_from_slice(&[
            b'0' + (len / 100 % 10) as u8,
            b'0' + (len / 10 % 10) as u8,
            b'0' + (len % 10) as u8,
        ]),
        _ => out.extend_from_slice(&[
            b'0' + (len / 1000 % 10) as u8,
            b'0' + (len / 100 % 10) as u8,
            b'0' + (len / 10 % 10) as u8,
            b'0' + (len % 10) as u8,
        ]),
    }
    out.extend_from_slice(value);
    true
}

/// Length of `value` in the units the field counts.
fn units_of(fs: &FieldSpec, value: &[u8]) -> Result<usize, ErrorKind> {
    Ok(match (fs.encoding, fs.unit) {
        (Encoding::Hex, _) => value.len() * 2,
        (Encoding::Bcd, Unit::Bytes) => {
            if !value.len().is_multiple_of(2) {
                return Err(ErrorKind::OddHex { len: value.len() });
            }
            value.len() / 2
        }
        _ => value.len(),
    })
}

fn write_field(fs: &FieldSpec, value: &[u8], out: &mut Vec<u8>) -> Result<(), ErrorKind> {
    if let Some((position, byte)) = fs.kind.first_invalid(value) {
        return Err(ErrorKind::BadChar {
            position,
            byte,
            expected: fs.kind.expectation(),
        });
    }
    let units = units_of(fs, value)?;
    let max = usize::from(fs.max_len);
    let unit = unit_name(fs.unit);
    if fs.prefix.is_fixed() {
        if units != max {
            return Err(ErrorKind::WrongLength {
                len: units,
                expected: max,
                unit,
            });
        }
    } else {
        if units > max {
            return Err(ErrorKind::TooLong {
                len: units,
                max,
                unit,
            });
        }
        write_length(fs, units, out);
    }
    let before = out.len();
    match fs.encoding {
        Encoding::Ascii | Encoding::Binary => out.extend_from_slice(value),
        Encoding::Hex => hex::encode_into(value, out),
        Encoding::Ebcdic => {
            for (position, &c) in value.iter().enumerate() {
                let e =
                    ebcdic::from_ascii(c).ok_or(ErrorKind::Unencodable { position, byte: c })?;
                out.push(e);
            }
        }
        Encoding::Bcd => write_bcd(fs, value, out)?,
    }
    debug_assert_eq!(out.len() - before, wire_len(fs, units));
    Ok(())
}

fn write_length(fs: &FieldSpec, len: usize, out: &mut Vec<u8>) {
    let width = usize::from(fs.prefix.width_bytes);
    match fs.prefix.encoding {
        LengthEncoding::Ascii | LengthEncoding::Ebcdic => {
            let mut digits = [b'0'; 4];
            let mut v = len;
            for d in digits.iter_mut().rev() {
                *d = b'0' + (v % 10) as u8;
                v /= 10;
            }
            for &d in digits.iter().skip(4 - width) {
                out.push(if fs.prefix.encoding == LengthEncoding::Ebcdic {
                    d - b'0' + 0xF0
                } else {
                    d
                });
            }
        }
        LengthEncoding::Bcd => {
            let mut v = len;
            let mut bytes = [0u8; 4];
            for b in bytes.iter_mut().rev() {
                let lo = (v % 10) as u8;
                v /= 10;
                let hi = (v % 10) as u8;
                v /= 10;
                *b = hi << 4 | lo;
            }
            out.extend(bytes.iter().skip(4 - width));
        }
        LengthEncoding::Binary => {
            let bytes = (len as u32).to_be_bytes();
            out.extend(bytes.iter().skip(4 - width));
        }
    }
}

#[inline]
fn digit_nibble(position: usize, c: u8) -> Result<u8, ErrorKind> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        // Track 2's separator is the nibble D once packed.
        b'=' | b'D' => Ok(0xD),
        _ => Err(ErrorKind::Unencodable { position, byte: c }),
    }
}

fn write_bcd(fs: &FieldSpec, value: &[u8], out: &mut Vec<u8>) -> Result<(), ErrorKind> {
    let (digits, offset) = if fs.kind == Kind::Xn {
        if let Some(&sign) = value.first() {
            out.push(sign);
        }
        (value.get(1..).unwrap_or(&[]), 1)
    } else {
        (value, 0)
    };
    let odd = digits.len() % 2 == 1;
    let mut pending: Option<u8> = None;
    let mut push = |n: u8, out: &mut Vec<u8>| match pending.take() {
        Some(hi) => out.push(hi << 4 | n),
        None => pending = Some(n),
    };
    if odd && let Pad::Left(p) = fs.pad {
        push(p, out);
    }
    for (i, &c) in digits.iter().enumerate() {
        push(digit_nibble(i + offset, c)?, out);
    }
    if odd && let Pad::Right(p) = fs.pad {
        push(p, out);
    }
    Ok(())
}
