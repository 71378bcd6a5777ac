//! Transfers: single-phase, pending (a hold), post-pending (completion), void-pending (reversal).

/// Transfer flags (a bit set). At most one of the three may be set; none means single-phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TransferFlags(pub u16);

impl TransferFlags {
    /// Single-phase: moves posted balances at once.
    pub const NONE: Self = Self(0);
    /// Phase one: reserves the amount in the pending balances (an authorization hold).
    pub const PENDING: Self = Self(1 << 0);
    /// Phase two: posts all or part of a pending transfer (a completion); the rest is released.
    pub const POST_PENDING: Self = Self(1 << 1);
    /// Phase two: releases a pending transfer entirely (a reversal).
    pub const VOID_PENDING: Self = Self(1 << 2);
    /// Every bit that has a meaning; the rest are reserved.
    pub const KNOWN: Self = Self(Self::PENDING.0 | Self::POST_PENDING.0 | Self::VOID_PENDING.0);

    /// True when every bit of `other` is set in `self`.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when a bit outside [`Self::KNOWN`] is set.
    pub fn has_reserved_bits(self) -> bool {
        self.0 & !Self::KNOWN.0 != 0
    }
}

/// Which of the four kinds a transfer is, decided by its flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransferKind {
    /// No phase flag.
    Single,
    /// [`TransferFlags::PENDING`].
    Pending,
    /// [`TransferFlags::POST_PENDING`].
    Post,
    /// [`TransferFlags::VOID_PENDING`].
    Void,
}

/// On a post-pending transfer, this amount means "post the whole pending amount".
pub const AMOUNT_POST_FULL: u64 = u64::MAX;

/// Nanoseconds per second, for turning `timeout_s` into an expiry time.
pub(crate) const NS_PER_S: u64 = 1_000_000_000;

/// An immutable movement of money from one account to another on the same ledger.
///
/// When submitted, `timestamp_ns` must be zero: the ledger stamps it with the batch time.
/// On post/void transfers, `debit_account_id`, `credit_account_id`, `ledger` and `code` may be
/// zero (taken from the pending transfer) or must match it; the stored record has them filled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transfer {
    /// Unique, non-zero, not `u128::MAX`.
    pub id: u128,
    /// Account whose debits grow.
    pub debit_account_id: u128,
    /// Account whose credits grow.
    pub credit_account_id: u128,
    /// Amount in minor units. Post: 1..=pending amount, or [`AMOUNT_POST_FULL`].
    /// Void: 0 or the pending amount (both release the whole hold).
    pub amount_minor: u64,
    /// For post/void: the id of the pending transfer being resolved; otherwise zero.
    pub pending_id: u128,
    /// ISO 4217 numeric currency code; must equal both accounts' ledger.
    pub ledger: u32,
    /// Reason for the transfer, chosen by the issuer (purchase, refund, fee …); non-zero.
    pub code: u16,
    /// Kind of transfer.
    pub flags: TransferFlags,
    /// Pending only: seconds after `timestamp_ns` at which an unresolved hold expires; 0 = never.
    pub timeout_s: u32,
    /// Set by the ledger: the batch time (ns since the Unix epoch) at which the transfer was applied.
    pub timestamp_ns: u64,
}

impl Transfer {
    fn base(id: u128, flags: TransferFlags) -> Self {
        Self {
            id,
            debit_account_id: 0,
            credit_account_id: 0,
            amount_minor: 0,
            pending_id: 0,
            ledger: 0,
            code: 0,
            flags,
            timeout_s: 0,
            timestamp_ns: 0,
        }
    }

    /// A single-phase transfer (posted at once).
    pub fn single(
        id: u128,
        debit_account_id: u128,
        credit_account_id: u128,
        amount_minor: u64,
        ledger: u32,
        code: u16,
    ) -> Self {
        Self {
            debit_account_id,
            credit_account_id,
            amount_minor,
            ledger,
            code,
            ..Self::base(id, TransferFlags::NONE)
        }
    }

    /// A pending transfer (hold) that expires `timeout_s` seconds after it is applied (0 = never).
    pub fn pending(
        id: u128,
        debit_account_id: u128,
        credit_account_id: u128,
        amount_minor: u64,
        ledger: u32,
        code: u16,
        timeout_s: u32,
    ) -> Self {
        Self {
            debit_account_id,
            credit_account_id,
            amount_minor,
            ledger,
            code,
            timeout_s,
            ..Self::base(id, TransferFlags::PENDING)
        }
    }

    /// Posts `amount_minor` of pending transfer `pending_id` ([`AMOUNT_POST_FULL`] for all of it).
    pub fn post(id: u128, pending_id: u128, amount_minor: u64) -> Self {
        Self {
            amount_minor,
            pending_id,
            ..Self::base(id, TransferFlags::POST_PENDING)
        }
    }

    /// Voids (releases) pending transfer `pending_id`.
    pub fn void(id: u128, pending_id: u128) -> Self {
        Self {
            pending_id,
            ..Self::base(id, TransferFlags::VOID_PENDING)
        }
    }

    /// The kind, or `None` when more than one phase flag is set.
    pub fn kind(&self) -> Option<TransferKind> {
        let f = self.flags;
        let set = [
            TransferFlags::PENDING,
            TransferFlags::POST_PENDING,
            TransferFlags::VOID_PENDING,
        ]
        .iter()
        .filter(|flag| f.contains(**flag))
        .count();
        match set {
            0 => Some(TransferKind::Single),
            1 if f.contains(TransferFlags::PENDING) => Some(TransferKind::Pending),
            1 if f.contains(TransferFlags::POST_PENDING) => Some(TransferKind::Post),
            1 => Some(TransferKind::Void),
            _ => None,
        }
    }
}
