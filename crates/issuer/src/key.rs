//! Request identity and the ids derived from it.
//!
//! A request key is SHA-256 of the request's identity (acquirer id 32, terminal id 41, STAN 11,
//! transmission date and time 7), cut to 124 bits and held in the first 16 bytes of the
//! ledger's 32-byte key (the rest zero). Every transfer a decision makes has the id
//! `key bits | leg` (leg 1..=15 in the low 4 bits), so the audit can go from any transfer back
//! to the decision that made it, and a second reversal or completion of the same original
//! derives the same transfer ids as the first: the ledger itself keeps money from moving twice.

use sha2::{Digest, Sha256};

/// The ledger's key for a stored decision.
pub use ledger::RequestKey;

/// Domain tag: changes here would re-key every stored decision.
const DOMAIN: &[u8] = b"posnet-issuer/v1";

/// A length-prefixed hash of parts, under a domain tag (so no two kinds of id can collide by
/// construction, and `("ab","c")` never hashes like `("a","bc")`).
pub(crate) fn digest(kind: &str, parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    for part in std::iter::once(kind.as_bytes()).chain(parts.iter().copied()) {
        h.update((part.len() as u32).to_be_bytes());
        h.update(part);
    }
    let mut out = [0u8; 32];
    for (o, b) in out.iter_mut().zip(h.finalize().as_slice()) {
        *o = *b;
    }
    out
}

/// The first 16 bytes of a digest as a big-endian number.
pub(crate) fn high_u128(d: &[u8; 32]) -> u128 {
    let mut b = [0u8; 16];
    for (o, x) in b.iter_mut().zip(d.iter()) {
        *o = *x;
    }
    u128::from_be_bytes(b)
}

/// Which of a decision's transfers an id names (its low 4 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Leg {
    /// Card ↔ merchant clearing: the money.
    Money = 1,
    /// Card's daily-limit account → limit used; in an offline advice (which takes no limit),
    /// the issuer's advance of what the card's balance could not cover.
    Limit = 2,
    /// Terminal totals, amount.
    TotalAmount = 3,
    /// Terminal totals, count.
    TotalCount = 4,
    /// Authorization code sequence.
    AuthSequence = 5,
    /// Completion: post of the pre-authorization's money hold (id from the pre-auth's key).
    PostMoney = 6,
    /// Completion: post of its limit hold.
    PostLimit = 7,
    /// Completion: terminal totals, amount.
    PostTotalAmount = 8,
    /// Completion: terminal totals, count.
    PostTotalCount = 9,
    /// Reversal: void or compensation of the money (id from the reversed original's base).
    UndoMoney = 10,
    /// Reversal of the limit leg.
    UndoLimit = 11,
    /// Reversal of the totals amount.
    UndoTotalAmount = 12,
    /// Reversal of the totals count.
    UndoTotalCount = 13,
    /// Settlement: closes the terminal's totals period.
    Settle = 14,
    /// The card's wrong-PIN count: one more, or cleared by a correct PIN.
    PinTries = 15,
}

impl Leg {
    /// Every leg.
    pub const ALL: [Leg; 15] = [
        Self::Money,
        Self::Limit,
        Self::TotalAmount,
        Self::TotalCount,
        Self::AuthSequence,
        Self::PostMoney,
        Self::PostLimit,
        Self::PostTotalAmount,
        Self::PostTotalCount,
        Self::UndoMoney,
        Self::UndoLimit,
        Self::UndoTotalAmount,
        Self::UndoTotalCount,
        Self::Settle,
        Self::PinTries,
    ];

    /// The leg in the low 4 bits of a transfer id.
    pub fn of_id(id: u128) -> Option<Leg> {
        let nibble = (id & 0xF) as u8;
        Self::ALL.into_iter().find(|l| *l as u8 == nibble)
    }

    /// The leg that reverses this one, if it can be reversed.
    pub fn undo(self) -> Option<Leg> {
        match self {
            Self::Money | Self::PostMoney => Some(Self::UndoMoney),
            Self::Limit | Self::PostLimit => Some(Self::UndoLimit),
            Self::TotalAmount | Self::PostTotalAmount => Some(Self::UndoTotalAmount),
            Self::TotalCount | Self::PostTotalCount => Some(Self::UndoTotalCount),
            _ => None,
        }
    }
}

/// The 124-bit base of a key: the high half with the leg nibble clear.
pub fn base(key: &RequestKey) -> u128 {
    let mut b = [0u8; 16];
    for (o, x) in b.iter_mut().zip(key.iter()) {
        *o = *x;
    }
    u128::from_be_bytes(b) & !0xF
}

/// The key whose base is `base` (the inverse of [`base`] for keys made here).
pub fn key_of_base(base: u128) -> RequestKey {
    let mut key = [0u8; 32];
    for (o, x) in key.iter_mut().zip((base & !0xF).to_be_bytes()) {
        *o = x;
    }
    key
}

/// Id of leg `leg` of the decision whose base is `base`. Never 0 (legs start at 1); `u128::MAX`
/// only for leg 15 of the one base whose 124 bits are all ones (a SHA-256 prefix: 2^-124).
pub fn transfer_id(base: u128, leg: Leg) -> u128 {
    (base & !0xF) | leg as u128
}

fn key_from(d: [u8; 32]) -> RequestKey {
    key_of_base(high_u128(&d))
}

/// The identity of a request at the issuer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Identity {
    /// Acquirer id (field 32), zero-filled on the left to 11 digits as field 90 carries it.
    pub acquirer: String,
    /// Terminal id (field 41) as sent.
    pub terminal: String,
    /// STAN (field 11).
    pub stan: String,
    /// Transmission date and time (field 7), MMDDhhmmss.
    pub transmission: String,
}

impl Identity {
    /// Zero-fills the acquirer id to 11 digits so that field 32 and field 90 compare alike.
    pub fn new(acquirer: &str, terminal: &str, stan: &str, transmission: &str) -> Self {
        Self {
            acquirer: format!("{acquirer:0>11}"),
            terminal: terminal.to_owned(),
            stan: stan.to_owned(),
            transmission: transmission.to_owned(),
        }
    }

    /// The key its decision is stored under.
    pub fn key(&self) -> RequestKey {
        key_from(digest(
            "request",
            &[
                self.acquirer.as_bytes(),
                self.terminal.as_bytes(),
                self.stan.as_bytes(),
                self.transmission.as_bytes(),
            ],
        ))
    }

    /// The key a network management request's answer is stored under (apart from financial
    /// requests, which could share field 41, 11 and 7 with it).
    pub fn network_key(&self) -> RequestKey {
        key_from(digest(
            "network",
            &[
                self.acquirer.as_bytes(),
                self.terminal.as_bytes(),
                self.stan.as_bytes(),
                self.transmission.as_bytes(),
            ],
        ))
    }

    /// The key of the (acquirer, terminal, STAN, MTI class, UTC day) index that tells a retry
    /// with a new transmission time from a true duplicate.
    pub fn stan_key(&self, mti_class: u8, day: u64) -> RequestKey {
        key_from(digest(
            "stan",
            &[
                self.acquirer.as_bytes(),
                self.terminal.as_bytes(),
                self.stan.as_bytes(),
                &[mti_class],
                &day.to_be_bytes(),
            ],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_transfer_ids() {
        let id = Identity::new("1234", "TERM0001", "000042", "0101120000");
        assert_eq!(id.acquirer, "00000001234");
        let key = id.key();
        assert!(key[16..].iter().all(|b| *b == 0));
        assert_eq!(key[15] & 0xF, 0);
        let b = base(&key);
        for leg in Leg::ALL {
            let t = transfer_id(b, leg);
            assert_eq!(Leg::of_id(t), Some(leg));
            assert_eq!(key_of_base(t), key);
            assert_ne!(t, 0);
            assert_ne!(t, u128::MAX);
        }
        assert_eq!(Leg::of_id(b), None);
        assert_eq!(Leg::of_id(b | 0xF), Some(Leg::PinTries));
    }

    #[test]
    fn identity_parts_are_not_ambiguous() {
        let a = Identity::new("1", "T1", "000001", "0101000000").key();
        let b = Identity::new("1", "T", "1000001", "0101000000").key();
        assert_ne!(a, b);
        // Field 32 "1234" and field 90's "00000001234" are the same acquirer.
        assert_eq!(
            Identity::new("00000001234", "T1", "000001", "0101000000").key(),
            Identity::new("1234", "T1", "000001", "0101000000").key()
        );
        let id = Identity::new("1", "T1", "000001", "0101000000");
        assert_ne!(id.stan_key(1, 5), id.stan_key(2, 5));
        assert_ne!(id.stan_key(1, 5), id.stan_key(1, 6));
        assert_ne!(id.stan_key(1, 5), id.key());
    }

    #[test]
    fn digest_is_sha256_of_the_framed_parts() {
        // SHA-256("abc") from FIPS 180-2, appendix B.1, checks that the hash is the real one.
        let abc = Sha256::digest(b"abc");
        assert_eq!(
            abc.as_slice()[..4],
            [0xba, 0x78, 0x16, 0xbf],
            "FIPS 180-2 B.1 vector"
        );
        let mut framed = DOMAIN.to_vec();
        framed.extend_from_slice(&3u32.to_be_bytes());
        framed.extend_from_slice(b"abc");
        assert_eq!(
            digest("abc", &[]).as_slice(),
            Sha256::digest(&framed).as_slice()
        );
    }

    #[test]
    fn undo_legs() {
        assert_eq!(Leg::Money.undo(), Some(Leg::UndoMoney));
        assert_eq!(Leg::PostLimit.undo(), Some(Leg::UndoLimit));
        assert_eq!(Leg::AuthSequence.undo(), None);
        assert_eq!(Leg::Settle.undo(), None);
        assert_eq!(Leg::UndoMoney.undo(), None);
    }
}
