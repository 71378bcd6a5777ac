//! Shared fixtures: a small bank on the EUR ledger.
#![allow(dead_code)]

use ledger::{Account, AccountFlags, Applied, Ledger, Limits, Storage, Transfer, TransferError};

/// ISO 4217 numeric code of the euro.
pub const EUR: u32 = 978;
/// ISO 4217 numeric code of the US dollar.
pub const USD: u32 = 840;

/// Bank's funding account: no limits, it goes negative as cards are loaded.
pub const FUNDING: u128 = 1;
/// A funded debit card: may not spend more than it was loaded with.
pub const CARD: u128 = 2;
/// A merchant's settlement account.
pub const MERCHANT: u128 = 3;
/// An account on another ledger.
pub const DOLLARS: u128 = 4;
/// A credit line: credits may not exceed debits.
pub const LINE: u128 = 5;
/// A second funding account (for overflow tests on the credit side).
pub const FUNDING2: u128 = 6;

/// Account code for card accounts.
pub const CODE_CARD: u16 = 10;
/// Transfer code for purchases.
pub const PURCHASE: u16 = 1;

/// 2024-01-01T00:00:00Z in ns.
pub const T0: u64 = 1_704_067_200_000_000_000;
/// One second in ns.
pub const S: u64 = 1_000_000_000;

pub fn accounts() -> Vec<Account> {
    vec![
        Account::new(FUNDING, EUR, 1, AccountFlags::NONE),
        Account::new(
            CARD,
            EUR,
            CODE_CARD,
            AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
        ),
        Account::new(MERCHANT, EUR, 2, AccountFlags::NONE),
        Account::new(DOLLARS, USD, 2, AccountFlags::NONE),
        Account::new(LINE, EUR, 3, AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS),
        Account::new(FUNDING2, EUR, 1, AccountFlags::NONE),
    ]
}

/// Creates the accounts and loads the card with `card_minor`.
pub fn bank<S: Storage>(storage: S, card_minor: u64) -> Ledger<S> {
    let mut ledger = Ledger::new(storage, Limits::default()).unwrap();
    let mut batch = ledger.begin(T0).unwrap();
    batch.create_accounts(&accounts()).unwrap().unwrap();
    if card_minor > 0 {
        batch
            .try_apply(&[Transfer::single(100, FUNDING, CARD, card_minor, EUR, 9)])
            .unwrap()
            .unwrap();
    }
    batch.commit().unwrap();
    ledger
}

/// Applies transfers in their own batch at `now_ns` and commits.
pub fn apply<S: Storage>(
    ledger: &mut Ledger<S>,
    now_ns: u64,
    transfers: &[Transfer],
) -> Result<Applied, TransferError> {
    let mut batch = ledger.begin(now_ns).unwrap();
    let result = batch.try_apply(transfers).unwrap();
    batch.commit().unwrap();
    result
}

/// (debits_pending, debits_posted, credits_pending, credits_posted)
pub fn balances<S: Storage>(ledger: &Ledger<S>, id: u128) -> (u64, u64, u64, u64) {
    let a = ledger.account(id).unwrap().unwrap();
    (
        a.debits_pending,
        a.debits_posted,
        a.credits_pending,
        a.credits_posted,
    )
}

/// A request key from a small number (the issuer hashes the real request fields).
pub fn key(n: u8) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[0] = n;
    k[31] = 0xA5;
    k
}
