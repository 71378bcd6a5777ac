//! Named bit sets (TVR, TSI, AIP, AUC): fixed-size byte strings whose bits EMV names one by
//! one. Bits are numbered as the standards number them: byte 1 first, bit 8 the high bit.

use thiserror::Error;

/// Why bytes or text could not become a bit set.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BitsError {
    /// Wrong number of bytes.
    #[error("{what} must be {expected_len} bytes, got {actual_len}")]
    Length {
        /// The data element, e.g. "TVR".
        what: &'static str,
        /// Bytes it has.
        expected_len: usize,
        /// Bytes given.
        actual_len: usize,
    },
    /// Text that is not hex.
    #[error("{what}: character {offset} ({found:?}) is not a hex digit")]
    NotHex {
        /// The data element.
        what: &'static str,
        /// Character offset.
        offset: usize,
        /// The character.
        found: char,
    },
    /// Text with an odd number of hex digits.
    #[error("{what}: odd number of hex digits ({digits})")]
    OddHex {
        /// The data element.
        what: &'static str,
        /// Digits given.
        digits: usize,
    },
}

/// Parses hex text of exactly `N` bytes for the data element `what`.
pub(crate) fn parse_hex<const N: usize>(
    what: &'static str,
    text: &str,
) -> Result<[u8; N], BitsError> {
    let bytes = crate::hex::decode(text).map_err(|(offset, found)| match found {
        Some(found) => BitsError::NotHex {
            what,
            offset,
            found,
        },
        None => BitsError::OddHex {
            what,
            digits: offset,
        },
    })?;
    from_slice(what, &bytes)
}

/// Copies exactly `N` bytes for the data element `what`.
pub(crate) fn from_slice<const N: usize>(
    what: &'static str,
    bytes: &[u8],
) -> Result<[u8; N], BitsError> {
    <[u8; N]>::try_from(bytes).map_err(|_| BitsError::Length {
        what,
        expected_len: N,
        actual_len: bytes.len(),
    })
}

/// Defines a bit set type and its enum of named bits.
macro_rules! named_bits {
    (
        $(#[$set_meta:meta])*
        pub struct $set:ident([u8; $len:literal]) = $what:literal;
        $(#[$bit_meta:meta])*
        pub enum $bit:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident = ($byte:literal, $mask:literal, $name:literal),
            )*
        }
    ) => {
        $(#[$bit_meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $bit {
            $(
                $(#[$variant_meta])*
                #[doc = concat!("Byte ", stringify!($byte), ", mask `", stringify!($mask), "`: ", $name, ".")]
                $variant,
            )*
        }

        impl $bit {
            /// Every named bit, in wire order.
            pub const ALL: &'static [$bit] = &[$($bit::$variant),*];

            /// Byte number as the standard counts it (1 is the first byte).
            pub const fn byte(self) -> usize {
                match self {
                    $($bit::$variant => $byte,)*
                }
            }

            /// The bit within its byte.
            pub const fn mask(self) -> u8 {
                match self {
                    $($bit::$variant => $mask,)*
                }
            }

            /// The meaning as the standard words it.
            pub const fn name(self) -> &'static str {
                match self {
                    $($bit::$variant => $name,)*
                }
            }
        }

        impl core::fmt::Display for $bit {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.name())
            }
        }

        $(#[$set_meta])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub struct $set([u8; $len]);

        impl $set {
            /// Bytes on the wire.
            pub const LEN: usize = $len;

            /// All bits clear.
            pub const fn new() -> Self {
                Self([0; $len])
            }

            /// Wraps the wire bytes (RFU bits are kept as they are).
            pub const fn from_bytes(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            /// Reads exactly the right number of bytes.
            pub fn from_slice(bytes: &[u8]) -> Result<Self, $crate::bits::BitsError> {
                $crate::bits::from_slice($what, bytes).map(Self)
            }

            /// The wire bytes.
            pub const fn to_bytes(self) -> [u8; $len] {
                self.0
            }

            /// Uppercase hex of the wire bytes.
            pub fn to_hex(self) -> String {
                $crate::hex::encode(&self.0)
            }

            /// Sets a bit.
            pub fn set(&mut self, bit: $bit) {
                if let Some(byte) = self.0.get_mut(bit.byte() - 1) {
                    *byte |= bit.mask();
                }
            }

            /// Clears a bit.
            pub fn clear(&mut self, bit: $bit) {
                if let Some(byte) = self.0.get_mut(bit.byte() - 1) {
                    *byte &= !bit.mask();
                }
            }

            /// This set with one more bit set.
            pub fn with(mut self, bit: $bit) -> Self {
                self.set(bit);
                self
            }

            /// True when the bit is set.
            pub fn is_set(self, bit: $bit) -> bool {
                self.0
                    .get(bit.byte() - 1)
                    .is_some_and(|byte| byte & bit.mask() != 0)
            }

            /// True when no bit at all is set (RFU bits included).
            pub fn is_empty(self) -> bool {
                self.0.iter().all(|&b| b == 0)
            }

            /// True when the two sets share a set bit (e.g. a TVR against an action code).
            pub fn intersects(self, other: Self) -> bool {
                self.0.iter().zip(other.0.iter()).any(|(a, b)| a & b != 0)
            }

            /// The named bits that are set, in wire order.
            pub fn set_bits(self) -> impl Iterator<Item = $bit> {
                $bit::ALL.iter().copied().filter(move |&bit| self.is_set(bit))
            }

            /// Set bits that have no name here (RFU, or kernel-specific).
            pub fn unnamed_bits(self) -> [u8; $len] {
                let mut rest = self.0;
                for bit in $bit::ALL {
                    if let Some(byte) = rest.get_mut(bit.byte() - 1) {
                        *byte &= !bit.mask();
                    }
                }
                rest
            }
        }

        impl core::fmt::Display for $set {
            /// Set bits by name, `; ` between them; "none" when clear; unnamed bits as hex.
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                let mut first = true;
                for bit in self.set_bits() {
                    if !first {
                        f.write_str("; ")?;
                    }
                    f.write_str(bit.name())?;
                    first = false;
                }
                let rest = self.unnamed_bits();
                if rest.iter().any(|&b| b != 0) {
                    if !first {
                        f.write_str("; ")?;
                    }
                    write!(f, "unnamed bits {}", $crate::hex::encode(&rest))?;
                    first = false;
                }
                if first {
                    f.write_str("none")?;
                }
                Ok(())
            }
        }

        impl core::fmt::Debug for $set {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{}({}: {})", stringify!($set), self.to_hex(), self)
            }
        }

        impl core::str::FromStr for $set {
            type Err = $crate::bits::BitsError;

            /// Parses hex of the wire bytes, either case.
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $crate::bits::parse_hex($what, text).map(Self)
            }
        }

        impl From<$bit> for $set {
            fn from(bit: $bit) -> Self {
                Self::new().with(bit)
            }
        }
    };
}

pub(crate) use named_bits;
