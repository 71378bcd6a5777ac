//! Random days of traffic: the audit stays clean, every retry gets its first answer, and the
//! ledger's balances equal a model built only from the answers the issuer gave.

mod common;

use common::*;
use issuer::{Disposition, UnixTime};
use proptest::prelude::*;

const CARDS: [&str; 3] = [ALICE, HANA_POOR, BOB_LOST];
const OPENING: [i128; 3] = [100_000, 2_000, 100_000];

#[derive(Clone, Debug)]
enum Op {
    Purchase(usize, u64),
    Preauth(usize, u64),
    Refund(usize, u64),
    Balance(usize),
    /// Completes the n-th pre-authorization sent (modulo) for this percentage of its hold.
    Complete(usize, u64),
    /// Reverses the n-th request sent (modulo).
    Reverse(usize),
    /// Sends the n-th request again, unchanged.
    Retry(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, 1..30_000u64).prop_map(|(c, a)| Op::Purchase(c, a)),
        3 => (0..3usize, 1..30_000u64).prop_map(|(c, a)| Op::Preauth(c, a)),
        1 => (0..3usize, 1..5_000u64).prop_map(|(c, a)| Op::Refund(c, a)),
        1 => (0..3usize).prop_map(Op::Balance),
        3 => (any::<usize>(), 1..=110u64).prop_map(|(n, p)| Op::Complete(n, p)),
        3 => any::<usize>().prop_map(Op::Reverse),
        2 => any::<usize>().prop_map(Op::Retry),
        1 => (0..4_000u64).prop_map(Op::Advance),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Purchase,
    Preauth,
    Refund,
    Balance,
    /// Completion of the pre-authorization at this index of `sent`.
    Completion(usize),
    Reversal,
}

#[derive(Debug)]
struct Sent {
    req: Req,
    response: Vec<u8>,
    kind: Kind,
    card: usize,
    amount: u64,
    approved: bool,
    at: UnixTime,
    /// Pre-authorization: completed for this amount.
    completed: Option<u64>,
    /// Pre-authorization (shared by its completions), purchase or refund: undone by a reversal.
    undone: bool,
    /// Completion: it was the one that moved money.
    moved: bool,
}

struct Model {
    posted: [i128; 3],
}

impl Model {
    fn live_holds(&self, sent: &[Sent], card: usize, now: UnixTime) -> i128 {
        sent.iter()
            .filter(|s| s.kind == Kind::Preauth && s.card == card && s.approved)
            .filter(|s| s.completed.is_none() && !s.undone)
            .filter(|s| now < s.at.plus_secs(HOLD_S))
            .map(|s| i128::from(s.amount))
            .sum()
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut b = bank();
    let mut sent: Vec<Sent> = Vec::new();
    let mut model = Model { posted: OPENING };
    let mut stan = 0u32;
    for op in ops {
        stan += 1;
        let (req, kind, card, amount) = match op {
            Op::Purchase(c, a) => (purchase(CARDS[c], a, stan), Kind::Purchase, c, a),
            Op::Preauth(c, a) => (preauth(CARDS[c], a, stan), Kind::Preauth, c, a),
            Op::Refund(c, a) => (refund(CARDS[c], a, stan), Kind::Refund, c, a),
            Op::Balance(c) => (balance(CARDS[c], stan), Kind::Balance, c, 0),
            Op::Complete(n, pct) => {
                let pres: Vec<usize> = (0..sent.len())
                    .filter(|i| sent[*i].kind == Kind::Preauth)
                    .collect();
                if pres.is_empty() {
                    continue;
                }
                let i = pres[n % pres.len()];
                let amount = (sent[i].amount * pct / 100).max(1);
                let auth = read_auth(&sent[i].response);
                let req = completion(&sent[i].req, amount, &auth, stan);
                (req, Kind::Completion(i), sent[i].card, amount)
            }
            Op::Reverse(n) => {
                let reversible: Vec<usize> = (0..sent.len())
                    .filter(|i| sent[*i].kind != Kind::Reversal)
                    .collect();
                if reversible.is_empty() {
                    continue;
                }
                let i = reversible[n % reversible.len()];
                let req = reversal(&sent[i].req, stan);
                let amount = sent[i].amount;
                let card = sent[i].card;
                let answer = b.answer(&req);
                prop_assert_eq!(answer.disposition, Disposition::Decided);
                let approved = read(&answer).code() == "00";
                if approved && sent[i].approved {
                    undo(&mut model, &mut sent, i, b.now);
                }
                sent.push(Sent {
                    req,
                    response: answer.response.unwrap_or_default(),
                    kind: Kind::Reversal,
                    card,
                    amount,
                    approved,
                    at: b.now,
                    completed: None,
                    undone: false,
                    moved: false,
                });
                continue;
            }
            Op::Retry(n) => {
                if sent.is_empty() {
                    continue;
                }
                let i = n % sent.len();
                let answer = b.answer(&sent[i].req);
                prop_assert_eq!(answer.disposition, Disposition::Replayed);
                prop_assert_eq!(
                    answer.response.as_deref(),
                    Some(sent[i].response.as_slice())
                );
                continue;
            }
            Op::Advance(s) => {
                b.advance(s);
                continue;
            }
        };
        let answer = b.answer(&req);
        prop_assert_eq!(answer.disposition, Disposition::Decided);
        let reply = read(&answer);
        let approved = reply.code() == "00";
        let mut moved = false;
        if approved {
            match kind {
                Kind::Purchase => model.posted[card] -= i128::from(amount),
                Kind::Refund => model.posted[card] += i128::from(amount),
                Kind::Completion(i) => {
                    if sent[i].completed.is_none() {
                        sent[i].completed = Some(amount);
                        model.posted[card] -= i128::from(amount);
                        moved = true;
                    } else {
                        prop_assert_eq!(sent[i].completed, Some(amount));
                    }
                }
                Kind::Balance => {
                    let available = model.posted[card] - model.live_holds(&sent, card, b.now);
                    prop_assert_eq!(&reply.fields[&54], &format!("0002978C{available:012}"));
                }
                Kind::Preauth | Kind::Reversal => {}
            }
        }
        sent.push(Sent {
            req,
            response: answer.response.unwrap_or_default(),
            kind,
            card,
            amount,
            approved,
            at: b.now,
            completed: None,
            undone: false,
            moved,
        });
    }
    b.advance(1);
    b.issuer.expire_holds(&mut b.ledger, b.now).unwrap();
    for (c, pan) in CARDS.iter().enumerate() {
        let account = b.card(pan);
        let posted = i128::from(account.credits_posted) - i128::from(account.debits_posted);
        prop_assert_eq!(posted, model.posted[c], "card {}", c);
        prop_assert_eq!(
            i128::from(account.debits_pending),
            model.live_holds(&sent, c, b.now),
            "card {} holds",
            c
        );
    }
    let audit = b.issuer.audit(&b.ledger).unwrap();
    prop_assert!(audit.is_clean(), "{:#?}", audit);
    Ok(())
}

fn read_auth(response: &[u8]) -> String {
    let spec = iso8583::specs::iso87_ascii_bbitmap();
    let m = spec.unpack(response).unwrap();
    m.text(38).unwrap_or("XXXXXX").to_owned()
}

/// The model's side of an approved reversal of the approved request `i`.
fn undo(model: &mut Model, sent: &mut [Sent], i: usize, now: UnixTime) {
    let (kind, card, amount) = (sent[i].kind, sent[i].card, i128::from(sent[i].amount));
    match kind {
        Kind::Purchase if !sent[i].undone => {
            sent[i].undone = true;
            model.posted[card] += amount;
        }
        Kind::Refund if !sent[i].undone => {
            sent[i].undone = true;
            model.posted[card] -= amount;
        }
        Kind::Preauth => {
            let expired = now >= sent[i].at.plus_secs(HOLD_S);
            if sent[i].completed.is_none() && !expired {
                sent[i].undone = true;
            }
        }
        Kind::Completion(p) if sent[i].moved && !sent[p].undone => {
            sent[p].undone = true;
            model.posted[card] += amount;
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_days_keep_the_books(ops in prop::collection::vec(op(), 1..60)) {
        run(ops)?;
    }
}
