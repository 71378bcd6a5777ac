//! The issuer's config file (`issuer::config::Config::parse`): any text, and any edit of the
//! shipped example, is a config or a typed error that says something; never a panic.
#![no_main]

mod splice;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for text in splice::texts(data, &[issuer::config::Config::example()]) {
        if let Err(e) = issuer::config::Config::parse(&text) {
            assert!(!e.to_string().is_empty());
        }
    }
});
