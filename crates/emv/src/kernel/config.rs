//! What the terminal brings to a transaction: its configuration (a plain struct the caller
//! fills, e.g. from TOML), the CA public keys, and the transaction's own data.

use crate::tvr::Tvr;

/// A calendar date, as 9A (transaction date) and 5F24/5F25 (application dates) carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Full year, e.g. 2026.
    pub year: u16,
    /// Month 1..=12.
    pub month: u8,
    /// Day 1..=31.
    pub day: u8,
}

impl Date {
    /// The year of a two-digit `YY` (EMV Book 4 section 6.7.3: 00–49 → 20YY, 50–99 → 19YY).
    pub fn full_year(yy: u8) -> u16 {
        if yy < 50 {
            2000 + u16::from(yy)
        } else {
            1900 + u16::from(yy)
        }
    }

    /// From `YYMMDD` in BCD (n6), `None` if a nibble is not a digit or a field is out of range.
    pub fn from_bcd(bytes: &[u8]) -> Option<Date> {
        let [yy, mm, dd] = bytes else { return None };
        let digit = |b: u8| (b >> 4 <= 9 && b & 0x0F <= 9).then(|| (b >> 4) * 10 + (b & 0x0F));
        let (yy, month, day) = (digit(*yy)?, digit(*mm)?, digit(*dd)?);
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then(|| Date {
            year: Date::full_year(yy),
            month,
            day,
        })
    }

    /// `YYMMDD` in BCD.
    pub fn to_bcd(self) -> [u8; 3] {
        let bcd = |v: u16| {
            let v = (v % 100) as u8;
            ((v / 10) << 4) | (v % 10)
        };
        [
            bcd(self.year),
            bcd(u16::from(self.month)),
            bcd(u16::from(self.day)),
        ]
    }
}

/// A Certification Authority Public Key (CAPK): a payment system's key that signs issuer
/// public key certificates, found by RID and index (tag 8F).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capk {
    /// Registered application provider identifier: the first 5 bytes of the AID.
    pub rid: [u8; 5],
    /// CA public key index (tag 8F).
    pub index: u8,
    /// Modulus, big-endian.
    pub modulus: Vec<u8>,
    /// Public exponent (3 or 65537), big-endian.
    pub exponent: Vec<u8>,
}

/// One application the terminal supports (its AID list entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AidConfig {
    /// The AID (or the leading part of it, when partial selection is allowed).
    pub aid: Vec<u8>,
    /// Application Selection Indicator: whether a card AID that only starts with `aid`
    /// matches (partial selection, Book 1 section 12.3.1).
    pub partial_selection: bool,
    /// Terminal's Application Version Number for it (9F09).
    pub application_version: [u8; 2],
    /// Terminal Action Code – Denial.
    pub tac_denial: Tvr,
    /// Terminal Action Code – Online.
    pub tac_online: Tvr,
    /// Terminal Action Code – Default.
    pub tac_default: Tvr,
    /// Terminal Floor Limit (9F1B), in minor units.
    pub floor_limit_minor: u64,
    /// Threshold value for biased random selection, in minor units.
    pub random_threshold_minor: u64,
    /// Target percentage for random selection (0..=99).
    pub random_target_percent: u8,
    /// Maximum target percentage for biased random selection (0..=99).
    pub random_max_target_percent: u8,
    /// Default DDOL, used when the card has none (tag 9F49).
    pub default_ddol: Vec<u8>,
    /// Default TDOL, used for the TC hash value (98) when the card has no TDOL (tag 97).
    pub default_tdol: Vec<u8>,
}

/// The terminal's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalConfig {
    /// Terminal Type (9F35), e.g. `22` attended, offline with online capability.
    pub terminal_type: u8,
    /// Terminal Capabilities (9F33).
    pub capabilities: [u8; 3],
    /// Additional Terminal Capabilities (9F40).
    pub additional_capabilities: [u8; 5],
    /// Terminal Country Code (9F1A), numeric ISO 3166, e.g. 0826.
    pub country_code: [u8; 2],
    /// Interface Device serial number (9F1E).
    pub ifd_serial: [u8; 8],
    /// Merchant Category Code (9F15).
    pub merchant_category_code: [u8; 2],
    /// Whether the terminal supports PSE directory selection.
    pub use_pse: bool,
    /// Whether the cardholder may choose among several applications (else the highest
    /// priority one is taken).
    pub cardholder_selection: bool,
    /// Applications supported, in the terminal's order.
    pub aids: Vec<AidConfig>,
    /// CA public keys.
    pub capks: Vec<Capk>,
}

impl TerminalConfig {
    /// Whether the terminal can go online (second digit of the terminal type 1 or 2).
    pub fn online_capable(&self) -> bool {
        matches!(self.terminal_type & 0x0F, 1 | 2 | 4 | 5)
    }

    /// Whether the terminal can act offline (second digit 2, 3, 5 or 6).
    pub fn offline_capable(&self) -> bool {
        matches!(self.terminal_type & 0x0F, 2 | 3 | 5 | 6)
    }

    /// Attended (first digit 1 or 2, or the low digit 1–3).
    pub fn attended(&self) -> bool {
        matches!(self.terminal_type & 0x0F, 1..=3)
    }

    /// The CAPK for a RID and index.
    pub fn capk(&self, rid: &[u8], index: u8) -> Option<&Capk> {
        self.capks
            .iter()
            .find(|k| k.rid.as_slice() == rid && k.index == index)
    }

    fn cap(&self, byte: usize, mask: u8) -> bool {
        self.capabilities.get(byte).is_some_and(|b| b & mask != 0)
    }

    /// 9F33 byte 2 bit 8: plaintext PIN for ICC verification.
    pub fn supports_offline_plaintext_pin(&self) -> bool {
        self.cap(1, 0x80)
    }
    /// 9F33 byte 2 bit 7: enciphered PIN for online verification.
    pub fn supports_online_pin(&self) -> bool {
        self.cap(1, 0x40)
    }
    /// 9F33 byte 2 bit 6: signature (paper).
    pub fn supports_signature(&self) -> bool {
        self.cap(1, 0x20)
    }
    /// 9F33 byte 2 bit 4: no CVM required.
    pub fn supports_no_cvm(&self) -> bool {
        self.cap(1, 0x08)
    }
    /// 9F33 byte 3 bit 8: SDA.
    pub fn supports_sda(&self) -> bool {
        self.cap(2, 0x80)
    }
    /// 9F33 byte 3 bit 7: DDA.
    pub fn supports_dda(&self) -> bool {
        self.cap(2, 0x40)
    }
    /// 9F33 byte 3 bit 4: CDA.
    pub fn supports_cda(&self) -> bool {
        self.cap(2, 0x08)
    }
}

/// The type of transaction (9C) as far as the kernel's rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionType {
    /// Goods and services (9C = 00).
    Purchase,
    /// Cash (9C = 01).
    Cash,
    /// Purchase with cashback (9C = 09).
    Cashback,
}

impl TransactionType {
    /// 9C value.
    pub fn code(self) -> u8 {
        match self {
            TransactionType::Purchase => 0x00,
            TransactionType::Cash => 0x01,
            TransactionType::Cashback => 0x09,
        }
    }
}

/// One transaction's data from the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Amount, authorised (9F02), in minor units.
    pub amount_minor: u64,
    /// Amount, other (9F03): cashback, in minor units.
    pub other_amount_minor: u64,
    /// Transaction Currency Code (5F2A), numeric ISO 4217, e.g. 0978.
    pub currency_code: [u8; 2],
    /// Transaction Currency Exponent (5F36).
    pub currency_exponent: u8,
    /// Transaction date (9A).
    pub date: Date,
    /// Transaction time HHMMSS in BCD (9F21).
    pub time: [u8; 3],
    /// Transaction type.
    pub kind: TransactionType,
    /// Transaction Sequence Counter (9F41), BCD.
    pub sequence_counter: [u8; 4],
    /// Merchant forced the transaction online.
    pub force_online: bool,
}

/// The kernel's source of randomness: the unpredictable number (9F37) and random
/// transaction selection. Injected so that tests are deterministic.
pub trait RandomSource {
    /// A uniformly random 32-bit number.
    fn next_u32(&mut self) -> u32;
}
