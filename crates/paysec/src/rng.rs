//! The caller's source of random bytes.
//!
//! Fill nibbles of PIN blocks and TR-31 padding must be random, but the core stays
//! deterministic: the caller passes the bytes (an OS RNG in production, fixed bytes in tests).

/// Something that fills buffers with random bytes.
pub trait ByteSource {
    /// Fills `out` completely.
    fn fill_bytes(&mut self, out: &mut [u8]);
}

impl<F: FnMut(&mut [u8])> ByteSource for F {
    fn fill_bytes(&mut self, out: &mut [u8]) {
        self(out)
    }
}

/// A source that replays the given bytes in order and then zeros; for tests and for
/// reproducing published examples whose "random" bytes are printed in the standard.
pub struct Replay<'a> {
    bytes: &'a [u8],
}

impl<'a> Replay<'a> {
    /// Replays `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Replay { bytes }
    }
}

impl ByteSource for Replay<'_> {
    fn fill_bytes(&mut self, out: &mut [u8]) {
        let n = out.len().min(self.bytes.len());
        let (head, rest) = self.bytes.split_at(n);
        let (dst, tail) = out.split_at_mut(n);
        dst.copy_from_slice(head);
        tail.fill(0);
        self.bytes = rest;
    }
}
