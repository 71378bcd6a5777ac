//! Reading a request: which fields protocol.md makes mandatory for each MTI, and the typed
//! values the decisions need. Anything missing or unreadable is a format error (30) whose
//! reason names the field.

use iso8583::composite::original_data::OriginalData;
use iso8583::composite::track2::Track2;
use iso8583::{Message, ResponseCode};

use crate::key::Identity;
use crate::security::{PinBlock, parse_zone_control};

/// Fields a request must carry at the issuer (docs/protocol.md, "Messages and the fields each
/// carries"; field 32 is set by the gateway before the issuer sees the message).
const AUTH_FIELDS: &[usize] = &[3, 4, 7, 11, 12, 13, 22, 25, 32, 37, 41, 42, 49];
const OFFLINE_ADVICE_FIELDS: &[usize] = &[3, 4, 7, 11, 12, 13, 22, 25, 32, 37, 41, 42, 49, 55];
const COMPLETION_FIELDS: &[usize] = &[2, 3, 4, 7, 11, 12, 13, 22, 25, 32, 37, 38, 41, 42, 49, 90];
const REVERSAL_FIELDS: &[usize] = &[2, 3, 4, 7, 11, 12, 13, 22, 25, 32, 37, 41, 42, 49, 90];
const SETTLEMENT_FIELDS: &[usize] = &[3, 7, 11, 12, 13, 32, 41, 42, 49, 74, 76, 86, 88];
const NETWORK_FIELDS: &[usize] = &[7, 11, 70];

/// A request answered without reaching the ledger: code 30 or 12, with the reason for the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reject {
    pub code: ResponseCode,
    pub reason: String,
}

fn format_error(reason: impl Into<String>) -> Reject {
    Reject {
        code: ResponseCode::FORMAT_ERROR,
        reason: reason.into(),
    }
}

/// What kind of request, by MTI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// 0100 or 0200: pre-authorization, purchase, refund or balance (by processing code).
    Authorization,
    /// 0220 completion advice.
    Completion,
    /// 0220 advice of a chip purchase the card approved offline (no field 90; a TC in 55).
    OfflineAdvice,
    /// 0400 reversal or 0420 reversal advice.
    Reversal,
    /// 0500 settlement totals.
    Settlement,
}

/// The card as presented. `Debug` masks the PAN and hides the expiry.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct CardInput {
    /// PAN digits (never logged in clear).
    pub pan: String,
    /// Expiry YYMM as presented (track 2 or field 14), if any.
    pub expiry: Option<String>,
}

impl std::fmt::Debug for CardInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardInput")
            .field("pan", &iso8583::mask::mask_pan(&self.pan))
            .field("expiry", &self.expiry.as_ref().map(|_| "****"))
            .finish()
    }
}

/// Terminal batch totals of a 0500.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BatchTotals {
    /// Field 74.
    pub credits_count: u64,
    /// Field 76.
    pub debits_count: u64,
    /// Field 86.
    pub credits_amount: u64,
    /// Field 88.
    pub debits_amount: u64,
}

/// A financial request, read and format-checked.
#[derive(Clone, Debug)]
pub(crate) struct Financial {
    pub mti: iso8583::Mti,
    pub class: Class,
    pub identity: Identity,
    pub processing_code: String,
    /// Field 4 (0 when absent, as in a 0500).
    pub amount_minor: u64,
    /// Field 49.
    pub currency: u16,
    /// Field 42 without its trailing spaces.
    pub merchant: String,
    pub card: Option<CardInput>,
    pub original: Option<OriginalData>,
    pub totals: Option<BatchTotals>,
    /// Fields 52 and 53 of an 0100/0200 (ignored on other requests).
    pub pin: Option<PinBlock>,
}

/// A request, read.
#[derive(Clone, Debug)]
pub(crate) enum Parsed {
    Financial(Box<Financial>),
    /// 0800 with its network management code (field 70).
    Network(String),
}

fn text<'m>(msg: &'m Message<'_>, field: usize) -> Result<&'m str, Reject> {
    match msg.get(field) {
        None => Err(format_error(format!("field {field} missing"))),
        Some(bytes) => std::str::from_utf8(bytes)
            .map_err(|_| format_error(format!("field {field} is not text"))),
    }
}

fn number(msg: &Message<'_>, field: usize) -> Result<u64, Reject> {
    let t = text(msg, field)?;
    if t.is_empty() || t.len() > 19 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format_error(format!("field {field} is not a number")));
    }
    t.parse()
        .map_err(|_| format_error(format!("field {field} is out of range")))
}

fn require(msg: &Message<'_>, fields: &[usize], mti: &str) -> Result<(), Reject> {
    let missing: Vec<String> = fields
        .iter()
        .filter(|f| !msg.has(**f))
        .map(|f| f.to_string())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format_error(format!(
            "{mti}: mandatory field {} missing",
            missing.join(", ")
        )))
    }
}

/// Reads the card from fields 2, 35 and 14 as the entry mode (22) requires.
fn card_input(msg: &Message<'_>, class: Class) -> Result<CardInput, Reject> {
    let field2 = msg.has(2).then(|| text(msg, 2)).transpose()?;
    if let Some(pan) = field2
        && (pan.len() < 12 || !pan.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format_error("field 2 is not a PAN of 12 to 19 digits"));
    }
    if !matches!(class, Class::Authorization | Class::OfflineAdvice) {
        return Ok(CardInput {
            pan: field2.unwrap_or_default().to_owned(),
            expiry: None,
        });
    }
    let entry_mode = text(msg, 22)?;
    let keyed = entry_mode.starts_with("01");
    let swiped = entry_mode.starts_with("02") || entry_mode.starts_with("80");
    let track = msg.has(35).then(|| text(msg, 35)).transpose()?;
    if swiped && track.is_none() {
        return Err(format_error(format!(
            "field 35 missing: entry mode {entry_mode} is a magnetic stripe read"
        )));
    }
    let field14 = msg.has(14).then(|| text(msg, 14)).transpose()?;
    if let Some(track) = track {
        let t2 = Track2::parse(track).map_err(|e| format_error(format!("field 35: {e}")))?;
        if field2.is_some_and(|p| p != t2.pan) {
            return Err(format_error("fields 2 and 35 carry different PANs"));
        }
        return Ok(CardInput {
            pan: t2.pan.to_owned(),
            expiry: Some(t2.expiry.to_owned()),
        });
    }
    let Some(pan) = field2 else {
        return Err(format_error("field 2 or 35 missing: no card number"));
    };
    if keyed && field14.is_none() {
        return Err(format_error(format!(
            "field 14 missing: entry mode {entry_mode} is keyed"
        )));
    }
    Ok(CardInput {
        pan: pan.to_owned(),
        expiry: field14.map(str::to_owned),
    })
}

/// Reads field 52 (8-byte enciphered format 0 PIN block) with the zone key generation of
/// field 53, which must come with it.
fn pin_input(msg: &Message<'_>) -> Result<Option<PinBlock>, Reject> {
    let Some(block) = msg.get(52) else {
        return Ok(None);
    };
    let block = <[u8; 8]>::try_from(block)
        .map_err(|_| format_error(format!("field 52 is {} bytes, 8 expected", block.len())))?;
    if !msg.has(53) {
        return Err(format_error(
            "field 53 missing: field 52 needs its zone key generation",
        ));
    }
    let generation =
        parse_zone_control(text(msg, 53)?).map_err(|e| format_error(format!("field 53: {e}")))?;
    Ok(Some(PinBlock::new(block, generation)))
}

/// Reads and format-checks a request whose MTI is a request or advice. Unknown MTIs are 12.
pub(crate) fn parse(msg: &Message<'_>) -> Result<Parsed, Reject> {
    let mti = msg.mti();
    let (class, fields) = match mti.as_str() {
        "0100" | "0200" => (Class::Authorization, AUTH_FIELDS),
        "0220" if !msg.has(90) && msg.has(55) => (Class::OfflineAdvice, OFFLINE_ADVICE_FIELDS),
        "0220" => (Class::Completion, COMPLETION_FIELDS),
        "0400" | "0420" => (Class::Reversal, REVERSAL_FIELDS),
        "0500" => (Class::Settlement, SETTLEMENT_FIELDS),
        "0800" => {
            require(msg, NETWORK_FIELDS, mti.as_str())?;
            return Ok(Parsed::Network(text(msg, 70)?.to_owned()));
        }
        other => {
            return Err(Reject {
                code: ResponseCode::INVALID_TRANSACTION,
                reason: format!("MTI {other} is not a request this issuer handles"),
            });
        }
    };
    require(msg, fields, mti.as_str())?;
    let identity = Identity::new(
        text(msg, 32)?,
        text(msg, 41)?,
        text(msg, 11)?,
        text(msg, 7)?,
    );
    let currency = number(msg, 49)?;
    let currency = u16::try_from(currency)
        .ok()
        .filter(|c| (1..=999).contains(c) && text(msg, 49).is_ok_and(|t| t.len() == 3))
        .ok_or_else(|| format_error("field 49 is not an ISO 4217 numeric code"))?;
    let amount_minor = if msg.has(4) { number(msg, 4)? } else { 0 };
    let card = match class {
        Class::Settlement => None,
        _ => Some(card_input(msg, class)?),
    };
    let original = if msg.has(90) {
        let mut original = OriginalData::parse(text(msg, 90)?)
            .map_err(|e| format_error(format!("field 90: {e}")))?;
        // A terminal does not know the acquirer id the gateway writes into field 32, so it
        // sends zeros in field 90: the original then came through this message's acquirer.
        if original.acquirer.bytes().all(|b| b == b'0') {
            original.acquirer = format!("{:0>11}", text(msg, 32)?);
        }
        Some(original)
    } else {
        None
    };
    let totals = if class == Class::Settlement {
        Some(BatchTotals {
            credits_count: number(msg, 74)?,
            debits_count: number(msg, 76)?,
            credits_amount: number(msg, 86)?,
            debits_amount: number(msg, 88)?,
        })
    } else {
        None
    };
    let pin = match class {
        Class::Authorization => pin_input(msg)?,
        _ => None,
    };
    Ok(Parsed::Financial(Box::new(Financial {
        mti,
        class,
        identity,
        processing_code: text(msg, 3)?.to_owned(),
        amount_minor,
        currency,
        merchant: text(msg, 42)?.trim_end_matches(' ').to_owned(),
        card,
        original,
        totals,
        pin,
    })))
}
