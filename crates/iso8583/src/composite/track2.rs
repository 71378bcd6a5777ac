//! Track 2 equivalent data (field 35): PAN, separator (`=` or `D`), expiry YYMM, service code,
//! discretionary data.

use std::fmt;

/// Why a track 2 value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Track2Error {
    #[error("track 2 has no separator ('=' or 'D') after the PAN")]
    NoSeparator,
    #[error("track 2 PAN has {0} digits; 12 to 19 expected")]
    PanLength(usize),
    #[error("track 2 character at position {0} is not a digit")]
    NotDigit(usize),
    #[error("track 2 ends before the {0}")]
    Short(&'static str),
}

/// The parts of a track 2. Its `Debug` masks the PAN and hides the discretionary data.
#[derive(Clone, PartialEq, Eq)]
pub struct Track2<'a> {
    pub pan: &'a str,
    pub separator: char,
    /// Expiry as YYMM.
    pub expiry: &'a str,
    /// Three-digit service code (first digit 2 or 6 = chip card: fall back rules apply).
    pub service_code: &'a str,
    /// Discretionary data (PVV, CVV and the like): never log it.
    pub discretionary: &'a str,
}

impl<'a> Track2<'a> {
    /// Reads a track 2 value as carried in field 35 (no start or end sentinels).
    pub fn parse(value: &'a str) -> Result<Track2<'a>, Track2Error> {
        let sep = value.find(['=', 'D']).ok_or(Track2Error::NoSeparator)?;
        let pan = value.get(..sep).ok_or(Track2Error::NoSeparator)?;
        if !(12..=19).contains(&pan.len()) {
            return Err(Track2Error::PanLength(pan.len()));
        }
        let rest = value.get(sep + 1..).unwrap_or("");
        if let Some(i) = pan.bytes().position(|b| !b.is_ascii_digit()) {
            return Err(Track2Error::NotDigit(i));
        }
        let expiry = rest.get(..4).ok_or(Track2Error::Short("expiry date"))?;
        let service_code = rest.get(4..7).ok_or(Track2Error::Short("service code"))?;
        for (i, b) in rest.bytes().take(7).enumerate() {
            if !b.is_ascii_digit() {
                return Err(Track2Error::NotDigit(sep + 1 + i));
            }
        }
        Ok(Track2 {
            pan,
            separator: if value.as_bytes().get(sep) == Some(&b'D') {
                'D'
            } else {
                '='
            },
            expiry,
            service_code,
            discretionary: rest.get(7..).unwrap_or(""),
        })
    }
}

impl fmt::Debug for Track2<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Track2")
            .field("pan", &crate::mask::mask_pan(self.pan))
            .field("expiry", &"****")
            .field("service_code", &self.service_code)
            .field(
                "discretionary",
                &format_args!("[{} chars hidden]", self.discretionary.len()),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_separators() {
        let t = Track2::parse("4761739001010010=25122011143804400000").unwrap();
        assert_eq!(t.pan, "4761739001010010");
        assert_eq!(t.expiry, "2512");
        assert_eq!(t.service_code, "201");
        assert_eq!(t.discretionary, "1143804400000");
        let d = Track2::parse("4761739001010010D2512201").unwrap();
        assert_eq!(d.separator, 'D');
        assert_eq!(d.discretionary, "");
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("4761739001010010") && !dbg.contains("1143804400000"));
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(
            Track2::parse("4761739001010010"),
            Err(Track2Error::NoSeparator)
        );
        assert_eq!(
            Track2::parse("47617=2512201"),
            Err(Track2Error::PanLength(5))
        );
        assert_eq!(
            Track2::parse("4761739001010010=25"),
            Err(Track2Error::Short("expiry date"))
        );
        assert_eq!(
            Track2::parse("4761739001010010=2512"),
            Err(Track2Error::Short("service code"))
        );
    }
}
