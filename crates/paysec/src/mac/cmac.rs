//! CMAC (NIST SP 800-38B; ISO/IEC 9797-1 MAC algorithm 5) over AES or TDES.

use aes::{Aes128, Aes192, Aes256};
use cmac::{Cmac, Mac};
use des::cipher::KeyInit;
use des::{Des, TdesEde2, TdesEde3};

use super::{MacError, check_mac_len, ct_eq};
use crate::cipher::CipherError;
use crate::key::{KeyAlgorithm, SecretKey};

fn run<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let mut m = <M as KeyInit>::new_from_slice(key).ok()?;
    m.update(data);
    Some(m.finalize().into_bytes().to_vec())
}

/// The full-length CMAC (one cipher block) of `data`.
pub fn cmac(key: &SecretKey, data: &[u8]) -> Result<Vec<u8>, CipherError> {
    let bytes = key.as_bytes();
    let out = match (key.algorithm(), bytes.len()) {
        (KeyAlgorithm::Tdes, 8) => run::<Cmac<Des>>(bytes, data),
        (KeyAlgorithm::Tdes, 16) => run::<Cmac<TdesEde2>>(bytes, data),
        (KeyAlgorithm::Tdes, 24) => run::<Cmac<TdesEde3>>(bytes, data),
        (KeyAlgorithm::Aes, 16) => run::<Cmac<Aes128>>(bytes, data),
        (KeyAlgorithm::Aes, 24) => run::<Cmac<Aes192>>(bytes, data),
        (KeyAlgorithm::Aes, 32) => run::<Cmac<Aes256>>(bytes, data),
        _ => None,
    };
    out.ok_or(CipherError::WrongKeyAlgorithm {
        found: key.algorithm(),
        expected: "a TDES or AES key",
    })
}

/// CMAC truncated to its leftmost `mac_len_bytes` (4 up to the block length).
pub fn cmac_truncated(
    key: &SecretKey,
    data: &[u8],
    mac_len_bytes: usize,
) -> Result<Vec<u8>, MacError> {
    let mut full = cmac(key, data)?;
    check_mac_len(mac_len_bytes, full.len())?;
    full.truncate(mac_len_bytes);
    Ok(full)
}

/// Verifies a (possibly truncated) CMAC in constant time.
pub fn verify_cmac(key: &SecretKey, data: &[u8], mac: &[u8]) -> Result<(), MacError> {
    let expected = cmac_truncated(key, data, mac.len())?;
    if ct_eq(&expected, mac) {
        Ok(())
    } else {
        Err(MacError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn aes128_sp800_38b_examples() {
        // NIST SP 800-38B D.1 (AES-128): examples 1, 2 and 3.
        let key = SecretKey::aes(&h("2b7e151628aed2a6abf7158809cf4f3c")).unwrap();
        assert_eq!(
            hex::encode(cmac(&key, b"").unwrap()),
            "bb1d6929e95937287fa37d129b756746"
        );
        assert_eq!(
            hex::encode(cmac(&key, &h("6bc1bee22e409f96e93d7e117393172a")).unwrap()),
            "070a16b46b4d4144f79bdd9dd04a287c"
        );
        let m40 =
            h("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411");
        assert_eq!(
            hex::encode(cmac(&key, &m40).unwrap()),
            "dfa66747de9ae63030ca32611497c827"
        );
        assert_eq!(
            hex::encode(cmac_truncated(&key, &m40, 8).unwrap()),
            "dfa66747de9ae630"
        );
        assert_eq!(verify_cmac(&key, &m40, &h("dfa66747de9ae630")), Ok(()));
        assert_eq!(
            verify_cmac(&key, &m40, &h("dfa66747de9ae631")),
            Err(MacError::Mismatch)
        );
    }

    #[test]
    fn tdes3_sp800_38b_example() {
        // NIST SP 800-38B D.4 (three-key TDEA): example 1 (empty) and example 2 (64 bits).
        let key = SecretKey::tdes(&h("8aa83bf8cbda10620bc1bf19fbb6cd58bc313d4a371ca8b5")).unwrap();
        assert_eq!(hex::encode(cmac(&key, b"").unwrap()), "b7a688e122ffaf95");
        assert_eq!(
            hex::encode(cmac(&key, &h("6bc1bee22e409f96")).unwrap()),
            "8e8f293136283797"
        );
    }

    #[test]
    fn truncation_bounds() {
        let key = SecretKey::aes(&[0u8; 16]).unwrap();
        assert_eq!(
            cmac_truncated(&key, b"x", 3),
            Err(MacError::MacLength {
                len_bytes: 3,
                min_bytes: 4,
                max_bytes: 16
            })
        );
        assert!(cmac_truncated(&key, b"x", 17).is_err());
    }
}
