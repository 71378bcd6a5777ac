//! Any bytes through the TLV parsers: no panic, offsets inside the input, and every object
//! parsed writes back to bytes that parse to the same tag and value.
#![no_main]

use emv::tlv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let flat = tlv::parse_all(data);
    let nested = tlv::parse_nested(data);
    let _ = tlv::find(data, emv::tags::PAN);
    let _ = emv::tags::dump(data);
    assert_eq!(flat.is_ok(), tlv::parse(data).all(|item| item.is_ok()));
    let Ok(objects) = flat else {
        return;
    };
    if nested.is_ok() {
        assert_eq!(nested.map(|n| n.len()).unwrap_or(0), objects.len());
    }
    for object in objects {
        assert!(object.offset < data.len());
        let mut encoded = Vec::new();
        tlv::write(object.tag, object.value, &mut encoded).unwrap();
        let again = tlv::parse_all(&encoded).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!((again[0].tag, again[0].value), (object.tag, object.value));
        let _ = emv::tags::describe(object.tag, object.value);
    }
});
