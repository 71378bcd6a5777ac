//! The same decisions on SQLite: durable across a restart, and group-committed through the
//! ledger's committer thread.

mod common;

use common::*;
use issuer::{Disposition, Issuer, UnixTime};
use ledger::{Committer, CommitterConfig, Ledger, Limits, SqliteStorage};

#[test]
fn decisions_survive_a_restart_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuer.db");
    let pre = preauth(ALICE, 12_000, 1);
    let sale = purchase(HANA_POOR, 5_000, 2);
    let (held, declined, now) = {
        let mut b = bank_on(SqliteStorage::open(&path).unwrap());
        let held = b.answer(&pre);
        let declined = b.answer(&sale);
        (held, declined, b.now)
    };
    // Reopen: set-up again changes nothing; retries get the stored answers.
    let storage = SqliteStorage::open(&path).unwrap();
    let issuer = Issuer::new(&config());
    let mut ledger = Ledger::new(storage, Limits::default()).unwrap();
    let report = issuer.set_up(&mut ledger, now).unwrap();
    assert_eq!((report.accounts_created, report.openings_posted), (0, 0));
    let mut b = Bank {
        issuer,
        ledger,
        now,
    };
    let again = b.answer(&pre);
    assert_eq!(again.disposition, Disposition::Replayed);
    assert_eq!(again.response, held.response);
    assert_eq!(b.answer(&sale).response, declined.response);
    assert_eq!(b.card(ALICE).debits_pending, 12_000);
    let auth = read(&held).auth().to_owned();
    assert_eq!(b.send(&completion(&pre, 12_000, &auth, 3)).code(), "00");
    assert_eq!(b.available(ALICE), 88_000);
    b.assert_audit_clean();
}

#[test]
fn a_changed_opening_balance_is_refused_at_set_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuer.db");
    drop(bank_on(SqliteStorage::open(&path).unwrap()));
    let changed = CONFIG.replace(
        "opening_balance_minor = 2000",
        "opening_balance_minor = 2001",
    );
    let issuer = Issuer::new(&issuer::Config::parse(&changed).unwrap());
    let mut ledger = Ledger::new(SqliteStorage::open(&path).unwrap(), Limits::default()).unwrap();
    let err = issuer
        .set_up(&mut ledger, UnixTime::from_secs(T0_S))
        .unwrap_err();
    assert!(
        matches!(&err, issuer::IssuerError::OpeningBalanceChanged { card, .. } if card == "hana"),
        "{err}"
    );
}

#[test]
fn group_commit_through_the_ledger_committer() {
    let dir = tempfile::tempdir().unwrap();
    let b = bank_on(SqliteStorage::open(dir.path().join("issuer.db")).unwrap());
    let issuer = std::sync::Arc::new(b.issuer);
    let committer = Committer::spawn(
        b.ledger,
        || T0_S * 1_000_000_000 + 60_000_000_000,
        CommitterConfig::default(),
    )
    .unwrap();
    // Twenty purchases of 1.00 collected by an adapter, decided and committed as one batch.
    let frames: Vec<Vec<u8>> = (1..=20).map(|s| purchase(ALICE, 100, s).pack()).collect();
    let shared = std::sync::Arc::clone(&issuer);
    let answers = committer
        .with_ledger(move |ledger, now_ns| {
            let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
            shared.handle_batch(ledger, &refs, UnixTime::from_ns(now_ns))
        })
        .unwrap()
        .wait()
        .unwrap()
        .unwrap();
    assert_eq!(answers.len(), 20);
    assert!(
        answers
            .iter()
            .all(|a| a.code == Some(iso8583::ResponseCode::APPROVED))
    );
    let ledger = committer.shutdown().unwrap();
    let card = ledger
        .account(issuer.book().chart().card(ALICE))
        .unwrap()
        .unwrap();
    assert_eq!(card.debits_posted, 2_000);
    assert!(issuer.audit(&ledger).unwrap().is_clean());
}
