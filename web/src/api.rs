//! Wire types of the search API, shared by HTTP and the CLI's `--json`.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use trawl_embedder::Embedder;
use trawl_search::{Hit, Index, Mode, SearchRequest};

use crate::ApiError;

/// Default number of results.
pub const DEFAULT_K: usize = 10;

/// Parameters of a search, as in `GET /api/search?q=…&k=…&mode=…&offset=…`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Query text.
    pub q: String,
    /// Number of documents to return (default 10).
    #[serde(default)]
    pub k: Option<usize>,
    /// `hybrid` (default), `keyword` or `vector`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Documents to skip, for paging.
    #[serde(default)]
    pub offset: Option<usize>,
}

/// One result document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    /// Stable document id.
    pub doc_id: String,
    /// Source path, relative to the indexed folder.
    pub path: String,
    /// Document title.
    pub title: String,
    /// Score in the search's mode (RRF, BM25 or cosine).
    pub score: f32,
    /// Best matching passage, plain text.
    pub snippet: String,
    /// The passage as escaped HTML with `<mark>` around query terms.
    pub snippet_html: String,
    /// Page of the passage, where the format has pages.
    pub page: Option<u32>,
    /// Heading path of the passage.
    pub section: Option<String>,
    /// Rank of the passage in the keyword arm.
    pub keyword_rank: Option<usize>,
    /// Rank of the passage in the vector arm.
    pub vector_rank: Option<usize>,
    /// BM25 score of the passage.
    pub keyword_score: Option<f32>,
    /// Cosine similarity of the passage to the query.
    pub vector_score: Option<f32>,
    /// File type: `markdown`, `text`, `pdf`, …
    pub kind: String,
    /// Tags of the document.
    pub tags: Vec<String>,
    /// Document date (sent date for e-mail), Unix seconds.
    pub date: Option<i64>,
    /// Custodian of the document.
    pub custodian: Option<String>,
    /// Author or sender.
    pub author: Option<String>,
}

impl From<Hit> for SearchResult {
    fn from(h: Hit) -> Self {
        Self {
            doc_id: h.doc_id,
            path: h.path,
            title: h.title,
            score: h.score,
            snippet: h.snippet,
            snippet_html: h.snippet_html,
            page: h.page,
            section: h.section,
            keyword_rank: h.keyword_rank,
            vector_rank: h.vector_rank,
            keyword_score: h.keyword_score,
            vector_score: h.vector_score,
            kind: h.meta.kind,
            tags: h.meta.tags,
            date: h.meta.date,
            custodian: h.meta.custodian,
            author: h.meta.author,
        }
    }
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    /// The query as received.
    pub query: String,
    /// The mode used.
    pub mode: Mode,
    /// Milliseconds spent, query embedding included.
    pub took_ms: f64,
    /// Result documents, best first.
    pub results: Vec<SearchResult>,
}

/// Runs a search the same way for HTTP and the CLI. Blocking (embeds the query).
pub fn run_search(
    index: &Index,
    embedder: &dyn Embedder,
    params: &SearchParams,
) -> Result<SearchResponse, ApiError> {
    let started = Instant::now();
    let mode = match params.mode.as_deref() {
        None | Some("") => Mode::default(),
        Some(m) => m
            .parse::<Mode>()
            .map_err(|e| ApiError::bad_request("invalid_mode", e.to_string()))?,
    };
    let mut req = SearchRequest::new(params.q.clone());
    req.mode = mode;
    req.k = params.k.unwrap_or(DEFAULT_K);
    req.offset = params.offset.unwrap_or(0);
    let vector = if mode.needs_vector() {
        Some(embedder.embed_query(&params.q)?)
    } else {
        None
    };
    let results = index.search(&req, vector.as_deref())?;
    Ok(SearchResponse {
        query: params.q.clone(),
        mode,
        took_ms: started.elapsed().as_secs_f64() * 1e3,
        results: results.hits.into_iter().map(SearchResult::from).collect(),
    })
}
