//! The card's cryptograms cross-checked with pyemv 1.5.0 (the workspace's test peer, via
//! paysec's peer script): from the IMK-AC alone, pyemv derives the ICC master key and the
//! session key and must compute the same ARQC, TC and AAC as the card; ARPC and script MACs
//! from pyemv are accepted by the card.

mod common;

use common::*;
use serde_json::{Value, json};

const PYEMV: &str = "crates/paysec/tests/peers/pyemv_peer.py";

fn ask(cases: &[Value]) -> Vec<String> {
    let input: String = cases.iter().map(|c| format!("{c}\n")).collect();
    let raw = testkit::run_peer(PYEMV, &[], input.as_bytes());
    let answers: Vec<String> = String::from_utf8(raw)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["out"]
                .as_str()
                .unwrap_or_else(|| panic!("pyemv refused: {v}"))
                .to_string()
        })
        .collect();
    assert_eq!(answers.len(), cases.len());
    answers
}

/// One cryptogram the card produced: what pyemv needs to recompute it.
struct Produced {
    pan: String,
    psn: u8,
    atc: u16,
    un: String,
    data: String,
    padding: u8,
    ac: String,
}

#[test]
fn card_cryptograms_match_pyemv_from_the_imk() {
    let imk = hex::encode_upper(keys().imks.ac.as_bytes());
    let mut produced = Vec::new();
    // Online (ARQC, then TC or AAC by the ARC) on the method-2 card, offline TCs and then
    // ARQCs on the method-1 card: 3 cryptogram kinds, both paddings, varying data.
    for i in 0..12u32 {
        for (profile, aid, first_p1) in [
            ("online-debit", "F0000000011010", 0x80u8),
            ("offline-credit", "F0000000012010", 0x40),
        ] {
            let mut c = card(profile);
            let image = c.image().clone();
            let padding = if profile == "offline-credit" { 1 } else { 2 };
            let aip = hex::encode_upper(image.aip);
            for n in 0..(1 + i % 5) {
                let un = format!("{:08X}", 0x1357_9BDFu32.wrapping_mul(i * 7 + n + 1));
                let amount = format!("{:012}", 100 + i * 37 + n);
                ok(&mut c, &format!("00A4040007{aid}00"));
                ok(&mut c, "80A80000048302097800");
                let cdol1 = cdol1_data(&amount, &un);
                let r = ok(&mut c, &gen_ac(first_p1, &cdol1));
                let atc = u16::from_be_bytes(find(&r, 0x9F36).unwrap().try_into().unwrap());
                let cvr = hex::encode_upper(&find(&r, 0x9F10).unwrap()[3..]);
                let ac = hex::encode_upper(find(&r, 0x9F26).unwrap());
                let record = |data: String, ac: String| Produced {
                    pan: image.profile.pan.clone(),
                    psn: image.profile.psn,
                    atc,
                    un: un.clone(),
                    data,
                    padding,
                    ac,
                };
                produced.push(record(
                    format!("{cdol1}{aip}{atc:04X}{cvr}").replace(' ', ""),
                    ac,
                ));
                if find(&r, 0x9F27).unwrap() == [0x80] {
                    let arc: &[u8; 2] = if n % 2 == 0 { b"00" } else { b"05" };
                    let cdol2 = cdol2_data(arc, &amount, &un);
                    let r = ok(&mut c, &gen_ac(0x40, &cdol2));
                    let cvr = hex::encode_upper(&find(&r, 0x9F10).unwrap()[3..]);
                    let ac = hex::encode_upper(find(&r, 0x9F26).unwrap());
                    produced.push(record(
                        format!("{cdol2}{aip}{atc:04X}{cvr}").replace(' ', ""),
                        ac,
                    ));
                }
            }
        }
    }
    assert!(produced.len() > 60);
    let mks = ask(&produced
        .iter()
        .map(
            |p| json!({"op": "icc_mk_a", "imk": imk, "pan": p.pan, "psn": format!("{:02}", p.psn)}),
        )
        .collect::<Vec<_>>());
    let sks = ask(&produced
        .iter()
        .zip(&mks)
        .map(|(p, mk)| json!({"op": "session_key", "mk": mk, "r": format!("{:04X}0000{}", p.atc, p.un)}))
        .collect::<Vec<_>>());
    let acs = ask(&produced
        .iter()
        .zip(&sks)
        .map(|(p, sk)| json!({"op": "generate_ac", "sk": sk, "data": p.data, "padding": p.padding}))
        .collect::<Vec<_>>());
    for (p, ac) in produced.iter().zip(&acs) {
        assert_eq!(&p.ac, ac, "ATC {} data {}", p.atc, p.data);
    }
}

#[test]
fn card_accepts_pyemv_arpc_and_script_mac() {
    let mut c = card("online-debit");
    let image = c.image().clone();
    let un = "CAFEBABE";
    ok(&mut c, "00A4040007F000000001101000");
    ok(&mut c, "80A80000048302097800");
    let r = ok(&mut c, &gen_ac(0x80, &cdol1_data("000000009900", un)));
    let arqc = hex::encode_upper(find(&r, 0x9F26).unwrap());
    let keys = keys();
    let k = |imk: &paysec::SecretKey| hex::encode_upper(imk.as_bytes());
    let pan = image.profile.pan.clone();
    let mks = ask(&[
        json!({"op": "icc_mk_a", "imk": k(&keys.imks.ac), "pan": pan, "psn": "01"}),
        json!({"op": "icc_mk_a", "imk": k(&keys.imks.smi), "pan": pan, "psn": "01"}),
    ]);
    let sks = ask(&[
        json!({"op": "session_key", "mk": mks[0], "r": format!("00010000{un}")}),
        json!({"op": "session_key", "mk": mks[1], "r": arqc}),
    ]);
    let out = ask(&[
        json!({"op": "arpc1", "sk": sks[0], "arqc": arqc, "arc": "3030"}),
        json!({"op": "script_mac", "sk": sks[1], "data": format!("841E0000080001{arqc}"), "len": 8}),
    ]);
    assert_eq!(
        send(&mut c, &format!("008200000A{}3030", out[0])),
        (vec![], 0x9000)
    );
    assert_eq!(
        send(&mut c, &format!("841E000008{}", out[1])),
        (vec![], 0x9000)
    );
    assert!(c.state().app_blocked);
}
