//! The PIN pad's side of DUKPT (the "originating" device of ANSI X9.24): a terminal's own
//! secure module holds its initial key (IPEK, TR-31 usage B1) sealed like every other key, and
//! enciphers PINs and MACs messages under the working keys of each KSN. The host side (BDK)
//! is in [`crate::Hsm`]; the two must agree, and the tests check that they do.
//!
//! The PIN pad derives each transaction's keys from the initial key rather than keeping the
//! 21 (TDES) or 32 (AES) future-key registers of a hardware device: the keys that result are
//! the same, and the store never holds more than the one initial key.

use paysec::dukpt::{aes as aes_dukpt, tdes as tdes_dukpt};
use paysec::mac::cmac::cmac_truncated;
use paysec::mac::iso9797::{Padding, mac_algorithm_3};
use paysec::pinblock::{self, PinBlockFormat};
use paysec::rng::Replay;
use paysec::{KeyAlgorithm, Pan, Pin, SecretKey};

use crate::api::Direction;
use crate::error::HsmError;
use crate::soft::{SoftHsm, ct_eq};
use crate::store;
use crate::usage;

/// The MAC length on the wire (ISO 8583 field 64/128 is `b 8`).
pub const PINPAD_MAC_LEN: usize = 8;

impl SoftHsm {
    /// The PIN block of `pin` for the transaction of `ksn`, under the PIN key the initial key
    /// `ipek` gives for it: ISO format 4 (16 bytes) for AES DUKPT, format 0 (8 bytes) for TDES.
    pub fn pinpad_encipher_pin(
        &self,
        ipek: &str,
        ksn: &[u8],
        pin: &Pin,
        pan: &Pan,
    ) -> Result<Vec<u8>, HsmError> {
        let initial = self.usable(ipek, &usage::PINPAD_DUKPT)?;
        let fill = store::padding_bytes()?;
        let mut rng = Replay::new(&fill);
        match initial.algorithm() {
            KeyAlgorithm::Aes => {
                let ksn = aes_dukpt::Ksn::new(ksn)?;
                let intermediate = aes_dukpt::derive_intermediate_key(initial, &ksn)?;
                Ok(aes_dukpt::encrypt_pin(
                    &intermediate,
                    &ksn,
                    aes_dukpt::KeyType::Aes128,
                    pin,
                    pan,
                    &mut rng,
                )?
                .to_vec())
            }
            _ => {
                let key = tdes_working_key(initial, ksn, tdes_dukpt::KeyUsage::Pin)?;
                Ok(pinblock::encipher(
                    PinBlockFormat::Iso0,
                    &key,
                    pin,
                    Some(pan),
                    &mut rng,
                )?)
            }
        }
    }

    /// The 8-byte MAC of `data` for the transaction of `ksn`: AES-CMAC under the AES DUKPT
    /// MAC generation (request) or verification (response) key, or the ANSI X9.19 retail MAC
    /// (ISO 9797-1 algorithm 3, padding method 1) under the TDES request/response MAC variant.
    pub fn pinpad_mac(
        &self,
        ipek: &str,
        ksn: &[u8],
        direction: Direction,
        data: &[u8],
    ) -> Result<[u8; PINPAD_MAC_LEN], HsmError> {
        let initial = self.usable(ipek, &usage::PINPAD_DUKPT)?;
        let mac = match initial.algorithm() {
            KeyAlgorithm::Aes => {
                let ksn = aes_dukpt::Ksn::new(ksn)?;
                let intermediate = aes_dukpt::derive_intermediate_key(initial, &ksn)?;
                let usage = match direction {
                    Direction::Request => aes_dukpt::KeyUsage::MacGeneration,
                    Direction::Response => aes_dukpt::KeyUsage::MacVerification,
                };
                let key = aes_dukpt::derive_working_key(
                    &intermediate,
                    &ksn,
                    usage,
                    aes_dukpt::KeyType::Aes128,
                )?;
                cmac_truncated(&key, data, PINPAD_MAC_LEN)?
            }
            _ => {
                let usage = match direction {
                    Direction::Request => tdes_dukpt::KeyUsage::MacRequest,
                    Direction::Response => tdes_dukpt::KeyUsage::MacResponse,
                };
                let key = tdes_working_key(initial, ksn, usage)?;
                mac_algorithm_3(&key, data, Padding::Method1, PINPAD_MAC_LEN)?
            }
        };
        // Both algorithms were asked for exactly 8 bytes.
        let mut out = [0u8; PINPAD_MAC_LEN];
        out.iter_mut().zip(mac.iter()).for_each(|(o, m)| *o = *m);
        Ok(out)
    }

    /// Checks an 8-byte MAC made by the host for `ksn` (the response direction), in constant
    /// time.
    pub fn pinpad_verify_mac(
        &self,
        ipek: &str,
        ksn: &[u8],
        direction: Direction,
        data: &[u8],
        mac: &[u8],
    ) -> Result<bool, HsmError> {
        let expected = self.pinpad_mac(ipek, ksn, direction, data)?;
        Ok(ct_eq(&expected, mac))
    }
}

fn tdes_working_key(
    initial: &SecretKey,
    ksn: &[u8],
    usage: tdes_dukpt::KeyUsage,
) -> Result<SecretKey, HsmError> {
    let ksn = tdes_dukpt::Ksn::new(ksn)?;
    let transaction = tdes_dukpt::derive_transaction_key(initial, &ksn)?;
    Ok(tdes_dukpt::working_key(&transaction, usage)?)
}

impl SoftHsm {
    /// The key injection step (ANSI X9.24 "key loading"): the initial key of the PIN pad whose
    /// initial KSN is `initial_ksn`, derived from BDK `bdk` (usage B0), to be loaded into that
    /// PIN pad at once. It leaves the HSM in clear, as it does in a key injection facility's
    /// secure room; the caller must not keep or show it (it zeroizes on drop).
    pub fn derive_initial_key(&self, bdk: &str, initial_ksn: &[u8]) -> Result<SecretKey, HsmError> {
        let bdk = self.usable(bdk, &usage::DUKPT_DERIVE)?;
        match bdk.algorithm() {
            KeyAlgorithm::Aes => {
                let ksn = aes_dukpt::Ksn::new(initial_ksn)?;
                Ok(aes_dukpt::derive_initial_key(bdk, ksn.initial_key_id())?)
            }
            _ => {
                let ksn = tdes_dukpt::Ksn::new(initial_ksn)?;
                Ok(tdes_dukpt::derive_ipek(bdk, &ksn)?)
            }
        }
    }
}
