//! The card application: one APDU in, one response out, no I/O. Dispatches on CLA/INS to
//! the command handlers and keeps the transaction's volatile state (reset at power-up).

mod auth;
mod cvr;
mod genac;
mod records;
mod script;
mod select;

use emv::apdu::{AcType, Command, Response, StatusWord, ins};
use paysec::{ByteSource, SecretKey};

use crate::perso::CardImage;
use crate::profile::Transport;
use crate::state::CardState;
use crate::t0::T0Layer;

pub use cvr::Cvr;

/// Which file a SELECT made current.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Selected {
    /// Nothing (after power-up or a failed SELECT).
    #[default]
    None,
    /// The PSE directory.
    Pse,
    /// The PPSE directory.
    Ppse,
    /// The payment application.
    App,
}

/// Issuer authentication (EXTERNAL AUTHENTICATE) in this transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum IssuerAuth {
    #[default]
    NotPerformed,
    Passed,
    Failed,
}

/// Transaction state kept between APDUs and lost at power-off.
#[derive(Default)]
struct Session {
    selected: Selected,
    /// DF name of the last SELECT and whether it matched the application (next occurrence).
    last_select_name: Vec<u8>,
    last_select_matched: bool,
    /// GET PROCESSING OPTIONS done in this selection.
    initiated: bool,
    pdol_data: Vec<u8>,
    cdol1_data: Vec<u8>,
    /// Unpredictable number (9F37) from CDOL1, the session key's diversifier.
    un: [u8; 4],
    sk_ac: Option<SecretKey>,
    first_ac: Option<AcType>,
    second_ac: Option<AcType>,
    arqc: Option<[u8; 8]>,
    issuer_auth: IssuerAuth,
    offline_pin_performed: bool,
    offline_pin_failed: bool,
    unable_to_go_online: bool,
    velocity_exceeded: bool,
    dda_performed: bool,
}

/// The virtual card: its personalisation, persistent state and the current transaction.
pub struct Card {
    image: CardImage,
    state: CardState,
    session: Session,
    t0: T0Layer,
    rng: Box<dyn ByteSource + Send>,
}

impl core::fmt::Debug for Card {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Card")
            .field("profile", &self.image.profile.name)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// The response of a handler: data plus status word.
type Answer = Response;

fn sw(sw: StatusWord) -> Answer {
    Response::status(sw)
}

fn ok(data: Vec<u8>) -> Answer {
    Response::new(data, StatusWord::SUCCESS)
}

impl Card {
    /// A card with `image` and `state`; `rng` gives GET CHALLENGE and the ICC dynamic
    /// numbers (the OS RNG in the adapter, fixed bytes in tests).
    pub fn new(image: CardImage, state: CardState, rng: Box<dyn ByteSource + Send>) -> Self {
        Card {
            image,
            state,
            session: Session::default(),
            t0: T0Layer::default(),
            rng,
        }
    }

    /// A card with fresh state and the OS random source.
    pub fn fresh(image: CardImage) -> Self {
        let state = CardState::new(&image.profile);
        Card::new(image, state, Box::new(os_random))
    }

    /// The personalisation.
    pub fn image(&self) -> &CardImage {
        &self.image
    }

    /// The persistent state (to save).
    pub fn state(&self) -> &CardState {
        &self.state
    }

    /// Power-up or reset: the transaction state is lost, the persistent state kept.
    pub fn reset(&mut self) {
        if self.session.first_ac == Some(AcType::Arqc) && self.session.second_ac.is_none() {
            self.state.last_online_incomplete = true;
        }
        self.session = Session::default();
        self.t0 = T0Layer::default();
    }

    /// Answer-to-reset for the profile's protocol.
    pub fn atr(&self) -> Vec<u8> {
        crate::atr::atr(self.image.profile.transport)
    }

    /// One command APDU in, the response APDU (data || SW1 SW2) out, with the T=0
    /// procedure (61xx / 6Cxx / GET RESPONSE) when the profile is T=0. Never panics.
    pub fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        match self.image.profile.transport {
            Transport::T1 => self.process(apdu).to_bytes(),
            Transport::T0 => {
                let mut t0 = core::mem::take(&mut self.t0);
                let out = t0.transmit(apdu, |cmd| self.execute(cmd));
                self.t0 = t0;
                out.to_bytes()
            }
        }
    }

    /// One command APDU, without any T=0 procedure.
    pub fn process(&mut self, apdu: &[u8]) -> Response {
        match parse(apdu) {
            Ok(cmd) => self.execute(&cmd),
            Err(s) => sw(s),
        }
    }

    /// Executes a parsed command.
    pub(crate) fn execute(&mut self, cmd: &Command) -> Response {
        match (cmd.cla, cmd.ins) {
            (0x00, ins::SELECT) => self.select(cmd),
            (0x00, ins::READ_RECORD) => self.read_record(cmd),
            (0x80, ins::GET_PROCESSING_OPTIONS) => self.get_processing_options(cmd),
            (0x80, ins::GET_DATA) => self.get_data(cmd),
            (0x00, ins::GET_CHALLENGE) => self.get_challenge(cmd),
            (0x00, ins::INTERNAL_AUTHENTICATE) => self.internal_authenticate(cmd),
            (0x00, ins::VERIFY) => self.verify(cmd),
            (0x80, ins::GENERATE_AC) => self.generate_ac(cmd),
            (0x00, ins::EXTERNAL_AUTHENTICATE) => self.external_authenticate(cmd),
            (0x84, ins::PIN_CHANGE_UNBLOCK | ins::APPLICATION_BLOCK | ins::APPLICATION_UNBLOCK) => {
                self.issuer_script(cmd)
            }
            (0x00 | 0x80 | 0x84, _) => sw(StatusWord::INS_NOT_SUPPORTED),
            _ => sw(StatusWord::CLA_NOT_SUPPORTED),
        }
    }

    /// Whether the payment application is selected.
    fn app_selected(&self) -> bool {
        self.session.selected == Selected::App
    }

    fn random<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.rng.fill_bytes(&mut out);
        out
    }

    /// The PIN the card checks (a script may have changed the profile's).
    fn current_pin(&self) -> Option<&str> {
        self.state
            .changed_pin
            .as_deref()
            .or(self.image.profile.pin.as_deref())
    }
}

/// Parses a short-length command APDU; extended lengths are refused (the card's buffer is
/// 261 bytes, as on most EMV chips).
fn parse(apdu: &[u8]) -> Result<Command, StatusWord> {
    let cmd = Command::parse(apdu).map_err(|_| StatusWord::WRONG_LENGTH)?;
    let extended = apdu.len() > 5 && apdu.get(4) == Some(&0);
    if extended || cmd.data.len() > 255 || cmd.le.is_some_and(|le| le > 256) {
        return Err(StatusWord::WRONG_LENGTH);
    }
    Ok(cmd)
}

/// The same parse for the T=0 layer.
pub(crate) fn parse_for_t0(apdu: &[u8]) -> Result<Command, StatusWord> {
    parse(apdu)
}

/// Random bytes from the operating system.
pub fn os_random(out: &mut [u8]) {
    if getrandom::fill(out).is_err() {
        // Without an OS RNG the card still answers; its challenges are then predictable,
        // which a test card may live with.
        out.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
    }
}
