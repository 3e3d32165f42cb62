//! Defensible export (`trawl export`) and its check (`trawl export verify`).
//!
//! An export folder holds, per document, a Bates-style number
//! (`PREFIX000001`, in path order, so attachments follow their container),
//! the original file under `natives/` (read from the indexed folder and
//! checked against the sha256 recorded at indexing; attachments and mailbox
//! messages have no file of their own, so their row names the container's
//! number instead), the extracted text as indexed under `text/`, two load
//! files (`loadfile.csv`, and `loadfile.dat` in Concordance's layout: fields
//! quoted with þ U+00FE, separated by DC4 U+0014 — the "¶" of Concordance —
//! and newlines inside fields written as ® U+00AE), and `manifest.json`: the
//! query, tags, principal, time, counts and the sha256 and size of every other
//! file. `trawl export verify DIR` re-hashes everything against the manifest.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use trawl_search::{Access, DocumentInfo, TagJournal, TermsRequest};

use crate::{
    args::{FilterArgs, IndexLocation},
    discovery::{filter_of, restriction},
    open::open_index,
};

const MANIFEST: &str = "manifest.json";
/// Separator between a container's path and an inner document's name.
const INNER_SEPARATOR: &str = " › ";
const DAT_QUOTE: char = '\u{00FE}';
const DAT_SEPARATOR: char = '\u{0014}';
const DAT_NEWLINE: char = '\u{00AE}';

/// `trawl export`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct ExportArgs {
    #[command(subcommand)]
    pub(crate) command: Option<ExportCommand>,
    /// Export every document this query hits (document-level, as `trawl terms` counts).
    #[arg(long)]
    pub(crate) query: Option<String>,
    /// Export documents carrying one of these review tags (with --query: both must hold).
    #[arg(long, value_delimiter = ',')]
    pub(crate) review_tag: Vec<String>,
    /// Export the messages of this e-mail thread (with --query/--review-tag: all must hold).
    #[arg(long)]
    pub(crate) thread: Option<String>,
    /// New folder to write (must not exist or be empty).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Bates number prefix.
    #[arg(long, default_value = "TRAWL")]
    pub(crate) prefix: String,
    /// First Bates number.
    #[arg(long, default_value_t = 1)]
    pub(crate) start: u64,
    /// Folder the index was built from; by default the one recorded at indexing.
    #[arg(long)]
    pub(crate) source: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) index: IndexLocation,
    #[command(flatten)]
    pub(crate) filter: FilterArgs,
}

/// `trawl export verify`.
#[derive(Debug, Subcommand)]
pub(crate) enum ExportCommand {
    /// Re-hash every file of an export against its manifest.
    Verify {
        /// The export folder.
        dir: PathBuf,
    },
}

/// `manifest.json`.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    tool: String,
    created: String,
    index: String,
    source: Option<String>,
    query: Option<String>,
    review_tags: Vec<String>,
    #[serde(default)]
    thread: Option<String>,
    filter: trawl_search::Filter,
    /// `null` for full access, else the principal's groups.
    principal_groups: Option<Vec<String>>,
    bates_prefix: String,
    counts: Counts,
    /// Every file of the export except this manifest, by relative path.
    files: BTreeMap<String, FileEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Counts {
    documents: usize,
    natives: usize,
    texts: usize,
    /// Documents whose original could not be exported (with reasons in `problems`).
    natives_missing: usize,
    problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct FileEntry {
    sha256: String,
    bytes: u64,
}

pub(crate) fn run(args: ExportArgs) -> Result<()> {
    match args.command {
        Some(ExportCommand::Verify { dir }) => verify(&dir),
        None => export(args),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes files under the export root, recording each one's hash.
struct Writer {
    root: PathBuf,
    files: BTreeMap<String, FileEntry>,
}

impl Writer {
    fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let mut f = std::fs::File::create_new(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .with_context(|| format!("writing {}", path.display()))?;
        self.files.insert(
            rel.to_owned(),
            FileEntry {
                sha256: sha256_hex(bytes),
                bytes: bytes.len() as u64,
            },
        );
        Ok(())
    }
}

fn iso(secs: Option<i64>) -> String {
    secs.and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// A file-name-safe extension for a native copy.
fn extension(path: &str) -> String {
    Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| e.len() <= 10 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(|e| format!(".{}", e.to_ascii_lowercase()))
        .unwrap_or_default()
}

/// The load files' columns, in order.
const COLUMNS: [&str; 17] = [
    "BEGBATES",
    "ENDBATES",
    "DOCID",
    "PARENT_DOCID",
    "PARENT_BATES",
    "PATH",
    "FILENAME",
    "KIND",
    "SHA256",
    "CUSTODIAN",
    "AUTHOR",
    "DATE",
    "MODIFIED",
    "TAGS",
    "REVIEW_TAGS",
    "NATIVE",
    "TEXT",
];

fn export(args: ExportArgs) -> Result<()> {
    let out = checked_out(&args)?;
    let index_dir = args.index.path();
    let index = open_index(&index_dir)?;
    let access = args.filter.access();
    let filter = filter_of(&args.filter)?;
    let source = match &args.source {
        Some(s) => Some(s.clone()),
        None => trawl_indexer::source_root(&index_dir)?,
    };
    let docs = selected(&index, &args, &filter, &access)?;
    let review = TagJournal::new(&index_dir).current()?;

    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut w = Writer {
        root: out.clone(),
        files: BTreeMap::new(),
    };
    let mut counts = Counts {
        documents: docs.len(),
        natives: 0,
        texts: 0,
        natives_missing: 0,
        problems: Vec::new(),
    };
    let bates_of: HashMap<&str, String> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                d.doc_id.as_str(),
                format!("{}{:06}", args.prefix, args.start + i as u64),
            )
        })
        .collect();
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(docs.len());
    for d in &docs {
        let bates = &bates_of[d.doc_id.as_str()];
        let native = copy_native(d, bates, source.as_deref(), &mut w, &mut counts)?;
        let text = index.document_text(&d.doc_id, &access)?.unwrap_or_default();
        let text_rel = format!("text/{bates}.txt");
        w.write(&text_rel, text.as_bytes())?;
        counts.texts += 1;
        let review_tags = review
            .get(&d.doc_id)
            .map(|t| t.iter().cloned().collect::<Vec<_>>().join(";"))
            .unwrap_or_default();
        rows.push(load_row(d, &bates_of, review_tags, native, text_rel));
    }
    write_load_files(&mut w, &rows)?;

    let manifest = Manifest {
        tool: format!("trawl {}", env!("CARGO_PKG_VERSION")),
        created: jiff::Timestamp::now().to_string(),
        index: std::fs::canonicalize(&index_dir)
            .unwrap_or_else(|_| index_dir.clone())
            .display()
            .to_string(),
        source: source.map(|s| s.display().to_string()),
        query: args.query.clone(),
        review_tags: args.review_tag.clone(),
        thread: args.thread.clone(),
        filter,
        principal_groups: match &access {
            Access::All => None,
            Access::Groups(g) => Some(g.clone()),
        },
        bates_prefix: args.prefix.clone(),
        counts,
        files: w.files,
    };
    write_manifest(&out, &manifest)
}

/// Writes the manifest (every file written, with its hash), then says what was exported and
/// what could not be.
fn write_manifest(out: &Path, manifest: &Manifest) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(manifest)?;
    let path = out.join(MANIFEST);
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    println!(
        "exported {} documents ({} natives, {} texts) to {}",
        manifest.counts.documents,
        manifest.counts.natives,
        manifest.counts.texts,
        out.display()
    );
    for p in &manifest.counts.problems {
        println!("  note: {p}");
    }
    Ok(())
}

/// The output folder, once the arguments say what to export, the Bates prefix is safe in a
/// file name and the folder is new or empty (an export never overwrites files).
fn checked_out(args: &ExportArgs) -> Result<PathBuf> {
    let Some(out) = args.out.clone() else {
        bail!("--out DIR is required (or use `trawl export verify DIR`)");
    };
    if args.query.is_none() && args.review_tag.is_empty() && args.thread.is_none() {
        bail!("say what to export: --query Q, --review-tag TAG and/or --thread ID");
    }
    if args.prefix.is_empty()
        || !args
            .prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!("--prefix must be letters, digits, - or _");
    }
    if out.exists()
        && std::fs::read_dir(&out)
            .with_context(|| format!("reading {}", out.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} exists and is not empty; an export never overwrites files",
            out.display()
        );
    }
    Ok(out)
}

/// The documents to export, in path order: those the query hits inside the review
/// restriction (review tags, thread), or the restriction itself; filtered, as `access` allows.
fn selected(
    index: &trawl_search::Index,
    args: &ExportArgs,
    filter: &trawl_search::Filter,
    access: &Access,
) -> Result<Vec<DocumentInfo>> {
    let by_tag = restriction(index, access, &args.review_tag, args.thread.as_deref())?;
    let ids: HashSet<String> = match &args.query {
        Some(q) => {
            let report = index.term_report(&TermsRequest {
                queries: vec![q.clone()],
                filter: filter.clone(),
                access: access.clone(),
                doc_ids: by_tag.clone().map(Arc::new),
            })?;
            report.terms[0].doc_ids.iter().cloned().collect()
        }
        None => by_tag.clone().unwrap_or_default(),
    };
    Ok(index.documents(filter, access, Some(&ids))?)
}

/// Copies `d`'s original file into `natives/` when it has its own file and that file still
/// has the indexed content; its path in the export, or empty (the reason in `counts`).
fn copy_native(
    d: &DocumentInfo,
    bates: &str,
    source: Option<&Path>,
    w: &mut Writer,
    counts: &mut Counts,
) -> Result<String> {
    if d.path.contains(INNER_SEPARATOR) || d.meta.parent_id.is_some() {
        // Inside another file: its container is the native.
        return Ok(String::new());
    }
    let Some(root) = source else {
        counts.natives_missing += 1;
        counts.problems.push(format!(
            "{}: the index records no source folder (pass --source)",
            d.path
        ));
        return Ok(String::new());
    };
    let file = root.join(&d.path);
    match std::fs::read(&file) {
        Ok(bytes) if sha256_hex(&bytes) == d.meta.sha256 => {
            let rel = format!("natives/{bates}{}", extension(&d.path));
            w.write(&rel, &bytes)?;
            counts.natives += 1;
            return Ok(rel);
        }
        Ok(_) => {
            counts.natives_missing += 1;
            counts.problems.push(format!(
                "{}: the file changed since it was indexed (sha256 differs); not exported",
                d.path
            ));
        }
        Err(e) => {
            counts.natives_missing += 1;
            counts.problems.push(format!("{}: {e}", file.display()));
        }
    }
    Ok(String::new())
}

/// `d`'s row of the load files, in [`COLUMNS`] order.
fn load_row(
    d: &DocumentInfo,
    bates_of: &HashMap<&str, String>,
    review_tags: String,
    native: String,
    text_rel: String,
) -> Vec<String> {
    let bates = bates_of[d.doc_id.as_str()].clone();
    let parent_bates = d
        .meta
        .parent_id
        .as_deref()
        .and_then(|p| bates_of.get(p).cloned())
        .unwrap_or_default();
    let file_name = d
        .path
        .rsplit(INNER_SEPARATOR)
        .next()
        .and_then(|p| Path::new(p).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    vec![
        bates.clone(),
        bates,
        d.doc_id.clone(),
        d.meta.parent_id.clone().unwrap_or_default(),
        parent_bates,
        d.path.clone(),
        file_name,
        d.meta.kind.clone(),
        d.meta.sha256.clone(),
        d.meta.custodian.clone().unwrap_or_default(),
        d.meta.author.clone().unwrap_or_default(),
        iso(d.meta.date),
        iso(d.meta.modified),
        d.meta.tags.join(";"),
        review_tags,
        native,
        text_rel,
    ]
}

/// `loadfile.csv` and the Concordance `loadfile.dat`, both with a header row.
fn write_load_files(w: &mut Writer, rows: &[Vec<String>]) -> Result<()> {
    let mut csv_out = csv::Writer::from_writer(Vec::new());
    csv_out.write_record(COLUMNS)?;
    for r in rows {
        csv_out.write_record(r)?;
    }
    let csv_bytes = csv_out.into_inner().context("writing the CSV load file")?;
    w.write("loadfile.csv", &csv_bytes)?;
    let dat = dat_file(&COLUMNS.map(str::to_owned), rows);
    w.write("loadfile.dat", dat.as_bytes())?;
    Ok(())
}

/// A Concordance DAT load file.
fn dat_file(header: &[String], rows: &[Vec<String>]) -> String {
    let line = |fields: &[String]| -> String {
        fields
            .iter()
            .map(|f| {
                let clean: String = f
                    .replace("\r\n", "\n")
                    .chars()
                    .map(|c| match c {
                        '\n' | '\r' => DAT_NEWLINE,
                        DAT_QUOTE | DAT_SEPARATOR => ' ',
                        c => c,
                    })
                    .collect();
                format!("{DAT_QUOTE}{clean}{DAT_QUOTE}")
            })
            .collect::<Vec<_>>()
            .join(&DAT_SEPARATOR.to_string())
    };
    let mut out = line(header);
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&line(r));
        out.push_str("\r\n");
    }
    out
}

fn verify(dir: &Path) -> Result<()> {
    let path = dir.join(MANIFEST);
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
    )
    .with_context(|| format!("{} is not a trawl export manifest", path.display()))?;
    let mut problems = Vec::new();
    for (rel, want) in &manifest.files {
        let file = dir.join(rel);
        match std::fs::read(&file) {
            Ok(bytes) => {
                let got = FileEntry {
                    sha256: sha256_hex(&bytes),
                    bytes: bytes.len() as u64,
                };
                if &got != want {
                    problems.push(format!("{rel}: content differs from the manifest"));
                }
            }
            Err(e) => problems.push(format!("{rel}: {e}")),
        }
    }
    for entry in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
    {
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace('\\', "/");
        if rel != MANIFEST && !manifest.files.contains_key(&rel) {
            problems.push(format!("{rel}: not in the manifest"));
        }
    }
    if problems.is_empty() {
        println!(
            "OK: {} files match the manifest ({} documents, created {})",
            manifest.files.len(),
            manifest.counts.documents,
            manifest.created
        );
        return Ok(());
    }
    for p in &problems {
        println!("MISMATCH {p}");
    }
    bail!("{} problem(s) in {}", problems.len(), dir.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dat_quotes_separates_and_flattens_newlines() {
        let dat = dat_file(
            &["A".into(), "B".into()],
            &[vec!["x\ny".into(), "þ".into()]],
        );
        assert_eq!(dat, "þAþ\u{14}þBþ\r\nþx®yþ\u{14}þ þ\r\n");
        assert_eq!(extension("a/b.PDF"), ".pdf");
        assert_eq!(extension("noext"), "");
    }
}
