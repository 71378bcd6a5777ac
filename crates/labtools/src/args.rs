//! `--name value` pairs for the lab binaries (no clap: they are tiny and run in scripts).

/// The value after `--name`, if given.
pub fn value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// A number after `--name`, or `default` when absent; an unparsable one is an error.
pub fn number(args: &[String], name: &str, default: u64) -> Result<u64, String> {
    match value(args, name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|e| format!("{name} {v:?}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_numbers() {
        let a: Vec<String> = ["--to", "198.18.1.10:9", "--kbit", "800"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(value(&a, "--to"), Some("198.18.1.10:9"));
        assert_eq!(value(&a, "--seconds"), None);
        assert_eq!(number(&a, "--kbit", 1), Ok(800));
        assert_eq!(number(&a, "--seconds", 7), Ok(7));
        assert!(number(&a, "--to", 0).is_err());
    }
}
