//! The kernel fed any card answers: each answer is a length byte then that many bytes. It
//! must never panic, never build an APDU it cannot encode, and end within a bounded number
//! of steps once the answers run out (then the card is "pulled out": empty answers).
#![no_main]

use emv::kernel::{
    AidConfig, Date, HostResponse, Kernel, PinEntry, RandomSource, Step, TerminalConfig,
    Transaction, TransactionType,
};
use emv::tvr::Tvr;
use libfuzzer_sys::fuzz_target;

struct Zero;

impl RandomSource for Zero {
    fn next_u32(&mut self) -> u32 {
        7
    }
}

fn config() -> TerminalConfig {
    TerminalConfig {
        terminal_type: 0x22,
        capabilities: [0xE0, 0xF8, 0xC8],
        additional_capabilities: [0x60, 0x00, 0xF0, 0xA0, 0x01],
        country_code: [0x08, 0x26],
        ifd_serial: *b"FUZZ0001",
        merchant_category_code: [0x59, 0x99],
        use_pse: true,
        cardholder_selection: true,
        aids: vec![AidConfig {
            aid: vec![0xA0, 0x00, 0x00, 0x09, 0x99],
            partial_selection: true,
            application_version: [0x00, 0x02],
            tac_denial: Tvr::new(),
            tac_online: Tvr::from_bytes([0, 0, 0, 0x80, 0]),
            tac_default: Tvr::from_bytes([0, 0, 0, 0x80, 0]),
            floor_limit_minor: 1000,
            random_threshold_minor: 500,
            random_target_percent: 20,
            random_max_target_percent: 50,
            default_ddol: vec![0x9F, 0x37, 0x04],
            default_tdol: vec![0x9F, 0x02, 0x06, 0x95, 0x05],
        }],
        capks: Vec::new(),
    }
}

fuzz_target!(|data: &[u8]| {
    let transaction = Transaction {
        amount_minor: 700,
        other_amount_minor: 0,
        currency_code: [0x08, 0x26],
        currency_exponent: 2,
        date: Date {
            year: 2026,
            month: 11,
            day: 24,
        },
        time: [0x12, 0, 0],
        kind: TransactionType::Purchase,
        sequence_counter: [0, 0, 0, 1],
        force_online: false,
    };
    let mut kernel = Kernel::new(config(), transaction, Box::new(Zero));
    let mut rest = data;
    let mut next_answer = move || -> Vec<u8> {
        let Some((&len, tail)) = rest.split_first() else {
            return Vec::new();
        };
        let take = usize::from(len).min(tail.len());
        let (answer, tail) = tail.split_at(take);
        rest = tail;
        answer.to_vec()
    };
    let mut step = kernel.start().unwrap();
    for _ in 0..10_000 {
        step = match step {
            Step::Send(command) => {
                assert!(command.to_bytes().is_ok());
                kernel.card_response(&next_answer()).unwrap()
            }
            Step::EnterPin(_) => kernel.pin_entered(PinEntry::Bypassed).unwrap(),
            Step::ChooseApplication(list) => {
                assert!(!list.is_empty());
                kernel.application_chosen(list.len() - 1).unwrap()
            }
            Step::GoOnline(_) => kernel
                .online_response(Some(HostResponse {
                    response_code: *b"00",
                    issuer_authentication_data: Some(vec![0; 10]),
                    scripts: next_answer(),
                }))
                .unwrap(),
            Step::Done(_) => return,
        };
    }
    panic!("kernel did not finish");
});
