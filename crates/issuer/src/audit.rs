//! The issuer's audit: the ledger's own (debits equal credits, balances equal their transfers,
//! holds resolved once, limits kept) plus the issuer's books: every configured card has its
//! account and opening balance, every transfer a decision made belongs to an approval (its
//! response code 00, its amount the approved amount), every hold comes from an approved
//! pre-authorization and its daily-limit hold stands or falls with it. A card's wrong-PIN
//! count moves under any decision (a 55 counts), or by an operator's reset.
//!
//! Reads everything: run it offline or between batches, never on the authorization path.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use iso8583::ResponseCode;
use ledger::{AuditReport, Hold, HoldStatus, Ledger, Storage, Transfer, TransferKind};

use crate::chart::{is_money_ledger, transfer_code};
use crate::error::IssuerError;
use crate::issuer::Issuer;
use crate::key::{Leg, RequestKey, key_of_base, transfer_id};

/// One way the issuer's books disagree with its decisions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuerViolation {
    /// A configured card has no ledger account.
    CardAccountMissing {
        /// Card name.
        card: String,
    },
    /// A configured card's opening balance was not posted, or with another amount.
    OpeningBalanceWrong {
        /// Card name.
        card: String,
        /// Configured, minor units.
        configured_minor: u64,
        /// Posted (0 if none), minor units.
        posted_minor: u64,
    },
    /// A transfer whose id names no stored decision.
    TransferWithoutDecision {
        /// The transfer.
        transfer_id: u128,
    },
    /// A transfer made under a decision that was not an approval.
    TransferOfDecline {
        /// The transfer.
        transfer_id: u128,
        /// The decision's field 39.
        response_code: String,
    },
    /// The money moved differs from the approved amount (field 4 of the answer).
    AmountDiffersFromApproval {
        /// The transfer.
        transfer_id: u128,
        /// Moved, minor units.
        transfer_minor: u64,
        /// Approved, minor units.
        approved_minor: u64,
    },
    /// A hold whose decision is not an approved 0110.
    HoldNotFromPreauthorization {
        /// The pending transfer.
        pending_id: u128,
        /// MTI of the answer that made it.
        answer_mti: String,
    },
    /// A pre-authorization's money hold and daily-limit hold are resolved differently.
    LimitHoldDiffers {
        /// The money hold.
        pending_id: u128,
        /// Its status (`None`: missing).
        money: Option<HoldStatus>,
        /// The limit hold's status (`None`: missing).
        limit: Option<HoldStatus>,
    },
    /// A completion posted different amounts of the money and limit holds.
    PostAmountsDiffer {
        /// The money hold.
        pending_id: u128,
        /// Posted from the money hold.
        money_minor: u64,
        /// Posted from the limit hold.
        limit_minor: u64,
    },
    /// A stored answer cannot be read.
    UnreadableDecision {
        /// A transfer made under it.
        transfer_id: u128,
        /// The codec's complaint.
        detail: String,
    },
}

/// What the issuer's audit found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerAudit {
    /// The ledger's own audit.
    pub ledger: AuditReport,
    /// Transfers checked against their decisions.
    pub transfers_checked: u64,
    /// Money holds checked against their approvals.
    pub holds_checked: u64,
    /// Everything found wrong.
    pub violations: Vec<IssuerViolation>,
}

impl IssuerAudit {
    /// True when the ledger and the issuer's books agree everywhere.
    pub fn is_clean(&self) -> bool {
        self.ledger.is_clean() && self.violations.is_empty()
    }
}

/// The parts of a stored answer the audit compares.
#[derive(Clone, Debug)]
struct Answered {
    mti: String,
    code: String,
    amount_minor: Option<u64>,
}

impl Issuer {
    /// Audits the ledger and the issuer's books (see the module documentation).
    pub fn audit<S: Storage>(&self, ledger: &Ledger<S>) -> Result<IssuerAudit, IssuerError> {
        let report = ledger.audit()?;
        let mut transfers = BTreeMap::new();
        ledger
            .storage()
            .visit_transfers(&mut |t| {
                transfers.insert(t.id, *t);
            })
            .map_err(ledger::LedgerError::from)?;
        let mut holds = BTreeMap::new();
        ledger
            .storage()
            .visit_holds(&mut |h| {
                holds.insert(h.id, *h);
            })
            .map_err(ledger::LedgerError::from)?;
        let mut audit = IssuerAudit {
            ledger: report,
            transfers_checked: 0,
            holds_checked: 0,
            violations: Vec::new(),
        };
        self.audit_cards(ledger, &transfers, &mut audit)?;
        let mut answers: HashMap<RequestKey, Result<Option<Answered>, String>> = HashMap::new();
        for t in transfers.values() {
            self.audit_transfer(ledger, t, &mut answers, &mut audit)?;
        }
        for hold in holds.values() {
            audit_hold(hold, &holds, &transfers, &mut audit);
        }
        Ok(audit)
    }

    fn audit_cards<S: Storage>(
        &self,
        ledger: &Ledger<S>,
        transfers: &BTreeMap<u128, Transfer>,
        audit: &mut IssuerAudit,
    ) -> Result<(), IssuerError> {
        let chart = self.book().chart();
        let mut cards: Vec<_> = self.book().cards().collect();
        cards.sort_by(|a, b| a.name.cmp(&b.name));
        for card in cards {
            let pan = card.pan.reveal();
            if ledger.account(chart.card(pan))?.is_none() {
                audit.violations.push(IssuerViolation::CardAccountMissing {
                    card: card.name.clone(),
                });
            }
            let posted = transfers
                .get(&chart.opening_transfer(pan))
                .map_or(0, |t| t.amount_minor);
            if posted != card.opening_balance_minor {
                audit.violations.push(IssuerViolation::OpeningBalanceWrong {
                    card: card.name.clone(),
                    configured_minor: card.opening_balance_minor,
                    posted_minor: posted,
                });
            }
        }
        Ok(())
    }

    fn answered<S: Storage>(
        &self,
        ledger: &Ledger<S>,
        key: RequestKey,
    ) -> Result<Result<Option<Answered>, String>, IssuerError> {
        let Some(decision) = ledger.decision(&key)? else {
            return Ok(Ok(None));
        };
        let msg = match self.spec().unpack(&decision.response) {
            Ok(msg) => msg,
            Err(e) => return Ok(Err(e.to_string())),
        };
        Ok(Ok(Some(Answered {
            mti: msg.mti().to_string(),
            code: msg.text(39).unwrap_or("").to_owned(),
            amount_minor: msg.text(4).and_then(|a| a.parse().ok()),
        })))
    }

    fn audit_transfer<S: Storage>(
        &self,
        ledger: &Ledger<S>,
        t: &Transfer,
        answers: &mut HashMap<RequestKey, Result<Option<Answered>, String>>,
        audit: &mut IssuerAudit,
    ) -> Result<(), IssuerError> {
        // Set-up movements come from the config, an operator's PIN unblock from no request.
        if matches!(
            t.code,
            transfer_code::OPENING | transfer_code::LIMIT_FUNDING | transfer_code::PIN_RESET
        ) {
            return Ok(());
        }
        audit.transfers_checked += 1;
        let Some(leg) = Leg::of_id(t.id) else {
            audit
                .violations
                .push(IssuerViolation::TransferWithoutDecision { transfer_id: t.id });
            return Ok(());
        };
        let key = key_of_base(t.id);
        let cached = match answers.entry(key) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => v.insert(self.answered(ledger, key)?),
        };
        let answer = match cached {
            Ok(Some(answer)) => answer,
            Ok(None) => {
                audit
                    .violations
                    .push(IssuerViolation::TransferWithoutDecision { transfer_id: t.id });
                return Ok(());
            }
            Err(detail) => {
                audit.violations.push(IssuerViolation::UnreadableDecision {
                    transfer_id: t.id,
                    detail: detail.clone(),
                });
                return Ok(());
            }
        };
        // A PIN count moves with declines (55, 75) as well as approvals: it needs a decision,
        // of any answer, and is no money.
        if leg == Leg::PinTries && t.code == transfer_code::PIN_TRY {
            return Ok(());
        }
        if answer.code != ResponseCode::APPROVED.as_str() {
            audit.violations.push(IssuerViolation::TransferOfDecline {
                transfer_id: t.id,
                response_code: answer.code.clone(),
            });
            return Ok(());
        }
        if leg == Leg::Money && is_money_ledger(t.ledger) {
            let approved = answer.amount_minor.unwrap_or(0);
            if t.amount_minor != approved {
                audit
                    .violations
                    .push(IssuerViolation::AmountDiffersFromApproval {
                        transfer_id: t.id,
                        transfer_minor: t.amount_minor,
                        approved_minor: approved,
                    });
            }
            if t.kind() == Some(TransferKind::Pending) && answer.mti != "0110" {
                audit
                    .violations
                    .push(IssuerViolation::HoldNotFromPreauthorization {
                        pending_id: t.id,
                        answer_mti: answer.mti.clone(),
                    });
            }
        }
        Ok(())
    }
}

fn audit_hold(
    hold: &Hold,
    holds: &BTreeMap<u128, Hold>,
    transfers: &BTreeMap<u128, Transfer>,
    audit: &mut IssuerAudit,
) {
    match Leg::of_id(hold.id) {
        Some(Leg::Money) => {}
        Some(Leg::Limit) => {
            // A limit hold is checked with its money hold; alone, it is an orphan.
            let money = transfer_id(hold.id, Leg::Money);
            if !holds.contains_key(&money) {
                audit.violations.push(IssuerViolation::LimitHoldDiffers {
                    pending_id: money,
                    money: None,
                    limit: Some(hold.status),
                });
            }
            return;
        }
        _ => return,
    }
    audit.holds_checked += 1;
    let limit_id = transfer_id(hold.id, Leg::Limit);
    let Some(limit) = holds.get(&limit_id) else {
        // Cards without a daily limit have no limit hold.
        return;
    };
    if limit.status != hold.status {
        audit.violations.push(IssuerViolation::LimitHoldDiffers {
            pending_id: hold.id,
            money: Some(hold.status),
            limit: Some(limit.status),
        });
        return;
    }
    if hold.status == HoldStatus::Posted {
        let posted = |leg| {
            transfers
                .get(&transfer_id(hold.id, leg))
                .map_or(0, |t: &Transfer| t.amount_minor)
        };
        let (money_minor, limit_minor) = (posted(Leg::PostMoney), posted(Leg::PostLimit));
        if money_minor != limit_minor {
            audit.violations.push(IssuerViolation::PostAmountsDiffer {
                pending_id: hold.id,
                money_minor,
                limit_minor,
            });
        }
    }
}
