//! The JSON form of a message, shared by the inspector and the interoperability tests:
//! `{"mti": "0100", "fields": {"2": "...", "3": "000000", ...}}` with field numbers as strings,
//! character fields as text and binary fields as uppercase hex.

use serde_json::{Map, Value};

use crate::error::SpecError;
use crate::hex;
use crate::mask;
use crate::message::Message;
use crate::mti::Mti;
use crate::spec::{Composite, Kind, Spec};

/// Why a JSON document is not a message of the spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("the document is not a JSON object with \"mti\" and \"fields\"")]
    Shape,
    #[error("\"mti\" must be four digits, got {0:?}")]
    Mti(String),
    #[error("field {0:?}: not a field number")]
    Key(String),
    #[error("field {field}: {why}")]
    Value { field: String, why: String },
    #[error(transparent)]
    Spec(#[from] SpecError),
}

/// What a JSON rendering may show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reveal {
    /// PANs masked, secrets hidden: safe for logs and screens.
    Masked,
    /// Everything in the clear: only for test data, on a user's explicit request.
    All,
}

/// Renders a field value as the JSON string the document uses.
pub fn value_text(spec: &Spec, number: usize, value: &[u8], reveal: Reveal) -> String {
    let Some(fs) = spec.field(number) else {
        return hex::encode_upper(value);
    };
    match reveal {
        Reveal::All => mask::clear(fs.kind, value),
        Reveal::Masked => mask::render(fs.kind, fs.sensitivity, fs.composite, value),
    }
}

/// The message as a JSON document. A field whose spec says it holds BER-TLV also appears, as a
/// list of its data objects, under `"tlv"` when the caller passes a TLV lister.
pub fn to_json(spec: &Spec, msg: &Message<'_>, reveal: Reveal) -> Value {
    let mut fields = Map::new();
    for (n, v) in msg.fields() {
        fields.insert(n.to_string(), Value::String(value_text(spec, n, v, reveal)));
    }
    let mut doc = Map::new();
    doc.insert("mti".into(), Value::String(msg.mti().to_string()));
    doc.insert("fields".into(), Value::Object(fields));
    Value::Object(doc)
}

/// Numbers of the present fields whose spec marks them as BER-TLV.
pub fn tlv_fields(spec: &Spec, msg: &Message<'_>) -> Vec<usize> {
    msg.fields()
        .map(|(n, _)| n)
        .filter(|&n| spec.field(n).is_some_and(|f| f.composite == Composite::Tlv))
        .collect()
}

/// Reads a JSON document into a message of `spec`. Values are checked when the message is
/// packed; here only their form (hex for binary fields) is.
pub fn from_json(spec: &Spec, doc: &Value) -> Result<Message<'static>, DocumentError> {
    let obj = doc.as_object().ok_or(DocumentError::Shape)?;
    let mti_text = obj
        .get("mti")
        .and_then(Value::as_str)
        .ok_or(DocumentError::Shape)?;
    let mti = Mti::parse(mti_text).ok_or_else(|| DocumentError::Mti(mti_text.to_string()))?;
    let fields = obj
        .get("fields")
        .and_then(Value::as_object)
        .ok_or(DocumentError::Shape)?;
    let mut msg = Message::new(mti);
    for (key, value) in fields {
        let number: usize = key.parse().map_err(|_| DocumentError::Key(key.clone()))?;
        let text = value.as_str().ok_or_else(|| DocumentError::Value {
            field: key.clone(),
            why: "value must be a JSON string".into(),
        })?;
        let is_binary = spec.field(number).is_some_and(|f| f.kind == Kind::B);
        let result = if is_binary {
            let bytes = hex::decode(text).map_err(|e| DocumentError::Value {
                field: key.clone(),
                why: format!("binary fields are hex: {e}"),
            })?;
            msg.set_owned(number, bytes)
        } else {
            msg.set_owned(number, text.as_bytes())
        };
        result.map_err(|e| DocumentError::Value {
            field: key.clone(),
            why: e.kind.to_string(),
        })?;
    }
    Ok(msg)
}

/// The data objects of each BER-TLV field, in their order, as `{"55": [{"tag": "9F26",
/// "length": 8, "value": "..."}]}`. A field whose TLV is broken gets `"55_error"` with the
/// reason, after the objects that could be read.
pub fn tlv_json(spec: &Spec, msg: &Message<'_>, reveal: Reveal) -> Map<String, Value> {
    let mut out = Map::new();
    for n in tlv_fields(spec, msg) {
        let Some(value) = msg.get(n) else { continue };
        let mut list = Vec::new();
        for item in emv::tlv::parse(value) {
            match item {
                Ok(t) => list.push(serde_json::json!({
                    "tag": t.tag.to_string(),
                    "name": emv::tags::lookup(t.tag).map_or("(unknown)", |i| i.name),
                    "length": t.value.len(),
                    "value": match reveal {
                        Reveal::All => hex::encode_upper(t.value),
                        Reveal::Masked => mask::tlv_value(t.tag, t.value),
                    },
                })),
                Err(e) => {
                    out.insert(format!("{n}_error"), Value::String(e.to_string()));
                    break;
                }
            }
        }
        out.insert(n.to_string(), Value::Array(list));
    }
    out
}
