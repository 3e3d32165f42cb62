//! Indexing a folder: walking it, deciding what changed, preparing each
//! changed file (with its attachments) and keeping the indexer state in step
//! with the index.
//!
//! A document's id is the first 16 hex digits of its file's sha256, so
//! identical files are one document (the others are reported as duplicates)
//! and a rename keeps the id.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    time::Instant,
};

use sha2::{Digest, Sha256};
use trawl_embedder::Embedder;
use trawl_search::{DocumentMeta, Index};

use crate::{
    DocKind, Error, IndexOptions, IndexReport, Progress, Result, Skipped,
    cache::VectorCache,
    extract, hex,
    pipeline::{self, Output, Sinks},
    state::{DocEntry, FileEntry, State},
};

/// A file found by the scan.
struct Found {
    rel: String,
    path: PathBuf,
    entry: FileEntry,
    /// Hash of the user metadata that applies to it; empty when none does.
    meta_hash: String,
}

/// A document to (re)index: its id and the file that shows it.
struct Job<'a> {
    doc_id: String,
    file: &'a Found,
}

/// Indexes every supported file under `root` into `index`. A `.jsonl` file
/// instead of a folder is indexed with [`crate::index_jsonl`].
pub fn index_directory(
    root: &Path,
    index: &Index,
    embedder: &dyn Embedder,
    opts: &IndexOptions,
    progress: &dyn Progress,
) -> Result<IndexReport> {
    if crate::is_jsonl(root) {
        return crate::index_jsonl(root, index, embedder, opts, progress);
    }
    let started = Instant::now();
    if !root.is_dir() {
        return Err(Error::NotADirectory(root.to_path_buf()));
    }
    let mut report = IndexReport::default();
    let mut state = State::load(index.dir())?;
    let mut cache = VectorCache::load(index.dir(), embedder.info());
    let pipeline_version = crate::pipeline_version(opts);
    let same_pipeline = state.pipeline == pipeline_version;

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
    let mut jobs = Vec::new();
    for (doc_id, files) in &mut by_doc {
        // The path already indexed stays the document's path while it exists,
        // so adding a copy does not re-index the original.
        if let Some(i) = state
            .documents
            .get(doc_id)
            .and_then(|known| files.iter().position(|f| f.rel == known.path))
        {
            files.swap(0, i);
        }
        let primary = files[0];
        for dup in &files[1..] {
            report
                .duplicates
                .push((dup.rel.clone(), primary.rel.clone()));
        }
        let unchanged = state.documents.get(doc_id).is_some_and(|known| {
            same_pipeline && known.path == primary.rel && known.meta_hash == primary.meta_hash
        });
        if unchanged {
            report.unchanged += 1;
        } else {
            jobs.push(Job {
                doc_id: doc_id.clone(),
                file: primary,
            });
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
        if let Some(entry) = state.documents.remove(doc_id) {
            writer.delete_document(doc_id)?;
            for child in &entry.children {
                writer.delete_document(child)?;
            }
            if present.contains(entry.path.as_str()) {
                report.updated += 1;
            } else {
                report.removed += 1;
            }
        }
    }

    let prepare = |job: &Job<'_>| prepare_file(job, embedder, opts);
    let mut done = Vec::new();
    pipeline::run(
        &jobs,
        &prepare,
        Sinks {
            embedder,
            writer: &mut writer,
            cache: &mut cache,
            opts,
            progress,
            times: &mut report.stages,
        },
        &mut |d| done.push(d),
    )?;

    for d in done {
        let job = &jobs[d.job];
        report.skipped.extend(d.skipped);
        let previous = state.documents.remove(&job.doc_id);
        let old_children = previous.map(|p| p.children).unwrap_or_default();
        let Some(((_, _), children)) = d.docs.split_first() else {
            // A file that failed extraction this time must not keep stale content.
            writer.delete_document(&job.doc_id)?;
            for child in &old_children {
                writer.delete_document(child)?;
            }
            continue;
        };
        let children: Vec<String> = children.iter().map(|(id, _)| id.clone()).collect();
        for child in old_children.iter().filter(|c| !children.contains(c)) {
            writer.delete_document(child)?;
        }
        report.indexed += d.docs.len();
        report.chunks += d.docs.iter().map(|(_, n)| n).sum::<usize>();
        state.documents.insert(
            job.doc_id.clone(),
            DocEntry {
                path: job.file.rel.clone(),
                meta_hash: job.file.meta_hash.clone(),
                children,
            },
        );
    }
    let t = Instant::now();
    writer.commit()?;
    report.stages.write_s += t.elapsed().as_secs_f64();

    state.pipeline = pipeline_version;
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
    let live = state.live_ids();
    cache.save(index.dir(), |id| live.contains(id));

    let stats = index.stats();
    report.documents_total = stats.documents;
    report.chunks_total = stats.chunks;
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
            meta_hash: String::new(),
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

/// Reads, extracts and chunks one file (runs on the extraction thread).
fn prepare_file(job: &Job<'_>, embedder: &dyn Embedder, opts: &IndexOptions) -> Output {
    let f = job.file;
    let mut out = Output {
        label: f.rel.clone(),
        ..Output::default()
    };
    let result = (|| -> std::result::Result<_, String> {
        let kind = DocKind::detect(&f.path).ok_or("unsupported file type")?;
        let bytes = std::fs::read(&f.path).map_err(|e| format!("cannot read: {e}"))?;
        let doc = extract::extract(kind, &f.path, &bytes).map_err(|e| e.to_string())?;
        let meta = DocumentMeta {
            kind: kind.name().to_owned(),
            size: f.entry.size,
            sha256: f.entry.sha256.clone(),
            modified: i64::try_from(f.entry.mtime_ns / 1_000_000_000).ok(),
            ..DocumentMeta::default()
        };
        pipeline::prepare_document(
            job.doc_id.clone(),
            f.rel.clone(),
            &doc,
            meta,
            embedder,
            opts,
        )
    })();
    match result {
        Ok(p) => out.docs.push(p),
        Err(reason) => out.skipped.push(Skipped {
            path: f.rel.clone(),
            reason,
        }),
    }
    out
}
