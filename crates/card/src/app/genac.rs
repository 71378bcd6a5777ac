//! GENERATE AC, first and second (Book 3 §6.5.5, Book 2 §8.1 and §6.6): the card's action
//! analysis, the cryptogram under the EMV common session key, and the CDA signature.
//!
//! Cryptogram input: the CDOL data as received, then AIP, ATC and the CVR
//! (`CDOL1|2 data || 82 || 9F36 || CVR`), padded by the profile's ISO 9797-1 method and MACed
//! with algorithm 3 under `SK-AC = CSK(MK-AC, ATC || 0000 || UN)`, UN from CDOL1's 9F37.

use emv::Tag;
use emv::apdu::{AcReference, AcType, Command, StatusWord};
use emv::dol::{data_len, split_dol_data};
use paysec::emv::{CryptogramPadding, ac_diversification, derive_common_session_key};
use sha1::{Digest, Sha1};

use super::auth::{DECLINE, ICC_DYNAMIC_NUMBER_LEN, arc_approves};
use super::{Answer, Card, IssuerAuth, ok, sw};
use crate::encode::{put, wrap};
use crate::oda;
use crate::profile::{AcPadding, OdaMethod};

/// Tag of the unpredictable number.
const UN_TAG: Tag = Tag::new(0x9F37);
/// Tag of the authorisation response code.
const ARC_TAG: Tag = Tag::new(0x8A);
/// RFU bits of GENERATE AC P1 (b6, b4-b1).
const P1_RFU: u8 = 0x2F;

/// What one GENERATE AC produced, for the response.
struct Generated {
    ac_type: AcType,
    ac: [u8; 8],
    iad: Vec<u8>,
    cda: bool,
    /// Terminal dynamic data for CDA: the UN.
    un: [u8; 4],
    /// The CDOL2 data, in the CDA hash of the second GENERATE AC.
    cdol2_data: Option<Vec<u8>>,
}

fn four(value: Option<&[u8]>) -> Option<[u8; 4]> {
    let v = value?;
    let mut out = [0u8; 4];
    // A 9F37 of another length: keep its rightmost four bytes (right-aligned).
    for (o, b) in out.iter_mut().rev().zip(v.iter().rev()) {
        *o = *b;
    }
    Some(out)
}

impl Card {
    pub(super) fn generate_ac(&mut self, cmd: &Command) -> Answer {
        if cmd.p2 != 0 || cmd.p1 & P1_RFU != 0 {
            return sw(StatusWord::WRONG_P1_P2);
        }
        let Some(reference) = AcReference::from_p1(cmd.p1) else {
            return sw(StatusWord::WRONG_P1_P2);
        };
        if !self.session.initiated {
            return sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        let generated = match (self.session.first_ac, self.session.second_ac) {
            (None, _) => self.first_ac(reference, &cmd.data),
            (Some(AcType::Arqc), None) => self.second_ac(reference, &cmd.data),
            _ => Err(StatusWord::CONDITIONS_NOT_SATISFIED),
        };
        match generated.and_then(|g| self.ac_response(&g)) {
            Ok(r) => ok(r),
            Err(s) => sw(s),
        }
    }

    fn padding(&self) -> CryptogramPadding {
        match self.image.profile.padding {
            AcPadding::Method1 => CryptogramPadding::Method1,
            AcPadding::Method2 => CryptogramPadding::Method2,
        }
    }

    /// The card's first action analysis: never more than the terminal asked for
    /// (AAC < TC < ARQC), online when offline is not allowed or risky.
    fn first_decision(&mut self, asked: AcType) -> AcType {
        let p = &self.image.profile;
        let st = &self.state;
        let pin_blocked = p.pin.is_some() && st.pin_try_counter == 0;
        match asked {
            _ if st.app_blocked => DECLINE,
            AcType::Aac => AcType::Aac,
            AcType::Arqc => AcType::Arqc,
            AcType::Tc => {
                if !p.offline_capable {
                    AcType::Arqc
                } else if st.consecutive_offline >= p.lcol {
                    self.session.velocity_exceeded = true;
                    AcType::Arqc
                } else if st.last_issuer_auth_failed || st.last_online_incomplete || pin_blocked {
                    AcType::Arqc
                } else {
                    AcType::Tc
                }
            }
        }
    }

    fn first_ac(&mut self, reference: AcReference, data: &[u8]) -> Result<Generated, StatusWord> {
        if data.len() != data_len(&self.image.cdol1) {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let values =
            split_dol_data(&self.image.cdol1, data).map_err(|_| StatusWord::WRONG_LENGTH)?;
        let un = four(values.iter().find(|(t, _)| *t == UN_TAG).map(|(_, v)| *v)).unwrap_or([0; 4]);
        let ac_type = self.first_decision(reference.ac);
        let atc = self.state.atc;
        let sk = derive_common_session_key(&self.image.mk_ac, ac_diversification(atc, un))
            .map_err(|_| StatusWord::UNKNOWN_ERROR)?;
        let cvr = self.cvr(Some(ac_type), None);
        let mut input = data.to_vec();
        input.extend_from_slice(&self.image.aip);
        input.extend_from_slice(&atc.to_be_bytes());
        input.extend_from_slice(&cvr.0);
        let ac = paysec::emv::generate_ac(&sk, &input, self.padding())
            .map_err(|_| StatusWord::UNKNOWN_ERROR)?;
        if ac_type == AcType::Tc {
            self.state.consecutive_offline = self.state.consecutive_offline.saturating_add(1);
        }
        self.session.first_ac = Some(ac_type);
        self.session.arqc = (ac_type == AcType::Arqc).then_some(ac);
        self.session.sk_ac = Some(sk);
        self.session.cdol1_data = data.to_vec();
        self.session.un = un;
        Ok(Generated {
            ac_type,
            ac,
            iad: self.iad(cvr),
            cda: reference.cda && ac_type != AcType::Aac,
            un,
            cdol2_data: None,
        })
    }

    fn second_ac(&mut self, reference: AcReference, data: &[u8]) -> Result<Generated, StatusWord> {
        if reference.ac == AcType::Arqc {
            return Err(StatusWord::WRONG_P1_P2);
        }
        if data.len() != data_len(&self.image.cdol2) {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let values =
            split_dol_data(&self.image.cdol2, data).map_err(|_| StatusWord::WRONG_LENGTH)?;
        let arc = values
            .iter()
            .find(|(t, _)| *t == ARC_TAG)
            .and_then(|(_, v)| <[u8; 2]>::try_from(*v).ok())
            .unwrap_or(*b"00");
        let un = four(values.iter().find(|(t, _)| *t == UN_TAG).map(|(_, v)| *v))
            .unwrap_or(self.session.un);
        let p = &self.image.profile;
        let offline = &arc == b"Y3" || &arc == b"Z3";
        let pin_blocked = p.pin.is_some() && self.state.pin_try_counter == 0;
        let ac_type = if reference.ac == AcType::Aac || self.state.app_blocked {
            AcType::Aac
        } else if offline {
            self.session.unable_to_go_online = true;
            let allowed = &arc == b"Y3"
                && p.offline_capable
                && self.state.consecutive_offline < p.ucol
                && !pin_blocked;
            if allowed { AcType::Tc } else { AcType::Aac }
        } else if self.session.issuer_auth == IssuerAuth::Failed || !arc_approves(arc) {
            AcType::Aac
        } else {
            AcType::Tc
        };
        let Some(sk) = self.session.sk_ac.clone() else {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
        };
        let atc = self.state.atc;
        let cvr = self.cvr(self.session.first_ac, Some(ac_type));
        let mut input = data.to_vec();
        input.extend_from_slice(&self.image.aip);
        input.extend_from_slice(&atc.to_be_bytes());
        input.extend_from_slice(&cvr.0);
        let ac = paysec::emv::generate_ac(&sk, &input, self.padding())
            .map_err(|_| StatusWord::UNKNOWN_ERROR)?;
        self.state.last_online_incomplete = false;
        if offline {
            if ac_type == AcType::Tc {
                self.state.consecutive_offline = self.state.consecutive_offline.saturating_add(1);
            }
        } else {
            self.state.last_online_atc = atc;
            if self.session.issuer_auth == IssuerAuth::Passed {
                self.state.last_issuer_auth_failed = false;
            }
            if ac_type == AcType::Tc {
                self.state.consecutive_offline = 0;
            }
        }
        self.session.second_ac = Some(ac_type);
        Ok(Generated {
            ac_type,
            ac,
            iad: self.iad(cvr),
            cda: reference.cda && ac_type != AcType::Aac,
            un,
            cdol2_data: Some(data.to_vec()),
        })
    }

    /// Format 2 response: 77 { 9F27 CID, 9F36 ATC, 9F26 AC | 9F4B SDAD, 9F10 IAD }.
    fn ac_response(&mut self, g: &Generated) -> Result<Vec<u8>, StatusWord> {
        let err = |_| StatusWord::UNKNOWN_ERROR;
        let cid = g.ac_type.bits();
        let atc = self.state.atc.to_be_bytes();
        let mut cid_tlv = Vec::new();
        put(&mut cid_tlv, 0x9F27, &[cid]).map_err(err)?;
        let mut atc_tlv = Vec::new();
        put(&mut atc_tlv, 0x9F36, &atc).map_err(err)?;
        let mut iad_tlv = Vec::new();
        put(&mut iad_tlv, 0x9F10, &g.iad).map_err(err)?;
        let cda_key = match (&self.image.icc_key, self.image.profile.oda) {
            (Some(k), OdaMethod::Cda) if g.cda => Some(k.clone()),
            _ => None,
        };
        let mut body = Vec::new();
        body.extend_from_slice(&cid_tlv);
        body.extend_from_slice(&atc_tlv);
        match cda_key {
            Some(icc) => {
                // Book 2 §6.6.1: the transaction data hash covers PDOL data, CDOL1 data,
                // CDOL2 data (second GENERATE AC) and the response TLVs but the signature.
                let mut h = Sha1::new();
                h.update(&self.session.pdol_data);
                h.update(&self.session.cdol1_data);
                if let Some(d) = &g.cdol2_data {
                    h.update(d);
                }
                h.update(&cid_tlv);
                h.update(&atc_tlv);
                h.update(&iad_tlv);
                let tdhc: [u8; 20] = h.finalize().into();
                let number = self.random::<ICC_DYNAMIC_NUMBER_LEN>();
                let mut dynamic = vec![ICC_DYNAMIC_NUMBER_LEN as u8];
                dynamic.extend_from_slice(&number);
                dynamic.push(cid);
                dynamic.extend_from_slice(&g.ac);
                dynamic.extend_from_slice(&tdhc);
                let sdad = oda::signed_dynamic_data(&icc, &dynamic, &g.un).map_err(err)?;
                put(&mut body, 0x9F4B, &sdad).map_err(err)?;
            }
            None => put(&mut body, 0x9F26, &g.ac).map_err(err)?,
        }
        body.extend_from_slice(&iad_tlv);
        wrap(0x77, &body).map_err(err)
    }
}
