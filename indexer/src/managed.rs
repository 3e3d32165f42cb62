//! Changes made through the server rather than by a folder run: indexing
//! uploaded files and deleting documents.
//!
//! Both take the index's writer lock before reading `indexer-state.json`
//! and save it after their commit, as folder and JSONL runs do, so a CLI run
//! and the server never overwrite each other's view. Uploads are recorded
//! apart from folder files (a folder run does not remove them) and deleted
//! ids are remembered, so a later run does not index that content again.

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use trawl_embedder::Embedder;
use trawl_search::Index;

use crate::{
    Error, IndexOptions, IndexReport, NoProgress, Result,
    folder::{self, Found, Job},
    meta::UserMeta,
    session::Session,
    state::{DocEntry, FileEntry, State},
};

/// Metadata applied to every file of an upload, like a sidecar's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UploadMeta {
    /// Access groups; empty makes the documents visible to everyone.
    pub groups: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custodian.
    pub custodian: Option<String>,
    /// Document date, `YYYY-MM-DD` or RFC 3339.
    pub date: Option<String>,
}

impl UploadMeta {
    /// Checks names and the date the way sidecars are checked.
    pub fn validate(&self) -> Result<()> {
        self.to_user().map(drop)
    }

    fn to_user(&self) -> Result<UserMeta> {
        #[derive(Serialize)]
        struct Raw<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            groups: Option<&'a [String]>,
            #[serde(skip_serializing_if = "Option::is_none")]
            tags: Option<&'a [String]>,
            #[serde(skip_serializing_if = "Option::is_none")]
            custodian: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            date: Option<&'a str>,
        }
        let raw = Raw {
            groups: (!self.groups.is_empty()).then_some(&self.groups[..]),
            tags: (!self.tags.is_empty()).then_some(&self.tags[..]),
            custodian: self.custodian.as_deref(),
            date: self.date.as_deref(),
        };
        let json = serde_json::to_vec(&raw).expect("metadata serializes");
        UserMeta::parse(&json).map_err(Error::InvalidMetadata)
    }
}

/// A file to index that is already on disk (saved by the server).
#[derive(Debug, Clone)]
pub struct NewFile {
    /// Where it is.
    pub path: PathBuf,
    /// Path the document shows (and the server resolves for downloads).
    pub display_path: String,
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum FileOutcome {
    /// Indexed as `doc_id` (with `attachments` child documents).
    Indexed {
        /// Path shown for it.
        path: String,
        /// Its document id.
        doc_id: String,
        /// Attachments indexed as their own documents.
        attachments: usize,
    },
    /// Its content is already in the index.
    Duplicate {
        /// Path shown for it.
        path: String,
        /// The document that has the same content.
        doc_id: String,
        /// That document's path.
        existing_path: String,
    },
    /// Not indexed.
    Skipped {
        /// Path shown for it.
        path: String,
        /// Why.
        reason: String,
    },
}

/// What [`index_files`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FilesReport {
    /// One entry per file, in input order.
    pub files: Vec<FileOutcome>,
    /// Totals of the run (as for a folder).
    pub report: IndexReport,
}

/// Indexes `files` (already saved where the server keeps uploads) with
/// `meta`. Content already in the index is reported as a duplicate.
pub fn index_files(
    files: &[NewFile],
    meta: &UploadMeta,
    index: &Index,
    embedder: &dyn Embedder,
    opts: &IndexOptions,
) -> Result<FilesReport> {
    let started = Instant::now();
    let user = meta.to_user()?;
    let mut session = Session::begin(index, embedder, opts)?;
    let mut out = FilesReport::default();
    out.report.files_seen = files.len();

    // Outcome slot per input file; `None` until the pipeline fills it.
    let mut outcomes: Vec<Option<FileOutcome>> = vec![None; files.len()];
    let found = screen(files, &user, &session, opts, &mut outcomes, &mut out.report);
    let jobs: Vec<Job<'_>> = found
        .iter()
        .map(|(_, f)| Job {
            doc_id: folder::doc_id_of(&f.entry.sha256),
            file: f,
        })
        .collect();
    let prepare = |job: &Job<'_>| folder::prepare_file(job, embedder, opts);
    let done = session.run(&jobs, &prepare, &NoProgress, &mut out.report.stages)?;
    for d in done {
        let slot = found[d.job].0;
        outcomes[slot] = Some(record_upload(
            &mut session,
            &jobs[d.job],
            d,
            &mut out.report,
        ));
    }
    session.commit(&mut out.report.stages)?;
    out.files = outcomes
        .into_iter()
        .zip(files)
        .map(|(o, f)| {
            o.unwrap_or_else(|| FileOutcome::Skipped {
                path: f.display_path.clone(),
                reason: "not processed".to_owned(),
            })
        })
        .collect();
    crate::finish(&mut out.report, index, started);
    Ok(out)
}

/// The files to index, with their input position: each one read and hashed; those too large,
/// unreadable, or whose content the index (or an earlier file of this call) already holds get
/// their outcome now.
fn screen(
    files: &[NewFile],
    user: &UserMeta,
    session: &Session<'_>,
    opts: &IndexOptions,
    outcomes: &mut [Option<FileOutcome>],
    report: &mut IndexReport,
) -> Vec<(usize, Found)> {
    let meta_hash = user.hash();
    let mut found: Vec<(usize, Found)> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let (sha256, size, mtime_ns) = match read_upload(f, opts) {
            Ok(read) => read,
            Err(reason) => {
                outcomes[i] = Some(FileOutcome::Skipped {
                    path: f.display_path.clone(),
                    reason,
                });
                continue;
            }
        };
        let doc_id = folder::doc_id_of(&sha256);
        let existing = session
            .state
            .documents
            .get(&doc_id)
            .or_else(|| session.state.uploads.get(&doc_id))
            .map(|d| d.path.clone())
            .or_else(|| {
                found
                    .iter()
                    .find(|(_, g)| g.entry.sha256 == sha256)
                    .map(|(_, g)| g.rel.clone())
            });
        if let Some(existing_path) = existing {
            report
                .duplicates
                .push((f.display_path.clone(), existing_path.clone()));
            outcomes[i] = Some(FileOutcome::Duplicate {
                path: f.display_path.clone(),
                doc_id,
                existing_path,
            });
            continue;
        }
        found.push((
            i,
            Found {
                rel: f.display_path.clone(),
                path: f.path.clone(),
                entry: FileEntry {
                    sha256,
                    size,
                    mtime_ns,
                    doc_id: None,
                },
                user: user.clone(),
                meta_hash: meta_hash.clone(),
            },
        ));
    }
    found
}

/// An uploaded file's sha256 (hex), size and modification time (ns), or why it is skipped.
fn read_upload(
    f: &NewFile,
    opts: &IndexOptions,
) -> std::result::Result<(String, u64, u128), String> {
    let metadata = std::fs::metadata(&f.path).ok();
    let mtime_ns = metadata
        .as_ref()
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    if let Some(m) = metadata.filter(|m| m.len() > opts.max_file_bytes) {
        return Err(format!(
            "too large: {} bytes (limit {} bytes)",
            m.len(),
            opts.max_file_bytes
        ));
    }
    let bytes = std::fs::read(&f.path).map_err(|e| format!("cannot read: {e}"))?;
    Ok((
        hex::encode(Sha256::digest(&bytes)),
        bytes.len() as u64,
        mtime_ns,
    ))
}

/// Records what the pipeline did with one upload in the state and the report; its outcome.
fn record_upload(
    session: &mut Session<'_>,
    job: &Job<'_>,
    d: crate::pipeline::Done,
    report: &mut IndexReport,
) -> FileOutcome {
    report.skipped.extend(d.skipped.iter().cloned());
    report.ocr_pages += d.ocr.pages;
    report.ocr_s += d.ocr.time.as_secs_f64();
    let Some(((_, _), children)) = d.docs.split_first() else {
        let reason = d
            .skipped
            .first()
            .map_or_else(|| "no text".to_owned(), |s| s.reason.clone());
        return FileOutcome::Skipped {
            path: job.file.rel.clone(),
            reason,
        };
    };
    let children: Vec<String> = children.iter().map(|(id, _)| id.clone()).collect();
    report.indexed += d.docs.len();
    report.chunks += d.docs.iter().map(|(_, n)| n).sum::<usize>();
    session.state.deleted.remove(&job.doc_id);
    session.state.uploads.insert(
        job.doc_id.clone(),
        DocEntry {
            path: job.file.rel.clone(),
            meta_hash: job.file.meta_hash.clone(),
            children: children.clone(),
        },
    );
    FileOutcome::Indexed {
        path: job.file.rel.clone(),
        doc_id: job.doc_id.clone(),
        attachments: children.len(),
    }
}

/// What [`delete_document`] removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deleted {
    /// The document and its attachments.
    pub doc_ids: Vec<String>,
    /// For an uploaded document, the path it showed (its file may now be removed).
    pub upload_path: Option<String>,
}

/// Deletes `doc_id` (and its attachments) from both arms in one commit.
/// Returns `None` when the index has no such document. A document that came
/// from a folder or JSONL run is remembered as deleted, so the next run does
/// not index the same content again.
pub fn delete_document(index: &Index, doc_id: &str) -> Result<Option<Deleted>> {
    let mut writer = index.writer()?;
    let mut state = State::load(index.dir())?;
    let mut ids = vec![doc_id.to_owned()];
    let mut upload_path = None;
    if let Some(entry) = state.uploads.remove(doc_id) {
        upload_path = Some(entry.path);
        ids.extend(entry.children);
    } else {
        if let Some(entry) = state.documents.remove(doc_id) {
            ids.extend(entry.children);
        }
        for d in state
            .documents
            .values_mut()
            .chain(state.uploads.values_mut())
        {
            d.children.retain(|c| c != doc_id);
        }
        state.deleted.insert(doc_id.to_owned());
    }
    let mut any = false;
    for id in &ids {
        any |= writer.delete_document(id)?;
    }
    if !any {
        return Ok(None);
    }
    writer.commit()?;
    for f in state.files.values_mut() {
        if f.doc_id.as_deref() == Some(doc_id) {
            f.doc_id = None;
        }
    }
    state.save(index.dir())?;
    Ok(Some(Deleted {
        doc_ids: ids,
        upload_path,
    }))
}

/// The folder the last folder run indexed into `index_dir` (document paths
/// are relative to it), if any.
pub fn indexed_root(index_dir: &Path) -> Option<PathBuf> {
    State::load(index_dir).ok()?.root.map(PathBuf::from)
}
