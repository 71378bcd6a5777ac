//! Shared by the configuration targets: besides the input as text, an edit of a known-good
//! file, so the fuzzer reaches the checks after the TOML syntax without a stored corpus
//! (the fuzz smoke starts from nothing).
//!
//! Input layout of the edit: example index, position (2 bytes, big-endian), bytes to delete,
//! then the text to insert there.

/// The input as text (when it is UTF-8) and the edited example (when the input is long enough
/// and the inserted bytes are UTF-8).
pub fn texts(data: &[u8], examples: &[&str]) -> Vec<String> {
    let mut out = Vec::with_capacity(2);
    if let Ok(text) = std::str::from_utf8(data) {
        out.push(text.to_string());
    }
    if let ([which, hi, lo, delete, insert @ ..], false) = (data, examples.is_empty()) {
        let example = examples[usize::from(*which) % examples.len()];
        let Ok(insert) = std::str::from_utf8(insert) else {
            return out;
        };
        let at = floor_boundary(
            example,
            usize::from(u16::from_be_bytes([*hi, *lo])) % (example.len() + 1),
        );
        let end = floor_boundary(example, (at + usize::from(*delete)).min(example.len()));
        let mut edited = String::with_capacity(example.len() + insert.len());
        edited.push_str(&example[..at]);
        edited.push_str(insert);
        edited.push_str(&example[end.max(at)..]);
        out.push(edited);
    }
    out
}

fn floor_boundary(s: &str, mut at: usize) -> usize {
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}
