//! The audit's judgement: what each terminal was told, against the money the issuer's ledger
//! moved for the same request identity (acquirer 32, terminal id 41, STAN 11, transmission
//! time 7). Pure: the caller reads the ledger and the journals.

use std::collections::{BTreeMap, HashMap, HashSet};

use issuer::chart::{is_money_ledger, transfer_code};
use issuer::key::{Identity, Leg, base, transfer_id};
use ledger::Transfer;
use terminal::TxnKind;

use super::sim::{Fate, Record};

/// Discrepancies listed in full in a report; beyond it only counted.
pub const LISTED_MAX: usize = 50;

/// What the comparison found.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Requests compared.
    pub checked: u64,
    pub charged: u64,
    pub voided: u64,
    /// Voided requests the issuer had acted on (charged, then compensated).
    pub voided_after_charge: u64,
    pub problems: Vec<String>,
}

impl Verdict {
    fn problem(&mut self, what: String) {
        self.problems.push(what);
    }
}

fn who(r: &Record) -> String {
    format!(
        "{} {} STAN {} at {} ({} minor units)",
        r.terminal,
        r.kind.name(),
        r.stan,
        r.transmission,
        r.amount_minor
    )
}

/// Compares every terminal record with the issuer's transfers (every transfer, by id), then
/// looks for money no terminal asked for. Returns the verdict and the base ids seen.
pub fn judge(
    acquirer: &str,
    records: &[(Record, Fate)],
    transfers: &BTreeMap<u128, Transfer>,
) -> Verdict {
    let mut v = Verdict::default();
    let mut known: HashSet<u128> = HashSet::with_capacity(records.len());
    for (r, fate) in records {
        let key = Identity::new(acquirer, &r.terminal, &r.stan.field(), &r.transmission).key();
        let b = base(&key);
        if !known.insert(b) {
            v.problem(format!(
                "{}: two terminal records share one identity",
                who(r)
            ));
        }
        v.checked += 1;
        let money = transfers.get(&transfer_id(b, Leg::Money));
        let undo = transfers.get(&transfer_id(b, Leg::UndoMoney));
        match fate {
            Fate::Charged => {
                v.charged += 1;
                match (money, undo) {
                    (None, _) => v.problem(format!(
                        "{}: approved at the terminal, no money moved at the issuer",
                        who(r)
                    )),
                    (Some(_), Some(_)) => v.problem(format!(
                        "{}: approved at the terminal, reversed at the issuer",
                        who(r)
                    )),
                    (Some(m), None) if m.amount_minor != r.amount_minor => v.problem(format!(
                        "{}: the issuer moved {} minor units",
                        who(r),
                        m.amount_minor
                    )),
                    (Some(_), None) => {}
                }
            }
            Fate::Declined | Fate::NotSent | Fate::Voided => {
                if *fate == Fate::Voided {
                    v.voided += 1;
                }
                match (money, undo) {
                    (None, _) => {}
                    (Some(m), None) => v.problem(format!(
                        "{}: {} at the terminal, but the issuer moved {} minor units and kept them",
                        who(r),
                        match fate {
                            Fate::Declined => "declined",
                            Fate::NotSent => "never sent",
                            _ => "given up and reversed",
                        },
                        m.amount_minor
                    )),
                    (Some(m), Some(u)) if u.amount_minor != m.amount_minor => v.problem(format!(
                        "{}: the issuer moved {} and gave back {} minor units",
                        who(r),
                        m.amount_minor,
                        u.amount_minor
                    )),
                    (Some(_), Some(_)) => v.voided_after_charge += 1,
                }
            }
            Fate::Owed => v.problem(format!(
                "{}: the terminal still owes a reversal or an answer after recovery",
                who(r)
            )),
        }
    }
    // Money moved under an identity no terminal record has: a second charge, or a request
    // the terminals never knew they made.
    for t in transfers.values() {
        if Leg::of_id(t.id) != Some(Leg::Money)
            || !is_money_ledger(t.ledger)
            || !matches!(
                t.code,
                transfer_code::PURCHASE | transfer_code::REFUND | transfer_code::PREAUTH
            )
        {
            continue;
        }
        if !known.contains(&(t.id & !0xF)) {
            v.problem(format!(
                "transfer {:032x}: {} minor units moved for a request no terminal recorded",
                t.id, t.amount_minor
            ));
        }
    }
    v
}

/// Each card's expected balance change: minus its charged purchases, plus its charged
/// refunds. Cards with no charged request are absent.
pub fn expected_change(records: &[(Record, Fate)]) -> HashMap<String, i128> {
    let mut out: HashMap<String, i128> = HashMap::new();
    for (r, fate) in records {
        if *fate != Fate::Charged {
            continue;
        }
        let signed = match r.kind {
            TxnKind::Refund => i128::from(r.amount_minor),
            _ => -i128::from(r.amount_minor),
        };
        *out.entry(r.pan.clone()).or_insert(0) += signed;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger::TransferFlags;
    use terminal::Stan;

    const ACQ: &str = "10000000001";

    fn rec(stan: u32, kind: TxnKind, amount_minor: u64) -> Record {
        Record {
            terminal: "BENCH001".into(),
            kind,
            stan: Stan::new(stan).unwrap(),
            transmission: "1124210000".into(),
            amount_minor,
            pan: "4761738000000014".into(),
            approved: true,
            origin: "host",
            response_code: "00".into(),
        }
    }

    fn money(r: &Record, leg: Leg, amount_minor: u64) -> Transfer {
        let key = Identity::new(ACQ, &r.terminal, &r.stan.field(), &r.transmission).key();
        Transfer {
            id: transfer_id(base(&key), leg),
            debit_account_id: 1,
            credit_account_id: 2,
            amount_minor,
            pending_id: 0,
            ledger: issuer::chart::money_ledger(978),
            code: transfer_code::PURCHASE,
            flags: TransferFlags(0),
            timeout_s: 0,
            timestamp_ns: 1,
        }
    }

    fn map(ts: &[Transfer]) -> BTreeMap<u128, Transfer> {
        ts.iter().map(|t| (t.id, *t)).collect()
    }

    #[test]
    fn a_clean_run_has_no_problem() {
        let a = rec(1, TxnKind::Purchase, 250);
        let b = rec(2, TxnKind::Purchase, 300);
        let c = rec(3, TxnKind::Purchase, 400);
        let d = rec(4, TxnKind::Refund, 500);
        let transfers = map(&[
            money(&a, Leg::Money, 250),
            money(&b, Leg::Money, 300),
            money(&b, Leg::UndoMoney, 300),
            money(&d, Leg::Money, 500),
        ]);
        let records = [
            (a, Fate::Charged),
            (b, Fate::Voided),
            (c, Fate::Declined),
            (d, Fate::Charged),
        ];
        let v = judge(ACQ, &records, &transfers);
        assert_eq!(v.problems, Vec::<String>::new());
        assert_eq!((v.checked, v.charged, v.voided), (4, 2, 1));
        assert_eq!(v.voided_after_charge, 1);
        let change = expected_change(&records);
        assert_eq!(change.get("4761738000000014"), Some(&(500 - 250)));
    }

    #[test]
    fn every_kind_of_money_error_is_found() {
        let approved_not_charged = rec(1, TxnKind::Purchase, 100);
        let declined_but_charged = rec(2, TxnKind::Purchase, 200);
        let voided_but_kept = rec(3, TxnKind::Purchase, 300);
        let wrong_amount = rec(4, TxnKind::Purchase, 400);
        let owed = rec(5, TxnKind::Purchase, 500);
        let undone_partly = rec(6, TxnKind::Purchase, 600);
        let orphan = rec(7, TxnKind::Purchase, 700);
        let transfers = map(&[
            money(&declined_but_charged, Leg::Money, 200),
            money(&voided_but_kept, Leg::Money, 300),
            money(&wrong_amount, Leg::Money, 401),
            money(&undone_partly, Leg::Money, 600),
            money(&undone_partly, Leg::UndoMoney, 599),
            money(&orphan, Leg::Money, 700),
        ]);
        let records = [
            (approved_not_charged, Fate::Charged),
            (declined_but_charged, Fate::Declined),
            (voided_but_kept, Fate::Voided),
            (wrong_amount, Fate::Charged),
            (owed, Fate::Owed),
            (undone_partly, Fate::NotSent),
        ];
        let v = judge(ACQ, &records, &transfers);
        let p = &v.problems;
        assert_eq!(p.len(), 7, "{p:#?}");
        assert!(p[0].contains("STAN 000001") && p[0].contains("no money moved"));
        assert!(p[1].contains("STAN 000002") && p[1].contains("declined at the terminal"));
        assert!(p[2].contains("STAN 000003") && p[2].contains("given up and reversed"));
        assert!(p[3].contains("STAN 000004") && p[3].contains("moved 401"));
        assert!(p[4].contains("STAN 000005") && p[4].contains("still owes"));
        assert!(p[5].contains("moved 600 and gave back 599"));
        assert!(p[6].contains("700 minor units moved for a request no terminal recorded"));
    }
}
