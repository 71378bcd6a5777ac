//! ESC/POS bytes back into printed lines, each with its alignment and the style of each run
//! of text: what a printer would put on paper, for tests and for showing a receipt file.
//!
//! The decoder follows Epson's rules for the commands it knows:
//! - `ESC @` clears a pending line and resets alignment, emphasis, underline and size.
//! - `ESC a` applies only at the start of a line; in the middle of one it is ignored.
//! - `ESC !` (print mode) sets emphasis, double height, double width and underline at once,
//!   so `ESC ! 0x30` turns bold off.
//! - `ESC d n` prints the pending line (if any) as the first of its `n` lines.
//! - A cut ends a pending line; CR is ignored.
//! - Text not ended by a line feed at the end of the input is kept as a last line.
//!
//! Parsed and ignored (no effect on text): `ESC t` (code page: text is ASCII), `ESC M`
//! (font), `ESC G` (double strike), `ESC 2`/`ESC 3` (line spacing), `GS B` (reverse).
//! Anything else is an error, as are bytes outside ASCII: a receipt the decoder cannot read
//! fully is reported, never shown half-read.

use thiserror::Error;

use crate::escpos::{Align, Cut, ESC, GS, LF, Underline};

/// The style of a run of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Style {
    pub bold: bool,
    pub underline: Underline,
    /// Width multiplier, 1 to 8.
    pub width: u8,
    /// Height multiplier, 1 to 8.
    pub height: u8,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            bold: false,
            underline: Underline::Off,
            width: 1,
            height: 1,
        }
    }
}

impl Style {
    /// Double width and double height.
    pub fn is_double(&self) -> bool {
        self.width == 2 && self.height == 2
    }
}

/// A run of text in one style.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub style: Style,
}

/// One printed line. A blank line has no spans.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Line {
    pub align: Align,
    pub spans: Vec<Span>,
}

impl Line {
    /// The line's text, all spans joined.
    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }

    /// The style shared by every span; `None` for a blank line or mixed styles.
    pub fn uniform_style(&self) -> Option<Style> {
        let first = self.spans.first()?.style;
        self.spans.iter().all(|s| s.style == first).then_some(first)
    }
}

/// What the bytes print, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Line(Line),
    Cut(Cut),
}

/// A decoded ESC/POS stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    pub items: Vec<Item>,
}

impl Decoded {
    /// The printed lines, cuts left out.
    pub fn lines(&self) -> impl Iterator<Item = &Line> {
        self.items.iter().filter_map(|i| match i {
            Item::Line(l) => Some(l),
            Item::Cut(_) => None,
        })
    }

    /// The cuts, in order.
    pub fn cuts(&self) -> impl Iterator<Item = Cut> + '_ {
        self.items.iter().filter_map(|i| match i {
            Item::Cut(c) => Some(*c),
            Item::Line(_) => None,
        })
    }
}

/// Bounds on what decoding may produce: `ESC d 255` is 3 bytes but 255 lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most items (lines and cuts) one decode returns.
    pub items_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { items_max: 10_000 }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("{command} at offset {offset} is cut short: the input ends before its parameter")]
    Truncated {
        offset: usize,
        command: &'static str,
    },
    #[error("unknown command {prefix} 0x{code:02X} at offset {offset}")]
    UnknownCommand {
        offset: usize,
        prefix: &'static str,
        code: u8,
    },
    #[error("unknown control byte 0x{byte:02X} at offset {offset}")]
    UnknownControl { offset: usize, byte: u8 },
    #[error("byte 0x{byte:02X} at offset {offset} is not ASCII: receipt text is ASCII only")]
    NotAscii { offset: usize, byte: u8 },
    #[error("{command} at offset {offset} has an invalid parameter 0x{value:02X}")]
    BadParameter {
        offset: usize,
        command: &'static str,
        value: u8,
    },
    #[error("more than {items_max} lines and cuts (at offset {offset})")]
    TooManyItems { offset: usize, items_max: usize },
}

/// Decodes with the default [`Limits`].
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    decode_with(bytes, Limits::default())
}

/// Decodes `bytes`, producing at most `limits.items_max` items.
pub fn decode_with(bytes: &[u8], limits: Limits) -> Result<Decoded, DecodeError> {
    let mut d = Decoder {
        out: Decoded::default(),
        limits,
        align: Align::Left,
        style: Style::default(),
        pending: Vec::new(),
    };
    let mut at = 0;
    while let Some(&b) = bytes.get(at) {
        at = match b {
            LF => {
                d.end_line(at)?;
                at + 1
            }
            b'\r' => at + 1,
            ESC => d.esc(bytes, at)?,
            GS => d.gs(bytes, at)?,
            0x20..=0x7E => {
                d.push_char(char::from(b));
                at + 1
            }
            0x7F | 0x00..=0x1F => {
                return Err(DecodeError::UnknownControl {
                    offset: at,
                    byte: b,
                });
            }
            _ => {
                return Err(DecodeError::NotAscii {
                    offset: at,
                    byte: b,
                });
            }
        };
    }
    if !d.pending.is_empty() {
        d.end_line(bytes.len())?;
    }
    Ok(d.out)
}

struct Decoder {
    out: Decoded,
    limits: Limits,
    align: Align,
    style: Style,
    pending: Vec<Span>,
}

impl Decoder {
    fn push_item(&mut self, item: Item, offset: usize) -> Result<(), DecodeError> {
        if self.out.items.len() >= self.limits.items_max {
            return Err(DecodeError::TooManyItems {
                offset,
                items_max: self.limits.items_max,
            });
        }
        self.out.items.push(item);
        Ok(())
    }

    fn end_line(&mut self, offset: usize) -> Result<(), DecodeError> {
        let line = Line {
            align: self.align,
            spans: std::mem::take(&mut self.pending),
        };
        self.push_item(Item::Line(line), offset)
    }

    fn push_char(&mut self, c: char) {
        match self.pending.last_mut() {
            Some(span) if span.style == self.style => span.text.push(c),
            _ => self.pending.push(Span {
                text: c.to_string(),
                style: self.style,
            }),
        }
    }

    /// Decodes the `ESC` command at `at`; returns the offset after it.
    fn esc(&mut self, bytes: &[u8], at: usize) -> Result<usize, DecodeError> {
        let code = *bytes.get(at + 1).ok_or(DecodeError::Truncated {
            offset: at,
            command: "ESC",
        })?;
        let param = |command: &'static str| {
            bytes.get(at + 2).copied().ok_or(DecodeError::Truncated {
                offset: at,
                command,
            })
        };
        match code {
            b'@' => {
                self.pending.clear();
                self.align = Align::Left;
                self.style = Style::default();
                Ok(at + 2)
            }
            b'2' => Ok(at + 2),
            b'a' => {
                let n = param("ESC a")?;
                let align = match n {
                    0 | 48 => Align::Left,
                    1 | 49 => Align::Center,
                    2 | 50 => Align::Right,
                    _ => return Err(bad(at, "ESC a", n)),
                };
                if self.pending.is_empty() {
                    self.align = align;
                }
                Ok(at + 3)
            }
            b'E' => {
                self.style.bold = param("ESC E")? & 1 == 1;
                Ok(at + 3)
            }
            b'-' => {
                let n = param("ESC -")?;
                self.style.underline = underline(n).ok_or(bad(at, "ESC -", n))?;
                Ok(at + 3)
            }
            b'!' => {
                let n = param("ESC !")?;
                self.style.bold = n & 0x08 != 0;
                self.style.height = if n & 0x10 != 0 { 2 } else { 1 };
                self.style.width = if n & 0x20 != 0 { 2 } else { 1 };
                self.style.underline = if n & 0x80 != 0 {
                    Underline::OneDot
                } else {
                    Underline::Off
                };
                Ok(at + 3)
            }
            b'd' => {
                let n = param("ESC d")?;
                let mut left = n;
                if !self.pending.is_empty() {
                    self.end_line(at)?;
                    left = left.saturating_sub(1);
                }
                for _ in 0..left {
                    self.end_line(at)?;
                }
                Ok(at + 3)
            }
            b't' => param("ESC t").map(|_| at + 3),
            b'M' => param("ESC M").map(|_| at + 3),
            b'G' => param("ESC G").map(|_| at + 3),
            b'3' => param("ESC 3").map(|_| at + 3),
            _ => Err(DecodeError::UnknownCommand {
                offset: at,
                prefix: "ESC",
                code,
            }),
        }
    }

    /// Decodes the `GS` command at `at`; returns the offset after it.
    fn gs(&mut self, bytes: &[u8], at: usize) -> Result<usize, DecodeError> {
        let code = *bytes.get(at + 1).ok_or(DecodeError::Truncated {
            offset: at,
            command: "GS",
        })?;
        let param = |index: usize, command: &'static str| {
            bytes
                .get(at + index)
                .copied()
                .ok_or(DecodeError::Truncated {
                    offset: at,
                    command,
                })
        };
        match code {
            b'!' => {
                let n = param(2, "GS !")?;
                if n & 0x88 != 0 {
                    return Err(bad(at, "GS !", n));
                }
                self.style.width = (n >> 4) + 1;
                self.style.height = (n & 0x0F) + 1;
                Ok(at + 3)
            }
            b'V' => {
                let m = param(2, "GS V")?;
                let (cut, next) = match m {
                    0 | 48 => (Cut::Full, at + 3),
                    1 | 49 => (Cut::Partial, at + 3),
                    65 => (Cut::Full, param(3, "GS V").map(|_| at + 4)?),
                    66 => (Cut::Partial, param(3, "GS V").map(|_| at + 4)?),
                    _ => return Err(bad(at, "GS V", m)),
                };
                if !self.pending.is_empty() {
                    self.end_line(at)?;
                }
                self.push_item(Item::Cut(cut), at)?;
                Ok(next)
            }
            b'B' => param(2, "GS B").map(|_| at + 3),
            _ => Err(DecodeError::UnknownCommand {
                offset: at,
                prefix: "GS",
                code,
            }),
        }
    }
}

fn underline(n: u8) -> Option<Underline> {
    match n {
        0 | 48 => Some(Underline::Off),
        1 | 49 => Some(Underline::OneDot),
        2 | 50 => Some(Underline::TwoDot),
        _ => None,
    }
}

fn bad(offset: usize, command: &'static str, value: u8) -> DecodeError {
    DecodeError::BadParameter {
        offset,
        command,
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(d: &Decoded) -> Vec<String> {
        d.lines().map(Line::text).collect()
    }

    #[test]
    fn styles_and_alignment() {
        let d = decode(b"\x1b@\x1ba\x01\x1bE\x01TOP\n\x1d!\x11BIG\x1d!\x00 small\n").unwrap();
        let lines: Vec<&Line> = d.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].align, Align::Center);
        assert_eq!(lines[0].text(), "TOP");
        assert_eq!(
            lines[0].uniform_style(),
            Some(Style {
                bold: true,
                ..Style::default()
            })
        );
        assert_eq!(lines[1].uniform_style(), None);
        assert_eq!(lines[1].spans.len(), 2);
        assert!(lines[1].spans[0].style.is_double());
        assert_eq!(lines[1].spans[1].text, " small");
        assert!(!lines[1].spans[1].style.is_double());
    }

    #[test]
    fn print_mode_sets_everything_at_once() {
        let d = decode(b"\x1bE\x01\x1b-\x02\x1b!\x30X\n\x1b!\x88Y\n").unwrap();
        let styles: Vec<Style> = d.lines().filter_map(Line::uniform_style).collect();
        assert_eq!(
            styles,
            vec![
                Style {
                    bold: false,
                    underline: Underline::Off,
                    width: 2,
                    height: 2
                },
                Style {
                    bold: true,
                    underline: Underline::OneDot,
                    width: 1,
                    height: 1
                },
            ]
        );
    }

    #[test]
    fn align_mid_line_is_ignored_and_init_drops_pending_text() {
        let d = decode(b"ab\x1ba\x02c\nlost\x1b@kept\n").unwrap();
        let lines: Vec<&Line> = d.lines().collect();
        assert_eq!(texts(&d), ["abc", "kept"]);
        assert_eq!(lines[0].align, Align::Left);
    }

    #[test]
    fn feeds_cuts_and_a_last_unended_line() {
        let d = decode(b"A\x1bd\x03\x1bd\x01B\x1dV\x42\x05\x1dV\x00C").unwrap();
        assert_eq!(texts(&d), ["A", "", "", "", "B", "C"]);
        assert_eq!(d.cuts().collect::<Vec<_>>(), [Cut::Partial, Cut::Full]);
        assert!(matches!(d.items[5], Item::Cut(Cut::Partial)));
    }

    #[test]
    fn errors_name_offset_and_command() {
        assert_eq!(
            decode(b"ab\x1b"),
            Err(DecodeError::Truncated {
                offset: 2,
                command: "ESC"
            })
        );
        assert_eq!(
            decode(b"\x1ba"),
            Err(DecodeError::Truncated {
                offset: 0,
                command: "ESC a"
            })
        );
        assert_eq!(
            decode(b"x\x1dVA"),
            Err(DecodeError::Truncated {
                offset: 1,
                command: "GS V"
            })
        );
        assert_eq!(
            decode(b"\x1bZ"),
            Err(DecodeError::UnknownCommand {
                offset: 0,
                prefix: "ESC",
                code: b'Z'
            })
        );
        assert_eq!(
            decode(b"\x1d("),
            Err(DecodeError::UnknownCommand {
                offset: 0,
                prefix: "GS",
                code: b'('
            })
        );
        assert_eq!(
            decode(b"a\tb"),
            Err(DecodeError::UnknownControl { offset: 1, byte: 9 })
        );
        assert_eq!(
            decode(b"caf\xc3\xa9"),
            Err(DecodeError::NotAscii {
                offset: 3,
                byte: 0xC3
            })
        );
        assert_eq!(
            decode(b"\x1ba\x03"),
            Err(DecodeError::BadParameter {
                offset: 0,
                command: "ESC a",
                value: 3
            })
        );
        assert_eq!(
            decode(b"\x1d!\x08"),
            Err(DecodeError::BadParameter {
                offset: 0,
                command: "GS !",
                value: 8
            })
        );
    }

    #[test]
    fn output_is_bounded() {
        let limits = Limits { items_max: 300 };
        assert_eq!(decode_with(b"\x1bd\xff", limits).unwrap().items.len(), 255);
        assert_eq!(
            decode_with(b"\x1bd\xff\x1bd\xff", limits),
            Err(DecodeError::TooManyItems {
                offset: 3,
                items_max: 300
            })
        );
    }
}
