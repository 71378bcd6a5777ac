//! The transaction flow against a [`Driver`]: every financial request is journaled before it
//! leaves, every lost answer becomes a reversal on disk before any 0400 leaves, and every owed
//! reversal is repeated until a 0410 acknowledges it.

use iso8583::{Message, ResponseCode};

use crate::card::Card;
use crate::driver::{Driver, SendError};
use crate::journal::{Journal, JournalError, Record};
use crate::request::{self, Acceptor, NetworkCode, RequestError};
use crate::response::{Answer, MatchError, check_response};
use crate::result::{
    NetworkResult, Origin, Recovery, RecoveryReport, ReversalResult, SettlementResult,
    TransactionResult,
};
use crate::stan::Stan;
use crate::txn::{PendingReversal, RequestRecord, Stamp, TxnKind};

/// Why a transaction could not be carried out at all (a decline is a result, not an error).
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("request: {0}")]
    Request(#[from] RequestError),
    #[error("{0}")]
    PinPad(#[from] crate::pinpad::PinPadError),
    #[error("no approved, uncompleted pre-authorization with RRN or STAN {0:?}")]
    NoOpenPreauth(String),
    #[error("the pre-authorization has no approval code to complete")]
    NoAuthCode,
    #[error("no approved transaction left to reverse in this batch")]
    NothingToReverse,
    #[error("request STAN {0} is not an approved, unreversed transaction of this batch")]
    NotReversible(Stan),
    #[error(
        "{count} reversals or advices are still owed to the host: settle after they are acknowledged"
    )]
    RecoveryOwed { count: usize },
    #[error("{step}: {source}")]
    Send {
        step: &'static str,
        source: SendError,
    },
    #[error("chip: {detail}")]
    Chip { detail: String },
    #[error("{step}: {source}")]
    BadAnswer {
        step: &'static str,
        source: MatchError,
    },
}

/// How the terminal repeats what it owes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait between two sends of the same reversal or advice.
    pub interval_ms: u64,
    /// Repeats after the first send, per recovery pass; what is still owed stays on disk for
    /// the next pass (before the next transaction, at the next start).
    pub retries_max: u32,
}

/// The terminal's core: who it is, its journal and its way to the host.
#[derive(Debug)]
pub struct Terminal<D> {
    acceptor: Acceptor,
    retry: RetryPolicy,
    journal: Journal,
    driver: D,
}

/// 0410 codes after which the host holds nothing of the original: done (00) or never seen (25).
fn acknowledges_reversal(code: ResponseCode) -> bool {
    code == ResponseCode::APPROVED || code == ResponseCode::NO_SUCH_RECORD
}

impl<D: Driver> Terminal<D> {
    pub fn new(acceptor: Acceptor, retry: RetryPolicy, journal: Journal, driver: D) -> Terminal<D> {
        Terminal {
            acceptor,
            retry,
            journal,
            driver,
        }
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    pub fn driver(&self) -> &D {
        &self.driver
    }

    pub fn driver_mut(&mut self) -> &mut D {
        &mut self.driver
    }

    pub(crate) fn journal_mut(&mut self) -> &mut Journal {
        &mut self.journal
    }

    pub(crate) fn retry(&self) -> RetryPolicy {
        self.retry
    }

    pub fn acceptor(&self) -> &Acceptor {
        &self.acceptor
    }

    /// The journal and driver back, e.g. to simulate a restart.
    pub fn into_parts(self) -> (Journal, D) {
        (self.journal, self.driver)
    }

    pub async fn pay(
        &mut self,
        card: &Card,
        amount_minor: u64,
    ) -> Result<TransactionResult, FlowError> {
        self.card_transaction(TxnKind::Purchase, card, amount_minor, None)
            .await
    }

    /// A purchase with the PIN the cardholder typed on the PIN pad (enciphered there under
    /// DUKPT; this flow never sees it again).
    pub async fn pay_with_pin(
        &mut self,
        card: &Card,
        amount_minor: u64,
        pin: &str,
    ) -> Result<TransactionResult, FlowError> {
        self.card_transaction(TxnKind::Purchase, card, amount_minor, Some(pin))
            .await
    }

    pub async fn refund(
        &mut self,
        card: &Card,
        amount_minor: u64,
    ) -> Result<TransactionResult, FlowError> {
        self.card_transaction(TxnKind::Refund, card, amount_minor, None)
            .await
    }

    pub async fn preauth(
        &mut self,
        card: &Card,
        amount_minor: u64,
    ) -> Result<TransactionResult, FlowError> {
        self.card_transaction(TxnKind::PreAuth, card, amount_minor, None)
            .await
    }

    /// A balance inquiry. Nothing moves, so nothing is journaled but its STAN, and a lost
    /// answer needs no reversal.
    pub async fn balance(&mut self, card: &Card) -> Result<TransactionResult, FlowError> {
        self.recover_with(1).await?;
        let now = self.driver.now();
        let stan = self.journal.state().next_stan();
        let (msg, record) =
            request::card_request(&self.acceptor, TxnKind::Balance, card, 0, stan, &now)?;
        self.journal.append(&Record::StanIssued(stan))?;
        let (origin, answer) = match self.driver.send(&msg).await {
            Err(SendError::Timeout) => (Origin::NoAnswer, None),
            Err(SendError::Unreachable) => (Origin::Unreachable, None),
            Ok(resp) => match check_response(&msg, &resp) {
                Ok(a) => (Origin::Host, Some(a)),
                Err(e) => (Origin::BadAnswer(e), None),
            },
        };
        Ok(result(&record, origin, answer.as_ref(), Recovery::None))
    }

    /// Completes the approved pre-authorization named by its RRN or STAN for the final amount
    /// (0220 advice). A lost answer leaves the advice queued for repeats.
    pub async fn complete(
        &mut self,
        preauth_reference: &str,
        final_amount_minor: u64,
    ) -> Result<TransactionResult, FlowError> {
        self.recover_with(1).await?;
        let entry = self
            .journal
            .state()
            .open_preauth(preauth_reference)
            .ok_or_else(|| FlowError::NoOpenPreauth(preauth_reference.to_string()))?;
        let auth_code = entry.auth_code().ok_or(FlowError::NoAuthCode)?.to_string();
        let preauth = entry.request.clone();
        let now = self.driver.now();
        let stan = self.journal.state().next_stan();
        let record =
            request::completion_record(&preauth, &auth_code, final_amount_minor, stan, &now)?;
        let msg = request::completion(&self.acceptor, &record)?;
        self.journal.append(&Record::Sent(record.clone()))?;
        self.exchange(&msg, &record).await
    }

    /// Reverses the latest approved transaction of the batch (the merchant's "cancel last").
    pub async fn reverse_last(&mut self) -> Result<ReversalResult, FlowError> {
        let stan = self
            .journal
            .state()
            .last_reversible()
            .map(|e| e.request.stan)
            .ok_or(FlowError::NothingToReverse)?;
        self.reverse(stan).await
    }

    /// Reverses the approved transaction with STAN `stan`: for example when the host approved
    /// but the card or the merchant must cancel.
    pub async fn reverse(&mut self, stan: Stan) -> Result<ReversalResult, FlowError> {
        let entry = self
            .journal
            .state()
            .entry(stan)
            .filter(|e| e.counts())
            .ok_or(FlowError::NotReversible(stan))?;
        let original = entry.request.clone();
        let auth_code = entry.auth_code().map(str::to_string);
        let pending = self.owe_reversal(&original, auth_code).await?;
        let (recovery, response_code) =
            self.send_reversal(&pending, self.retry.retries_max).await?;
        Ok(ReversalResult {
            original_kind: original.kind,
            original_stan: original.stan,
            reversal_stan: pending.stan,
            amount_minor: original.amount_minor,
            currency: original.currency.clone(),
            masked_pan: original.pan.masked(),
            rrn: original.rrn.clone(),
            response_code,
            recovery,
        })
    }

    /// Sends the batch totals (0500). Owed reversals and advices go first; if any is still
    /// owed the batch cannot be settled. On 00 the batch is closed and the journal compacted.
    pub async fn settle(&mut self) -> Result<SettlementResult, FlowError> {
        self.recover().await?;
        let count = self.journal.state().recovery_count();
        if count > 0 {
            return Err(FlowError::RecoveryOwed { count });
        }
        let totals = self.journal.state().totals();
        let batch = self.journal.state().batch();
        let now = self.driver.now();
        let stan = self.journal.state().next_stan();
        let msg = request::settlement(&self.acceptor, &totals, stan, &now)?;
        self.journal.append(&Record::StanIssued(stan))?;
        let resp = self
            .driver
            .send(&msg)
            .await
            .map_err(|source| FlowError::Send {
                step: "settlement",
                source,
            })?;
        let answer = check_response(&msg, &resp).map_err(|source| FlowError::BadAnswer {
            step: "settlement",
            source,
        })?;
        let settled = answer.response_code.is_approved();
        if settled {
            self.journal.append(&Record::Settled { batch })?;
            self.journal.compact()?;
        }
        Ok(SettlementResult {
            batch,
            totals,
            response_code: answer.response_code,
            settled,
        })
    }

    /// Echo test (0800, 301).
    pub async fn echo(&mut self) -> Result<NetworkResult, FlowError> {
        self.network(NetworkCode::Echo).await
    }

    /// Sign-on (0800, 001).
    pub async fn sign_on(&mut self) -> Result<NetworkResult, FlowError> {
        self.network(NetworkCode::SignOn).await
    }

    async fn network(&mut self, code: NetworkCode) -> Result<NetworkResult, FlowError> {
        let now = self.driver.now();
        let stan = self.journal.state().next_stan();
        let msg = request::network(&self.acceptor, code, stan, &now)?;
        self.journal.append(&Record::StanIssued(stan))?;
        let step = "network management";
        let resp = self
            .driver
            .send(&msg)
            .await
            .map_err(|source| FlowError::Send { step, source })?;
        let answer =
            check_response(&msg, &resp).map_err(|source| FlowError::BadAnswer { step, source })?;
        Ok(NetworkResult {
            stan,
            response_code: answer.response_code,
        })
    }

    /// Settles what the journal says is owed, repeating each item up to the retry policy:
    /// requests sent without an answer become reversals (on disk first), reversals are sent
    /// until a 0410 acknowledges them, advices until answered. Call at start.
    pub async fn recover(&mut self) -> Result<RecoveryReport, FlowError> {
        self.recover_with(self.retry.retries_max.saturating_add(1))
            .await
    }

    pub(crate) async fn recover_with(
        &mut self,
        attempts: u32,
    ) -> Result<RecoveryReport, FlowError> {
        let mut report = RecoveryReport::default();
        let unanswered: Vec<RequestRecord> = self
            .journal
            .state()
            .unanswered_requests()
            .map(|e| e.request.clone())
            .collect();
        for original in &unanswered {
            self.owe_reversal(original, None).await?;
        }
        let advices: Vec<RequestRecord> = self
            .journal
            .state()
            .unanswered_advices()
            .map(|e| e.request.clone())
            .collect();
        for advice in &advices {
            if self.repeat_advice(advice, attempts).await? {
                report.advices_answered += 1;
            } else {
                report.advices_pending += 1;
            }
        }
        let pending: Vec<PendingReversal> =
            self.journal.state().pending_reversals().cloned().collect();
        for p in &pending {
            match self.send_reversal(p, attempts.saturating_sub(1)).await?.0 {
                Recovery::ReversalAcknowledged => report.reversals_acknowledged += 1,
                _ => report.reversals_pending += 1,
            }
        }
        Ok(report)
    }

    async fn card_transaction(
        &mut self,
        kind: TxnKind,
        card: &Card,
        amount_minor: u64,
        pin: Option<&str>,
    ) -> Result<TransactionResult, FlowError> {
        // The card's service code first (insert the chip, PIN required, not allowed here),
        // then the PIN pad: a refusal stops the sale before anything is journaled or sent.
        card.check_service_code(pin.is_some())
            .map_err(RequestError::from)?;
        let pin_data = match pin {
            Some(p) => {
                let pan = card.pan().map_err(RequestError::from)?;
                Some(self.driver.encipher_pin(p, pan.reveal())?)
            }
            None => None,
        };
        // What is owed goes first: one attempt each, so a down host does not stall the sale.
        self.recover_with(1).await?;
        let now = self.driver.now();
        let stan = self.journal.state().next_stan();
        let (mut msg, record) =
            request::card_request(&self.acceptor, kind, card, amount_minor, stan, &now)?;
        if let Some(p) = &pin_data {
            p.apply(&mut msg).map_err(request::RequestError::from)?;
        }
        self.journal.append(&Record::Sent(record.clone()))?;
        self.exchange(&msg, &record).await
    }

    /// Sends a journaled request and records what became of it.
    async fn exchange(
        &mut self,
        msg: &Message<'_>,
        record: &RequestRecord,
    ) -> Result<TransactionResult, FlowError> {
        let lost = match self.driver.send(msg).await {
            Err(SendError::Unreachable) => {
                self.journal.append(&Record::Unsent(record.stan))?;
                return Ok(result(record, Origin::Unreachable, None, Recovery::None));
            }
            Err(SendError::Timeout) => Origin::NoAnswer,
            Ok(resp) => match check_response(msg, &resp) {
                Ok(answer) => {
                    self.journal.append(&Record::Completed {
                        stan: record.stan,
                        response_code: answer.response_code,
                        auth_code: answer.auth_code.clone(),
                    })?;
                    return Ok(result(record, Origin::Host, Some(&answer), Recovery::None));
                }
                // Not our answer: ours may still be on its way, so it counts as lost.
                Err(e) => Origin::BadAnswer(e),
            },
        };
        let recovery = if record.kind.is_advice() {
            Recovery::AdviceQueued
        } else {
            let pending = self.owe_reversal(record, None).await?;
            self.send_reversal(&pending, self.retry.retries_max)
                .await?
                .0
        };
        Ok(result(record, lost, None, recovery))
    }

    /// Writes (and syncs) the reversal of `original` before anything is sent for it.
    pub(crate) async fn owe_reversal(
        &mut self,
        original: &RequestRecord,
        original_auth_code: Option<String>,
    ) -> Result<PendingReversal, FlowError> {
        self.owe_chip_reversal(original, original_auth_code, None)
            .await
    }

    /// As [`Terminal::owe_reversal`], with the chip card's final ICC data for field 55.
    pub(crate) async fn owe_chip_reversal(
        &mut self,
        original: &RequestRecord,
        original_auth_code: Option<String>,
        final_icc: Option<Vec<u8>>,
    ) -> Result<PendingReversal, FlowError> {
        let now = self.driver.now();
        let pending = PendingReversal {
            original: original.clone(),
            original_auth_code,
            stan: self.journal.state().next_stan(),
            stamp: Stamp::at(&now),
            final_icc,
        };
        self.journal
            .append(&Record::ReversalPending(pending.clone()))?;
        Ok(pending)
    }

    /// Sends a journaled reversal, then repeats it `retries` times until acknowledged.
    pub(crate) async fn send_reversal(
        &mut self,
        pending: &PendingReversal,
        retries: u32,
    ) -> Result<(Recovery, Option<ResponseCode>), FlowError> {
        let msg = request::reversal(&self.acceptor, pending)?;
        let mut last_code = None;
        for attempt in 0..=retries {
            if attempt > 0 {
                self.driver.sleep_ms(self.retry.interval_ms).await;
            }
            let answer = match self.driver.send(&msg).await {
                Ok(resp) => check_response(&msg, &resp).ok(),
                Err(_) => None,
            };
            if let Some(Answer { response_code, .. }) = answer {
                last_code = Some(response_code);
                if acknowledges_reversal(response_code) {
                    self.journal.append(&Record::ReversalDone {
                        original_stan: pending.original.stan,
                        response_code,
                    })?;
                    return Ok((Recovery::ReversalAcknowledged, last_code));
                }
            }
        }
        Ok((Recovery::ReversalPending, last_code))
    }

    /// Repeats an unanswered advice (identical fields: the host answers a repeat with its
    /// first answer); true once answered.
    async fn repeat_advice(
        &mut self,
        record: &RequestRecord,
        attempts: u32,
    ) -> Result<bool, FlowError> {
        let msg = request::advice(&self.acceptor, record)?;
        for attempt in 0..attempts {
            if attempt > 0 {
                self.driver.sleep_ms(self.retry.interval_ms).await;
            }
            if let Ok(resp) = self.driver.send(&msg).await
                && let Ok(answer) = check_response(&msg, &resp)
            {
                self.journal.append(&Record::Completed {
                    stan: record.stan,
                    response_code: answer.response_code,
                    auth_code: answer.auth_code,
                })?;
                return Ok(true);
            }
        }
        Ok(false)
    }
}

pub(crate) fn result(
    record: &RequestRecord,
    origin: Origin,
    answer: Option<&Answer>,
    recovery: Recovery,
) -> TransactionResult {
    let response_code = origin
        .local_code()
        .or(answer.map(|a| a.response_code))
        .unwrap_or(ResponseCode::SYSTEM_MALFUNCTION);
    TransactionResult {
        kind: record.kind,
        approved: origin == Origin::Host && response_code.is_approved(),
        response_code,
        response_text: response_code.text(),
        origin,
        auth_code: answer.and_then(|a| a.auth_code.clone()),
        rrn: answer
            .and_then(|a| a.rrn.clone())
            .unwrap_or_else(|| record.rrn.clone()),
        stan: record.stan,
        amount_minor: record.amount_minor,
        currency: record.currency.clone(),
        masked_pan: record.pan.masked(),
        entry_mode: record.entry_mode,
        stamp: record.stamp.clone(),
        balance: answer.and_then(|a| a.balance),
        recovery,
    }
}
