//! Issuer script commands with secure messaging (Book 2 §9, Book 3 §6.5): PIN CHANGE/UNBLOCK,
//! APPLICATION BLOCK and APPLICATION UNBLOCK, CLA 84, the last 8 data bytes a MAC.
//!
//! MAC input (Book 2 §9.2.1): `CLA INS P1 P2 Lc || ATC || ARQC || data without the MAC`,
//! ISO 9797-1 algorithm 3 with padding method 2 under `SK-SMI = CSK(MK-SMI, ARQC)`. A new PIN
//! (P2 02) comes as an ISO 9564 format 2 block enciphered (TDES ECB) under
//! `SK-SMC = CSK(MK-SMC, ARQC)`.

use emv::apdu::{Command, PlaintextPin, StatusWord, ins};
use paysec::emv::derive_common_session_key;
use zeroize::Zeroizing;

use super::auth::ct_eq;
use super::{Answer, Card, sw};

/// Length of the script command MAC this card checks.
pub const SCRIPT_MAC_LEN: usize = 8;

/// The digits of a checked format-2 PIN block.
fn pin_digits(block: &[u8]) -> Option<Zeroizing<String>> {
    PlaintextPin::from_block(block)?;
    let len = usize::from(block.first()? & 0x0F);
    let mut s = Zeroizing::new(String::with_capacity(len));
    for i in 0..len {
        let byte = block.get(1 + i / 2)?;
        let nibble = if i % 2 == 0 { byte >> 4 } else { byte & 0x0F };
        s.push(char::from(b'0' + nibble));
    }
    Some(s)
}

impl Card {
    pub(super) fn issuer_script(&mut self, cmd: &Command) -> Answer {
        let Some(arqc) = self.session.arqc else {
            return sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        };
        let p2_ok = match cmd.ins {
            ins::PIN_CHANGE_UNBLOCK => {
                cmd.p1 == 0 && matches!(cmd.p2, 0x00 | 0x02) && self.image.profile.pin.is_some()
            }
            _ => cmd.p1 == 0 && cmd.p2 == 0,
        };
        if !p2_ok {
            return sw(StatusWord::WRONG_P1_P2);
        }
        let payload_len = match (cmd.ins, cmd.p2) {
            (ins::PIN_CHANGE_UNBLOCK, 0x02) => 8,
            _ => 0,
        };
        if cmd.data.len() != payload_len + SCRIPT_MAC_LEN {
            return sw(StatusWord::WRONG_LENGTH);
        }
        let (payload, mac) = cmd.data.split_at(payload_len);
        self.state.script_commands = self.state.script_commands.saturating_add(1);
        let Ok(sk_smi) = derive_common_session_key(&self.image.mk_smi, arqc) else {
            return sw(StatusWord::UNKNOWN_ERROR);
        };
        let mut input = vec![cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data.len() as u8];
        input.extend_from_slice(&self.state.atc.to_be_bytes());
        input.extend_from_slice(&arqc);
        input.extend_from_slice(payload);
        let good = paysec::emv::issuer_script_mac(&sk_smi, &input, SCRIPT_MAC_LEN)
            .is_ok_and(|expected| ct_eq(&expected, mac));
        if !good {
            self.state.script_failed = true;
            return sw(StatusWord::SM_DATA_INCORRECT);
        }
        match (cmd.ins, cmd.p2) {
            (ins::APPLICATION_BLOCK, _) => self.state.app_blocked = true,
            (ins::APPLICATION_UNBLOCK, _) => self.state.app_blocked = false,
            (ins::PIN_CHANGE_UNBLOCK, 0x00) => {
                self.state.pin_try_counter = self.image.profile.pin_try_limit;
            }
            _ => {
                let Ok(sk_smc) = derive_common_session_key(&self.image.mk_smc, arqc) else {
                    return sw(StatusWord::UNKNOWN_ERROR);
                };
                let Ok(block) = paysec::cipher::ecb_decrypt(&sk_smc, payload) else {
                    return sw(StatusWord::UNKNOWN_ERROR);
                };
                let block = Zeroizing::new(block);
                let Some(digits) = pin_digits(&block) else {
                    self.state.script_failed = true;
                    return sw(StatusWord::WRONG_DATA);
                };
                self.state.changed_pin = Some(digits.to_string());
                self.state.pin_try_counter = self.image.profile.pin_try_limit;
            }
        }
        sw(StatusWord::SUCCESS)
    }
}
