//! Initiate application processing, read application data, offline data authentication and
//! processing restrictions (EMV Book 3 sections 10.1–10.4).

use super::machine::{Kernel, OdaMethod, State};
use super::oda::{self, OdaError};
use super::step::Step;
use super::{Date, Reason, TransactionType};
use crate::aip::{Aip, AipBit};
use crate::apdu::{self, Response, StatusWord};
use crate::auc::{Auc, AucBit};
use crate::tags;
use crate::tlv::{self, Tag};
use crate::tvr::{TsiBit, TvrBit};

/// Mandatory data objects every EMV application gives (Book 3 section 7.2).
const MANDATORY: [Tag; 4] = [
    tags::APPLICATION_EXPIRATION_DATE,
    tags::PAN,
    tags::CDOL1,
    tags::CDOL2,
];

impl Kernel {
    pub(crate) fn initiate_processing(&mut self) -> Step {
        let pdol = self.card_value(tags::PDOL).map(<[u8]>::to_vec);
        let pdol_data = match pdol.map(|p| self.build_dol(&p)).transpose() {
            Ok(data) => data.unwrap_or_default(),
            Err(e) => return self.malformed(format!("PDOL: {e}")),
        };
        match apdu::get_processing_options(&pdol_data) {
            Ok(command) => {
                self.pdol_data = pdol_data;
                self.send(State::Gpo, command)
            }
            Err(e) => self.malformed(format!("PDOL data: {e}")),
        }
    }

    pub(crate) fn aip(&self) -> Aip {
        self.card_value(tags::AIP)
            .and_then(|v| Aip::from_slice(v).ok())
            .unwrap_or_default()
    }

    pub(crate) fn on_gpo(&mut self, response: Response) -> Step {
        if response.sw == StatusWord::CONDITIONS_NOT_SATISFIED {
            return self.reselect();
        }
        if !response.sw.is_success() {
            return self.card_status(response.sw);
        }
        let (aip, afl) = match tlv::parse_all(&response.data).as_deref() {
            Ok([object]) if object.tag == tags::RESPONSE_TEMPLATE_FORMAT_1 => {
                match object.value.split_first_chunk::<2>() {
                    Some((aip, afl)) => (aip.to_vec(), afl.to_vec()),
                    None => return self.malformed("format 1 answer shorter than the AIP"),
                }
            }
            Ok([object]) if object.tag == tags::RESPONSE_TEMPLATE_FORMAT_2 => {
                if let Err(e) = self.store_card_data(&response.data) {
                    return self.malformed(e.to_string());
                }
                match (self.card_value(tags::AIP), self.card_value(tags::AFL)) {
                    (Some(aip), Some(afl)) => (aip.to_vec(), afl.to_vec()),
                    _ => return self.malformed("format 2 answer without AIP or AFL"),
                }
            }
            Ok(_) => return self.malformed("not one format 1 or format 2 template"),
            Err(e) => return self.malformed(e.to_string()),
        };
        if aip.len() != 2 {
            return self.malformed("AIP is not 2 bytes");
        }
        let mut entries = Vec::new();
        for chunk in afl.chunks(4) {
            let Ok(entry) = <[u8; 4]>::try_from(chunk) else {
                return self.malformed("AFL length is not a multiple of 4");
            };
            let [sfi_byte, first, last, oda] = entry;
            let sfi = sfi_byte >> 3;
            let valid = (1..=30).contains(&sfi)
                && first >= 1
                && last >= first
                && u16::from(oda) <= u16::from(last - first) + 1;
            if !valid {
                return self.malformed("AFL entry out of range");
            }
            entries.push(entry);
        }
        if entries.is_empty() {
            return self.malformed("empty AFL");
        }
        self.card.insert(tags::AIP, aip);
        self.card.insert(tags::AFL, afl);
        self.afl = entries;
        self.read_next_record(0, None)
    }

    /// Reads the record after (`entry`, `record`), or the first one when `record` is `None`.
    fn read_next_record(&mut self, mut entry: usize, record: Option<u8>) -> Step {
        let mut next = record.map(|r| r.saturating_add(1));
        loop {
            let Some([sfi_byte, first, last, _]) = self.afl.get(entry).copied() else {
                return self.after_records();
            };
            let number = next.unwrap_or(first);
            if number <= last && number >= first {
                return self.send(
                    State::ReadRecord {
                        entry,
                        record: number,
                    },
                    apdu::read_record(number, sfi_byte >> 3),
                );
            }
            entry += 1;
            next = None;
        }
    }

    pub(crate) fn on_read_record(&mut self, entry: usize, record: u8, response: Response) -> Step {
        if !response.sw.is_success() {
            return self.card_status(response.sw);
        }
        let Some([sfi_byte, first, _, oda_count]) = self.afl.get(entry).copied() else {
            return self.after_records();
        };
        let sfi = sfi_byte >> 3;
        let is_template = matches!(
            tlv::parse_all(&response.data).as_deref(),
            Ok([object]) if object.tag == tags::READ_RECORD_RESPONSE_TEMPLATE
        );
        if sfi <= 10 && !is_template {
            return self.malformed(format!("record {record} of SFI {sfi} is not a 70 template"));
        }
        if u16::from(record) < u16::from(first) + u16::from(oda_count) {
            if sfi <= 10 {
                if let Ok(Some(value)) =
                    tlv::find(&response.data, tags::READ_RECORD_RESPONSE_TEMPLATE)
                {
                    self.static_data.extend_from_slice(value);
                }
            } else if is_template {
                self.static_data.extend_from_slice(&response.data);
            } else {
                self.static_data_error = true;
            }
        }
        if is_template {
            match self.store_card_data(&response.data) {
                Ok(None) => {}
                Ok(Some(tag)) => {
                    return self.malformed(format!("data object {:X} given twice", tag.raw()));
                }
                Err(e) => return self.malformed(e.to_string()),
            }
        }
        self.read_next_record(entry, Some(record))
    }

    fn after_records(&mut self) -> Step {
        if let Some(tag) = MANDATORY.iter().find(|t| !self.card.contains_key(t)) {
            self.tvr.set(TvrBit::IccDataMissing);
            return self.terminate(Reason::MissingData { tag: tag.raw() });
        }
        self.offline_data_authentication()
    }

    fn offline_data_authentication(&mut self) -> Step {
        let aip = self.aip();
        let c = &self.config;
        self.oda = if aip.is_set(AipBit::CdaSupported) && c.supports_cda() {
            OdaMethod::Cda
        } else if aip.is_set(AipBit::DdaSupported) && c.supports_dda() {
            OdaMethod::Dda
        } else if aip.is_set(AipBit::SdaSupported) && c.supports_sda() {
            OdaMethod::Sda
        } else {
            OdaMethod::None
        };
        match self.oda {
            OdaMethod::None => {
                self.tvr.set(TvrBit::OfflineDataAuthenticationNotPerformed);
                self.processing_restrictions()
            }
            OdaMethod::Sda => {
                self.tvr.set(TvrBit::SdaSelected);
                self.tsi.set(TsiBit::OfflineDataAuthenticationPerformed);
                if let Err(e) = self.run_sda() {
                    self.oda_failed(TvrBit::SdaFailed, &e);
                }
                self.processing_restrictions()
            }
            OdaMethod::Dda => {
                self.tsi.set(TsiBit::OfflineDataAuthenticationPerformed);
                match self.recover_icc_key().and_then(|_| self.ddol_data()) {
                    Ok(ddol_data) => self.send(
                        State::InternalAuthenticate {
                            ddol_data: ddol_data.clone(),
                        },
                        apdu::internal_authenticate(&ddol_data),
                    ),
                    Err(e) => {
                        self.oda_failed(TvrBit::DdaFailed, &e);
                        self.processing_restrictions()
                    }
                }
            }
            OdaMethod::Cda => {
                // The signature comes with GENERATE AC; the keys are recovered now.
                if let Err(e) = self.recover_icc_key() {
                    self.tsi.set(TsiBit::OfflineDataAuthenticationPerformed);
                    self.oda_failed(TvrBit::CdaFailed, &e);
                }
                self.processing_restrictions()
            }
        }
    }

    /// Sets the method's failure bit, and "ICC data missing" when a data object ODA needs
    /// was absent (Book 3 section 10.3).
    fn oda_failed(&mut self, bit: TvrBit, error: &OdaError) {
        self.tvr.set(bit);
        if matches!(error, OdaError::MissingData { .. }) {
            self.tvr.set(TvrBit::IccDataMissing);
        }
    }

    /// Static data to be authenticated: the ODA records then the 9F4A tags' values (only
    /// the AIP may be listed, Book 3 section 10.3).
    fn static_data(&self) -> Result<Vec<u8>, OdaError> {
        if self.static_data_error {
            return Err(OdaError::Format {
                what: "static data records",
            });
        }
        let mut data = self.static_data.clone();
        if let Some(list) = self.card_value(tags::SDA_TAG_LIST) {
            if list != [0x82] {
                return Err(OdaError::Format {
                    what: "SDA tag list",
                });
            }
            data.extend_from_slice(self.card_value(tags::AIP).unwrap_or(&[]));
        }
        Ok(data)
    }

    fn need(&self, tag: Tag) -> Result<&[u8], OdaError> {
        self.card_value(tag)
            .ok_or(OdaError::MissingData { tag: tag.raw() })
    }

    fn issuer_key(&self) -> Result<oda::PublicKey, OdaError> {
        let aid = self.need(tags::DF_NAME)?;
        let rid = aid.get(..5).unwrap_or(aid);
        let index = *self
            .need(tags::CA_PUBLIC_KEY_INDEX_ICC)?
            .first()
            .ok_or(OdaError::MissingData { tag: 0x8F })?;
        let capk = self
            .config
            .capk(rid, index)
            .ok_or_else(|| OdaError::CapkNotFound {
                rid: crate::hex::encode(rid),
                index,
            })?;
        oda::recover_issuer_key(
            capk,
            self.need(tags::ISSUER_PUBLIC_KEY_CERTIFICATE)?,
            self.card_value(tags::ISSUER_PUBLIC_KEY_REMAINDER)
                .unwrap_or(&[]),
            self.need(tags::ISSUER_PUBLIC_KEY_EXPONENT)?,
            self.need(tags::PAN)?,
            self.transaction.date,
        )
    }

    fn run_sda(&self) -> Result<(), OdaError> {
        let issuer = self.issuer_key()?;
        let static_data = self.static_data()?;
        oda::verify_ssad(
            &issuer,
            self.need(tags::SIGNED_STATIC_APPLICATION_DATA)?,
            &static_data,
        )
        .map(|_| ())
    }

    fn recover_icc_key(&mut self) -> Result<(), OdaError> {
        let issuer = self.issuer_key()?;
        let static_data = self.static_data()?;
        let key = oda::recover_icc_key(
            &issuer,
            self.need(tags::ICC_PUBLIC_KEY_CERTIFICATE)?,
            self.card_value(tags::ICC_PUBLIC_KEY_REMAINDER)
                .unwrap_or(&[]),
            self.need(tags::ICC_PUBLIC_KEY_EXPONENT)?,
            &static_data,
            self.need(tags::PAN)?,
            self.transaction.date,
        )?;
        self.icc_key = Some(key);
        Ok(())
    }

    /// DDOL data: the card's DDOL or the terminal's default; it must ask for 9F37.
    fn ddol_data(&self) -> Result<Vec<u8>, OdaError> {
        let ddol = match self.card_value(tags::DDOL) {
            Some(d) => d.to_vec(),
            None => self
                .aid_config()
                .map(|a| a.default_ddol.clone())
                .unwrap_or_default(),
        };
        let entries =
            crate::dol::parse_dol(&ddol).map_err(|_| OdaError::Format { what: "DDOL" })?;
        if !entries.iter().any(|e| e.tag == tags::UNPREDICTABLE_NUMBER) {
            return Err(OdaError::MissingData { tag: 0x9F37 });
        }
        self.build_dol(&ddol)
            .map_err(|_| OdaError::Format { what: "DDOL" })
    }

    pub(crate) fn on_internal_authenticate(
        &mut self,
        ddol_data: &[u8],
        response: Response,
    ) -> Step {
        let verified =
            response.sw.is_success() && self.check_dda(ddol_data, &response.data).is_ok();
        if !verified {
            self.tvr.set(TvrBit::DdaFailed);
        }
        self.processing_restrictions()
    }

    fn check_dda(&mut self, ddol_data: &[u8], data: &[u8]) -> Result<(), OdaError> {
        let sdad = match tlv::parse_all(data).as_deref() {
            Ok([object]) if object.tag == tags::RESPONSE_TEMPLATE_FORMAT_1 => object.value.to_vec(),
            Ok([object]) if object.tag == tags::RESPONSE_TEMPLATE_FORMAT_2 => {
                tlv::find(data, tags::SIGNED_DYNAMIC_APPLICATION_DATA)
                    .ok()
                    .flatten()
                    .ok_or(OdaError::MissingData { tag: 0x9F4B })?
                    .to_vec()
            }
            _ => {
                return Err(OdaError::Format {
                    what: "INTERNAL AUTHENTICATE answer",
                });
            }
        };
        let key = self
            .icc_key
            .clone()
            .ok_or(OdaError::MissingData { tag: 0x9F46 })?;
        let number = oda::verify_dda(&key, &sdad, ddol_data)?;
        self.card.insert(tags::ICC_DYNAMIC_NUMBER, number);
        Ok(())
    }

    /// Book 3 section 10.4: application versions, usage control and dates.
    fn processing_restrictions(&mut self) -> Step {
        if let (Some(card), Some(terminal)) = (
            self.card_value(tags::APPLICATION_VERSION_NUMBER_ICC),
            self.aid_config().map(|a| a.application_version),
        ) && card != terminal
        {
            self.tvr.set(TvrBit::DifferentApplicationVersions);
        }
        if !self.usage_allowed() {
            self.tvr.set(TvrBit::ServiceNotAllowed);
        }
        let today = self.transaction.date;
        let date = |k: &Kernel, tag| k.card_value(tag).and_then(Date::from_bcd);
        if date(self, tags::APPLICATION_EFFECTIVE_DATE).is_some_and(|d| d > today) {
            self.tvr.set(TvrBit::ApplicationNotYetEffective);
        }
        match date(self, tags::APPLICATION_EXPIRATION_DATE) {
            Some(d) if d >= today => {}
            _ => self.tvr.set(TvrBit::ExpiredApplication),
        }
        self.begin_cvm()
    }

    /// AUC against the transaction (Book 3 section 10.4.2).
    fn usage_allowed(&self) -> bool {
        let Some(auc) = self
            .card_value(tags::AUC)
            .and_then(|v| Auc::from_slice(v).ok())
        else {
            return true;
        };
        let atm = matches!(self.config.terminal_type, 0x14..=0x16)
            && self
                .config
                .additional_capabilities
                .first()
                .is_some_and(|b| b & 0x80 != 0);
        let at_terminal = if atm {
            auc.is_set(AucBit::Atms)
        } else {
            auc.is_set(AucBit::TerminalsOtherThanAtms)
        };
        if !at_terminal {
            return false;
        }
        let Some(issuer_country) = self.card_value(tags::ISSUER_COUNTRY_CODE) else {
            return true;
        };
        let domestic = issuer_country == self.config.country_code;
        let (goods, services, cash, cashback) = if domestic {
            (
                AucBit::DomesticGoods,
                AucBit::DomesticServices,
                AucBit::DomesticCash,
                AucBit::DomesticCashback,
            )
        } else {
            (
                AucBit::InternationalGoods,
                AucBit::InternationalServices,
                AucBit::InternationalCash,
                AucBit::InternationalCashback,
            )
        };
        match self.transaction.kind {
            TransactionType::Purchase => auc.is_set(goods) || auc.is_set(services),
            TransactionType::Cash => auc.is_set(cash),
            TransactionType::Cashback => {
                (auc.is_set(goods) || auc.is_set(services)) && auc.is_set(cashback)
            }
        }
    }
}
