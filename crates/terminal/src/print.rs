//! Receipts for transaction results: the `receipt` crate's ESC/POS and text renderings, fed
//! from what the terminal knows (the PAN already masked to first 6 and last 4).

use receipt::money::{Amount, Currency};
use receipt::{EntryMode as ReceiptEntry, Receipt, ReceiptCopy, ReceiptFields, TransactionType};

use crate::card::EntryMode;
use crate::config::Config;
use crate::result::TransactionResult;
use crate::txn::TxnKind;

/// Why a receipt could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("currency {0:?} has no receipt format")]
    Currency(String),
    #[error("date {0}")]
    Date(#[from] receipt::DateTimeError),
    #[error("receipt: {0}")]
    Receipt(#[from] receipt::ReceiptError),
}

fn two(s: &str, at: usize) -> u8 {
    s.get(at..at + 2).and_then(|d| d.parse().ok()).unwrap_or(0)
}

/// The receipt of `result`, dated from its local fields 13 (MMDD) and 12 (hhmmss) in `year`.
pub fn receipt_for(
    result: &TransactionResult,
    config: &Config,
    year: u16,
    copy: ReceiptCopy,
) -> Result<Receipt, PrintError> {
    let numeric: u16 = result.currency.parse().unwrap_or(0);
    let currency = Currency::from_numeric(numeric)
        .ok_or_else(|| PrintError::Currency(result.currency.clone()))?;
    let s = &result.stamp;
    let date_time = receipt::DateTime::new(
        year,
        two(&s.local_date, 0),
        two(&s.local_date, 2),
        two(&s.local_time, 0),
        two(&s.local_time, 2),
        two(&s.local_time, 4),
    )?;
    let transaction = match result.kind {
        TxnKind::Purchase => TransactionType::Sale,
        TxnKind::Refund => TransactionType::Refund,
        TxnKind::Balance => TransactionType::Balance,
        TxnKind::PreAuth => TransactionType::PreAuth,
        TxnKind::Completion => TransactionType::Completion,
        TxnKind::OfflineAdvice => TransactionType::Sale,
    };
    let entry_mode = match result.entry_mode {
        EntryMode::Keyed => ReceiptEntry::Keyed,
        EntryMode::Swiped => ReceiptEntry::Swipe,
        EntryMode::Chip => ReceiptEntry::Chip,
        EntryMode::Fallback => ReceiptEntry::Fallback,
    };
    let balance = result.balance.as_ref().and_then(|b| {
        let c = Currency::from_numeric(b.currency)?;
        // A debit balance prints as zero available: the receipt has no sign.
        Some(Amount::new(u64::try_from(b.amount_minor).unwrap_or(0), c))
    });
    let amount =
        (result.kind != TxnKind::Balance).then(|| Amount::new(result.amount_minor, currency));
    let stan = result.stan.to_string();
    let fields = ReceiptFields {
        merchant_name: &config.merchant_name,
        merchant_id: &config.merchant_id,
        terminal_id: &config.terminal_id,
        date_time,
        transaction,
        masked_pan: Some(&result.masked_pan),
        entry_mode: Some(entry_mode),
        amount,
        auth_code: result.auth_code.as_deref(),
        rrn: Some(&result.rrn),
        stan: &stan,
        response_code: result.response_code.as_str(),
        response_text: result.response_text,
        balance,
        copy,
    };
    Ok(Receipt::new(fields)?)
}
