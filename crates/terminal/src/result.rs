//! What a transaction came to, for the display, the receipt and the caller.

use iso8583::ResponseCode;

use crate::card::EntryMode;
use crate::response::{Balance, MatchError};
use crate::stan::Stan;
use crate::totals::BatchTotals;
use crate::txn::{Stamp, TxnKind};

/// Who decided the response code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The host's field 39.
    Host,
    /// No answer in time: the terminal declines (68) and reverses or repeats.
    NoAnswer,
    /// The request never left: the terminal declines (91).
    Unreachable,
    /// An answer came that does not belong to the request: the terminal declines (96) and
    /// treats it as no answer.
    BadAnswer(MatchError),
}

impl Origin {
    /// The code the terminal shows when it decided itself.
    pub fn local_code(&self) -> Option<ResponseCode> {
        match self {
            Origin::Host => None,
            Origin::NoAnswer => Some(ResponseCode::RESPONSE_TOO_LATE),
            Origin::Unreachable => Some(ResponseCode::ISSUER_INOPERATIVE),
            Origin::BadAnswer(_) => Some(ResponseCode::SYSTEM_MALFUNCTION),
        }
    }
}

/// What the terminal still owes the host for a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Nothing: answered, or never sent.
    None,
    /// A reversal was sent and acknowledged by a 0410.
    ReversalAcknowledged,
    /// A reversal is on disk and will be repeated until acknowledged.
    ReversalPending,
    /// The advice is on disk and will be repeated until answered.
    AdviceQueued,
}

/// The outcome of a card transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransactionResult {
    pub kind: TxnKind,
    pub approved: bool,
    pub response_code: ResponseCode,
    pub response_text: &'static str,
    pub origin: Origin,
    /// Field 38 of an approval.
    pub auth_code: Option<String>,
    pub rrn: String,
    pub stan: Stan,
    pub amount_minor: u64,
    pub currency: String,
    /// First 6 and last 4 digits only.
    pub masked_pan: String,
    pub entry_mode: EntryMode,
    /// Local date and time of the request (fields 12 and 13) and its field 7.
    pub stamp: Stamp,
    /// Available balance from field 54 (balance inquiries).
    pub balance: Option<Balance>,
    pub recovery: Recovery,
}

/// The outcome of a reversal the merchant asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReversalResult {
    pub original_kind: TxnKind,
    pub original_stan: Stan,
    pub reversal_stan: Stan,
    pub amount_minor: u64,
    pub currency: String,
    pub masked_pan: String,
    pub rrn: String,
    /// The 0410's field 39, if one came.
    pub response_code: Option<ResponseCode>,
    /// [`Recovery::ReversalAcknowledged`] or [`Recovery::ReversalPending`].
    pub recovery: Recovery,
}

/// The outcome of a settlement (0500).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettlementResult {
    /// The batch the totals belong to.
    pub batch: u32,
    pub totals: BatchTotals,
    /// 00 when the host agrees; 95 (reconcile error) when not.
    pub response_code: ResponseCode,
    /// Whether the batch was closed and the journal compacted.
    pub settled: bool,
}

/// The outcome of a network management request (0800).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkResult {
    pub stan: Stan,
    pub response_code: ResponseCode,
}

/// What a recovery pass achieved and what is still owed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    pub reversals_acknowledged: usize,
    pub reversals_pending: usize,
    pub advices_answered: usize,
    pub advices_pending: usize,
}
