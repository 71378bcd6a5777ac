//! The end of a transaction: the decision and everything the terminal logs or sends on.

use thiserror::Error;

use crate::apdu::StatusWord;
use crate::tvr::{Tsi, Tvr};

/// How the transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionResult {
    /// TC at the first GENERATE AC (or after failing to go online).
    ApprovedOffline,
    /// TC at the second GENERATE AC after a host approval.
    ApprovedOnline,
    /// AAC at the first GENERATE AC (or after failing to go online).
    DeclinedOffline,
    /// The host declined.
    DeclinedOnline,
    /// The host approved but the card answered AAC: the terminal must reverse.
    DeclinedByCardAfterApproval,
    /// Processing stopped (card error, no application…): the terminal declines.
    Terminated,
}

/// Why a transaction was terminated or declined where the TVR alone does not say it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Reason {
    /// No application both the card and terminal support.
    #[error("no mutually supported application")]
    NoMutualApplication,
    /// The card answered SELECT with 6A81.
    #[error("card blocked (6A81 on SELECT)")]
    CardBlocked,
    /// A card answer with a status word that ends processing at `step`.
    #[error("{step}: card answered {sw}")]
    CardStatus {
        /// Which step.
        step: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// A card answer that cannot be understood at `step`.
    #[error("{step}: malformed card answer: {detail}")]
    Malformed {
        /// Which step.
        step: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A mandatory data object missing from the card (Book 3 section 10.2).
    #[error("mandatory data object {tag:X} missing")]
    MissingData {
        /// The tag.
        tag: u32,
    },
    /// The card gave a cryptogram it may not give at this point (Book 3 section 9.3).
    #[error("{step}: card returned {returned} where {requested} was asked for")]
    CryptogramType {
        /// Which GENERATE AC.
        step: &'static str,
        /// What the terminal asked for.
        requested: &'static str,
        /// What the card returned.
        returned: &'static str,
    },
    /// The CDA signature on a GENERATE AC answer did not verify.
    #[error("CDA failed: {0}")]
    CdaFailed(super::OdaError),
    /// The card answered AAC after the host approved.
    #[error("card declined after host approval")]
    CardDeclinedAfterApproval,
    /// The terminal could not reach the host and the default action declined.
    #[error("unable to go online; declined by default action")]
    UnableToGoOnline,
}

/// The final result with the data the terminal logs and sends on (field 55, advice, reversal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The decision.
    pub result: TransactionResult,
    /// Why, for terminations and declines that are not plain issuer or TAA decisions.
    pub reason: Option<Reason>,
    /// Terminal Verification Results at the end.
    pub tvr: Tvr,
    /// Transaction Status Information at the end.
    pub tsi: Tsi,
    /// CVM Results (9F34).
    pub cvm_results: [u8; 3],
    /// Cryptogram Information Data (9F27) of the last GENERATE AC.
    pub cid: Option<u8>,
    /// Application Cryptogram (9F26) of the last GENERATE AC.
    pub cryptogram: Option<[u8; 8]>,
    /// Application Transaction Counter (9F36).
    pub atc: Option<[u8; 2]>,
    /// Authorisation Response Code (8A): the host's, or Y1/Z1/Y3/Z3 for offline decisions.
    pub response_code: Option<[u8; 2]>,
    /// ICC data for field 55 of the advice, reversal or clearing record.
    pub field55: Vec<u8>,
    /// Issuer Script Results (9F5B): 5 bytes per script.
    pub script_results: Vec<u8>,
    /// A signature line is to be printed (the CVM performed includes signature).
    pub signature_required: bool,
}
