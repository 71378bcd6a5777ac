//! Which terminal a client certificate speaks for.
//!
//! posnet's PKI puts the terminal id (ISO 8583 field 41) in two places: the subject common
//! name and a subject-alternative-name URI `urn:posnet:terminal:<id>`. The URI is what a CA
//! vouches for; the common name must agree with it, so a certificate that says two things
//! is refused rather than guessed at.

use thiserror::Error;

use crate::der::{self, DerError};

/// The URI prefix of a terminal's subject-alternative name.
pub const TERMINAL_URN_PREFIX: &str = "urn:posnet:terminal:";

/// Length of a terminal id: field 41 is `ans 8`, fixed.
pub const TERMINAL_ID_LEN: usize = 8;

/// Why a terminal id or a terminal's certificate was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdentityError {
    #[error("terminal id {id:?} must be {TERMINAL_ID_LEN} ASCII letters or digits (field 41)")]
    BadTerminalId { id: String },
    #[error("client certificate has no {TERMINAL_URN_PREFIX}… subject-alternative name")]
    NoTerminalUri,
    #[error("client certificate names more than one terminal: {first} and {second}")]
    SeveralTerminals { first: String, second: String },
    #[error(
        "client certificate's common name {common_name:?} is not its terminal id {terminal_id}"
    )]
    CommonNameMismatch {
        common_name: String,
        terminal_id: String,
    },
    #[error("no client certificate was presented")]
    NoCertificate,
    #[error(transparent)]
    Der(#[from] DerError),
}

/// Checks that `id` can be a terminal id: exactly 8 ASCII letters or digits.
pub fn check_terminal_id(id: &str) -> Result<(), IdentityError> {
    if id.len() == TERMINAL_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(IdentityError::BadTerminalId { id: id.to_owned() })
    }
}

/// The subject-alternative-name URI for a terminal.
pub fn terminal_uri(id: &str) -> Result<String, IdentityError> {
    check_terminal_id(id)?;
    Ok(format!("{TERMINAL_URN_PREFIX}{id}"))
}

/// The terminal id a DER certificate speaks for.
pub fn terminal_id_from_der(cert_der: &[u8]) -> Result<String, IdentityError> {
    let names = der::cert_names(cert_der)?;
    let mut found: Option<String> = None;
    for uri in &names.san_uris {
        let Some(id) = uri.strip_prefix(TERMINAL_URN_PREFIX) else {
            continue;
        };
        check_terminal_id(id)?;
        match &found {
            None => found = Some(id.to_owned()),
            Some(first) if first == id => {}
            Some(first) => {
                return Err(IdentityError::SeveralTerminals {
                    first: first.clone(),
                    second: id.to_owned(),
                });
            }
        }
    }
    let terminal_id = found.ok_or(IdentityError::NoTerminalUri)?;
    if let Some(common_name) = names.common_names.iter().find(|cn| **cn != terminal_id) {
        return Err(IdentityError::CommonNameMismatch {
            common_name: common_name.clone(),
            terminal_id,
        });
    }
    Ok(terminal_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_ids_are_eight_letters_or_digits() {
        assert!(check_terminal_id("TERM0001").is_ok());
        assert!(check_terminal_id("12345678").is_ok());
        for bad in [
            "TERM001",
            "TERM00001",
            "TERM 001",
            "TERM-001",
            "TËRM001",
            "",
        ] {
            assert_eq!(
                check_terminal_id(bad),
                Err(IdentityError::BadTerminalId { id: bad.to_owned() }),
                "{bad:?}"
            );
        }
        assert_eq!(
            terminal_uri("TERM0001").unwrap(),
            "urn:posnet:terminal:TERM0001"
        );
    }
}
