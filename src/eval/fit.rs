//! `trawl eval --fit`: the calibrated fusion weight that ranks a set of judged questions best,
//! written into `[search] fusion` of `trawl.toml` when it also wins on questions it was not
//! fitted on.
//!
//! Why a weight and not a learned combiner: on the three development sets a linear combiner
//! over per-arm features never beat calibrated fusion on a set it was not fitted on (README,
//! "Relevance"), while the best weight does move with the documents and the embedding model (a
//! tuned model on `corpora/eval` wants more of the vector arm). One number, fitted on the
//! organisation's own judgments, is what their data can support.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use trawl_search::{Fusion, Mode, eval::Metrics};

use super::{Dataset, Ranker};

/// Weights tried: 0, 0.05, …, 1.
const STEPS: usize = 20;

/// Fewer judged questions than this fit noise: nothing is written.
pub(crate) const MIN_QUESTIONS: usize = 10;

/// nDCG@10 of hybrid search at one calibrated weight.
#[derive(Debug, Serialize)]
pub(crate) struct WeightScore {
    pub(crate) weight: f32,
    #[serde(rename = "ndcg@10")]
    pub(crate) ndcg_10: f64,
}

/// What `--fit` found and did.
#[derive(Debug, Serialize)]
pub(crate) struct FitReport {
    /// Every weight tried, on all the questions.
    pub(crate) weights: Vec<WeightScore>,
    /// The weight that ranks all the questions best.
    pub(crate) best: String,
    #[serde(rename = "best_ndcg@10")]
    pub(crate) best_ndcg: f64,
    /// The fusion the evaluation ran with (flag, configuration, else the default).
    pub(crate) current: String,
    #[serde(rename = "current_ndcg@10")]
    pub(crate) current_ndcg: f64,
    /// Each half of the questions (alternate ones) ranked with the weight fitted on the other
    /// half: what the fitted weight is worth on questions it has not seen.
    #[serde(rename = "cross_fit_ndcg@10")]
    pub(crate) cross_fit_ndcg: f64,
    /// The configuration file the weight was written to, if it was.
    pub(crate) written: Option<String>,
    /// Why it was or was not written.
    pub(crate) verdict: String,
}

/// Ranks every question with each weight, picks the best, and writes it to `config` when it
/// wins on held-out questions. `current_ndcgs`: each question's nDCG@10 under `current`.
pub(crate) fn fit(
    ranker: &Ranker<'_>,
    data: &Dataset,
    current: Fusion,
    current_ndcgs: &[f64],
    config: &Path,
    quiet: bool,
) -> Result<FitReport> {
    let n = ranker.len();
    let weights: Vec<f32> = (0..=STEPS).map(|i| i as f32 / STEPS as f32).collect();
    // ndcg[w][q]
    let mut ndcg = Vec::with_capacity(weights.len());
    for (step, &w) in weights.iter().enumerate() {
        if !quiet {
            eprintln!("fit: weight {w:.2} ({}/{})", step + 1, weights.len());
        }
        let mut per_query = Vec::with_capacity(n);
        for i in 0..n {
            let (scored, _) =
                ranker.rank(i, Mode::Hybrid, Fusion::Calibrated { vector_weight: w })?;
            let ranked: Vec<String> = scored.into_iter().map(|(d, _)| d).collect();
            let judged = &data.qrels[&ranker.queries[i].0];
            per_query.push(Metrics::of(&ranked, judged).ndcg_10);
        }
        ndcg.push(per_query);
    }
    let anchor = match current {
        Fusion::Calibrated { vector_weight } => vector_weight,
        _ => match Fusion::default() {
            Fusion::Calibrated { vector_weight } => vector_weight,
            _ => 0.5,
        },
    };
    let all: Vec<usize> = (0..n).collect();
    let even: Vec<usize> = (0..n).step_by(2).collect();
    let odd: Vec<usize> = (1..n).step_by(2).collect();
    let best = best_weight(&weights, &ndcg, &all, anchor);
    let from_even = best_weight(&weights, &ndcg, &even, anchor);
    let from_odd = best_weight(&weights, &ndcg, &odd, anchor);
    let cross_fit = if n == 0 {
        0.0
    } else {
        (odd.iter().map(|&q| ndcg[from_even][q]).sum::<f64>()
            + even.iter().map(|&q| ndcg[from_odd][q]).sum::<f64>())
            / n as f64
    };
    let current_ndcg = mean(current_ndcgs.iter().copied());
    let fitted = Fusion::Calibrated {
        vector_weight: weights[best],
    };
    let (written, verdict) = if n < MIN_QUESTIONS {
        (
            None,
            format!(
                "not written: {n} judged questions are too few to fit on (at least {MIN_QUESTIONS})"
            ),
        )
    } else if fitted == current {
        (None, format!("not written: {current} is already the best"))
    } else if cross_fit <= current_ndcg {
        (
            None,
            format!(
                "not written: fitted on half the questions, the weight scored {cross_fit:.4} on \
                 the other half, not above {current}'s {current_ndcg:.4}"
            ),
        )
    } else {
        trawl_web::config::Config::write_fusion(config, fitted)
            .with_context(|| format!("writing the fitted fusion into {}", config.display()))?;
        (
            Some(config.display().to_string()),
            format!(
                "written: {fitted} ({:.4}; {cross_fit:.4} on held-out halves) replaces {current} \
                 ({current_ndcg:.4}) for searches and answers",
                mean(ndcg[best].iter().copied())
            ),
        )
    };
    Ok(FitReport {
        weights: weights
            .iter()
            .zip(&ndcg)
            .map(|(&weight, per_query)| WeightScore {
                weight,
                ndcg_10: mean(per_query.iter().copied()),
            })
            .collect(),
        best: fitted.to_string(),
        best_ndcg: mean(ndcg[best].iter().copied()),
        current: current.to_string(),
        current_ndcg,
        cross_fit_ndcg: cross_fit,
        written,
        verdict,
    })
}

/// Index of the weight with the highest mean nDCG@10 over `queries`; among equals, the one
/// nearest `anchor` (the weight in use), so a flat stretch never moves it.
fn best_weight(weights: &[f32], ndcg: &[Vec<f64>], queries: &[usize], anchor: f32) -> usize {
    let score = |w: usize| mean(queries.iter().map(|&q| ndcg[w][q]));
    (0..weights.len())
        .max_by(|&a, &b| {
            score(a).total_cmp(&score(b)).then_with(|| {
                (weights[b] - anchor)
                    .abs()
                    .total_cmp(&(weights[a] - anchor).abs())
            })
        })
        .unwrap_or(0)
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    if count == 0 { 0.0 } else { sum / count as f64 }
}

/// Prints the fit as a table with its verdict.
pub(crate) fn print(report: &FitReport) {
    println!("fit (hybrid nDCG@10 by calibrated weight):");
    for w in &report.weights {
        let mark = if report.best == format!("calibrated:{}", w.weight) {
            "  ← best"
        } else {
            ""
        };
        println!("  {:>4.2}  {:.4}{mark}", w.weight, w.ndcg_10);
    }
    println!(
        "current {} {:.4}; best {} {:.4}; cross-fit {:.4}",
        report.current, report.current_ndcg, report.best, report.best_ndcg, report.cross_fit_ndcg
    );
    println!("{}", report.verdict);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_weight_wins_on_the_mean_and_ties_stay_near_the_anchor() {
        let weights = [0.0, 0.5, 1.0];
        // query 0 likes 1.0, query 1 likes 0.0, both are fine with 0.5
        let ndcg = vec![vec![0.2, 1.0], vec![0.8, 0.8], vec![1.0, 0.2]];
        assert_eq!(best_weight(&weights, &ndcg, &[0, 1], 0.0), 1);
        assert_eq!(best_weight(&weights, &ndcg, &[0], 0.0), 2);
        assert_eq!(best_weight(&weights, &ndcg, &[1], 1.0), 0);
        // all equal: the anchor's neighbour
        let flat = vec![vec![0.5], vec![0.5], vec![0.5]];
        assert_eq!(best_weight(&weights, &flat, &[0], 0.9), 2);
        assert_eq!(best_weight(&weights, &flat, &[0], 0.4), 1);
    }
}
