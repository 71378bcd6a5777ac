//! Receipts shared by the integration tests.
#![allow(dead_code)]

use receipt::{
    Amount, Currency, DateTime, EntryMode, Receipt, ReceiptCopy, ReceiptFields, TransactionType,
};

/// An approved chip sale of USD 12.34, customer copy.
pub fn approved_fields() -> ReceiptFields<'static> {
    ReceiptFields {
        merchant_name: "CORNER CAFE",
        merchant_id: "000000000012345",
        terminal_id: "TERM0001",
        date_time: DateTime::new(2025, 3, 14, 9, 26, 53).unwrap(),
        transaction: TransactionType::Sale,
        masked_pan: Some("476173******0119"),
        entry_mode: Some(EntryMode::Chip),
        amount: Some(Amount::new(1234, Currency::USD)),
        auth_code: Some("A1B2C3"),
        rrn: Some("507309000123"),
        stan: "000123",
        response_code: "00",
        response_text: "Approved",
        balance: None,
        copy: ReceiptCopy::Customer,
    }
}

/// A swiped sale of KWD 1.234 declined for insufficient funds, merchant copy, with a merchant
/// name long enough to wrap.
pub fn declined_fields() -> ReceiptFields<'static> {
    ReceiptFields {
        merchant_name: "CORNER CAFE & BAKERY ON MAIN STREET",
        date_time: DateTime::new(2025, 3, 14, 9, 31, 7).unwrap(),
        masked_pan: Some("541333******4111"),
        entry_mode: Some(EntryMode::Swipe),
        amount: Some(Amount::new(1234, Currency::KWD)),
        auth_code: None,
        rrn: Some("507309000124"),
        stan: "000124",
        response_code: "51",
        response_text: "Insufficient funds",
        copy: ReceiptCopy::Merchant,
        ..approved_fields()
    }
}

pub fn approved() -> Receipt {
    Receipt::new(approved_fields()).unwrap()
}

pub fn declined() -> Receipt {
    Receipt::new(declined_fields()).unwrap()
}
