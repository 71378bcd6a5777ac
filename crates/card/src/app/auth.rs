//! GET CHALLENGE, INTERNAL AUTHENTICATE (DDA, Book 2 §6.5), EXTERNAL AUTHENTICATE (ARPC
//! method 1, Book 2 §8.2.1) and VERIFY (offline plaintext PIN, Book 3 §6.5.12).

use emv::apdu::{AcType, Command, PlaintextPin, Response, StatusWord};
use emv::dol::data_len;

use super::{Answer, Card, IssuerAuth, ok, sw};
use crate::encode::{put, wrap};
use crate::oda;
use crate::profile::OdaMethod;

/// Length of the ICC dynamic number in signed dynamic data.
pub(super) const ICC_DYNAMIC_NUMBER_LEN: usize = 8;

impl Card {
    pub(super) fn get_challenge(&mut self, cmd: &Command) -> Answer {
        if cmd.p1 != 0 || cmd.p2 != 0 {
            return sw(StatusWord::WRONG_P1_P2);
        }
        if !cmd.data.is_empty() || !matches!(cmd.le, Some(8) | Some(256)) {
            return sw(StatusWord::WRONG_LENGTH);
        }
        ok(self.random::<8>().to_vec())
    }

    pub(super) fn internal_authenticate(&mut self, cmd: &Command) -> Answer {
        if cmd.p1 != 0 || cmd.p2 != 0 {
            return sw(StatusWord::WRONG_P1_P2);
        }
        let Some(icc) = self.image.icc_key.clone() else {
            return sw(StatusWord::INS_NOT_SUPPORTED);
        };
        if !matches!(self.image.profile.oda, OdaMethod::Dda | OdaMethod::Cda) {
            return sw(StatusWord::INS_NOT_SUPPORTED);
        }
        if !self.session.initiated {
            return sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        if cmd.data.is_empty() || cmd.data.len() != data_len(&self.image.ddol) {
            return sw(StatusWord::WRONG_LENGTH);
        }
        let number = self.random::<ICC_DYNAMIC_NUMBER_LEN>();
        let mut dynamic = vec![ICC_DYNAMIC_NUMBER_LEN as u8];
        dynamic.extend_from_slice(&number);
        let signed = match oda::signed_dynamic_data(&icc, &dynamic, &cmd.data) {
            Ok(s) => s,
            Err(_) => return sw(StatusWord::UNKNOWN_ERROR),
        };
        self.session.dda_performed = true;
        let mut body = Vec::new();
        match put(&mut body, 0x9F4B, &signed).and_then(|()| wrap(0x77, &body)) {
            Ok(r) => ok(r),
            Err(_) => sw(StatusWord::UNKNOWN_ERROR),
        }
    }

    pub(super) fn external_authenticate(&mut self, cmd: &Command) -> Answer {
        if cmd.p1 != 0 || cmd.p2 != 0 {
            return sw(StatusWord::WRONG_P1_P2);
        }
        if !self.image.profile.issuer_authentication {
            return sw(StatusWord::INS_NOT_SUPPORTED);
        }
        // Issuer authentication data for method 1: ARPC (8) || ARC (2).
        let (Some(arpc), Some(arc)) = (cmd.data.get(..8), cmd.data.get(8..)) else {
            return sw(StatusWord::WRONG_LENGTH);
        };
        if cmd.data.len() != 10 {
            return sw(StatusWord::WRONG_LENGTH);
        }
        let (Some(arqc), Some(sk), None, IssuerAuth::NotPerformed) = (
            self.session.arqc,
            self.session.sk_ac.as_ref(),
            self.session.second_ac,
            self.session.issuer_auth,
        ) else {
            return sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        };
        let arc = [
            arc.first().copied().unwrap_or(0),
            arc.get(1).copied().unwrap_or(0),
        ];
        let good = match paysec::emv::generate_arpc_method1(sk, &arqc, arc) {
            Ok(expected) => ct_eq(&expected, arpc),
            Err(_) => false,
        };
        if good {
            self.session.issuer_auth = IssuerAuth::Passed;
            sw(StatusWord::SUCCESS)
        } else {
            self.session.issuer_auth = IssuerAuth::Failed;
            self.state.last_issuer_auth_failed = true;
            sw(StatusWord::AUTHENTICATION_FAILED)
        }
    }

    pub(super) fn verify(&mut self, cmd: &Command) -> Answer {
        // P2 80: plaintext PIN; 88 (enciphered PIN) is not offered by this card.
        if cmd.p1 != 0 || cmd.p2 != 0x80 {
            return sw(StatusWord::WRONG_P1_P2);
        }
        let Some(pin) = self.current_pin().map(str::to_owned) else {
            return sw(StatusWord::REFERENCED_DATA_NOT_FOUND);
        };
        if !self.session.initiated || self.session.first_ac.is_some() {
            return sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        if cmd.data.len() != 8 {
            return sw(StatusWord::WRONG_LENGTH);
        }
        if self.state.pin_try_counter == 0 {
            return sw(StatusWord::AUTHENTICATION_METHOD_BLOCKED);
        }
        let Some(offered) = PlaintextPin::from_block(&cmd.data) else {
            return sw(StatusWord::WRONG_DATA);
        };
        let Ok(expected) = PlaintextPin::from_ascii(pin.as_bytes()) else {
            return sw(StatusWord::UNKNOWN_ERROR);
        };
        self.session.offline_pin_performed = true;
        if offered.matches(&expected) {
            self.state.pin_try_counter = self.image.profile.pin_try_limit;
            self.session.offline_pin_failed = false;
            sw(StatusWord::SUCCESS)
        } else {
            self.state.pin_try_counter = self.state.pin_try_counter.saturating_sub(1);
            self.session.offline_pin_failed = true;
            Response::status(StatusWord::tries_left(self.state.pin_try_counter))
        }
    }
}

/// Constant-time equality of two byte strings of the same length.
pub(super) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether an authorisation response code approves (ISO 8583 "00", "10", "11", or the
/// terminal's offline approval codes "Y1", "Y3").
pub(super) fn arc_approves(arc: [u8; 2]) -> bool {
    matches!(&arc, b"00" | b"10" | b"11" | b"Y1" | b"Y3")
}

/// The cryptogram the card settles for when it declines.
pub(super) const DECLINE: AcType = AcType::Aac;
