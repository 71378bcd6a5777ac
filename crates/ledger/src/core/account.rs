//! Accounts: four balances per account, as in TigerBeetle.

/// Account flags (a bit set). Unknown bits are rejected when an account is created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AccountFlags(pub u16);

impl AccountFlags {
    /// No flags: the account may go either way (an operator or settlement account).
    pub const NONE: Self = Self(0);
    /// Pending plus posted debits may never exceed posted credits: a funded card (debit) account.
    pub const DEBITS_MUST_NOT_EXCEED_CREDITS: Self = Self(1 << 0);
    /// Pending plus posted credits may never exceed posted debits: a credit line seen from the bank.
    pub const CREDITS_MUST_NOT_EXCEED_DEBITS: Self = Self(1 << 1);
    /// Every bit that has a meaning; the rest are reserved.
    pub const KNOWN: Self =
        Self(Self::DEBITS_MUST_NOT_EXCEED_CREDITS.0 | Self::CREDITS_MUST_NOT_EXCEED_DEBITS.0);

    /// True when every bit of `other` is set in `self`.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of two flag sets.
    #[must_use]
    pub fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// True when a bit outside [`Self::KNOWN`] is set.
    pub fn has_reserved_bits(self) -> bool {
        self.0 & !Self::KNOWN.0 != 0
    }
}

/// An account on one ledger. Balances are in minor units of the ledger's currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Account {
    /// Unique, non-zero, not `u128::MAX`.
    pub id: u128,
    /// ISO 4217 numeric currency code (978 = EUR, 840 = USD); transfers never cross ledgers.
    pub ledger: u32,
    /// Kind of account, chosen by the issuer (card, merchant, funding …); non-zero.
    pub code: u16,
    /// Balance constraints.
    pub flags: AccountFlags,
    /// Sum of holds (pending transfers) debiting this account.
    pub debits_pending: u64,
    /// Sum of completed debits.
    pub debits_posted: u64,
    /// Sum of holds crediting this account.
    pub credits_pending: u64,
    /// Sum of completed credits.
    pub credits_posted: u64,
}

impl Account {
    /// A new account with zero balances, ready for `create_accounts`.
    pub fn new(id: u128, ledger: u32, code: u16, flags: AccountFlags) -> Self {
        Self {
            id,
            ledger,
            code,
            flags,
            debits_pending: 0,
            debits_posted: 0,
            credits_pending: 0,
            credits_posted: 0,
        }
    }

    /// What a funded card may still spend: posted credits minus posted and pending debits.
    /// Negative only for accounts without [`AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS`].
    pub fn available_minor(&self) -> i128 {
        i128::from(self.credits_posted)
            - i128::from(self.debits_posted)
            - i128::from(self.debits_pending)
    }
}
