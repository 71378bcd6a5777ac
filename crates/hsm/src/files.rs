//! The HSM folder on disk: the master key file (mode 0600) and the key store file, written
//! atomically (temporary file, fsync, rename, fsync of the folder) so a crash leaves either the
//! old store or the new one, never half of each.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::HsmError;
use crate::master::MasterKey;

/// Name of the master key file in the HSM folder.
pub const MASTER_KEY_FILE: &str = "master.key";
/// Name of the key store file in the HSM folder.
pub const STORE_FILE: &str = "keys.store";
/// Largest store file read (a bound on hostile input; about 20,000 keys).
pub const STORE_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// Paths of one HSM folder.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub dir: PathBuf,
    pub master: PathBuf,
    pub store: PathBuf,
}

impl Layout {
    pub fn new(dir: &Path) -> Self {
        Layout {
            dir: dir.to_path_buf(),
            master: dir.join(MASTER_KEY_FILE),
            store: dir.join(STORE_FILE),
        }
    }
}

/// Creates the folder (mode 0700) when it is missing.
pub(crate) fn create_dir(dir: &Path) -> Result<(), HsmError> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| HsmError::io("create folder", dir, e))
}

/// Writes a new master key file; fails if one exists (never overwrites a key).
pub(crate) fn create_master(path: &Path, key: &MasterKey) -> Result<(), HsmError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => HsmError::AlreadyInitialised {
                path: path.to_path_buf(),
            },
            _ => HsmError::io("create", path, e),
        })?;
    file.write_all(key.encode().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| HsmError::io("write", path, e))
}

/// Reads the master key, refusing a file others can read or write.
pub(crate) fn read_master(path: &Path) -> Result<MasterKey, HsmError> {
    let mut file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => HsmError::NotInitialised {
            path: path.to_path_buf(),
        },
        _ => HsmError::io("open", path, e),
    })?;
    let mode = file
        .metadata()
        .map_err(|e| HsmError::io("stat", path, e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(HsmError::MasterKeyPermissions {
            path: path.to_path_buf(),
            mode: mode & 0o777,
        });
    }
    let mut text = Zeroizing::new(Vec::with_capacity(80));
    // A master key file is 65 bytes; reading at most a little more bounds a wrong file.
    (&mut file)
        .take(256)
        .read_to_end(&mut text)
        .map_err(|e| HsmError::io("read", path, e))?;
    MasterKey::parse(&text, path)
}

/// Reads the store file (at most [`STORE_MAX_BYTES`]).
pub(crate) fn read_store(path: &Path) -> Result<Vec<u8>, HsmError> {
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => HsmError::NotInitialised {
            path: path.to_path_buf(),
        },
        _ => HsmError::io("open", path, e),
    })?;
    let mut text = Vec::new();
    file.take(STORE_MAX_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(|e| HsmError::io("read", path, e))?;
    if text.len() as u64 > STORE_MAX_BYTES {
        return Err(HsmError::StoreFormat {
            line: 0,
            reason: format!("the file is larger than {STORE_MAX_BYTES} bytes"),
        });
    }
    Ok(text)
}

/// Replaces the store file atomically. `create_only` refuses an existing file (for `init`).
pub(crate) fn write_store(path: &Path, text: &[u8], create_only: bool) -> Result<(), HsmError> {
    if create_only && path.exists() {
        return Err(HsmError::AlreadyInitialised {
            path: path.to_path_buf(),
        });
    }
    let tmp = path.with_extension("store.tmp");
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| HsmError::io("create", &tmp, e))?;
    file.write_all(text)
        .and_then(|()| file.sync_all())
        .map_err(|e| HsmError::io("write", &tmp, e))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|e| HsmError::io("rename", &tmp, e))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| HsmError::io("sync folder", dir, e))
}
