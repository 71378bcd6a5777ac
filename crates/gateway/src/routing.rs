//! BIN routing: the issuer link for a PAN, by the longest configured prefix (6 to 8 digits).

use std::collections::HashMap;

use crate::config::{BIN_LEN_MAX, BIN_LEN_MIN, Route};

/// The routing table, one map per prefix length so a lookup is at most three probes.
#[derive(Debug, Clone, Default)]
pub struct RoutingTable {
    /// Index `len - BIN_LEN_MIN`: prefixes of that length → link name.
    by_len: [HashMap<String, String>; BIN_LEN_MAX - BIN_LEN_MIN + 1],
}

impl RoutingTable {
    /// Builds the table from checked routes (the config refuses other lengths; a stray one
    /// is ignored rather than trusted).
    pub fn new(routes: &[Route]) -> RoutingTable {
        let mut table = RoutingTable::default();
        for r in routes {
            if let Some(map) = r
                .bin
                .len()
                .checked_sub(BIN_LEN_MIN)
                .and_then(|i| table.by_len.get_mut(i))
            {
                map.insert(r.bin.clone(), r.issuer.clone());
            }
        }
        table
    }

    /// The link for `pan`, trying the longest prefix first.
    pub fn route(&self, pan: &str) -> Option<&str> {
        (BIN_LEN_MIN..=BIN_LEN_MAX).rev().find_map(|len| {
            let prefix = pan.get(..len)?;
            self.by_len
                .get(len - BIN_LEN_MIN)?
                .get(prefix)
                .map(String::as_str)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(bin: &str, issuer: &str) -> Route {
        Route {
            bin: bin.into(),
            issuer: issuer.into(),
        }
    }

    #[test]
    fn longest_prefix_wins() {
        let t = RoutingTable::new(&[
            route("476173", "six"),
            route("4761739", "seven"),
            route("47617390", "eight"),
            route("541333", "other"),
        ]);
        assert_eq!(t.route("4761739001010010"), Some("eight"));
        assert_eq!(t.route("4761739101010010"), Some("seven"));
        assert_eq!(t.route("4761731101010010"), Some("six"));
        assert_eq!(t.route("5413330089020011"), Some("other"));
        assert_eq!(t.route("4761741101010010"), None);
        // A PAN shorter than a prefix can only match shorter prefixes.
        assert_eq!(t.route("4761739"), Some("seven"));
        assert_eq!(t.route("47617"), None);
        assert_eq!(t.route(""), None);
    }
}
