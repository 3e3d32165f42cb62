//! Reading an index other than by ranked search: one whole document, and
//! facet counts. Both go through the same [`Access`] query as search, so a
//! principal never reads or counts a document outside its groups.

use std::collections::{BTreeMap, HashMap, HashSet};

use tantivy::{
    DocSet, TERMINATED, Term,
    collector::DocSetCollector,
    query::{AllQuery, BooleanQuery, Occur, Query, TermQuery},
    schema::{Field, IndexRecordOption},
};

use crate::{
    DocumentMeta, Index, Result,
    filter::{self, Access, Filter},
    keyword,
};

/// A whole document as stored: metadata and every chunk in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Stable document id.
    pub doc_id: String,
    /// Source path as given at indexing.
    pub path: String,
    /// Document title.
    pub title: String,
    /// The document's metadata.
    pub meta: DocumentMeta,
    /// Its chunks, in document order.
    pub chunks: Vec<StoredChunk>,
}

/// One chunk of a [`Document`].
#[derive(Debug, Clone, PartialEq)]
pub struct StoredChunk {
    /// Chunk id (the same in both arms; [`crate::Hit::chunk_id`] points here).
    pub chunk_id: u64,
    /// Position in the document, from 0.
    pub ordinal: u64,
    /// The chunk's text.
    pub text: String,
    /// 1-based page, where the format has pages.
    pub page: Option<u32>,
    /// Heading path.
    pub section: Option<String>,
}

/// Which documents to count: those matching `query` (every document when it
/// is empty) under `filter`, as `access` allows.
#[derive(Debug, Clone, Default)]
pub struct FacetRequest {
    /// Query text (keyword syntax); empty counts every document.
    pub query: String,
    /// Metadata conditions.
    pub filter: Filter,
    /// Whose eyes the counts are for.
    pub access: Access,
}

/// One facet value and the number of documents carrying it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetCount {
    /// The value (a kind, tag, custodian or year).
    pub value: String,
    /// Documents with that value.
    pub count: u64,
}

/// Document counts by facet, most frequent first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// Documents matching the request.
    pub documents: u64,
    /// By file type.
    pub kinds: Vec<FacetCount>,
    /// By tag (a document with two tags counts under both).
    pub tags: Vec<FacetCount>,
    /// By custodian.
    pub custodians: Vec<FacetCount>,
    /// By year of the document date (UTC); undated documents are not counted.
    pub years: Vec<FacetCount>,
}

impl Index {
    /// The document `doc_id` with all its chunks, or `None` when it does not
    /// exist or `access` may not see it (the two are indistinguishable).
    pub fn document(&self, doc_id: &str, access: &Access) -> Result<Option<Document>> {
        let state = self.current();
        let id_query: Box<dyn Query> = Box::new(TermQuery::new(
            Term::from_field_text(self.fields.doc_id, doc_id),
            IndexRecordOption::Basic,
        ));
        let query = match filter::to_query(&self.fields, &Filter::default(), access)? {
            Some(r) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, id_query),
                (Occur::Must, r),
            ])) as Box<dyn Query>,
            None => id_query,
        };
        let addrs = state.searcher.search(&*query, &DocSetCollector)?;
        let mut chunks = Vec::with_capacity(addrs.len());
        for addr in addrs {
            chunks.push(keyword::read_chunk(&state.searcher, &self.fields, addr)?);
        }
        chunks.sort_by_key(|c| c.ordinal);
        let Some(first) = chunks.first() else {
            return Ok(None);
        };
        Ok(Some(Document {
            doc_id: first.doc_id.clone(),
            path: first.path.clone(),
            title: first.title.clone(),
            meta: first.meta.clone(),
            chunks: chunks
                .into_iter()
                .map(|c| StoredChunk {
                    chunk_id: c.chunk_id,
                    ordinal: c.ordinal,
                    text: c.body,
                    page: (c.page > 0).then_some(c.page as u32),
                    section: (!c.section.is_empty()).then_some(c.section),
                })
                .collect(),
        }))
    }

    /// Document counts by kind, tag, custodian and year. Computed from the
    /// index's posting lists and fast fields over the chunks that match the
    /// query, filter and access, counting each document once.
    pub fn facets(&self, req: &FacetRequest) -> Result<Facets> {
        let state = self.current();
        let searcher = &state.searcher;
        let text: Box<dyn Query> = if req.query.trim().is_empty() {
            Box::new(AllQuery)
        } else {
            keyword::parse(&self.tantivy, &self.parser, &req.query)
        };
        let query: Box<dyn Query> = match filter::to_query(&self.fields, &req.filter, &req.access)?
        {
            Some(r) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, text),
                (Occur::Must, r),
            ])),
            None => text,
        };
        let matched = searcher.search(&*query, &DocSetCollector)?;

        // Matching chunks per segment → the document each belongs to.
        let mut per_segment: Vec<HashMap<u32, u32>> =
            vec![HashMap::new(); searcher.segment_readers().len()];
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let ids = segment.fast_fields().u64("chunk_id")?;
            for addr in matched.iter().filter(|a| a.segment_ord as usize == ord) {
                if let Some(loc) = ids
                    .first(addr.doc_id)
                    .and_then(|id| state.chunks.chunks.get(&id))
                {
                    per_segment[ord].insert(addr.doc_id, loc.doc);
                }
            }
        }
        let documents: HashSet<u32> = per_segment
            .iter()
            .flat_map(|m| m.values().copied())
            .collect();

        let by_terms = |field: Field| -> Result<Vec<FacetCount>> {
            let mut values: HashMap<String, HashSet<u32>> = HashMap::new();
            for (ord, segment) in searcher.segment_readers().iter().enumerate() {
                let wanted = &per_segment[ord];
                if wanted.is_empty() {
                    continue;
                }
                let inverted = segment.inverted_index(field)?;
                let mut terms = inverted.terms().stream().map_err(io_error)?;
                while terms.advance() {
                    let mut postings = inverted
                        .read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)
                        .map_err(io_error)?;
                    let mut docs = Vec::new();
                    let mut doc = postings.doc();
                    while doc != TERMINATED {
                        if let Some(&d) = wanted.get(&doc) {
                            docs.push(d);
                        }
                        doc = postings.advance();
                    }
                    if !docs.is_empty() {
                        let name = String::from_utf8_lossy(terms.key()).into_owned();
                        values.entry(name).or_default().extend(docs);
                    }
                }
            }
            Ok(ranked(
                values
                    .into_iter()
                    .filter(|(v, _)| !v.starts_with("__"))
                    .map(|(v, docs)| (v, docs.len() as u64)),
            ))
        };
        let kinds = by_terms(self.fields.kind)?;
        let tags = by_terms(self.fields.tags)?;
        let custodians = by_terms(self.fields.custodian)?;

        let mut years: BTreeMap<i64, HashSet<u32>> = BTreeMap::new();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let dates = segment.fast_fields().i64("date")?;
            for (&doc, &d) in &per_segment[ord] {
                if let Some(t) = dates.first(doc) {
                    years.entry(year_of(t)).or_default().insert(d);
                }
            }
        }
        Ok(Facets {
            documents: documents.len() as u64,
            kinds,
            tags,
            custodians,
            years: ranked(
                years
                    .into_iter()
                    .map(|(y, docs)| (y.to_string(), docs.len() as u64)),
            ),
        })
    }
}

fn io_error(e: std::io::Error) -> crate::Error {
    crate::Error::Tantivy(tantivy::TantivyError::IoError(std::sync::Arc::new(e)))
}

/// Most frequent first, then by value.
fn ranked(values: impl Iterator<Item = (String, u64)>) -> Vec<FacetCount> {
    let mut out: Vec<FacetCount> = values
        .filter(|(_, n)| *n > 0)
        .map(|(value, count)| FacetCount { value, count })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    out
}

/// Civil year (UTC) of Unix seconds `t` (Howard Hinnant's days-to-civil).
fn year_of(t: i64) -> i64 {
    let days = t.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i64::from(month <= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_of_unix_times() {
        assert_eq!(year_of(0), 1970);
        assert_eq!(year_of(1_714_521_600), 2024); // 2024-05-01
        assert_eq!(year_of(1_704_067_199), 2023); // 2023-12-31T23:59:59
        assert_eq!(year_of(1_704_067_200), 2024); // 2024-01-01
        assert_eq!(year_of(-1), 1969);
        assert_eq!(year_of(951_782_400), 2000); // 2000-02-29
    }
}
