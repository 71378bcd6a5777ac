//! The application checks need posnet's gateway protocol (ISO 8583 over the terminal's
//! link), which lives in another crate: its adapter implements this trait and the doctor
//! turns what it reports into facts.

use crate::facts::{EchoOutcome, EchoSample};

/// A live session with the gateway, as the terminal's link sees it.
pub trait AppProbe {
    /// One 0800 echo (network management code 301, field 70) and how it ended.
    fn echo(&mut self, timeout_ms: u64) -> EchoOutcome;

    /// One echo of the path-quality run. The adapter reconnects when the link dropped and
    /// says so in the sample; a lost echo is `rtt_ms: None`.
    fn sample(&mut self, timeout_ms: u64) -> EchoSample;
}
