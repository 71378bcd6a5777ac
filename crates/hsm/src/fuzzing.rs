//! Entry points for the fuzz targets (`crates/posnet/fuzz`): the key-store parser of
//! [`crate::store`] without the files around it. Not an API for callers; nothing here
//! behaves differently from what `SoftHsm::open` does.

use crate::error::HsmError;
use crate::master::MasterKey;
use crate::soft::seal_keys;
use crate::store;

/// First line of every store file.
pub const STORE_MAGIC: &str = store::MAGIC;

/// Parses a store file's bytes as `SoftHsm::open` would under `master`; the names of the
/// keys it holds, in order.
pub fn decode_store(master: &MasterKey, text: &[u8]) -> Result<Vec<String>, HsmError> {
    let seal = seal_keys(master)?;
    Ok(store::decode(&seal, text)?.into_keys().collect())
}

/// The `mac` line (newline included) that makes `sealed`, the lines above it, pass the file
/// MAC under `master`, so a fuzzer gets past the MAC to the key lines.
pub fn store_mac_line(master: &MasterKey, sealed: &[u8]) -> Result<String, HsmError> {
    let seal = seal_keys(master)?;
    let mac = paysec::mac::cmac::cmac(&seal.mac, sealed).map_err(paysec::kcv::KcvError::from)?;
    Ok(format!("mac {}\n", paysec::hex::encode_upper(&mac)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_built_with_the_mac_line_opens_and_one_without_is_tampered() {
        let master = MasterKey::from_bytes(&[0x42; 32]).unwrap();
        let head = format!("{STORE_MAGIC}\nmaster-kcv {}\n", master.kcv_hex().unwrap());
        let mut text = head.clone().into_bytes();
        text.extend_from_slice(store_mac_line(&master, head.as_bytes()).unwrap().as_bytes());
        assert_eq!(decode_store(&master, &text).unwrap(), Vec::<String>::new());
        let other = MasterKey::from_bytes(&[0x43; 32]).unwrap();
        assert!(matches!(
            decode_store(&other, &text),
            Err(HsmError::WrongMasterKey { .. })
        ));
        let last = text.len() - 2;
        text[last] = if text[last] == b'0' { b'1' } else { b'0' };
        assert!(matches!(
            decode_store(&master, &text),
            Err(HsmError::StoreTampered)
        ));
    }
}
