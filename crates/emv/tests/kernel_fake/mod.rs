//! Test support for the kernel: a small fake card answering from tables, a test PKI that
//! signs EMV certificates (EMV Book 2 formats), terminal configurations, and a driver that
//! runs the kernel to its outcome while recording every APDU.

#![allow(dead_code)]

pub mod keys;
pub mod pki;

use std::collections::{BTreeMap, VecDeque};

use emv::apdu::{Command, PlaintextPin, Response, StatusWord};
use emv::kernel::{
    AidConfig, Candidate, Capk, Date, HostResponse, Kernel, Outcome, PinEntry, PinRequest,
    RandomSource, Step, TerminalConfig, Transaction, TransactionType,
};
use emv::tlv::{self, Tag};
use emv::tvr::Tvr;

pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// One TLV object.
pub fn t(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    tlv::write(Tag::new(tag), value, &mut out).unwrap();
    out
}

pub const AID: &str = "A0000009991010";
pub const RID: &str = "A000000999";
pub const PAN: &str = "5413330089600010";

/// Random numbers in turn (the first is the unpredictable number).
pub struct Fixed(pub VecDeque<u32>);

impl RandomSource for Fixed {
    fn next_u32(&mut self) -> u32 {
        self.0.pop_front().unwrap_or(0)
    }
}

pub fn aid_config() -> AidConfig {
    AidConfig {
        aid: hex(AID),
        partial_selection: false,
        application_version: [0x00, 0x02],
        tac_denial: Tvr::from_bytes([0; 5]),
        tac_online: Tvr::from_bytes(hex("0000008000").try_into().unwrap()),
        tac_default: Tvr::from_bytes(hex("0000008000").try_into().unwrap()),
        floor_limit_minor: 1000,
        random_threshold_minor: 500,
        random_target_percent: 0,
        random_max_target_percent: 0,
        default_ddol: hex("9F3704"),
        default_tdol: Vec::new(),
    }
}

pub fn config() -> TerminalConfig {
    TerminalConfig {
        terminal_type: 0x22,
        capabilities: [0xE0, 0xF8, 0xC8],
        additional_capabilities: [0x60, 0x00, 0xF0, 0xA0, 0x01],
        country_code: [0x08, 0x26],
        ifd_serial: *b"POSNET01",
        merchant_category_code: [0x59, 0x99],
        use_pse: false,
        cardholder_selection: false,
        aids: vec![aid_config()],
        capks: vec![pki::capk()],
    }
}

pub fn transaction(amount_minor: u64) -> Transaction {
    Transaction {
        amount_minor,
        other_amount_minor: 0,
        currency_code: [0x08, 0x26],
        currency_exponent: 2,
        date: Date {
            year: 2026,
            month: 11,
            day: 24,
        },
        time: [0x12, 0x00, 0x00],
        kind: TransactionType::Purchase,
        sequence_counter: [0, 0, 0, 1],
        force_online: false,
    }
}

pub const CDOL1: &str = "9F0206 9F0306 9F1A02 9505 5F2A02 9A03 9C01 9F3704";
pub const CDOL2: &str = "8A02 9505 9F3704";

/// Computes an INTERNAL AUTHENTICATE answer from the command data.
pub type InternalAuth = Box<dyn FnMut(&[u8]) -> Vec<u8>>;
/// Computes a GENERATE AC answer from the command.
pub type GenAc = Box<dyn FnMut(&Command) -> Vec<u8>>;

/// A card that answers from tables; every command it gets is recorded.
pub struct FakeCard {
    pub pse: Vec<u8>,
    /// Answers to SELECT by name, first and next occurrence, in order per name.
    pub selects: BTreeMap<Vec<u8>, VecDeque<Vec<u8>>>,
    pub gpo: Vec<u8>,
    pub records: BTreeMap<(u8, u8), Vec<u8>>,
    pub get_data: BTreeMap<u16, Vec<u8>>,
    pub verify: VecDeque<Vec<u8>>,
    pub internal_authenticate: Option<InternalAuth>,
    pub generate_ac: VecDeque<GenAc>,
    pub external_authenticate: Vec<u8>,
    pub other: BTreeMap<u8, VecDeque<Vec<u8>>>,
    /// When set, READ RECORD with another Le gets 6Cxx (T=0 wrong length).
    pub read_record_le: Option<u8>,
    pub log: Vec<String>,
}

impl FakeCard {
    pub fn new() -> FakeCard {
        FakeCard {
            pse: hex("6A82"),
            selects: BTreeMap::new(),
            gpo: Vec::new(),
            records: BTreeMap::new(),
            get_data: BTreeMap::new(),
            verify: VecDeque::new(),
            internal_authenticate: None,
            generate_ac: VecDeque::new(),
            external_authenticate: hex("9000"),
            other: BTreeMap::new(),
            read_record_le: None,
            log: Vec::new(),
        }
    }

    /// The usual single-application card: FCI, GPO format 1 with `aip`, one record.
    pub fn standard(aip: &str, record1: Vec<u8>) -> FakeCard {
        let mut card = FakeCard::new();
        card.selects
            .insert(hex(AID), [[fci(AID, ""), hex("9000")].concat()].into());
        card.gpo = [t(0x80, &hex(&format!("{aip} 08010101"))), hex("9000")].concat();
        card.records
            .insert((1, 1), [t(0x70, &record1), hex("9000")].concat());
        card
    }

    pub fn answer(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.log.push(to_hex(bytes));
        let c = Command::parse(bytes).unwrap();
        match (c.cla, c.ins) {
            (0x00, 0xA4) if c.data == b"1PAY.SYS.DDF01" => self.pse.clone(),
            (0x00, 0xA4) => self
                .selects
                .get_mut(&c.data)
                .and_then(|q| {
                    if q.len() > 1 {
                        q.pop_front()
                    } else {
                        q.front().cloned()
                    }
                })
                .unwrap_or_else(|| hex("6A82")),
            (0x80, 0xA8) => self.gpo.clone(),
            (0x00, 0xB2)
                if self
                    .read_record_le
                    .is_some_and(|le| c.le != Some(usize::from(le))) =>
            {
                StatusWord::correct_le(self.read_record_le.unwrap_or(0))
                    .to_bytes()
                    .to_vec()
            }
            (0x00, 0xB2) => self
                .records
                .get(&(c.p2 >> 3, c.p1))
                .cloned()
                .unwrap_or_else(|| hex("6A83")),
            (0x80, 0xCA) => self
                .get_data
                .get(&u16::from_be_bytes([c.p1, c.p2]))
                .cloned()
                .unwrap_or_else(|| hex("6A88")),
            (0x00, 0x20) => self.verify.pop_front().unwrap_or_else(|| hex("6985")),
            (0x00, 0x88) => match self.internal_authenticate.as_mut() {
                Some(f) => f(&c.data),
                None => hex("6D00"),
            },
            (0x80, 0xAE) => match self.generate_ac.pop_front() {
                Some(mut f) => f(&c),
                None => hex("6985"),
            },
            (0x00, 0x82) => self.external_authenticate.clone(),
            (_, ins) => self
                .other
                .get_mut(&ins)
                .and_then(|q| q.pop_front())
                .unwrap_or_else(|| hex("6D00")),
        }
    }
}

/// FCI for an AID with extra A5 content.
pub fn fci(aid: &str, a5_extra: &str) -> Vec<u8> {
    let a5 = [t(0x50, b"POSNET DEBIT"), t(0x87, &[0x01]), hex(a5_extra)].concat();
    t(0x6F, &[t(0x84, &hex(aid)), t(0xA5, &a5)].concat())
}

/// A format 1 GENERATE AC answer.
pub fn ac_format1(cid: u8, atc: &str, ac: &str) -> Vec<u8> {
    let v = [vec![cid], hex(atc), hex(ac), hex("0110A00000")].concat();
    [t(0x80, &v), hex("9000")].concat()
}

pub fn gen_ac(answer: Vec<u8>) -> GenAc {
    Box::new(move |_| answer.clone())
}

/// Record 1 of the usual card: PAN, dates, AUC, country, versions, CDOLs, CVM list.
pub fn record1(expiry: &str, cvm_list: &str, extra: &[u8]) -> Vec<u8> {
    [
        t(0x5A, &hex(PAN)),
        t(0x5F24, &hex(expiry)),
        t(0x5F25, &hex("240101")),
        t(0x5F28, &hex("0826")),
        t(0x9F07, &hex("FF00")),
        t(0x9F08, &hex("0002")),
        t(0x9F42, &hex("0826")),
        t(0x8C, &hex(CDOL1)),
        t(0x8D, &hex(CDOL2)),
        t(0x8E, &hex(cvm_list)),
        extra.to_vec(),
    ]
    .concat()
}

/// What happened during a run besides APDUs.
#[derive(Debug, Default)]
pub struct Inputs {
    pub pins: VecDeque<PinEntry>,
    pub host: VecDeque<Option<HostResponse>>,
    pub choice: Option<usize>,
}

pub struct Run {
    pub outcome: Outcome,
    pub apdus: Vec<String>,
    pub pin_requests: Vec<PinRequest>,
    pub online_requests: Vec<Vec<u8>>,
    pub offered: Vec<Vec<Candidate>>,
}

pub fn pin(digits: &str) -> PinEntry {
    PinEntry::Offline(PlaintextPin::from_ascii(digits.as_bytes()).unwrap())
}

pub fn run(
    config: TerminalConfig,
    txn: Transaction,
    random: Vec<u32>,
    card: &mut FakeCard,
    mut inputs: Inputs,
) -> Run {
    let mut kernel = Kernel::new(config, txn, Box::new(Fixed(random.into())));
    let mut step = kernel.start().unwrap();
    let mut pin_requests = Vec::new();
    let mut online_requests = Vec::new();
    let mut offered = Vec::new();
    for _ in 0..200 {
        step = match step {
            Step::Send(command) => {
                let answer = card.answer(&command.to_bytes().unwrap());
                kernel.card_response(&answer).unwrap()
            }
            Step::EnterPin(request) => {
                pin_requests.push(request);
                kernel
                    .pin_entered(inputs.pins.pop_front().expect("a PIN entry"))
                    .unwrap()
            }
            Step::GoOnline(request) => {
                online_requests.push(request.field55);
                kernel
                    .online_response(inputs.host.pop_front().expect("a host answer"))
                    .unwrap()
            }
            Step::ChooseApplication(list) => {
                offered.push(list);
                kernel
                    .application_chosen(inputs.choice.expect("a choice"))
                    .unwrap()
            }
            Step::Done(outcome) => {
                return Run {
                    outcome: *outcome,
                    apdus: card.log.clone(),
                    pin_requests,
                    online_requests,
                    offered,
                };
            }
        };
    }
    panic!("kernel did not finish in 200 steps");
}

/// The APDUs of a run, with spaces removed from the expectations.
pub fn apdus(list: &[&str]) -> Vec<String> {
    list.iter()
        .map(|s| s.split_whitespace().collect())
        .collect()
}

pub fn sw(value: u16) -> Vec<u8> {
    StatusWord(value).to_bytes().to_vec()
}

pub fn response(data: &[u8], sw: u16) -> Vec<u8> {
    Response::new(data.to_vec(), StatusWord(sw)).to_bytes()
}

pub fn capk_unused() -> Capk {
    pki::capk()
}
