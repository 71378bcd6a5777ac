//! The terminal's config file (`terminal::config::Config::from_toml`): any text, and any edit
//! of the documented example, is a config or a typed error that says something; never a panic.
#![no_main]

mod splice;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for text in splice::texts(data, &[terminal::config::Config::example()]) {
        if let Err(e) = terminal::config::Config::from_toml(&text) {
            assert!(!e.to_string().is_empty());
        }
    }
});
