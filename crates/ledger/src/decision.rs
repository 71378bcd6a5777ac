//! Idempotent decisions: the issuer's answer to one request, stored with the transfers it made.

use crate::core::reject::{Applied, TransferError};

/// Identity of a request: a hash the caller makes of (acquirer id, terminal id (field 41),
/// STAN (system trace audit number, field 11), transmission date and time (field 7)).
pub type RequestKey = [u8; 32];

/// A stored decision. A repeat of the request gets `response` back and changes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The request's identity.
    pub request_key: RequestKey,
    /// The answer, opaque to the ledger (e.g. an encoded 0110/0210), at most
    /// [`Limits::response_max_bytes`] long.
    pub response: Vec<u8>,
    /// Transfers applied with the decision, in order; empty for a decline.
    pub transfer_ids: Vec<u128>,
    /// Batch time (ns) at which the decision was made.
    pub timestamp_ns: u64,
}

/// What `decide` did with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecisionOutcome {
    /// First time this key was seen: `result` says whether the transfers were applied, and
    /// `response` (made by the caller from `result`) was stored with them.
    Decided {
        /// The stored answer.
        response: Vec<u8>,
        /// Whether the transfers were applied; a rejection is a decline, stored all the same.
        result: Result<Applied, TransferError>,
    },
    /// The key was already decided: nothing changed, this is the first answer again.
    Replayed {
        /// The stored answer.
        response: Vec<u8>,
        /// When the first answer was made.
        decided_at_ns: u64,
    },
}

impl DecisionOutcome {
    /// The answer to send, first time or repeat alike.
    pub fn response(&self) -> &[u8] {
        match self {
            Self::Decided { response, .. } | Self::Replayed { response, .. } => response,
        }
    }

    /// True for a repeat of an earlier request.
    pub fn is_replay(&self) -> bool {
        matches!(self, Self::Replayed { .. })
    }
}

/// Upper bound for [`Limits::response_max_bytes`].
pub const RESPONSE_MAX_BYTES_CEILING: usize = 64 * 1024;
/// Upper bound for the count limits in [`Limits`].
pub const COUNT_MAX_CEILING: usize = 1 << 20;

/// Bounds on everything a caller can make the ledger hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest stored response, in bytes.
    pub response_max_bytes: usize,
    /// Most transfers in one decision or one `try_apply`.
    pub transfers_per_call_max: usize,
    /// Most accounts in one `create_accounts`.
    pub accounts_per_call_max: usize,
    /// Most holds one `expire` call releases (the rest wait for the next batch).
    pub expire_per_call_max: usize,
    /// Most holds one `pending_holds` query returns.
    pub holds_list_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            response_max_bytes: 1024,
            transfers_per_call_max: 16,
            accounts_per_call_max: 1024,
            expire_per_call_max: 1024,
            holds_list_max: 1024,
        }
    }
}
