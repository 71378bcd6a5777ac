//! Unpack arbitrary bytes with every built-in dialect; whatever unpacks must pack and unpack
//! again to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn specs() -> &'static Vec<iso8583::Spec> {
    static SPECS: OnceLock<Vec<iso8583::Spec>> = OnceLock::new();
    SPECS.get_or_init(|| {
        iso8583::specs::BUILTIN
            .iter()
            .map(|(n, _)| iso8583::specs::builtin(n).expect("built-in spec"))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    for spec in specs() {
        if let Ok(msg) = spec.unpack(data) {
            let again = spec.pack(&msg).expect("an unpacked message packs");
            assert_eq!(spec.unpack(&again).expect("a packed message unpacks"), msg);
            let _ = format!("{msg:?}");
            let _ = iso8583::document::to_json(spec, &msg, iso8583::document::Reveal::Masked);
            let _ = iso8583::document::tlv_json(spec, &msg, iso8583::document::Reveal::Masked);
        }
    }
});
