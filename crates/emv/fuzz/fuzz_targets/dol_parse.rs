//! Any bytes as a DOL: no panic; a DOL that parses writes back to the same bytes, and the
//! data built from it has the DOL's length and splits back into one value per entry.
#![no_main]

use emv::dol;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(entries) = dol::parse_dol(data) else {
        return;
    };
    let mut encoded = Vec::new();
    dol::write_dol(&entries, &mut encoded);
    assert_eq!(encoded, data);
    let built = dol::build_dol_data(&entries, |_| Some(data));
    assert_eq!(built.len(), dol::data_len(&entries));
    let split = dol::split_dol_data(&entries, &built).unwrap();
    assert_eq!(split.len(), entries.len());
});
