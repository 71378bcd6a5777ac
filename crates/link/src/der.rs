//! Just enough DER (ITU-T X.690) to read names out of an X.509 certificate (RFC 5280):
//! the subject and issuer, their common names, and the subject-alternative-name URIs.
//!
//! rustls has already verified the chain when this runs, but the bytes still come from the
//! network, so every read is bounds-checked and reports the offset where it stopped.

use thiserror::Error;

/// Why a certificate's DER could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("certificate DER at offset {offset}: {problem}")]
pub struct DerError {
    /// Byte offset from the start of the certificate.
    pub offset: usize,
    pub problem: DerProblem,
}

/// What was wrong at [`DerError::offset`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DerProblem {
    #[error("input ends inside a tag or length")]
    Truncated,
    #[error("length {len} runs past the {available} bytes left")]
    LengthPastEnd { len: usize, available: usize },
    #[error("indefinite length (0x80) is not DER")]
    IndefiniteLength,
    #[error("length of {octets} octets is more than this reader takes (4)")]
    LengthTooWide { octets: usize },
    #[error("multi-byte tag numbers are not used in certificates")]
    HighTagNumber,
    #[error("expected tag 0x{expected:02X}, found 0x{found:02X}")]
    UnexpectedTag { expected: u8, found: u8 },
    #[error("expected tag 0x{expected:02X}, found the end")]
    Missing { expected: u8 },
    #[error("a name is not valid text")]
    NotText,
}

/// One tag-length-value element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    /// The contents (after tag and length).
    pub value: &'a [u8],
    /// The whole element, tag and length included.
    pub raw: &'a [u8],
    /// Offset of `value` from the start of the certificate.
    pub value_offset: usize,
}

/// Reads consecutive elements from a slice; `base` is the slice's offset in the certificate.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8], base: usize) -> Reader<'a> {
        Reader {
            rest: bytes,
            offset: base,
        }
    }

    /// A reader over the contents of `tlv`.
    pub fn inside(tlv: &Tlv<'a>) -> Reader<'a> {
        Reader::new(tlv.value, tlv.value_offset)
    }

    fn fail(&self, at: usize, problem: DerProblem) -> DerError {
        DerError {
            offset: self.offset + at,
            problem,
        }
    }

    /// The next element, or `None` at the end.
    pub fn next(&mut self) -> Result<Option<Tlv<'a>>, DerError> {
        let Some((&tag, after_tag)) = self.rest.split_first() else {
            return Ok(None);
        };
        if tag & 0x1F == 0x1F {
            return Err(self.fail(0, DerProblem::HighTagNumber));
        }
        let Some((&first, after_first)) = after_tag.split_first() else {
            return Err(self.fail(1, DerProblem::Truncated));
        };
        let (len, len_octets) = if first < 0x80 {
            (usize::from(first), 1)
        } else if first == 0x80 {
            return Err(self.fail(1, DerProblem::IndefiniteLength));
        } else {
            let octets = usize::from(first & 0x7F);
            if octets > 4 {
                return Err(self.fail(1, DerProblem::LengthTooWide { octets }));
            }
            let Some(bytes) = after_first.get(..octets) else {
                return Err(self.fail(2, DerProblem::Truncated));
            };
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, 1 + octets)
        };
        let head = 1 + len_octets;
        let available = self.rest.len() - head.min(self.rest.len());
        let Some(value) = self.rest.get(head..).and_then(|v| v.get(..len)) else {
            return Err(self.fail(1, DerProblem::LengthPastEnd { len, available }));
        };
        let Some(raw) = self.rest.get(..head + len) else {
            return Err(self.fail(1, DerProblem::LengthPastEnd { len, available }));
        };
        let tlv = Tlv {
            tag,
            value,
            raw,
            value_offset: self.offset + head,
        };
        self.rest = self.rest.get(head + len..).unwrap_or_default();
        self.offset += head + len;
        Ok(Some(tlv))
    }

    /// The next element, which must carry `tag`.
    pub fn expect(&mut self, tag: u8) -> Result<Tlv<'a>, DerError> {
        let at_offset = self.offset;
        match self.next()? {
            Some(tlv) if tlv.tag == tag => Ok(tlv),
            Some(tlv) => Err(DerError {
                offset: at_offset,
                problem: DerProblem::UnexpectedTag {
                    expected: tag,
                    found: tlv.tag,
                },
            }),
            None => Err(DerError {
                offset: at_offset,
                problem: DerProblem::Missing { expected: tag },
            }),
        }
    }

    /// Takes the next element only when it carries `tag`.
    pub fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, DerError> {
        if self.rest.first() == Some(&tag) {
            self.next()
        } else {
            Ok(None)
        }
    }
}

pub(crate) const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const OCTET_STRING: u8 = 0x04;
/// `[0] EXPLICIT Version` in TBSCertificate.
const VERSION: u8 = 0xA0;
/// `[3] EXPLICIT Extensions` in TBSCertificate.
const EXTENSIONS: u8 = 0xA3;
/// `uniformResourceIdentifier [6] IA5String` in GeneralName (implicit tagging).
const GENERAL_NAME_URI: u8 = 0x86;
/// id-at-commonName, 2.5.4.3.
const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
/// id-ce-subjectAltName, 2.5.29.17.
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1D, 0x11];

/// The names a certificate carries, borrowed from its DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertNames<'a> {
    /// The whole encoded subject Name (compare issuer and subject byte for byte).
    pub subject_raw: &'a [u8],
    pub issuer_raw: &'a [u8],
    /// The whole encoded subjectPublicKeyInfo (to check that a key belongs to a certificate).
    pub spki_raw: &'a [u8],
    /// Every common name in the subject (usually one).
    pub common_names: Vec<String>,
    /// Every URI in the subject-alternative-name extension.
    pub san_uris: Vec<String>,
}

/// Reads the names out of a DER certificate.
pub fn cert_names(der: &[u8]) -> Result<CertNames<'_>, DerError> {
    let mut top = Reader::new(der, 0);
    let cert = top.expect(SEQUENCE)?;
    let mut cert_reader = Reader::inside(&cert);
    let tbs = cert_reader.expect(SEQUENCE)?;
    let mut tbs_reader = Reader::inside(&tbs);
    tbs_reader.optional(VERSION)?;
    tbs_reader.expect(0x02)?; // serialNumber INTEGER
    tbs_reader.expect(SEQUENCE)?; // signature AlgorithmIdentifier
    let issuer = tbs_reader.expect(SEQUENCE)?;
    tbs_reader.expect(SEQUENCE)?; // validity
    let subject = tbs_reader.expect(SEQUENCE)?;
    let spki = tbs_reader.expect(SEQUENCE)?;
    let mut san_uris = Vec::new();
    while let Some(item) = tbs_reader.next()? {
        if item.tag == EXTENSIONS {
            san_uris = subject_alt_name_uris(&item)?;
        }
    }
    Ok(CertNames {
        subject_raw: subject.raw,
        issuer_raw: issuer.raw,
        spki_raw: spki.raw,
        common_names: common_names(&subject)?,
        san_uris,
    })
}

fn text(tlv: &Tlv<'_>) -> Result<String, DerError> {
    std::str::from_utf8(tlv.value)
        .map(str::to_owned)
        .map_err(|_| DerError {
            offset: tlv.value_offset,
            problem: DerProblem::NotText,
        })
}

fn common_names(name: &Tlv<'_>) -> Result<Vec<String>, DerError> {
    let mut out = Vec::new();
    let mut rdns = Reader::inside(name);
    while let Some(rdn) = rdns.next()? {
        if rdn.tag != SET {
            continue;
        }
        let mut attributes = Reader::inside(&rdn);
        while let Some(attribute) = attributes.next()? {
            let mut parts = Reader::inside(&attribute);
            let oid = parts.expect(OID)?;
            if oid.value != OID_COMMON_NAME {
                continue;
            }
            let Some(value) = parts.next()? else {
                continue;
            };
            // UTF8String, PrintableString and IA5String are all ASCII-compatible; the other
            // string types are not used for terminal names.
            if matches!(value.tag, 0x0C | 0x13 | 0x16) {
                out.push(text(&value)?);
            }
        }
    }
    Ok(out)
}

fn subject_alt_name_uris(explicit: &Tlv<'_>) -> Result<Vec<String>, DerError> {
    let mut out = Vec::new();
    let mut outer = Reader::inside(explicit);
    let extensions = outer.expect(SEQUENCE)?;
    let mut list = Reader::inside(&extensions);
    while let Some(extension) = list.next()? {
        let mut parts = Reader::inside(&extension);
        let oid = parts.expect(OID)?;
        parts.optional(0x01)?; // critical BOOLEAN DEFAULT FALSE
        let value = parts.expect(OCTET_STRING)?;
        if oid.value != OID_SUBJECT_ALT_NAME {
            continue;
        }
        let mut inner = Reader::inside(&value);
        let names = inner.expect(SEQUENCE)?;
        let mut general_names = Reader::inside(&names);
        while let Some(name) = general_names.next()? {
            if name.tag == GENERAL_NAME_URI {
                out.push(text(&name)?);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_and_long_lengths() {
        // 0x81 0x80: one length octet holding 128 (X.690 8.1.3.5).
        let mut bytes = vec![0x04, 0x81, 0x80];
        bytes.extend([0xAB; 128]);
        bytes.extend([0x05, 0x00]);
        let mut r = Reader::new(&bytes, 10);
        let first = r.next().unwrap().unwrap();
        assert_eq!(
            (first.tag, first.value.len(), first.value_offset),
            (0x04, 128, 13)
        );
        assert_eq!(first.raw.len(), 131);
        let null = r.next().unwrap().unwrap();
        assert_eq!(
            (null.tag, null.value, null.value_offset),
            (0x05, &[][..], 143)
        );
        assert_eq!(r.next().unwrap(), None);
    }

    #[test]
    fn malformed_elements_name_the_offset() {
        let err = |bytes: &[u8]| Reader::new(bytes, 0).next().unwrap_err();
        assert_eq!(
            err(&[0x30]),
            DerError {
                offset: 1,
                problem: DerProblem::Truncated
            }
        );
        assert_eq!(err(&[0x30, 0x80]).problem, DerProblem::IndefiniteLength);
        assert_eq!(
            err(&[0x30, 0x85, 1, 1, 1, 1, 1]).problem,
            DerProblem::LengthTooWide { octets: 5 }
        );
        assert_eq!(err(&[0x1F, 0x01]).problem, DerProblem::HighTagNumber);
        assert_eq!(
            err(&[0x30, 0x03, 0x01]).problem,
            DerProblem::LengthPastEnd {
                len: 3,
                available: 1
            }
        );
        assert_eq!(err(&[0x30, 0x82, 0x01]).problem, DerProblem::Truncated);
        let mut r = Reader::new(&[0x02, 0x00], 7);
        assert_eq!(
            r.expect(0x30).unwrap_err(),
            DerError {
                offset: 7,
                problem: DerProblem::UnexpectedTag {
                    expected: 0x30,
                    found: 0x02
                }
            }
        );
        assert_eq!(
            r.expect(0x30).unwrap_err().problem,
            DerProblem::Missing { expected: 0x30 }
        );
    }

    #[test]
    fn a_truncated_certificate_is_an_error() {
        assert!(cert_names(&[0x30, 0x03, 0x30, 0x01, 0x02]).is_err());
        assert!(cert_names(&[]).is_err());
    }

    fn encode(tag: u8, value: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = value.len();
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend([0x81, len as u8]);
        } else {
            out.extend([0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(value);
        out
    }

    proptest! {
        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = cert_names(&bytes);
            let mut r = Reader::new(&bytes, 0);
            for _ in 0..300 {
                match r.next() {
                    Ok(Some(_)) => {}
                    _ => break,
                }
            }
        }

        #[test]
        fn encoded_elements_read_back(
            items in proptest::collection::vec(
                (0u8..0x1F, proptest::collection::vec(any::<u8>(), 0..400)), 0..6)
        ) {
            let mut bytes = Vec::new();
            for (tag, value) in &items {
                bytes.extend(encode(*tag, value));
            }
            let mut r = Reader::new(&bytes, 0);
            for (tag, value) in &items {
                let tlv = r.next().unwrap().unwrap();
                prop_assert_eq!(tlv.tag, *tag);
                prop_assert_eq!(tlv.value, &value[..]);
                prop_assert_eq!(&bytes[tlv.value_offset..tlv.value_offset + value.len()], &value[..]);
            }
            prop_assert_eq!(r.next().unwrap(), None);
        }
    }
}
