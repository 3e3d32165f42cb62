//! Keyword and vector indexes over document chunks, and hybrid search.
//!
//! An index directory holds a tantivy keyword index and an HNSW vector index
//! over the same chunks. [`Index`] opens it for search; [`IndexWriter`] adds
//! and removes whole documents and commits both arms at once. This crate knows
//! vectors, not how they were made (callers pass them in), and nothing of
//! files on disk to index or HTTP.

mod browse;
mod documents;
mod error;
pub mod eval;
pub mod fault;
mod filter;
mod fusion;
mod index;
mod keyword;
mod meta;
mod review;
mod similar;
mod snapshot;
mod terms;
mod vector;

pub use crate::{
    browse::{Document, FacetCount, FacetRequest, Facets, StoredChunk},
    documents::DocumentInfo,
    error::{Error, Result},
    filter::{Access, Filter},
    fusion::{
        Fused, Fusion, calibrated_fusion, convex_fusion, keyword_share, reciprocal_rank_fusion,
    },
    index::{
        ChunkInput, DocumentInput, DocumentMeta, DocumentPassage, ExportedChunk, Hit, Index,
        IndexStats, IndexWriter, MAX_RESULTS, Mode, SearchRequest, SearchResults,
    },
    keyword::{escape_html, plain_query},
    meta::{FORMAT_VERSION, HnswParams, IndexSpec},
    review::{REVIEW_TAGS_FILE, TagEvent, TagJournal, TagOp},
    similar::mean as mean_vector,
    snapshot::{
        SNAPSHOT_MANIFEST, SnapshotFile, SnapshotManifest, restore_snapshot, verify_snapshot,
    },
    terms::{TermCount, TermReport, TermsRequest, translate_proximity},
};
