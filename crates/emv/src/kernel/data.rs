//! The transaction's data objects: what the card gave (ICC data store) and what the terminal
//! supplies, for building DOL data and field 55.

use std::collections::BTreeMap;

use sha1::{Digest, Sha1};

use crate::dol;
use crate::tags;
use crate::tlv::{self, Tag};

use super::machine::Kernel;

/// Issuer Script Results (9F5B), absent from the dictionary because the terminal makes it.
pub(crate) const ISSUER_SCRIPT_RESULTS: Tag = Tag::new(0x9F5B);

/// Tags sent in field 55 when present (the common set acquirers ask for).
const FIELD55_TAGS: [Tag; 19] = [
    tags::APPLICATION_CRYPTOGRAM,
    tags::CRYPTOGRAM_INFORMATION_DATA,
    tags::ISSUER_APPLICATION_DATA,
    tags::UNPREDICTABLE_NUMBER,
    tags::ATC,
    tags::TVR,
    tags::TRANSACTION_DATE,
    tags::TRANSACTION_TYPE,
    tags::AMOUNT_AUTHORISED_NUMERIC,
    tags::TRANSACTION_CURRENCY_CODE,
    tags::AIP,
    tags::TERMINAL_COUNTRY_CODE,
    tags::AMOUNT_OTHER_NUMERIC,
    tags::TERMINAL_CAPABILITIES,
    tags::CVM_RESULTS,
    tags::TERMINAL_TYPE,
    tags::DF_NAME,
    tags::APPLICATION_VERSION_NUMBER_TERMINAL,
    tags::PAN_SEQUENCE_NUMBER,
];

/// An amount in minor units as n12 (6 bytes BCD).
pub(crate) fn amount_n12(amount_minor: u64) -> [u8; 6] {
    let mut out = [0u8; 6];
    let mut rest = amount_minor % 1_000_000_000_000;
    for byte in out.iter_mut().rev() {
        let low = (rest % 10) as u8;
        rest /= 10;
        let high = (rest % 10) as u8;
        rest /= 10;
        *byte = (high << 4) | low;
    }
    out
}

/// A big-endian unsigned value of up to 8 bytes.
pub(crate) fn be_u64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

impl Kernel {
    /// The terminal's data objects at this moment.
    pub(crate) fn terminal_data(&self) -> BTreeMap<Tag, Vec<u8>> {
        let t = &self.transaction;
        let c = &self.config;
        let mut m = BTreeMap::new();
        m.insert(
            tags::AMOUNT_AUTHORISED_NUMERIC,
            amount_n12(t.amount_minor).to_vec(),
        );
        m.insert(
            tags::AMOUNT_OTHER_NUMERIC,
            amount_n12(t.other_amount_minor).to_vec(),
        );
        m.insert(
            tags::AMOUNT_AUTHORISED_BINARY,
            (t.amount_minor.min(u64::from(u32::MAX)) as u32)
                .to_be_bytes()
                .to_vec(),
        );
        m.insert(tags::TRANSACTION_CURRENCY_CODE, t.currency_code.to_vec());
        m.insert(
            tags::TRANSACTION_CURRENCY_EXPONENT,
            vec![t.currency_exponent],
        );
        m.insert(tags::TRANSACTION_DATE, t.date.to_bcd().to_vec());
        m.insert(tags::TRANSACTION_TIME, t.time.to_vec());
        m.insert(tags::TRANSACTION_TYPE, vec![t.kind.code()]);
        m.insert(
            tags::TRANSACTION_SEQUENCE_COUNTER,
            t.sequence_counter.to_vec(),
        );
        m.insert(
            tags::UNPREDICTABLE_NUMBER,
            self.unpredictable_number.to_vec(),
        );
        m.insert(tags::TVR, self.tvr.to_bytes().to_vec());
        m.insert(tags::TSI, self.tsi.to_bytes().to_vec());
        m.insert(tags::CVM_RESULTS, self.cvm_results.to_vec());
        m.insert(tags::TERMINAL_TYPE, vec![c.terminal_type]);
        m.insert(tags::TERMINAL_CAPABILITIES, c.capabilities.to_vec());
        m.insert(
            tags::ADDITIONAL_TERMINAL_CAPABILITIES,
            c.additional_capabilities.to_vec(),
        );
        m.insert(tags::TERMINAL_COUNTRY_CODE, c.country_code.to_vec());
        m.insert(tags::IFD_SERIAL_NUMBER, c.ifd_serial.to_vec());
        m.insert(
            tags::MERCHANT_CATEGORY_CODE,
            c.merchant_category_code.to_vec(),
        );
        if let Some(aid) = self.aid_config() {
            m.insert(
                tags::APPLICATION_VERSION_NUMBER_TERMINAL,
                aid.application_version.to_vec(),
            );
            m.insert(
                tags::TERMINAL_FLOOR_LIMIT,
                (aid.floor_limit_minor.min(u64::from(u32::MAX)) as u32)
                    .to_be_bytes()
                    .to_vec(),
            );
        }
        if let Some(hash) = &self.tc_hash {
            m.insert(tags::TC_HASH_VALUE, hash.clone());
        }
        if let Some(code) = self.response_code {
            m.insert(tags::AUTHORISATION_RESPONSE_CODE, code.to_vec());
        }
        if let Some(iad) = &self.issuer_authentication_data {
            m.insert(tags::ISSUER_AUTHENTICATION_DATA, iad.clone());
        }
        m
    }

    /// DOL data for `dol` (raw DOL bytes): terminal data first, then the card's.
    pub(crate) fn build_dol(&self, dol_bytes: &[u8]) -> Result<Vec<u8>, dol::DolError> {
        let entries = dol::parse_dol(dol_bytes)?;
        let terminal = self.terminal_data();
        Ok(dol::build_dol_data(&entries, |tag| {
            terminal
                .get(&tag)
                .or_else(|| self.card.get(&tag))
                .map(Vec::as_slice)
        }))
    }

    /// Computes the TC Hash Value (98) when `cdol` asks for it (Book 3 section 5.4.5 and
    /// Book 2 Annex B3): SHA-1 of the TDOL-related data, from the card's TDOL or the
    /// terminal's default (then TVR "Default TDOL used" is set).
    pub(crate) fn prepare_tc_hash(&mut self, cdol: &[u8]) {
        let wants_hash = dol::parse_dol(cdol)
            .map(|entries| entries.iter().any(|e| e.tag == tags::TC_HASH_VALUE))
            .unwrap_or(false);
        if !wants_hash {
            return;
        }
        let tdol = match self.card_value(tags::TDOL) {
            Some(tdol) => tdol.to_vec(),
            None => {
                let default = self
                    .aid_config()
                    .map(|a| a.default_tdol.clone())
                    .unwrap_or_default();
                if !default.is_empty() {
                    self.tvr.set(crate::tvr::TvrBit::DefaultTdolUsed);
                }
                default
            }
        };
        let data = self.build_dol(&tdol).unwrap_or_default();
        let mut hash = Sha1::new();
        hash.update(&data);
        self.tc_hash = Some(hash.finalize().to_vec());
    }

    /// A card data object.
    pub(crate) fn card_value(&self, tag: Tag) -> Option<&[u8]> {
        self.card.get(&tag).map(Vec::as_slice)
    }

    /// Field 55: the [`FIELD55_TAGS`] present, terminal's value first.
    pub(crate) fn field55(&self) -> Vec<u8> {
        let terminal = self.terminal_data();
        let mut out = Vec::new();
        for tag in FIELD55_TAGS {
            let value = terminal.get(&tag).or_else(|| self.card.get(&tag));
            if let Some(value) = value {
                // Values are at most a few bytes; a write error cannot happen here.
                let _ = tlv::write(tag, value, &mut out);
            }
        }
        if !self.script_results.is_empty() {
            let _ = tlv::write(ISSUER_SCRIPT_RESULTS, &self.script_results, &mut out);
        }
        out
    }

    /// Stores the primitive objects found in `data` (descending into templates). Returns the
    /// first tag that was already present, for callers where duplicates are an error.
    pub(crate) fn store_card_data(&mut self, data: &[u8]) -> Result<Option<Tag>, tlv::TlvError> {
        let nodes = tlv::parse_nested(data)?;
        let mut duplicate = None;
        let mut stack: Vec<&tlv::TlvNode<'_>> = nodes.iter().rev().collect();
        while let Some(node) = stack.pop() {
            if node.tlv.tag.is_constructed() {
                stack.extend(node.children.iter().rev());
                continue;
            }
            if self.card.contains_key(&node.tlv.tag) && duplicate.is_none() {
                duplicate = Some(node.tlv.tag);
            }
            self.card.insert(node.tlv.tag, node.tlv.value.to_vec());
        }
        Ok(duplicate)
    }
}
