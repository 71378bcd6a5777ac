//! Answers-to-reset (ISO/IEC 7816-3 §8, EMV Book 1 §8.3): the basic ATRs for T=0 and T=1.

use crate::profile::Transport;

/// The card's ATR for `transport`.
pub fn atr(transport: Transport) -> Vec<u8> {
    match transport {
        // TS 3B (direct convention), T0 60: TB1 and TC1 follow, no historical bytes;
        // TB1 00 (no VPP), TC1 00 (no extra guard time); T=0 is implied, no TCK.
        Transport::T0 => vec![0x3B, 0x60, 0x00, 0x00],
        // T0 E0: TB1, TC1, TD1; TD1 81: TD2 follows, T=1; TD2 31: TA3 and TB3 follow, T=1;
        // TA3 FE: IFSC 254; TB3 45: BWI 4, CWI 5; then TCK (XOR from T0 on is zero).
        Transport::T1 => {
            let mut atr = vec![0x3B, 0xE0, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x45];
            let tck = atr.iter().skip(1).fold(0u8, |acc, b| acc ^ b);
            atr.push(tck);
            atr
        }
    }
}
