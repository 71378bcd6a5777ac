//! Properties: the decoder never panics and reads back what the builder wrote.

use proptest::prelude::*;
use receipt::decode::{Limits, Style, decode, decode_with};
use receipt::escpos::{Align, EscPos, Size};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
    }

    /// Mostly valid command prefixes, so the fuzzing reaches past the first byte.
    #[test]
    fn decoder_never_panics_on_command_soup(
        parts in proptest::collection::vec(
            prop_oneof![
                Just(vec![0x1b]), Just(vec![0x1d]), Just(vec![0x0a]),
                Just(b"\x1ba".to_vec()), Just(b"\x1bd".to_vec()), Just(b"\x1d!".to_vec()),
                Just(b"\x1dV".to_vec()), Just(b"\x1b!".to_vec()), Just(b"\x1b@".to_vec()),
                any::<u8>().prop_map(|b| vec![b]),
                "[ -~]{0,8}".prop_map(String::into_bytes),
            ],
            0..64,
        )
    ) {
        let bytes: Vec<u8> = parts.concat();
        let limits = Limits { items_max: 500 };
        if let Ok(d) = decode_with(&bytes, limits) {
            prop_assert!(d.items.len() <= 500);
        }
    }

    /// Lines written with a chosen alignment, emphasis and size decode to the same text and
    /// attributes.
    #[test]
    fn builder_and_decoder_agree(
        rows in proptest::collection::vec(
            (0u8..3, any::<bool>(), 1u8..=8, 1u8..=8, "[ -~]{0,40}"),
            0..20,
        )
    ) {
        let mut p = EscPos::new();
        p.init();
        for (align, bold, w, h, text) in &rows {
            let align = [Align::Left, Align::Center, Align::Right][usize::from(*align)];
            p.align(align).unwrap().bold(*bold).size(Size::new(*w, *h).unwrap());
            p.line(text).unwrap();
        }
        let decoded = decode(p.bytes()).unwrap();
        let lines: Vec<_> = decoded.lines().collect();
        prop_assert_eq!(lines.len(), rows.len());
        for (line, (align, bold, w, h, text)) in lines.iter().zip(&rows) {
            prop_assert_eq!(line.align.code(), *align);
            prop_assert_eq!(&line.text(), text);
            if !text.is_empty() {
                prop_assert_eq!(
                    line.uniform_style(),
                    Some(Style { bold: *bold, width: *w, height: *h, ..Style::default() })
                );
            }
        }
    }
}
