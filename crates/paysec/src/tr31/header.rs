//! The TR-31 header: version, length, key usage, algorithm, mode of use, key version,
//! exportability, optional block count, reserved field, and the optional blocks.

use super::Tr31Error;

/// Key block version (the binding method).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// TDES key derivation binding method.
    B,
    /// AES key derivation binding method.
    D,
}

impl Version {
    /// The header character.
    pub const fn as_char(self) -> char {
        match self {
            Version::B => 'B',
            Version::D => 'D',
        }
    }

    /// Cipher block length: header, optional blocks and key data align to it.
    pub const fn block_len(self) -> usize {
        match self {
            Version::B => 8,
            Version::D => 16,
        }
    }

    /// MAC length in bytes.
    pub const fn mac_len(self) -> usize {
        match self {
            Version::B => 8,
            Version::D => 16,
        }
    }
}

macro_rules! code_enum {
    (
        $(#[$meta:meta])* $name:ident, $width:literal, $field:literal, $expected:literal,
        { $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A numeric value reserved for proprietary use.
            Proprietary([u8; $width]),
        }

        impl $name {
            /// The header characters.
            pub fn code(self) -> [u8; $width] {
                match self {
                    $( $name::$variant => *$code, )*
                    $name::Proprietary(c) => c,
                }
            }

            /// Parses the header characters at `offset`.
            pub fn parse(code: [u8; $width], offset: usize) -> Result<Self, Tr31Error> {
                $( if &code == $code { return Ok($name::$variant); } )*
                if code.iter().all(u8::is_ascii_digit) {
                    return Ok($name::Proprietary(code));
                }
                Err(Tr31Error::Field {
                    field: $field,
                    offset,
                    found: String::from_utf8_lossy(&code).into_owned(),
                    expected: $expected,
                })
            }
        }
    };
}

code_enum!(
    /// What the wrapped key is for (TR-31:2018 Table 6; common values).
    KeyUsage, 2, "key usage", "a TR-31 key usage such as P0, B0, K1, M3, D0, V2 (or two digits)",
    {
        /// BDK base derivation key.
        Bdk = b"B0",
        /// Initial DUKPT key.
        InitialDukptKey = b"B1",
        /// Base key variant key.
        BaseKeyVariant = b"B2",
        /// Card verification key.
        Cvk = b"C0",
        /// Symmetric data encryption key.
        DataEncryption = b"D0",
        /// Asymmetric data encryption key.
        AsymmetricDataEncryption = b"D1",
        /// Data encryption key for decimalisation tables.
        DecimalisationTable = b"D2",
        /// EMV issuer master key: application cryptograms.
        EmvMkAc = b"E0",
        /// EMV issuer master key: secure messaging for confidentiality.
        EmvMkSmc = b"E1",
        /// EMV issuer master key: secure messaging for integrity.
        EmvMkSmi = b"E2",
        /// EMV issuer master key: data authentication code.
        EmvMkDac = b"E3",
        /// EMV issuer master key: dynamic numbers.
        EmvMkDn = b"E4",
        /// EMV issuer master key: card personalisation.
        EmvMkPerso = b"E5",
        /// EMV issuer master key: other.
        EmvMkOther = b"E6",
        /// Initialisation vector.
        Iv = b"I0",
        /// Key encryption or wrapping.
        KeyEncryption = b"K0",
        /// TR-31 key block protection key.
        Kbpk = b"K1",
        /// TR-34 asymmetric key.
        Tr34 = b"K2",
        /// Asymmetric key for key agreement / wrapping.
        AsymmetricKeyAgreement = b"K3",
        /// ISO 16609 MAC algorithm 1 (TDEA).
        MacIso16609 = b"M0",
        /// ISO 9797-1 MAC algorithm 1.
        MacAlg1 = b"M1",
        /// ISO 9797-1 MAC algorithm 2.
        MacAlg2 = b"M2",
        /// ISO 9797-1 MAC algorithm 3.
        MacAlg3 = b"M3",
        /// ISO 9797-1 MAC algorithm 4.
        MacAlg4 = b"M4",
        /// ISO 9797-1:1999 MAC algorithm 5.
        MacAlg5 = b"M5",
        /// ISO 9797-1:2011 MAC algorithm 5 (CMAC).
        MacCmac = b"M6",
        /// HMAC.
        MacHmac = b"M7",
        /// ISO 9797-1:2011 MAC algorithm 6.
        MacAlg6 = b"M8",
        /// PIN encryption.
        PinEncryption = b"P0",
        /// Asymmetric key pair for digital signature.
        Signature = b"S0",
        /// Asymmetric key pair, CA key.
        CaKey = b"S1",
        /// Asymmetric key pair, non-X9.24 key.
        NonX924 = b"S2",
        /// PIN verification, other algorithm.
        PinVerificationOther = b"V0",
        /// PIN verification, IBM 3624.
        PinVerificationIbm3624 = b"V1",
        /// PIN verification, Visa PVV.
        PinVerificationVisaPvv = b"V2",
        /// PIN verification, X9.132 algorithm 1.
        PinVerificationX9132Alg1 = b"V3",
        /// PIN verification, X9.132 algorithm 2.
        PinVerificationX9132Alg2 = b"V4",
    }
);

code_enum!(
    /// The algorithm the wrapped key is for.
    Algorithm, 1, "algorithm", "one of A, D, E, H, R, S, T (or a digit)",
    {
        /// AES.
        Aes = b"A",
        /// DES (legacy).
        Des = b"D",
        /// Elliptic curve.
        EllipticCurve = b"E",
        /// HMAC.
        Hmac = b"H",
        /// RSA.
        Rsa = b"R",
        /// DSA.
        Dsa = b"S",
        /// Triple DES.
        Tdes = b"T",
    }
);

code_enum!(
    /// What the wrapped key may do.
    ModeOfUse, 1, "mode of use", "one of B, C, D, E, G, N, S, T, V, X, Y (or a digit)",
    {
        /// Encrypt and decrypt / wrap and unwrap.
        EncryptDecrypt = b"B",
        /// Generate and verify.
        GenerateVerify = b"C",
        /// Decrypt / unwrap only.
        DecryptOnly = b"D",
        /// Encrypt / wrap only.
        EncryptOnly = b"E",
        /// Generate only.
        GenerateOnly = b"G",
        /// No special restrictions.
        NoRestrictions = b"N",
        /// Signature only.
        SignatureOnly = b"S",
        /// Sign and decrypt.
        SignDecrypt = b"T",
        /// Verify only.
        VerifyOnly = b"V",
        /// Derive other keys.
        Derive = b"X",
        /// Create key variants.
        Variants = b"Y",
    }
);

code_enum!(
    /// Whether the key may leave its cryptographic domain.
    Exportability, 1, "exportability", "one of E, N, S (or a digit)",
    {
        /// Exportable under a trusted key.
        Exportable = b"E",
        /// Not exportable.
        NonExportable = b"N",
        /// Sensitive: exportable under an untrusted key.
        Sensitive = b"S",
    }
);

/// The 2-character key version number: "00" (unused), "c?" (a component), or a version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyVersion(pub [u8; 2]);

impl KeyVersion {
    /// Key versioning not used.
    pub const NONE: KeyVersion = KeyVersion(*b"00");

    /// True when the block carries a key component (first character 'c').
    pub fn is_component(self) -> bool {
        self.0[0] == b'c'
    }
}

/// An optional block: a 2-character ID and printable ASCII data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionalBlock {
    /// The block ID, e.g. `KS` (KSN), `KC` (KCV), `TS` (time stamp).
    pub id: [u8; 2],
    /// The block data.
    pub data: String,
}

/// A parsed TR-31 header (pad blocks are dropped on parse and added on wrap).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Binding method.
    pub version: Version,
    /// Key usage.
    pub key_usage: KeyUsage,
    /// Key algorithm.
    pub algorithm: Algorithm,
    /// Mode of use.
    pub mode_of_use: ModeOfUse,
    /// Key version number.
    pub key_version: KeyVersion,
    /// Exportability.
    pub exportability: Exportability,
    /// Optional blocks other than the pad block.
    pub optional_blocks: Vec<OptionalBlock>,
}

fn field_err(
    field: &'static str,
    offset: usize,
    found: &[u8],
    expected: &'static str,
) -> Tr31Error {
    Tr31Error::Field {
        field,
        offset,
        found: String::from_utf8_lossy(found).into_owned(),
        expected,
    }
}

fn take<const N: usize>(text: &[u8], offset: usize) -> Result<[u8; N], Tr31Error> {
    text.get(offset..offset + N)
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or(Tr31Error::TooShort { len: text.len() })
}

fn hex_value(text: &[u8]) -> Option<usize> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0usize, |acc, c| {
        let n = crate::hex::nibble(*c)?;
        acc.checked_mul(16)?.checked_add(usize::from(n))
    })
}

fn decimal_value(text: &[u8]) -> Option<usize> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    text.iter().try_fold(0usize, |acc, c| {
        acc.checked_mul(10)?.checked_add(usize::from(c - b'0'))
    })
}

/// The result of reading a header off the front of a key block.
#[derive(Debug)]
pub(crate) struct ParsedHeader {
    pub header: Header,
    /// The length field.
    pub declared_len: usize,
    /// Characters taken by the header and optional blocks (the MAC covers exactly these).
    pub header_len: usize,
}

impl Header {
    /// A header with no optional blocks.
    pub fn new(
        version: Version,
        key_usage: KeyUsage,
        algorithm: Algorithm,
        mode_of_use: ModeOfUse,
        key_version: KeyVersion,
        exportability: Exportability,
    ) -> Self {
        Header {
            version,
            key_usage,
            algorithm,
            mode_of_use,
            key_version,
            exportability,
            optional_blocks: Vec::new(),
        }
    }

    /// Parses the header and optional blocks at the start of `text`.
    pub(crate) fn parse(text: &[u8]) -> Result<ParsedHeader, Tr31Error> {
        if text.len() < 16 {
            return Err(Tr31Error::TooShort { len: text.len() });
        }
        if let Some(offset) = text.iter().position(|b| !(0x20..=0x7E).contains(b)) {
            return Err(Tr31Error::NotAscii { offset });
        }
        let [v] = take::<1>(text, 0)?;
        let version = match v {
            b'B' => Version::B,
            b'D' => Version::D,
            other => {
                return Err(Tr31Error::UnsupportedVersion {
                    found: char::from(other),
                });
            }
        };
        let len_text = take::<4>(text, 1)?;
        let declared_len = decimal_value(&len_text)
            .ok_or_else(|| field_err("key block length", 1, &len_text, "4 decimal digits"))?;
        let key_usage = KeyUsage::parse(take::<2>(text, 5)?, 5)?;
        let algorithm = Algorithm::parse(take::<1>(text, 7)?, 7)?;
        let mode_of_use = ModeOfUse::parse(take::<1>(text, 8)?, 8)?;
        let kv = take::<2>(text, 9)?;
        if !kv.iter().all(u8::is_ascii_alphanumeric) {
            return Err(field_err(
                "key version number",
                9,
                &kv,
                "2 alphanumeric characters",
            ));
        }
        let exportability = Exportability::parse(take::<1>(text, 11)?, 11)?;
        let count_text = take::<2>(text, 12)?;
        let count = decimal_value(&count_text).ok_or_else(|| {
            field_err(
                "number of optional blocks",
                12,
                &count_text,
                "2 decimal digits",
            )
        })?;
        let reserved = take::<2>(text, 14)?;
        if &reserved != b"00" {
            return Err(field_err("reserved", 14, &reserved, "\"00\""));
        }
        let (optional_blocks, header_len) = parse_optional_blocks(text, count)?;
        Ok(ParsedHeader {
            header: Header {
                version,
                key_usage,
                algorithm,
                mode_of_use,
                key_version: KeyVersion(kv),
                exportability,
                optional_blocks,
            },
            declared_len,
            header_len,
        })
    }

    /// Encodes the header with its optional blocks and a pad block aligning them to the
    /// cipher block, given the total key block length.
    pub(crate) fn encode(&self, total_len: usize) -> Result<String, Tr31Error> {
        let blocks = self.encode_optional_blocks()?;
        let count = self.optional_blocks.len() + usize::from(blocks.1);
        if count > 99 {
            return Err(Tr31Error::TooLong {
                what: "number of optional blocks",
                len: count,
            });
        }
        if total_len > 9999 {
            return Err(Tr31Error::TooLong {
                what: "key block",
                len: total_len,
            });
        }
        let mut out = String::with_capacity(16 + blocks.0.len());
        out.push(self.version.as_char());
        out.push_str(&format!("{total_len:04}"));
        for b in self
            .key_usage
            .code()
            .iter()
            .chain(&self.algorithm.code())
            .chain(&self.mode_of_use.code())
            .chain(&self.key_version.0)
            .chain(&self.exportability.code())
        {
            out.push(char::from(*b));
        }
        out.push_str(&format!("{count:02}00"));
        out.push_str(&blocks.0);
        Ok(out)
    }

    /// Length of the encoded header (with pad block) in characters.
    pub(crate) fn encoded_len(&self) -> Result<usize, Tr31Error> {
        Ok(16 + self.encode_optional_blocks()?.0.len())
    }

    /// Optional blocks as text plus whether a pad block was added.
    fn encode_optional_blocks(&self) -> Result<(String, bool), Tr31Error> {
        let mut out = String::new();
        for (index, b) in self.optional_blocks.iter().enumerate() {
            let offset = 16 + out.len();
            let bad = |reason| Tr31Error::OptionalBlock {
                index,
                id: String::from_utf8_lossy(&b.id).into_owned(),
                offset,
                reason,
            };
            if !b.id.iter().all(u8::is_ascii_alphanumeric) || &b.id == b"PB" {
                return Err(bad("ID must be 2 alphanumeric characters other than PB"));
            }
            if !b.data.bytes().all(|c| (0x20..=0x7E).contains(&c)) {
                return Err(bad("data must be printable ASCII"));
            }
            out.push(char::from(b.id[0]));
            out.push(char::from(b.id[1]));
            let len = b.data.len() + 4;
            if len <= 0xFF {
                out.push_str(&format!("{len:02X}"));
            } else {
                let ext = b.data.len() + 10;
                if ext > 0xFFFF {
                    return Err(bad("data longer than an extended length can hold"));
                }
                out.push_str(&format!("0002{ext:04X}"));
            }
            out.push_str(&b.data);
        }
        let align = self.version.block_len();
        if out.len().is_multiple_of(align) {
            return Ok((out, false));
        }
        let pad = align - (out.len() + 4) % align;
        let pad = if pad == align { 0 } else { pad };
        out.push_str(&format!("PB{:02X}", pad + 4));
        out.extend(core::iter::repeat_n('0', pad));
        Ok((out, true))
    }
}

fn parse_optional_blocks(
    text: &[u8],
    count: usize,
) -> Result<(Vec<OptionalBlock>, usize), Tr31Error> {
    let mut blocks = Vec::new();
    let mut at = 16usize;
    for index in 0..count {
        let start = at;
        let id_bytes = text.get(at..at + 2).unwrap_or(&[]);
        let bad = |reason| Tr31Error::OptionalBlock {
            index,
            id: String::from_utf8_lossy(id_bytes).into_owned(),
            offset: start,
            reason,
        };
        let id: [u8; 2] = id_bytes
            .try_into()
            .map_err(|_| bad("block ID is missing"))?;
        if !id.iter().all(u8::is_ascii_alphanumeric) {
            return Err(bad("block ID must be 2 alphanumeric characters"));
        }
        let len_text = text
            .get(at + 2..at + 4)
            .ok_or(bad("block length is missing"))?;
        let short_len = hex_value(len_text).ok_or(bad("block length must be 2 hex digits"))?;
        let (data_start, total) = if short_len == 0 {
            let ll_text = text
                .get(at + 4..at + 6)
                .ok_or(bad("length of length is missing"))?;
            let ll = hex_value(ll_text).ok_or(bad("length of length must be 2 hex digits"))?;
            if ll == 0 || ll > 4 {
                return Err(bad("length of length must be 1 to 4 bytes"));
            }
            let l_text = text
                .get(at + 6..at + 6 + 2 * ll)
                .ok_or(bad("extended length is missing"))?;
            let total = hex_value(l_text).ok_or(bad("extended length must be hex"))?;
            (at + 6 + 2 * ll, total)
        } else {
            (at + 4, short_len)
        };
        let data_len = total.checked_sub(data_start - at).ok_or(bad(
            "block length does not cover the block's own ID and length",
        ))?;
        let data = text
            .get(data_start..data_start + data_len)
            .ok_or(bad("block data runs past the end of the key block"))?;
        at = data_start + data_len;
        if &id != b"PB" {
            blocks.push(OptionalBlock {
                id,
                data: String::from_utf8_lossy(data).into_owned(),
            });
        }
    }
    Ok((blocks, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_fields_and_blocks() {
        // Header of TR-31:2018 A.7.3.2.
        let p = Header::parse(b"B0104B0TX12S0100KS1800604B120F9292800000BB68").unwrap();
        assert_eq!(p.declared_len, 104);
        assert_eq!(p.header_len, 40);
        let h = p.header;
        assert_eq!(h.version, Version::B);
        assert_eq!(h.key_usage, KeyUsage::Bdk);
        assert_eq!(h.algorithm, Algorithm::Tdes);
        assert_eq!(h.mode_of_use, ModeOfUse::Derive);
        assert_eq!(h.key_version, KeyVersion(*b"12"));
        assert_eq!(h.exportability, Exportability::Sensitive);
        assert_eq!(
            h.optional_blocks,
            vec![OptionalBlock {
                id: *b"KS",
                data: "00604B120F9292800000".into()
            }]
        );
        assert_eq!(
            h.encode(104).unwrap(),
            "B0104B0TX12S0100KS1800604B120F9292800000"
        );
    }

    #[test]
    fn pad_and_extended_blocks() {
        // psec tests: pad block dropped, extended length read.
        let p = Header::parse(b"B0000P0TE00N0200KS1200604B120F9292PB0600").unwrap();
        assert_eq!(p.header_len, 40);
        assert_eq!(p.header.optional_blocks.len(), 1);
        assert_eq!(
            p.header.encode(0).unwrap(),
            "B0000P0TE00N0200KS1200604B120F9292PB0600"
        );
        let p = Header::parse(b"B0000P0TE00N0200KS00011600604B120F9292PB0A000000").unwrap();
        assert_eq!(p.header.optional_blocks[0].data, "00604B120F9292");
        let long = "P".repeat(256);
        let text = format!("B0000P0TE00N0200KS0002010A{long}PB0600");
        let p = Header::parse(text.as_bytes()).unwrap();
        assert_eq!(p.header.optional_blocks[0].data, long);
        assert_eq!(p.header.encode(0).unwrap(), text);
    }

    #[test]
    fn typed_field_errors() {
        let e = Header::parse(b"B0000P0_E00N0000").unwrap_err();
        assert!(
            matches!(
                e,
                Tr31Error::Field {
                    field: "algorithm",
                    offset: 7,
                    ..
                }
            ),
            "{e}"
        );
        let e = Header::parse(b"B0000P0TQ00N0000").unwrap_err();
        assert!(
            matches!(
                e,
                Tr31Error::Field {
                    field: "mode of use",
                    offset: 8,
                    ..
                }
            ),
            "{e}"
        );
        let e = Header::parse(b"B0000P0TE0_N0000").unwrap_err();
        assert!(
            matches!(
                e,
                Tr31Error::Field {
                    field: "key version number",
                    offset: 9,
                    ..
                }
            ),
            "{e}"
        );
        let e = Header::parse(b"B0000P0TE00X0000").unwrap_err();
        assert!(
            matches!(
                e,
                Tr31Error::Field {
                    field: "exportability",
                    offset: 11,
                    ..
                }
            ),
            "{e}"
        );
        let e = Header::parse(b"B0000P0TE00N0X00").unwrap_err();
        assert!(
            matches!(
                e,
                Tr31Error::Field {
                    field: "number of optional blocks",
                    offset: 12,
                    ..
                }
            ),
            "{e}"
        );
        let e = Header::parse(b"B0000PZTE00N0000").unwrap_err();
        assert!(
            matches!(
                e,
                Tr31Error::Field {
                    field: "key usage",
                    offset: 5,
                    ..
                }
            ),
            "{e}"
        );
        let e = Header::parse(b"BX040P0TE00N0000").unwrap_err();
        assert!(
            matches!(
                e,
                Tr31Error::Field {
                    field: "key block length",
                    offset: 1,
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(
            Header::parse(b"A0000P0TE00N0000").unwrap_err(),
            Tr31Error::UnsupportedVersion { found: 'A' }
        );
        let e = Header::parse(b"B0000P0TE00N0100KS02").unwrap_err();
        assert!(
            matches!(
                e,
                Tr31Error::OptionalBlock {
                    index: 0,
                    offset: 16,
                    ..
                }
            ),
            "{e}"
        );
        let e = Header::parse(b"B0000P0TE00N0100KS0001FF").unwrap_err();
        assert!(
            matches!(
                e,
                Tr31Error::OptionalBlock {
                    reason: "block data runs past the end of the key block",
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(
            Header::parse(b"B0000P0TE00N00\x0100").unwrap_err(),
            Tr31Error::NotAscii { offset: 14 }
        );
        assert_eq!(
            Header::parse(b"B0000").unwrap_err(),
            Tr31Error::TooShort { len: 5 }
        );
    }
}
