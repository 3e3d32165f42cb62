//! The search use cases, the same for HTTP and the CLI: a search ([`run_search`]: review
//! restrictions and near-duplicate groups from [`crate::discovery`]) and similar documents
//! ([`run_similar`]). Their requests and answers are the wire types of [`crate::api`].

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::Instant,
};

use trawl_embedder::Embedder;
use trawl_indexer::NearDupGroup;
use trawl_search::{Access, Hit, SearchRequest};

use crate::{
    Error,
    api::{
        DEFAULT_K, DEFAULT_SIMILAR, NearDupNote, SearchParams, SearchResponse, SearchResult,
        SimilarParams, SimilarResponse,
    },
    store::{Store, not_supported_on_cluster},
};

/// Runs a search the same way for HTTP and the CLI, on either store, as `access` allows.
/// Review tags and a thread restrict the documents inside retrieval; near-
/// duplicate groups are those among the documents `access` may see (both need an embedded
/// index; a cluster refuses them). Blocking (embeds the query).
pub fn run_search(
    store: Store<'_>,
    embedder: &dyn Embedder,
    params: &SearchParams,
    access: &Access,
) -> Result<SearchResponse, Error> {
    let started = Instant::now();
    store.check_model(embedder.info())?;
    let mode = params.mode()?;
    let k = params.k.unwrap_or(DEFAULT_K);
    let offset = params.offset.unwrap_or(0);
    let collapse = params.collapse_near_dups.unwrap_or(false);
    let annotate = collapse || params.near_dups.unwrap_or(false);
    let threshold = params.near_dup_threshold()?;
    let mut req = SearchRequest::new(params.q.clone());
    req.mode = mode;
    // Collapsing drops results, so fetch more than asked.
    req.k = if collapse {
        (k * 4).min(1000 - offset.min(999))
    } else {
        k
    };
    req.offset = offset;
    req.filter = params.filter()?;
    req.access = access.clone();
    if let Some(f) = params.fusion()? {
        req.fusion = f;
    }
    if params.q.trim().is_empty() {
        return Err(Error::invalid("empty_query", "the query is empty"));
    }
    let thread = params.thread.as_deref().filter(|t| !t.trim().is_empty());
    let index = match store {
        Store::Embedded(index) => Some(index),
        Store::Cluster(_) if !params.review_tags().is_empty() || thread.is_some() => {
            return Err(not_supported_on_cluster(
                "restricting a search to review tags or a thread",
            ));
        }
        Store::Cluster(_) if annotate => {
            return Err(not_supported_on_cluster("near-duplicate grouping"));
        }
        Store::Cluster(_) => None,
    };
    if let Some(index) = index {
        req.doc_ids = crate::discovery::restriction(index, access, &params.review_tags(), thread)?
            .map(Arc::new);
    }
    // the query is embedded while the keyword arm runs
    let hits = store.search(&req, || {
        embedder.embed_query(&params.q).map_err(Error::from)
    })?;
    let (results, near_dups) = if let Some(index) = index.filter(|_| annotate) {
        let groups = crate::discovery::near_dup_groups(index, access, threshold)?;
        let (results, notes) = with_near_dups(hits, &groups, k, collapse);
        (results, Some(notes))
    } else {
        (hits.into_iter().map(SearchResult::from).collect(), None)
    };
    Ok(SearchResponse {
        query: params.q.clone(),
        mode,
        took_ms: started.elapsed().as_secs_f64() * 1e3,
        results,
        near_dups,
    })
}

/// Documents similar to `doc_id`, the same way for HTTP and the CLI, as
/// `access` allows; `None` when the document does not exist or `access` may
/// not see it.
pub fn run_similar(
    store: Store<'_>,
    doc_id: &str,
    params: &SimilarParams,
    access: &Access,
) -> Result<Option<SimilarResponse>, Error> {
    let started = Instant::now();
    let filter = params.filter()?;
    let k = params.limit.unwrap_or(DEFAULT_SIMILAR);
    if k == 0 || k > trawl_search::MAX_RESULTS {
        // the embedded engine's own check and message, for either store
        return Err(Error::invalid(
            "invalid_search",
            format!("k must be between 1 and {}", trawl_search::MAX_RESULTS),
        ));
    }
    let Some(hits) = store.similar(doc_id, k, &filter, access)? else {
        return Ok(None);
    };
    Ok(Some(SimilarResponse {
        doc_id: doc_id.to_owned(),
        took_ms: started.elapsed().as_secs_f64() * 1e3,
        results: hits.into_iter().map(SearchResult::from).collect(),
    }))
}

/// The first `k` hits (one per near-duplicate group when `collapse`) and
/// the groups of those shown.
fn with_near_dups(
    hits: Vec<Hit>,
    groups: &[NearDupGroup],
    k: usize,
    collapse: bool,
) -> (Vec<SearchResult>, BTreeMap<String, NearDupNote>) {
    let group_of: HashMap<&str, &NearDupGroup> = groups
        .iter()
        .flat_map(|g| g.members.iter().map(move |m| (m.doc_id.as_str(), g)))
        .collect();
    let mut shown: Vec<SearchResult> = Vec::new();
    let mut notes: BTreeMap<String, NearDupNote> = BTreeMap::new();
    // Group id → the result standing for it.
    let mut seen: HashMap<&str, String> = HashMap::new();
    for h in hits {
        if let Some(g) = group_of.get(h.doc_id.as_str()) {
            if collapse && let Some(rep) = seen.get(g.id.as_str()) {
                if let Some(n) = notes.get_mut(rep) {
                    n.collapsed += 1;
                }
                continue;
            }
            seen.insert(&g.id, h.doc_id.clone());
            notes.insert(
                h.doc_id.clone(),
                NearDupNote {
                    group: g.id.clone(),
                    size: g.members.len(),
                    collapsed: 0,
                },
            );
        }
        if shown.len() < k {
            shown.push(SearchResult::from(h));
        }
    }
    notes.retain(|id, _| shown.iter().any(|s| &s.doc_id == id));
    (shown, notes)
}
