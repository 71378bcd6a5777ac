//! A dialect of ISO 8583 held as data: one [`FieldSpec`] per data element.
//!
//! The axes compose (as in moov-io/iso8583) instead of one type per combination (as jPOS's
//! `IFA_`/`IFB_` classes): a field is a character class ([`Kind`]) × a data [`Encoding`] × a
//! length [`Prefix`] × a length [`Unit`] × a BCD [`Pad`].

use crate::error::SpecError;

/// Highest data element number: primary, secondary and tertiary bitmaps cover 1..=192.
pub const FIELD_MAX: usize = 192;

/// The character class of a data element, as ISO 8583 tables write it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `n`: digits 0-9.
    N,
    /// `a`: letters (and the space ISO 8583 uses for padding).
    A,
    /// `an`: letters and digits (and space).
    An,
    /// `ans`: any printable character, including special characters.
    Ans,
    /// `z`: track 2 / track 3 code set: digits and the separator `=` (or `D` once packed).
    Z,
    /// `x+n`: an amount with a sign, `C` (credit) or `D` (debit), then digits.
    Xn,
    /// `b`: binary data.
    B,
}

impl Kind {
    /// The ISO 8583 notation (`n`, `an`, `x+n` …).
    pub fn notation(self) -> &'static str {
        match self {
            Kind::N => "n",
            Kind::A => "a",
            Kind::An => "an",
            Kind::Ans => "ans",
            Kind::Z => "z",
            Kind::Xn => "x+n",
            Kind::B => "b",
        }
    }

    /// What the class accepts, for error messages.
    pub fn expectation(self) -> &'static str {
        match self {
            Kind::N => "digits 0-9",
            Kind::A => "letters or space",
            Kind::An => "letters, digits or space",
            Kind::Ans => "printable ASCII (0x20-0x7E)",
            Kind::Z => "track data (digits, '=' or 'D')",
            Kind::Xn => "'C' or 'D' followed by digits",
            Kind::B => "binary",
        }
    }

    pub(crate) fn from_notation(s: &str) -> Option<Kind> {
        Some(match s {
            "n" => Kind::N,
            "a" => Kind::A,
            "an" => Kind::An,
            "ans" | "as" | "ns" | "anp" => Kind::Ans,
            "z" => Kind::Z,
            "x+n" | "xn" => Kind::Xn,
            "b" => Kind::B,
            _ => return None,
        })
    }

    /// Whether `byte` may stand at position `pos` of a value of this class.
    #[inline]
    pub fn accepts(self, pos: usize, byte: u8) -> bool {
        match self {
            Kind::N => byte.is_ascii_digit(),
            Kind::A => byte.is_ascii_alphabetic() || byte == b' ',
            Kind::An => byte.is_ascii_alphanumeric() || byte == b' ',
            Kind::Ans => (0x20..=0x7E).contains(&byte),
            Kind::Z => byte.is_ascii_digit() || byte == b'=' || byte == b'D',
            Kind::Xn => {
                if pos == 0 {
                    byte == b'C' || byte == b'D'
                } else {
                    byte.is_ascii_digit()
                }
            }
            Kind::B => true,
        }
    }

    /// Position and byte of the first character this class refuses, if any.
    #[inline]
    pub fn first_invalid(self, value: &[u8]) -> Option<(usize, u8)> {
        let bit = match self {
            Kind::B => return None,
            Kind::Xn => {
                return value
                    .iter()
                    .enumerate()
                    .find(|(i, b)| !self.accepts(*i, **b))
                    .map(|(i, b)| (i, *b));
            }
            Kind::N => CLASS_N,
            Kind::A => CLASS_A,
            Kind::An => CLASS_AN,
            Kind::Ans => CLASS_ANS,
            Kind::Z => CLASS_Z,
        };
        // The position is only searched on failure.
        let valid = match self {
            // Branch-free folds: LLVM turns them into vector code for long values.
            Kind::N => !value
                .iter()
                .fold(false, |bad, &b| bad | (b.wrapping_sub(b'0') > 9)),
            Kind::Ans => !value
                .iter()
                .fold(false, |bad, &b| bad | (b.wrapping_sub(0x20) > 0x5E)),
            // A fold without early exit: three instructions a byte, and it unrolls.
            _ => value.iter().fold(0xFF, |acc, &b| acc & class_of(b)) & bit != 0,
        };
        if valid {
            return None;
        }
        value
            .iter()
            .position(|&b| class_of(b) & bit == 0)
            .and_then(|i| value.get(i).map(|b| (i, *b)))
    }
}

const CLASS_N: u8 = 1;
const CLASS_A: u8 = 2;
const CLASS_AN: u8 = 4;
const CLASS_ANS: u8 = 8;
const CLASS_Z: u8 = 16;

/// For each byte, the classes that accept it (the same rules as [`Kind::accepts`]).
// Evaluated at compile time: an index out of range would fail the build, not a run.
#[allow(clippy::indexing_slicing)]
static CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut c = 0;
        if b.is_ascii_digit() {
            c |= CLASS_N | CLASS_AN | CLASS_Z;
        }
        if b.is_ascii_alphabetic() || b == b' ' {
            c |= CLASS_A | CLASS_AN;
        }
        if b >= 0x20 && b <= 0x7E {
            c |= CLASS_ANS;
        }
        if b == b'=' || b == b'D' {
            c |= CLASS_Z;
        }
        t[i] = c;
        i += 1;
    }
    t
};

#[inline(always)]
fn class_of(b: u8) -> u8 {
    CLASSES.get(usize::from(b)).copied().unwrap_or(0)
}

/// How a value's characters or bytes are written on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// One ASCII byte per character.
    Ascii,
    /// One EBCDIC (code page 037) byte per character.
    Ebcdic,
    /// Packed BCD: two digits (nibbles) per byte. An `x+n` amount keeps its sign as one
    /// ASCII byte before the packed digits, as jPOS `IFB_AMOUNT` does.
    Bcd,
    /// Raw bytes (only for `b` fields).
    Binary,
    /// Binary data written as uppercase hexadecimal ASCII text (only for `b` fields).
    Hex,
}

impl Encoding {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::Ascii => "ascii",
            Encoding::Ebcdic => "ebcdic",
            Encoding::Bcd => "bcd",
            Encoding::Binary => "binary",
            Encoding::Hex => "hex",
        }
    }
}

/// How a variable length is written before the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthEncoding {
    /// Decimal digits in ASCII, e.g. `"19"`.
    Ascii,
    /// Decimal digits in EBCDIC.
    Ebcdic,
    /// Decimal digits packed BCD, e.g. `0x19`, or `0x01 0x04` for 104 in two bytes.
    Bcd,
    /// An unsigned big-endian binary integer.
    Binary,
}

/// The length prefix of a variable field; `width_bytes == 0` means fixed length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    /// Bytes the prefix takes on the wire (0 for a fixed field, at most 4).
    pub width_bytes: u8,
    /// How the prefix is written.
    pub encoding: LengthEncoding,
}

impl Prefix {
    /// A fixed-length field: no prefix.
    pub const FIXED: Prefix = Prefix {
        width_bytes: 0,
        encoding: LengthEncoding::Ascii,
    };

    /// A prefix of `digits` decimal digits (`LL` = 2) in the given encoding, with the wire width
    /// that encoding needs: one byte a digit in ASCII/EBCDIC, two digits a byte in BCD, and for
    /// binary one byte up to `LL` and two bytes for `LLL`/`LLLL`.
    pub const fn digits(digits: u8, encoding: LengthEncoding) -> Prefix {
        let width_bytes = match encoding {
            LengthEncoding::Ascii | LengthEncoding::Ebcdic => digits,
            LengthEncoding::Bcd => digits.div_ceil(2),
            LengthEncoding::Binary => {
                if digits <= 2 {
                    1
                } else {
                    2
                }
            }
        };
        Prefix {
            width_bytes,
            encoding,
        }
    }

    /// Whether the field has a fixed length.
    pub fn is_fixed(&self) -> bool {
        self.width_bytes == 0
    }

    /// The largest length this prefix can express.
    pub fn capacity(&self) -> u32 {
        let w = u32::from(self.width_bytes);
        match self.encoding {
            LengthEncoding::Ascii | LengthEncoding::Ebcdic => 10u32.saturating_pow(w) - 1,
            LengthEncoding::Bcd => 10u32.saturating_pow(w * 2).saturating_sub(1),
            LengthEncoding::Binary => {
                if w >= 4 {
                    u32::MAX
                } else {
                    (1u32 << (8 * w)) - 1
                }
            }
        }
    }
}

/// What a length (and `max_len`) counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Bytes on the wire (characters for text; hex digits for [`Encoding::Hex`]).
    Bytes,
    /// Half bytes: the number of digits of a packed BCD value (pyiso8583 `len_count = "nibbles"`).
    Nibbles,
}

/// Where the filler nibble of an odd-length BCD value goes, and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pad {
    /// Filler nibble first (jPOS `LEFT_PADDED`, the usual choice for numbers).
    Left(u8),
    /// Filler nibble last (jPOS `RIGHT_PADDED` with 0, `RIGHT_PADDED_F` with 0xF).
    Right(u8),
}

/// A structure inside a field's value that tools can open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Composite {
    /// No inner structure.
    None,
    /// EMV BER-TLV data objects (field 55, ICC data).
    Tlv,
    /// Track 2 equivalent data: PAN, separator, expiry, service code, discretionary data.
    Track2,
    /// Field 90, original data elements: MTI, STAN, transmission date and time, acquirer and
    /// forwarder ids of the message being reversed.
    OriginalData,
}

/// How much of a field a log or dump may show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sensitivity {
    /// Shown as it is.
    Clear,
    /// Carries a PAN: shown with at most the first 6 and last 4 digits of the PAN.
    Pan,
    /// PIN block, security control, MAC or key material: never shown.
    Secret,
}

impl Sensitivity {
    /// The default for a data element number in every ISO 8583 version: PAN-bearing fields
    /// (2, 34, 35, 36, 45) are masked; PIN data, security control information, MACs and the
    /// message security code (52, 53, 64, 96, 128) are hidden.
    pub fn default_for(number: usize) -> Sensitivity {
        match number {
            2 | 34 | 35 | 36 | 45 => Sensitivity::Pan,
            52 | 53 | 64 | 96 | 128 => Sensitivity::Secret,
            _ => Sensitivity::Clear,
        }
    }
}

/// One data element of a dialect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// Data element number, 2..=192 (1 and 65 are bitmaps).
    pub number: u8,
    /// Name as the standard gives it, for tables and errors.
    pub name: String,
    pub kind: Kind,
    pub encoding: Encoding,
    pub prefix: Prefix,
    /// What `max_len` and the prefix count.
    pub unit: Unit,
    /// The exact length of a fixed field, or the maximum of a variable one, in `unit`s.
    pub max_len: u16,
    /// Filler position for odd-length BCD values.
    pub pad: Pad,
    pub composite: Composite,
    pub sensitivity: Sensitivity,
}

impl FieldSpec {
    /// A field with the usual choices for its kind and encoding; adjust the public members after.
    pub fn new(
        number: u8,
        name: &str,
        kind: Kind,
        encoding: Encoding,
        prefix: Prefix,
        max_len: u16,
    ) -> FieldSpec {
        let unit = if encoding == Encoding::Bcd && kind != Kind::B {
            Unit::Nibbles
        } else {
            Unit::Bytes
        };
        FieldSpec {
            number,
            name: name.to_string(),
            kind,
            encoding,
            prefix,
            unit,
            max_len,
            pad: Pad::Left(0),
            composite: Composite::None,
            sensitivity: Sensitivity::default_for(usize::from(number)),
        }
    }

    /// Human description such as `n..19 LLVAR ascii`.
    pub fn format_description(&self) -> String {
        let len = if self.prefix.is_fixed() {
            format!("{}{}", self.kind.notation(), self.max_len)
        } else {
            format!("{}..{}", self.kind.notation(), self.max_len)
        };
        let prefix = if self.prefix.is_fixed() {
            "fixed".to_string()
        } else {
            let enc = match self.prefix.encoding {
                LengthEncoding::Ascii => "ascii",
                LengthEncoding::Ebcdic => "ebcdic",
                LengthEncoding::Bcd => "bcd",
                LengthEncoding::Binary => "binary",
            };
            format!("{}-byte {} length", self.prefix.width_bytes, enc)
        };
        format!("{len}, {prefix}, {} data", self.encoding.name())
    }

    /// Checks that the combination of axes makes sense.
    pub fn validate(&self) -> Result<(), SpecError> {
        let n = self.number;
        let bad = |why: String| Err(SpecError::Field { number: n, why });
        if n < 2 || usize::from(n) > FIELD_MAX || n == 65 {
            return bad(format!(
                "number {n} is not a data element (1 and 65 are bitmaps, the last is {FIELD_MAX})"
            ));
        }
        if self.max_len == 0 {
            return bad("max_len must be at least 1".into());
        }
        if self.prefix.width_bytes > 4 {
            return bad(format!(
                "a length prefix of {} bytes is more than 4",
                self.prefix.width_bytes
            ));
        }
        if !self.prefix.is_fixed() && u32::from(self.max_len) > self.prefix.capacity() {
            return bad(format!(
                "max_len {} does not fit its {}-byte length prefix (at most {})",
                self.max_len,
                self.prefix.width_bytes,
                self.prefix.capacity()
            ));
        }
        match (self.kind, self.encoding) {
            (Kind::B, Encoding::Binary | Encoding::Hex) => {}
            (Kind::B, e) => return bad(format!("binary data cannot use {} encoding", e.name())),
            (_, Encoding::Binary | Encoding::Hex) => {
                return bad(format!(
                    "{} data needs ascii, ebcdic or bcd encoding",
                    self.kind.notation()
                ));
            }
            (Kind::A | Kind::An | Kind::Ans, Encoding::Bcd) => {
                return bad(format!(
                    "{} data cannot be packed BCD",
                    self.kind.notation()
                ));
            }
            _ => {}
        }
        if self.unit == Unit::Nibbles && self.encoding != Encoding::Bcd {
            return bad("a length in nibbles needs bcd encoding".into());
        }
        if self.kind == Kind::Xn && self.encoding == Encoding::Bcd && self.unit != Unit::Nibbles {
            return bad("a signed BCD amount counts its length in nibbles".into());
        }
        if self.encoding == Encoding::Hex
            && !self.max_len.is_multiple_of(2)
            && self.prefix.is_fixed()
        {
            return bad("a fixed hex field needs an even number of hex digits".into());
        }
        let pad = match self.pad {
            Pad::Left(p) | Pad::Right(p) => p,
        };
        if pad > 0xF {
            return bad(format!("pad nibble {pad:#x} is more than 0xF"));
        }
        Ok(())
    }
}

/// How the message type indicator is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MtiEncoding {
    /// Four ASCII digits.
    Ascii,
    /// Four EBCDIC digits.
    Ebcdic,
    /// Two bytes of packed BCD.
    Bcd,
}

/// How each 64-bit bitmap is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitmapEncoding {
    /// Eight raw bytes.
    Binary,
    /// Sixteen uppercase hexadecimal ASCII characters.
    Hex,
    /// Sixteen hexadecimal EBCDIC characters.
    EbcdicHex,
}

/// A complete dialect: MTI and bitmap encodings and the data elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub name: String,
    pub description: String,
    pub mti: MtiEncoding,
    pub bitmap: BitmapEncoding,
    /// Fields 129..=192 exist, announced by bit 65 as a third bitmap (pyiso8583's convention).
    pub tertiary_bitmap: bool,
    fields: Vec<Option<FieldSpec>>,
    /// Per field number, the shape of the common cases the codec handles on a short path.
    pub(crate) fast: Vec<Fast>,
}

/// The common field shapes (ASCII text and raw binary, fixed or with an ASCII length), for
/// which the codec skips the general encoding dispatch. Derived from the [`FieldSpec`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fast {
    /// Not defined, or needs the general path (BCD, EBCDIC, hex, binary lengths …).
    General,
    /// ASCII text of a fixed length, checked against its class.
    TextFixed { len: u16, kind: Kind },
    /// ASCII text after an ASCII decimal length of `width` digits.
    TextVar { width: u8, max: u16, kind: Kind },
    /// Raw bytes of a fixed length.
    BytesFixed { len: u16 },
    /// Raw bytes after an ASCII decimal length of `width` digits.
    BytesVar { width: u8, max: u16 },
}

impl Fast {
    fn of(f: &FieldSpec) -> Fast {
        let ascii_prefix = f.prefix.encoding == LengthEncoding::Ascii;
        match (f.encoding, f.prefix.is_fixed()) {
            (Encoding::Ascii, true) => Fast::TextFixed {
                len: f.max_len,
                kind: f.kind,
            },
            (Encoding::Ascii, false) if ascii_prefix => Fast::TextVar {
                width: f.prefix.width_bytes,
                max: f.max_len,
                kind: f.kind,
            },
            (Encoding::Binary, true) => Fast::BytesFixed { len: f.max_len },
            (Encoding::Binary, false) if ascii_prefix => Fast::BytesVar {
                width: f.prefix.width_bytes,
                max: f.max_len,
            },
            _ => Fast::General,
        }
    }
}

impl Spec {
    /// A dialect with no data elements yet.
    pub fn new(name: &str, description: &str, mti: MtiEncoding, bitmap: BitmapEncoding) -> Spec {
        Spec {
            name: name.to_string(),
            description: description.to_string(),
            mti,
            bitmap,
            tertiary_bitmap: false,
            fields: vec![None; FIELD_MAX + 1],
            fast: vec![Fast::General; FIELD_MAX + 1],
        }
    }

    /// Adds or replaces a data element after checking it.
    pub fn define(&mut self, field: FieldSpec) -> Result<(), SpecError> {
        field.validate()?;
        if usize::from(field.number) > 128 && !self.tertiary_bitmap {
            return Err(SpecError::Field {
                number: field.number,
                why: "fields above 128 need `tertiary_bitmap = true`".into(),
            });
        }
        let n = usize::from(field.number);
        if let Some(slot) = self.fields.get_mut(n) {
            if let Some(fast) = self.fast.get_mut(n) {
                *fast = Fast::of(&field);
            }
            *slot = Some(field);
        }
        Ok(())
    }

    /// The data element `number`, if the dialect defines it.
    #[inline]
    pub fn field(&self, number: usize) -> Option<&FieldSpec> {
        self.fields.get(number).and_then(Option::as_ref)
    }

    /// All defined data elements in number order.
    pub fn fields(&self) -> impl Iterator<Item = &FieldSpec> {
        self.fields.iter().flatten()
    }

    /// The highest field number a message of this dialect can carry.
    pub fn field_limit(&self) -> usize {
        if self.tertiary_bitmap { FIELD_MAX } else { 128 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn fast_checks_match_the_rules(v in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            for kind in [Kind::N, Kind::Ans] {
                let expected = v.iter().enumerate().find(|(i, c)| !kind.accepts(*i, **c)).map(|(i, c)| (i, *c));
                proptest::prop_assert_eq!(kind.first_invalid(&v), expected);
            }
        }
    }

    #[test]
    fn class_table_agrees_with_the_rules() {
        for kind in [
            Kind::N,
            Kind::A,
            Kind::An,
            Kind::Ans,
            Kind::Z,
            Kind::Xn,
            Kind::B,
        ] {
            for b in 0..=255u8 {
                for pos in [0usize, 1] {
                    let v = [if pos == 0 { b } else { b'D' }, b];
                    let v = if pos == 0 { &v[..1] } else { &v[..] };
                    let expected = v
                        .iter()
                        .enumerate()
                        .find(|(i, c)| !kind.accepts(*i, **c))
                        .map(|(i, c)| (i, *c));
                    assert_eq!(kind.first_invalid(v), expected, "{kind:?} {v:?}");
                }
            }
        }
    }
}
