//! Dialects from files: TOML or JSON, either whole or as changes to a built-in (`base`).
//!
//! ```toml
//! name = "acme-87"
//! base = "iso87-ascii-bbitmap"   # optional: start from a built-in and change some fields
//! mti = "ascii"                  # ascii | bcd | ebcdic
//! bitmap = "binary"              # binary | hex | ebcdic-hex
//!
//! [fields.48]
//! name = "Additional Data - Private"
//! kind = "ans"                   # n a an ans z x+n b
//! length = "LLL"                 # fixed | L | LL | LLL | LLLL
//! max = 999                      # in units of the length: bytes, or digits for BCD
//! length_encoding = "ascii"      # ascii | ebcdic | bcd | binary (default: ascii)
//! encoding = "ascii"             # ascii | ebcdic | bcd | binary | hex (default by kind)
//! ```
//! Optional per field: `length_bytes` (wire width of the prefix), `unit` (`bytes`|`nibbles`),
//! `pad` (`left`, `right`, `right-f`), `composite` (`tlv`, `track2`, `original-data`) and
//! `sensitive` (`pan`, `secret`, `clear`; default by field number).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::SpecError;
use crate::spec::{
    BitmapEncoding, Composite, Encoding, FieldSpec, Kind, LengthEncoding, MtiEncoding, Pad, Prefix,
    Sensitivity, Spec, Unit,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    name: String,
    #[serde(default)]
    description: String,
    base: Option<String>,
    mti: Option<String>,
    bitmap: Option<String>,
    tertiary_bitmap: Option<bool>,
    #[serde(default)]
    fields: BTreeMap<String, FieldFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldFile {
    name: Option<String>,
    kind: String,
    max: u16,
    #[serde(default = "fixed")]
    length: String,
    length_encoding: Option<String>,
    length_bytes: Option<u8>,
    encoding: Option<String>,
    unit: Option<String>,
    pad: Option<String>,
    composite: Option<String>,
    sensitive: Option<String>,
}

fn fixed() -> String {
    "fixed".to_string()
}

fn err(why: String) -> SpecError {
    SpecError::File(why)
}

impl Spec {
    /// Reads a dialect from TOML text.
    pub fn from_toml_str(text: &str) -> Result<Spec, SpecError> {
        let file: SpecFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        file.build()
    }

    /// Reads a dialect from JSON text (the same structure as the TOML form).
    pub fn from_json_str(text: &str) -> Result<Spec, SpecError> {
        let file: SpecFile = serde_json::from_str(text).map_err(|e| err(e.to_string()))?;
        file.build()
    }
}

impl SpecFile {
    fn build(self) -> Result<Spec, SpecError> {
        let mut spec = match &self.base {
            Some(base) => crate::specs::builtin(base)?,
            None => Spec::new(
                &self.name,
                &self.description,
                MtiEncoding::Ascii,
                BitmapEncoding::Binary,
            ),
        };
        spec.name = self.name.clone();
        if !self.description.is_empty() {
            spec.description = self.description.clone();
        }
        if let Some(m) = &self.mti {
            spec.mti = match m.as_str() {
                "ascii" => MtiEncoding::Ascii,
                "bcd" => MtiEncoding::Bcd,
                "ebcdic" => MtiEncoding::Ebcdic,
                o => return Err(err(format!("mti = {o:?}: expected ascii, bcd or ebcdic"))),
            };
        }
        if let Some(b) = &self.bitmap {
            spec.bitmap = match b.as_str() {
                "binary" => BitmapEncoding::Binary,
                "hex" => BitmapEncoding::Hex,
                "ebcdic-hex" => BitmapEncoding::EbcdicHex,
                o => {
                    return Err(err(format!(
                        "bitmap = {o:?}: expected binary, hex or ebcdic-hex"
                    )));
                }
            };
        }
        if let Some(t) = self.tertiary_bitmap {
            spec.tertiary_bitmap = t;
        }
        for (key, f) in self.fields {
            let number: u8 = key
                .parse()
                .map_err(|_| err(format!("fields.{key}: the key must be a field number")))?;
            spec.define(f.build(number)?)?;
        }
        Ok(spec)
    }
}

impl FieldFile {
    fn build(self, number: u8) -> Result<FieldSpec, SpecError> {
        let bad = |what: &str, v: &str, expected: &str| SpecError::Field {
            number,
            why: format!("{what} = {v:?}: expected {expected}"),
        };
        let kind = Kind::from_notation(&self.kind)
            .ok_or_else(|| bad("kind", &self.kind, "n, a, an, ans, z, x+n or b"))?;
        let length_encoding = match self.length_encoding.as_deref().unwrap_or("ascii") {
            "ascii" => LengthEncoding::Ascii,
            "ebcdic" => LengthEncoding::Ebcdic,
            "bcd" => LengthEncoding::Bcd,
            "binary" => LengthEncoding::Binary,
            o => return Err(bad("length_encoding", o, "ascii, ebcdic, bcd or binary")),
        };
        let digits = match self.length.as_str() {
            "fixed" => 0,
            "L" => 1,
            "LL" => 2,
            "LLL" => 3,
            "LLLL" => 4,
            o => return Err(bad("length", o, "fixed, L, LL, LLL or LLLL")),
        };
        let mut prefix = if digits == 0 {
            Prefix::FIXED
        } else {
            Prefix::digits(digits, length_encoding)
        };
        if let Some(w) = self.length_bytes {
            if digits == 0 {
                return Err(bad(
                    "length_bytes",
                    &w.to_string(),
                    "no length_bytes on a fixed field",
                ));
            }
            prefix.width_bytes = w;
        }
        let encoding = match self.encoding.as_deref() {
            None if kind == Kind::B => Encoding::Binary,
            None => Encoding::Ascii,
            Some("ascii") => Encoding::Ascii,
            Some("ebcdic") => Encoding::Ebcdic,
            Some("bcd") => Encoding::Bcd,
            Some("binary") => Encoding::Binary,
            Some("hex") => Encoding::Hex,
            Some(o) => return Err(bad("encoding", o, "ascii, ebcdic, bcd, binary or hex")),
        };
        let name = self.name.unwrap_or_else(|| format!("Field {number}"));
        let mut f = FieldSpec::new(number, &name, kind, encoding, prefix, self.max);
        if let Some(u) = self.unit.as_deref() {
            f.unit = match u {
                "bytes" => Unit::Bytes,
                "nibbles" | "digits" => Unit::Nibbles,
                o => return Err(bad("unit", o, "bytes or nibbles")),
            };
        }
        if let Some(p) = self.pad.as_deref() {
            f.pad = match p {
                "left" => Pad::Left(0),
                "right" => Pad::Right(0),
                "right-f" => Pad::Right(0xF),
                o => return Err(bad("pad", o, "left, right or right-f")),
            };
        }
        if let Some(c) = self.composite.as_deref() {
            f.composite = match c {
                "none" => Composite::None,
                "tlv" => Composite::Tlv,
                "track2" => Composite::Track2,
                "original-data" => Composite::OriginalData,
                o => return Err(bad("composite", o, "none, tlv, track2 or original-data")),
            };
        }
        if let Some(s) = self.sensitive.as_deref() {
            f.sensitivity = match s {
                "clear" => Sensitivity::Clear,
                "pan" => Sensitivity::Pan,
                "secret" => Sensitivity::Secret,
                o => return Err(bad("sensitive", o, "clear, pan or secret")),
            };
        }
        f.validate()?;
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_changes_a_builtin() {
        let spec = Spec::from_toml_str(
            r#"
name = "acme"
base = "iso87-ascii-bbitmap"
[fields.48]
kind = "b"
length = "LLL"
length_encoding = "binary"
max = 512
"#,
        )
        .unwrap();
        let f = spec.field(48).unwrap();
        assert_eq!(f.encoding, Encoding::Binary);
        assert_eq!(f.prefix.width_bytes, 2);
        assert_eq!(spec.field(2).unwrap().max_len, 19);
        assert_eq!(spec.name, "acme");
    }

    #[test]
    fn json_whole_spec_and_errors() {
        let spec = Spec::from_json_str(
            r#"{"name":"tiny","mti":"bcd","bitmap":"hex","fields":{"3":{"kind":"n","max":6,"encoding":"bcd"}}}"#,
        )
        .unwrap();
        assert_eq!(spec.fields().count(), 1);
        let e = Spec::from_toml_str("name='x'\n[fields.4]\nkind='q'\nmax=1").unwrap_err();
        assert!(e.to_string().contains("kind = \"q\""), "{e}");
        let e = Spec::from_toml_str("name='x'\n[fields.2]\nkind='n'\nmax=200\nlength='LL'")
            .unwrap_err();
        assert!(e.to_string().contains("does not fit"), "{e}");
        let e = Spec::from_toml_str("name='x'\n[fields.65]\nkind='n'\nmax=2").unwrap_err();
        assert!(e.to_string().contains("bitmap"), "{e}");
        assert!(Spec::from_toml_str("name='x'\nbogus=1").is_err());
    }
}
