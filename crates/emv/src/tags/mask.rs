//! PAN masking for anything shown to people: first 6 and last 4 digits at most.

/// Digits kept in clear at the start of a PAN (the BIN).
const CLEAR_HEAD_DIGITS: usize = 6;
/// Digits kept in clear at the end of a PAN.
const CLEAR_TAIL_DIGITS: usize = 4;

/// Masks a PAN to its first 6 and last 4 characters, `*` for the rest; a PAN of 10 characters
/// or fewer is masked completely, since keeping 6 + 4 would show all of it.
pub fn mask_pan(pan: &str) -> String {
    let len = pan.chars().count();
    let keep = len > CLEAR_HEAD_DIGITS + CLEAR_TAIL_DIGITS;
    pan.chars()
        .enumerate()
        .map(|(i, c)| {
            if keep && (i < CLEAR_HEAD_DIGITS || i >= len - CLEAR_TAIL_DIGITS) {
                c
            } else {
                '*'
            }
        })
        .collect()
}
