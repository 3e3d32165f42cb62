//! Review tags: reviewers' decisions about documents (responsive, privileged,
//! …), kept apart from the metadata tags that come with the files.
//!
//! They live in `review-tags.jsonl` in the index directory, an append-only
//! journal of adds and removals with time and reviewer, so every decision is
//! auditable and the current tags are a replay of the journal. Indexing never
//! touches the file, so tags survive re-indexing; a document id names one
//! content, so a file whose content changes is a new, untagged document (the
//! old version's tags stay in the journal).

use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    io::Write,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::{Error, Result, error::IoContext};

/// File name of the journal inside an index directory.
pub const REVIEW_TAGS_FILE: &str = "review-tags.jsonl";

/// Longest tag accepted, in characters.
const MAX_TAG_CHARS: usize = 100;

/// What a journal entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagOp {
    /// The tag was put on the document.
    Add,
    /// The tag was taken off the document.
    Remove,
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagEvent {
    /// When, RFC 3339 UTC.
    pub time: String,
    /// Who (reviewer name as given).
    pub by: String,
    /// Add or remove.
    pub op: TagOp,
    /// The document.
    pub doc_id: String,
    /// The tag.
    pub tag: String,
}

/// The review-tag journal of one index directory.
#[derive(Debug, Clone)]
pub struct TagJournal {
    path: PathBuf,
}

impl TagJournal {
    /// The journal of the index at `index_dir` (the file may not exist yet).
    pub fn new(index_dir: &Path) -> Self {
        Self {
            path: index_dir.join(REVIEW_TAGS_FILE),
        }
    }

    /// Appends an event stamped now, after checking the tag and reviewer, and
    /// syncs it to disk before returning.
    pub fn record(&self, op: TagOp, doc_id: &str, tag: &str, by: &str) -> Result<TagEvent> {
        let tag = normalize_tag(tag)?;
        let by = by.trim();
        if by.is_empty() || by.chars().any(char::is_control) {
            return Err(Error::InvalidRequest(
                "a reviewer name is required (--by NAME)".into(),
            ));
        }
        let event = TagEvent {
            time: jiff::Timestamp::now().to_string(),
            by: by.to_owned(),
            op,
            doc_id: doc_id.to_owned(),
            tag,
        };
        let mut line = serde_json::to_string(&event).expect("event serializes");
        line.push('\n');
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .at(&self.path)?;
        // One write per line: O_APPEND keeps concurrent writers' lines whole.
        f.write_all(line.as_bytes())
            .and_then(|()| f.sync_all())
            .at(&self.path)?;
        Ok(event)
    }

    /// Every event, oldest first.
    pub fn events(&self) -> Result<Vec<TagEvent>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).at(&self.path),
        };
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| Error::Corrupt {
                    path: self.path.clone(),
                    message: format!("line {}: {e}", i + 1),
                })
            })
            .collect()
    }

    /// Current tags per document: the journal replayed.
    pub fn current(&self) -> Result<BTreeMap<String, BTreeSet<String>>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for e in self.events()? {
            match e.op {
                TagOp::Add => {
                    out.entry(e.doc_id).or_default().insert(e.tag);
                }
                TagOp::Remove => {
                    if let Some(tags) = out.get_mut(&e.doc_id) {
                        tags.remove(&e.tag);
                        if tags.is_empty() {
                            out.remove(&e.doc_id);
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// `tag` as the journal stores it (trimmed, lower-case), or an error when
    /// it is empty, too long or holds control characters.
    pub fn normalize(tag: &str) -> Result<String> {
        normalize_tag(tag)
    }

    /// Documents currently carrying any of `tags`.
    pub fn documents_with_any(&self, tags: &[String]) -> Result<HashSet<String>> {
        let wanted: Vec<String> = tags
            .iter()
            .map(|t| normalize_tag(t))
            .collect::<Result<_>>()?;
        Ok(self
            .current()?
            .into_iter()
            .filter(|(_, t)| wanted.iter().any(|w| t.contains(w)))
            .map(|(d, _)| d)
            .collect())
    }
}

/// Tags compare case-insensitively and without surrounding space.
fn normalize_tag(tag: &str) -> Result<String> {
    let t = tag.trim().to_lowercase();
    if t.is_empty() || t.chars().count() > MAX_TAG_CHARS || t.chars().any(char::is_control) {
        return Err(Error::InvalidRequest(format!(
            "tag {tag:?} must be 1 to {MAX_TAG_CHARS} printable characters"
        )));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_replays_adds_and_removals() {
        let dir = tempfile::tempdir().unwrap();
        let j = TagJournal::new(dir.path());
        assert!(j.current().unwrap().is_empty());
        j.record(TagOp::Add, "d1", "Responsive", "ann").unwrap();
        j.record(TagOp::Add, "d2", "responsive", "ann").unwrap();
        j.record(TagOp::Add, "d2", "privileged", "bob").unwrap();
        j.record(TagOp::Remove, "d2", "responsive", "bob").unwrap();
        let now = j.current().unwrap();
        assert_eq!(now["d1"], BTreeSet::from(["responsive".to_owned()]));
        assert_eq!(now["d2"], BTreeSet::from(["privileged".to_owned()]));
        assert_eq!(
            j.documents_with_any(&["RESPONSIVE".into()]).unwrap(),
            HashSet::from(["d1".to_owned()])
        );
        let events = j.events().unwrap();
        assert_eq!(events.len(), 4);
        assert_eq!(events[3].by, "bob");
        assert_eq!(events[3].op, TagOp::Remove);
        assert!(events[0].time.ends_with('Z'), "{}", events[0].time);
        assert!(j.record(TagOp::Add, "d1", "  ", "ann").is_err());
        assert!(j.record(TagOp::Add, "d1", "x", "").is_err());
    }
}
