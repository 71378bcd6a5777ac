//! Holds: the resolution state of each pending transfer (TigerBeetle's "transfers_pending").

/// Where a pending transfer stands. It leaves `Pending` at most once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HoldStatus {
    /// Still reserved in the accounts' pending balances.
    Pending,
    /// Resolved by a post-pending transfer.
    Posted,
    /// Resolved by a void-pending transfer.
    Voided,
    /// Released by `expire` after its timeout passed.
    Expired,
}

impl HoldStatus {
    /// Stable numeric form for storage.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Posted => 1,
            Self::Voided => 2,
            Self::Expired => 3,
        }
    }

    /// Inverse of [`Self::to_u8`].
    pub fn from_u8(value: u8) -> Option<Self> {
        match value {
            0 => Some(Self::Pending),
            1 => Some(Self::Posted),
            2 => Some(Self::Voided),
            3 => Some(Self::Expired),
            _ => None,
        }
    }
}

/// A pending transfer's reservation, kept beside the immutable transfer record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Hold {
    /// The pending transfer's id.
    pub id: u128,
    /// Copied from the pending transfer.
    pub debit_account_id: u128,
    /// Copied from the pending transfer.
    pub credit_account_id: u128,
    /// The reserved amount, copied from the pending transfer.
    pub amount_minor: u64,
    /// Batch time (ns) at or after which the hold counts as expired; 0 = never.
    pub expires_at_ns: u64,
    /// Resolution state.
    pub status: HoldStatus,
}

impl Hold {
    /// True when the hold's timeout has passed at `now_ns` (whether or not `expire` has run).
    pub fn is_expired_at(&self, now_ns: u64) -> bool {
        self.expires_at_ns != 0 && self.expires_at_ns <= now_ns
    }
}
