//! Terminal risk management (EMV Book 3 section 10.6) and terminal action analysis
//! (section 10.7).

use super::data::be_u64;
use super::machine::{Kernel, State};
use super::step::Step;
use crate::aip::AipBit;
use crate::apdu::{self, AcType, Response};
use crate::tags;
use crate::tlv;
use crate::tvr::{TsiBit, Tvr, TvrBit};

impl Kernel {
    pub(crate) fn terminal_risk_management(&mut self) -> Step {
        if self.transaction.force_online {
            self.tvr.set(TvrBit::MerchantForcedOnline);
        }
        if !self
            .aip()
            .is_set(AipBit::TerminalRiskManagementToBePerformed)
        {
            return self.terminal_action_analysis();
        }
        self.tsi.set(TsiBit::TerminalRiskManagementPerformed);
        self.floor_limit_and_random_selection();
        let has_limits = self
            .card_value(tags::LOWER_CONSECUTIVE_OFFLINE_LIMIT)
            .is_some()
            && self
                .card_value(tags::UPPER_CONSECUTIVE_OFFLINE_LIMIT)
                .is_some();
        if has_limits {
            return self.send(State::GetAtc, apdu::get_data(tags::ATC));
        }
        self.terminal_action_analysis()
    }

    /// Floor limit check and random transaction selection (Book 3 10.6.1–10.6.2).
    fn floor_limit_and_random_selection(&mut self) {
        let Some(aid) = self.aid_config().cloned() else {
            return;
        };
        let amount = self.transaction.amount_minor;
        if amount >= aid.floor_limit_minor {
            self.tvr.set(TvrBit::TransactionExceedsFloorLimit);
        }
        if !self.config.online_capable() || amount >= aid.floor_limit_minor {
            return;
        }
        // 1..=99, as Book 3 10.6.2 draws it.
        let drawn = u64::from(self.random.next_u32() % 99) + 1;
        let target = u64::from(aid.random_target_percent);
        let percent = if amount < aid.random_threshold_minor {
            target
        } else {
            // Biased selection: rises linearly from the target to the maximum between the
            // threshold and the floor limit.
            let max = u64::from(aid.random_max_target_percent).max(target);
            let span = aid
                .floor_limit_minor
                .saturating_sub(aid.random_threshold_minor)
                .max(1);
            let over = amount - aid.random_threshold_minor;
            target + (max - target) * over / span
        };
        if drawn <= percent {
            self.tvr.set(TvrBit::RandomlySelectedForOnline);
        }
    }

    fn velocity_unavailable(&mut self) -> Step {
        self.tvr.set(TvrBit::LowerConsecutiveOfflineLimitExceeded);
        self.tvr.set(TvrBit::UpperConsecutiveOfflineLimitExceeded);
        self.terminal_action_analysis()
    }

    fn get_data_value(response: &Response, tag: tlv::Tag) -> Option<u16> {
        if !response.sw.is_success() {
            return None;
        }
        let value = tlv::find(&response.data, tag).ok().flatten()?;
        let bytes: [u8; 2] = value.try_into().ok()?;
        Some(u16::from_be_bytes(bytes))
    }

    pub(crate) fn on_atc(&mut self, response: Response) -> Step {
        match Self::get_data_value(&response, tags::ATC) {
            Some(atc) => self.send(
                State::GetLastOnlineAtc { atc },
                apdu::get_data(tags::LAST_ONLINE_ATC_REGISTER),
            ),
            None => self.velocity_unavailable(),
        }
    }

    /// Velocity checking (Book 3 10.6.3).
    pub(crate) fn on_last_online_atc(&mut self, atc: u16, response: Response) -> Step {
        let Some(last_online) = Self::get_data_value(&response, tags::LAST_ONLINE_ATC_REGISTER)
        else {
            return self.velocity_unavailable();
        };
        if atc <= last_online {
            return self.velocity_unavailable();
        }
        let since_online = u64::from(atc - last_online);
        let limit = |k: &Kernel, tag| k.card_value(tag).map(be_u64).unwrap_or(0);
        if since_online > limit(self, tags::LOWER_CONSECUTIVE_OFFLINE_LIMIT) {
            self.tvr.set(TvrBit::LowerConsecutiveOfflineLimitExceeded);
        }
        if since_online > limit(self, tags::UPPER_CONSECUTIVE_OFFLINE_LIMIT) {
            self.tvr.set(TvrBit::UpperConsecutiveOfflineLimitExceeded);
        }
        if last_online == 0 {
            self.tvr.set(TvrBit::NewCard);
        }
        self.terminal_action_analysis()
    }

    fn iac(&self, tag: tlv::Tag, absent: [u8; 5]) -> Tvr {
        self.card_value(tag)
            .and_then(|v| Tvr::from_slice(v).ok())
            .unwrap_or(Tvr::from_bytes(absent))
    }

    /// Default action (Book 3 10.7): used offline-only and when the host cannot be reached.
    pub(crate) fn default_action_declines(&self) -> bool {
        let Some(aid) = self.aid_config() else {
            return true;
        };
        let iac = self.iac(tags::IAC_DEFAULT, [0xFF; 5]);
        self.tvr.intersects(aid.tac_default) || self.tvr.intersects(iac)
    }

    /// Book 3 10.7: the cryptogram to ask for at the first GENERATE AC.
    pub(crate) fn terminal_action_analysis(&mut self) -> Step {
        let Some(aid) = self.aid_config().cloned() else {
            return self.first_generate_ac(AcType::Aac);
        };
        let denial = self.iac(tags::IAC_DENIAL, [0x00; 5]);
        if self.tvr.intersects(aid.tac_denial) || self.tvr.intersects(denial) {
            return self.first_generate_ac(AcType::Aac);
        }
        if self.config.online_capable() {
            let online = self.iac(tags::IAC_ONLINE, [0xFF; 5]);
            if self.tvr.intersects(aid.tac_online) || self.tvr.intersects(online) {
                return self.first_generate_ac(AcType::Arqc);
            }
            if !self.config.offline_capable() {
                // An online-only terminal asks for ARQC unless it declines (Book 4 6.3.7).
                return self.first_generate_ac(AcType::Arqc);
            }
            return self.first_generate_ac(AcType::Tc);
        }
        if self.default_action_declines() {
            self.first_generate_ac(AcType::Aac)
        } else {
            self.first_generate_ac(AcType::Tc)
        }
    }
}
