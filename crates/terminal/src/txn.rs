//! The kinds of transaction and what the terminal remembers of each request it sent: enough to
//! reverse or repeat it and to total the batch, never the track data.

use iso8583::Mti;

use crate::card::{EntryMode, Pan};
use crate::clock::Now;
use crate::stan::Stan;

/// Largest amount field 4 (`n 12`) can carry, in minor units.
pub const AMOUNT_MINOR_MAX: u64 = 999_999_999_999;

/// A transaction the cardholder or merchant starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TxnKind {
    /// 0200, processing code 000000.
    Purchase,
    /// 0200, processing code 200000: money back to the cardholder.
    Refund,
    /// 0200, processing code 310000: no money moves.
    Balance,
    /// 0100, processing code 000000, condition code 06: a hold on the cardholder's funds.
    PreAuth,
    /// 0220 advice, processing code 000000: posts a pre-authorization's hold.
    Completion,
    /// 0220 advice, processing code 000000: a chip purchase the card approved offline (TC
    /// under the floor limit), uploaded from the store-and-forward queue with its field 55.
    OfflineAdvice,
}

/// Which settlement total a transaction adds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The cardholder pays the merchant (74/86 are credits, 76/88 debits).
    Debit,
    /// The merchant pays the cardholder back.
    Credit,
}

impl TxnKind {
    pub fn mti(self) -> Mti {
        let digits = match self {
            TxnKind::Purchase | TxnKind::Refund | TxnKind::Balance => *b"0200",
            TxnKind::PreAuth => *b"0100",
            TxnKind::Completion | TxnKind::OfflineAdvice => *b"0220",
        };
        Mti::new(digits).unwrap_or(Mti::ZERO)
    }

    /// Field 3.
    pub fn processing_code(self) -> &'static str {
        match self {
            TxnKind::Purchase | TxnKind::PreAuth | TxnKind::Completion | TxnKind::OfflineAdvice => {
                "000000"
            }
            TxnKind::Refund => "200000",
            TxnKind::Balance => "310000",
        }
    }

    /// Field 25, POS condition code: 06 marks a pre-authorization request.
    pub fn condition_code(self) -> &'static str {
        match self {
            TxnKind::PreAuth => "06",
            _ => "00",
        }
    }

    /// The batch total an approval adds to; `None` for balance inquiries and pre-authorizations
    /// (a hold is not a sale until its completion).
    pub fn side(self) -> Option<Side> {
        match self {
            TxnKind::Purchase | TxnKind::Completion | TxnKind::OfflineAdvice => Some(Side::Debit),
            TxnKind::Refund => Some(Side::Credit),
            TxnKind::Balance | TxnKind::PreAuth => None,
        }
    }

    /// Whether a lost answer is undone by a reversal (requests) or repeated (advices).
    pub fn is_advice(self) -> bool {
        matches!(self, TxnKind::Completion | TxnKind::OfflineAdvice)
    }

    pub fn name(self) -> &'static str {
        match self {
            TxnKind::Purchase => "purchase",
            TxnKind::Refund => "refund",
            TxnKind::Balance => "balance",
            TxnKind::PreAuth => "preauth",
            TxnKind::Completion => "completion",
            TxnKind::OfflineAdvice => "offline-advice",
        }
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            TxnKind::Purchase => 1,
            TxnKind::Refund => 2,
            TxnKind::Balance => 3,
            TxnKind::PreAuth => 4,
            TxnKind::Completion => 5,
            TxnKind::OfflineAdvice => 6,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<TxnKind> {
        Some(match code {
            1 => TxnKind::Purchase,
            2 => TxnKind::Refund,
            3 => TxnKind::Balance,
            4 => TxnKind::PreAuth,
            5 => TxnKind::Completion,
            6 => TxnKind::OfflineAdvice,
            _ => return None,
        })
    }
}

/// The date and time fields of one message: 7 (UTC `MMDDhhmmss`), 12 (`hhmmss`) and 13
/// (`MMDD`) local. A retransmission repeats them unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub transmission: String,
    pub local_time: String,
    pub local_date: String,
}

impl Stamp {
    pub fn at(now: &Now) -> Stamp {
        Stamp {
            transmission: now.transmission_field(),
            local_time: now.local_time_field(),
            local_date: now.local_date_field(),
        }
    }
}

/// Which earlier message a completion or reversal refers to (field 90's first three parts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginalRef {
    pub mti: Mti,
    pub stan: Stan,
    /// The original's field 7.
    pub transmission: String,
}

/// A financial request as sent, kept in the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub kind: TxnKind,
    pub stan: Stan,
    pub stamp: Stamp,
    /// RRN (retrieval reference number, field 37).
    pub rrn: String,
    pub amount_minor: u64,
    /// ISO 4217 numeric currency (field 49).
    pub currency: String,
    pub entry_mode: EntryMode,
    pub pan: Pan,
    /// A completion's field 38: the pre-authorization's approval code.
    pub auth_code: Option<String>,
    /// A completion's pre-authorization.
    pub original: Option<OriginalRef>,
    /// Field 55 (ICC data, BER-TLV) of a chip request or offline advice.
    pub icc: Option<Vec<u8>>,
}

impl RequestRecord {
    /// How a reversal or completion names this request in field 90.
    pub fn as_original(&self) -> OriginalRef {
        OriginalRef {
            mti: self.kind.mti(),
            stan: self.stan,
            transmission: self.stamp.transmission.clone(),
        }
    }
}

/// A reversal the terminal owes the host: written to the journal before its first 0400 leaves
/// and kept until a 0410 acknowledges it. Its own STAN and times stay fixed across repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingReversal {
    pub original: RequestRecord,
    /// Field 38 of the original's approval, when there was one.
    pub original_auth_code: Option<String>,
    pub stan: Stan,
    pub stamp: Stamp,
    /// A chip card's final ICC data when it declined the host's approval (its AAC, the TVR,
    /// the issuer script results), sent in the reversal's field 55 instead of the request's.
    pub final_icc: Option<Vec<u8>>,
}
