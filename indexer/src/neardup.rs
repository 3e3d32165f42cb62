//! Near-duplicate detection: a MinHash signature of each document's word
//! shingles, computed when the document is extracted and kept in
//! `near-dups.json` in the index directory (maintained with the indexer
//! state: entries of removed documents are dropped at the end of each run),
//! and grouping of documents whose estimated Jaccard similarity reaches a
//! threshold.
//!
//! Shingles are runs of [`SHINGLE_WORDS`] lower-cased words; the signature
//! holds [`HASHES`] minima of independent hash functions, so the fraction of
//! equal positions estimates the Jaccard similarity of two shingle sets
//! (standard error about 0.035 at 0.8). Candidate pairs come from
//! locality-sensitive hashing ([`BANDS`] bands of [`ROWS`] rows: a pair at 0.8
//! is a candidate with probability above 0.999, at 0.5 about 0.87), then each
//! candidate is checked against the threshold on the whole signature.
//!
//! Groups are formed around pivots rather than by chaining: documents are
//! taken in id order, and each one not yet grouped collects every ungrouped
//! document at least `threshold` similar to it. So every member is similar to
//! its group's pivot, and a chain of small edits does not merge unrelated
//! drafts into one family.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::Path,
};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// File name inside the index directory.
pub const NEAR_DUPS_FILE: &str = "near-dups.json";
/// Words per shingle.
pub(crate) const SHINGLE_WORDS: usize = 4;
/// Hash functions per signature.
pub(crate) const HASHES: usize = 128;
/// LSH bands.
const BANDS: usize = 32;
/// Signature positions per band.
const ROWS: usize = HASHES / BANDS;
const STORE_VERSION: u32 = 1;
/// 2^61 − 1, the Mersenne prime of the universal hash family.
const PRIME: u64 = (1 << 61) - 1;

/// A document's MinHash signature.
pub(crate) type Signature = Vec<u32>;

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The fixed hash family `(a·x + b) mod p`: fixed seeds, so signatures stored
/// by one run compare with those of the next.
fn family() -> Vec<(u64, u64)> {
    let mut s = 0x7472_6177_6c00_0001; // "trawl", version 1
    (0..HASHES)
        .map(|_| (splitmix(&mut s) % (PRIME - 1) + 1, splitmix(&mut s) % PRIME))
        .collect()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The signature of `text`, or `None` when it has no words.
pub(crate) fn signature(text: &str) -> Option<Signature> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return None;
    }
    let width = SHINGLE_WORDS.min(words.len());
    let shingles: HashSet<u64> = words
        .windows(width)
        .map(|w| fnv1a(w.join(" ").as_bytes()) % PRIME)
        .collect();
    let mut sig = vec![u32::MAX; HASHES];
    for (slot, (a, b)) in sig.iter_mut().zip(family()) {
        for &x in &shingles {
            let h = ((u128::from(a) * u128::from(x) + u128::from(b)) % u128::from(PRIME)) as u32;
            *slot = (*slot).min(h);
        }
    }
    Some(sig)
}

/// Estimated Jaccard similarity of the documents behind two signatures.
fn similarity(a: &[u32], b: &[u32]) -> f64 {
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f64 / a.len().max(1) as f64
}

/// What `near-dups.json` holds.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Store {
    version: u32,
    shingle_words: usize,
    hashes: usize,
    /// Document id → signature, each value as 8 hex digits.
    docs: BTreeMap<String, String>,
}

impl Store {
    /// The store of `index_dir`; an absent, unreadable or differently
    /// parameterized file is an empty store (signatures are rebuilt as
    /// documents are re-indexed).
    pub(crate) fn load(index_dir: &Path) -> Self {
        let path = index_dir.join(NEAR_DUPS_FILE);
        match std::fs::read(&path).map(|b| serde_json::from_slice::<Self>(&b)) {
            Ok(Ok(s))
                if s.version == STORE_VERSION
                    && s.shingle_words == SHINGLE_WORDS
                    && s.hashes == HASHES =>
            {
                s
            }
            Ok(_) => {
                tracing::warn!(path = %path.display(), "near-duplicate signatures unreadable; they are rebuilt as documents are re-indexed");
                Self::default()
            }
            Err(_) => Self::default(),
        }
    }

    pub(crate) fn insert(&mut self, doc_id: &str, sig: Option<&Signature>) {
        match sig {
            Some(s) => {
                let hex: String = s.iter().map(|v| format!("{v:08x}")).collect();
                self.docs.insert(doc_id.to_owned(), hex);
            }
            // Recorded as seen, so a wordless document is not prepared again
            // on every run for lack of a signature; it never groups.
            None => {
                self.docs.insert(doc_id.to_owned(), String::new());
            }
        }
    }

    pub(crate) fn contains(&self, doc_id: &str) -> bool {
        self.docs.contains_key(doc_id)
    }

    /// Writes the store, keeping only documents for which `keep` holds.
    pub(crate) fn save(&mut self, index_dir: &Path, keep: impl Fn(&str) -> bool) -> Result<()> {
        self.docs.retain(|id, _| keep(id));
        self.version = STORE_VERSION;
        self.shingle_words = SHINGLE_WORDS;
        self.hashes = HASHES;
        let path = index_dir.join(NEAR_DUPS_FILE);
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec(self).expect("store serializes");
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| Error::Io { path, source })
    }

    fn signatures(&self) -> BTreeMap<String, Signature> {
        self.docs
            .iter()
            .filter_map(|(id, hex)| {
                let sig: Option<Signature> = (0..hex.len() / 8)
                    .map(|i| u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok())
                    .collect();
                sig.filter(|s| s.len() == HASHES).map(|s| (id.clone(), s))
            })
            .collect()
    }
}

/// One member of a near-duplicate group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearDupMember {
    /// The document.
    pub doc_id: String,
    /// Estimated Jaccard similarity to the group's pivot (1 for the pivot).
    pub similarity: f64,
}

/// Documents whose text is near-identical to the group's pivot (its first member).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearDupGroup {
    /// Stable name: `nd-` and the pivot's document id.
    pub id: String,
    /// Pivot first, then the others by decreasing similarity.
    pub members: Vec<NearDupMember>,
}

/// The near-duplicate signatures of an index, ready to group.
#[derive(Debug, Clone, Default)]
pub struct NearDups {
    sigs: BTreeMap<String, Signature>,
}

impl NearDups {
    /// Reads the signatures stored in `index_dir` (none when the index was
    /// built before near-duplicate detection; re-indexing adds them).
    pub fn load(index_dir: &Path) -> Self {
        Self {
            sigs: Store::load(index_dir).signatures(),
        }
    }

    /// Documents with a signature.
    pub fn len(&self) -> usize {
        self.sigs.len()
    }

    /// Whether no document has a signature.
    pub fn is_empty(&self) -> bool {
        self.sigs.is_empty()
    }

    /// Groups of two or more documents, among `among` only (the documents a
    /// principal may see) when given, at estimated Jaccard similarity
    /// `threshold` (0–1) or more to their pivot. Largest groups first.
    pub fn groups(&self, threshold: f64, among: Option<&HashSet<String>>) -> Vec<NearDupGroup> {
        let docs: Vec<(&String, &Signature)> = self
            .sigs
            .iter()
            .filter(|(id, _)| among.is_none_or(|a| a.contains(*id)))
            .collect();
        let mut buckets: HashMap<(usize, u64), Vec<usize>> = HashMap::new();
        for (i, (_, sig)) in docs.iter().enumerate() {
            for band in 0..BANDS {
                let rows = &sig[band * ROWS..(band + 1) * ROWS];
                let key = rows.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, v| {
                    (h ^ u64::from(*v)).wrapping_mul(0x0100_0000_01b3)
                });
                buckets.entry((band, key)).or_default().push(i);
            }
        }
        let mut candidates: Vec<HashSet<usize>> = vec![HashSet::new(); docs.len()];
        for members in buckets.values().filter(|m| m.len() > 1) {
            for &a in members {
                candidates[a].extend(members.iter().copied().filter(|&b| b != a));
            }
        }
        let mut grouped = vec![false; docs.len()];
        let mut out = Vec::new();
        for pivot in 0..docs.len() {
            if grouped[pivot] {
                continue;
            }
            let mut near: Vec<(usize, f64)> = candidates[pivot]
                .iter()
                .filter(|&&c| !grouped[c])
                .filter_map(|&c| {
                    let s = similarity(docs[pivot].1, docs[c].1);
                    (s >= threshold).then_some((c, s))
                })
                .collect();
            near.sort_by_key(|&(c, _)| c);
            let mut members: Vec<NearDupMember> = near
                .into_iter()
                .map(|(c, s)| {
                    grouped[c] = true;
                    NearDupMember {
                        doc_id: docs[c].0.clone(),
                        similarity: s,
                    }
                })
                .collect();
            if members.is_empty() {
                continue;
            }
            grouped[pivot] = true;
            members.sort_by(|a, b| {
                b.similarity
                    .total_cmp(&a.similarity)
                    .then_with(|| a.doc_id.cmp(&b.doc_id))
            });
            members.insert(
                0,
                NearDupMember {
                    doc_id: docs[pivot].0.clone(),
                    similarity: 1.0,
                },
            );
            out.push(NearDupGroup {
                id: format!("nd-{}", docs[pivot].0),
                members,
            });
        }
        out.sort_by(|a, b| {
            b.members
                .len()
                .cmp(&a.members.len())
                .then_with(|| a.id.cmp(&b.id))
        });
        out
    }

    /// Estimated similarity of two documents, when both have signatures.
    pub fn similarity(&self, a: &str, b: &str) -> Option<f64> {
        Some(similarity(self.sigs.get(a)?, self.sigs.get(b)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "The supplier shall deliver the goods to the buyer within thirty days \
        of the purchase order. Either party may terminate this agreement upon sixty days \
        written notice. The buyer shall pay each invoice within forty five days of receipt. \
        This agreement is governed by the laws of the State of Delaware and any dispute \
        shall be resolved by arbitration in Wilmington.";

    fn store(docs: &[(&str, &str)]) -> NearDups {
        let mut s = Store::default();
        for (id, text) in docs {
            s.insert(id, signature(text).as_ref());
        }
        NearDups {
            sigs: s.signatures(),
        }
    }

    #[test]
    fn drafts_group_and_unrelated_text_does_not() {
        let edited = BASE.replace("sixty days", "ninety days");
        let nd = store(&[
            ("a", BASE),
            ("b", &edited),
            (
                "c",
                "Employees accrue annual leave every pay period and may carry it over.",
            ),
        ]);
        let jaccard = nd.similarity("a", "b").unwrap();
        assert!(jaccard > 0.75 && jaccard < 1.0, "{jaccard}");
        assert!(nd.similarity("a", "c").unwrap() < 0.1);
        let groups = nd.groups(0.7, None);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].id, "nd-a");
        let ids: Vec<&str> = groups[0]
            .members
            .iter()
            .map(|m| m.doc_id.as_str())
            .collect();
        assert_eq!(ids, vec!["a", "b"]);
        // A stricter threshold splits them; restricting the universe hides b.
        assert!(nd.groups(0.99, None).is_empty());
        let only_a: HashSet<String> = ["a".to_owned(), "c".to_owned()].into();
        assert!(nd.groups(0.7, Some(&only_a)).is_empty());
    }

    #[test]
    fn signatures_are_stable_and_case_insensitive() {
        assert_eq!(signature(BASE), signature(&BASE.to_uppercase()));
        assert_eq!(signature("  "), None);
        assert_eq!(signature("one").unwrap().len(), HASHES);
    }

    #[test]
    fn store_round_trips_and_prunes() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::default();
        s.insert("a", signature(BASE).as_ref());
        s.insert("gone", signature("x y z").as_ref());
        s.insert("wordless", None);
        assert!(s.contains("wordless"));
        s.save(dir.path(), |id| id != "gone").unwrap();
        let back = NearDups::load(dir.path());
        assert_eq!(back.len(), 1);
        assert_eq!(back.similarity("a", "a"), Some(1.0));
    }
}
