//! The same random operations through in-memory and SQLite storage give the same results,
//! balances, holds and decisions.

mod common;

use common::{EUR, T0, USD};
use ledger::{
    Account, AccountFlags, Ledger, Limits, MemoryStorage, SqliteStorage, Storage, Transfer,
    TransferFlags,
};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    CreateAccount {
        id: u128,
        ledger: u32,
        code: u16,
        flags: u16,
    },
    Transfers(Vec<Transfer>),
    /// Send an earlier transfer list again (a retransmission).
    Retry(usize),
    Decide {
        key: u8,
        transfers: Vec<Transfer>,
        decline_code: u8,
    },
    Expire,
    /// Commit the batch and move the clock on.
    Commit {
        advance_s: u64,
    },
    /// Drop the batch without committing.
    Abandon,
}

fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![12 => 1..800u64, 1 => Just(0u64), 1 => Just(u64::MAX), 1 => Just(u64::MAX - 1)]
}

fn account_pair() -> impl Strategy<Value = (u128, u128)> {
    prop_oneof![
        // Mostly two different seeded EUR accounts, so most transfers can apply.
        // (account 3 only takes credits after it was debited, so it is mostly a debit side).
        8 => prop_oneof![Just((1u128, 2u128)), Just((2, 1)), Just((3, 1)), Just((3, 2)), Just((2, 3)), Just((1, 3))],
        1 => (0..8u128, 0..8u128),
    ]
}

/// Mostly well-formed transfers (so that holds get made, posted, voided and expired), some
/// with random fields (so that every rejection path runs through both storages).
fn transfer() -> impl Strategy<Value = Transfer> {
    prop_oneof![4 => well_formed(), 1 => chaotic()]
}

fn well_formed() -> impl Strategy<Value = Transfer> {
    let kind = prop_oneof![2 => Just(0u8), 4 => Just(1), 2 => Just(2), 1 => Just(3)];
    // Ids by kind: single 1..8, pending 8..14, post/void 16..31 naming a pending id 8..14, so that
    // resolutions often find a hold and repeats often hit an existing id.
    (
        0..8u128,
        account_pair(),
        1..800u64,
        kind,
        8..14u128,
        0..4u32,
        any::<bool>(),
    )
        .prop_map(
            |(n, (debit, credit), amount, kind, pending_id, timeout_s, full)| match kind {
                0 => Transfer::single(1 + n, debit, credit, amount, EUR, 1),
                1 => Transfer::pending(8 + n % 6, debit, credit, amount, EUR, 1, timeout_s),
                2 => Transfer::post(
                    16 + 2 * n,
                    pending_id,
                    if full {
                        ledger::AMOUNT_POST_FULL
                    } else {
                        amount
                    },
                ),
                _ => Transfer::void(17 + 2 * n, pending_id),
            },
        )
}

fn chaotic() -> impl Strategy<Value = Transfer> {
    let ledger = prop_oneof![8 => Just(EUR), 1 => Just(USD), 1 => Just(0u32)];
    let flags = prop_oneof![
        3 => Just(TransferFlags::NONE),
        4 => Just(TransferFlags::PENDING),
        3 => Just(TransferFlags::POST_PENDING),
        2 => Just(TransferFlags::VOID_PENDING),
        1 => Just(TransferFlags(3)),
        1 => Just(TransferFlags(8)),
    ];
    (
        1..31u128,
        (0..8u128, 0..8u128),
        amount(),
        0..32u128,
        ledger,
        0..3u16,
        flags,
        0..4u32,
        0..4u64,
    )
        .prop_map(
            |(
                id,
                (debit, credit),
                amount,
                pending_id,
                ledger,
                code,
                flags,
                timeout_s,
                timestamp_ns,
            )| Transfer {
                id,
                debit_account_id: debit,
                credit_account_id: credit,
                amount_minor: amount,
                pending_id,
                ledger,
                code,
                flags,
                timeout_s,
                timestamp_ns: timestamp_ns.saturating_sub(2),
            },
        )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (1..8u128, prop_oneof![Just(EUR), Just(USD)], 0..3u16, prop_oneof![Just(0u16), Just(1), Just(2), Just(3), Just(64)])
            .prop_map(|(id, ledger, code, flags)| Op::CreateAccount { id, ledger, code, flags }),
        6 => prop_oneof![3 => proptest::collection::vec(transfer(), 1..2), 1 => proptest::collection::vec(transfer(), 2..4)].prop_map(Op::Transfers),
        3 => (0..6u8, proptest::collection::vec(transfer(), 0..3), any::<u8>())
            .prop_map(|(key, transfers, decline_code)| Op::Decide { key, transfers, decline_code }),
        2 => any::<usize>().prop_map(Op::Retry),
        1 => Just(Op::Expire),
        2 => (0..4u64).prop_map(|advance_s| Op::Commit { advance_s }),
        1 => Just(Op::Abandon),
    ]
}

/// Accounts every run starts with, so that most transfers can succeed.
fn seed() -> Vec<Op> {
    vec![
        Op::CreateAccount {
            id: 1,
            ledger: EUR,
            code: 1,
            flags: 0,
        },
        Op::CreateAccount {
            id: 2,
            ledger: EUR,
            code: 1,
            flags: AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS.0,
        },
        Op::CreateAccount {
            id: 3,
            ledger: EUR,
            code: 1,
            flags: AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS.0,
        },
        Op::Transfers(vec![Transfer::single(39, 1, 2, 5_000, EUR, 1)]),
        Op::Commit { advance_s: 1 },
    ]
}

/// Everything one run observed, in order, plus the final state.
#[derive(Debug, PartialEq)]
struct Run {
    results: Vec<String>,
    accounts: Vec<Account>,
    transfers: Vec<Transfer>,
    holds: Vec<ledger::Hold>,
    pending_by_account: Vec<Vec<ledger::Hold>>,
    decisions: Vec<Option<ledger::Decision>>,
    audit: ledger::AuditReport,
}

fn run<S: Storage>(storage: S, ops: &[Op]) -> Run {
    let mut ledger = Ledger::new(
        storage,
        Limits {
            expire_per_call_max: 3,
            ..Limits::default()
        },
    )
    .unwrap();
    let mut results = Vec::new();
    let mut now_ns = T0;
    let mut rest = ops;
    let mut sent: Vec<Vec<Transfer>> = Vec::new();
    while !rest.is_empty() {
        let mut batch = ledger.begin(now_ns).unwrap();
        let mut end = None;
        while let Some((op, tail)) = rest.split_first() {
            rest = tail;
            let observed = match op {
                Op::CreateAccount {
                    id,
                    ledger,
                    code,
                    flags,
                } => {
                    format!(
                        "{:?}",
                        batch
                            .create_accounts(&[Account::new(
                                *id,
                                *ledger,
                                *code,
                                AccountFlags(*flags)
                            )])
                            .map_err(|e| e.to_string())
                    )
                }
                Op::Transfers(list) => {
                    sent.push(list.clone());
                    format!("{:?}", batch.try_apply(list).map_err(|e| e.to_string()))
                }
                Op::Retry(n) => match sent.get(n % sent.len().max(1)) {
                    Some(list) => format!("{:?}", batch.try_apply(list).map_err(|e| e.to_string())),
                    None => "nothing to retry".to_string(),
                },
                Op::Decide {
                    key,
                    transfers,
                    decline_code,
                } => {
                    let out = batch.decide([*key; 32], transfers, |r| match r {
                        Ok(applied) => applied
                            .ids()
                            .iter()
                            .flat_map(|id| id.to_be_bytes())
                            .take(4)
                            .collect(),
                        Err(e) => vec![*decline_code, e.reason as u8],
                    });
                    format!("{:?}", out.map_err(|e| e.to_string()))
                }
                Op::Expire => format!("{:?}", batch.expire().map_err(|e| e.to_string())),
                Op::Commit { .. } | Op::Abandon => {
                    end = Some(op);
                    break;
                }
            };
            results.push(observed);
        }
        match end {
            Some(Op::Abandon) => drop(batch),
            Some(Op::Commit { advance_s }) => {
                results.push(format!("{:?}", batch.commit().map_err(|e| e.to_string())));
                now_ns += advance_s * 1_000_000_000;
            }
            _ => results.push(format!("{:?}", batch.commit().map_err(|e| e.to_string()))),
        }
    }
    let mut accounts = Vec::new();
    ledger
        .storage()
        .visit_accounts(&mut |a| accounts.push(*a))
        .unwrap();
    let mut transfers = Vec::new();
    ledger
        .storage()
        .visit_transfers(&mut |t| transfers.push(*t))
        .unwrap();
    let mut holds = Vec::new();
    ledger
        .storage()
        .visit_holds(&mut |h| holds.push(*h))
        .unwrap();
    let pending_by_account = (0..8)
        .map(|id| ledger.pending_holds(id, 100).unwrap())
        .collect();
    let decisions = (0..6u8)
        .map(|k| ledger.decision(&[k; 32]).unwrap())
        .collect();
    let audit = ledger.audit().unwrap();
    Run {
        results,
        accounts,
        transfers,
        holds,
        pending_by_account,
        decisions,
        audit,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn memory_and_sqlite_agree(ops in proptest::collection::vec(op(), 1..80)) {
        let all: Vec<Op> = seed().into_iter().chain(ops).collect();
        let dir = tempfile::tempdir().unwrap();
        let sqlite = run(SqliteStorage::open(dir.path().join("eq.db")).unwrap(), &all);
        let memory = run(MemoryStorage::new(), &all);
        prop_assert_eq!(&memory, &sqlite);
        prop_assert!(memory.audit.is_clean(), "{:?}", memory.audit.violations);
        // Reopening the file shows the same committed state.
        let reopened = SqliteStorage::open(dir.path().join("eq.db")).unwrap();
        let mut accounts = Vec::new();
        reopened.visit_accounts(&mut |a| accounts.push(*a)).unwrap();
        prop_assert_eq!(&memory.accounts, &accounts);
    }
}
