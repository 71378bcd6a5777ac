//! Rules for creating an account.

use super::account::{Account, AccountFlags};
use super::reject::{AccountOutcome, AccountRejected};

/// Decides whether `event` may be created, given the account already stored under its id.
pub(crate) fn check_account(
    event: &Account,
    existing: Option<&Account>,
) -> Result<AccountOutcome, AccountRejected> {
    if event.flags.has_reserved_bits() {
        return Err(AccountRejected::ReservedFlag);
    }
    if event.id == 0 {
        return Err(AccountRejected::IdMustNotBeZero);
    }
    if event.id == u128::MAX {
        return Err(AccountRejected::IdMustNotBeIntMax);
    }
    // Balances only ever move through transfers, so that the audit can recompute them.
    if event.debits_pending != 0
        || event.debits_posted != 0
        || event.credits_pending != 0
        || event.credits_posted != 0
    {
        return Err(AccountRejected::BalancesMustBeZero);
    }
    if let Some(stored) = existing {
        if stored.flags != event.flags {
            return Err(AccountRejected::ExistsWithDifferentFlags);
        }
        if stored.ledger != event.ledger {
            return Err(AccountRejected::ExistsWithDifferentLedger);
        }
        if stored.code != event.code {
            return Err(AccountRejected::ExistsWithDifferentCode);
        }
        return Ok(AccountOutcome::Exists);
    }
    if event
        .flags
        .contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
        && event
            .flags
            .contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)
    {
        return Err(AccountRejected::FlagsAreMutuallyExclusive);
    }
    if event.ledger == 0 {
        return Err(AccountRejected::LedgerMustNotBeZero);
    }
    if event.code == 0 {
        return Err(AccountRejected::CodeMustNotBeZero);
    }
    Ok(AccountOutcome::Created)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EUR: u32 = 978;

    fn card(id: u128) -> Account {
        Account::new(id, EUR, 1, AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
    }

    #[test]
    fn accepts_a_new_account() {
        assert_eq!(check_account(&card(7), None), Ok(AccountOutcome::Created));
    }

    #[test]
    fn identical_account_is_idempotent() {
        assert_eq!(
            check_account(&card(7), Some(&card(7))),
            Ok(AccountOutcome::Exists)
        );
    }

    #[test]
    fn rejects_each_bad_field() {
        let cases = [
            (
                Account {
                    flags: AccountFlags(1 << 9),
                    ..card(7)
                },
                AccountRejected::ReservedFlag,
            ),
            (card(0), AccountRejected::IdMustNotBeZero),
            (card(u128::MAX), AccountRejected::IdMustNotBeIntMax),
            (
                Account {
                    credits_posted: 1,
                    ..card(7)
                },
                AccountRejected::BalancesMustBeZero,
            ),
            (
                Account {
                    debits_pending: 1,
                    ..card(7)
                },
                AccountRejected::BalancesMustBeZero,
            ),
            (
                Account {
                    flags: AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS
                        .with(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS),
                    ..card(7)
                },
                AccountRejected::FlagsAreMutuallyExclusive,
            ),
            (
                Account {
                    ledger: 0,
                    ..card(7)
                },
                AccountRejected::LedgerMustNotBeZero,
            ),
            (
                Account { code: 0, ..card(7) },
                AccountRejected::CodeMustNotBeZero,
            ),
        ];
        for (event, want) in cases {
            assert_eq!(check_account(&event, None), Err(want), "{event:?}");
        }
    }

    #[test]
    fn existing_with_different_fields_is_rejected() {
        let stored = card(7);
        let cases = [
            (
                Account {
                    flags: AccountFlags::NONE,
                    ..card(7)
                },
                AccountRejected::ExistsWithDifferentFlags,
            ),
            (
                Account {
                    ledger: 840,
                    ..card(7)
                },
                AccountRejected::ExistsWithDifferentLedger,
            ),
            (
                Account { code: 2, ..card(7) },
                AccountRejected::ExistsWithDifferentCode,
            ),
        ];
        for (event, want) in cases {
            assert_eq!(check_account(&event, Some(&stored)), Err(want), "{event:?}");
        }
    }
}
