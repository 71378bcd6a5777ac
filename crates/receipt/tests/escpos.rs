//! ESC/POS: exact bytes of each command, and every line of the printed receipts read back
//! through the decoder with its alignment, emphasis and size.

mod common;

use receipt::decode::{Item, Line, decode};
use receipt::escpos::{Align, CodePage, Cut, EscPos, Size, Underline};
use receipt::{Receipt, Width};

use Align::{Center, Left};

/// Each command's bytes as Epson's ESC/POS reference lists them.
#[test]
fn command_bytes() {
    let cases: Vec<(Vec<u8>, &[u8])> = vec![
        (EscPos::new().init().bytes().to_vec(), b"\x1b\x40"),
        (
            EscPos::new().align(Align::Left).unwrap().bytes().to_vec(),
            b"\x1b\x61\x00",
        ),
        (
            EscPos::new().align(Align::Center).unwrap().bytes().to_vec(),
            b"\x1b\x61\x01",
        ),
        (
            EscPos::new().align(Align::Right).unwrap().bytes().to_vec(),
            b"\x1b\x61\x02",
        ),
        (EscPos::new().bold(true).bytes().to_vec(), b"\x1b\x45\x01"),
        (EscPos::new().bold(false).bytes().to_vec(), b"\x1b\x45\x00"),
        (
            EscPos::new().underline(Underline::Off).bytes().to_vec(),
            b"\x1b\x2d\x00",
        ),
        (
            EscPos::new().underline(Underline::OneDot).bytes().to_vec(),
            b"\x1b\x2d\x01",
        ),
        (
            EscPos::new().underline(Underline::TwoDot).bytes().to_vec(),
            b"\x1b\x2d\x02",
        ),
        (EscPos::new().double(true).bytes().to_vec(), b"\x1d\x21\x11"),
        (
            EscPos::new().double(false).bytes().to_vec(),
            b"\x1d\x21\x00",
        ),
        (
            EscPos::new().size(Size::DOUBLE_WIDTH).bytes().to_vec(),
            b"\x1d\x21\x10",
        ),
        (
            EscPos::new().size(Size::DOUBLE_HEIGHT).bytes().to_vec(),
            b"\x1d\x21\x01",
        ),
        (
            EscPos::new()
                .size(Size::new(3, 4).unwrap())
                .bytes()
                .to_vec(),
            b"\x1d\x21\x23",
        ),
        (EscPos::new().lf().bytes().to_vec(), b"\x0a"),
        (EscPos::new().feed(5).bytes().to_vec(), b"\x1b\x64\x05"),
        (
            EscPos::new().cut(Cut::Full).bytes().to_vec(),
            b"\x1d\x56\x00",
        ),
        (
            EscPos::new().cut(Cut::Partial).bytes().to_vec(),
            b"\x1d\x56\x01",
        ),
        (
            EscPos::new().feed_and_cut(Cut::Full, 0).bytes().to_vec(),
            b"\x1d\x56\x41\x00",
        ),
        (
            EscPos::new().feed_and_cut(Cut::Partial, 3).bytes().to_vec(),
            b"\x1d\x56\x42\x03",
        ),
        (
            EscPos::new().code_page(CodePage::Pc437).bytes().to_vec(),
            b"\x1b\x74\x00",
        ),
        (
            EscPos::new().code_page(CodePage::Pc858).bytes().to_vec(),
            b"\x1b\x74\x13",
        ),
        (
            EscPos::new().line("AB 1").unwrap().bytes().to_vec(),
            b"AB 1\n",
        ),
    ];
    for (ours, expected) in cases {
        assert_eq!(ours, expected);
    }
}

/// A line as (alignment, text, bold, double size); every span of the line shares the style.
fn seen(line: &Line) -> (Align, String, bool, bool) {
    let style = line
        .uniform_style()
        .unwrap_or_else(|| panic!("mixed or no style on {line:?}"));
    assert_eq!(style.underline, Underline::Off);
    assert!(
        style.is_double() || (style.width, style.height) == (1, 1),
        "{style:?}"
    );
    (line.align, line.text(), style.bold, style.is_double())
}

fn printed(bytes: &[u8]) -> Vec<(Align, String, bool, bool)> {
    let decoded = decode(bytes).unwrap();
    // One cut, last: a partial cut after feeding past the cutter.
    assert_eq!(decoded.items.last(), Some(&Item::Cut(Cut::Partial)));
    assert_eq!(decoded.cuts().count(), 1);
    assert!(bytes.starts_with(b"\x1b@"));
    assert!(bytes.ends_with(b"\x1dVB\x00"));
    decoded.lines().map(seen).collect()
}

fn expect(rows: &[(Align, &str, bool, bool)]) -> Vec<(Align, String, bool, bool)> {
    rows.iter()
        .map(|&(a, t, b, d)| (a, t.to_string(), b, d))
        .collect()
}

#[test]
fn approved_receipt_reads_back_line_by_line() {
    let r: Receipt = common::approved();
    assert_eq!(
        printed(&r.to_escpos()),
        expect(&[
            (Center, "CORNER CAFE", true, true),
            (
                Left,
                "MERCHANT ID                      000000000012345",
                false,
                false
            ),
            (
                Left,
                "TERMINAL ID                             TERM0001",
                false,
                false
            ),
            (
                Left,
                "DATE 2025-03-14                    TIME 09:26:53",
                false,
                false
            ),
            (
                Left,
                "------------------------------------------------",
                false,
                false
            ),
            (Center, "SALE", true, false),
            (
                Left,
                "CARD                            476173******0119",
                false,
                false
            ),
            (
                Left,
                "ENTRY                                       CHIP",
                false,
                false
            ),
            (
                Left,
                "AMOUNT                                 USD 12.34",
                true,
                false
            ),
            (
                Left,
                "------------------------------------------------",
                false,
                false
            ),
            (Center, "APPROVED", true, true),
            (
                Left,
                "AUTH CODE                                 A1B2C3",
                false,
                false
            ),
            (
                Left,
                "RRN                                 507309000123",
                false,
                false
            ),
            (
                Left,
                "STAN                                      000123",
                false,
                false
            ),
            (
                Left,
                "RESPONSE                             00 Approved",
                false,
                false
            ),
            (
                Left,
                "------------------------------------------------",
                false,
                false
            ),
            (Center, "CUSTOMER COPY", false, false),
        ])
    );
}

#[test]
fn declined_receipt_reads_back_line_by_line_at_32_columns() {
    // Double-size text fits 16 characters on 58 mm paper: the merchant name wraps.
    assert_eq!(
        printed(&common::declined().to_escpos_width(Width::W32)),
        expect(&[
            (Center, "CORNER CAFE &", true, true),
            (Center, "BAKERY ON MAIN", true, true),
            (Center, "STREET", true, true),
            (Left, "MERCHANT ID      000000000012345", false, false),
            (Left, "TERMINAL ID             TERM0001", false, false),
            (Left, "DATE 2025-03-14    TIME 09:31:07", false, false),
            (Left, "--------------------------------", false, false),
            (Center, "SALE", true, false),
            (Left, "CARD            541333******4111", false, false),
            (Left, "ENTRY                      SWIPE", false, false),
            (Left, "AMOUNT                 KWD 1.234", true, false),
            (Left, "--------------------------------", false, false),
            (Center, "DECLINED", true, true),
            (Left, "REASON     51 Insufficient funds", false, false),
            (Left, "RRN                 507309000124", false, false),
            (Left, "STAN                      000124", false, false),
            (Left, "--------------------------------", false, false),
            (Center, "MERCHANT COPY", false, false),
        ])
    );
}

#[test]
fn declined_receipt_reads_back_line_by_line_at_48_columns() {
    assert_eq!(
        printed(&common::declined().to_escpos()),
        expect(&[
            (Center, "CORNER CAFE & BAKERY ON", true, true),
            (Center, "MAIN STREET", true, true),
            (
                Left,
                "MERCHANT ID                      000000000012345",
                false,
                false
            ),
            (
                Left,
                "TERMINAL ID                             TERM0001",
                false,
                false
            ),
            (
                Left,
                "DATE 2025-03-14                    TIME 09:31:07",
                false,
                false
            ),
            (
                Left,
                "------------------------------------------------",
                false,
                false
            ),
            (Center, "SALE", true, false),
            (
                Left,
                "CARD                            541333******4111",
                false,
                false
            ),
            (
                Left,
                "ENTRY                                      SWIPE",
                false,
                false
            ),
            (
                Left,
                "AMOUNT                                 KWD 1.234",
                true,
                false
            ),
            (
                Left,
                "------------------------------------------------",
                false,
                false
            ),
            (Center, "DECLINED", true, true),
            (
                Left,
                "REASON                     51 Insufficient funds",
                false,
                false
            ),
            (
                Left,
                "RRN                                 507309000124",
                false,
                false
            ),
            (
                Left,
                "STAN                                      000124",
                false,
                false
            ),
            (
                Left,
                "------------------------------------------------",
                false,
                false
            ),
            (Center, "MERCHANT COPY", false, false),
        ])
    );
}

/// The renderer sends a style command only when the style changes.
#[test]
fn receipt_bytes_start_and_end_as_expected() {
    let bytes = common::approved().to_escpos();
    let head: &[u8] =
        b"\x1b@\x1ba\x01\x1bE\x01\x1d!\x11CORNER CAFE\n\x1ba\x00\x1bE\x00\x1d!\x00MERCHANT ID";
    assert!(
        bytes.starts_with(head),
        "{:?}",
        String::from_utf8_lossy(&bytes[..80])
    );
    let tail: &[u8] = b"\n\x1ba\x01CUSTOMER COPY\n\x1dVB\x00";
    assert!(bytes.ends_with(tail));
}
