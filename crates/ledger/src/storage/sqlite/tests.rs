use std::process::Command;

use rusqlite::Connection;

use super::*;
use crate::{Account, AccountFlags, Ledger, Limits, Transfer};

const EUR: u32 = 978;
const FUNDING: u128 = 1;
const CARD: u128 = 2;
const MERCHANT: u128 = 3;
const T0: u64 = 1_704_067_200_000_000_000;

fn bank(path: &Path) -> Ledger<SqliteStorage> {
    let mut ledger = Ledger::new(SqliteStorage::open(path).unwrap(), Limits::default()).unwrap();
    let mut b = ledger.begin(T0).unwrap();
    b.create_accounts(&[
        Account::new(FUNDING, EUR, 1, AccountFlags::NONE),
        Account::new(CARD, EUR, 10, AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS),
        Account::new(MERCHANT, EUR, 2, AccountFlags::NONE),
    ])
    .unwrap()
    .unwrap();
    b.try_apply(&[Transfer::single(100, FUNDING, CARD, 1_000, EUR, 9)])
        .unwrap()
        .unwrap();
    b.commit().unwrap();
    ledger
}

fn key(n: u8) -> RequestKey {
    [n; 32]
}

#[test]
fn durability_pragmas_are_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(dir.path().join("l.db")).unwrap();
    let journal: String = storage
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let sync: i64 = storage
        .conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    let version: i64 = storage
        .conn
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    let autocheckpoint: i64 = storage
        .conn
        .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        (journal.as_str(), sync, version, autocheckpoint),
        ("wal", 2, SCHEMA_VERSION, 0)
    );
}

/// Commits `n` batches of one transfer each, straight to the storage.
fn commit_transfers(storage: &mut SqliteStorage, n: u128) {
    commit_transfers_from(storage, 0, n);
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn wal_of(path: &Path) -> std::path::PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    wal.into()
}

/// How many transfers the main database file holds on its own, without its WAL: what
/// checkpoints have copied back. `None` while it cannot be read (no schema yet, or a copy
/// taken in the middle of a checkpoint).
fn transfers_in_main_file(path: &Path, scratch: &Path) -> Option<i64> {
    let copy = scratch.join("copy.db");
    for suffix in ["", "-wal", "-shm"] {
        let mut p = copy.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    std::fs::copy(path, &copy).ok()?;
    let conn = Connection::open(&copy).ok()?;
    conn.query_row("SELECT count(*) FROM transfers", [], |r| r.get(0))
        .ok()
}

/// Past SQLite's default autocheckpoint threshold (1,000 WAL frames), commits still copy
/// nothing back into the database file: with `wal_autocheckpoint = 0` the committing
/// connection never checkpoints.
#[test]
fn commits_never_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.db");
    let mut storage = SqliteStorage::open_with(&path, None).unwrap();
    let main_len = file_len(&path);
    commit_transfers(&mut storage, 1_200);
    // A WAL frame is a 24-byte header and a 4,096-byte page, after a 32-byte file header.
    let frames = (file_len(&wal_of(&path)) - 32) / (24 + 4_096);
    assert!(frames > 1_000, "only {frames} WAL frames");
    assert_eq!(file_len(&path), main_len);
    assert_eq!(storage.checkpoints_copied(), 0);
}

/// The checkpoint thread, on its own connection, copies the committed frames back into the
/// database file while the committer goes on.
#[test]
fn the_checkpoint_thread_copies_the_wal_back() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.db");
    let mut storage = SqliteStorage::open(&path).unwrap();
    commit_transfers(&mut storage, 300);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while transfers_in_main_file(&path, scratch.path()) != Some(300) {
        assert!(
            std::time::Instant::now() < deadline,
            "the main file holds {:?} transfers after 20 s",
            transfers_in_main_file(&path, scratch.path())
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(storage.checkpoints_copied() >= 1);
    // The committer still reads and writes as before.
    commit_transfers_from(&mut storage, 300, 10);
    assert!(storage.transfer(1_000 + 309).unwrap().is_some());
}

fn commit_transfers_from(storage: &mut SqliteStorage, first: u128, n: u128) {
    for i in first..first + n {
        let mut changes = ChangeSet::default();
        let id = 1_000 + i;
        changes
            .transfers
            .insert(id, Transfer::single(id, 1, 2, 3, EUR, 1));
        storage.commit(&changes).unwrap();
    }
}

#[test]
fn records_round_trip_with_extreme_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut storage = SqliteStorage::open(dir.path().join("l.db")).unwrap();
    let mut changes = ChangeSet::default();
    let account = Account {
        id: u128::MAX - 1,
        ledger: u32::MAX,
        code: u16::MAX,
        flags: AccountFlags(u16::MAX),
        debits_pending: u64::MAX,
        debits_posted: 1 << 63,
        credits_pending: (1 << 63) - 1,
        credits_posted: 0,
    };
    let transfer = Transfer {
        id: 1 << 127,
        debit_account_id: u128::MAX - 1,
        credit_account_id: 1,
        amount_minor: u64::MAX,
        pending_id: u128::MAX,
        ledger: u32::MAX,
        code: u16::MAX,
        flags: crate::TransferFlags(u16::MAX),
        timeout_s: u32::MAX,
        timestamp_ns: u64::MAX,
    };
    let hold = Hold {
        id: 1 << 127,
        debit_account_id: u128::MAX - 1,
        credit_account_id: 1,
        amount_minor: u64::MAX,
        expires_at_ns: 5,
        status: crate::HoldStatus::Expired,
    };
    let decision = Decision {
        request_key: key(9),
        response: vec![0, 255, 7],
        transfer_ids: vec![1 << 127, 3],
        timestamp_ns: 77,
    };
    changes.accounts.insert(account.id, account);
    changes.transfers.insert(transfer.id, transfer);
    changes.holds.insert(hold.id, hold);
    changes
        .decisions
        .insert(decision.request_key, decision.clone());
    storage.commit(&changes).unwrap();
    drop(storage);
    let storage = SqliteStorage::open(dir.path().join("l.db")).unwrap();
    assert_eq!(storage.account(account.id).unwrap(), Some(account));
    assert_eq!(storage.transfer(transfer.id).unwrap(), Some(transfer));
    assert_eq!(storage.hold(hold.id).unwrap(), Some(hold));
    assert_eq!(storage.decision(&key(9)).unwrap(), Some(decision));
    assert_eq!(storage.account(7).unwrap(), None);
}

#[test]
fn a_failed_commit_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut storage = SqliteStorage::open(dir.path().join("l.db")).unwrap();
    let t = Transfer::single(5, 1, 2, 3, EUR, 1);
    let mut first = ChangeSet::default();
    first.transfers.insert(5, t);
    storage.commit(&first).unwrap();
    // The account row goes in first, then the duplicate transfer id fails the insert.
    let mut second = ChangeSet::default();
    second
        .accounts
        .insert(9, Account::new(9, EUR, 1, AccountFlags::NONE));
    second.transfers.insert(5, t);
    let err = storage.commit(&second).unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Backend {
                op: "commit: insert transfer",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(storage.account(9).unwrap(), None);
}

#[test]
fn a_second_opener_is_refused_while_the_first_holds_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.db");
    let _first = SqliteStorage::open(&path).unwrap();
    let err = SqliteStorage::open(&path).unwrap_err();
    assert!(matches!(err, StorageError::Backend { .. }), "{err}");
}

#[test]
fn another_schema_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.db");
    drop(SqliteStorage::open(&path).unwrap());
    let raw = Connection::open(&path).unwrap();
    raw.execute("UPDATE schema_version SET version = 99", [])
        .unwrap();
    drop(raw);
    let err = SqliteStorage::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::SchemaVersion {
                found: 99,
                expected: 1
            }
        ),
        "{err}"
    );
}

#[test]
fn a_damaged_row_is_reported_with_table_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.db");
    drop(bank(&path));
    let raw = Connection::open(&path).unwrap();
    raw.execute(
        "UPDATE accounts SET ledger = -1 WHERE id = ?1",
        [&id_bytes(CARD)[..]],
    )
    .unwrap();
    drop(raw);
    let storage = SqliteStorage::open(&path).unwrap();
    let err = storage.account(CARD).unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Corrupt {
                table: "accounts",
                column: "ledger",
                ..
            }
        ),
        "{err}"
    );
}

const CRASH_ENV: &str = "LEDGER_CRASH_CHILD_DB";
const CRASH_TEST: &str =
    "storage::sqlite::tests::a_crash_keeps_committed_batches_and_loses_the_open_one";

/// Runs in a child process: commits batch A, then dies in the middle of batch B.
fn crash_child(path: &Path) -> ! {
    let mut ledger = bank(path);
    let mut a = ledger.begin(T0 + 1).unwrap();
    a.decide(
        key(1),
        &[Transfer::pending(1, CARD, MERCHANT, 600, EUR, 1, 0)],
        |_| b"00".to_vec(),
    )
    .unwrap();
    a.commit().unwrap();
    let mut b = ledger.begin(T0 + 2).unwrap();
    b.decide(
        key(2),
        &[Transfer::pending(2, CARD, MERCHANT, 300, EUR, 1, 0)],
        |_| b"00".to_vec(),
    )
    .unwrap();
    let changes = b.into_changes();
    ledger.storage_mut().write_then_abort(&changes)
}

#[test]
fn a_crash_keeps_committed_batches_and_loses_the_open_one() {
    if let Some(path) = std::env::var_os(CRASH_ENV) {
        crash_child(Path::new(&path));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let status = Command::new(std::env::current_exe().unwrap())
        .args([CRASH_TEST, "--exact", "--test-threads=1", "--nocapture"])
        .env(CRASH_ENV, &path)
        .status()
        .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(6),
            "the child must die by abort(): {status:?}"
        );
    }
    assert!(!status.success());

    let ledger = Ledger::new(SqliteStorage::open(&path).unwrap(), Limits::default()).unwrap();
    assert_eq!(
        ledger.decision(&key(1)).unwrap().map(|d| d.response),
        Some(b"00".to_vec())
    );
    assert!(ledger.transfer(1).unwrap().is_some());
    assert_eq!(ledger.decision(&key(2)).unwrap(), None);
    assert_eq!(ledger.transfer(2).unwrap(), None);
    let card = ledger.account(CARD).unwrap().unwrap();
    assert_eq!(
        (card.debits_pending, card.debits_posted, card.credits_posted),
        (600, 0, 1_000)
    );
}
