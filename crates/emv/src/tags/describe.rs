//! Rendering values for dumps and logs, masking card secrets by the dictionary's sensitivity.

use core::fmt::Write as _;

use super::info::{Format, Sensitivity};
use super::lookup;
use super::mask::mask_pan;
use crate::tlv::{self, Tag, TlvError, TlvNode};

/// Renders one value for people: `n` and `cn` as digits, `a`/`an`/`ans` as text, `b` as hex,
/// templates as their children; PANs masked (first 6 / last 4), track data masked, PIN data
/// and card verification data hidden. Unknown primitive tags are shown as hex.
pub fn describe(tag: Tag, value: &[u8]) -> String {
    if tag.is_constructed() {
        return match tlv::parse_nested(value) {
            Ok(children) => children_inline(&children),
            Err(e) => malformed(value.len(), &e),
        };
    }
    let Some(info) = lookup(tag) else {
        return hex(value);
    };
    match info.sensitivity {
        Sensitivity::Hidden => format!("(hidden, {} bytes)", value.len()),
        Sensitivity::Pan => mask_pan(nibbles(value).trim_end_matches('F')),
        Sensitivity::Track2 => track2(value),
        Sensitivity::Track1 => track1(value),
        Sensitivity::Clear => clear(info.format, value),
    }
}

/// Renders a series of TLV objects as indented lines: tag, name, length and value.
pub fn dump(input: &[u8]) -> Result<String, TlvError> {
    let nodes = tlv::parse_nested(input)?;
    let mut out = String::new();
    dump_level(&nodes, 0, &mut out);
    Ok(out)
}

fn dump_level(nodes: &[TlvNode<'_>], depth: usize, out: &mut String) {
    for node in nodes {
        let tag = node.tlv.tag;
        let name = lookup(tag).map_or("(unknown)", |info| info.name);
        let indent = "  ".repeat(depth);
        let len = node.tlv.value.len();
        if tag.is_constructed() {
            let _ = writeln!(out, "{indent}{tag} {name} [{len}]");
            dump_level(&node.children, depth + 1, out);
        } else {
            let shown = describe(tag, node.tlv.value);
            let _ = writeln!(out, "{indent}{tag} {name} [{len}]: {shown}");
        }
    }
}

fn children_inline(children: &[TlvNode<'_>]) -> String {
    let parts: Vec<String> = children
        .iter()
        .map(|child| {
            format!(
                "{}={}",
                child.tlv.tag,
                describe(child.tlv.tag, child.tlv.value)
            )
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// A template that does not parse is never shown as hex: it may hold a PAN.
fn malformed(len: usize, e: &TlvError) -> String {
    format!("({len} bytes, malformed TLV: {e})")
}

fn clear(format: Format, value: &[u8]) -> String {
    match format {
        Format::B => hex(value),
        Format::N => {
            let digits = nibbles(value);
            if digits.bytes().all(|d| d.is_ascii_digit()) {
                digits
            } else {
                format!("{} (not BCD)", hex(value))
            }
        }
        Format::Cn => {
            let digits = nibbles(value);
            let trimmed = digits.trim_end_matches('F');
            if trimmed.bytes().all(|d| d.is_ascii_digit()) {
                trimmed.to_owned()
            } else {
                format!("{} (not BCD)", hex(value))
            }
        }
        Format::A | Format::An | Format::Ans => match printable(value) {
            Some(text) => format!("\"{text}\""),
            None => format!("{} (not text)", hex(value)),
        },
    }
}

/// Track 2 (`57`, `9F6B`): PAN digits, separator `D`, then expiry, service code and
/// discretionary data (which holds the card verification value), all hidden.
fn track2(value: &[u8]) -> String {
    let digits = nibbles(value);
    let digits = digits.trim_end_matches('F');
    match digits.split_once('D') {
        Some((pan, rest)) => format!("{}D{}", mask_pan(pan), "*".repeat(rest.len())),
        None => "*".repeat(digits.len()),
    }
}

/// Track 1 (`56`): format code, PAN, `^`, name, `^`, expiry and discretionary data. Only the
/// format code and the masked PAN are shown.
fn track1(value: &[u8]) -> String {
    let Some(text) = printable(value) else {
        return format!("(hidden, {} bytes)", value.len());
    };
    let mut chars = text.chars();
    let code: String = chars
        .next()
        .into_iter()
        .filter(char::is_ascii_alphabetic)
        .collect();
    let body = text.get(code.len()..).unwrap_or("");
    match body.split_once('^') {
        Some((pan, rest)) => format!("{code}{}^{}", mask_pan(pan), "*".repeat(rest.len())),
        None => "*".repeat(text.len()),
    }
}

fn printable(value: &[u8]) -> Option<String> {
    value
        .iter()
        .all(|b| (0x20..=0x7E).contains(b))
        .then(|| value.iter().map(|&b| char::from(b)).collect())
}

/// Every nibble as an uppercase hex digit, high nibble first.
fn nibbles(value: &[u8]) -> String {
    hex(value)
}

fn hex(value: &[u8]) -> String {
    crate::hex::encode(value)
}
