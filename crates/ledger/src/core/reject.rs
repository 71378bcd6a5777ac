//! Result codes: why a transfer or an account was not created (TigerBeetle's result codes).

use super::transfer::Transfer;

/// A transfer that was accepted: newly created, or already present with identical fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferOutcome {
    /// Applied now.
    Created,
    /// An identical transfer with this id exists: idempotent success, nothing changed.
    Exists,
}

/// An account that was accepted: newly created, or already present with identical fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountOutcome {
    /// Created now.
    Created,
    /// An identical account with this id exists: idempotent success, nothing changed.
    Exists,
}

/// Why a transfer was rejected. The order of checks follows TigerBeetle's precedence:
/// when several apply, the one listed first here wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TransferRejected {
    #[error("timestamp must be zero on submission (the ledger sets it)")]
    TimestampMustBeZero,
    #[error("flags: a reserved bit is set")]
    ReservedFlag,
    #[error("id must not be zero")]
    IdMustNotBeZero,
    #[error("id must not be u128::MAX")]
    IdMustNotBeIntMax,
    #[error("a transfer with this id exists with different flags")]
    ExistsWithDifferentFlags,
    #[error("a transfer with this id exists with a different pending_id")]
    ExistsWithDifferentPendingId,
    #[error("a transfer with this id exists with a different timeout_s")]
    ExistsWithDifferentTimeout,
    #[error("a transfer with this id exists with a different debit_account_id")]
    ExistsWithDifferentDebitAccountId,
    #[error("a transfer with this id exists with a different credit_account_id")]
    ExistsWithDifferentCreditAccountId,
    #[error("a transfer with this id exists with a different amount_minor")]
    ExistsWithDifferentAmount,
    #[error("a transfer with this id exists with a different ledger")]
    ExistsWithDifferentLedger,
    #[error("a transfer with this id exists with a different code")]
    ExistsWithDifferentCode,
    #[error("flags: at most one of PENDING, POST_PENDING, VOID_PENDING may be set")]
    FlagsAreMutuallyExclusive,
    #[error("debit_account_id must not be zero")]
    DebitAccountIdMustNotBeZero,
    #[error("debit_account_id must not be u128::MAX")]
    DebitAccountIdMustNotBeIntMax,
    #[error("credit_account_id must not be zero")]
    CreditAccountIdMustNotBeZero,
    #[error("credit_account_id must not be u128::MAX")]
    CreditAccountIdMustNotBeIntMax,
    #[error("debit and credit accounts must differ")]
    AccountsMustBeDifferent,
    #[error("pending_id must be zero unless posting or voiding")]
    PendingIdMustBeZero,
    #[error("pending_id must not be zero when posting or voiding")]
    PendingIdMustNotBeZero,
    #[error("pending_id must not be u128::MAX")]
    PendingIdMustNotBeIntMax,
    #[error("pending_id must differ from the transfer's own id")]
    PendingIdMustBeDifferent,
    #[error("timeout_s is only allowed on a pending transfer")]
    TimeoutReservedForPendingTransfer,
    #[error("ledger must not be zero")]
    LedgerMustNotBeZero,
    #[error("code must not be zero")]
    CodeMustNotBeZero,
    #[error("amount_minor must not be zero")]
    AmountMustNotBeZero,
    #[error("debit account not found")]
    DebitAccountNotFound,
    #[error("credit account not found")]
    CreditAccountNotFound,
    #[error("debit and credit accounts are on different ledgers")]
    AccountsMustHaveTheSameLedger,
    #[error("transfer ledger differs from the accounts' ledger")]
    TransferMustHaveTheSameLedgerAsAccounts,
    #[error("pending transfer not found")]
    PendingNotFound,
    #[error("the transfer named by pending_id is not a pending transfer")]
    PendingTransferNotPending,
    #[error("debit_account_id differs from the pending transfer's")]
    PendingTransferHasDifferentDebitAccountId,
    #[error("credit_account_id differs from the pending transfer's")]
    PendingTransferHasDifferentCreditAccountId,
    #[error("ledger differs from the pending transfer's")]
    PendingTransferHasDifferentLedger,
    #[error("code differs from the pending transfer's")]
    PendingTransferHasDifferentCode,
    #[error("post amount_minor exceeds the pending amount")]
    ExceedsPendingTransferAmount,
    #[error("void amount_minor must be zero or the pending amount")]
    PendingTransferHasDifferentAmount,
    #[error("pending transfer already posted")]
    AlreadyPosted,
    #[error("pending transfer already voided")]
    AlreadyVoided,
    #[error("pending transfer expired")]
    Expired,
    #[error("debits_pending would overflow u64")]
    OverflowsDebitsPending,
    #[error("credits_pending would overflow u64")]
    OverflowsCreditsPending,
    #[error("debits_posted would overflow u64")]
    OverflowsDebitsPosted,
    #[error("credits_posted would overflow u64")]
    OverflowsCreditsPosted,
    #[error("debits_pending + debits_posted would overflow u64")]
    OverflowsDebits,
    #[error("credits_pending + credits_posted would overflow u64")]
    OverflowsCredits,
    #[error("timestamp + timeout_s overflows the clock range")]
    OverflowsTimeout,
    #[error("debit account would have debits exceeding its posted credits (insufficient funds)")]
    ExceedsCredits,
    #[error("credit account would have credits exceeding its posted debits")]
    ExceedsDebits,
}

/// A rejected transfer inside a list: which one, and why. The whole list was not applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("transfer #{index} (id {transfer_id:#x}) rejected: {reason}")]
pub struct TransferError {
    /// Position in the submitted list.
    pub index: usize,
    /// The submitted transfer's id.
    pub transfer_id: u128,
    /// The result code.
    pub reason: TransferRejected,
}

/// Why an account was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum AccountRejected {
    #[error("flags: a reserved bit is set")]
    ReservedFlag,
    #[error("id must not be zero")]
    IdMustNotBeZero,
    #[error("id must not be u128::MAX")]
    IdMustNotBeIntMax,
    #[error("balances must be zero on creation")]
    BalancesMustBeZero,
    #[error("an account with this id exists with different flags")]
    ExistsWithDifferentFlags,
    #[error("an account with this id exists with a different ledger")]
    ExistsWithDifferentLedger,
    #[error("an account with this id exists with a different code")]
    ExistsWithDifferentCode,
    #[error(
        "flags: DEBITS_MUST_NOT_EXCEED_CREDITS and CREDITS_MUST_NOT_EXCEED_DEBITS are mutually exclusive"
    )]
    FlagsAreMutuallyExclusive,
    #[error("ledger must not be zero")]
    LedgerMustNotBeZero,
    #[error("code must not be zero")]
    CodeMustNotBeZero,
}

/// A rejected account inside a list: which one, and why. The whole list was not applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("account #{index} (id {account_id:#x}) rejected: {reason}")]
pub struct AccountError {
    /// Position in the submitted list.
    pub index: usize,
    /// The submitted account's id.
    pub account_id: u128,
    /// The result code.
    pub reason: AccountRejected,
}

/// One accepted transfer of a list, as stored (post/void fields filled in from the hold).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppliedTransfer {
    /// The stored record.
    pub transfer: Transfer,
    /// Created now, or already present.
    pub outcome: TransferOutcome,
}

/// A transfer list that was accepted as a whole.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// One entry per submitted transfer, in order.
    pub transfers: Vec<AppliedTransfer>,
}

impl Applied {
    /// Ids of the transfers, in order.
    pub fn ids(&self) -> Vec<u128> {
        self.transfers.iter().map(|a| a.transfer.id).collect()
    }
}
