//! Filters and permissions, applied inside both arms.
//!
//! A [`Filter`] narrows by metadata; an [`Access`] says whose eyes the search
//! is for. Both become one tantivy query that the keyword arm must match and
//! that yields the set of chunk ids the vector arm may return, so the top k is
//! never emptied or polluted by filtering after the fact.

use std::{collections::HashSet, ops::Bound};

use serde::{Deserialize, Serialize};
use tantivy::{
    Searcher, Term,
    collector::DocSetCollector,
    query::{
        AllQuery, BooleanQuery, Occur, Query, RangeQuery, RegexQuery, TermQuery, TermSetQuery,
    },
    schema::IndexRecordOption,
};

use crate::{
    Error, Result,
    keyword::{Fields, PUBLIC_GROUP},
};

/// Metadata conditions; every set condition must hold, lists match any of their values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Filter {
    /// File types (`pdf`, `markdown`, …).
    pub kinds: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custodians.
    pub custodians: Vec<String>,
    /// Path prefix, relative to the indexed folder (e.g. `hr/`).
    pub path_prefix: Option<String>,
    /// Earliest document date, Unix seconds, inclusive.
    pub date_from: Option<i64>,
    /// Latest document date, Unix seconds, inclusive.
    pub date_to: Option<i64>,
    /// Earliest file modification time, Unix seconds, inclusive.
    pub modified_from: Option<i64>,
    /// Latest file modification time, Unix seconds, inclusive.
    pub modified_to: Option<i64>,
}

impl Filter {
    /// True when the filter lets every document through.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }
}

/// Who a search is for. Permissions are a filter that cannot be turned off:
/// a principal sees only documents without groups and documents of its groups.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Access {
    /// Everything (the local operator, an admin).
    #[default]
    All,
    /// Public documents plus those of these groups.
    Groups(Vec<String>),
}

impl Access {
    /// A principal in `groups`.
    pub fn groups<I: IntoIterator<Item = S>, S: Into<String>>(groups: I) -> Self {
        Access::Groups(groups.into_iter().map(Into::into).collect())
    }

    /// Whether a document with these access groups is visible.
    pub fn allows(&self, doc_groups: &[String]) -> bool {
        match self {
            Access::All => true,
            Access::Groups(mine) => {
                doc_groups.is_empty() || doc_groups.iter().any(|g| mine.contains(g))
            }
        }
    }
}

fn any_of(field: tantivy::schema::Field, values: &[String]) -> Box<dyn Query> {
    let terms = values
        .iter()
        .map(|v| {
            let q: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ));
            (Occur::Should, q)
        })
        .collect();
    Box::new(BooleanQuery::new(terms))
}

/// The tantivy query for `filter` and `access`, or `None` when nothing is excluded.
pub(crate) fn to_query(
    fields: &Fields,
    filter: &Filter,
    access: &Access,
) -> Result<Option<Box<dyn Query>>> {
    let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if !filter.kinds.is_empty() {
        must.push((Occur::Must, any_of(fields.kind, &filter.kinds)));
    }
    if !filter.tags.is_empty() {
        must.push((Occur::Must, any_of(fields.tags, &filter.tags)));
    }
    if !filter.custodians.is_empty() {
        must.push((Occur::Must, any_of(fields.custodian, &filter.custodians)));
    }
    if let Some(prefix) = filter.path_prefix.as_deref().filter(|p| !p.is_empty()) {
        let pattern = format!("{}.*", regex_escape(prefix));
        let q = RegexQuery::from_pattern(&pattern, fields.path)
            .map_err(|e| Error::InvalidRequest(format!("path prefix {prefix:?}: {e}")))?;
        must.push((Occur::Must, Box::new(q)));
    }
    for (field, from, to, name) in [
        (fields.date, filter.date_from, filter.date_to, "date"),
        (
            fields.modified,
            filter.modified_from,
            filter.modified_to,
            "modified",
        ),
    ] {
        if from.is_none() && to.is_none() {
            continue;
        }
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            return Err(Error::InvalidRequest(format!(
                "{name}_from is after {name}_to"
            )));
        }
        let bound = |v: Option<i64>| match v {
            Some(v) => Bound::Included(Term::from_field_i64(field, v)),
            None => Bound::Unbounded,
        };
        // `modified` is a fast field only: tantivy scans its column.
        must.push((
            Occur::Must,
            Box::new(RangeQuery::new(bound(from), bound(to))),
        ));
    }
    if let Access::Groups(groups) = access {
        let mut allowed = vec![PUBLIC_GROUP.to_owned()];
        allowed.extend(groups.iter().filter(|g| !g.starts_with("__")).cloned());
        must.push((Occur::Must, any_of(fields.groups, &allowed)));
    }
    if must.is_empty() {
        return Ok(None);
    }
    // A boolean query of only Must clauses needs something to intersect with.
    must.push((Occur::Must, Box::new(AllQuery)));
    Ok(Some(Box::new(BooleanQuery::new(must))))
}

/// [`to_query`] further restricted to the documents in `doc_ids` (when given):
/// an empty set matches nothing.
pub(crate) fn restriction(
    fields: &Fields,
    filter: &Filter,
    access: &Access,
    doc_ids: Option<&HashSet<String>>,
) -> Result<Option<Box<dyn Query>>> {
    let base = to_query(fields, filter, access)?;
    let Some(ids) = doc_ids else {
        return Ok(base);
    };
    let terms: Vec<Term> = ids
        .iter()
        .map(|id| Term::from_field_text(fields.doc_id, id))
        .collect();
    let only: Box<dyn Query> = Box::new(TermSetQuery::new(terms));
    Ok(Some(match base {
        None => only,
        Some(b) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, b),
            (Occur::Must, only),
        ])),
    }))
}

/// Chunk ids matching `query` (the vector arm's allow-list).
pub(crate) fn allowed_chunks(searcher: &Searcher, query: &dyn Query) -> Result<HashSet<u64>> {
    let docs = searcher.search(query, &DocSetCollector)?;
    let mut out = HashSet::with_capacity(docs.len());
    let mut columns: Vec<Option<tantivy::columnar::Column<u64>>> =
        vec![None; searcher.segment_readers().len()];
    for addr in docs {
        let col = &mut columns[addr.segment_ord as usize];
        if col.is_none() {
            *col = Some(
                searcher
                    .segment_reader(addr.segment_ord)
                    .fast_fields()
                    .u64("chunk_id")?,
            );
        }
        if let Some(id) = col.as_ref().and_then(|c| c.first(addr.doc_id)) {
            out.insert(id);
        }
    }
    Ok(out)
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~\"<>@".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_rules() {
        let hr = Access::groups(["hr"]);
        assert!(hr.allows(&[]));
        assert!(hr.allows(&["hr".into(), "legal".into()]));
        assert!(!hr.allows(&["legal".into()]));
        assert!(Access::All.allows(&["legal".into()]));
        assert!(!Access::groups(Vec::<String>::new()).allows(&["hr".into()]));
    }

    #[test]
    fn regex_metacharacters_are_escaped() {
        assert_eq!(regex_escape("a.b/c(1)"), "a\\.b/c\\(1\\)");
    }
}
