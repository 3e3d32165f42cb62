//! What the indexer remembers between runs: which file had which content.

use std::{collections::BTreeMap, path::Path};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

const STATE_FILE: &str = "indexer-state.json";
const STATE_VERSION: u32 = 1;

/// One file seen at the last run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileEntry {
    pub(crate) sha256: String,
    pub(crate) size: u64,
    /// Modification time in nanoseconds since the epoch; with `size`, lets an
    /// unchanged file skip hashing.
    pub(crate) mtime_ns: u128,
    /// Document id the file's content is indexed under, `None` if it was skipped.
    pub(crate) doc_id: Option<String>,
}

/// Files by path relative to the indexed root.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct State {
    version: u32,
    pub(crate) files: BTreeMap<String, FileEntry>,
    /// Document id → the path shown for it.
    pub(crate) documents: BTreeMap<String, String>,
}

impl State {
    pub(crate) fn load(index_dir: &Path) -> Result<Self> {
        let path = index_dir.join(STATE_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<Self>(&bytes) {
                Ok(s) if s.version == STATE_VERSION => Ok(s),
                // An unreadable state only costs re-hashing and re-embedding; the
                // index itself stays valid because documents are replaced by id.
                Ok(_) | Err(_) => {
                    tracing::warn!(path = %path.display(), "indexer state unreadable; re-checking every file");
                    Ok(Self::default())
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(Error::Io { path, source }),
        }
    }

    pub(crate) fn save(&mut self, index_dir: &Path) -> Result<()> {
        self.version = STATE_VERSION;
        let path = index_dir.join(STATE_FILE);
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec(self).expect("state serializes");
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| Error::Io { path, source })
    }
}
