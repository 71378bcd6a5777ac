//! Dialect files (TOML and JSON) are parsed with typed errors, never a panic; a dialect that
//! loads can unpack arbitrary bytes safely.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for spec in [iso8583::Spec::from_toml_str(text), iso8583::Spec::from_json_str(text)].into_iter().flatten() {
        let _ = spec.unpack(data);
    }
});
