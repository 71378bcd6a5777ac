//! Key usage rules: which TR-31 key usages and modes of use each command accepts, the default
//! attributes of a key imported in clear, and the short names operators type.
//!
//! An HSM's first duty is that a key does only its one job: a PIN key never decrypts data, a
//! MAC verification key never generates. The TR-31 header of every stored key carries these
//! attributes, bound to the key by the block's MAC, so the rules below cannot be edited away.

use paysec::KeyAlgorithm;
use paysec::tr31::{Exportability, KeyUsage, KeyVersion, ModeOfUse};

use crate::error::HsmError;

/// The attributes a key is stored with (the TR-31 header fields other than the algorithm,
/// which comes from the key itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyAttributes {
    /// What the key is for.
    pub usage: KeyUsage,
    /// What it may do.
    pub mode_of_use: ModeOfUse,
    /// Whether it may leave the HSM.
    pub exportability: Exportability,
    /// Key version ("00": not used).
    pub key_version: KeyVersion,
}

impl KeyAttributes {
    /// The usual attributes for `usage`: the mode of use its commands need, exportable under a
    /// key block protection key, no version.
    pub fn for_usage(usage: KeyUsage) -> Self {
        KeyAttributes {
            usage,
            mode_of_use: default_mode(usage),
            exportability: Exportability::Exportable,
            key_version: KeyVersion::NONE,
        }
    }
}

fn default_mode(usage: KeyUsage) -> ModeOfUse {
    use KeyUsage as U;
    match usage {
        U::Bdk | U::InitialDukptKey | U::BaseKeyVariant => ModeOfUse::Derive,
        U::EmvMkAc
        | U::EmvMkSmc
        | U::EmvMkSmi
        | U::EmvMkDac
        | U::EmvMkDn
        | U::EmvMkPerso
        | U::EmvMkOther => ModeOfUse::Derive,
        U::Cvk
        | U::PinVerificationOther
        | U::PinVerificationIbm3624
        | U::PinVerificationVisaPvv
        | U::PinVerificationX9132Alg1
        | U::PinVerificationX9132Alg2
        | U::MacIso16609
        | U::MacAlg1
        | U::MacAlg2
        | U::MacAlg3
        | U::MacAlg4
        | U::MacAlg5
        | U::MacCmac
        | U::MacHmac
        | U::MacAlg6 => ModeOfUse::GenerateVerify,
        _ => ModeOfUse::EncryptDecrypt,
    }
}

/// Short usage names accepted by [`parse_usage`], with the TR-31 code each stands for.
pub const USAGE_NAMES: &[(&str, &str, &str)] = &[
    ("bdk", "B0", "DUKPT base derivation key"),
    ("ipek", "B1", "DUKPT initial key of one PIN pad"),
    ("zpk", "P0", "zone PIN key (PIN block encryption)"),
    ("pvk-pvv", "V2", "PIN verification key, Visa PVV"),
    ("pvk-ibm", "V1", "PIN verification key, IBM 3624 offset"),
    ("cvk", "C0", "card verification key (CVV, CVV2, iCVV)"),
    (
        "imk-ac",
        "E0",
        "EMV issuer master key for application cryptograms",
    ),
    (
        "imk-smi",
        "E2",
        "EMV issuer master key for secure messaging integrity",
    ),
    ("mac-alg1", "M1", "MAC key, ISO 9797-1 algorithm 1"),
    (
        "mac-alg3",
        "M3",
        "MAC key, ISO 9797-1 algorithm 3 (ANSI X9.19 retail MAC)",
    ),
    ("mac-cmac", "M6", "MAC key, CMAC"),
    ("kbpk", "K1", "TR-31 key block protection key"),
    ("kek", "K0", "key encryption key"),
    ("dek", "D0", "data encryption key"),
];

const KNOWN_NAMES: &str = "bdk, ipek, zpk, pvk-pvv, pvk-ibm, cvk, imk-ac, imk-smi, mac-alg1, mac-alg3, mac-cmac, kbpk, kek, dek";

/// Parses a usage name (`zpk`, `bdk`, ...) or a 2-character TR-31 usage code (`P0`, `B0`, ...).
pub fn parse_usage(text: &str) -> Result<KeyUsage, HsmError> {
    let code = USAGE_NAMES
        .iter()
        .find(|(name, _, _)| name.eq_ignore_ascii_case(text))
        .map(|(_, code, _)| *code)
        .unwrap_or(text);
    let unknown = || HsmError::UnknownUsage {
        text: text.chars().take(16).collect(),
        known: KNOWN_NAMES,
    };
    let bytes: [u8; 2] = code
        .to_ascii_uppercase()
        .as_bytes()
        .try_into()
        .map_err(|_| unknown())?;
    KeyUsage::parse(bytes, 0).map_err(|_| unknown())
}

/// The 2-character code of a usage, e.g. `P0`.
pub fn usage_code(usage: KeyUsage) -> String {
    String::from_utf8_lossy(&usage.code()).into_owned()
}

/// The short name of a usage when it has one.
pub fn usage_name(usage: KeyUsage) -> Option<&'static str> {
    let code = usage_code(usage);
    USAGE_NAMES
        .iter()
        .find(|(_, c, _)| *c == code)
        .map(|(name, _, _)| *name)
}

/// A command's requirement on a key: allowed usages and modes, as values and as text.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rule {
    pub command: &'static str,
    pub usages: &'static [KeyUsage],
    pub usages_text: &'static str,
    pub modes: &'static [ModeOfUse],
    pub modes_text: &'static str,
}

const DECRYPT: &[ModeOfUse] = &[
    ModeOfUse::EncryptDecrypt,
    ModeOfUse::DecryptOnly,
    ModeOfUse::NoRestrictions,
];
const DECRYPT_TEXT: &str = "B, D or N";
const ENCRYPT: &[ModeOfUse] = &[
    ModeOfUse::EncryptDecrypt,
    ModeOfUse::EncryptOnly,
    ModeOfUse::NoRestrictions,
];
const ENCRYPT_TEXT: &str = "B, E or N";
const DERIVE: &[ModeOfUse] = &[ModeOfUse::Derive, ModeOfUse::NoRestrictions];
const DERIVE_TEXT: &str = "X or N";
const GENERATE: &[ModeOfUse] = &[
    ModeOfUse::GenerateVerify,
    ModeOfUse::GenerateOnly,
    ModeOfUse::NoRestrictions,
];
const GENERATE_TEXT: &str = "C, G or N";
const VERIFY: &[ModeOfUse] = &[
    ModeOfUse::GenerateVerify,
    ModeOfUse::VerifyOnly,
    ModeOfUse::NoRestrictions,
];
const VERIFY_TEXT: &str = "C, V or N";

pub(crate) const PIN_DECIPHER: Rule = Rule {
    command: "PIN block decipher",
    usages: &[KeyUsage::PinEncryption],
    usages_text: "P0",
    modes: DECRYPT,
    modes_text: DECRYPT_TEXT,
};
pub(crate) const PIN_ENCIPHER: Rule = Rule {
    command: "PIN block encipher",
    usages: &[KeyUsage::PinEncryption],
    usages_text: "P0",
    modes: ENCRYPT,
    modes_text: ENCRYPT_TEXT,
};
pub(crate) const DUKPT_DERIVE: Rule = Rule {
    command: "DUKPT key derivation",
    usages: &[KeyUsage::Bdk],
    usages_text: "B0",
    modes: DERIVE,
    modes_text: DERIVE_TEXT,
};
pub(crate) const PINPAD_DUKPT: Rule = Rule {
    command: "PIN pad DUKPT",
    usages: &[KeyUsage::InitialDukptKey],
    usages_text: "B1",
    modes: DERIVE,
    modes_text: DERIVE_TEXT,
};
pub(crate) const PVV_VERIFY: Rule = Rule {
    command: "Visa PVV verification",
    usages: &[KeyUsage::PinVerificationVisaPvv],
    usages_text: "V2",
    modes: VERIFY,
    modes_text: VERIFY_TEXT,
};
pub(crate) const IBM3624_VERIFY: Rule = Rule {
    command: "IBM 3624 offset verification",
    usages: &[KeyUsage::PinVerificationIbm3624],
    usages_text: "V1",
    modes: VERIFY,
    modes_text: VERIFY_TEXT,
};
pub(crate) const CVV_VERIFY: Rule = Rule {
    command: "CVV verification",
    usages: &[KeyUsage::Cvk],
    usages_text: "C0",
    modes: VERIFY,
    modes_text: VERIFY_TEXT,
};
pub(crate) const EMV_AC: Rule = Rule {
    command: "ARQC verification / ARPC generation",
    usages: &[KeyUsage::EmvMkAc],
    usages_text: "E0",
    modes: DERIVE,
    modes_text: DERIVE_TEXT,
};
pub(crate) const EMV_SMI: Rule = Rule {
    command: "issuer script MAC generation",
    usages: &[KeyUsage::EmvMkSmi],
    usages_text: "E2",
    modes: DERIVE,
    modes_text: DERIVE_TEXT,
};
pub(crate) const TR31_UNWRAP: Rule = Rule {
    command: "TR-31 import",
    usages: &[KeyUsage::Kbpk, KeyUsage::KeyEncryption],
    usages_text: "K1 or K0",
    modes: DECRYPT,
    modes_text: DECRYPT_TEXT,
};
pub(crate) const TR31_WRAP: Rule = Rule {
    command: "TR-31 export",
    usages: &[KeyUsage::Kbpk, KeyUsage::KeyEncryption],
    usages_text: "K1 or K0",
    modes: ENCRYPT,
    modes_text: ENCRYPT_TEXT,
};

/// The MAC usages for an algorithm family, for generation and for verification.
pub(crate) fn mac_rules(family: MacFamily) -> (Rule, Rule) {
    let (usages, usages_text): (&'static [KeyUsage], &'static str) = match family {
        MacFamily::Alg1 => (&[KeyUsage::MacAlg1, KeyUsage::MacIso16609], "M1 or M0"),
        MacFamily::Alg3 => (&[KeyUsage::MacAlg3], "M3"),
        MacFamily::Cmac => (&[KeyUsage::MacCmac], "M6"),
    };
    (
        Rule {
            command: "MAC generation",
            usages,
            usages_text,
            modes: GENERATE,
            modes_text: GENERATE_TEXT,
        },
        Rule {
            command: "MAC verification",
            usages,
            usages_text,
            modes: VERIFY,
            modes_text: VERIFY_TEXT,
        },
    )
}

/// The MAC algorithm families that have their own TR-31 usage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MacFamily {
    Alg1,
    Alg3,
    Cmac,
}

/// Checks that a key of `algorithm` and `len_bytes` suits `usage` where the algorithms behind
/// the usage fix it (e.g. a PVK is a double-length TDES key).
pub(crate) fn check_kind(
    usage: KeyUsage,
    algorithm: KeyAlgorithm,
    len_bytes: usize,
) -> Result<(), HsmError> {
    use KeyUsage as U;
    let tdes16 = algorithm == KeyAlgorithm::Tdes && len_bytes == 16;
    let (ok, expected) = match usage {
        U::PinVerificationVisaPvv | U::PinVerificationIbm3624 | U::Cvk => {
            (tdes16, "a 16-byte TDES key")
        }
        U::EmvMkAc | U::EmvMkSmi | U::EmvMkSmc | U::MacAlg3 => (tdes16, "a 16-byte TDES key"),
        U::Bdk | U::InitialDukptKey => (
            tdes16 || algorithm == KeyAlgorithm::Aes,
            "a 16-byte TDES key or an AES key",
        ),
        U::PinEncryption | U::Kbpk | U::KeyEncryption | U::DataEncryption | U::MacCmac => {
            (algorithm != KeyAlgorithm::Hmac, "a TDES or AES key")
        }
        _ => (true, ""),
    };
    if ok {
        Ok(())
    } else {
        Err(HsmError::KeyKindForUsage {
            usage: usage_code(usage),
            expected,
            algorithm: algorithm_name(algorithm),
            len_bytes,
        })
    }
}

pub(crate) fn algorithm_name(algorithm: KeyAlgorithm) -> &'static str {
    match algorithm {
        KeyAlgorithm::Tdes => "TDES",
        KeyAlgorithm::Aes => "AES",
        KeyAlgorithm::Hmac => "HMAC",
    }
}

/// Bits of security of a key (NIST SP 800-57: 2-key TDES 80, 3-key 112, AES its length,
/// HMAC keys their length up to 256), for the "never wrap under a weaker key" rule.
pub(crate) fn strength_bits(algorithm: KeyAlgorithm, len_bytes: usize) -> u32 {
    let bits = u32::try_from(len_bytes.saturating_mul(8)).unwrap_or(u32::MAX);
    match (algorithm, len_bytes) {
        (KeyAlgorithm::Tdes, 8) => 56,
        (KeyAlgorithm::Tdes, 16) => 80,
        (KeyAlgorithm::Tdes, _) => 112,
        (KeyAlgorithm::Aes, _) => bits,
        (KeyAlgorithm::Hmac, _) => bits.min(256),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_parse_to_the_same_usage() {
        assert_eq!(parse_usage("zpk").unwrap(), KeyUsage::PinEncryption);
        assert_eq!(parse_usage("P0").unwrap(), KeyUsage::PinEncryption);
        assert_eq!(parse_usage("p0").unwrap(), KeyUsage::PinEncryption);
        assert_eq!(parse_usage("BDK").unwrap(), KeyUsage::Bdk);
        assert_eq!(
            parse_usage("pvk-ibm").unwrap(),
            KeyUsage::PinVerificationIbm3624
        );
        assert!(matches!(
            parse_usage("pinkey"),
            Err(HsmError::UnknownUsage { .. })
        ));
        assert!(matches!(
            parse_usage("Q!"),
            Err(HsmError::UnknownUsage { .. })
        ));
        for (name, code, _) in USAGE_NAMES {
            let usage = parse_usage(name).unwrap();
            assert_eq!(usage_code(usage), *code);
            assert_eq!(usage_name(usage), Some(*name));
        }
    }

    #[test]
    fn defaults_fit_the_commands() {
        assert_eq!(
            KeyAttributes::for_usage(KeyUsage::Bdk).mode_of_use,
            ModeOfUse::Derive
        );
        assert_eq!(
            KeyAttributes::for_usage(KeyUsage::PinEncryption).mode_of_use,
            ModeOfUse::EncryptDecrypt
        );
        assert_eq!(
            KeyAttributes::for_usage(KeyUsage::MacAlg3).mode_of_use,
            ModeOfUse::GenerateVerify
        );
    }

    #[test]
    fn kinds_and_strengths() {
        assert!(check_kind(KeyUsage::Cvk, KeyAlgorithm::Tdes, 16).is_ok());
        assert!(matches!(
            check_kind(KeyUsage::Cvk, KeyAlgorithm::Aes, 16),
            Err(HsmError::KeyKindForUsage { .. })
        ));
        assert!(check_kind(KeyUsage::Bdk, KeyAlgorithm::Aes, 32).is_ok());
        assert!(check_kind(KeyUsage::Bdk, KeyAlgorithm::Tdes, 24).is_err());
        assert_eq!(strength_bits(KeyAlgorithm::Tdes, 16), 80);
        assert_eq!(strength_bits(KeyAlgorithm::Aes, 32), 256);
    }
}
