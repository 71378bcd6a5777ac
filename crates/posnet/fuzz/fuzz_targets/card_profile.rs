//! Card profiles (`card::profile::Profile::from_toml`): any text, and any edit of a shipped
//! profile, is a profile or a typed error naming the profile; never a panic.
#![no_main]

mod splice;

use card::profile::{Profile, SHIPPED};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let examples: Vec<&str> = SHIPPED.iter().map(|(_, text)| *text).collect();
    for text in splice::texts(data, &examples) {
        if let Err(e) = Profile::from_toml("fuzzed", &text) {
            assert!(!e.to_string().is_empty());
        }
    }
});
