//! Search-term reports: which documents each of a list of queries hits,
//! with Boolean logic evaluated per document, not per passage.
//!
//! The keyword arm indexes one tantivy document per chunk, so a tantivy
//! `a AND b` only matches a passage holding both words and `-x` only drops
//! passages. Counsel negotiating search terms means documents: here a query's
//! syntax tree is evaluated bottom-up over sets of documents. Each leaf
//! (word, phrase, proximity phrase, prefix, fuzzy word, field or range
//! clause) is run on its own through the same parser as searches, inside the
//! principal's permissions and the filters, and its matching chunks are
//! collected to their documents; `AND`/`+` intersect those sets, `OR`
//! unites them, `NOT`/`-` subtracts from the documents the principal may see.
//!
//! Limits: a phrase or proximity clause is a leaf, so its words must still
//! fall within one passage (about 200 tokens) — two words `w/5` of each other
//! straddling a passage boundary are missed. Vector similarity has no notion
//! of a hit and is not used.

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    sync::Arc,
};

use serde::Serialize;
use tantivy::{
    DocAddress,
    collector::DocSetCollector,
    query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query},
    query_grammar::UserInputAst,
};

use crate::{Access, Error, Filter, Index, Result, documents::by_document, filter, keyword};

/// Queries to report on and whose eyes the report is for.
#[derive(Debug, Clone, Default)]
pub struct TermsRequest {
    /// One query per term, in the search syntax plus `w/N` and `pre/N`.
    pub queries: Vec<String>,
    /// Metadata conditions every counted document must meet.
    pub filter: Filter,
    /// Whose eyes the counts are for: documents it may not see are never counted.
    pub access: Access,
    /// Only these documents are counted (review tags); `None` for no restriction.
    pub doc_ids: Option<Arc<HashSet<String>>>,
}

/// Counts for one term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermCount {
    /// The term as given.
    pub term: String,
    /// The query actually run, after `w/N` translation.
    pub query: String,
    /// Documents the term hits.
    pub documents: usize,
    /// Of those, documents no other term of the report hits.
    pub unique: usize,
    /// Passages (chunks, about 200 tokens each) of the hit documents in which a
    /// non-negated clause of the term matches: a measure of how often the
    /// term occurs, counted per passage rather than per word.
    pub passages: usize,
    /// Ids of the documents hit, sorted.
    pub doc_ids: Vec<String>,
}

/// A whole search-term report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermReport {
    /// One entry per term, in request order.
    pub terms: Vec<TermCount>,
    /// Documents hit by at least one term (each counted once).
    pub documents_hit: usize,
    /// Documents the principal may see under the filters (the universe counted in).
    pub documents_searched: usize,
}

/// Documents (by ordinal in the snapshot's chunk map) and the positive chunks matched.
#[derive(Debug, Default, Clone)]
struct Matches {
    docs: BTreeSet<u32>,
    /// Chunk addresses matched by non-negated leaves, by document.
    passages: HashMap<u32, HashSet<DocAddress>>,
}

impl Matches {
    fn passages_in_docs(&self) -> usize {
        self.docs
            .iter()
            .map(|d| self.passages.get(d).map_or(0, HashSet::len))
            .sum()
    }

    fn absorb_passages(&mut self, other: Matches) {
        for (d, p) in other.passages {
            self.passages.entry(d).or_default().extend(p);
        }
    }
}

impl Index {
    /// Counts, per query, the documents it hits, with document-level Boolean
    /// logic (see the module docs), under the request's filters and access.
    pub fn term_report(&self, req: &TermsRequest) -> Result<TermReport> {
        let state = self.current();
        let restriction = filter::restriction(
            &self.fields,
            &req.filter,
            &req.access,
            req.doc_ids.as_deref(),
        )?;
        let universe_addrs = match &restriction {
            Some(q) => state.searcher.search(&**q, &DocSetCollector)?,
            None => state.searcher.search(&AllQuery, &DocSetCollector)?,
        };
        let universe: BTreeSet<u32> = by_document(&state.searcher, &state.chunks, universe_addrs)?
            .into_keys()
            .collect();
        let eval = Eval {
            index: self,
            searcher: &state.searcher,
            chunks: &state.chunks,
            restriction: restriction.as_deref(),
            universe: &universe,
        };
        let mut results = Vec::with_capacity(req.queries.len());
        for (i, term) in req.queries.iter().enumerate() {
            let query = translate_proximity(term)
                .map_err(|e| Error::InvalidRequest(format!("term {} ({term:?}): {e}", i + 1)))?;
            if query.trim().is_empty() {
                return Err(Error::InvalidRequest(format!("term {} is empty", i + 1)));
            }
            let (ast, errors) = tantivy::query_grammar::parse_query_lenient(&query);
            if !errors.is_empty() {
                // A report is evidence: a term that does not parse as written
                // must not be counted as something else.
                return Err(Error::InvalidRequest(format!(
                    "term {} ({term:?}) does not parse: {}",
                    i + 1,
                    errors
                        .iter()
                        .map(|e| e.message.clone())
                        .collect::<Vec<_>>()
                        .join("; ")
                )));
            }
            results.push((term.clone(), query, eval.eval(&ast)?));
        }
        let mut hit_by: HashMap<u32, usize> = HashMap::new();
        for (_, _, m) in &results {
            for d in &m.docs {
                *hit_by.entry(*d).or_default() += 1;
            }
        }
        let name = |d: &u32| state.chunks.doc_ids[*d as usize].clone();
        let terms = results
            .into_iter()
            .map(|(term, query, m)| {
                let mut doc_ids: Vec<String> = m.docs.iter().map(name).collect();
                doc_ids.sort();
                TermCount {
                    term,
                    query,
                    documents: m.docs.len(),
                    unique: m.docs.iter().filter(|d| hit_by[*d] == 1).count(),
                    passages: m.passages_in_docs(),
                    doc_ids,
                }
            })
            .collect();
        Ok(TermReport {
            terms,
            documents_hit: hit_by.len(),
            documents_searched: universe.len(),
        })
    }
}

struct Eval<'a> {
    index: &'a Index,
    searcher: &'a tantivy::Searcher,
    chunks: &'a keyword::ChunkMap,
    restriction: Option<&'a dyn Query>,
    universe: &'a BTreeSet<u32>,
}

impl Eval<'_> {
    fn eval(&self, ast: &UserInputAst) -> Result<Matches> {
        match ast {
            UserInputAst::Boost(inner, _) => self.eval(inner),
            UserInputAst::Leaf(_) => self.leaf(ast),
            UserInputAst::Clause(clauses) => {
                let mut must: Option<Matches> = None;
                let mut should: Option<Matches> = None;
                let mut not = BTreeSet::new();
                let mut passages = Matches::default();
                for (occur, sub) in clauses {
                    let m = self.eval(sub)?;
                    match occur.unwrap_or(Occur::Should) {
                        Occur::MustNot => not.extend(m.docs),
                        Occur::Must => {
                            must = Some(match must {
                                None => m.clone(),
                                Some(acc) => Matches {
                                    docs: acc.docs.intersection(&m.docs).copied().collect(),
                                    ..Matches::default()
                                },
                            });
                            passages.absorb_passages(m);
                        }
                        Occur::Should => {
                            let acc = should.get_or_insert_with(Matches::default);
                            acc.docs.extend(m.docs.iter().copied());
                            passages.absorb_passages(m);
                        }
                    }
                }
                // As in Lucene: with a required clause, optional ones only score.
                let docs = match (must, should) {
                    (Some(m), _) => m.docs,
                    (None, Some(s)) => s.docs,
                    (None, None) => self.universe.clone(),
                };
                Ok(Matches {
                    docs: docs.difference(&not).copied().collect(),
                    passages: passages.passages,
                })
            }
        }
    }

    fn leaf(&self, ast: &UserInputAst) -> Result<Matches> {
        let leaf = keyword::build(&self.index.tantivy, &self.index.parser, ast.clone());
        let query: Box<dyn Query> = match self.restriction {
            Some(r) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, leaf),
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(r.box_clone(), 0.0)),
                ),
            ])),
            None => leaf,
        };
        let addrs = self.searcher.search(&*query, &DocSetCollector)?;
        let by_doc = by_document(self.searcher, self.chunks, addrs)?;
        Ok(Matches {
            docs: by_doc.keys().copied().collect(),
            passages: by_doc
                .into_iter()
                .map(|(d, a)| (d, a.into_iter().collect()))
                .collect(),
        })
    }
}

/// A piece of a query string, for [`translate_proximity`].
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    /// A quoted phrase without slop: its words.
    Phrase(String),
    /// A bare word that can be a proximity operand.
    Word(String),
    /// `w/N` (unordered) or `pre/N` (ordered).
    Near { ordered: bool, distance: u32 },
    /// Anything else, kept as written (operators, fields, groups, `"…"~N`, `a*`).
    Other(String),
}

fn pieces(query: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = query.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '(' || c == ')' {
            out.push(Piece::Other(c.to_string()));
            i += 1;
            continue;
        }
        if c == '"' {
            let end = chars[i + 1..]
                .iter()
                .position(|&c| c == '"')
                .map(|p| i + 1 + p)
                .ok_or("unbalanced quote")?;
            let inner: String = chars[i + 1..end].iter().collect();
            let mut j = end + 1;
            if chars.get(j) == Some(&'~') {
                j += 1;
                while chars.get(j).is_some_and(char::is_ascii_digit) {
                    j += 1;
                }
                out.push(Piece::Other(chars[i..j].iter().collect()));
            } else {
                out.push(Piece::Phrase(inner));
            }
            i = j;
            continue;
        }
        let mut j = i;
        while j < chars.len() && !chars[j].is_whitespace() && !"\"()".contains(chars[j]) {
            j += 1;
        }
        let token: String = chars[i..j].iter().collect();
        i = j;
        let lower = token.to_ascii_lowercase();
        let near = lower
            .strip_prefix("w/")
            .map(|n| (false, n))
            .or_else(|| lower.strip_prefix("pre/").map(|n| (true, n)));
        if let Some((ordered, n)) = near {
            let distance = n
                .parse::<u32>()
                .map_err(|_| format!("{token:?}: expected a number of words after the slash"))?;
            out.push(Piece::Near { ordered, distance });
        } else if token.starts_with(char::is_alphanumeric)
            && token
                .chars()
                .all(|c| c.is_alphanumeric() || c == '\'' || c == '-' || c == '.')
            && !matches!(token.as_str(), "AND" | "OR" | "NOT")
        {
            out.push(Piece::Word(token));
        } else {
            out.push(Piece::Other(token));
        }
    }
    Ok(out)
}

/// Rewrites legal proximity operators into the query syntax: `a w/N b` (within
/// N words, either order) becomes `("a b"~N OR "b a"~N)`, `a pre/N b` (a
/// before b) becomes `"a b"~N`; operands are words or quoted phrases.
/// Wildcards, fuzzy words and chains (`a w/3 b w/3 c`) are refused rather than
/// run as something else.
pub fn translate_proximity(query: &str) -> Result<String, String> {
    let pieces = pieces(query)?;
    if !pieces.iter().any(|p| matches!(p, Piece::Near { .. })) {
        return Ok(query.to_owned());
    }
    let words = |p: &Piece| match p {
        Piece::Word(w) => Some(w.clone()),
        Piece::Phrase(w) => Some(w.split_whitespace().collect::<Vec<_>>().join(" ")),
        _ => None,
    };
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < pieces.len() {
        if i + 2 < pieces.len()
            && let Piece::Near { ordered, distance } = pieces[i + 1]
        {
            let (Some(a), Some(b)) = (words(&pieces[i]), words(&pieces[i + 2])) else {
                return Err(
                    "w/N and pre/N join two words or quoted phrases (no wildcards, fuzzy words or groups)"
                        .into(),
                );
            };
            if matches!(pieces.get(i + 3), Some(Piece::Near { .. })) {
                return Err(
                    "chained proximity (a w/N b w/N c) is not supported; join pairs with AND"
                        .into(),
                );
            }
            out.push(if ordered {
                format!("\"{a} {b}\"~{distance}")
            } else {
                format!("(\"{a} {b}\"~{distance} OR \"{b} {a}\"~{distance})")
            });
            i += 3;
            continue;
        }
        match &pieces[i] {
            Piece::Near { .. } => {
                return Err("w/N and pre/N need a word or quoted phrase on each side".into());
            }
            Piece::Phrase(p) => out.push(format!("\"{p}\"")),
            Piece::Word(w) | Piece::Other(w) => out.push(w.clone()),
        }
        i += 1;
    }
    Ok(out.join(" ").replace("( ", "(").replace(" )", ")"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proximity_translates() {
        let check = |q: &str, want: &str| assert_eq!(translate_proximity(q).unwrap(), want, "{q}");
        check(
            "notice w/5 termination",
            "(\"notice termination\"~5 OR \"termination notice\"~5)",
        );
        check("notice pre/3 termination", "\"notice termination\"~3");
        check(
            "\"written notice\" W/10 terminate AND -draft",
            "(\"written notice terminate\"~10 OR \"terminate written notice\"~10) AND -draft",
        );
        // Queries without proximity pass through untouched.
        check("title:leave AND (a OR b*)", "title:leave AND (a OR b*)");
        check("\"a b\"~3 c", "\"a b\"~3 c");
        check(
            "(notice w/5 termination) AND -draft",
            "((\"notice termination\"~5 OR \"termination notice\"~5)) AND -draft",
        );
    }

    #[test]
    fn bad_proximity_is_refused() {
        for q in [
            "w/5 notice",
            "notice w/5",
            "terminat* w/5 notice",
            "a w/x b",
            "a w/2 b w/2 c",
            "\"open",
            "-a w/2 b",
        ] {
            assert!(translate_proximity(q).is_err(), "{q}");
        }
    }
}
