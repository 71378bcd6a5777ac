//! Why an HSM command was refused.
//!
//! Errors name the key (by its store name, never its bytes), the command and the rule that was
//! broken, so an operator can act on them; a wrong PIN or a bad MAC is not an error but a
//! `false` verdict.

use std::path::PathBuf;

use paysec::dukpt::DukptError;
use paysec::emv::EmvError;
use paysec::kcv::KcvError;
use paysec::mac::MacError;
use paysec::pinblock::PinBlockError;
use paysec::pinverify::VerifyError;
use paysec::tr31::Tr31Error;
use paysec::{KeyError, PanError};

/// Why an HSM command failed.
#[derive(Debug, thiserror::Error)]
pub enum HsmError {
    /// A file of the key store could not be read or written.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done ("read", "create", "rename", ...).
        op: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// `init` found a master key or key store already there.
    #[error("{path} already exists: this HSM is initialised (refusing to overwrite its keys)")]
    AlreadyInitialised {
        /// The existing file.
        path: PathBuf,
    },
    /// `open` found no master key or no key store.
    #[error("{path} does not exist: run `posnet hsm init` for this folder first")]
    NotInitialised {
        /// The missing file.
        path: PathBuf,
    },
    /// The master key file can be read by others than its owner.
    #[error(
        "master key file {path} has mode {mode:03o}; it must be readable by its owner only (chmod 600)"
    )]
    MasterKeyPermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The master key file does not hold one AES-256 key in hex.
    #[error("master key file {path}: {reason}")]
    MasterKeyFormat {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
    /// The key store was sealed under another master key.
    #[error(
        "the key store was sealed under the master key with KCV {store_kcv}; the master key file has KCV {master_kcv} (wrong master key, or the store was altered)"
    )]
    WrongMasterKey {
        /// KCV recorded in the store.
        store_kcv: String,
        /// KCV of the master key given.
        master_kcv: String,
    },
    /// The key store's layout is broken.
    #[error("key store line {line}: {reason}")]
    StoreFormat {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The key store's MAC does not verify: the file was altered.
    #[error("key store MAC does not verify: the file was altered or truncated")]
    StoreTampered,
    /// A stored key block does not open under the store's key.
    #[error("stored key '{name}' does not open: {source}")]
    EntryTampered {
        /// The entry's name.
        name: String,
        /// The TR-31 reason.
        source: Tr31Error,
    },
    /// No key has this name.
    #[error("no key named '{name}' in the HSM")]
    UnknownKey {
        /// The name asked for.
        name: String,
    },
    /// A key of this name exists already.
    #[error("a key named '{name}' exists already")]
    DuplicateKey {
        /// The name.
        name: String,
    },
    /// The name cannot be stored.
    #[error("key name '{name}' is not allowed: {reason}")]
    BadKeyName {
        /// The name (printable by construction of the check, or replaced).
        name: String,
        /// The rule.
        reason: &'static str,
    },
    /// A usage name or TR-31 code that is not known.
    #[error("key usage '{text}' is not known; use one of {known} or a TR-31 code such as P0")]
    UnknownUsage {
        /// What was given.
        text: String,
        /// The names accepted.
        known: &'static str,
    },
    /// The key's TR-31 usage does not allow this command.
    #[error("key '{name}' has usage {found}; {command} needs {expected}")]
    WrongUsage {
        /// The key.
        name: String,
        /// Its usage code.
        found: String,
        /// The command.
        command: &'static str,
        /// The usages allowed.
        expected: &'static str,
    },
    /// A key block's usage is not the one the caller expected.
    #[error("the key block's usage is {found}; the import expected {expected}")]
    UsageMismatch {
        /// The block's usage code.
        found: String,
        /// The expected code.
        expected: String,
    },
    /// The key's mode of use does not allow this command.
    #[error("key '{name}' has mode of use {found}; {command} needs {expected}")]
    WrongMode {
        /// The key.
        name: String,
        /// Its mode code.
        found: String,
        /// The command.
        command: &'static str,
        /// The modes allowed.
        expected: &'static str,
    },
    /// The key is the wrong algorithm or length for its usage.
    #[error("usage {usage} needs {expected}; this key is a {len_bytes}-byte {algorithm} key")]
    KeyKindForUsage {
        /// The usage code.
        usage: String,
        /// What it needs.
        expected: &'static str,
        /// The key's algorithm.
        algorithm: &'static str,
        /// The key's length.
        len_bytes: usize,
    },
    /// The key may not leave the HSM.
    #[error("key '{name}' is marked non-exportable (exportability N)")]
    NotExportable {
        /// The key.
        name: String,
    },
    /// A key would be wrapped under a weaker key (X9.24: never).
    #[error(
        "key '{name}' ({key_bits} bits of strength) cannot be wrapped under '{kbpk}' ({kbpk_bits} bits)"
    )]
    WeakKbpk {
        /// The key to export.
        name: String,
        /// Its strength.
        key_bits: u32,
        /// The wrapping key.
        kbpk: String,
        /// Its strength.
        kbpk_bits: u32,
    },
    /// A key may not wrap itself.
    #[error("key '{name}' cannot be exported under itself")]
    SelfWrap {
        /// The key.
        name: String,
    },
    /// The operating system gave no random bytes.
    #[error("no random bytes from the operating system: {0}")]
    Random(String),
    /// A request field has the wrong form.
    #[error("{field}: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A key could not be built.
    #[error("key: {0}")]
    Key(#[from] KeyError),
    /// A PAN is unusable.
    #[error("PAN: {0}")]
    Pan(#[from] PanError),
    /// A PIN block step failed.
    #[error("PIN block: {0}")]
    PinBlock(#[from] PinBlockError),
    /// A DUKPT derivation failed.
    #[error("DUKPT: {0}")]
    Dukpt(#[from] DukptError),
    /// A PIN or card verification value could not be computed.
    #[error("verification: {0}")]
    Verify(#[from] VerifyError),
    /// A MAC could not be computed.
    #[error("MAC: {0}")]
    Mac(#[from] MacError),
    /// An EMV computation failed.
    #[error("EMV: {0}")]
    Emv(#[from] EmvError),
    /// A TR-31 key block could not be built or opened.
    #[error("TR-31: {0}")]
    Tr31(#[from] Tr31Error),
    /// A check value could not be computed.
    #[error("KCV: {0}")]
    Kcv(#[from] KcvError),
}

impl HsmError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        HsmError::Io {
            op,
            path: path.into(),
            source,
        }
    }
}
