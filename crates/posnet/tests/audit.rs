//! The crash-and-fault audit at a small scale: `posnet bench --audit` starts its own issuer and
//! gateway processes with chaos proxies on both hops, kills each twice with SIGKILL while two
//! terminals run load, and then checks every request against the issuer's ledger. The test
//! asserts zero discrepancies, and that the kills and faults it claims really happened.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("posnet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn kills_and_faults_leave_no_discrepancy() {
    let dir = temp_dir("audit");
    let out = Command::new(env!("CARGO_BIN_EXE_posnet"))
        .args([
            "bench",
            "--audit",
            "--terminals",
            "2",
            "--duration",
            "12",
            "--kills",
            "4",
            "--seed",
            "7",
            "--json",
            "--data",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {stdout} stderr {stderr}"));
    assert_eq!(report["discrepancies"], 0, "{report:#}");
    assert_eq!(report["problems"], serde_json::json!([]), "{report:#}");
    assert!(out.status.success(), "{report:#} {stderr}");

    // Four kills, the gateway and the issuer twice each.
    assert_eq!(report["kills"], 4, "{report:#}");
    assert_eq!(report["kills_gateway"], 2, "{report:#}");
    assert_eq!(report["kills_issuer"], 2, "{report:#}");
    // Faults were injected on both hops.
    let hop_faults = |hop: &str| {
        let s = &report[hop];
        [
            "dropped",
            "reset",
            "corrupted",
            "truncated",
            "partitioned",
            "blackholed",
            "delayed",
        ]
        .iter()
        .map(|k| s[k].as_u64().unwrap())
        .sum::<u64>()
    };
    assert!(hop_faults("faults_terminal_gateway") > 0, "{report:#}");
    assert!(hop_faults("faults_gateway_issuer") > 0, "{report:#}");
    assert_eq!(
        report["faults"].as_u64().unwrap(),
        hop_faults("faults_terminal_gateway") + hop_faults("faults_gateway_issuer"),
        "{report:#}"
    );

    // Real load went through, and the troubles made the terminals reverse.
    let n = |k: &str| report[k].as_u64().unwrap();
    assert!(n("card_requests") >= 100, "{report:#}");
    assert!(n("approvals") > 0, "{report:#}");
    assert!(n("reversals") > 0, "{report:#}");
    assert_eq!(
        n("charged") + n("declines") + n("voided") + n("not_sent"),
        n("card_requests")
    );
    assert_eq!(n("panics"), 0);
    assert_eq!(n("gateway_advices_open"), 0);
    assert_eq!(report["ledger"]["balanced"], true, "{report:#}");
    assert_eq!(report["ledger"]["holds_pending"], 0, "{report:#}");

    // Both services were started once plus once per kill; their logs are kept.
    for log in ["gateway.log", "issuer.log"] {
        let text = std::fs::read_to_string(dir.join("logs").join(log)).unwrap();
        assert_eq!(text.matches("listening on").count(), 3, "{log}: {text}");
    }
    // A second audit refuses the used folder rather than mix two runs' records.
    let again = Command::new(env!("CARGO_BIN_EXE_posnet"))
        .args(["bench", "--audit", "--kills", "1", "--data"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds a network"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
