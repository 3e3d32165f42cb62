//! E-mail threading over the headers the e-mail extractor stores
//! (`message_id`, `in_reply_to`, `references`, `subject` in a document's
//! extra metadata), and inclusive-message detection.
//!
//! Messages are linked through every Message-ID they name (their own,
//! In-Reply-To, References), so a thread holds together even when a message in
//! the middle is missing. A message that names no other message but whose
//! subject is a reply or forward (`Re:`, `Fwd:`, …) joins the thread whose
//! messages have the same normalized subject. A message's parent is the last
//! message of its References (or its In-Reply-To) present in the set;
//! subject-joined messages hang under the thread's root. Several documents
//! with one Message-ID (the same message in an `.eml` and an `.mbox`) are one
//! message: the first by id is kept, the others are marked as copies.
//!
//! Inclusive messages: a message is *not* inclusive when its own text (the
//! body without the header block, without `>`-quoted lines and without what
//! follows an attribution line such as `On … wrote:`) is contained, word
//! 3-gram for word 3-gram (at least `CONTAINED`, 90 %, of them), in a later
//! message of the same thread; reviewing the inclusive messages then covers
//! every word of the thread. Attachments are not compared.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Share of a message's own word 3-grams a later message must contain for the
/// earlier one to be non-inclusive (quoting tools rewrap lines and drop
/// signatures, so exact containment is too strict).
const CONTAINED: f64 = 0.9;

/// One e-mail, as threading needs it.
#[derive(Debug, Clone, Default)]
pub struct MessageInput {
    /// Document id.
    pub doc_id: String,
    /// Where the message is (shown with threads).
    pub path: String,
    /// `<id@host>` of the message.
    pub message_id: Option<String>,
    /// Message ids of In-Reply-To.
    pub in_reply_to: Vec<String>,
    /// Message ids of References, oldest first.
    pub references: Vec<String>,
    /// Subject.
    pub subject: Option<String>,
    /// Sent date, Unix seconds.
    pub date: Option<i64>,
    /// The message's extracted text (header block, then body), when
    /// inclusiveness should be decided.
    pub text: Option<String>,
}

impl MessageInput {
    /// The threading fields of an indexed e-mail from its extra metadata
    /// (`message_id`, `in_reply_to`, `references`, `subject`).
    pub fn from_extra(doc_id: &str, extra: &BTreeMap<String, String>, date: Option<i64>) -> Self {
        let ids = |k: &str| -> Vec<String> {
            extra
                .get(k)
                .map(|v| {
                    v.split_whitespace()
                        .map(|s| s.trim_matches(|c| c == '<' || c == '>' || c == ','))
                        .filter(|s| !s.is_empty())
                        .map(|s| format!("<{s}>"))
                        .collect()
                })
                .unwrap_or_default()
        };
        Self {
            doc_id: doc_id.to_owned(),
            path: String::new(),
            message_id: ids("message_id").into_iter().next(),
            in_reply_to: ids("in_reply_to"),
            references: ids("references"),
            subject: extra.get("subject").cloned(),
            date,
            text: None,
        }
    }
}

/// A message placed in its thread.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThreadMessage {
    /// Document id.
    pub doc_id: String,
    /// Where the message is.
    pub path: String,
    /// Message-ID, if the message had one.
    pub message_id: Option<String>,
    /// Document id of the message it replies to, within the thread.
    pub parent: Option<String>,
    /// Replies above it (0 for the root).
    pub depth: usize,
    /// Subject.
    pub subject: Option<String>,
    /// Sent date, Unix seconds.
    pub date: Option<i64>,
    /// Whether its own text appears in no later message (`None` when texts
    /// were not given). Copies are never inclusive.
    pub inclusive: Option<bool>,
    /// The document holding the same message, when this one is a copy.
    pub copy_of: Option<String>,
}

/// A conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thread {
    /// Stable id: `t-` and 12 hex digits of the root's Message-ID (or document id).
    pub id: String,
    /// Normalized subject of the root.
    pub subject: String,
    /// Messages by date (undated last), then document id.
    pub messages: Vec<ThreadMessage>,
}

/// Lower-cased subject without reply/forward prefixes and extra space; the
/// flag says whether a prefix was removed.
fn normalize_subject(s: &str) -> (String, bool) {
    let mut rest = s.trim();
    let mut stripped = false;
    loop {
        let lower = rest.to_ascii_lowercase();
        let Some(p) = ["re:", "fwd:", "fw:", "aw:", "wg:", "tr:", "sv:", "vs:"]
            .iter()
            .find(|p| lower.starts_with(*p))
        else {
            break;
        };
        rest = rest[p.len()..].trim_start();
        stripped = true;
    }
    let words: Vec<String> = rest.split_whitespace().map(str::to_lowercase).collect();
    (words.join(" "), stripped)
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, x: usize) -> usize {
        let mut r = x;
        while self.0[r] != r {
            r = self.0[r];
        }
        let mut x = x;
        while self.0[x] != r {
            let next = self.0[x];
            self.0[x] = r;
            x = next;
        }
        r
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

/// Groups messages into threads. Threads are ordered by their first message's
/// date; messages that link to nothing are threads of one.
pub fn build_threads(mut msgs: Vec<MessageInput>) -> Vec<Thread> {
    msgs.sort_by(|a, b| a.doc_id.cmp(&b.doc_id));
    // One node per distinct message: copies share their original's node.
    let mut node_of_id: HashMap<String, usize> = HashMap::new();
    let mut copy_of: Vec<Option<usize>> = vec![None; msgs.len()];
    for (i, m) in msgs.iter().enumerate() {
        if let Some(id) = &m.message_id {
            match node_of_id.get(id) {
                Some(&first) => copy_of[i] = Some(first),
                None => {
                    node_of_id.insert(id.clone(), i);
                }
            }
        }
    }
    // Union over every id a message names (missing messages still link).
    let mut slots: HashMap<String, usize> = HashMap::new();
    let mut uf = UnionFind((0..msgs.len()).collect());
    let mut extra_slot = |id: &str, uf: &mut UnionFind| -> usize {
        if let Some(&n) = node_of_id.get(id) {
            return n;
        }
        *slots.entry(id.to_owned()).or_insert_with(|| {
            uf.0.push(uf.0.len());
            uf.0.len() - 1
        })
    };
    for (i, m) in msgs.iter().enumerate() {
        let named: Vec<&String> = m.in_reply_to.iter().chain(&m.references).collect();
        for id in named.into_iter().chain(m.message_id.as_ref()) {
            let n = extra_slot(id, &mut uf);
            uf.union(i, n);
        }
    }
    // Subject fallback for replies and forwards that name no message.
    let subjects: Vec<(String, bool)> = msgs
        .iter()
        .map(|m| normalize_subject(m.subject.as_deref().unwrap_or("")))
        .collect();
    let mut first_with_subject: HashMap<&str, usize> = HashMap::new();
    for (i, m) in msgs.iter().enumerate() {
        let linked = !m.in_reply_to.is_empty() || !m.references.is_empty();
        if (linked || !subjects[i].1) && !subjects[i].0.is_empty() {
            first_with_subject
                .entry(subjects[i].0.as_str())
                .or_insert(i);
        }
    }
    let mut subject_joined = vec![false; msgs.len()];
    for (i, m) in msgs.iter().enumerate() {
        let linked = !m.in_reply_to.is_empty() || !m.references.is_empty();
        if !linked
            && subjects[i].1
            && let Some(&j) = first_with_subject.get(subjects[i].0.as_str())
            && uf.find(i) != uf.find(j)
        {
            uf.union(i, j);
            subject_joined[i] = true;
        }
    }

    let mut components: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..msgs.len() {
        let root = uf.find(i);
        components.entry(root).or_default().push(i);
    }
    let mut threads = Vec::new();
    for members in components.into_values() {
        let date_key = |i: &usize| (msgs[*i].date.unwrap_or(i64::MAX), msgs[*i].doc_id.clone());
        let mut members = members;
        members.sort_by_key(date_key);
        let in_thread: HashSet<usize> = members.iter().copied().collect();
        let original = |i: usize| copy_of[i].unwrap_or(i);
        let parent_of = |i: usize| -> Option<usize> {
            let m = &msgs[i];
            m.references
                .iter()
                .rev()
                .chain(m.in_reply_to.iter())
                .filter_map(|id| node_of_id.get(id).copied())
                .find(|&p| p != original(i) && in_thread.contains(&p))
        };
        // The root: the earliest original message without a parent in the set.
        let root = members
            .iter()
            .copied()
            .find(|&i| copy_of[i].is_none() && parent_of(i).is_none() && !subject_joined[i])
            .or_else(|| members.iter().copied().find(|&i| copy_of[i].is_none()))
            .unwrap_or(members[0]);
        let parent: HashMap<usize, Option<usize>> = members
            .iter()
            .map(|&i| {
                let p = match copy_of[i] {
                    Some(orig) => Some(orig),
                    None if i == root => None,
                    None => parent_of(i).or(Some(root)),
                };
                (i, p)
            })
            .collect();
        let depth = |mut i: usize| {
            let mut d = 0;
            while let Some(Some(p)) = parent.get(&i) {
                d += 1;
                i = *p;
                if d > members.len() {
                    break; // a reference cycle in hostile headers
                }
            }
            d
        };
        let inclusive = inclusiveness(&msgs, &members, &copy_of);
        let key = msgs[root]
            .message_id
            .clone()
            .unwrap_or_else(|| msgs[root].doc_id.clone());
        threads.push(Thread {
            id: format!("t-{}", &hex::encode(Sha256::digest(key.as_bytes()))[..12]),
            subject: subjects[root].0.clone(),
            messages: members
                .iter()
                .map(|&i| ThreadMessage {
                    doc_id: msgs[i].doc_id.clone(),
                    path: msgs[i].path.clone(),
                    message_id: msgs[i].message_id.clone(),
                    parent: parent[&i].map(|p| msgs[p].doc_id.clone()),
                    depth: depth(i),
                    subject: msgs[i].subject.clone(),
                    date: msgs[i].date,
                    inclusive: inclusive.get(&i).copied(),
                    copy_of: copy_of[i].map(|c| msgs[c].doc_id.clone()),
                })
                .collect(),
        });
    }
    threads.sort_by_key(|t| (t.messages[0].date.unwrap_or(i64::MAX), t.id.clone()));
    threads
}

/// Inclusiveness of each member with text (see the module docs).
fn inclusiveness(
    msgs: &[MessageInput],
    members: &[usize],
    copy_of: &[Option<usize>],
) -> HashMap<usize, bool> {
    let mut out = HashMap::new();
    let all: HashMap<usize, HashSet<String>> = members
        .iter()
        .filter_map(|&i| Some((i, trigrams(msgs[i].text.as_deref()?))))
        .collect();
    for (pos, &i) in members.iter().enumerate() {
        let Some(text) = msgs[i].text.as_deref() else {
            continue;
        };
        if copy_of[i].is_some() {
            out.insert(i, false);
            continue;
        }
        let own = trigrams(&own_text(text));
        // Later messages (members are sorted by date), copies excluded.
        let contained = members[pos + 1..]
            .iter()
            .filter(|&&j| copy_of[j] != Some(i) && copy_of[j].is_none())
            .filter_map(|j| all.get(j))
            .any(|later| {
                own.is_empty()
                    || own.iter().filter(|g| later.contains(*g)).count() as f64
                        >= CONTAINED * own.len() as f64
            });
        out.insert(i, !contained);
    }
    out
}

/// The part of a message its sender wrote: after the header block, before
/// quoted text.
fn own_text(text: &str) -> String {
    let body = text.split_once("\n\n").map_or(text, |(_, b)| b);
    let mut out = String::new();
    for line in body.lines() {
        let t = line.trim();
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("-----original message")
            || lower.starts_with("---------- forwarded message")
            || lower.starts_with("begin forwarded message")
            || (lower.starts_with("on ") && lower.ends_with("wrote:"))
        {
            break;
        }
        if t.starts_with('>') {
            continue;
        }
        out.push_str(t);
        out.push('\n');
    }
    out
}

fn trigrams(text: &str) -> HashSet<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.len() < 3 {
        return words.into_iter().collect();
    }
    words.windows(3).map(|w| w.join(" ")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(
        doc: &str,
        id: &str,
        reply_to: &str,
        subject: &str,
        date: i64,
        text: &str,
    ) -> MessageInput {
        let ids = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        MessageInput {
            doc_id: doc.into(),
            path: format!("{doc}.eml"),
            message_id: (!id.is_empty()).then(|| id.to_owned()),
            in_reply_to: ids(reply_to),
            references: ids(reply_to),
            subject: Some(subject.into()),
            date: Some(date),
            text: Some(text.into()),
        }
    }

    #[test]
    fn replies_quotes_forwards_and_copies() {
        let threads = build_threads(vec![
            msg(
                "a",
                "<1@x>",
                "",
                "Budget",
                100,
                "From: A\n\nPlease review the budget for next year.",
            ),
            msg(
                "b",
                "<2@x>",
                "<1@x>",
                "Re: Budget",
                200,
                "From: B\n\nLooks fine to me overall.\n\nOn Mon, A wrote:\n> Please review the budget for next year.",
            ),
            msg(
                "b-copy",
                "<2@x>",
                "<1@x>",
                "Re: Budget",
                200,
                "From: B\n\nLooks fine to me overall.",
            ),
            // A forward naming no message joins by subject.
            msg(
                "c",
                "<3@x>",
                "",
                "Fwd: RE: budget",
                300,
                "From: C\n\nFYI see below, approved by finance.",
            ),
            msg("z", "<9@x>", "", "Lunch", 50, "From: Z\n\nPizza today?"),
        ]);
        assert_eq!(threads.len(), 2);
        let lunch = &threads[0];
        assert_eq!(lunch.messages.len(), 1);
        assert_eq!(lunch.messages[0].inclusive, Some(true));
        let t = &threads[1];
        assert_eq!(t.subject, "budget");
        let by: HashMap<&str, &ThreadMessage> =
            t.messages.iter().map(|m| (m.doc_id.as_str(), m)).collect();
        assert_eq!(by["a"].parent, None);
        assert_eq!(by["b"].parent.as_deref(), Some("a"));
        assert_eq!(by["b"].depth, 1);
        assert_eq!(by["b-copy"].copy_of.as_deref(), Some("b"));
        assert_eq!(by["c"].parent.as_deref(), Some("a"));
        // a is quoted in full by b; b's own words appear nowhere later.
        assert_eq!(by["a"].inclusive, Some(false));
        assert_eq!(by["b"].inclusive, Some(true));
        assert_eq!(by["b-copy"].inclusive, Some(false));
        assert_eq!(by["c"].inclusive, Some(true));
        assert!(t.id.starts_with("t-") && t.id.len() == 14);
    }

    #[test]
    fn missing_middle_message_still_links() {
        let threads = build_threads(vec![
            msg("a", "<1@x>", "", "Plan", 1, "From: A\n\nplan"),
            msg("c", "<3@x>", "<1@x> <2@x>", "Re: Plan", 3, "From: C\n\nok"),
        ]);
        assert_eq!(threads.len(), 1);
        assert_eq!(threads[0].messages[1].parent.as_deref(), Some("a"));
    }

    #[test]
    fn extra_metadata_is_read() {
        let extra: BTreeMap<String, String> = [
            ("message_id".to_owned(), "<m@x>".to_owned()),
            ("references".to_owned(), "<a@x> <b@x>".to_owned()),
            ("subject".to_owned(), "Re: Hi".to_owned()),
        ]
        .into();
        let m = MessageInput::from_extra("d", &extra, Some(5));
        assert_eq!(m.message_id.as_deref(), Some("<m@x>"));
        assert_eq!(m.references, vec!["<a@x>", "<b@x>"]);
        assert!(m.in_reply_to.is_empty());
        assert_eq!(
            normalize_subject("RE: Fwd:  New   Policy"),
            ("new policy".into(), true)
        );
    }
}
