//! Each bench terminal's STAN count kept between runs, one small file per terminal: the
//! issuer refuses (94) a STAN a terminal already used that day for another request.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn open(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Store {
            dir: dir.to_path_buf(),
        })
    }

    fn path(&self, terminal_id: &str) -> PathBuf {
        self.dir.join(format!("{terminal_id}.stan"))
    }

    /// STANs the terminal has used so far (0 for a new one).
    pub fn used(&self, terminal_id: &str) -> Result<u32> {
        let path = self.path(terminal_id);
        match std::fs::read_to_string(&path) {
            Ok(text) => text
                .trim()
                .parse()
                .with_context(|| format!("{}: not a STAN count", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    pub fn save(&self, terminal_id: &str, used: u32) -> Result<()> {
        let path = self.path(terminal_id);
        std::fs::write(&path, format!("{used}\n"))
            .with_context(|| format!("writing {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_count_between_opens() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.used("BENCH001").unwrap(), 0);
        store.save("BENCH001", 4_321).unwrap();
        let again = Store::open(dir.path()).unwrap();
        assert_eq!(again.used("BENCH001").unwrap(), 4_321);
        assert_eq!(again.used("BENCH002").unwrap(), 0);
        std::fs::write(dir.path().join("BENCH003.stan"), "x").unwrap();
        assert!(again.used("BENCH003").is_err());
    }
}
