//! Every validation rule with its response code, and the requests the gateway answers itself.

mod common;

use common::*;
use gateway::{Action, Level};
use iso8583::Mti;

fn ask(m: &iso8583::Message<'_>, peer: Option<&str>) -> Vec<Action> {
    let mut gw = gateway();
    let acts = gw.on_terminal_request(C1, peer, &wire(m), T0);
    // A refused request never reaches an issuer.
    if acts.iter().any(|a| matches!(a, Action::ToTerminal { .. })) {
        assert!(issuer_msgs(&acts).is_empty(), "{acts:?}");
        assert_eq!(gw.pending_len(), 0);
    }
    acts
}

fn warned(acts: &[Action], needle: &str) {
    assert!(
        logs(acts)
            .iter()
            .any(|(l, t)| *l == Level::Warn && t.contains(needle)),
        "no warning containing {needle:?} in {acts:?}"
    );
}

#[test]
fn mti_outside_the_flows_is_30() {
    for (mti, answer_mti) in [
        ("0300", "0310"),
        ("0110", "0110"),
        ("0420", "0430"),
        ("1200", "1210"),
    ] {
        let mut m = purchase("000001", PAN_B);
        m.set_mti(Mti::parse(mti).unwrap());
        let acts = ask(&m, Some(TERM1));
        assert_eq!(code(&acts), "30", "{mti}");
        let reply = &replies(&acts)[0].1;
        assert_eq!(reply.mti().as_str(), answer_mti);
        // The answer still echoes what lets the terminal match it.
        assert_eq!(reply.text(11), Some("000001"));
        assert_eq!(reply.text(41), Some(TERM1));
        warned(&acts, "is not a request a terminal may send");
    }
}

#[test]
fn missing_mandatory_field_is_30() {
    for n in [3, 4, 7, 11, 12, 13, 22, 25, 37, 41, 42, 49] {
        let mut m = purchase("000002", PAN_B);
        m.remove(n);
        let acts = ask(&m, Some(TERM1));
        assert_eq!(code(&acts), "30", "without field {n}");
        warned(&acts, &format!("mandatory field {n} is missing"));
    }
    // No card data at all, and a keyed PAN without its expiry (14).
    let mut m = purchase("000003", PAN_B);
    m.remove(35);
    assert_eq!(code(&ask(&m, Some(TERM1))), "30");
    m.set_owned(2, PAN_B).unwrap();
    let acts = ask(&m, Some(TERM1));
    assert_eq!(code(&acts), "30");
    warned(&acts, "no card data");
    m.set_owned(14, "2512").unwrap();
    assert!(
        replies(&ask(&m, Some(TERM1))).is_empty(),
        "keyed entry is forwarded"
    );
}

#[test]
fn unknown_or_unbound_terminal_is_58() {
    let mut m = purchase("000004", PAN_B);
    m.set_owned(41, "TERM0009").unwrap();
    let acts = ask(&m, Some("TERM0009"));
    assert_eq!(code(&acts), "58");
    warned(&acts, "not on the allow-list");
    // TERM0001's request over TERM0002's certificate, or over a certificate bound to no one.
    let m = purchase("000005", PAN_B);
    let acts = ask(&m, Some(TERM2));
    assert_eq!(code(&acts), "58");
    warned(
        &acts,
        "does not match the client certificate (bound to \"TERM0002\")",
    );
    assert_eq!(code(&ask(&m, None)), "58");
}

#[test]
fn foreign_merchant_is_03() {
    let mut m = purchase("000006", PAN_B);
    m.set_owned(42, MERCH2).unwrap();
    let acts = ask(&m, Some(TERM1));
    assert_eq!(code(&acts), "03");
    warned(
        &acts,
        "merchant id \"MERCHANT0000002\" is not the terminal's",
    );
}

#[test]
fn unsupported_processing_code_is_12() {
    let mut m = purchase("000007", PAN_B);
    m.set_owned(3, "010000").unwrap();
    assert_eq!(code(&ask(&m, Some(TERM1))), "12");
    let mut m = purchase("000008", PAN_B);
    m.set_mti(Mti::parse("0100").unwrap());
    m.set_owned(3, "200000").unwrap();
    assert_eq!(code(&ask(&m, Some(TERM1))), "12");
}

#[test]
fn reversal_with_bad_field_90_is_30() {
    let mut m = purchase("000009", PAN_B);
    m.set_mti(Mti::parse("0400").unwrap());
    m.remove(35);
    m.set_owned(2, PAN_B).unwrap();
    // 40 digits: the default dialect refuses it when unpacking; the core checks anyway, for
    // dialects that carry 90 as a variable field.
    m.set_owned(90, "0200000001111422132000000001234000000000")
        .unwrap();
    let acts = gateway().on_terminal_request(C1, Some(TERM1), &m, T0);
    assert_eq!(code(&acts), "30");
    warned(&acts, "field 90 is 40 characters; 42 expected");
}

#[test]
fn bad_pan_is_30_and_unknown_bin_is_14() {
    let mut m = purchase("000010", PAN_B);
    m.set_owned(35, "47617390010=2512201").unwrap();
    let acts = ask(&m, Some(TERM1));
    assert_eq!(code(&acts), "30");
    warned(&acts, "track 2 PAN has 11 digits");

    let acts = ask(&purchase("000011", "4999990000000010"), Some(TERM1));
    assert_eq!(code(&acts), "14");
    assert_eq!(replies(&acts)[0].1.mti().as_str(), "0210");
    warned(&acts, "no route for card 499999******0010");
    assert!(
        !format!("{acts:?}").contains("4999990000000010"),
        "PAN in clear"
    );
}

#[test]
fn network_management_is_answered_locally() {
    for code70 in ["001", "002", "301"] {
        let m = msg(
            "0800",
            &[(7, "1114221320"), (11, "000012"), (41, TERM1), (70, code70)],
        );
        let acts = ask(&m, Some(TERM1));
        let r = replies(&acts);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].0, C1);
        assert_eq!(r[0].1.mti().as_str(), "0810");
        assert_eq!(
            fields(&r[0].1),
            vec![
                (7, "1114221320".into()),
                (11, "000012".into()),
                (39, "00".into()),
                (41, TERM1.into()),
                (70, code70.into())
            ]
        );
        assert_eq!(acts.len(), 1, "nothing else happens: {acts:?}");
    }
    let m = msg(
        "0800",
        &[(7, "1114221320"), (11, "000013"), (41, TERM1), (70, "161")],
    );
    assert_eq!(code(&ask(&m, Some(TERM1))), "12");
    let m = msg(
        "0800",
        &[(7, "1114221320"), (11, "000014"), (41, TERM1), (70, "999")],
    );
    assert_eq!(code(&ask(&m, Some(TERM1))), "30");
    let m = msg("0800", &[(7, "1114221320"), (11, "000015"), (41, TERM1)]);
    assert_eq!(code(&ask(&m, Some(TERM1))), "30");
    // The certificate binding holds for 0800 too.
    let m = msg(
        "0800",
        &[(7, "1114221320"), (11, "000016"), (41, TERM1), (70, "301")],
    );
    assert_eq!(code(&ask(&m, Some(TERM2))), "58");
}

#[test]
fn unreadable_frames() {
    let mut gw = gateway();
    let acts = gw.on_terminal_garbage(C2, Mti::parse("0200"), "field 4: expected digits 0-9");
    assert_eq!(code(&acts), "30");
    assert_eq!(replies(&acts)[0].1.mti().as_str(), "0210");
    warned(&acts, "field 4: expected digits 0-9");
    let acts = gw.on_terminal_garbage(C2, None, "MTI is not four digits");
    assert!(acts.contains(&Action::CloseTerminal { conn: C2 }));
    warned(&acts, "closed: MTI is not four digits");
}

#[test]
fn sign_on_is_91_while_no_issuer_link_is_up_but_echo_stays_00() {
    let mut gw = gateway();
    let signon = |stan: &str, code70: &str| {
        msg(
            "0800",
            &[(7, "1114221320"), (11, stan), (41, TERM1), (70, code70)],
        )
    };
    // One link down: the other still carries payments, so sign-on is fine.
    gw.on_link_down("issuer-a", T0);
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&signon("000020", "001")), T0);
    assert_eq!(code(&acts), "00");
    gw.on_link_down("issuer-b", T0);
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&signon("000021", "001")), T0);
    assert_eq!(code(&acts), "91");
    warned(&acts, "no issuer link is up");
    // The terminal's own link to the gateway is fine: echo and sign-off are answered 00.
    for (stan, code70) in [("000022", "301"), ("000023", "002")] {
        let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&signon(stan, code70)), T0);
        assert_eq!(code(&acts), "00", "70 = {code70}");
    }
}

#[test]
fn maintenance_answers_everything_90_and_forwards_nothing() {
    let text = format!("maintenance = true\n{}", config_text());
    let mut gw = gateway::Gateway::new(&gateway::Config::from_toml(&text).unwrap());
    for link in ["issuer-a", "issuer-b"] {
        gw.on_link_up(link, T0);
    }
    let echo = msg(
        "0800",
        &[(7, "1114221320"), (11, "000030"), (41, TERM1), (70, "301")],
    );
    for m in [echo, purchase("000031", PAN_B)] {
        let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&m), T0);
        assert_eq!(code(&acts), "90", "{}", m.mti());
        assert!(issuer_msgs(&acts).is_empty());
        warned(&acts, "maintenance");
    }
    // Only an allow-listed terminal learns it: an unknown one is still 58.
    let acts = gw.on_terminal_request(C1, Some(TERM2), &wire(&purchase("000032", PAN_B)), T0);
    assert_eq!(code(&acts), "58");
}

#[test]
fn a_pin_block_without_an_hsm_is_96_never_dropped() {
    let mut gw = gateway();
    let mut m = purchase("000040", PAN_B);
    m.set_owned(52, [0x11u8; 8]).unwrap();
    let acts = gw.on_terminal_request(C1, Some(TERM1), &wire(&m), T0);
    assert_eq!(code(&acts), "96");
    assert!(issuer_msgs(&acts).is_empty());
    warned(&acts, "no HSM");
}
