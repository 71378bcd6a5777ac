//! `labpki DIR NAME...`: the lab's PKI in DIR/pki (link's layout: ca.pem, server.pem for
//! NAME..., terminals/TERM0001.pem and terminals/GATEWAY1.pem) and the rogue certificates in
//! DIR/rogue: selfsigned, wrongname, expired (each .pem and .key), all for the first NAME
//! except wrongname.

use std::path::Path;
use std::process::ExitCode;

use labtools::rogue;
use link::PkiDir;

const CA_NAME: &str = "posnet lab CA";
const WRONG_NAME: &str = "other.posnet.test";

fn year_now() -> i32 {
    let s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Mean Gregorian year: exact enough for validity windows of whole years.
    1970 + i32::try_from(s / 31_556_952).unwrap_or(0)
}

fn run(dir: &Path, names: &[&str]) -> Result<(), String> {
    let first = names.first().ok_or("give at least one server name")?;
    let pki = PkiDir::new(&dir.join("pki"));
    pki.create(CA_NAME, names, &["TERM0001", "GATEWAY1"])
        .map_err(|e| format!("PKI: {e}"))?;
    let ca_key = std::fs::read_to_string(pki.ca_key()).map_err(|e| format!("CA key: {e}"))?;
    let rogue_dir = dir.join("rogue");
    std::fs::create_dir_all(&rogue_dir).map_err(|e| format!("{}: {e}", rogue_dir.display()))?;
    let year = year_now();
    let certs = [
        ("selfsigned", rogue::self_signed(first, year)),
        (
            "wrongname",
            rogue::signed(CA_NAME, &ca_key, WRONG_NAME, (year - 1, 1), (year + 2, 1)),
        ),
        (
            "expired",
            rogue::signed(CA_NAME, &ca_key, first, (year - 3, 1), (year - 1, 1)),
        ),
    ];
    for (stem, made) in certs {
        let pem = made.map_err(|e| format!("{stem}: {e}"))?;
        for (ext, text) in [("pem", &pem.cert), ("key", &pem.key)] {
            let path = rogue_dir.join(format!("{stem}.{ext}"));
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((dir, names)) = args.split_first() else {
        eprintln!("usage: labpki DIR NAME...");
        return ExitCode::from(2);
    };
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    match run(Path::new(dir), &names) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("labpki: {e}");
            ExitCode::FAILURE
        }
    }
}
