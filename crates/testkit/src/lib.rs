//! Test-only helpers: where the independent peers live and how to talk to them.
//!
//! The peers (pyiso8583, pyemv, psec, pydukpt, python-escpos) are installed by `./scripts/test`
//! into a virtual environment. Tests that need them fail loudly when they are missing: a test
//! that cannot run must not pass by skipping.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The workspace root (two levels above this crate's manifest).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.ancestors().nth(2).map(PathBuf::from).unwrap_or(here)
}

/// The Python interpreter that has the pinned peers: `$POSNET_PY`, else `<root>/.venv/bin/python`.
///
/// Panics with a clear instruction when neither exists (tests only).
pub fn peer_python() -> PathBuf {
    let path = std::env::var_os("POSNET_PY")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    assert!(
        path.exists(),
        "the test peers' Python is missing at {}: run ./scripts/test (it builds the venv) \
         or set POSNET_PY to a python with the pinned peers from DESIGN.md",
        path.display()
    );
    path
}

/// Runs `script` (a path relative to the workspace root) under the peers' Python, feeding
/// `input` on stdin, and returns stdout. Panics with the script's stderr when it fails.
pub fn run_peer(script: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let script_path = workspace_root().join(script);
    let mut child = Command::new(peer_python())
        .arg(&script_path)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start the peer script {}: {e}",
                script_path.display()
            )
        });
    // Feed stdin from another thread so a large input cannot deadlock against a full stdout pipe.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("peer script runs");
    let _ = feeder.join();
    assert!(
        out.status.success(),
        "peer script {} failed ({}):\n{}",
        script_path.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
