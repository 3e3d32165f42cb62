//! Search on a cluster backend (issue 19): the same request and response types as the embedded
//! engine, answered by a SolrCloud collection (`trawl-cluster`). Both arms run on the cluster
//! with the principal's groups and the metadata filter inside retrieval; their chunk hits are
//! folded to documents (a document scores its best chunk) and fused here, by trawl.
//!
//! Not supported on a cluster yet, refused with `not_supported_on_cluster`: review-tag and
//! thread restrictions, near-duplicate groups, calibrated fusion (it needs each term's IDF,
//! which the cluster does not return with the hits). Hybrid defaults to min-max convex 0.5.

use std::collections::HashMap;
use std::time::Instant;

use trawl_cluster::{ChunkRef, SolrBackend};
use trawl_embedder::Embedder;
use trawl_search::{Access, Fusion, Mode, convex_fusion, escape_html, reciprocal_rank_fusion};

use crate::{
    Error,
    api::{DEFAULT_K, SearchParams, SearchResponse, SearchResult},
};

/// Chunks fetched per arm for every result asked for: a document's chunks compete with each
/// other in each arm's list, so fold several per document.
const CHUNKS_PER_RESULT: usize = 5;
/// Fewest chunks fetched per arm.
const MIN_DEPTH: usize = 50;
/// Characters of the chunk shown as the snippet.
const SNIPPET_CHARS: usize = 320;

/// Runs `params` on the cluster as `access` allows. Blocking (embeds the query, calls the
/// cluster).
pub fn run_search_on_cluster(
    backend: &SolrBackend,
    embedder: &dyn Embedder,
    params: &SearchParams,
    access: &Access,
) -> Result<SearchResponse, Error> {
    let started = Instant::now();
    let mode = params.mode()?;
    if params.q.trim().is_empty() {
        return Err(Error::invalid("empty_query", "the query is empty"));
    }
    let unsupported = |what: &str| {
        Error::invalid(
            "not_supported_on_cluster",
            format!("{what} is not supported on the cluster backend yet"),
        )
    };
    if !params.review_tags().is_empty() || params.thread.as_deref().is_some_and(|t| !t.is_empty()) {
        return Err(unsupported(
            "restricting a search to review tags or a thread",
        ));
    }
    if params.near_dups == Some(true) || params.collapse_near_dups == Some(true) {
        return Err(unsupported("near-duplicate grouping"));
    }
    let fusion = match params.fusion()? {
        None => Fusion::Convex { vector_weight: 0.5 },
        Some(Fusion::Calibrated { .. }) => return Err(unsupported("calibrated fusion")),
        Some(other) => other,
    };
    let k = params.k.unwrap_or(DEFAULT_K);
    let offset = params.offset.unwrap_or(0);
    let f = params.filter()?;
    let filter = trawl_cluster::Filter {
        kinds: f.kinds,
        path_prefix: f.path_prefix,
        date_from: f.date_from,
        date_to: f.date_to,
        tags: f.tags,
        custodians: f.custodians,
        modified_from: f.modified_from,
        modified_to: f.modified_to,
    };
    let groups = match access {
        Access::All => None,
        Access::Groups(g) => Some(g.as_slice()),
    };
    let depth = ((offset + k) * CHUNKS_PER_RESULT).max(MIN_DEPTH);
    let cluster_error = |e: trawl_cluster::Error| {
        if e.is_user_error() {
            Error::invalid("invalid_search", e.to_string())
        } else {
            Error::internal(e)
        }
    };
    let keyword = if mode == Mode::Vector {
        Vec::new()
    } else {
        backend
            .keyword(&params.q, groups, &filter, depth)
            .map_err(cluster_error)?
    };
    let vector = if mode == Mode::Keyword {
        Vec::new()
    } else {
        let v = embedder.embed_query(&params.q)?;
        backend
            .vector(&v, groups, &filter, depth)
            .map_err(cluster_error)?
    };

    // Documents as dense ids for the fusion functions; each arm's list keeps a document's
    // best chunk (the lists come best first).
    let mut docs: Vec<String> = Vec::new();
    let mut ids: HashMap<String, u64> = HashMap::new();
    let mut fold = |hits: &[(ChunkRef, f32)]| -> (Vec<(u64, f32)>, HashMap<u64, ChunkRef>) {
        let (mut list, mut best) = (Vec::new(), HashMap::new());
        for (chunk, score) in hits {
            let id = *ids.entry(chunk.doc_id.clone()).or_insert_with(|| {
                docs.push(chunk.doc_id.clone());
                docs.len() as u64 - 1
            });
            if let std::collections::hash_map::Entry::Vacant(e) = best.entry(id) {
                e.insert(chunk.clone());
                list.push((id, *score));
            }
        }
        (list, best)
    };
    let (kw, kw_best) = fold(&keyword);
    let (vec, vec_best) = fold(&vector);
    let fused: Vec<(u64, f32)> = match mode {
        Mode::Keyword => kw.clone(),
        Mode::Vector => vec.clone(),
        Mode::Hybrid => match fusion {
            Fusion::Rrf { k } => {
                let (a, b): (Vec<u64>, Vec<u64>) = (
                    kw.iter().map(|h| h.0).collect(),
                    vec.iter().map(|h| h.0).collect(),
                );
                reciprocal_rank_fusion(&[&a, &b], k)
                    .into_iter()
                    .map(|f| (f.id, f.score))
                    .collect()
            }
            Fusion::Convex { vector_weight } => convex_fusion(&kw, &vec, vector_weight)
                .into_iter()
                .map(|f| (f.id, f.score))
                .collect(),
            Fusion::Calibrated { .. } => unreachable!("refused above"),
        },
    };
    let page: Vec<(u64, f32)> = fused.into_iter().skip(offset).take(k).collect();
    let rank = |list: &[(u64, f32)], id: u64| {
        list.iter()
            .position(|h| h.0 == id)
            .map(|i| (i + 1, list[i].1))
    };
    // The passage shown: the vector arm's best chunk of the document, else the keyword arm's.
    let shown: Vec<ChunkRef> = page
        .iter()
        .filter_map(|(id, _)| vec_best.get(id).or_else(|| kw_best.get(id)).cloned())
        .collect();
    let stored = backend.stored(&shown, groups).map_err(cluster_error)?;
    let mut results = Vec::with_capacity(page.len());
    for ((id, score), chunk) in page.iter().zip(&shown) {
        // A chunk deleted between the search and the fetch is left out rather than shown empty.
        let Some(s) = stored.get(chunk) else { continue };
        let snippet: String = s.text.chars().take(SNIPPET_CHARS).collect();
        let (keyword_rank, keyword_score) = rank(&kw, *id).unzip();
        let (vector_rank, vector_score) = rank(&vec, *id).unzip();
        results.push(SearchResult {
            doc_id: docs[*id as usize].clone(),
            chunk_id: u64::from(chunk.ordinal),
            path: s.path.clone(),
            title: s.title.clone(),
            score: *score,
            snippet_html: escape_html(&snippet),
            snippet,
            page: s.page,
            // The cluster does not store which pages were OCR'd yet.
            ocr: false,
            section: s.section.clone(),
            keyword_rank,
            vector_rank,
            keyword_score,
            keyword_share: None,
            vector_score,
            kind: s.kind.clone(),
            tags: s.tags.clone(),
            date: s.date,
            custodian: s.custodian.clone(),
            author: None,
        });
    }
    Ok(SearchResponse {
        query: params.q.clone(),
        mode,
        took_ms: started.elapsed().as_secs_f64() * 1e3,
        results,
        near_dups: None,
    })
}
