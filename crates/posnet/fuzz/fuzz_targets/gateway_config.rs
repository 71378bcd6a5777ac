//! The gateway's config file (`gateway::config::Config::from_toml`): any text, and any edit
//! of the documented example, is a config or a typed error that says something; never a panic.
#![no_main]

mod splice;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let example = gateway::config::Config::example();
    for text in splice::texts(data, &[&example]) {
        if let Err(e) = gateway::config::Config::from_toml(&text) {
            assert!(!e.to_string().is_empty());
        }
    }
});
