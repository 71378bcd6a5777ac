//! The issuer's payment security: its HSM (PIN verification, the zone PIN key and its
//! changes) and the helpers set-up uses to make that HSM and personalise test cards.
//!
//! - [`keys`]: key names, field 53, the set-up helpers ([`provision`], [`pvv_for`],
//!   [`ibm_offset_for`]).
//! - [`Security`]: the HSM handle the issuer decides with; PINs and PIN blocks are handed to
//!   the HSM as they came and are never deciphered, kept or logged here.

mod chip;
mod error;
mod keys;
mod script;
mod zone;

pub use chip::{ChipAuth, IMK_AC, arpc_field55, card_outcome, chip_auth};
pub use error::SecurityError;
pub use keys::{
    GENERATION_MAX, PVK, PVK_IBM, ZMK, ZPK_PREFIX, ibm_offset_for, parse_zone_control, provision,
    pvv_for, random_tdes_key, validation_data, zone_control, zpk_name,
};
pub use script::{IMK_SMI, IssuerScript, ScriptCommand, ScriptTemplate};
pub use zone::{KeyChange, PinBlock, PinOutcome, Security};
