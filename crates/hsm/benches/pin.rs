//! PIN translation at the gateway (terminal DUKPT → zone PIN key) and PIN verification at the
//! issuer (Visa PVV, IBM 3624 offset), through the `Hsm` trait on a `SoftHsm`.
//!
//! `cargo bench -p hsm --bench pin -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hsm::{DukptRef, Hsm, PinBlockRef, PinKeyRef, PinZoneRef};
use paysec::Pin;
use paysec::dukpt::{aes as aes_dukpt, tdes as tdes_dukpt};
use paysec::pinblock::{self, PinBlockFormat};
use paysec::pinverify::ibm3624::{self, DecimalisationTable, ValidationData};
use paysec::pinverify::pvv;
use paysec::rng::Replay;

mod common;
use common::{COUNTERS, Card, keys};

/// One PIN entry at the terminal: its KSN and the enciphered block.
struct Entry {
    card: usize,
    ksn: Vec<u8>,
    block: Vec<u8>,
}

/// What the gateway must send on: the format 0 block under the ZPK (deterministic, so exact).
fn expected_zone_block(card: &Card) -> Vec<u8> {
    pinblock::encipher(
        PinBlockFormat::Iso0,
        &common::tdes(keys::ZPK),
        &card.pin,
        Some(&card.pan),
        &mut Replay::new(&[]),
    )
    .unwrap()
}

/// A TDES DUKPT PIN pad's first transactions, enciphered with the terminal's own (future key
/// register) algorithm, not the host's derivation the HSM uses.
fn tdes_entries(cards: &[Card]) -> Vec<Entry> {
    let bdk = common::tdes(keys::BDK_TDES);
    let initial = tdes_dukpt::Ksn::new(&hex::decode(common::TDES_INITIAL_KSN).unwrap()).unwrap();
    let ipek = tdes_dukpt::derive_ipek(&bdk, &initial).unwrap();
    let mut pad = tdes_dukpt::Originator::load_initial_key(&ipek, &initial).unwrap();
    COUNTERS
        .enumerate()
        .map(|(i, counter)| {
            let (ksn, transaction_key) = pad.next_transaction().unwrap();
            assert_eq!(ksn.counter(), counter);
            let pin_key =
                tdes_dukpt::working_key(&transaction_key, tdes_dukpt::KeyUsage::Pin).unwrap();
            let card = i % cards.len();
            let c = &cards[card];
            let block = pinblock::encipher(
                PinBlockFormat::Iso0,
                &pin_key,
                &c.pin,
                Some(&c.pan),
                &mut Replay::new(&[]),
            )
            .unwrap();
            Entry {
                card,
                ksn: ksn.as_bytes().to_vec(),
                block,
            }
        })
        .collect()
}

/// An AES-128 DUKPT PIN pad's first transactions: format 4 blocks with random fill.
fn aes_entries(cards: &[Card]) -> Vec<Entry> {
    let bdk = common::aes(keys::BDK_AES);
    let ik = aes_dukpt::derive_initial_key(&bdk, common::AES_INITIAL_KEY_ID).unwrap();
    COUNTERS
        .enumerate()
        .map(|(i, counter)| {
            let ksn = aes_dukpt::Ksn::from_parts(common::AES_INITIAL_KEY_ID, counter);
            let intermediate = aes_dukpt::derive_intermediate_key(&ik, &ksn).unwrap();
            let card = i % cards.len();
            let c = &cards[card];
            let fill = hsm::os_random(16).unwrap();
            let block = aes_dukpt::encrypt_pin(
                &intermediate,
                &ksn,
                aes_dukpt::KeyType::Aes128,
                &c.pin,
                &c.pan,
                &mut Replay::new(&fill),
            )
            .unwrap();
            Entry {
                card,
                ksn: ksn.as_bytes().to_vec(),
                block: block.to_vec(),
            }
        })
        .collect()
}

/// The gateway's view of an entry: the block under the terminal's DUKPT key, and its card.
fn dukpt_block<'a>(bdk: &'a str, format: PinBlockFormat, e: &'a Entry) -> (PinBlockRef<'a>, usize) {
    let block = PinBlockRef {
        key: PinKeyRef::Dukpt(DukptRef::new(bdk, &e.ksn)),
        format,
        block: &e.block,
    };
    (block, e.card)
}

fn pin_translation(c: &mut Criterion) {
    let net = common::network();
    let cards = common::cards(common::CARDS);
    let to = PinZoneRef {
        zpk: "zpk",
        format: PinBlockFormat::Iso0,
    };
    let cases = [
        (
            "aes128_dukpt_format4_to_tdes_zpk_format0",
            "bdk.aes",
            PinBlockFormat::Iso4,
            aes_entries(&cards),
        ),
        (
            "tdes_dukpt_format0_to_tdes_zpk_format0",
            "bdk.tdes",
            PinBlockFormat::Iso0,
            tdes_entries(&cards),
        ),
    ];
    let mut g = c.benchmark_group("pin_translation");
    g.throughput(Throughput::Elements(1));
    for (name, bdk, format, entries) in &cases {
        for e in entries {
            let (block, card) = dukpt_block(bdk, *format, e);
            let out = net
                .gateway
                .translate_pin(&block, &to, Some(&cards[card].pan))
                .unwrap();
            assert_eq!(out, expected_zone_block(&cards[card]), "{name}");
        }
        let mut i = 0usize;
        g.bench_function(*name, |b| {
            b.iter(|| {
                let (block, card) = dukpt_block(bdk, *format, &entries[i % entries.len()]);
                i += 1;
                net.gateway
                    .translate_pin(black_box(&block), &to, Some(&cards[card].pan))
                    .unwrap()
            })
        });
    }
    g.finish();
}

/// The issuer's view: each card's PIN arrives as a format 0 block under the ZPK.
fn pin_verification(c: &mut Criterion) {
    let net = common::network();
    let cards = common::cards(common::CARDS);
    let blocks: Vec<Vec<u8>> = cards.iter().map(expected_zone_block).collect();
    let pin_block = |i: usize| PinBlockRef {
        key: PinKeyRef::Zone("zpk"),
        format: PinBlockFormat::Iso0,
        block: &blocks[i],
    };
    let pvk = common::tdes(keys::PVK_PVV);
    let pvki = 1;
    let pvvs: Vec<String> = cards
        .iter()
        .map(|c| pvv::generate_pvv(&pvk, &c.pan, pvki, &c.pin).unwrap())
        .collect();
    let ibm_pvk = common::tdes(keys::PVK_IBM);
    let table = DecimalisationTable::new(common::DECIMALISATION).unwrap();
    // Validation data: the PAN's 11 rightmost digits before the check digit, padded with F.
    let validation: Vec<ValidationData> = cards
        .iter()
        .map(|c| ValidationData::from_pan(&c.pan, 4, 11, 0xF).unwrap())
        .collect();
    let offsets: Vec<String> = cards
        .iter()
        .zip(&validation)
        .map(|(c, vd)| ibm3624::generate_offset(&ibm_pvk, vd, &table, &c.pin).unwrap())
        .collect();
    for (i, c) in cards.iter().enumerate() {
        assert!(
            net.issuer
                .verify_pin_pvv(&pin_block(i), &c.pan, "pvk.pvv", pvki, &pvvs[i])
                .unwrap()
        );
        assert!(
            net.issuer
                .verify_pin_ibm3624(
                    &pin_block(i),
                    &c.pan,
                    "pvk.ibm",
                    &table,
                    &validation[i],
                    &offsets[i]
                )
                .unwrap()
        );
    }
    // A bench that only ever says "yes" could hide a verifier that always does.
    let wrong_pin = if cards[0].pin == Pin::new("9999").unwrap() {
        "9998"
    } else {
        "9999"
    };
    let wrong = pinblock::encipher(
        PinBlockFormat::Iso0,
        &common::tdes(keys::ZPK),
        &Pin::new(wrong_pin).unwrap(),
        Some(&cards[0].pan),
        &mut Replay::new(&[]),
    )
    .unwrap();
    let wrong_block = PinBlockRef {
        block: &wrong,
        ..pin_block(0)
    };
    assert!(
        !net.issuer
            .verify_pin_pvv(&wrong_block, &cards[0].pan, "pvk.pvv", pvki, &pvvs[0])
            .unwrap()
    );
    assert!(
        !net.issuer
            .verify_pin_ibm3624(
                &wrong_block,
                &cards[0].pan,
                "pvk.ibm",
                &table,
                &validation[0],
                &offsets[0]
            )
            .unwrap()
    );

    let mut g = c.benchmark_group("pin_verification");
    g.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    g.bench_function("pvv_from_zpk_format0", |b| {
        b.iter(|| {
            let k = i % cards.len();
            i += 1;
            net.issuer
                .verify_pin_pvv(
                    black_box(&pin_block(k)),
                    &cards[k].pan,
                    "pvk.pvv",
                    pvki,
                    &pvvs[k],
                )
                .unwrap()
        })
    });
    let mut i = 0usize;
    g.bench_function("ibm3624_offset_from_zpk_format0", |b| {
        b.iter(|| {
            let k = i % cards.len();
            i += 1;
            net.issuer
                .verify_pin_ibm3624(
                    black_box(&pin_block(k)),
                    &cards[k].pan,
                    "pvk.ibm",
                    &table,
                    &validation[k],
                    &offsets[k],
                )
                .unwrap()
        })
    });
    g.finish();
}

/// The host derives one key per 1 bit of the KSN counter: the same translation at a counter
/// with one bit set and at one with ten (the most a TDES device uses) shows that cost apart.
fn dukpt_counter_bits(c: &mut Criterion) {
    let net = common::network();
    let cards = common::cards(1);
    let card = &cards[0];
    let to = PinZoneRef {
        zpk: "zpk",
        format: PinBlockFormat::Iso0,
    };
    let expected = expected_zone_block(card);
    let tdes_bdk = common::tdes(keys::BDK_TDES);
    let tdes_initial =
        tdes_dukpt::Ksn::new(&hex::decode(common::TDES_INITIAL_KSN).unwrap()).unwrap();
    let aes_bdk = common::aes(keys::BDK_AES);
    let mut g = c.benchmark_group("pin_translation_by_counter_bits");
    g.throughput(Throughput::Elements(1));
    for counter in [0x0000_0001u32, 0x0000_03FF] {
        let bits = counter.count_ones();
        let tdes_ksn = tdes_initial.with_counter(counter);
        let tdes_key =
            tdes_dukpt::derive_working_key(&tdes_bdk, &tdes_ksn, tdes_dukpt::KeyUsage::Pin)
                .unwrap();
        let tdes_entry = Entry {
            card: 0,
            ksn: tdes_ksn.as_bytes().to_vec(),
            block: pinblock::encipher(
                PinBlockFormat::Iso0,
                &tdes_key,
                &card.pin,
                Some(&card.pan),
                &mut Replay::new(&[]),
            )
            .unwrap(),
        };
        let aes_ksn = aes_dukpt::Ksn::from_parts(common::AES_INITIAL_KEY_ID, counter);
        let aes_key = aes_dukpt::host_working_key(
            &aes_bdk,
            &aes_ksn,
            aes_dukpt::KeyUsage::PinEncryption,
            aes_dukpt::KeyType::Aes128,
        )
        .unwrap();
        let fill = hsm::os_random(16).unwrap();
        let aes_entry = Entry {
            card: 0,
            ksn: aes_ksn.as_bytes().to_vec(),
            block: pinblock::encipher(
                PinBlockFormat::Iso4,
                &aes_key,
                &card.pin,
                Some(&card.pan),
                &mut Replay::new(&fill),
            )
            .unwrap(),
        };
        for (scheme, bdk, format, entry) in [
            ("tdes", "bdk.tdes", PinBlockFormat::Iso0, &tdes_entry),
            ("aes128", "bdk.aes", PinBlockFormat::Iso4, &aes_entry),
        ] {
            let (block, _) = dukpt_block(bdk, format, entry);
            let out = net
                .gateway
                .translate_pin(&block, &to, Some(&card.pan))
                .unwrap();
            assert_eq!(out, expected, "{scheme} counter {counter:#x}");
            g.bench_function(format!("{scheme}/{bits}_bits"), |b| {
                b.iter(|| {
                    net.gateway
                        .translate_pin(black_box(&block), &to, Some(&card.pan))
                        .unwrap()
                })
            });
        }
    }
    g.finish();
}

criterion_group!(
    benches,
    pin_translation,
    pin_verification,
    dukpt_counter_bits
);
criterion_main!(benches);
