//! Structures inside field values: track 2 (field 35), original data elements (field 90) and
//! EMV ICC data (field 55, via the `emv` crate's BER-TLV reader).

pub mod original_data;
pub mod track2;
