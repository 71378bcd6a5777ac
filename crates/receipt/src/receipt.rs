//! The receipt: checked once when built, then rendered to ESC/POS bytes or plain text.
//!
//! Every field is checked in [`Receipt::new`] (lengths from the ISO 8583 fields they come
//! from, printable ASCII, the PAN's masking), so rendering cannot fail and never prints
//! something it should not.

use std::fmt;

use thiserror::Error;

use crate::datetime::DateTime;
use crate::escpos::{Align, Cut, EscPos, is_printable};
use crate::layout::{Row, Width, label_value, place, wrap};
use crate::money::Amount;
use crate::pan::{MaskedPan, MaskedPanError};

/// What kind of transaction the receipt is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransactionType {
    Sale,
    Refund,
    /// Pre-authorization: a hold on the card, completed later.
    PreAuth,
    /// Completion of a pre-authorization.
    Completion,
    Reversal,
    /// Balance inquiry.
    Balance,
    /// Settlement (batch close) totals.
    Settlement,
}

impl TransactionType {
    /// The heading printed on the receipt.
    pub fn label(self) -> &'static str {
        match self {
            TransactionType::Sale => "SALE",
            TransactionType::Refund => "REFUND",
            TransactionType::PreAuth => "PRE-AUTH",
            TransactionType::Completion => "COMPLETION",
            TransactionType::Reversal => "REVERSAL",
            TransactionType::Balance => "BALANCE",
            TransactionType::Settlement => "SETTLEMENT",
        }
    }
}

impl fmt::Display for TransactionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How the card was read (ISO 8583 field 22 in words).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryMode {
    Chip,
    Swipe,
    Keyed,
    Contactless,
    /// Magnetic stripe read after the chip failed.
    Fallback,
}

impl EntryMode {
    pub fn label(self) -> &'static str {
        match self {
            EntryMode::Chip => "CHIP",
            EntryMode::Swipe => "SWIPE",
            EntryMode::Keyed => "KEYED",
            EntryMode::Contactless => "CONTACTLESS",
            EntryMode::Fallback => "FALLBACK",
        }
    }
}

/// Whose copy this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReceiptCopy {
    Customer,
    Merchant,
}

impl ReceiptCopy {
    pub fn label(self) -> &'static str {
        match self {
            ReceiptCopy::Customer => "CUSTOMER COPY",
            ReceiptCopy::Merchant => "MERCHANT COPY",
        }
    }
}

/// What a receipt is built from; [`Receipt::new`] checks every field.
#[derive(Clone, Debug)]
pub struct ReceiptFields<'a> {
    /// 1 to 40 printable ASCII characters.
    pub merchant_name: &'a str,
    /// Card acceptor identification (ISO 8583 field 42): 1 to 15 printable characters.
    pub merchant_id: &'a str,
    /// Card acceptor terminal identification (field 41): 1 to 8 printable characters.
    pub terminal_id: &'a str,
    /// Local date and time of the transaction.
    pub date_time: DateTime,
    pub transaction: TransactionType,
    /// The PAN as the caller masked it (first 6 and last 4 at most); checked again here.
    /// Required except on a settlement receipt.
    pub masked_pan: Option<&'a str>,
    /// Required whenever a PAN is.
    pub entry_mode: Option<EntryMode>,
    /// Required except on a balance inquiry.
    pub amount: Option<Amount>,
    /// Authorization identification response (field 38): 1 to 6 letters or digits.
    pub auth_code: Option<&'a str>,
    /// Retrieval reference number (field 37): 1 to 12 letters or digits.
    pub rrn: Option<&'a str>,
    /// System trace audit number (field 11): 6 digits.
    pub stan: &'a str,
    /// Response code (field 39): 2 letters or digits; `00` is an approval, anything else a
    /// decline (as `iso8583::ResponseCode::is_approved`).
    pub response_code: &'a str,
    /// The response code's short text: 1 to 40 printable characters.
    pub response_text: &'a str,
    /// Available balance, printed when present.
    pub balance: Option<Amount>,
    pub copy: ReceiptCopy,
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ReceiptError {
    #[error("{field} is empty")]
    Empty { field: &'static str },
    #[error("{field} is {len} characters long; at most {max} fit")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{field} must be exactly {expected} characters, found {len}")]
    WrongLength {
        field: &'static str,
        len: usize,
        expected: usize,
    },
    #[error("{field} has a character at position {position} that is not {allowed}")]
    BadCharacter {
        field: &'static str,
        position: usize,
        allowed: &'static str,
    },
    #[error("masked PAN refused: {0}")]
    Pan(#[from] MaskedPanError),
    #[error("a {transaction} receipt needs {field}")]
    Missing {
        field: &'static str,
        transaction: TransactionType,
    },
}

/// A checked receipt, ready to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    merchant_name: String,
    merchant_id: String,
    terminal_id: String,
    date_time: DateTime,
    transaction: TransactionType,
    pan: Option<MaskedPan>,
    entry_mode: Option<EntryMode>,
    amount: Option<Amount>,
    auth_code: Option<String>,
    rrn: Option<String>,
    stan: String,
    response_code: String,
    response_text: String,
    balance: Option<Amount>,
    copy: ReceiptCopy,
}

const PRINTABLE: &str = "printable ASCII";
const ALNUM: &str = "an ASCII letter or digit";
const DIGIT: &str = "a digit";

/// Checks `value` has 1 to `max` characters, each allowed by `ok`.
fn field(
    field: &'static str,
    value: &str,
    max: usize,
    allowed: &'static str,
    ok: fn(char) -> bool,
) -> Result<String, ReceiptError> {
    if let Some(position) = value.chars().position(|c| !ok(c)) {
        return Err(ReceiptError::BadCharacter {
            field,
            position,
            allowed,
        });
    }
    // Every character is ASCII now, so bytes count characters.
    if value.trim().is_empty() {
        return Err(ReceiptError::Empty { field });
    }
    if value.len() > max {
        return Err(ReceiptError::TooLong {
            field,
            len: value.len(),
            max,
        });
    }
    Ok(value.to_string())
}

fn exact(
    name: &'static str,
    value: &str,
    len: usize,
    allowed: &'static str,
    ok: fn(char) -> bool,
) -> Result<String, ReceiptError> {
    let checked = field(name, value, len, allowed, ok)?;
    if checked.len() != len {
        return Err(ReceiptError::WrongLength {
            field: name,
            len: checked.len(),
            expected: len,
        });
    }
    Ok(checked)
}

fn alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn digit(c: char) -> bool {
    c.is_ascii_digit()
}

impl Receipt {
    pub fn new(f: ReceiptFields<'_>) -> Result<Receipt, ReceiptError> {
        let missing = |field| ReceiptError::Missing {
            field,
            transaction: f.transaction,
        };
        let pan = f.masked_pan.map(MaskedPan::parse).transpose()?;
        if pan.is_none() && f.transaction != TransactionType::Settlement {
            return Err(missing("a masked PAN"));
        }
        if pan.is_some() && f.entry_mode.is_none() {
            return Err(missing("an entry mode"));
        }
        if f.amount.is_none() && f.transaction != TransactionType::Balance {
            return Err(missing("an amount"));
        }
        Ok(Receipt {
            merchant_name: field(
                "merchant name",
                f.merchant_name,
                40,
                PRINTABLE,
                is_printable,
            )?,
            merchant_id: field("merchant id", f.merchant_id, 15, PRINTABLE, is_printable)?,
            terminal_id: field("terminal id", f.terminal_id, 8, PRINTABLE, is_printable)?,
            date_time: f.date_time,
            transaction: f.transaction,
            pan,
            entry_mode: f.entry_mode,
            amount: f.amount,
            auth_code: f
                .auth_code
                .map(|v| field("authorization code", v, 6, ALNUM, alnum))
                .transpose()?,
            rrn: f
                .rrn
                .map(|v| field("RRN", v, 12, ALNUM, alnum))
                .transpose()?,
            stan: exact("STAN", f.stan, 6, DIGIT, digit)?,
            response_code: exact("response code", f.response_code, 2, ALNUM, alnum)?,
            response_text: field(
                "response text",
                f.response_text,
                40,
                PRINTABLE,
                is_printable,
            )?,
            balance: f.balance,
            copy: f.copy,
        })
    }

    /// Approved when the response code is `00`.
    pub fn is_approved(&self) -> bool {
        self.response_code == "00"
    }

    pub fn transaction(&self) -> TransactionType {
        self.transaction
    }

    pub fn masked_pan(&self) -> Option<&MaskedPan> {
        self.pan.as_ref()
    }

    pub fn amount(&self) -> Option<Amount> {
        self.amount
    }

    pub fn response_code(&self) -> &str {
        &self.response_code
    }

    pub fn copy(&self) -> ReceiptCopy {
        self.copy
    }

    /// The same receipt for the other party.
    pub fn with_copy(&self, copy: ReceiptCopy) -> Receipt {
        Receipt {
            copy,
            ..self.clone()
        }
    }

    /// ESC/POS bytes for 80 mm paper (48 columns).
    pub fn to_escpos(&self) -> Vec<u8> {
        self.to_escpos_width(Width::W48)
    }

    /// ESC/POS bytes for `width`: initialize, the lines (headings centred, bold, some double
    /// size), then feed past the cutter and cut partially.
    pub fn to_escpos_width(&self, width: Width) -> Vec<u8> {
        let mut p = EscPos::new();
        p.init();
        let (mut align, mut bold, mut double) = (Align::Left, false, false);
        for row in self.rows(width.columns(), width.columns() / 2) {
            if row.align != align {
                align = row.align;
                p.align_at_line_start(align);
            }
            if row.bold != bold {
                bold = row.bold;
                p.bold(bold);
            }
            if row.double != double {
                double = row.double;
                p.double(double);
            }
            // Fields were checked to be printable ASCII, so nothing is replaced here.
            p.text_lossy(&row.text).lf();
        }
        p.feed_and_cut(Cut::Partial, 0);
        p.into_bytes()
    }

    /// Plain text, `width` columns, one `\n` after each line, no trailing spaces. Double-size
    /// headings are ordinary text here.
    pub fn to_text(&self, width: Width) -> String {
        let columns = width.columns();
        let mut out = String::new();
        for row in self.rows(columns, columns) {
            out.push_str(&place(&row.text, row.align, columns));
            out.push('\n');
        }
        out
    }

    /// The lines, with `columns` characters for normal text and `double_columns` for
    /// double-size text.
    fn rows(&self, columns: usize, double_columns: usize) -> Vec<Row> {
        let mut rows = Vec::new();
        let heading = |rows: &mut Vec<Row>, text: &str, bold: bool, double: bool| {
            let fit = if double { double_columns } else { columns };
            rows.extend(wrap(text, fit).into_iter().map(|text| Row {
                text,
                align: Align::Center,
                bold,
                double,
            }));
        };
        let pair = |rows: &mut Vec<Row>, label: &str, value: &str, bold: bool| {
            rows.extend(
                label_value(label, value, columns)
                    .into_iter()
                    .map(|text| Row {
                        bold,
                        ..Row::plain(text)
                    }),
            );
        };
        let rule = |rows: &mut Vec<Row>| rows.push(Row::plain("-".repeat(columns)));

        heading(&mut rows, &self.merchant_name, true, true);
        pair(&mut rows, "MERCHANT ID", &self.merchant_id, false);
        pair(&mut rows, "TERMINAL ID", &self.terminal_id, false);
        pair(
            &mut rows,
            &format!("DATE {}", self.date_time.date_str()),
            &format!("TIME {}", self.date_time.time_str()),
            false,
        );
        rule(&mut rows);
        heading(&mut rows, self.transaction.label(), true, false);
        if let Some(pan) = &self.pan {
            pair(&mut rows, "CARD", pan.as_str(), false);
        }
        if let Some(entry) = self.entry_mode {
            pair(&mut rows, "ENTRY", entry.label(), false);
        }
        if let Some(amount) = self.amount {
            pair(&mut rows, "AMOUNT", &amount.to_string(), true);
        }
        rule(&mut rows);
        let response = format!("{} {}", self.response_code, self.response_text);
        if self.is_approved() {
            heading(&mut rows, "APPROVED", true, true);
        } else {
            heading(&mut rows, "DECLINED", true, true);
            pair(&mut rows, "REASON", &response, false);
        }
        if let Some(code) = &self.auth_code {
            pair(&mut rows, "AUTH CODE", code, false);
        }
        if let Some(rrn) = &self.rrn {
            pair(&mut rows, "RRN", rrn, false);
        }
        pair(&mut rows, "STAN", &self.stan, false);
        if self.is_approved() {
            pair(&mut rows, "RESPONSE", &response, false);
        }
        if let Some(balance) = self.balance {
            pair(&mut rows, "BALANCE", &balance.to_string(), false);
        }
        rule(&mut rows);
        heading(&mut rows, self.copy.label(), false, false);
        rows
    }
}
