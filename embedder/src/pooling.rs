//! Pooling token states into one vector, and L2 normalization.
//!
//! Kept apart from ONNX so it can be checked against reference vectors
//! without loading a model.

use crate::Pooling;

/// Pools `hidden` (`[batch, seq, dim]`, row-major) under `mask` (`[batch, seq]`)
/// into one vector per batch row, L2-normalized.
pub(crate) fn pool(
    hidden: &[f32],
    mask: &[i64],
    batch: usize,
    seq: usize,
    dim: usize,
    pooling: Pooling,
) -> Vec<Vec<f32>> {
    debug_assert_eq!(hidden.len(), batch * seq * dim);
    debug_assert_eq!(mask.len(), batch * seq);
    (0..batch)
        .map(|b| {
            let rows = &hidden[b * seq * dim..(b + 1) * seq * dim];
            let mut v = vec![0f32; dim];
            match pooling {
                Pooling::Cls => v.copy_from_slice(&rows[..dim]),
                Pooling::Mean => {
                    let mut count = 0f32;
                    for (t, row) in rows.chunks_exact(dim).enumerate() {
                        if mask[b * seq + t] != 0 {
                            count += 1.0;
                            for (acc, x) in v.iter_mut().zip(row) {
                                *acc += *x;
                            }
                        }
                    }
                    // sentence-transformers clamps the count to avoid dividing by zero.
                    let count = count.max(1e-9);
                    v.iter_mut().for_each(|x| *x /= count);
                }
            }
            l2_normalize(&mut v);
            v
        })
        .collect()
}

/// Scales `v` to unit length; a zero vector stays zero.
pub(crate) fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 1e-12 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real `last_hidden_state` of the shipped model for a padded batch of two,
    /// with pooled vectors computed by numpy (see scripts/make_fixtures.py).
    #[derive(serde::Deserialize)]
    struct Fixture {
        attention_mask: Vec<Vec<i64>>,
        last_hidden_state: Vec<Vec<Vec<f32>>>,
        expected: Vec<Vec<f32>>,
    }

    fn fixture() -> Fixture {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/embeddings/pooling.json"
        );
        let text = std::fs::read_to_string(path).expect("pooling fixture is committed");
        serde_json::from_str(&text).expect("pooling fixture parses")
    }

    #[test]
    fn mean_pooling_matches_reference_and_ignores_padding() {
        let f = fixture();
        let batch = f.attention_mask.len();
        let seq = f.attention_mask[0].len();
        let dim = f.expected[0].len();
        assert!(
            f.attention_mask[0].contains(&0),
            "fixture's first row must be padded"
        );
        let hidden: Vec<f32> = f
            .last_hidden_state
            .iter()
            .flatten()
            .flatten()
            .copied()
            .collect();
        let mask: Vec<i64> = f.attention_mask.iter().flatten().copied().collect();
        let pooled = pool(&hidden, &mask, batch, seq, dim, Pooling::Mean);
        for (got, want) in pooled.iter().zip(&f.expected) {
            let max_diff = got
                .iter()
                .zip(want)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(max_diff < 1e-4, "max abs diff {max_diff}");
            let norm: f32 = got.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn cls_pooling_takes_first_token() {
        let hidden = [3.0, 4.0, 100.0, 100.0];
        let pooled = pool(&hidden, &[1, 1], 1, 2, 2, Pooling::Cls);
        assert_eq!(pooled, vec![vec![0.6, 0.8]]);
    }

    #[test]
    fn zero_vector_stays_finite() {
        let mut v = [0.0f32; 3];
        l2_normalize(&mut v);
        assert_eq!(v, [0.0; 3]);
        let pooled = pool(&[1.0, 1.0], &[0], 1, 1, 2, Pooling::Mean);
        assert!(pooled[0].iter().all(|x| x.is_finite()));
    }
}
