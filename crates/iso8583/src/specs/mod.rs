//! The built-in dialects, each built from a field table plus its encoding choices.

mod iso87;
mod iso93;

use crate::error::SpecError;
use crate::spec::{
    BitmapEncoding, Composite, Encoding, FieldSpec, Kind, LengthEncoding, MtiEncoding, Pad, Prefix,
    Spec,
};

/// Names and one-line descriptions of the built-in specs; the first is the default.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "iso87-ascii-bbitmap",
        "ISO 8583:1987, ASCII fields, 8-byte binary bitmaps (pyiso8583 `default`, jPOS ISO87APackagerBBitmap)",
    ),
    (
        "iso87-ascii",
        "ISO 8583:1987, ASCII fields, hex-text bitmaps and binary fields (pyiso8583 `default_ascii`, jPOS ISO87APackager)",
    ),
    (
        "iso87-bcd",
        "ISO 8583:1987, numeric fields and lengths packed BCD, binary bitmaps (jPOS ISO87BPackager)",
    ),
    (
        "iso93-ascii",
        "ISO 8583:1993, ASCII fields, hex-text bitmaps and binary fields (jPOS ISO93APackager)",
    ),
];

/// The default spec's name.
pub const DEFAULT: &str = "iso87-ascii-bbitmap";

/// A built-in spec by name.
pub fn builtin(name: &str) -> Result<Spec, SpecError> {
    match name {
        "iso87-ascii-bbitmap" => Ok(iso87_ascii_bbitmap()),
        "iso87-ascii" => Ok(iso87_ascii()),
        "iso87-bcd" => Ok(iso87_bcd()),
        "iso93-ascii" => Ok(iso93_ascii()),
        _ => Err(SpecError::Unknown {
            name: name.to_string(),
            known: BUILTIN
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

fn description(name: &str) -> &'static str {
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| *d)
        .unwrap_or("")
}

fn composite_1987(number: u8) -> Composite {
    match number {
        35 => Composite::Track2,
        55 => Composite::Tlv,
        90 => Composite::OriginalData,
        _ => Composite::None,
    }
}

/// Builds a spec from a table; `field` maps (number, name, kind, length digits, max) to a spec.
fn build(
    name: &str,
    mti: MtiEncoding,
    bitmap: BitmapEncoding,
    rows: &[iso87::Row],
    field: impl Fn(u8, &str, Kind, u8, u16) -> FieldSpec,
) -> Spec {
    let mut spec = Spec::new(name, description(name), mti, bitmap);
    for &(number, fname, kind, digits, max) in rows {
        let kind = Kind::from_notation(kind).unwrap_or(Kind::Ans);
        // The tables are fixed and checked by this crate's tests, so a refusal here is a bug
        // caught there; a release build keeps going without the field rather than panic.
        let _ = spec.define(field(number, fname, kind, digits, max));
    }
    spec
}

fn ascii_field(
    number: u8,
    name: &str,
    kind: Kind,
    digits: u8,
    max: u16,
    binary: Encoding,
) -> FieldSpec {
    let (encoding, max) = match (kind, binary) {
        (Kind::B, Encoding::Hex) => (Encoding::Hex, max * 2),
        (Kind::B, _) => (Encoding::Binary, max),
        _ => (Encoding::Ascii, max),
    };
    let prefix = if digits == 0 {
        Prefix::FIXED
    } else {
        Prefix::digits(digits, LengthEncoding::Ascii)
    };
    let mut f = FieldSpec::new(number, name, kind, encoding, prefix, max);
    f.composite = composite_1987(number);
    f
}

/// ISO 8583:1987 with ASCII fields and binary bitmaps: the default.
pub fn iso87_ascii_bbitmap() -> Spec {
    build(
        "iso87-ascii-bbitmap",
        MtiEncoding::Ascii,
        BitmapEncoding::Binary,
        iso87::FIELDS,
        |n, name, kind, d, max| ascii_field(n, name, kind, d, max, Encoding::Binary),
    )
}

/// ISO 8583:1987 with ASCII fields, hex-text bitmaps and hex-text binary fields.
pub fn iso87_ascii() -> Spec {
    build(
        "iso87-ascii",
        MtiEncoding::Ascii,
        BitmapEncoding::Hex,
        iso87::FIELDS,
        |n, name, kind, d, max| ascii_field(n, name, kind, d, max, Encoding::Hex),
    )
}

/// ISO 8583:1993 with ASCII fields, hex-text bitmaps and hex-text binary fields.
pub fn iso93_ascii() -> Spec {
    build(
        "iso93-ascii",
        MtiEncoding::Ascii,
        BitmapEncoding::Hex,
        iso93::FIELDS,
        |n, name, kind, d, max| {
            let mut f = ascii_field(n, name, kind, d, max, Encoding::Hex);
            f.composite = match n {
                35 => Composite::Track2,
                55 => Composite::Tlv,
                _ => Composite::None,
            };
            f
        },
    )
}

/// ISO 8583:1987 with numeric data and lengths packed BCD, as jPOS ISO87BPackager: fixed numbers
/// are left-padded with 0, LLVAR numbers (`IFB_LLNUM`) right-padded with 0, signed amounts keep
/// an ASCII `C`/`D` before packed digits. Field 55 is binary ICC data with a BCD LLL prefix.
pub fn iso87_bcd() -> Spec {
    build(
        "iso87-bcd",
        MtiEncoding::Bcd,
        BitmapEncoding::Binary,
        iso87::FIELDS,
        |n, name, kind, digits, max| {
            // Where jPOS ISO87BPackager's lengths differ from the 1987 table pyiso8583 uses.
            let max = match n {
                54 => 120,
                93 => 6,
                96 => 16,
                _ => max,
            };
            let prefix = if digits == 0 {
                Prefix::FIXED
            } else {
                Prefix::digits(digits, LengthEncoding::Bcd)
            };
            let encoding = match kind {
                Kind::N | Kind::Z | Kind::Xn => Encoding::Bcd,
                Kind::B => Encoding::Binary,
                _ => Encoding::Ascii,
            };
            let mut f = FieldSpec::new(n, name, kind, encoding, prefix, max);
            if encoding == Encoding::Bcd && digits != 0 {
                f.pad = Pad::Right(0);
            }
            f.composite = composite_1987(n);
            f
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_defines_every_table_row() {
        for (name, _) in BUILTIN {
            let spec = builtin(name).unwrap();
            let rows = if name.starts_with("iso93") {
                iso93::FIELDS.len()
            } else {
                iso87::FIELDS.len()
            };
            assert_eq!(spec.fields().count(), rows, "{name}");
            for f in spec.fields() {
                f.validate().unwrap();
            }
        }
        assert!(builtin("nope").is_err());
    }
}
