//! Rules for applying one transfer. Pure: the caller loads the records, these functions decide.

use super::account::{Account, AccountFlags};
use super::hold::{Hold, HoldStatus};
use super::reject::TransferRejected;
use super::transfer::{AMOUNT_POST_FULL, NS_PER_S, Transfer, TransferKind};

/// Stored state contradicts itself (a balance would go negative, a record a transfer points to is
/// missing). Never caused by input alone; the audit names the damage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("stored state is inconsistent: {what} (id {id:#x})")]
pub struct Inconsistency {
    /// What was found wrong.
    pub what: &'static str,
    /// The record concerned.
    pub id: u128,
}

/// Either a rule rejected the transfer, or the stored state is damaged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fail {
    Rejected(TransferRejected),
    Inconsistent(Inconsistency),
}

impl From<TransferRejected> for Fail {
    fn from(r: TransferRejected) -> Self {
        Self::Rejected(r)
    }
}

impl From<Inconsistency> for Fail {
    fn from(i: Inconsistency) -> Self {
        Self::Inconsistent(i)
    }
}

/// Everything one accepted transfer changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Effect {
    /// The record to store.
    pub transfer: Transfer,
    /// New state of the debit account.
    pub debit: Account,
    /// New state of the credit account.
    pub credit: Account,
    /// New or updated hold, for pending/post/void.
    pub hold: Option<Hold>,
}

/// A pending transfer with everything needed to resolve it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PendingContext {
    pub transfer: Transfer,
    pub hold: Hold,
    pub debit: Account,
    pub credit: Account,
}

/// Result of looking up the transfer a post/void names.
// Lives on the stack for one call; boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug)]
pub(crate) enum PendingLookup {
    NotFound,
    NotPending,
    Found(PendingContext),
}

/// The latest time the stores can hold: SQLite integers are signed 64-bit.
pub(crate) const TIME_MAX_NS: u64 = i64::MAX as u64;

/// Checks that need no stored record.
pub(crate) fn check_header(e: &Transfer) -> Result<(), TransferRejected> {
    if e.timestamp_ns != 0 {
        return Err(TransferRejected::TimestampMustBeZero);
    }
    if e.flags.has_reserved_bits() {
        return Err(TransferRejected::ReservedFlag);
    }
    if e.id == 0 {
        return Err(TransferRejected::IdMustNotBeZero);
    }
    if e.id == u128::MAX {
        return Err(TransferRejected::IdMustNotBeIntMax);
    }
    Ok(())
}

/// A transfer with this id is stored: `Ok` if the event describes the same transfer (idempotent
/// success). `pending_amount` is the amount of the hold a stored post resolved (needed because a
/// post submitted with [`AMOUNT_POST_FULL`] is stored with the resolved amount).
pub(crate) fn compare_existing(
    e: &Transfer,
    s: &Transfer,
    pending_amount: Option<u64>,
) -> Result<(), TransferRejected> {
    use TransferRejected as R;
    if e.flags != s.flags {
        return Err(R::ExistsWithDifferentFlags);
    }
    if e.pending_id != s.pending_id {
        return Err(R::ExistsWithDifferentPendingId);
    }
    if e.timeout_s != s.timeout_s {
        return Err(R::ExistsWithDifferentTimeout);
    }
    let kind = s.kind();
    let resolving = matches!(kind, Some(TransferKind::Post | TransferKind::Void));
    // On post/void a zero field means "as the pending transfer", which is what was stored.
    let same = |event: u128, stored: u128| event == stored || (resolving && event == 0);
    if !same(e.debit_account_id, s.debit_account_id) {
        return Err(R::ExistsWithDifferentDebitAccountId);
    }
    if !same(e.credit_account_id, s.credit_account_id) {
        return Err(R::ExistsWithDifferentCreditAccountId);
    }
    let amount_same = match kind {
        Some(TransferKind::Post) if e.amount_minor == AMOUNT_POST_FULL => {
            pending_amount == Some(s.amount_minor)
        }
        Some(TransferKind::Void) => e.amount_minor == 0 || e.amount_minor == s.amount_minor,
        _ => e.amount_minor == s.amount_minor,
    };
    if !amount_same {
        return Err(R::ExistsWithDifferentAmount);
    }
    if !(e.ledger == s.ledger || (resolving && e.ledger == 0)) {
        return Err(R::ExistsWithDifferentLedger);
    }
    if !(e.code == s.code || (resolving && e.code == 0)) {
        return Err(R::ExistsWithDifferentCode);
    }
    Ok(())
}

/// Field checks for single-phase and pending transfers (before any account is loaded).
pub(crate) fn check_new_fields(e: &Transfer, kind: TransferKind) -> Result<(), TransferRejected> {
    use TransferRejected as R;
    if e.debit_account_id == 0 {
        return Err(R::DebitAccountIdMustNotBeZero);
    }
    if e.debit_account_id == u128::MAX {
        return Err(R::DebitAccountIdMustNotBeIntMax);
    }
    if e.credit_account_id == 0 {
        return Err(R::CreditAccountIdMustNotBeZero);
    }
    if e.credit_account_id == u128::MAX {
        return Err(R::CreditAccountIdMustNotBeIntMax);
    }
    if e.debit_account_id == e.credit_account_id {
        return Err(R::AccountsMustBeDifferent);
    }
    if e.pending_id != 0 {
        return Err(R::PendingIdMustBeZero);
    }
    if kind != TransferKind::Pending && e.timeout_s != 0 {
        return Err(R::TimeoutReservedForPendingTransfer);
    }
    if e.ledger == 0 {
        return Err(R::LedgerMustNotBeZero);
    }
    if e.code == 0 {
        return Err(R::CodeMustNotBeZero);
    }
    if e.amount_minor == 0 {
        return Err(R::AmountMustNotBeZero);
    }
    Ok(())
}

/// Applies a single-phase or pending transfer to its two accounts.
pub(crate) fn plan_new(
    e: &Transfer,
    kind: TransferKind,
    debit: Option<Account>,
    credit: Option<Account>,
    now_ns: u64,
) -> Result<Effect, TransferRejected> {
    use TransferRejected as R;
    let mut debit = debit.ok_or(R::DebitAccountNotFound)?;
    let mut credit = credit.ok_or(R::CreditAccountNotFound)?;
    if debit.ledger != credit.ledger {
        return Err(R::AccountsMustHaveTheSameLedger);
    }
    if e.ledger != debit.ledger {
        return Err(R::TransferMustHaveTheSameLedgerAsAccounts);
    }
    let amount = e.amount_minor;
    let pending = kind == TransferKind::Pending;
    if pending {
        debit.debits_pending = debit
            .debits_pending
            .checked_add(amount)
            .ok_or(R::OverflowsDebitsPending)?;
        credit.credits_pending = credit
            .credits_pending
            .checked_add(amount)
            .ok_or(R::OverflowsCreditsPending)?;
    } else {
        debit.debits_posted = debit
            .debits_posted
            .checked_add(amount)
            .ok_or(R::OverflowsDebitsPosted)?;
        credit.credits_posted = credit
            .credits_posted
            .checked_add(amount)
            .ok_or(R::OverflowsCreditsPosted)?;
    }
    let debits_total = debit
        .debits_pending
        .checked_add(debit.debits_posted)
        .ok_or(R::OverflowsDebits)?;
    let credits_total = credit
        .credits_pending
        .checked_add(credit.credits_posted)
        .ok_or(R::OverflowsCredits)?;
    let expires_at_ns = if pending && e.timeout_s != 0 {
        u64::from(e.timeout_s)
            .checked_mul(NS_PER_S)
            .and_then(|t| now_ns.checked_add(t))
            .filter(|t| *t <= TIME_MAX_NS)
            .ok_or(R::OverflowsTimeout)?
    } else {
        0
    };
    if debit
        .flags
        .contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
        && debits_total > debit.credits_posted
    {
        return Err(R::ExceedsCredits);
    }
    if credit
        .flags
        .contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)
        && credits_total > credit.debits_posted
    {
        return Err(R::ExceedsDebits);
    }
    let transfer = Transfer {
        timestamp_ns: now_ns,
        ..*e
    };
    let hold = pending.then_some(Hold {
        id: e.id,
        debit_account_id: e.debit_account_id,
        credit_account_id: e.credit_account_id,
        amount_minor: amount,
        expires_at_ns,
        status: HoldStatus::Pending,
    });
    Ok(Effect {
        transfer,
        debit,
        credit,
        hold,
    })
}

/// Field checks for post/void transfers (before the pending transfer is loaded).
pub(crate) fn check_resolve_fields(e: &Transfer) -> Result<(), TransferRejected> {
    use TransferRejected as R;
    if e.pending_id == 0 {
        return Err(R::PendingIdMustNotBeZero);
    }
    if e.pending_id == u128::MAX {
        return Err(R::PendingIdMustNotBeIntMax);
    }
    if e.pending_id == e.id {
        return Err(R::PendingIdMustBeDifferent);
    }
    if e.timeout_s != 0 {
        return Err(R::TimeoutReservedForPendingTransfer);
    }
    Ok(())
}

/// Posts or voids the pending transfer found by `lookup`.
pub(crate) fn plan_resolve(
    e: &Transfer,
    kind: TransferKind,
    lookup: PendingLookup,
    now_ns: u64,
) -> Result<Effect, Fail> {
    use TransferRejected as R;
    let ctx = match lookup {
        PendingLookup::NotFound => return Err(R::PendingNotFound.into()),
        PendingLookup::NotPending => return Err(R::PendingTransferNotPending.into()),
        PendingLookup::Found(ctx) => ctx,
    };
    let p = ctx.transfer;
    if e.debit_account_id != 0 && e.debit_account_id != p.debit_account_id {
        return Err(R::PendingTransferHasDifferentDebitAccountId.into());
    }
    if e.credit_account_id != 0 && e.credit_account_id != p.credit_account_id {
        return Err(R::PendingTransferHasDifferentCreditAccountId.into());
    }
    if e.ledger != 0 && e.ledger != p.ledger {
        return Err(R::PendingTransferHasDifferentLedger.into());
    }
    if e.code != 0 && e.code != p.code {
        return Err(R::PendingTransferHasDifferentCode.into());
    }
    let posted = match kind {
        TransferKind::Post if e.amount_minor == 0 => return Err(R::AmountMustNotBeZero.into()),
        TransferKind::Post if e.amount_minor == AMOUNT_POST_FULL => p.amount_minor,
        TransferKind::Post if e.amount_minor > p.amount_minor => {
            return Err(R::ExceedsPendingTransferAmount.into());
        }
        TransferKind::Post => e.amount_minor,
        _ if e.amount_minor != 0 && e.amount_minor != p.amount_minor => {
            return Err(R::PendingTransferHasDifferentAmount.into());
        }
        _ => 0,
    };
    match ctx.hold.status {
        HoldStatus::Posted => return Err(R::AlreadyPosted.into()),
        HoldStatus::Voided => return Err(R::AlreadyVoided.into()),
        HoldStatus::Expired => return Err(R::Expired.into()),
        HoldStatus::Pending if ctx.hold.is_expired_at(now_ns) => return Err(R::Expired.into()),
        HoldStatus::Pending => {}
    }
    let (mut debit, mut credit) = release(&ctx.hold, ctx.debit, ctx.credit)?;
    if kind == TransferKind::Post {
        debit.debits_posted = debit
            .debits_posted
            .checked_add(posted)
            .ok_or(R::OverflowsDebitsPosted)?;
        credit.credits_posted = credit
            .credits_posted
            .checked_add(posted)
            .ok_or(R::OverflowsCreditsPosted)?;
    }
    let status = if kind == TransferKind::Post {
        HoldStatus::Posted
    } else {
        HoldStatus::Voided
    };
    let transfer = Transfer {
        debit_account_id: p.debit_account_id,
        credit_account_id: p.credit_account_id,
        amount_minor: if kind == TransferKind::Post {
            posted
        } else {
            p.amount_minor
        },
        ledger: p.ledger,
        code: p.code,
        timestamp_ns: now_ns,
        ..*e
    };
    Ok(Effect {
        transfer,
        debit,
        credit,
        hold: Some(Hold { status, ..ctx.hold }),
    })
}

/// Takes a hold's amount out of both accounts' pending balances.
fn release(
    hold: &Hold,
    mut debit: Account,
    mut credit: Account,
) -> Result<(Account, Account), Inconsistency> {
    debit.debits_pending =
        debit
            .debits_pending
            .checked_sub(hold.amount_minor)
            .ok_or(Inconsistency {
                what: "debits_pending smaller than a hold on the account",
                id: debit.id,
            })?;
    credit.credits_pending = credit
        .credits_pending
        .checked_sub(hold.amount_minor)
        .ok_or(Inconsistency {
            what: "credits_pending smaller than a hold on the account",
            id: credit.id,
        })?;
    Ok((debit, credit))
}

/// Releases a pending hold whose timeout has passed.
pub(crate) fn plan_expire(
    hold: &Hold,
    debit: Account,
    credit: Account,
) -> Result<(Hold, Account, Account), Inconsistency> {
    if hold.status != HoldStatus::Pending {
        return Err(Inconsistency {
            what: "expiring a hold that is not pending",
            id: hold.id,
        });
    }
    let (debit, credit) = release(hold, debit, credit)?;
    Ok((
        Hold {
            status: HoldStatus::Expired,
            ..*hold
        },
        debit,
        credit,
    ))
}
