//! Prints a fresh test key set as TOML: `cargo run -p card --example gen_test_keys`.
//! Used once to make `profiles/test_keys.toml`; the keys are for tests only.
fn main() {
    let text = card::keys::KeySet::generate_test_set().and_then(|k| k.to_toml());
    match text {
        Ok(t) => print!("{t}"),
        Err(e) => eprintln!("gen_test_keys: {e}"),
    }
}
