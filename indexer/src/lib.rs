//! Files → documents → chunks → both indexes.
//!
//! [`index_directory`] walks a folder, extracts text from each supported file,
//! chunks it with the embedder's tokenizer, embeds the chunks in batches and
//! writes documents to a [`trawl_search::Index`]. [`index_jsonl`] does the
//! same for a BEIR-style `corpus.jsonl`, one document per record, and
//! [`index_path`] picks between them. Runs are incremental: a file or record
//! whose content (and metadata) is unchanged is not re-read, re-embedded or
//! re-written, things that disappeared are removed from the index, and chunk
//! vectors are cached by text so a rename does not call the model again.
//! [`index_files`] and [`delete_document`] are the server's uploads and
//! deletes, kept in step with folder runs through the same state file.

mod cache;
mod chunk;
mod error;
mod extract;
mod folder;
mod jsonl;
mod managed;
mod meta;
mod neardup;
mod pipeline;
mod session;
mod state;

pub use crate::{
    chunk::ChunkOptions,
    error::{Error, Result},
    extract::{
        DocKind, ExtractError,
        ocr::{OcrMode, OcrOptions},
        parse_iso_date as parse_date,
    },
    folder::file_doc_id,
    neardup::{NEAR_DUPS_FILE, NearDupGroup, NearDupMember, NearDups},
};

/// The metadata key under which the pages whose text came from OCR are
/// recorded, comma-separated and 1-based (`"1,3"`).
pub const OCR_PAGES_KEY: &str = "ocr_pages";

/// Whether page `page` of a document with metadata `extra` was read by OCR
/// (a scanned PDF page without a text layer, an image, a TIFF page).
pub fn is_ocr_page(extra: &std::collections::BTreeMap<String, String>, page: u32) -> bool {
    extra.get(OCR_PAGES_KEY).is_some_and(|pages| {
        pages
            .split(',')
            .any(|p| p.trim().parse::<u32>() == Ok(page))
    })
}

/// Joins a child document's path to its container's: an attachment or a mailbox's message is
/// `mail/x.mbox › message-1.eml`.
pub const CHILD_PATH_SEPARATOR: &str = extract::SECTION_SEPARATOR;

/// The folder whose files the index at `index_dir` was built from (the
/// files' paths are relative to it), when a folder was indexed.
pub fn source_root(index_dir: &Path) -> Result<Option<std::path::PathBuf>> {
    state::State::source_root(index_dir)
}

use std::{path::Path, time::Duration};

use serde::Serialize;
use trawl_embedder::Embedder;
use trawl_search::Index;

pub use crate::{
    folder::index_directory,
    jsonl::index_jsonl,
    managed::{
        Deleted, FileOutcome, FilesReport, NewFile, UploadMeta, delete_document, index_files,
        indexed_root,
    },
};

/// The text the embedder sees for a chunk: the document's title and the
/// chunk's heading path give a passage the context its words lack. A
/// message's ID lines ("Message-ID: <vd-2@example.com>", its In-Reply-To and
/// References) are left out: they are looked up by their words, and an ID
/// says nothing of what the message is about.
pub fn embed_text(title: &str, section: Option<&str>, text: &str) -> String {
    let text = extract::without_message_ids(text);
    match section {
        Some(s) => format!("{title} — {s}\n{text}"),
        None => format!("{title}\n{text}"),
    }
}

/// Options of an indexing run.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Chunk sizes.
    pub chunking: ChunkOptions,
    /// Files larger than this are skipped with a reason.
    pub max_file_bytes: u64,
    /// Most bytes unpacked from one archive-based file (DOCX) or one
    /// attachment; guards against zip bombs.
    pub max_unpacked_bytes: u64,
    /// Most bytes of text extracted from one file, its attachments and
    /// messages included: a file whose own text is longer is skipped with a
    /// reason; an attachment or mailbox message that would go over it is
    /// skipped (listed with its path) while the rest of the file is indexed.
    pub max_text_bytes: u64,
    /// Chunks embedded per model call (across documents).
    pub embed_batch: usize,
    /// Extraction of one file that takes longer than this is abandoned and the
    /// file skipped (its worker thread is left to finish on its own).
    pub extract_timeout: Duration,
    /// Only files whose path (relative to the folder) this accepts become documents: a
    /// worker's share of a folder indexed by several machines. `None` takes every file.
    pub share: Option<PathShare>,
    /// OCR of scanned PDF pages and images.
    pub ocr: OcrOptions,
    /// Let a folder run make the index mirror another folder than the one it was built from
    /// (the documents only that folder holds are removed). Off, such a run is refused with
    /// [`Error::OtherFolder`]: an index mirrors one folder, so a mistyped `--index` would
    /// otherwise delete every document of the folder it was built from.
    pub replace_folder: bool,
}

/// A predicate over relative paths choosing a worker's share of a folder.
#[derive(Clone)]
pub struct PathShare(pub std::sync::Arc<dyn Fn(&str) -> bool + Send + Sync>);

impl std::fmt::Debug for PathShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PathShare(..)")
    }
}

impl Default for IndexOptions {
    fn default() -> Self {
        Self {
            chunking: ChunkOptions::default(),
            max_file_bytes: 64 * 1024 * 1024,
            max_unpacked_bytes: 32 * 1024 * 1024,
            max_text_bytes: 32 * 1024 * 1024,
            embed_batch: 64,
            extract_timeout: Duration::from_secs(60),
            share: None,
            ocr: OcrOptions::default(),
            replace_folder: false,
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

/// Seconds spent in each stage (extraction, embedding and writing run at the
/// same time, so these overlap; the commit runs alone at the end).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct StageTimes {
    /// Scanning and hashing files.
    pub scan_s: f64,
    /// Reading, extracting and chunking.
    pub extract_s: f64,
    /// Embedding chunks.
    pub embed_s: f64,
    /// Writing documents to both indexes.
    pub write_s: f64,
    /// The final commit: building the vector graph, flushing tantivy, syncing.
    pub commit_s: f64,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexReport {
    /// Files found under the directory (records, for a JSONL corpus).
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
    /// Files (or attachments, or JSONL lines) not indexed, with reasons.
    pub skipped: Vec<Skipped>,
    /// Documents in the index after the run.
    pub documents_total: u64,
    /// Chunks in the index after the run.
    pub chunks_total: u64,
    /// Wall-clock seconds.
    pub elapsed_s: f64,
    /// Where the time went.
    pub stages: StageTimes,
    /// Pages read by OCR (scanned PDF pages, images, TIFF pages).
    pub ocr_pages: usize,
    /// Seconds spent on OCR (part of `stages.extract_s`).
    pub ocr_s: f64,
}

/// Indexes `path`: a folder with [`index_directory`], a `.jsonl` file with
/// [`index_jsonl`].
pub fn index_path(
    path: &Path,
    index: &Index,
    embedder: &dyn Embedder,
    opts: &IndexOptions,
    progress: &dyn Progress,
) -> Result<IndexReport> {
    if is_jsonl(path) {
        index_jsonl(path, index, embedder, opts, progress)
    } else {
        index_directory(path, index, embedder, opts, progress)
    }
}

fn is_jsonl(path: &Path) -> bool {
    path.is_file()
        && path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("jsonl"))
}

/// Identifies the extraction and chunking a document was built with: when it
/// changes, documents are prepared again (the vector cache keeps unchanged
/// passages from being re-embedded). The OCR mode and languages are part of
/// it, so turning OCR on reads the scanned pages of PDFs already indexed
/// without them; time budgets are not, as they change no page that finishes.
fn pipeline_version(opts: &IndexOptions) -> String {
    let ocr = match opts.ocr.mode {
        OcrMode::Off => "off".to_owned(),
        OcrMode::Auto => format!("auto-{}", opts.ocr.languages),
        OcrMode::Force => format!("force-{}", opts.ocr.languages),
    };
    format!(
        "extract-{}/chunk-{}-{}/ocr-{ocr}",
        extract::VERSION,
        opts.chunking.target_tokens,
        opts.chunking.overlap_tokens
    )
}

/// Fills in the index totals and the elapsed time, and logs the run.
fn finish(report: &mut IndexReport, index: &Index, started: std::time::Instant) {
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
}
