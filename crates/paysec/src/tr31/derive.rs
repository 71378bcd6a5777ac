//! KBEK / KBAK derivation from the KBPK (TR-31:2018 A.3 and A.4): CMAC of 8-byte derivation
//! data `counter || usage (0000 enc, 0001 MAC) || 00 || algorithm || length in bits`, one CMAC
//! per cipher block of output.

use zeroize::Zeroizing;

use super::{Tr31Error, Version};
use crate::key::{KeyAlgorithm, SecretKey};
use crate::mac::cmac::cmac;

/// The encryption and authentication keys of a key block.
pub(crate) struct BlockKeys {
    pub kbek: SecretKey,
    pub kbak: SecretKey,
}

fn kbpk_error(version: Version, kbpk: &SecretKey) -> Tr31Error {
    Tr31Error::Kbpk {
        version: version.as_char(),
        expected: match version {
            Version::B => "a 16- or 24-byte TDES key",
            Version::D => "an AES-128, AES-192 or AES-256 key",
        },
        algorithm: kbpk.algorithm(),
        len_bytes: kbpk.len(),
    }
}

pub(crate) fn derive_block_keys(
    version: Version,
    kbpk: &SecretKey,
) -> Result<BlockKeys, Tr31Error> {
    let (algorithm_id, bits): (u16, u16) = match (version, kbpk.algorithm(), kbpk.len()) {
        (Version::B, KeyAlgorithm::Tdes, 16) => (0x0000, 128),
        (Version::B, KeyAlgorithm::Tdes, 24) => (0x0001, 192),
        (Version::D, KeyAlgorithm::Aes, 16) => (0x0002, 128),
        (Version::D, KeyAlgorithm::Aes, 24) => (0x0003, 192),
        (Version::D, KeyAlgorithm::Aes, 32) => (0x0004, 256),
        _ => return Err(kbpk_error(version, kbpk)),
    };
    let len = usize::from(bits / 8);
    let derive = |usage: u16| -> Result<SecretKey, Tr31Error> {
        let mut out = Zeroizing::new(Vec::with_capacity(32));
        let mut counter = 1u8;
        while out.len() < len {
            let [u0, u1] = usage.to_be_bytes();
            let [a0, a1] = algorithm_id.to_be_bytes();
            let [l0, l1] = bits.to_be_bytes();
            let data = [counter, u0, u1, 0, a0, a1, l0, l1];
            out.extend_from_slice(&Zeroizing::new(cmac(kbpk, &data)?));
            counter = counter.wrapping_add(1);
        }
        out.truncate(len);
        SecretKey::new(kbpk.algorithm(), &out).map_err(|_| kbpk_error(version, kbpk))
    };
    Ok(BlockKeys {
        kbek: derive(0x0000)?,
        kbak: derive(0x0001)?,
    })
}
