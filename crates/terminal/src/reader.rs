//! Card readers: what carries command APDUs to a chip card and its answers back. The chip
//! flow only sees [`CardReader`]; the in-process reader holds the project's virtual card (the
//! default for the demo and tests), the PC/SC reader (feature `pcsc`) talks to pcscd exactly
//! as to a USB reader.

/// Why an APDU got no answer from the card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReaderError {
    /// The card left the reader (pulled out, or powered off).
    #[error("card removed from reader {reader:?}")]
    CardRemoved { reader: String },
    /// No card in the reader at the start.
    #[error("no card in reader {reader:?}")]
    NoCard { reader: String },
    /// The reader (or the PC/SC service) failed.
    #[error("reader {reader:?}: {detail}")]
    Reader { reader: String, detail: String },
    /// The terminal was built without the reader this needs.
    #[error("{0}")]
    Unsupported(String),
}

/// A card reader with a card in it: one APDU out, one R-APDU (data and SW1 SW2) back.
pub trait CardReader {
    /// Sends a command APDU and returns the card's answer.
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, ReaderError>;

    /// The reader's name, for messages.
    fn name(&self) -> &str;
}

/// The virtual card in this process: no driver, no service, the same APDUs.
pub struct InProcessReader {
    card: card::app::Card,
    present: bool,
    /// Commands answered before the card is pulled (tests of a card pulled mid-transaction).
    pull_after: Option<usize>,
    sent: usize,
}

impl std::fmt::Debug for InProcessReader {
    // The card image holds keys and the PAN: only the reader's state is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessReader")
            .field("present", &self.present)
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

/// The in-process reader's name.
pub const IN_PROCESS_READER: &str = "in-process virtual card";

impl InProcessReader {
    /// A reader with `card` inserted (and reset).
    pub fn new(mut card: card::app::Card) -> InProcessReader {
        card.reset();
        InProcessReader {
            card,
            present: true,
            pull_after: None,
            sent: 0,
        }
    }

    /// The card is pulled out after `commands` more answers.
    pub fn pull_after(mut self, commands: usize) -> InProcessReader {
        self.pull_after = Some(commands);
        self
    }

    /// Pulls the card out now.
    pub fn pull(&mut self) {
        self.present = false;
    }

    /// The card, e.g. to read its counters after the transaction.
    pub fn card(&self) -> &card::app::Card {
        &self.card
    }
}

impl CardReader for InProcessReader {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, ReaderError> {
        if self.pull_after.is_some_and(|n| self.sent >= n) {
            self.present = false;
        }
        if !self.present {
            return Err(ReaderError::CardRemoved {
                reader: IN_PROCESS_READER.to_string(),
            });
        }
        self.sent += 1;
        Ok(self.card.transmit(apdu))
    }

    fn name(&self) -> &str {
        IN_PROCESS_READER
    }
}

/// What to tell someone who asks for a PC/SC reader in a build without it.
pub const PCSC_MISSING: &str = "this posnet was built without PC/SC card reader support: \
install libpcsclite-dev (and pcscd) and rebuild with `cargo build --release --features pcsc`";

/// Opens PC/SC reader `name` (feature `pcsc`); without the feature, says how to get it.
pub fn open_pcsc(name: &str) -> Result<Box<dyn CardReader>, ReaderError> {
    #[cfg(feature = "pcsc")]
    {
        Ok(Box::new(crate::pcsc_reader::PcscReader::connect(name)?))
    }
    #[cfg(not(feature = "pcsc"))]
    {
        let _ = name;
        Err(ReaderError::Unsupported(PCSC_MISSING.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader() -> InProcessReader {
        let keys = card::keys::KeySet::test_keys().unwrap();
        let profile = card::profile::Profile::shipped("online-debit").unwrap();
        let image = card::perso::personalise(&profile, &keys).unwrap();
        InProcessReader::new(card::app::Card::fresh(image))
    }

    #[test]
    fn answers_until_pulled() {
        // SELECT the debit AID F0000000011010 (crates/card/README.md): 9000 at the end.
        let select = [
            0x00, 0xA4, 0x04, 0x00, 0x07, 0xF0, 0x00, 0x00, 0x00, 0x01, 0x10, 0x10, 0x00,
        ];
        let mut r = reader().pull_after(1);
        let answer = r.transmit(&select).unwrap();
        assert_eq!(answer.get(answer.len() - 2..), Some(&[0x90, 0x00][..]));
        assert_eq!(
            r.transmit(&select),
            Err(ReaderError::CardRemoved {
                reader: IN_PROCESS_READER.to_string()
            })
        );
    }

    #[cfg(not(feature = "pcsc"))]
    #[test]
    fn pcsc_without_the_feature_says_how_to_get_it() {
        let e = open_pcsc("Virtual PCD 00 00").err().unwrap();
        assert!(e.to_string().contains("--features pcsc"), "{e}");
    }
}
