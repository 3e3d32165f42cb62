//! `--backend solr://…` for `trawl index` and `trawl search` (issue 19): trawl extracts, chunks
//! and embeds on the worker as always — into the worker's local index, which is its extraction
//! and embedding cache — and then brings the cluster in step with it: documents whose content
//! changed are replaced, documents gone from the worker's share are deleted, one commit.
//! Several workers (`--worker I/N`) split a folder by a stable hash of each path, so each
//! path has exactly one owner and they never touch each other's documents.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use trawl_cluster::{ChunkInput, DocumentInput, SolrBackend, worker_share};
use trawl_search::{Access, Filter, Index};

/// A worker's share of a folder: `worker` of `of`, 1-based as typed (`--worker 2/3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Worker {
    /// 0-based index of this worker.
    index: usize,
    of: usize,
}

impl std::str::FromStr for Worker {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("--worker {s:?}: expected I/N with 1 ≤ I ≤ N, e.g. 1/2");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (i, n): (usize, usize) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if i == 0 || i > n {
            return Err(bad());
        }
        Ok(Self {
            index: i - 1,
            of: n,
        })
    }
}

impl Worker {
    /// Whether `path` is this worker's.
    pub(crate) fn owns(&self, path: &str) -> bool {
        worker_share(path, self.index, self.of)
    }

    /// The indexer's filter for this share.
    pub(crate) fn share(self) -> trawl_indexer::PathShare {
        trawl_indexer::PathShare(Arc::new(move |p: &str| self.owns(p)))
    }
}

/// What a push changed on the cluster.
#[derive(Debug, Default, Serialize)]
pub(crate) struct PushReport {
    /// Documents stored or replaced (new or changed content or metadata).
    pub(crate) stored: usize,
    /// Documents already on the cluster with the same content.
    pub(crate) unchanged: usize,
    /// Paths of this share removed from the cluster (gone from the folder).
    pub(crate) deleted: usize,
    /// Chunks the cluster holds after the commit (every worker's).
    pub(crate) cluster_chunks: u64,
}

/// Connects to the cluster named by `url`, with a message that says what to do.
pub(crate) fn connect(url: &str) -> Result<SolrBackend> {
    SolrBackend::connect(url).with_context(|| {
        format!("connecting to {url} (is the cluster up? `bash scripts/cluster.sh status`)")
    })
}

/// Brings the cluster in step with the local index for the paths `worker` owns (every path
/// without a worker).
pub(crate) fn push(
    index: &Index,
    backend: &SolrBackend,
    worker: Option<Worker>,
) -> Result<PushReport> {
    let owns = |path: &str| worker.is_none_or(|w| w.owns(path));
    let known = backend
        .known_files()
        .context("reading the cluster's file state")?;
    let docs = index.documents(&Filter::default(), &Access::All, None)?;
    let mut chunks: BTreeMap<String, Vec<trawl_search::ExportedChunk>> = BTreeMap::new();
    let changed: Vec<&trawl_search::DocumentInfo> = docs
        .iter()
        .filter(|d| known.get(&d.path) != Some(&state_of(d)))
        .collect();
    let mut report = PushReport {
        unchanged: docs.len() - changed.len(),
        ..PushReport::default()
    };
    if !changed.is_empty() {
        let wanted: HashSet<&str> = changed.iter().map(|d| d.doc_id.as_str()).collect();
        // Chunk ids grow in indexing order, so sorting by them gives each document's order.
        let mut all = index.export_chunks(None)?;
        all.retain(|c| wanted.contains(c.doc_id.as_str()));
        all.sort_by_key(|c| c.chunk_id);
        for c in all {
            chunks.entry(c.doc_id.clone()).or_default().push(c);
        }
    }
    let mut batch = Vec::new();
    for d in changed {
        let Some(doc_chunks) = chunks.remove(&d.doc_id) else {
            bail!(
                "document {} ({}) has no chunks in the local index",
                d.doc_id,
                d.path
            );
        };
        batch.push(DocumentInput {
            doc_id: d.doc_id.clone(),
            path: d.path.clone(),
            title: d.title.clone(),
            kind: d.meta.kind.clone(),
            groups: d.meta.groups.clone(),
            tags: d.meta.tags.clone(),
            custodian: d.meta.custodian.clone(),
            date: d.meta.date,
            modified: d.meta.modified,
            sha256: d.meta.sha256.clone(),
            state: Some(state_of(d)),
            chunks: doc_chunks
                .into_iter()
                .map(|c| ChunkInput {
                    text: c.text,
                    section: c.section,
                    page: None,
                    vector: c.vector,
                })
                .collect(),
        });
        if batch.len() >= 200 {
            report.stored += batch.len();
            backend
                .add_documents(&batch)
                .context("storing documents on the cluster")?;
            batch.clear();
        }
    }
    report.stored += batch.len();
    backend
        .add_documents(&batch)
        .context("storing documents on the cluster")?;
    let local: HashSet<&str> = docs.iter().map(|d| d.path.as_str()).collect();
    // A child document's path is its container's plus `CHILD_PATH_SEPARATOR`: it belongs to
    // the share of its container's file.
    let file_of = |p: &str| {
        p.split(trawl_indexer::CHILD_PATH_SEPARATOR)
            .next()
            .unwrap_or(p)
            .to_owned()
    };
    let gone: Vec<String> = known
        .keys()
        .filter(|p| owns(&file_of(p)) && !local.contains(p.as_str()))
        .cloned()
        .collect();
    report.deleted = gone.len();
    backend
        .delete_paths(&gone)
        .context("deleting on the cluster")?;
    backend.commit().context("committing on the cluster")?;
    report.cluster_chunks = backend.count()?;
    Ok(report)
}

/// What the cluster stores of a document besides its chunks, as one fingerprint: a document
/// whose file is unchanged but whose access groups, tags, custodian, date or title changed (a
/// sidecar edited) is sent again — an access list revoked locally must not stay open on the
/// cluster.
fn state_of(d: &trawl_search::DocumentInfo) -> String {
    use sha2::{Digest, Sha256};
    let m = &d.meta;
    let fields = serde_json::json!([
        m.sha256,
        d.title,
        m.kind,
        m.groups,
        m.tags,
        m.custodian,
        m.date,
        m.modified
    ]);
    format!("{:x}", Sha256::digest(fields.to_string().as_bytes()))
}
