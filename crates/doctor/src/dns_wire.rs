//! A minimal DNS message codec (RFC 1035): one A query out, its answer in. Written by hand so
//! the DNS probe sees exactly what came back (rcode, ICMP errors, silence) instead of a
//! resolver's summary of it.

use std::net::Ipv4Addr;

use thiserror::Error;

/// DNS header length in bytes.
const HEADER_LEN: usize = 12;
/// RR type A (IPv4 address) and class IN.
const TYPE_A: u16 = 1;
const CLASS_IN: u16 = 1;
/// Compression pointers followed before a name is declared a loop.
const POINTER_JUMPS_MAX: usize = 16;
/// Answers read from one reply; the rest are ignored.
const ANSWERS_MAX: usize = 64;

/// Response codes (RCODE) of the header.
pub const RCODE_NOERROR: u8 = 0;
pub const RCODE_SERVFAIL: u8 = 2;
pub const RCODE_NXDOMAIN: u8 = 3;
pub const RCODE_REFUSED: u8 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DnsWireError {
    #[error("name {name:?}: label {label:?} is empty, longer than 63 bytes or not ASCII")]
    BadLabel { name: String, label: String },
    #[error("name {name:?} is longer than 253 characters")]
    NameTooLong { name: String },
    #[error("message truncated at offset {at} while reading {what}")]
    Truncated { at: usize, what: &'static str },
    #[error("answer id {got:#06x} does not match query id {expected:#06x}")]
    IdMismatch { expected: u16, got: u16 },
    #[error("message is a query, not a response (QR bit clear)")]
    NotAResponse,
    #[error("answer's question {got:?} is not the query's {expected:?}")]
    QuestionMismatch { expected: String, got: String },
    #[error("name at offset {at}: compression pointers loop or a label is malformed")]
    BadName { at: usize },
}

/// What a response said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub rcode: u8,
    /// The A records of the answer section, in order.
    pub addrs: Vec<Ipv4Addr>,
}

fn check_name(name: &str) -> Result<Vec<&str>, DnsWireError> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.len() > 253 {
        return Err(DnsWireError::NameTooLong {
            name: name.to_string(),
        });
    }
    let labels: Vec<&str> = trimmed.split('.').collect();
    for l in &labels {
        if l.is_empty() || l.len() > 63 || !l.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(DnsWireError::BadLabel {
                name: name.to_string(),
                label: (*l).to_string(),
            });
        }
    }
    Ok(labels)
}

/// A standard query (recursion desired) for the A records of `name`.
pub fn encode_query(id: u16, name: &str) -> Result<Vec<u8>, DnsWireError> {
    let labels = check_name(name)?;
    let mut out = Vec::with_capacity(HEADER_LEN + name.len() + 6);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x00]); // RD
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // QD=1 AN=0 NS=0 AR=0
    for l in labels {
        out.push(u8::try_from(l.len()).unwrap_or(63));
        out.extend_from_slice(l.as_bytes());
    }
    out.push(0);
    out.extend_from_slice(&TYPE_A.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(out)
}

fn u8_at(msg: &[u8], at: usize, what: &'static str) -> Result<u8, DnsWireError> {
    msg.get(at)
        .copied()
        .ok_or(DnsWireError::Truncated { at, what })
}

fn u16_at(msg: &[u8], at: usize, what: &'static str) -> Result<u16, DnsWireError> {
    Ok(u16::from_be_bytes([
        u8_at(msg, at, what)?,
        u8_at(msg, at + 1, what)?,
    ]))
}

/// Reads a possibly compressed name; returns it (lower case, dot separated) and the offset
/// just after it in the message.
fn read_name(msg: &[u8], start: usize) -> Result<(String, usize), DnsWireError> {
    let mut labels: Vec<String> = Vec::new();
    let mut at = start;
    let mut after: Option<usize> = None;
    let mut jumps = 0usize;
    loop {
        let len = u8_at(msg, at, "name")?;
        match len {
            0 => {
                let end = after.unwrap_or(at + 1);
                return Ok((labels.join("."), end));
            }
            l if l & 0xC0 == 0xC0 => {
                let low = u8_at(msg, at + 1, "name pointer")?;
                jumps += 1;
                if jumps > POINTER_JUMPS_MAX {
                    return Err(DnsWireError::BadName { at: start });
                }
                if after.is_none() {
                    after = Some(at + 2);
                }
                at = (usize::from(l & 0x3F) << 8) | usize::from(low);
            }
            l if l & 0xC0 != 0 => return Err(DnsWireError::BadName { at }),
            l => {
                let from = at + 1;
                let to = from + usize::from(l);
                let bytes = msg.get(from..to).ok_or(DnsWireError::Truncated {
                    at: from,
                    what: "label",
                })?;
                labels.push(String::from_utf8_lossy(bytes).to_ascii_lowercase());
                if labels.iter().map(|l| l.len() + 1).sum::<usize>() > 255 {
                    return Err(DnsWireError::BadName { at: start });
                }
                at = to;
            }
        }
    }
}

/// Parses the reply to `encode_query(id, name)`.
pub fn parse_reply(id: u16, name: &str, msg: &[u8]) -> Result<Reply, DnsWireError> {
    let got = u16_at(msg, 0, "header")?;
    if got != id {
        return Err(DnsWireError::IdMismatch { expected: id, got });
    }
    let flags = u16_at(msg, 2, "header")?;
    if flags & 0x8000 == 0 {
        return Err(DnsWireError::NotAResponse);
    }
    let rcode = u8::try_from(flags & 0x000F).unwrap_or(0);
    let qd = u16_at(msg, 4, "header")?;
    let an = u16_at(msg, 6, "header")?;
    let mut at = HEADER_LEN;
    let expected = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    for i in 0..qd {
        let (q, next) = read_name(msg, at)?;
        u16_at(msg, next + 2, "question")?;
        if i == 0 && q != expected {
            return Err(DnsWireError::QuestionMismatch { expected, got: q });
        }
        at = next + 4;
    }
    let mut addrs = Vec::new();
    for _ in 0..usize::from(an).min(ANSWERS_MAX) {
        let (_, next) = read_name(msg, at)?;
        let rtype = u16_at(msg, next, "answer type")?;
        let class = u16_at(msg, next + 2, "answer class")?;
        let rdlen = usize::from(u16_at(msg, next + 8, "answer length")?);
        let rdata = msg
            .get(next + 10..next + 10 + rdlen)
            .ok_or(DnsWireError::Truncated {
                at: next + 10,
                what: "answer data",
            })?;
        if rtype == TYPE_A
            && class == CLASS_IN
            && let [a, b, c, d] = rdata
        {
            addrs.push(Ipv4Addr::new(*a, *b, *c, *d));
        }
        at = next + 10 + rdlen;
    }
    Ok(Reply { rcode, addrs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A reply as a server would build it: the query echoed, flags, then A answers whose
    /// owner is a compression pointer to the question name (offset 12).
    fn reply(query: &[u8], rcode: u8, addrs: &[Ipv4Addr]) -> Vec<u8> {
        let mut m = query.to_vec();
        m[2] = 0x81; // QR, RD
        m[3] = 0x80 | rcode; // RA
        m[6..8].copy_from_slice(&(addrs.len() as u16).to_be_bytes());
        for a in addrs {
            m.extend_from_slice(&[0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4]);
            m.extend_from_slice(&a.octets());
        }
        m
    }

    #[test]
    fn query_bytes_match_rfc1035_layout() {
        // RFC 1035 4.1: header, then QNAME as length-prefixed labels, QTYPE=1, QCLASS=1.
        let q = encode_query(0xBEEF, "gw.posnet.test").unwrap();
        let mut want = vec![0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        want.extend_from_slice(b"\x02gw\x06posnet\x04test\x00\x00\x01\x00\x01");
        assert_eq!(q, want);
        assert_eq!(
            encode_query(1, "gw.posnet.test.").unwrap().len(),
            want.len()
        );
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(matches!(
            encode_query(1, "a..b"),
            Err(DnsWireError::BadLabel { .. })
        ));
        let long = "x".repeat(64);
        assert!(matches!(
            encode_query(1, &long),
            Err(DnsWireError::BadLabel { .. })
        ));
        let huge = vec!["abcdefgh"; 40].join(".");
        assert!(matches!(
            encode_query(1, &huge),
            Err(DnsWireError::NameTooLong { .. })
        ));
    }

    #[test]
    fn answers_nxdomain_refused_and_mismatches() {
        let q = encode_query(7, "gw.posnet.test").unwrap();
        let ip = Ipv4Addr::new(198, 18, 3, 20);
        assert_eq!(
            parse_reply(7, "gw.posnet.test", &reply(&q, 0, &[ip])).unwrap(),
            Reply {
                rcode: RCODE_NOERROR,
                addrs: vec![ip]
            }
        );
        assert_eq!(
            parse_reply(7, "GW.posnet.test", &reply(&q, 3, &[]))
                .unwrap()
                .rcode,
            RCODE_NXDOMAIN
        );
        assert_eq!(
            parse_reply(7, "gw.posnet.test", &reply(&q, 5, &[]))
                .unwrap()
                .rcode,
            RCODE_REFUSED
        );
        assert_eq!(
            parse_reply(8, "gw.posnet.test", &reply(&q, 0, &[ip])),
            Err(DnsWireError::IdMismatch {
                expected: 8,
                got: 7
            })
        );
        assert!(matches!(
            parse_reply(7, "other.test", &reply(&q, 0, &[ip])),
            Err(DnsWireError::QuestionMismatch { .. })
        ));
        assert_eq!(
            parse_reply(7, "gw.posnet.test", &q),
            Err(DnsWireError::NotAResponse)
        );
    }

    #[test]
    fn pointer_loops_are_errors() {
        let q = encode_query(7, "gw.posnet.test").unwrap();
        let mut m = reply(&q, 0, &[Ipv4Addr::LOCALHOST]);
        // make the answer's owner point at itself
        let owner = q.len();
        m[owner] = 0xC0;
        m[owner + 1] = u8::try_from(owner).unwrap();
        assert!(matches!(
            parse_reply(7, "gw.posnet.test", &m),
            Err(DnsWireError::BadName { .. })
        ));
    }

    proptest! {
        #[test]
        fn reply_round_trip(
            id: u16,
            labels in proptest::collection::vec("[a-z0-9-]{1,20}", 1..5),
            rcode in 0u8..6,
            addrs in proptest::collection::vec(any::<[u8; 4]>(), 0..8),
        ) {
            let name = labels.join(".");
            let q = encode_query(id, &name).unwrap();
            let addrs: Vec<Ipv4Addr> = addrs.into_iter().map(Ipv4Addr::from).collect();
            let r = parse_reply(id, &name, &reply(&q, rcode, &addrs)).unwrap();
            prop_assert_eq!(r, Reply { rcode, addrs });
        }

        #[test]
        fn any_bytes_parse_or_fail_cleanly(id: u16, bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_reply(id, "gw.posnet.test", &bytes);
        }

        #[test]
        fn truncations_of_a_good_reply_never_panic(cut in 0usize..80) {
            let q = encode_query(9, "gw.posnet.test").unwrap();
            let m = reply(&q, 0, &[Ipv4Addr::new(198, 18, 0, 1), Ipv4Addr::new(198, 18, 0, 2)]);
            let cut = cut.min(m.len());
            let r = parse_reply(9, "gw.posnet.test", &m[..cut]);
            if cut < m.len() {
                prop_assert!(r.is_err());
            }
        }
    }
}
