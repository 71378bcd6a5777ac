//! The flows a terminal may start (docs/protocol.md) and the fields each must carry.

use iso8583::{Message, Mti};

/// A request a terminal may send to the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flow {
    /// 0100: pre-authorization (a hold at the issuer).
    Authorization,
    /// 0200: purchase (3 = 000000), refund (200000) or balance inquiry (310000).
    Financial,
    /// 0220: completion advice of a pre-authorization.
    Completion,
    /// 0220 without field 90 but with chip data (55): the advice of a purchase the card
    /// approved offline (a TC under the floor limit), uploaded from the terminal's queue.
    OfflineAdvice,
    /// 0400: reversal, sent by the terminal that owns the original.
    Reversal,
    /// 0500: settlement, the terminal's batch totals; answered by the gateway.
    Settlement,
    /// 0800: network management (sign-on, sign-off, echo); answered by the gateway.
    Network,
}

/// 0100 and 0200 (the PAN comes in 2 with 14, or in 35: checked apart).
const AUTH_OR_FINANCIAL: &[usize] = &[3, 4, 7, 11, 12, 13, 22, 25, 37, 41, 42, 49];
const COMPLETION: &[usize] = &[2, 3, 4, 7, 11, 12, 13, 22, 25, 37, 38, 41, 42, 49, 90];
const OFFLINE_ADVICE: &[usize] = &[3, 4, 7, 11, 12, 13, 22, 25, 37, 41, 42, 49, 55];
const REVERSAL: &[usize] = &[2, 3, 4, 7, 11, 12, 13, 22, 25, 37, 41, 42, 49, 90];
const SETTLEMENT: &[usize] = &[3, 7, 11, 12, 13, 41, 42, 49, 74, 76, 86, 88];
const NETWORK: &[usize] = &[7, 11, 41, 70];

/// Fields a response copies from its request (protocol.md), before adding 38 and 39.
pub(crate) const ECHO: &[usize] = &[2, 3, 4, 7, 11, 12, 13, 37, 41, 42, 49, 62];

impl Flow {
    /// The flow of a terminal request's MTI; `None` for anything protocol.md does not let a
    /// terminal send (responses, advices other than 0220, other versions).
    pub fn of(mti: Mti) -> Option<Flow> {
        Some(match mti.as_bytes() {
            b"0100" => Flow::Authorization,
            b"0200" => Flow::Financial,
            b"0220" => Flow::Completion,
            b"0400" => Flow::Reversal,
            b"0500" => Flow::Settlement,
            b"0800" => Flow::Network,
            _ => return None,
        })
    }

    /// The flow of a terminal request: as [`Flow::of`], with a 0220 that names no original
    /// (90) but carries chip data (55) taken for an offline advice.
    pub fn classify(msg: &Message<'_>) -> Option<Flow> {
        match Flow::of(msg.mti())? {
            Flow::Completion if !msg.has(90) && msg.has(55) => Some(Flow::OfflineAdvice),
            other => Some(other),
        }
    }

    /// Mandatory fields of the request.
    pub fn mandatory(self) -> &'static [usize] {
        match self {
            Flow::Authorization | Flow::Financial => AUTH_OR_FINANCIAL,
            Flow::Completion => COMPLETION,
            Flow::OfflineAdvice => OFFLINE_ADVICE,
            Flow::Reversal => REVERSAL,
            Flow::Settlement => SETTLEMENT,
            Flow::Network => NETWORK,
        }
    }

    /// Whether the gateway answers this flow itself instead of forwarding it.
    pub fn is_local(self) -> bool {
        matches!(self, Flow::Settlement | Flow::Network)
    }

    /// Fields the response echoes from the request.
    pub fn echoed(self) -> impl Iterator<Item = usize> {
        let extra: &'static [usize] = match self {
            Flow::Settlement => &[74, 76, 86, 88],
            Flow::Network => &[70],
            _ => &[],
        };
        ECHO.iter().chain(extra).copied()
    }
}

/// The first mandatory field `msg` lacks.
pub(crate) fn first_missing(msg: &Message<'_>, fields: &[usize]) -> Option<usize> {
    fields.iter().copied().find(|n| !msg.has(*n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_by_mti() {
        let f = |s: &str| Flow::of(Mti::parse(s).unwrap());
        assert_eq!(f("0100"), Some(Flow::Authorization));
        assert_eq!(f("0220"), Some(Flow::Completion));
        assert_eq!(f("0800"), Some(Flow::Network));
        for other in ["0110", "0420", "0421", "0300", "1200", "0201", "0810"] {
            assert_eq!(f(other), None, "{other}");
        }
        assert!(Flow::Settlement.is_local() && !Flow::Reversal.is_local());
        assert_eq!(
            Flow::Network.echoed().collect::<Vec<_>>(),
            [2, 3, 4, 7, 11, 12, 13, 37, 41, 42, 49, 62, 70]
        );
    }
}
