//! Random bytes from the operating system (PIN block fill, TR-31 padding, new master keys).

use zeroize::Zeroizing;

use crate::error::HsmError;

/// `len` bytes from the OS generator, wiped on drop.
pub fn os_random(len: usize) -> Result<Zeroizing<Vec<u8>>, HsmError> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    getrandom::fill(&mut out).map_err(|e| HsmError::Random(e.to_string()))?;
    Ok(out)
}
