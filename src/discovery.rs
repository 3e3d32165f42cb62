//! Discovery commands: search-term reports (`trawl terms`), near-duplicate
//! groups (`trawl dups`), e-mail threads (`trawl threads`), review tags
//! (`trawl tag`), and the review options of `trawl search`.
//!
//! Every listing and count runs as the principal given by `--groups`:
//! documents outside its groups are neither counted nor named, not even as
//! a near-duplicate of a visible one.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use trawl_indexer::NearDups;
use trawl_search::{Access, Filter, Index, TagJournal, TagOp, TermsRequest};
use trawl_service::thread::Thread;
use trawl_service::{api::SearchResponse, discovery};

use crate::{
    args::{FilterArgs, IndexLocation, access_of},
    open::open_index,
};

/// Default Jaccard similarity for near-duplicates.
const DEFAULT_THRESHOLD: f64 = trawl_service::api::DEFAULT_NEAR_DUP_THRESHOLD;

/// Review options of `trawl search`.
#[derive(Debug, Args)]
pub(crate) struct ReviewArgs {
    /// Only documents carrying one of these review tags (comma-separated; see `trawl tag`).
    #[arg(long, value_delimiter = ',')]
    pub(crate) review_tag: Vec<String>,
    /// Only the messages of this e-mail thread (an id from `trawl threads`).
    #[arg(long)]
    pub(crate) thread: Option<String>,
    /// Show one document per near-duplicate group (the best ranked), with the
    /// number of near-duplicates it stands for.
    #[arg(long)]
    pub(crate) collapse_near_dups: bool,
    /// Jaccard similarity for near-duplicate groups (0–1).
    #[arg(long, default_value_t = DEFAULT_THRESHOLD, value_parser = threshold)]
    pub(crate) near_dup_threshold: f64,
}

impl ReviewArgs {
    /// Whether any review option is set (otherwise `search` keeps its plain path).
    pub(crate) fn any(&self) -> bool {
        !self.review_tag.is_empty() || self.thread.is_some() || self.collapse_near_dups
    }
}

fn threshold(s: &str) -> Result<f64, String> {
    let t: f64 = s.parse().map_err(|e| format!("{s:?}: {e}"))?;
    if !(0.0..=1.0).contains(&t) || t == 0.0 {
        return Err("expected a similarity above 0 and at most 1".into());
    }
    Ok(t)
}

/// Output formats of reports.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum Format {
    /// Aligned columns for the terminal.
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// JSON.
    Json,
}

/// `trawl terms`.
#[derive(Debug, Args)]
pub(crate) struct TermsArgs {
    /// File with one query per line (blank lines and lines starting with `#` are
    /// skipped); full query syntax plus `a w/N b` and `a pre/N b`.
    pub(crate) file: std::path::PathBuf,
    #[command(flatten)]
    pub(crate) index: IndexLocation,
    #[command(flatten)]
    pub(crate) filter: FilterArgs,
    /// Only documents carrying one of these review tags.
    #[arg(long, value_delimiter = ',')]
    pub(crate) review_tag: Vec<String>,
    /// Only the messages of this e-mail thread.
    #[arg(long)]
    pub(crate) thread: Option<String>,
    /// table, csv or json (json also lists the documents hit per term).
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: Format,
}

/// `trawl dups`.
#[derive(Debug, Args)]
pub(crate) struct DupsArgs {
    #[command(flatten)]
    pub(crate) index: IndexLocation,
    /// Jaccard similarity a document needs to its group's pivot (0–1).
    #[arg(long, default_value_t = DEFAULT_THRESHOLD, value_parser = threshold)]
    pub(crate) threshold: f64,
    /// Principal's groups (comma-separated); all documents when absent.
    #[arg(long, value_delimiter = ',')]
    pub(crate) groups: Option<Vec<String>>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `trawl threads`.
#[derive(Debug, Args)]
pub(crate) struct ThreadsArgs {
    #[command(flatten)]
    pub(crate) index: IndexLocation,
    /// Principal's groups (comma-separated); all documents when absent.
    #[arg(long, value_delimiter = ',')]
    pub(crate) groups: Option<Vec<String>>,
    /// Include threads of a single message.
    #[arg(long)]
    pub(crate) all: bool,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `trawl tag …`.
#[derive(Debug, Subcommand)]
pub(crate) enum TagCommand {
    /// Put a review tag on a document.
    Add(TagEditArgs),
    /// Take a review tag off a document.
    Rm(TagEditArgs),
    /// List current review tags (or, with --history, the whole journal).
    Ls(TagListArgs),
}

/// `trawl tag add|rm`.
#[derive(Debug, Args)]
pub(crate) struct TagEditArgs {
    /// Document id (as shown by `search --json`, `terms --format json`, `dups`, `threads`).
    pub(crate) doc_id: String,
    /// The tag, e.g. responsive, privileged, not-responsive.
    pub(crate) tag: String,
    /// Reviewer, recorded in the journal.
    #[arg(long)]
    pub(crate) by: String,
    #[command(flatten)]
    pub(crate) index: IndexLocation,
    /// Reviewer's groups: a document outside them cannot be tagged.
    #[arg(long, value_delimiter = ',')]
    pub(crate) groups: Option<Vec<String>>,
}

/// `trawl tag ls`.
#[derive(Debug, Args)]
pub(crate) struct TagListArgs {
    #[command(flatten)]
    pub(crate) index: IndexLocation,
    /// Only this tag.
    #[arg(long)]
    pub(crate) tag: Option<String>,
    /// Print every journal entry (time, reviewer, add/remove) instead.
    #[arg(long)]
    pub(crate) history: bool,
    /// Principal's groups: documents outside them are not listed.
    #[arg(long, value_delimiter = ',')]
    pub(crate) groups: Option<Vec<String>>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Parses the filter flags shared with `search` (through the service's one parser, so the
/// CLI and the API read dates the same way).
pub(crate) fn filter_of(f: &FilterArgs) -> Result<Filter> {
    Ok(f.spec().filter()?)
}

/// The documents a review restriction allows (see [`trawl_service::discovery::restriction`]).
pub(crate) fn restriction(
    index: &Index,
    access: &Access,
    tags: &[String],
    thread: Option<&str>,
) -> Result<Option<HashSet<String>>> {
    Ok(discovery::restriction(index, access, tags, thread)?)
}

/// The near-duplicate notes of `trawl search` with review options, under the results.
pub(crate) fn print_near_dups(response: &SearchResponse) {
    for (doc, n) in response.near_dups.iter().flatten() {
        let rank = response
            .results
            .iter()
            .position(|r| &r.doc_id == doc)
            .map_or(0, |p| p + 1);
        println!(
            "  #{rank}: near-duplicate group {} ({} documents{})",
            n.group,
            n.size,
            if n.collapsed > 0 {
                format!(", {} collapsed here", n.collapsed)
            } else {
                String::new()
            }
        );
    }
}

pub(crate) fn terms(args: TermsArgs) -> Result<()> {
    let index_dir = args.index.path();
    let index = open_index(&index_dir)?;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let queries: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    if queries.is_empty() {
        bail!("{} holds no terms", args.file.display());
    }
    let access = args.filter.access();
    let req = TermsRequest {
        queries,
        filter: filter_of(&args.filter)?,
        doc_ids: restriction(&index, &access, &args.review_tag, args.thread.as_deref())?
            .map(Arc::new),
        access,
    };
    let report = index.term_report(&req)?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.write_record(["term", "query", "documents", "unique", "passages"])?;
            for t in &report.terms {
                w.write_record([
                    t.term.clone(),
                    t.query.clone(),
                    t.documents.to_string(),
                    t.unique.to_string(),
                    t.passages.to_string(),
                ])?;
            }
            w.write_record([
                "(all terms, deduplicated)".to_owned(),
                String::new(),
                report.documents_hit.to_string(),
                String::new(),
                String::new(),
            ])?;
            w.flush()?;
        }
        Format::Table => {
            let width = report
                .terms
                .iter()
                .map(|t| t.term.chars().count())
                .max()
                .unwrap_or(4)
                .clamp(4, 60);
            println!(
                "{:<width$}  {:>9}  {:>6}  {:>8}",
                "term", "documents", "unique", "passages"
            );
            for t in &report.terms {
                println!(
                    "{:<width$}  {:>9}  {:>6}  {:>8}",
                    t.term, t.documents, t.unique, t.passages
                );
            }
            println!(
                "{:<width$}  {:>9}",
                "(all terms, deduplicated)", report.documents_hit
            );
            println!(
                "{} documents searched; passages = ~200-token chunks of hit documents matching a term",
                report.documents_searched
            );
        }
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct DupsOut<'a> {
    threshold: f64,
    documents_with_signature: usize,
    groups: Vec<DupGroupOut<'a>>,
}

#[derive(Debug, Serialize)]
struct DupGroupOut<'a> {
    id: &'a str,
    members: Vec<DupMemberOut<'a>>,
}

#[derive(Debug, Serialize)]
struct DupMemberOut<'a> {
    doc_id: &'a str,
    path: String,
    title: String,
    similarity: f64,
}

pub(crate) fn dups(args: DupsArgs) -> Result<()> {
    let index = open_index(&args.index.path())?;
    let access = access_of(&args.groups);
    let groups = discovery::near_dup_groups(&index, &access, args.threshold)?;
    let ids: HashSet<String> = groups
        .iter()
        .flat_map(|g| g.members.iter().map(|m| m.doc_id.clone()))
        .collect();
    let docs: HashMap<String, trawl_search::DocumentInfo> = index
        .documents(&Filter::default(), &access, Some(&ids))?
        .into_iter()
        .map(|d| (d.doc_id.clone(), d))
        .collect();
    let out = DupsOut {
        threshold: args.threshold,
        documents_with_signature: NearDups::load(index.dir()).len(),
        groups: groups
            .iter()
            .map(|g| DupGroupOut {
                id: &g.id,
                members: g
                    .members
                    .iter()
                    .map(|m| DupMemberOut {
                        doc_id: &m.doc_id,
                        path: docs
                            .get(&m.doc_id)
                            .map(|d| d.path.clone())
                            .unwrap_or_default(),
                        title: docs
                            .get(&m.doc_id)
                            .map(|d| d.title.clone())
                            .unwrap_or_default(),
                        similarity: m.similarity,
                    })
                    .collect(),
            })
            .collect(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if out.groups.is_empty() {
        println!(
            "No near-duplicate groups at similarity {} ({} documents have signatures).",
            args.threshold, out.documents_with_signature
        );
        return Ok(());
    }
    for g in &out.groups {
        println!("{} ({} documents)", g.id, g.members.len());
        for m in &g.members {
            println!("  {:.2}  {}  {}", m.similarity, m.doc_id, m.path);
        }
    }
    Ok(())
}

pub(crate) fn threads(args: ThreadsArgs) -> Result<()> {
    let index = open_index(&args.index.path())?;
    let access = access_of(&args.groups);
    let threads: Vec<Thread> = discovery::load_threads(&index, &access, true)?
        .into_iter()
        .filter(|t| args.all || t.messages.len() > 1)
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&threads)?);
        return Ok(());
    }
    if threads.is_empty() {
        println!("No e-mail threads.");
        return Ok(());
    }
    for t in &threads {
        println!("{}  {:?} ({} messages)", t.id, t.subject, t.messages.len());
        for m in &t.messages {
            let mark = match (m.inclusive, &m.copy_of) {
                (_, Some(_)) => "=",
                (Some(true), _) => "*",
                _ => " ",
            };
            println!(
                "  {mark} {}{}  {}  {}",
                "  ".repeat(m.depth),
                m.doc_id,
                m.subject.as_deref().unwrap_or(""),
                m.path
            );
        }
    }
    println!("* inclusive (review these), = copy of another message");
    Ok(())
}

pub(crate) fn tag(command: TagCommand) -> Result<()> {
    match command {
        TagCommand::Add(a) => edit_tag(a, TagOp::Add),
        TagCommand::Rm(a) => edit_tag(a, TagOp::Remove),
        TagCommand::Ls(a) => list_tags(a),
    }
}

fn edit_tag(a: TagEditArgs, op: TagOp) -> Result<()> {
    let index_dir = a.index.path();
    let index = open_index(&index_dir)?;
    let access = access_of(&a.groups);
    if index.document_info(&a.doc_id, &access)?.is_none() {
        bail!("no document {:?} in {}", a.doc_id, index_dir.display());
    }
    let journal = TagJournal::new(&index_dir);
    if op == TagOp::Remove {
        let current = journal.current()?;
        let has = current
            .get(&a.doc_id)
            .is_some_and(|t| t.contains(&a.tag.trim().to_lowercase()));
        if !has {
            bail!("document {} has no review tag {:?}", a.doc_id, a.tag);
        }
    }
    let e = journal.record(op, &a.doc_id, &a.tag, &a.by)?;
    println!(
        "{} {:?} {} {} by {} at {}",
        if op == TagOp::Add {
            "tagged"
        } else {
            "untagged"
        },
        e.tag,
        if op == TagOp::Add { "on" } else { "from" },
        e.doc_id,
        e.by,
        e.time
    );
    Ok(())
}

fn list_tags(a: TagListArgs) -> Result<()> {
    let index_dir = a.index.path();
    let index = open_index(&index_dir)?;
    let access = access_of(&a.groups);
    let journal = TagJournal::new(&index_dir);
    // Full access sees the whole journal, documents since removed included
    // (an audit trail outlives the index's contents).
    let visible = match &access {
        Access::All => None,
        Access::Groups(_) => Some(index.document_ids(&Filter::default(), &access, None)?),
    };
    let shown = |d: &String| visible.as_ref().is_none_or(|v| v.contains(d));
    let wanted = a.tag.as_deref().map(|t| t.trim().to_lowercase());
    if a.history {
        let events: Vec<_> = journal
            .events()?
            .into_iter()
            .filter(|e| shown(&e.doc_id))
            .filter(|e| wanted.as_ref().is_none_or(|w| &e.tag == w))
            .collect();
        if a.json {
            println!("{}", serde_json::to_string_pretty(&events)?);
        } else {
            for e in events {
                println!(
                    "{}  {:<6} {:<20} {}  by {}",
                    e.time,
                    format!("{:?}", e.op).to_lowercase(),
                    e.tag,
                    e.doc_id,
                    e.by
                );
            }
        }
        return Ok(());
    }
    let current: BTreeMap<String, Vec<String>> = journal
        .current()?
        .into_iter()
        .filter(|(d, _)| shown(d))
        .filter(|(_, t)| wanted.as_ref().is_none_or(|w| t.contains(w)))
        .map(|(d, t)| (d, t.into_iter().collect()))
        .collect();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&current)?);
    } else {
        for (d, t) in &current {
            println!("{d}  {}", t.join(", "));
        }
    }
    Ok(())
}
