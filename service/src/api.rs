//! Wire types of the search API, shared by HTTP and the CLI's `--json`.

use std::{collections::BTreeMap, sync::LazyLock};

use regex::Regex;

use serde::{Deserialize, Serialize};
use trawl_search::{Fusion, Hit, Mode};
use utoipa::{IntoParams, ToSchema};

use crate::{
    Error,
    filter::{FilterSpec, Filtered, list},
};

/// Default number of results.
pub const DEFAULT_K: usize = 10;

// The forms `mode` and `fusion` take, checked with the same expressions the OpenAPI document
// states (the schema attributes take literals only; the web crate's tests compare them).
/// `mode`: empty or a mode name.
pub const MODE_PATTERN: &str = r"^(|hybrid|keyword|vector)$";
/// `fusion`: empty, or a method with an optional weight (0 to 1) or RRF k.
pub const FUSION_PATTERN: &str = r"^(|(calibrated|convex)(:(0(\.[0-9]{1,6})?|1(\.0{1,6})?|\.[0-9]{1,6}))?|rrf(:([0-9]{1,6}(\.[0-9]{0,6})?|\.[0-9]{1,6}))?)$";
static MODE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(MODE_PATTERN).expect("valid pattern"));
static FUSION_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(FUSION_PATTERN).expect("valid pattern"));

/// A review tag as requests give it, for the OpenAPI schema of the tag lists (requests carry
/// plain strings): compared case-insensitively and without surrounding space, 1 to 100
/// characters, not blank, no control characters.
pub struct ReviewTagName;

impl utoipa::PartialSchema for ReviewTagName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        string_schema(
            100,
            r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x1f\x7f-\x9f\s][^\x00-\x1f\x7f-\x9f]*$",
        )
    }
}

impl ToSchema for ReviewTagName {}

/// One term of a search-term report, for the OpenAPI schema of `terms`: not blank, at most
/// `limits.max_query_chars` characters (default 1000).
pub struct TermQuery;

impl utoipa::PartialSchema for TermQuery {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        string_schema(1000, r"\S")
    }
}

impl ToSchema for TermQuery {}

/// A string of 1 to `max` characters matching `pattern`.
fn string_schema(
    max: usize,
    pattern: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(pattern))
        .into()
}

/// Counts and offsets as JSON Schema defines an integer: `3` and also `3.0`, which a
/// conforming client may send; in a query string, the digits.
pub(crate) mod count {
    use serde::{Deserializer, de};

    /// An optional non-negative integer.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
        struct Count;
        impl de::Visitor<'_> for Count {
            type Value = Option<usize>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a non-negative integer")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                usize::try_from(v)
                    .map(Some)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u64::try_from(v)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                // Integral and within u64 (2^64 itself is the first float above it).
                if v.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&v) {
                    self.visit_u64(v as u64)
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                v.parse::<u64>()
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
                    .and_then(|v| self.visit_u64(v))
            }
        }
        d.deserialize_any(Count)
    }
}

crate::filter_fields! {
/// Parameters of a search, as in `GET /api/search?q=…&k=…&mode=…&offset=…`
/// or the JSON body of `POST /api/search`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Query text: not blank; at most `limits.max_query_chars` characters (default 1000).
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    #[param(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub q: String,
    /// Number of documents to return (default 10): at least 1, at most `limits.max_k`
    /// (default 100).
    #[serde(default, deserialize_with = "count::deserialize")]
    #[schema(minimum = 1, maximum = 100)]
    #[param(minimum = 1, maximum = 100)]
    pub k: Option<usize>,
    /// `hybrid` (default), `keyword` or `vector`.
    #[serde(default)]
    #[schema(pattern = r"^(|hybrid|keyword|vector)$")]
    #[param(pattern = r"^(|hybrid|keyword|vector)$")]
    pub mode: Option<String>,
    /// Documents to skip, for paging: at most `limits.max_offset` (default 900).
    #[serde(default, deserialize_with = "count::deserialize")]
    #[schema(maximum = 900)]
    #[param(maximum = 900)]
    pub offset: Option<usize>,
    /// Hybrid fusion: `calibrated[:WEIGHT]` (default 0.4), `rrf[:K]` or `convex[:WEIGHT]`;
    /// a weight from 0 to 1, K from 0, each with at most six digits either side of the point.
    #[serde(default)]
    #[schema(pattern = r"^(|(calibrated|convex)(:(0(\.[0-9]{1,6})?|1(\.0{1,6})?|\.[0-9]{1,6}))?|rrf(:([0-9]{1,6}(\.[0-9]{0,6})?|\.[0-9]{1,6}))?)$")]
    #[param(pattern = r"^(|(calibrated|convex)(:(0(\.[0-9]{1,6})?|1(\.0{1,6})?|\.[0-9]{1,6}))?|rrf(:([0-9]{1,6}(\.[0-9]{0,6})?|\.[0-9]{1,6}))?)$")]
    pub fusion: Option<String>,
    /// Review tags, comma-separated; a document needs any one of them. No control
    /// characters; each tag at most 100 characters.
    #[serde(default)]
    #[schema(pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    #[param(pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub review_tag: Option<String>,
    /// Only the messages of this e-mail thread (an id from `GET /api/threads`); an id that
    /// names no thread the caller may see is a 400 `unknown_thread`.
    #[serde(default)]
    pub thread: Option<String>,
    /// Add each result's near-duplicate group (`near_dups` in the response).
    #[serde(default)]
    pub near_dups: Option<bool>,
    /// Show one document per near-duplicate group (the best ranked), with
    /// the number it stands for; implies `near_dups`.
    #[serde(default)]
    pub collapse_near_dups: Option<bool>,
    /// Jaccard similarity for near-duplicate groups, above 0 and at most 1 (default 0.8).
    #[serde(default)]
    #[schema(exclusive_minimum = 0.0, maximum = 1.0)]
    #[param(exclusive_minimum = 0.0, maximum = 1.0)]
    pub near_dup_threshold: Option<f64>,
}
}

impl SearchParams {
    /// A hybrid search for `q` with defaults for everything else.
    pub fn new(q: impl Into<String>) -> Self {
        Self {
            q: q.into(),
            k: None,
            mode: None,
            offset: None,
            fusion: None,
            review_tag: None,
            thread: None,
            near_dups: None,
            collapse_near_dups: None,
            near_dup_threshold: None,
            kind: None,
            tag: None,
            custodian: None,
            path: None,
            from: None,
            to: None,
            modified_from: None,
            modified_to: None,
        }
    }

    /// A search for `q` with these filters and defaults for everything else.
    pub fn filtered(q: impl Into<String>, spec: FilterSpec) -> Self {
        let mut params = Self::new(q);
        params.set_filter_spec(spec);
        params
    }

    /// The review tags asked for.
    pub fn review_tags(&self) -> Vec<String> {
        list(&self.review_tag)
    }

    /// The mode asked for (or the default), in the form the OpenAPI pattern states.
    pub fn mode(&self) -> Result<Mode, Error> {
        match self.mode.as_deref() {
            None | Some("") => Ok(Mode::default()),
            Some(m) if MODE_RE.is_match(m) => m
                .parse::<Mode>()
                .map_err(|e| Error::invalid("invalid_mode", e.to_string())),
            Some(m) => Err(Error::invalid(
                "invalid_mode",
                format!("unknown mode {m:?}; expected hybrid, keyword or vector"),
            )),
        }
    }

    /// The fusion asked for, if any, in the form the OpenAPI pattern states.
    pub fn fusion(&self) -> Result<Option<Fusion>, Error> {
        match self.fusion.as_deref() {
            None | Some("") => Ok(None),
            Some(f) if FUSION_RE.is_match(f) => f
                .parse::<Fusion>()
                .map(Some)
                .map_err(|e| Error::invalid("invalid_fusion", e.to_string())),
            Some(f) => Err(Error::invalid(
                "invalid_fusion",
                format!(
                    "unknown fusion {f:?}; expected calibrated[:WEIGHT], rrf[:K] or convex[:WEIGHT] (WEIGHT 0 to 1)"
                ),
            )),
        }
    }

    /// The near-duplicate threshold asked for (or the default), checked.
    pub fn near_dup_threshold(&self) -> Result<f64, Error> {
        check_threshold(self.near_dup_threshold)
    }
}

/// Default Jaccard similarity for near-duplicate groups.
pub const DEFAULT_NEAR_DUP_THRESHOLD: f64 = 0.8;

/// `threshold` or the default, when it is above 0 and at most 1.
pub fn check_threshold(threshold: Option<f64>) -> Result<f64, Error> {
    let t = threshold.unwrap_or(DEFAULT_NEAR_DUP_THRESHOLD);
    if t > 0.0 && t <= 1.0 {
        Ok(t)
    } else {
        Err(Error::invalid(
            "invalid_threshold",
            format!("near-duplicate threshold {t} must be above 0 and at most 1"),
        ))
    }
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
    /// The passage's page was read by OCR (a scan or an image): its text may hold misread words.
    pub ocr: bool,
    /// Heading path of the passage.
    pub section: Option<String>,
    /// Rank of the passage in the keyword arm.
    pub keyword_rank: Option<usize>,
    /// Rank of the passage in the vector arm.
    pub vector_rank: Option<usize>,
    /// BM25 score of the passage.
    pub keyword_score: Option<f32>,
    /// The BM25 score's share of the most the query could score (0..1), what hybrid fuses.
    pub keyword_share: Option<f32>,
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
            ocr: h
                .page
                .is_some_and(|p| trawl_indexer::is_ocr_page(&h.meta.extra, p)),
            page: h.page,
            section: h.section,
            keyword_rank: h.keyword_rank,
            vector_rank: h.vector_rank,
            keyword_score: h.keyword_score,
            keyword_share: h.keyword_share,
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
    /// With `near_dups` or `collapse_near_dups`: result document id → its
    /// near-duplicate group (results in no group are absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near_dups: Option<BTreeMap<String, NearDupNote>>,
}

/// A search result's near-duplicate group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NearDupNote {
    /// Group id (`nd-` and the pivot's document id).
    pub group: String,
    /// Documents in the group (those the caller may see).
    pub size: usize,
    /// Lower-ranked members of the group left out of the results.
    pub collapsed: usize,
}

/// Default number of similar documents.
pub const DEFAULT_SIMILAR: usize = 10;

crate::filter_fields! {
/// Parameters of `GET /api/documents/{id}/similar`: how many, and the same
/// filters as a search.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields, default)]
#[into_params(parameter_in = Query)]
pub struct SimilarParams {
    /// Number of documents to return (default 10): at least 1, at most `limits.max_k`
    /// (default 100).
    #[serde(deserialize_with = "count::deserialize")]
    #[schema(minimum = 1, maximum = 100)]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}
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

crate::filter_fields! {
/// Parameters of `GET /api/documents`: filters and a page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields, default)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Documents per page (default 100), at most `limits.max_k` (default 100).
    #[serde(deserialize_with = "count::deserialize")]
    #[schema(maximum = 100)]
    #[param(maximum = 100)]
    pub limit: Option<usize>,
    /// Documents to skip, at most `limits.max_offset` (default 900).
    #[serde(deserialize_with = "count::deserialize")]
    #[schema(maximum = 900)]
    #[param(maximum = 900)]
    pub offset: Option<usize>,
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

crate::filter_fields! {
/// Parameters of `GET /api/facets`: a search's query and filters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields, default)]
#[into_params(parameter_in = Query)]
pub struct FacetParams {
    /// Query text; empty counts every document. At most `limits.max_query_chars` characters
    /// (default 1000).
    #[schema(max_length = 1000)]
    #[param(max_length = 1000)]
    pub q: Option<String>,
}
}

impl FacetParams {
    /// The same query and filters as search parameters.
    pub fn as_search(&self) -> SearchParams {
        SearchParams::filtered(self.q.clone().unwrap_or_default(), self.filter_spec())
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
    /// The page was read by OCR (a scan or an image): its text may hold misread words.
    pub ocr: bool,
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
                ocr: c
                    .page
                    .is_some_and(|p| trawl_indexer::is_ocr_page(&m.extra, p)),
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

crate::filter_fields! {
/// `POST /api/terms`: a search-term report's terms and restrictions.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields, default)]
#[into_params(parameter_in = Query)]
pub struct TermsParams {
    /// One query per term, in the search syntax plus `a w/N b` and `a pre/N b`: 1 to 500
    /// terms, each at most `limits.max_query_chars` characters (default 1000).
    #[schema(value_type = Vec<TermQuery>, min_items = 1, max_items = 500, required = true)]
    pub terms: Vec<String>,
    /// Review tags, comma-separated: only documents carrying one are counted. No control
    /// characters; each tag at most 100 characters.
    #[schema(pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    #[param(pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub review_tag: Option<String>,
    /// Only the messages of this e-mail thread are counted.
    pub thread: Option<String>,
}
}

impl TermsParams {
    /// The filters as search parameters.
    pub fn as_search(&self) -> SearchParams {
        SearchParams {
            review_tag: self.review_tag.clone(),
            thread: self.thread.clone(),
            ..SearchParams::filtered("", self.filter_spec())
        }
    }
}

/// One term of a report (as `trawl terms --format json` prints it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TermCountView {
    /// The term as given.
    pub term: String,
    /// The query run, after `w/N` / `pre/N` translation.
    pub query: String,
    /// Documents the term hits.
    pub documents: usize,
    /// Of those, documents no other term hits.
    pub unique: usize,
    /// Passages (~200-token chunks) of the hit documents in which a non-negated part of the term matches.
    pub passages: usize,
    /// The documents hit, sorted.
    pub doc_ids: Vec<String>,
}

/// `POST /api/terms`: per-term counts and the whole set's deduplicated count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TermsResponse {
    /// One entry per term, in request order.
    pub terms: Vec<TermCountView>,
    /// Documents hit by at least one term, each counted once.
    pub documents_hit: usize,
    /// Documents the caller may see under the filters (the universe counted in).
    pub documents_searched: usize,
}

impl From<trawl_search::TermReport> for TermsResponse {
    fn from(r: trawl_search::TermReport) -> Self {
        Self {
            terms: r
                .terms
                .into_iter()
                .map(|t| TermCountView {
                    term: t.term,
                    query: t.query,
                    documents: t.documents,
                    unique: t.unique,
                    passages: t.passages,
                    doc_ids: t.doc_ids,
                })
                .collect(),
            documents_hit: r.documents_hit,
            documents_searched: r.documents_searched,
        }
    }
}

/// Parameters of `GET /api/threads`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields, default)]
#[into_params(parameter_in = Query)]
pub struct ThreadsParams {
    /// Include threads of a single message.
    pub all: Option<bool>,
    /// Only the thread holding this document.
    pub doc_id: Option<String>,
}

/// A thread in a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ThreadSummary {
    /// Thread id (`t-…`), for `GET /api/threads/{id}` and the `thread` search parameter.
    pub id: String,
    /// Normalized subject of the root message.
    pub subject: String,
    /// Messages the caller may see.
    pub messages: usize,
    /// Earliest sent date, Unix seconds.
    pub first_date: Option<i64>,
    /// Latest sent date, Unix seconds.
    pub last_date: Option<i64>,
    /// Addresses in From, To and Cc of its messages, sorted.
    pub participants: Vec<String>,
    /// The messages' document ids, in thread order.
    pub doc_ids: Vec<String>,
}

/// `GET /api/threads`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ThreadsResponse {
    /// Threads by their first message's date.
    pub threads: Vec<ThreadSummary>,
}

/// A message in a thread view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ThreadMessageView {
    /// Document id.
    pub doc_id: String,
    /// Path of the message (a mailbox's messages share its path).
    pub path: String,
    /// Subject.
    pub subject: Option<String>,
    /// Sender.
    pub from: Option<String>,
    /// Recipients.
    pub to: Option<String>,
    /// Copied recipients.
    pub cc: Option<String>,
    /// Sent date, Unix seconds.
    pub date: Option<i64>,
    /// Replies above it (0 for the root).
    pub depth: usize,
    /// Document id of the message it replies to, within the thread.
    pub parent: Option<String>,
    /// Its own text appears in no later message: review it.
    pub inclusive: bool,
    /// The document holding the same message, when this one is a copy.
    pub copy_of: Option<String>,
}

/// `GET /api/threads/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ThreadView {
    /// Thread id.
    pub id: String,
    /// Normalized subject of the root message.
    pub subject: String,
    /// Addresses in From, To and Cc, sorted.
    pub participants: Vec<String>,
    /// Inclusive messages (reviewing these covers every word of the thread).
    pub inclusive: usize,
    /// Messages by date (undated last).
    pub messages: Vec<ThreadMessageView>,
}

/// Parameters of the near-duplicate endpoints.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields, default)]
#[into_params(parameter_in = Query)]
pub struct NearDupParams {
    /// Jaccard similarity to the group's pivot, above 0 and at most 1 (default 0.8).
    #[schema(exclusive_minimum = 0.0, maximum = 1.0)]
    #[param(exclusive_minimum = 0.0, maximum = 1.0)]
    pub threshold: Option<f64>,
}

/// A near-duplicate group member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NearDupMemberView {
    /// Document id.
    pub doc_id: String,
    /// Path.
    pub path: String,
    /// Title.
    pub title: String,
    /// Estimated Jaccard similarity to the pivot (1 for the pivot).
    pub similarity: f64,
}

/// A near-duplicate group: its pivot first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NearDupGroupView {
    /// Group id (`nd-` and the pivot's document id).
    pub id: String,
    /// Members the caller may see, pivot first.
    pub members: Vec<NearDupMemberView>,
}

/// `GET /api/documents/{id}/near-dups`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DocumentNearDups {
    /// The document asked about.
    pub doc_id: String,
    /// The threshold used.
    pub threshold: f64,
    /// Its group, if it has near-duplicates the caller may see.
    pub group: Option<NearDupGroupView>,
}

/// `GET /api/near-dups`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NearDupGroups {
    /// The threshold used.
    pub threshold: f64,
    /// Groups among the documents the caller may see, largest first.
    pub groups: Vec<NearDupGroupView>,
}

/// One entry of a document's review-tag history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TagEventView {
    /// When, RFC 3339 UTC.
    pub time: String,
    /// Reviewer (the API key's name).
    pub by: String,
    /// `add` or `remove`.
    pub op: String,
    /// The tag.
    pub tag: String,
}

/// `GET` and `POST /api/documents/{id}/tags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocumentTags {
    /// The document.
    pub doc_id: String,
    /// Its current review tags, sorted.
    pub tags: Vec<String>,
    /// Every add and removal, oldest first.
    pub history: Vec<TagEventView>,
}

/// `POST /api/documents/{id}/tags`: tags to put on and take off.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TagEdit {
    /// Tags to add (already present: nothing is recorded): at most 50, and `add` and `remove`
    /// together hold at least one tag.
    #[schema(value_type = Vec<ReviewTagName>, max_items = 50)]
    pub add: Vec<String>,
    /// Tags to remove (absent: nothing is recorded): at most 50.
    #[schema(value_type = Vec<ReviewTagName>, max_items = 50)]
    pub remove: Vec<String>,
}

/// A review tag and how many documents the caller may see carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReviewTagCount {
    /// The tag.
    pub tag: String,
    /// Documents carrying it.
    pub documents: usize,
}

/// `GET /api/review-tags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReviewTags {
    /// Tags in use on documents the caller may see, by name.
    pub tags: Vec<ReviewTagCount>,
}

/// `POST /api/saved-searches`: a name and the search to keep.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedSearchInput {
    /// Name, unique among the caller's saved searches: 1–100 characters, no control
    /// characters, no space at either end.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\s]([^\x00-\x1f\x7f-\x9f]*[^\x00-\x1f\x7f-\x9f\s])?$"
    )]
    pub name: String,
    /// The search: query, mode and filters.
    pub search: SearchParams,
}

/// A saved search.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SavedSearch {
    /// Name.
    pub name: String,
    /// The search: query, mode and filters.
    pub search: SearchParams,
    /// When it was first saved, RFC 3339 UTC.
    pub created: String,
    /// When it was last saved.
    pub updated: String,
}

/// `GET /api/saved-searches`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SavedSearches {
    /// The caller's saved searches, by name.
    pub saved: Vec<SavedSearch>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parse_date;

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
    fn counts_take_integral_numbers_in_any_json_form() {
        let k = |json: &str| {
            serde_json::from_str::<SearchParams>(&format!(r#"{{"q": "x", "k": {json}}}"#))
                .map(|p| p.k)
        };
        assert_eq!(k("3").unwrap(), Some(3));
        assert_eq!(k("3.0").unwrap(), Some(3));
        assert_eq!(k("null").unwrap(), None);
        for bad in ["3.5", "-1", "1e300", "true"] {
            assert!(k(bad).is_err(), "{bad}");
        }
        // A query string carries digits as text.
        let listed: ListParams = serde_json::from_str(r#"{"limit": "7"}"#).unwrap();
        assert_eq!(listed.limit, Some(7));
    }

    #[test]
    fn mode_and_fusion_take_only_the_documented_forms() {
        let with = |mode: &str, fusion: &str| {
            let mut p = SearchParams::new("x");
            p.mode = Some(mode.into());
            p.fusion = Some(fusion.into());
            (
                p.mode().map_err(|e| e.code()),
                p.fusion().map_err(|e| e.code()),
            )
        };
        assert_eq!(with("", "").0, Ok(Mode::Hybrid));
        assert_eq!(with("keyword", "").0, Ok(Mode::Keyword));
        assert_eq!(with("", "rrf:60").1, Ok(Some(Fusion::Rrf { k: 60.0 })));
        assert_eq!(
            with("", "convex:0.25").1,
            Ok(Some(Fusion::Convex {
                vector_weight: 0.25
            }))
        );
        assert_eq!(with("", "calibrated").1.map(|f| f.is_some()), Ok(true));
        assert_eq!(with("Keyword", "").0, Err("invalid_mode"));
        for bad in [
            "RRF",
            "rrf: 60",
            "convex:1.5",
            "calibrated:-0.1",
            "rrf:1e3",
            "rrf:inf",
        ] {
            assert_eq!(with("", bad).1, Err("invalid_fusion"), "{bad}");
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
        assert_eq!(p.filter().unwrap_err().code(), "invalid_date");
    }
}
