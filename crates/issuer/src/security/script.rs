//! Issuer scripts (EMV Book 3 section 10.10, Book 2 section 9): commands the issuer sends to
//! the card inside its answer, MACed in the HSM under the card's secure-messaging key so that
//! only the card's issuer can change it.
//!
//! A card configured with a script gets it in the answer to each of its online chip
//! authorisations whose ARQC verified: template 71 runs before the terminal's second
//! GENERATE AC (so an APPLICATION BLOCK there makes the card decline what the host approved),
//! template 72 after it. Command layout, as posnet's cards check it: `84 INS 00 P2 08 || MAC`,
//! the 8-byte MAC over `84 INS 00 P2 08 || ATC || ARQC` (no command data for these three).

use emv::Tag;
use emv::tlv;
use hsm::{IccMasterKeyOption, ScriptKeyRef};
use serde::Deserialize;

use super::SecurityError;
use super::chip::ChipAuth;
use super::zone::Security;

/// The issuer master key for secure-messaging integrity (script MACs), as named in the
/// issuer's HSM.
pub const IMK_SMI: &str = "imk-smi";

/// Class byte of a command with secure messaging (ISO 7816-4, proprietary class).
const CLA_SECURE_MESSAGING: u8 = 0x84;
/// Length of the MAC the card checks.
const SCRIPT_MAC_LEN: usize = 8;
/// Issuer script identifier.
const ISSUER_SCRIPT_IDENTIFIER: u32 = 0x9F18;
/// Issuer script command.
const ISSUER_SCRIPT_COMMAND: u32 = 0x86;

/// A script command the issuer can send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScriptCommand {
    /// APPLICATION BLOCK: the card refuses the application from then on (AAC, SELECT 6283).
    ApplicationBlock,
    /// APPLICATION UNBLOCK.
    ApplicationUnblock,
    /// PIN CHANGE/UNBLOCK without a new PIN: resets the offline PIN try counter.
    PinUnblock,
}

impl ScriptCommand {
    /// INS and P2 (Book 3 section 6.5).
    fn ins_p2(self) -> (u8, u8) {
        match self {
            ScriptCommand::ApplicationBlock => (0x1E, 0x00),
            ScriptCommand::ApplicationUnblock => (0x18, 0x00),
            ScriptCommand::PinUnblock => (0x24, 0x00),
        }
    }

    /// The name used in configuration.
    pub fn name(self) -> &'static str {
        match self {
            ScriptCommand::ApplicationBlock => "application-block",
            ScriptCommand::ApplicationUnblock => "application-unblock",
            ScriptCommand::PinUnblock => "pin-unblock",
        }
    }
}

/// When the card runs a script, by its template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptTemplate {
    /// Template 71: before the second GENERATE AC.
    BeforeFinalAc,
    /// Template 72: after the second GENERATE AC.
    AfterFinalAc,
}

impl ScriptTemplate {
    /// From the template tag, 71 or 72.
    pub fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            0x71 => Some(ScriptTemplate::BeforeFinalAc),
            0x72 => Some(ScriptTemplate::AfterFinalAc),
            _ => None,
        }
    }

    fn tag(self) -> u32 {
        match self {
            ScriptTemplate::BeforeFinalAc => 0x71,
            ScriptTemplate::AfterFinalAc => 0x72,
        }
    }
}

/// A script configured for a card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IssuerScript {
    /// What the card is told to do.
    pub command: ScriptCommand,
    /// When.
    pub template: ScriptTemplate,
}

fn encoding(e: tlv::TlvError) -> SecurityError {
    SecurityError::Input {
        what: "issuer script",
        reason: e.to_string(),
    }
}

impl Security {
    /// The script template (71 or 72 with its identifier and one MACed command) for the
    /// transaction of `chip`; the identifier is the transaction's ATC, so the terminal's
    /// script results (9F5B) name the transaction they belong to.
    pub fn script_template(
        &self,
        chip: &ChipAuth,
        script: &IssuerScript,
    ) -> Result<Vec<u8>, SecurityError> {
        let (ins, p2) = script.command.ins_p2();
        let header = [CLA_SECURE_MESSAGING, ins, 0x00, p2, SCRIPT_MAC_LEN as u8];
        let mut mac_input = header.to_vec();
        mac_input.extend_from_slice(&chip.atc().to_be_bytes());
        mac_input.extend_from_slice(chip.arqc());
        let pan = chip.pan()?;
        let key = ScriptKeyRef {
            imk: IMK_SMI,
            pan: &pan,
            psn: chip.psn(),
            option: IccMasterKeyOption::A,
            arqc: *chip.arqc(),
        };
        let mac = self
            .with_hsm(|h| h.generate_script_mac(&key, &mac_input, SCRIPT_MAC_LEN))?
            .map_err(SecurityError::hsm("making the issuer script MAC"))?;
        let mut command = header.to_vec();
        command.extend_from_slice(&mac);
        let [atc_hi, atc_lo] = chip.atc().to_be_bytes();
        let id = [0, 0, atc_hi, atc_lo];
        let mut body = Vec::with_capacity(32);
        tlv::write(Tag::new(ISSUER_SCRIPT_IDENTIFIER), &id, &mut body).map_err(encoding)?;
        tlv::write(Tag::new(ISSUER_SCRIPT_COMMAND), &command, &mut body).map_err(encoding)?;
        let mut out = Vec::with_capacity(body.len() + 2);
        tlv::write(Tag::new(script.template.tag()), &body, &mut out).map_err(encoding)?;
        Ok(out)
    }
}
