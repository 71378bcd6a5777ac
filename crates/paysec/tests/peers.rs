//! Cross-checks against independent implementations (issue 4 item 4).
//!
//! For every function a peer also implements, the published vectors and at least 1,000 random
//! cases (seed-deterministic) go through our code and through the peer in one process run, and
//! the results must be identical. Peers: pydukpt 0.1.0 (TDES DUKPT), pyemv 1.5.0 (EMV),
//! psec 1.3.0 (PIN blocks, PIN/card verification, MACs, TR-31, KCV, TDES/AES) and
//! cryptography 50.0.2 (AES-CMAC), pinned in the workspace venv (`testkit::peer_python`).
//! AES DUKPT and PIN block format 1 have no peer; they are tested against X9.24-3 vectors and
//! the ISO 9564 layout in the unit tests.

use paysec::cipher::{cbc_decrypt, cbc_encrypt, ecb_encrypt};
use paysec::dukpt::tdes::{self as dukpt, KeyUsage as DukptUsage, Ksn};
use paysec::emv::{self, CryptogramPadding};
use paysec::kcv::{KcvMethod, kcv};
use paysec::mac::cmac::cmac_truncated;
use paysec::mac::iso9797::{Padding, mac_algorithm_1, mac_algorithm_3};
use paysec::pinblock::{
    self, PinBlockFormat, decipher_format4, decode_format0, decode_format3, encipher_format4,
    encode_format0, encode_format3,
};
use paysec::pinverify::cvv::generate_cvv;
use paysec::pinverify::ibm3624::{
    DecimalisationTable, ValidationData, generate_offset, natural_pin,
};
use paysec::pinverify::pvv::generate_pvv;
use paysec::rng::Replay;
use paysec::tr31::{
    self, Algorithm, Exportability, Header, KeyUsage, KeyVersion, ModeOfUse, OptionalBlock, Version,
};
use paysec::{KeyAlgorithm, Pan, Pin, SecretKey};
use serde_json::{Value, json};

const PSEC: &str = "crates/paysec/tests/peers/psec_peer.py";
const PYEMV: &str = "crates/paysec/tests/peers/pyemv_peer.py";
const PYDUKPT: &str = "crates/paysec/tests/peers/pydukpt_peer.py";

/// Random cases per function.
const RANDOM_CASES: usize = 1000;

/// SplitMix64: small, seedable, good enough to spread test inputs.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in lo..=hi.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + (self.next_u64() % 10) as u8))
            .collect()
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() - 1)]
    }
}

fn hexu(b: &[u8]) -> String {
    hex::encode_upper(b)
}

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// Sends all cases to the peer in one run and returns its answers, in order.
fn ask(script: &str, cases: &[Value]) -> Vec<Value> {
    let mut input = String::new();
    for c in cases {
        input.push_str(&c.to_string());
        input.push('\n');
    }
    let raw = testkit::run_peer(script, &[], input.as_bytes());
    let text = String::from_utf8(raw).expect("peer output is UTF-8");
    let answers: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("peer answers JSON"))
        .collect();
    assert_eq!(answers.len(), cases.len(), "one answer per case");
    answers
}

/// The peer's result; a peer error fails the test with the case.
fn out<'a>(answer: &'a Value, case: &Value) -> &'a Value {
    if let Some(e) = answer.get("error") {
        panic!("peer refused {case}: {e}");
    }
    &answer["out"]
}

fn out_str<'a>(answer: &'a Value, case: &Value) -> &'a str {
    out(answer, case).as_str().expect("string result")
}

fn tdes(b: &[u8]) -> SecretKey {
    SecretKey::tdes(b).unwrap()
}

fn aes(b: &[u8]) -> SecretKey {
    SecretKey::aes(b).unwrap()
}

// ---------------------------------------------------------------------------------------------
// pydukpt: TDES DUKPT
// ---------------------------------------------------------------------------------------------

/// ANSI X9.24-1:2009 A.4: BDK, KSNs and the encrypted format 0 PIN blocks for PIN 1234,
/// PAN 4012345678909.
const X9_24_1_BDK: &str = "0123456789ABCDEFFEDCBA9876543210";
const X9_24_1_BLOCKS: &[(&str, &str)] = &[
    ("FFFF9876543210E00001", "1B9C1845EB993A7A"),
    ("FFFF9876543210E00002", "10A01C8D02C69107"),
    ("FFFF9876543210E00003", "18DC07B94797B466"),
    ("FFFF9876543210E00004", "0BC79509D5645DF7"),
    ("FFFF9876543210E00005", "5BC0AF22AD87B327"),
    ("FFFF9876543210E00006", "A16DF70AE36158D8"),
    ("FFFF9876543210E00007", "27711C16CB257F8E"),
    ("FFFF9876543210E00008", "50E55547A5027551"),
    ("FFFF9876543210E00009", "536CF7F678ACFC8D"),
    ("FFFF9876543210E0000A", "EDABBA23221833FE"),
    ("FFFF9876543210E00010", "D5D9638559EF53D6"),
    ("FFFF9876543210E00015", "72105C22EBC791E6"),
    ("FFFF9876543210EFF800", "33365F5CC6F23C35"),
    ("FFFF9876543210EFF801", "3A86BF003F835C9D"),
    ("FFFF9876543210EFF900", "1A4C10AFBA03A430"),
    ("FFFF9876543210EFFC00", "DEFC6F09F8927B71"),
    ("FFFF9876543210F00000", "73EC88AD0AC5830E"),
];

fn random_ksn(rng: &mut Rng) -> Ksn {
    let mut b = rng.bytes(10);
    if rng.range(0, 1) == 0 {
        // A counter a device would use: at most ten 1 bits.
        let mut counter = 0u32;
        for _ in 0..rng.range(1, 10) {
            counter |= 1 << rng.range(0, 20);
        }
        b[7] = (b[7] & 0xE0) | ((counter >> 16) as u8 & 0x1F);
        b[8] = (counter >> 8) as u8;
        b[9] = counter as u8;
    }
    Ksn::new(&b).unwrap()
}

#[test]
fn pydukpt_keys_and_variants() {
    let mut rng = Rng::new(0xD0C7_0001);
    let mut cases = Vec::new();
    for (ksn, _) in X9_24_1_BLOCKS {
        cases.push((tdes(&h(X9_24_1_BDK)), Ksn::new(&h(ksn)).unwrap()));
    }
    for _ in 0..RANDOM_CASES {
        cases.push((tdes(&rng.bytes(16)), random_ksn(&mut rng)));
    }
    let requests: Vec<Value> = cases
        .iter()
        .map(|(bdk, ksn)| json!({"op": "keys", "bdk": hexu(bdk.as_bytes()), "ksn": hexu(ksn.as_bytes())}))
        .collect();
    let answers = ask(PYDUKPT, &requests);
    for (((bdk, ksn), answer), request) in cases.iter().zip(&answers).zip(&requests) {
        let peer = out(answer, request);
        let ipek = dukpt::derive_ipek(bdk, ksn).unwrap();
        let key = dukpt::derive_transaction_key(&ipek, ksn).unwrap();
        assert_eq!(peer["ipek"], hexu(ipek.as_bytes()), "{request}");
        assert_eq!(peer["key"], hexu(key.as_bytes()), "{request}");
        for (name, usage) in [
            ("pin", DukptUsage::Pin),
            ("mac_request", DukptUsage::MacRequest),
            ("mac_response", DukptUsage::MacResponse),
            ("data_request", DukptUsage::DataRequest),
            ("data_response", DukptUsage::DataResponse),
        ] {
            let ours = dukpt::working_key(&key, usage).unwrap();
            assert_eq!(peer[name], hexu(ours.as_bytes()), "{name} {request}");
        }
    }
    // The published values, checked on the peer's side too (A.4).
    let first = out(&answers[0], &requests[0]);
    assert_eq!(first["ipek"], "6AC292FAA1315B4D858AB3A3D7D5933A");
    assert_eq!(first["key"], "042666B49184CFA368DE9628D0397BC9");
    assert_eq!(first["pin"], "042666B49184CF5C68DE9628D0397B36");
    assert_eq!(first["mac_request"], "042666B4918430A368DE9628D03984C9");
}

#[test]
fn pydukpt_counter_advance() {
    let mut rng = Rng::new(0xD0C7_0002);
    let mut ksns = Vec::new();
    for _ in 0..RANDOM_CASES {
        let mut k = random_ksn(&mut rng);
        if rng.range(0, 9) == 0 {
            // Near the end of the device's life.
            k = k.with_counter(dukpt::LAST_COUNTER - rng.range(0, 0x900) as u32);
        }
        ksns.push(k);
    }
    ksns.push(
        Ksn::new(&h("FFFF9876543210E00000"))
            .unwrap()
            .with_counter(dukpt::LAST_COUNTER),
    );
    let requests: Vec<Value> = ksns
        .iter()
        .map(|k| json!({"op": "next_ksn", "ksn": hexu(k.as_bytes())}))
        .collect();
    let answers = ask(PYDUKPT, &requests);
    for ((k, answer), request) in ksns.iter().zip(&answers).zip(&requests) {
        match k.next() {
            Ok(next) => assert_eq!(out_str(answer, request), hexu(next.as_bytes()), "{request}"),
            Err(paysec::dukpt::DukptError::Exhausted { .. }) => {
                let e = answer["error"]
                    .as_str()
                    .unwrap_or_else(|| panic!("peer advanced {request}: {answer}"));
                assert!(e.starts_with("KSNExhaustedError"), "{e}");
            }
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn pydukpt_pin_blocks() {
    let mut rng = Rng::new(0xD0C7_0003);
    // (transaction key, pin, pan, published block if any)
    let mut cases: Vec<(SecretKey, String, String, Option<&str>)> = Vec::new();
    let bdk = tdes(&h(X9_24_1_BDK));
    for (ksn, block) in X9_24_1_BLOCKS {
        let ksn = Ksn::new(&h(ksn)).unwrap();
        let key =
            dukpt::derive_transaction_key(&dukpt::derive_ipek(&bdk, &ksn).unwrap(), &ksn).unwrap();
        cases.push((key, "1234".into(), "4012345678909".into(), Some(block)));
    }
    for _ in 0..RANDOM_CASES {
        let bdk = tdes(&rng.bytes(16));
        let ksn = random_ksn(&mut rng);
        let key =
            dukpt::derive_transaction_key(&dukpt::derive_ipek(&bdk, &ksn).unwrap(), &ksn).unwrap();
        let pin_len = rng.range(4, 12);
        let pan_len = rng.range(8, 19);
        cases.push((key, rng.digits(pin_len), rng.digits(pan_len), None));
    }
    let mut ours = Vec::new();
    let mut requests = Vec::new();
    for (key, pin, pan, _) in &cases {
        let pin_key = dukpt::working_key(key, DukptUsage::Pin).unwrap();
        let block = pinblock::encipher(
            PinBlockFormat::Iso0,
            &pin_key,
            &Pin::new(pin).unwrap(),
            Some(&Pan::new(pan).unwrap()),
            &mut Replay::new(&[]),
        )
        .unwrap();
        requests.push(
            json!({"op": "encrypt_pin", "key": hexu(key.as_bytes()), "pin": pin, "pan": pan}),
        );
        requests.push(json!({"op": "decrypt_pin", "key": hexu(key.as_bytes()), "block": hexu(&block), "pan": pan}));
        ours.push(block);
    }
    let answers = ask(PYDUKPT, &requests);
    for (i, ((_, pin, _, published), block)) in cases.iter().zip(&ours).enumerate() {
        let (enc_req, dec_req) = (&requests[2 * i], &requests[2 * i + 1]);
        assert_eq!(out_str(&answers[2 * i], enc_req), hexu(block), "{enc_req}");
        assert_eq!(out_str(&answers[2 * i + 1], dec_req), pin, "{dec_req}");
        if let Some(p) = published {
            assert_eq!(hexu(block), *p, "X9.24-1 A.4 block");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// pyemv: EMV
// ---------------------------------------------------------------------------------------------

#[test]
fn pyemv_icc_master_keys_a_and_b() {
    let mut rng = Rng::new(0xE3F0_0001);
    // Published (pyemv documentation) examples first.
    let mut cases: Vec<(Vec<u8>, String, u8)> = vec![
        (
            h("0123456789ABCDEFFEDCBA9876543210"),
            "12345678901234567".into(),
            1,
        ),
        (
            h("0123456789ABCDEFFEDCBA9876543210"),
            "99012345678901234".into(),
            45,
        ),
    ];
    for _ in 0..RANDOM_CASES {
        let pan_len = rng.range(12, 19);
        cases.push((rng.bytes(16), rng.digits(pan_len), rng.range(0, 99) as u8));
    }
    let mut requests = Vec::new();
    for (imk, pan, psn) in &cases {
        let psn = format!("{psn:02}");
        requests.push(json!({"op": "icc_mk_a", "imk": hexu(imk), "pan": pan, "psn": psn}));
        requests.push(json!({"op": "icc_mk_b", "imk": hexu(imk), "pan": pan, "psn": psn}));
    }
    let answers = ask(PYEMV, &requests);
    for (i, (imk, pan, psn)) in cases.iter().enumerate() {
        let imk = tdes(imk);
        let pan = Pan::new(pan).unwrap();
        let a = emv::derive_icc_master_key_a(&imk, &pan, Some(*psn)).unwrap();
        let b = emv::derive_icc_master_key_b(&imk, &pan, Some(*psn)).unwrap();
        assert_eq!(
            out_str(&answers[2 * i], &requests[2 * i]),
            hexu(a.as_bytes()),
            "{}",
            requests[2 * i]
        );
        assert_eq!(
            out_str(&answers[2 * i + 1], &requests[2 * i + 1]),
            hexu(b.as_bytes()),
            "{}",
            requests[2 * i + 1]
        );
    }
    assert_eq!(
        out_str(&answers[0], &requests[0]),
        "73AD54688CEF2934B0979857E3C719F1"
    );
    assert_eq!(
        out_str(&answers[1], &requests[1]),
        "AD406D7F6D7570916D75E5DCAB8CF737"
    );
    assert_eq!(
        out_str(&answers[2], &requests[2]),
        "67F8292358083E5EA7AB7FDA58D53B6B"
    );
}

#[test]
fn pyemv_common_session_keys() {
    let mut rng = Rng::new(0xE3F0_0002);
    let mut cases = vec![(h("0123456789ABCDEFFEDCBA9876543210"), h("001C000000000000"))];
    for _ in 0..RANDOM_CASES {
        cases.push((rng.bytes(16), rng.bytes(8)));
    }
    let requests: Vec<Value> = cases
        .iter()
        .map(|(mk, r)| json!({"op": "session_key", "mk": hexu(mk), "r": hexu(r)}))
        .collect();
    let answers = ask(PYEMV, &requests);
    for (((mk, r), answer), request) in cases.iter().zip(&answers).zip(&requests) {
        let sk =
            emv::derive_common_session_key(&tdes(mk), r.as_slice().try_into().unwrap()).unwrap();
        assert_eq!(out_str(answer, request), hexu(sk.as_bytes()), "{request}");
    }
    assert_eq!(
        out_str(&answers[0], &requests[0]),
        "E9FB384AF807B940FEDCEA613461B0C4"
    );
}

#[test]
fn pyemv_application_cryptograms() {
    let mut rng = Rng::new(0xE3F0_0003);
    let mut cases = vec![
        (
            h("29B33180E567CE38EA4CBC9D753B0E61"),
            h("0123456789ABCDEF0123456789ABCDEF"),
            2u8,
        ),
        (
            h("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB"),
            h("000000002000000000000000012400000080000124110309003804823E58000001"),
            2,
        ),
    ];
    for _ in 0..RANDOM_CASES {
        let len = rng.range(0, 80);
        cases.push((rng.bytes(16), rng.bytes(len), rng.range(1, 2) as u8));
    }
    let requests: Vec<Value> = cases
        .iter()
        .map(|(sk, data, p)| json!({"op": "generate_ac", "sk": hexu(sk), "data": hexu(data), "padding": p}))
        .collect();
    let answers = ask(PYEMV, &requests);
    for (((sk, data, p), answer), request) in cases.iter().zip(&answers).zip(&requests) {
        let padding = if *p == 1 {
            CryptogramPadding::Method1
        } else {
            CryptogramPadding::Method2
        };
        let sk = tdes(sk);
        let ac = emv::generate_ac(&sk, data, padding).unwrap();
        assert_eq!(out_str(answer, request), hexu(&ac), "{request}");
        assert!(emv::verify_ac(&sk, data, padding, &ac).is_ok());
    }
    assert_eq!(out_str(&answers[0], &requests[0]), "FA624250B008B59A");
    assert_eq!(out_str(&answers[1], &requests[1]), "3B76CF10FECD8789");
}

#[test]
fn pyemv_arpc_methods_1_and_2() {
    let mut rng = Rng::new(0xE3F0_0004);
    let mut cases = vec![(
        h("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB"),
        h("1234567890ABCDEF"),
        h("0000"),
        h("00000000"),
        vec![],
    )];
    for _ in 0..RANDOM_CASES {
        let prop = rng.range(0, 8);
        cases.push((
            rng.bytes(16),
            rng.bytes(8),
            rng.bytes(2),
            rng.bytes(4),
            rng.bytes(prop),
        ));
    }
    let mut requests = Vec::new();
    for (sk, arqc, arc, csu, prop) in &cases {
        requests.push(json!({"op": "arpc1", "sk": hexu(sk), "arqc": hexu(arqc), "arc": hexu(arc)}));
        requests.push(json!({"op": "arpc2", "sk": hexu(sk), "arqc": hexu(arqc), "csu": hexu(csu), "pad": hexu(prop)}));
    }
    let answers = ask(PYEMV, &requests);
    for (i, (sk, arqc, arc, csu, prop)) in cases.iter().enumerate() {
        let sk = tdes(sk);
        let arqc: [u8; 8] = arqc.as_slice().try_into().unwrap();
        let m1 =
            emv::generate_arpc_method1(&sk, &arqc, arc.as_slice().try_into().unwrap()).unwrap();
        let m2 = emv::generate_arpc_method2(&sk, &arqc, csu.as_slice().try_into().unwrap(), prop)
            .unwrap();
        assert_eq!(
            out_str(&answers[2 * i], &requests[2 * i]),
            hexu(&m1),
            "{}",
            requests[2 * i]
        );
        assert_eq!(
            out_str(&answers[2 * i + 1], &requests[2 * i + 1]),
            hexu(&m2),
            "{}",
            requests[2 * i + 1]
        );
    }
    assert_eq!(out_str(&answers[0], &requests[0]), "F5E6F44147E2F1B0");
    assert_eq!(out_str(&answers[1], &requests[1]), "9308BEBC");
}

#[test]
fn pyemv_issuer_script_mac() {
    let mut rng = Rng::new(0xE3F0_0005);
    let mut cases = vec![(
        h("0123456789ABCDEFFEDCBA9876543210"),
        h("8424000008FFFF1234567890123456"),
        8usize,
    )];
    for _ in 0..RANDOM_CASES {
        let len = rng.range(5, 64);
        cases.push((rng.bytes(16), rng.bytes(len), rng.range(4, 8)));
    }
    let requests: Vec<Value> = cases
        .iter()
        .map(|(sk, data, len)| json!({"op": "script_mac", "sk": hexu(sk), "data": hexu(data), "len": len}))
        .collect();
    let answers = ask(PYEMV, &requests);
    for (((sk, data, len), answer), request) in cases.iter().zip(&answers).zip(&requests) {
        let mac = emv::issuer_script_mac(&tdes(sk), data, *len).unwrap();
        assert_eq!(out_str(answer, request), hexu(&mac), "{request}");
    }
    assert_eq!(out_str(&answers[0], &requests[0]), "E07B8DF1B4184282");
}

// ---------------------------------------------------------------------------------------------
// psec: PIN blocks
// ---------------------------------------------------------------------------------------------

#[test]
fn psec_pin_block_format_0() {
    let mut rng = Rng::new(0x9EC0_0001);
    let mut cases = vec![("1234".to_string(), "5544332211009966".to_string())];
    for _ in 0..RANDOM_CASES {
        let (pin_len, pan_len) = (rng.range(4, 12), rng.range(13, 19));
        cases.push((rng.digits(pin_len), rng.digits(pan_len)));
    }
    let mut requests = Vec::new();
    let mut ours = Vec::new();
    for (pin, pan) in &cases {
        let block = encode_format0(&Pin::new(pin).unwrap(), &Pan::new(pan).unwrap());
        requests.push(json!({"op": "pin0", "pin": pin, "pan": pan}));
        requests.push(json!({"op": "pin0_decode", "block": hexu(&block[..]), "pan": pan}));
        ours.push(*block);
    }
    let answers = ask(PSEC, &requests);
    for (i, ((pin, pan), block)) in cases.iter().zip(&ours).enumerate() {
        let peer_block = out_str(&answers[2 * i], &requests[2 * i]);
        assert_eq!(peer_block, hexu(block), "{}", requests[2 * i]);
        assert_eq!(out_str(&answers[2 * i + 1], &requests[2 * i + 1]), pin);
        let back = decode_format0(&h(peer_block), &Pan::new(pan).unwrap()).unwrap();
        assert_eq!(back.reveal().as_str(), pin.as_str());
    }
    assert_eq!(out_str(&answers[0], &requests[0]), "041277CDDEEFF669");
}

#[test]
fn psec_pin_block_format_3() {
    let mut rng = Rng::new(0x9EC0_0002);
    let mut cases = Vec::new();
    for _ in 0..RANDOM_CASES {
        let (pin_len, pan_len) = (rng.range(4, 12), rng.range(13, 19));
        cases.push((rng.digits(pin_len), rng.digits(pan_len), rng.bytes(16)));
    }
    let mut requests = Vec::new();
    let mut ours = Vec::new();
    for (pin, pan, fill) in &cases {
        let block = encode_format3(
            &Pin::new(pin).unwrap(),
            &Pan::new(pan).unwrap(),
            &mut Replay::new(fill),
        );
        // The same fill as letters, in the order psec draws them (after the PIN digits); psec
        // always draws 10 letters and uses the first 14 - PIN length.
        let mut letters: String = fill[2 + pin.len()..]
            .iter()
            .map(|b| char::from(b'A' + b % 6))
            .collect();
        while letters.len() < 10 {
            letters.push('A');
        }
        requests.push(json!({"op": "pin3", "pin": pin, "pan": pan, "letters": letters}));
        requests.push(json!({"op": "pin3_decode", "block": hexu(&block[..]), "pan": pan}));
        ours.push(*block);
    }
    let answers = ask(PSEC, &requests);
    for (i, ((pin, pan, _), block)) in cases.iter().zip(&ours).enumerate() {
        let peer_block = out_str(&answers[2 * i], &requests[2 * i]);
        assert_eq!(peer_block, hexu(block), "{}", requests[2 * i]);
        assert_eq!(out_str(&answers[2 * i + 1], &requests[2 * i + 1]), pin);
        assert_eq!(
            decode_format3(&h(peer_block), &Pan::new(pan).unwrap())
                .unwrap()
                .reveal()
                .as_str(),
            pin.as_str()
        );
    }
}

#[test]
fn psec_pin_block_format_4() {
    let mut rng = Rng::new(0x9EC0_0003);
    // Published: X9.24-3-2017 supplement format 4 example, and the psec documentation example.
    let mut cases = vec![(
        h("AF8CB133A78F8DC2D1359F18527593FB"),
        "1234".to_string(),
        "4111111111111111".to_string(),
        h("2F69ADDE2E9E7ACE"),
    )];
    for _ in 0..RANDOM_CASES {
        let key_len = *rng.pick(&[16, 24, 32]);
        let (pin_len, pan_len) = (rng.range(4, 12), rng.range(1, 19));
        cases.push((
            rng.bytes(key_len),
            rng.digits(pin_len),
            rng.digits(pan_len),
            rng.bytes(8),
        ));
    }
    let mut requests = Vec::new();
    let mut ours = Vec::new();
    for (key, pin, pan, random) in &cases {
        let block = encipher_format4(
            &aes(key),
            &Pin::new(pin).unwrap(),
            &Pan::new(pan).unwrap(),
            &mut Replay::new(random),
        )
        .unwrap();
        requests.push(
            json!({"op": "pin4", "key": hexu(key), "pin": pin, "pan": pan, "random": hexu(random)}),
        );
        requests.push(
            json!({"op": "pin4_decode", "key": hexu(key), "block": hexu(&block), "pan": pan}),
        );
        ours.push(block);
    }
    requests.push(
        json!({"op": "pin4_decode", "key": "00112233445566778899AABBCCDDEEFF",
        "block": "E4BE5B623AF7E006AC319E5B93544564", "pan": "1234567890123456"}),
    );
    let answers = ask(PSEC, &requests);
    for (i, ((key, pin, pan, _), block)) in cases.iter().zip(&ours).enumerate() {
        let peer_block = out_str(&answers[2 * i], &requests[2 * i]);
        assert_eq!(peer_block, hexu(block), "{}", requests[2 * i]);
        assert_eq!(out_str(&answers[2 * i + 1], &requests[2 * i + 1]), pin);
        let back = decipher_format4(&aes(key), &h(peer_block), &Pan::new(pan).unwrap()).unwrap();
        assert_eq!(back.reveal().as_str(), pin.as_str());
    }
    assert_eq!(
        out_str(&answers[0], &requests[0]),
        "A912150391AB65A67E52883D81CE2D15"
    );
    let last = requests.len() - 1;
    assert_eq!(out_str(&answers[last], &requests[last]), "1234");
}

// ---------------------------------------------------------------------------------------------
// psec: PIN and card verification values
// ---------------------------------------------------------------------------------------------

#[test]
fn psec_ibm3624_natural_pin_and_offset() {
    let mut rng = Rng::new(0x9EC0_0004);
    struct Case {
        pvk: Vec<u8>,
        table: String,
        pan: String,
        start: usize,
        len: usize,
        pad: u8,
        pin: String,
    }
    let mut cases = vec![Case {
        pvk: h("0123456789ABCDEFFEDCBA9876543210"),
        table: "1234567890123456".into(),
        pan: "1122334455667788".into(),
        start: 0,
        len: 16,
        pad: 0xF,
        pin: "4524".into(),
    }];
    for _ in 0..RANDOM_CASES {
        let pan_len = rng.range(12, 19);
        let start = rng.range(0, pan_len - 1);
        let len = rng.range(1, (pan_len - start).min(16));
        let key_len = *rng.pick(&[8, 16, 24]);
        let pin_len = rng.range(4, 12);
        cases.push(Case {
            pvk: rng.bytes(key_len),
            table: rng.digits(16),
            pan: rng.digits(pan_len),
            start,
            len,
            pad: rng.range(0, 15) as u8,
            pin: rng.digits(pin_len),
        });
    }
    let requests: Vec<Value> = cases
        .iter()
        .map(|c| {
            json!({"op": "ibm3624", "pvk": hexu(&c.pvk), "table": c.table, "pan": c.pan, "start": c.start,
                "len": c.len, "pad": format!("{:X}", c.pad), "pin": c.pin, "pin_len": c.pin.len()})
        })
        .collect();
    let answers = ask(PSEC, &requests);
    for ((c, answer), request) in cases.iter().zip(&answers).zip(&requests) {
        let peer = out(answer, request);
        let pvk = tdes(&c.pvk);
        let table = DecimalisationTable::new(&c.table).unwrap();
        let data =
            ValidationData::from_pan(&Pan::new(&c.pan).unwrap(), c.start, c.len, c.pad).unwrap();
        let natural = natural_pin(&pvk, &data, &table, c.pin.len()).unwrap();
        let offset = generate_offset(&pvk, &data, &table, &Pin::new(&c.pin).unwrap()).unwrap();
        assert_eq!(peer["natural"], natural.reveal().as_str(), "{request}");
        assert_eq!(peer["offset"], offset, "{request}");
    }
    assert_eq!(out(&answers[0], &requests[0])["natural"], "4524");
}

#[test]
fn psec_visa_pvv() {
    let mut rng = Rng::new(0x9EC0_0005);
    let mut cases = vec![(
        h("0123456789ABCDEFFEDCBA9876543210"),
        3u8,
        "4524".to_string(),
        "1122334455667788".to_string(),
    )];
    for _ in 0..RANDOM_CASES {
        let pan_len = rng.range(12, 19);
        cases.push((
            rng.bytes(16),
            rng.range(0, 9) as u8,
            rng.digits(4),
            rng.digits(pan_len),
        ));
    }
    let requests: Vec<Value> = cases
        .iter()
        .map(|(pvk, pvki, pin, pan)| json!({"op": "pvv", "pvk": hexu(pvk), "pvki": pvki.to_string(), "pin": pin, "pan": pan}))
        .collect();
    let answers = ask(PSEC, &requests);
    for (((pvk, pvki, pin, pan), answer), request) in cases.iter().zip(&answers).zip(&requests) {
        let ours = generate_pvv(
            &tdes(pvk),
            &Pan::new(pan).unwrap(),
            *pvki,
            &Pin::new(pin).unwrap(),
        )
        .unwrap();
        assert_eq!(out_str(answer, request), ours, "{request}");
    }
    assert_eq!(out_str(&answers[0], &requests[0]), "4021");
}

#[test]
fn psec_cvv_cvv2_icvv() {
    let mut rng = Rng::new(0x9EC0_0006);
    let mut cases = vec![(
        h("0123456789ABCDEFFEDCBA9876543210"),
        "4123456789012345".to_string(),
        "8701".to_string(),
        "101".to_string(),
    )];
    for i in 0..RANDOM_CASES {
        let pan_len = rng.range(12, 19);
        // A third each of CVV (random service code), CVV2 (000) and iCVV (999).
        let service = match i % 3 {
            0 => rng.digits(3),
            1 => "000".to_string(),
            _ => "999".to_string(),
        };
        cases.push((rng.bytes(16), rng.digits(pan_len), rng.digits(4), service));
    }
    let requests: Vec<Value> = cases
        .iter()
        .map(|(cvk, pan, exp, sc)| json!({"op": "cvv", "cvk": hexu(cvk), "pan": pan, "expiry": exp, "service_code": sc}))
        .collect();
    let answers = ask(PSEC, &requests);
    for (((cvk, pan, exp, sc), answer), request) in cases.iter().zip(&answers).zip(&requests) {
        let ours = generate_cvv(&tdes(cvk), &Pan::new(pan).unwrap(), exp, sc).unwrap();
        let peer = out_str(answer, request);
        if peer.len() == 3 {
            assert_eq!(peer, ours, "{request}");
        } else {
            // psec stops after the 0-9 pass; when fewer than 3 decimal nibbles exist, the
            // standard method continues with A-F minus 10. Ours must extend psec's prefix.
            assert!(ours.starts_with(peer), "{request}");
        }
    }
    assert_eq!(out_str(&answers[0], &requests[0]), "561");
}

// ---------------------------------------------------------------------------------------------
// psec / cryptography: MACs
// ---------------------------------------------------------------------------------------------

fn padding_of(n: u8) -> Padding {
    match n {
        1 => Padding::Method1,
        2 => Padding::Method2,
        _ => Padding::Method3,
    }
}

#[test]
fn psec_retail_mac_algorithm_3() {
    let mut rng = Rng::new(0x9EC0_0007);
    let mut cases = vec![(
        h("0123456789ABCDEFFEDCBA9876543210"),
        b"Now is the time for all ".to_vec(),
        1u8,
        8usize,
    )];
    for _ in 0..RANDOM_CASES {
        let len = rng.range(0, 100);
        cases.push((
            rng.bytes(16),
            rng.bytes(len),
            rng.range(1, 3) as u8,
            rng.range(4, 8),
        ));
    }
    let requests: Vec<Value> = cases
        .iter()
        .map(|(k, d, p, l)| json!({"op": "retail_mac", "key": hexu(k), "data": hexu(d), "padding": p, "len": l}))
        .collect();
    let answers = ask(PSEC, &requests);
    for (((k, d, p, l), answer), request) in cases.iter().zip(&answers).zip(&requests) {
        let ours = mac_algorithm_3(&tdes(k), d, padding_of(*p), *l).unwrap();
        assert_eq!(out_str(answer, request), hexu(&ours), "{request}");
    }
    // ANSI X9.19 example.
    assert_eq!(out_str(&answers[0], &requests[0]), "A1C72E74EA3FA9B6");
}

#[test]
fn psec_cbc_mac_algorithm_1() {
    let mut rng = Rng::new(0x9EC0_0008);
    let mut cases = vec![(
        h("0123456789ABCDEF"),
        false,
        b"Now is the time for all ".to_vec(),
        1u8,
        8usize,
    )];
    for _ in 0..RANDOM_CASES {
        let is_aes = rng.range(0, 3) == 0;
        let key_len = if is_aes {
            *rng.pick(&[16, 24, 32])
        } else {
            *rng.pick(&[8, 16, 24])
        };
        let len = rng.range(0, 100);
        let mac_len = rng.range(4, if is_aes { 16 } else { 8 });
        cases.push((
            rng.bytes(key_len),
            is_aes,
            rng.bytes(len),
            rng.range(1, 3) as u8,
            mac_len,
        ));
    }
    let requests: Vec<Value> = cases
        .iter()
        .map(|(k, a, d, p, l)| json!({"op": "cbc_mac", "key": hexu(k), "aes": a, "data": hexu(d), "padding": p, "len": l}))
        .collect();
    let answers = ask(PSEC, &requests);
    for (((k, a, d, p, l), answer), request) in cases.iter().zip(&answers).zip(&requests) {
        let key = if *a { aes(k) } else { tdes(k) };
        let ours = mac_algorithm_1(&key, d, padding_of(*p), *l).unwrap();
        assert_eq!(out_str(answer, request), hexu(&ours), "{request}");
    }
    // ANSI X9.9 example.
    assert_eq!(out_str(&answers[0], &requests[0]), "70A30640CC76DD8B");
}

#[test]
fn cryptography_aes_cmac() {
    let mut rng = Rng::new(0x9EC0_0009);
    // NIST SP 800-38B D.1 example 2.
    let mut cases = vec![(
        h("2b7e151628aed2a6abf7158809cf4f3c"),
        h("6bc1bee22e409f96e93d7e117393172a"),
        16usize,
    )];
    for _ in 0..RANDOM_CASES {
        let key_len = *rng.pick(&[16, 24, 32]);
        let len = rng.range(0, 100);
        cases.push((rng.bytes(key_len), rng.bytes(len), rng.range(4, 16)));
    }
    let requests: Vec<Value> = cases
        .iter()
        .map(|(k, d, l)| json!({"op": "aes_cmac", "key": hexu(k), "data": hexu(d), "len": l}))
        .collect();
    let answers = ask(PSEC, &requests);
    for (((k, d, l), answer), request) in cases.iter().zip(&answers).zip(&requests) {
        let ours = cmac_truncated(&aes(k), d, *l).unwrap();
        assert_eq!(out_str(answer, request), hexu(&ours), "{request}");
    }
    assert_eq!(
        out_str(&answers[0], &requests[0]),
        "070A16B46B4D4144F79BDD9DD04A287C"
    );
}

// ---------------------------------------------------------------------------------------------
// psec: primitives
// ---------------------------------------------------------------------------------------------

#[test]
fn psec_kcv_parity_variants() {
    let mut rng = Rng::new(0x9EC0_000A);
    let mut cases = vec![(h("0123456789ABCDEFFEDCBA9876543210"), false, 0u8)];
    for _ in 0..RANDOM_CASES {
        let is_aes = rng.range(0, 2) == 0;
        let key_len = if is_aes {
            *rng.pick(&[16, 24, 32])
        } else {
            *rng.pick(&[8, 16, 24])
        };
        cases.push((rng.bytes(key_len), is_aes, rng.range(0, 31) as u8));
    }
    let mut requests = Vec::new();
    for (k, a, v) in &cases {
        requests.push(json!({"op": "kcv", "key": hexu(k), "aes": a}));
        requests.push(json!({"op": "parity", "key": hexu(k)}));
        if !a {
            requests.push(json!({"op": "variant", "key": hexu(k), "variant": v}));
        }
    }
    let answers = ask(PSEC, &requests);
    let mut at = 0;
    for (k, a, v) in &cases {
        let key = if *a { aes(k) } else { tdes(k) };
        let peer_kcv = out(&answers[at], &requests[at]);
        assert_eq!(
            peer_kcv["legacy"],
            hexu(&kcv(&key, KcvMethod::Legacy).unwrap()),
            "{}",
            requests[at]
        );
        if *a {
            assert_eq!(
                peer_kcv["cmac"],
                hexu(&kcv(&key, KcvMethod::Cmac).unwrap()),
                "{}",
                requests[at]
            );
        }
        let mut fixed = k.clone();
        paysec::parity::fix_odd_parity(&mut fixed);
        assert_eq!(out_str(&answers[at + 1], &requests[at + 1]), hexu(&fixed));
        at += 2;
        if !a {
            let ours = paysec::variant::xor_first_byte_of_each_part(&key, v * 8);
            assert_eq!(
                out_str(&answers[at], &requests[at]),
                hexu(ours.as_bytes()),
                "{}",
                requests[at]
            );
            at += 1;
        }
    }
    assert_eq!(out(&answers[0], &requests[0])["legacy"], "08D7B4");
}

#[test]
fn psec_tdes_and_aes_ecb_cbc() {
    let mut rng = Rng::new(0x9EC0_000B);
    let mut cases = Vec::new();
    for _ in 0..RANDOM_CASES {
        let is_aes = rng.range(0, 1) == 0;
        let (key_len, block) = if is_aes {
            (*rng.pick(&[16, 24, 32]), 16)
        } else {
            (*rng.pick(&[8, 16, 24]), 8)
        };
        let blocks = rng.range(1, 8);
        cases.push((
            rng.bytes(key_len),
            is_aes,
            rng.bytes(block),
            rng.bytes(blocks * block),
        ));
    }
    let requests: Vec<Value> = cases
        .iter()
        .map(|(k, a, iv, d)| json!({"op": "cipher", "key": hexu(k), "aes": a, "iv": hexu(iv), "data": hexu(d)}))
        .collect();
    let answers = ask(PSEC, &requests);
    for (((k, a, iv, d), answer), request) in cases.iter().zip(&answers).zip(&requests) {
        let key = if *a { aes(k) } else { tdes(k) };
        let peer = out(answer, request);
        assert_eq!(
            peer["ecb"],
            hexu(&ecb_encrypt(&key, d).unwrap()),
            "{request}"
        );
        let cbc = cbc_encrypt(&key, iv, d).unwrap();
        assert_eq!(peer["cbc"], hexu(&cbc), "{request}");
        assert_eq!(hexu(&cbc_decrypt(&key, iv, &cbc).unwrap()), hexu(d));
        assert_eq!(peer["back"], hexu(d));
    }
}

// ---------------------------------------------------------------------------------------------
// psec: TR-31
// ---------------------------------------------------------------------------------------------

struct Tr31Case {
    kbpk: SecretKey,
    header: Header,
    key: Vec<u8>,
    masked: usize,
    pad: Vec<u8>,
}

fn code(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

fn random_tr31_case(rng: &mut Rng) -> Tr31Case {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let version = if rng.range(0, 1) == 0 {
        Version::B
    } else {
        Version::D
    };
    let (kbpk, key, algorithm, masked) = match version {
        Version::B => {
            let kbpk_len = *rng.pick(&[16, 24]);
            let kbpk = tdes(&rng.bytes(kbpk_len));
            let key_len = *rng.pick(&[8, 16, 24]);
            let masked = *rng.pick(&[key_len, 24]);
            (kbpk, rng.bytes(key_len), Algorithm::Tdes, masked)
        }
        Version::D => {
            let kbpk_len = *rng.pick(&[16, 24, 32]);
            let kbpk = aes(&rng.bytes(kbpk_len));
            if rng.range(0, 3) == 0 {
                let key_len = *rng.pick(&[16, 24]);
                (
                    kbpk,
                    rng.bytes(key_len),
                    Algorithm::Tdes,
                    *rng.pick(&[key_len, 24]),
                )
            } else {
                let key_len = *rng.pick(&[16, 24, 32]);
                (
                    kbpk,
                    rng.bytes(key_len),
                    Algorithm::Aes,
                    *rng.pick(&[key_len, 32]),
                )
            }
        }
    };
    let usage = *rng.pick(&[
        b"P0", b"B0", b"K0", b"K1", b"M3", b"M6", b"D0", b"V2", b"C0", b"E0", b"17",
    ]);
    let mode = *rng.pick(&[b"B", b"C", b"D", b"E", b"G", b"N", b"V", b"X"]);
    let export = *rng.pick(&[b"E", b"N", b"S"]);
    let kv = [*rng.pick(ALNUM), *rng.pick(ALNUM)];
    let mut header = Header::new(
        version,
        KeyUsage::parse(*usage, 5).unwrap(),
        algorithm,
        ModeOfUse::parse(*mode, 8).unwrap(),
        KeyVersion(kv),
        Exportability::parse(*export, 11).unwrap(),
    );
    for _ in 0..rng.range(0, 3) {
        let mut id = [*rng.pick(ALNUM), *rng.pick(ALNUM)];
        // psec takes any case of "PB" for the pad block; the ID is not ours to vary here.
        if id.eq_ignore_ascii_case(b"PB") {
            id = *b"PC";
        }
        if header.optional_blocks.iter().any(|b| b.id == id) {
            continue;
        }
        let len = rng.range(0, 40);
        let data: String = (0..len)
            .map(|_| char::from(0x20 + (rng.next_u64() % 95) as u8))
            .collect();
        header.optional_blocks.push(OptionalBlock { id, data });
    }
    let pad = rng.bytes(64);
    Tr31Case {
        kbpk,
        header,
        key,
        masked,
        pad,
    }
}

#[test]
fn psec_tr31_wrap_and_unwrap() {
    let mut rng = Rng::new(0x9EC0_000C);
    let cases: Vec<Tr31Case> = (0..RANDOM_CASES)
        .map(|_| random_tr31_case(&mut rng))
        .collect();
    let mut ours = Vec::new();
    let mut requests = Vec::new();
    for c in &cases {
        let block = tr31::wrap(
            &c.kbpk,
            &c.header,
            &c.key,
            Some(c.masked),
            &mut Replay::new(&c.pad),
        )
        .unwrap();
        let h = &c.header;
        let blocks: Vec<Value> = h
            .optional_blocks
            .iter()
            .map(|b| json!([code(&b.id), b.data]))
            .collect();
        requests.push(json!({"op": "tr31_wrap", "kbpk": hexu(c.kbpk.as_bytes()), "version": h.version.as_char().to_string(),
            "usage": code(&h.key_usage.code()), "algorithm": code(&h.algorithm.code()), "mode": code(&h.mode_of_use.code()),
            "key_version": code(&h.key_version.0), "export": code(&h.exportability.code()), "blocks": blocks,
            "key": hexu(&c.key), "masked": c.masked, "pad": hexu(&c.pad)}));
        requests
            .push(json!({"op": "tr31_unwrap", "kbpk": hexu(c.kbpk.as_bytes()), "block": block}));
        ours.push(block);
    }
    let answers = ask(PSEC, &requests);
    let mut exact = 0;
    for (i, (c, block)) in cases.iter().zip(&ours).enumerate() {
        let peer_block = out_str(&answers[2 * i], &requests[2 * i]);
        // Both sides use the same padding bytes. They differ only in the pad block when the
        // optional blocks end 4 characters short of a cipher block: psec then pads a whole
        // extra block, we use the minimal PB04. Both are valid; without optional blocks the
        // encodings must be identical.
        if peer_block == block {
            exact += 1;
        } else {
            assert!(
                !c.header.optional_blocks.is_empty(),
                "{}\nours {block}\npeer {peer_block}",
                requests[2 * i]
            );
        }
        // psec opens our block.
        let peer = out(&answers[2 * i + 1], &requests[2 * i + 1]);
        assert_eq!(peer["key"], hexu(&c.key), "{}", requests[2 * i + 1]);
        assert_eq!(peer["usage"], code(&c.header.key_usage.code()));
        assert_eq!(peer["mode"], code(&c.header.mode_of_use.code()));
        assert_eq!(peer["key_version"], code(&c.header.key_version.0));
        let peer_blocks: Vec<Value> = c
            .header
            .optional_blocks
            .iter()
            .map(|b| json!([code(&b.id), b.data]))
            .collect();
        assert_eq!(peer["blocks"], Value::Array(peer_blocks));
        // We open psec's block.
        let u = tr31::unwrap(&c.kbpk, peer_block.as_bytes())
            .unwrap_or_else(|e| panic!("{peer_block}: {e}"));
        assert_eq!(&u.key[..], &c.key[..]);
        assert_eq!(u.header, c.header);
    }
    assert!(
        exact > RANDOM_CASES / 2,
        "only {exact} byte-identical blocks"
    );
}

#[test]
fn psec_tr31_published_blocks() {
    // TR-31:2018 A.7.2.2, A.7.3.2, A.7.4 and X9.143:2021 8.1: the peer and we must both
    // recover the published key.
    let cases: &[(bool, &str, &str, &str)] = &[
        (
            false,
            "DD7515F2BFC17F85CE48F3CA25CB21F6",
            "B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E",
            "3F419E1CB7079442AA37474C2EFBF8B8",
        ),
        (
            false,
            "1D22BF32387C600AD97F9B97A51311AC",
            "B0104B0TX12S0100KS1800604B120F9292800000BB68BE8680A400D9191AD4ECE45B6E6C0D21C4738A52190E248719E24B433627",
            "E8BC63E5479455E26577F715D587FE68",
        ),
        (
            true,
            "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6",
            "D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34",
            "3F419E1CB7079442AA37474C2EFBF8B8",
        ),
        (
            true,
            "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6",
            "D0144P0AE00E00002C77FA3F4A553BED6E88AE5C172A4166E3D4ACA8E2AC71C158A476FAC12C13C3829DE55D3AB54C48F4C4FEF7AC75E90FC47F1B77E7B19A73ED46E64410082557",
            "3F419E1CB7079442AA37474C2EFBF8B8",
        ),
    ];
    let requests: Vec<Value> = cases
        .iter()
        .map(|(_, kbpk, block, _)| json!({"op": "tr31_unwrap", "kbpk": kbpk, "block": block}))
        .collect();
    let answers = ask(PSEC, &requests);
    for (((is_aes, kbpk, block, key), answer), request) in cases.iter().zip(&answers).zip(&requests)
    {
        assert_eq!(out(answer, request)["key"], *key, "{request}");
        let kbpk = if *is_aes {
            aes(&h(kbpk))
        } else {
            tdes(&h(kbpk))
        };
        assert_eq!(
            hexu(&tr31::unwrap(&kbpk, block.as_bytes()).unwrap().key),
            *key
        );
    }
}

#[test]
fn key_algorithm_tags_survive_unwrap() {
    // Not a peer check: the algorithm letter of the header decides the SecretKey type.
    let kbpk = aes(&[0x41; 32]);
    let header = Header::new(
        Version::D,
        KeyUsage::DataEncryption,
        Algorithm::Aes,
        ModeOfUse::EncryptDecrypt,
        KeyVersion::NONE,
        Exportability::NonExportable,
    );
    let block = tr31::wrap(&kbpk, &header, &[7u8; 32], None, &mut Replay::new(&[])).unwrap();
    let k = tr31::unwrap(&kbpk, block.as_bytes())
        .unwrap()
        .secret_key()
        .unwrap();
    assert_eq!(k.algorithm(), KeyAlgorithm::Aes);
}
