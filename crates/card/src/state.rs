//! The card's persistent state (what a real chip keeps in EEPROM between transactions):
//! counters and flags, saved and loaded as TOML by the adapter.

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::error::StateError;
use crate::profile::Profile;

/// Persistent card state.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardState {
    /// Application transaction counter (ATC, 9F36): incremented by each GET PROCESSING OPTIONS.
    pub atc: u16,
    /// ATC of the last transaction the issuer approved online (9F13).
    pub last_online_atc: u16,
    /// PIN try counter (9F17): tries left.
    pub pin_try_counter: u8,
    /// Application blocked (by an APPLICATION BLOCK script or the profile).
    pub app_blocked: bool,
    /// Offline transactions since the last online one (checked against LCOL/UCOL).
    pub consecutive_offline: u8,
    /// Issuer authentication failed in the last online transaction.
    pub last_issuer_auth_failed: bool,
    /// The last online transaction never got its second GENERATE AC.
    pub last_online_incomplete: bool,
    /// Issuer script commands processed in the last transaction (4 bits in the CVR).
    pub script_commands: u8,
    /// The last issuer script command failed.
    pub script_failed: bool,
    /// A PIN set by a PIN CHANGE script, replacing the profile's; digits.
    pub changed_pin: Option<String>,
}

impl Drop for CardState {
    fn drop(&mut self) {
        if let Some(p) = self.changed_pin.as_mut() {
            p.zeroize();
        }
    }
}

impl core::fmt::Debug for CardState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CardState")
            .field("atc", &self.atc)
            .field("last_online_atc", &self.last_online_atc)
            .field("pin_try_counter", &self.pin_try_counter)
            .field("app_blocked", &self.app_blocked)
            .field("consecutive_offline", &self.consecutive_offline)
            .field("changed_pin", &self.changed_pin.as_ref().map(|_| "****"))
            .finish_non_exhaustive()
    }
}

impl CardState {
    /// A fresh card as personalised from `profile`.
    pub fn new(profile: &Profile) -> Self {
        CardState {
            atc: 0,
            last_online_atc: 0,
            pin_try_counter: profile.pin_try_limit,
            app_blocked: profile.blocked,
            consecutive_offline: 0,
            last_issuer_auth_failed: false,
            last_online_incomplete: false,
            script_commands: 0,
            script_failed: false,
            changed_pin: None,
        }
    }

    /// As TOML text.
    pub fn to_toml(&self) -> Result<String, StateError> {
        toml::to_string(self).map_err(|e| StateError(e.to_string()))
    }

    /// From TOML text.
    pub fn from_toml(text: &str) -> Result<Self, StateError> {
        toml::from_str(text).map_err(|e| StateError(e.to_string()))
    }
}
