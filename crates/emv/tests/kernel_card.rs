//! The kernel against the project's virtual card (`crates/card`), personalised from its
//! shipped profiles with the test key set: real certificates, real PIN checking, real
//! cryptograms. The issuer side (ARPC) is computed here with paysec from the test IMK-AC.

use card::app::Card;
use card::keys::KeySet;
use card::perso::{CardImage, personalise};
use card::profile::Profile;
use card::state::CardState;
use emv::apdu::PlaintextPin;
use emv::kernel::{
    AidConfig, Capk, Date, HostResponse, Kernel, Outcome, PinEntry, RandomSource, Step,
    TerminalConfig, Transaction, TransactionResult, TransactionType,
};
use emv::tlv::{self, Tag};
use emv::tvr::{TsiBit, Tvr, TvrBit};
use paysec::emv::{CryptogramPadding, generate_ac, generate_arpc_method1};

struct Counter(u32);

impl RandomSource for Counter {
    fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(0x0101_0101);
        self.0
    }
}

fn keys() -> KeySet {
    KeySet::test_keys().unwrap()
}

fn image(profile: &str) -> CardImage {
    personalise(&Profile::shipped(profile).unwrap(), &keys()).unwrap()
}

fn card(image: &CardImage) -> Card {
    let state = CardState::new(&image.profile);
    let mut next = 0x11u8;
    Card::new(
        image.clone(),
        state,
        Box::new(move |out: &mut [u8]| {
            for b in out {
                *b = next;
                next = next.wrapping_add(1);
            }
        }),
    )
}

fn config(image: &CardImage) -> TerminalConfig {
    let capk = &image.capk;
    TerminalConfig {
        terminal_type: 0x22,
        capabilities: [0xE0, 0xF8, 0xC8],
        additional_capabilities: [0x60, 0x00, 0xF0, 0xA0, 0x01],
        country_code: [0x09, 0x78],
        ifd_serial: *b"POSNET01",
        merchant_category_code: [0x59, 0x99],
        use_pse: true,
        cardholder_selection: false,
        aids: vec![AidConfig {
            aid: image.aid.clone(),
            partial_selection: false,
            application_version: [0x00, 0x02],
            tac_denial: Tvr::from_bytes([0; 5]),
            tac_online: Tvr::from_bytes([0xDC, 0x40, 0x04, 0xF8, 0x00]),
            tac_default: Tvr::from_bytes([0xDC, 0x40, 0x00, 0xA8, 0x00]),
            floor_limit_minor: 2000,
            random_threshold_minor: 0,
            random_target_percent: 0,
            random_max_target_percent: 0,
            default_ddol: vec![0x9F, 0x37, 0x04],
            default_tdol: Vec::new(),
        }],
        capks: vec![Capk {
            rid: capk.rid,
            index: capk.index,
            modulus: capk.modulus.clone(),
            exponent: capk.exponent.clone(),
        }],
    }
}

fn transaction(amount_minor: u64) -> Transaction {
    Transaction {
        amount_minor,
        other_amount_minor: 0,
        currency_code: [0x09, 0x78],
        currency_exponent: 2,
        date: Date {
            year: 2026,
            month: 11,
            day: 24,
        },
        time: [0x12, 0x00, 0x00],
        kind: TransactionType::Purchase,
        sequence_counter: [0, 0, 0, 1],
        force_online: false,
    }
}

fn find(data: &[u8], tag: u32) -> Vec<u8> {
    tlv::find(data, Tag::new(tag)).unwrap().unwrap().to_vec()
}

/// The issuer's AC session key for the card (common session key from IMK-AC).
fn issuer_sk_ac(image: &CardImage, atc: u16, un: [u8; 4]) -> paysec::SecretKey {
    let pan = paysec::Pan::new(&image.profile.pan).unwrap();
    let mk = paysec::emv::derive_icc_master_key_a(&keys().imks.ac, &pan, Some(image.profile.psn))
        .unwrap();
    paysec::emv::derive_common_session_key(&mk, paysec::emv::ac_diversification(atc, un)).unwrap()
}

struct Run {
    outcome: Outcome,
    apdus: Vec<Vec<u8>>,
}

/// Runs the kernel against the card; `host` answers the request from its field 55.
fn run(
    image: &CardImage,
    amount_minor: u64,
    mut pins: Vec<PinEntry>,
    host: impl Fn(&[u8]) -> Option<HostResponse>,
) -> Run {
    let mut c = card(image);
    let mut kernel = Kernel::new(
        config(image),
        transaction(amount_minor),
        Box::new(Counter(0)),
    );
    let mut step = kernel.start().unwrap();
    let mut apdus = Vec::new();
    pins.reverse();
    for _ in 0..100 {
        step = match step {
            Step::Send(command) => {
                let bytes = command.to_bytes().unwrap();
                apdus.push(bytes.clone());
                let answer = c.transmit(&bytes);
                kernel.card_response(&answer).unwrap()
            }
            Step::EnterPin(_) => kernel.pin_entered(pins.pop().unwrap()).unwrap(),
            Step::GoOnline(request) => kernel.online_response(host(&request.field55)).unwrap(),
            Step::ChooseApplication(_) => kernel.application_chosen(0).unwrap(),
            Step::Done(outcome) => {
                return Run {
                    outcome: *outcome,
                    apdus,
                };
            }
        };
    }
    panic!("no outcome");
}

/// The issuer: ARPC method 1 over the ARQC with response code 00, or a wrong one.
fn issuer(image: &CardImage, good_arpc: bool) -> impl Fn(&[u8]) -> Option<HostResponse> + '_ {
    move |field55: &[u8]| {
        let arqc: [u8; 8] = find(field55, 0x9F26).try_into().unwrap();
        let atc = u16::from_be_bytes(find(field55, 0x9F36).try_into().unwrap());
        let un: [u8; 4] = find(field55, 0x9F37).try_into().unwrap();
        let sk = issuer_sk_ac(image, atc, un);
        let mut arpc = generate_arpc_method1(&sk, &arqc, *b"00").unwrap();
        if !good_arpc {
            arpc[0] ^= 1;
        }
        Some(HostResponse {
            response_code: *b"00",
            issuer_authentication_data: Some([arpc.as_slice(), b"00"].concat()),
            scripts: Vec::new(),
        })
    }
}

#[test]
fn online_debit_approved_online_with_dda_and_verified_cryptograms() {
    let image = image("online-debit");
    let r = run(
        &image,
        1500,
        vec![PinEntry::OnlineCaptured],
        issuer(&image, true),
    );
    let o = &r.outcome;
    assert_eq!(
        o.result,
        TransactionResult::ApprovedOnline,
        "{:?}",
        o.reason
    );
    assert!(!o.tvr.is_set(TvrBit::DdaFailed));
    assert!(!o.tvr.is_set(TvrBit::OfflineDataAuthenticationNotPerformed));
    assert!(o.tvr.is_set(TvrBit::OnlinePinEntered));
    assert!(!o.tvr.is_set(TvrBit::IssuerAuthenticationFailed));
    for bit in [
        TsiBit::OfflineDataAuthenticationPerformed,
        TsiBit::CardholderVerificationPerformed,
        TsiBit::CardRiskManagementPerformed,
        TsiBit::IssuerAuthenticationPerformed,
        TsiBit::TerminalRiskManagementPerformed,
    ] {
        assert!(o.tsi.is_set(bit), "{bit:?}");
    }
    // Online PIN, the profile's rule 42 03, outcome unknown.
    assert_eq!(o.cvm_results, [0x42, 0x03, 0x00]);
    assert!(
        r.apdus.iter().any(|a| a.starts_with(&[0x00, 0x88])),
        "DDA ran"
    );
    // The TC recomputed by the issuer from the CDOL2 data the kernel sent.
    let last = r.apdus.last().unwrap();
    let cdol2_data = &last[5..last.len() - 1];
    let atc = u16::from_be_bytes(o.atc.unwrap());
    let un: [u8; 4] = cdol2_data[cdol2_data.len() - 4..].try_into().unwrap();
    let sk = issuer_sk_ac(&image, atc, un);
    let iad = find(&o.field55, 0x9F10);
    let mut input = cdol2_data.to_vec();
    input.extend_from_slice(&image.aip);
    input.extend_from_slice(&o.atc.unwrap());
    input.extend_from_slice(&iad[3..]);
    assert_eq!(
        Some(generate_ac(&sk, &input, CryptogramPadding::Method2).unwrap()),
        o.cryptogram
    );
}

#[test]
fn wrong_arpc_fails_issuer_authentication_and_the_card_declines() {
    let image = image("online-debit");
    let r = run(
        &image,
        1500,
        vec![PinEntry::OnlineCaptured],
        issuer(&image, false),
    );
    assert!(r.outcome.tvr.is_set(TvrBit::IssuerAuthenticationFailed));
    assert_eq!(
        r.outcome.result,
        TransactionResult::DeclinedByCardAfterApproval
    );
}

#[test]
fn offline_pin_card_wrong_then_right_pin_over_t0() {
    let image = image("offline-pin");
    let pin = |d: &str| PinEntry::Offline(PlaintextPin::from_ascii(d.as_bytes()).unwrap());
    let r = run(&image, 1500, vec![pin("9999"), pin("1234")], |_| None);
    let o = &r.outcome;
    let verifies = r
        .apdus
        .iter()
        .filter(|a| a.starts_with(&[0x00, 0x20]))
        .count();
    assert_eq!(verifies, 2);
    assert_eq!(o.cvm_results, [0x41, 0x03, 0x02]);
    assert!(!o.tvr.is_set(TvrBit::DdaFailed));
    assert!(!o.tvr.is_set(TvrBit::CardholderVerificationNotSuccessful));
    assert_eq!(
        o.result,
        TransactionResult::ApprovedOffline,
        "{:?}",
        o.reason
    );
}

#[test]
fn tampered_certificate_fails_dda() {
    let image = image("tampered-cert");
    let r = run(
        &image,
        1500,
        vec![PinEntry::OnlineCaptured],
        issuer(&image, true),
    );
    assert!(r.outcome.tvr.is_set(TvrBit::DdaFailed));
    // TAC denial is empty, so the DDA failure sends it online (TAC online DC…).
    assert!(
        r.outcome
            .tsi
            .is_set(TsiBit::OfflineDataAuthenticationPerformed)
    );
}

#[test]
fn expired_card_sets_expired_application() {
    let image = image("expired");
    let r = run(
        &image,
        1500,
        vec![PinEntry::OnlineCaptured],
        issuer(&image, true),
    );
    assert!(r.outcome.tvr.is_set(TvrBit::ExpiredApplication));
}

#[test]
fn blocked_application_is_not_selected() {
    let image = image("blocked");
    let r = run(&image, 1500, vec![], |_| None);
    assert_eq!(r.outcome.result, TransactionResult::Terminated);
    assert_eq!(
        r.outcome.reason,
        Some(emv::kernel::Reason::NoMutualApplication)
    );
}
