//! The soft HSM's files: the master key file (`hsm::MasterKey::parse`) and the key store
//! (`hsm::store`, through `hsm::fuzzing::decode_store`). Any bytes are refused with a typed
//! error or opened, never a panic. The bytes are also tried as the key lines of a store with
//! the right header and file MAC, so the fuzzer reaches the key lines and the TR-31 blocks.
#![no_main]

use std::path::Path;

use hsm::fuzzing::{STORE_MAGIC, decode_store, store_mac_line};
use hsm::{HsmError, MasterKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = MasterKey::parse(data, Path::new("master.key"));

    let master = MasterKey::from_bytes(&[0x42; 32]).unwrap();
    let _ = decode_store(&master, data);

    let mut text =
        format!("{STORE_MAGIC}\nmaster-kcv {}\n", master.kcv_hex().unwrap()).into_bytes();
    text.extend_from_slice(data);
    if !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    text.extend_from_slice(store_mac_line(&master, &text).unwrap().as_bytes());
    match decode_store(&master, &text) {
        Ok(names) => {
            for name in names {
                hsm::store::check_name(&name).unwrap();
            }
        }
        Err(e) => {
            assert!(
                !matches!(e, HsmError::StoreTampered | HsmError::WrongMasterKey { .. }),
                "{e}"
            );
            assert!(!e.to_string().is_empty());
        }
    }
});
