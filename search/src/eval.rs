//! Retrieval metrics over graded relevance judgments (BEIR / TREC style).
//!
//! Definitions follow `trec_eval` as used by BEIR: nDCG with linear gain and
//! `log2(rank + 1)` discount, recall as the share of relevant documents
//! retrieved, MRR as the reciprocal rank of the first relevant document.

use std::collections::HashMap;

use serde::Serialize;

/// Relevance grades of documents for one query; grades ≤ 0 are not relevant.
pub type Judgments = HashMap<String, i32>;

/// Per-query metrics, averaged by [`Metrics::mean`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// nDCG@10.
    #[serde(rename = "ndcg@10")]
    pub ndcg_10: f64,
    /// Recall@10.
    #[serde(rename = "recall@10")]
    pub recall_10: f64,
    /// Recall@100.
    #[serde(rename = "recall@100")]
    pub recall_100: f64,
    /// MRR@10.
    #[serde(rename = "mrr@10")]
    pub mrr_10: f64,
}

impl Metrics {
    /// Metrics of one ranked list of document ids against its judgments.
    pub fn of(ranked: &[String], judged: &Judgments) -> Self {
        Self {
            ndcg_10: ndcg(ranked, judged, 10),
            recall_10: recall(ranked, judged, 10),
            recall_100: recall(ranked, judged, 100),
            mrr_10: mrr(ranked, judged, 10),
        }
    }

    /// The mean over queries (zero for none).
    pub fn mean(all: &[Metrics]) -> Self {
        let n = all.len().max(1) as f64;
        let sum = |f: fn(&Metrics) -> f64| all.iter().map(f).sum::<f64>() / n;
        Self {
            ndcg_10: sum(|m| m.ndcg_10),
            recall_10: sum(|m| m.recall_10),
            recall_100: sum(|m| m.recall_100),
            mrr_10: sum(|m| m.mrr_10),
        }
    }
}

fn grade(judged: &Judgments, id: &str) -> i32 {
    judged.get(id).copied().unwrap_or(0).max(0)
}

/// Normalized discounted cumulative gain at `k`.
pub fn ndcg(ranked: &[String], judged: &Judgments, k: usize) -> f64 {
    let discount = |i: usize| 1.0 / ((i + 2) as f64).log2();
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, id)| f64::from(grade(judged, id)) * discount(i))
        .sum();
    let mut ideal: Vec<i32> = judged.values().copied().filter(|&g| g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &g)| f64::from(g) * discount(i))
        .sum();
    if idcg > 0.0 { dcg / idcg } else { 0.0 }
}

/// Share of relevant documents found in the top `k`.
pub fn recall(ranked: &[String], judged: &Judgments, k: usize) -> f64 {
    let relevant = judged.values().filter(|&&g| g > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranked
        .iter()
        .take(k)
        .filter(|id| grade(judged, id) > 0)
        .count();
    found as f64 / relevant as f64
}

/// Reciprocal rank of the first relevant document within the top `k`.
pub fn mrr(ranked: &[String], judged: &Judgments, k: usize) -> f64 {
    ranked
        .iter()
        .take(k)
        .position(|id| grade(judged, id) > 0)
        .map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(pairs: &[(&str, i32)]) -> Judgments {
        pairs.iter().map(|(d, g)| ((*d).to_owned(), *g)).collect()
    }

    fn ranked(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn perfect_and_empty_rankings() {
        let j = judged(&[("a", 1), ("b", 1)]);
        let m = Metrics::of(&ranked(&["a", "b", "c"]), &j);
        assert!((m.ndcg_10 - 1.0).abs() < 1e-12);
        assert_eq!((m.recall_10, m.mrr_10), (1.0, 1.0));
        let m = Metrics::of(&[], &j);
        assert_eq!(m, Metrics::default());
    }

    #[test]
    fn ndcg_matches_hand_computation() {
        // One relevant document at rank 2: DCG = 1/log2(3), IDCG = 1.
        let j = judged(&[("a", 1)]);
        let v = ndcg(&ranked(&["x", "a"]), &j, 10);
        assert!((v - 1.0 / 3f64.log2()).abs() < 1e-12);
        // Graded: ideal order puts grade 2 first.
        let j = judged(&[("a", 1), ("b", 2)]);
        let got = ndcg(&ranked(&["a", "b"]), &j, 10);
        let want = (1.0 + 2.0 / 3f64.log2()) / (2.0 + 1.0 / 3f64.log2());
        assert!((got - want).abs() < 1e-12);
        // Beyond the cut-off counts for nothing.
        assert_eq!(ndcg(&ranked(&["x", "y", "a"]), &j, 2), 0.0);
    }

    #[test]
    fn recall_mrr_and_non_relevant_grades() {
        let j = judged(&[("a", 1), ("b", 1), ("z", 0)]);
        let r = ranked(&["z", "b", "q"]);
        assert_eq!(recall(&r, &j, 10), 0.5);
        assert_eq!(mrr(&r, &j, 10), 0.5);
        assert_eq!(mrr(&r, &j, 1), 0.0);
        let means = Metrics::mean(&[Metrics::of(&r, &j), Metrics::default()]);
        assert_eq!(means.recall_10, 0.25);
    }
}
