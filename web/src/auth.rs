//! API keys and the principals they stand for.
//!
//! A key is `trawl_` followed by 64 hex digits (256 random bits). Only its
//! SHA-256 is stored: in the keys file that `trawl keys create` writes
//! (`keys.json`), or by hand in `[[keys]]` of `trawl.toml`. A presented key is
//! hashed and compared with every stored hash in constant time. The keys
//! file is re-read when it changes, so `trawl keys revoke` takes effect on
//! the next request without a restart.

use std::{
    path::{Path, PathBuf},
    sync::RwLock,
    time::SystemTime,
};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use trawl_search::Access;

use crate::config::KeyConfig;

const KEY_PREFIX: &str = "trawl_";
const KEYS_VERSION: u32 = 1;

/// Who is asking: the holder of a key, or the local operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// Name of the key (or `local`).
    pub name: String,
    /// Access groups.
    pub groups: Vec<String>,
    /// May upload and delete; sees every document.
    pub admin: bool,
}

impl Principal {
    /// The operator of a server without keys on loopback.
    pub fn local() -> Self {
        Self {
            name: "local".into(),
            groups: Vec::new(),
            admin: true,
        }
    }

    /// What this principal may read.
    pub fn access(&self) -> Access {
        if self.admin {
            Access::All
        } else {
            Access::groups(self.groups.iter().cloned())
        }
    }
}

/// A stored key (no secret, only its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    /// Short public id, for `trawl keys revoke`.
    pub id: String,
    /// Who holds it.
    pub name: String,
    /// Access groups.
    pub groups: Vec<String>,
    /// May upload and delete.
    pub admin: bool,
    /// Hex SHA-256 of the key.
    pub sha256: String,
    /// Unix seconds.
    pub created: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct KeysFile {
    version: u32,
    keys: Vec<StoredKey>,
}

/// Why a keys file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is damaged.
    #[error("{path}: not a trawl keys file: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A name or group is not acceptable.
    #[error("{0}")]
    BadInput(String),
    /// `revoke` found nothing to revoke.
    #[error("no key with id or name {0:?}")]
    NotFound(String),
}

fn read_keys(path: &Path) -> Result<Vec<StoredKey>, KeyError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let f: KeysFile = serde_json::from_slice(&bytes).map_err(|e| KeyError::Invalid {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
            Ok(f.keys)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(KeyError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn write_keys(path: &Path, keys: Vec<StoredKey>) -> Result<(), KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let file = KeysFile {
        version: KEYS_VERSION,
        keys,
    };
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(&file).expect("keys serialize");
    write_private(&tmp, &bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Writes a file only its owner may read (hashes are not secrets, but the
/// list of who has access is nobody else's business).
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn hash_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && !s.starts_with("__")
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | ':' | '/'))
}

/// A new key: the secret to hand out (shown once) and what is stored.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// The key itself; never stored.
    pub secret: String,
    /// The stored record.
    pub stored: StoredKey,
}

/// Creates a key in the keys file at `path`.
pub fn create_key(
    path: &Path,
    name: &str,
    groups: &[String],
    admin: bool,
) -> Result<NewKey, KeyError> {
    if !valid_name(name) {
        return Err(KeyError::BadInput(format!(
            "name {name:?}: use 1-64 letters, digits, - _ . @ : /"
        )));
    }
    if let Some(g) = groups.iter().find(|g| !valid_name(g)) {
        return Err(KeyError::BadInput(format!(
            "group {g:?}: use letters, digits, - _ . @ : / (not starting with __)"
        )));
    }
    let mut keys = read_keys(path)?;
    if keys.iter().any(|k| k.name == name) {
        return Err(KeyError::BadInput(format!(
            "a key named {name:?} exists; revoke it first or pick another name"
        )));
    }
    let secret_bytes: [u8; 32] = rand::random();
    let secret = format!("{KEY_PREFIX}{}", hex::encode(secret_bytes));
    let id_bytes: [u8; 4] = rand::random();
    let stored = StoredKey {
        id: hex::encode(id_bytes),
        name: name.to_owned(),
        groups: groups.to_vec(),
        admin,
        sha256: hash_hex(&secret),
        created: SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    };
    keys.push(stored.clone());
    write_keys(path, keys)?;
    Ok(NewKey { secret, stored })
}

/// Every key in the keys file at `path`.
pub fn list_keys(path: &Path) -> Result<Vec<StoredKey>, KeyError> {
    read_keys(path)
}

/// Removes the key with this id or name; returns it.
pub fn revoke_key(path: &Path, id_or_name: &str) -> Result<StoredKey, KeyError> {
    let mut keys = read_keys(path)?;
    let Some(i) = keys
        .iter()
        .position(|k| k.id == id_or_name || k.name == id_or_name)
    else {
        return Err(KeyError::NotFound(id_or_name.to_owned()));
    };
    let removed = keys.remove(i);
    write_keys(path, keys)?;
    Ok(removed)
}

/// What the keys file looked like when it was last read.
#[derive(Debug, Default)]
struct Cached {
    stamp: Option<(SystemTime, u64)>,
    keys: Vec<([u8; 32], Principal)>,
}

/// The keys a server accepts: `[[keys]]` from the configuration plus the
/// keys file, re-read when it changes.
#[derive(Debug)]
pub struct KeyStore {
    file: Option<PathBuf>,
    fixed: Vec<([u8; 32], Principal)>,
    cached: RwLock<Cached>,
}

fn decode_hash(hex: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl KeyStore {
    /// Keys from `config` plus those in `file`. Fails when the file is damaged.
    pub fn new(config: &[KeyConfig], file: Option<PathBuf>) -> Result<Self, KeyError> {
        let mut fixed = Vec::new();
        for k in config {
            let hash = decode_hash(&k.sha256).ok_or_else(|| {
                KeyError::BadInput(format!("key {:?}: sha256 is not 64 hex digits", k.name))
            })?;
            fixed.push((
                hash,
                Principal {
                    name: k.name.clone(),
                    groups: k.groups.clone(),
                    admin: k.admin,
                },
            ));
        }
        let store = Self {
            file,
            fixed,
            cached: RwLock::new(Cached::default()),
        };
        store.refresh()?;
        Ok(store)
    }

    fn refresh(&self) -> Result<(), KeyError> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let stamp = std::fs::metadata(path)
            .ok()
            .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
        if self.cached.read().expect("keys lock").stamp == stamp && stamp.is_some() {
            return Ok(());
        }
        let keys = read_keys(path)?
            .into_iter()
            .filter_map(|k| {
                Some((
                    decode_hash(&k.sha256)?,
                    Principal {
                        name: k.name,
                        groups: k.groups,
                        admin: k.admin,
                    },
                ))
            })
            .collect();
        *self.cached.write().expect("keys lock") = Cached { stamp, keys };
        Ok(())
    }

    /// Whether any key exists.
    pub fn has_keys(&self) -> bool {
        if let Err(e) = self.refresh() {
            tracing::error!(error = %e, "keys file unreadable; keeping the keys read before");
        }
        !self.fixed.is_empty() || !self.cached.read().expect("keys lock").keys.is_empty()
    }

    /// The principal holding `secret`, if any. Every stored hash is compared,
    /// in constant time, whatever matches.
    pub fn authenticate(&self, secret: &str) -> Option<Principal> {
        if let Err(e) = self.refresh() {
            tracing::error!(error = %e, "keys file unreadable; keeping the keys read before");
        }
        let presented: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let cached = self.cached.read().expect("keys lock");
        let mut found = None;
        for (hash, principal) in self.fixed.iter().chain(cached.keys.iter()) {
            if bool::from(hash.ct_eq(&presented)) && found.is_none() {
                found = Some(principal.clone());
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_keys_authenticate_until_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let hr = create_key(&path, "alice", &["hr".into()], false).unwrap();
        assert!(hr.secret.starts_with("trawl_") && hr.secret.len() == 70);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&hr.secret), "the secret is never stored");
        let store = KeyStore::new(&[], Some(path.clone())).unwrap();
        let p = store.authenticate(&hr.secret).unwrap();
        assert_eq!((p.name.as_str(), p.admin), ("alice", false));
        assert_eq!(p.access(), Access::groups(["hr"]));
        assert!(store.authenticate("trawl_wrong").is_none());
        assert!(create_key(&path, "alice", &[], false).is_err());
        assert!(create_key(&path, "bob", &["__public__".into()], false).is_err());
        revoke_key(&path, &hr.stored.id).unwrap();
        assert!(store.authenticate(&hr.secret).is_none());
        assert!(!store.has_keys());
    }

    #[test]
    fn configured_hashes_authenticate() {
        let secret = "trawl_handwritten";
        let store = KeyStore::new(
            &[KeyConfig {
                name: "ops".into(),
                groups: vec![],
                admin: true,
                sha256: hash_hex(secret),
            }],
            None,
        )
        .unwrap();
        assert!(store.authenticate(secret).unwrap().admin);
        assert!(store.authenticate("trawl_other").is_none());
    }
}
