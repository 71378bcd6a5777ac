//! The journal file: torn tails, corruption, locking, compaction, and readers that never panic.

mod common;

use std::io::Write;

use common::*;
use iso8583::ResponseCode;
use proptest::prelude::*;
use terminal::journal::record::{FRAME_HEADER_LEN, MAGIC, PAYLOAD_LEN_MAX};
use terminal::journal::{Journal, JournalError, JournalState, Record, ScanError, scan};
use terminal::txn::{PendingReversal, RequestRecord, Stamp};
use terminal::{Stan, TxnKind};

fn stan(n: u32) -> Stan {
    Stan::new(n).unwrap()
}

fn sent(n: u32, kind: TxnKind, amount: u64) -> RequestRecord {
    let card = if n.is_multiple_of(2) {
        keyed_card()
    } else {
        swiped_card()
    };
    terminal::request::card_request(
        &acceptor(),
        kind,
        &card,
        amount,
        stan(n),
        &now_at(T0 + i64::from(n)),
    )
    .unwrap()
    .1
}

fn append_raw(path: &std::path::Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

/// A journal with a purchase answered and a refund in flight.
fn two_requests(path: &std::path::Path) -> JournalState {
    let mut j = Journal::open(path).unwrap();
    j.append(&Record::Sent(sent(1, TxnKind::Purchase, 1_000)))
        .unwrap();
    j.append(&Record::Completed {
        stan: stan(1),
        response_code: ResponseCode::APPROVED,
        auth_code: Some("AUTH01".into()),
    })
    .unwrap();
    j.append(&Record::Sent(sent(2, TxnKind::Refund, 300)))
        .unwrap();
    j.state().clone()
}

#[test]
fn a_torn_last_record_is_ignored_and_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let before = two_requests(&path);
    let whole_len = std::fs::metadata(&path).unwrap().len();
    // A crash halfway through appending the refund's answer.
    let frame = Record::Completed {
        stan: stan(2),
        response_code: ResponseCode::APPROVED,
        auth_code: None,
    }
    .frame()
    .unwrap();
    append_raw(&path, &frame[..frame.len() / 2]);

    let mut j = Journal::open(&path).unwrap();
    assert_eq!(j.torn_len(), frame.len() / 2);
    assert_eq!(j.state(), &before);
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        whole_len,
        "torn bytes cut off"
    );
    // The refund is still owed a reversal.
    assert_eq!(
        j.state()
            .unanswered_requests()
            .map(|e| e.request.stan)
            .collect::<Vec<_>>(),
        [stan(2)]
    );
    // Appending after the cut works, and the file replays cleanly.
    j.append(&Record::StanIssued(stan(3))).unwrap();
    drop(j);
    let j = Journal::open(&path).unwrap();
    assert_eq!(j.torn_len(), 0);
    assert_eq!(j.state().last_stan(), Some(stan(3)));
}

#[test]
fn zero_filled_and_bad_crc_tails_are_torn_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let before = two_requests(&path);
    // Some filesystems leave zeros where an unsynced append was.
    append_raw(&path, &[0u8; 64]);
    let j = Journal::open(&path).unwrap();
    assert_eq!((j.torn_len(), j.state()), (64, &before));
    drop(j);
    // A complete frame whose payload did not all reach the disk: the CRC disagrees.
    let mut frame = Record::Unsent(stan(2)).frame().unwrap();
    let last = frame.len() - 1;
    frame[last] ^= 0x40;
    append_raw(&path, &frame);
    let j = Journal::open(&path).unwrap();
    assert_eq!((j.torn_len(), j.state()), (frame.len(), &before));
}

#[test]
fn damage_before_the_last_record_is_corruption_with_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let mut j = Journal::open(&path).unwrap();
    for n in 1..=20 {
        j.append(&Record::Sent(sent(n, TxnKind::Purchase, 100)))
            .unwrap();
    }
    drop(j);
    let mut bytes = std::fs::read(&path).unwrap();
    let first = scan(&bytes).unwrap().records[1].0;
    bytes[first + FRAME_HEADER_LEN + 3] ^= 0x01;
    assert!(bytes.len() - first > FRAME_HEADER_LEN + PAYLOAD_LEN_MAX);
    assert_eq!(
        scan(&bytes),
        Err(ScanError::Corrupt {
            offset: first,
            why: "CRC mismatch"
        })
    );
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        Journal::open(&path),
        Err(JournalError::Scan {
            source: ScanError::Corrupt { .. },
            ..
        })
    ));
    std::fs::write(&path, b"not a journal at all").unwrap();
    assert!(matches!(
        Journal::open(&path),
        Err(JournalError::Scan {
            source: ScanError::Magic,
            ..
        })
    ));
}

#[test]
fn records_that_contradict_the_journal_are_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let mut j = Journal::open(&path).unwrap();
    let len = j.len_bytes();
    assert!(matches!(
        j.append(&Record::Completed {
            stan: stan(5),
            response_code: ResponseCode::APPROVED,
            auth_code: None
        }),
        Err(JournalError::Refused(_))
    ));
    j.append(&Record::Sent(sent(5, TxnKind::Purchase, 1)))
        .unwrap();
    assert!(matches!(
        j.append(&Record::Sent(sent(5, TxnKind::Purchase, 1))),
        Err(JournalError::Refused(_))
    ));
    assert!(matches!(
        j.append(&Record::Sent(sent(6, TxnKind::Balance, 0))),
        Err(JournalError::Refused(_))
    ));
    assert!(matches!(
        j.append(&Record::Checkpoint {
            batch: 9,
            last_stan: None
        }),
        Err(JournalError::Refused(_))
    ));
    let sent_len = Record::Sent(sent(5, TxnKind::Purchase, 1))
        .frame()
        .unwrap()
        .len() as u64;
    assert_eq!(
        j.len_bytes(),
        len + sent_len,
        "refused records are not written"
    );
}

#[test]
fn a_second_process_cannot_open_an_open_journal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let j = Journal::open(&path).unwrap();
    assert!(matches!(
        Journal::open(&path),
        Err(JournalError::Locked { .. })
    ));
    drop(j);
    Journal::open(&path).unwrap();
}

#[test]
fn compaction_keeps_what_is_owed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let mut j = Journal::open(&path).unwrap();
    let pre = sent(1, TxnKind::PreAuth, 5_000);
    j.append(&Record::Sent(pre.clone())).unwrap();
    j.append(&Record::Completed {
        stan: stan(1),
        response_code: ResponseCode::APPROVED,
        auth_code: Some("AUTH01".into()),
    })
    .unwrap();
    let sale = sent(2, TxnKind::Purchase, 700);
    j.append(&Record::Sent(sale.clone())).unwrap();
    j.append(&Record::ReversalPending(PendingReversal {
        original: sale,
        original_auth_code: None,
        stan: stan(3),
        stamp: Stamp::at(&now_at(T0 + 60)),
        final_icc: None,
    }))
    .unwrap();
    j.append(&Record::Sent(sent(4, TxnKind::Purchase, 100)))
        .unwrap();
    j.append(&Record::Completed {
        stan: stan(4),
        response_code: ResponseCode::APPROVED,
        auth_code: Some("AUTH02".into()),
    })
    .unwrap();
    j.append(&Record::Settled { batch: 1 }).unwrap();
    let settled = j.state().clone();
    // Kept: the open pre-authorization and the owed reversal; gone: the settled sale.
    let kept: Vec<_> = settled.entries().iter().map(|e| e.request.stan).collect();
    assert_eq!(kept, [stan(1), stan(2)]);
    assert_eq!(settled.batch(), 2);
    assert_eq!(settled.next_stan(), stan(5));
    let before = j.len_bytes();
    j.compact().unwrap();
    assert!(j.len_bytes() < before);
    assert_eq!(j.state(), &settled);
    drop(j);
    let j = Journal::open(&path).unwrap();
    assert_eq!(j.state(), &settled);
    assert_eq!(j.state().open_preauth(&pre.rrn).unwrap().request, pre);
    assert!(!dir.path().join("journal.tmp").exists());
}

#[test]
fn journal_size_is_bounded() {
    let mut state = JournalState::default();
    state
        .apply(&Record::Checkpoint {
            batch: 1,
            last_stan: None,
        })
        .unwrap();
    let template = sent(1, TxnKind::Purchase, 1);
    for n in 1..=terminal::journal::TXN_PER_BATCH_MAX as u32 {
        let r = RequestRecord {
            stan: stan(n),
            ..template.clone()
        };
        state.apply(&Record::Sent(r)).unwrap();
    }
    let extra = RequestRecord {
        stan: stan(999_000),
        ..template
    };
    assert_eq!(
        state.apply(&Record::Sent(extra)),
        Err(terminal::journal::StateError::BatchFull)
    );
}

fn arb_request() -> impl Strategy<Value = RequestRecord> {
    (
        1u32..=999_999,
        0u64..=terminal::txn::AMOUNT_MINOR_MAX,
        "[0-9]{12,19}",
        proptest::option::of("[A-Z0-9 ]{1,6}"),
        0u8..3,
        0usize..5,
        proptest::option::of((1u32..=999_999, "[0-9]{10}")),
        any::<u32>(),
        // Field 55 of chip requests and offline advices: up to the 255 bytes a field 55
        // holds (the journal's length is u16).
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..=255)),
    )
        .prop_map(|(s, amount, pan, auth, keyed, kind, original, t, icc)| {
            let kind = [
                TxnKind::Purchase,
                TxnKind::Refund,
                TxnKind::PreAuth,
                TxnKind::Completion,
                TxnKind::OfflineAdvice,
            ][kind];
            let now = now_at(i64::from(t));
            RequestRecord {
                kind,
                stan: stan(s),
                stamp: Stamp::at(&now),
                rrn: terminal::request::rrn(&now, stan(s)),
                amount_minor: amount,
                currency: "978".into(),
                entry_mode: match (&icc, keyed) {
                    (Some(_), _) => terminal::EntryMode::Chip,
                    (None, 0) => terminal::EntryMode::Keyed,
                    (None, 1) => terminal::EntryMode::Swiped,
                    (None, _) => terminal::EntryMode::Fallback,
                },
                pan: terminal::Pan::new(&pan).unwrap(),
                auth_code: auth,
                original: original.map(|(s, tx)| terminal::txn::OriginalRef {
                    mti: iso8583::Mti::parse("0100").unwrap(),
                    stan: stan(s),
                    transmission: tx,
                }),
                icc,
            }
        })
}

fn arb_record() -> impl Strategy<Value = Record> {
    prop_oneof![
        (any::<u32>(), proptest::option::of(1u32..=999_999)).prop_map(|(b, s)| {
            Record::Checkpoint {
                batch: b,
                last_stan: s.map(stan),
            }
        }),
        (1u32..=999_999).prop_map(|s| Record::StanIssued(stan(s))),
        arb_request().prop_map(Record::Sent),
        (1u32..=999_999).prop_map(|s| Record::Unsent(stan(s))),
        (
            1u32..=999_999,
            "[0-9A-Z]{2}",
            proptest::option::of("[A-Z0-9]{6}")
        )
            .prop_map(|(s, c, a)| {
                Record::Completed {
                    stan: stan(s),
                    response_code: ResponseCode::parse(&c).unwrap(),
                    auth_code: a,
                }
            }),
        (
            arb_request(),
            proptest::option::of("[A-Z0-9]{6}"),
            1u32..=999_999,
            any::<u32>(),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..=255)),
        )
            .prop_map(|(o, a, s, t, f)| {
                // A card's final data exists only for a chip request.
                let final_icc = f.filter(|_| o.icc.is_some());
                Record::ReversalPending(PendingReversal {
                    original: o,
                    original_auth_code: a,
                    stan: stan(s),
                    stamp: Stamp::at(&now_at(i64::from(t))),
                    final_icc,
                })
            }),
        (1u32..=999_999, "[0-9]{2}").prop_map(|(s, c)| Record::ReversalDone {
            original_stan: stan(s),
            response_code: ResponseCode::parse(&c).unwrap(),
        }),
        any::<u32>().prop_map(|b| Record::Settled { batch: b }),
    ]
}

proptest! {
    #[test]
    fn records_round_trip(record in arb_record()) {
        let payload = record.payload().unwrap();
        prop_assert!(payload.len() <= PAYLOAD_LEN_MAX);
        prop_assert_eq!(Record::from_payload(&payload).unwrap(), record);
    }

    /// The reader (and the replay behind it) never panics, whatever the bytes.
    #[test]
    fn reader_never_panics_on_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        with_magic in any::<bool>(),
    ) {
        let mut file = if with_magic { MAGIC.to_vec() } else { Vec::new() };
        file.extend_from_slice(&bytes);
        if let Ok(s) = scan(&file) {
            prop_assert_eq!(s.valid_len + s.torn_len, file.len());
            let mut state = JournalState::default();
            for (_, r) in &s.records {
                let _ = state.apply(r);
            }
        }
        let _ = Record::from_payload(&bytes);
    }

    /// Arbitrary payloads with a correct length and CRC reach the record decoder: still no panic.
    #[test]
    fn decoder_never_panics_on_framed_garbage(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..200), 0..8),
    ) {
        let mut file = MAGIC.to_vec();
        for p in &payloads {
            file.extend_from_slice(&(p.len() as u32).to_le_bytes());
            file.extend_from_slice(&terminal::crc32(p).to_le_bytes());
            file.extend_from_slice(p);
        }
        let _ = scan(&file);
    }

    /// Cutting a valid journal anywhere loses at most the record being cut.
    #[test]
    fn any_truncation_reads_as_a_prefix(records in proptest::collection::vec(arb_record(), 1..12), cut in any::<proptest::sample::Index>()) {
        let mut file = MAGIC.to_vec();
        let mut ends = Vec::new();
        for r in &records {
            file.extend_from_slice(&r.frame().unwrap());
            ends.push(file.len());
        }
        let cut = MAGIC.len() + cut.index(file.len() - MAGIC.len() + 1);
        let s = scan(&file[..cut]).unwrap();
        let whole = ends.iter().filter(|&&e| e <= cut).count();
        prop_assert_eq!(s.records.len(), whole);
        let got: Vec<Record> = s.records.into_iter().map(|(_, r)| r).collect();
        prop_assert_eq!(&got[..], &records[..whole]);
    }
}
