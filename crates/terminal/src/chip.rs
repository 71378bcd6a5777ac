//! The chip (EMV contact) transaction: the sans-I/O kernel in `emv::kernel` driven against a
//! [`CardReader`] and the host. Online requests are journaled before they leave, like every
//! request; a host approval the card then declines (or a card pulled before it could say) is
//! reversed, journal first; an offline approval (TC) goes into the store-and-forward queue as
//! an 0220 advice that `recover` and the next transaction upload.

use emv::apdu::PlaintextPin;
use emv::kernel::{
    AidConfig, Capk, Date, HostResponse, Kernel, Outcome, PinEntry, PinRequest, RandomSource, Step,
    TerminalConfig, Transaction, TransactionType,
};
use emv::tlv::{self, Tag};
use emv::tvr::Tvr;
use iso8583::ResponseCode;

use crate::card::{Expiry, Pan, Track2Data};
use crate::driver::{Driver, SendError};
use crate::flow::{FlowError, Terminal};
use crate::journal::Record;
use crate::pinpad::EncipheredPin;
use crate::reader::{CardReader, ReaderError};
use crate::request::{self, ChipCard, RequestError};
use crate::response::{Answer, check_response};
use crate::result::{Origin, Recovery, TransactionResult};
use crate::txn::{RequestRecord, TxnKind};

/// Kernel steps after which a transaction is cut off: a card or kernel that loops ends as a
/// decline, never a hang.
pub const STEPS_MAX: usize = 500;

/// Application Cryptogram (9F26).
const TAG_AC: u32 = 0x9F26;
/// Issuer Authentication Data (91): ARPC || ARC.
const TAG_IAD_ISSUER: u32 = 0x91;
/// Issuer script templates: before (71) and after (72) the second GENERATE AC.
const TAG_SCRIPT_BEFORE: u32 = 0x71;
const TAG_SCRIPT_AFTER: u32 = 0x72;

/// The cardholder at the PIN pad for one chip transaction.
#[derive(Clone, Default)]
pub struct Cardholder {
    /// PINs typed, in order, one per PIN prompt (a wrong offline PIN is asked again); when
    /// none is left the prompt is bypassed.
    pub pins: Vec<zeroize::Zeroizing<String>>,
}

impl std::fmt::Debug for Cardholder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cardholder {{ pins: {} }}", self.pins.len())
    }
}

impl Cardholder {
    /// A cardholder who types these PINs in turn.
    pub fn typing(pins: &[&str]) -> Cardholder {
        Cardholder {
            pins: pins
                .iter()
                .map(|p| zeroize::Zeroizing::new((*p).to_string()))
                .collect(),
        }
    }
}

/// What a chip transaction came to: the financial result as for any card, plus the chip's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChipResult {
    /// The result; `approved` is the card's final word (a host approval the card declines is
    /// not approved, and is reversed).
    pub txn: TransactionResult,
    /// The kernel's decision, e.g. `ApprovedOnline`, `ApprovedOffline`, `DeclinedByCardAfterApproval`.
    pub chip_result: String,
    /// Why, when the kernel or the reader gave a reason.
    pub reason: Option<String>,
    /// Terminal Verification Results at the end, 10 hex digits.
    pub tvr: String,
    /// Transaction Status Information, 4 hex digits.
    pub tsi: String,
    /// The host answered with an ARPC (tag 91) and the card accepted it.
    pub arqc_verified: bool,
    /// Field 39 of the host's answer, when the transaction went online and got one.
    pub host_code: Option<ResponseCode>,
    /// Issuer script results (9F5B), hex, when the host sent scripts.
    pub script_results: String,
}

/// A kernel configuration for the project's cards: both test AIDs (debit `F0000000011010`,
/// credit `F0000000012010`), attended online terminal with offline capability (type 22),
/// offline plaintext and enciphered online PIN, signature, no CVM, SDA/DDA/CDA, floor limit
/// `floor_limit_minor`, and the CA keys `capks`.
pub fn kernel_config(capks: Vec<Capk>, floor_limit_minor: u64) -> TerminalConfig {
    let aid = |aid: Vec<u8>| AidConfig {
        aid,
        partial_selection: false,
        application_version: [0x00, 0x02],
        tac_denial: Tvr::from_bytes([0; 5]),
        // Online for ODA failures, expired/not yet effective, PIN problems, over the floor
        // limit, random selection and velocity.
        tac_online: Tvr::from_bytes([0xDC, 0x40, 0x04, 0xF8, 0x00]),
        tac_default: Tvr::from_bytes([0xDC, 0x40, 0x00, 0xA8, 0x00]),
        floor_limit_minor,
        random_threshold_minor: 0,
        random_target_percent: 0,
        random_max_target_percent: 0,
        default_ddol: vec![0x9F, 0x37, 0x04],
        default_tdol: Vec::new(),
    };
    TerminalConfig {
        terminal_type: 0x22,
        capabilities: [0xE0, 0xF8, 0xC8],
        additional_capabilities: [0x60, 0x00, 0xF0, 0xA0, 0x01],
        country_code: [0x09, 0x78],
        ifd_serial: *b"POSNET01",
        merchant_category_code: [0x59, 0x99],
        use_pse: true,
        cardholder_selection: false,
        aids: vec![
            aid(vec![0xF0, 0x00, 0x00, 0x00, 0x01, 0x10, 0x10]),
            aid(vec![0xF0, 0x00, 0x00, 0x00, 0x01, 0x20, 0x10]),
        ],
        capks,
        exception_file: Vec::new(),
    }
}

/// The unpredictable number and random selection from the OS.
struct OsRandom;

impl RandomSource for OsRandom {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        card::app::os_random(&mut b);
        u32::from_be_bytes(b)
    }
}

fn bcd2(v: u32) -> u8 {
    let v = (v % 100) as u8;
    ((v / 10) << 4) | (v % 10)
}

/// Field 49's three digits as 5F2A (n3 in two BCD bytes).
fn currency_bcd(currency: &str) -> [u8; 2] {
    let n: u32 = currency.parse().unwrap_or(0);
    [bcd2(n / 100), bcd2(n % 100)]
}

/// Nibbles of BCD data as digits, stopping at the `F` fill.
fn bcd_digits(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|b| [b >> 4, b & 0x0F])
        .take_while(|n| *n != 0x0F)
        .map(|n| match n {
            0..=9 => char::from(b'0' + n),
            0x0D => '=',
            _ => '?',
        })
        .collect()
}

/// The card data for the request: PAN (5A), track 2 equivalent (57) and expiry (5F24).
fn chip_card(kernel: &Kernel) -> Result<ChipCard, RequestError> {
    let pan_digits = kernel
        .card_data(Tag::new(0x5A))
        .map(bcd_digits)
        .or_else(|| {
            kernel
                .card_data(Tag::new(0x57))
                .map(bcd_digits)
                .and_then(|t| t.split('=').next().map(str::to_string))
        })
        .unwrap_or_default();
    let pan = Pan::new(&pan_digits)?;
    let track2 = kernel
        .card_data(Tag::new(0x57))
        .map(bcd_digits)
        .and_then(|t| Track2Data::new(&t).ok());
    let expiry = kernel
        .card_data(Tag::new(0x5F24))
        .map(bcd_digits)
        .and_then(|d| d.get(..4).map(str::to_string))
        .and_then(|yymm| Expiry::new(&yymm).ok());
    Ok(ChipCard {
        pan,
        track2,
        expiry,
    })
}

/// The host's answer for the kernel: field 39 as 8A, field 55's 91 and its 71/72 scripts.
fn host_response(answer: &Answer) -> HostResponse {
    let icc = answer.icc.as_deref().unwrap_or_default();
    let nodes = tlv::parse_all(icc).unwrap_or_default();
    let mut scripts = Vec::new();
    let mut issuer_authentication_data = None;
    for n in &nodes {
        let raw = n.tag.raw();
        if raw == TAG_IAD_ISSUER {
            issuer_authentication_data = Some(n.value.to_vec());
        } else if raw == TAG_SCRIPT_BEFORE || raw == TAG_SCRIPT_AFTER {
            let _ = tlv::write(n.tag, n.value, &mut scripts);
        }
    }
    HostResponse {
        response_code: *answer.response_code.as_bytes(),
        issuer_authentication_data,
        scripts,
    }
}

/// What went on the wire, for the result and a reversal.
struct Online {
    record: RequestRecord,
    answer: Option<Answer>,
    origin: Origin,
    recovery: Recovery,
}

impl<D: Driver> Terminal<D> {
    /// A chip purchase with the card in `reader`. A card error or a card pulled out ends it as
    /// a decline with a reason; a host approval the card does not confirm is reversed.
    pub async fn pay_chip(
        &mut self,
        reader: &mut dyn CardReader,
        config: TerminalConfig,
        amount_minor: u64,
        cardholder: Cardholder,
    ) -> Result<ChipResult, FlowError> {
        // What is owed goes first (reversals, offline advices): one attempt each.
        self.recover_with(1).await?;
        let now = self.driver_mut().now();
        let local = now.local();
        let transaction = Transaction {
            amount_minor,
            other_amount_minor: 0,
            currency_code: currency_bcd(self.acceptor().currency()),
            currency_exponent: 2,
            date: Date {
                year: u16::try_from(local.year).unwrap_or(2000),
                month: local.month as u8,
                day: local.day as u8,
            },
            time: [bcd2(local.hour), bcd2(local.minute), bcd2(local.second)],
            kind: TransactionType::Purchase,
            // Transaction Sequence Counter (9F41, n8 BCD): the STAN the request will take.
            sequence_counter: {
                let n = self.journal().state().next_stan().get();
                [
                    bcd2(n / 1_000_000),
                    bcd2(n / 10_000),
                    bcd2(n / 100),
                    bcd2(n),
                ]
            },
            force_online: false,
        };
        let mut kernel = Kernel::new(config, transaction, Box::new(OsRandom));
        let mut pins = cardholder.pins;
        pins.reverse();
        let mut pin_block: Option<EncipheredPin> = None;
        let mut online: Option<Online> = None;
        let mut step = kernel.start().map_err(kernel_error)?;
        for _ in 0..STEPS_MAX {
            step = match step {
                Step::Send(command) => {
                    let bytes = command.to_bytes().map_err(|e| FlowError::Chip {
                        detail: format!("command APDU: {e}"),
                    })?;
                    match reader.transmit(&bytes) {
                        Ok(answer) => kernel.card_response(&answer).map_err(kernel_error)?,
                        Err(e) => return self.card_lost(&kernel, online, amount_minor, e).await,
                    }
                }
                Step::ChooseApplication(_) => kernel.application_chosen(0).map_err(kernel_error)?,
                Step::EnterPin(PinRequest::Offline { .. }) => {
                    let entry = match pins.pop() {
                        Some(pin) => match PlaintextPin::from_ascii(pin.as_bytes()) {
                            Ok(p) => PinEntry::Offline(p),
                            Err(_) => PinEntry::Bypassed,
                        },
                        None => PinEntry::Bypassed,
                    };
                    kernel.pin_entered(entry).map_err(kernel_error)?
                }
                Step::EnterPin(PinRequest::Online) => {
                    let entry = match (pins.pop(), chip_card(&kernel)) {
                        (Some(pin), Ok(card)) => {
                            match self.driver_mut().encipher_pin(&pin, card.pan.reveal()) {
                                Ok(block) => {
                                    pin_block = Some(block);
                                    PinEntry::OnlineCaptured
                                }
                                Err(_) => PinEntry::PinPadFailure,
                            }
                        }
                        (None, _) => PinEntry::Bypassed,
                        (Some(_), Err(_)) => PinEntry::PinPadFailure,
                    };
                    kernel.pin_entered(entry).map_err(kernel_error)?
                }
                Step::GoOnline(request) => {
                    let card = chip_card(&kernel)?;
                    let sent = self
                        .go_online(&card, amount_minor, &request.field55, pin_block.take())
                        .await?;
                    let host = sent.answer.as_ref().map(host_response);
                    online = Some(sent);
                    kernel.online_response(host).map_err(kernel_error)?
                }
                Step::Done(outcome) => {
                    return self.finish(&kernel, *outcome, online, amount_minor).await;
                }
            };
        }
        let reason = format!("no outcome after {STEPS_MAX} kernel steps");
        self.card_lost(
            &kernel,
            online,
            amount_minor,
            ReaderError::Reader {
                reader: reader.name().to_string(),
                detail: reason,
            },
        )
        .await
    }

    /// The 0200 with field 55, journaled first; a lost answer is reversed as in `exchange`.
    async fn go_online(
        &mut self,
        card: &ChipCard,
        amount_minor: u64,
        icc: &[u8],
        pin: Option<EncipheredPin>,
    ) -> Result<Online, FlowError> {
        let now = self.driver_mut().now();
        let stan = self.journal().state().next_stan();
        let (mut msg, record) = request::chip_request(
            self.acceptor(),
            TxnKind::Purchase,
            card,
            amount_minor,
            stan,
            &now,
            icc,
        )?;
        if let Some(p) = &pin {
            p.apply(&mut msg).map_err(RequestError::from)?;
        }
        self.journal_mut().append(&Record::Sent(record.clone()))?;
        let lost = match self.driver_mut().send(&msg).await {
            Err(SendError::Unreachable) => {
                self.journal_mut().append(&Record::Unsent(record.stan))?;
                return Ok(Online {
                    record,
                    answer: None,
                    origin: Origin::Unreachable,
                    recovery: Recovery::None,
                });
            }
            Err(SendError::Timeout) => Origin::NoAnswer,
            Ok(resp) => match check_response(&msg, &resp) {
                Ok(answer) => {
                    self.journal_mut().append(&Record::Completed {
                        stan: record.stan,
                        response_code: answer.response_code,
                        auth_code: answer.auth_code.clone(),
                    })?;
                    return Ok(Online {
                        record,
                        answer: Some(answer),
                        origin: Origin::Host,
                        recovery: Recovery::None,
                    });
                }
                Err(e) => Origin::BadAnswer(e),
            },
        };
        let pending = self.owe_reversal(&record, None).await?;
        let recovery = self
            .send_reversal(&pending, self.retry().retries_max)
            .await?
            .0;
        Ok(Online {
            record,
            answer: None,
            origin: lost,
            recovery,
        })
    }

    /// The kernel's outcome: reverse a host approval the card declined, queue an offline
    /// approval's advice.
    async fn finish(
        &mut self,
        kernel: &Kernel,
        outcome: Outcome,
        online: Option<Online>,
        amount_minor: u64,
    ) -> Result<ChipResult, FlowError> {
        use emv::kernel::TransactionResult as K;
        let card_approves = matches!(outcome.result, K::ApprovedOffline | K::ApprovedOnline);
        let reason = outcome.reason.as_ref().map(ToString::to_string);
        let host_approved = online
            .as_ref()
            .and_then(|o| o.answer.as_ref())
            .is_some_and(|a| a.response_code.is_approved());
        // The host's answer carried an ARPC (91) and the card authenticated the issuer with it
        // (approvals and declines alike: the ARPC covers the answer's code).
        let issuer_auth_ok = online
            .as_ref()
            .and_then(|o| o.answer.as_ref())
            .and_then(|a| a.icc.as_deref())
            .and_then(|icc| tlv::find(icc, Tag::new(TAG_IAD_ISSUER)).ok().flatten())
            .is_some()
            && outcome
                .tsi
                .is_set(emv::tvr::TsiBit::IssuerAuthenticationPerformed)
            && !outcome
                .tvr
                .is_set(emv::tvr::TvrBit::IssuerAuthenticationFailed);
        let mut txn = match (&online, outcome.result) {
            (Some(o), _) => {
                let mut recovery = o.recovery;
                if host_approved && !card_approves {
                    recovery = self
                        .reverse_declined_by_card(o, Some(outcome.field55.clone()))
                        .await?;
                }
                let mut r = result_of(&o.record, o.origin.clone(), o.answer.as_ref(), recovery);
                if host_approved && !card_approves {
                    r.approved = false;
                }
                if !host_approved && outcome.result == K::ApprovedOffline {
                    // Unable to go online, approved by the card's default action (Y3):
                    // the approval still has to reach the issuer as an advice.
                    let advice = self
                        .queue_offline_advice(kernel, &outcome, amount_minor)
                        .await?;
                    r = advice;
                }
                r
            }
            (None, K::ApprovedOffline) => {
                self.queue_offline_advice(kernel, &outcome, amount_minor)
                    .await?
            }
            (None, _) => self.offline_decline(kernel, amount_minor)?,
        };
        if online.is_none() && outcome.result != K::ApprovedOffline {
            txn.approved = false;
        }
        Ok(ChipResult {
            txn,
            chip_result: format!("{:?}", outcome.result),
            reason,
            tvr: hex(&outcome.tvr.to_bytes()),
            tsi: hex(&outcome.tsi.to_bytes()),
            arqc_verified: issuer_auth_ok,
            host_code: online
                .as_ref()
                .and_then(|o| o.answer.as_ref())
                .map(|a| a.response_code),
            script_results: hex(&outcome.script_results),
        })
    }

    /// The host approved but the card did not: the approval is reversed (journal first).
    /// With the card's final ICC data — its AAC, the TVR that says why, the issuer script
    /// results (9F5B) — in the reversal's field 55, the issuer learns what its answer came to.
    async fn reverse_declined_by_card(
        &mut self,
        o: &Online,
        final_icc: Option<Vec<u8>>,
    ) -> Result<Recovery, FlowError> {
        let auth = o.answer.as_ref().and_then(|a| a.auth_code.clone());
        let pending = self.owe_chip_reversal(&o.record, auth, final_icc).await?;
        Ok(self
            .send_reversal(&pending, self.retry().retries_max)
            .await?
            .0)
    }

    /// The TC's advice record, on disk before the cardholder walks away with the goods.
    async fn queue_offline_advice(
        &mut self,
        kernel: &Kernel,
        outcome: &Outcome,
        amount_minor: u64,
    ) -> Result<TransactionResult, FlowError> {
        let card = chip_card(kernel)?;
        let now = self.driver_mut().now();
        let stan = self.journal().state().next_stan();
        let record = request::offline_advice_record(
            self.acceptor(),
            &card,
            amount_minor,
            stan,
            &now,
            &outcome.field55,
        )?;
        self.journal_mut().append(&Record::Sent(record.clone()))?;
        let mut r = result_of(&record, Origin::Host, None, Recovery::AdviceQueued);
        // Y1 (offline approved) is the card's code; field 39 shows approved.
        r.approved = true;
        r.response_code = ResponseCode::APPROVED;
        r.response_text = ResponseCode::APPROVED.text();
        Ok(r)
    }

    /// An offline decline (AAC, Z1) or a termination: nothing was sent, nothing is owed.
    fn offline_decline(
        &mut self,
        kernel: &Kernel,
        amount_minor: u64,
    ) -> Result<TransactionResult, FlowError> {
        let now = self.driver_mut().now();
        let stan = self.journal().state().next_stan();
        self.journal_mut().append(&Record::StanIssued(stan))?;
        let pan = chip_card(kernel)
            .map(|c| c.pan.masked())
            .unwrap_or_else(|_| "(unread)".to_string());
        Ok(TransactionResult {
            kind: TxnKind::Purchase,
            approved: false,
            response_code: ResponseCode::DO_NOT_HONOUR,
            response_text: ResponseCode::DO_NOT_HONOUR.text(),
            origin: Origin::Host,
            auth_code: None,
            rrn: request::rrn(&now, stan),
            stan,
            amount_minor,
            currency: self.acceptor().currency().to_string(),
            masked_pan: pan,
            entry_mode: crate::card::EntryMode::Chip,
            stamp: crate::txn::Stamp::at(&now),
            balance: None,
            recovery: Recovery::None,
        })
    }

    /// The reader lost the card (or the kernel never ended): a decline with the reason; a host
    /// approval already given is reversed.
    async fn card_lost(
        &mut self,
        kernel: &Kernel,
        online: Option<Online>,
        amount_minor: u64,
        error: ReaderError,
    ) -> Result<ChipResult, FlowError> {
        let host_approved = online
            .as_ref()
            .and_then(|o| o.answer.as_ref())
            .is_some_and(|a| a.response_code.is_approved());
        let mut txn = match &online {
            Some(o) => {
                let recovery = if host_approved {
                    // The card left before its last word: the request's ICC data goes.
                    self.reverse_declined_by_card(o, None).await?
                } else {
                    o.recovery
                };
                let mut r = result_of(&o.record, o.origin.clone(), o.answer.as_ref(), recovery);
                r.approved = false;
                r
            }
            None => {
                let now = self.driver_mut().now();
                let stan = self.journal().state().next_stan();
                self.journal_mut().append(&Record::StanIssued(stan))?;
                TransactionResult {
                    kind: TxnKind::Purchase,
                    approved: false,
                    response_code: ResponseCode::DO_NOT_HONOUR,
                    response_text: ResponseCode::DO_NOT_HONOUR.text(),
                    origin: Origin::Host,
                    auth_code: None,
                    rrn: request::rrn(&now, stan),
                    stan,
                    amount_minor,
                    currency: self.acceptor().currency().to_string(),
                    masked_pan: chip_card(kernel)
                        .map(|c| c.pan.masked())
                        .unwrap_or_else(|_| "(unread)".to_string()),
                    entry_mode: crate::card::EntryMode::Chip,
                    stamp: crate::txn::Stamp::at(&now),
                    balance: None,
                    recovery: Recovery::None,
                }
            }
        };
        txn.approved = false;
        Ok(ChipResult {
            txn,
            chip_result: "Terminated".to_string(),
            reason: Some(error.to_string()),
            tvr: hex(&kernel.tvr().to_bytes()),
            tsi: hex(&kernel.tsi().to_bytes()),
            arqc_verified: false,
            host_code: online
                .as_ref()
                .and_then(|o| o.answer.as_ref())
                .map(|a| a.response_code),
            script_results: String::new(),
        })
    }
}

fn kernel_error(e: emv::kernel::KernelError) -> FlowError {
    FlowError::Chip {
        detail: e.to_string(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn result_of(
    record: &RequestRecord,
    origin: Origin,
    answer: Option<&Answer>,
    recovery: Recovery,
) -> TransactionResult {
    crate::flow::result(record, origin, answer, recovery)
}

/// Whether a field 55 holds an ARQC (used by tests and the CLI to show what was sent).
pub fn has_cryptogram(icc: &[u8]) -> bool {
    tlv::find(icc, Tag::new(TAG_AC)).ok().flatten().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcd_helpers() {
        assert_eq!(currency_bcd("978"), [0x09, 0x78]);
        assert_eq!(bcd2(123_456 / 100), 0x34);
        assert_eq!(bcd_digits(&[0x47, 0x61, 0x73, 0x9F]), "4761739");
        assert_eq!(bcd_digits(&[0x47, 0x61, 0xD3, 0x01, 0x2F]), "4761=3012");
    }
}
