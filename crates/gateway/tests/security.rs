//! MACs and PINs through the gateway core with a real (software) HSM: a PIN pad's message
//! with a good MAC is processed and its PIN block arrives at the issuer under the zone key; a
//! changed byte or a missing MAC is answered 63 and never forwarded; answers are MACed back
//! under the terminal's KSN; a key change (0800 161) replaces the zone PIN key.

mod common;

use std::sync::Arc;

use common::*;
use gateway::{Config, Gateway, Level, Security};
use hsm::{Direction, Hsm, KeyAttributes, SoftHsm};
use iso8583::mac::{mac_parts, pack_with_mac};
use iso8583::{Message, Mti, specs};
use paysec::dukpt::aes as aes_dukpt;
use paysec::pinblock::{self, PinBlockFormat};
use paysec::tr31::KeyUsage;
use paysec::{Pan, Pin, SecretKey};

/// ANSI X9.24-3-2017 supplement AES-128 BDK and an initial key id.
const BDK: &str = "FEDCBA9876543210F1F1F1F1F1F1F1F1";
const KEY_ID: &str = "0123456789ABCDEF";
const ZPK0: &str = "1111111111111111222222222222222F";
const ZMK: &str = "0123456789ABCDEFFEDCBA9876543210";
const PAN: &str = "4761731000000011";

fn h(s: &str) -> Vec<u8> {
    paysec::hex::decode(s.as_bytes()).unwrap()
}

fn import(hsm: &mut SoftHsm, name: &str, usage: KeyUsage, key: &SecretKey) {
    hsm.import_key(name, &KeyAttributes::for_usage(usage), key)
        .unwrap();
}

struct Setup {
    _dirs: Vec<tempfile::TempDir>,
    gw: Gateway,
    pinpad: SoftHsm,
    issuer_hsm: SoftHsm,
}

fn setup(zmk_on_link: bool) -> Setup {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut host = SoftHsm::init(dirs[0].path()).unwrap();
    let bdk = SecretKey::aes(&h(BDK)).unwrap();
    import(&mut host, "bdk", KeyUsage::Bdk, &bdk);
    let zpk0 = SecretKey::tdes(&h(ZPK0)).unwrap();
    import(
        &mut host,
        "zpk.issuer-a.000000",
        KeyUsage::PinEncryption,
        &zpk0,
    );
    let zmk = SecretKey::tdes(&h(ZMK)).unwrap();
    import(&mut host, "zmk", KeyUsage::KeyEncryption, &zmk);

    let mut pinpad = SoftHsm::init(dirs[1].path()).unwrap();
    let ipek = aes_dukpt::derive_initial_key(&bdk, h(KEY_ID).try_into().unwrap()).unwrap();
    import(&mut pinpad, "ipek", KeyUsage::InitialDukptKey, &ipek);

    let mut issuer_hsm = SoftHsm::init(dirs[2].path()).unwrap();
    import(&mut issuer_hsm, "zmk", KeyUsage::KeyEncryption, &zmk);

    let mut text = config_text();
    if zmk_on_link {
        text = text.replacen(
            "name = \"issuer-a\"",
            "name = \"issuer-a\"\nzmk = \"zmk\"",
            1,
        );
    }
    let mut gw = Gateway::new(&Config::from_toml(&text).unwrap());
    gw.set_security(Security::new(
        host,
        "bdk",
        Arc::new(specs::iso87_ascii_bbitmap()),
    ));
    Setup {
        _dirs: dirs,
        gw,
        pinpad,
        issuer_hsm,
    }
}

fn ksn(counter: u32) -> Vec<u8> {
    aes_dukpt::Ksn::from_parts(h(KEY_ID).try_into().unwrap(), counter)
        .as_bytes()
        .to_vec()
}

/// Signs both links on (the key change, when configured, is left unanswered).
fn links_up(gw: &mut Gateway) {
    for link in ["issuer-a", "issuer-b"] {
        let acts = gw.on_link_up(link, T0);
        let signon = &issuer_msgs(&acts)[0].1;
        let mut r = Message::new(Mti::parse("0810").unwrap());
        r.set_owned(11, signon.text(11).unwrap()).unwrap();
        r.set_owned(39, "00").unwrap();
        r.set_owned(70, "001").unwrap();
        gw.on_issuer_message(link, &r, T0);
    }
}

/// The PIN pad's side: KSN in 62, an AES PIN block in 110, the message MACed; returns what
/// the gateway core gets (the sealed frame, unpacked) and the frame.
fn sealed(
    pinpad: &SoftHsm,
    mut m: Message<'static>,
    k: &[u8],
    pin: Option<&str>,
) -> (Message<'static>, Vec<u8>) {
    m.set_owned(62, paysec::hex::encode_upper(k)).unwrap();
    if let Some(pin) = pin {
        let block = pinpad
            .pinpad_encipher_pin("ipek", k, &Pin::new(pin).unwrap(), &Pan::new(PAN).unwrap())
            .unwrap();
        m.set_owned(110, paysec::hex::encode_upper(&block)).unwrap();
    }
    let spec = specs::iso87_ascii_bbitmap();
    let frame = pack_with_mac(&spec, &m, |d| {
        pinpad.pinpad_mac("ipek", k, Direction::Request, d)
    })
    .unwrap()
    .unwrap();
    (spec.unpack(&frame).unwrap().into_owned(), frame)
}

/// Checks an answer's MAC as the terminal does.
fn answer_verifies(pinpad: &SoftHsm, answer: &Message<'_>, k: &[u8]) -> bool {
    let spec = specs::iso87_ascii_bbitmap();
    let frame = spec.pack(answer).unwrap();
    let back = spec.unpack(&frame).unwrap();
    assert_eq!(back.text(62), Some(paysec::hex::encode_upper(k).as_str()));
    let (data, mac) = mac_parts(&frame, &back).unwrap();
    pinpad
        .pinpad_verify_mac("ipek", k, Direction::Response, data, mac)
        .unwrap()
}

fn zone_pin(zpk: &str, block: &[u8]) -> String {
    let key = SecretKey::tdes(&h(zpk)).unwrap();
    let pin = pinblock::decipher(
        PinBlockFormat::Iso0,
        &key,
        block,
        Some(&Pan::new(PAN).unwrap()),
    )
    .unwrap();
    pin.reveal().to_string()
}

#[test]
fn a_macd_purchase_with_pin_reaches_the_issuer_under_the_zone_key() {
    let mut s = setup(false);
    links_up(&mut s.gw);
    let k = ksn(1);
    let (m, _) = sealed(&s.pinpad, purchase("000101", PAN), &k, Some("1234"));
    let acts = s.gw.on_terminal_request(C1, Some(TERM1), &m, T0);
    let sent = issuer_msgs(&acts);
    assert_eq!(sent.len(), 1, "{acts:?}");
    let fwd = &sent[0].1;
    // Translated: ISO format 0 under the zone key, generation 0; nothing of the terminal hop.
    assert_eq!(zone_pin(ZPK0, fwd.get(52).unwrap()), "1234");
    assert_eq!(fwd.text(53), Some("0000000000000000"));
    for n in [62, 64, 110, 128] {
        assert!(!fwd.has(n), "field {n} crossed to the issuer");
    }
    // Nothing in any log line holds the PIN blocks.
    let logged = format!("{:?}", logs(&acts));
    assert!(!logged.contains(&paysec::hex::encode_upper(fwd.get(52).unwrap())));

    let acts =
        s.gw.on_issuer_message("issuer-a", &issuer_answer(fwd, "00", Some("A1B2C3")), T0);
    let r = replies(&acts);
    assert_eq!(r[0].1.text(39), Some("00"));
    assert!(!r[0].1.has(52) && !r[0].1.has(53));
    assert!(answer_verifies(&s.pinpad, &r[0].1, &k));
}

#[test]
fn a_changed_byte_or_no_mac_is_63_and_never_forwarded() {
    let mut s = setup(false);
    links_up(&mut s.gw);
    let k = ksn(2);
    // The amount changed after the PIN pad MACed the message.
    let (mut m, _) = sealed(&s.pinpad, purchase("000102", PAN), &k, None);
    m.set_owned(4, "000000099999").unwrap();
    let acts = s.gw.on_terminal_request(C1, Some(TERM1), &m, T0);
    assert_eq!(code(&acts), "63");
    assert!(issuer_msgs(&acts).is_empty());
    assert!(
        logs(&acts)
            .iter()
            .any(|(l, t)| *l == Level::Warn && t.contains("MAC does not verify")),
        "{acts:?}"
    );
    // The refusal itself is MACed: the terminal can trust it.
    assert!(answer_verifies(&s.pinpad, &replies(&acts)[0].1, &k));

    // No KSN and no MAC at all.
    let acts =
        s.gw.on_terminal_request(C1, Some(TERM1), &wire(&purchase("000103", PAN)), T0);
    assert_eq!(code(&acts), "63");
    assert!(issuer_msgs(&acts).is_empty());
    // A MAC made under another PIN pad's key (another initial key id, same BDK family).
    let other = aes_dukpt::Ksn::from_parts(*b"\x01\x02\x03\x04\x05\x06\x07\x08", 1);
    let (m, _) = sealed(&s.pinpad, purchase("000104", PAN), &k, None);
    let mut m = m;
    m.set_owned(62, paysec::hex::encode_upper(other.as_bytes()))
        .unwrap();
    let acts = s.gw.on_terminal_request(C1, Some(TERM1), &m, T0);
    assert_eq!(code(&acts), "63");
    assert!(issuer_msgs(&acts).is_empty());
    // Echoes too: every message is MACed.
    let echo = msg(
        "0800",
        &[(7, "1114221320"), (11, "000105"), (41, TERM1), (70, "301")],
    );
    assert_eq!(
        code(&s.gw.on_terminal_request(C1, Some(TERM1), &wire(&echo), T0)),
        "63"
    );
    let (echo, _) = sealed(&s.pinpad, echo, &ksn(3), None);
    let acts = s.gw.on_terminal_request(C1, Some(TERM1), &echo, T0);
    assert_eq!(code(&acts), "00");
    assert!(answer_verifies(&s.pinpad, &replies(&acts)[0].1, &ksn(3)));
}

#[test]
fn key_change_after_sign_on_replaces_the_zone_pin_key() {
    let mut s = setup(true);
    let acts = s.gw.on_link_up("issuer-a", T0);
    let signon = issuer_msgs(&acts)[0].1.clone();
    let mut r = Message::new(Mti::parse("0810").unwrap());
    r.set_owned(11, signon.text(11).unwrap()).unwrap();
    r.set_owned(39, "00").unwrap();
    r.set_owned(70, "001").unwrap();
    let acts = s.gw.on_issuer_message("issuer-a", &r, T0);
    let change = issuer_msgs(&acts);
    assert_eq!(change.len(), 1, "{acts:?}");
    assert_eq!(change[0].1.text(70), Some("161"));

    // The issuer's answer: a new zone PIN key under the shared zone KEK, generation 1.
    let zpk1 = "3333333333333333444444444444444F";
    import(
        &mut s.issuer_hsm,
        "zpk.new",
        KeyUsage::PinEncryption,
        &SecretKey::tdes(&h(zpk1)).unwrap(),
    );
    let block = s.issuer_hsm.export_tr31("zpk.new", "zmk").unwrap();
    let mut r = Message::new(Mti::parse("0810").unwrap());
    r.set_owned(11, change[0].1.text(11).unwrap()).unwrap();
    r.set_owned(39, "00").unwrap();
    r.set_owned(48, &block).unwrap();
    r.set_owned(53, "0000000100000000").unwrap();
    r.set_owned(70, "161").unwrap();
    let acts = s.gw.on_issuer_message("issuer-a", &r, T0);
    assert!(
        logs(&acts)
            .iter()
            .any(|(l, t)| *l == Level::Info && t.contains("generation 1 in use")),
        "{acts:?}"
    );
    assert!(!format!("{acts:?}").contains(zpk1));

    let k = ksn(5);
    let (m, _) = sealed(&s.pinpad, purchase("000106", PAN), &k, Some("9876"));
    let acts = s.gw.on_terminal_request(C1, Some(TERM1), &m, T0);
    let fwd = &issuer_msgs(&acts)[0].1;
    assert_eq!(fwd.text(53), Some("0000000100000000"));
    assert_eq!(zone_pin(zpk1, fwd.get(52).unwrap()), "9876");

    // A key change answer whose block does not open under the KEK keeps the old key.
    let acts = s.gw.on_link_down("issuer-a", T0);
    drop(acts);
    let acts = s.gw.on_link_up("issuer-a", T0);
    let signon = issuer_msgs(&acts)[0].1.clone();
    let mut r = Message::new(Mti::parse("0810").unwrap());
    r.set_owned(11, signon.text(11).unwrap()).unwrap();
    r.set_owned(39, "00").unwrap();
    r.set_owned(70, "001").unwrap();
    let change = issuer_msgs(&s.gw.on_issuer_message("issuer-a", &r, T0))[0]
        .1
        .clone();
    let mut bad = block.clone().into_bytes();
    let last = bad.len() - 1;
    bad[last] = if bad[last] == b'0' { b'1' } else { b'0' };
    let mut r = Message::new(Mti::parse("0810").unwrap());
    r.set_owned(11, change.text(11).unwrap()).unwrap();
    r.set_owned(39, "00").unwrap();
    r.set_owned(48, &bad).unwrap();
    r.set_owned(53, "0000000200000000").unwrap();
    r.set_owned(70, "161").unwrap();
    let acts = s.gw.on_issuer_message("issuer-a", &r, T0);
    assert!(
        logs(&acts)
            .iter()
            .any(|(l, t)| *l == Level::Error && t.contains("old key kept")),
        "{acts:?}"
    );
    let (m, _) = sealed(&s.pinpad, purchase("000107", PAN), &ksn(6), Some("9876"));
    let acts = s.gw.on_terminal_request(C1, Some(TERM1), &m, T0);
    assert_eq!(issuer_msgs(&acts)[0].1.text(53), Some("0000000100000000"));
}

#[test]
fn a_tdes_dukpt_terminal_beside_aes_ones() {
    // TERM0002's PIN pad descends from a TDES BDK: 10-byte KSNs, retail MACs, format 0 in 52.
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut host = SoftHsm::init(dirs[0].path()).unwrap();
    import(
        &mut host,
        "bdk",
        KeyUsage::Bdk,
        &SecretKey::aes(&h(BDK)).unwrap(),
    );
    let tdes_bdk = SecretKey::tdes(&h("0123456789ABCDEFFEDCBA9876543210")).unwrap();
    import(&mut host, "bdk-tdes", KeyUsage::Bdk, &tdes_bdk);
    import(
        &mut host,
        "zpk.issuer-a.000000",
        KeyUsage::PinEncryption,
        &SecretKey::tdes(&h(ZPK0)).unwrap(),
    );
    let initial = h("FFFF9876543210E00000");
    let ipek = host.derive_initial_key("bdk-tdes", &initial).unwrap();
    let mut pinpad = SoftHsm::init(dirs[1].path()).unwrap();
    import(&mut pinpad, "ipek", KeyUsage::InitialDukptKey, &ipek);
    let text = config_text().replacen(
        "id = \"TERM0002\"\nmerchant_id = \"MERCHANT0000002\"",
        "id = \"TERM0002\"\nmerchant_id = \"MERCHANT0000002\"\nbdk = \"bdk-tdes\"",
        1,
    );
    let mut gw = Gateway::new(&Config::from_toml(&text).unwrap());
    gw.set_security(Security::new(
        host,
        "bdk",
        Arc::new(specs::iso87_ascii_bbitmap()),
    ));
    links_up(&mut gw);

    let ksn = paysec::dukpt::tdes::Ksn::new(&initial)
        .unwrap()
        .next()
        .unwrap();
    let k = ksn.as_bytes().to_vec();
    let mut m = purchase("000201", PAN);
    m.set_owned(41, TERM2).unwrap();
    m.set_owned(42, MERCH2).unwrap();
    m.set_owned(62, paysec::hex::encode_upper(&k)).unwrap();
    let block = pinpad
        .pinpad_encipher_pin(
            "ipek",
            &k,
            &Pin::new("4321").unwrap(),
            &Pan::new(PAN).unwrap(),
        )
        .unwrap();
    assert_eq!(block.len(), 8);
    m.set_owned(52, &block).unwrap();
    let spec = specs::iso87_ascii_bbitmap();
    let frame = pack_with_mac(&spec, &m, |d| {
        pinpad.pinpad_mac("ipek", &k, Direction::Request, d)
    })
    .unwrap()
    .unwrap();
    let m = spec.unpack(&frame).unwrap().into_owned();
    let acts = gw.on_terminal_request(C2, Some(TERM2), &m, T0);
    let fwd = &issuer_msgs(&acts)[0].1;
    assert_eq!(zone_pin(ZPK0, fwd.get(52).unwrap()), "4321");
    let acts = gw.on_issuer_message("issuer-a", &issuer_answer(fwd, "00", Some("A1B2C3")), T0);
    assert!(answer_verifies(&pinpad, &replies(&acts)[0].1, &k));
    // The same PIN pad's message claimed by TERM0001 (an AES DUKPT terminal) is checked under
    // the AES BDK and refused.
    let mut other = purchase("000202", PAN);
    other.set_owned(62, paysec::hex::encode_upper(&k)).unwrap();
    let frame = pack_with_mac(&spec, &other, |d| {
        pinpad.pinpad_mac("ipek", &k, Direction::Request, d)
    })
    .unwrap()
    .unwrap();
    let o = spec.unpack(&frame).unwrap().into_owned();
    let acts = gw.on_terminal_request(C1, Some(TERM1), &o, T0);
    assert_eq!(code(&acts), "63");
    assert!(issuer_msgs(&acts).is_empty());
}
