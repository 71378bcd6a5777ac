//! The kernel's state, its inputs, and the T=0 exchange layer under every card command.

use std::collections::BTreeMap;

use thiserror::Error;

use super::oda::PublicKey;
use super::step::{Candidate, HostResponse, PinEntry, Step};
use super::{RandomSource, Reason, TerminalConfig, Transaction, TransactionResult};
use crate::apdu::{self, Command, Response, StatusWord};
use crate::cvm::CvmList;
use crate::tlv::Tag;
use crate::tvr::{Tsi, Tvr};

/// Most response bytes gathered through 61xx / GET RESPONSE for one command.
const MAX_RESPONSE_BYTES: usize = 4096;

/// A caller error: an input the kernel was not waiting for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KernelError {
    /// The input does not match the last [`Step`].
    #[error("{input} given while the kernel waits for {waiting}")]
    UnexpectedInput {
        /// What the caller gave.
        input: &'static str,
        /// What the kernel waits for.
        waiting: &'static str,
    },
    /// An application index outside the list offered.
    #[error("application {index} chosen from a list of {count}")]
    ChoiceOutOfRange {
        /// Index given.
        index: usize,
        /// Candidates offered.
        count: usize,
    },
}

/// Which offline data authentication this transaction uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OdaMethod {
    None,
    Sda,
    Dda,
    Cda,
}

/// What the kernel waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum State {
    Idle,
    SelectPse,
    ReadPse { sfi: u8, record: u8 },
    SelectAid { index: usize },
    AwaitChoice,
    FinalSelect,
    Gpo,
    ReadRecord { entry: usize, record: u8 },
    InternalAuthenticate { ddol_data: Vec<u8> },
    GetPinTryCounter,
    AwaitPin { online: bool },
    Verify,
    GetAtc,
    GetLastOnlineAtc { atc: u16 },
    FirstGenerateAc { requested: apdu::AcType, cda: bool },
    AwaitHost,
    ExternalAuthenticate,
    Script { after: bool },
    SecondGenerateAc { requested: apdu::AcType, cda: bool },
    Done,
}

/// One issuer script being run.
#[derive(Debug, Clone)]
pub(crate) struct RunningScript {
    pub(crate) id: [u8; 4],
    pub(crate) commands: Vec<Vec<u8>>,
    pub(crate) next: usize,
}

/// The EMV contact kernel for one transaction.
pub struct Kernel {
    pub(crate) config: TerminalConfig,
    pub(crate) transaction: Transaction,
    pub(crate) random: Box<dyn RandomSource + Send>,
    pub(crate) state: State,
    /// Last command sent, for a 6Cxx resend.
    pub(crate) last_command: Option<Command>,
    /// Data gathered across 61xx / GET RESPONSE.
    pub(crate) pending_data: Vec<u8>,
    pub(crate) card: BTreeMap<Tag, Vec<u8>>,
    pub(crate) tvr: Tvr,
    pub(crate) tsi: Tsi,
    pub(crate) cvm_results: [u8; 3],
    pub(crate) unpredictable_number: [u8; 4],
    pub(crate) candidates: Vec<Candidate>,
    pub(crate) selected: Option<Candidate>,
    pub(crate) afl: Vec<[u8; 4]>,
    pub(crate) static_data: Vec<u8>,
    pub(crate) static_data_error: bool,
    pub(crate) oda: OdaMethod,
    pub(crate) icc_key: Option<PublicKey>,
    pub(crate) pdol_data: Vec<u8>,
    pub(crate) cdol1_data: Vec<u8>,
    pub(crate) pending_cdol2: Vec<u8>,
    /// TC Hash Value (98) for a CDOL that asks for it.
    pub(crate) tc_hash: Option<Vec<u8>>,
    pub(crate) final_cid: Option<u8>,
    pub(crate) final_approved: bool,
    pub(crate) final_reason: Option<Reason>,
    pub(crate) cvm_list: Option<CvmList>,
    pub(crate) cvm_rule: usize,
    pub(crate) cvm_attempted: bool,
    pub(crate) signature_required: bool,
    pub(crate) online_pin: bool,
    pub(crate) response_code: Option<[u8; 2]>,
    pub(crate) issuer_authentication_data: Option<Vec<u8>>,
    pub(crate) host: Option<HostResponse>,
    pub(crate) scripts: Vec<RunningScript>,
    pub(crate) script_results: Vec<u8>,
}

impl core::fmt::Debug for Kernel {
    // The card data holds the PAN and track data: only the state and the bit sets are shown.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Kernel")
            .field("state", &self.state)
            .field("tvr", &self.tvr)
            .field("tsi", &self.tsi)
            .finish_non_exhaustive()
    }
}

impl Kernel {
    /// A kernel for one transaction.
    pub fn new(
        config: TerminalConfig,
        transaction: Transaction,
        mut random: Box<dyn RandomSource + Send>,
    ) -> Kernel {
        let unpredictable_number = random.next_u32().to_be_bytes();
        Kernel {
            config,
            transaction,
            random,
            state: State::Idle,
            last_command: None,
            pending_data: Vec::new(),
            card: BTreeMap::new(),
            tvr: Tvr::new(),
            tsi: Tsi::new(),
            cvm_results: [0x3F, 0x00, 0x00],
            unpredictable_number,
            candidates: Vec::new(),
            selected: None,
            afl: Vec::new(),
            static_data: Vec::new(),
            static_data_error: false,
            oda: OdaMethod::None,
            icc_key: None,
            pdol_data: Vec::new(),
            cdol1_data: Vec::new(),
            pending_cdol2: Vec::new(),
            tc_hash: None,
            final_cid: None,
            final_approved: false,
            final_reason: None,
            cvm_list: None,
            cvm_rule: 0,
            cvm_attempted: false,
            signature_required: false,
            online_pin: false,
            response_code: None,
            issuer_authentication_data: None,
            host: None,
            scripts: Vec::new(),
            script_results: Vec::new(),
        }
    }

    /// The first step: application selection.
    pub fn start(&mut self) -> Result<Step, KernelError> {
        if self.state != State::Idle {
            return Err(self.unexpected("start"));
        }
        Ok(self.begin_selection())
    }

    /// The card's answer (data and SW1 SW2) to the last [`Step::Send`].
    pub fn card_response(&mut self, bytes: &[u8]) -> Result<Step, KernelError> {
        if !self.waits_for_card() {
            return Err(self.unexpected("a card response"));
        }
        let response = match Response::parse(bytes) {
            Ok(r) => r,
            Err(e) => {
                let step = self.step_name();
                return Ok(self.terminate(Reason::Malformed {
                    step,
                    detail: e.to_string(),
                }));
            }
        };
        // T=0 case 4 and wrong-Le procedure (EMV Book 1 section 9.3.1).
        if let Some(len) = response.sw.response_bytes_available() {
            self.pending_data.extend_from_slice(&response.data);
            // A card that keeps announcing more bytes must not keep the kernel forever.
            if self.pending_data.len() > MAX_RESPONSE_BYTES {
                self.pending_data.clear();
                let step = self.step_name();
                return Ok(self.terminate(Reason::Malformed {
                    step,
                    detail: format!("more than {MAX_RESPONSE_BYTES} bytes through GET RESPONSE"),
                }));
            }
            return Ok(self.send_raw(apdu::get_response(len)));
        }
        if let Some(le) = response.sw.le_to_use()
            && let Some(mut again) = self.last_command.clone()
            && again.le != Some(le)
        {
            again.le = Some(le);
            return Ok(self.send_raw(again));
        }
        let mut data = core::mem::take(&mut self.pending_data);
        data.extend_from_slice(&response.data);
        Ok(self.on_card(Response::new(data, response.sw)))
    }

    /// The cardholder's choice among the [`Step::ChooseApplication`] list.
    pub fn application_chosen(&mut self, index: usize) -> Result<Step, KernelError> {
        if self.state != State::AwaitChoice {
            return Err(self.unexpected("an application choice"));
        }
        if index >= self.candidates.len() {
            return Err(KernelError::ChoiceOutOfRange {
                index,
                count: self.candidates.len(),
            });
        }
        Ok(self.final_select(index))
    }

    /// The PIN pad's answer to [`Step::EnterPin`].
    pub fn pin_entered(&mut self, entry: PinEntry) -> Result<Step, KernelError> {
        let State::AwaitPin { online } = self.state else {
            return Err(self.unexpected("a PIN entry"));
        };
        Ok(self.on_pin(online, entry))
    }

    /// The host's answer to [`Step::GoOnline`]; `None` when the host could not be reached.
    pub fn online_response(&mut self, host: Option<HostResponse>) -> Result<Step, KernelError> {
        if self.state != State::AwaitHost {
            return Err(self.unexpected("a host response"));
        }
        Ok(self.on_host(host))
    }

    fn waits_for_card(&self) -> bool {
        !matches!(
            self.state,
            State::Idle
                | State::AwaitChoice
                | State::AwaitPin { .. }
                | State::AwaitHost
                | State::Done
        )
    }

    fn unexpected(&self, input: &'static str) -> KernelError {
        KernelError::UnexpectedInput {
            input,
            waiting: self.waiting_name(),
        }
    }

    fn waiting_name(&self) -> &'static str {
        match self.state {
            State::Idle => "start",
            State::AwaitChoice => "an application choice",
            State::AwaitPin { .. } => "a PIN entry",
            State::AwaitHost => "a host response",
            State::Done => "nothing (transaction over)",
            _ => "a card response",
        }
    }

    /// The step's name for reasons.
    pub(crate) fn step_name(&self) -> &'static str {
        match self.state {
            State::SelectPse | State::ReadPse { .. } | State::SelectAid { .. } => {
                "application selection"
            }
            State::FinalSelect => "final SELECT",
            State::Gpo => "GET PROCESSING OPTIONS",
            State::ReadRecord { .. } => "READ RECORD",
            State::InternalAuthenticate { .. } => "INTERNAL AUTHENTICATE",
            State::GetPinTryCounter | State::Verify => "VERIFY",
            State::GetAtc | State::GetLastOnlineAtc { .. } => "velocity checking",
            State::FirstGenerateAc { .. } => "first GENERATE AC",
            State::ExternalAuthenticate => "EXTERNAL AUTHENTICATE",
            State::Script { .. } => "issuer script",
            State::SecondGenerateAc { .. } => "second GENERATE AC",
            _ => "kernel",
        }
    }

    fn on_card(&mut self, response: Response) -> Step {
        match self.state.clone() {
            State::SelectPse => self.on_select_pse(response),
            State::ReadPse { sfi, record } => self.on_read_pse(sfi, record, response),
            State::SelectAid { index } => self.on_select_aid(index, response),
            State::FinalSelect => self.on_final_select(response),
            State::Gpo => self.on_gpo(response),
            State::ReadRecord { entry, record } => self.on_read_record(entry, record, response),
            State::InternalAuthenticate { ddol_data } => {
                self.on_internal_authenticate(&ddol_data, response)
            }
            State::GetPinTryCounter => self.on_pin_try_counter(response),
            State::Verify => self.on_verify(response),
            State::GetAtc => self.on_atc(response),
            State::GetLastOnlineAtc { atc } => self.on_last_online_atc(atc, response),
            State::FirstGenerateAc { requested, cda } => {
                self.on_first_generate_ac(requested, cda, response)
            }
            State::ExternalAuthenticate => self.on_external_authenticate(response),
            State::Script { after } => self.on_script_response(after, response),
            State::SecondGenerateAc { requested, cda } => {
                self.on_second_generate_ac(requested, cda, response)
            }
            State::Idle
            | State::AwaitChoice
            | State::AwaitPin { .. }
            | State::AwaitHost
            | State::Done => self.terminate(Reason::Malformed {
                step: "kernel",
                detail: "card answer while none was expected".into(),
            }),
        }
    }

    /// Sends `command` and moves to `state`.
    pub(crate) fn send(&mut self, state: State, command: Command) -> Step {
        self.state = state;
        self.send_raw(command)
    }

    fn send_raw(&mut self, command: Command) -> Step {
        self.last_command = Some(command.clone());
        Step::Send(command)
    }

    /// The AID configuration of the selected application.
    pub(crate) fn aid_config(&self) -> Option<&super::AidConfig> {
        self.selected
            .as_ref()
            .and_then(|c| self.config.aids.get(c.config_index))
    }

    /// Ends the transaction because of a card or data error.
    pub(crate) fn terminate(&mut self, reason: Reason) -> Step {
        if self.final_cid.is_some() {
            // The second GENERATE AC is done: what fails now is an issuer script.
            self.script_command_failed(true);
            self.scripts.clear();
            return self.complete();
        }
        // After a host approval the card never confirmed: the terminal must reverse.
        let result = if self.host.as_ref().is_some_and(HostResponse::approved) {
            TransactionResult::DeclinedByCardAfterApproval
        } else {
            TransactionResult::Terminated
        };
        self.finish(result, Some(reason), None)
    }

    /// Ends the transaction.
    pub(crate) fn finish(
        &mut self,
        result: TransactionResult,
        reason: Option<Reason>,
        cid: Option<u8>,
    ) -> Step {
        self.state = State::Done;
        let cryptogram = self
            .card_value(crate::tags::APPLICATION_CRYPTOGRAM)
            .and_then(|v| <[u8; 8]>::try_from(v).ok())
            .filter(|_| cid.is_some());
        let atc = self
            .card_value(crate::tags::ATC)
            .and_then(|v| <[u8; 2]>::try_from(v).ok());
        Step::Done(Box::new(super::Outcome {
            result,
            reason,
            tvr: self.tvr,
            tsi: self.tsi,
            cvm_results: self.cvm_results,
            cid,
            cryptogram,
            atc,
            response_code: self.response_code,
            field55: self.field55(),
            script_results: self.script_results.clone(),
            signature_required: self.signature_required,
        }))
    }

    /// A status word that ends processing at the current step.
    pub(crate) fn card_status(&mut self, sw: StatusWord) -> Step {
        let step = self.step_name();
        self.terminate(Reason::CardStatus { step, sw })
    }

    /// A card answer that cannot be understood at the current step.
    pub(crate) fn malformed(&mut self, detail: impl Into<String>) -> Step {
        let step = self.step_name();
        self.terminate(Reason::Malformed {
            step,
            detail: detail.into(),
        })
    }

    /// A card data object by tag, for the caller (e.g. PAN and track 2 for the request).
    pub fn card_data(&self, tag: Tag) -> Option<&[u8]> {
        self.card_value(tag)
    }

    /// TVR so far.
    pub fn tvr(&self) -> Tvr {
        self.tvr
    }

    /// TSI so far.
    pub fn tsi(&self) -> Tsi {
        self.tsi
    }
}
