//! A builder of ESC/POS bytes: the command set Epson defined for receipt printers and that
//! almost every thermal receipt printer accepts.
//!
//! Text is printable ASCII (0x20 to 0x7E) only, because it is the one range every code page
//! agrees on. [`EscPos::text`] refuses anything else with the character's index;
//! [`EscPos::text_lossy`] replaces each such character with `?` instead. A `\n` in text is
//! a line feed.
//!
//! ```
//! use receipt::escpos::{Align, Cut, EscPos};
//! let mut p = EscPos::new();
//! p.init().align(Align::Center).unwrap().bold(true);
//! p.line("HELLO").unwrap();
//! p.cut(Cut::Full);
//! assert_eq!(p.bytes(), b"\x1b@\x1ba\x01\x1bE\x01HELLO\n\x1dV\x00");
//! ```

use thiserror::Error;

/// ESC, the prefix of most printer commands.
pub const ESC: u8 = 0x1B;
/// GS (group separator), the prefix of the newer commands (size, cut).
pub const GS: u8 = 0x1D;
/// LF: print the buffered line and feed one line.
pub const LF: u8 = 0x0A;

/// Horizontal alignment of a line (`ESC a n`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

impl Align {
    /// The `n` of `ESC a n`.
    pub fn code(self) -> u8 {
        match self {
            Align::Left => 0,
            Align::Center => 1,
            Align::Right => 2,
        }
    }
}

/// Underline mode (`ESC - n`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Underline {
    #[default]
    Off,
    OneDot,
    TwoDot,
}

impl Underline {
    /// The `n` of `ESC - n`.
    pub fn code(self) -> u8 {
        match self {
            Underline::Off => 0,
            Underline::OneDot => 1,
            Underline::TwoDot => 2,
        }
    }
}

/// Character size (`GS ! n`): width and height multipliers, each 1 to 8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Size {
    width: u8,
    height: u8,
}

impl Default for Size {
    fn default() -> Self {
        Size::NORMAL
    }
}

impl Size {
    pub const NORMAL: Size = Size {
        width: 1,
        height: 1,
    };
    pub const DOUBLE: Size = Size {
        width: 2,
        height: 2,
    };
    pub const DOUBLE_WIDTH: Size = Size {
        width: 2,
        height: 1,
    };
    pub const DOUBLE_HEIGHT: Size = Size {
        width: 1,
        height: 2,
    };

    /// A size with the given multipliers; each must be 1 to 8.
    pub fn new(width: u8, height: u8) -> Result<Size, EscPosError> {
        if (1..=8).contains(&width) && (1..=8).contains(&height) {
            Ok(Size { width, height })
        } else {
            Err(EscPosError::SizeOutOfRange { width, height })
        }
    }

    pub fn width(self) -> u8 {
        self.width
    }

    pub fn height(self) -> u8 {
        self.height
    }

    /// The `n` of `GS ! n`: width − 1 in the high nibble, height − 1 in the low one.
    pub fn code(self) -> u8 {
        ((self.width - 1) << 4) | (self.height - 1)
    }
}

/// How the paper is cut (`GS V`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cut {
    Full,
    /// Leaves a small hinge so the receipt does not drop.
    Partial,
}

/// A character code table (`ESC t n`). ASCII is the same in all of them; choosing one makes
/// the printer's state explicit (python-escpos sends PC437 before its first text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CodePage {
    /// PC437, USA and standard Europe: the power-on default.
    Pc437,
    /// PC850, multilingual.
    Pc850,
    /// WPC1252, Windows Latin-1.
    Wpc1252,
    /// PC858, PC850 with the euro sign.
    Pc858,
}

impl CodePage {
    /// The `n` of `ESC t n` in Epson's table.
    pub fn code(self) -> u8 {
        match self {
            CodePage::Pc437 => 0,
            CodePage::Pc850 => 2,
            CodePage::Wpc1252 => 16,
            CodePage::Pc858 => 19,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum EscPosError {
    #[error(
        "character {index} of the text ({ch:?}) is not printable ASCII: receipts print 0x20-0x7E and line feeds only"
    )]
    NotPrintable { index: usize, ch: char },
    #[error(
        "alignment set in the middle of a line (after {column} characters): printers apply ESC a only at the start of a line"
    )]
    AlignMidLine { column: usize },
    #[error("character size {width}x{height} is out of range: each multiplier is 1 to 8")]
    SizeOutOfRange { width: u8, height: u8 },
}

/// Whether `c` prints as itself on every ESC/POS code page.
pub fn is_printable(c: char) -> bool {
    (' '..='~').contains(&c)
}

/// The index (in characters) and value of the first character that is neither printable
/// ASCII nor `\n`.
pub fn check_text(text: &str) -> Result<(), EscPosError> {
    match text
        .chars()
        .enumerate()
        .find(|&(_, c)| !(is_printable(c) || c == '\n'))
    {
        Some((index, ch)) => Err(EscPosError::NotPrintable { index, ch }),
        None => Ok(()),
    }
}

/// `text` with every character that is neither printable ASCII nor `\n` replaced by `?`
/// (one `?` per character, so columns still line up).
pub fn to_ascii_lossy(text: &str) -> String {
    text.chars()
        .map(|c| if is_printable(c) || c == '\n' { c } else { '?' })
        .collect()
}

/// Accumulates ESC/POS bytes. Every method appends one command (or text) in the order called.
#[derive(Clone, Debug, Default)]
pub struct EscPos {
    bytes: Vec<u8>,
    /// Characters since the last line feed: alignment and cuts care about line starts.
    column: usize,
}

impl EscPos {
    pub fn new() -> EscPos {
        EscPos::default()
    }

    /// `ESC @`: clears the printer's buffer and resets every mode to its power-on default.
    pub fn init(&mut self) -> &mut Self {
        self.bytes.extend_from_slice(&[ESC, b'@']);
        self.column = 0;
        self
    }

    /// `ESC a n`. Refused in the middle of a line, where a printer would ignore it.
    pub fn align(&mut self, align: Align) -> Result<&mut Self, EscPosError> {
        if self.column > 0 {
            return Err(EscPosError::AlignMidLine {
                column: self.column,
            });
        }
        self.bytes.extend_from_slice(&[ESC, b'a', align.code()]);
        Ok(self)
    }

    /// `ESC a n` after ending a pending line, for renderers that know they are at a line start.
    pub(crate) fn align_at_line_start(&mut self, align: Align) -> &mut Self {
        self.end_line();
        self.bytes.extend_from_slice(&[ESC, b'a', align.code()]);
        self
    }

    /// `ESC E n`: emphasis (bold) on or off.
    pub fn bold(&mut self, on: bool) -> &mut Self {
        self.bytes.extend_from_slice(&[ESC, b'E', u8::from(on)]);
        self
    }

    /// `ESC - n`: underline.
    pub fn underline(&mut self, underline: Underline) -> &mut Self {
        self.bytes.extend_from_slice(&[ESC, b'-', underline.code()]);
        self
    }

    /// `GS ! n`: character size.
    pub fn size(&mut self, size: Size) -> &mut Self {
        self.bytes.extend_from_slice(&[GS, b'!', size.code()]);
        self
    }

    /// `GS ! 0x11` or `GS ! 0x00`: double width and height, or normal size.
    pub fn double(&mut self, on: bool) -> &mut Self {
        self.size(if on { Size::DOUBLE } else { Size::NORMAL })
    }

    /// `ESC t n`: the character code table.
    pub fn code_page(&mut self, page: CodePage) -> &mut Self {
        self.bytes.extend_from_slice(&[ESC, b't', page.code()]);
        self
    }

    /// Printable ASCII text; `\n` feeds a line. Nothing is written when any character is refused.
    pub fn text(&mut self, text: &str) -> Result<&mut Self, EscPosError> {
        check_text(text)?;
        self.push_checked(text);
        Ok(self)
    }

    /// Like [`EscPos::text`], with each refused character printed as `?`.
    pub fn text_lossy(&mut self, text: &str) -> &mut Self {
        self.push_checked(&to_ascii_lossy(text));
        self
    }

    /// Text followed by a line feed.
    pub fn line(&mut self, text: &str) -> Result<&mut Self, EscPosError> {
        self.text(text)?;
        Ok(self.lf())
    }

    /// LF: prints the buffered line and feeds one line.
    pub fn lf(&mut self) -> &mut Self {
        self.bytes.push(LF);
        self.column = 0;
        self
    }

    /// `ESC d n`: prints the buffered line and feeds `lines` lines.
    pub fn feed(&mut self, lines: u8) -> &mut Self {
        self.bytes.extend_from_slice(&[ESC, b'd', lines]);
        self.column = 0;
        self
    }

    /// `GS V 0` (full) or `GS V 1` (partial): cuts where the paper is. A printer honours this
    /// only at the start of a line, so a pending line is ended with LF first.
    pub fn cut(&mut self, cut: Cut) -> &mut Self {
        self.end_line();
        let m = match cut {
            Cut::Full => 0,
            Cut::Partial => 1,
        };
        self.bytes.extend_from_slice(&[GS, b'V', m]);
        self
    }

    /// `GS V 65 n` (full) or `GS V 66 n` (partial): feeds the printed lines past the cutter,
    /// then `extra_units` more motion units, then cuts. The printer knows its head-to-cutter
    /// distance, so this needs no guessed number of blank lines.
    pub fn feed_and_cut(&mut self, cut: Cut, extra_units: u8) -> &mut Self {
        self.end_line();
        let m = match cut {
            Cut::Full => 65,
            Cut::Partial => 66,
        };
        self.bytes.extend_from_slice(&[GS, b'V', m, extra_units]);
        self
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    fn end_line(&mut self) {
        if self.column > 0 {
            self.lf();
        }
    }

    /// Appends text already known to be printable ASCII or `\n`.
    fn push_checked(&mut self, text: &str) {
        for b in text.bytes() {
            self.bytes.push(b);
            if b == LF {
                self.column = 0;
            } else {
                self.column += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_codes() {
        assert_eq!(Size::NORMAL.code(), 0x00);
        assert_eq!(Size::DOUBLE.code(), 0x11);
        assert_eq!(Size::DOUBLE_WIDTH.code(), 0x10);
        assert_eq!(Size::DOUBLE_HEIGHT.code(), 0x01);
        assert_eq!(Size::new(8, 8).unwrap().code(), 0x77);
        assert_eq!(
            Size::new(0, 1),
            Err(EscPosError::SizeOutOfRange {
                width: 0,
                height: 1
            })
        );
        assert!(Size::new(1, 9).is_err());
    }

    #[test]
    fn refused_text_writes_nothing() {
        let mut p = EscPos::new();
        assert_eq!(
            p.text("Caf\u{e9}").err(),
            Some(EscPosError::NotPrintable {
                index: 3,
                ch: '\u{e9}'
            })
        );
        assert_eq!(
            p.text("a\tb").err(),
            Some(EscPosError::NotPrintable { index: 1, ch: '\t' })
        );
        assert!(p.bytes().is_empty());
        p.text_lossy("Caf\u{e9} \u{20ac}5");
        assert_eq!(p.bytes(), b"Caf? ?5");
    }

    #[test]
    fn align_only_at_line_start() {
        let mut p = EscPos::new();
        p.text("ab").unwrap();
        assert_eq!(
            p.align(Align::Right).err(),
            Some(EscPosError::AlignMidLine { column: 2 })
        );
        p.text("c\n").unwrap();
        p.align(Align::Right).unwrap();
        assert_eq!(p.bytes(), b"abc\n\x1ba\x02");
    }

    #[test]
    fn cut_ends_a_pending_line() {
        let mut p = EscPos::new();
        p.text("x").unwrap().cut(Cut::Partial);
        p.text("y").unwrap().feed_and_cut(Cut::Full, 3);
        assert_eq!(p.bytes(), b"x\n\x1dV\x01y\n\x1dVA\x03");
    }
}
