//! Cardholder verification (EMV Book 3 section 10.5): the CVM list rule by rule, offline
//! plaintext PIN with VERIFY and the try counter, online PIN, signature, no CVM.

use super::TransactionType;
use super::machine::{Kernel, State};
use super::step::{PinEntry, PinRequest, Step};
use crate::aip::AipBit;
use crate::apdu::{self, Response, StatusWord};
use crate::cvm::{CvRule, CvmCondition, CvmList, CvmMethod};
use crate::tags;
use crate::tvr::{TsiBit, TvrBit};

/// What applying one rule gave.
enum RuleResult {
    /// Verified, with the CVM Results outcome byte (02 successful, 00 unknown).
    Done(u8),
    /// The rule failed.
    Failed,
    /// Waiting for the card or the PIN pad.
    Pending(Step),
}

impl Kernel {
    pub(crate) fn begin_cvm(&mut self) -> Step {
        if !self.aip().is_set(AipBit::CardholderVerificationSupported) {
            return self.terminal_risk_management();
        }
        let list = self
            .card_value(tags::CVM_LIST)
            .and_then(|v| CvmList::parse(v).ok())
            .filter(|l| !l.rules.is_empty());
        let Some(list) = list else {
            self.tvr.set(TvrBit::IccDataMissing);
            self.cvm_results = [0x3F, 0x00, 0x00];
            return self.terminal_risk_management();
        };
        self.cvm_list = Some(list);
        self.cvm_rule = 0;
        self.next_cvm_rule()
    }

    fn current_rule(&self) -> Option<CvRule> {
        self.cvm_list
            .as_ref()
            .and_then(|l| l.rules.get(self.cvm_rule))
            .copied()
    }

    /// Applies rules from `cvm_rule` on until one succeeds, fails for good or waits.
    fn next_cvm_rule(&mut self) -> Step {
        while let Some(rule) = self.current_rule() {
            if !self.condition_met(rule) {
                self.cvm_rule += 1;
                continue;
            }
            self.cvm_attempted = true;
            match self.apply_rule(rule) {
                RuleResult::Done(outcome) => return self.cvm_succeeded(outcome),
                RuleResult::Failed => {
                    if let Some(step) = self.cvm_rule_failed() {
                        return step;
                    }
                }
                RuleResult::Pending(step) => return step,
            }
        }
        // No rule left: nothing satisfied, or every tried rule said "apply succeeding".
        self.tvr.set(TvrBit::CardholderVerificationNotSuccessful);
        if !self.cvm_attempted {
            self.cvm_results = [0x3F, 0x00, 0x01];
        }
        self.cvm_done()
    }

    /// Records the failure of the current rule; `Some` ends CVM when the rule says so.
    fn cvm_rule_failed(&mut self) -> Option<Step> {
        let rule = self.current_rule()?;
        self.cvm_results = [rule.code.0, rule.condition.to_byte(), 0x01];
        self.cvm_rule += 1;
        if rule.code.apply_succeeding_if_unsuccessful() {
            return None;
        }
        self.tvr.set(TvrBit::CardholderVerificationNotSuccessful);
        Some(self.cvm_done())
    }

    fn cvm_succeeded(&mut self, outcome: u8) -> Step {
        if let Some(rule) = self.current_rule() {
            self.cvm_results = [rule.code.0, rule.condition.to_byte(), outcome];
            if rule.code.method().needs_signature() {
                self.signature_required = true;
            }
        }
        self.cvm_done()
    }

    fn cvm_done(&mut self) -> Step {
        self.tsi.set(TsiBit::CardholderVerificationPerformed);
        self.terminal_risk_management()
    }

    fn supports(&self, method: CvmMethod) -> bool {
        let c = &self.config;
        match method {
            CvmMethod::FailCvmProcessing => true,
            CvmMethod::PlaintextPinByIcc => c.supports_offline_plaintext_pin(),
            CvmMethod::PlaintextPinByIccAndSignature => {
                c.supports_offline_plaintext_pin() && c.supports_signature()
            }
            CvmMethod::EncipheredPinOnline => c.supports_online_pin(),
            CvmMethod::Signature => c.supports_signature(),
            CvmMethod::NoCvmRequired => c.supports_no_cvm(),
            _ => false,
        }
    }

    /// Book 3 Annex C3 conditions.
    fn condition_met(&self, rule: CvRule) -> bool {
        let kind = self.transaction.kind;
        let attended = self.config.attended();
        let amount = self.transaction.amount_minor;
        let in_app_currency = self
            .card_value(tags::APPLICATION_CURRENCY_CODE)
            .is_some_and(|c| c == self.transaction.currency_code);
        let (x, y) = self
            .cvm_list
            .as_ref()
            .map(|l| (u64::from(l.amount_x_minor), u64::from(l.amount_y_minor)))
            .unwrap_or((0, 0));
        match rule.condition {
            CvmCondition::Always => true,
            CvmCondition::UnattendedCash => !attended && kind == TransactionType::Cash,
            CvmCondition::NotCashNorCashback => kind == TransactionType::Purchase,
            CvmCondition::TerminalSupportsCvm => self.supports(rule.code.method()),
            CvmCondition::ManualCash => attended && kind == TransactionType::Cash,
            CvmCondition::PurchaseWithCashback => kind == TransactionType::Cashback,
            CvmCondition::UnderX => in_app_currency && amount < x,
            CvmCondition::OverX => in_app_currency && amount > x,
            CvmCondition::UnderY => in_app_currency && amount < y,
            CvmCondition::OverY => in_app_currency && amount > y,
            CvmCondition::Rfu(_) | CvmCondition::PaymentSystem(_) => false,
        }
    }

    fn apply_rule(&mut self, rule: CvRule) -> RuleResult {
        let method = rule.code.method();
        match method {
            CvmMethod::Rfu(_) | CvmMethod::PaymentSystem(_) | CvmMethod::Issuer(_) => {
                self.tvr.set(TvrBit::UnrecognisedCvm);
                return RuleResult::Failed;
            }
            CvmMethod::FailCvmProcessing | CvmMethod::NoCvmPerformed => {
                return RuleResult::Failed;
            }
            _ => {}
        }
        if !self.supports(method) {
            if method.needs_pin() {
                self.tvr.set(TvrBit::PinPadNotPresentOrNotWorking);
            }
            return RuleResult::Failed;
        }
        match method {
            CvmMethod::PlaintextPinByIcc | CvmMethod::PlaintextPinByIccAndSignature => {
                RuleResult::Pending(self.send(
                    State::GetPinTryCounter,
                    apdu::get_data(tags::PIN_TRY_COUNTER),
                ))
            }
            CvmMethod::EncipheredPinOnline => {
                self.state = State::AwaitPin { online: true };
                RuleResult::Pending(Step::EnterPin(PinRequest::Online))
            }
            CvmMethod::Signature => RuleResult::Done(0x00),
            CvmMethod::NoCvmRequired => RuleResult::Done(0x02),
            _ => RuleResult::Failed,
        }
    }

    /// Outcome byte for a verified offline PIN: unknown when a signature is still to come.
    fn offline_pin_outcome(&self) -> u8 {
        match self.current_rule().map(|r| r.code.method()) {
            Some(CvmMethod::PlaintextPinByIccAndSignature) => 0x00,
            _ => 0x02,
        }
    }

    pub(crate) fn on_pin_try_counter(&mut self, response: Response) -> Step {
        let counter = if response.sw.is_success() {
            crate::tlv::find(&response.data, tags::PIN_TRY_COUNTER)
                .ok()
                .flatten()
                .and_then(|v| v.first().copied())
        } else {
            None
        };
        if counter == Some(0) {
            self.tvr.set(TvrBit::PinTryLimitExceeded);
            return self.rule_failed_then_continue();
        }
        self.state = State::AwaitPin { online: false };
        Step::EnterPin(PinRequest::Offline {
            tries_left: counter,
        })
    }

    fn rule_failed_then_continue(&mut self) -> Step {
        match self.cvm_rule_failed() {
            Some(step) => step,
            None => self.next_cvm_rule(),
        }
    }

    pub(crate) fn on_pin(&mut self, online: bool, entry: PinEntry) -> Step {
        match entry {
            PinEntry::Offline(pin) if !online => {
                self.send(State::Verify, apdu::verify_plaintext_pin(&pin))
            }
            PinEntry::OnlineCaptured if online => {
                self.tvr.set(TvrBit::OnlinePinEntered);
                self.online_pin = true;
                self.cvm_succeeded(0x00)
            }
            PinEntry::Bypassed => {
                self.tvr.set(TvrBit::PinNotEntered);
                self.rule_failed_then_continue()
            }
            PinEntry::PinPadFailure | PinEntry::Offline(_) | PinEntry::OnlineCaptured => {
                self.tvr.set(TvrBit::PinPadNotPresentOrNotWorking);
                self.rule_failed_then_continue()
            }
        }
    }

    pub(crate) fn on_verify(&mut self, response: Response) -> Step {
        if response.sw.is_success() {
            let outcome = self.offline_pin_outcome();
            return self.cvm_succeeded(outcome);
        }
        match response.sw.verify_tries_left() {
            Some(left) if left > 0 => {
                self.state = State::AwaitPin { online: false };
                return Step::EnterPin(PinRequest::Offline {
                    tries_left: Some(left),
                });
            }
            Some(_) => self.tvr.set(TvrBit::PinTryLimitExceeded),
            None => {
                if response.sw == StatusWord::AUTHENTICATION_METHOD_BLOCKED
                    || response.sw == StatusWord::REFERENCED_DATA_INVALIDATED
                {
                    self.tvr.set(TvrBit::PinTryLimitExceeded);
                }
            }
        }
        self.rule_failed_then_continue()
    }
}
