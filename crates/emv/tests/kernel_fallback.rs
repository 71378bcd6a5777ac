//! Magnetic stripe fallback and service code rules (ISO/IEC 7813 service code digits,
//! EMV Book 4 section 11.1).

use emv::kernel::TransactionType::{Cash, Purchase};
use emv::kernel::fallback::{
    ChipAttempt, ServiceCode, ServiceCodeError, SwipeDecision, swipe_decision,
};

fn code(s: &str) -> ServiceCode {
    ServiceCode::from_ascii(s.as_bytes()).unwrap()
}

#[test]
fn service_code_from_track_2() {
    // Track 2 of the widely published Visa test card 4761 7390 0101 0010, service code 201.
    assert_eq!(
        ServiceCode::from_track2_ascii(b";4761739001010010=30122011143804400000?"),
        Ok(ServiceCode([2, 0, 1]))
    );
    let equivalent = [
        0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x00, 0x10, 0xD3, 0x01, 0x22, 0x01, 0x11, 0x43, 0x8F,
    ];
    assert_eq!(
        ServiceCode::from_track2_equivalent(&equivalent),
        Ok(ServiceCode([2, 0, 1]))
    );
    assert_eq!(
        ServiceCode::from_track2_ascii(b"4761739001010010"),
        Err(ServiceCodeError::NoSeparator)
    );
    assert_eq!(
        ServiceCode::from_track2_ascii(b"4761739001010010=30122"),
        Err(ServiceCodeError::Truncated { digits: 5 })
    );
    assert_eq!(
        ServiceCode::from_track2_ascii(b"4761=30122A1"),
        Err(ServiceCodeError::NotDigit { position: 1 })
    );
    assert_eq!(
        ServiceCode::from_track2_equivalent(&[0x47, 0x61, 0xD3, 0x01, 0x2F]),
        Err(ServiceCodeError::Truncated { digits: 4 })
    );
}

#[test]
fn chip_cards_go_to_the_chip_first_and_fall_back_online() {
    let chip = code("201");
    assert!(chip.has_chip());
    assert_eq!(
        swipe_decision(chip, ChipAttempt::NotTried, Purchase, false, true),
        SwipeDecision::InsertChip
    );
    let fallback = swipe_decision(chip, ChipAttempt::Failed, Purchase, false, true);
    assert_eq!(
        fallback,
        SwipeDecision::Proceed {
            fallback: true,
            online_required: true,
            pin_required: false
        }
    );
    assert_eq!(fallback.pos_entry_mode(), Some(0x80));
    assert_eq!(SwipeDecision::InsertChip.pos_entry_mode(), None);
}

#[test]
fn stripe_only_cards_by_their_digits() {
    let plain = swipe_decision(code("101"), ChipAttempt::NotTried, Purchase, false, true);
    assert_eq!(
        plain,
        SwipeDecision::Proceed {
            fallback: false,
            online_required: false,
            pin_required: false
        }
    );
    assert_eq!(plain.pos_entry_mode(), Some(0x90));
    // Second digit 2: online; third digit 0: PIN.
    assert_eq!(
        swipe_decision(code("120"), ChipAttempt::NotTried, Purchase, false, true),
        SwipeDecision::Proceed {
            fallback: false,
            online_required: true,
            pin_required: true
        }
    );
    // Third digit 6: PIN only where a PIN pad is.
    for (pin_pad, pin_required) in [(true, true), (false, false)] {
        assert_eq!(
            swipe_decision(code("106"), ChipAttempt::NotTried, Purchase, false, pin_pad),
            SwipeDecision::Proceed {
                fallback: false,
                online_required: false,
                pin_required
            }
        );
    }
    // 3: ATM only; 4: cash only; 2: goods and services only.
    assert_eq!(
        swipe_decision(code("103"), ChipAttempt::NotTried, Purchase, false, true),
        SwipeDecision::NotAllowed
    );
    assert!(matches!(
        swipe_decision(code("103"), ChipAttempt::NotTried, Cash, true, true),
        SwipeDecision::Proceed {
            pin_required: true,
            ..
        }
    ));
    assert_eq!(
        swipe_decision(code("104"), ChipAttempt::NotTried, Purchase, false, true),
        SwipeDecision::NotAllowed
    );
    assert_eq!(
        swipe_decision(code("102"), ChipAttempt::NotTried, Cash, false, true),
        SwipeDecision::NotAllowed
    );
}
