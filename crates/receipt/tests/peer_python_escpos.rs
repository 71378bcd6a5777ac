//! Cross-check with an independent implementation: python-escpos 3.1's `Dummy` printer.
//!
//! For each operation the peer reports the bytes it emitted; ours must be byte-identical where
//! the two command sets agree. The differences, each asserted below so a change is noticed:
//! 1. python-escpos selects a code page (`ESC t 0`, PC437) before its first text; we select
//!    one only when asked ([`EscPos::code_page`]), since ASCII is the same on every page.
//! 2. Double size: python-escpos sends `ESC ! 0`, `ESC ! 0`, `ESC ! 0x30` (print mode); we send
//!    `GS ! 0x11` (character size). Both double the text, but `ESC !` also sets emphasis, so
//!    python-escpos's double-size text loses the bold set before it; ours stays bold.
//! 3. `cut()` feeds 6 lines first (`ESC d 6`); our `cut` does not feed, so we add `feed(6)`.
//! 4. `cut(feed=False)` sends `GS V 66 0`, a partial cut, even in its default FULL mode; ours
//!    says which cut it sends (`feed_and_cut(Cut::Partial, 0)` is the same bytes).

use receipt::decode::{Line, decode};
use receipt::escpos::{Align, CodePage, Cut, EscPos, Underline};

const SCRIPT: &str = "crates/receipt/tests/peers/python_escpos_ops.py";

/// The peer's bytes for each operation.
fn peer(ops: &[&str]) -> Vec<Vec<u8>> {
    let input = ops.join("\n");
    let out = testkit::run_peer(SCRIPT, &[], input.as_bytes());
    let out = String::from_utf8(out).unwrap();
    let chunks: Vec<Vec<u8>> = out.lines().map(unhex).collect();
    assert_eq!(chunks.len(), ops.len(), "one output line per operation");
    chunks
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn ours(build: impl FnOnce(&mut EscPos)) -> Vec<u8> {
    let mut p = EscPos::new();
    build(&mut p);
    p.into_bytes()
}

#[test]
fn same_bytes_where_the_command_sets_agree() {
    let ops = [
        "init",
        "align center",
        "bold on",
        "textln HELLO",
        "double on",
        "textln BIG",
        "double off",
        "feed 3",
        "cut full",
        "align right",
        "underline 1",
        "underline 2",
        "underline 0",
        "bold off",
        "align left",
        "textln left again",
        "cut part",
        "cut-nofeed",
    ];
    let theirs = peer(&ops);
    let expected: Vec<Vec<u8>> = vec![
        ours(|p| {
            p.init();
        }),
        ours(|p| {
            p.align(Align::Center).unwrap();
        }),
        ours(|p| {
            p.bold(true);
        }),
        // Difference 1: the peer's first text carries its code page selection.
        ours(|p| {
            p.code_page(CodePage::Pc437).line("HELLO").unwrap();
        }),
        // Difference 2: print mode instead of character size.
        b"\x1b!\x00\x1b!\x00\x1b!\x30".to_vec(),
        ours(|p| {
            p.line("BIG").unwrap();
        }),
        b"\x1b!\x00\x1b!\x00\x1b!\x00".to_vec(),
        ours(|p| {
            p.feed(3);
        }),
        // Difference 3: the peer feeds before cutting.
        ours(|p| {
            p.feed(6).cut(Cut::Full);
        }),
        ours(|p| {
            p.align(Align::Right).unwrap();
        }),
        ours(|p| {
            p.underline(Underline::OneDot);
        }),
        ours(|p| {
            p.underline(Underline::TwoDot);
        }),
        ours(|p| {
            p.underline(Underline::Off);
        }),
        ours(|p| {
            p.bold(false);
        }),
        ours(|p| {
            p.align(Align::Left).unwrap();
        }),
        ours(|p| {
            p.line("left again").unwrap();
        }),
        ours(|p| {
            p.feed(6).cut(Cut::Partial);
        }),
        // Difference 4: no feed means a partial cut by function B.
        ours(|p| {
            p.feed_and_cut(Cut::Partial, 0);
        }),
    ];
    for ((op, theirs), ours) in ops.iter().zip(&theirs).zip(&expected) {
        assert_eq!(theirs, ours, "operation {op:?}");
    }
    // The size commands really differ: ours are GS !.
    assert_eq!(
        ours(|p| {
            p.double(true);
        }),
        b"\x1d!\x11"
    );
    assert_eq!(
        ours(|p| {
            p.double(false);
        }),
        b"\x1d!\x00"
    );
}

fn shown(line: &Line) -> (Align, String, bool, bool) {
    let style = line.uniform_style().unwrap_or_default();
    (line.align, line.text(), style.bold, style.is_double())
}

/// The brief's sequence (init, centre, bold, text, double size, text, feed, cut) through both
/// implementations, read back by our decoder: the same page except for difference 2.
#[test]
fn the_same_page_from_both_except_bold_under_print_mode() {
    let ops = [
        "init",
        "align center",
        "bold on",
        "textln TOTAL",
        "double on",
        "textln USD 12.34",
        "feed 2",
        "cut full",
    ];
    let theirs: Vec<u8> = peer(&ops).concat();
    let mine = ours(|p| {
        p.init().align(Align::Center).unwrap().bold(true);
        p.line("TOTAL").unwrap().double(true);
        p.line("USD 12.34").unwrap().feed(2).cut(Cut::Full);
    });

    let theirs = decode(&theirs).unwrap();
    let mine = decode(&mine).unwrap();
    let theirs_lines: Vec<_> = theirs.lines().map(shown).collect();
    let mine_lines: Vec<_> = mine.lines().map(shown).collect();
    let line = |text: &str, bold, double| (Align::Center, text.to_string(), bold, double);
    let blank = || line("", false, false);
    assert_eq!(
        mine_lines,
        [
            line("TOTAL", true, false),
            line("USD 12.34", true, true),
            blank(),
            blank(),
        ]
    );
    // python-escpos: ESC ! 0x30 cleared the emphasis; its cut fed six more lines.
    let mut expected_theirs = vec![line("TOTAL", true, false), line("USD 12.34", false, true)];
    expected_theirs.extend((0..8).map(|_| blank()));
    assert_eq!(theirs_lines, expected_theirs);
    assert_eq!(theirs.cuts().collect::<Vec<_>>(), [Cut::Full]);
    assert_eq!(mine.cuts().collect::<Vec<_>>(), [Cut::Full]);
}
