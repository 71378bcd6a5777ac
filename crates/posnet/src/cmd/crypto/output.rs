//! The calculator's answers: hex on stdout (the value alone when there is one, `name: value`
//! lines when there are several), or one JSON object with `--json`.

use serde_json::{Map, Value};

/// An ordered set of named results.
#[derive(Default)]
pub struct Report {
    /// Shown as text and in JSON.
    fields: Vec<(String, Value)>,
    /// Shown in JSON only (what was computed how: method, algorithm).
    details: Vec<(String, Value)>,
}

impl Report {
    pub fn new() -> Self {
        Report::default()
    }

    /// A result.
    pub fn field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.fields.push((name.into(), value.into()));
        self
    }

    /// A JSON-only description of the result.
    pub fn detail(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.details.push((name.into(), value.into()));
        self
    }

    pub fn render(&self, json: bool) -> String {
        if json {
            let mut map = Map::new();
            for (k, v) in self.fields.iter().chain(&self.details) {
                map.insert(k.clone(), v.clone());
            }
            return format!("{}\n", Value::Object(map));
        }
        match self.fields.as_slice() {
            [(_, v)] => format!("{}\n", text(v)),
            fields => {
                let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
                fields
                    .iter()
                    .map(|(k, v)| format!("{:<width$} {}\n", format!("{k}:"), text(v)))
                    .collect()
            }
        }
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// Upper-case hex.
pub fn hexu(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for n in [b >> 4, b & 0x0F] {
            out.push(char::from(
                DIGITS.get(usize::from(n)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_alone_several_as_lines() {
        let one = Report::new()
            .field("kcv", "08D7B4")
            .detail("method", "legacy");
        assert_eq!(one.render(false), "08D7B4\n");
        assert_eq!(
            one.render(true),
            "{\"kcv\":\"08D7B4\",\"method\":\"legacy\"}\n"
        );
        let two = Report::new().field("ipek", "AA").field("pin_key", "BB");
        assert_eq!(two.render(false), "ipek:    AA\npin_key: BB\n");
    }
}
