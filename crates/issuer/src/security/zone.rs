//! The HSM handle the issuer decides with: which zone PIN key generations it accepts, PIN
//! verification against a card's PVV or IBM 3624 offset, and the zone key change.

use std::sync::{Mutex, MutexGuard};

use hsm::{Hsm, HsmError, KeyAttributes, PinBlockRef, PinKeyRef, SoftHsm};
use paysec::Pan;
use paysec::pinblock::PinBlockFormat;
use paysec::pinverify::ibm3624::DecimalisationTable;
use paysec::tr31::KeyUsage;

use super::SecurityError;
use super::keys::{
    GENERATION_MAX, PVK, PVK_IBM, ZMK, ZPK_PREFIX, generation_of, random_tdes_key, validation_data,
    zpk_name,
};
use crate::config::{PinCheck, SecurityConfig};

/// An enciphered ISO 9564 format 0 PIN block (field 52) and the zone key generation it is
/// under (field 53). `Debug` never shows the block.
#[derive(Clone, PartialEq, Eq)]
pub struct PinBlock {
    block: [u8; 8],
    generation: u32,
}

impl PinBlock {
    /// Field 52's 8 bytes and field 53's generation.
    pub fn new(block: [u8; 8], generation: u32) -> Self {
        Self { block, generation }
    }

    /// The zone key generation (from field 53).
    pub fn generation(&self) -> u32 {
        self.generation
    }
}

impl std::fmt::Debug for PinBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PinBlock {{ generation: {}, block: <8 bytes> }}",
            self.generation
        )
    }
}

/// What the HSM said about a PIN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinOutcome {
    /// The PIN matches the card's reference value.
    Correct,
    /// It does not.
    Wrong,
    /// No verdict could be reached (a zone key generation not accepted, a block that does
    /// not decipher to a format 0 block, a missing key): nothing about the PIN is known.
    Unusable(String),
}

/// A new zone PIN key, as the 0810 of a key change carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyChange {
    /// Its generation (field 53).
    pub generation: u32,
    /// The key as a TR-31 key block under the ZMK (field 48).
    pub key_block: String,
    /// Its key check value, for the log.
    pub kcv: String,
}

struct Inner {
    hsm: Box<dyn Hsm + Send>,
    /// The newest zone PIN key generation held.
    current: u32,
}

/// The issuer's HSM and PIN rules. One process owns the HSM; calls are serialised.
pub struct Security {
    inner: Mutex<Inner>,
    pin_tries_max: u32,
}

impl std::fmt::Debug for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let current = self.current_generation().ok();
        f.debug_struct("Security")
            .field("zpk_generation", &current)
            .field("pin_tries_max", &self.pin_tries_max)
            .finish()
    }
}

impl Security {
    /// Uses `hsm`, which must hold at least one zone PIN key `zpk.NNNNNN`; the highest is the
    /// current generation.
    pub fn new(hsm: Box<dyn Hsm + Send>, pin_tries_max: u32) -> Result<Self, SecurityError> {
        let current = hsm
            .list_keys()
            .iter()
            .filter_map(|k| generation_of(&k.name))
            .max()
            .ok_or(SecurityError::NoZonePinKey { prefix: ZPK_PREFIX })?;
        Ok(Self {
            inner: Mutex::new(Inner { hsm, current }),
            pin_tries_max,
        })
    }

    /// Opens the software HSM of the `[security]` table.
    pub fn open(config: &SecurityConfig) -> Result<Self, SecurityError> {
        let soft = SoftHsm::open(&config.hsm_dir).map_err(SecurityError::hsm(format!(
            "opening the HSM in {}",
            config.hsm_dir.display()
        )))?;
        Self::new(Box::new(soft), config.pin_tries_max)
    }

    /// Runs `f` with the HSM (the other command families of this module use it).
    pub(super) fn with_hsm<T>(&self, f: impl FnOnce(&dyn Hsm) -> T) -> Result<T, SecurityError> {
        Ok(f(self.lock()?.hsm.as_ref()))
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, SecurityError> {
        self.inner.lock().map_err(|_| SecurityError::Poisoned)
    }

    /// Consecutive wrong PINs after which a card is answered 75.
    pub fn pin_tries_max(&self) -> u32 {
        self.pin_tries_max
    }

    /// The newest zone PIN key generation.
    pub fn current_generation(&self) -> Result<u32, SecurityError> {
        Ok(self.lock()?.current)
    }

    /// Verifies the PIN in `pin` for card `pan` against `check`. Only the current zone key
    /// generation and the one before it (messages in flight during a key change) are used.
    pub fn verify(&self, pin: &PinBlock, pan: &str, check: &PinCheck) -> PinOutcome {
        let inner = match self.lock() {
            Ok(inner) => inner,
            Err(e) => return PinOutcome::Unusable(e.to_string()),
        };
        let current = inner.current;
        let generation = pin.generation;
        if generation != current && Some(generation) != current.checked_sub(1) {
            return PinOutcome::Unusable(format!(
                "PIN block under zone key generation {generation}; the current one is {current}, \
                 and only it and the one before are accepted"
            ));
        }
        let pan = match Pan::new(pan) {
            Ok(pan) => pan,
            Err(e) => return PinOutcome::Unusable(format!("PAN: {e}")),
        };
        let name = zpk_name(generation);
        let block = PinBlockRef {
            key: PinKeyRef::Zone(&name),
            format: PinBlockFormat::Iso0,
            block: &pin.block,
        };
        let verdict = match check {
            PinCheck::Pvv { pvv, pvki } => inner.hsm.verify_pin_pvv(&block, &pan, PVK, *pvki, pvv),
            PinCheck::Ibm3624 { offset } => match validation_data(&pan) {
                Ok(data) => inner.hsm.verify_pin_ibm3624(
                    &block,
                    &pan,
                    PVK_IBM,
                    &DecimalisationTable::STANDARD,
                    &data,
                    offset,
                ),
                Err(e) => return PinOutcome::Unusable(e.to_string()),
            },
        };
        match verdict {
            Ok(true) => PinOutcome::Correct,
            Ok(false) => PinOutcome::Wrong,
            // The block's own complaint names nibbles of the deciphered block, which can
            // carry PIN digits: it stays out of the reason (and so out of every log).
            Err(HsmError::PinBlock(_)) => PinOutcome::Unusable(format!(
                "the PIN block does not decipher under {name} to a format 0 block for this PAN"
            )),
            Err(e) => PinOutcome::Unusable(format!("HSM, verifying under {name}: {e}")),
        }
    }

    /// Makes the next zone PIN key: a random key stored durably in the HSM as
    /// `zpk.<generation + 1>` and exported under the ZMK. From then on the new generation is
    /// current and the one before stays accepted.
    pub fn change_key(&self) -> Result<KeyChange, SecurityError> {
        let mut inner = self.lock()?;
        let current = inner.current;
        let generation = current
            .checked_add(1)
            .filter(|g| *g <= GENERATION_MAX)
            .ok_or(SecurityError::GenerationsExhausted {
                current,
                max: GENERATION_MAX,
            })?;
        // Without the ZMK the new key could not be sent: do not make it.
        inner
            .hsm
            .key_info(ZMK)
            .map_err(SecurityError::hsm("looking up the zone master key"))?;
        let name = zpk_name(generation);
        let info = {
            // A real HSM would generate the key inside; here it is clear only for this call.
            let key = random_tdes_key()?;
            let attrs = KeyAttributes::for_usage(KeyUsage::PinEncryption);
            inner
                .hsm
                .import_key(&name, &attrs, &key)
                .map_err(SecurityError::hsm(format!("storing {name}")))?
        };
        // Stored: after a restart it would be current anyway.
        inner.current = generation;
        let key_block = inner
            .hsm
            .export_tr31(&name, ZMK)
            .map_err(SecurityError::hsm(format!("exporting {name} under {ZMK}")))?;
        Ok(KeyChange {
            generation,
            key_block,
            kcv: info.kcv.map(|k| k.hex).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_pin_block() {
        let block = PinBlock::new([0x04, 0x12, 0x34, 0xFE, 0xDC, 0xBA, 0x98, 0x76], 12);
        let shown = format!("{block:?}");
        assert_eq!(shown, "PinBlock { generation: 12, block: <8 bytes> }");
        assert_eq!(block.generation(), 12);
    }
}
