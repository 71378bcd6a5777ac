//! Receipts for posnet: what the terminal prints after step 6 of the flow.
//!
//! - [`escpos`]: a builder of ESC/POS bytes (Epson's command set for receipt printers).
//! - [`decode`]: ESC/POS bytes back into lines of text with their alignment and style.
//! - [`receipt`]: the [`Receipt`] itself, checked when built, rendered to ESC/POS or plain text.
//! - [`sink`]: where a receipt goes: a file, standard output, a raw network printer, nowhere.
//!
//! ```
//! use receipt::{Amount, Currency, DateTime, EntryMode, Receipt, ReceiptCopy, ReceiptFields,
//!               TransactionType, Width};
//! let receipt = Receipt::new(ReceiptFields {
//!     merchant_name: "CORNER CAFE",
//!     merchant_id: "000000000012345",
//!     terminal_id: "TERM0001",
//!     date_time: DateTime::new(2025, 3, 14, 9, 26, 53).unwrap(),
//!     transaction: TransactionType::Sale,
//!     masked_pan: Some("476173******0119"),
//!     entry_mode: Some(EntryMode::Chip),
//!     amount: Some(Amount::new(1234, Currency::USD)),
//!     auth_code: Some("A1B2C3"),
//!     rrn: Some("507309000123"),
//!     stan: "000123",
//!     response_code: "00",
//!     response_text: "Approved",
//!     balance: None,
//!     copy: ReceiptCopy::Customer,
//! })
//! .unwrap();
//! let text = receipt.to_text(Width::W32);
//! assert!(text.lines().any(|l| l == "AMOUNT                 USD 12.34"));
//! let printed = receipt::decode::decode(&receipt.to_escpos()).unwrap();
//! assert!(printed.lines().any(|l| l.text() == "APPROVED"));
//! ```
//!
//! Only [`sink`] does I/O; everything else is pure.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![forbid(unsafe_code)]

pub mod datetime;
pub mod decode;
pub mod escpos;
mod layout;
pub mod money;
pub mod pan;
pub mod receipt;
pub mod sink;

pub use datetime::{DateTime, DateTimeError};
pub use decode::{DecodeError, Decoded, Line};
pub use escpos::{Align, EscPos, EscPosError};
pub use layout::Width;
pub use money::{Amount, Currency};
pub use pan::{MaskedPan, MaskedPanError};
pub use receipt::{EntryMode, Receipt, ReceiptCopy, ReceiptError, ReceiptFields, TransactionType};
pub use sink::{Printer, Sink, SinkError, Target, TargetError};
