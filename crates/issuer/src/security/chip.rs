//! Chip (EMV) authorisations: the ARQC in field 55 verified in the HSM from the issuer master
//! key, and the ARPC that proves the issuer's answer to the card.
//!
//! Cryptogram versions (the CVN, IAD byte 3, as posnet's cards write `06 01 CVN CVR(4)`):
//! 0x0A (10) and 0x12 (18), both over the fixed data of Visa's CVN 10/18 —
//! `9F02 || 9F03 || 9F1A || 95 || 5F2A || 9A || 9C || 9F37 || 82 || 9F36 || CVR` — under the
//! EMV common session key `SK-AC = CSK(MK-AC, ATC || 0000 || UN)`, MK-AC by option A from
//! the IMK; CVN 10 pads by ISO 9797-1 method 1, CVN 18 by method 2. The ARPC is method 1
//! (`ARPC = DES3(SK-AC)[ARQC ⊕ ARC || 00…]`), returned as tag 91 `ARPC || ARC`, ARC being the
//! answer's field 39.

use emv::Tag;
use emv::tlv;
use hsm::{ArpcMethod, CardKeyRef, IccMasterKeyOption, SessionKeyDerivation};
use iso8583::ResponseCode;
use paysec::Pan;
use paysec::emv::CryptogramPadding;

use super::SecurityError;
use super::zone::Security;

/// The issuer master key for application cryptograms, as named in the issuer's HSM.
pub const IMK_AC: &str = "imk-ac";

/// Issuer authentication data (ARPC || ARC) in an answer's field 55.
const ISSUER_AUTHENTICATION_DATA: u32 = 0x91;

/// What an ARQC is checked with, read from a request's field 55.
#[derive(Clone, PartialEq, Eq)]
pub struct ChipAuth {
    pan: String,
    psn: Option<u8>,
    atc: u16,
    un: [u8; 4],
    arqc: [u8; 8],
    padding: CryptogramPadding,
    /// The cryptogram's input data.
    data: Vec<u8>,
    /// 9F27, the cryptogram information data: which cryptogram 9F26 is.
    cid: u8,
    /// 9F02 and 5F2A: the amount and currency the card signed.
    amount_minor: u64,
    currency: u16,
}

impl std::fmt::Debug for ChipAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChipAuth")
            .field("atc", &self.atc)
            .field("psn", &self.psn)
            .finish_non_exhaustive()
    }
}

fn value<'a>(nodes: &'a [tlv::Tlv<'a>], tag: u32) -> Option<&'a [u8]> {
    nodes
        .iter()
        .find(|t| t.tag == Tag::new(tag))
        .map(|t| t.value)
}

fn fixed<const N: usize>(nodes: &[tlv::Tlv<'_>], tag: u32, name: &str) -> Result<[u8; N], String> {
    let v = value(nodes, tag).ok_or_else(|| format!("field 55 lacks {tag:X} ({name})"))?;
    <[u8; N]>::try_from(v)
        .map_err(|_| format!("field 55: {tag:X} ({name}) is {} bytes, not {N}", v.len()))
}

/// Reads what verifying the ARQC takes from field 55 of a request for card `pan`.
pub fn chip_auth(field55: &[u8], pan: &str) -> Result<ChipAuth, String> {
    let nodes = tlv::parse_all(field55).map_err(|e| format!("field 55: {e}"))?;
    let arqc: [u8; 8] = fixed(&nodes, 0x9F26, "application cryptogram")?;
    let atc: [u8; 2] = fixed(&nodes, 0x9F36, "ATC")?;
    let un: [u8; 4] = fixed(&nodes, 0x9F37, "unpredictable number")?;
    let iad = value(&nodes, 0x9F10).ok_or("field 55 lacks 9F10 (issuer application data)")?;
    // 06 01 CVN CVR(4)
    let (cvn, cvr) = match iad {
        [0x06, _, cvn, cvr @ ..] if cvr.len() >= 4 => (*cvn, cvr.get(..4).unwrap_or_default()),
        _ => return Err("field 55: 9F10 is not `06 01 CVN CVR(4)`".into()),
    };
    let padding = match cvn {
        0x0A => CryptogramPadding::Method1,
        0x12 => CryptogramPadding::Method2,
        other => {
            return Err(format!(
                "field 55: cryptogram version {other:#04X} is not supported (10 or 18)"
            ));
        }
    };
    let amount: [u8; 6] = fixed(&nodes, 0x9F02, "amount, authorised")?;
    let currency: [u8; 2] = fixed(&nodes, 0x5F2A, "transaction currency code")?;
    let amount_minor = bcd(&amount).ok_or("field 55: 9F02 is not BCD")?;
    let currency_code = bcd(&currency).ok_or("field 55: 5F2A is not BCD")?;
    let mut data = Vec::with_capacity(48);
    data.extend_from_slice(&amount);
    data.extend_from_slice(&value(&nodes, 0x9F03).map_or([0u8; 6].to_vec(), <[u8]>::to_vec));
    data.extend_from_slice(&fixed::<2>(&nodes, 0x9F1A, "terminal country code")?);
    data.extend_from_slice(&fixed::<5>(&nodes, 0x95, "TVR")?);
    data.extend_from_slice(&currency);
    data.extend_from_slice(&fixed::<3>(&nodes, 0x9A, "transaction date")?);
    data.extend_from_slice(&fixed::<1>(&nodes, 0x9C, "transaction type")?);
    data.extend_from_slice(&un);
    data.extend_from_slice(&fixed::<2>(&nodes, 0x82, "AIP")?);
    data.extend_from_slice(&atc);
    data.extend_from_slice(cvr);
    let psn = match value(&nodes, 0x5F34) {
        Some([n]) => Some(*n),
        Some(_) => return Err("field 55: 5F34 (PAN sequence number) is not 1 byte".into()),
        None => None,
    };
    Ok(ChipAuth {
        pan: pan.to_string(),
        psn,
        atc: u16::from_be_bytes(atc),
        un,
        arqc,
        padding,
        data,
        amount_minor,
        cid: value(&nodes, 0x9F27)
            .and_then(|v| v.first().copied())
            .unwrap_or(0x80),
        currency: u16::try_from(currency_code).map_err(|_| "field 55: 5F2A out of range")?,
    })
}

/// A BCD number.
fn bcd(bytes: &[u8]) -> Option<u64> {
    bytes.iter().try_fold(0u64, |acc, b| {
        let (hi, lo) = (u64::from(b >> 4), u64::from(b & 0x0F));
        (hi < 10 && lo < 10).then(|| acc * 100 + hi * 10 + lo)
    })
}

impl ChipAuth {
    /// Whether the cryptogram is a TC (the card approved offline), by 9F27 bits 8–7 = 01.
    pub fn is_tc(&self) -> bool {
        self.cid & 0xC0 == 0x40
    }

    /// Whether the card signed this amount (minor units) and ISO 4217 currency.
    pub fn signed(&self, amount_minor: u64, currency: u16) -> bool {
        self.amount_minor == amount_minor && self.currency == currency
    }

    fn card<'a>(&self, pan: &'a Pan) -> CardKeyRef<'a> {
        CardKeyRef {
            imk: IMK_AC,
            pan,
            psn: self.psn,
            option: IccMasterKeyOption::A,
            session: SessionKeyDerivation::Common {
                atc: self.atc,
                unpredictable_number: self.un,
            },
        }
    }

    /// The card's application transaction counter (9F36).
    pub(crate) fn atc(&self) -> u16 {
        self.atc
    }

    /// The cryptogram (9F26).
    pub(crate) fn arqc(&self) -> &[u8; 8] {
        &self.arqc
    }

    /// The PAN sequence number (5F34).
    pub(crate) fn psn(&self) -> Option<u8> {
        self.psn
    }

    pub(crate) fn pan(&self) -> Result<Pan, SecurityError> {
        Pan::new(&self.pan).map_err(|e| SecurityError::Input {
            what: "PAN",
            reason: e.to_string(),
        })
    }
}

impl Security {
    /// Whether the ARQC is the card's: `Ok(false)` for a cryptogram that does not verify.
    pub fn verify_arqc(&self, chip: &ChipAuth) -> Result<bool, SecurityError> {
        let pan = chip.pan()?;
        self.with_hsm(|h| h.verify_arqc(&chip.card(&pan), &chip.data, chip.padding, &chip.arqc))?
            .map_err(SecurityError::hsm("verifying the ARQC"))
    }
}

/// Field 55 of the answer: tag 91 with the ARPC for answer code `code`.
pub fn arpc_field55(
    security: &Security,
    chip: &ChipAuth,
    code: ResponseCode,
) -> Result<Vec<u8>, SecurityError> {
    let pan = chip.pan()?;
    let arc: [u8; 2] = *code.as_bytes();
    let arpc = security
        .with_hsm(|h| h.generate_arpc(&chip.card(&pan), &chip.arqc, &ArpcMethod::Method1 { arc }))?
        .map_err(SecurityError::hsm("making the ARPC"))?;
    let mut value = arpc;
    value.extend_from_slice(&arc);
    let mut out = Vec::with_capacity(12);
    tlv::write(Tag::new(ISSUER_AUTHENTICATION_DATA), &value, &mut out).map_err(|e| {
        SecurityError::Input {
            what: "ARPC",
            reason: e.to_string(),
        }
    })?;
    Ok(out)
}

/// What a reversal's field 55 says of the card's last word, for the issuer's log: the
/// cryptogram type it ended with (9F27) and the results of the issuer's scripts (9F5B).
pub fn card_outcome(field55: &[u8]) -> Option<String> {
    let nodes = tlv::parse_all(field55).ok()?;
    let cid = value(&nodes, 0x9F27).and_then(|v| v.first().copied());
    let kind = cid.map(|c| match c & 0xC0 {
        0x00 => "AAC",
        0x40 => "TC",
        0x80 => "ARQC",
        _ => "RFU",
    });
    let scripts = value(&nodes, 0x9F5B).map(paysec::hex::encode_upper);
    match (kind, scripts) {
        (None, None) => None,
        (Some(k), None) => Some(format!("the card's last cryptogram: {k}")),
        (None, Some(s)) => Some(format!("issuer script results {s}")),
        (Some(k), Some(s)) => Some(format!(
            "the card's last cryptogram: {k}; issuer script results {s}"
        )),
    }
}
