//! The key set a card is personalised with: the issuer master keys (IMKs) the ICC master keys
//! derive from, and the test PKI (CA, issuer and ICC RSA keys) that signs the ODA data.
//!
//! `profiles/test_keys.toml` ships one such set for tests and the demo. It is TEST-ONLY:
//! every private key in it is public.

use std::collections::BTreeMap;

use paysec::SecretKey;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::rsa_key::{RsaKey, RsaKeyHex};

/// The shipped test key set (test-only keys).
pub const TEST_KEYS_TOML: &str = include_str!("../profiles/test_keys.toml");

/// Names of the ICC key pairs generated for the shipped profiles.
const TEST_ICC_KEY_NAMES: [&str; 6] = [
    "online-debit",
    "offline-credit",
    "offline-pin",
    "expired",
    "blocked",
    "tampered-cert",
];

/// The certification authority: its RID, CAPK index and key.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaKeyFile {
    /// Registered application provider identifier (5 bytes, hex); a private one for tests.
    pub rid: String,
    /// CA public key index (tag 8F), hex byte.
    pub index: String,
    /// The CA's RSA key.
    pub key: RsaKeyHex,
}

/// The key file as stored.
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyFile {
    /// Warning kept in the file.
    pub note: String,
    /// Issuer master key for application cryptograms (IMK-AC), 16 bytes hex.
    pub imk_ac: String,
    /// Issuer master key for secure-messaging integrity (IMK-SMI).
    pub imk_smi: String,
    /// Issuer master key for secure-messaging confidentiality (IMK-SMC).
    pub imk_smc: String,
    /// The CA.
    pub ca: CaKeyFile,
    /// The issuer's RSA key.
    pub issuer: RsaKeyHex,
    /// ICC RSA keys by name (a profile names its key; `default` is the fallback).
    pub icc: BTreeMap<String, RsaKeyHex>,
}

impl core::fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyFile")
            .field("ca_rid", &self.ca.rid)
            .finish_non_exhaustive()
    }
}

/// Issuer master keys (IMKs), one per purpose.
#[derive(Clone, Debug)]
pub struct IssuerMasterKeys {
    /// IMK-AC: application cryptograms and ARPC.
    pub ac: SecretKey,
    /// IMK-SMI: issuer script MACs.
    pub smi: SecretKey,
    /// IMK-SMC: issuer script encipherment (PIN change).
    pub smc: SecretKey,
}

/// A parsed, checked key set.
#[derive(Clone, Debug)]
pub struct KeySet {
    /// The issuer master keys.
    pub imks: IssuerMasterKeys,
    /// CA RID (5 bytes).
    pub ca_rid: [u8; 5],
    /// CA public key index (tag 8F).
    pub ca_index: u8,
    /// The CA key pair.
    pub ca: RsaKey,
    /// The issuer key pair.
    pub issuer: RsaKey,
    /// ICC key pairs by name.
    pub icc: BTreeMap<String, RsaKey>,
}

fn tdes(field: &'static str, text: &str) -> Result<SecretKey, KeyError> {
    let bytes = Zeroizing::new(
        paysec::hex::decode(text.trim().as_bytes())
            .map_err(|offset| KeyError::Hex { field, offset })?,
    );
    if bytes.len() != 16 {
        return Err(KeyError::Symmetric {
            field,
            reason: format!("{} bytes; an IMK is a 16-byte TDES key", bytes.len()),
        });
    }
    SecretKey::tdes(&bytes).map_err(|e| KeyError::Symmetric {
        field,
        reason: e.to_string(),
    })
}

fn fixed<const N: usize>(field: &'static str, text: &str) -> Result<[u8; N], KeyError> {
    let bytes = paysec::hex::decode(text.trim().as_bytes())
        .map_err(|offset| KeyError::Hex { field, offset })?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| KeyError::Symmetric {
        field,
        reason: format!("{} bytes; expected {N}", bytes.len()),
    })
}

impl KeySet {
    /// The shipped test key set.
    pub fn test_keys() -> Result<Self, KeyError> {
        Self::from_toml(TEST_KEYS_TOML)
    }

    /// Reads a key file.
    pub fn from_toml(text: &str) -> Result<Self, KeyError> {
        let file: KeyFile = toml::from_str(text).map_err(|e| KeyError::Toml(e.to_string()))?;
        Self::from_file(&file)
    }

    /// Checks and converts a key file.
    pub fn from_file(file: &KeyFile) -> Result<Self, KeyError> {
        let mut icc = BTreeMap::new();
        for (name, key) in &file.icc {
            icc.insert(name.clone(), RsaKey::from_hex("ICC key", key)?);
        }
        Ok(KeySet {
            imks: IssuerMasterKeys {
                ac: tdes("imk_ac", &file.imk_ac)?,
                smi: tdes("imk_smi", &file.imk_smi)?,
                smc: tdes("imk_smc", &file.imk_smc)?,
            },
            ca_rid: fixed::<5>("ca.rid", &file.ca.rid)?,
            ca_index: fixed::<1>("ca.index", &file.ca.index)?[0],
            ca: RsaKey::from_hex("ca.key", &file.ca.key)?,
            issuer: RsaKey::from_hex("issuer", &file.issuer)?,
            icc,
        })
    }

    /// The ICC key for `name`, else the `default` one.
    pub fn icc_key(&self, name: &str) -> Result<&RsaKey, KeyError> {
        self.icc
            .get(name)
            .or_else(|| self.icc.get("default"))
            .ok_or_else(|| KeyError::MissingIccKey(name.to_string()))
    }

    /// The CA public key terminals need to check cards personalised with this set.
    pub fn capk(&self) -> crate::capk::Capk {
        crate::capk::Capk::new(
            self.ca_rid,
            self.ca_index,
            self.ca.modulus(),
            self.ca.exponent(),
        )
    }

    /// Back to the file form.
    pub fn to_file(&self) -> KeyFile {
        KeyFile {
            note: "TEST KEYS ONLY: every private key here is public. Never use for real cards."
                .to_string(),
            imk_ac: paysec::hex::encode_upper(self.imks.ac.as_bytes()),
            imk_smi: paysec::hex::encode_upper(self.imks.smi.as_bytes()),
            imk_smc: paysec::hex::encode_upper(self.imks.smc.as_bytes()),
            ca: CaKeyFile {
                rid: paysec::hex::encode_upper(&self.ca_rid),
                index: paysec::hex::encode_upper(&[self.ca_index]),
                key: self.ca.to_hex(),
            },
            issuer: self.issuer.to_hex(),
            icc: self
                .icc
                .iter()
                .map(|(n, k)| (n.clone(), k.to_hex()))
                .collect(),
        }
    }

    /// The key set as TOML text.
    pub fn to_toml(&self) -> Result<String, KeyError> {
        toml::to_string(&self.to_file()).map_err(|e| KeyError::Toml(e.to_string()))
    }

    /// Generates a test key set: fixed test IMKs, a 1024-bit CA (e = 3) under RID
    /// F000000001 index F1, a 1024-bit issuer key (e = 65537) and one 768-bit ICC key
    /// (e = 3) per shipped profile plus `default`.
    pub fn generate_test_set() -> Result<Self, KeyError> {
        let mut icc = BTreeMap::new();
        for name in TEST_ICC_KEY_NAMES.iter().chain(&["default"]) {
            icc.insert((*name).to_string(), RsaKey::generate(768, 3)?);
        }
        Ok(KeySet {
            imks: IssuerMasterKeys {
                ac: tdes("imk_ac", "0123456789ABCDEFFEDCBA9876543210")?,
                smi: tdes("imk_smi", "1F2E3D4C5B6A79880897A6B5C4D3E2F1")?,
                smc: tdes("imk_smc", "A1B2C3D4E5F60718293A4B5C6D7E8F90")?,
            },
            ca_rid: [0xF0, 0x00, 0x00, 0x00, 0x01],
            ca_index: 0xF1,
            ca: RsaKey::generate(1024, 3)?,
            issuer: RsaKey::generate(1024, 65537)?,
            icc,
        })
    }
}
