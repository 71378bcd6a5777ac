//! The chart of accounts: which ledgers exist, the codes of accounts and transfers, and how each
//! account's id is derived (stable across restarts, so set-up is idempotent).
//!
//! Money lives on the ledger of its ISO 4217 currency. Daily limits and terminal totals are
//! kept with the same two-phase double-entry rules on ledgers of their own, so the limit check
//! and the totals are committed atomically with the money they count, and survive restarts.

use crate::key::{digest, high_u128};

/// Daily-limit units of currency `c` live on ledger `LIMIT_LEDGER_BASE + c`.
pub const LIMIT_LEDGER_BASE: u32 = 1_000_000;
/// Terminal totals (amounts) in currency `c` live on ledger `TOTALS_LEDGER_BASE + c`.
pub const TOTALS_LEDGER_BASE: u32 = 2_000_000;
/// Counters (transaction counts, settlement periods, the authorization code sequence).
pub const COUNT_LEDGER: u32 = 3_000_000;

/// Account codes.
pub mod account_code {
    /// A card (DEBITS_MUST_NOT_EXCEED_CREDITS).
    pub const CARD: u16 = 1;
    /// A merchant's clearing account in one currency.
    pub const MERCHANT: u16 = 2;
    /// The issuer's funding and settlement account in one currency.
    pub const FUNDING: u16 = 3;
    /// Source of daily-limit units.
    pub const LIMIT_SOURCE: u16 = 10;
    /// One card's limit for one UTC day (DEBITS_MUST_NOT_EXCEED_CREDITS).
    pub const LIMIT_DAY: u16 = 11;
    /// Where used limit goes.
    pub const LIMIT_USED: u16 = 12;
    /// Source of terminal totals amounts.
    pub const TOTALS_SOURCE: u16 = 20;
    /// A terminal's totals for one settlement period.
    pub const TOTALS: u16 = 21;
    /// Source of counts.
    pub const COUNT_SOURCE: u16 = 30;
    /// A counter (totals count, settlement period, authorization sequence).
    pub const COUNTER: u16 = 31;
    /// A card's consecutive wrong PINs (credits minus debits).
    pub const PIN_TRIES: u16 = 32;
}

/// Transfer codes (the reason for each movement).
pub mod transfer_code {
    /// Opening balance of a card, from the funding account.
    pub const OPENING: u16 = 1;
    /// Purchase (0200, 00).
    pub const PURCHASE: u16 = 2;
    /// Pre-authorization hold (0100); its completion post keeps this code.
    pub const PREAUTH: u16 = 3;
    /// Refund (0200, 20).
    pub const REFUND: u16 = 5;
    /// Reversal (0400/0420) compensation.
    pub const REVERSAL: u16 = 6;
    /// A card's daily limit opened for a day.
    pub const LIMIT_FUNDING: u16 = 7;
    /// Daily limit consumed.
    pub const LIMIT_USE: u16 = 8;
    /// Terminal totals.
    pub const TOTALS: u16 = 9;
    /// One authorization code issued.
    pub const AUTH_SEQUENCE: u16 = 10;
    /// A settlement period closed.
    pub const SETTLEMENT: u16 = 11;
    /// A wrong PIN counted, or the count cleared by a correct PIN (leg `PinTries` of the
    /// decision, whatever its answer).
    pub const PIN_TRY: u16 = 12;
    /// The count cleared by an operator (no request behind it).
    pub const PIN_RESET: u16 = 13;
    /// The issuer's advance to a card whose offline-approved purchase its balance could not
    /// cover (leg `Limit` of an offline advice).
    pub const OFFLINE_OVERDRAFT: u16 = 14;
}

/// Which of a terminal period's four totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Totals {
    /// Amount of debits (purchases, completions), in minor units.
    DebitsAmount,
    /// Amount of credits (refunds).
    CreditsAmount,
    /// Number of debits.
    DebitsCount,
    /// Number of credits.
    CreditsCount,
}

impl Totals {
    fn tag(self) -> u8 {
        match self {
            Self::DebitsAmount => 1,
            Self::CreditsAmount => 2,
            Self::DebitsCount => 3,
            Self::CreditsCount => 4,
        }
    }
}

/// Derives every account id of one institution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    institution: String,
}

impl Chart {
    /// The chart of institution `institution_id`.
    pub fn new(institution_id: &str) -> Self {
        Self {
            institution: institution_id.to_owned(),
        }
    }

    fn id(&self, kind: &str, parts: &[&[u8]]) -> u128 {
        let mut all: Vec<&[u8]> = Vec::with_capacity(parts.len() + 1);
        all.push(self.institution.as_bytes());
        all.extend_from_slice(parts);
        match high_u128(&digest(kind, &all)) {
            0 => 1,
            u128::MAX => u128::MAX - 1,
            id => id,
        }
    }

    /// A card's account.
    pub fn card(&self, pan: &str) -> u128 {
        self.id("card", &[pan.as_bytes()])
    }

    /// A merchant's clearing account in `currency`.
    pub fn merchant(&self, merchant_id: &str, currency: u16) -> u128 {
        self.id(
            "merchant",
            &[merchant_id.as_bytes(), &currency.to_be_bytes()],
        )
    }

    /// The issuer's funding account in `currency`.
    pub fn funding(&self, currency: u16) -> u128 {
        self.id("funding", &[&currency.to_be_bytes()])
    }

    /// Source of daily-limit units in `currency`.
    pub fn limit_source(&self, currency: u16) -> u128 {
        self.id("limit-source", &[&currency.to_be_bytes()])
    }

    /// Used daily limit in `currency`.
    pub fn limit_used(&self, currency: u16) -> u128 {
        self.id("limit-used", &[&currency.to_be_bytes()])
    }

    /// One card's limit for UTC day `day`.
    pub fn limit_day(&self, pan: &str, day: u64) -> u128 {
        self.id("limit-day", &[pan.as_bytes(), &day.to_be_bytes()])
    }

    /// Source of terminal totals amounts in `currency`.
    pub fn totals_source(&self, currency: u16) -> u128 {
        self.id("totals-source", &[&currency.to_be_bytes()])
    }

    /// Source of counts.
    pub fn count_source(&self) -> u128 {
        self.id("count-source", &[])
    }

    /// The authorization code sequence.
    pub fn auth_sequence(&self) -> u128 {
        self.id("auth-sequence", &[])
    }

    /// Number of settlements a terminal closed in `currency`: its current period.
    pub fn period(&self, terminal: &str, currency: u16) -> u128 {
        self.id("period", &[terminal.as_bytes(), &currency.to_be_bytes()])
    }

    /// One of a terminal's totals for one settlement period.
    pub fn totals(&self, terminal: &str, currency: u16, period: u64, which: Totals) -> u128 {
        self.id(
            "totals",
            &[
                terminal.as_bytes(),
                &currency.to_be_bytes(),
                &period.to_be_bytes(),
                &[which.tag()],
            ],
        )
    }

    /// A card's consecutive wrong PIN count.
    pub fn pin_tries(&self, pan: &str) -> u128 {
        self.id("pin-tries", &[pan.as_bytes()])
    }

    /// An operator's reset of a card's PIN count at batch time `now_ns`.
    pub fn pin_reset_transfer(&self, pan: &str, now_ns: u64) -> u128 {
        self.id("pin-reset", &[pan.as_bytes(), &now_ns.to_be_bytes()])
    }

    /// The opening-balance transfer of a card.
    pub fn opening_transfer(&self, pan: &str) -> u128 {
        self.id("opening", &[pan.as_bytes()])
    }

    /// The transfer that opens a card's limit for a day.
    pub fn limit_funding_transfer(&self, pan: &str, day: u64) -> u128 {
        self.id("limit-funding", &[pan.as_bytes(), &day.to_be_bytes()])
    }
}

/// The money ledger of a currency.
pub fn money_ledger(currency: u16) -> u32 {
    u32::from(currency)
}

/// The daily-limit ledger of a currency.
pub fn limit_ledger(currency: u16) -> u32 {
    LIMIT_LEDGER_BASE + u32::from(currency)
}

/// The terminal-totals ledger of a currency.
pub fn totals_ledger(currency: u16) -> u32 {
    TOTALS_LEDGER_BASE + u32::from(currency)
}

/// True for a money ledger (an ISO 4217 numeric code).
pub fn is_money_ledger(ledger: u32) -> bool {
    (1..=999).contains(&ledger)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = Chart::new("476173");
        let b = Chart::new("476174");
        assert_eq!(a.card("4111111111111111"), a.card("4111111111111111"));
        assert_ne!(a.card("4111111111111111"), b.card("4111111111111111"));
        let all = [
            a.card("4111111111111111"),
            a.merchant("M1", 978),
            a.merchant("M1", 840),
            a.funding(978),
            a.limit_source(978),
            a.limit_used(978),
            a.limit_day("4111111111111111", 1),
            a.limit_day("4111111111111111", 2),
            a.totals_source(978),
            a.count_source(),
            a.auth_sequence(),
            a.period("T1", 978),
            a.totals("T1", 978, 0, Totals::DebitsAmount),
            a.totals("T1", 978, 0, Totals::CreditsAmount),
            a.totals("T1", 978, 1, Totals::DebitsAmount),
            a.pin_tries("4111111111111111"),
            a.pin_reset_transfer("4111111111111111", 1),
        ];
        let unique: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len());
        assert!(is_money_ledger(978) && !is_money_ledger(limit_ledger(978)));
        assert_eq!(totals_ledger(840), 2_000_840);
    }
}
