//! What an index directory records about itself: format version, model, HNSW parameters.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result, error::IoContext};

/// Version of the on-disk layout this build reads and writes.
pub const FORMAT_VERSION: u32 = 3;

/// Name of the descriptor file at the root of an index directory.
pub(crate) const META_FILE: &str = "trawl-index.json";

/// HNSW graph parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HnswParams {
    /// Links per node (`M`); more links, better recall, more memory.
    pub m: usize,
    /// Candidate list size while building.
    pub ef_construction: usize,
    /// Candidate list size while searching (raised to `k` when smaller).
    pub ef_search: usize,
}

/// Chosen on real data at scale: SciFact plus Debian documentation (114 597 chunks,
/// `bench/scale`), SciFact's 809 train queries. With m 16 and ef_construction 100 the
/// vector arm scored nDCG@10 0.544 (hybrid 0.681) because the graph missed neighbours of
/// queries, which lie apart from the passages; raising ef_search to 2 000 recovered only
/// 0.634. m 32 with ef_construction 200 scores 0.677 (hybrid 0.723) at the default
/// ef_search, close to the 0.686 of SciFact alone, for a graph build of under a minute at
/// that size (embedding the chunks took 30). Synthetic neighbours of passage vectors
/// (`trawl bench vectors`) reached recall 0.9975 with m 16 and hid this.
impl Default for HnswParams {
    fn default() -> Self {
        Self {
            m: 32,
            ef_construction: 200,
            ef_search: 64,
        }
    }
}

/// What an index is built for: created once, checked on every open for writing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexSpec {
    /// Embedding model name (informational).
    pub model_name: String,
    /// Embedding model fingerprint; vectors from another model are not comparable.
    pub model_fingerprint: String,
    /// Vector length.
    pub dim: usize,
    /// Graph parameters.
    #[serde(default)]
    pub hnsw: HnswParams,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetaFile {
    pub(crate) format_version: u32,
    pub(crate) spec: IndexSpec,
}

impl MetaFile {
    pub(crate) fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(META_FILE);
        if !path.is_file() {
            return Err(Error::NotAnIndex(dir.to_path_buf()));
        }
        let bytes = std::fs::read(&path).at(&path)?;
        // Check the version before the rest, so an old layout gets the version error.
        let version: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
                path: path.clone(),
                message: e.to_string(),
            })?;
        let found = version
            .get("format_version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0) as u32;
        if found != FORMAT_VERSION {
            return Err(Error::FormatVersion {
                path: dir.to_path_buf(),
                found,
                expected: FORMAT_VERSION,
            });
        }
        serde_json::from_value(version).map_err(|e| Error::Corrupt {
            path,
            message: e.to_string(),
        })
    }

    pub(crate) fn write(&self, dir: &Path) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(self).expect("meta serializes");
        write_atomic(&dir.join(META_FILE), &bytes)
    }
}

/// Writes `bytes` to a sibling temp file, syncs it, then renames it over `path`.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).at(&tmp)?;
    f.write_all(bytes).at(&tmp)?;
    f.sync_all().at(&tmp)?;
    std::fs::rename(&tmp, path).at(path)
}
