//! ANSI X9.24-1:2009 TDES DUKPT.
//!
//! The KSN is 10 bytes: a 59-bit initial key serial number and a 21-bit transaction counter.
//! The host derives the IPEK (initial PIN encryption key) from the BDK and the KSN, then walks
//! the counter's 1 bits applying the non-reversible key generation process. The PIN pad holds
//! the same keys in 21 future key registers and erases each after use.

use zeroize::Zeroizing;

use super::DukptError;
use crate::cipher::{BlockOps, Tdea, tdes_encrypt_block};
use crate::key::{KeyAlgorithm, SecretKey};
use crate::variant::xor_mask;

/// KSN length in bytes.
pub const KSN_LEN: usize = 10;
/// Mask of the 21-bit transaction counter in the KSN's last 3 bytes.
pub const COUNTER_MASK: u32 = 0x1F_FFFF;
/// A device never uses a counter with more than this many 1 bits.
pub const MAX_COUNTER_ONE_BITS: u32 = 10;
/// The last counter a device may use.
pub const LAST_COUNTER: u32 = 0x1F_F800;

/// Mask XORed into the BDK for the right half of the IPEK and into keys in the
/// non-reversible key generation process.
const KEY_MASK: [u8; 16] = [
    0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0, 0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0,
];

/// The variants of a transaction key (ANSI X9.24-1:2009 A.4.1, Table A-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyUsage {
    /// PIN encryption.
    Pin,
    /// MAC of request messages (the PIN pad generates).
    MacRequest,
    /// MAC of response messages (the PIN pad verifies).
    MacResponse,
    /// Data encryption of requests; the variant then passes the one-way step.
    DataRequest,
    /// Data encryption of responses; the variant then passes the one-way step.
    DataResponse,
}

impl KeyUsage {
    /// The 16-byte XOR mask of this variant.
    pub fn mask(self) -> [u8; 16] {
        let byte = match self {
            KeyUsage::Pin => 7,
            KeyUsage::MacRequest => 6,
            KeyUsage::MacResponse => 4,
            KeyUsage::DataRequest => 5,
            KeyUsage::DataResponse => 3,
        };
        core::array::from_fn(|i| if i % 8 == byte { 0xFF } else { 0 })
    }
}

/// A 10-byte TDES DUKPT key serial number.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ksn([u8; KSN_LEN]);

impl core::fmt::Debug for Ksn {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Ksn({})", crate::hex::encode_upper(&self.0))
    }
}

impl Ksn {
    /// Wraps exactly 10 bytes.
    pub fn new(bytes: &[u8]) -> Result<Self, DukptError> {
        <[u8; KSN_LEN]>::try_from(bytes)
            .map(Ksn)
            .map_err(|_| DukptError::KsnLength {
                scheme: "TDES DUKPT (ANSI X9.24-1)",
                len_bytes: bytes.len(),
                expected_bytes: KSN_LEN,
            })
    }

    /// The 10 bytes.
    pub fn as_bytes(&self) -> &[u8; KSN_LEN] {
        &self.0
    }

    /// The 21-bit transaction counter.
    pub fn counter(&self) -> u32 {
        let [.., a, b, c] = self.0;
        u32::from_be_bytes([0, a, b, c]) & COUNTER_MASK
    }

    /// This KSN with its counter replaced (bits above 21 are dropped).
    pub fn with_counter(&self, counter: u32) -> Ksn {
        let mut out = self.0;
        let [.., a, b, c] = &mut out;
        let [_, na, nb, nc] = counter.to_be_bytes();
        *a = (*a & 0xE0) | (na & 0x1F);
        *b = nb;
        *c = nc;
        Ksn(out)
    }

    /// The KSN register's rightmost 8 bytes with the counter cleared.
    fn base_register(&self) -> u64 {
        let [_, _, r @ ..] = self.0;
        u64::from_be_bytes(r) & !u64::from(COUNTER_MASK)
    }

    /// The next counter a device may use: the smallest larger value with at most ten 1 bits.
    pub fn next(&self) -> Result<Ksn, DukptError> {
        let counter = self.counter();
        let mut candidate = counter + 1;
        while candidate.count_ones() > MAX_COUNTER_ONE_BITS {
            // Adding the lowest set bit clears a run of 1s; every value in between keeps them all.
            candidate += candidate & candidate.wrapping_neg();
        }
        if candidate > LAST_COUNTER {
            return Err(DukptError::Exhausted {
                counter: u64::from(counter),
            });
        }
        Ok(self.with_counter(candidate))
    }
}

fn require_double_length(step: &'static str, key: &SecretKey) -> Result<[u8; 16], DukptError> {
    match (key.algorithm(), <[u8; 16]>::try_from(key.as_bytes())) {
        (KeyAlgorithm::Tdes, Ok(b)) => Ok(b),
        _ => Err(DukptError::KeyKind {
            step,
            expected: "a 16-byte TDES key",
            algorithm: key.algorithm(),
            len_bytes: key.len(),
        }),
    }
}

fn xor16(a: &[u8; 16], b: &[u8; 16]) -> [u8; 16] {
    let mut out = *a;
    for (x, y) in out.iter_mut().zip(b) {
        *x ^= y;
    }
    out
}

fn tdes_block(key: &[u8; 16], block: [u8; 8]) -> [u8; 8] {
    let mut b = block;
    tdes_encrypt_block(key, &mut b);
    b
}

fn split16(k: &[u8; 16]) -> ([u8; 8], [u8; 8]) {
    let mut l = [0u8; 8];
    let mut r = [0u8; 8];
    l.copy_from_slice(&k[..8]);
    r.copy_from_slice(&k[8..]);
    (l, r)
}

fn join16(l: [u8; 8], r: [u8; 8]) -> Zeroizing<[u8; 16]> {
    let mut out = Zeroizing::new([0u8; 16]);
    let (ol, or) = out.split_at_mut(8);
    ol.copy_from_slice(&l);
    or.copy_from_slice(&r);
    out
}

/// Derives the IPEK (initial key) from the BDK and any KSN of the device (the counter is
/// ignored): the left half is TDES(BDK, KSN[0..8] with counter cleared), the right half the
/// same under BDK XOR C0C0C0C000000000C0C0C0C000000000.
pub fn derive_ipek(bdk: &SecretKey, ksn: &Ksn) -> Result<SecretKey, DukptError> {
    let bdk = Zeroizing::new(require_double_length("IPEK derivation", bdk)?);
    let cleared = ksn.with_counter(0);
    let mut data = [0u8; 8];
    data.copy_from_slice(&cleared.0[..8]);
    let left = tdes_block(&bdk, data);
    let right = tdes_block(&Zeroizing::new(xor16(&bdk, &KEY_MASK)), data);
    tdes_key(&join16(left, right)[..])
}

/// The non-reversible key generation process (A.2) of a 16-byte key under a KSN register.
fn non_reversible(key: &[u8; 16], register: u64) -> Zeroizing<[u8; 16]> {
    let reg = register.to_be_bytes();
    let half = |k: &[u8; 16]| -> [u8; 8] {
        let (kl, kr) = split16(k);
        let mut msg = reg;
        for (m, r) in msg.iter_mut().zip(kr) {
            *m ^= r;
        }
        if let Some(des) = Tdea::from_bytes(&kl) {
            des.encrypt(&mut msg);
        }
        for (m, r) in msg.iter_mut().zip(kr) {
            *m ^= r;
        }
        msg
    };
    let right = half(key);
    let left = half(&xor16(key, &KEY_MASK));
    join16(left, right)
}

/// Derives the transaction key for `ksn` from the IPEK, as the host does: for each 1 bit of
/// the counter from the most significant, set it in the register and transform the key.
/// Counter 0 gives the IPEK. Counters a device would never use are derived all the same.
pub fn derive_transaction_key(ipek: &SecretKey, ksn: &Ksn) -> Result<SecretKey, DukptError> {
    let mut key = Zeroizing::new(require_double_length("transaction key derivation", ipek)?);
    let counter = ksn.counter();
    let mut register = ksn.base_register();
    let mut bit = 1u32 << 20;
    while bit != 0 {
        if counter & bit != 0 {
            register |= u64::from(bit);
            key = non_reversible(&key, register);
        }
        bit >>= 1;
    }
    tdes_key(&key[..])
}

fn tdes_key(bytes: &[u8]) -> Result<SecretKey, DukptError> {
    SecretKey::tdes(bytes).map_err(|_| DukptError::KeyKind {
        step: "key construction",
        expected: "a 16-byte TDES key",
        algorithm: KeyAlgorithm::Tdes,
        len_bytes: bytes.len(),
    })
}

/// The working key of `usage` from a transaction key. The data variants pass the one-way
/// step of A.4.1 Figure A-2: each half is TDES-encrypted under the variant itself.
pub fn working_key(transaction_key: &SecretKey, usage: KeyUsage) -> Result<SecretKey, DukptError> {
    require_double_length("working key", transaction_key)?;
    let variant = xor_mask(transaction_key, &usage.mask()).map_err(|_| DukptError::KeyKind {
        step: "working key",
        expected: "a 16-byte TDES key",
        algorithm: transaction_key.algorithm(),
        len_bytes: transaction_key.len(),
    })?;
    match usage {
        KeyUsage::DataRequest | KeyUsage::DataResponse => {
            let v = Zeroizing::new(require_double_length("data key", &variant)?);
            let (l, r) = split16(&v);
            tdes_key(&join16(tdes_block(&v, l), tdes_block(&v, r))[..])
        }
        _ => Ok(variant),
    }
}

/// Host-side shortcut: the working key for `usage` at `ksn` from the BDK.
pub fn derive_working_key(
    bdk: &SecretKey,
    ksn: &Ksn,
    usage: KeyUsage,
) -> Result<SecretKey, DukptError> {
    let ipek = derive_ipek(bdk, ksn)?;
    working_key(&derive_transaction_key(&ipek, ksn)?, usage)
}

/// The PIN pad's side (the "originator"): 21 future key registers filled from the IPEK, one
/// consumed per transaction and erased after use.
pub struct Originator {
    /// Register `i` holds the key for the counter whose lowest set bit is bit `20 - i`.
    future_keys: [Option<Zeroizing<[u8; 16]>>; 21],
    ksn: Ksn,
}

impl core::fmt::Debug for Originator {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let loaded = self.future_keys.iter().filter(|k| k.is_some()).count();
        f.debug_struct("Originator")
            .field("ksn", &self.ksn)
            .field("future_keys_loaded", &loaded)
            .finish()
    }
}

fn register_index(bit: u32) -> usize {
    // bit 20 -> register 0 ... bit 0 -> register 20.
    20usize.saturating_sub(bit.trailing_zeros() as usize)
}

impl Originator {
    /// Loads the initial key: fills every future key register from the IPEK and positions the
    /// KSN on counter 1.
    pub fn load_initial_key(ipek: &SecretKey, initial_ksn: &Ksn) -> Result<Self, DukptError> {
        let ipek = Zeroizing::new(require_double_length("initial key load", ipek)?);
        let mut o = Originator {
            future_keys: Default::default(),
            ksn: initial_ksn.with_counter(0),
        };
        o.fill_future_keys(&ipek, 0, 1 << 20);
        o.ksn = o.ksn.with_counter(1);
        Ok(o)
    }

    /// For every bit below `top_bit`, stores the key for `counter | bit` derived from `key`.
    fn fill_future_keys(&mut self, key: &[u8; 16], counter: u32, top_bit: u32) {
        let base = self.ksn.base_register() | u64::from(counter);
        let mut bit = top_bit;
        while bit != 0 {
            let k = non_reversible(key, base | u64::from(bit));
            if let Some(slot) = self.future_keys.get_mut(register_index(bit)) {
                *slot = Some(k);
            }
            bit >>= 1;
        }
    }

    /// The KSN the next transaction will use.
    pub fn ksn(&self) -> Ksn {
        self.ksn
    }

    /// Takes the current transaction key and KSN, then prepares the next: future keys below
    /// the counter's lowest set bit are generated from this key (only when the next counter
    /// will need them), the used register is erased, and the counter advances skipping values
    /// with more than ten 1 bits.
    pub fn next_transaction(&mut self) -> Result<(Ksn, SecretKey), DukptError> {
        let counter = self.ksn.counter();
        if counter == 0 || counter > LAST_COUNTER {
            return Err(DukptError::Exhausted {
                counter: u64::from(counter),
            });
        }
        let low_bit = counter & counter.wrapping_neg();
        let idx = register_index(low_bit);
        let key =
            self.future_keys
                .get_mut(idx)
                .and_then(Option::take)
                .ok_or(DukptError::Counter {
                    counter: u64::from(counter),
                    reason: "its future key register is empty",
                })?;
        let used = self.ksn;
        if counter.count_ones() < MAX_COUNTER_ONE_BITS {
            self.fill_future_keys(&key, counter, low_bit >> 1);
        }
        self.ksn = match used.next() {
            Ok(next) => next,
            // Past the last counter the device stops; leave a counter that fails next time.
            Err(_) => used.with_counter(COUNTER_MASK),
        };
        Ok((used, tdes_key(&key[..])?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digits::{Pan, Pin};
    use crate::pinblock::{PinBlockFormat, decipher, encipher};
    use crate::rng::Replay;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn bdk() -> SecretKey {
        SecretKey::tdes(&h("0123456789ABCDEFFEDCBA9876543210")).unwrap()
    }

    fn ksn(s: &str) -> Ksn {
        Ksn::new(&h(s)).unwrap()
    }

    /// ANSI X9.24-1:2009 Annex A.4 test data: BDK 0123456789ABCDEFFEDCBA9876543210, initial KSN
    /// FFFF9876543210E00000, PIN 1234, PAN 4012345678909; encrypted format 0 PIN blocks.
    const X9_24_1_PIN_BLOCKS: &[(&str, &str)] = &[
        ("FFFF9876543210E00001", "1B9C1845EB993A7A"),
        ("FFFF9876543210E00002", "10A01C8D02C69107"),
        ("FFFF9876543210E00003", "18DC07B94797B466"),
        ("FFFF9876543210E00004", "0BC79509D5645DF7"),
        ("FFFF9876543210E00005", "5BC0AF22AD87B327"),
        ("FFFF9876543210E00006", "A16DF70AE36158D8"),
        ("FFFF9876543210E00007", "27711C16CB257F8E"),
        ("FFFF9876543210E00008", "50E55547A5027551"),
        ("FFFF9876543210E00009", "536CF7F678ACFC8D"),
        ("FFFF9876543210E0000A", "EDABBA23221833FE"),
        ("FFFF9876543210E0000B", "2328981C57B4BDBA"),
        ("FFFF9876543210E0000C", "038D03CC926CF286"),
        ("FFFF9876543210E0000D", "6C8AA97088B62C68"),
        ("FFFF9876543210E0000E", "F17C9E1D72CD4950"),
        ("FFFF9876543210E0000F", "B170F6E7F7F2F64A"),
        ("FFFF9876543210E00010", "D5D9638559EF53D6"),
        ("FFFF9876543210E00011", "D544F8CDD292C863"),
        ("FFFF9876543210E00012", "7A21BD10F36DC41D"),
        ("FFFF9876543210E00013", "78649BD17D0DFA60"),
        ("FFFF9876543210E00014", "7E7E16EA0C31AD56"),
        ("FFFF9876543210E00015", "72105C22EBC791E6"),
        ("FFFF9876543210EFF800", "33365F5CC6F23C35"),
        ("FFFF9876543210EFF801", "3A86BF003F835C9D"),
        ("FFFF9876543210EFF802", "3DB977D05C36DF3F"),
        ("FFFF9876543210EFF804", "BA83243305712099"),
        ("FFFF9876543210EFF808", "B0DA04AC90A36D85"),
        ("FFFF9876543210EFF810", "2CF02BD9C309EEDA"),
        ("FFFF9876543210EFF820", "9D1E2F77AEEE81C6"),
        ("FFFF9876543210EFF840", "40870B0F8BA2011C"),
        ("FFFF9876543210EFF880", "22E340D6ABB40981"),
        ("FFFF9876543210EFF900", "1A4C10AFBA03A430"),
        ("FFFF9876543210EFFA00", "849763B43E5F9CFF"),
        ("FFFF9876543210EFFC00", "DEFC6F09F8927B71"),
        ("FFFF9876543210F00000", "73EC88AD0AC5830E"),
    ];

    #[test]
    fn ipek_and_first_keys() {
        // ANSI X9.24-1:2009 A.4: IPEK 6AC292FAA1315B4D858AB3A3D7D5933A; KSN ...E00001 has
        // transaction key 042666B49184CFA368DE9628D0397BC9, PIN key 042666B49184CF5C68DE9628D0397B36,
        // request MAC key 042666B4918430A368DE9628D03984C9.
        let k = ksn("FFFF9876543210E00001");
        let ipek = derive_ipek(&bdk(), &k).unwrap();
        assert_eq!(
            hex::encode_upper(ipek.as_bytes()),
            "6AC292FAA1315B4D858AB3A3D7D5933A"
        );
        let tk = derive_transaction_key(&ipek, &k).unwrap();
        assert_eq!(
            hex::encode_upper(tk.as_bytes()),
            "042666B49184CFA368DE9628D0397BC9"
        );
        let pin = working_key(&tk, KeyUsage::Pin).unwrap();
        assert_eq!(
            hex::encode_upper(pin.as_bytes()),
            "042666B49184CF5C68DE9628D0397B36"
        );
        let mac = working_key(&tk, KeyUsage::MacRequest).unwrap();
        assert_eq!(
            hex::encode_upper(mac.as_bytes()),
            "042666B4918430A368DE9628D03984C9"
        );
        // A.4, KSN ...E00002: transaction key C46551CEF9FD24B0AA9AD834130D3BC7.
        let tk2 = derive_transaction_key(&ipek, &ksn("FFFF9876543210E00002")).unwrap();
        assert_eq!(
            hex::encode_upper(tk2.as_bytes()),
            "C46551CEF9FD24B0AA9AD834130D3BC7"
        );
    }

    #[test]
    fn published_pin_blocks_host_side() {
        let pan = Pan::new("4012345678909").unwrap();
        let pin = Pin::new("1234").unwrap();
        for (k, want) in X9_24_1_PIN_BLOCKS {
            let pin_key = derive_working_key(&bdk(), &ksn(k), KeyUsage::Pin).unwrap();
            let block = encipher(
                PinBlockFormat::Iso0,
                &pin_key,
                &pin,
                Some(&pan),
                &mut Replay::new(&[]),
            )
            .unwrap();
            assert_eq!(hex::encode_upper(&block), *want, "KSN {k}");
            assert_eq!(
                decipher(PinBlockFormat::Iso0, &pin_key, &block, Some(&pan)).unwrap(),
                pin
            );
        }
    }

    #[test]
    fn originator_matches_host_and_published_blocks() {
        let initial = ksn("FFFF9876543210E00000");
        let ipek = derive_ipek(&bdk(), &initial).unwrap();
        let mut device = Originator::load_initial_key(&ipek, &initial).unwrap();
        let pan = Pan::new("4012345678909").unwrap();
        let pin = Pin::new("1234").unwrap();
        // The first 21 transactions are counters 1..=0x15 (none has more than ten 1 bits).
        for (k, want) in X9_24_1_PIN_BLOCKS.iter().take(21) {
            let (used, key) = device.next_transaction().unwrap();
            assert_eq!(used, ksn(k));
            let pin_key = working_key(&key, KeyUsage::Pin).unwrap();
            let block = encipher(
                PinBlockFormat::Iso0,
                &pin_key,
                &pin,
                Some(&pan),
                &mut Replay::new(&[]),
            )
            .unwrap();
            assert_eq!(hex::encode_upper(&block), *want, "KSN {k}");
        }
        // The next 1000 device keys equal what the host derives for the same KSN.
        for _ in 0..1000 {
            let (used, key) = device.next_transaction().unwrap();
            assert!(used.counter().count_ones() <= MAX_COUNTER_ONE_BITS);
            let host = derive_transaction_key(&ipek, &used).unwrap();
            assert!(key.ct_eq(&host), "counter {:X}", used.counter());
        }
    }

    #[test]
    fn originator_end_of_life() {
        // Jump the device near the end: from counter EFF800 it must produce the published
        // blocks for EFF800, EFF801, ..., EFFC00 (skipping counters with more than ten 1 bits),
        // then F00000 ... and stop after 1FF800.
        let initial = ksn("FFFF9876543210E00000");
        let ipek = derive_ipek(&bdk(), &initial).unwrap();
        let mut device = Originator::load_initial_key(&ipek, &initial).unwrap();
        let mut seen = Vec::new();
        loop {
            match device.next_transaction() {
                Ok((used, _)) => {
                    if used.counter() >= 0xFF800 {
                        seen.push(used.counter());
                    }
                }
                Err(DukptError::Exhausted { counter }) => {
                    assert_eq!(counter, u64::from(COUNTER_MASK));
                    break;
                }
                Err(e) => panic!("{e}"),
            }
        }
        let expected_tail: Vec<u32> = X9_24_1_PIN_BLOCKS[21..]
            .iter()
            .map(|(k, _)| ksn(k).counter())
            .collect();
        assert_eq!(&seen[..expected_tail.len()], &expected_tail[..]);
        assert_eq!(*seen.last().unwrap(), LAST_COUNTER);
    }

    #[test]
    fn counter_advance_rule() {
        let k = ksn("FFFF9876543210E00000");
        assert_eq!(k.next().unwrap().counter(), 1);
        // 0x0003FF has ten 1 bits; 0x000400 is next. 0x0007FE+1 = 0x7FF has 11 → skip to 0x800.
        assert_eq!(k.with_counter(0x3FE).next().unwrap().counter(), 0x3FF);
        assert_eq!(k.with_counter(0x3FF).next().unwrap().counter(), 0x400);
        assert_eq!(k.with_counter(0x7FE).next().unwrap().counter(), 0x800);
        assert_eq!(
            k.with_counter(LAST_COUNTER).next(),
            Err(DukptError::Exhausted {
                counter: u64::from(LAST_COUNTER)
            })
        );
        // Every counter a device uses has at most ten 1 bits, and the number of usable counters
        // is sum C(21, k) for k = 1..=10 = 1,048,575.
        let mut c = k;
        let mut n = 0u32;
        while let Ok(next) = c.next() {
            assert!(next.counter().count_ones() <= 10);
            c = next;
            n += 1;
        }
        assert_eq!(n, 1_048_575);
    }

    #[test]
    fn typed_errors() {
        assert_eq!(
            Ksn::new(&[0u8; 9]),
            Err(DukptError::KsnLength {
                scheme: "TDES DUKPT (ANSI X9.24-1)",
                len_bytes: 9,
                expected_bytes: 10
            })
        );
        let single = SecretKey::tdes(&[1u8; 8]).unwrap();
        assert!(matches!(
            derive_ipek(&single, &ksn("FFFF9876543210E00000")),
            Err(DukptError::KeyKind { len_bytes: 8, .. })
        ));
    }
}
