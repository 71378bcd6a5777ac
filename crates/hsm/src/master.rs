//! The local master key (LMK): one AES-256 key that never protects data directly; the key store's
//! wrapping key and MAC key are derived from it, one per job.

use paysec::SecretKey;
use paysec::kcv::{KcvMethod, kcv};
use paysec::mac::cmac::cmac;
use zeroize::Zeroizing;

use crate::error::HsmError;
use paysec::hex;

/// Length of the master key in bytes (AES-256).
pub const MASTER_KEY_LEN: usize = 32;

/// Label of the key that wraps every stored key as a TR-31 version D block (AES-256 KBPK).
const LABEL_KBPK: &[u8] = b"posnet-hsm store KBPK";
/// Label of the key that authenticates the whole store file (AES-256 CMAC key).
const LABEL_STORE_MAC: &[u8] = b"posnet-hsm store MAC";

/// The local master key. Zeroized on drop (through [`SecretKey`]); `Debug` shows its KCV only.
#[derive(Debug)]
pub struct MasterKey {
    key: SecretKey,
}

impl MasterKey {
    /// A new master key from 32 random bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HsmError> {
        if bytes.len() != MASTER_KEY_LEN {
            return Err(HsmError::Field {
                field: "master key",
                reason: format!("is {} bytes; must be {MASTER_KEY_LEN}", bytes.len()),
            });
        }
        Ok(MasterKey {
            key: SecretKey::aes(bytes)?,
        })
    }

    /// Reads the file form: 64 hex digits, optionally followed by a newline. `path` names the
    /// file in errors.
    pub fn parse(text: &[u8], path: &std::path::Path) -> Result<Self, HsmError> {
        let bad = |reason| HsmError::MasterKeyFormat {
            path: path.to_path_buf(),
            reason,
        };
        let body = text.strip_suffix(b"\n").unwrap_or(text);
        if body.len() != 2 * MASTER_KEY_LEN {
            return Err(bad(
                "expected 64 hex digits (one AES-256 key) and a newline",
            ));
        }
        let bytes = Zeroizing::new(hex::decode(body).map_err(|_| bad("not hex"))?);
        MasterKey::from_bytes(&bytes)
    }

    /// The file form: 64 upper-case hex digits and a newline.
    pub fn encode(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(hex::encode_upper(self.key.as_bytes()));
        text.push('\n');
        text
    }

    /// The 3-byte AES-CMAC check value, as hex: safe to show and to record in the store.
    pub fn kcv_hex(&self) -> Result<String, HsmError> {
        Ok(hex::encode_upper(&kcv(&self.key, KcvMethod::Cmac)?))
    }

    /// The AES-256 key that wraps stored keys.
    pub(crate) fn store_kbpk(&self) -> Result<SecretKey, HsmError> {
        self.derive(LABEL_KBPK)
    }

    /// The AES-256 key that authenticates the store file.
    pub(crate) fn store_mac_key(&self) -> Result<SecretKey, HsmError> {
        self.derive(LABEL_STORE_MAC)
    }

    /// NIST SP 800-108 KDF in counter mode with AES-CMAC as the PRF, 256 bits out:
    /// `K(i) = CMAC(LMK, i || label || 00 || L)` with an 8-bit counter and `L = 0x0100`.
    /// Distinct labels give independent keys, so the wrapping key never also MACs the file.
    fn derive(&self, label: &[u8]) -> Result<SecretKey, HsmError> {
        let mut out = Zeroizing::new(Vec::with_capacity(MASTER_KEY_LEN));
        for counter in 1u8..=2 {
            let mut input = Vec::with_capacity(label.len() + 4);
            input.push(counter);
            input.extend_from_slice(label);
            input.push(0);
            input.extend_from_slice(&256u16.to_be_bytes());
            let block =
                Zeroizing::new(cmac(&self.key, &input).map_err(paysec::kcv::KcvError::from)?);
            out.extend_from_slice(&block);
        }
        Ok(SecretKey::aes(&out)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_form_round_trips_and_rejects_junk() {
        let p = std::path::Path::new("m");
        let mk = MasterKey::from_bytes(&[7u8; 32]).unwrap();
        let text = mk.encode();
        assert_eq!(text.len(), 65);
        let back = MasterKey::parse(text.as_bytes(), p).unwrap();
        assert_eq!(back.kcv_hex().unwrap(), mk.kcv_hex().unwrap());
        assert!(matches!(
            MasterKey::parse(b"00", p),
            Err(HsmError::MasterKeyFormat { .. })
        ));
        let mut bad = text.as_bytes().to_vec();
        bad[3] = b'G';
        assert!(matches!(
            MasterKey::parse(&bad, p),
            Err(HsmError::MasterKeyFormat {
                reason: "not hex",
                ..
            })
        ));
    }

    #[test]
    fn derived_keys_differ_from_each_other_and_from_the_master() {
        let mk = MasterKey::from_bytes(&[0x42; 32]).unwrap();
        let kbpk = mk.store_kbpk().unwrap();
        let mac = mk.store_mac_key().unwrap();
        assert_eq!(kbpk.len(), 32);
        assert!(!kbpk.ct_eq(&mac));
        assert!(!kbpk.ct_eq(&mk.key));
        // Deterministic: the same master key always opens the same store.
        assert!(
            kbpk.ct_eq(
                &MasterKey::from_bytes(&[0x42; 32])
                    .unwrap()
                    .store_kbpk()
                    .unwrap()
            )
        );
    }

    #[test]
    fn kdf_matches_its_definition() {
        // Recompute K(1) || K(2) by hand with the same CMAC and compare.
        let mk = MasterKey::from_bytes(&[0x01; 32]).unwrap();
        let key = SecretKey::aes(&[0x01; 32]).unwrap();
        let mut expected = Vec::new();
        for i in 1u8..=2 {
            let mut m = vec![i];
            m.extend_from_slice(b"posnet-hsm store MAC");
            m.extend_from_slice(&[0, 1, 0]);
            expected.extend(cmac(&key, &m).unwrap());
        }
        assert_eq!(mk.store_mac_key().unwrap().as_bytes(), &expected[..]);
    }
}
