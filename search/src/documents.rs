//! Whole documents rather than ranked passages: listing the documents a
//! principal may see, and a document's text reassembled from its chunks.
//! Review tools (threads, near-duplicates, exports) need both; neither is a
//! ranking path.

use std::collections::{HashMap, HashSet};

use tantivy::{
    DocAddress, TantivyDocument, collector::DocSetCollector, query::AllQuery, schema::Value,
};

use crate::{
    Access, DocumentMeta, Filter, Index, Result, filter,
    keyword::{self, ChunkMap},
};

/// A document as listed by [`Index::documents`].
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentInfo {
    /// Stable document id.
    pub doc_id: String,
    /// Source path as given at indexing.
    pub path: String,
    /// Title.
    pub title: String,
    /// Chunks the document was split into.
    pub chunks: usize,
    /// Metadata.
    pub meta: DocumentMeta,
}

/// Longest overlap looked for between consecutive chunks (a cut paragraph's
/// windows share at most the chunker's overlap, a few hundred bytes).
const MAX_OVERLAP_BYTES: usize = 4096;

impl Index {
    /// Every document matching `filter` (and `doc_ids`, when given) that
    /// `access` may see, ordered by path. Reads one stored chunk per document.
    pub fn documents(
        &self,
        filter: &Filter,
        access: &Access,
        doc_ids: Option<&HashSet<String>>,
    ) -> Result<Vec<DocumentInfo>> {
        let state = self.current();
        let restriction = filter::restriction(&self.fields, filter, access, doc_ids)?;
        let addrs = match &restriction {
            Some(q) => state.searcher.search(&**q, &DocSetCollector)?,
            None => state.searcher.search(&AllQuery, &DocSetCollector)?,
        };
        let docs = by_document(&state.searcher, &state.chunks, addrs)?;
        let mut out = Vec::with_capacity(docs.len());
        for addrs in docs.into_values() {
            let first = *addrs.iter().min().expect("a document has a chunk");
            let c = keyword::read_chunk(&state.searcher, &self.fields, first)?;
            out.push(DocumentInfo {
                doc_id: c.doc_id,
                path: c.path,
                title: c.title,
                chunks: addrs.len(),
                meta: c.meta,
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path).then_with(|| a.doc_id.cmp(&b.doc_id)));
        Ok(out)
    }

    /// Ids of the documents [`Index::documents`] would list, without reading
    /// the document store.
    pub fn document_ids(
        &self,
        filter: &Filter,
        access: &Access,
        doc_ids: Option<&HashSet<String>>,
    ) -> Result<HashSet<String>> {
        let state = self.current();
        let restriction = filter::restriction(&self.fields, filter, access, doc_ids)?;
        let addrs = match &restriction {
            Some(q) => state.searcher.search(&**q, &DocSetCollector)?,
            None => state.searcher.search(&AllQuery, &DocSetCollector)?,
        };
        Ok(by_document(&state.searcher, &state.chunks, addrs)?
            .into_keys()
            .map(|d| state.chunks.doc_ids[d as usize].clone())
            .collect())
    }

    /// One document's metadata, if it exists and `access` may see it.
    pub fn document_info(&self, doc_id: &str, access: &Access) -> Result<Option<DocumentInfo>> {
        let only: HashSet<String> = [doc_id.to_owned()].into();
        Ok(self
            .documents(&Filter::default(), access, Some(&only))?
            .into_iter()
            .next())
    }

    /// The document's text as indexed: its chunks in order, the overlap of a
    /// long paragraph's consecutive windows removed, other chunks separated by
    /// a blank line. `None` when the document does not exist or `access` may
    /// not see it.
    pub fn document_text(&self, doc_id: &str, access: &Access) -> Result<Option<String>> {
        let only: HashSet<String> = [doc_id.to_owned()].into();
        let state = self.current();
        let Some(q) = filter::restriction(&self.fields, &Filter::default(), access, Some(&only))?
        else {
            return Ok(None);
        };
        let addrs = state.searcher.search(&*q, &DocSetCollector)?;
        if addrs.is_empty() {
            return Ok(None);
        }
        let mut chunks: Vec<(u64, String)> = Vec::with_capacity(addrs.len());
        for addr in addrs {
            let doc: TantivyDocument = state.searcher.doc(addr)?;
            let ordinal = doc
                .get_first(self.fields.ordinal)
                .and_then(|v| v.as_u64())
                .unwrap_or(0);
            let body = doc
                .get_first(self.fields.body)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned();
            chunks.push((ordinal, body));
        }
        chunks.sort_by_key(|(o, _)| *o);
        Ok(Some(join_chunks(chunks.into_iter().map(|(_, b)| b))))
    }
}

/// Chunk addresses grouped by document ordinal (see [`ChunkMap`]).
pub(crate) fn by_document(
    searcher: &tantivy::Searcher,
    map: &ChunkMap,
    addrs: impl IntoIterator<Item = DocAddress>,
) -> Result<HashMap<u32, Vec<DocAddress>>> {
    let mut columns: Vec<Option<tantivy::columnar::Column<u64>>> =
        vec![None; searcher.segment_readers().len()];
    let mut out: HashMap<u32, Vec<DocAddress>> = HashMap::new();
    for addr in addrs {
        let col = &mut columns[addr.segment_ord as usize];
        if col.is_none() {
            *col = Some(
                searcher
                    .segment_reader(addr.segment_ord)
                    .fast_fields()
                    .u64("chunk_id")?,
            );
        }
        let Some(id) = col.as_ref().and_then(|c| c.first(addr.doc_id)) else {
            continue;
        };
        if let Some(loc) = map.chunks.get(&id) {
            out.entry(loc.doc).or_default().push(addr);
        }
    }
    Ok(out)
}

/// Joins chunk texts: where one ends with the start of the next (windows of a
/// paragraph cut with overlap), the shared text appears once.
fn join_chunks(chunks: impl IntoIterator<Item = String>) -> String {
    let mut out = String::new();
    for c in chunks {
        if out.is_empty() {
            out = c;
            continue;
        }
        let overlap = overlap(&out, &c);
        if overlap > 0 {
            out.push_str(&c[overlap..]);
        } else {
            out.push_str("\n\n");
            out.push_str(&c);
        }
    }
    out
}

/// Length of the longest proper prefix of `next` that ends `prev`, if it is
/// long enough (16 bytes) to be a real overlap rather than a shared word.
fn overlap(prev: &str, next: &str) -> usize {
    let max = next.len().min(prev.len()).min(MAX_OVERLAP_BYTES);
    (16..max)
        .rev()
        .filter(|&n| next.is_char_boundary(n) && prev.is_char_boundary(prev.len() - n))
        .find(|&n| prev.ends_with(&next[..n]))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_windows_join_without_repeating() {
        let a = "one two three four five six seven eight".to_owned();
        let b = "five six seven eight nine ten".to_owned();
        assert_eq!(
            join_chunks([a, b]),
            "one two three four five six seven eight nine ten"
        );
        assert_eq!(
            join_chunks(["First paragraph.".into(), "Second one.".into()]),
            "First paragraph.\n\nSecond one."
        );
    }
}
