//! Wire types of the search API, shared by HTTP and the CLI's `--json`.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use trawl_embedder::Embedder;
use trawl_search::{Access, Filter, Fusion, Hit, Index, Mode, SearchRequest};
use utoipa::{IntoParams, ToSchema};

use crate::ApiError;

/// Default number of results.
pub const DEFAULT_K: usize = 10;

/// Parameters of a search, as in `GET /api/search?q=…&k=…&mode=…&offset=…`
/// or the JSON body of `POST /api/search`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
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
    /// File types, comma-separated (`pdf,docx`).
    #[serde(default)]
    pub kind: Option<String>,
    /// Tags, comma-separated; a document needs any one of them.
    #[serde(default)]
    pub tag: Option<String>,
    /// Custodians, comma-separated.
    #[serde(default)]
    pub custodian: Option<String>,
    /// Path prefix, relative to the indexed folder.
    #[serde(default)]
    pub path: Option<String>,
    /// Earliest document date, `YYYY-MM-DD`.
    #[serde(default)]
    pub from: Option<String>,
    /// Latest document date, `YYYY-MM-DD` (inclusive).
    #[serde(default)]
    pub to: Option<String>,
    /// Hybrid fusion: `rrf[:K]` or `convex[:WEIGHT]`.
    #[serde(default)]
    pub fusion: Option<String>,
}

impl SearchParams {
    /// A hybrid search for `q` with defaults for everything else.
    pub fn new(q: impl Into<String>) -> Self {
        Self {
            q: q.into(),
            k: None,
            mode: None,
            offset: None,
            kind: None,
            tag: None,
            custodian: None,
            path: None,
            from: None,
            to: None,
            fusion: None,
        }
    }

    /// The metadata filter these parameters describe.
    pub fn filter(&self) -> Result<Filter, ApiError> {
        let list = |v: &Option<String>| -> Vec<String> {
            v.as_deref()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let date = |v: &Option<String>, end_of_day: bool| -> Result<Option<i64>, ApiError> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => parse_date(s)
                    .map(|t| Some(if end_of_day { t + 86_399 } else { t }))
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            "invalid_date",
                            format!("{s:?} is not a date (YYYY-MM-DD)"),
                        )
                    }),
            }
        };
        Ok(Filter {
            kinds: list(&self.kind),
            tags: list(&self.tag),
            custodians: list(&self.custodian),
            path_prefix: self.path.clone().filter(|p| !p.trim().is_empty()),
            date_from: date(&self.from, false)?,
            date_to: date(&self.to, true)?,
        })
    }
}

/// `YYYY-MM-DD` → Unix seconds at midnight UTC.
pub fn parse_date(s: &str) -> Option<i64> {
    // The indexer's parser also takes times; filters take plain dates only.
    let plain = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    plain.then(|| trawl_indexer::parse_date(s)).flatten()
}

/// One result document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchResult {
    /// Stable document id.
    pub doc_id: String,
    /// The passage shown (see `GET /api/documents/{id}`'s chunks).
    pub chunk_id: u64,
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
            chunk_id: h.chunk_id,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchResponse {
    /// The query as received.
    pub query: String,
    /// The mode used.
    #[schema(value_type = String, example = "hybrid")]
    pub mode: Mode,
    /// Milliseconds spent, query embedding included.
    pub took_ms: f64,
    /// Result documents, best first.
    pub results: Vec<SearchResult>,
}

/// Runs a search the same way for HTTP and the CLI, as `access` allows.
/// Blocking (embeds the query).
pub fn run_search(
    index: &Index,
    embedder: &dyn Embedder,
    params: &SearchParams,
    access: &Access,
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
    req.filter = params.filter()?;
    req.access = access.clone();
    if let Some(f) = params.fusion.as_deref().filter(|f| !f.is_empty()) {
        req.fusion = f
            .parse::<Fusion>()
            .map_err(|e| ApiError::bad_request("invalid_fusion", e.to_string()))?;
    }
    if params.q.trim().is_empty() {
        return Err(ApiError::bad_request("empty_query", "the query is empty"));
    }
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

/// Default number of similar documents.
pub const DEFAULT_SIMILAR: usize = 10;

/// Parameters of `GET /api/documents/{id}/similar`: how many, and the same
/// filters as a search.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields, default)]
#[into_params(parameter_in = Query)]
pub struct SimilarParams {
    /// Number of documents to return (default 10).
    pub limit: Option<usize>,
    /// File types, comma-separated.
    pub kind: Option<String>,
    /// Tags, comma-separated.
    pub tag: Option<String>,
    /// Custodians, comma-separated.
    pub custodian: Option<String>,
    /// Path prefix.
    pub path: Option<String>,
    /// Earliest date, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Latest date, `YYYY-MM-DD`.
    pub to: Option<String>,
}

/// `GET /api/documents/{id}/similar`: the documents nearest to one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SimilarResponse {
    /// The document they are similar to.
    pub doc_id: String,
    /// Milliseconds spent.
    pub took_ms: f64,
    /// Documents, most similar first: `score` and `vector_score` are the cosine
    /// between the two documents' mean chunk vectors; the snippet is the
    /// passage nearest to the source document.
    pub results: Vec<SearchResult>,
}

/// Documents similar to `doc_id`, the same way for HTTP and the CLI, as
/// `access` allows; `None` when the document does not exist or `access` may
/// not see it.
pub fn run_similar(
    index: &Index,
    doc_id: &str,
    params: &SimilarParams,
    access: &Access,
) -> Result<Option<SimilarResponse>, ApiError> {
    let started = Instant::now();
    let filter = SearchParams {
        kind: params.kind.clone(),
        tag: params.tag.clone(),
        custodian: params.custodian.clone(),
        path: params.path.clone(),
        from: params.from.clone(),
        to: params.to.clone(),
        ..SearchParams::new("")
    }
    .filter()?;
    let k = params.limit.unwrap_or(DEFAULT_SIMILAR);
    let Some(hits) = index.similar(doc_id, k, &filter, access)? else {
        return Ok(None);
    };
    Ok(Some(SimilarResponse {
        doc_id: doc_id.to_owned(),
        took_ms: started.elapsed().as_secs_f64() * 1e3,
        results: hits.into_iter().map(SearchResult::from).collect(),
    }))
}

/// Parameters of `GET /api/documents`: filters and a page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields, default)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// File types, comma-separated.
    pub kind: Option<String>,
    /// Tags, comma-separated.
    pub tag: Option<String>,
    /// Custodians, comma-separated.
    pub custodian: Option<String>,
    /// Path prefix.
    pub path: Option<String>,
    /// Earliest date, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Latest date, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Documents per page (default 100).
    pub limit: Option<usize>,
    /// Documents to skip.
    pub offset: Option<usize>,
}

impl ListParams {
    /// The metadata filter these parameters describe.
    pub fn filter(&self) -> Result<Filter, ApiError> {
        SearchParams {
            kind: self.kind.clone(),
            tag: self.tag.clone(),
            custodian: self.custodian.clone(),
            path: self.path.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            ..SearchParams::new("")
        }
        .filter()
    }
}

/// One document of a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DocumentSummary {
    /// Document id.
    pub doc_id: String,
    /// Path, relative to the indexed folder.
    pub path: String,
    /// Title.
    pub title: String,
    /// File type.
    pub kind: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Custodian.
    pub custodian: Option<String>,
    /// Document date, Unix seconds.
    pub date: Option<i64>,
    /// Chunks the document was split into.
    pub chunks: usize,
}

/// `GET /api/documents`: the documents the caller may see, by path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DocumentList {
    /// Documents matching the filters that the caller may see.
    pub total: usize,
    /// This page.
    pub documents: Vec<DocumentSummary>,
}

impl From<trawl_search::DocumentInfo> for DocumentSummary {
    fn from(d: trawl_search::DocumentInfo) -> Self {
        Self {
            doc_id: d.doc_id,
            path: d.path,
            title: d.title,
            kind: d.meta.kind,
            tags: d.meta.tags,
            custodian: d.meta.custodian,
            date: d.meta.date,
            chunks: d.chunks,
        }
    }
}

/// Parameters of `GET /api/facets`: a search's query and filters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields, default)]
#[into_params(parameter_in = Query)]
pub struct FacetParams {
    /// Query text; empty counts every document.
    pub q: Option<String>,
    /// File types, comma-separated.
    pub kind: Option<String>,
    /// Tags, comma-separated.
    pub tag: Option<String>,
    /// Custodians, comma-separated.
    pub custodian: Option<String>,
    /// Path prefix.
    pub path: Option<String>,
    /// Earliest date, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Latest date, `YYYY-MM-DD`.
    pub to: Option<String>,
}

impl FacetParams {
    /// The same query and filters as search parameters.
    pub fn as_search(&self) -> SearchParams {
        SearchParams {
            kind: self.kind.clone(),
            tag: self.tag.clone(),
            custodian: self.custodian.clone(),
            path: self.path.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            ..SearchParams::new(self.q.clone().unwrap_or_default())
        }
    }
}

/// A facet value and its document count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FacetValue {
    /// The value.
    pub value: String,
    /// Documents with it.
    pub count: u64,
}

/// `GET /api/facets`: document counts under the query, filters and the caller's access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FacetsResponse {
    /// Documents matching.
    pub documents: u64,
    /// By file type.
    pub kind: Vec<FacetValue>,
    /// By tag.
    pub tags: Vec<FacetValue>,
    /// By custodian.
    pub custodian: Vec<FacetValue>,
    /// By year of the document date.
    pub year: Vec<FacetValue>,
}

impl From<trawl_search::Facets> for FacetsResponse {
    fn from(f: trawl_search::Facets) -> Self {
        let conv = |v: Vec<trawl_search::FacetCount>| {
            v.into_iter()
                .map(|c| FacetValue {
                    value: c.value,
                    count: c.count,
                })
                .collect()
        };
        Self {
            documents: f.documents,
            kind: conv(f.kinds),
            tags: conv(f.tags),
            custodian: conv(f.custodians),
            year: conv(f.years),
        }
    }
}

/// One chunk of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChunkView {
    /// Chunk id (search results point at one with `chunk_id`).
    pub chunk_id: u64,
    /// Position in the document, from 0.
    pub ordinal: u64,
    /// Text.
    pub text: String,
    /// Page, where the format has pages.
    pub page: Option<u32>,
    /// Heading path.
    pub section: Option<String>,
}

/// `GET /api/documents/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DocumentResponse {
    /// Document id.
    pub doc_id: String,
    /// Path, relative to the indexed folder (`uploads/…` for uploads).
    pub path: String,
    /// Title.
    pub title: String,
    /// File type.
    pub kind: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Access groups (empty: everyone).
    pub groups: Vec<String>,
    /// Custodian.
    pub custodian: Option<String>,
    /// Author or sender.
    pub author: Option<String>,
    /// Document date, Unix seconds.
    pub date: Option<i64>,
    /// File modification time, Unix seconds.
    pub modified: Option<i64>,
    /// File size, bytes.
    pub size: u64,
    /// sha256 of the file.
    pub sha256: String,
    /// Containing document of an attachment.
    pub parent_id: Option<String>,
    /// Further metadata (e-mail headers, …).
    pub extra: std::collections::BTreeMap<String, String>,
    /// The extracted text: the chunks in order, separated by blank lines
    /// (pieces of one long paragraph overlap by a few words).
    pub text: String,
    /// The chunks.
    pub chunks: Vec<ChunkView>,
    /// Whether `GET /api/documents/{id}/file` can serve the original.
    pub has_file: bool,
}

impl DocumentResponse {
    /// The wire form of `doc`.
    pub fn new(doc: trawl_search::Document, has_file: bool) -> Self {
        let m = doc.meta;
        let chunks: Vec<ChunkView> = doc
            .chunks
            .into_iter()
            .map(|c| ChunkView {
                chunk_id: c.chunk_id,
                ordinal: c.ordinal,
                text: c.text,
                page: c.page,
                section: c.section,
            })
            .collect();
        Self {
            text: chunks
                .iter()
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>()
                .join("\n\n"),
            doc_id: doc.doc_id,
            path: doc.path,
            title: doc.title,
            kind: m.kind,
            tags: m.tags,
            groups: m.groups,
            custodian: m.custodian,
            author: m.author,
            date: m.date,
            modified: m.modified,
            size: m.size,
            sha256: m.sha256,
            parent_id: m.parent_id,
            extra: m.extra,
            chunks,
            has_file,
        }
    }
}

/// `POST /api/documents`: the upload was accepted and queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UploadAccepted {
    /// Job id.
    pub job_id: String,
    /// Where to follow it.
    pub status_url: String,
    /// Paths the files will show.
    pub files: Vec<String>,
}

/// `DELETE /api/documents/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeleteResponse {
    /// The document and its attachments, removed in one commit.
    pub deleted: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_to_utc_midnight() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2024-05-01"), Some(1_714_521_600));
        assert_eq!(parse_date("2024-02-29"), Some(1_709_164_800));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "24-5",
            "yesterday",
            "2024-05-01x",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn filter_from_params() {
        let mut p = SearchParams::new("x");
        p.kind = Some("pdf, docx,".into());
        p.to = Some("1970-01-01".into());
        let f = p.filter().unwrap();
        assert_eq!(f.kinds, vec!["pdf", "docx"]);
        assert_eq!(f.date_to, Some(86_399));
        p.from = Some("soon".into());
        assert_eq!(p.filter().unwrap_err().code, "invalid_date");
    }
}
