//! Indexing a folder: walking it, deciding what changed, preparing each
//! changed file (with its attachments) and keeping the indexer state in step
//! with the index.
//!
//! A document's id is the first 16 hex digits of its file's sha256, so
//! identical files are one document (the others are reported as duplicates)
//! and a rename keeps the id.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    path::{Path, PathBuf},
    time::Instant,
};

use sha2::{Digest, Sha256};
use trawl_embedder::Embedder;
use trawl_search::{DocumentMeta, Index};

use crate::{
    DocKind, Error, IndexOptions, IndexReport, Progress, Result, Skipped,
    extract::{self, Limits, Node, SECTION_SEPARATOR},
    meta::{RULE_FILES, SIDECAR_SUFFIX, UserMeta},
    pipeline::{self, Output},
    session::Session,
    state::{DocEntry, FileEntry, State},
};

/// A file found by the scan.
pub(crate) struct Found {
    pub(crate) rel: String,
    pub(crate) path: PathBuf,
    pub(crate) entry: FileEntry,
    /// User metadata (folder rules and sidecar) that applies to it.
    pub(crate) user: UserMeta,
    /// Its hash; empty when no user metadata applies.
    pub(crate) meta_hash: String,
}

/// Folder rules by folder (relative to the root): each rule file's path and
/// its metadata or why it is invalid.
type Rules = HashMap<PathBuf, Vec<(String, std::result::Result<UserMeta, String>)>>;

/// A document to (re)index: its id and the file that shows it.
pub(crate) struct Job<'a> {
    pub(crate) doc_id: String,
    pub(crate) file: &'a Found,
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
    let mut session = Session::begin(index, embedder, opts)?;
    let given = std::fs::canonicalize(root)
        .ok()
        .map(|p| p.to_string_lossy().into_owned());
    if let (Some(indexed), Some(given)) = (&session.state.root, &given)
        && indexed != given
        && !session.state.files.is_empty()
        && !opts.replace_folder
    {
        return Err(Error::OtherFolder {
            indexed: indexed.into(),
            given: given.into(),
            files: session.state.files.len(),
        });
    }
    session.state.root = given;
    let pipeline_version = crate::pipeline_version(opts);
    let same_pipeline = session.state.pipeline == pipeline_version;

    let scan_started = Instant::now();
    let mut found = scan(root, &session.state, opts, &mut report)?;
    if let Some(share) = &opts.share {
        // Another worker's files are not this run's: neither indexed nor counted as removed.
        found.retain(|f| (share.0)(&f.rel));
    }
    report.files_seen = found.len() + report.skipped.len();
    let (jobs, gone) = plan(&session, &found, same_pipeline, &mut report);
    report.stages.scan_s = scan_started.elapsed().as_secs_f64();

    let present: BTreeSet<&str> = found.iter().map(|f| f.rel.as_str()).collect();
    remove_gone(&mut session, &gone, &present, &mut report)?;

    let prepare = |job: &Job<'_>| prepare_file(job, embedder, opts);
    let done = session.run(&jobs, &prepare, progress, &mut report.stages)?;
    for d in done {
        record_done(&mut session, &jobs[d.job], d, &mut report)?;
    }
    session.state.pipeline = pipeline_version;
    session.state.root = std::fs::canonicalize(root)
        .ok()
        .map(|p| p.to_string_lossy().into_owned());
    session.state.files = found
        .into_iter()
        .map(|f| {
            let mut entry = f.entry;
            let id = doc_id_of(&entry.sha256);
            entry.doc_id = session.state.documents.contains_key(&id).then_some(id);
            (f.rel, entry)
        })
        .collect();
    session.commit(&mut report.stages)?;

    crate::finish(&mut report, index, started);
    Ok(report)
}

/// Groups the files found by content (one document per distinct content) and decides which
/// documents to (re)index; returns those jobs and the ids of indexed documents no file shows
/// any more.
fn plan<'f>(
    session: &Session<'_>,
    found: &'f [Found],
    same_pipeline: bool,
    report: &mut IndexReport,
) -> (Vec<Job<'f>>, Vec<String>) {
    let mut by_doc: BTreeMap<String, Vec<&Found>> = BTreeMap::new();
    for f in found {
        by_doc
            .entry(doc_id_of(&f.entry.sha256))
            .or_default()
            .push(f);
    }
    let mut jobs = Vec::new();
    for (doc_id, files) in &mut by_doc {
        // The path already indexed stays the document's path while it exists,
        // so adding a copy does not re-index the original.
        if let Some(i) = session
            .state
            .documents
            .get(doc_id)
            .and_then(|known| files.iter().position(|f| f.rel == known.path))
        {
            files.swap(0, i);
        }
        let primary = files[0];
        if let Some(upload) = session.state.uploads.get(doc_id) {
            // Already in the index as an upload: that copy stays the document.
            for f in files.iter() {
                report.duplicates.push((f.rel.clone(), upload.path.clone()));
            }
            continue;
        }
        if session.state.deleted.contains(doc_id) {
            for f in files.iter() {
                report.skipped.push(Skipped {
                    path: f.rel.clone(),
                    reason: "deleted through the API; it is indexed again when its content changes"
                        .to_owned(),
                });
            }
            continue;
        }
        for dup in &files[1..] {
            report
                .duplicates
                .push((dup.rel.clone(), primary.rel.clone()));
        }
        // A document without a near-duplicate signature (indexed by an older
        // trawl) is prepared again; its vectors come from the cache.
        let unchanged = session.has_signature(doc_id)
            && session.state.documents.get(doc_id).is_some_and(|known| {
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
    let gone = session
        .state
        .documents
        .keys()
        .filter(|id| !by_doc.contains_key(*id))
        .cloned()
        .collect();
    (jobs, gone)
}

/// Deletes the documents no file shows any more (with their attachments): updated when
/// their path is still there with other content, removed otherwise.
fn remove_gone(
    session: &mut Session<'_>,
    gone: &[String],
    present: &BTreeSet<&str>,
    report: &mut IndexReport,
) -> Result<()> {
    for doc_id in gone {
        if let Some(entry) = session.state.documents.remove(doc_id) {
            session.writer.delete_document(doc_id)?;
            for child in &entry.children {
                session.writer.delete_document(child)?;
            }
            if present.contains(entry.path.as_str()) {
                report.updated += 1;
            } else {
                report.removed += 1;
            }
        }
    }
    Ok(())
}

/// Records what the pipeline did with one job in the state and the report; attachments the
/// file no longer has (or all of them, when it failed extraction) are deleted.
fn record_done(
    session: &mut Session<'_>,
    job: &Job<'_>,
    d: pipeline::Done,
    report: &mut IndexReport,
) -> Result<()> {
    report.skipped.extend(d.skipped);
    report.ocr_pages += d.ocr.pages;
    report.ocr_s += d.ocr.time.as_secs_f64();
    let previous = session.state.documents.remove(&job.doc_id);
    let old_children = previous.map(|p| p.children).unwrap_or_default();
    let Some(((_, _), children)) = d.docs.split_first() else {
        // A file that failed extraction this time must not keep stale content.
        session.writer.delete_document(&job.doc_id)?;
        for child in &old_children {
            session.writer.delete_document(child)?;
        }
        return Ok(());
    };
    let children: Vec<String> = children.iter().map(|(id, _)| id.clone()).collect();
    for child in old_children.iter().filter(|c| !children.contains(c)) {
        session.writer.delete_document(child)?;
    }
    report.indexed += d.docs.len();
    report.chunks += d.docs.iter().map(|(_, n)| n).sum::<usize>();
    session.state.documents.insert(
        job.doc_id.clone(),
        DocEntry {
            path: job.file.rel.clone(),
            meta_hash: job.file.meta_hash.clone(),
            children,
        },
    );
    Ok(())
}

pub(crate) fn doc_id_of(sha256: &str) -> String {
    sha256[..16].to_owned()
}

/// The id a file's content gets in an index: identical files are one document, indexed under
/// the first path found, and this id finds it from any of their paths.
pub fn file_doc_id(path: &Path) -> std::io::Result<String> {
    Ok(doc_id_of(&hex::encode(Sha256::digest(std::fs::read(
        path,
    )?))))
}

/// Walks `root`: reads folder rules and sidecars, decides which files an
/// extractor may read, and hashes files whose size or mtime changed since
/// the last run.
fn scan(
    root: &Path,
    state: &State,
    opts: &IndexOptions,
    report: &mut IndexReport,
) -> Result<Vec<Found>> {
    let files = walk(root, report);
    let all: HashSet<&str> = files.iter().map(|(rel, _)| rel.as_str()).collect();
    let rules = read_rules(&files, report);
    let mut found = Vec::new();
    for (rel, entry) in &files {
        match examine(rel, entry, root, &rules, &all, state, opts) {
            Ok(Some(f)) => found.push(f),
            Ok(None) => {}
            Err(skipped) => report.skipped.push(skipped),
        }
    }
    Ok(found)
}

/// The files under `root` (relative path and entry), by name; hidden files and folders and
/// folders holding a `.trawlignore` left out, folder rule files kept. Unreadable entries are
/// reported as skipped.
fn walk(root: &Path, report: &mut IndexReport) -> Vec<(String, walkdir::DirEntry)> {
    let mut files: Vec<(String, walkdir::DirEntry)> = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            // A folder holding a `.trawlignore` file is left out whole (e.g. an
            // evaluation set kept beside the documents it judges).
            let ignored =
                e.depth() > 0 && e.file_type().is_dir() && e.path().join(".trawlignore").exists();
            !ignored
                && (e.depth() == 0 || !name.starts_with('.') || RULE_FILES.contains(&name.as_ref()))
        });
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => files.push((relative(root, e.path()), e)),
            Ok(_) => {}
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
            }
        }
    }
    files
}

/// Folder rules by folder (relative to root), in `RULE_FILES` order; invalid ones reported.
fn read_rules(files: &[(String, walkdir::DirEntry)], report: &mut IndexReport) -> Rules {
    let mut rules: Rules = HashMap::new();
    for (rel, e) in files {
        let name = e.file_name().to_string_lossy();
        if RULE_FILES.contains(&name.as_ref()) {
            let parsed = read_meta(e.path());
            if let Err(reason) = &parsed {
                report.skipped.push(Skipped {
                    path: rel.clone(),
                    reason: format!("invalid folder metadata: {reason}"),
                });
            }
            let dir = Path::new(rel)
                .parent()
                .unwrap_or(Path::new(""))
                .to_path_buf();
            let list = rules.entry(dir).or_default();
            list.push((rel.clone(), parsed));
            list.sort_by_key(|(r, _)| {
                RULE_FILES
                    .iter()
                    .position(|n| r.ends_with(n))
                    .unwrap_or(usize::MAX)
            });
        }
    }
    rules
}

/// One walked file: a document to consider (`Some`), metadata that is no document (`None`:
/// rule files, sidecars), or a file skipped and why.
fn examine(
    rel: &str,
    entry: &walkdir::DirEntry,
    root: &Path,
    rules: &Rules,
    all: &HashSet<&str>,
    state: &State,
    opts: &IndexOptions,
) -> std::result::Result<Option<Found>, Skipped> {
    let skip = |reason: String| Skipped {
        path: rel.to_owned(),
        reason,
    };
    let path = entry.path();
    let name = entry.file_name().to_string_lossy();
    if RULE_FILES.contains(&name.as_ref()) {
        return Ok(None);
    }
    if let Some(target) = rel.strip_suffix(SIDECAR_SUFFIX) {
        // Sidecars are metadata, never documents.
        if !all.contains(target) {
            return Err(skip(format!(
                "metadata sidecar for a missing file {target}"
            )));
        }
        return Ok(None);
    }
    if !may_extract(path) {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        return Err(skip(if ext.is_empty() {
            "unsupported file type (no extension)".to_owned()
        } else {
            format!("unsupported file type .{ext}")
        }));
    }
    let has_sidecar = all.contains(format!("{rel}{SIDECAR_SUFFIX}").as_str());
    let user = user_meta(rel, root, rules, has_sidecar).map_err(skip)?;
    let meta = entry
        .metadata()
        .map_err(|e| skip(format!("cannot read metadata: {e}")))?;
    let size = meta.len();
    if size > opts.max_file_bytes {
        return Err(skip(format!(
            "too large: {size} bytes (limit {} bytes)",
            opts.max_file_bytes
        )));
    }
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let sha256 = match state.files.get(rel) {
        Some(prev) if prev.size == size && prev.mtime_ns == mtime_ns && mtime_ns != 0 => {
            prev.sha256.clone()
        }
        _ => match std::fs::read(path) {
            Ok(bytes) => hex::encode(Sha256::digest(&bytes)),
            Err(e) => return Err(skip(format!("cannot read: {e}"))),
        },
    };
    Ok(Some(Found {
        rel: rel.to_owned(),
        path: path.to_path_buf(),
        entry: FileEntry {
            sha256,
            size,
            mtime_ns,
            doc_id: None,
        },
        meta_hash: user.hash(),
        user,
    }))
}

/// Whether an extractor may read the file: its extension says so, or (for
/// an unknown or missing extension) its first bytes show a format we read
/// that is not plain text.
fn may_extract(path: &Path) -> bool {
    if DocKind::detect(path).is_some() {
        return true;
    }
    let mut head = [0u8; 4096];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    matches!(
        DocKind::sniff(&head[..n], None),
        // A zip under another name is a .jar, .epub or .apk, not a folder of documents.
        Ok(k) if !matches!(k, DocKind::Text | DocKind::Markdown | DocKind::Zip)
    )
}

fn read_meta(path: &Path) -> std::result::Result<UserMeta, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    UserMeta::parse(&bytes)
}

/// The user metadata of the file at `rel`: folder rules from the root down,
/// then its sidecar.
fn user_meta(
    rel: &str,
    root: &Path,
    rules: &Rules,
    has_sidecar: bool,
) -> std::result::Result<UserMeta, String> {
    let mut meta = UserMeta::default();
    let parent = Path::new(rel).parent().unwrap_or(Path::new(""));
    let mut dirs: Vec<&Path> = parent.ancestors().collect();
    dirs.reverse();
    for dir in dirs {
        for (rule, parsed) in rules.get(dir).into_iter().flatten() {
            match parsed {
                Ok(m) => meta = meta.overridden_by(m),
                Err(_) => return Err(format!("folder metadata rule {rule} is invalid")),
            }
        }
    }
    if has_sidecar {
        let name = format!("{rel}{SIDECAR_SUFFIX}");
        let sidecar = read_meta(&root.join(&name))
            .map_err(|e| format!("invalid metadata sidecar {name}: {e}"))?;
        meta = meta.overridden_by(&sidecar);
    }
    Ok(meta)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// Reads, extracts and chunks one file and what it contains (runs on the
/// extraction thread; the extraction itself on a worker with a time budget).
pub(crate) fn prepare_file(job: &Job<'_>, embedder: &dyn Embedder, opts: &IndexOptions) -> Output {
    let f = job.file;
    let mut out = Output {
        label: f.rel.clone(),
        ..Output::default()
    };
    let bytes = match std::fs::read(&f.path) {
        Ok(b) => b,
        Err(e) => {
            out.skipped.push(Skipped {
                path: f.rel.clone(),
                reason: format!("cannot read: {e}"),
            });
            return out;
        }
    };
    let name = f
        .path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let limits = Limits {
        max_unpacked: opts.max_unpacked_bytes,
        max_text: opts.max_text_bytes,
        ocr: opts.ocr.clone(),
        allowance: None,
    };
    let tree = match extract::extract_tree(
        name,
        bytes,
        f.entry.sha256.clone(),
        limits,
        opts.extract_timeout,
    ) {
        Ok(t) => t,
        Err(e) => {
            out.skipped.push(Skipped {
                path: f.rel.clone(),
                reason: e.to_string(),
            });
            return out;
        }
    };
    let inner_path = |names: &[String]| {
        std::iter::once(f.rel.as_str())
            .chain(names.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(SECTION_SEPARATOR)
    };
    for node in &tree.nodes {
        out.ocr.pages += node.doc.ocr_pages.len();
        out.ocr.time += node.doc.ocr_time;
    }
    let mut ids: Vec<String> = Vec::with_capacity(tree.nodes.len());
    for (i, node) in tree.nodes.iter().enumerate() {
        let parent_id = node.parent.map(|p| ids[p].clone());
        let doc_id = match &parent_id {
            None => job.doc_id.clone(),
            // Tied to the parent: the same attachment in two e-mails is two documents.
            Some(parent) => doc_id_of(&hex::encode(Sha256::digest(
                format!("{parent}/{i}/{}", node.sha256).as_bytes(),
            ))),
        };
        ids.push(doc_id.clone());
        let path = inner_path(&node.names);
        let meta = document_meta(node, &f.user, parent_id, f.entry.mtime_ns);
        match pipeline::prepare_document(doc_id, path.clone(), &node.doc, meta, embedder, opts) {
            Ok(p) => out.docs.push(p),
            Err(reason) => {
                out.skipped.push(Skipped { path, reason });
                if node.parent.is_none() {
                    return out;
                }
            }
        }
    }
    for (names, e) in tree.failed {
        out.skipped.push(Skipped {
            path: inner_path(&names),
            reason: e.to_string(),
        });
    }
    out
}

/// What the index stores about one extracted document: the format's own
/// metadata, overridden by the user's.
fn document_meta(
    node: &Node,
    user: &UserMeta,
    parent_id: Option<String>,
    mtime_ns: u128,
) -> DocumentMeta {
    let format = &node.doc.meta;
    let mut extra = format.extra.clone();
    extra.extend(user.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    DocumentMeta {
        kind: node.kind.name().to_owned(),
        tags: user.tags.clone().unwrap_or_default(),
        groups: user.groups.clone().unwrap_or_default(),
        custodian: user.custodian.clone(),
        author: user.author.clone().or_else(|| format.author.clone()),
        date: user.date.or(format.date),
        modified: i64::try_from(mtime_ns / 1_000_000_000).ok(),
        size: node.size,
        sha256: node.sha256.clone(),
        parent_id,
        extra,
    }
}
