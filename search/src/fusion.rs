//! Combining ranked lists from the keyword and vector arms.

use std::collections::HashMap;

/// One item's fused score and where it ranked in each input list (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct Fused {
    /// The item (a chunk id).
    pub id: u64,
    /// Fused score; higher is better.
    pub score: f32,
    /// Rank in each input list, `None` where the item was absent.
    pub ranks: Vec<Option<usize>>,
}

/// Reciprocal rank fusion (Cormack et al., 2009): `score = Σ 1 / (k + rank)`.
///
/// Each list is ordered best first. Ties are broken by the best single rank,
/// then by id, so the output is deterministic.
pub fn reciprocal_rank_fusion(lists: &[&[u64]], k: f32) -> Vec<Fused> {
    let mut by_id: HashMap<u64, Fused> = HashMap::new();
    for (arm, list) in lists.iter().enumerate() {
        for (i, &id) in list.iter().enumerate() {
            let rank = i + 1;
            let entry = by_id.entry(id).or_insert_with(|| Fused {
                id,
                score: 0.0,
                ranks: vec![None; lists.len()],
            });
            // A list may repeat an id; only its best rank counts.
            if entry.ranks[arm].is_none() {
                entry.ranks[arm] = Some(rank);
                entry.score += 1.0 / (k + rank as f32);
            }
        }
    }
    let mut fused: Vec<Fused> = by_id.into_values().collect();
    let best_rank = |f: &Fused| {
        f.ranks
            .iter()
            .flatten()
            .min()
            .copied()
            .unwrap_or(usize::MAX)
    };
    fused.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| best_rank(a).cmp(&best_rank(b)))
            .then_with(|| a.id.cmp(&b.id))
    });
    fused
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(fused: &[Fused]) -> Vec<u64> {
        fused.iter().map(|f| f.id).collect()
    }

    #[test]
    fn item_in_both_lists_beats_items_in_one() {
        let fused = reciprocal_rank_fusion(&[&[1, 2, 3], &[4, 3, 5]], 60.0);
        assert_eq!(fused[0].id, 3);
        assert_eq!(fused[0].ranks, vec![Some(3), Some(2)]);
        assert!((fused[0].score - (1.0 / 63.0 + 1.0 / 62.0)).abs() < 1e-6);
    }

    #[test]
    fn ties_break_by_best_rank_then_id() {
        // 1 and 4 both rank first in one list; 2 and 5 both second.
        let fused = reciprocal_rank_fusion(&[&[1, 2], &[4, 5]], 60.0);
        assert_eq!(ids(&fused), vec![1, 4, 2, 5]);
    }

    #[test]
    fn empty_and_duplicate_inputs() {
        assert!(reciprocal_rank_fusion(&[&[], &[]], 60.0).is_empty());
        let fused = reciprocal_rank_fusion(&[&[7, 7]], 60.0);
        assert_eq!(fused.len(), 1);
        assert_eq!(fused[0].ranks, vec![Some(1)]);
    }

    #[test]
    fn one_arm_alone_keeps_its_order() {
        let fused = reciprocal_rank_fusion(&[&[9, 3, 6], &[]], 60.0);
        assert_eq!(ids(&fused), vec![9, 3, 6]);
    }
}
