//! The card verification results (CVR) carried in the issuer application data (IAD, 9F10).
//!
//! Layout (after Visa's VIS CVR, a publicly documented one): byte 0 is the length (03), then
//! - byte 1: b8-7 second GENERATE AC type (00 AAC, 01 TC, 10 not requested), b6-5 first
//!   GENERATE AC type (00 AAC, 01 TC, 10 ARQC), b4 issuer authentication performed and failed,
//!   b3 offline PIN performed, b2 offline PIN failed, b1 unable to go online;
//! - byte 2: b8 last online transaction not completed, b7 PIN try limit exceeded, b6 velocity
//!   (consecutive offline) limit exceeded, b4 issuer authentication failed on the last online
//!   transaction, b3 issuer authentication not performed after online authorisation,
//!   b2 application blocked;
//! - byte 3: b8-5 issuer script commands processed, b4 issuer script failed, b2 DDA performed.
//!
//! The IAD is `06 01 CVN CVR(4)`: length, derivation key index, cryptogram version number.

use emv::apdu::AcType;

/// The four CVR bytes as they enter the IAD and the cryptogram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cvr(pub [u8; 4]);

fn first_bits(ac: Option<AcType>) -> u8 {
    match ac {
        Some(AcType::Aac) | None => 0x00,
        Some(AcType::Tc) => 0x10,
        Some(AcType::Arqc) => 0x20,
    }
}

fn second_bits(ac: Option<AcType>) -> u8 {
    match ac {
        Some(AcType::Aac) => 0x00,
        Some(AcType::Tc) => 0x40,
        Some(AcType::Arqc) | None => 0x80,
    }
}

impl super::Card {
    /// The CVR as of now, with the cryptogram types just decided.
    pub(super) fn cvr(&self, first: Option<AcType>, second: Option<AcType>) -> Cvr {
        let s = &self.session;
        let st = &self.state;
        let mut b1 = second_bits(second) | first_bits(first);
        if s.issuer_auth == super::IssuerAuth::Failed {
            b1 |= 0x08;
        }
        if s.offline_pin_performed {
            b1 |= 0x04;
        }
        if s.offline_pin_failed {
            b1 |= 0x02;
        }
        if s.unable_to_go_online {
            b1 |= 0x01;
        }
        let mut b2 = 0u8;
        if st.last_online_incomplete {
            b2 |= 0x80;
        }
        if self.image.profile.pin.is_some() && st.pin_try_counter == 0 {
            b2 |= 0x40;
        }
        if s.velocity_exceeded {
            b2 |= 0x20;
        }
        if st.last_issuer_auth_failed {
            b2 |= 0x08;
        }
        if second.is_some()
            && self.image.profile.issuer_authentication
            && s.issuer_auth == super::IssuerAuth::NotPerformed
            && !s.unable_to_go_online
        {
            b2 |= 0x04;
        }
        if st.app_blocked {
            b2 |= 0x02;
        }
        let mut b3 = (st.script_commands.min(15)) << 4;
        if st.script_failed {
            b3 |= 0x08;
        }
        if s.dda_performed {
            b3 |= 0x02;
        }
        Cvr([0x03, b1, b2, b3])
    }

    /// Issuer application data (9F10): `06 01 CVN CVR`.
    pub(super) fn iad(&self, cvr: Cvr) -> Vec<u8> {
        let mut iad = vec![0x06, 0x01, self.image.profile.cvn];
        iad.extend_from_slice(&cvr.0);
        iad
    }
}
