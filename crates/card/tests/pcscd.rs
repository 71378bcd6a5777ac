//! The card through the real PC/SC stack: pcscd with vsmartcard's vpcd driver, the card on
//! vpcd's socket, a PC/SC client (the `pcsc` crate) on the other side. Needs the Debian
//! packages pcscd, vsmartcard-vpcd and libpcsclite-dev; starts pcscd itself and fails when
//! it cannot.

mod common;

use std::ffi::CStr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use card::vpcd::{VpcdOptions, serve};
use common::*;
use paysec::emv::{CryptogramPadding, generate_ac};

const READER: &str = "Virtual PCD 00 00";
/// vpcd's second reader, on port 35964.
const SECOND_READER: &str = "Virtual PCD 00 01";
const UN: &str = "0BADCAFE";

/// pcscd in the foreground, killed on drop (only the one this test started).
struct Pcscd(Option<Child>);

impl Drop for Pcscd {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            // SIGTERM first so pcscd removes its socket and pid file; SIGKILL if it lingers.
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn start_pcscd() -> Pcscd {
    let already = std::path::Path::new("/run/pcscd/pcscd.comm").exists()
        && Command::new("pgrep")
            .arg("-x")
            .arg("pcscd")
            .status()
            .is_ok_and(|s| s.success());
    if already {
        // Someone (scripts/test) already runs one: use it.
        return Pcscd(None);
    }
    let child = Command::new("pcscd")
        .args(["--foreground", "--apdu"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("pcscd must be installed (apt-get install pcscd vsmartcard-vpcd libpcsclite-dev)");
    Pcscd(Some(child))
}

fn transmit(card: &pcsc::Card, apdu: &str) -> (Vec<u8>, u16) {
    let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
    let r = card.transmit(&h(apdu), &mut buf).expect("transmit");
    let (data, sw) = r.split_at(r.len() - 2);
    (data.to_vec(), u16::from_be_bytes([sw[0], sw[1]]))
}

/// Connects to the virtual reader once the card with `atr` is in, within `limit` (pcscd
/// notices a removal and a new insertion by polling the driver).
fn connect(reader_name: &str, limit: Duration, atr: &[u8]) -> (pcsc::Context, pcsc::Card) {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < limit {
        match pcsc::Context::establish(pcsc::Scope::User) {
            Ok(ctx) => {
                let mut names = [0u8; 4096];
                let reader = ctx.list_readers(&mut names).ok().and_then(|mut it| {
                    it.find(|r: &&CStr| r.to_string_lossy() == reader_name)
                        .map(CStr::to_owned)
                });
                match reader {
                    Some(r) => match ctx.connect(&r, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
                    {
                        Ok(card) => {
                            let now = card.status2_owned().map(|s| s.atr().to_vec());
                            if now.as_deref() == Ok(atr) {
                                return (ctx, card);
                            }
                            last = format!("ATR {now:02X?}");
                        }
                        Err(e) => last = format!("connect: {e}"),
                    },
                    None => last = format!("no reader {reader_name:?} yet"),
                }
            }
            Err(e) => last = format!("establish: {e}"),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("PC/SC: card not reachable within {limit:?}: {last}");
}

#[test]
fn chip_transaction_through_pcscd_and_vpcd() {
    let _pcscd = start_pcscd();
    let stop = Arc::new(AtomicBool::new(false));
    let mut c = card("online-debit");
    let image = c.image().clone();
    let opts = VpcdOptions {
        max_attempts: Some(100),
        reconnect_delay_ms: 100,
        ..VpcdOptions::default()
    };
    let stop_card = Arc::clone(&stop);
    let adapter = std::thread::spawn(move || {
        let r = serve(&mut c, &opts, &stop_card, |_| {}, |_| {});
        (r.map_err(|e| e.to_string()), c.state().atc)
    });

    let t1_atr = card::atr::atr(card::profile::Transport::T1);
    let (_ctx, reader) = connect(READER, Duration::from_secs(20), &t1_atr);
    let (fci, sw) = transmit(&reader, "00A404000E325041592E5359532E444446303100");
    assert_eq!((fci, sw), (image.ppse_fci.clone(), 0x9000));
    let (fci, sw) = transmit(&reader, "00A4040007F000000001101000");
    assert_eq!((fci, sw), (image.app_fci.clone(), 0x9000));
    let (gpo, sw) = transmit(&reader, "80A80000048302097800");
    assert_eq!(sw, 0x9000);
    assert_eq!(gpo, h("7712 82023C00 940C 08010100 10010101 18010200"));
    let (r2, sw) = transmit(&reader, "00B2011400");
    assert_eq!((r2, sw), (image.records[&(2, 1)].clone(), 0x9000));
    let cdol1 = cdol1_data("000000004200", UN);
    let (r, sw) = transmit(&reader, &gen_ac(0x80, &cdol1));
    assert_eq!(sw, 0x9000);
    assert_eq!(find(&r, 0x9F27).unwrap(), vec![0x80]);
    let iad = find(&r, 0x9F10).unwrap();
    let sk = issuer_sk_ac(&image, 1, h(UN).try_into().unwrap());
    let mut input = h(&cdol1);
    input.extend_from_slice(&h("3C00 0001"));
    input.extend_from_slice(&iad[3..]);
    assert_eq!(
        find(&r, 0x9F26).unwrap(),
        generate_ac(&sk, &input, CryptogramPadding::Method2).unwrap(),
        "ARQC recomputed from the IMK-AC"
    );
    drop(reader);

    stop.store(true, Ordering::Relaxed);
    let (result, atc) = adapter.join().expect("adapter thread");
    assert_eq!(result, Ok(()));
    assert_eq!(atc, 1);

    // A T=0 card in the second reader: 61xx and 6Cxx reach the PC/SC client unchanged.
    let stop = Arc::new(AtomicBool::new(false));
    let mut c = card("offline-pin");
    let image = c.image().clone();
    let stop_card = Arc::clone(&stop);
    let opts = VpcdOptions {
        max_attempts: Some(100),
        reconnect_delay_ms: 100,
        addr: "127.0.0.1:35964".into(),
        ..VpcdOptions::default()
    };
    let adapter = std::thread::spawn(move || {
        serve(&mut c, &opts, &stop_card, |_| {}, |_| {}).map_err(|e| e.to_string())
    });
    let (_ctx, reader) = connect(SECOND_READER, Duration::from_secs(20), &h("3B600000"));
    assert_eq!(
        transmit(&reader, "00A4040007F000000001101000"),
        (vec![], 0x6129)
    );
    assert_eq!(
        transmit(&reader, "00C0000029"),
        (image.app_fci.clone(), 0x9000)
    );
    assert_eq!(transmit(&reader, "80A80000048302097800"), (vec![], 0x6114));
    assert_eq!(transmit(&reader, "00C0000014").1, 0x9000);
    let len = image.records[&(1, 1)].len();
    assert_eq!(
        transmit(&reader, "00B2010C00"),
        (vec![], 0x6C00 | len as u16)
    );
    assert_eq!(
        transmit(&reader, &format!("00B2010C{len:02X}")),
        (image.records[&(1, 1)].clone(), 0x9000)
    );
    assert_eq!(
        transmit(&reader, "0020008008241234FFFFFFFFFF"),
        (vec![], 0x9000)
    );
    drop(reader);
    stop.store(true, Ordering::Relaxed);
    assert_eq!(adapter.join().expect("adapter thread"), Ok(()));
}
