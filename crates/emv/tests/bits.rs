//! TVR, TSI, AIP, AUC and CVM: every named bit, hex round trips, text, and real values.

use emv::cvm::{
    CvRule, CvmCode, CvmCondition, CvmError, CvmList, CvmMethod, CvmOutcome, CvmResults,
};
use emv::{Aip, AipBit, Auc, AucBit, BitsError, Tsi, TsiBit, Tvr, TvrBit};
use proptest::prelude::*;

#[test]
fn tvr_bits_are_annex_c5() {
    // (byte, mask) for each named bit, from EMV Book 3, Annex C5, Table 42.
    let expected: &[(TvrBit, usize, u8)] = &[
        (TvrBit::OfflineDataAuthenticationNotPerformed, 1, 0x80),
        (TvrBit::SdaFailed, 1, 0x40),
        (TvrBit::IccDataMissing, 1, 0x20),
        (TvrBit::CardOnExceptionFile, 1, 0x10),
        (TvrBit::DdaFailed, 1, 0x08),
        (TvrBit::CdaFailed, 1, 0x04),
        (TvrBit::SdaSelected, 1, 0x02),
        (TvrBit::DifferentApplicationVersions, 2, 0x80),
        (TvrBit::ExpiredApplication, 2, 0x40),
        (TvrBit::ApplicationNotYetEffective, 2, 0x20),
        (TvrBit::ServiceNotAllowed, 2, 0x10),
        (TvrBit::NewCard, 2, 0x08),
        (TvrBit::CardholderVerificationNotSuccessful, 3, 0x80),
        (TvrBit::UnrecognisedCvm, 3, 0x40),
        (TvrBit::PinTryLimitExceeded, 3, 0x20),
        (TvrBit::PinPadNotPresentOrNotWorking, 3, 0x10),
        (TvrBit::PinNotEntered, 3, 0x08),
        (TvrBit::OnlinePinEntered, 3, 0x04),
        (TvrBit::TransactionExceedsFloorLimit, 4, 0x80),
        (TvrBit::LowerConsecutiveOfflineLimitExceeded, 4, 0x40),
        (TvrBit::UpperConsecutiveOfflineLimitExceeded, 4, 0x20),
        (TvrBit::RandomlySelectedForOnline, 4, 0x10),
        (TvrBit::MerchantForcedOnline, 4, 0x08),
        (TvrBit::DefaultTdolUsed, 5, 0x80),
        (TvrBit::IssuerAuthenticationFailed, 5, 0x40),
        (TvrBit::ScriptFailedBeforeFinalGenerateAc, 5, 0x20),
        (TvrBit::ScriptFailedAfterFinalGenerateAc, 5, 0x10),
    ];
    assert_eq!(TvrBit::ALL.len(), expected.len());
    for &(bit, byte, mask) in expected {
        assert_eq!((bit.byte(), bit.mask()), (byte, mask), "{bit:?}");
        let mut bytes = [0u8; 5];
        bytes[byte - 1] = mask;
        let tvr = Tvr::from(bit);
        assert_eq!(tvr.to_bytes(), bytes, "{bit:?}");
        assert_eq!(tvr.set_bits().collect::<Vec<_>>(), [bit]);
        assert_eq!(tvr.to_string(), bit.name());
    }
}

#[test]
fn tvr_set_clear_test_and_text() {
    let mut tvr = Tvr::new();
    assert!(tvr.is_empty());
    assert_eq!(tvr.to_string(), "none");
    tvr.set(TvrBit::TransactionExceedsFloorLimit);
    assert_eq!(tvr.to_hex(), "0000008000");
    tvr.set(TvrBit::OfflineDataAuthenticationNotPerformed);
    tvr.set(TvrBit::OnlinePinEntered);
    assert_eq!(tvr.to_hex(), "8000048000");
    assert!(tvr.is_set(TvrBit::OnlinePinEntered));
    assert!(!tvr.is_set(TvrBit::ExpiredApplication));
    assert_eq!(
        tvr.to_string(),
        "Offline data authentication was not performed; Online PIN entered; Transaction exceeds floor limit"
    );
    assert_eq!(
        format!("{tvr:?}"),
        "Tvr(8000048000: Offline data authentication was not performed; Online PIN entered; Transaction exceeds floor limit)"
    );
    tvr.clear(TvrBit::OnlinePinEntered);
    tvr.clear(TvrBit::OnlinePinEntered);
    assert_eq!(tvr.to_hex(), "8000008000");
    assert_eq!("8000008000".parse::<Tvr>().unwrap(), tvr);
    assert_eq!("8000008000".to_lowercase().parse::<Tvr>().unwrap(), tvr);

    // Action codes share the layout: an action code with the floor limit bit set catches
    // this TVR, an all-zero one catches nothing.
    let tac_online: Tvr = "FC50AC8800".parse().unwrap();
    assert!(tvr.intersects(tac_online));
    assert!(!tvr.intersects(Tvr::new()));

    // Unnamed (RFU) bits are kept and shown.
    let odd = Tvr::from_bytes([0x01, 0, 0, 0x01, 0x0F]);
    assert_eq!(odd.to_hex(), "010000010F");
    assert_eq!(odd.to_string(), "unnamed bits 010000010F");
    assert_eq!(odd.unnamed_bits(), [0x01, 0, 0, 0x01, 0x0F]);
}

fn check_layout(bits: &[(usize, u8, &str)], len: usize) {
    for (i, a) in bits.iter().enumerate() {
        assert!((1..=len).contains(&a.0), "{}", a.2);
        assert_eq!(a.1.count_ones(), 1, "{}", a.2);
        for b in &bits[i + 1..] {
            assert!((a.0, a.1) != (b.0, b.1), "{} and {} share a bit", a.2, b.2);
            assert!(
                a.0 < b.0 || (a.0 == b.0 && a.1 > b.1),
                "{} and {} out of wire order",
                a.2,
                b.2
            );
        }
    }
}

#[test]
fn layouts_are_sound() {
    check_layout(
        &TvrBit::ALL
            .iter()
            .map(|b| (b.byte(), b.mask(), b.name()))
            .collect::<Vec<_>>(),
        Tvr::LEN,
    );
    check_layout(
        &TsiBit::ALL
            .iter()
            .map(|b| (b.byte(), b.mask(), b.name()))
            .collect::<Vec<_>>(),
        Tsi::LEN,
    );
    check_layout(
        &AipBit::ALL
            .iter()
            .map(|b| (b.byte(), b.mask(), b.name()))
            .collect::<Vec<_>>(),
        Aip::LEN,
    );
    check_layout(
        &AucBit::ALL
            .iter()
            .map(|b| (b.byte(), b.mask(), b.name()))
            .collect::<Vec<_>>(),
        Auc::LEN,
    );
    assert_eq!(AucBit::ALL.len(), 10);
    assert_eq!(TsiBit::ALL.len(), 6);
}

#[test]
fn bit_set_errors() {
    assert_eq!(
        "80000080".parse::<Tvr>().unwrap_err(),
        BitsError::Length {
            what: "TVR",
            expected_len: 5,
            actual_len: 4
        }
    );
    assert_eq!(
        "8000008000".parse::<Tsi>().unwrap_err().to_string(),
        "TSI must be 2 bytes, got 5"
    );
    assert_eq!(
        "80X0".parse::<Tsi>().unwrap_err(),
        BitsError::NotHex {
            what: "TSI",
            offset: 2,
            found: 'X'
        }
    );
    assert_eq!(
        "800".parse::<Aip>().unwrap_err(),
        BitsError::OddHex {
            what: "AIP",
            digits: 3
        }
    );
    assert_eq!(
        Auc::from_slice(&[0xFF]).unwrap_err(),
        BitsError::Length {
            what: "AUC",
            expected_len: 2,
            actual_len: 1
        }
    );
    assert_eq!(Auc::from_slice(&[0xFF, 0x00]).unwrap().to_hex(), "FF00");
}

#[test]
fn tsi_values() {
    // E800: the TSI after a typical online-approved chip transaction.
    let tsi: Tsi = "E800".parse().unwrap();
    assert_eq!(
        tsi.set_bits().collect::<Vec<_>>(),
        [
            TsiBit::OfflineDataAuthenticationPerformed,
            TsiBit::CardholderVerificationPerformed,
            TsiBit::CardRiskManagementPerformed,
            TsiBit::TerminalRiskManagementPerformed,
        ]
    );
    let all = TsiBit::ALL.iter().fold(Tsi::new(), |t, &b| t.with(b));
    assert_eq!(all.to_hex(), "FC00");
}

#[test]
fn aip_and_auc_values() {
    // 1980: a Mastercard (kernel 2) AIP: CV supported, TRM to be performed, CDA, EMV mode.
    let aip: Aip = "1980".parse().unwrap();
    assert_eq!(
        aip.set_bits().collect::<Vec<_>>(),
        [
            AipBit::CardholderVerificationSupported,
            AipBit::TerminalRiskManagementToBePerformed,
            AipBit::CdaSupported,
            AipBit::EmvModeSupported,
        ]
    );
    // 5C00: SDA, CV, TRM and issuer authentication.
    let aip: Aip = "5C00".parse().unwrap();
    assert!(aip.is_set(AipBit::SdaSupported) && aip.is_set(AipBit::IssuerAuthenticationSupported));
    assert!(!aip.is_set(AipBit::DdaSupported));

    let auc: Auc = "FF00".parse().unwrap();
    assert_eq!(auc.set_bits().count(), 8);
    assert!(!auc.is_set(AucBit::DomesticCashback));
    let auc: Auc = "3D80".parse().unwrap();
    assert_eq!(
        auc.to_string(),
        "Valid for domestic goods; Valid for international goods; Valid for domestic services; \
         Valid for international services; Valid at terminals other than ATMs; Domestic cashback allowed"
    );
}

#[test]
fn cvm_results_real_values() {
    // 420300: enciphered PIN online, apply next rule on failure, if terminal supports, unknown.
    let r = CvmResults::from_slice(&[0x42, 0x03, 0x00]).unwrap();
    assert_eq!(r.performed.method(), CvmMethod::EncipheredPinOnline);
    assert!(r.performed.apply_succeeding_if_unsuccessful());
    assert!(r.performed.method().needs_pin());
    assert_eq!(r.condition, CvmCondition::TerminalSupportsCvm);
    assert_eq!(r.outcome, CvmOutcome::Unknown);
    assert_eq!(
        r.to_string(),
        "Enciphered PIN verified online (apply succeeding rule if unsuccessful); condition: if terminal supports the CVM; result: unknown"
    );
    // 1F0302: no CVM required, successful.
    let r = CvmResults::from_slice(&[0x1F, 0x03, 0x02]).unwrap();
    assert_eq!(r.performed.method(), CvmMethod::NoCvmRequired);
    assert!(!r.performed.apply_succeeding_if_unsuccessful());
    assert_eq!(r.outcome, CvmOutcome::Successful);
    // 3F0000: no CVM performed.
    let r = CvmResults::from_slice(&[0x3F, 0x00, 0x01]).unwrap();
    assert_eq!(
        r.to_string(),
        "No CVM performed; condition: always; result: failed"
    );
    // 5E0300: signature.
    let r = CvmResults::from_slice(&[0x5E, 0x03, 0x00]).unwrap();
    assert!(r.performed.method().needs_signature());
    assert_eq!(
        CvmResults::from_slice(&[0x42, 0x03]).unwrap_err(),
        CvmError::ResultsLength { actual_len: 2 }
    );
}

#[test]
fn cvm_method_ranges() {
    assert_eq!(CvmMethod::from_bits(0x06), CvmMethod::Rfu(0x06));
    assert_eq!(CvmMethod::from_bits(0x1D), CvmMethod::Rfu(0x1D));
    assert_eq!(CvmMethod::from_bits(0x20), CvmMethod::PaymentSystem(0x20));
    assert_eq!(CvmMethod::from_bits(0x2F), CvmMethod::PaymentSystem(0x2F));
    assert_eq!(CvmMethod::from_bits(0x30), CvmMethod::Issuer(0x30));
    assert_eq!(CvmMethod::from_bits(0x3E), CvmMethod::Issuer(0x3E));
    assert_eq!(CvmMethod::from_bits(0xC4), CvmMethod::EncipheredPinByIcc);
    assert_eq!(CvmCondition::from_byte(0x0A), CvmCondition::Rfu(0x0A));
    assert_eq!(
        CvmCondition::from_byte(0x80),
        CvmCondition::PaymentSystem(0x80)
    );
}

#[test]
fn cvm_list_parse() {
    // A common Visa CVM List: X = Y = 0; online PIN, then signature, then no CVM, each if
    // the terminal supports it.
    let bytes = [0, 0, 0, 0, 0, 0, 0, 0, 0x42, 0x03, 0x1E, 0x03, 0x1F, 0x03];
    let list = CvmList::parse(&bytes).unwrap();
    assert_eq!((list.amount_x_minor, list.amount_y_minor), (0, 0));
    assert_eq!(
        list.rules,
        [
            CvRule {
                code: CvmCode(0x42),
                condition: CvmCondition::TerminalSupportsCvm
            },
            CvRule {
                code: CvmCode(0x1E),
                condition: CvmCondition::TerminalSupportsCvm
            },
            CvRule {
                code: CvmCode(0x1F),
                condition: CvmCondition::TerminalSupportsCvm
            },
        ]
    );
    assert_eq!(list.to_bytes(), bytes);
    let list = CvmList::parse(&[0, 0, 0x27, 0x10, 0, 0, 0, 0x64, 0x01, 0x06]).unwrap();
    assert_eq!((list.amount_x_minor, list.amount_y_minor), (10_000, 100));
    assert_eq!(list.rules[0].condition, CvmCondition::UnderX);
    assert_eq!(
        CvmList::parse(&[0; 7]).unwrap_err(),
        CvmError::ListLength { actual_len: 7 }
    );
    assert_eq!(
        CvmList::parse(&[0; 11]).unwrap_err(),
        CvmError::ListLength { actual_len: 11 }
    );
}

proptest! {
    #[test]
    fn tvr_hex_round_trips(bytes in any::<[u8; 5]>()) {
        let tvr = Tvr::from_bytes(bytes);
        prop_assert_eq!(tvr.to_hex().parse::<Tvr>().unwrap(), tvr);
        prop_assert_eq!(Tvr::from_slice(&bytes).unwrap(), tvr);
        // Named bits plus unnamed bits make up the whole value.
        let rebuilt = tvr.set_bits().fold(Tvr::from_bytes(tvr.unnamed_bits()), |t, b| t.with(b));
        prop_assert_eq!(rebuilt, tvr);
    }

    #[test]
    fn set_then_clear(bytes in any::<[u8; 5]>(), idx in 0usize..27) {
        let bit = TvrBit::ALL[idx];
        let mut tvr = Tvr::from_bytes(bytes);
        tvr.set(bit);
        prop_assert!(tvr.is_set(bit));
        tvr.clear(bit);
        prop_assert!(!tvr.is_set(bit));
        // Nothing else changed.
        let mut expect = bytes;
        expect[bit.byte() - 1] &= !bit.mask();
        prop_assert_eq!(tvr.to_bytes(), expect);
    }

    #[test]
    fn cvm_round_trips(bytes in any::<[u8; 3]>(), list in proptest::collection::vec(any::<u8>(), 0..40)) {
        prop_assert_eq!(CvmResults::from_slice(&bytes).unwrap().to_bytes(), bytes);
        match CvmList::parse(&list) {
            Ok(parsed) => prop_assert_eq!(parsed.to_bytes(), list),
            Err(_) => prop_assert!(list.len() < 8 || list.len() % 2 == 1),
        }
    }

    #[test]
    fn bit_text_never_panics(s in ".{0,14}") {
        let _ = s.parse::<Tvr>();
        let _ = s.parse::<Tsi>();
    }
}
