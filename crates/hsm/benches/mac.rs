//! Message MACs through the `Hsm` trait on a `SoftHsm`, over a ~200-byte 0200 request: AES
//! DUKPT CMAC and TDES DUKPT retail MAC (ISO 9797-1 algorithm 3) under the terminal's request
//! MAC key at KSN counters 1 to 1000, and the retail MAC under a named zone MAC key.
//!
//! `cargo bench -p hsm --bench mac -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hsm::{Direction, DukptRef, Hsm, MacAlgorithm, MacKeyRef};
use paysec::dukpt::{aes as aes_dukpt, tdes as tdes_dukpt};
use paysec::mac::iso9797::{Padding, mac_algorithm_3};

mod common;
use common::{COUNTERS, keys};

/// Field 64 carries 8 bytes.
const MAC_LEN_BYTES: usize = 8;

/// One MACed request: the key reference's inputs, the message and its MAC.
struct Case {
    ksn: Vec<u8>,
    message: Vec<u8>,
    mac: Vec<u8>,
}

fn messages() -> Vec<Vec<u8>> {
    let cards = common::cards(common::CARDS);
    COUNTERS
        .map(|counter| {
            let card = &cards[usize::try_from(counter).unwrap() % cards.len()];
            common::request_0200(card, counter)
        })
        .collect()
}

/// The terminal's side: AES-128 DUKPT request CMAC, truncated to 8 bytes.
fn aes_cases(messages: &[Vec<u8>]) -> Vec<Case> {
    let bdk = common::aes(keys::BDK_AES);
    let ik = aes_dukpt::derive_initial_key(&bdk, common::AES_INITIAL_KEY_ID).unwrap();
    COUNTERS
        .zip(messages)
        .map(|(counter, message)| {
            let ksn = aes_dukpt::Ksn::from_parts(common::AES_INITIAL_KEY_ID, counter);
            let intermediate = aes_dukpt::derive_intermediate_key(&ik, &ksn).unwrap();
            let full = aes_dukpt::generate_cmac(
                &intermediate,
                &ksn,
                aes_dukpt::KeyType::Aes128,
                aes_dukpt::Direction::Request,
                message,
            )
            .unwrap();
            Case {
                ksn: ksn.as_bytes().to_vec(),
                message: message.clone(),
                mac: full[..MAC_LEN_BYTES].to_vec(),
            }
        })
        .collect()
}

/// The terminal's side: TDES DUKPT request MAC key from the PIN pad's future key registers.
fn tdes_cases(messages: &[Vec<u8>]) -> Vec<Case> {
    let bdk = common::tdes(keys::BDK_TDES);
    let initial = tdes_dukpt::Ksn::new(&hex::decode(common::TDES_INITIAL_KSN).unwrap()).unwrap();
    let ipek = tdes_dukpt::derive_ipek(&bdk, &initial).unwrap();
    let mut pad = tdes_dukpt::Originator::load_initial_key(&ipek, &initial).unwrap();
    COUNTERS
        .zip(messages)
        .map(|(counter, message)| {
            let (ksn, transaction_key) = pad.next_transaction().unwrap();
            assert_eq!(ksn.counter(), counter);
            let key = tdes_dukpt::working_key(&transaction_key, tdes_dukpt::KeyUsage::MacRequest)
                .unwrap();
            Case {
                ksn: ksn.as_bytes().to_vec(),
                message: message.clone(),
                mac: mac_algorithm_3(&key, message, Padding::Method1, MAC_LEN_BYTES).unwrap(),
            }
        })
        .collect()
}

fn named_cases(messages: &[Vec<u8>]) -> Vec<Case> {
    let zak = common::tdes(keys::ZAK);
    messages
        .iter()
        .map(|message| Case {
            ksn: Vec::new(),
            message: message.clone(),
            mac: mac_algorithm_3(&zak, message, Padding::Method1, MAC_LEN_BYTES).unwrap(),
        })
        .collect()
}

/// The request MAC key of a case: the DUKPT key under `bdk`, or the named ZAK when `bdk` is "".
fn key_of<'a>(bdk: &'a str, case: &'a Case) -> MacKeyRef<'a> {
    if bdk.is_empty() {
        MacKeyRef::Named("zak")
    } else {
        MacKeyRef::Dukpt {
            dukpt: DukptRef::new(bdk, &case.ksn),
            direction: Direction::Request,
        }
    }
}

fn macs(c: &mut Criterion) {
    let net = common::network();
    let messages = messages();
    let (shortest, longest) = messages.iter().fold((usize::MAX, 0), |(lo, hi), m| {
        (lo.min(m.len()), hi.max(m.len()))
    });
    eprintln!("0200 requests: {shortest} to {longest} bytes");
    let retail = MacAlgorithm::Iso9797Alg3(Padding::Method1);
    // (bench name, HSM, algorithm, cases, BDK name or "" for the named key)
    let sets = [
        (
            "dukpt_aes128_cmac_request",
            &net.gateway,
            MacAlgorithm::Cmac,
            aes_cases(&messages),
            "bdk.aes",
        ),
        (
            "dukpt_tdes_retail_mac_request",
            &net.gateway,
            retail,
            tdes_cases(&messages),
            "bdk.tdes",
        ),
        (
            "named_zak_retail_mac",
            &net.issuer,
            retail,
            named_cases(&messages),
            "",
        ),
    ];
    let mut g = c.benchmark_group("mac");
    g.throughput(Throughput::Elements(1));
    for (name, hsm, algorithm, cases, bdk) in &sets {
        for case in cases {
            let key = key_of(bdk, case);
            let made = hsm
                .generate_mac(&key, *algorithm, &case.message, MAC_LEN_BYTES)
                .unwrap();
            assert_eq!(made, case.mac, "{name}");
            assert!(
                hsm.verify_mac(&key, *algorithm, &case.message, &case.mac)
                    .unwrap()
            );
            let mut tampered = case.message.clone();
            tampered[20] ^= 0x01;
            assert!(
                !hsm.verify_mac(&key, *algorithm, &tampered, &case.mac)
                    .unwrap()
            );
        }
        let mut i = 0usize;
        g.bench_function(format!("{name}/generate"), |b| {
            b.iter(|| {
                let case = &cases[i % cases.len()];
                i += 1;
                hsm.generate_mac(
                    &key_of(bdk, case),
                    *algorithm,
                    black_box(&case.message),
                    MAC_LEN_BYTES,
                )
                .unwrap()
            })
        });
        let mut i = 0usize;
        g.bench_function(format!("{name}/verify"), |b| {
            b.iter(|| {
                let case = &cases[i % cases.len()];
                i += 1;
                hsm.verify_mac(
                    &key_of(bdk, case),
                    *algorithm,
                    black_box(&case.message),
                    &case.mac,
                )
                .unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, macs);
criterion_main!(benches);
