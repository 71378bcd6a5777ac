//! GET PROCESSING OPTIONS (Book 3 §6.5.8), READ RECORD (§6.5.11) and GET DATA (§6.5.7).

use emv::apdu::{Command, StatusWord};
use emv::dol::data_len;

use super::{Answer, Card, Selected, ok, sw};
use crate::encode::{put, wrap};
use crate::perso::PSE_SFI;

/// Command template tag of the GPO data.
const COMMAND_TEMPLATE: u8 = 0x83;

impl Card {
    pub(super) fn get_processing_options(&mut self, cmd: &Command) -> Answer {
        if cmd.p1 != 0 || cmd.p2 != 0 {
            return sw(StatusWord::WRONG_P1_P2);
        }
        if !self.app_selected() || self.session.initiated {
            return sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        // 83 L [PDOL data], L one byte: the PDOL data is at most 252 bytes here.
        let expected = data_len(&self.image.pdol);
        let value = match cmd.data.as_slice() {
            [COMMAND_TEMPLATE, len, rest @ ..] if usize::from(*len) == rest.len() => rest,
            [COMMAND_TEMPLATE, ..] => return sw(StatusWord::WRONG_LENGTH),
            _ => return sw(StatusWord::WRONG_DATA),
        };
        if value.len() != expected {
            return sw(StatusWord::WRONG_LENGTH);
        }
        let Some(atc) = self.state.atc.checked_add(1) else {
            return sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        };
        self.state.atc = atc;
        self.state.script_commands = 0;
        self.state.script_failed = false;
        self.session.initiated = true;
        self.session.pdol_data = value.to_vec();
        let mut body = Vec::new();
        let built = put(&mut body, 0x82, &self.image.aip)
            .and_then(|()| put(&mut body, 0x94, &self.image.afl))
            .and_then(|()| wrap(0x77, &body));
        match built {
            Ok(r) => ok(r),
            Err(_) => sw(StatusWord::UNKNOWN_ERROR),
        }
    }

    pub(super) fn read_record(&mut self, cmd: &Command) -> Answer {
        // P2 = SFI << 3 | 100 (P1 is a record number).
        if cmd.p1 == 0 || cmd.p2 & 0x07 != 0x04 || cmd.p2 >> 3 == 0 {
            return sw(StatusWord::WRONG_P1_P2);
        }
        if !cmd.data.is_empty() {
            return sw(StatusWord::WRONG_LENGTH);
        }
        let sfi = cmd.p2 >> 3;
        let record = match self.session.selected {
            Selected::Pse if sfi == PSE_SFI => match (cmd.p1, &self.image.pse_record) {
                (1, Some(r)) => Some(r.clone()),
                _ => return sw(StatusWord::RECORD_NOT_FOUND),
            },
            Selected::App => {
                if !self.image.records.keys().any(|(s, _)| *s == sfi) {
                    return sw(StatusWord::FILE_NOT_FOUND);
                }
                self.image.records.get(&(sfi, cmd.p1)).cloned()
            }
            Selected::None => return sw(StatusWord::CONDITIONS_NOT_SATISFIED),
            Selected::Pse | Selected::Ppse => return sw(StatusWord::FILE_NOT_FOUND),
        };
        match record {
            Some(r) => ok(r),
            None => sw(StatusWord::RECORD_NOT_FOUND),
        }
    }

    pub(super) fn get_data(&mut self, cmd: &Command) -> Answer {
        if !cmd.data.is_empty() {
            return sw(StatusWord::WRONG_LENGTH);
        }
        if !self.app_selected() {
            return sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        let tag = u16::from_be_bytes([cmd.p1, cmd.p2]);
        let value: Vec<u8> = match tag {
            0x9F36 => self.state.atc.to_be_bytes().to_vec(),
            0x9F13 => self.state.last_online_atc.to_be_bytes().to_vec(),
            0x9F17 if self.image.profile.pin.is_some() => vec![self.state.pin_try_counter],
            _ => return sw(StatusWord::REFERENCED_DATA_NOT_FOUND),
        };
        match wrap(u32::from(tag), &value) {
            Ok(r) => ok(r),
            Err(_) => sw(StatusWord::UNKNOWN_ERROR),
        }
    }
}
