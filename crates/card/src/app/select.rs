//! SELECT (EMV Book 1 §11.3): the PSE, the PPSE, or the application by full or partial AID
//! with first/next occurrence.

use emv::apdu::{Command, Response, StatusWord};

use super::{Answer, Card, Selected, Session, ok, sw};
use crate::perso::{PPSE_NAME, PSE_NAME};

impl Card {
    pub(super) fn select(&mut self, cmd: &Command) -> Answer {
        // P1 04: select by DF name; P2 00 first occurrence, 02 next (FCI returned).
        if cmd.p1 != 0x04 || !matches!(cmd.p2, 0x00 | 0x02) {
            return sw(StatusWord::WRONG_P1_P2);
        }
        if !(1..=16).contains(&cmd.data.len()) {
            return sw(StatusWord::WRONG_LENGTH);
        }
        let next = cmd.p2 == 0x02;
        let name = cmd.data.as_slice();
        let previously_matched =
            self.session.last_select_matched && self.session.last_select_name == name;
        // A new SELECT ends whatever transaction was going on.
        if self.session.first_ac == Some(emv::apdu::AcType::Arqc)
            && self.session.second_ac.is_none()
        {
            self.state.last_online_incomplete = true;
        }
        self.session = Session {
            last_select_name: name.to_vec(),
            ..Session::default()
        };

        if name == PSE_NAME {
            return match (&self.image.pse_fci, next) {
                (Some(fci), false) => {
                    self.session.selected = Selected::Pse;
                    ok(fci.clone())
                }
                _ => sw(StatusWord::FILE_NOT_FOUND),
            };
        }
        if name == PPSE_NAME {
            if next {
                return sw(StatusWord::FILE_NOT_FOUND);
            }
            self.session.selected = Selected::Ppse;
            return ok(self.image.ppse_fci.clone());
        }
        // The only application matches a full AID or a prefix of it (partial selection);
        // "next occurrence" after it has been returned finds nothing more.
        let matches = self.image.aid.starts_with(name) && name.len() >= 5;
        if !matches || (next && previously_matched) {
            return sw(StatusWord::FILE_NOT_FOUND);
        }
        self.session.selected = Selected::App;
        self.session.last_select_matched = true;
        let status = if self.state.app_blocked {
            StatusWord::SELECTED_FILE_INVALIDATED
        } else {
            StatusWord::SUCCESS
        };
        Response::new(self.image.app_fci.clone(), status)
    }
}
