//! Errors of the issuer core. Business declines are not errors: they are answers with a
//! response code. These are the cases where no answer can be given (the batch is abandoned).

use ledger::{AccountError, LedgerError, TransferError};

/// Why the issuer could not decide or set up.
#[derive(Debug, thiserror::Error)]
pub enum IssuerError {
    /// The ledger failed (storage, damaged state, a bound); abandon the batch, answer nothing.
    #[error("ledger: {0}")]
    Ledger(#[from] LedgerError),
    /// The ledger refused an account the issuer needs (`what` names it).
    #[error("ledger refused the {what} account: {source}")]
    AccountRejected {
        /// Which account.
        what: String,
        /// The ledger's reason.
        #[source]
        source: AccountError,
    },
    /// A card's opening balance in the config differs from the one posted at first set-up.
    #[error("card {card}: opening balance cannot be changed once posted ({source})")]
    OpeningBalanceChanged {
        /// The card's name.
        card: String,
        /// The ledger's reason.
        #[source]
        source: TransferError,
    },
    /// A set-up transfer was refused.
    #[error("set-up transfer for {what} refused: {source}")]
    SetUpTransfer {
        /// What it was for.
        what: String,
        /// The ledger's reason.
        #[source]
        source: TransferError,
    },
    /// A response could not be encoded (`mti` of the response).
    #[error("cannot encode the {mti} response: {source}")]
    Encode {
        /// Response MTI.
        mti: String,
        /// The codec's reason.
        #[source]
        source: iso8583::CodecError,
    },
    /// No configured card has this name.
    #[error("no card named {name:?} in the config")]
    UnknownCard {
        /// The name asked for.
        name: String,
    },
    /// A stored decision cannot be read back.
    #[error("stored decision is unreadable: {what}")]
    CorruptDecision {
        /// What was wrong.
        what: String,
    },
}
