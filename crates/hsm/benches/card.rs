//! The issuer's card checks through the `Hsm` trait on a `SoftHsm`: ARQC verification (IMK →
//! ICC master key, option A → EMV common session key → cryptogram), ARPC method 1, the issuer
//! script MAC (IMK-SMI → MK-SMI → SK-SMI from the ARQC), and CVV.
//!
//! `cargo bench -p hsm --bench card -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hsm::{ArpcMethod, CardKeyRef, Hsm, IccMasterKeyOption, ScriptKeyRef, SessionKeyDerivation};
use paysec::SecretKey;
use paysec::emv::{self, CryptogramPadding};
use paysec::pinverify::cvv;

mod common;
use common::{Card, keys};

/// One card transaction's cryptogram inputs, with the ARQC the card made.
struct Tx {
    card: usize,
    atc: u16,
    un: [u8; 4],
    /// CDOL1 data: amount, other amount, country, TVR, currency, date, type, UN, AIP, ATC
    /// (the usual 33 bytes) and the 4-byte CVR from the IAD: 37 bytes.
    data: Vec<u8>,
    arqc: [u8; 8],
    session_key: SecretKey,
}

const PSN: u8 = 1;

fn card_key<'a>(card: &'a Card, tx: &Tx) -> CardKeyRef<'a> {
    CardKeyRef {
        imk: "imk.ac",
        pan: &card.pan,
        psn: Some(PSN),
        option: IccMasterKeyOption::A,
        session: SessionKeyDerivation::Common {
            atc: tx.atc,
            unpredictable_number: tx.un,
        },
    }
}

/// The card's side, with paysec directly: ICC MK from the IMK, session key, cryptogram.
fn transactions(cards: &[Card], padding: CryptogramPadding) -> Vec<Tx> {
    let imk = common::tdes(keys::IMK_AC);
    cards
        .iter()
        .enumerate()
        .map(|(i, card)| {
            let atc = u16::try_from(i % 500 + 1).unwrap();
            let un = u32::try_from(i)
                .unwrap()
                .wrapping_mul(2_654_435_761)
                .to_be_bytes();
            let amount = format!("{:012}", 100 + i * 37);
            let mut data = hex::decode(amount).unwrap();
            data.extend(hex::decode("000000000000").unwrap()); // other amount
            data.extend(hex::decode("0840").unwrap()); // terminal country
            data.extend(hex::decode("0000008000").unwrap()); // TVR
            data.extend(hex::decode("0840").unwrap()); // currency
            data.extend(hex::decode("261124").unwrap()); // date
            data.push(0x00); // transaction type
            data.extend(un);
            data.extend(hex::decode("3800").unwrap()); // AIP
            data.extend(atc.to_be_bytes());
            data.extend(hex::decode("03A0A000").unwrap()); // IAD: CVR
            let mk = emv::derive_icc_master_key_a(&imk, &card.pan, Some(PSN)).unwrap();
            let session_key =
                emv::derive_common_session_key(&mk, emv::ac_diversification(atc, un)).unwrap();
            let arqc = emv::generate_ac(&session_key, &data, padding).unwrap();
            Tx {
                card: i,
                atc,
                un,
                data,
                arqc,
                session_key,
            }
        })
        .collect()
}

fn arqc(c: &mut Criterion) {
    let net = common::network();
    let cards = common::cards(common::CARDS);
    let mut g = c.benchmark_group("emv");
    g.throughput(Throughput::Elements(1));
    for (name, padding) in [
        ("arqc_verify_common_sk_padding1", CryptogramPadding::Method1),
        ("arqc_verify_common_sk_padding2", CryptogramPadding::Method2),
    ] {
        let txs = transactions(&cards, padding);
        for tx in &txs {
            let key = card_key(&cards[tx.card], tx);
            assert!(
                net.issuer
                    .verify_arqc(&key, &tx.data, padding, &tx.arqc)
                    .unwrap(),
                "{name}"
            );
            let mut bad = tx.arqc;
            bad[0] ^= 0x80;
            assert!(
                !net.issuer
                    .verify_arqc(&key, &tx.data, padding, &bad)
                    .unwrap()
            );
        }
        let mut i = 0usize;
        g.bench_function(name, |b| {
            b.iter(|| {
                let tx = &txs[i % txs.len()];
                i += 1;
                net.issuer
                    .verify_arqc(
                        &card_key(&cards[tx.card], tx),
                        black_box(&tx.data),
                        padding,
                        &tx.arqc,
                    )
                    .unwrap()
            })
        });
    }

    let txs = transactions(&cards, CryptogramPadding::Method2);
    let arc = *b"00";
    for tx in &txs {
        let arpc = net
            .issuer
            .generate_arpc(
                &card_key(&cards[tx.card], tx),
                &tx.arqc,
                &ArpcMethod::Method1 { arc },
            )
            .unwrap();
        let expected = emv::generate_arpc_method1(&tx.session_key, &tx.arqc, arc).unwrap();
        assert_eq!(arpc, expected.to_vec());
    }
    let mut i = 0usize;
    g.bench_function("arpc_method1_common_sk", |b| {
        b.iter(|| {
            let tx = &txs[i % txs.len()];
            i += 1;
            net.issuer
                .generate_arpc(
                    &card_key(&cards[tx.card], tx),
                    black_box(&tx.arqc),
                    &ArpcMethod::Method1 { arc },
                )
                .unwrap()
        })
    });
    g.finish();
}

/// An APPLICATION BLOCK's MAC for each transaction: header `841E000008`, ATC, ARQC.
fn script_mac(c: &mut Criterion) {
    let net = common::network();
    let cards = common::cards(common::CARDS);
    let imk_smi = common::tdes(keys::IMK_SMI);
    let txs = transactions(&cards, CryptogramPadding::Method2);
    let input = |tx: &Tx| {
        let mut d = vec![0x84, 0x1E, 0x00, 0x00, 0x08];
        d.extend(tx.atc.to_be_bytes());
        d.extend(tx.arqc);
        d
    };
    let key = |tx: &Tx| ScriptKeyRef {
        imk: "imk.smi",
        pan: &cards[tx.card].pan,
        psn: Some(PSN),
        option: IccMasterKeyOption::A,
        arqc: tx.arqc,
    };
    for tx in &txs {
        let mk = emv::derive_icc_master_key_a(&imk_smi, &cards[tx.card].pan, Some(PSN)).unwrap();
        let sk = emv::derive_common_session_key(&mk, tx.arqc).unwrap();
        let expected = emv::issuer_script_mac(&sk, &input(tx), 8).unwrap();
        let mac = net
            .issuer
            .generate_script_mac(&key(tx), &input(tx), 8)
            .unwrap();
        assert_eq!(mac, expected);
    }
    let inputs: Vec<Vec<u8>> = txs.iter().map(input).collect();
    let mut g = c.benchmark_group("emv");
    g.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    g.bench_function("script_mac_application_block", |b| {
        b.iter(|| {
            let k = i % txs.len();
            i += 1;
            net.issuer
                .generate_script_mac(&key(&txs[k]), black_box(&inputs[k]), 8)
                .unwrap()
        })
    });
    g.finish();
}

fn cvv_check(c: &mut Criterion) {
    let net = common::network();
    let cards = common::cards(common::CARDS);
    let cvk = common::tdes(keys::CVK);
    let service_code = "201";
    let values: Vec<String> = cards
        .iter()
        .map(|card| cvv::generate_cvv(&cvk, &card.pan, card.expiry_yymm, service_code).unwrap())
        .collect();
    for (card, value) in cards.iter().zip(&values) {
        assert!(
            net.issuer
                .verify_cvv("cvk", &card.pan, card.expiry_yymm, service_code, value)
                .unwrap()
        );
    }
    let first = &cards[0];
    let wrong = format!("{:03}", (values[0].parse::<u16>().unwrap() + 1) % 1000);
    assert!(
        !net.issuer
            .verify_cvv("cvk", &first.pan, first.expiry_yymm, service_code, &wrong)
            .unwrap()
    );
    let mut g = c.benchmark_group("cvv");
    g.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    g.bench_function("cvv_verify", |b| {
        b.iter(|| {
            let k = i % cards.len();
            i += 1;
            let card = &cards[k];
            net.issuer
                .verify_cvv(
                    "cvk",
                    black_box(&card.pan),
                    card.expiry_yymm,
                    service_code,
                    &values[k],
                )
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, arqc, script_mac, cvv_check);
criterion_main!(benches);
