//! An index directory: both arms, kept in step, searched together.
//!
//! Layout of a directory:
//! - `trawl-index.json` — format version and the [`IndexSpec`] (model, dimension, graph parameters);
//! - `keyword/` — the tantivy index; its commit payload names the live vector generation,
//!   so one atomic tantivy commit switches both arms at once;
//! - `vectors-NNNNNN/` and `vector-segments/` — the vector arm's generations and the
//!   immutable segments they list (see the `vector` module).

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::{Path, PathBuf},
    str::FromStr,
    sync::{Arc, RwLock},
};

use serde::{Deserialize, Serialize};
use tantivy::{IndexReader, ReloadPolicy, Searcher, TantivyDocument, Term, query::QueryParser};

use crate::{
    Error, IndexSpec, Result,
    error::IoContext,
    filter::{self, Access, Filter},
    fusion::{Fused, Fusion},
    keyword::{self, Fields},
    meta::{FORMAT_VERSION, MetaFile},
    snapshot::SnapshotManifest,
    vector::{self, VectorData, VectorIndex},
};

const KEYWORD_DIR: &str = "keyword";
const VECTOR_DIR_PREFIX: &str = "vectors-";
/// Longest query accepted, in characters.
const MAX_QUERY_CHARS: usize = 4096;
/// Most results one request may ask for (`offset + k`).
pub const MAX_RESULTS: usize = 1000;
/// Length of snippets, in characters.
pub(crate) const SNIPPET_CHARS: usize = 240;
/// Heap given to tantivy's writer.
const WRITER_HEAP: usize = 64 * 1024 * 1024;

/// How long [`Index::writer`] waits for another writer's lock before it reports
/// [`Error::Locked`].
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Which arms answer a search.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Keyword and vector results fused by reciprocal rank fusion.
    #[default]
    Hybrid,
    /// BM25 over title, section and text only.
    Keyword,
    /// Nearest neighbours of the query vector only.
    Vector,
}

impl Mode {
    fn uses_keyword(self) -> bool {
        matches!(self, Mode::Hybrid | Mode::Keyword)
    }

    fn uses_vector(self) -> bool {
        matches!(self, Mode::Hybrid | Mode::Vector)
    }

    /// Whether a search in this mode needs a query vector.
    pub fn needs_vector(self) -> bool {
        self.uses_vector()
    }
}

impl FromStr for Mode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "hybrid" => Ok(Mode::Hybrid),
            "keyword" => Ok(Mode::Keyword),
            "vector" => Ok(Mode::Vector),
            other => Err(Error::InvalidRequest(format!(
                "unknown mode `{other}`; expected hybrid, keyword or vector"
            ))),
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Hybrid => "hybrid",
            Mode::Keyword => "keyword",
            Mode::Vector => "vector",
        })
    }
}

/// A search: the query text and how to run it.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// Query text in tantivy's syntax (`"phrase"`, `-term`, `title:x`, …).
    pub query: String,
    /// Which arms to use.
    pub mode: Mode,
    /// Number of documents to return.
    pub k: usize,
    /// Number of documents to skip (paging).
    pub offset: usize,
    /// Metadata conditions.
    pub filter: Filter,
    /// Whose eyes the results are for.
    pub access: Access,
    /// How hybrid mode combines the arms.
    pub fusion: Fusion,
    /// HNSW candidate list size for this search; the index's default when `None`.
    pub ef_search: Option<usize>,
    /// Only these documents may match (review tags, e-mail threads); applied
    /// inside both arms like [`Filter`]. `None` means no such restriction.
    pub doc_ids: Option<Arc<HashSet<String>>>,
}

impl SearchRequest {
    /// A hybrid search for the top 10 documents, unfiltered, with full access.
    pub fn new(query: impl Into<String>) -> Self {
        Self {
            query: query.into(),
            mode: Mode::Hybrid,
            k: 10,
            offset: 0,
            filter: Filter::default(),
            access: Access::All,
            fusion: Fusion::default(),
            ef_search: None,
            doc_ids: None,
        }
    }
}

/// One document in a result list, represented by its best-matching chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Stable document id.
    pub doc_id: String,
    /// Source path as given at indexing.
    pub path: String,
    /// Document title.
    pub title: String,
    /// Score in the request's mode: RRF for hybrid, BM25 for keyword, cosine for vector.
    pub score: f32,
    /// The best chunk's id.
    pub chunk_id: u64,
    /// Passage to show, plain text.
    pub snippet: String,
    /// The same passage as HTML-escaped text with `<mark>` around query terms.
    pub snippet_html: String,
    /// Page of the best chunk, where the format has pages.
    pub page: Option<u32>,
    /// Heading path of the best chunk.
    pub section: Option<String>,
    /// Rank of the best chunk in the keyword arm (1-based).
    pub keyword_rank: Option<usize>,
    /// Rank of the best chunk in the vector arm (1-based).
    pub vector_rank: Option<usize>,
    /// BM25 score of the best chunk.
    pub keyword_score: Option<f32>,
    /// That score's share of the most the query could score (0..1): how much of the query
    /// the passage matched, the keyword signal calibrated fusion uses.
    pub keyword_share: Option<f32>,
    /// Cosine similarity of the best chunk to the query.
    pub vector_score: Option<f32>,
    /// The document's metadata.
    pub meta: DocumentMeta,
}

/// One passage of a document, as [`Index::document_passages`] returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentPassage {
    /// The chunk's id (a hit's `chunk_id`).
    pub chunk_id: u64,
    /// Cosine similarity to the query vector.
    pub cosine: f32,
    /// The whole text of the passage.
    pub text: String,
    /// Its page, for paged formats.
    pub page: Option<u32>,
    /// Its section path, when the format has headings.
    pub section: Option<String>,
}

/// The answer to a [`SearchRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// Documents, best first.
    pub hits: Vec<Hit>,
    /// Chunks the keyword arm returned before fusion.
    pub keyword_candidates: usize,
    /// Chunks the vector arm returned before fusion.
    pub vector_candidates: usize,
    /// The most a passage could score for this query in the keyword arm (see
    /// `keyword::score_ceiling`); 0 without query text.
    pub keyword_ceiling: f32,
}

/// Counts describing an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndexStats {
    /// Documents.
    pub documents: u64,
    /// Chunks in the keyword arm.
    pub chunks: u64,
    /// Vectors in the vector arm (equal to `chunks` in a consistent index).
    pub vectors: u64,
    /// Segments of the vector arm.
    pub vector_segments: u64,
    /// Deleted vectors still held in segments, awaiting compaction.
    pub tombstones: u64,
}

/// One chunk as stored: what [`Index::export_chunks`] returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportedChunk {
    /// The chunk's id in this index.
    pub chunk_id: u64,
    /// The document it belongs to.
    pub doc_id: String,
    /// The document's title.
    pub title: String,
    /// The chunk's text.
    pub text: String,
    /// The heading path it sits under, if any.
    pub section: Option<String>,
    /// Its embedding.
    pub vector: Vec<f32>,
}

/// What one tantivy commit records about the rest of the index.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct CommitPoint {
    vector_generation: u64,
    next_chunk_id: u64,
    documents: u64,
}

impl CommitPoint {
    fn read(index: &tantivy::Index, dir: &Path) -> Result<Self> {
        match index.load_metas()?.payload {
            None => Ok(Self::default()),
            Some(p) => serde_json::from_str(&p).map_err(|e| Error::Corrupt {
                path: dir.join(KEYWORD_DIR).join("meta.json"),
                message: format!("commit payload: {e}"),
            }),
        }
    }
}

/// A consistent view of both arms.
pub(crate) struct State {
    pub(crate) searcher: Searcher,
    pub(crate) chunks: keyword::ChunkMap,
    pub(crate) vectors: Arc<VectorIndex>,
    commit: CommitPoint,
    /// tantivy opstamp of the commit read before this snapshot's reader was
    /// reloaded: a different opstamp on disk means a newer commit exists.
    opstamp: u64,
}

/// An open index directory. Searches are `&self` and may run concurrently.
pub struct Index {
    dir: PathBuf,
    spec: IndexSpec,
    pub(crate) tantivy: tantivy::Index,
    pub(crate) fields: Fields,
    reader: IndexReader,
    pub(crate) parser: QueryParser,
    state: RwLock<Arc<State>>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("dir", &self.dir)
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl Index {
    /// Opens an existing index.
    pub fn open(dir: &Path) -> Result<Self> {
        let meta = MetaFile::read(dir)?;
        let keyword_dir = dir.join(KEYWORD_DIR);
        let tantivy = tantivy::Index::open_in_dir(&keyword_dir)?;
        Self::from_parts(dir, meta.spec, tantivy)
    }

    /// Opens the index at `dir`, creating it for `spec` if absent. An existing
    /// index must have been built with the same model.
    pub fn open_or_create(dir: &Path, spec: &IndexSpec) -> Result<Self> {
        if dir.join(crate::meta::META_FILE).is_file() {
            let index = Self::open(dir)?;
            if index.spec.model_fingerprint != spec.model_fingerprint || index.spec.dim != spec.dim
            {
                return Err(Error::ModelMismatch {
                    path: dir.to_path_buf(),
                    found: format!(
                        "{} ({})",
                        index.spec.model_name, index.spec.model_fingerprint
                    ),
                    expected: format!("{} ({})", spec.model_name, spec.model_fingerprint),
                });
            }
            return Ok(index);
        }
        if spec.hnsw.m == 0 || spec.hnsw.m > 255 {
            return Err(Error::InvalidRequest(format!(
                "HNSW m must be between 1 and 255, not {}",
                spec.hnsw.m
            )));
        }
        if spec.hnsw.ef_construction == 0 || spec.hnsw.ef_search == 0 {
            return Err(Error::InvalidRequest(
                "HNSW ef_construction and ef_search must be at least 1".into(),
            ));
        }
        let keyword_dir = dir.join(KEYWORD_DIR);
        keyword::ensure_dir(&keyword_dir)?;
        let (schema, _) = keyword::schema();
        let tantivy = tantivy::Index::create_in_dir(&keyword_dir, schema)?;
        // The descriptor is written last: a directory without it is not an index yet.
        MetaFile {
            format_version: FORMAT_VERSION,
            spec: spec.clone(),
        }
        .write(dir)?;
        Self::from_parts(dir, spec.clone(), tantivy)
    }

    fn from_parts(dir: &Path, spec: IndexSpec, tantivy: tantivy::Index) -> Result<Self> {
        keyword::register_analyzers(&tantivy);
        let (expected_schema, fields) = keyword::schema();
        if tantivy.schema() != expected_schema {
            return Err(Error::Corrupt {
                path: dir.join(KEYWORD_DIR),
                message: "keyword schema differs from this trawl's".into(),
            });
        }
        let reader = tantivy
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let parser = keyword::query_parser(&tantivy, &fields);
        let opstamp = tantivy.load_metas()?.opstamp;
        let state = load_state(dir, &spec, &tantivy, &reader, None, None, opstamp)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            spec,
            tantivy,
            fields,
            reader,
            parser,
            state: RwLock::new(Arc::new(state)),
        })
    }

    /// The directory this index lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What this index was built for.
    pub fn spec(&self) -> &IndexSpec {
        &self.spec
    }

    /// Picks up the latest commit (from this or another process).
    pub fn reload(&self) -> Result<()> {
        self.reload_with(None)
    }

    /// Reloads, using `fresh` (a generation number and its vectors, just
    /// written by this process) instead of reading that generation back.
    fn reload_with(&self, fresh: Option<(u64, Arc<VectorIndex>)>) -> Result<()> {
        // Read before reloading: a commit landing in between leaves this stamp
        // older than the snapshot, which only costs one more reload later.
        let opstamp = self.tantivy.load_metas()?.opstamp;
        self.reader.reload()?;
        let current = self.current();
        let state = load_state(
            &self.dir,
            &self.spec,
            &self.tantivy,
            &self.reader,
            Some(&current),
            fresh,
            opstamp,
        )?;
        *self.state.write().expect("index state lock") = Arc::new(state);
        Ok(())
    }

    /// Reloads when another writer (a `trawl index` run) committed since the
    /// last load; returns whether it did. Cheap when nothing changed (one
    /// small file read).
    pub fn reload_if_changed(&self) -> Result<bool> {
        let on_disk = self.tantivy.load_metas()?.opstamp;
        if on_disk == self.current().opstamp {
            return Ok(false);
        }
        self.reload()?;
        Ok(true)
    }

    /// Bytes the index directory takes on disk (every file under it).
    pub fn size_on_disk(&self) -> u64 {
        fn walk(dir: &Path) -> u64 {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return 0;
            };
            entries
                .flatten()
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => walk(&e.path()),
                    Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
                    _ => 0,
                })
                .sum()
        }
        walk(&self.dir)
    }

    pub(crate) fn current(&self) -> Arc<State> {
        self.state.read().expect("index state lock").clone()
    }

    /// Counts of documents, chunks and vectors.
    pub fn stats(&self) -> IndexStats {
        let state = self.current();
        let v = state.vectors.stats();
        IndexStats {
            documents: state.commit.documents,
            chunks: state.searcher.num_docs(),
            vectors: state.vectors.len() as u64,
            vector_segments: v.segments as u64,
            tombstones: v.tombstones as u64,
        }
    }

    /// Exact nearest chunks to `vector` by a full scan: `(chunk id, cosine)`, best
    /// first. The ground truth the graph's recall is measured against.
    pub fn exact_nearest(&self, vector: &[f32], k: usize) -> Result<Vec<(u64, f32)>> {
        if vector.len() != self.spec.dim {
            return Err(Error::Dimension {
                expected: self.spec.dim,
                found: vector.len(),
            });
        }
        Ok(self.current().vectors.exact_search(vector, k))
    }

    /// Approximate nearest chunks to `vector` through the graph, as the vector arm
    /// sees them, with `ef_search` candidates (the index's default when `None`).
    pub fn approximate_nearest(
        &self,
        vector: &[f32],
        k: usize,
        ef_search: Option<usize>,
    ) -> Result<Vec<(u64, f32)>> {
        if vector.len() != self.spec.dim {
            return Err(Error::Dimension {
                expected: self.spec.dim,
                found: vector.len(),
            });
        }
        Ok(self.current().vectors.search(vector, k, ef_search))
    }

    /// Copies the last commit into `dest` (which must not exist), consistently,
    /// while searches go on: the writer lock is held for the copy, so no commit
    /// can start meanwhile; if one is running, this waits for it to finish.
    /// See the `snapshot` module for what is copied.
    pub fn snapshot(&self, dest: &Path) -> Result<SnapshotManifest> {
        if dest.exists() {
            return Err(Error::InvalidRequest(format!(
                "{} already exists; snapshots go into a new directory",
                dest.display()
            )));
        }
        let _lock = self.lock_for_snapshot()?;
        // Another process may have committed since this index last loaded.
        self.reload()?;
        let state = self.current();
        let staging = dest.with_file_name(format!(
            ".{}.partial",
            dest.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).at(&staging)?;
        }
        std::fs::create_dir_all(&staging).at(&staging)?;
        let mut rels: Vec<PathBuf> = Vec::new();
        // Top-level files: descriptor, indexer state and caches, journals.
        for entry in std::fs::read_dir(&self.dir).at(&self.dir)? {
            let entry = entry.at(&self.dir)?;
            let name = entry.file_name();
            let is_file = entry.file_type().at(&entry.path())?.is_file();
            if is_file && !name.to_string_lossy().ends_with(".tmp") {
                rels.push(PathBuf::from(name));
            }
        }
        // The tantivy files of the last commit only.
        let metas = self.tantivy.load_metas()?;
        let live: HashSet<String> = metas
            .segments
            .iter()
            .map(|s| s.id().uuid_string())
            .collect();
        rels.push(Path::new(KEYWORD_DIR).join("meta.json"));
        let keyword_dir = self.dir.join(KEYWORD_DIR);
        for entry in std::fs::read_dir(&keyword_dir).at(&keyword_dir)? {
            let name = entry.at(&keyword_dir)?.file_name();
            let name = name.to_string_lossy();
            // Segment files are named `UUID.component`.
            if name
                .split_once('.')
                .is_some_and(|(uuid, _)| live.contains(uuid))
            {
                rels.push(Path::new(KEYWORD_DIR).join(name.as_ref()));
            }
        }
        // Its vector generation and the segments it lists.
        if state.commit.vector_generation > 0 {
            let generation = vector_dir(Path::new(""), state.commit.vector_generation);
            let mut dirs = vec![generation];
            dirs.extend(state.vectors.segment_names().map(vector::segment_rel));
            for d in dirs {
                for entry in std::fs::read_dir(self.dir.join(&d)).at(&self.dir.join(&d))? {
                    let entry = entry.at(&self.dir.join(&d))?;
                    rels.push(d.join(entry.file_name()));
                }
            }
        }
        rels.sort();
        rels.dedup();
        let mut files = Vec::with_capacity(rels.len());
        for rel in &rels {
            files.push(crate::snapshot::copy_file(&self.dir, &staging, rel)?);
        }
        let stats = self.stats();
        let manifest = SnapshotManifest {
            format_version: FORMAT_VERSION,
            created_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            source: self.dir.clone(),
            documents: stats.documents,
            chunks: stats.chunks,
            files,
        };
        crate::snapshot::write_manifest(&staging, &manifest)?;
        std::fs::rename(&staging, dest).at(dest)?;
        Ok(manifest)
    }

    /// Takes tantivy's writer lock, waiting a while for a running commit.
    fn lock_for_snapshot(&self) -> Result<tantivy::IndexWriter> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
        loop {
            match self.tantivy.writer_with_num_threads(1, 15_000_000) {
                Ok(w) => return Ok(w),
                Err(tantivy::TantivyError::LockFailure(..))
                    if std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Every live chunk with its text and vector, in index order, up to
    /// `limit` chunks: for benchmarks that feed the same data to other engines,
    /// and for exports. Reads the document store, so it is not a query path.
    pub fn export_chunks(&self, limit: Option<usize>) -> Result<Vec<ExportedChunk>> {
        let state = self.current();
        let mut vectors: HashMap<u64, Vec<f32>> = HashMap::with_capacity(state.vectors.len());
        state
            .vectors
            .for_each_live(|id, v| drop(vectors.insert(id, v.to_vec())));
        let limit = limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        for (ord, segment) in state.searcher.segment_readers().iter().enumerate() {
            for doc in segment.doc_ids_alive() {
                if out.len() >= limit {
                    return Ok(out);
                }
                let addr = tantivy::DocAddress::new(ord as u32, doc);
                let chunk = keyword::read_chunk(&state.searcher, &self.fields, addr)?;
                let Some(vector) = vectors.remove(&chunk.chunk_id) else {
                    continue;
                };
                out.push(ExportedChunk {
                    chunk_id: chunk.chunk_id,
                    doc_id: chunk.doc_id,
                    title: chunk.title,
                    text: chunk.body,
                    section: (!chunk.section.is_empty()).then_some(chunk.section),
                    vector,
                });
            }
        }
        Ok(out)
    }

    /// A writer for adding and deleting documents. Only one may exist per
    /// index at a time, across processes: while another holds the lock, this waits up to
    /// two seconds and then fails with [`Error::Locked`].
    pub fn writer(&self) -> Result<IndexWriter<'_>> {
        let started = std::time::Instant::now();
        let writer = loop {
            match self.tantivy.writer_with_num_threads(1, WRITER_HEAP) {
                Ok(writer) => break writer,
                // a lock can outlive its writer for a moment: a child process forked by
                // another thread (OCR, a converter) holds the lock file's descriptor until it
                // execs, and CI saw a run started right after a failed one refused once
                Err(tantivy::TantivyError::LockFailure(..)) if started.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(tantivy::TantivyError::LockFailure(..)) => {
                    return Err(Error::Locked(self.dir.clone()));
                }
                Err(other) => return Err(Error::Tantivy(other)),
            }
        };
        let state = self.current();
        Ok(IndexWriter {
            index: self,
            writer,
            vectors: VectorData::new(self.spec.dim),
            commit: state.commit,
            base: state,
            removed: HashSet::new(),
            pending: HashMap::new(),
            changed: false,
        })
    }

    /// The whole text of one chunk (a hit's `chunk_id`), when the chunk still exists and
    /// `access` may see its document. Snippets are cut for display; grounded answers need the
    /// full passage.
    pub fn passage_text(&self, chunk_id: u64, access: &Access) -> Result<Option<String>> {
        let state = self.current();
        let Some(loc) = state.chunks.chunks.get(&chunk_id) else {
            return Ok(None);
        };
        let chunk = keyword::read_chunk(&state.searcher, &self.fields, loc.addr)?;
        Ok(access.allows(&chunk.meta.groups).then_some(chunk.body))
    }

    /// The `n` passages of document `doc_id` nearest to `vector`, best first, that `access`
    /// may see. Why: search shows a document's best-matching passage, and the passage that
    /// states an answer is often another part of the same document (the rule beside the
    /// worked example that matched).
    pub fn document_passages(
        &self,
        doc_id: &str,
        vector: &[f32],
        n: usize,
        access: &Access,
    ) -> Result<Vec<DocumentPassage>> {
        if vector.len() != self.spec.dim {
            return Err(Error::Dimension {
                expected: self.spec.dim,
                found: vector.len(),
            });
        }
        let state = self.current();
        let ids: HashSet<u64> = keyword::chunks_of(&state.searcher, &self.fields, doc_id)?
            .into_iter()
            .collect();
        let mut near: Vec<(u64, f32)> = state
            .vectors
            .vectors_of(&ids)
            .into_iter()
            .map(|(id, v)| (id, crate::vector::dot(vector, &v)))
            .collect();
        near.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut out = Vec::new();
        for (chunk_id, cosine) in near.into_iter().take(n) {
            let Some(loc) = state.chunks.chunks.get(&chunk_id) else {
                continue;
            };
            let chunk = keyword::read_chunk(&state.searcher, &self.fields, loc.addr)?;
            if !access.allows(&chunk.meta.groups) {
                continue;
            }
            out.push(DocumentPassage {
                chunk_id,
                cosine,
                text: chunk.body,
                page: (chunk.page > 0).then_some(chunk.page as u32),
                section: (!chunk.section.is_empty()).then_some(chunk.section),
            });
        }
        Ok(out)
    }

    /// Runs a search. `query_vector` (the embedded query) is required when the
    /// mode uses the vector arm.
    pub fn search(
        &self,
        req: &SearchRequest,
        query_vector: Option<&[f32]>,
    ) -> Result<SearchResults> {
        self.search_then(req, || Ok::<_, Error>(query_vector.map(<[f32]>::to_vec)))
    }

    /// Runs a search whose query vector `embed` computes on another thread
    /// while the keyword arm runs on this one (`embed` is not called when the
    /// mode has no vector arm).
    ///
    /// Why: embedding a query takes longer than the whole keyword arm, and one
    /// search alone leaves a core idle; overlapping the two cuts a hybrid
    /// search's latency by the keyword arm's time.
    pub fn search_embedding<E, F>(&self, req: &SearchRequest, embed: F) -> Result<SearchResults, E>
    where
        E: From<Error> + Send,
        F: FnOnce() -> Result<Vec<f32>, E> + Send,
    {
        if !req.mode.uses_vector() {
            return self.search_then(req, || Ok(None));
        }
        std::thread::scope(|scope| {
            let embedding = scope.spawn(embed);
            self.search_then(req, move || {
                embedding
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                    .map(Some)
            })
        })
    }

    /// The search itself: `query_vector` is asked for after the keyword arm ran.
    fn search_then<E: From<Error>>(
        &self,
        req: &SearchRequest,
        query_vector: impl FnOnce() -> Result<Option<Vec<f32>>, E>,
    ) -> Result<SearchResults, E> {
        validate(req)?;
        let state = self.current();
        let wanted = req.offset + req.k;
        // Several chunks of one document can crowd the top; dig deeper than k.
        let depth = (wanted * 5).max(100);
        let text_query = keyword::parse(&self.tantivy, &self.parser, &req.query);
        let has_text = !req.query.trim().is_empty();
        let keyword_ceiling = if has_text {
            keyword::score_ceiling(&state.searcher, &*text_query, &self.fields)
        } else {
            0.0
        };
        let restriction = filter::restriction(
            &self.fields,
            &req.filter,
            &req.access,
            req.doc_ids.as_deref(),
        )?;

        let keyword_hits = if req.mode.uses_keyword() && has_text {
            keyword_arm(&state, &*text_query, restriction.as_deref(), depth)?
        } else {
            Vec::new()
        };
        let vector_hits: Vec<(u64, f32)> = if req.mode.uses_vector() {
            let v = query_vector()?.ok_or_else(|| {
                Error::InvalidRequest(format!("{} search needs a query vector", req.mode))
            })?;
            self.vector_arm(&state, &v, restriction.as_deref(), depth, req.ef_search)?
        } else {
            Vec::new()
        };

        // Fuse documents, not chunks: a document whose best keyword passage and
        // best semantic passage differ must get credit from both arms.
        let arms = Arms {
            keyword: per_document(&state.chunks, &keyword_hits),
            vector: per_document(&state.chunks, &vector_hits),
            keyword_ceiling,
        };
        // Fewer hits than asked for: the keyword list holds every matching passage.
        let fused = arms.fuse(req, keyword_hits.len() < depth);
        let hits = self.hits(&state, req, fused, has_text.then_some(&*text_query), &arms)?;
        Ok(SearchResults {
            hits,
            keyword_candidates: keyword_hits.len(),
            vector_candidates: vector_hits.len(),
            keyword_ceiling,
        })
    }

    /// The vector arm: the chunks nearest to `v` among those `restriction` allows, live in the
    /// keyword snapshot.
    fn vector_arm(
        &self,
        state: &State,
        v: &[f32],
        restriction: Option<&dyn tantivy::query::Query>,
        depth: usize,
        ef_search: Option<usize>,
    ) -> Result<Vec<(u64, f32)>> {
        if v.len() != self.spec.dim {
            return Err(Error::Dimension {
                expected: self.spec.dim,
                found: v.len(),
            });
        }
        let raw = match restriction {
            Some(r) => {
                let allowed = filter::allowed_chunks(&state.searcher, r)?;
                state.vectors.search_among(v, depth, &allowed, ef_search)
            }
            None => state.vectors.search(v, depth, ef_search),
        };
        Ok(raw
            .into_iter()
            .filter(|(id, _)| state.chunks.chunks.contains_key(id))
            .collect())
    }

    /// The page `req` asks for of the fused documents, each shown by the passage of the arm
    /// that ranked it higher, with a snippet for `text_query`.
    fn hits(
        &self,
        state: &State,
        req: &SearchRequest,
        fused: Vec<Fused>,
        text_query: Option<&dyn tantivy::query::Query>,
        arms: &Arms,
    ) -> Result<Vec<Hit>> {
        // Query terms are on `content`, which shares the body's analyzer.
        let generator = text_query.and_then(|query| {
            keyword::snippet_generator(&state.searcher, query, self.fields.content, SNIPPET_CHARS)
        });
        let mut hits = Vec::new();
        for f in fused.into_iter().skip(req.offset).take(req.k) {
            // Show the passage of the arm that ranked the document higher.
            let best = match (f.ranks[0], f.ranks[1]) {
                (Some(k), Some(v)) if v < k => arms.vector.best_chunk[&f.id],
                (Some(_), _) => arms.keyword.best_chunk[&f.id],
                (None, _) => arms.vector.best_chunk[&f.id],
            };
            let loc = state.chunks.chunks[&best];
            let chunk = keyword::read_chunk(&state.searcher, &self.fields, loc.addr)?;
            let snippet = keyword::snippet(generator.as_ref(), &chunk.body, SNIPPET_CHARS);
            let keyword_score = f.ranks[0].map(|r| arms.keyword.ranked[r - 1].1);
            let vector_score = f.ranks[1].map(|r| arms.vector.ranked[r - 1].1);
            hits.push(Hit {
                doc_id: chunk.doc_id,
                path: chunk.path,
                title: chunk.title,
                score: f.score,
                chunk_id: chunk.chunk_id,
                snippet: snippet.text,
                snippet_html: snippet.html,
                page: (chunk.page > 0).then_some(chunk.page as u32),
                section: (!chunk.section.is_empty()).then_some(chunk.section),
                keyword_rank: f.ranks[0],
                vector_rank: f.ranks[1],
                keyword_score,
                keyword_share: keyword_score
                    .map(|s| crate::fusion::keyword_share(s, arms.keyword_ceiling)),
                vector_score,
                meta: chunk.meta,
            });
        }
        Ok(hits)
    }
}

/// A search's bounds: `k` at least 1, `offset + k` and the query's length capped, the fusion's
/// parameters valid.
fn validate(req: &SearchRequest) -> Result<()> {
    if req.k == 0 || req.offset.saturating_add(req.k) > MAX_RESULTS {
        return Err(Error::InvalidRequest(format!(
            "k must be at least 1 and offset + k at most {MAX_RESULTS}"
        )));
    }
    if req.query.chars().count() > MAX_QUERY_CHARS {
        return Err(Error::InvalidRequest(format!(
            "query is longer than {MAX_QUERY_CHARS} characters"
        )));
    }
    req.fusion.validate()
}

/// The keyword arm: BM25 over the chunks `restriction` allows (it adds no score).
fn keyword_arm(
    state: &State,
    text_query: &dyn tantivy::query::Query,
    restriction: Option<&dyn tantivy::query::Query>,
    depth: usize,
) -> Result<Vec<(u64, f32)>> {
    let query: Box<dyn tantivy::query::Query> = match restriction {
        Some(r) => Box::new(tantivy::query::BooleanQuery::new(vec![
            (tantivy::query::Occur::Must, text_query.box_clone()),
            (
                tantivy::query::Occur::Must,
                Box::new(tantivy::query::ConstScoreQuery::new(r.box_clone(), 0.0)),
            ),
        ])),
        None => text_query.box_clone(),
    };
    keyword::search(&state.searcher, &*query, depth)
}

/// Both arms aggregated to documents, and the keyword arm's score ceiling for the query.
struct Arms {
    keyword: PerDocument,
    vector: PerDocument,
    keyword_ceiling: f32,
}

impl Arms {
    /// The documents in `req`'s mode's order: fused in hybrid mode, else one arm's ranking.
    fn fuse(&self, req: &SearchRequest, keyword_complete: bool) -> Vec<Fused> {
        if req.mode == Mode::Hybrid {
            return req.fusion.fuse(
                &self.keyword.ranked,
                &self.vector.ranked,
                self.keyword_ceiling,
                keyword_complete,
            );
        }
        let keyword = req.mode == Mode::Keyword;
        let arm = if keyword { &self.keyword } else { &self.vector };
        arm.ranked
            .iter()
            .enumerate()
            .map(|(i, &(doc, score))| {
                let rank = Some(i + 1);
                Fused {
                    id: doc,
                    score,
                    ranks: if keyword {
                        vec![rank, None]
                    } else {
                        vec![None, rank]
                    },
                }
            })
            .collect()
    }
}

/// One arm's result aggregated to documents: each document scores as its best chunk.
struct PerDocument {
    /// `(document ordinal, best chunk score)`, best first.
    ranked: Vec<(u64, f32)>,
    /// Document ordinal → its best chunk.
    best_chunk: HashMap<u64, u64>,
}

fn per_document(map: &keyword::ChunkMap, hits: &[(u64, f32)]) -> PerDocument {
    let mut ranked = Vec::new();
    let mut best_chunk = HashMap::new();
    // Hits arrive best first, so a document's first chunk is its best.
    for &(chunk, score) in hits {
        let Some(loc) = map.chunks.get(&chunk) else {
            continue;
        };
        let doc = u64::from(loc.doc);
        if let std::collections::hash_map::Entry::Vacant(e) = best_chunk.entry(doc) {
            e.insert(chunk);
            ranked.push((doc, score));
        }
    }
    PerDocument { ranked, best_chunk }
}

fn vector_dir(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("{VECTOR_DIR_PREFIX}{generation:06}"))
}

fn load_state(
    dir: &Path,
    spec: &IndexSpec,
    tantivy: &tantivy::Index,
    reader: &IndexReader,
    previous: Option<&State>,
    fresh: Option<(u64, Arc<VectorIndex>)>,
    opstamp: u64,
) -> Result<State> {
    let searcher = reader.searcher();
    let commit = CommitPoint::read(tantivy, dir)?;
    let generation = commit.vector_generation;
    let vectors = match (previous, fresh) {
        (_, Some((g, v))) if g == generation => v,
        (Some(p), _) if p.commit.vector_generation == generation => p.vectors.clone(),
        _ if generation == 0 => Arc::new(VectorIndex::empty(spec.dim, spec.hnsw)),
        (previous, _) => Arc::new(VectorIndex::load(
            dir,
            &vector_dir(dir, generation),
            spec.dim,
            spec.hnsw,
            previous.map(|p| &*p.vectors),
        )?),
    };
    let chunks = keyword::chunk_map(&searcher)?;
    if chunks.chunks.len() != vectors.len() {
        tracing::warn!(
            dir = %dir.display(),
            chunks = chunks.chunks.len(),
            vectors = vectors.len(),
            "keyword and vector arms disagree on the number of chunks"
        );
    }
    Ok(State {
        searcher,
        chunks,
        vectors,
        commit,
        opstamp,
    })
}

/// A chunk of a document to index, with its vector.
#[derive(Debug, Clone)]
pub struct ChunkInput {
    /// The chunk's text.
    pub text: String,
    /// 1-based page, where the format has pages.
    pub page: Option<u32>,
    /// Heading path, e.g. `Leave › Sick leave`.
    pub section: Option<String>,
    /// The chunk's embedding; must have the index's dimension.
    pub vector: Vec<f32>,
}

/// What is known about a document besides its text: used by filters and
/// permissions, and shown with results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentMeta {
    /// File type: `markdown`, `text`, `pdf`, `docx`, `html`, `email`, …
    pub kind: String,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// Access groups allowed to see the document; empty means everyone.
    pub groups: Vec<String>,
    /// Person whose files these are (legal discovery).
    pub custodian: Option<String>,
    /// Author, where the format records one (or the sender of an e-mail).
    pub author: Option<String>,
    /// Document date (sent date for e-mail), Unix seconds.
    pub date: Option<i64>,
    /// File modification time, Unix seconds.
    pub modified: Option<i64>,
    /// File size in bytes.
    pub size: u64,
    /// sha256 of the file's bytes, hex.
    pub sha256: String,
    /// For an attachment, the id of the document that contains it.
    pub parent_id: Option<String>,
    /// Further named values (e-mail headers such as `from`, `to`, `subject`).
    pub extra: BTreeMap<String, String>,
}

/// A whole document to index.
#[derive(Debug, Clone)]
pub struct DocumentInput {
    /// Stable id; adding a document with an existing id replaces it.
    pub doc_id: String,
    /// Where the document came from.
    pub path: String,
    /// Title shown in results.
    pub title: String,
    /// Metadata for filters, permissions and display.
    pub meta: DocumentMeta,
    /// The document's chunks, in order.
    pub chunks: Vec<ChunkInput>,
}

/// Adds and deletes documents; nothing is visible to searches until [`IndexWriter::commit`].
pub struct IndexWriter<'a> {
    index: &'a Index,
    writer: tantivy::IndexWriter,
    /// Vectors added since the writer opened (committed ones stay in their segments).
    vectors: VectorData,
    commit: CommitPoint,
    base: Arc<State>,
    /// Chunk ids deleted since the writer opened.
    removed: HashSet<u64>,
    /// Documents added since the writer opened, with their chunk ids.
    pending: HashMap<String, Vec<u64>>,
    changed: bool,
}

impl IndexWriter<'_> {
    /// Adds `doc`, replacing any document with the same id.
    pub fn add_document(&mut self, doc: DocumentInput) -> Result<()> {
        let dim = self.index.spec.dim;
        if let Some(c) = doc.chunks.iter().find(|c| c.vector.len() != dim) {
            return Err(Error::Dimension {
                expected: dim,
                found: c.vector.len(),
            });
        }
        if let Some(g) = doc
            .meta
            .groups
            .iter()
            .find(|g| g.starts_with("__") || g.is_empty())
        {
            return Err(Error::InvalidRequest(format!(
                "group name {g:?} is reserved (empty or starting with `__`)"
            )));
        }
        self.delete_document(&doc.doc_id)?;
        let f = self.index.fields;
        let m = &doc.meta;
        let extra =
            (!m.extra.is_empty()).then(|| serde_json::to_string(&m.extra).expect("map serializes"));
        let mut ids = Vec::with_capacity(doc.chunks.len());
        for (ordinal, chunk) in doc.chunks.into_iter().enumerate() {
            let id = self.commit.next_chunk_id;
            self.vectors.push(id, &chunk.vector)?;
            self.commit.next_chunk_id += 1;
            let mut d = TantivyDocument::default();
            d.add_u64(f.chunk_id, id);
            d.add_text(f.doc_id, &doc.doc_id);
            d.add_text(f.path, &doc.path);
            d.add_text(f.title, &doc.title);
            d.add_text(f.body, &chunk.text);
            d.add_text(
                f.content,
                format!(
                    "{}\n{}\n{}",
                    doc.title,
                    chunk.section.as_deref().unwrap_or(""),
                    chunk.text
                ),
            );
            d.add_text(f.section, chunk.section.as_deref().unwrap_or(""));
            d.add_u64(f.page, u64::from(chunk.page.unwrap_or(0)));
            d.add_u64(f.ordinal, ordinal as u64);
            d.add_text(f.kind, &m.kind);
            for t in &m.tags {
                d.add_text(f.tags, t);
            }
            if m.groups.is_empty() {
                d.add_text(f.groups, keyword::PUBLIC_GROUP);
            }
            for g in &m.groups {
                d.add_text(f.groups, g);
            }
            for (field, value) in [
                (f.custodian, &m.custodian),
                (f.author, &m.author),
                (f.parent_id, &m.parent_id),
            ] {
                if let Some(v) = value {
                    d.add_text(field, v);
                }
            }
            if let Some(date) = m.date {
                d.add_i64(f.date, date);
            }
            if let Some(t) = m.modified {
                d.add_i64(f.modified, t);
            }
            d.add_u64(f.size, m.size);
            d.add_text(f.sha256, &m.sha256);
            if let Some(extra) = &extra {
                d.add_text(f.extra, extra);
            }
            self.writer.add_document(d)?;
            ids.push(id);
        }
        self.pending.insert(doc.doc_id, ids);
        self.commit.documents += 1;
        self.changed = true;
        Ok(())
    }

    /// Deletes the document with this id, if present. Returns whether it existed.
    pub fn delete_document(&mut self, doc_id: &str) -> Result<bool> {
        let pending = self.pending.remove(doc_id);
        let committed: Vec<u64> =
            keyword::chunks_of(&self.base.searcher, &self.index.fields, doc_id)?
                .into_iter()
                .filter(|id| !self.removed.contains(id))
                .collect();
        if pending.is_none() && committed.is_empty() {
            return Ok(false);
        }
        self.writer
            .delete_term(Term::from_field_text(self.index.fields.doc_id, doc_id));
        self.removed
            .extend(pending.into_iter().flatten().chain(committed));
        self.commit.documents = self.commit.documents.saturating_sub(1);
        self.changed = true;
        Ok(true)
    }

    /// Makes every change visible at once, in both arms, and reloads the index.
    pub fn commit(mut self) -> Result<()> {
        if !self.changed {
            return Ok(());
        }
        let removed = std::mem::take(&mut self.removed);
        let dir = &self.index.dir;
        let generation = self.commit.vector_generation + 1;
        let gen_dir = vector_dir(dir, generation);
        if gen_dir.exists() {
            // Left over by a crash before its commit: never referenced, safe to replace.
            std::fs::remove_dir_all(&gen_dir).at(&gen_dir)?;
        }
        let vectors = self.base.vectors.next_generation(
            std::mem::take(&mut self.vectors),
            &removed,
            dir,
            &gen_dir,
        )?;
        sync_dir(dir)?;
        crate::fault::fault_point("after_vector_save");

        let point = CommitPoint {
            vector_generation: generation,
            ..self.commit
        };
        let payload = serde_json::to_string(&point).expect("commit point serializes");
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        crate::fault::fault_point("after_keyword_commit");
        self.writer.wait_merging_threads()?;

        remove_stale_generations(dir, generation);
        vector::remove_unused_segments(dir, vectors.segment_names());
        self.index
            .reload_with(Some((generation, Arc::new(vectors))))
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir).and_then(|f| f.sync_all()).at(dir)
}

fn remove_stale_generations(dir: &Path, live: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(generation) = name
            .to_str()
            .and_then(|n| n.strip_prefix(VECTOR_DIR_PREFIX))
            .and_then(|g| g.parse::<u64>().ok())
        else {
            continue;
        };
        if generation == live {
            continue;
        }
        if let Err(e) = std::fs::remove_dir_all(entry.path()) {
            tracing::warn!(path = %entry.path().display(), error = %e, "could not remove old vectors");
        }
    }
}
