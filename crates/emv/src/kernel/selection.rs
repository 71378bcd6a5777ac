//! Application selection (EMV Book 1 section 12): the PSE directory or the terminal's AID
//! list, the candidate list in priority order, and the final SELECT.

use super::Reason;
use super::machine::{Kernel, State};
use super::step::{Candidate, Step};
use crate::apdu::{self, Response, SelectOccurrence, StatusWord};
use crate::tags;
use crate::tlv;

/// Name of the Payment System Environment (Book 1 section 12.2.2).
const PSE: &[u8] = b"1PAY.SYS.DDF01";

impl Kernel {
    pub(crate) fn begin_selection(&mut self) -> Step {
        if self.config.use_pse {
            return self.send(
                State::SelectPse,
                apdu::select_by_name(PSE, SelectOccurrence::First),
            );
        }
        self.begin_aid_list()
    }

    pub(crate) fn on_select_pse(&mut self, response: Response) -> Step {
        if response.sw == StatusWord::FUNCTION_NOT_SUPPORTED {
            return self.terminate(Reason::CardBlocked);
        }
        if !response.sw.is_success() {
            return self.begin_aid_list();
        }
        match tlv::find(&response.data, tags::SFI) {
            Ok(Some([sfi])) if (1..=10).contains(sfi) => {
                let sfi = *sfi;
                self.send(State::ReadPse { sfi, record: 1 }, apdu::read_record(1, sfi))
            }
            _ => self.begin_aid_list(),
        }
    }

    pub(crate) fn on_read_pse(&mut self, sfi: u8, record: u8, response: Response) -> Step {
        if !response.sw.is_success() {
            // 6A83 ends the directory; any other error abandons the PSE (Book 1 12.3.2).
            if response.sw == StatusWord::RECORD_NOT_FOUND && !self.candidates.is_empty() {
                return self.offer_candidates();
            }
            self.candidates.clear();
            return self.begin_aid_list();
        }
        let Ok(nodes) = tlv::parse_nested(&response.data) else {
            self.candidates.clear();
            return self.begin_aid_list();
        };
        for entry in nodes
            .iter()
            .filter(|n| n.tlv.tag == tags::READ_RECORD_RESPONSE_TEMPLATE)
            .flat_map(|n| n.children.iter())
            .filter(|n| n.tlv.tag == tags::APPLICATION_TEMPLATE)
        {
            let Some(aid) = entry.find(tags::AID_CARD).map(|n| n.tlv.value) else {
                continue;
            };
            let label = entry.find(tags::APPLICATION_LABEL).map(|n| n.tlv.value);
            let priority = entry
                .find(tags::APPLICATION_PRIORITY_INDICATOR)
                .map(|n| n.tlv.value);
            self.consider(aid, label, priority);
        }
        match record.checked_add(1) {
            Some(next) => self.send(
                State::ReadPse { sfi, record: next },
                apdu::read_record(next, sfi),
            ),
            None => self.offer_candidates(),
        }
    }

    /// Adds `aid` to the candidates if a terminal AID matches it exactly or, where the ASI
    /// allows, as a prefix.
    fn consider(&mut self, aid: &[u8], label: Option<&[u8]>, priority: Option<&[u8]>) {
        let matched = self.config.aids.iter().position(|t| {
            t.aid.as_slice() == aid || (t.partial_selection && aid.starts_with(&t.aid))
        });
        let Some(config_index) = matched else { return };
        if self.candidates.iter().any(|c| c.aid.as_slice() == aid) {
            return;
        }
        let api = priority.and_then(|p| p.first()).copied().unwrap_or(0);
        self.candidates.push(Candidate {
            aid: aid.to_vec(),
            label: label
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .unwrap_or_default(),
            priority: match api & 0x0F {
                0 => None,
                p => Some(p),
            },
            needs_confirmation: api & 0x80 != 0,
            config_index,
        });
    }

    fn begin_aid_list(&mut self) -> Step {
        self.select_terminal_aid(0, SelectOccurrence::First)
    }

    fn select_terminal_aid(&mut self, index: usize, occurrence: SelectOccurrence) -> Step {
        let Some(aid) = self.config.aids.get(index).map(|a| a.aid.clone()) else {
            return self.offer_candidates();
        };
        self.send(
            State::SelectAid { index },
            apdu::select_by_name(&aid, occurrence),
        )
    }

    pub(crate) fn on_select_aid(&mut self, index: usize, response: Response) -> Step {
        if response.sw == StatusWord::FUNCTION_NOT_SUPPORTED {
            return self.terminate(Reason::CardBlocked);
        }
        let Some(terminal) = self.config.aids.get(index).cloned() else {
            return self.offer_candidates();
        };
        let blocked = response.sw == StatusWord::SELECTED_FILE_INVALIDATED;
        if !response.sw.is_success() && !blocked {
            return self.select_terminal_aid(index + 1, SelectOccurrence::First);
        }
        let df_name = match tlv::find(&response.data, tags::DF_NAME) {
            Ok(Some(name)) => name.to_vec(),
            _ => return self.select_terminal_aid(index + 1, SelectOccurrence::First),
        };
        if !df_name.starts_with(&terminal.aid) {
            return self.select_terminal_aid(index + 1, SelectOccurrence::First);
        }
        let exact = df_name == terminal.aid;
        // A blocked application (6283) is never a candidate (Book 1 12.3.3).
        if !blocked && (exact || terminal.partial_selection) {
            let label = tlv::find(&response.data, tags::APPLICATION_LABEL)
                .ok()
                .flatten();
            let priority = tlv::find(&response.data, tags::APPLICATION_PRIORITY_INDICATOR)
                .ok()
                .flatten();
            self.consider(&df_name, label, priority);
        }
        if exact {
            self.select_terminal_aid(index + 1, SelectOccurrence::First)
        } else {
            // A longer DF name: the card may hold more applications under this prefix.
            self.select_terminal_aid(index, SelectOccurrence::Next)
        }
    }

    /// Orders the candidates and picks one or asks the cardholder (Book 1 12.4).
    pub(crate) fn offer_candidates(&mut self) -> Step {
        if !self.config.cardholder_selection {
            self.candidates.retain(|c| !c.needs_confirmation);
        }
        // Stable: equal priorities keep the order found; no priority goes last.
        self.candidates
            .sort_by_key(|c| c.priority.unwrap_or(u8::MAX));
        if self.candidates.is_empty() {
            return self.terminate(Reason::NoMutualApplication);
        }
        let single_confirmed = self.candidates.len() == 1
            && self
                .candidates
                .first()
                .is_some_and(|c| !c.needs_confirmation);
        if self.config.cardholder_selection && !single_confirmed {
            self.state = State::AwaitChoice;
            return Step::ChooseApplication(self.candidates.clone());
        }
        self.final_select(0)
    }

    pub(crate) fn final_select(&mut self, index: usize) -> Step {
        let Some(candidate) = self.candidates.get(index).cloned() else {
            return self.terminate(Reason::NoMutualApplication);
        };
        let command = apdu::select_by_name(&candidate.aid, SelectOccurrence::First);
        self.selected = Some(candidate);
        self.send(State::FinalSelect, command)
    }

    /// Drops the selected application and selects again (Book 1 12.4, Book 3 10.1).
    pub(crate) fn reselect(&mut self) -> Step {
        if let Some(selected) = self.selected.take() {
            self.candidates.retain(|c| c.aid != selected.aid);
        }
        self.card.clear();
        self.offer_candidates()
    }

    pub(crate) fn on_final_select(&mut self, response: Response) -> Step {
        if !response.sw.is_success() {
            return self.reselect();
        }
        let df_name = tlv::find(&response.data, tags::DF_NAME).ok().flatten();
        let expected = self.selected.as_ref().map(|c| c.aid.as_slice());
        if df_name.is_none() || df_name != expected {
            return self.reselect();
        }
        self.card.clear();
        if self.store_card_data(&response.data).is_err() {
            return self.reselect();
        }
        self.initiate_processing()
    }
}
