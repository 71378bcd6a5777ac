//! STANs and the network-management echo (0800 with field 70 = 301) that keeps an idle
//! link honest.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use iso8583::{Message, Mti};

use crate::civil;

/// Field 70 network management information code for an echo test.
pub const ECHO_CODE: &str = "301";

/// Largest STAN: field 11 is `n6`, and 000000 is not used.
const STAN_MAX: u32 = 999_999;

/// A shared source of STANs (field 11, systems trace audit number): 000001 to 999999, then
/// 000001 again. Clones share one sequence, so a link's echoes and its owner's requests
/// never take the same number.
#[derive(Debug, Clone)]
pub struct StanCounter(Arc<AtomicU32>);

impl StanCounter {
    /// A counter whose first STAN is `first` (taken into 1..=999999).
    pub fn new(first: u32) -> StanCounter {
        StanCounter(Arc::new(AtomicU32::new(first.clamp(1, STAN_MAX))))
    }

    /// The next STAN as six digits.
    pub fn next(&self) -> String {
        let wrap = |n: u32| if n >= STAN_MAX { 1 } else { n + 1 };
        let taken = match self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| Some(wrap(n)))
        {
            Ok(n) | Err(n) => n,
        };
        format!("{taken:06}")
    }
}

/// An echo request: MTI 0800, field 7 (transmission time, from `unix_s`), 11, 70 = 301, and
/// 41 when the link speaks for a terminal.
pub fn echo_request(stan: &str, terminal_id: Option<&str>, unix_s: i64) -> Message<'static> {
    let mut message = Message::new(Mti::new(*b"0800").unwrap_or(Mti::ZERO));
    // Field numbers are in range, so these cannot fail; values are checked when packed.
    let _ = message.set_owned(7, civil::transmission_time(unix_s));
    let _ = message.set_owned(11, stan);
    if let Some(id) = terminal_id {
        let _ = message.set_owned(41, id);
    }
    let _ = message.set_owned(70, ECHO_CODE);
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stans_run_to_999999_and_wrap_to_1() {
        let counter = StanCounter::new(999_998);
        let shared = counter.clone();
        assert_eq!(counter.next(), "999998");
        assert_eq!(shared.next(), "999999");
        assert_eq!(counter.next(), "000001");
        assert_eq!(StanCounter::new(0).next(), "000001");
    }

    #[test]
    fn echo_packs_in_the_default_dialect() {
        let spec = iso8583::specs::iso87_ascii_bbitmap();
        let message = echo_request("000042", Some("TERM0001"), 1_709_251_199);
        let packed = spec.pack(&message).unwrap();
        let back = spec.unpack(&packed).unwrap();
        assert_eq!(back.mti().as_str(), "0800");
        assert_eq!(back.text(7), Some("0229235959"));
        assert_eq!(back.text(11), Some("000042"));
        assert_eq!(back.text(41), Some("TERM0001"));
        assert_eq!(back.text(70), Some("301"));
        // Fields 7, 11, 41 and 70: primary bitmap bit 1 (secondary present), 7, 11, 41.
        assert_eq!(
            &packed[4..12],
            &[0x82, 0x20, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00]
        );
    }
}
