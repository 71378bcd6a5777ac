//! Message authentication on a client link: a [`Seal`] packs each outgoing request with its
//! MAC and checks each answer's, so neither the caller nor the link's own echoes can send an
//! unauthenticated message, and no unauthenticated answer reaches the caller.

use iso8583::{Message, Spec};

/// What an answer is checked with: whatever the seal needs to find the key of the request it
/// answers (for DUKPT, the request's KSN).
pub type SealToken = Vec<u8>;

/// Seals requests and checks answers. Errors are plain text: they are logged and reported to
/// the caller as [`crate::LinkError::Seal`] or [`crate::LinkError::BadAnswerMac`].
pub trait Seal: Send + Sync + 'static {
    /// The frame to send for `message` (with its MAC) and the token its answer is checked with.
    fn seal(&self, spec: &Spec, message: &Message<'_>) -> Result<(Vec<u8>, SealToken), String>;

    /// Checks the MAC of `answer` (unpacked from `frame`) against its request's `token`.
    fn check(&self, token: &SealToken, frame: &[u8], answer: &Message<'_>) -> Result<(), String>;
}
