//! Plain-text rendering: every line of each receipt at each width. The expected lines were
//! written out column by column (label at the left, value at the right, headings centred with
//! the odd space on the right, no trailing spaces).

mod common;

use receipt::{
    Amount, Currency, EntryMode, Receipt, ReceiptCopy, ReceiptError, ReceiptFields,
    TransactionType, Width,
};

fn lines(r: &Receipt, width: Width) -> Vec<String> {
    let text = r.to_text(width);
    assert!(text.ends_with('\n'));
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    for l in &lines {
        assert!(l.len() <= width.columns(), "{l:?} is wider than {width:?}");
        assert_eq!(l.trim_end(), l, "trailing spaces in {l:?}");
    }
    lines
}

#[test]
fn approved_at_32_columns() {
    assert_eq!(
        lines(&common::approved(), Width::W32),
        [
            "          CORNER CAFE",
            "MERCHANT ID      000000000012345",
            "TERMINAL ID             TERM0001",
            "DATE 2025-03-14    TIME 09:26:53",
            "--------------------------------",
            "              SALE",
            "CARD            476173******0119",
            "ENTRY                       CHIP",
            "AMOUNT                 USD 12.34",
            "--------------------------------",
            "            APPROVED",
            "AUTH CODE                 A1B2C3",
            "RRN                 507309000123",
            "STAN                      000123",
            "RESPONSE             00 Approved",
            "--------------------------------",
            "         CUSTOMER COPY",
        ]
    );
}

#[test]
fn approved_at_42_columns() {
    assert_eq!(
        lines(&common::approved(), Width::W42),
        [
            "               CORNER CAFE",
            "MERCHANT ID                000000000012345",
            "TERMINAL ID                       TERM0001",
            "DATE 2025-03-14              TIME 09:26:53",
            "------------------------------------------",
            "                   SALE",
            "CARD                      476173******0119",
            "ENTRY                                 CHIP",
            "AMOUNT                           USD 12.34",
            "------------------------------------------",
            "                 APPROVED",
            "AUTH CODE                           A1B2C3",
            "RRN                           507309000123",
            "STAN                                000123",
            "RESPONSE                       00 Approved",
            "------------------------------------------",
            "              CUSTOMER COPY",
        ]
    );
}

#[test]
fn approved_at_48_columns() {
    assert_eq!(
        lines(&common::approved(), Width::W48),
        [
            "                  CORNER CAFE",
            "MERCHANT ID                      000000000012345",
            "TERMINAL ID                             TERM0001",
            "DATE 2025-03-14                    TIME 09:26:53",
            "------------------------------------------------",
            "                      SALE",
            "CARD                            476173******0119",
            "ENTRY                                       CHIP",
            "AMOUNT                                 USD 12.34",
            "------------------------------------------------",
            "                    APPROVED",
            "AUTH CODE                                 A1B2C3",
            "RRN                                 507309000123",
            "STAN                                      000123",
            "RESPONSE                             00 Approved",
            "------------------------------------------------",
            "                 CUSTOMER COPY",
        ]
    );
}

#[test]
fn declined_at_32_columns() {
    assert_eq!(
        lines(&common::declined(), Width::W32),
        [
            "  CORNER CAFE & BAKERY ON MAIN",
            "             STREET",
            "MERCHANT ID      000000000012345",
            "TERMINAL ID             TERM0001",
            "DATE 2025-03-14    TIME 09:31:07",
            "--------------------------------",
            "              SALE",
            "CARD            541333******4111",
            "ENTRY                      SWIPE",
            "AMOUNT                 KWD 1.234",
            "--------------------------------",
            "            DECLINED",
            "REASON     51 Insufficient funds",
            "RRN                 507309000124",
            "STAN                      000124",
            "--------------------------------",
            "         MERCHANT COPY",
        ]
    );
}

#[test]
fn declined_at_42_columns() {
    assert_eq!(
        lines(&common::declined(), Width::W42),
        [
            "   CORNER CAFE & BAKERY ON MAIN STREET",
            "MERCHANT ID                000000000012345",
            "TERMINAL ID                       TERM0001",
            "DATE 2025-03-14              TIME 09:31:07",
            "------------------------------------------",
            "                   SALE",
            "CARD                      541333******4111",
            "ENTRY                                SWIPE",
            "AMOUNT                           KWD 1.234",
            "------------------------------------------",
            "                 DECLINED",
            "REASON               51 Insufficient funds",
            "RRN                           507309000124",
            "STAN                                000124",
            "------------------------------------------",
            "              MERCHANT COPY",
        ]
    );
}

#[test]
fn declined_at_48_columns() {
    assert_eq!(
        lines(&common::declined(), Width::W48),
        [
            "      CORNER CAFE & BAKERY ON MAIN STREET",
            "MERCHANT ID                      000000000012345",
            "TERMINAL ID                             TERM0001",
            "DATE 2025-03-14                    TIME 09:31:07",
            "------------------------------------------------",
            "                      SALE",
            "CARD                            541333******4111",
            "ENTRY                                      SWIPE",
            "AMOUNT                                 KWD 1.234",
            "------------------------------------------------",
            "                    DECLINED",
            "REASON                     51 Insufficient funds",
            "RRN                                 507309000124",
            "STAN                                      000124",
            "------------------------------------------------",
            "                 MERCHANT COPY",
        ]
    );
}

#[test]
fn balance_inquiry_in_yen_prints_the_balance_and_no_amount() {
    let r = Receipt::new(ReceiptFields {
        transaction: TransactionType::Balance,
        entry_mode: Some(EntryMode::Contactless),
        amount: None,
        balance: Some(Amount::new(150_000, Currency::JPY)),
        ..common::approved_fields()
    })
    .unwrap();
    assert_eq!(
        lines(&r, Width::W32),
        [
            "          CORNER CAFE",
            "MERCHANT ID      000000000012345",
            "TERMINAL ID             TERM0001",
            "DATE 2025-03-14    TIME 09:26:53",
            "--------------------------------",
            "            BALANCE",
            "CARD            476173******0119",
            "ENTRY                CONTACTLESS",
            "--------------------------------",
            "            APPROVED",
            "AUTH CODE                 A1B2C3",
            "RRN                 507309000123",
            "STAN                      000123",
            "RESPONSE             00 Approved",
            "BALANCE               JPY 150000",
            "--------------------------------",
            "         CUSTOMER COPY",
        ]
    );
}

#[test]
fn amounts_in_zero_two_and_three_decimal_currencies() {
    for (minor, currency, shown) in [
        (0, Currency::USD, "USD 0.00"),
        (5, Currency::EUR, "EUR 0.05"),
        (99, Currency::GBP, "GBP 0.99"),
        (1_234_567, Currency::CNY, "CNY 12345.67"),
        (0, Currency::JPY, "JPY 0"),
        (123_456, Currency::JPY, "JPY 123456"),
        (1, Currency::KWD, "KWD 0.001"),
        (1_234_500, Currency::KWD, "KWD 1234.500"),
    ] {
        let r = Receipt::new(ReceiptFields {
            amount: Some(Amount::new(minor, currency)),
            ..common::approved_fields()
        })
        .unwrap();
        let amount_lines: Vec<String> = lines(&r, Width::W32)
            .into_iter()
            .filter(|l| l.starts_with("AMOUNT"))
            .collect();
        let gap = " ".repeat(32 - "AMOUNT".len() - shown.len());
        assert_eq!(amount_lines, [format!("AMOUNT{gap}{shown}")]);
    }
}

#[test]
fn a_long_decline_reason_wraps_under_its_label() {
    let r = Receipt::new(ReceiptFields {
        response_code: "57",
        response_text: "Transaction not permitted to cardholder",
        ..common::declined_fields()
    })
    .unwrap();
    let all = lines(&r, Width::W32);
    let at = all.iter().position(|l| l == "REASON").unwrap();
    assert_eq!(
        all[at - 1..at + 4],
        [
            "            DECLINED",
            "REASON",
            " 57 Transaction not permitted to",
            "                      cardholder",
            "RRN                 507309000124",
        ]
    );
    // At 48 columns the 42-character reason fits on one line, still not beside its label.
    let all = lines(&r, Width::W48);
    let at = all.iter().position(|l| l == "REASON").unwrap();
    assert_eq!(
        all[at + 1],
        "      57 Transaction not permitted to cardholder"
    );
}

#[test]
fn settlement_has_no_card_lines() {
    let r = Receipt::new(ReceiptFields {
        transaction: TransactionType::Settlement,
        masked_pan: None,
        entry_mode: None,
        amount: Some(Amount::new(1_234_567, Currency::USD)),
        auth_code: None,
        rrn: None,
        ..common::approved_fields()
    })
    .unwrap();
    assert_eq!(
        lines(&r, Width::W32)[4..10],
        [
            "--------------------------------",
            "           SETTLEMENT",
            "AMOUNT              USD 12345.67",
            "--------------------------------",
            "            APPROVED",
            "STAN                      000123",
        ]
    );
}

#[test]
fn merchant_copy_is_the_same_receipt_with_another_last_line() {
    let customer = lines(&common::approved(), Width::W42);
    let merchant = lines(
        &common::approved().with_copy(ReceiptCopy::Merchant),
        Width::W42,
    );
    assert_eq!(
        customer[..customer.len() - 1],
        merchant[..merchant.len() - 1]
    );
    assert_eq!(merchant.last().unwrap(), "              MERCHANT COPY");
}

#[test]
fn a_pan_with_too_many_digits_is_refused() {
    use receipt::MaskedPanError;
    for (pan, position) in [
        ("4761739001010119", 6),
        ("4761731*****0119", 6),
        ("476173*****90119", 11),
        ("476173****010119", 10),
    ] {
        assert_eq!(
            Receipt::new(ReceiptFields {
                masked_pan: Some(pan),
                ..common::approved_fields()
            }),
            Err(ReceiptError::Pan(MaskedPanError::TooManyDigitsVisible {
                position
            })),
            "{pan}"
        );
    }
    let err = Receipt::new(ReceiptFields {
        masked_pan: Some("4761739001010119"),
        ..common::approved_fields()
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "masked PAN refused: masked PAN shows a digit at position 6: only the first 6 and last 4 may be visible"
    );
}

#[test]
fn fields_are_checked_by_name() {
    let check = |fields: ReceiptFields<'static>, expected: ReceiptError| {
        assert_eq!(Receipt::new(fields), Err(expected));
    };
    let base = common::approved_fields;
    check(
        ReceiptFields {
            merchant_name: "CAF\u{c9} ROUGE",
            ..base()
        },
        ReceiptError::BadCharacter {
            field: "merchant name",
            position: 3,
            allowed: "printable ASCII",
        },
    );
    check(
        ReceiptFields {
            merchant_name: "   ",
            ..base()
        },
        ReceiptError::Empty {
            field: "merchant name",
        },
    );
    check(
        ReceiptFields {
            terminal_id: "TERM00001",
            ..base()
        },
        ReceiptError::TooLong {
            field: "terminal id",
            len: 9,
            max: 8,
        },
    );
    check(
        ReceiptFields {
            stan: "12345",
            ..base()
        },
        ReceiptError::WrongLength {
            field: "STAN",
            len: 5,
            expected: 6,
        },
    );
    check(
        ReceiptFields {
            stan: "00012A",
            ..base()
        },
        ReceiptError::BadCharacter {
            field: "STAN",
            position: 5,
            allowed: "a digit",
        },
    );
    check(
        ReceiptFields {
            auth_code: Some("A1-B2"),
            ..base()
        },
        ReceiptError::BadCharacter {
            field: "authorization code",
            position: 2,
            allowed: "an ASCII letter or digit",
        },
    );
    check(
        ReceiptFields {
            response_code: "0",
            ..base()
        },
        ReceiptError::WrongLength {
            field: "response code",
            len: 1,
            expected: 2,
        },
    );
    check(
        ReceiptFields {
            response_text: "Approved\n",
            ..base()
        },
        ReceiptError::BadCharacter {
            field: "response text",
            position: 8,
            allowed: "printable ASCII",
        },
    );
    check(
        ReceiptFields {
            masked_pan: None,
            ..base()
        },
        ReceiptError::Missing {
            field: "a masked PAN",
            transaction: TransactionType::Sale,
        },
    );
    check(
        ReceiptFields {
            entry_mode: None,
            ..base()
        },
        ReceiptError::Missing {
            field: "an entry mode",
            transaction: TransactionType::Sale,
        },
    );
    check(
        ReceiptFields {
            transaction: TransactionType::Refund,
            amount: None,
            ..base()
        },
        ReceiptError::Missing {
            field: "an amount",
            transaction: TransactionType::Refund,
        },
    );
}
