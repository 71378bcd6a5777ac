//! The T=0 procedure at the APDU level (ISO/IEC 7816-3 §10.3 and 7816-4 §5.3, EMV Book 1
//! §9.3): response data of a command that carried data is announced with 61xx and fetched by
//! GET RESPONSE; a case 2 command with the wrong Le gets 6Cxx with the right one.

use emv::apdu::{Command, Response, StatusWord, ins};

/// The pending response of a T=0 exchange.
#[derive(Default)]
pub(crate) struct T0Layer {
    pending: Option<Response>,
}

/// SW2 for a length: 00 means 256 (or more).
fn len_byte(len: usize) -> u8 {
    if len >= 256 { 0 } else { len as u8 }
}

impl T0Layer {
    /// Runs `execute` on `apdu` with the T=0 procedure around it.
    pub(crate) fn transmit(
        &mut self,
        apdu: &[u8],
        mut execute: impl FnMut(&Command) -> Response,
    ) -> Response {
        let cmd = match super::app::parse_for_t0(apdu) {
            Ok(c) => c,
            Err(s) => {
                self.pending = None;
                return Response::status(s);
            }
        };
        if cmd.cla == 0x00 && cmd.ins == ins::GET_RESPONSE {
            return self.get_response(&cmd);
        }
        self.pending = None;
        let answer = execute(&cmd);
        if answer.data.is_empty() {
            return answer;
        }
        if cmd.data.is_empty() {
            // Case 2: the data comes at once if Le is exactly its length.
            let wanted = cmd.le.unwrap_or(0);
            if wanted == answer.data.len() {
                return answer;
            }
            return Response::status(StatusWord::correct_le(len_byte(answer.data.len())));
        }
        // Case 4 in T=0 carries no Le: announce the data, keep it for GET RESPONSE.
        let available = answer.data.len();
        self.pending = Some(answer);
        Response::status(StatusWord::bytes_available(len_byte(available)))
    }

    fn get_response(&mut self, cmd: &Command) -> Response {
        if cmd.p1 != 0 || cmd.p2 != 0 {
            return Response::status(StatusWord::WRONG_P1_P2);
        }
        let Some(mut pending) = self.pending.take() else {
            return Response::status(StatusWord::CONDITIONS_NOT_SATISFIED);
        };
        let available = pending.data.len();
        let le = cmd.le.unwrap_or(0);
        if le > available || (le == 0 && available > 0) {
            let sw = StatusWord::correct_le(len_byte(available));
            self.pending = Some(pending);
            return Response::status(sw);
        }
        if le == available {
            return pending;
        }
        // Part now, the rest announced again.
        let rest = pending.data.split_off(le);
        let now = Response::new(
            pending.data,
            StatusWord::bytes_available(len_byte(rest.len())),
        );
        self.pending = Some(Response::new(rest, pending.sw));
        now
    }
}
