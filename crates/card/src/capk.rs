//! The certification authority public key (CAPK) a terminal needs to recover the issuer
//! certificate: RID, index, modulus, exponent and its SHA-1 checksum (EMV Book 2 §5.1 and
//! Table 23 of Annex A).

use sha1::{Digest, Sha1};

/// A CA public key as a terminal stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capk {
    /// Registered application provider identifier (the first 5 bytes of the AID).
    pub rid: [u8; 5],
    /// CA public key index (tag 8F on the card).
    pub index: u8,
    /// Modulus, big-endian.
    pub modulus: Vec<u8>,
    /// Public exponent (`03` or `010001`).
    pub exponent: Vec<u8>,
    /// SHA-1 over RID || index || modulus || exponent.
    pub checksum: [u8; 20],
}

impl Capk {
    /// Builds the CAPK and computes its checksum.
    pub fn new(rid: [u8; 5], index: u8, modulus: Vec<u8>, exponent: Vec<u8>) -> Self {
        let mut h = Sha1::new();
        h.update(rid);
        h.update([index]);
        h.update(&modulus);
        h.update(&exponent);
        let checksum = h.finalize().into();
        Capk {
            rid,
            index,
            modulus,
            exponent,
            checksum,
        }
    }

    /// Whether the stored checksum matches the key (what a terminal checks on loading).
    pub fn checksum_ok(&self) -> bool {
        Capk::new(
            self.rid,
            self.index,
            self.modulus.clone(),
            self.exponent.clone(),
        )
        .checksum
            == self.checksum
    }
}
