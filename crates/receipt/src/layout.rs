//! Column arithmetic shared by the text and ESC/POS renderings: widths, word wrap, label/value
//! rows. All text here is ASCII (checked when a receipt is built), so bytes are columns.

use crate::escpos::Align;

/// Characters per line of normal-size text on the common paper widths (Font A, 12 dots wide).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Width {
    /// 58 mm paper: 384 printable dots.
    W32,
    /// 80 mm paper on printers with 512 printable dots.
    W42,
    /// 80 mm paper with 576 printable dots.
    W48,
}

impl Width {
    pub fn columns(self) -> usize {
        match self {
            Width::W32 => 32,
            Width::W42 => 42,
            Width::W48 => 48,
        }
    }

    pub fn from_columns(columns: usize) -> Option<Width> {
        match columns {
            32 => Some(Width::W32),
            42 => Some(Width::W42),
            48 => Some(Width::W48),
            _ => None,
        }
    }
}

/// One line as laid out, before rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    pub text: String,
    pub align: Align,
    pub bold: bool,
    /// Double width and height: the ESC/POS rendering fits half as many characters.
    pub double: bool,
}

impl Row {
    pub fn plain(text: String) -> Row {
        Row {
            text,
            align: Align::Left,
            bold: false,
            double: false,
        }
    }
}

/// Greedy word wrap at `columns` (at least 1). Runs of spaces collapse to one; a word longer
/// than a line is split.
pub(crate) fn wrap(text: &str, columns: usize) -> Vec<String> {
    let columns = columns.max(1);
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word = word;
        loop {
            let needed = if current.is_empty() {
                word.len()
            } else {
                current.len() + 1 + word.len()
            };
            if needed <= columns {
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(word);
                break;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
                continue;
            }
            // A word longer than a whole line: split it (ASCII, so any byte is a boundary).
            let (head, tail) = word.split_at(columns.min(word.len()));
            lines.push(head.to_string());
            word = tail;
            if word.is_empty() {
                break;
            }
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// A label at the left and its value at the right of a `columns`-wide line; when both do
/// not fit with a space between them, the label has its own line and the value follows,
/// wrapped and right-aligned.
pub(crate) fn label_value(label: &str, value: &str, columns: usize) -> Vec<String> {
    if label.len() + 1 + value.len() <= columns {
        let gap = columns - label.len() - value.len();
        return vec![format!("{label}{}{value}", " ".repeat(gap))];
    }
    let mut lines = vec![label.to_string()];
    lines.extend(
        wrap(value, columns)
            .into_iter()
            .map(|l| format!("{l:>columns$}")),
    );
    lines
}

/// `text` placed in `columns` as `align` says, without trailing spaces.
pub(crate) fn place(text: &str, align: Align, columns: usize) -> String {
    let free = columns.saturating_sub(text.len());
    let left = match align {
        Align::Left => 0,
        Align::Center => free / 2,
        Align::Right => free,
    };
    format!("{}{text}", " ".repeat(left))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_words_and_splits_long_ones() {
        assert_eq!(wrap("THE  CORNER CAFE", 10), ["THE CORNER", "CAFE"]);
        assert_eq!(wrap("ABCDEFGHIJKL MN", 5), ["ABCDE", "FGHIJ", "KL MN"]);
        assert_eq!(wrap("", 5), Vec::<String>::new());
        assert_eq!(wrap("A", 0), ["A"]);
    }

    #[test]
    fn label_value_rows() {
        assert_eq!(label_value("STAN", "000123", 12), ["STAN  000123"]);
        assert_eq!(label_value("STAN", "000123", 11), ["STAN 000123"]);
        assert_eq!(
            label_value("REASON", "57 Not permitted", 10),
            ["REASON", "    57 Not", " permitted"]
        );
    }

    #[test]
    fn placement() {
        assert_eq!(place("AB", Align::Center, 7), "  AB");
        assert_eq!(place("AB", Align::Right, 7), "     AB");
        assert_eq!(place("AB", Align::Left, 7), "AB");
        assert_eq!(place("ABCDEFGH", Align::Center, 7), "ABCDEFGH");
    }
}
