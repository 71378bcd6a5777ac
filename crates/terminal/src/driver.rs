//! The boundary between the transaction flow and the world: the adapter (TLS link, clock,
//! timer) implements [`Driver`]; tests implement it with a scripted fake.

use std::future::Future;

use iso8583::Message;

use crate::clock::Now;

/// Why a request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The request may have reached the host but no matching answer came in time (this
    /// includes a connection lost after the first byte was written). The host may have acted
    /// on it: the terminal must reverse or repeat it.
    #[error("no answer in time")]
    Timeout,
    /// No byte of the request left the terminal: neither gateway could be reached. The host
    /// cannot have acted on it.
    #[error("gateway unreachable")]
    Unreachable,
}

/// What the flow needs from the outside world.
pub trait Driver {
    /// Sends `request` and waits (up to the response timeout) for the answer that the link
    /// matched to it. An answer that cannot be decoded counts as no answer: [`SendError::Timeout`].
    fn send(
        &mut self,
        request: &Message<'_>,
    ) -> impl Future<Output = Result<Message<'static>, SendError>> + Send;

    /// The clock, read once per message.
    fn now(&mut self) -> Now;

    /// Waits `ms` milliseconds (between reversal repeats).
    fn sleep_ms(&mut self, ms: u64) -> impl Future<Output = ()> + Send;

    /// The PIN pad: the PIN typed for card `pan`, enciphered under a fresh DUKPT KSN. A
    /// terminal without one refuses.
    fn encipher_pin(
        &mut self,
        _pin: &str,
        _pan: &str,
    ) -> Result<crate::pinpad::EncipheredPin, crate::pinpad::PinPadError> {
        Err(crate::pinpad::PinPadError::NotFitted)
    }
}
