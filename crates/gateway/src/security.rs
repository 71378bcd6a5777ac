//! The gateway's HSM work on terminal traffic: every terminal message's MAC is checked under
//! the DUKPT key of its KSN before anything else looks at it, every answer is MACed back under
//! the same KSN, and PIN blocks are translated from the PIN pad's DUKPT key to the issuer
//! zone's PIN key. Keys never leave the HSM; PIN blocks are never logged.
//!
//! Field usage (docs/protocol.md): 62 KSN (hex), 52 PIN block (8 bytes, TDES DUKPT, ISO 0),
//! 110 PIN block (32 hex, AES DUKPT, ISO 4), 64/128 MAC; towards the issuer 52 (ISO 0 under
//! the zone PIN key) and 53 (`00` + zone key generation + `00000000`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hsm::{DukptRef, Hsm, MacAlgorithm, MacKeyRef, PinBlockRef, PinKeyRef, PinZoneRef};
use iso8583::mac::{MAC_LEN, mac_field, mac_parts, pack_with_mac};
use iso8583::{Message, Spec};
use paysec::mac::iso9797::Padding;
use paysec::pinblock::PinBlockFormat;
use paysec::tr31::KeyUsage;

use crate::gateway::pan_of;

/// Field 62: the KSN of the terminal message's DUKPT keys, as hex.
pub const KSN_FIELD: usize = 62;
/// Field 110: an AES DUKPT PIN block (ISO format 4) as 32 hex digits.
pub const AES_PIN_FIELD: usize = 110;
/// Field 53 towards the issuer: PIN block format `00`, the zone key generation, then zeros.
pub fn security_control(generation: u32) -> String {
    format!("00{generation:06}00000000")
}

/// The zone PIN key of issuer link `link`, generation `generation`, as named in the HSM.
pub fn zone_key_name(link: &str, generation: u32) -> String {
    format!("zpk.{link}.{generation:06}")
}

/// The gateway's HSM and DUKPT base key.
#[derive(Clone)]
pub struct Security {
    hsm: Arc<Mutex<dyn Hsm + Send>>,
    bdk: String,
    /// Terminals (field 41, padded) whose PIN pads descend from another BDK.
    terminal_bdks: HashMap<String, String>,
    spec: Arc<Spec>,
}

impl std::fmt::Debug for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Security").field("bdk", &self.bdk).finish()
    }
}

fn mac_algorithm(ksn: &[u8]) -> MacAlgorithm {
    // A 12-byte KSN is AES DUKPT (CMAC); a 10-byte one TDES DUKPT (ANSI X9.19 retail MAC).
    if ksn.len() == 12 {
        MacAlgorithm::Cmac
    } else {
        MacAlgorithm::Iso9797Alg3(Padding::Method1)
    }
}

impl Security {
    /// `spec` is the dialect terminals speak (MACs cover its packed bytes).
    pub fn new(hsm: impl Hsm + Send + 'static, bdk: &str, spec: Arc<Spec>) -> Security {
        Security {
            hsm: Arc::new(Mutex::new(hsm)),
            bdk: bdk.to_string(),
            terminal_bdks: HashMap::new(),
            spec,
        }
    }

    /// Terminal `terminal_id` (field 41 as it travels) uses BDK `bdk`.
    pub fn set_terminal_bdk(&mut self, terminal_id: &str, bdk: &str) {
        self.terminal_bdks
            .insert(terminal_id.to_string(), bdk.to_string());
    }

    /// The BDK of the terminal a message is from or to (field 41).
    fn bdk_for(&self, msg: &Message<'_>) -> &str {
        msg.text(41)
            .and_then(|t| self.terminal_bdks.get(t))
            .unwrap_or(&self.bdk)
    }

    fn with_hsm<T>(&self, f: impl FnOnce(&mut dyn Hsm) -> Result<T, String>) -> Result<T, String> {
        let mut guard = self
            .hsm
            .lock()
            .map_err(|_| "the HSM lock is poisoned".to_string())?;
        f(&mut *guard)
    }

    /// The KSN a terminal message names in field 62.
    pub fn ksn_of(msg: &Message<'_>) -> Result<Vec<u8>, String> {
        let text = msg
            .text(KSN_FIELD)
            .ok_or("no KSN (field 62): every terminal message must carry one and a MAC")?;
        let ksn = iso8583::hex::decode(text).map_err(|e| format!("field 62 is not hex: {e}"))?;
        if ksn.len() != 10 && ksn.len() != 12 {
            return Err(format!(
                "field 62 holds {} bytes; a KSN is 10 (TDES DUKPT) or 12 (AES DUKPT)",
                ksn.len()
            ));
        }
        Ok(ksn)
    }

    /// Checks a terminal message's MAC; the reason when it does not verify.
    pub fn check_mac(&self, msg: &Message<'_>) -> Result<(), String> {
        let ksn = Self::ksn_of(msg)?;
        let frame = self
            .spec
            .pack(msg)
            .map_err(|e| format!("the message cannot be repacked to check its MAC: {e}"))?;
        let (data, mac) = mac_parts(&frame, msg).map_err(|e| e.to_string())?;
        let key = MacKeyRef::Dukpt {
            dukpt: DukptRef::new(self.bdk_for(msg), &ksn),
            direction: hsm::Direction::Request,
        };
        let ok = self.with_hsm(|h| {
            h.verify_mac(&key, mac_algorithm(&ksn), data, mac)
                .map_err(|e| format!("the MAC cannot be checked: {e}"))
        })?;
        if ok {
            Ok(())
        } else {
            Err("the MAC does not verify under the KSN's key".to_string())
        }
    }

    /// MACs an answer to a terminal under the response key of the KSN it carries (field 62);
    /// an answer without one is left as is.
    pub fn seal_answer(&self, msg: &mut Message<'static>) -> Result<(), String> {
        let Ok(ksn) = Self::ksn_of(msg) else {
            return Ok(());
        };
        let key = MacKeyRef::Dukpt {
            dukpt: DukptRef::new(self.bdk_for(msg), &ksn),
            direction: hsm::Direction::Response,
        };
        let frame = self.with_hsm(|h| {
            pack_with_mac(&self.spec, msg, |data| {
                let mac = h
                    .generate_mac(&key, mac_algorithm(&ksn), data, MAC_LEN)
                    .map_err(|e| e.to_string())?;
                <[u8; MAC_LEN]>::try_from(mac.as_slice()).map_err(|_| "short MAC".to_string())
            })
            .map_err(|e| e.to_string())?
        })?;
        let mac = frame
            .get(frame.len().saturating_sub(MAC_LEN)..)
            .unwrap_or(&[]);
        msg.remove(64);
        msg.remove(128);
        let field = mac_field(msg);
        msg.set_owned(field, mac).map_err(|e| e.to_string())
    }

    /// The request's PIN block translated to zone key `zone_key` (ISO format 0), when it
    /// carries one.
    pub fn translate_pin(
        &self,
        msg: &Message<'_>,
        zone_key: &str,
    ) -> Result<Option<Vec<u8>>, String> {
        let (format, block) = match (msg.get(52), msg.text(AES_PIN_FIELD)) {
            (None, None) => return Ok(None),
            (Some(b), None) => (PinBlockFormat::Iso0, b.to_vec()),
            (None, Some(hex)) => (
                PinBlockFormat::Iso4,
                iso8583::hex::decode(hex).map_err(|e| format!("field 110 is not hex: {e}"))?,
            ),
            (Some(_), Some(_)) => return Err("two PIN blocks (fields 52 and 110)".into()),
        };
        let ksn = Self::ksn_of(msg)?;
        let pan = paysec::Pan::new(pan_of(msg)?).map_err(|e| format!("PAN: {e}"))?;
        let from = PinBlockRef {
            key: PinKeyRef::Dukpt(DukptRef::new(self.bdk_for(msg), &ksn)),
            format,
            block: &block,
        };
        let to = PinZoneRef {
            zpk: zone_key,
            format: PinBlockFormat::Iso0,
        };
        self.with_hsm(|h| {
            h.translate_pin(&from, &to, Some(&pan))
                .map(Some)
                .map_err(|e| format!("PIN translation: {e}"))
        })
    }

    /// The newest zone PIN key generation the HSM holds for `link`.
    pub fn zone_generation(&self, link: &str) -> Option<u32> {
        let prefix = format!("zpk.{link}.");
        self.with_hsm(|h| {
            Ok(h.list_keys()
                .iter()
                .filter_map(|k| k.name.strip_prefix(&prefix)?.parse::<u32>().ok())
                .max())
        })
        .ok()
        .flatten()
    }

    /// Stores a zone PIN key the issuer sent under `zmk` (TR-31) as generation `generation`.
    pub fn import_zone_key(
        &self,
        link: &str,
        zmk: &str,
        generation: u32,
        block: &str,
    ) -> Result<String, String> {
        let name = zone_key_name(link, generation);
        self.with_hsm(|h| {
            h.import_tr31(&name, zmk, block, Some(KeyUsage::PinEncryption))
                .map(|info| info.kcv.map(|k| k.hex).unwrap_or_default())
                .map_err(|e| format!("zone key import: {e}"))
        })
    }
}
