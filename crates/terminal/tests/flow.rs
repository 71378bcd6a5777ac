//! The transaction flow against the fake host: results, journal order, reversals, settlement.

mod common;

use common::*;
use iso8583::ResponseCode;
use terminal::journal::{Journal, Outcome, Record};
use terminal::response::{Balance, MatchError};
use terminal::{FlowError, Origin, Recovery, Stan, Terminal, TxnKind};

fn stan(n: u32) -> Stan {
    Stan::new(n).unwrap()
}

fn has_sent(records: &[Record], s: u32) -> bool {
    records
        .iter()
        .any(|r| matches!(r, Record::Sent(q) if q.stan == stan(s)))
}

fn has_pending(records: &[Record], original: u32) -> bool {
    records
        .iter()
        .any(|r| matches!(r, Record::ReversalPending(p) if p.original.stan == stan(original)))
}

#[test]
fn approved_purchase_is_journaled_before_it_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![]);
    let r = block_on(t.pay(&keyed_card(), 1234)).unwrap();
    assert!(r.approved);
    assert_eq!(r.response_code, ResponseCode::APPROVED);
    assert_eq!(r.response_text, "Approved");
    assert_eq!(r.origin, Origin::Host);
    assert_eq!(r.auth_code.as_deref(), Some("AUTH01"));
    assert_eq!(r.stan, stan(1));
    assert_eq!(r.rrn, "331822000001");
    assert_eq!(r.masked_pan, "541333******0434");
    assert_eq!(r.amount_minor, 1234);
    assert_eq!(r.recovery, Recovery::None);
    let host = t.driver();
    assert_eq!(host.mtis(), ["0200"]);
    assert!(
        has_sent(&host.seen[0].journal, 1),
        "Sent is on disk when the 0200 arrives"
    );
    let e = t.journal().state().entry(stan(1)).unwrap();
    assert_eq!(
        e.outcome,
        Outcome::Answered {
            response_code: ResponseCode::APPROVED,
            auth_code: Some("AUTH01".into())
        }
    );
}

#[test]
fn decline_is_a_result_with_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![Step::Answer("51")]);
    let r = block_on(t.pay(&swiped_card(), 99_999)).unwrap();
    assert!(!r.approved);
    assert_eq!(r.response_code.as_str(), "51");
    assert_eq!(r.response_text, "Insufficient funds");
    assert_eq!(r.auth_code, None);
    assert_eq!(r.masked_pan, "476173******0010");
    assert_eq!(t.journal().state().totals(), Default::default());
}

#[test]
fn timeout_writes_the_reversal_before_the_0400_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![Step::Drop]);
    let r = block_on(t.pay(&keyed_card(), 5_000)).unwrap();
    assert!(!r.approved);
    assert_eq!(r.origin, Origin::NoAnswer);
    assert_eq!(r.response_code, ResponseCode::RESPONSE_TOO_LATE);
    assert_eq!(r.recovery, Recovery::ReversalAcknowledged);

    let host = t.driver();
    assert_eq!(host.mtis(), ["0200", "0400"]);
    // When the 0200 arrived: Sent on disk, no reversal yet.
    assert!(has_sent(&host.seen[0].journal, 1));
    assert!(!has_pending(&host.seen[0].journal, 1));
    // When the 0400 arrived: the reversal was already on disk.
    assert!(has_pending(&host.seen[1].journal, 1));
    let rev = &host.seen[1].msg;
    assert_eq!(rev.text(11), Some("000002"), "a reversal has its own STAN");
    assert_eq!(rev.text(4), Some("000000005000"));
    assert_eq!(
        rev.text(90),
        Some("020000000111142213210000000000000000000000")
    );
    let e = t.journal().state().entry(stan(1)).unwrap();
    assert_eq!(e.reversal_done, Some(ResponseCode::APPROVED));
    assert_eq!(t.journal().state().recovery_count(), 0);
}

#[test]
fn unacknowledged_reversal_is_repeated_then_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    // 0200 lost; the 0400 and its two repeats lost too (RETRY: 2 repeats, 250 ms apart).
    let mut t = terminal(
        dir.path(),
        vec![
            Step::Drop,
            Step::Drop,
            Step::Answer("96"),
            Step::Unreachable,
        ],
    );
    let r = block_on(t.pay(&keyed_card(), 700)).unwrap();
    assert_eq!(r.recovery, Recovery::ReversalPending);
    let host = t.driver();
    assert_eq!(host.mtis(), ["0200", "0400", "0400"]);
    assert_eq!(host.slept_ms, [250, 250]);
    let first_0400 = fields(&host.seen[1].msg);
    assert_eq!(
        first_0400,
        fields(&host.seen[2].msg),
        "repeats are identical"
    );

    // Restart: a new process opens the journal and owes the same reversal.
    let (journal, _) = t.into_parts();
    drop(journal);
    let path = dir.path().join("journal.bin");
    let journal = Journal::open(&path).unwrap();
    assert_eq!(journal.state().pending_reversals().count(), 1);
    let mut t = Terminal::new(acceptor(), RETRY, journal, FakeHost::new(&path, vec![]));
    let report = block_on(t.recover()).unwrap();
    assert_eq!(report.reversals_acknowledged, 1);
    assert_eq!(report.reversals_pending, 0);
    assert_eq!(t.driver().mtis(), ["0400"]);
    assert_eq!(fields(&t.driver().seen[0].msg), first_0400);
    assert_eq!(t.journal().state().recovery_count(), 0);
}

#[test]
fn response_matching_refuses_a_wrong_stan() {
    let a = acceptor();
    let (req, _) = terminal::request::card_request(
        &a,
        TxnKind::Purchase,
        &keyed_card(),
        100,
        stan(10),
        &now_at(T0),
    )
    .unwrap();
    let mut resp = iso8583::Message::new(iso8583::Mti::parse("0210").unwrap());
    for n in [3, 4, 7, 37, 41] {
        resp.set_owned(n, req.get(n).unwrap()).unwrap();
    }
    resp.set_owned(11, "000011").unwrap();
    resp.set_owned(39, "00").unwrap();
    assert_eq!(
        terminal::response::check_response(&req, &resp),
        Err(MatchError::Field {
            field: 11,
            expected: "000010".into(),
            got: "000011".into()
        })
    );
    resp.set_owned(11, "000010").unwrap();
    assert!(terminal::response::check_response(&req, &resp).is_ok());
    resp.set_owned(41, "TERM0002").unwrap();
    assert!(matches!(
        terminal::response::check_response(&req, &resp),
        Err(MatchError::Field { field: 41, .. })
    ));
    resp.set_owned(41, "TERM0001").unwrap();
    resp.set_mti(iso8583::Mti::parse("0110").unwrap());
    assert!(matches!(
        terminal::response::check_response(&req, &resp),
        Err(MatchError::Mti { .. })
    ));
}

#[test]
fn an_answer_with_the_wrong_stan_or_amount_is_no_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(
        dir.path(),
        vec![
            Step::Tamper("00", 11, "000077"),
            Step::Answer("00"),
            Step::Tamper("00", 4, "000000009999"),
            Step::Answer("00"),
        ],
    );
    let r = block_on(t.pay(&keyed_card(), 100)).unwrap();
    assert!(!r.approved);
    assert!(matches!(
        r.origin,
        Origin::BadAnswer(MatchError::Field { field: 11, .. })
    ));
    assert_eq!(r.response_code, ResponseCode::SYSTEM_MALFUNCTION);
    assert_eq!(r.recovery, Recovery::ReversalAcknowledged);
    let r = block_on(t.pay(&keyed_card(), 100)).unwrap();
    assert!(matches!(
        r.origin,
        Origin::BadAnswer(MatchError::Field { field: 4, .. })
    ));
    assert_eq!(r.recovery, Recovery::ReversalAcknowledged);
    assert_eq!(t.driver().mtis(), ["0200", "0400", "0200", "0400"]);
    assert_eq!(t.journal().state().totals(), Default::default());
}

#[test]
fn unreachable_gateway_means_unsent_and_nothing_to_reverse() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![Step::Unreachable]);
    let r = block_on(t.pay(&keyed_card(), 100)).unwrap();
    assert_eq!(r.origin, Origin::Unreachable);
    assert_eq!(r.response_code, ResponseCode::ISSUER_INOPERATIVE);
    assert_eq!(r.recovery, Recovery::None);
    assert_eq!(
        t.journal().state().entry(stan(1)).unwrap().outcome,
        Outcome::Unsent
    );
    // The next sale owes nothing for it.
    block_on(t.pay(&keyed_card(), 200)).unwrap();
    assert_eq!(t.driver().mtis(), ["0200"]);
}

#[test]
fn balance_reads_field_54_and_journals_only_its_stan() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(
        dir.path(),
        vec![Step::Balance("0001978C0000000500000002978C000000012345")],
    );
    let r = block_on(t.balance(&swiped_card())).unwrap();
    assert!(r.approved);
    assert_eq!(
        r.balance,
        Some(Balance {
            account_type: 0,
            currency: 978,
            amount_minor: 12_345
        })
    );
    assert_eq!(t.driver().seen[0].msg.text(3), Some("310000"));
    assert!(t.journal().state().entries().is_empty());
    assert_eq!(t.journal().state().last_stan(), Some(stan(1)));
    // A lost balance answer needs no reversal.
    t.driver_mut().script.push_back(Step::Drop);
    let r = block_on(t.balance(&swiped_card())).unwrap();
    assert_eq!(r.origin, Origin::NoAnswer);
    assert_eq!(r.recovery, Recovery::None);
    assert_eq!(t.driver().mtis(), ["0200", "0200"]);
}

#[test]
fn preauth_then_completion_by_rrn() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![]);
    let pre = block_on(t.preauth(&swiped_card(), 10_000)).unwrap();
    assert!(pre.approved);
    assert_eq!(t.driver().seen[0].msg.mti().as_str(), "0100");
    assert_eq!(t.driver().seen[0].msg.text(25), Some("06"));
    let done = block_on(t.complete(&pre.rrn, 8_000)).unwrap();
    assert!(done.approved);
    let c = &t.driver().seen[1].msg;
    assert_eq!(c.mti().as_str(), "0220");
    assert_eq!(c.text(38), Some("AUTH01"));
    assert_eq!(c.text(37), Some(pre.rrn.as_str()));
    assert_eq!(c.text(2), Some("4761739001010010"));
    assert_eq!(
        c.text(90),
        Some("010000000111142213210000000000000000000000")
    );
    // A pre-authorization completes once.
    assert!(matches!(
        block_on(t.complete(&pre.rrn, 1)),
        Err(FlowError::NoOpenPreauth(_))
    ));
    let totals = t.journal().state().totals();
    assert_eq!(
        (totals.debits_count, totals.debits_amount_minor),
        (1, 8_000)
    );
}

#[test]
fn lost_completion_is_repeated_identically_not_reversed() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![Step::Answer("00"), Step::Drop]);
    let pre = block_on(t.preauth(&keyed_card(), 3_000)).unwrap();
    let r = block_on(t.complete(&pre.stan.field(), 3_000)).unwrap();
    assert_eq!(r.recovery, Recovery::AdviceQueued);
    let report = block_on(t.recover()).unwrap();
    assert_eq!(report.advices_answered, 1);
    let host = t.driver();
    assert_eq!(host.mtis(), ["0100", "0220", "0220"]);
    assert_eq!(fields(&host.seen[1].msg), fields(&host.seen[2].msg));
    assert!(t.journal().state().entry(r.stan).unwrap().is_approved());
}

#[test]
fn reverse_last_undoes_the_latest_approval_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![]);
    block_on(t.pay(&keyed_card(), 1_000)).unwrap();
    let second = block_on(t.pay(&swiped_card(), 2_000)).unwrap();
    let rev = block_on(t.reverse_last()).unwrap();
    assert_eq!(rev.original_stan, second.stan);
    assert_eq!(rev.recovery, Recovery::ReversalAcknowledged);
    assert_eq!(rev.response_code, Some(ResponseCode::APPROVED));
    let msg = &t.driver().seen[2].msg;
    assert_eq!(msg.mti().as_str(), "0400");
    assert_eq!(
        msg.text(38),
        Some("AUTH01"),
        "an approval's code goes with its reversal"
    );
    assert_eq!(msg.text(2), Some("4761739001010010"));
    assert_eq!(msg.text(22), Some("022"));
    let rev = block_on(t.reverse_last()).unwrap();
    assert_eq!(rev.original_stan, stan(1));
    assert!(matches!(
        block_on(t.reverse_last()),
        Err(FlowError::NothingToReverse)
    ));
}

#[test]
fn settlement_totals_exclude_reversed_and_declined_then_compact() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(
        dir.path(),
        vec![
            Step::Answer("00"), // purchase 1000
            Step::Answer("00"), // purchase 2000
            Step::Answer("51"), // purchase 500 declined
            Step::Answer("00"), // refund 300
            Step::Drop,         // purchase 700: no answer …
            Step::Answer("00"), // … reversed
            Step::Answer("00"), // purchase 400
            Step::Answer("00"), // … reversed by the merchant
            Step::Answer("00"), // pre-auth 5000 (not a sale)
            Step::Answer("00"), // its completion for 4000
        ],
    );
    let card = keyed_card();
    for (kind, amount) in [
        (TxnKind::Purchase, 1_000),
        (TxnKind::Purchase, 2_000),
        (TxnKind::Purchase, 500),
        (TxnKind::Refund, 300),
        (TxnKind::Purchase, 700),
        (TxnKind::Purchase, 400),
    ] {
        let r = match kind {
            TxnKind::Refund => block_on(t.refund(&card, amount)),
            _ => block_on(t.pay(&card, amount)),
        };
        r.unwrap();
    }
    block_on(t.reverse_last()).unwrap();
    let pre = block_on(t.preauth(&card, 5_000)).unwrap();
    block_on(t.complete(&pre.rrn, 4_000)).unwrap();

    let s = block_on(t.settle()).unwrap();
    assert!(s.settled);
    assert_eq!(s.batch, 1);
    assert_eq!(
        (s.totals.debits_count, s.totals.debits_amount_minor),
        (3, 7_000)
    );
    assert_eq!(
        (s.totals.credits_count, s.totals.credits_amount_minor),
        (1, 300)
    );
    let msg = &t.driver().seen.last().unwrap().msg;
    assert_eq!(msg.mti().as_str(), "0500");
    assert_eq!(msg.text(74), Some("0000000001"));
    assert_eq!(msg.text(76), Some("0000000003"));
    assert_eq!(msg.text(86), Some("0000000000000300"));
    assert_eq!(msg.text(88), Some("0000000000007000"));

    // Compacted: the new batch starts empty and STANs continue.
    let last = t.journal().state().last_stan().unwrap();
    assert_eq!(t.journal().state().batch(), 2);
    assert!(t.journal().state().entries().is_empty());
    let (journal, _) = t.into_parts();
    let len = journal.len_bytes();
    drop(journal);
    let journal = Journal::open(dir.path().join("journal.bin")).unwrap();
    assert_eq!(journal.len_bytes(), len);
    assert_eq!(journal.state().batch(), 2);
    assert_eq!(journal.state().next_stan(), last.next());
    assert_eq!(journal.state().totals(), Default::default());
}

#[test]
fn settlement_waits_for_owed_reversals_and_keeps_the_batch_on_95() {
    let dir = tempfile::tempdir().unwrap();
    // The sale's answer is lost and so is every repeat of its reversal.
    let mut t = terminal(dir.path(), vec![Step::Drop; 7]);
    block_on(t.pay(&keyed_card(), 100)).unwrap();
    assert!(matches!(
        block_on(t.settle()),
        Err(FlowError::RecoveryOwed { count: 1 })
    ));
    // The host acknowledges at last, then disagrees with the totals.
    t.driver_mut().script.clear();
    t.driver_mut().script.push_back(Step::Answer("00"));
    t.driver_mut().script.push_back(Step::Answer("95"));
    let s = block_on(t.settle()).unwrap();
    assert!(!s.settled);
    assert_eq!(s.response_code, ResponseCode::RECONCILE_ERROR);
    assert_eq!(t.journal().state().batch(), 1);
    assert_eq!(t.journal().state().entries().len(), 1);
}

#[test]
fn echo_and_sign_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![]);
    let e = block_on(t.echo()).unwrap();
    assert_eq!(e.response_code, ResponseCode::APPROVED);
    let s = block_on(t.sign_on()).unwrap();
    assert_eq!(s.stan, stan(2));
    let host = t.driver();
    assert_eq!(host.seen[0].msg.text(70), Some("301"));
    assert_eq!(host.seen[1].msg.text(70), Some("001"));
    t.driver_mut().script.push_back(Step::Drop);
    assert!(matches!(block_on(t.echo()), Err(FlowError::Send { .. })));
}

#[test]
fn stan_allocation_wraps_and_persists() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.bin");
    let mut j = Journal::open(&path).unwrap();
    j.append(&Record::StanIssued(stan(999_998))).unwrap();
    assert_eq!(j.state().next_stan(), stan(999_999));
    j.append(&Record::StanIssued(stan(999_999))).unwrap();
    assert_eq!(j.state().next_stan(), stan(1));
    drop(j);
    let j = Journal::open(&path).unwrap();
    assert_eq!(
        j.state().next_stan(),
        stan(1),
        "the last STAN survives a restart"
    );
    let mut t = Terminal::new(acceptor(), RETRY, j, FakeHost::new(&path, vec![]));
    let r = block_on(t.pay(&keyed_card(), 1)).unwrap();
    assert_eq!(r.stan, stan(1));
    assert_eq!(t.driver().seen[0].msg.text(11), Some("000001"));
}

/// A chip card's stripe (service code 201): the terminal asks for the chip and sends
/// nothing; after a chip failure the same swipe goes as a fallback, field 22 = 801.
#[test]
fn a_swiped_chip_card_goes_to_the_chip_and_falls_back_only_after_it_failed() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![]);
    let chip_stripe = terminal::Card::swiped("4761739001010010=28122011143804400000").unwrap();
    let refused = block_on(t.pay(&chip_stripe, 1_000)).unwrap_err();
    assert!(
        refused.to_string().contains("insert it"),
        "{refused}: the merchant is told what to do"
    );
    assert!(t.driver().seen.is_empty(), "nothing sent");
    assert_eq!(t.journal().state().next_stan(), stan(1), "no STAN used");
    let fallback = chip_stripe.as_fallback().unwrap();
    let r = block_on(t.pay(&fallback, 1_000)).unwrap();
    assert!(r.approved);
    assert_eq!(r.entry_mode, terminal::EntryMode::Fallback);
    let sent = &t.driver().seen[0].msg;
    assert_eq!(sent.text(22), Some("801"));
    assert_eq!(sent.text(35), Some("4761739001010010=28122011143804400000"));
}
