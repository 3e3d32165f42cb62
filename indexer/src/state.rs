//! What the indexer remembers between runs (`indexer-state.json`): which file
//! had which content and metadata, which document shows which path, and the
//! content hash of every JSONL record.

use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    path::Path,
};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

const STATE_FILE: &str = "indexer-state.json";
/// Version 2 added metadata hashes, attachments and JSONL sources; version 1
/// files are read and upgraded.
const STATE_VERSION: u32 = 2;

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

/// One document in the index that came from files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "DocEntryRepr")]
pub(crate) struct DocEntry {
    /// Path shown for the document.
    pub(crate) path: String,
    /// Hash of the user metadata (sidecars, folder rules) it was indexed
    /// with; empty when it had none.
    pub(crate) meta_hash: String,
    /// Documents extracted from it (attachments), replaced and removed with it.
    pub(crate) children: Vec<String>,
}

/// Version 1 stored only the path.
#[derive(Deserialize)]
#[serde(untagged)]
enum DocEntryRepr {
    Path(String),
    Full {
        path: String,
        #[serde(default)]
        meta_hash: String,
        #[serde(default)]
        children: Vec<String>,
    },
}

impl From<DocEntryRepr> for DocEntry {
    fn from(r: DocEntryRepr) -> Self {
        match r {
            DocEntryRepr::Path(path) => Self {
                path,
                meta_hash: String::new(),
                children: Vec::new(),
            },
            DocEntryRepr::Full {
                path,
                meta_hash,
                children,
            } => Self {
                path,
                meta_hash,
                children,
            },
        }
    }
}

/// Records of one JSONL file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct JsonlSource {
    /// [`crate::pipeline_version`] of the run that indexed them.
    pub(crate) pipeline: String,
    /// `_id` → sha256 of the record's title and text.
    pub(crate) records: BTreeMap<String, String>,
}

/// Files by path relative to the indexed root.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct State {
    version: u32,
    /// Extraction and chunking settings the file documents were built with;
    /// when they change every file is prepared again.
    #[serde(default)]
    pub(crate) pipeline: String,
    pub(crate) files: BTreeMap<String, FileEntry>,
    /// Document id → what it was indexed as.
    pub(crate) documents: BTreeMap<String, DocEntry>,
    /// JSONL corpora by canonical path.
    #[serde(default)]
    pub(crate) jsonl: BTreeMap<String, JsonlSource>,
    /// Canonical path of the folder the last folder run indexed (file
    /// paths are relative to it); the server serves original files from it.
    #[serde(default)]
    pub(crate) root: Option<String>,
    /// Documents uploaded through the API, by id; folder runs neither
    /// remove them nor index another copy of them.
    #[serde(default)]
    pub(crate) uploads: BTreeMap<String, DocEntry>,
    /// Ids deleted through the API: runs do not index that content again.
    /// (A changed file has another id, so it is indexed.)
    #[serde(default)]
    pub(crate) deleted: BTreeSet<String>,
}

impl State {
    pub(crate) fn load(index_dir: &Path) -> Result<Self> {
        let path = index_dir.join(STATE_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<Self>(&bytes) {
                Ok(s) if (1..=STATE_VERSION).contains(&s.version) => Ok(s),
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

    /// The folder the index's file paths are relative to, if recorded.
    pub(crate) fn source_root(index_dir: &Path) -> Result<Option<std::path::PathBuf>> {
        Ok(Self::load(index_dir)?.root.map(Into::into))
    }

    /// Ids of every document in the index: from files, their attachments, and JSONL.
    pub(crate) fn live_ids(&self) -> HashSet<&str> {
        let mut ids: HashSet<&str> = HashSet::new();
        for (id, d) in self.documents.iter().chain(&self.uploads) {
            ids.insert(id);
            ids.extend(d.children.iter().map(String::as_str));
        }
        for s in self.jsonl.values() {
            ids.extend(s.records.keys().map(String::as_str));
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_version_1_state() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(STATE_FILE),
            r#"{"version":1,"files":{"a.md":{"sha256":"ab","size":3,"mtime_ns":7,"doc_id":"ab"}},"documents":{"ab":"a.md"}}"#,
        )
        .unwrap();
        let s = State::load(dir.path()).unwrap();
        assert_eq!(s.documents["ab"].path, "a.md");
        assert_eq!(s.documents["ab"].meta_hash, "");
        assert_eq!(s.files["a.md"].size, 3);
        assert!(s.live_ids().contains("ab"));
    }
}
