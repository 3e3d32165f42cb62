//! trawl's passages on a SolrCloud collection: the storage side of `--backend solr://…`.
//!
//! One Solr document per chunk, in the `trawl` configset of `scripts/cluster/`: the chunk id is
//! `DOC_ID!ORDINAL`, so Solr's `compositeId` router keeps every chunk of a document on one
//! shard; `title`, `section` and `body` are copied into `content`, which BM25 searches (tantivy's
//! combined `content` field); `vector` is the chunk's unit-length embedding (HNSW, dot product).
//!
//! [`SolrBackend`] owns the HTTP conversation: writes ([`SolrBackend::add_documents`],
//! [`SolrBackend::delete_document`], [`SolrBackend::commit`]), the incremental state that lets
//! any worker resume any share ([`SolrBackend::known_files`], [`worker_share`]), and the two
//! search arms with the principal's groups as a filter *inside* retrieval
//! ([`SolrBackend::keyword`], [`SolrBackend::vector`]: the `fq` pre-filters Solr's kNN).
//! Requests go to the first node of the URL that answers; a node that refuses a connection is
//! skipped (failover) and the next request starts at the node that last answered.
//!
//! It knows nothing of files, extraction, embedding or fusion: the caller hands it chunks with
//! vectors, and aggregates and fuses the chunk hits it returns.

mod error;
mod url;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub use crate::error::{Error, Result};
pub use crate::url::ClusterUrl;

/// The group stored on a document that names no groups; every principal may see it.
pub const PUBLIC_GROUP: &str = "__public__";

/// Most chunks sent in one update request (a 384-float chunk is ~4-8 KB of JSON).
const CHUNKS_PER_REQUEST: usize = 500;
/// Most documents whose surplus chunks one delete-by-query removes (two clauses each,
/// under Lucene's 1024-clause limit).
const DOCS_PER_DELETE: usize = 200;
/// Rows per page when reading whole result sets (documents, the file state).
const PAGE_ROWS: usize = 1000;

/// A chunk of a document to store, with its vector.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChunkInput {
    /// The chunk's text.
    pub text: String,
    /// Heading path it sits under, if any.
    pub section: Option<String>,
    /// 1-based page, where the format has pages.
    pub page: Option<u32>,
    /// Its embedding: unit length, the collection's dimension (384 in the `trawl` configset).
    pub vector: Vec<f32>,
}

/// A whole document to store: the embedded engine's `DocumentInput` flattened.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocumentInput {
    /// Stable id (no `!`: it is the routing prefix of the chunk ids).
    pub doc_id: String,
    /// Source path as given at indexing; the key of the incremental state.
    pub path: String,
    /// Title shown in results.
    pub title: String,
    /// File type (`pdf`, `markdown`, …).
    pub kind: String,
    /// Access groups allowed to see it; empty means everyone ([`PUBLIC_GROUP`]).
    pub groups: Vec<String>,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// Person whose files these are.
    pub custodian: Option<String>,
    /// Document date, Unix seconds.
    pub date: Option<i64>,
    /// File modification time, Unix seconds.
    pub modified: Option<i64>,
    /// sha256 of the file's bytes (hex).
    pub sha256: String,
    /// What [`SolrBackend::known_files`] returns for the path: a fingerprint of everything
    /// the writer stored (content and metadata), so a changed access list is sent again even
    /// when the file's bytes are the same. `None`: the content hash.
    pub state: Option<String>,
    /// The chunks, in order (ordinal = position).
    pub chunks: Vec<ChunkInput>,
}

/// One chunk: its document and position in it. Solr's id is `DOC_ID!ORDINAL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChunkRef {
    /// The document.
    pub doc_id: String,
    /// 0-based position of the chunk in the document.
    pub ordinal: u32,
}

impl ChunkRef {
    /// Solr's `chunk_id`: `DOC_ID!ORDINAL`.
    pub fn chunk_id(&self) -> String {
        format!("{}!{}", self.doc_id, self.ordinal)
    }

    /// Parses `DOC_ID!ORDINAL`.
    pub fn parse(chunk_id: &str) -> Option<Self> {
        let (doc_id, ordinal) = chunk_id.rsplit_once('!')?;
        Some(Self {
            doc_id: doc_id.to_owned(),
            ordinal: ordinal.parse().ok()?,
        })
    }
}

impl std::fmt::Display for ChunkRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}!{}", self.doc_id, self.ordinal)
    }
}

/// Metadata conditions applied inside both arms (as `fq`s), like `trawl_search::Filter`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only these file types (any of them); empty means any.
    pub kinds: Vec<String>,
    /// Only paths starting with this.
    pub path_prefix: Option<String>,
    /// Document date at or after this (Unix seconds).
    pub date_from: Option<i64>,
    /// Document date at or before this (Unix seconds).
    pub date_to: Option<i64>,
    /// Only documents with any of these tags; empty means any.
    pub tags: Vec<String>,
    /// Only these custodians; empty means any.
    pub custodians: Vec<String>,
    /// File modified at or after this (Unix seconds).
    pub modified_from: Option<i64>,
    /// File modified at or before this (Unix seconds).
    pub modified_to: Option<i64>,
}

/// What a result shows of a chunk: its stored fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredChunk {
    /// Source path.
    pub path: String,
    /// Document title.
    pub title: String,
    /// File type.
    pub kind: String,
    /// The chunk's text.
    pub text: String,
    /// Heading path, if any.
    pub section: Option<String>,
    /// 1-based page, if the format has pages.
    pub page: Option<u32>,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// Custodian.
    pub custodian: Option<String>,
    /// Document date, Unix seconds.
    pub date: Option<i64>,
    /// File modification time, Unix seconds.
    pub modified: Option<i64>,
    /// Access groups (empty: everyone; [`PUBLIC_GROUP`] is not listed).
    pub groups: Vec<String>,
    /// sha256 of the file's bytes (hex).
    pub sha256: String,
    /// The passage's best fragment with the query's terms in `<mark>`, HTML-escaped, when a
    /// query was given to [`SolrBackend::stored_highlighted`] and a term matched.
    pub highlight: Option<String>,
}

/// The keyword arm's answer with what calibrated fusion needs besides the hits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeywordArm {
    /// The best chunks, best first, with their BM25 score.
    pub hits: Vec<(ChunkRef, f32)>,
    /// How many chunks matched at all (Solr's `numFound`): the hits are every match when
    /// this is no more than their number.
    pub matched: u64,
    /// The most a chunk could score for the query (see [`SolrBackend::keyword_arm`]).
    pub ceiling: f32,
}

/// Document counts by facet ([`SolrBackend::facets`]), each list most frequent first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FacetCounts {
    /// Documents matching.
    pub documents: u64,
    /// By file type.
    pub kinds: Vec<(String, u64)>,
    /// By tag.
    pub tags: Vec<(String, u64)>,
    /// By custodian.
    pub custodians: Vec<(String, u64)>,
    /// By year of the document date (UTC), as `YYYY`.
    pub years: Vec<(String, u64)>,
}

/// Most values listed per facet.
const FACET_LIMIT: usize = 200;

/// A chunk of one document near a query vector ([`SolrBackend::nearest_in_document`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NearChunk {
    /// The chunk.
    pub chunk: ChunkRef,
    /// Its cosine similarity to the query vector.
    pub cosine: f32,
    /// Its stored fields.
    pub stored: StoredChunk,
}

/// The stored fields a result shows (everything but the vector).
const STORED_FIELDS: &str =
    "chunk_id,path,title,kind,body,section,page,tags,custodian,date,modified,groups,sha256";

/// Weight of a title match next to the passage text in the keyword arm (edismax `qf`), the
/// embedded engine's title boost.
const TITLE_WEIGHT: f32 = 0.3;

/// Whether `path` falls in share `i` of `n` (0-based: `i < n`): a stable partition by the
/// sha256 of the path, so every path is in exactly one share whatever the machine, run or
/// file list. `false` when `n == 0` or `i >= n`.
pub fn worker_share(path: &str, i: usize, n: usize) -> bool {
    if n == 0 || i >= n {
        return false;
    }
    let digest = Sha256::digest(path.as_bytes());
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(head) % n as u64) as usize == i
}

/// A SolrCloud collection holding trawl's chunks, reached through any of several nodes.
#[derive(Debug)]
pub struct SolrBackend {
    url: ClusterUrl,
    agent: ureq::Agent,
    /// Index into `url.nodes` of the node that answered last: where the next request starts.
    preferred: AtomicUsize,
}

/// One request to send to whichever node answers.
enum Body<'a> {
    /// `application/x-www-form-urlencoded` (searches: a vector does not fit in a URL).
    Form(&'a [(String, String)]),
    /// `application/json` (updates).
    Json(&'a str),
}

impl SolrBackend {
    /// Connects to the collection named by `url`
    /// (`solr://HOST:PORT[,HOST:PORT...]/COLLECTION`): checks that a node answers for the
    /// collection, trying the nodes in order.
    pub fn connect(url: &str) -> Result<Self> {
        let url: ClusterUrl = url.parse()?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(3)))
            .timeout_global(Some(Duration::from_secs(120)))
            .build();
        let backend = Self {
            url,
            agent: config.into(),
            preferred: AtomicUsize::new(0),
        };
        backend.count()?;
        Ok(backend)
    }

    /// The parsed URL.
    pub fn url(&self) -> &ClusterUrl {
        &self.url
    }

    /// The node requests go to first (`HOST:PORT`): the one that answered last.
    pub fn current_node(&self) -> &str {
        &self.url.nodes[self.preferred.load(Ordering::Relaxed) % self.url.nodes.len()]
    }

    /// Sends `body` to `/solr/COLLECTION/{handler}` on the first node that takes the
    /// connection, starting at the one that answered last; the JSON answer.
    fn send(&self, handler: &str, query: &str, body: Body<'_>) -> Result<Value> {
        let n = self.url.nodes.len();
        let start = self.preferred.load(Ordering::Relaxed);
        let mut tried = Vec::with_capacity(n);
        let mut last = String::new();
        for step in 0..n {
            let at = (start + step) % n;
            let node = &self.url.nodes[at];
            let target = format!(
                "http://{node}/solr/{}/{handler}?wt=json{query}",
                self.url.collection
            );
            let request = self.agent.post(&target);
            let sent = match body {
                Body::Form(params) => request.send_form(params.iter().map(|(k, v)| (k, v))),
                Body::Json(text) => request
                    .header("Content-Type", "application/json")
                    .send(text),
            };
            let mut response = match sent {
                Ok(r) => r,
                Err(e) => {
                    // The node did not answer (refused, reset, timed out, unknown host): the
                    // next one may. Solr updates are idempotent by id, so a resend is safe.
                    tried.push(node.clone());
                    last = format!("{node}: {e}");
                    continue;
                }
            };
            self.preferred.store(at, Ordering::Relaxed);
            let status = response.status().as_u16();
            let text = response
                .body_mut()
                .read_to_string()
                .map_err(|e| Error::Response {
                    node: node.clone(),
                    reason: format!("reading the body: {e}"),
                })?;
            let value: Option<Value> = serde_json::from_str(&text).ok();
            if status >= 400 {
                let message = value
                    .as_ref()
                    .and_then(|v| v.pointer("/error/msg"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| text.chars().take(300).collect());
                return Err(Error::Solr {
                    node: node.clone(),
                    status,
                    message,
                });
            }
            return value.ok_or_else(|| Error::Response {
                node: node.clone(),
                reason: format!("not JSON: {}", text.chars().take(200).collect::<String>()),
            });
        }
        Err(Error::Unreachable { nodes: tried, last })
    }

    fn select(&self, params: &[(String, String)]) -> Result<Value> {
        self.send("select", "", Body::Form(params))
    }

    fn update(&self, body: &str, commit: bool) -> Result<()> {
        let query = if commit {
            "&commit=true&waitSearcher=true"
        } else {
            ""
        };
        self.send("update", query, Body::Json(body)).map(drop)
    }

    /// Stores one document, replacing every chunk it had. Visible after [`Self::commit`].
    pub fn add_document(&self, doc: &DocumentInput) -> Result<()> {
        self.add_documents(std::slice::from_ref(doc))
    }

    /// Stores documents in batched update requests, each replacing the document whole: chunk
    /// `i` overwrites `DOC_ID!i`, and one delete-by-query per batch removes the chunks past
    /// the new count (a shorter new version leaves none behind, and the new chunks are never
    /// touched by the delete, whatever order the shards apply them in). Visible after
    /// [`Self::commit`].
    pub fn add_documents(&self, docs: &[DocumentInput]) -> Result<()> {
        for doc in docs {
            validate_doc_id(&doc.doc_id)?;
        }
        let mut body = String::from("{");
        let mut chunks_in_body = 0;
        let flush = |body: &mut String, chunks: &mut usize| -> Result<()> {
            if body.len() > 1 {
                body.push('}');
                self.update(body, false)?;
            }
            body.clear();
            body.push('{');
            *chunks = 0;
            Ok(())
        };
        for doc in docs {
            let date = doc.date.map(solr_date).transpose()?;
            let modified = doc.modified.map(solr_date).transpose()?;
            let groups: Vec<&str> = if doc.groups.is_empty() {
                vec![PUBLIC_GROUP]
            } else {
                doc.groups.iter().map(String::as_str).collect()
            };
            for (ordinal, chunk) in doc.chunks.iter().enumerate() {
                if chunk.vector.iter().any(|x| !x.is_finite()) || chunk.vector.is_empty() {
                    return Err(Error::InvalidInput(format!(
                        "chunk {ordinal} of document {} has an empty or non-finite vector",
                        doc.doc_id
                    )));
                }
                let mut solr = json!({
                    "chunk_id": ChunkRef { doc_id: doc.doc_id.clone(), ordinal: ordinal as u32 }.chunk_id(),
                    "doc_id": doc.doc_id,
                    "ordinal": ordinal,
                    "path": doc.path,
                    "title": doc.title,
                    "body": chunk.text,
                    "kind": doc.kind,
                    "groups": groups,
                    "sha256": doc.sha256,
                    "vector": chunk.vector,
                });
                let fields = solr.as_object_mut().expect("an object literal");
                if let Some(state) = &doc.state {
                    fields.insert("state_s".into(), state.as_str().into());
                }
                if let Some(section) = &chunk.section {
                    fields.insert("section".into(), section.as_str().into());
                }
                if let Some(page) = chunk.page {
                    fields.insert("page".into(), page.into());
                }
                if !doc.tags.is_empty() {
                    fields.insert("tags".into(), json!(doc.tags));
                }
                if let Some(c) = &doc.custodian {
                    fields.insert("custodian".into(), c.as_str().into());
                }
                if let Some(d) = &date {
                    fields.insert("date".into(), d.as_str().into());
                }
                if let Some(m) = &modified {
                    fields.insert("modified".into(), m.as_str().into());
                }
                if body.len() > 1 {
                    body.push(',');
                }
                // Solr's JSON update format takes repeated "add" keys in one object.
                let _ = write!(body, "\"add\":{{\"doc\":{solr}}}");
                chunks_in_body += 1;
                if chunks_in_body >= CHUNKS_PER_REQUEST {
                    flush(&mut body, &mut chunks_in_body)?;
                }
            }
        }
        flush(&mut body, &mut chunks_in_body)?;
        for batch in docs.chunks(DOCS_PER_DELETE) {
            let query = batch
                .iter()
                .map(|d| {
                    format!(
                        "(+doc_id:{} +ordinal:[{} TO *])",
                        escape(&d.doc_id),
                        d.chunks.len()
                    )
                })
                .collect::<Vec<_>>()
                .join(" OR ");
            self.update(&json!({ "delete": { "query": query } }).to_string(), false)?;
        }
        Ok(())
    }

    /// Deletes every chunk of a document (nothing when it is not stored). Visible after
    /// [`Self::commit`].
    pub fn delete_document(&self, doc_id: &str) -> Result<()> {
        validate_doc_id(doc_id)?;
        let query = format!("doc_id:{}", escape(doc_id));
        self.update(&json!({ "delete": { "query": query } }).to_string(), false)
    }

    /// Deletes every document stored under one of `paths` (a file gone from a worker's share).
    /// Visible after [`Self::commit`].
    pub fn delete_paths(&self, paths: &[String]) -> Result<()> {
        for batch in paths.chunks(DOCS_PER_DELETE) {
            let query = batch
                .iter()
                .map(|p| format!("path:{}", escape(p)))
                .collect::<Vec<_>>()
                .join(" OR ");
            self.update(&json!({ "delete": { "query": query } }).to_string(), false)?;
        }
        Ok(())
    }

    /// Deletes every chunk in the collection. Visible after [`Self::commit`].
    pub fn delete_all(&self) -> Result<()> {
        self.update(r#"{"delete":{"query":"*:*"}}"#, false)
    }

    /// Makes every update so far durable and visible to searches (hard commit, new searcher).
    pub fn commit(&self) -> Result<()> {
        self.update(r#"{"commit":{}}"#, true)
    }

    /// Chunks stored and committed.
    pub fn count(&self) -> Result<u64> {
        let v = self.select(&params(&[("q", "*:*"), ("rows", "0")]))?;
        v.pointer("/response/numFound")
            .and_then(Value::as_u64)
            .ok_or_else(|| self.bad_response("no response.numFound"))
    }

    /// Documents (their first chunks) and chunks the collection holds.
    pub fn stats(&self) -> Result<(u64, u64)> {
        let v = self.select(&params(&[("q", "ordinal:0"), ("rows", "0")]))?;
        let documents = v
            .pointer("/response/numFound")
            .and_then(Value::as_u64)
            .ok_or_else(|| self.bad_response("no response.numFound"))?;
        Ok((documents, self.count()?))
    }

    /// The incremental state: each stored document's path → its state fingerprint
    /// ([`DocumentInput::state`], else the content hash `sha256`), read from the first chunk of
    /// every document, so any worker can resume any share.
    pub fn known_files(&self) -> Result<HashMap<String, String>> {
        let mut files = HashMap::new();
        let p = params(&[
            ("q", "*:*"),
            ("fq", "ordinal:0"),
            ("fl", "path,sha256,state_s"),
        ]);
        self.each_page(p, "chunk_id asc", |doc| {
            if let (Some(path), Some(hash)) = (
                doc.get("path").and_then(Value::as_str),
                doc.get("state_s")
                    .or_else(|| doc.get("sha256"))
                    .and_then(Value::as_str),
            ) {
                files.insert(path.to_owned(), hash.to_owned());
            }
        })?;
        Ok(files)
    }

    /// The BM25 arm: the `k` best chunks for `query` (plain words; edismax over `content`
    /// plus a 0.3 title match, summed like the embedded engine), best first, with their BM25 score.
    /// `groups`: the principal's groups (public documents are always visible); `None` is
    /// full access.
    pub fn keyword(
        &self,
        query: &str,
        groups: Option<&[String]>,
        filter: &Filter,
        k: usize,
    ) -> Result<Vec<(ChunkRef, f32)>> {
        Ok(self.keyword_hits(query, groups, filter, k)?.0)
    }

    /// [`Self::keyword`], and how many chunks matched and the query's score ceiling: the sum
    /// over the query's analyzed terms of their BM25 IDF in `content` plus 0.3 × their IDF in
    /// `title` — what a chunk would score if every term saturated in both fields (Lucene's
    /// BM25 has no `k1 + 1` factor: a term's weight tends to its IDF). A hit's score over the
    /// ceiling is the share of the query it matched, on the same scale from one query to the
    /// next, which is what calibrated fusion weighs. Two more small requests: the query's
    /// analysis and its terms' document frequencies (summed over the shards).
    pub fn keyword_arm(
        &self,
        query: &str,
        groups: Option<&[String]>,
        filter: &Filter,
        k: usize,
    ) -> Result<KeywordArm> {
        let (hits, matched) = self.keyword_hits(query, groups, filter, k)?;
        let ceiling = if hits.is_empty() {
            0.0
        } else {
            self.score_ceiling(query)?
        };
        Ok(KeywordArm {
            hits,
            matched,
            ceiling,
        })
    }

    fn keyword_hits(
        &self,
        query: &str,
        groups: Option<&[String]>,
        filter: &Filter,
        k: usize,
    ) -> Result<(Vec<(ChunkRef, f32)>, u64)> {
        if query.trim().is_empty() || k == 0 {
            return Ok((Vec::new(), 0));
        }
        let mut p = keyword_query(query);
        p.extend(params(&[
            ("fl", "chunk_id,score"),
            ("rows", &k.to_string()),
        ]));
        filters(&mut p, groups, filter)?;
        let v = self.select(&p)?;
        let matched = v
            .pointer("/response/numFound")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        Ok((self.hits(&v, |s| s)?, matched))
    }

    /// See [`Self::keyword_arm`].
    fn score_ceiling(&self, query: &str) -> Result<f32> {
        let analysis = self.send(
            "analysis/field",
            "",
            Body::Form(&params(&[
                ("analysis.fieldtype", "text_trawl"),
                ("analysis.query", query),
            ])),
        )?;
        // The query analysis is a flat list of (stage, tokens); the last tokens are the terms.
        let mut terms: Vec<String> = analysis
            .pointer("/analysis/field_types/text_trawl/query")
            .and_then(Value::as_array)
            .and_then(|stages| stages.iter().rev().find_map(Value::as_array))
            .map(|tokens| {
                tokens
                    .iter()
                    .filter_map(|t| t.get("text").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        terms.sort();
        terms.dedup();
        // analysed terms never hold a comma (the analyser splits on every non-alphanumeric)
        terms.retain(|t| !t.is_empty() && !t.contains(','));
        if terms.is_empty() {
            return Ok(0.0);
        }
        let list = terms.join(",");
        let stats = self.send(
            "terms",
            "",
            Body::Form(&params(&[
                ("terms.fl", "content"),
                ("terms.fl", "title"),
                ("terms.list", &list),
                ("terms.stats", "true"),
                ("terms.limit", "-1"),
                ("distrib", "true"),
            ])),
        )?;
        let docs = stats
            .pointer("/indexstats/numDocs")
            .and_then(Value::as_u64)
            .ok_or_else(|| self.bad_response("no indexstats.numDocs in the terms answer"))?
            as f32;
        let df = |field: &str| -> HashMap<String, f32> {
            let mut out = HashMap::new();
            if let Some(flat) = stats
                .pointer(&format!("/terms/{field}"))
                .and_then(Value::as_array)
            {
                for pair in flat.chunks(2) {
                    if let [Value::String(t), n] = pair {
                        out.insert(t.clone(), n.as_f64().unwrap_or(0.0) as f32);
                    }
                }
            }
            out
        };
        let (content, title) = (df("content"), df("title"));
        let idf = |n: f32| (1.0 + (docs - n + 0.5) / (n + 0.5)).ln();
        Ok(terms
            .iter()
            .map(|t| {
                idf(content.get(t).copied().unwrap_or(0.0))
                    + TITLE_WEIGHT * idf(title.get(t).copied().unwrap_or(0.0))
            })
            .sum())
    }

    /// The kNN arm: the `k` chunks nearest `vector` (unit length) among those `groups` and
    /// `filter` allow — the filters run inside the HNSW search, not after it — best first,
    /// with their cosine similarity (Solr's `(1 + dot) / 2` converted back).
    pub fn vector(
        &self,
        vector: &[f32],
        groups: Option<&[String]>,
        filter: &Filter,
        k: usize,
    ) -> Result<Vec<(ChunkRef, f32)>> {
        self.nearest_chunks(vector, groups, filter, k, None)
    }

    /// [`Self::vector`] without the chunks of document `exclude` (inside the kNN search too).
    pub fn nearest_chunks(
        &self,
        vector: &[f32],
        groups: Option<&[String]>,
        filter: &Filter,
        k: usize,
        exclude: Option<&str>,
    ) -> Result<Vec<(ChunkRef, f32)>> {
        if k == 0 {
            return Ok(Vec::new());
        }
        let q = knn_query(vector, k)?;
        let mut p = params(&[("fl", "chunk_id,score"), ("rows", &k.to_string())]);
        p.push(("q".into(), q));
        if let Some(doc) = exclude {
            p.extend(params(&[("fq", "-{!term f=doc_id v=$ex}"), ("ex", doc)]));
        }
        filters(&mut p, groups, filter)?;
        self.hits(&self.select(&p)?, |s| 2.0 * s - 1.0)
    }

    /// The vectors of every chunk of `doc_ids` that `groups` may see, by document.
    pub fn chunk_vectors(
        &self,
        doc_ids: &[String],
        groups: Option<&[String]>,
    ) -> Result<HashMap<String, Vec<Vec<f32>>>> {
        let mut out: HashMap<String, Vec<Vec<f32>>> = HashMap::new();
        if doc_ids.is_empty() {
            return Ok(out);
        }
        for id in doc_ids {
            validate_doc_id(id)?;
        }
        let ids = doc_ids.join(",");
        let mut p = params(&[
            // not `ids`: Solr reads that parameter as unique keys to fetch
            ("q", "{!terms f=doc_id v=$id_list}"),
            ("id_list", &ids),
            ("fl", "doc_id,vector"),
        ]);
        filters(&mut p, groups, &Filter::default())?;
        self.each_page(p, "chunk_id asc", |d| {
            if let (Some(doc), Some(vector)) = (
                d.get("doc_id").and_then(Value::as_str),
                d.get("vector").and_then(Value::as_array),
            ) {
                let vector = vector
                    .iter()
                    .filter_map(Value::as_f64)
                    .map(|x| x as f32)
                    .collect();
                out.entry(doc.to_owned()).or_default().push(vector);
            }
        })?;
        Ok(out)
    }

    /// The stored fields of `chunks` (those `groups` may see; the others are absent), for
    /// showing results: one request, whatever the number of chunks.
    pub fn stored(
        &self,
        chunks: &[ChunkRef],
        groups: Option<&[String]>,
    ) -> Result<HashMap<ChunkRef, StoredChunk>> {
        self.stored_highlighted(chunks, groups, None)
    }

    /// [`Self::stored`], with each passage's best fragment for `query` highlighted (Solr's
    /// unified highlighter over the passage text, the query read as the keyword arm reads it).
    pub fn stored_highlighted(
        &self,
        chunks: &[ChunkRef],
        groups: Option<&[String]>,
        query: Option<&str>,
    ) -> Result<HashMap<ChunkRef, StoredChunk>> {
        if chunks.is_empty() {
            return Ok(HashMap::new());
        }
        // Comma-separated: a `separator` local parameter is not honoured in `q` (Solr 9.10
        // found nothing with one); trawl's document ids are hex, a comma in one is skipped.
        let ids = chunks
            .iter()
            .map(ChunkRef::chunk_id)
            .filter(|id| !id.contains(','))
            .collect::<Vec<_>>()
            .join(",");
        let mut p = params(&[
            ("q", "{!terms f=chunk_id v=$id_list}"),
            ("id_list", &ids),
            ("fl", STORED_FIELDS),
            ("rows", &chunks.len().to_string()),
        ]);
        if let Some(q) = query.filter(|q| !q.trim().is_empty()) {
            p.extend(params(&[
                ("hl", "true"),
                ("hl.method", "unified"),
                ("hl.fl", "body"),
                ("hl.q", q),
                ("hl.qparser", "edismax"),
                // the highlight query's fields: the passage text
                ("qf", "body"),
                ("hl.snippets", "1"),
                ("hl.fragsize", "320"),
                ("hl.encoder", "html"),
                ("hl.tag.pre", "<mark>"),
                ("hl.tag.post", "</mark>"),
                ("hl.defaultSummary", "false"),
            ]));
        }
        filters(&mut p, groups, &Filter::default())?;
        let v = self.select(&p)?;
        let mut out = HashMap::new();
        for d in docs(&v) {
            if let Some(id) = d.get("chunk_id").and_then(Value::as_str)
                && let Some(chunk) = ChunkRef::parse(id)
            {
                let mut stored = stored_chunk(d);
                stored.highlight = v
                    .pointer("/highlighting")
                    .and_then(|h| h.get(id))
                    .and_then(|h| h.get("body"))
                    .and_then(Value::as_array)
                    .and_then(|a| a.first())
                    .and_then(Value::as_str)
                    .filter(|f| f.contains("<mark>"))
                    .map(str::to_owned);
                out.insert(chunk, stored);
            }
        }
        Ok(out)
    }

    /// The text of a document's chunks in order, or `None` when it is missing or `groups`
    /// may not see it (the same answer, like a 404).
    pub fn document(&self, doc_id: &str, groups: Option<&[String]>) -> Result<Option<Vec<String>>> {
        Ok(self
            .document_chunks(doc_id, groups)?
            .map(|chunks| chunks.into_iter().map(|(_, c)| c.text).collect()))
    }

    /// A document's chunks in order — each with its ordinal and stored fields —, or `None`
    /// when it is missing or `groups` may not see it.
    pub fn document_chunks(
        &self,
        doc_id: &str,
        groups: Option<&[String]>,
    ) -> Result<Option<Vec<(u32, StoredChunk)>>> {
        let mut chunks = Vec::new();
        let fields = format!("{STORED_FIELDS},ordinal");
        let mut p = params(&[
            ("q", "{!term f=doc_id v=$d}"),
            ("d", doc_id),
            ("fl", &fields),
        ]);
        filters(&mut p, groups, &Filter::default())?;
        self.each_page(p, "ordinal asc,chunk_id asc", |doc| {
            let ordinal = doc.get("ordinal").and_then(Value::as_u64).unwrap_or(0);
            chunks.push((ordinal as u32, stored_chunk(doc)));
        })?;
        Ok((!chunks.is_empty()).then_some(chunks))
    }

    /// Document counts by kind, tag, custodian and year over the chunks that match `query`
    /// (every chunk when `None`) under `filter` and `groups`, each document counted once:
    /// Solr's JSON facets with `unique(doc_id)` per bucket, exact because every chunk of a
    /// document is on one shard.
    pub fn facets(
        &self,
        query: Option<&str>,
        groups: Option<&[String]>,
        filter: &Filter,
    ) -> Result<FacetCounts> {
        let terms = |field: &str| {
            json!({
                "type": "terms", "field": field, "limit": FACET_LIMIT,
                "sort": "d desc", "facet": { "d": "unique(doc_id)" }
            })
        };
        let facet = json!({
            "documents": "unique(doc_id)",
            "kinds": terms("kind"),
            "tags": terms("tags"),
            "custodians": terms("custodian"),
            "years": {
                "type": "range", "field": "date", "start": "1000-01-01T00:00:00Z",
                "end": "NOW/YEAR+1YEAR", "gap": "+1YEAR", "mincount": 1,
                "facet": { "d": "unique(doc_id)" }
            }
        });
        let mut p = match query.filter(|q| !q.trim().is_empty()) {
            Some(q) => keyword_query(q),
            None => params(&[("q", "*:*")]),
        };
        p.extend(params(&[("rows", "0"), ("json.facet", &facet.to_string())]));
        filters(&mut p, groups, filter)?;
        let v = self.select(&p)?;
        let count = |b: &Value| {
            b.get("d")
                .and_then(Value::as_u64)
                .unwrap_or_else(|| b.get("count").and_then(Value::as_u64).unwrap_or(0))
        };
        let buckets = |name: &str| -> Vec<(String, u64)> {
            let mut out: Vec<(String, u64)> = v
                .pointer(&format!("/facets/{name}/buckets"))
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .filter_map(|b| {
                    let value = match b.get("val")? {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    Some((value, count(b)))
                })
                .filter(|(_, n)| *n > 0)
                .collect();
            out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            out
        };
        let years = buckets("years")
            .into_iter()
            .map(|(start, n)| (start.chars().take(4).collect(), n))
            .collect();
        Ok(FacetCounts {
            documents: v
                .pointer("/facets/documents")
                .and_then(Value::as_u64)
                .unwrap_or(0),
            kinds: buckets("kinds"),
            tags: buckets("tags"),
            custodians: buckets("custodians"),
            years,
        })
    }

    /// The `n` chunks of document `doc_id` nearest `vector`, nearest first, with their stored
    /// fields; empty when the document is missing or `groups` may not see it.
    pub fn nearest_in_document(
        &self,
        doc_id: &str,
        vector: &[f32],
        n: usize,
        groups: Option<&[String]>,
    ) -> Result<Vec<NearChunk>> {
        validate_doc_id(doc_id)?;
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut p = params(&[
            ("fl", &format!("{STORED_FIELDS},score")),
            ("rows", &n.to_string()),
            ("fq", "{!term f=doc_id v=$d}"),
            ("d", doc_id),
        ]);
        p.push(("q".into(), knn_query(vector, n)?));
        filters(&mut p, groups, &Filter::default())?;
        let v = self.select(&p)?;
        let mut out = Vec::new();
        for d in docs(&v) {
            let (Some(chunk), Some(score)) = (
                d.get("chunk_id")
                    .and_then(Value::as_str)
                    .and_then(ChunkRef::parse),
                d.get("score").and_then(Value::as_f64),
            ) else {
                return Err(self.bad_response("a hit without a DOC!ORDINAL chunk_id or a score"));
            };
            out.push(NearChunk {
                chunk,
                cosine: 2.0 * score as f32 - 1.0,
                stored: stored_chunk(d),
            });
        }
        Ok(out)
    }

    /// Every document `p` matches, a page at a time in the order of `sort` (which must end on
    /// the unique key), handed to `each`: Solr's cursor paging.
    fn each_page(
        &self,
        mut p: Vec<(String, String)>,
        sort: &str,
        mut each: impl FnMut(&Value),
    ) -> Result<()> {
        p.extend(params(&[("sort", sort), ("rows", &PAGE_ROWS.to_string())]));
        let mut cursor = "*".to_owned();
        loop {
            let mut page = p.clone();
            page.push(("cursorMark".into(), cursor.clone()));
            let v = self.select(&page)?;
            docs(&v).iter().for_each(&mut each);
            let next = v
                .get("nextCursorMark")
                .and_then(Value::as_str)
                .ok_or_else(|| self.bad_response("no nextCursorMark"))?;
            if next == cursor {
                return Ok(());
            }
            cursor = next.to_owned();
        }
    }

    fn hits(&self, v: &Value, score: impl Fn(f32) -> f32) -> Result<Vec<(ChunkRef, f32)>> {
        docs(v)
            .iter()
            .map(|d| {
                let id = d
                    .get("chunk_id")
                    .and_then(Value::as_str)
                    .and_then(ChunkRef::parse)
                    .ok_or_else(|| self.bad_response("a hit without a DOC!ORDINAL chunk_id"))?;
                let s = d
                    .get("score")
                    .and_then(Value::as_f64)
                    .ok_or_else(|| self.bad_response("a hit without a score"))?;
                Ok((id, score(s as f32)))
            })
            .collect()
    }

    fn bad_response(&self, reason: &str) -> Error {
        Error::Response {
            node: self.current_node().to_owned(),
            reason: reason.to_owned(),
        }
    }
}

/// `{!knn}` over the chunk vectors for the `k` nearest `vector`.
fn knn_query(vector: &[f32], k: usize) -> Result<String> {
    if vector.is_empty() || vector.iter().any(|x| !x.is_finite()) {
        return Err(Error::InvalidInput(
            "the query vector is empty or not finite".into(),
        ));
    }
    let mut q = format!("{{!knn f=vector topK={k}}}[");
    for (i, x) in vector.iter().enumerate() {
        if i > 0 {
            q.push(',');
        }
        let _ = write!(q, "{x}");
    }
    q.push(']');
    Ok(q)
}

/// A result's stored fields from Solr's JSON document.
fn stored_chunk(d: &Value) -> StoredChunk {
    let text = |f: &str| d.get(f).and_then(Value::as_str).map(str::to_owned);
    let list = |f: &str| -> Vec<String> {
        d.get(f)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let seconds = |f: &str| {
        text(f)
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_second())
    };
    let mut groups = list("groups");
    groups.retain(|g| g != PUBLIC_GROUP);
    StoredChunk {
        path: text("path").unwrap_or_default(),
        title: text("title").unwrap_or_default(),
        kind: text("kind").unwrap_or_default(),
        text: text("body").unwrap_or_default(),
        section: text("section"),
        page: d.get("page").and_then(Value::as_u64).map(|n| n as u32),
        tags: list("tags"),
        custodian: text("custodian"),
        date: seconds("date"),
        modified: seconds("modified"),
        groups,
        sha256: text("sha256").unwrap_or_default(),
        highlight: None,
    }
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn docs(v: &Value) -> &[Value] {
    v.pointer("/response/docs")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Separator of the groups list in `{!terms}`: a control character no group name carries.
const GROUP_SEPARATOR: char = '\u{1f}';

/// Adds the permission and metadata `fq`s; values travel as separate parameters
/// (`v=$name`), never spliced into query syntax.
fn filters(p: &mut Vec<(String, String)>, groups: Option<&[String]>, f: &Filter) -> Result<()> {
    if let Some(groups) = groups {
        if let Some(g) = groups.iter().find(|g| g.contains(GROUP_SEPARATOR)) {
            return Err(Error::InvalidInput(format!(
                "group name {g:?} contains a control character"
            )));
        }
        let list = groups
            .iter()
            .map(String::as_str)
            .filter(|g| !g.is_empty())
            .chain([PUBLIC_GROUP])
            .collect::<Vec<_>>()
            .join(&GROUP_SEPARATOR.to_string());
        p.push((
            "fq".into(),
            format!("{{!terms f=groups separator='{GROUP_SEPARATOR}' v=$fq_groups}}"),
        ));
        p.push(("fq_groups".into(), list));
    }
    if !f.kinds.is_empty() {
        p.push((
            "fq".into(),
            "{!terms f=kind separator='\u{1f}' v=$fq_kinds}".into(),
        ));
        p.push(("fq_kinds".into(), f.kinds.join("\u{1f}")));
    }
    if let Some(prefix) = &f.path_prefix {
        p.push(("fq".into(), "{!prefix f=path v=$fq_path}".into()));
        p.push(("fq_path".into(), prefix.clone()));
    }
    for (field, values) in [("tags", &f.tags), ("custodian", &f.custodians)] {
        if !values.is_empty() {
            p.push((
                "fq".into(),
                format!("{{!terms f={field} separator='\u{1f}' v=$fq_{field}}}"),
            ));
            p.push((format!("fq_{field}"), values.join("\u{1f}")));
        }
    }
    for (field, from, to) in [
        ("date", f.date_from, f.date_to),
        ("modified", f.modified_from, f.modified_to),
    ] {
        if from.is_some() || to.is_some() {
            let from = from.map(solr_date).transpose()?;
            let to = to.map(solr_date).transpose()?;
            p.push((
                "fq".into(),
                format!(
                    "{field}:[{} TO {}]",
                    from.as_deref().unwrap_or("*"),
                    to.as_deref().unwrap_or("*")
                ),
            ));
        }
    }
    Ok(())
}

/// Unix seconds → Solr's date format (`2023-01-01T00:00:00Z`).
fn solr_date(seconds: i64) -> Result<String> {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.to_string())
        .map_err(|e| Error::InvalidInput(format!("date {seconds}: {e}")))
}

fn validate_doc_id(doc_id: &str) -> Result<()> {
    if doc_id.is_empty() || doc_id.contains('!') {
        return Err(Error::InvalidInput(format!(
            "document id {doc_id:?} is empty or contains `!` (the chunk id's routing separator)"
        )));
    }
    Ok(())
}

/// The keyword arm's query for what a person typed: edismax over `content` plus a title match.
fn keyword_query(query: &str) -> Vec<(String, String)> {
    let qf = format!("content title^{TITLE_WEIGHT}");
    params(&[
        // tie=1: a term's field scores add up (content + 0.3 x title) like tantivy's parser,
        // instead of dismax's max, which drowns the title match.
        ("q", "{!edismax qf=$qf tie=1.0 v=$qq}"),
        ("qf", &qf),
        ("qq", &edismax_words(query)),
    ])
}

/// What a person typed, for edismax: wildcards (`?` ends most questions, and a wildcard
/// term scores a constant instead of BM25), field and regular-expression syntax escaped;
/// phrases, `+`/`-`, `~` and parentheses kept, as the embedded engine's grammar keeps them.
fn edismax_words(query: &str) -> String {
    let mut out = String::with_capacity(query.len() + 8);
    for c in query.chars() {
        if "?*:/[]{}^!\\".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes a term for Lucene's query syntax.
fn escape(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 4);
    for c in term.chars() {
        if c.is_whitespace() || "\\+-!():^[]\"{}~*?|&/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_ids_round_trip() {
        let c = ChunkRef {
            doc_id: "ab12".into(),
            ordinal: 7,
        };
        assert_eq!(c.chunk_id(), "ab12!7");
        assert_eq!(ChunkRef::parse("ab12!7"), Some(c));
        assert_eq!(ChunkRef::parse("ab12"), None);
        assert_eq!(ChunkRef::parse("ab12!x"), None);
    }

    #[test]
    fn shares_partition_paths() {
        for n in 1..6 {
            for p in 0..200 {
                let path = format!("folder/file-{p}.pdf");
                let owners = (0..n).filter(|&i| worker_share(&path, i, n)).count();
                assert_eq!(owners, 1, "{path} in {owners} of {n} shares");
            }
        }
        assert!(!worker_share("a", 0, 0));
        assert!(!worker_share("a", 2, 2));
    }

    #[test]
    fn escapes_query_syntax() {
        assert_eq!(escape("a b:c-d"), "a\\ b\\:c\\-d");
        assert_eq!(solr_date(0).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(
            edismax_words("is leave paid? \"a b\" -x url:http://y"),
            "is leave paid\\? \"a b\" -x url\\:http\\:\\/\\/y"
        );
    }
}
