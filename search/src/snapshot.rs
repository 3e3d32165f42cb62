//! Consistent copies of an index directory, taken while it is being searched,
//! and their restoration.
//!
//! A snapshot holds the writer lock, so no commit (from this or another
//! process) can run while the files of the last commit are copied: the tantivy
//! files that commit lists, its vector generation and segments, and every
//! top-level file (index descriptor, indexer state and caches). Files of older
//! or unfinished commits are left out. `trawl-snapshot.json` lists every file
//! with its size and sha256; restoring checks them before anything is replaced.

use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::{Error, Result, error::IoContext, meta::FORMAT_VERSION};

/// Name of the manifest written at the root of a snapshot.
pub const SNAPSHOT_MANIFEST: &str = "trawl-snapshot.json";

/// One copied file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotFile {
    /// Path relative to the index directory, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// sha256 of the content, hex.
    pub sha256: String,
}

/// What a snapshot holds: written as [`SNAPSHOT_MANIFEST`] and returned by
/// [`crate::Index::snapshot`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotManifest {
    /// The index format the files are in.
    pub format_version: u32,
    /// Seconds since the Unix epoch when the copy was taken.
    pub created_unix: u64,
    /// The directory copied.
    pub source: PathBuf,
    /// Documents in the copied commit.
    pub documents: u64,
    /// Chunks in the copied commit.
    pub chunks: u64,
    /// Every file, sorted by path.
    pub files: Vec<SnapshotFile>,
}

impl SnapshotManifest {
    /// Total bytes of the copied files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

/// Copies `rel` from `src` to `dest` (same relative path), syncing it, and
/// returns its manifest entry.
pub(crate) fn copy_file(src: &Path, dest: &Path, rel: &Path) -> Result<SnapshotFile> {
    let from = src.join(rel);
    let to = dest.join(rel);
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).at(parent)?;
    }
    let mut input = std::fs::File::open(&from).at(&from)?;
    let mut output = std::fs::File::create(&to).at(&to)?;
    let (bytes, sha256) = copy_hashing(&mut input, &mut output).at(&from)?;
    output.sync_all().at(&to)?;
    Ok(SnapshotFile {
        path: rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        bytes,
        sha256,
    })
}

fn copy_hashing(input: &mut impl Read, output: &mut impl Write) -> std::io::Result<(u64, String)> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n])?;
        total += n as u64;
    }
    Ok((total, format!("{:x}", hasher.finalize())))
}

/// sha256 of a file, hex.
fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut f = std::fs::File::open(path).at(path)?;
    copy_hashing(&mut f, &mut std::io::sink()).at(path)
}

/// Writes the manifest into `dest` and syncs the directory tree's root.
pub(crate) fn write_manifest(dest: &Path, manifest: &SnapshotManifest) -> Result<()> {
    let path = dest.join(SNAPSHOT_MANIFEST);
    let bytes = serde_json::to_vec_pretty(manifest).expect("manifest serializes");
    crate::meta::write_atomic(&path, &bytes)?;
    std::fs::File::open(dest)
        .and_then(|f| f.sync_all())
        .at(dest)
}

/// Reads a snapshot's manifest and checks every file against it.
pub fn verify_snapshot(dir: &Path) -> Result<SnapshotManifest> {
    let path = dir.join(SNAPSHOT_MANIFEST);
    let text = std::fs::read(&path).at(&path)?;
    let manifest: SnapshotManifest = serde_json::from_slice(&text).map_err(|e| Error::Corrupt {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if manifest.format_version != FORMAT_VERSION {
        return Err(Error::FormatVersion {
            path: dir.to_path_buf(),
            found: manifest.format_version,
            expected: FORMAT_VERSION,
        });
    }
    for f in &manifest.files {
        if f.path.split('/').any(|c| c == ".." || c.is_empty()) {
            return Err(Error::Corrupt {
                path: path.clone(),
                message: format!("file path {:?} leaves the snapshot", f.path),
            });
        }
        let file = dir.join(&f.path);
        let (bytes, sha256) = hash_file(&file)?;
        if bytes != f.bytes || sha256 != f.sha256 {
            return Err(Error::Corrupt {
                path: file,
                message: "content differs from the snapshot manifest".into(),
            });
        }
    }
    Ok(manifest)
}

/// Restores the snapshot in `snapshot` to `dest`, which must not exist unless
/// `replace` is set. The snapshot is verified first; the copy is made beside
/// `dest` and opened before it takes `dest`'s place, so a failed restore
/// leaves `dest` as it was.
pub fn restore_snapshot(snapshot: &Path, dest: &Path, replace: bool) -> Result<SnapshotManifest> {
    let manifest = verify_snapshot(snapshot)?;
    if dest.exists() && !replace {
        return Err(Error::InvalidRequest(format!(
            "{} already exists; restore into a new directory or pass --replace",
            dest.display()
        )));
    }
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "index".into());
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).at(parent)?;
    let staging = parent.join(format!(".{name}.restoring"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).at(&staging)?;
    }
    for f in &manifest.files {
        copy_file(snapshot, &staging, Path::new(&f.path))?;
    }
    // Opening it proves both arms load before anything is replaced.
    crate::Index::open(&staging)?;
    if dest.exists() {
        let old = parent.join(format!(".{name}.replaced"));
        if old.exists() {
            std::fs::remove_dir_all(&old).at(&old)?;
        }
        std::fs::rename(dest, &old).at(dest)?;
        std::fs::rename(&staging, dest).at(dest)?;
        if let Err(e) = std::fs::remove_dir_all(&old) {
            tracing::warn!(path = %old.display(), error = %e, "could not remove the replaced index");
        }
    } else {
        std::fs::rename(&staging, dest).at(dest)?;
    }
    std::fs::File::open(parent)
        .and_then(|f| f.sync_all())
        .at(parent)?;
    Ok(manifest)
}
