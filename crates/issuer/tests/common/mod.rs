//! Shared fixtures: a small issuer with test cards, request builders and balance readers.
#![allow(dead_code)]

use std::collections::BTreeMap;

use iso8583::{Message, Mti};
use issuer::{Answer, Config, Issuer, UnixTime};
use ledger::{Account, Ledger, Limits, MemoryStorage, Storage};

/// 2025-06-15T10:00:00Z (20 254 days after 1970-01-01, plus ten hours).
pub const T0_S: u64 = 1_749_981_600;

pub const ALICE: &str = "4761739001010010";
pub const BOB_LOST: &str = "4761739001010028";
pub const CAROL_STOLEN: &str = "4761739001010036";
pub const DAVE_EXPIRED: &str = "4761739001010044";
pub const ERIN_BLOCKED: &str = "4761739001010051";
pub const FRANK_BALANCE_ONLY: &str = "4761739001010069";
pub const GUS_USD: &str = "4761739001010077";
pub const HANA_POOR: &str = "4761739001010085";
pub const MERCHANT: &str = "MERCHANT0000001";
pub const TERMINAL: &str = "TERM0001";
pub const HOLD_S: u64 = 3600;

pub const CONFIG: &str = r#"
institution_id = "476173"
bin_ranges = ["476173"]
hold_expiry_s = 3600

[[card]]
name = "alice"
pan = "4761739001010010"
expiry = "3012"
currency = 978
opening_balance_minor = 100000
daily_limit_minor = 50000

[[card]]
name = "bob"
pan = "4761739001010028"
expiry = "3012"
status = "lost"
currency = 978
opening_balance_minor = 100000

[[card]]
name = "carol"
pan = "4761739001010036"
expiry = "3012"
status = "stolen"
currency = 978
opening_balance_minor = 100000

[[card]]
name = "dave"
pan = "4761739001010044"
expiry = "2505"
currency = 978
opening_balance_minor = 100000

[[card]]
name = "erin"
pan = "4761739001010051"
expiry = "3012"
status = "blocked"
currency = 978

[[card]]
name = "frank"
pan = "4761739001010069"
expiry = "3012"
currency = 978
opening_balance_minor = 1000
kinds = ["balance"]

[[card]]
name = "gus"
pan = "4761739001010077"
expiry = "3012"
currency = 840
opening_balance_minor = 5000

[[card]]
name = "hana"
pan = "4761739001010085"
expiry = "3012"
currency = 978
opening_balance_minor = 2000

[[merchant]]
id = "MERCHANT0000001"
name = "Corner Shop"
"#;

/// A request being built: MTI and fields as text.
#[derive(Clone, Debug)]
pub struct Req {
    pub mti: &'static str,
    pub fields: BTreeMap<usize, String>,
    /// Binary fields (52), packed as given.
    pub binary: BTreeMap<usize, Vec<u8>>,
}

impl Req {
    pub fn new(mti: &'static str) -> Self {
        Self {
            mti,
            fields: BTreeMap::new(),
            binary: BTreeMap::new(),
        }
    }

    pub fn set(mut self, field: usize, value: impl Into<String>) -> Self {
        self.fields.insert(field, value.into());
        self
    }

    pub fn set_bytes(mut self, field: usize, value: &[u8]) -> Self {
        self.binary.insert(field, value.to_vec());
        self
    }

    pub fn without(mut self, field: usize) -> Self {
        self.fields.remove(&field);
        self.binary.remove(&field);
        self
    }

    pub fn pack(&self) -> Vec<u8> {
        let spec = iso8583::specs::iso87_ascii_bbitmap();
        let mut m = Message::new(Mti::parse(self.mti).unwrap());
        for (n, v) in &self.fields {
            m.set_owned(*n, v.as_bytes()).unwrap();
        }
        for (n, v) in &self.binary {
            m.set_owned(*n, v).unwrap();
        }
        spec.pack(&m).unwrap()
    }

    /// Field 90 naming this request as an original.
    pub fn as_original(&self) -> String {
        format!(
            "{}{}{}{:0>11}{:0>11}",
            self.mti, self.fields[&11], self.fields[&7], self.fields[&32], "0"
        )
    }
}

fn card_request(mti: &'static str, proc: &str, pan: &str, amount: u64, stan: u32) -> Req {
    Req::new(mti)
        .set(2, pan)
        .set(3, proc)
        .set(4, format!("{amount:012}"))
        .set(7, "0615100000")
        .set(11, format!("{stan:06}"))
        .set(12, "120000")
        .set(13, "0615")
        .set(14, "3012")
        .set(22, "012")
        .set(25, if mti == "0100" { "06" } else { "00" })
        .set(32, "1234")
        .set(37, format!("516612{stan:06}"))
        .set(41, TERMINAL)
        .set(42, MERCHANT)
        .set(49, "978")
}

pub fn purchase(pan: &str, amount: u64, stan: u32) -> Req {
    card_request("0200", "000000", pan, amount, stan)
}

pub fn preauth(pan: &str, amount: u64, stan: u32) -> Req {
    card_request("0100", "000000", pan, amount, stan)
}

pub fn refund(pan: &str, amount: u64, stan: u32) -> Req {
    card_request("0200", "200000", pan, amount, stan)
}

pub fn balance(pan: &str, stan: u32) -> Req {
    card_request("0200", "310000", pan, 0, stan)
}

/// A completion of `original` (an approved 0100) for `amount`, with auth code `auth`.
pub fn completion(original: &Req, amount: u64, auth: &str, stan: u32) -> Req {
    card_request("0220", "000000", &original.fields[&2], amount, stan)
        .without(14)
        .set(37, original.fields[&37].clone())
        .set(38, auth)
        .set(90, original.as_original())
}

/// A reversal (0400) of `original`.
pub fn reversal(original: &Req, stan: u32) -> Req {
    card_request(
        "0400",
        &original.fields[&3],
        &original.fields[&2],
        original.fields[&4].parse().unwrap(),
        stan,
    )
    .without(14)
    .set(37, original.fields[&37].clone())
    .set(90, original.as_original())
}

pub fn settlement(stan: u32, credits: (u64, u64), debits: (u64, u64)) -> Req {
    Req::new("0500")
        .set(3, "920000")
        .set(7, "0615180000")
        .set(11, format!("{stan:06}"))
        .set(12, "200000")
        .set(13, "0615")
        .set(32, "1234")
        .set(41, TERMINAL)
        .set(42, MERCHANT)
        .set(49, "978")
        .set(74, format!("{:010}", credits.0))
        .set(76, format!("{:010}", debits.0))
        .set(86, format!("{:016}", credits.1))
        .set(88, format!("{:016}", debits.1))
}

/// A response, read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub mti: String,
    pub fields: BTreeMap<usize, String>,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.fields.get(&39).map_or("", String::as_str)
    }

    pub fn auth(&self) -> &str {
        self.fields.get(&38).map_or("", String::as_str)
    }
}

pub fn read(answer: &Answer) -> Reply {
    let bytes = answer.response.clone().expect("an answer with a response");
    let spec = iso8583::specs::iso87_ascii_bbitmap();
    let m = spec.unpack(&bytes).unwrap();
    let fields = m
        .fields()
        .map(|(n, v)| (n, String::from_utf8(v.to_vec()).unwrap()))
        .collect();
    Reply {
        mti: m.mti().to_string(),
        fields,
        bytes,
    }
}

/// An issuer over a ledger, with a hand-driven clock.
pub struct Bank<S: Storage> {
    pub issuer: Issuer,
    pub ledger: Ledger<S>,
    pub now: UnixTime,
}

pub fn config() -> Config {
    Config::parse(CONFIG).unwrap()
}

pub fn bank() -> Bank<MemoryStorage> {
    bank_on(MemoryStorage::new())
}

pub fn bank_on<S: Storage>(storage: S) -> Bank<S> {
    let issuer = Issuer::new(&config());
    let mut ledger = Ledger::new(storage, Limits::default()).unwrap();
    let now = UnixTime::from_secs(T0_S);
    issuer.set_up(&mut ledger, now).unwrap();
    Bank {
        issuer,
        ledger,
        now,
    }
}

impl<S: Storage> Bank<S> {
    /// Sends one request (its own commit), a second later than the last.
    pub fn answer(&mut self, req: &Req) -> Answer {
        self.now = self.now.plus_secs(1);
        self.issuer
            .handle(&mut self.ledger, &req.pack(), self.now)
            .unwrap()
    }

    pub fn send(&mut self, req: &Req) -> Reply {
        read(&self.answer(req))
    }

    pub fn account(&self, id: u128) -> Account {
        self.ledger.account(id).unwrap().unwrap()
    }

    pub fn card(&self, pan: &str) -> Account {
        self.account(self.issuer.book().chart().card(pan))
    }

    /// What the card may still spend.
    pub fn available(&self, pan: &str) -> i128 {
        self.card(pan).available_minor()
    }

    pub fn merchant(&self) -> Account {
        self.account(self.issuer.book().chart().merchant(MERCHANT, 978))
    }

    /// Net posted credits of the merchant's clearing account.
    pub fn merchant_net(&self) -> i128 {
        let m = self.merchant();
        i128::from(m.credits_posted) - i128::from(m.debits_posted)
    }

    pub fn advance(&mut self, s: u64) {
        self.now = self.now.plus_secs(s);
    }

    /// Asserts that the ledger audit and the issuer's own audit are clean.
    pub fn assert_audit_clean(&self) {
        let audit = self.issuer.audit(&self.ledger).unwrap();
        assert!(audit.is_clean(), "{audit:#?}");
    }
}
