//! Search on a cluster backend (issue 19), behind [`crate::store::Store::Cluster`]: a
//! [`SearchRequest`] answered by a SolrCloud collection (`trawl-cluster`) with the same hits as
//! the embedded engine. Both arms run on the cluster with the principal's groups and the
//! metadata filter inside retrieval; their chunk hits are folded to documents (a document
//! scores its best chunk) and fused here, by trawl, with the request's fusion — calibrated by
//! default, as on the embedded engine: the cluster returns the query's BM25 score ceiling.
//!
//! Refused with `not_supported_on_cluster`: restricting a search to a set of documents (review
//! tags, threads).

use std::collections::HashMap;

use trawl_cluster::{ChunkRef, SolrBackend};
use trawl_search::{
    Access, DocumentMeta, Fusion, Hit, Mode, SearchRequest, calibrated_fusion, convex_fusion,
    escape_html, keyword_share, mean_vector, plain_query, reciprocal_rank_fusion,
};

use crate::{Error, store::not_supported_on_cluster};

/// Chunks fetched per arm for every result asked for: a document's chunks compete with each
/// other in each arm's list, so fold several per document.
const CHUNKS_PER_RESULT: usize = 5;
/// Fewest chunks fetched per arm.
const MIN_DEPTH: usize = 50;
/// Characters of the chunk shown as the snippet when no query term is highlighted.
const SNIPPET_CHARS: usize = 320;

/// The principal's groups as the cluster filters them (`None`: full access).
pub(crate) fn groups(access: &Access) -> Option<&[String]> {
    match access {
        Access::All => None,
        Access::Groups(g) => Some(g.as_slice()),
    }
}

/// A cluster failure as a use-case error: the caller's fault (bad input) or the service's.
pub(crate) fn error(e: trawl_cluster::Error) -> Error {
    if e.is_user_error() {
        Error::invalid("invalid_search", e.to_string())
    } else {
        Error::internal(e)
    }
}

pub(crate) fn filter(f: &trawl_search::Filter) -> trawl_cluster::Filter {
    trawl_cluster::Filter {
        kinds: f.kinds.clone(),
        path_prefix: f.path_prefix.clone(),
        date_from: f.date_from,
        date_to: f.date_to,
        tags: f.tags.clone(),
        custodians: f.custodians.clone(),
        modified_from: f.modified_from,
        modified_to: f.modified_to,
    }
}

/// Runs `req` on the cluster: the documents it finds, best first, each with its best passage
/// (that of the arm that ranked the document higher); a hit's `chunk_id` is the passage's ordinal in
/// its document. Blocking (calls `embed` and the cluster).
pub(crate) fn search(
    backend: &SolrBackend,
    req: &SearchRequest,
    embed: impl FnOnce() -> Result<Vec<f32>, Error>,
) -> Result<Vec<Hit>, Error> {
    if req.doc_ids.is_some() {
        return Err(not_supported_on_cluster(
            "restricting a search to review tags or a thread",
        ));
    }
    if req.query.trim().is_empty() {
        return Err(Error::invalid("empty_query", "the query is empty"));
    }
    let groups = groups(&req.access);
    let filter = filter(&req.filter);
    // read as the embedded engine reads it (contractions, stray dashes, odd spaces)
    let words = plain_query(&req.query);
    let depth = ((req.offset + req.k) * CHUNKS_PER_RESULT).max(MIN_DEPTH);
    let keyword = if req.mode == Mode::Vector {
        trawl_cluster::KeywordArm::default()
    } else {
        backend
            .keyword_arm(&words, groups, &filter, depth)
            .map_err(error)?
    };
    let vector = if req.mode == Mode::Keyword {
        Vec::new()
    } else {
        let v = embed()?;
        backend.vector(&v, groups, &filter, depth).map_err(error)?
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
    let (kw, kw_best) = fold(&keyword.hits);
    let (vec, vec_best) = fold(&vector);
    // every chunk that matched was fetched: a document missing from the list scored nothing
    let kw_complete = keyword.matched as usize <= keyword.hits.len();
    let fused: Vec<(u64, f32)> = match req.mode {
        Mode::Keyword => kw.clone(),
        Mode::Vector => vec.clone(),
        Mode::Hybrid => {
            let fused = match req.fusion {
                Fusion::Rrf { k } => {
                    let (a, b): (Vec<u64>, Vec<u64>) = (
                        kw.iter().map(|h| h.0).collect(),
                        vec.iter().map(|h| h.0).collect(),
                    );
                    reciprocal_rank_fusion(&[&a, &b], k)
                }
                Fusion::Convex { vector_weight } => convex_fusion(&kw, &vec, vector_weight),
                Fusion::Calibrated { vector_weight } => {
                    calibrated_fusion(&kw, &vec, keyword.ceiling, kw_complete, vector_weight)
                }
            };
            fused.into_iter().map(|f| (f.id, f.score)).collect()
        }
    };
    let page: Vec<(u64, f32)> = fused.into_iter().skip(req.offset).take(req.k).collect();
    let rank = |list: &[(u64, f32)], id: u64| {
        list.iter()
            .position(|h| h.0 == id)
            .map(|i| (i + 1, list[i].1))
    };
    // The passage of the arm that ranked the document higher (ties: the keyword arm's), as
    // the embedded engine shows it.
    let shown: Vec<ChunkRef> = page
        .iter()
        .filter_map(|&(id, _)| match (rank(&kw, id), rank(&vec, id)) {
            (Some(k), Some(v)) if v.0 < k.0 => vec_best.get(&id),
            (Some(_), _) => kw_best.get(&id),
            (None, _) => vec_best.get(&id),
        })
        .cloned()
        .collect();
    let highlight = (req.mode != Mode::Vector).then_some(words.as_str());
    let mut stored = backend
        .stored_highlighted(&shown, groups, highlight)
        .map_err(error)?;
    let mut hits = Vec::with_capacity(page.len());
    for ((id, score), chunk) in page.iter().zip(&shown) {
        // A chunk deleted between the search and the fetch is left out rather than shown empty.
        let Some(s) = stored.remove(chunk) else {
            continue;
        };
        debug_assert_eq!(docs[*id as usize], chunk.doc_id);
        hits.push(hit(
            chunk.clone(),
            s,
            *score,
            rank(&kw, *id),
            rank(&vec, *id),
            Some(keyword.ceiling),
        ));
    }
    Ok(hits)
}

/// Documents like `doc_id` on the cluster, as the embedded engine finds them
/// (`trawl_search::Index::similar`): the mean of its chunk vectors, the nearest chunks of other
/// documents among those `access` and `filter` allow, their documents re-ranked by the cosine
/// of their own mean vector. `None` when the source is missing or `access` may not see it.
pub(crate) fn similar(
    backend: &SolrBackend,
    doc_id: &str,
    k: usize,
    filter: &trawl_search::Filter,
    access: &Access,
) -> Result<Option<Vec<Hit>>, Error> {
    let groups = groups(access);
    let source = backend
        .chunk_vectors(&[doc_id.to_owned()], groups)
        .map_err(error)?;
    let Some(source) = source.get(doc_id) else {
        return Ok(None);
    };
    let Some(centre) = mean_vector(source.iter()) else {
        return Ok(Some(Vec::new()));
    };
    let depth = (k * 10).max(100);
    let wanted = (k * 4).max(20);
    let mut best: HashMap<String, ChunkRef> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for (chunk, _) in backend
        .nearest_chunks(&centre, groups, &self::filter(filter), depth, Some(doc_id))
        .map_err(error)?
    {
        if order.len() == wanted {
            break;
        }
        if !best.contains_key(&chunk.doc_id) {
            order.push(chunk.doc_id.clone());
            best.insert(chunk.doc_id.clone(), chunk);
        }
    }
    let vectors = backend.chunk_vectors(&order, groups).map_err(error)?;
    let mut scored: Vec<(String, f32)> = order
        .into_iter()
        .filter_map(|d| {
            let m = mean_vector(vectors.get(&d)?.iter())?;
            let cosine = m.iter().zip(&centre).map(|(a, b)| a * b).sum();
            Some((d, cosine))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    scored.truncate(k);
    let shown: Vec<ChunkRef> = scored.iter().map(|(d, _)| best[d].clone()).collect();
    let mut stored = backend.stored(&shown, groups).map_err(error)?;
    let mut hits = Vec::with_capacity(scored.len());
    for (rank, ((_, score), chunk)) in scored.into_iter().zip(shown).enumerate() {
        let Some(s) = stored.remove(&chunk) else {
            continue;
        };
        hits.push(hit(chunk, s, score, None, Some((rank + 1, score)), None));
    }
    Ok(Some(hits))
}

/// A hit from a chunk's stored fields: its snippet (the highlighted fragment when there is
/// one), its ranks and scores in each arm.
fn hit(
    chunk: ChunkRef,
    s: trawl_cluster::StoredChunk,
    score: f32,
    keyword: Option<(usize, f32)>,
    vector: Option<(usize, f32)>,
    ceiling: Option<f32>,
) -> Hit {
    let (snippet, snippet_html) = match &s.highlight {
        Some(html) => (unmark(html), html.clone()),
        None => {
            let plain: String = s.text.chars().take(SNIPPET_CHARS).collect();
            let html = escape_html(&plain);
            (plain, html)
        }
    };
    let (keyword_rank, keyword_score) = keyword.unzip();
    let (vector_rank, vector_score) = vector.unzip();
    Hit {
        doc_id: chunk.doc_id,
        path: s.path,
        title: s.title,
        score,
        chunk_id: u64::from(chunk.ordinal),
        snippet,
        snippet_html,
        page: s.page,
        section: s.section,
        keyword_rank,
        vector_rank,
        keyword_score,
        keyword_share: keyword_score.zip(ceiling).map(|(b, c)| keyword_share(b, c)),
        vector_score,
        meta: DocumentMeta {
            kind: s.kind,
            tags: s.tags,
            groups: s.groups,
            custodian: s.custodian,
            date: s.date,
            modified: s.modified,
            sha256: s.sha256,
            ..DocumentMeta::default()
        },
    }
}

/// The plain text of a highlighted fragment: marks removed, the HTML escapes undone.
fn unmark(html: &str) -> String {
    html.replace("<mark>", "")
        .replace("</mark>", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_highlighted_fragment_reads_as_plain_text() {
        assert_eq!(
            unmark("Fish &amp; <mark>chips</mark> &lt;b&gt; &quot;x&quot; it&#x27;s a&#x2F;b"),
            "Fish & chips <b> \"x\" it's a/b"
        );
    }
}
