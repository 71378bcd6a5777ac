//! ANSI X9.24-3:2017 AES DUKPT.
//!
//! The KSN is 12 bytes: the 8-byte initial key ID (4-byte BDK ID, 4-byte derivation ID) and a
//! 32-bit transaction counter. Every derivation is AES-ECB of 16-byte derivation data under
//! the parent key; the data names the key usage, the derived key's algorithm and length, and
//! the derivation ID and counter. The device uses counters with at most 16 one bits.

use zeroize::Zeroizing;

use super::DukptError;
use crate::cipher::{AesCipher, BlockOps, cbc_decrypt_in_place, cbc_encrypt_in_place};
use crate::digits::{Pan, Pin};
use crate::hmac::hmac_sha256;
use crate::key::{KeyAlgorithm, SecretKey};
use crate::mac::cmac::cmac;
use crate::pinblock::{decipher_format4, encipher_format4};
use crate::rng::ByteSource;

/// KSN length in bytes.
pub const KSN_LEN: usize = 12;
/// A device never uses a counter with more than this many 1 bits.
pub const MAX_COUNTER_ONE_BITS: u32 = 16;

/// The key usage indicator of the derivation data (X9.24-3:2017 Table 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyUsage {
    /// Key encryption key (also the DUKPT update key at counter FFFFFFFF).
    KeyEncryptionKey,
    /// PIN encryption.
    PinEncryption,
    /// MAC generation (the device's requests).
    MacGeneration,
    /// MAC verification (the device checks responses).
    MacVerification,
    /// MAC both ways.
    MacBoth,
    /// Data encryption, encrypt only (the device's requests).
    DataEncrypt,
    /// Data encryption, decrypt only (the device reads responses).
    DataDecrypt,
    /// Data encryption both ways.
    DataBoth,
    /// Intermediate derivation keys.
    KeyDerivation,
    /// The initial key, from the BDK.
    KeyDerivationInitialKey,
}

impl KeyUsage {
    /// The 2-byte indicator.
    pub const fn indicator(self) -> u16 {
        match self {
            KeyUsage::KeyEncryptionKey => 0x0002,
            KeyUsage::PinEncryption => 0x1000,
            KeyUsage::MacGeneration => 0x2000,
            KeyUsage::MacVerification => 0x2001,
            KeyUsage::MacBoth => 0x2002,
            KeyUsage::DataEncrypt => 0x3000,
            KeyUsage::DataDecrypt => 0x3001,
            KeyUsage::DataBoth => 0x3002,
            KeyUsage::KeyDerivation => 0x8000,
            KeyUsage::KeyDerivationInitialKey => 0x8001,
        }
    }
}

/// The type of a derived key (X9.24-3:2017 Table 3 algorithm indicator and length).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// 2-key TDEA working key.
    Tdes2,
    /// 3-key TDEA working key.
    Tdes3,
    /// AES-128.
    Aes128,
    /// AES-192.
    Aes192,
    /// AES-256.
    Aes256,
    /// 128-bit HMAC key.
    Hmac128,
    /// 192-bit HMAC key.
    Hmac192,
    /// 256-bit HMAC key.
    Hmac256,
}

impl KeyType {
    /// Algorithm indicator.
    pub const fn algorithm_indicator(self) -> u16 {
        match self {
            KeyType::Tdes2 => 0,
            KeyType::Tdes3 => 1,
            KeyType::Aes128 => 2,
            KeyType::Aes192 => 3,
            KeyType::Aes256 => 4,
            KeyType::Hmac128 | KeyType::Hmac192 | KeyType::Hmac256 => 5,
        }
    }

    /// Key length in bits.
    pub const fn bits(self) -> u16 {
        match self {
            KeyType::Tdes2 | KeyType::Aes128 | KeyType::Hmac128 => 128,
            KeyType::Tdes3 | KeyType::Aes192 | KeyType::Hmac192 => 192,
            KeyType::Aes256 | KeyType::Hmac256 => 256,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            KeyType::Tdes2 => "2TDEA",
            KeyType::Tdes3 => "3TDEA",
            KeyType::Aes128 => "AES-128",
            KeyType::Aes192 => "AES-192",
            KeyType::Aes256 => "AES-256",
            KeyType::Hmac128 => "HMAC-128",
            KeyType::Hmac192 => "HMAC-192",
            KeyType::Hmac256 => "HMAC-256",
        }
    }

    const fn key_algorithm(self) -> KeyAlgorithm {
        match self {
            KeyType::Tdes2 | KeyType::Tdes3 => KeyAlgorithm::Tdes,
            KeyType::Aes128 | KeyType::Aes192 | KeyType::Aes256 => KeyAlgorithm::Aes,
            KeyType::Hmac128 | KeyType::Hmac192 | KeyType::Hmac256 => KeyAlgorithm::Hmac,
        }
    }

    fn aes_of_len(len_bytes: usize) -> Option<KeyType> {
        match len_bytes {
            16 => Some(KeyType::Aes128),
            24 => Some(KeyType::Aes192),
            32 => Some(KeyType::Aes256),
            _ => None,
        }
    }
}

/// A 12-byte AES DUKPT key serial number.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ksn([u8; KSN_LEN]);

impl core::fmt::Debug for Ksn {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Ksn({})", crate::hex::encode_upper(&self.0))
    }
}

impl Ksn {
    /// Wraps exactly 12 bytes.
    pub fn new(bytes: &[u8]) -> Result<Self, DukptError> {
        <[u8; KSN_LEN]>::try_from(bytes)
            .map(Ksn)
            .map_err(|_| DukptError::KsnLength {
                scheme: "AES DUKPT (ANSI X9.24-3)",
                len_bytes: bytes.len(),
                expected_bytes: KSN_LEN,
            })
    }

    /// The initial key ID and a counter.
    pub fn from_parts(initial_key_id: [u8; 8], counter: u32) -> Self {
        let mut b = [0u8; KSN_LEN];
        let (id, c) = b.split_at_mut(8);
        id.copy_from_slice(&initial_key_id);
        c.copy_from_slice(&counter.to_be_bytes());
        Ksn(b)
    }

    /// The 12 bytes.
    pub fn as_bytes(&self) -> &[u8; KSN_LEN] {
        &self.0
    }

    /// BDK ID (4 bytes) and derivation ID (4 bytes).
    pub fn initial_key_id(&self) -> [u8; 8] {
        let [a, b, c, d, e, f, g, h, ..] = self.0;
        [a, b, c, d, e, f, g, h]
    }

    fn derivation_id(&self) -> [u8; 4] {
        let [_, _, _, _, e, f, g, h, ..] = self.0;
        [e, f, g, h]
    }

    /// The 32-bit transaction counter.
    pub fn counter(&self) -> u32 {
        let [.., a, b, c, d] = self.0;
        u32::from_be_bytes([a, b, c, d])
    }

    /// This KSN with another counter.
    pub fn with_counter(&self, counter: u32) -> Ksn {
        Ksn::from_parts(self.initial_key_id(), counter)
    }

    /// True for counters a device may use: non-zero with at most 16 one bits.
    pub fn is_valid(&self) -> bool {
        let c = self.counter();
        c != 0 && c.count_ones() <= MAX_COUNTER_ONE_BITS
    }

    /// The next counter a device may use: the smallest larger value with at most 16 one bits.
    pub fn next(&self) -> Result<Ksn, DukptError> {
        let counter = self.counter();
        let exhausted = DukptError::Exhausted {
            counter: u64::from(counter),
        };
        let mut candidate = counter.checked_add(1).ok_or(exhausted.clone())?;
        while candidate.count_ones() > MAX_COUNTER_ONE_BITS {
            candidate = candidate
                .checked_add(candidate & candidate.wrapping_neg())
                .ok_or(exhausted.clone())?;
        }
        Ok(self.with_counter(candidate))
    }
}

/// The 16-byte derivation data: version 01, block counter, usage, algorithm, length, then
/// the initial key ID (for the initial key) or derivation ID and counter.
fn derivation_data(usage: KeyUsage, key_type: KeyType, tail: [u8; 8]) -> [u8; 16] {
    let [u0, u1] = usage.indicator().to_be_bytes();
    let [a0, a1] = key_type.algorithm_indicator().to_be_bytes();
    let [l0, l1] = key_type.bits().to_be_bytes();
    let [t0, t1, t2, t3, t4, t5, t6, t7] = tail;
    [
        0x01, 0x01, u0, u1, a0, a1, l0, l1, t0, t1, t2, t3, t4, t5, t6, t7,
    ]
}

/// Runs the derivation function: AES-ECB of the data under `key`, one block per 128 bits of
/// output with the block counter (byte 1) counting from 1, truncated to the key's length.
fn derive(
    key: &SecretKey,
    usage: KeyUsage,
    key_type: KeyType,
    tail: [u8; 8],
) -> Result<SecretKey, DukptError> {
    let cipher = AesCipher::new(key)?;
    let len = usize::from(key_type.bits() / 8);
    let mut out = Zeroizing::new(Vec::with_capacity(32));
    let mut data = derivation_data(usage, key_type, tail);
    for counter in 1u8..=2 {
        if out.len() >= len {
            break;
        }
        if let Some(c) = data.get_mut(1) {
            *c = counter;
        }
        let mut block = Zeroizing::new(data);
        cipher.encrypt(&mut block);
        out.extend_from_slice(&block[..]);
    }
    out.truncate(len);
    SecretKey::new(key_type.key_algorithm(), &out).map_err(|_| DukptError::KeyKind {
        step: "AES DUKPT derivation",
        expected: "a derivable key type",
        algorithm: key_type.key_algorithm(),
        len_bytes: len,
    })
}

fn aes_key_type(step: &'static str, key: &SecretKey) -> Result<KeyType, DukptError> {
    match (key.algorithm(), KeyType::aes_of_len(key.len())) {
        (KeyAlgorithm::Aes, Some(t)) => Ok(t),
        _ => Err(DukptError::KeyKind {
            step,
            expected: "an AES-128, AES-192 or AES-256 key",
            algorithm: key.algorithm(),
            len_bytes: key.len(),
        }),
    }
}

/// Derives the initial key (IK) from the BDK and the 8-byte initial key ID.
pub fn derive_initial_key(
    bdk: &SecretKey,
    initial_key_id: [u8; 8],
) -> Result<SecretKey, DukptError> {
    let key_type = aes_key_type("initial key derivation", bdk)?;
    derive(
        bdk,
        KeyUsage::KeyDerivationInitialKey,
        key_type,
        initial_key_id,
    )
}

fn counter_tail(ksn: &Ksn, counter: u32) -> [u8; 8] {
    let [a, b, c, d] = ksn.derivation_id();
    let [e, f, g, h] = counter.to_be_bytes();
    [a, b, c, d, e, f, g, h]
}

/// Derives the intermediate derivation key for the KSN's counter from the initial key, as the
/// host does: for each 1 bit from the most significant, set it and derive. Counter 0 gives the
/// initial key. Invalid device counters are derived all the same (the host may need them).
pub fn derive_intermediate_key(
    initial_key: &SecretKey,
    ksn: &Ksn,
) -> Result<SecretKey, DukptError> {
    let key_type = aes_key_type("intermediate key derivation", initial_key)?;
    let counter = ksn.counter();
    let mut working_counter = 0u32;
    let mut key = initial_key.clone();
    for bit in (0..32).rev() {
        let mask = 1u32 << bit;
        if counter & mask != 0 {
            working_counter |= mask;
            key = derive(
                &key,
                KeyUsage::KeyDerivation,
                key_type,
                counter_tail(ksn, working_counter),
            )?;
        }
    }
    Ok(key)
}

/// Derives a working key of `key_type` for `usage` from an intermediate derivation key.
/// A working key may not be stronger than the derivation key: AES and HMAC keys may not be
/// longer than it; TDEA keys (at most 112 bits of strength) come from any AES key.
pub fn derive_working_key(
    intermediate_key: &SecretKey,
    ksn: &Ksn,
    usage: KeyUsage,
    key_type: KeyType,
) -> Result<SecretKey, DukptError> {
    let parent = aes_key_type("working key derivation", intermediate_key)?;
    let tdea = matches!(key_type, KeyType::Tdes2 | KeyType::Tdes3);
    if !tdea && key_type.bits() > parent.bits() {
        return Err(DukptError::TooStrong {
            requested: key_type.name(),
            parent_bits: usize::from(parent.bits()),
        });
    }
    derive(
        intermediate_key,
        usage,
        key_type,
        counter_tail(ksn, ksn.counter()),
    )
}

/// Host shortcut: BDK → initial key → intermediate key → working key.
pub fn host_working_key(
    bdk: &SecretKey,
    ksn: &Ksn,
    usage: KeyUsage,
    key_type: KeyType,
) -> Result<SecretKey, DukptError> {
    let ik = derive_initial_key(bdk, ksn.initial_key_id())?;
    let intermediate = derive_intermediate_key(&ik, ksn)?;
    derive_working_key(&intermediate, ksn, usage, key_type)
}

/// Which side of the exchange a message belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Device → host.
    Request,
    /// Host → device.
    Response,
}

/// Enciphers a PIN as an ISO 9564-1 format 4 block under the KSN's AES PIN key.
pub fn encrypt_pin(
    intermediate_key: &SecretKey,
    ksn: &Ksn,
    key_type: KeyType,
    pin: &Pin,
    pan: &Pan,
    rng: &mut dyn ByteSource,
) -> Result<[u8; 16], DukptError> {
    let key = derive_working_key(intermediate_key, ksn, KeyUsage::PinEncryption, key_type)?;
    Ok(encipher_format4(&key, pin, pan, rng)?)
}

/// Deciphers a format 4 PIN block enciphered under the KSN's AES PIN key.
pub fn decrypt_pin(
    intermediate_key: &SecretKey,
    ksn: &Ksn,
    key_type: KeyType,
    block: &[u8],
    pan: &Pan,
) -> Result<Pin, DukptError> {
    let key = derive_working_key(intermediate_key, ksn, KeyUsage::PinEncryption, key_type)?;
    Ok(decipher_format4(&key, block, pan)?)
}

fn mac_usage(direction: Direction) -> KeyUsage {
    match direction {
        Direction::Request => KeyUsage::MacGeneration,
        Direction::Response => KeyUsage::MacVerification,
    }
}

/// AES-CMAC (full 16 bytes) of a message under the KSN's MAC key: the generation key for
/// requests, the verification key for responses.
pub fn generate_cmac(
    intermediate_key: &SecretKey,
    ksn: &Ksn,
    key_type: KeyType,
    direction: Direction,
    data: &[u8],
) -> Result<Vec<u8>, DukptError> {
    let key = derive_working_key(intermediate_key, ksn, mac_usage(direction), key_type)?;
    Ok(cmac(&key, data)?)
}

/// Verifies a (possibly truncated, at least 4 bytes) CMAC.
pub fn verify_cmac(
    intermediate_key: &SecretKey,
    ksn: &Ksn,
    key_type: KeyType,
    direction: Direction,
    data: &[u8],
    mac: &[u8],
) -> Result<(), DukptError> {
    let key = derive_working_key(intermediate_key, ksn, mac_usage(direction), key_type)?;
    Ok(crate::mac::cmac::verify_cmac(&key, data, mac)?)
}

/// HMAC-SHA-256 of a message under the KSN's HMAC key (`key_type` must be an HMAC type).
pub fn generate_hmac(
    intermediate_key: &SecretKey,
    ksn: &Ksn,
    key_type: KeyType,
    direction: Direction,
    data: &[u8],
) -> Result<[u8; 32], DukptError> {
    if key_type.key_algorithm() != KeyAlgorithm::Hmac {
        return Err(DukptError::KeyKind {
            step: "HMAC generation",
            expected: "an HMAC key type",
            algorithm: key_type.key_algorithm(),
            len_bytes: usize::from(key_type.bits() / 8),
        });
    }
    let key = derive_working_key(intermediate_key, ksn, mac_usage(direction), key_type)?;
    Ok(hmac_sha256(&key, data))
}

/// Verifies an HMAC-SHA-256 (possibly truncated, at least 4 bytes) in constant time.
pub fn verify_hmac(
    intermediate_key: &SecretKey,
    ksn: &Ksn,
    key_type: KeyType,
    direction: Direction,
    data: &[u8],
    mac: &[u8],
) -> Result<(), DukptError> {
    let full = generate_hmac(intermediate_key, ksn, key_type, direction, data)?;
    crate::mac::check_mac_len(mac.len(), full.len())?;
    if crate::mac::ct_eq(full.get(..mac.len()).unwrap_or(&[]), mac) {
        Ok(())
    } else {
        Err(crate::mac::MacError::Mismatch.into())
    }
}

fn data_usage(direction: Direction) -> KeyUsage {
    match direction {
        Direction::Request => KeyUsage::DataEncrypt,
        Direction::Response => KeyUsage::DataDecrypt,
    }
}

/// CBC-encrypts whole blocks under the KSN's data key (encrypt key for requests, decrypt key
/// for responses). The caller pads.
pub fn encrypt_data(
    intermediate_key: &SecretKey,
    ksn: &Ksn,
    key_type: KeyType,
    direction: Direction,
    iv: &[u8],
    data: &[u8],
) -> Result<Vec<u8>, DukptError> {
    let key = derive_working_key(intermediate_key, ksn, data_usage(direction), key_type)?;
    let mut out = data.to_vec();
    cbc_encrypt_in_place(&key, iv, &mut out)?;
    Ok(out)
}

/// CBC-decrypts whole blocks under the KSN's data key.
pub fn decrypt_data(
    intermediate_key: &SecretKey,
    ksn: &Ksn,
    key_type: KeyType,
    direction: Direction,
    iv: &[u8],
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DukptError> {
    let key = derive_working_key(intermediate_key, ksn, data_usage(direction), key_type)?;
    let mut out = Zeroizing::new(data.to_vec());
    cbc_decrypt_in_place(&key, iv, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests;
