//! Errors of personalisation, profiles, key files and card state files.

use thiserror::Error;

/// A key or key file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// A hex field does not decode.
    #[error("{field}: bad hex digit at offset {offset}")]
    Hex {
        /// The key or field.
        field: &'static str,
        /// Offset of the bad character.
        offset: usize,
    },
    /// The RSA library refused the key or value.
    #[error("{field}: RSA: {reason}")]
    Rsa {
        /// The key or value.
        field: &'static str,
        /// The library's reason.
        reason: String,
    },
    /// A block to sign or recover is not as long as the modulus.
    #[error("RSA block is {len_bytes} bytes; the modulus is {modulus_len_bytes}")]
    BlockLength {
        /// Length of the block.
        len_bytes: usize,
        /// Length of the modulus.
        modulus_len_bytes: usize,
    },
    /// A TDES master key has the wrong form.
    #[error("{field}: {reason}")]
    Symmetric {
        /// The key.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The key file is not valid TOML for a key set.
    #[error("key file: {0}")]
    Toml(String),
    /// No ICC key pair for this profile in the key set.
    #[error("no ICC RSA key named {0:?} in the key set")]
    MissingIccKey(String),
}

/// A card profile that cannot be personalised.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProfileError {
    /// Not valid TOML for a profile.
    #[error("profile {name}: {reason}")]
    Toml {
        /// Profile file or name.
        name: String,
        /// Parser message.
        reason: String,
    },
    /// A field has a bad value.
    #[error("profile field {field}: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// No shipped profile of that name.
    #[error("no shipped profile named {0:?}")]
    Unknown(String),
}

/// Personalisation failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PersoError {
    /// The profile.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// A key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A derivation in paysec.
    #[error("{step}: {reason}")]
    Crypto {
        /// The step.
        step: &'static str,
        /// paysec's message.
        reason: String,
    },
    /// A key is too large for the key that certifies it (Book 2 §5.1: N_I ≤ N_CA, N_IC ≤ N_I).
    #[error(
        "{what} modulus of {len_bytes} bytes does not fit a certificate of {cert_len_bytes} bytes"
    )]
    KeySize {
        /// Which key.
        what: &'static str,
        /// Its modulus length.
        len_bytes: usize,
        /// The certifying key's modulus length.
        cert_len_bytes: usize,
    },
    /// A TLV could not be encoded.
    #[error("encoding {what}: {reason}")]
    Encode {
        /// What was encoded.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

/// A card state file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("card state: {0}")]
pub struct StateError(pub String);
