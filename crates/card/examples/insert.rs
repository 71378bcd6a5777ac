//! Inserts a shipped profile's card into vpcd for a few seconds, printing the link's
//! events: `cargo run -p card --example insert -- PROFILE SECONDS`.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "online-debit".into());
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let run = || -> Result<(), String> {
        let keys = card::keys::KeySet::test_keys().map_err(|e| e.to_string())?;
        let profile = card::profile::Profile::shipped(&name).map_err(|e| e.to_string())?;
        let image = card::perso::personalise(&profile, &keys).map_err(|e| e.to_string())?;
        let mut c = card::app::Card::fresh(image);
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(secs));
            s2.store(true, Ordering::Relaxed);
        });
        let opts = card::vpcd::VpcdOptions::default();
        card::vpcd::serve(&mut c, &opts, &stop, |e| eprintln!("{e:?}"), |_| {})
            .map_err(|e| e.to_string())
    };
    if let Err(e) = run() {
        eprintln!("insert: {e}");
    }
}
