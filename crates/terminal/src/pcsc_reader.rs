//! A PC/SC card reader through pcscd (feature `pcsc`): a USB reader or vpcd's
//! "Virtual PCD 00 00" alike.

use std::ffi::{CStr, CString};

use crate::reader::{CardReader, ReaderError};

/// A connected PC/SC reader with a card in it.
pub struct PcscReader {
    // Kept alive for the card's handle.
    _context: pcsc::Context,
    card: pcsc::Card,
    name: String,
}

impl std::fmt::Debug for PcscReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscReader")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn reader_error(name: &str, e: pcsc::Error) -> ReaderError {
    match e {
        // NotTransacted: pcscd ended the exchange because the card in the slot changed (a
        // card swapped under the terminal's handle): for the transaction, the card is gone.
        pcsc::Error::RemovedCard
        | pcsc::Error::ResetCard
        | pcsc::Error::UnpoweredCard
        | pcsc::Error::NotTransacted => ReaderError::CardRemoved {
            reader: name.to_string(),
        },
        pcsc::Error::NoSmartcard => ReaderError::NoCard {
            reader: name.to_string(),
        },
        other => ReaderError::Reader {
            reader: name.to_string(),
            detail: other.to_string(),
        },
    }
}

impl PcscReader {
    /// Connects (shared, T=0 or T=1) to the card in reader `name`.
    pub fn connect(name: &str) -> Result<PcscReader, ReaderError> {
        let context =
            pcsc::Context::establish(pcsc::Scope::User).map_err(|e| ReaderError::Reader {
                reader: name.to_string(),
                detail: format!("cannot reach pcscd: {e}"),
            })?;
        let mut names = vec![0u8; 16 * 1024];
        let readers: Vec<String> = context
            .list_readers(&mut names)
            .map_err(|e| reader_error(name, e))?
            .map(|r: &CStr| r.to_string_lossy().into_owned())
            .collect();
        if !readers.iter().any(|r| r == name) {
            return Err(ReaderError::Reader {
                reader: name.to_string(),
                detail: format!("no such reader; pcscd has {readers:?}"),
            });
        }
        let cname = CString::new(name).map_err(|_| ReaderError::Reader {
            reader: name.to_string(),
            detail: "reader name holds a NUL byte".into(),
        })?;
        let card = context
            .connect(&cname, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
            .map_err(|e| reader_error(name, e))?;
        Ok(PcscReader {
            _context: context,
            card,
            name: name.to_string(),
        })
    }
}

impl CardReader for PcscReader {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, ReaderError> {
        let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
        let answer = self
            .card
            .transmit(apdu, &mut buf)
            .map_err(|e| reader_error(&self.name, e))?;
        Ok(answer.to_vec())
    }

    fn name(&self) -> &str {
        &self.name
    }
}
