//! First GENERATE AC, online processing, issuer authentication, issuer scripts and the
//! second GENERATE AC (EMV Book 3 sections 9, 10.8–10.11).

use super::machine::{Kernel, OdaMethod, RunningScript, State};
use super::oda::{self, CdaInput};
use super::step::{HostResponse, OnlineRequest, Step};
use super::{Reason, TransactionResult};
use crate::aip::AipBit;
use crate::apdu::{self, AcReference, AcType, Command, Response};
use crate::tags;
use crate::tlv::{self, Tag};
use crate::tvr::{TsiBit, TvrBit};

fn ac_name(ac: AcType) -> &'static str {
    match ac {
        AcType::Aac => "AAC",
        AcType::Tc => "TC",
        AcType::Arqc => "ARQC",
    }
}

/// How far each cryptogram type goes towards approval: a card may answer with one that goes
/// less far than asked, never further (Book 3 section 9.3).
fn rank(ac: AcType) -> u8 {
    match ac {
        AcType::Aac => 0,
        AcType::Arqc => 1,
        AcType::Tc => 2,
    }
}

/// A GENERATE AC answer.
struct AcAnswer {
    cid: u8,
    ac: AcType,
    /// TLVs other than 9F4B, in order, for the CDA transaction data hash.
    tlvs_without_sdad: Vec<u8>,
    sdad: Option<Vec<u8>>,
}

impl Kernel {
    fn cda_requested(&self, ac: AcType) -> bool {
        self.oda == OdaMethod::Cda
            && self.icc_key.is_some()
            && !self.tvr.is_set(TvrBit::CdaFailed)
            && ac != AcType::Aac
    }

    pub(crate) fn first_generate_ac(&mut self, requested: AcType) -> Step {
        let Some(cdol1) = self.card_value(tags::CDOL1).map(<[u8]>::to_vec) else {
            return self.terminate(Reason::MissingData { tag: 0x8C });
        };
        self.prepare_tc_hash(&cdol1);
        let data = match self.build_dol(&cdol1) {
            Ok(d) => d,
            Err(e) => return self.malformed(format!("CDOL1: {e}")),
        };
        let cda = self.cda_requested(requested);
        self.cdol1_data = data.clone();
        self.send(
            State::FirstGenerateAc { requested, cda },
            apdu::generate_ac(AcReference { ac: requested, cda }, &data),
        )
    }

    /// Parses a GENERATE AC answer (format 1 or 2) and stores its data objects.
    fn parse_ac_answer(&mut self, data: &[u8]) -> Result<AcAnswer, String> {
        let objects = tlv::parse_all(data).map_err(|e| e.to_string())?;
        let [object] = objects.as_slice() else {
            return Err("not one response template".into());
        };
        // Gathered apart and stored only once valid: nothing may mix with the values of an
        // earlier answer, and a broken answer leaves the ARQC in place for a reversal.
        let mut found: Vec<(Tag, Vec<u8>)> = Vec::new();
        let mut tlvs_without_sdad = Vec::new();
        let mut sdad = None;
        if object.tag == tags::RESPONSE_TEMPLATE_FORMAT_1 {
            let v = object.value;
            let (Some(cid), Some(atc), Some(ac)) = (v.first(), v.get(1..3), v.get(3..11)) else {
                return Err("format 1 answer shorter than CID, ATC and AC".into());
            };
            found.push((tags::CRYPTOGRAM_INFORMATION_DATA, vec![*cid]));
            found.push((tags::ATC, atc.to_vec()));
            found.push((tags::APPLICATION_CRYPTOGRAM, ac.to_vec()));
            if let Some(iad) = v.get(11..).filter(|r| !r.is_empty()) {
                found.push((tags::ISSUER_APPLICATION_DATA, iad.to_vec()));
            }
        } else if object.tag == tags::RESPONSE_TEMPLATE_FORMAT_2 {
            for inner in tlv::parse_all(object.value).map_err(|e| e.to_string())? {
                if inner.tag == tags::SIGNED_DYNAMIC_APPLICATION_DATA {
                    sdad = Some(inner.value.to_vec());
                } else {
                    tlv::write(inner.tag, inner.value, &mut tlvs_without_sdad)
                        .map_err(|e| e.to_string())?;
                    found.push((inner.tag, inner.value.to_vec()));
                }
            }
        } else {
            return Err("not a format 1 or format 2 template".into());
        }
        let value = |tag: Tag| {
            found
                .iter()
                .find(|(t, _)| *t == tag)
                .map(|(_, v)| v.as_slice())
        };
        let cid = match value(tags::CRYPTOGRAM_INFORMATION_DATA) {
            Some([cid]) => *cid,
            _ => return Err("CID missing or not 1 byte".into()),
        };
        let ac = apdu::AcType::from_bits(cid).ok_or("CID has the RFU cryptogram type")?;
        if value(tags::ATC).map(<[u8]>::len) != Some(2) {
            return Err("ATC missing or not 2 bytes".into());
        }
        // With CDA the cryptogram travels inside the signature (Book 2 6.6.1), not as 9F26.
        let ac_len = value(tags::APPLICATION_CRYPTOGRAM).map(<[u8]>::len);
        if ac_len != Some(8) && !(ac_len.is_none() && sdad.is_some()) {
            return Err("application cryptogram missing or not 8 bytes".into());
        }
        if ac_len.is_none() {
            self.card.remove(&tags::APPLICATION_CRYPTOGRAM);
        }
        self.card.extend(found);
        Ok(AcAnswer {
            cid,
            ac,
            tlvs_without_sdad,
            sdad,
        })
    }

    /// Checks the CDA signature; `cdol2_data` for the second GENERATE AC.
    fn check_cda(
        &mut self,
        answer: &AcAnswer,
        cdol2_data: Option<&[u8]>,
    ) -> Result<(), oda::OdaError> {
        self.tsi.set(TsiBit::OfflineDataAuthenticationPerformed);
        let key = self
            .icc_key
            .clone()
            .ok_or(oda::OdaError::MissingData { tag: 0x9F46 })?;
        let sdad = answer
            .sdad
            .as_deref()
            .ok_or(oda::OdaError::MissingData { tag: 0x9F4B })?;
        let mut transaction_data = self.pdol_data.clone();
        transaction_data.extend_from_slice(&self.cdol1_data);
        if let Some(cdol2) = cdol2_data {
            transaction_data.extend_from_slice(cdol2);
        }
        transaction_data.extend_from_slice(&answer.tlvs_without_sdad);
        let signed_ac = oda::verify_cda(
            &key,
            &CdaInput {
                sdad,
                unpredictable_number: &self.unpredictable_number,
                cid: answer.cid,
                transaction_data: &transaction_data,
            },
        )?;
        self.card
            .insert(tags::APPLICATION_CRYPTOGRAM, signed_ac.to_vec());
        Ok(())
    }

    pub(crate) fn on_first_generate_ac(
        &mut self,
        requested: AcType,
        cda: bool,
        response: Response,
    ) -> Step {
        if !response.sw.is_success() {
            return self.card_status(response.sw);
        }
        let answer = match self.parse_ac_answer(&response.data) {
            Ok(a) => a,
            Err(detail) => return self.malformed(detail),
        };
        self.tsi.set(TsiBit::CardRiskManagementPerformed);
        if rank(answer.ac) > rank(requested) {
            return self.terminate(Reason::CryptogramType {
                step: "first GENERATE AC",
                requested: ac_name(requested),
                returned: ac_name(answer.ac),
            });
        }
        if cda
            && answer.ac != AcType::Aac
            && let Err(e) = self.check_cda(&answer, None)
        {
            self.tvr.set(TvrBit::CdaFailed);
            self.response_code = Some(*b"Z1");
            return self.finish(
                TransactionResult::DeclinedOffline,
                Some(Reason::CdaFailed(e)),
                Some(answer.cid),
            );
        }
        match answer.ac {
            AcType::Tc => {
                self.response_code = Some(*b"Y1");
                self.finish(TransactionResult::ApprovedOffline, None, Some(answer.cid))
            }
            AcType::Aac => {
                self.response_code = Some(*b"Z1");
                self.finish(TransactionResult::DeclinedOffline, None, Some(answer.cid))
            }
            AcType::Arqc => {
                self.state = State::AwaitHost;
                Step::GoOnline(OnlineRequest {
                    field55: self.field55(),
                    online_pin: self.online_pin,
                })
            }
        }
    }

    pub(crate) fn on_host(&mut self, host: Option<HostResponse>) -> Step {
        let Some(host) = host else {
            // Unable to go online: the default action codes decide (Book 3 10.7).
            let decline = self.default_action_declines();
            self.response_code = Some(if decline { *b"Z3" } else { *b"Y3" });
            return self.second_generate_ac(if decline { AcType::Aac } else { AcType::Tc });
        };
        self.response_code = Some(host.response_code);
        self.issuer_authentication_data = host.issuer_authentication_data.clone();
        self.host = Some(host);
        let supported = self.aip().is_set(AipBit::IssuerAuthenticationSupported);
        if let Some(iad) = self.issuer_authentication_data.clone()
            && supported
        {
            self.tsi.set(TsiBit::IssuerAuthenticationPerformed);
            let in_cdol2 = self
                .card_value(tags::CDOL2)
                .and_then(|d| crate::dol::parse_dol(d).ok())
                .is_some_and(|e| e.iter().any(|e| e.tag == tags::ISSUER_AUTHENTICATION_DATA));
            if !in_cdol2 {
                return self.send(
                    State::ExternalAuthenticate,
                    apdu::external_authenticate(&iad),
                );
            }
        }
        self.scripts_then(false)
    }

    pub(crate) fn on_external_authenticate(&mut self, response: Response) -> Step {
        if !response.sw.is_success() {
            self.tvr.set(TvrBit::IssuerAuthenticationFailed);
        }
        self.scripts_then(false)
    }

    /// Queues the host's scripts of template 71 (`after` false) or 72 and runs them.
    fn scripts_then(&mut self, after: bool) -> Step {
        let wanted = if after {
            tags::ISSUER_SCRIPT_TEMPLATE_2
        } else {
            tags::ISSUER_SCRIPT_TEMPLATE_1
        };
        let raw = self
            .host
            .as_ref()
            .map(|h| h.scripts.clone())
            .unwrap_or_default();
        self.scripts = tlv::parse_all(&raw)
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.tag == wanted)
            .map(|t| {
                let mut id = [0u8; 4];
                let mut commands = Vec::new();
                for inner in tlv::parse(t.value).map_while(Result::ok) {
                    if inner.tag == tags::ISSUER_SCRIPT_IDENTIFIER {
                        if let Ok(v) = <[u8; 4]>::try_from(inner.value) {
                            id = v;
                        }
                    } else if inner.tag == tags::ISSUER_SCRIPT_COMMAND {
                        commands.push(inner.value.to_vec());
                    }
                }
                RunningScript {
                    id,
                    commands,
                    next: 0,
                }
            })
            .collect();
        self.scripts.reverse();
        self.run_scripts(after)
    }

    /// Sends the next script command, or moves on when all scripts are done.
    fn run_scripts(&mut self, after: bool) -> Step {
        loop {
            let Some(script) = self.scripts.last_mut() else {
                return if after {
                    self.complete()
                } else {
                    self.after_scripts_before()
                };
            };
            self.tsi.set(TsiBit::ScriptProcessingPerformed);
            let Some(bytes) = script.commands.get(script.next).cloned() else {
                let id = script.id;
                self.scripts.pop();
                self.script_results.push(0x20);
                self.script_results.extend_from_slice(&id);
                continue;
            };
            script.next += 1;
            match Command::parse(&bytes) {
                Ok(command) => return self.send(State::Script { after }, command),
                Err(_) => self.script_command_failed(after),
            }
        }
    }

    /// Result byte: `1` (failed) and the failing command's sequence number (Book 3 Annex A).
    pub(crate) fn script_command_failed(&mut self, after: bool) {
        let Some(script) = self.scripts.pop() else {
            return;
        };
        let sequence = u8::try_from(script.next.min(15)).unwrap_or(15);
        self.script_results.push(0x10 | sequence);
        self.script_results.extend_from_slice(&script.id);
        self.tvr.set(if after {
            TvrBit::ScriptFailedAfterFinalGenerateAc
        } else {
            TvrBit::ScriptFailedBeforeFinalGenerateAc
        });
    }

    pub(crate) fn on_script_response(&mut self, after: bool, response: Response) -> Step {
        // 90xx, 62xx, 63xx go on (Book 3 10.10); anything else stops this script.
        if !matches!(response.sw.sw1(), 0x90 | 0x62 | 0x63) {
            self.script_command_failed(after);
        }
        self.run_scripts(after)
    }

    fn after_scripts_before(&mut self) -> Step {
        let approved = self.host.as_ref().is_some_and(HostResponse::approved);
        self.second_generate_ac(if approved { AcType::Tc } else { AcType::Aac })
    }

    fn second_generate_ac(&mut self, requested: AcType) -> Step {
        let Some(cdol2) = self.card_value(tags::CDOL2).map(<[u8]>::to_vec) else {
            return self.terminate(Reason::MissingData { tag: 0x8D });
        };
        self.prepare_tc_hash(&cdol2);
        let data = match self.build_dol(&cdol2) {
            Ok(d) => d,
            Err(e) => return self.malformed(format!("CDOL2: {e}")),
        };
        let cda = self.cda_requested(requested);
        self.pending_cdol2 = data.clone();
        self.send(
            State::SecondGenerateAc { requested, cda },
            apdu::generate_ac(AcReference { ac: requested, cda }, &data),
        )
    }

    pub(crate) fn on_second_generate_ac(
        &mut self,
        requested: AcType,
        cda: bool,
        response: Response,
    ) -> Step {
        if !response.sw.is_success() {
            return self.card_status(response.sw);
        }
        let answer = match self.parse_ac_answer(&response.data) {
            Ok(a) => a,
            Err(detail) => return self.malformed(detail),
        };
        if answer.ac == AcType::Arqc || rank(answer.ac) > rank(requested) {
            return self.terminate(Reason::CryptogramType {
                step: "second GENERATE AC",
                requested: ac_name(requested),
                returned: ac_name(answer.ac),
            });
        }
        let mut cda_error = None;
        if cda && answer.ac == AcType::Tc {
            let cdol2 = self.pending_cdol2.clone();
            if let Err(e) = self.check_cda(&answer, Some(&cdol2)) {
                self.tvr.set(TvrBit::CdaFailed);
                cda_error = Some(e);
            }
        }
        self.final_cid = Some(answer.cid);
        self.final_approved = answer.ac == AcType::Tc && cda_error.is_none();
        self.final_reason = cda_error.map(Reason::CdaFailed);
        self.scripts_then(true)
    }

    /// The outcome after the second GENERATE AC and the 72 scripts.
    pub(crate) fn complete(&mut self) -> Step {
        let cid = self.final_cid;
        let reason = self.final_reason.take();
        match (&self.host, self.final_approved) {
            (None, true) => self.finish(TransactionResult::ApprovedOffline, reason, cid),
            (None, false) => self.finish(
                TransactionResult::DeclinedOffline,
                reason.or(Some(Reason::UnableToGoOnline)),
                cid,
            ),
            (Some(_), true) => self.finish(TransactionResult::ApprovedOnline, reason, cid),
            (Some(host), false) if host.approved() => self.finish(
                TransactionResult::DeclinedByCardAfterApproval,
                reason.or(Some(Reason::CardDeclinedAfterApproval)),
                cid,
            ),
            (Some(_), false) => self.finish(TransactionResult::DeclinedOnline, reason, cid),
        }
    }
}
