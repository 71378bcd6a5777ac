//! Block ciphers (TDEA and AES) and the ECB and CBC modes on whole blocks.
//!
//! Payment standards pad their data themselves (ISO 9797-1, TR-31, ISO 9564), so these modes
//! never pad: data that is not a whole number of blocks is an error that says so.

use aes::{Aes128, Aes192, Aes256};
use des::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use des::{Des, TdesEde2, TdesEde3};

use crate::key::{KeyAlgorithm, SecretKey};

/// TDEA block length in bytes.
pub const TDES_BLOCK_LEN: usize = 8;
/// AES block length in bytes.
pub const AES_BLOCK_LEN: usize = 16;

/// Why a cipher operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    /// ECB and CBC here work on whole blocks only; the caller pads.
    #[error(
        "data is {len_bytes} bytes, not a whole number of {block_len_bytes}-byte blocks (no padding is applied)"
    )]
    NotWholeBlocks {
        /// Length of the data given.
        len_bytes: usize,
        /// The cipher's block length.
        block_len_bytes: usize,
    },
    /// The IV must be exactly one block.
    #[error("IV is {len_bytes} bytes; it must be one {block_len_bytes}-byte block")]
    IvLength {
        /// Length of the IV given.
        len_bytes: usize,
        /// The cipher's block length.
        block_len_bytes: usize,
    },
    /// The key is for an algorithm that is not a block cipher (HMAC) or not the one required.
    #[error("a {found:?} key cannot be used here; {expected} is required")]
    WrongKeyAlgorithm {
        /// The key's algorithm.
        found: KeyAlgorithm,
        /// What the operation needs.
        expected: &'static str,
    },
}

/// One block cipher with a fixed block size, as the modes below see it.
pub(crate) trait BlockOps<const N: usize> {
    fn encrypt(&self, block: &mut [u8; N]);
    fn decrypt(&self, block: &mut [u8; N]);
}

/// A TDEA key schedule: single DES (keying option 3), 2-key or 3-key EDE.
pub(crate) enum Tdea {
    Single(Des),
    Two(TdesEde2),
    Three(TdesEde3),
}

impl Tdea {
    /// Schedules a TDES key; any other algorithm is refused.
    pub(crate) fn new(key: &SecretKey) -> Result<Self, CipherError> {
        if key.algorithm() != KeyAlgorithm::Tdes {
            return Err(CipherError::WrongKeyAlgorithm {
                found: key.algorithm(),
                expected: "a TDES key",
            });
        }
        Self::from_bytes(key.as_bytes()).ok_or(CipherError::WrongKeyAlgorithm {
            found: key.algorithm(),
            expected: "a TDES key of 8, 16 or 24 bytes",
        })
    }

    /// Schedules raw key bytes of 8, 16 or 24 bytes.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        match bytes.len() {
            8 => Des::new_from_slice(bytes).ok().map(Tdea::Single),
            16 => TdesEde2::new_from_slice(bytes).ok().map(Tdea::Two),
            24 => TdesEde3::new_from_slice(bytes).ok().map(Tdea::Three),
            _ => None,
        }
    }
}

impl BlockOps<8> for Tdea {
    fn encrypt(&self, block: &mut [u8; 8]) {
        match self {
            Tdea::Single(c) => c.encrypt_block(block.into()),
            Tdea::Two(c) => c.encrypt_block(block.into()),
            Tdea::Three(c) => c.encrypt_block(block.into()),
        }
    }
    fn decrypt(&self, block: &mut [u8; 8]) {
        match self {
            Tdea::Single(c) => c.decrypt_block(block.into()),
            Tdea::Two(c) => c.decrypt_block(block.into()),
            Tdea::Three(c) => c.decrypt_block(block.into()),
        }
    }
}

/// An AES key schedule.
pub(crate) enum AesCipher {
    A128(Aes128),
    A192(Aes192),
    A256(Aes256),
}

impl AesCipher {
    /// Schedules an AES key; any other algorithm is refused.
    pub(crate) fn new(key: &SecretKey) -> Result<Self, CipherError> {
        if key.algorithm() != KeyAlgorithm::Aes {
            return Err(CipherError::WrongKeyAlgorithm {
                found: key.algorithm(),
                expected: "an AES key",
            });
        }
        Self::from_bytes(key.as_bytes()).ok_or(CipherError::WrongKeyAlgorithm {
            found: key.algorithm(),
            expected: "an AES key of 16, 24 or 32 bytes",
        })
    }

    /// Schedules raw key bytes of 16, 24 or 32 bytes.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        match bytes.len() {
            16 => Aes128::new_from_slice(bytes).ok().map(AesCipher::A128),
            24 => Aes192::new_from_slice(bytes).ok().map(AesCipher::A192),
            32 => Aes256::new_from_slice(bytes).ok().map(AesCipher::A256),
            _ => None,
        }
    }
}

impl BlockOps<16> for AesCipher {
    fn encrypt(&self, block: &mut [u8; 16]) {
        match self {
            AesCipher::A128(c) => c.encrypt_block(block.into()),
            AesCipher::A192(c) => c.encrypt_block(block.into()),
            AesCipher::A256(c) => c.encrypt_block(block.into()),
        }
    }
    fn decrypt(&self, block: &mut [u8; 16]) {
        match self {
            AesCipher::A128(c) => c.decrypt_block(block.into()),
            AesCipher::A192(c) => c.decrypt_block(block.into()),
            AesCipher::A256(c) => c.decrypt_block(block.into()),
        }
    }
}

/// XORs `b` into `a`.
pub(crate) fn xor_into<const N: usize>(a: &mut [u8; N], b: &[u8; N]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

fn whole_blocks<const N: usize>(data: &mut [u8]) -> Result<&mut [[u8; N]], CipherError> {
    let len_bytes = data.len();
    match data.as_chunks_mut::<N>() {
        (blocks, []) => Ok(blocks),
        _ => Err(CipherError::NotWholeBlocks {
            len_bytes,
            block_len_bytes: N,
        }),
    }
}

fn iv_block<const N: usize>(iv: &[u8]) -> Result<[u8; N], CipherError> {
    <[u8; N]>::try_from(iv).map_err(|_| CipherError::IvLength {
        len_bytes: iv.len(),
        block_len_bytes: N,
    })
}

pub(crate) fn ecb_encrypt_with<const N: usize, C: BlockOps<N>>(
    c: &C,
    data: &mut [u8],
) -> Result<(), CipherError> {
    for block in whole_blocks::<N>(data)? {
        c.encrypt(block);
    }
    Ok(())
}

pub(crate) fn ecb_decrypt_with<const N: usize, C: BlockOps<N>>(
    c: &C,
    data: &mut [u8],
) -> Result<(), CipherError> {
    for block in whole_blocks::<N>(data)? {
        c.decrypt(block);
    }
    Ok(())
}

/// CBC encryption in place; returns the last ciphertext block (a CBC-MAC when the IV is zero).
pub(crate) fn cbc_encrypt_with<const N: usize, C: BlockOps<N>>(
    c: &C,
    iv: [u8; N],
    data: &mut [u8],
) -> Result<[u8; N], CipherError> {
    let mut chain = iv;
    for block in whole_blocks::<N>(data)? {
        xor_into(block, &chain);
        c.encrypt(block);
        chain = *block;
    }
    Ok(chain)
}

pub(crate) fn cbc_decrypt_with<const N: usize, C: BlockOps<N>>(
    c: &C,
    iv: [u8; N],
    data: &mut [u8],
) -> Result<(), CipherError> {
    let mut chain = iv;
    for block in whole_blocks::<N>(data)? {
        let cipher_block = *block;
        c.decrypt(block);
        xor_into(block, &chain);
        chain = cipher_block;
    }
    Ok(())
}

/// ECB or CBC, one direction.
#[derive(Clone, Copy)]
enum Op {
    EcbEncrypt,
    EcbDecrypt,
    CbcEncrypt,
    CbcDecrypt,
}

fn run(key: &SecretKey, iv: Option<&[u8]>, data: &mut [u8], op: Op) -> Result<(), CipherError> {
    fn go<const N: usize, C: BlockOps<N>>(
        c: &C,
        iv: Option<&[u8]>,
        data: &mut [u8],
        op: Op,
    ) -> Result<(), CipherError> {
        let iv = || iv_block::<N>(iv.unwrap_or(&[]));
        match op {
            Op::EcbEncrypt => ecb_encrypt_with(c, data),
            Op::EcbDecrypt => ecb_decrypt_with(c, data),
            Op::CbcEncrypt => cbc_encrypt_with(c, iv()?, data).map(|_| ()),
            Op::CbcDecrypt => cbc_decrypt_with(c, iv()?, data),
        }
    }
    match key.algorithm() {
        KeyAlgorithm::Tdes => go(&Tdea::new(key)?, iv, data, op),
        KeyAlgorithm::Aes => go(&AesCipher::new(key)?, iv, data, op),
        KeyAlgorithm::Hmac => Err(CipherError::WrongKeyAlgorithm {
            found: KeyAlgorithm::Hmac,
            expected: "a TDES or AES key",
        }),
    }
}

/// ECB encryption of whole blocks in place, with TDES or AES according to the key.
pub fn ecb_encrypt_in_place(key: &SecretKey, data: &mut [u8]) -> Result<(), CipherError> {
    run(key, None, data, Op::EcbEncrypt)
}

/// ECB decryption of whole blocks in place.
pub fn ecb_decrypt_in_place(key: &SecretKey, data: &mut [u8]) -> Result<(), CipherError> {
    run(key, None, data, Op::EcbDecrypt)
}

/// CBC encryption of whole blocks in place; `iv` is one block.
pub fn cbc_encrypt_in_place(
    key: &SecretKey,
    iv: &[u8],
    data: &mut [u8],
) -> Result<(), CipherError> {
    run(key, Some(iv), data, Op::CbcEncrypt)
}

/// CBC decryption of whole blocks in place; `iv` is one block.
pub fn cbc_decrypt_in_place(
    key: &SecretKey,
    iv: &[u8],
    data: &mut [u8],
) -> Result<(), CipherError> {
    run(key, Some(iv), data, Op::CbcDecrypt)
}

/// ECB encryption of whole blocks.
pub fn ecb_encrypt(key: &SecretKey, data: &[u8]) -> Result<Vec<u8>, CipherError> {
    let mut out = data.to_vec();
    ecb_encrypt_in_place(key, &mut out)?;
    Ok(out)
}

/// ECB decryption of whole blocks.
pub fn ecb_decrypt(key: &SecretKey, data: &[u8]) -> Result<Vec<u8>, CipherError> {
    let mut out = data.to_vec();
    ecb_decrypt_in_place(key, &mut out)?;
    Ok(out)
}

/// CBC encryption of whole blocks.
pub fn cbc_encrypt(key: &SecretKey, iv: &[u8], data: &[u8]) -> Result<Vec<u8>, CipherError> {
    let mut out = data.to_vec();
    cbc_encrypt_in_place(key, iv, &mut out)?;
    Ok(out)
}

/// CBC decryption of whole blocks.
pub fn cbc_decrypt(key: &SecretKey, iv: &[u8], data: &[u8]) -> Result<Vec<u8>, CipherError> {
    let mut out = data.to_vec();
    cbc_decrypt_in_place(key, iv, &mut out)?;
    Ok(out)
}

/// Encrypts one TDES block with raw key bytes (8, 16 or 24). Internal shortcut for derivations.
pub(crate) fn tdes_encrypt_block(key: &[u8], block: &mut [u8; 8]) -> bool {
    match Tdea::from_bytes(key) {
        Some(c) => {
            c.encrypt(block);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn single_des_fips81_vector() {
        // FIPS 81 / the classic "Now is the time for all " ECB example, key 0123456789ABCDEF.
        let key = SecretKey::tdes(&h("0123456789ABCDEF")).unwrap();
        let ct = ecb_encrypt(&key, b"Now is t").unwrap();
        assert_eq!(hex::encode_upper(ct), "3FA40E8A984D4815");
    }

    #[test]
    fn aes128_fips197_vector() {
        // FIPS-197 Appendix C.1.
        let key = SecretKey::aes(&h("000102030405060708090a0b0c0d0e0f")).unwrap();
        let ct = ecb_encrypt(&key, &h("00112233445566778899aabbccddeeff")).unwrap();
        assert_eq!(hex::encode(&ct), "69c4e0d86a7b0430d8cdb78070b4c55a");
        assert_eq!(
            ecb_decrypt(&key, &ct).unwrap(),
            h("00112233445566778899aabbccddeeff")
        );
    }

    #[test]
    fn aes256_fips197_vector() {
        // FIPS-197 Appendix C.3.
        let key = SecretKey::aes(&h(
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        ))
        .unwrap();
        let ct = ecb_encrypt(&key, &h("00112233445566778899aabbccddeeff")).unwrap();
        assert_eq!(hex::encode(ct), "8ea2b7ca516745bfeafc49904b496089");
    }

    #[test]
    fn aes128_cbc_sp800_38a_vector() {
        // NIST SP 800-38A F.2.1 CBC-AES128.Encrypt, first two blocks.
        let key = SecretKey::aes(&h("2b7e151628aed2a6abf7158809cf4f3c")).unwrap();
        let iv = h("000102030405060708090a0b0c0d0e0f");
        let pt = h("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
        let ct = cbc_encrypt(&key, &iv, &pt).unwrap();
        assert_eq!(
            hex::encode(&ct),
            "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
        );
        assert_eq!(cbc_decrypt(&key, &iv, &ct).unwrap(), pt);
    }

    #[test]
    fn two_key_tdes_equals_three_key_with_k3_eq_k1() {
        let k2 = SecretKey::tdes(&h("0123456789ABCDEFFEDCBA9876543210")).unwrap();
        let k3 = SecretKey::tdes(&h("0123456789ABCDEFFEDCBA98765432100123456789ABCDEF")).unwrap();
        let pt = h("0000000000000000");
        assert_eq!(
            ecb_encrypt(&k2, &pt).unwrap(),
            ecb_encrypt(&k3, &pt).unwrap()
        );
        // KCV of this key: 08D7B4 (psec's KCV docs give 08D7).
        assert_eq!(
            hex::encode_upper(ecb_encrypt(&k2, &pt).unwrap())[..6].to_string(),
            "08D7B4"
        );
    }

    #[test]
    fn partial_blocks_and_bad_iv_are_typed_errors() {
        let key = SecretKey::tdes(&[0x11; 16]).unwrap();
        assert_eq!(
            ecb_encrypt(&key, &[0u8; 9]),
            Err(CipherError::NotWholeBlocks {
                len_bytes: 9,
                block_len_bytes: 8
            })
        );
        assert_eq!(
            cbc_encrypt(&key, &[0u8; 16], &[0u8; 8]),
            Err(CipherError::IvLength {
                len_bytes: 16,
                block_len_bytes: 8
            })
        );
        let hmac = SecretKey::hmac(&[0u8; 16]).unwrap();
        assert!(matches!(
            ecb_encrypt(&hmac, &[0u8; 16]),
            Err(CipherError::WrongKeyAlgorithm { .. })
        ));
    }
}
