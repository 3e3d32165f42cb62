//! The storage boundary (issue 19): where passages are kept and retrieved. [`Store::Embedded`]
//! is an index folder on this machine (tantivy + HNSW, `trawl-search`); [`Store::Cluster`] is a
//! SolrCloud collection (`trawl-cluster`), searched through [`crate::cluster`]. The use cases
//! that retrieve passages — search and ask — take a `Store` and never ask which one it is;
//! trawl's own fusion, permissions (the principal's `Access` inside both arms) and answer
//! pipeline are the same on both.
//!
//! Everything else (review tags, threads, near-duplicates, term reports, export, similar
//! documents, facets) still reads an embedded index; on a cluster those are refused with
//! `not_supported_on_cluster` (see [`not_supported_on_cluster`]).

use trawl_cluster::{ChunkRef, SolrBackend};
use trawl_embedder::ModelInfo;
use trawl_search::{
    Access, Document, DocumentMeta, DocumentPassage, FacetCount, FacetRequest, Facets, Hit, Index,
    SearchRequest, StoredChunk, plain_query,
};

use crate::Error;

/// Where a use case reads passages from.
#[derive(Clone, Copy)]
pub enum Store<'a> {
    /// An index folder on this machine.
    Embedded(&'a Index),
    /// A SolrCloud collection of the `trawl` configset.
    Cluster(&'a SolrBackend),
}

impl Store<'_> {
    /// Refuses a model that did not build the store. A cluster collection does not record its
    /// model yet; Solr refuses a vector of another dimension.
    pub fn check_model(&self, model: &ModelInfo) -> Result<(), Error> {
        match self {
            Store::Embedded(index) => crate::check_model(index, model),
            Store::Cluster(_) => Ok(()),
        }
    }

    /// The documents `req` finds, best first, each with its best passage. `embed` embeds the
    /// query when the vector arm needs it (the embedded engine runs it beside the keyword arm).
    pub fn search(
        &self,
        req: &SearchRequest,
        embed: impl FnOnce() -> Result<Vec<f32>, Error> + Send,
    ) -> Result<Vec<Hit>, Error> {
        match self {
            Store::Embedded(index) => Ok(index.search_embedding(req, embed)?.hits),
            Store::Cluster(backend) => crate::cluster::search(backend, req, embed),
        }
    }

    /// The whole text of each hit's passage, in order; `None` for one that is gone or that
    /// `access` may not see. One request on a cluster, whatever the number of hits.
    pub fn passage_texts(
        &self,
        hits: &[Hit],
        access: &Access,
    ) -> Result<Vec<Option<String>>, Error> {
        match self {
            Store::Embedded(index) => hits
                .iter()
                .map(|h| Ok(index.passage_text(h.chunk_id, access)?))
                .collect(),
            Store::Cluster(backend) => {
                let chunks: Vec<ChunkRef> = hits.iter().map(cluster_chunk).collect();
                let mut stored = backend
                    .stored(&chunks, crate::cluster::groups(access))
                    .map_err(crate::cluster::error)?;
                Ok(chunks
                    .iter()
                    .map(|c| stored.remove(c).map(|s| s.text))
                    .collect())
            }
        }
    }

    /// The `n` passages of document `doc_id` nearest `query_vector`, nearest first; empty
    /// when the document is missing or `access` may not see it.
    pub fn document_passages(
        &self,
        doc_id: &str,
        query_vector: &[f32],
        n: usize,
        access: &Access,
    ) -> Result<Vec<DocumentPassage>, Error> {
        match self {
            Store::Embedded(index) => {
                Ok(index.document_passages(doc_id, query_vector, n, access)?)
            }
            Store::Cluster(backend) => Ok(backend
                .nearest_in_document(doc_id, query_vector, n, crate::cluster::groups(access))
                .map_err(crate::cluster::error)?
                .into_iter()
                .map(|c| DocumentPassage {
                    chunk_id: u64::from(c.chunk.ordinal),
                    cosine: c.cosine,
                    text: c.stored.text,
                    page: c.stored.page,
                    section: c.stored.section,
                })
                .collect()),
        }
    }

    /// The document `doc_id` with all its passages, or `None` when it does not exist or
    /// `access` may not see it (the two are indistinguishable).
    pub fn document(&self, doc_id: &str, access: &Access) -> Result<Option<Document>, Error> {
        match self {
            Store::Embedded(index) => Ok(index.document(doc_id, access)?),
            Store::Cluster(backend) => {
                let Some(chunks) = backend
                    .document_chunks(doc_id, crate::cluster::groups(access))
                    .map_err(crate::cluster::error)?
                else {
                    return Ok(None);
                };
                let first = &chunks[0].1;
                Ok(Some(Document {
                    doc_id: doc_id.to_owned(),
                    path: first.path.clone(),
                    title: first.title.clone(),
                    meta: DocumentMeta {
                        kind: first.kind.clone(),
                        tags: first.tags.clone(),
                        groups: first.groups.clone(),
                        custodian: first.custodian.clone(),
                        date: first.date,
                        modified: first.modified,
                        sha256: first.sha256.clone(),
                        ..DocumentMeta::default()
                    },
                    chunks: chunks
                        .into_iter()
                        .map(|(ordinal, c)| StoredChunk {
                            chunk_id: u64::from(ordinal),
                            ordinal: u64::from(ordinal),
                            text: c.text,
                            page: c.page,
                            section: c.section,
                        })
                        .collect(),
                }))
            }
        }
    }

    /// Document counts by kind, tag, custodian and year over what `req` matches.
    pub fn facets(&self, req: &FacetRequest) -> Result<Facets, Error> {
        match self {
            Store::Embedded(index) => Ok(index.facets(req)?),
            Store::Cluster(backend) => {
                let query = plain_query(&req.query);
                let f = backend
                    .facets(
                        Some(query.as_str()),
                        crate::cluster::groups(&req.access),
                        &crate::cluster::filter(&req.filter),
                    )
                    .map_err(crate::cluster::error)?;
                let counts = |list: Vec<(String, u64)>| -> Vec<FacetCount> {
                    list.into_iter()
                        .map(|(value, count)| FacetCount { value, count })
                        .collect()
                };
                Ok(Facets {
                    documents: f.documents,
                    kinds: counts(f.kinds),
                    tags: counts(f.tags),
                    custodians: counts(f.custodians),
                    years: counts(f.years),
                })
            }
        }
    }

    /// The `k` documents most like `doc_id` among those `filter` and `access` allow (the
    /// source excluded), or `None` when it is missing or `access` may not see it.
    pub fn similar(
        &self,
        doc_id: &str,
        k: usize,
        filter: &trawl_search::Filter,
        access: &Access,
    ) -> Result<Option<Vec<Hit>>, Error> {
        match self {
            Store::Embedded(index) => Ok(index.similar(doc_id, k, filter, access)?),
            Store::Cluster(backend) => crate::cluster::similar(backend, doc_id, k, filter, access),
        }
    }

    /// Whether this is a cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self, Store::Cluster(_))
    }
}

/// A cluster hit's chunk: on a cluster a hit's `chunk_id` is the passage's ordinal in its
/// document (chunk ids are per document there).
fn cluster_chunk(hit: &Hit) -> ChunkRef {
    ChunkRef {
        doc_id: hit.doc_id.clone(),
        ordinal: u32::try_from(hit.chunk_id).unwrap_or(u32::MAX),
    }
}

/// The error for what a cluster backend cannot do yet; `what` names it.
pub fn not_supported_on_cluster(what: &str) -> Error {
    Error::invalid(
        "not_supported_on_cluster",
        format!("{what} is not supported on the cluster backend yet"),
    )
}
