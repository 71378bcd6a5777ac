//! `posnet iso8583` as a user runs it: the real binary, real input, exact output.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn posnet(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_posnet"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

const PURCHASE: &str = r#"{"mti":"0200","fields":{"2":"4761739001010010","3":"000000","4":"000000002500","7":"1124153100","11":"000124","22":"051","35":"4761739001010010=25122011143804400000","41":"TERM0001","42":"MERCHANT0000001","49":"840","52":"1A2B3C4D5E6F7081","55":"9F2608C2C12B098F3DA6E35A0847617390010100109F3704A1B2C3D4"}}"#;

#[test]
fn decodes_a_message_pyiso8583_wrote() {
    let hex = testkit::run_peer(
        "crates/iso8583/tests/peers/pyiso8583_peer.py",
        &["encode", "default"],
        format!("{PURCHASE}\n").as_bytes(),
    );
    let hex = String::from_utf8(hex).unwrap().trim().to_string();
    assert!(!hex.starts_with("ERR"), "{hex}");

    // Masked by default: no PAN, no track data, no PIN block in the output.
    let out = posnet(&["iso8583", "decode", "--hex", &hex], b"");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("4761739001010010"), "{text}");
    assert!(!text.contains("1A2B3C4D5E6F7081"), "{text}");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["fields"]["2"], "476173******0010");
    assert_eq!(doc["fields"]["35"], "476173******0010=********************");
    assert_eq!(doc["fields"]["52"], "[hidden: 8 bytes]");
    assert_eq!(doc["fields"]["4"], "000000002500");
    assert_eq!(
        doc["fields"]["55"],
        "9F2608C2C12B098F3DA6E35A08476173******00109F3704A1B2C3D4"
    );
    let tags: Vec<&str> = doc["tlv"]["55"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tag"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["9F26", "5A", "9F37"]);
    assert_eq!(doc["tlv"]["55"][0]["name"], "Application Cryptogram");

    // With --reveal, exactly the values pyiso8583 was given.
    let out = posnet(&["iso8583", "decode", "--reveal", "--hex", &hex], b"");
    assert!(out.status.success());
    assert!(stderr(&out).contains("test data"));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let given: Value = serde_json::from_str(PURCHASE).unwrap();
    assert_eq!(doc["mti"], given["mti"]);
    assert_eq!(doc["fields"], given["fields"]);
}

#[test]
fn encode_then_decode_round_trips_on_every_spec() {
    let msg = json!({"mti": "0800", "fields": {"7": "1124153300", "11": "000126", "70": "301"}});
    for spec in [
        "iso87-ascii-bbitmap",
        "iso87-ascii",
        "iso87-bcd",
        "iso93-ascii",
    ] {
        let enc = posnet(
            &["iso8583", "encode", "--spec", spec],
            msg.to_string().as_bytes(),
        );
        assert!(enc.status.success(), "{spec}: {}", stderr(&enc));
        let hex = stdout(&enc);
        let dec = posnet(&["iso8583", "decode", "--spec", spec], hex.as_bytes());
        assert!(dec.status.success(), "{spec}: {}", stderr(&dec));
        let doc: Value = serde_json::from_str(&stdout(&dec)).unwrap();
        assert_eq!(doc, msg, "{spec}");
    }
    // The default dialect's exact bytes: MTI, binary bitmap (7, 11, secondary; 70), fields.
    let enc = posnet(&["iso8583", "encode"], msg.to_string().as_bytes());
    assert_eq!(
        stdout(&enc).trim(),
        concat!(
            "30383030",             // "0800"
            "8220000000000000",     // bitmap: 1 (secondary), 7, 11
            "0400000000000000",     // secondary: 70
            "31313234313533333030", // 7 "1124153300"
            "303030313236",         // 11 "000126"
            "333031",               // 70 "301"
        )
    );
}

#[test]
fn framed_messages_with_a_tpdu() {
    let msg = r#"{"mti":"0800","fields":{"11":"000001","70":"301"}}"#;
    let enc = posnet(
        &["iso8583", "encode", "--framed", "--tpdu", "6000010203"],
        msg.as_bytes(),
    );
    assert!(enc.status.success(), "{}", stderr(&enc));
    let hex = stdout(&enc).trim().to_string();
    // 2-byte length (5 TPDU + 4 MTI + 16 bitmaps + 6 + 3 = 34 = 0x22), then the TPDU.
    assert!(hex.starts_with("00226000010203"), "{hex}");
    let dec = posnet(
        &["iso8583", "decode", "--framed", "--tpdu", "--hex", &hex],
        b"",
    );
    assert!(dec.status.success(), "{}", stderr(&dec));
    let doc: Value = serde_json::from_str(&stdout(&dec)).unwrap();
    assert_eq!(doc["tpdu"], "6000010203");
    assert_eq!(doc["fields"]["70"], "301");
    // A keep-alive frame.
    let ka = posnet(&["iso8583", "decode", "--framed", "--hex", "0000"], b"");
    assert_eq!(stdout(&ka).trim(), r#"{"keepalive":true}"#);
    // A frame announcing more than it carries.
    let short = posnet(
        &["iso8583", "decode", "--framed", "--hex", "0010303830"],
        b"",
    );
    assert_eq!(short.status.code(), Some(1));
    assert!(stderr(&short).contains("incomplete"), "{}", stderr(&short));
}

#[test]
fn bad_messages_exit_1_naming_field_and_byte() {
    // 0200 with field 4 holding a letter.
    let hex = "30323030".to_string()
        + "1000000000000000"
        + &"00000000X000"
            .bytes()
            .map(|b| format!("{b:02X}"))
            .collect::<String>();
    let out = posnet(&["iso8583", "decode", "--hex", &hex], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "posnet: cannot decode: field 4 (Amount, Transaction) at byte 20: character 'X' at position 8 is not allowed (expected digits 0-9)"
    );
    // Encoding a masked PAN is refused with the reason.
    let out = posnet(
        &["iso8583", "encode"],
        br#"{"mti":"0200","fields":{"2":"476173******0010"}}"#,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("field 2"), "{}", stderr(&out));
    // Not hex at all.
    let out = posnet(&["iso8583", "decode", "--hex", "zz"], b"");
    assert_eq!(out.status.code(), Some(2));
    // An unknown spec names the known ones.
    let out = posnet(&["iso8583", "decode", "--spec", "nope", "--hex", "00"], b"");
    assert!(
        stderr(&out).contains("iso87-ascii-bbitmap"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn table_view_specs_and_spec_files() {
    let enc = posnet(&["iso8583", "encode"], PURCHASE.as_bytes());
    let hex = stdout(&enc);
    let out = posnet(&["iso8583", "decode", "--format", "table"], hex.as_bytes());
    let text = stdout(&out);
    assert!(text.contains("Primary Account Number (PAN)"), "{text}");
    assert!(text.contains("Application Cryptogram"), "{text}");
    assert!(!text.contains("4761739001010010"), "{text}");

    let specs = stdout(&posnet(&["iso8583", "specs"], b""));
    for name in [
        "iso87-ascii-bbitmap",
        "iso87-ascii",
        "iso87-bcd",
        "iso93-ascii",
    ] {
        assert!(specs.contains(name), "{specs}");
    }
    let fields = stdout(&posnet(&["iso8583", "specs", "--fields", "iso87-bcd"], b""));
    assert!(fields.contains("Track 2 Data"), "{fields}");

    let dir = std::env::temp_dir().join(format!("posnet-spec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("acme.toml");
    std::fs::write(&file, "name = \"acme\"\nbase = \"iso87-ascii-bbitmap\"\n[fields.48]\nkind = \"n\"\nlength = \"LLL\"\nmax = 10\n").unwrap();
    let f = file.to_str().unwrap();
    let enc = posnet(
        &["iso8583", "encode", "--spec-file", f],
        br#"{"mti":"0100","fields":{"48":"12345"}}"#,
    );
    assert!(enc.status.success(), "{}", stderr(&enc));
    let bad = posnet(
        &["iso8583", "encode", "--spec-file", f],
        br#"{"mti":"0100","fields":{"48":"12A45"}}"#,
    );
    assert_eq!(bad.status.code(), Some(1));
    let raw = dir.join("msg.bin");
    std::fs::write(&raw, iso8583::hex::decode(stdout(&enc).trim()).unwrap()).unwrap();
    let dec = posnet(
        &[
            "iso8583",
            "decode",
            "--spec-file",
            f,
            "--file",
            raw.to_str().unwrap(),
        ],
        b"",
    );
    assert!(dec.status.success(), "{}", stderr(&dec));
    assert!(
        stdout(&dec).contains("\"48\": \"12345\""),
        "{}",
        stdout(&dec)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
