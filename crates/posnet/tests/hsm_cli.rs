//! `posnet hsm` as an operator runs it: init, import (clear and TR-31), list, export, and the
//! store's refusals (altered file, wrong master key, readable master key), with psec building
//! and opening the TR-31 blocks on the other side.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

const PEER: &str = "crates/posnet/tests/peers/crypto_peer.py";
/// TR-31 blocks imported and exported per run (one `posnet hsm` run each).
const CASES: usize = 200;
const TEST_KEY: &str = "0123456789ABCDEFFEDCBA9876543210";

fn hsm(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_posnet"))
        .arg("hsm")
        .arg("--dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = hsm(dir, args, b"");
    assert!(
        out.status.success(),
        "posnet hsm {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = hsm(dir, args, b"");
    assert_eq!(
        out.status.code(),
        Some(2),
        "posnet hsm {} should fail",
        args.join(" ")
    );
    String::from_utf8(out.stderr).unwrap()
}

fn list(dir: &Path) -> Value {
    serde_json::from_str(&ok(dir, &["list", "--json"])).unwrap()
}

fn key_named<'a>(listing: &'a Value, name: &str) -> &'a Value {
    listing["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap_or_else(|| panic!("no key {name} in {listing}"))
}

fn ask(cases: &[Value]) -> Vec<Value> {
    let input: String = cases.iter().map(|c| format!("{c}\n")).collect();
    let raw = testkit::run_peer(PEER, &[], input.as_bytes());
    let answers: Vec<Value> = String::from_utf8(raw)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), cases.len());
    answers
}

fn out<'a>(answer: &'a Value, case: &Value) -> &'a Value {
    if let Some(e) = answer.get("error") {
        panic!("peer refused {case}: {e}");
    }
    &answer["out"]
}

#[test]
fn init_import_list_and_nothing_in_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hsm");
    let text = ok(&dir, &["init"]);
    assert!(text.starts_with("initialised "), "{text}");
    let mode = fs::metadata(dir.join("master.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let e = fails(&dir, &["init"]);
    assert!(e.contains("already exists"), "{e}");

    let imported = ok(
        &dir,
        &[
            "import",
            "--name",
            "zpk.issuer",
            "--usage",
            "zpk",
            "--key",
            TEST_KEY,
        ],
    );
    // psec docs: the KCV of 0123456789ABCDEFFEDCBA9876543210 begins 08D7.
    assert_eq!(
        imported,
        "imported zpk.issuer: usage P0 (zpk), TDES-128, mode B, exportability E, KCV 08D7B4\n"
    );
    // A key from stdin stays out of the command line; X9.24-3 AES-128 BDK.
    let aes_bdk = "FEDCBA9876543210F1F1F1F1F1F1F1F1";
    let out = hsm(
        &dir,
        &[
            "import", "--name", "bdk.aes", "--usage", "B0", "--alg", "aes", "--key", "-",
        ],
        format!("{aes_bdk}\n").as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ok(
        &dir,
        &[
            "import",
            "--name",
            "cvk",
            "--usage",
            "cvk",
            "--key",
            "1111111111111111222222222222222F",
            "--exportability",
            "N",
        ],
    );

    let listing = list(&dir);
    assert_eq!(listing["keys"].as_array().unwrap().len(), 3);
    let zpk = key_named(&listing, "zpk.issuer");
    assert_eq!(zpk["usage"], "P0");
    assert_eq!(zpk["kcv"], "08D7B4");
    assert_eq!(zpk["kcv_method"], "legacy");
    let bdk = key_named(&listing, "bdk.aes");
    assert_eq!(bdk["algorithm"], "AES");
    assert_eq!(bdk["mode_of_use"], "X");
    assert_eq!(bdk["kcv_method"], "cmac");
    // The AES BDK's CMAC KCV, from the crypto calculator (the same paysec code, another path).
    let kcv = Command::new(env!("CARGO_BIN_EXE_posnet"))
        .args(["crypto", "kcv", "--aes", "--cmac", "--key", aes_bdk])
        .output()
        .unwrap();
    assert_eq!(bdk["kcv"], String::from_utf8(kcv.stdout).unwrap().trim());
    assert_eq!(key_named(&listing, "cvk")["exportability"], "N");

    let table = ok(&dir, &["list"]);
    assert!(table.starts_with("NAME"), "{table}");
    assert!(
        table.contains("zpk.issuer") && table.contains("08D7B4"),
        "{table}"
    );

    // Nothing secret in the listing or the store: not the keys, not their halves.
    let store = fs::read_to_string(dir.join("keys.store"))
        .unwrap()
        .to_uppercase();
    let shown = format!("{table}{listing}").to_uppercase();
    for key in [TEST_KEY, aes_bdk, "1111111111111111222222222222222F"] {
        for part in [key, &key[..16], &key[16..]] {
            assert!(!store.contains(part), "{part} in the store");
            assert!(!shown.contains(part), "{part} in the listing");
        }
    }
    let raw = fs::read(dir.join("keys.store")).unwrap();
    let test_key_bytes: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&TEST_KEY[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    assert!(!raw.windows(8).any(|w| w == &test_key_bytes[..8]));

    // Refusals name the problem, never the key.
    let e = fails(
        &dir,
        &[
            "import",
            "--name",
            "zpk.issuer",
            "--usage",
            "zpk",
            "--key",
            TEST_KEY,
        ],
    );
    assert!(e.contains("exists already"), "{e}");
    let e = fails(
        &dir,
        &[
            "import",
            "--name",
            "short",
            "--usage",
            "zpk",
            "--key",
            &TEST_KEY[..30],
        ],
    );
    assert!(e.contains("--key") && e.contains("15 bytes"), "{e}");
    assert!(!e.contains(&TEST_KEY[..30]), "{e}");
    let e = fails(
        &dir,
        &[
            "import", "--name", "pvk", "--usage", "pvk-pvv", "--alg", "aes", "--key", TEST_KEY,
        ],
    );
    assert!(e.contains("usage V2 needs a 16-byte TDES key"), "{e}");
    let e = fails(
        &dir,
        &[
            "import", "--name", "x", "--usage", "pinkey", "--key", TEST_KEY,
        ],
    );
    assert!(e.contains("--usage") && e.contains("zpk"), "{e}");
    let e = fails(&dir, &["export", "--name", "cvk", "--kbpk", "zpk.issuer"]);
    assert!(e.contains("TR-31 export needs K1 or K0"), "{e}");
}

#[test]
fn an_altered_store_or_a_wrong_master_key_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a");
    ok(&dir, &["init"]);
    ok(
        &dir,
        &[
            "import", "--name", "zpk", "--usage", "zpk", "--key", TEST_KEY,
        ],
    );
    let store = dir.join("keys.store");
    let good = fs::read(&store).unwrap();

    let mut bad = good.clone();
    let at = good.windows(4).position(|w| w == b"key ").unwrap() + 20;
    bad[at] ^= 0x04;
    fs::write(&store, &bad).unwrap();
    let e = fails(&dir, &["list"]);
    assert!(e.contains("key store MAC does not verify"), "{e}");
    fs::write(&store, &good).unwrap();
    ok(&dir, &["list"]);

    // Another HSM's master key opens nothing here.
    let other = tmp.path().join("b");
    ok(&other, &["init"]);
    let mine = fs::read(dir.join("master.key")).unwrap();
    fs::copy(other.join("master.key"), dir.join("master.key")).unwrap();
    let e = fails(&dir, &["list"]);
    assert!(e.contains("sealed under the master key with KCV"), "{e}");
    fs::write(dir.join("master.key"), &mine).unwrap();
    ok(&dir, &["list"]);

    fs::set_permissions(dir.join("master.key"), fs::Permissions::from_mode(0o640)).unwrap();
    let e = fails(&dir, &["list"]);
    assert!(e.contains("mode 640") && e.contains("chmod 600"), "{e}");

    let e = fails(&tmp.path().join("none"), &["list"]);
    assert!(e.contains("posnet hsm init"), "{e}");
}

#[test]
fn master_key_file_can_be_kept_elsewhere() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let master = tmp.path().join("vault-lmk");
    let m = master.to_str().unwrap();
    ok(&dir, &["--master-key", m, "init"]);
    assert!(master.exists() && !dir.join("master.key").exists());
    ok(
        &dir,
        &[
            "--master-key",
            m,
            "import",
            "--name",
            "k",
            "--usage",
            "dek",
            "--key",
            TEST_KEY,
        ],
    );
    assert_eq!(list_with(&dir, m)["keys"][0]["name"], "k");
    let e = fails(&dir, &["list"]);
    assert!(e.contains("master.key does not exist"), "{e}");
}

fn list_with(dir: &Path, master: &str) -> Value {
    serde_json::from_str(&ok(dir, &["--master-key", master, "list", "--json"])).unwrap()
}

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| format!("{:02X}", self.next() as u8))
            .collect()
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// psec wraps random keys under the partner's KBPK; the HSM imports each block and lists the
/// key's check value as psec computes it; then the HSM exports each key and psec opens it.
#[test]
fn tr31_blocks_from_psec_import_and_export_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hsm");
    ok(&dir, &["init"]);
    let kbpk_b = "89E88CF7931444F334BD7547FC3F380C";
    let kbpk_d = "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6";
    ok(
        &dir,
        &[
            "import", "--name", "kbpk.b", "--usage", "kbpk", "--key", kbpk_b,
        ],
    );
    ok(
        &dir,
        &[
            "import", "--name", "kbpk.d", "--usage", "K1", "--alg", "aes", "--key", kbpk_d,
        ],
    );

    let mut rng = Rng(0x45B0_0001);
    let mut wraps = Vec::new();
    let mut kcvs = Vec::new();
    for _ in 0..CASES {
        let version = rng.pick(&["B", "D"]);
        let (algorithm, key) = if version == "D" && rng.pick(&[true, false]) {
            ("A", {
                let n = rng.pick(&[16, 24, 32]);
                rng.hex(n)
            })
        } else {
            // Version B may only carry keys no stronger than its 2-key TDES KBPK.
            ("T", rng.hex(16))
        };
        let usage = rng.pick(&["P0", "D0", "K0", "M6", "B0"]);
        let mode = match usage {
            "B0" => "X",
            "M6" => "C",
            _ => "B",
        };
        let kbpk = if version == "B" { kbpk_b } else { kbpk_d };
        wraps.push(json!({"op": "tr31_wrap", "version": version, "kbpk": kbpk, "key": key,
            "usage": usage, "algorithm": algorithm, "mode": mode, "export": "E", "key_version": "00",
            "blocks": [], "masked": key.len() / 2, "fill": rng.hex(32)}));
        kcvs.push(json!({"op": "kcv", "key": key, "aes": algorithm == "A"}));
    }
    let mut all = wraps.clone();
    all.extend(kcvs.iter().cloned());
    let answers = ask(&all);
    let (blocks, peer_kcvs) = answers.split_at(CASES);

    for (i, (w, b)) in wraps.iter().zip(blocks).enumerate() {
        let block = out(b, w).as_str().unwrap();
        let name = format!("k{i:03}");
        let kbpk_name = if w["version"] == "B" {
            "kbpk.b"
        } else {
            "kbpk.d"
        };
        let usage = w["usage"].as_str().unwrap();
        let text = ok(
            &dir,
            &[
                "import", "--name", &name, "--usage", usage, "--tr31", block, "--kbpk", kbpk_name,
            ],
        );
        assert!(
            text.starts_with(&format!("imported {name}: usage {usage}")),
            "{text}"
        );
    }
    let listing = list(&dir);
    for (i, ((w, k), kc)) in wraps.iter().zip(&kcvs).zip(peer_kcvs).enumerate() {
        let entry = key_named(&listing, &format!("k{i:03}"));
        let peer = out(kc, k);
        let method = if w["algorithm"] == "A" {
            "cmac"
        } else {
            "legacy"
        };
        assert_eq!(
            entry["kcv"].as_str().unwrap(),
            &peer[method].as_str().unwrap()[..6],
            "{w}"
        );
        assert_eq!(entry["usage"], w["usage"]);
        assert_eq!(entry["mode_of_use"], w["mode"]);
    }

    // Export every key under the AES KBPK (never weaker than the key) and let psec open it.
    let mut opens = Vec::new();
    for (i, _) in wraps.iter().enumerate() {
        let block = ok(
            &dir,
            &["export", "--name", &format!("k{i:03}"), "--kbpk", "kbpk.d"],
        );
        opens.push(json!({"op": "tr31_unwrap", "kbpk": kbpk_d, "block": block.trim()}));
    }
    let opened = ask(&opens);
    for ((w, o), answer) in wraps.iter().zip(&opens).zip(&opened) {
        let peer = out(answer, o);
        assert_eq!(peer["key"], w["key"], "{o}");
        assert_eq!(peer["usage"], w["usage"]);
        assert_eq!(peer["mode"], w["mode"]);
        assert_eq!(peer["version"], "D");
        assert_eq!(
            peer["optional_blocks"],
            json!([]),
            "the store's name block stays inside"
        );
    }

    // A block for one usage is refused when the operator expects another.
    let first = out(&blocks[0], &wraps[0]).as_str().unwrap();
    let other_usage = if wraps[0]["usage"] == "P0" {
        "D0"
    } else {
        "P0"
    };
    let kbpk_name = if wraps[0]["version"] == "B" {
        "kbpk.b"
    } else {
        "kbpk.d"
    };
    let e = fails(
        &dir,
        &[
            "import",
            "--name",
            "again",
            "--usage",
            other_usage,
            "--tr31",
            first,
            "--kbpk",
            kbpk_name,
        ],
    );
    assert!(e.contains("the import expected"), "{e}");
}
