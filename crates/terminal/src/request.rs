//! Builds each request message exactly as docs/protocol.md lists its fields. Pure: the STAN,
//! the clock reading and the card come in, a message (and what the journal keeps) goes out.

use iso8583::composite::original_data::OriginalData;
use iso8583::{CodecError, Message, Mti};

use crate::card::{Card, CardError};
use crate::clock::Now;
use crate::stan::Stan;
use crate::totals::BatchTotals;
use crate::txn::{AMOUNT_MINOR_MAX, OriginalRef, PendingReversal, RequestRecord, Stamp, TxnKind};

/// Field 41 is `ans 8`, fixed.
pub const TERMINAL_ID_LEN: usize = 8;
/// Field 42 is `ans 15`, fixed.
pub const MERCHANT_ID_LEN: usize = 15;
/// Field 3 of a settlement request.
pub const SETTLEMENT_PROCESSING_CODE: &str = "920000";

/// Why a request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("{what}: {value:?} must be 1 to {len_max} printable ASCII characters")]
    Identity {
        what: &'static str,
        value: String,
        len_max: usize,
    },
    #[error("currency {0:?} is not an ISO 4217 numeric code (three digits)")]
    Currency(String),
    #[error("{kind} amount {amount_minor} is outside 1..={AMOUNT_MINOR_MAX} minor units")]
    Amount {
        kind: &'static str,
        amount_minor: u64,
    },
    #[error("a completion needs the pre-authorization's approval code (field 38)")]
    NoAuthCode,
    #[error("a {kind} is not built by `{builder}`")]
    WrongKind {
        kind: &'static str,
        builder: &'static str,
    },
    #[error("card: {0}")]
    Card(#[from] CardError),
    #[error("message: {0}")]
    Codec(#[from] CodecError),
}

/// Who is accepting the card: fields 41, 42 and 49 of every request, checked and padded once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acceptor {
    terminal_id: String,
    merchant_id: String,
    currency: String,
}

fn padded(what: &'static str, value: &str, len_max: usize) -> Result<String, RequestError> {
    let printable = value.bytes().all(|b| (0x20..0x7f).contains(&b));
    if value.trim().is_empty() || value.len() > len_max || !printable {
        return Err(RequestError::Identity {
            what,
            value: value.to_string(),
            len_max,
        });
    }
    // ans fields are left-justified and filled with spaces.
    Ok(format!("{value:<len_max$}"))
}

impl Acceptor {
    pub fn new(
        terminal_id: &str,
        merchant_id: &str,
        currency: &str,
    ) -> Result<Acceptor, RequestError> {
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RequestError::Currency(currency.to_string()));
        }
        Ok(Acceptor {
            terminal_id: padded("terminal id (field 41)", terminal_id, TERMINAL_ID_LEN)?,
            merchant_id: padded("merchant id (field 42)", merchant_id, MERCHANT_ID_LEN)?,
            currency: currency.to_string(),
        })
    }

    /// Field 41 as sent (space-filled to 8).
    pub fn terminal_id(&self) -> &str {
        &self.terminal_id
    }

    /// Field 42 as sent (space-filled to 15).
    pub fn merchant_id(&self) -> &str {
        &self.merchant_id
    }

    /// Field 49.
    pub fn currency(&self) -> &str {
        &self.currency
    }
}

/// Field 4: twelve digits, zero-filled.
pub fn amount_field(amount_minor: u64) -> String {
    format!("{amount_minor:012}")
}

/// Field 37: `YDDDhh` of local time, then the STAN.
pub fn rrn(now: &Now, stan: Stan) -> String {
    format!("{}{}", now.rrn_prefix(), stan.field())
}

/// Field 90 as the terminal fills it: it does not know the acquirer id (the gateway sets 32),
/// so both institution ids are zeros.
pub fn original_data_field(original: &OriginalRef) -> String {
    OriginalData {
        mti: original.mti.as_str().to_string(),
        stan: original.stan.field(),
        transmission: original.transmission.clone(),
        acquirer: String::new(),
        forwarder: String::new(),
    }
    .to_field()
}

fn check_amount(kind: TxnKind, amount_minor: u64) -> Result<(), RequestError> {
    let floor = u64::from(kind != TxnKind::Balance);
    if amount_minor < floor || amount_minor > AMOUNT_MINOR_MAX {
        return Err(RequestError::Amount {
            kind: kind.name(),
            amount_minor,
        });
    }
    Ok(())
}

fn set_stamp(msg: &mut Message<'static>, stamp: &Stamp) -> Result<(), CodecError> {
    msg.set_owned(7, &stamp.transmission)?;
    msg.set_owned(12, &stamp.local_time)?;
    msg.set_owned(13, &stamp.local_date)
}

/// A purchase, refund or balance inquiry (0200) or a pre-authorization (0100), with the card as
/// read: keyed cards carry 2 and 14, swiped cards 35 only. Returns the message and what the
/// journal keeps of it.
pub fn card_request(
    acceptor: &Acceptor,
    kind: TxnKind,
    card: &Card,
    amount_minor: u64,
    stan: Stan,
    now: &Now,
) -> Result<(Message<'static>, RequestRecord), RequestError> {
    if kind == TxnKind::Completion {
        return Err(RequestError::WrongKind {
            kind: kind.name(),
            builder: "card_request",
        });
    }
    check_amount(kind, amount_minor)?;
    let record = RequestRecord {
        kind,
        stan,
        stamp: Stamp::at(now),
        rrn: rrn(now, stan),
        amount_minor,
        currency: acceptor.currency.clone(),
        entry_mode: card.entry_mode(),
        pan: card.pan()?,
        auth_code: None,
        original: None,
        icc: None,
    };
    let mut msg = Message::new(kind.mti());
    match card {
        Card::Keyed { pan, expiry } => {
            msg.set_owned(2, pan.reveal())?;
            msg.set_owned(14, expiry.reveal())?;
        }
        Card::Swiped { track2, .. } => {
            msg.set_owned(35, track2.reveal())?;
        }
    }
    fill_common(&mut msg, acceptor, &record)?;
    Ok((msg, record))
}

/// What the chip gave the terminal for the request: the PAN (5A), the track 2 equivalent
/// data (57) as field 35 text when the card has it, else the expiry (5F24) as `YYMM`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChipCard {
    pub pan: crate::card::Pan,
    pub track2: Option<crate::card::Track2Data>,
    pub expiry: Option<crate::card::Expiry>,
}

/// A chip purchase (0200) or pre-authorization (0100): field 22 `051`, field 55 the kernel's
/// ICC data, 35 from tag 57 when present (else 2 and 14 from 5A and 5F24).
pub fn chip_request(
    acceptor: &Acceptor,
    kind: TxnKind,
    card: &ChipCard,
    amount_minor: u64,
    stan: Stan,
    now: &Now,
    icc: &[u8],
) -> Result<(Message<'static>, RequestRecord), RequestError> {
    if !matches!(kind, TxnKind::Purchase | TxnKind::PreAuth | TxnKind::Refund) {
        return Err(RequestError::WrongKind {
            kind: kind.name(),
            builder: "chip_request",
        });
    }
    check_amount(kind, amount_minor)?;
    let record = RequestRecord {
        kind,
        stan,
        stamp: Stamp::at(now),
        rrn: rrn(now, stan),
        amount_minor,
        currency: acceptor.currency.clone(),
        entry_mode: crate::card::EntryMode::Chip,
        pan: card.pan.clone(),
        auth_code: None,
        original: None,
        icc: Some(icc.to_vec()),
    };
    let mut msg = Message::new(kind.mti());
    match (&card.track2, &card.expiry) {
        (Some(track2), _) => msg.set_owned(35, track2.reveal())?,
        (None, Some(expiry)) => {
            msg.set_owned(2, card.pan.reveal())?;
            msg.set_owned(14, expiry.reveal())?;
        }
        (None, None) => msg.set_owned(2, card.pan.reveal())?,
    }
    fill_common(&mut msg, acceptor, &record)?;
    msg.set_owned(55, icc)?;
    Ok((msg, record))
}

/// The record of an offline chip approval (TC under the floor limit), queued for upload as
/// an 0220 advice: it takes its STAN and RRN when it is approved, like any request.
pub fn offline_advice_record(
    acceptor: &Acceptor,
    card: &ChipCard,
    amount_minor: u64,
    stan: Stan,
    now: &Now,
    icc: &[u8],
) -> Result<RequestRecord, RequestError> {
    check_amount(TxnKind::OfflineAdvice, amount_minor)?;
    Ok(RequestRecord {
        kind: TxnKind::OfflineAdvice,
        stan,
        stamp: Stamp::at(now),
        rrn: rrn(now, stan),
        amount_minor,
        currency: acceptor.currency.clone(),
        entry_mode: crate::card::EntryMode::Chip,
        pan: card.pan.clone(),
        auth_code: None,
        original: None,
        icc: Some(icc.to_vec()),
    })
}

/// The 0220 advice of an offline chip approval: 2, the common fields and 55 (with the TC);
/// a repeat is byte-identical.
pub fn offline_advice(
    acceptor: &Acceptor,
    record: &RequestRecord,
) -> Result<Message<'static>, RequestError> {
    if record.kind != TxnKind::OfflineAdvice {
        return Err(RequestError::WrongKind {
            kind: record.kind.name(),
            builder: "offline_advice",
        });
    }
    let mut msg = Message::new(record.kind.mti());
    msg.set_owned(2, record.pan.reveal())?;
    fill_common(&mut msg, acceptor, record)?;
    if let Some(icc) = &record.icc {
        msg.set_owned(55, icc)?;
    }
    Ok(msg)
}

/// The 0220 of an advice record, whichever kind.
pub fn advice(
    acceptor: &Acceptor,
    record: &RequestRecord,
) -> Result<Message<'static>, RequestError> {
    match record.kind {
        TxnKind::OfflineAdvice => offline_advice(acceptor, record),
        _ => completion(acceptor, record),
    }
}

/// Fields every card transaction carries, from its record.
fn fill_common(
    msg: &mut Message<'static>,
    acceptor: &Acceptor,
    record: &RequestRecord,
) -> Result<(), CodecError> {
    msg.set_owned(3, record.kind.processing_code())?;
    msg.set_owned(4, amount_field(record.amount_minor))?;
    set_stamp(msg, &record.stamp)?;
    msg.set_owned(11, record.stan.field())?;
    msg.set_owned(22, record.entry_mode.field())?;
    msg.set_owned(25, record.kind.condition_code())?;
    msg.set_owned(37, &record.rrn)?;
    msg.set_owned(41, &acceptor.terminal_id)?;
    msg.set_owned(42, &acceptor.merchant_id)?;
    msg.set_owned(49, &record.currency)
}

/// The completion (0220) of an approved pre-authorization: the final amount, the
/// pre-authorization's RRN and approval code, and 90 naming it.
pub fn completion_record(
    preauth: &RequestRecord,
    preauth_auth_code: &str,
    final_amount_minor: u64,
    stan: Stan,
    now: &Now,
) -> Result<RequestRecord, RequestError> {
    check_amount(TxnKind::Completion, final_amount_minor)?;
    if preauth_auth_code.is_empty() {
        return Err(RequestError::NoAuthCode);
    }
    Ok(RequestRecord {
        kind: TxnKind::Completion,
        stan,
        stamp: Stamp::at(now),
        rrn: preauth.rrn.clone(),
        amount_minor: final_amount_minor,
        currency: preauth.currency.clone(),
        entry_mode: preauth.entry_mode,
        pan: preauth.pan.clone(),
        auth_code: Some(preauth_auth_code.to_string()),
        original: Some(preauth.as_original()),
        icc: None,
    })
}

/// The 0220 message of a completion record; a repeat is byte-identical to the first send.
pub fn completion(
    acceptor: &Acceptor,
    record: &RequestRecord,
) -> Result<Message<'static>, RequestError> {
    let (Some(auth_code), Some(original)) = (&record.auth_code, &record.original) else {
        return Err(RequestError::NoAuthCode);
    };
    if record.kind != TxnKind::Completion {
        return Err(RequestError::WrongKind {
            kind: record.kind.name(),
            builder: "completion",
        });
    }
    let mut msg = Message::new(record.kind.mti());
    msg.set_owned(2, record.pan.reveal())?;
    fill_common(&mut msg, acceptor, record)?;
    msg.set_owned(38, auth_code)?;
    msg.set_owned(90, original_data_field(original))?;
    Ok(msg)
}

/// The reversal (0400) of a request: the original's PAN, processing code, amount, entry mode
/// and RRN, its approval code when it had one, and 90 naming it; its own STAN and times.
pub fn reversal(
    acceptor: &Acceptor,
    pending: &PendingReversal,
) -> Result<Message<'static>, RequestError> {
    let original = &pending.original;
    let mut msg = Message::new(Mti::new(*b"0400").unwrap_or(Mti::ZERO));
    msg.set_owned(2, original.pan.reveal())?;
    msg.set_owned(3, original.kind.processing_code())?;
    msg.set_owned(4, amount_field(original.amount_minor))?;
    set_stamp(&mut msg, &pending.stamp)?;
    msg.set_owned(11, pending.stan.field())?;
    msg.set_owned(22, original.entry_mode.field())?;
    msg.set_owned(25, "00")?;
    msg.set_owned(37, &original.rrn)?;
    if let Some(code) = &pending.original_auth_code {
        msg.set_owned(38, code)?;
    }
    msg.set_owned(41, &acceptor.terminal_id)?;
    msg.set_owned(42, &acceptor.merchant_id)?;
    msg.set_owned(49, &original.currency)?;
    // A chip original's ICC data: the card's final data when it declined the approval, the
    // request's when the answer was lost or the card left.
    if let Some(icc) = pending.final_icc.as_ref().or(original.icc.as_ref()) {
        msg.set_owned(55, icc)?;
    }
    msg.set_owned(90, original_data_field(&original.as_original()))?;
    Ok(msg)
}

/// The settlement request (0500) with the batch totals: 74/86 credits, 76/88 debits.
pub fn settlement(
    acceptor: &Acceptor,
    totals: &BatchTotals,
    stan: Stan,
    now: &Now,
) -> Result<Message<'static>, RequestError> {
    let mut msg = Message::new(Mti::new(*b"0500").unwrap_or(Mti::ZERO));
    msg.set_owned(3, SETTLEMENT_PROCESSING_CODE)?;
    set_stamp(&mut msg, &Stamp::at(now))?;
    msg.set_owned(11, stan.field())?;
    msg.set_owned(41, &acceptor.terminal_id)?;
    msg.set_owned(42, &acceptor.merchant_id)?;
    msg.set_owned(49, &acceptor.currency)?;
    msg.set_owned(74, format!("{:010}", totals.credits_count))?;
    msg.set_owned(76, format!("{:010}", totals.debits_count))?;
    msg.set_owned(86, format!("{:016}", totals.credits_amount_minor))?;
    msg.set_owned(88, format!("{:016}", totals.debits_amount_minor))?;
    Ok(msg)
}

/// Field 70, network management information code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkCode {
    SignOn,
    SignOff,
    Echo,
}

impl NetworkCode {
    pub fn field(self) -> &'static str {
        match self {
            NetworkCode::SignOn => "001",
            NetworkCode::SignOff => "002",
            NetworkCode::Echo => "301",
        }
    }
}

/// A network management request (0800): 7, 11, 41 and 70 only.
pub fn network(
    acceptor: &Acceptor,
    code: NetworkCode,
    stan: Stan,
    now: &Now,
) -> Result<Message<'static>, RequestError> {
    let mut msg = Message::new(Mti::new(*b"0800").unwrap_or(Mti::ZERO));
    msg.set_owned(7, now.transmission_field())?;
    msg.set_owned(11, stan.field())?;
    msg.set_owned(41, &acceptor.terminal_id)?;
    msg.set_owned(70, code.field())?;
    Ok(msg)
}
