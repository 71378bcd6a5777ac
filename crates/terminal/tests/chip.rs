//! The chip flow against the project's virtual card in the in-process reader and the scripted
//! fake host: what goes on the wire (22 = 051, 35 from tag 57, 55), what is journaled first,
//! the reversal of a host approval the card declines, the offline advice queue, a pulled card.

mod common;

use common::*;
use terminal::chip::{Cardholder, kernel_config};
use terminal::journal::Record;
use terminal::result::Recovery;
use terminal::txn::TxnKind;
use terminal::{InProcessReader, journal::scan};

fn reader(profile: &str) -> InProcessReader {
    let keys = card::keys::KeySet::test_keys().unwrap();
    let image = card::perso::personalise(&card::profile::Profile::shipped(profile).unwrap(), &keys)
        .unwrap();
    InProcessReader::new(card::app::Card::fresh(image))
}

fn config() -> emv::kernel::TerminalConfig {
    let capk = card::keys::KeySet::test_keys().unwrap().capk();
    kernel_config(
        vec![emv::kernel::Capk {
            rid: capk.rid,
            index: capk.index,
            modulus: capk.modulus.clone(),
            exponent: capk.exponent.clone(),
        }],
        2000,
    )
}

fn journal(dir: &std::path::Path) -> Vec<Record> {
    scan(&std::fs::read(dir.join("journal.bin")).unwrap())
        .unwrap()
        .records
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

#[test]
fn online_request_carries_chip_fields_and_is_journaled_first() {
    let dir = tempfile::tempdir().unwrap();
    // The fake host approves without field 55: no ARPC, so the card must not be told the
    // issuer authenticated it.
    let mut t = terminal(dir.path(), vec![Step::Answer("00")]);
    let mut r = reader("online-debit");
    let res = block_on(t.pay_chip(&mut r, config(), 1500, Cardholder::default())).unwrap();
    let host = t.driver();
    let first = &host.seen[0];
    assert_eq!(first.msg.mti().as_str(), "0200");
    assert_eq!(first.msg.text(22), Some("051"));
    // Track 2 equivalent data (57) of the online-debit card: PAN …0010, expiry 3012.
    let track2 = first.msg.text(35).unwrap();
    assert!(track2.starts_with("4761739001010010="), "{track2}");
    let icc = first.msg.get(55).unwrap();
    assert!(terminal::chip::has_cryptogram(icc));
    // Journaled before it left, with its field 55.
    assert!(first.journal.iter().any(|rec| matches!(rec,
        Record::Sent(s) if s.stan == res.txn.stan && s.icc.as_deref() == Some(icc))));
    assert_eq!(res.chip_result, "ApprovedOnline");
    assert!(res.txn.approved);
    assert_eq!(host.mtis(), ["0200"]);
    assert!(!res.arqc_verified);
    assert_eq!(res.tvr.len(), 10);
    assert_eq!(res.txn.entry_mode, terminal::EntryMode::Chip);
}

#[test]
fn a_host_approval_whose_arpc_the_card_rejects_is_reversed_journal_first() {
    let dir = tempfile::tempdir().unwrap();
    // 91 = ARPC || ARC with an ARPC no issuer key made: the card fails issuer
    // authentication and answers AAC to the second GENERATE AC.
    const FORGED_91: &[u8] = &[0x91, 0x0A, 1, 2, 3, 4, 5, 6, 7, 8, b'0', b'0'];
    let mut t = terminal(
        dir.path(),
        vec![Step::Icc("00", FORGED_91), Step::Answer("00")],
    );
    let mut r = reader("online-debit");
    let res = block_on(t.pay_chip(&mut r, config(), 1500, Cardholder::default())).unwrap();
    assert_eq!(res.chip_result, "DeclinedByCardAfterApproval");
    assert!(!res.txn.approved);
    assert!(!res.arqc_verified);
    assert_eq!(res.txn.recovery, Recovery::ReversalAcknowledged);
    let host = t.driver();
    assert_eq!(host.mtis(), ["0200", "0400"]);
    // TVR byte 5 bit 7: issuer authentication failed.
    assert_eq!(
        u8::from_str_radix(&res.tvr[8..10], 16).unwrap() & 0x40,
        0x40
    );
    let reversal = &host.seen[1];
    assert_eq!(reversal.msg.text(22), Some("051"));
    assert_eq!(reversal.msg.text(38), Some("AUTH01"));
    // Its 55 is the card's final word: the AAC (9F27 = 00) of the second GENERATE AC, not
    // the request's ARQC, and the TVR with issuer authentication failed.
    let icc = reversal.msg.get(55).unwrap();
    let tag = |t: u32| emv::tlv::find(icc, emv::tlv::Tag::new(t)).unwrap().unwrap();
    assert_eq!(tag(0x9F27), [0x00]);
    assert_ne!(
        tag(0x9F26),
        emv::tlv::find(
            host.seen[0].msg.get(55).unwrap(),
            emv::tlv::Tag::new(0x9F26)
        )
        .unwrap()
        .unwrap()
    );
    assert_eq!(tag(0x95)[4] & 0x40, 0x40);
    assert!(reversal.journal.iter().any(|rec| matches!(rec,
        Record::ReversalPending(p) if p.original.stan == res.txn.stan)));
}

#[test]
fn offline_approval_is_queued_then_uploaded_as_an_advice_with_field_55() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![Step::Answer("00")]);
    let mut r = reader("offline-credit");
    let res = block_on(t.pay_chip(&mut r, config(), 1000, Cardholder::default())).unwrap();
    assert_eq!(res.chip_result, "ApprovedOffline", "{:?}", res.reason);
    assert!(res.txn.approved);
    assert_eq!(res.txn.recovery, Recovery::AdviceQueued);
    assert!(
        t.driver().seen.is_empty(),
        "nothing goes online under the floor limit"
    );
    let queued = journal(dir.path());
    let Some(Record::Sent(advice)) = queued.last() else {
        panic!("no advice queued: {queued:?}")
    };
    assert_eq!(advice.kind, TxnKind::OfflineAdvice);
    // The TC (cryptogram information data 40) travels in the advice's field 55.
    let icc = advice.icc.clone().unwrap();
    assert_eq!(
        emv::tlv::find(&icc, emv::tlv::Tag::new(0x9F27)).unwrap(),
        Some(&[0x40][..])
    );
    let report = block_on(t.recover()).unwrap();
    assert_eq!(report.advices_answered, 1);
    let sent = &t.driver().seen[0].msg;
    assert_eq!(sent.mti().as_str(), "0220");
    assert_eq!(sent.text(22), Some("051"));
    assert_eq!(sent.text(4), Some("000000001000"));
    assert_eq!(sent.get(55), Some(icc.as_slice()));
}

#[test]
fn a_card_pulled_out_ends_in_a_decline_with_a_reason_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![]);
    let mut r = reader("online-debit").pull_after(3);
    let res = block_on(t.pay_chip(&mut r, config(), 1500, Cardholder::default())).unwrap();
    assert!(!res.txn.approved);
    assert!(
        res.reason.as_deref().unwrap_or("").contains("card removed"),
        "{:?}",
        res.reason
    );
    assert!(t.driver().seen.is_empty());
}

#[test]
fn wrong_offline_pin_then_right_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![]);
    let mut r = reader("offline-pin");
    let res = block_on(t.pay_chip(
        &mut r,
        config(),
        1500,
        Cardholder::typing(&["9999", "1234"]),
    ))
    .unwrap();
    assert_eq!(res.chip_result, "ApprovedOffline", "{:?}", res.reason);
    // Two VERIFYs: the card's PIN try counter is back at its limit after the right PIN.
    assert_eq!(r.card().state().pin_try_counter, 3);
}

#[test]
fn host_unreachable_above_the_floor_limit_declines_by_default_action_and_owes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![Step::Unreachable]);
    let mut r = reader("offline-credit");
    // Above the floor limit (20.00): the kernel asks for an ARQC, the 0200 never leaves; the
    // TAC-default has "exceeds floor limit", so unable to go online means AAC (Z3).
    let res = block_on(t.pay_chip(&mut r, config(), 3000, Cardholder::default())).unwrap();
    assert_eq!(res.chip_result, "DeclinedOffline");
    assert_eq!(
        res.reason.as_deref(),
        Some("unable to go online; declined by default action")
    );
    assert!(!res.txn.approved);
    assert_eq!(res.host_code, None);
    assert_eq!(res.txn.recovery, Recovery::None);
    let records = journal(dir.path());
    // The 0200 is journaled, then marked unsent: nothing to reverse, no advice queued.
    assert!(matches!(records.last(), Some(Record::Unsent(s)) if *s == res.txn.stan));
    assert_eq!(t.journal().state().recovery_count(), 0);
}

/// The issuer's answer for the online-debit card, computed here from the TEST IMKs (card
/// README: ARPC method 1 under SK-AC; script MAC algorithm 3 padding 2 under
/// SK-SMI = CSK(MK-SMI, ARQC) over `CLA INS P1 P2 Lc || ATC || ARQC || data`): 91 with a
/// good ARPC for `00`, and a 72 script with APPLICATION BLOCK.
fn arpc_and_block_script(request55: &[u8]) -> Vec<u8> {
    use emv::tlv::{Tag, find, write};
    let keys = card::keys::KeySet::test_keys().unwrap();
    let profile = card::profile::Profile::shipped("online-debit").unwrap();
    let pan = paysec::Pan::new(&profile.pan).unwrap();
    let value = |t: u32| find(request55, Tag::new(t)).unwrap().unwrap().to_vec();
    let arqc: [u8; 8] = value(0x9F26).try_into().unwrap();
    let atc: [u8; 2] = value(0x9F36).try_into().unwrap();
    let un: [u8; 4] = value(0x9F37).try_into().unwrap();
    let mk = |imk| paysec::emv::derive_icc_master_key_a(imk, &pan, Some(profile.psn)).unwrap();
    let sk_ac = paysec::emv::derive_common_session_key(
        &mk(&keys.imks.ac),
        paysec::emv::ac_diversification(u16::from_be_bytes(atc), un),
    )
    .unwrap();
    let arpc = paysec::emv::generate_arpc_method1(&sk_ac, &arqc, *b"00").unwrap();
    let sk_smi = paysec::emv::derive_common_session_key(&mk(&keys.imks.smi), arqc).unwrap();
    // APPLICATION BLOCK: CLA 84, INS 1E, no data, Lc = the 8-byte MAC.
    let header = [0x84, 0x1E, 0x00, 0x00, 0x08];
    let input = [&header[..], &atc, &arqc].concat();
    let mac = paysec::emv::issuer_script_mac(&sk_smi, &input, 8).unwrap();
    let mut script = Vec::new();
    write(Tag::new(0x9F18), &[0, 0, 0, 1], &mut script).unwrap();
    write(Tag::new(0x86), &[&header[..], &mac].concat(), &mut script).unwrap();
    let mut out = Vec::new();
    write(Tag::new(0x91), &[&arpc[..], b"00"].concat(), &mut out).unwrap();
    write(Tag::new(0x72), &script, &mut out).unwrap();
    out
}

#[test]
fn an_issuer_script_in_the_answer_blocks_the_application() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![Step::IccFrom("00", arpc_and_block_script)]);
    let mut r = reader("online-debit");
    let res = block_on(t.pay_chip(&mut r, config(), 1500, Cardholder::default())).unwrap();
    assert_eq!(res.chip_result, "ApprovedOnline", "{:?}", res.reason);
    assert!(res.arqc_verified);
    // 9F5B: one script, result 2 (processed successfully), sequence 0, script id 00000001.
    assert_eq!(res.script_results, "2000000001");
    assert!(r.card().state().app_blocked);
    // The next time the card is used, its application is blocked: nothing goes online.
    let card = card::app::Card::new(
        r.card().image().clone(),
        r.card().state().clone(),
        Box::new(card::app::os_random),
    );
    let mut again = InProcessReader::new(card);
    let res = block_on(t.pay_chip(&mut again, config(), 1500, Cardholder::default())).unwrap();
    assert!(!res.txn.approved);
    assert_eq!(res.host_code, None);
    assert_eq!(t.driver().mtis(), ["0200"]);
}

/// A reader that hands `change` every answer to a command starting with `prefix`.
struct Meddling {
    inner: InProcessReader,
    prefix: [u8; 2],
    seen: usize,
    /// Which matching command (1-based) is meddled with.
    nth: usize,
    change: fn(&mut InProcessReader, Vec<u8>) -> Result<Vec<u8>, terminal::ReaderError>,
}

impl terminal::CardReader for Meddling {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, terminal::ReaderError> {
        if apdu.get(..2) == Some(&self.prefix[..]) {
            self.seen += 1;
            if self.seen == self.nth {
                let answer = self.inner.transmit(apdu)?;
                return (self.change)(&mut self.inner, answer);
            }
        }
        self.inner.transmit(apdu)
    }

    fn name(&self) -> &str {
        "meddling"
    }
}

#[test]
fn a_card_pulled_after_the_host_approved_is_reversed() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![]);
    // Pulled just as the second GENERATE AC (80 AE, the second one) reaches it.
    let mut r = Meddling {
        inner: reader("online-debit"),
        prefix: [0x80, 0xAE],
        seen: 0,
        nth: 2,
        change: |inner, _| {
            inner.pull();
            Err(terminal::ReaderError::CardRemoved {
                reader: "meddling".into(),
            })
        },
    };
    let res = block_on(t.pay_chip(&mut r, config(), 1500, Cardholder::default())).unwrap();
    assert!(!res.txn.approved);
    assert_eq!(
        res.host_code.map(|c| c.as_str().to_string()),
        Some("00".into())
    );
    assert_eq!(res.txn.recovery, Recovery::ReversalAcknowledged);
    assert_eq!(t.driver().mtis(), ["0200", "0400"]);
    assert!(res.reason.unwrap().contains("card removed"));
}

#[test]
fn a_broken_card_answer_ends_in_a_decline_with_the_step_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = terminal(dir.path(), vec![]);
    // GET PROCESSING OPTIONS (80 A8) answered with a TLV whose length runs past the end.
    let mut r = Meddling {
        inner: reader("online-debit"),
        prefix: [0x80, 0xA8],
        seen: 0,
        nth: 1,
        change: |_, _| Ok(vec![0x77, 0x20, 0x82, 0x02, 0x90, 0x00]),
    };
    let res = block_on(t.pay_chip(&mut r, config(), 1500, Cardholder::default())).unwrap();
    assert!(!res.txn.approved);
    assert_eq!(res.chip_result, "Terminated");
    assert_eq!(
        res.reason.as_deref(),
        Some(
            "GET PROCESSING OPTIONS: malformed card answer: at byte 1: length runs past the end (needs 32 bytes, 2 left)"
        )
    );
    assert!(t.driver().seen.is_empty(), "nothing goes online");
}
