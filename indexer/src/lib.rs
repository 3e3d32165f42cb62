//! Files → documents → chunks → both indexes.
//!
//! [`index_directory`] walks a folder, extracts text from each supported file,
//! chunks it with the embedder's tokenizer, embeds the chunks in batches and
//! writes documents to a [`trawl_search::Index`]. Runs are incremental: a file
//! whose content hash is unchanged is not re-read, re-embedded or re-written,
//! and files that disappeared are removed from the index.

mod chunk;
mod error;
mod extract;
mod state;

pub use crate::{
    chunk::ChunkOptions,
    error::{Error, Result},
    extract::{DocKind, ExtractError},
};

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    sync::mpsc,
    time::{Duration, Instant},
};

use serde::Serialize;
use sha2::{Digest, Sha256};
use trawl_embedder::Embedder;
use trawl_search::{ChunkInput, DocumentInput, DocumentMeta, Index};

use crate::state::{FileEntry, State};

/// Options of an indexing run.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Chunk sizes.
    pub chunking: ChunkOptions,
    /// Files larger than this are skipped with a reason.
    pub max_file_bytes: u64,
    /// Chunks embedded per model call (across documents).
    pub embed_batch: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        Self {
            chunking: ChunkOptions::default(),
            max_file_bytes: 64 * 1024 * 1024,
            embed_batch: 64,
        }
    }
}

/// Receives progress events; the CLI draws a bar from them. Called from the
/// embedding thread only.
pub trait Progress {
    /// `files` files will be extracted and embedded.
    fn start(&self, files: usize) {
        let _ = files;
    }
    /// One more file is done (indexed or skipped), having produced `chunks` chunks.
    fn file_done(&self, path: &str, chunks: usize) {
        let _ = (path, chunks);
    }
}

/// A [`Progress`] that reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// A file that was not indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Path relative to the indexed directory.
    pub path: String,
    /// One-line reason.
    pub reason: String,
}

/// Seconds spent in each stage (extraction runs beside embedding, so these overlap).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct StageTimes {
    /// Scanning and hashing files.
    pub scan_s: f64,
    /// Reading, extracting and chunking.
    pub extract_s: f64,
    /// Embedding chunks.
    pub embed_s: f64,
    /// Writing and committing both indexes.
    pub write_s: f64,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexReport {
    /// Files found under the directory.
    pub files_seen: usize,
    /// Documents (re)indexed in this run.
    pub indexed: usize,
    /// Documents whose content was unchanged.
    pub unchanged: usize,
    /// Of `indexed`, documents whose file existed with other content.
    pub updated: usize,
    /// Documents removed because their files are gone.
    pub removed: usize,
    /// Chunks embedded in this run.
    pub chunks: usize,
    /// Files with the same content as another file: `(path, path of the indexed copy)`.
    pub duplicates: Vec<(String, String)>,
    /// Files not indexed, with reasons.
    pub skipped: Vec<Skipped>,
    /// Documents in the index after the run.
    pub documents_total: u64,
    /// Chunks in the index after the run.
    pub chunks_total: u64,
    /// Wall-clock seconds.
    pub elapsed_s: f64,
    /// Where the time went.
    pub stages: StageTimes,
}

/// A file found by the scan.
struct Found {
    rel: String,
    path: PathBuf,
    entry: FileEntry,
}

/// A document extracted and chunked, waiting for its vectors.
struct Prepared {
    doc_id: String,
    rel: String,
    title: String,
    meta: DocumentMeta,
    chunks: Vec<(String, Option<String>)>,
    /// Text given to the embedder per chunk (title and section prepended).
    embed_texts: Vec<String>,
}

/// Indexes every supported file under `root` into `index`.
pub fn index_directory(
    root: &Path,
    index: &Index,
    embedder: &dyn Embedder,
    opts: &IndexOptions,
    progress: &dyn Progress,
) -> Result<IndexReport> {
    let started = Instant::now();
    if !root.is_dir() {
        return Err(Error::NotADirectory(root.to_path_buf()));
    }
    let mut report = IndexReport::default();
    let mut state = State::load(index.dir())?;

    let scan_started = Instant::now();
    let found = scan(root, &state, opts, &mut report)?;
    report.files_seen = found.len() + report.skipped.len();

    // Group files by content: one document per distinct content.
    let mut by_doc: BTreeMap<String, Vec<&Found>> = BTreeMap::new();
    for f in &found {
        by_doc
            .entry(doc_id_of(&f.entry.sha256))
            .or_default()
            .push(f);
    }
    let mut to_index = Vec::new();
    for (doc_id, files) in &mut by_doc {
        // The path already indexed stays the document's path while it exists,
        // so adding a copy does not re-index the original.
        if let Some(i) = state
            .documents
            .get(doc_id)
            .and_then(|known| files.iter().position(|f| &f.rel == known))
        {
            files.swap(0, i);
        }
        let primary = files[0];
        for dup in &files[1..] {
            report
                .duplicates
                .push((dup.rel.clone(), primary.rel.clone()));
        }
        if state.documents.get(doc_id) == Some(&primary.rel) {
            report.unchanged += 1;
        } else {
            to_index.push((doc_id.clone(), primary));
        }
    }
    let gone: Vec<String> = state
        .documents
        .keys()
        .filter(|id| !by_doc.contains_key(*id))
        .cloned()
        .collect();
    report.stages.scan_s = scan_started.elapsed().as_secs_f64();

    let mut writer = index.writer()?;
    let present: BTreeSet<&str> = found.iter().map(|f| f.rel.as_str()).collect();
    for doc_id in &gone {
        writer.delete_document(doc_id)?;
        if let Some(path) = state.documents.remove(doc_id) {
            if present.contains(path.as_str()) {
                report.updated += 1;
            } else {
                report.removed += 1;
            }
        }
    }

    progress.start(to_index.len());
    let mut failed: BTreeSet<String> = BTreeSet::new();
    let (tx, rx) = mpsc::sync_channel::<Result<Prepared, Skipped>>(64);
    let mut extract_time = Duration::ZERO;
    let mut embed_time = Duration::ZERO;
    let mut write_time = Duration::ZERO;

    std::thread::scope(|scope| -> Result<()> {
        let extractor = scope.spawn(|| {
            let t = Instant::now();
            for (doc_id, f) in &to_index {
                let item = prepare(doc_id, f, embedder, opts);
                if tx.send(item).is_err() {
                    break;
                }
            }
            drop(tx);
            t.elapsed()
        });

        let mut batch: Vec<Prepared> = Vec::new();
        let mut batch_chunks = 0;
        let mut flush = |batch: &mut Vec<Prepared>, report: &mut IndexReport| -> Result<()> {
            if batch.is_empty() {
                return Ok(());
            }
            let texts: Vec<&str> = batch
                .iter()
                .flat_map(|p| p.embed_texts.iter().map(String::as_str))
                .collect();
            let t = Instant::now();
            let mut vectors = embedder.embed_passages(&texts)?.into_iter();
            embed_time += t.elapsed();
            let t = Instant::now();
            for p in batch.drain(..) {
                let n = p.chunks.len();
                let chunks = p
                    .chunks
                    .into_iter()
                    .zip(vectors.by_ref())
                    .map(|((text, section), vector)| ChunkInput {
                        text,
                        page: None,
                        section,
                        vector,
                    })
                    .collect();
                writer.add_document(DocumentInput {
                    doc_id: p.doc_id.clone(),
                    path: p.rel.clone(),
                    title: p.title,
                    meta: p.meta,
                    chunks,
                })?;
                state.documents.insert(p.doc_id, p.rel.clone());
                report.indexed += 1;
                report.chunks += n;
                progress.file_done(&p.rel, n);
            }
            write_time += t.elapsed();
            Ok(())
        };

        for item in rx {
            match item {
                Ok(p) => {
                    batch_chunks += p.chunks.len();
                    batch.push(p);
                    if batch_chunks >= opts.embed_batch {
                        flush(&mut batch, &mut report)?;
                        batch_chunks = 0;
                    }
                }
                Err(skipped) => {
                    progress.file_done(&skipped.path, 0);
                    failed.insert(skipped.path.clone());
                    report.skipped.push(skipped);
                }
            }
        }
        flush(&mut batch, &mut report)?;
        extract_time = extractor.join().expect("extractor thread panicked");
        Ok(())
    })?;

    // A document whose file failed extraction this time must not keep stale content.
    for (doc_id, f) in &to_index {
        if failed.contains(&f.rel) && state.documents.remove(doc_id).is_some() {
            writer.delete_document(doc_id)?;
        }
    }
    let t = Instant::now();
    writer.commit()?;
    write_time += t.elapsed();

    state.files = found
        .into_iter()
        .map(|f| {
            let mut entry = f.entry;
            let id = doc_id_of(&entry.sha256);
            entry.doc_id = state.documents.contains_key(&id).then_some(id);
            (f.rel, entry)
        })
        .collect();
    state.save(index.dir())?;

    let stats = index.stats();
    report.documents_total = stats.documents;
    report.chunks_total = stats.chunks;
    report.stages.extract_s = extract_time.as_secs_f64();
    report.stages.embed_s = embed_time.as_secs_f64();
    report.stages.write_s = write_time.as_secs_f64();
    report.elapsed_s = started.elapsed().as_secs_f64();
    tracing::info!(
        indexed = report.indexed,
        unchanged = report.unchanged,
        removed = report.removed,
        skipped = report.skipped.len(),
        chunks = report.chunks,
        "indexing finished"
    );
    Ok(report)
}

fn doc_id_of(sha256: &str) -> String {
    sha256[..16].to_owned()
}

/// Walks `root`, hashing files whose size or mtime changed since the last run.
fn scan(
    root: &Path,
    state: &State,
    opts: &IndexOptions,
    report: &mut IndexReport,
) -> Result<Vec<Found>> {
    let mut found = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| relative(root, p))
                    .unwrap_or_else(|| root.display().to_string());
                report.skipped.push(Skipped {
                    path,
                    reason: format!(
                        "cannot read: {}",
                        e.io_error()
                            .map_or_else(|| e.to_string(), |io| io.to_string())
                    ),
                });
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let rel = relative(root, path);
        if DocKind::detect(path).is_none() {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            report.skipped.push(Skipped {
                path: rel,
                reason: if ext.is_empty() {
                    "unsupported file type (no extension)".to_owned()
                } else {
                    format!("unsupported file type .{ext}")
                },
            });
            continue;
        }
        let meta = match entry.metadata() {
            Ok(m) => m,
            Err(e) => {
                report.skipped.push(Skipped {
                    path: rel,
                    reason: format!("cannot read metadata: {e}"),
                });
                continue;
            }
        };
        let size = meta.len();
        if size > opts.max_file_bytes {
            report.skipped.push(Skipped {
                path: rel,
                reason: format!(
                    "too large: {size} bytes (limit {} bytes)",
                    opts.max_file_bytes
                ),
            });
            continue;
        }
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let sha256 = match state.files.get(&rel) {
            Some(prev) if prev.size == size && prev.mtime_ns == mtime_ns && mtime_ns != 0 => {
                prev.sha256.clone()
            }
            _ => match std::fs::read(path) {
                Ok(bytes) => hex(&Sha256::digest(&bytes)),
                Err(e) => {
                    report.skipped.push(Skipped {
                        path: rel,
                        reason: format!("cannot read: {e}"),
                    });
                    continue;
                }
            },
        };
        found.push(Found {
            rel,
            path: path.to_path_buf(),
            entry: FileEntry {
                sha256,
                size,
                mtime_ns,
                doc_id: None,
            },
        });
    }
    Ok(found)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads, extracts and chunks one file (runs on the extraction thread).
fn prepare(
    doc_id: &str,
    f: &Found,
    embedder: &dyn Embedder,
    opts: &IndexOptions,
) -> Result<Prepared, Skipped> {
    let skip = |reason: String| Skipped {
        path: f.rel.clone(),
        reason,
    };
    let kind = DocKind::detect(&f.path).ok_or_else(|| skip("unsupported file type".into()))?;
    let bytes = std::fs::read(&f.path).map_err(|e| skip(format!("cannot read: {e}")))?;
    let doc = extract::extract(kind, &f.path, &bytes).map_err(|e| skip(e.to_string()))?;
    let spans = |s: &str| embedder.token_spans(s);
    let chunks = chunk::chunk(&doc, opts.chunking, &spans)
        .map_err(|e| skip(format!("tokenizing failed: {e}")))?;
    if chunks.is_empty() {
        return Err(skip(ExtractError::Empty.to_string()));
    }
    let mut texts = Vec::with_capacity(chunks.len());
    let mut embed_texts = Vec::with_capacity(chunks.len());
    for c in chunks {
        let text = doc.text[c.range].to_owned();
        // The title and heading path give a passage the context its words lack.
        let context = match &c.section {
            Some(s) => format!("{} — {s}\n", doc.title),
            None => format!("{}\n", doc.title),
        };
        embed_texts.push(format!("{context}{text}"));
        texts.push((text, c.section));
    }
    let meta = DocumentMeta {
        kind: kind.name().to_owned(),
        size: f.entry.size,
        sha256: f.entry.sha256.clone(),
        modified: i64::try_from(f.entry.mtime_ns / 1_000_000_000).ok(),
        ..DocumentMeta::default()
    };
    Ok(Prepared {
        doc_id: doc_id.to_owned(),
        rel: f.rel.clone(),
        title: doc.title,
        meta,
        chunks: texts,
        embed_texts,
    })
}
