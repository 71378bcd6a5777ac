//! Hostile input: whatever bytes arrive, the issuer answers (30 where the MTI is readable) or
//! drops the message, never fails the batch, never panics, never moves money wrongly, and its
//! debug output never shows a PAN.

mod common;

use common::*;
use issuer::Disposition;
use proptest::prelude::*;

/// Sends `frame`; returns the answer's field 39 and field 4, if any.
fn check_answer(
    b: &mut Bank<ledger::MemoryStorage>,
    frame: &[u8],
) -> Result<(Option<String>, Option<String>), TestCaseError> {
    b.advance(1);
    let answer = b.issuer.handle(&mut b.ledger, frame, b.now);
    prop_assert!(answer.is_ok(), "{:?}", answer);
    let answer = answer.unwrap();
    let mut fields = (None, None);
    match &answer.response {
        None => prop_assert_eq!(answer.disposition, Disposition::Dropped),
        Some(bytes) => {
            let spec = iso8583::specs::iso87_ascii_bbitmap();
            let reply = spec.unpack(bytes);
            prop_assert!(reply.is_ok(), "the response must decode");
            let reply = reply.unwrap();
            let code = answer.code.map(|c| c.as_str().to_owned());
            prop_assert_eq!(reply.text(39), code.as_deref());
            fields = (code, reply.text(4).map(str::to_owned));
        }
    }
    let shown = format!("{answer:?}");
    prop_assert!(!shown.contains(ALICE), "{}", shown);
    Ok(fields)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(frame in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut b = bank();
        check_answer(&mut b, &frame)?;
        prop_assert!(b.issuer.audit(&b.ledger).unwrap().is_clean());
    }

    #[test]
    fn damaged_valid_frames(
        cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        len in any::<prop::sample::Index>(),
        kind in 0..4u8,
    ) {
        let mut b = bank();
        let original = match kind {
            0 => purchase(ALICE, 1_234, 1),
            1 => preauth(ALICE, 1_234, 1),
            2 => reversal(&purchase(ALICE, 1_234, 9), 1),
            _ => settlement(1, (0, 0), (0, 0)),
        };
        let mut frame = original.pack();
        for (at, byte) in cuts {
            let i = at.index(frame.len());
            frame[i] = byte;
        }
        frame.truncate(len.index(frame.len() + 1));
        let (code, amount) = check_answer(&mut b, &frame)?;
        // Whatever it decided, the books hold, and money moved only as approved.
        prop_assert!(b.issuer.audit(&b.ledger).unwrap().is_clean());
        let spent = 100_000 - b.available(ALICE);
        if spent != 0 {
            prop_assert_eq!(code.as_deref(), Some("00"));
            prop_assert_eq!(amount.and_then(|a| a.parse::<i128>().ok()), Some(spent));
        }
    }
}

#[test]
fn debug_output_never_shows_a_pan() {
    let mut b = bank();
    let a = b.answer(&purchase(ALICE, 100, 1));
    for shown in [
        format!("{a:?}"),
        format!("{:?}", b.issuer),
        format!("{:?}", config()),
        a.reason.clone(),
    ] {
        assert!(!shown.contains(ALICE), "{shown}");
    }
    let a = b.answer(&purchase("4761739001010011", 100, 2));
    assert_eq!(a.reason, "PAN 476173******0011 fails the Luhn check");
}
