//! Discovery over what one principal may see, shared by the review endpoints
//! and the CLI's `terms`, `dups`, `threads` and `export`: the documents a
//! review restriction (review tags, an e-mail thread) allows, e-mail threads,
//! near-duplicate groups and review-tag counts.
//!
//! Every function starts from the documents `access` may see, so a document
//! outside the principal's groups is never counted or named — not as a
//! thread member, not as a near-duplicate of a visible document.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use trawl_indexer::{NearDupGroup, NearDups};
use trawl_search::{Access, DocumentInfo, Filter, Index, TagJournal};

use crate::{
    Error,
    api::{NearDupGroupView, NearDupMemberView, ThreadMessageView, ThreadSummary, ThreadView},
    thread::{MessageInput, Thread},
};

/// Documents carrying any of `tags`, or `None` when no tag is asked for.
pub fn tagged(index: &Index, tags: &[String]) -> Result<Option<HashSet<String>>, Error> {
    if tags.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        TagJournal::new(index.dir())
            .documents_with_any(tags)
            .map_err(review_tag_error)?,
    ))
}

/// A malformed tag is the caller's error; anything else is ours.
pub fn review_tag_error(e: trawl_search::Error) -> Error {
    if e.is_user_error() {
        Error::invalid("invalid_review_tag", e.to_string())
    } else {
        e.into()
    }
}

/// The documents a review restriction allows: carrying one of `tags` and in
/// `thread` (both when both are given); `None` when neither is given. A
/// thread the principal cannot see is unknown.
pub fn restriction(
    index: &Index,
    access: &Access,
    tags: &[String],
    thread: Option<&str>,
) -> Result<Option<HashSet<String>>, Error> {
    let only = tagged(index, tags)?;
    let Some(t) = thread else {
        return Ok(only);
    };
    let threads = load_threads(index, access, false)?;
    let thread = threads.iter().find(|th| th.id == t).ok_or_else(|| {
        Error::invalid(
            "unknown_thread",
            format!("no thread {t:?} (see `trawl threads` or GET /api/threads)"),
        )
    })?;
    let members: HashSet<String> = thread.messages.iter().map(|m| m.doc_id.clone()).collect();
    Ok(Some(match only {
        Some(tagged) => tagged.intersection(&members).cloned().collect(),
        None => members,
    }))
}

/// The e-mail documents `access` may see.
fn emails(index: &Index, access: &Access) -> Result<Vec<DocumentInfo>, Error> {
    let filter = Filter {
        kinds: vec!["email".into()],
        ..Filter::default()
    };
    Ok(index.documents(&filter, access, None)?)
}

fn message_input(
    index: &Index,
    access: &Access,
    d: &DocumentInfo,
    with_text: bool,
) -> Result<MessageInput, Error> {
    let mut m = MessageInput::from_extra(&d.doc_id, &d.meta.extra, d.meta.date);
    m.path = d.path.clone();
    if with_text {
        m.text = index.document_text(&d.doc_id, access)?;
    }
    Ok(m)
}

/// E-mail threads of the documents `access` may see; texts are read when
/// inclusiveness is wanted.
pub fn load_threads(index: &Index, access: &Access, with_text: bool) -> Result<Vec<Thread>, Error> {
    let msgs = emails(index, access)?
        .iter()
        .map(|d| message_input(index, access, d, with_text))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(crate::thread::build_threads(msgs))
}

/// The e-mails `access` may see, by id, and their threads (without texts).
fn email_threads(
    index: &Index,
    access: &Access,
) -> Result<(HashMap<String, DocumentInfo>, Vec<Thread>), Error> {
    let docs: HashMap<String, DocumentInfo> = emails(index, access)?
        .into_iter()
        .map(|d| (d.doc_id.clone(), d))
        .collect();
    let msgs = docs
        .values()
        .map(|d| message_input(index, access, d, false))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((docs, crate::thread::build_threads(msgs)))
}

/// Addresses in From, To and Cc of these documents, sorted and deduplicated.
fn participants<'a>(docs: impl Iterator<Item = &'a DocumentInfo>) -> Vec<String> {
    let mut out = BTreeSet::new();
    for d in docs {
        for field in ["from", "to", "cc"] {
            if let Some(v) = d.meta.extra.get(field) {
                out.extend(
                    v.split(',')
                        .map(str::trim)
                        .filter(|a| !a.is_empty())
                        .map(str::to_owned),
                );
            }
        }
    }
    out.into_iter().collect()
}

/// Threads `access` may see (of two or more messages unless `all`), only
/// the one holding `doc_id` when given.
pub fn thread_list(
    index: &Index,
    access: &Access,
    all: bool,
    doc_id: Option<&str>,
) -> Result<Vec<ThreadSummary>, Error> {
    let (docs, threads) = email_threads(index, access)?;
    Ok(threads
        .into_iter()
        .filter(|t| all || t.messages.len() > 1)
        .filter(|t| doc_id.is_none_or(|id| t.messages.iter().any(|m| m.doc_id == id)))
        .map(|t| {
            let dates = t.messages.iter().filter_map(|m| m.date);
            ThreadSummary {
                first_date: dates.clone().min(),
                last_date: dates.max(),
                participants: participants(t.messages.iter().filter_map(|m| docs.get(&m.doc_id))),
                messages: t.messages.len(),
                doc_ids: t.messages.iter().map(|m| m.doc_id.clone()).collect(),
                id: t.id,
                subject: t.subject,
            }
        })
        .collect())
}

/// One thread with its messages in order and their inclusiveness, or
/// `None` when `access` sees no thread `id`.
pub fn thread_view(index: &Index, access: &Access, id: &str) -> Result<Option<ThreadView>, Error> {
    let (docs, threads) = email_threads(index, access)?;
    let Some(found) = threads.into_iter().find(|t| t.id == id) else {
        return Ok(None);
    };
    // Inclusiveness compares texts within the thread: read only its messages
    // and thread them again (the same messages link the same way).
    let with_text = found
        .messages
        .iter()
        .filter_map(|m| docs.get(&m.doc_id))
        .map(|d| message_input(index, access, d, true))
        .collect::<Result<Vec<_>, _>>()?;
    let thread = crate::thread::build_threads(with_text)
        .into_iter()
        .find(|t| t.id == id)
        .unwrap_or(found);
    let extra =
        |doc: &str, field: &str| docs.get(doc).and_then(|d| d.meta.extra.get(field).cloned());
    let messages: Vec<ThreadMessageView> = thread
        .messages
        .iter()
        .map(|m| ThreadMessageView {
            from: extra(&m.doc_id, "from"),
            to: extra(&m.doc_id, "to"),
            cc: extra(&m.doc_id, "cc"),
            doc_id: m.doc_id.clone(),
            path: m.path.clone(),
            subject: m.subject.clone(),
            date: m.date,
            depth: m.depth,
            parent: m.parent.clone(),
            inclusive: m.inclusive == Some(true),
            copy_of: m.copy_of.clone(),
        })
        .collect();
    Ok(Some(ThreadView {
        participants: participants(thread.messages.iter().filter_map(|m| docs.get(&m.doc_id))),
        inclusive: messages.iter().filter(|m| m.inclusive).count(),
        id: thread.id,
        subject: thread.subject,
        messages,
    }))
}

/// Near-duplicate groups among the documents `access` may see.
pub fn near_dup_groups(
    index: &Index,
    access: &Access,
    threshold: f64,
) -> Result<Vec<NearDupGroup>, Error> {
    let nd = NearDups::load(index.dir());
    let visible = match access {
        Access::All => None,
        Access::Groups(_) => Some(index.document_ids(&Filter::default(), access, None)?),
    };
    Ok(nd.groups(threshold, visible.as_ref()))
}

/// Groups with their members' paths and titles.
pub fn group_views(
    index: &Index,
    access: &Access,
    groups: &[NearDupGroup],
) -> Result<Vec<NearDupGroupView>, Error> {
    let ids: HashSet<String> = groups
        .iter()
        .flat_map(|g| g.members.iter().map(|m| m.doc_id.clone()))
        .collect();
    let docs: HashMap<String, DocumentInfo> = index
        .documents(&Filter::default(), access, Some(&ids))?
        .into_iter()
        .map(|d| (d.doc_id.clone(), d))
        .collect();
    Ok(groups
        .iter()
        .map(|g| NearDupGroupView {
            id: g.id.clone(),
            members: g
                .members
                .iter()
                // Computed among visible documents; checked again here.
                .filter_map(|m| {
                    docs.get(&m.doc_id).map(|d| NearDupMemberView {
                        doc_id: m.doc_id.clone(),
                        path: d.path.clone(),
                        title: d.title.clone(),
                        similarity: m.similarity,
                    })
                })
                .collect(),
        })
        .collect())
}

/// Review tags in use on documents `access` may see, with document counts.
pub fn review_tag_counts(index: &Index, access: &Access) -> Result<BTreeMap<String, usize>, Error> {
    let current = TagJournal::new(index.dir())
        .current()
        .map_err(review_tag_error)?;
    let tagged: HashSet<String> = current.keys().cloned().collect();
    let visible = index.document_ids(&Filter::default(), access, Some(&tagged))?;
    let mut counts = BTreeMap::new();
    for (doc, tags) in &current {
        if visible.contains(doc) {
            for t in tags {
                *counts.entry(t.clone()).or_insert(0) += 1;
            }
        }
    }
    Ok(counts)
}
