//! Response APDUs: data field and status word.

use super::{ApduError, StatusWord};

/// A response APDU: optional data then SW1 SW2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data field; empty when absent.
    pub data: Vec<u8>,
    /// The status word.
    pub sw: StatusWord,
}

impl Response {
    /// A response with data.
    pub fn new(data: impl Into<Vec<u8>>, sw: StatusWord) -> Response {
        Response {
            data: data.into(),
            sw,
        }
    }

    /// A response with status word only.
    pub fn status(sw: StatusWord) -> Response {
        Response {
            data: Vec::new(),
            sw,
        }
    }

    /// Splits the last two bytes off as the status word.
    pub fn parse(bytes: &[u8]) -> Result<Response, ApduError> {
        let (data, sw) = bytes
            .split_last_chunk::<2>()
            .ok_or(ApduError::ResponseTruncated { len: bytes.len() })?;
        let [sw1, sw2] = *sw;
        Ok(Response {
            data: data.to_vec(),
            sw: StatusWord::from_bytes(sw1, sw2),
        })
    }

    /// Data followed by SW1 SW2.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.to_bytes());
        out
    }
}
