//! Documents like a given one: the nearest neighbours of its mean chunk
//! vector, re-ranked by the similarity of whole documents.
//!
//! The source document is read through the caller's [`Access`], so a document
//! the caller may not see is "not found", never a hint that it exists; the
//! candidates come from the vector arm restricted by the same access and the
//! caller's [`Filter`], like any search.

use std::collections::{HashMap, HashSet};

use tantivy::{
    Term,
    query::{AllQuery, BooleanQuery, Occur, Query, TermQuery},
    schema::IndexRecordOption,
};

use crate::{
    Access, Error, Filter, Hit, Index, Result, filter,
    index::{MAX_RESULTS, SNIPPET_CHARS},
    keyword,
    vector::dot,
};

impl Index {
    /// Up to `k` documents most similar to `doc_id`, best first, among those
    /// `filter` and `access` let through; never `doc_id` itself. `None` when
    /// `doc_id` does not exist or `access` may not see it (the two are
    /// indistinguishable).
    ///
    /// A document is represented by the normalized mean of its chunk vectors.
    /// Candidates are the documents of the chunks nearest to the source's
    /// mean; they are ranked by the cosine between the two documents' means
    /// (the hit's `score` and `vector_score`), and each shows its chunk
    /// nearest to the source.
    pub fn similar(
        &self,
        doc_id: &str,
        k: usize,
        filter: &Filter,
        access: &Access,
    ) -> Result<Option<Vec<Hit>>> {
        if k == 0 || k > MAX_RESULTS {
            return Err(Error::InvalidRequest(format!(
                "k must be between 1 and {MAX_RESULTS}"
            )));
        }
        let state = self.current();
        let only: HashSet<String> = [doc_id.to_owned()].into();
        let source = filter::restriction(&self.fields, &Filter::default(), access, Some(&only))?
            .expect("a document id restriction is a query");
        let source_chunks = filter::allowed_chunks(&state.searcher, &*source)?;
        if source_chunks.is_empty() {
            return Ok(None);
        }
        let Some(centre) = mean(
            state
                .vectors
                .vectors_of(&source_chunks)
                .iter()
                .map(|(_, v)| v),
        ) else {
            return Ok(Some(Vec::new()));
        };

        // Candidates: visible, filtered, and not the source.
        let not_source: Box<dyn Query> = Box::new(TermQuery::new(
            Term::from_field_text(self.fields.doc_id, doc_id),
            IndexRecordOption::Basic,
        ));
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, Box::new(AllQuery)),
            (Occur::MustNot, not_source),
        ];
        if let Some(r) = filter::to_query(&self.fields, filter, access)? {
            clauses.push((Occur::Must, r));
        }
        let mut allowed = filter::allowed_chunks(&state.searcher, &BooleanQuery::new(clauses))?;
        allowed.retain(|id| !source_chunks.contains(id));
        let depth = (k * 10).max(100);
        let wanted_docs = (k * 4).max(20);
        let mut best_chunk: HashMap<u32, u64> = HashMap::new();
        let mut order: Vec<u32> = Vec::new();
        for (chunk, _) in state.vectors.search_among(&centre, depth, &allowed, None) {
            let Some(loc) = state.chunks.chunks.get(&chunk) else {
                continue;
            };
            if let std::collections::hash_map::Entry::Vacant(e) = best_chunk.entry(loc.doc) {
                e.insert(chunk);
                order.push(loc.doc);
                if order.len() == wanted_docs {
                    break;
                }
            }
        }

        // Re-rank the candidates by whole-document similarity.
        let mut chunks_of: HashMap<u64, u32> = HashMap::new();
        for (&chunk, loc) in &state.chunks.chunks {
            if best_chunk.contains_key(&loc.doc) {
                chunks_of.insert(chunk, loc.doc);
            }
        }
        let ids: HashSet<u64> = chunks_of.keys().copied().collect();
        let mut per_doc: HashMap<u32, Vec<Vec<f32>>> = HashMap::new();
        for (id, v) in state.vectors.vectors_of(&ids) {
            per_doc.entry(chunks_of[&id]).or_default().push(v);
        }
        let mut scored: Vec<(u32, f32)> = order
            .iter()
            .filter_map(|d| {
                let m = mean(per_doc.get(d)?.iter())?;
                Some((*d, dot(&centre, &m)))
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        scored.truncate(k);

        let mut hits = Vec::with_capacity(scored.len());
        for (rank, (doc, score)) in scored.into_iter().enumerate() {
            let loc = state.chunks.chunks[&best_chunk[&doc]];
            let chunk = keyword::read_chunk(&state.searcher, &self.fields, loc.addr)?;
            let snippet = keyword::snippet(None, &chunk.body, SNIPPET_CHARS);
            hits.push(Hit {
                doc_id: chunk.doc_id,
                path: chunk.path,
                title: chunk.title,
                score,
                chunk_id: chunk.chunk_id,
                snippet: snippet.text,
                snippet_html: snippet.html,
                page: (chunk.page > 0).then_some(chunk.page as u32),
                section: (!chunk.section.is_empty()).then_some(chunk.section),
                keyword_rank: None,
                vector_rank: Some(rank + 1),
                keyword_score: None,
                keyword_share: None,
                vector_score: Some(score),
                meta: chunk.meta,
            });
        }
        Ok(Some(hits))
    }
}

/// The normalized mean of unit vectors; `None` for none, or when they cancel out (also the
/// cluster backend's, so both engines rank similar documents alike).
pub fn mean<'a>(vectors: impl Iterator<Item = &'a Vec<f32>>) -> Option<Vec<f32>> {
    let mut sum: Vec<f32> = Vec::new();
    for v in vectors {
        if sum.is_empty() {
            sum = vec![0.0; v.len()];
        }
        for (s, x) in sum.iter_mut().zip(v) {
            *s += x;
        }
    }
    let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
    (norm > 1e-6).then(|| sum.iter().map(|x| x / norm).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_is_normalized_and_none_when_empty_or_cancelling() {
        assert_eq!(mean(std::iter::empty()), None);
        let m = mean([vec![1.0, 0.0], vec![0.0, 1.0]].iter()).unwrap();
        assert!((m[0] - m[1]).abs() < 1e-6 && (dot(&m, &m) - 1.0).abs() < 1e-5);
        assert_eq!(mean([vec![1.0, 0.0], vec![-1.0, 0.0]].iter()), None);
    }
}
