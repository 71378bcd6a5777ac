//! `SoftHsm`: the [`Hsm`] commands in software, over a key store sealed under a local master
//! key (see [`crate::store`] for the file form and why).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use paysec::dukpt::{aes as aes_dukpt, tdes as tdes_dukpt};
use paysec::emv::{self, CryptogramPadding, EmvError};
use paysec::kcv::{KcvMethod, kcv};
use paysec::mac::MacError;
use paysec::mac::cmac::cmac_truncated;
use paysec::mac::iso9797::{mac_algorithm_1, mac_algorithm_3};
use paysec::pinblock;
use paysec::pinverify::VerifyError;
use paysec::pinverify::ibm3624::{self, DecimalisationTable, ValidationData};
use paysec::pinverify::{cvv, pvv};
use paysec::rng::Replay;
use paysec::tr31::{self, Exportability, Version};
use paysec::{KeyAlgorithm, Pan, Pin, SecretKey};

use crate::api::{
    AesWorkingKey, ArpcMethod, CardKeyRef, CheckValue, Direction, DukptRef, Hsm,
    IccMasterKeyOption, KeyInfo, MacAlgorithm, MacKeyRef, PinBlockRef, PinKeyRef, PinZoneRef,
    ScriptKeyRef, SessionKeyDerivation,
};
use crate::error::HsmError;
use crate::files::{self, Layout};
use crate::master::MasterKey;
use crate::store::{self, SealKeys, StoredKey, check_name};
use crate::usage::{self, KeyAttributes, MacFamily, Rule, check_kind, strength_bits, usage_code};
use paysec::hex;

/// A software HSM: keys in a file sealed under a master key in another file.
///
/// Every change is written to disk (atomically) before the call returns. One process should own
/// a store at a time: two writers would each replace the other's file.
pub struct SoftHsm {
    master_path: PathBuf,
    store_path: PathBuf,
    seal: SealKeys,
    keys: BTreeMap<String, StoredKey>,
}

impl core::fmt::Debug for SoftHsm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SoftHsm")
            .field("store", &self.store_path)
            .field("master_kcv", &self.seal.master_kcv)
            .field("keys", &self.keys.len())
            .finish()
    }
}

pub(crate) fn seal_keys(master: &MasterKey) -> Result<SealKeys, HsmError> {
    Ok(SealKeys {
        kbpk: master.store_kbpk()?,
        mac: master.store_mac_key()?,
        master_kcv: master.kcv_hex()?,
    })
}

impl SoftHsm {
    /// Creates a new HSM in `dir`: a fresh random master key in `dir/master.key` (mode 0600)
    /// and an empty key store in `dir/keys.store`. Refuses to touch an existing HSM.
    pub fn init(dir: &Path) -> Result<Self, HsmError> {
        let layout = Layout::new(dir);
        files::create_dir(&layout.dir)?;
        Self::init_at(&layout.master, &layout.store)
    }

    /// As [`SoftHsm::init`], with the master key file and the store in chosen places (the
    /// master key can then live on another volume than the store).
    pub fn init_at(master_path: &Path, store_path: &Path) -> Result<Self, HsmError> {
        for path in [master_path, store_path] {
            if path.exists() {
                return Err(HsmError::AlreadyInitialised {
                    path: path.to_path_buf(),
                });
            }
        }
        let bytes = crate::random::os_random(crate::master::MASTER_KEY_LEN)?;
        let master = MasterKey::from_bytes(&bytes)?;
        let seal = seal_keys(&master)?;
        files::create_master(master_path, &master)?;
        let hsm = SoftHsm {
            master_path: master_path.to_path_buf(),
            store_path: store_path.to_path_buf(),
            seal,
            keys: BTreeMap::new(),
        };
        let written = store::encode(&hsm.seal, &hsm.keys)
            .and_then(|text| files::write_store(store_path, text.as_bytes(), true));
        if let Err(e) = written {
            // A master key without its store would block the next init; it protects nothing yet.
            let _ = std::fs::remove_file(master_path);
            return Err(e);
        }
        Ok(hsm)
    }

    /// Opens the HSM in `dir` (`master.key` and `keys.store`).
    pub fn open(dir: &Path) -> Result<Self, HsmError> {
        let layout = Layout::new(dir);
        Self::open_at(&layout.master, &layout.store)
    }

    /// Opens an HSM whose master key file and store are at the given paths.
    pub fn open_at(master_path: &Path, store_path: &Path) -> Result<Self, HsmError> {
        let master = files::read_master(master_path)?;
        let seal = seal_keys(&master)?;
        let text = files::read_store(store_path)?;
        let keys = store::decode(&seal, &text)?;
        Ok(SoftHsm {
            master_path: master_path.to_path_buf(),
            store_path: store_path.to_path_buf(),
            seal,
            keys,
        })
    }

    /// The master key file.
    pub fn master_path(&self) -> &Path {
        &self.master_path
    }

    /// The key store file.
    pub fn store_path(&self) -> &Path {
        &self.store_path
    }

    /// KCV of the master key (what `posnet hsm list` prints to identify it).
    pub fn master_kcv(&self) -> &str {
        &self.seal.master_kcv
    }

    fn persist(&self) -> Result<(), HsmError> {
        let text = store::encode(&self.seal, &self.keys)?;
        files::write_store(&self.store_path, text.as_bytes(), false)
    }

    /// Adds an entry and writes the store; on a write failure the entry is dropped again.
    fn insert(
        &mut self,
        name: &str,
        attrs: &KeyAttributes,
        key: &SecretKey,
        extra_blocks: Vec<tr31::OptionalBlock>,
    ) -> Result<KeyInfo, HsmError> {
        let padding = store::padding_bytes()?;
        let entry = store::seal_entry(&self.seal, name, attrs, key, extra_blocks, &padding)?;
        let info = key_info(name, &entry)?;
        self.keys.insert(name.to_string(), entry);
        if let Err(e) = self.persist() {
            self.keys.remove(name);
            return Err(e);
        }
        Ok(info)
    }

    fn check_new_name(&self, name: &str) -> Result<(), HsmError> {
        check_name(name)?;
        if self.keys.contains_key(name) {
            return Err(HsmError::DuplicateKey {
                name: name.to_string(),
            });
        }
        Ok(())
    }

    fn get(&self, name: &str) -> Result<&StoredKey, HsmError> {
        self.keys.get(name).ok_or_else(|| HsmError::UnknownKey {
            name: name.to_string(),
        })
    }

    /// The key `name`, if its usage and mode of use allow `rule`'s command.
    pub(crate) fn usable(&self, name: &str, rule: &Rule) -> Result<&SecretKey, HsmError> {
        let entry = self.get(name)?;
        if !rule.usages.contains(&entry.header.key_usage) {
            return Err(HsmError::WrongUsage {
                name: name.to_string(),
                found: usage_code(entry.header.key_usage),
                command: rule.command,
                expected: rule.usages_text,
            });
        }
        if !rule.modes.contains(&entry.header.mode_of_use) {
            return Err(HsmError::WrongMode {
                name: name.to_string(),
                found: String::from_utf8_lossy(&entry.header.mode_of_use.code()).into_owned(),
                command: rule.command,
                expected: rule.modes_text,
            });
        }
        Ok(&entry.key)
    }

    fn dukpt_key(
        &self,
        dukpt: &DukptRef<'_>,
        tdes_usage: tdes_dukpt::KeyUsage,
        aes_usage: aes_dukpt::KeyUsage,
    ) -> Result<SecretKey, HsmError> {
        let bdk = self.usable(dukpt.bdk, &usage::DUKPT_DERIVE)?;
        match bdk.algorithm() {
            KeyAlgorithm::Tdes => {
                let ksn = tdes_dukpt::Ksn::new(dukpt.ksn)?;
                Ok(tdes_dukpt::derive_working_key(bdk, &ksn, tdes_usage)?)
            }
            KeyAlgorithm::Aes => {
                let ksn = aes_dukpt::Ksn::new(dukpt.ksn)?;
                let key_type = match dukpt.aes_working_key {
                    AesWorkingKey::Aes128 => aes_dukpt::KeyType::Aes128,
                    AesWorkingKey::Aes256 => aes_dukpt::KeyType::Aes256,
                };
                Ok(aes_dukpt::host_working_key(bdk, &ksn, aes_usage, key_type)?)
            }
            KeyAlgorithm::Hmac => Err(HsmError::KeyKindForUsage {
                usage: "B0".to_string(),
                expected: "a TDES or AES key",
                algorithm: "HMAC",
                len_bytes: bdk.len(),
            }),
        }
    }

    /// The clear PIN of a PIN block; it never leaves this module.
    fn decipher_pin(&self, pin: &PinBlockRef<'_>, pan: Option<&Pan>) -> Result<Pin, HsmError> {
        let derived;
        let key = match pin.key {
            PinKeyRef::Zone(name) => self.usable(name, &usage::PIN_DECIPHER)?,
            PinKeyRef::Dukpt(d) => {
                derived = self.dukpt_key(
                    &d,
                    tdes_dukpt::KeyUsage::Pin,
                    aes_dukpt::KeyUsage::PinEncryption,
                )?;
                &derived
            }
        };
        Ok(pinblock::decipher(pin.format, key, pin.block, pan)?)
    }

    fn mac_key(
        &self,
        key: &MacKeyRef<'_>,
        algorithm: MacAlgorithm,
        generate: bool,
    ) -> Result<SecretKey, HsmError> {
        match key {
            MacKeyRef::Named(name) => {
                let family = match algorithm {
                    MacAlgorithm::Iso9797Alg1(_) => MacFamily::Alg1,
                    MacAlgorithm::Iso9797Alg3(_) => MacFamily::Alg3,
                    MacAlgorithm::Cmac => MacFamily::Cmac,
                };
                let (gen_rule, verify_rule) = usage::mac_rules(family);
                let rule = if generate { gen_rule } else { verify_rule };
                Ok(self.usable(name, &rule)?.clone())
            }
            MacKeyRef::Dukpt { dukpt, direction } => {
                let (t, a) = match direction {
                    Direction::Request => (
                        tdes_dukpt::KeyUsage::MacRequest,
                        aes_dukpt::KeyUsage::MacGeneration,
                    ),
                    Direction::Response => (
                        tdes_dukpt::KeyUsage::MacResponse,
                        aes_dukpt::KeyUsage::MacVerification,
                    ),
                };
                self.dukpt_key(dukpt, t, a)
            }
        }
    }

    fn card_key(&self, card: &CardKeyRef<'_>) -> Result<SecretKey, HsmError> {
        let imk = self.usable(card.imk, &usage::EMV_AC)?;
        let mk = icc_master_key(imk, card.option, card.pan, card.psn)?;
        match card.session {
            SessionKeyDerivation::Common {
                atc,
                unpredictable_number,
            } => Ok(emv::derive_common_session_key(
                &mk,
                emv::ac_diversification(atc, unpredictable_number),
            )?),
            SessionKeyDerivation::IccMasterKey => Ok(mk),
        }
    }
}

/// A card's ICC master key from an issuer master key (EMV Book 2 A1.4), by the option asked.
fn icc_master_key(
    imk: &SecretKey,
    option: IccMasterKeyOption,
    pan: &Pan,
    psn: Option<u8>,
) -> Result<SecretKey, HsmError> {
    Ok(match option {
        IccMasterKeyOption::A => emv::derive_icc_master_key_a(imk, pan, psn)?,
        IccMasterKeyOption::B => emv::derive_icc_master_key_b(imk, pan, psn)?,
    })
}

fn compute_mac(
    key: &SecretKey,
    algorithm: MacAlgorithm,
    data: &[u8],
    mac_len_bytes: usize,
) -> Result<Vec<u8>, HsmError> {
    Ok(match algorithm {
        MacAlgorithm::Iso9797Alg1(p) => mac_algorithm_1(key, data, p, mac_len_bytes)?,
        MacAlgorithm::Iso9797Alg3(p) => mac_algorithm_3(key, data, p, mac_len_bytes)?,
        MacAlgorithm::Cmac => cmac_truncated(key, data, mac_len_bytes)?,
    })
}

/// Compares two MACs without an early exit, so timing does not tell how much matched.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Turns a verification's mismatch into `false`, other failures into errors.
fn verdict(result: Result<(), VerifyError>) -> Result<bool, HsmError> {
    match result {
        Ok(()) => Ok(true),
        Err(VerifyError::Mismatch { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The check value operators compare: legacy for TDES, CMAC for AES (ANSI X9.24-3), none
/// for HMAC keys.
pub(crate) fn check_value(key: &SecretKey) -> Result<Option<CheckValue>, HsmError> {
    let method = match key.algorithm() {
        KeyAlgorithm::Tdes => KcvMethod::Legacy,
        KeyAlgorithm::Aes => KcvMethod::Cmac,
        KeyAlgorithm::Hmac => return Ok(None),
    };
    Ok(Some(CheckValue {
        method,
        hex: hex::encode_upper(&kcv(key, method)?),
    }))
}

fn key_info(name: &str, entry: &StoredKey) -> Result<KeyInfo, HsmError> {
    Ok(KeyInfo {
        name: name.to_string(),
        usage: entry.header.key_usage,
        mode_of_use: entry.header.mode_of_use,
        exportability: entry.header.exportability,
        key_version: entry.header.key_version,
        algorithm: entry.key.algorithm(),
        len_bytes: entry.key.len(),
        kcv: check_value(&entry.key)?,
    })
}

impl Hsm for SoftHsm {
    fn list_keys(&self) -> Vec<KeyInfo> {
        self.keys
            .iter()
            .filter_map(|(name, entry)| key_info(name, entry).ok())
            .collect()
    }

    fn key_info(&self, name: &str) -> Result<KeyInfo, HsmError> {
        key_info(name, self.get(name)?)
    }

    fn import_key(
        &mut self,
        name: &str,
        attrs: &KeyAttributes,
        key: &SecretKey,
    ) -> Result<KeyInfo, HsmError> {
        self.check_new_name(name)?;
        check_kind(attrs.usage, key.algorithm(), key.len())?;
        self.insert(name, attrs, key, Vec::new())
    }

    fn import_tr31(
        &mut self,
        name: &str,
        kbpk: &str,
        block: &str,
        expected_usage: Option<tr31::KeyUsage>,
    ) -> Result<KeyInfo, HsmError> {
        self.check_new_name(name)?;
        let kbpk_key = self.usable(kbpk, &usage::TR31_UNWRAP)?;
        let opened = tr31::unwrap(kbpk_key, block.trim().as_bytes())?;
        if opened.header.key_version.is_component() {
            return Err(HsmError::Field {
                field: "TR-31 key block",
                reason: "it carries a key component (key version 'c?'), not a whole key".into(),
            });
        }
        let h = &opened.header;
        if let Some(expected) = expected_usage
            && expected != h.key_usage
        {
            return Err(HsmError::UsageMismatch {
                found: usage_code(h.key_usage),
                expected: usage_code(expected),
            });
        }
        let key = opened.secret_key()?;
        check_kind(h.key_usage, key.algorithm(), key.len())?;
        let attrs = KeyAttributes {
            usage: h.key_usage,
            mode_of_use: h.mode_of_use,
            exportability: h.exportability,
            key_version: h.key_version,
        };
        let extra = h.optional_blocks.clone();
        self.insert(name, &attrs, &key, extra)
    }

    fn export_tr31(&self, name: &str, kbpk: &str) -> Result<String, HsmError> {
        if name == kbpk {
            return Err(HsmError::SelfWrap {
                name: name.to_string(),
            });
        }
        let kbpk_key = self.usable(kbpk, &usage::TR31_WRAP)?;
        let entry = self.get(name)?;
        if entry.header.exportability == Exportability::NonExportable {
            return Err(HsmError::NotExportable {
                name: name.to_string(),
            });
        }
        let key_bits = strength_bits(entry.key.algorithm(), entry.key.len());
        let kbpk_bits = strength_bits(kbpk_key.algorithm(), kbpk_key.len());
        if key_bits > kbpk_bits {
            return Err(HsmError::WeakKbpk {
                name: name.to_string(),
                key_bits,
                kbpk: kbpk.to_string(),
                kbpk_bits,
            });
        }
        let mut header = entry.header.clone();
        header.version = match kbpk_key.algorithm() {
            KeyAlgorithm::Tdes => Version::B,
            _ => Version::D,
        };
        header
            .optional_blocks
            .retain(|b| b.id != store::NAME_BLOCK_ID);
        // Mask the length: a 2-key TDES key looks like a 3-key one, AES-128 like AES-256.
        let masked = match entry.key.algorithm() {
            KeyAlgorithm::Tdes => 24,
            KeyAlgorithm::Aes => 32,
            KeyAlgorithm::Hmac => entry.key.len(),
        };
        let padding = store::padding_bytes()?;
        Ok(tr31::wrap(
            kbpk_key,
            &header,
            entry.key.as_bytes(),
            Some(masked),
            &mut Replay::new(&padding),
        )?)
    }

    fn translate_pin(
        &self,
        from: &PinBlockRef<'_>,
        to: &PinZoneRef<'_>,
        pan: Option<&Pan>,
    ) -> Result<Vec<u8>, HsmError> {
        let out_key = self.usable(to.zpk, &usage::PIN_ENCIPHER)?;
        let pin = self.decipher_pin(from, pan)?;
        let fill = store::padding_bytes()?;
        Ok(pinblock::encipher(
            to.format,
            out_key,
            &pin,
            pan,
            &mut Replay::new(&fill),
        )?)
    }

    fn verify_pin_pvv(
        &self,
        pin: &PinBlockRef<'_>,
        pan: &Pan,
        pvk: &str,
        pvki: u8,
        pvv: &str,
    ) -> Result<bool, HsmError> {
        let pvk = self.usable(pvk, &usage::PVV_VERIFY)?;
        let clear = self.decipher_pin(pin, Some(pan))?;
        verdict(pvv::verify_pvv(pvk, pan, pvki, &clear, pvv))
    }

    fn verify_pin_ibm3624(
        &self,
        pin: &PinBlockRef<'_>,
        pan: &Pan,
        pvk: &str,
        table: &DecimalisationTable,
        validation_data: &ValidationData,
        offset: &str,
    ) -> Result<bool, HsmError> {
        let pvk = self.usable(pvk, &usage::IBM3624_VERIFY)?;
        let clear = self.decipher_pin(pin, Some(pan))?;
        if !(4..=12).contains(&offset.len()) || !offset.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HsmError::Field {
                field: "PIN offset",
                reason: format!(
                    "must be 4 to 12 decimal digits; got {} characters",
                    offset.len()
                ),
            });
        }
        if offset.len() != clear.len() {
            // The offset has one digit per PIN digit; a PIN of another length is simply wrong.
            return Ok(false);
        }
        verdict(ibm3624::verify_offset(
            pvk,
            validation_data,
            table,
            &clear,
            offset,
        ))
    }

    fn verify_arqc(
        &self,
        card: &CardKeyRef<'_>,
        data: &[u8],
        padding: CryptogramPadding,
        arqc: &[u8; 8],
    ) -> Result<bool, HsmError> {
        let sk = self.card_key(card)?;
        match emv::verify_ac(&sk, data, padding, arqc) {
            Ok(()) => Ok(true),
            Err(EmvError::Mac(MacError::Mismatch)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    fn generate_arpc(
        &self,
        card: &CardKeyRef<'_>,
        arqc: &[u8; 8],
        method: &ArpcMethod<'_>,
    ) -> Result<Vec<u8>, HsmError> {
        let sk = self.card_key(card)?;
        Ok(match method {
            ArpcMethod::Method1 { arc } => emv::generate_arpc_method1(&sk, arqc, *arc)?.to_vec(),
            ArpcMethod::Method2 {
                csu,
                proprietary_auth_data,
            } => emv::generate_arpc_method2(&sk, arqc, *csu, proprietary_auth_data)?.to_vec(),
        })
    }

    fn generate_script_mac(
        &self,
        key: &ScriptKeyRef<'_>,
        data: &[u8],
        mac_len_bytes: usize,
    ) -> Result<Vec<u8>, HsmError> {
        let imk = self.usable(key.imk, &usage::EMV_SMI)?;
        let mk = icc_master_key(imk, key.option, key.pan, key.psn)?;
        let sk = emv::derive_common_session_key(&mk, key.arqc)?;
        Ok(emv::issuer_script_mac(&sk, data, mac_len_bytes)?)
    }

    fn generate_mac(
        &self,
        key: &MacKeyRef<'_>,
        algorithm: MacAlgorithm,
        data: &[u8],
        mac_len_bytes: usize,
    ) -> Result<Vec<u8>, HsmError> {
        let k = self.mac_key(key, algorithm, true)?;
        compute_mac(&k, algorithm, data, mac_len_bytes)
    }

    fn verify_mac(
        &self,
        key: &MacKeyRef<'_>,
        algorithm: MacAlgorithm,
        data: &[u8],
        mac: &[u8],
    ) -> Result<bool, HsmError> {
        let k = self.mac_key(key, algorithm, false)?;
        let expected = compute_mac(&k, algorithm, data, mac.len())?;
        Ok(ct_eq(&expected, mac))
    }

    fn verify_cvv(
        &self,
        cvk: &str,
        pan: &Pan,
        expiry_yymm: &str,
        service_code: &str,
        presented: &str,
    ) -> Result<bool, HsmError> {
        let cvk = self.usable(cvk, &usage::CVV_VERIFY)?;
        verdict(cvv::verify_cvv(
            cvk,
            pan,
            expiry_yymm,
            service_code,
            presented,
        ))
    }
}
