//! Application selection (PSE, AID list, partial selection, priorities, blocked card and
//! application), T=0 procedure bytes, malformed card answers and caller misuse.

mod kernel_fake;

use emv::kernel::{Kernel, KernelError, Reason, TransactionResult};
use kernel_fake::*;

const UN: u32 = 0x1122_3344;
const AID2: &str = "A0000009992020";
const CVM_NONE: &str = "00000000 00000000 1F00";

fn iacs() -> Vec<u8> {
    [
        t(0x9F0E, &hex("0000000000")),
        t(0x9F0F, &hex("0000008000")),
        t(0x9F0D, &hex("0000008000")),
    ]
    .concat()
}

/// The usual offline card answering for `aid`, approving with TC.
fn card_for(aid: &str) -> FakeCard {
    let mut card = FakeCard::standard("1800", record1("271231", CVM_NONE, &iacs()));
    card.selects.clear();
    card.selects
        .insert(hex(aid), [[fci(aid, ""), hex("9000")].concat()].into());
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x40, "0008", "C1C2C3C4C5C6C7C8")));
    card
}

fn two_aid_config() -> emv::kernel::TerminalConfig {
    let mut config = config();
    let mut second = aid_config();
    second.aid = hex(AID2);
    config.aids.push(second);
    config
}

fn pse_card() -> FakeCard {
    let mut card = card_for(AID2);
    card.pse = [
        t(
            0x6F,
            &[
                t(0x84, b"1PAY.SYS.DDF01"),
                t(0xA5, &[t(0x88, &[0x01]), t(0x5F2D, b"en")].concat()),
            ]
            .concat(),
        ),
        hex("9000"),
    ]
    .concat();
    let entries = [
        t(
            0x61,
            &[t(0x4F, &hex(AID2)), t(0x50, b"CREDIT"), t(0x87, &[0x02])].concat(),
        ),
        t(
            0x61,
            &[t(0x4F, &hex(AID)), t(0x50, b"DEBIT"), t(0x87, &[0x01])].concat(),
        ),
        // Not supported by the terminal: ignored.
        t(
            0x61,
            &[t(0x4F, &hex("A0000000031010")), t(0x87, &[0x03])].concat(),
        ),
    ]
    .concat();
    card.records
        .insert((1, 1), [t(0x70, &entries), hex("9000")].concat());
    card
}

#[test]
fn pse_directory_highest_priority_first() {
    let mut config = two_aid_config();
    config.use_pse = true;
    let mut card = pse_card();
    // The directory record is record 1 of SFI 1, the application's own record too: give
    // the application its record under SFI 2.
    card.gpo = [t(0x80, &hex("1800 10010101")), hex("9000")].concat();
    card.records.insert(
        (2, 1),
        [t(0x70, &record1("271231", CVM_NONE, &iacs())), hex("9000")].concat(),
    );
    card.selects
        .insert(hex(AID), [[fci(AID, ""), hex("9000")].concat()].into());
    let r = run(
        config,
        transaction(500),
        vec![UN, 60],
        &mut card,
        Inputs::default(),
    );
    assert_eq!(
        r.apdus[..5],
        apdus(&[
            "00A40400 0E 315041592E5359532E4444463031 00",
            "00B2010C 00",
            "00B2020C 00",
            "00A40400 07 A0000009991010 00",
            "80A80000 02 8300 00",
        ])[..]
    );
    assert_eq!(r.outcome.result, TransactionResult::ApprovedOffline);
}

#[test]
fn cardholder_chooses_from_the_priority_ordered_list() {
    let mut config = two_aid_config();
    config.use_pse = true;
    config.cardholder_selection = true;
    let mut card = pse_card();
    card.gpo = [t(0x80, &hex("1800 10010101")), hex("9000")].concat();
    card.records.insert(
        (2, 1),
        [t(0x70, &record1("271231", CVM_NONE, &iacs())), hex("9000")].concat(),
    );
    let inputs = Inputs {
        choice: Some(1),
        ..Inputs::default()
    };
    let r = run(config, transaction(500), vec![UN, 60], &mut card, inputs);
    let offered: Vec<(String, Option<u8>)> = r.offered[0]
        .iter()
        .map(|c| (c.label.clone(), c.priority))
        .collect();
    assert_eq!(
        offered,
        [
            ("DEBIT".to_string(), Some(1)),
            ("CREDIT".to_string(), Some(2))
        ]
    );
    assert_eq!(r.apdus[3], apdus(&["00A40400 07 A0000009992020 00"])[0]);
    assert_eq!(r.outcome.result, TransactionResult::ApprovedOffline);
}

#[test]
fn partial_selection_walks_next_occurrences_and_skips_blocked_applications() {
    let mut config = config();
    config.aids[0].aid = hex("A000000999");
    config.aids[0].partial_selection = true;
    let mut card = card_for(AID);
    card.selects.insert(
        hex("A000000999"),
        [
            [fci(AID2, ""), hex("6283")].concat(),
            [fci(AID, ""), hex("9000")].concat(),
            hex("6A82"),
        ]
        .into(),
    );
    let r = run(
        config,
        transaction(500),
        vec![UN, 60],
        &mut card,
        Inputs::default(),
    );
    assert_eq!(
        r.apdus[..4],
        apdus(&[
            "00A40400 05 A000000999 00",
            "00A40402 05 A000000999 00",
            "00A40402 05 A000000999 00",
            "00A40400 07 A0000009991010 00",
        ])[..]
    );
    assert_eq!(r.outcome.result, TransactionResult::ApprovedOffline);
}

#[test]
fn partial_match_without_asi_permission_is_no_candidate() {
    let mut config = config();
    config.aids[0].aid = hex("A000000999");
    let mut card = card_for(AID);
    card.selects.insert(
        hex("A000000999"),
        [[fci(AID, ""), hex("9000")].concat(), hex("6A82")].into(),
    );
    let r = run(
        config,
        transaction(500),
        vec![UN, 60],
        &mut card,
        Inputs::default(),
    );
    assert_eq!(r.outcome.result, TransactionResult::Terminated);
    assert_eq!(r.outcome.reason, Some(Reason::NoMutualApplication));
}

#[test]
fn card_blocked_6a81_terminates() {
    let mut card = card_for(AID);
    card.selects.insert(hex(AID), [hex("6A81")].into());
    let r = run(
        config(),
        transaction(500),
        vec![UN],
        &mut card,
        Inputs::default(),
    );
    assert_eq!(r.apdus, apdus(&["00A40400 07 A0000009991010 00"]));
    assert_eq!(r.outcome.result, TransactionResult::Terminated);
    assert_eq!(r.outcome.reason, Some(Reason::CardBlocked));
}

#[test]
fn blocked_application_6283_is_skipped_for_the_next_aid() {
    let mut card = card_for(AID2);
    card.selects
        .insert(hex(AID), [[fci(AID, ""), hex("6283")].concat()].into());
    let r = run(
        two_aid_config(),
        transaction(500),
        vec![UN, 60],
        &mut card,
        Inputs::default(),
    );
    assert_eq!(
        r.apdus[..3],
        apdus(&[
            "00A40400 07 A0000009991010 00",
            "00A40400 07 A0000009992020 00",
            "00A40400 07 A0000009992020 00",
        ])[..]
    );
    assert_eq!(r.outcome.result, TransactionResult::ApprovedOffline);
}

#[test]
fn gpo_conditions_not_satisfied_removes_the_candidate() {
    let mut card = card_for(AID);
    card.selects
        .insert(hex(AID2), [[fci(AID2, ""), hex("9000")].concat()].into());
    // First GPO refused, second accepted.
    card.gpo = hex("6985");
    let mut kernel = Kernel::new(
        two_aid_config(),
        transaction(500),
        Box::new(Fixed(vec![UN, 60].into())),
    );
    let mut step = kernel.start().unwrap();
    let mut sent = Vec::new();
    let mut outcome = None;
    for _ in 0..40 {
        step = match step {
            emv::kernel::Step::Send(c) => {
                let bytes = c.to_bytes().unwrap();
                sent.push(to_hex(&bytes));
                if sent.iter().filter(|s| s.starts_with("80A8")).count() == 2 {
                    card.gpo = [t(0x80, &hex("1800 08010101")), hex("9000")].concat();
                }
                let answer = card.answer(&bytes);
                kernel.card_response(&answer).unwrap()
            }
            emv::kernel::Step::Done(o) => {
                outcome = Some(o);
                break;
            }
            other => panic!("unexpected {other:?}"),
        };
    }
    assert_eq!(
        sent[..6],
        apdus(&[
            "00A40400 07 A0000009991010 00",
            "00A40400 07 A0000009992020 00",
            "00A40400 07 A0000009991010 00",
            "80A80000 02 8300 00",
            "00A40400 07 A0000009992020 00",
            "80A80000 02 8300 00",
        ])[..]
    );
    assert_eq!(outcome.unwrap().result, TransactionResult::ApprovedOffline);
}

#[test]
fn t0_get_response_and_wrong_le() {
    let mut card = card_for(AID);
    let gpo = card.gpo.clone();
    card.gpo = hex("610C");
    card.other.insert(0xC0, [gpo].into());
    card.read_record_le = Some(0x2F);
    let r = run(
        config(),
        transaction(500),
        vec![UN, 60],
        &mut card,
        Inputs::default(),
    );
    assert_eq!(
        r.apdus[2..6],
        apdus(&[
            "80A80000 02 8300 00",
            "00C00000 0C",
            "00B2010C 00",
            "00B2010C 2F",
        ])[..]
    );
    assert_eq!(r.outcome.result, TransactionResult::ApprovedOffline);
}

fn terminated(card: &mut FakeCard) -> Reason {
    let r = run(
        config(),
        transaction(500),
        vec![UN, 60],
        card,
        Inputs::default(),
    );
    assert_eq!(r.outcome.result, TransactionResult::Terminated);
    r.outcome.reason.unwrap()
}

#[test]
fn malformed_answers_terminate_with_a_reason() {
    let mut card = card_for(AID);
    card.gpo = hex("8005 1C00 9000");
    assert!(matches!(
        terminated(&mut card),
        Reason::Malformed {
            step: "GET PROCESSING OPTIONS",
            ..
        }
    ));

    // Card pulled out: nothing comes back.
    let mut card = card_for(AID);
    card.records.insert((1, 1), Vec::new());
    let reason = terminated(&mut card);
    assert!(
        matches!(
            reason,
            Reason::Malformed {
                step: "READ RECORD",
                ..
            }
        ),
        "{reason}"
    );

    let mut card = card_for(AID);
    card.records.insert((1, 1), hex("6A83"));
    assert_eq!(
        terminated(&mut card),
        Reason::CardStatus {
            step: "READ RECORD",
            sw: emv::apdu::StatusWord(0x6A83)
        }
    );

    // No PAN.
    let mut card = card_for(AID);
    let record = [
        t(0x5F24, &hex("271231")),
        t(0x8C, &hex(CDOL1)),
        t(0x8D, &hex(CDOL2)),
    ]
    .concat();
    card.records
        .insert((1, 1), [t(0x70, &record), hex("9000")].concat());
    let r = run(
        config(),
        transaction(500),
        vec![UN],
        &mut card,
        Inputs::default(),
    );
    assert_eq!(r.outcome.reason, Some(Reason::MissingData { tag: 0x5A }));
    assert_eq!(r.outcome.tvr.to_hex(), "2000000000");

    // TC where only ARQC may come (the card goes further than asked).
    let mut card = card_for(AID);
    card.generate_ac.clear();
    card.generate_ac
        .push_back(gen_ac(ac_format1(0x40, "0008", "C1C2C3C4C5C6C7C8")));
    let r = run(
        config(),
        transaction(5000),
        vec![UN],
        &mut card,
        Inputs::default(),
    );
    assert_eq!(
        r.outcome.reason,
        Some(Reason::CryptogramType {
            step: "first GENERATE AC",
            requested: "ARQC",
            returned: "TC"
        })
    );

    let mut card = card_for(AID);
    card.generate_ac.clear();
    assert_eq!(
        terminated(&mut card),
        Reason::CardStatus {
            step: "first GENERATE AC",
            sw: emv::apdu::StatusWord(0x6985)
        }
    );

    // AFL with an SFI of 0.
    let mut card = card_for(AID);
    card.gpo = [t(0x80, &hex("1800 00010101")), hex("9000")].concat();
    assert!(matches!(terminated(&mut card), Reason::Malformed { .. }));
}

#[test]
fn misuse_is_an_error_not_a_panic() {
    let mut kernel = Kernel::new(config(), transaction(500), Box::new(Fixed(vec![UN].into())));
    assert_eq!(
        kernel.online_response(None).unwrap_err(),
        KernelError::UnexpectedInput {
            input: "a host response",
            waiting: "start"
        }
    );
    kernel.start().unwrap();
    assert!(matches!(
        kernel.pin_entered(emv::kernel::PinEntry::Bypassed),
        Err(KernelError::UnexpectedInput { .. })
    ));
    assert!(matches!(
        kernel.application_chosen(0),
        Err(KernelError::UnexpectedInput { .. })
    ));
    assert!(kernel.start().is_err());
}

mod robustness {
    use super::*;
    use emv::kernel::{HostResponse, PinEntry, Step};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Any card answers, PIN entries and host answers end in an outcome within a bounded
        /// number of steps, never a panic.
        #[test]
        fn any_card_answers_end_cleanly(
            answers in proptest::collection::vec(
                prop_oneof![
                    proptest::collection::vec(any::<u8>(), 0..40),
                    Just(hex("9000")),
                    Just(hex("6A83")),
                    Just([t(0x80, &hex("1C00 08010101")), hex("9000")].concat()),
                    Just([fci(AID, ""), hex("9000")].concat()),
                    Just([t(0x70, &record1("271231", "00000000000000000200", &[])), hex("9000")].concat()),
                    Just(ac_format1(0x80, "0001", "0102030405060708")),
                    Just(ac_format1(0x40, "0001", "0102030405060708")),
                ],
                1..40,
            ),
            seed in any::<u32>(),
        ) {
            let mut kernel = Kernel::new(config(), transaction(5000), Box::new(Fixed(vec![seed, seed].into())));
            let mut step = kernel.start().unwrap();
            let mut answers = answers.into_iter().cycle();
            let mut done = false;
            for _ in 0..2000 {
                step = match step {
                    Step::Send(c) => {
                        prop_assert!(c.to_bytes().is_ok());
                        kernel.card_response(&answers.next().unwrap()).unwrap()
                    }
                    Step::EnterPin(_) => kernel.pin_entered(PinEntry::OnlineCaptured).unwrap(),
                    Step::GoOnline(_) => kernel.online_response(Some(HostResponse {
                        response_code: *b"00",
                        issuer_authentication_data: Some(hex("01020304050607083030")),
                        scripts: [t(0x71, &t(0x86, &hex("841E000000"))), t(0x72, &hex("86"))].concat(),
                    })).unwrap(),
                    Step::ChooseApplication(_) => kernel.application_chosen(0).unwrap(),
                    Step::Done(_) => { done = true; break; }
                };
            }
            prop_assert!(done);
        }
    }
}

#[test]
fn endless_61xx_is_cut_off() {
    let mut card = card_for(AID);
    card.gpo = hex("6100");
    let more = [vec![0u8; 256], hex("6100")].concat();
    card.other.insert(0xC0, vec![more; 40].into());
    let reason = terminated(&mut card);
    assert!(
        matches!(
            reason,
            Reason::Malformed {
                step: "GET PROCESSING OPTIONS",
                ..
            }
        ),
        "{reason}"
    );
}
