//! Any bytes as a command and as a response APDU: no panic; a command that parses encodes
//! back to bytes that parse to the same command, and a response encodes back to the input.
#![no_main]

use emv::apdu::{Command, Response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(command) = Command::parse(data) {
        let again = command.to_bytes().unwrap();
        assert!(again.len() <= data.len());
        assert_eq!(Command::parse(&again).unwrap(), command);
        let _ = command.case();
    }
    match Response::parse(data) {
        Ok(response) => {
            assert_eq!(response.to_bytes(), data);
            let _ = response.sw.to_string();
        }
        Err(_) => assert!(data.len() < 2),
    }
    let _ = emv::apdu::PlaintextPin::from_block(data);
});
