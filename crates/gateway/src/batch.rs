//! Per-terminal batch totals for settlement (0500): the approved debits and credits since the
//! terminal last settled, kept as the transactions themselves so a retransmitted approval is
//! counted once and a reversal takes out exactly what it undoes.

use std::collections::{BTreeMap, HashMap};

use iso8583::Message;

/// Which total a transaction adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Purchases and completions: the cardholder pays the merchant.
    Debit,
    /// Refunds: the merchant pays the cardholder back.
    Credit,
}

/// A transaction's identity within its terminal's batch: its STAN (11) and transmission
/// time (7), which is also what field 90 of a reversal names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TxnKey {
    pub stan: String,
    pub transmission: String,
}

/// One approved transaction in a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The original's MTI, which a reversal's field 90 must repeat.
    pub mti: String,
    /// ISO 4217 numeric currency (field 49).
    pub currency: String,
    pub side: Side,
    pub amount_minor: u64,
}

/// Counts and amounts as a 0500 carries them: 74 credits number, 76 debits number, 86 credits
/// amount, 88 debits amount.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub credits_count: u64,
    pub debits_count: u64,
    pub credits_amount_minor: u64,
    pub debits_amount_minor: u64,
}

impl Totals {
    /// The totals a settlement request states; `Err(field)` names a field that is absent or
    /// not a number.
    pub fn from_settlement(msg: &Message<'_>) -> Result<Totals, usize> {
        let num = |n: usize| -> Result<u64, usize> {
            msg.text(n)
                .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|t| t.parse().ok())
                .ok_or(n)
        };
        Ok(Totals {
            credits_count: num(74)?,
            debits_count: num(76)?,
            credits_amount_minor: num(86)?,
            debits_amount_minor: num(88)?,
        })
    }

    fn add(&mut self, e: &Entry) {
        let (count, amount) = match e.side {
            Side::Debit => (&mut self.debits_count, &mut self.debits_amount_minor),
            Side::Credit => (&mut self.credits_count, &mut self.credits_amount_minor),
        };
        *count = count.saturating_add(1);
        // Bounded by batch_transactions_max × n12 amounts, far below u64::MAX.
        *amount = amount.saturating_add(e.amount_minor);
    }
}

impl std::fmt::Display for Totals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "debits {} for {} minor units, credits {} for {} minor units",
            self.debits_count,
            self.debits_amount_minor,
            self.credits_count,
            self.credits_amount_minor
        )
    }
}

/// What [`Batches::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Added,
    /// Already counted (a retransmission answered again).
    AlreadyCounted,
    /// The terminal's batch is at its bound; the transaction is not counted.
    Full,
}

/// Every terminal's open batch.
#[derive(Debug, Clone)]
pub struct Batches {
    by_terminal: HashMap<String, BTreeMap<TxnKey, Entry>>,
    per_terminal_max: usize,
}

impl Batches {
    pub fn new(per_terminal_max: usize) -> Batches {
        Batches {
            by_terminal: HashMap::new(),
            per_terminal_max,
        }
    }

    pub fn add(&mut self, terminal: &str, key: TxnKey, entry: Entry) -> Added {
        let batch = self.by_terminal.entry(terminal.to_string()).or_default();
        if batch.contains_key(&key) {
            return Added::AlreadyCounted;
        }
        if batch.len() >= self.per_terminal_max {
            return Added::Full;
        }
        batch.insert(key, entry);
        Added::Added
    }

    /// Takes the transaction `key` out of the batch if it is there and was an `mti` (the
    /// original a reversal names); a reversal of anything else leaves the totals alone.
    pub fn remove(&mut self, terminal: &str, key: &TxnKey, mti: &str) -> Option<Entry> {
        let batch = self.by_terminal.get_mut(terminal)?;
        if batch.get(key).is_some_and(|e| e.mti == mti) {
            batch.remove(key)
        } else {
            None
        }
    }

    /// Whether the terminal's batch can take no more transactions.
    pub fn is_full(&self, terminal: &str) -> bool {
        self.by_terminal
            .get(terminal)
            .is_some_and(|b| b.len() >= self.per_terminal_max)
    }

    /// The terminal's totals in `currency`.
    pub fn totals(&self, terminal: &str, currency: &str) -> Totals {
        let mut t = Totals::default();
        if let Some(batch) = self.by_terminal.get(terminal) {
            for e in batch.values().filter(|e| e.currency == currency) {
                t.add(e);
            }
        }
        t
    }

    /// Closes the terminal's batch in `currency`: its transactions leave, a new batch begins.
    pub fn settle(&mut self, terminal: &str, currency: &str) {
        if let Some(batch) = self.by_terminal.get_mut(terminal) {
            batch.retain(|_, e| e.currency != currency);
            if batch.is_empty() {
                self.by_terminal.remove(terminal);
            }
        }
    }

    /// Every open transaction, for a compacted journal.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &TxnKey, &Entry)> {
        self.by_terminal
            .iter()
            .flat_map(|(t, b)| b.iter().map(move |(k, e)| (t.as_str(), k, e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(stan: &str) -> TxnKey {
        TxnKey {
            stan: stan.into(),
            transmission: "1114221320".into(),
        }
    }

    fn entry(mti: &str, side: Side, amount_minor: u64) -> Entry {
        Entry {
            mti: mti.into(),
            currency: "978".into(),
            side,
            amount_minor,
        }
    }

    #[test]
    fn totals_count_once_and_reversals_take_out() {
        let mut b = Batches::new(3);
        assert_eq!(
            b.add("T1", key("000001"), entry("0200", Side::Debit, 1250)),
            Added::Added
        );
        assert_eq!(
            b.add("T1", key("000001"), entry("0200", Side::Debit, 1250)),
            Added::AlreadyCounted
        );
        assert_eq!(
            b.add("T1", key("000002"), entry("0200", Side::Credit, 300)),
            Added::Added
        );
        assert_eq!(
            b.add("T1", key("000003"), entry("0220", Side::Debit, 700)),
            Added::Added
        );
        assert_eq!(
            b.add("T1", key("000004"), entry("0200", Side::Debit, 1)),
            Added::Full
        );
        assert!(b.is_full("T1") && !b.is_full("T2"));
        assert_eq!(
            b.totals("T1", "978"),
            Totals {
                credits_count: 1,
                debits_count: 2,
                credits_amount_minor: 300,
                debits_amount_minor: 1950
            }
        );
        assert_eq!(b.totals("T1", "840"), Totals::default());
        // A reversal naming the wrong original MTI changes nothing.
        assert_eq!(b.remove("T1", &key("000003"), "0100"), None);
        assert!(b.remove("T1", &key("000003"), "0220").is_some());
        assert_eq!(b.remove("T1", &key("000003"), "0220"), None);
        assert_eq!(b.totals("T1", "978").debits_amount_minor, 1250);
        b.settle("T1", "978");
        assert_eq!(b.totals("T1", "978"), Totals::default());
        assert_eq!(b.iter().count(), 0);
    }
}
