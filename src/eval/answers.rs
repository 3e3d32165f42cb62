//! `trawl eval --answers`: grounded-answer quality on judged questions, plus refusals on
//! questions the corpus cannot answer.

use std::{io::BufRead, path::Path};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use trawl_embedder::{Embedder, Flow};
use trawl_search::Index;
use trawl_web::ask::{AskOptions, AskParams, AskResponse, Asker, run_ask};

use super::{Dataset, percentile};
use crate::cli::EvalArgs;

#[derive(Debug, Serialize)]
struct Outcome {
    id: String,
    question: String,
    answerable: bool,
    /// Best cosine similarity of a retrieved passage: the refusal signal.
    relevance: Option<f32>,
    refused: bool,
    fallback: bool,
    fallback_reason: Option<String>,
    cites_relevant: bool,
    answer: String,
    generated: Option<String>,
    cited: Vec<String>,
    first_token_ms: Option<f64>,
    first_text_ms: Option<f64>,
    prompt_tokens: usize,
    tokens_per_s: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    dataset: String,
    model: String,
    /// Refusal threshold used (cosine of the best passage).
    min_relevance: f32,
    answerable: usize,
    unanswerable: usize,
    /// Answerable questions whose citations include a judged-relevant document.
    cited_relevant_rate: f64,
    /// Answerable questions answered "not found".
    false_refusal_rate: f64,
    /// Unanswerable questions answered "not found".
    refusal_rate: f64,
    /// Answered questions whose generated answer failed the guard (extractive instead).
    fallback_rate: f64,
    /// The threshold that would classify these questions best (answerable vs not).
    suggested_min_relevance: Option<f32>,
    first_token_p50_ms: f64,
    first_token_p95_ms: f64,
    first_text_p50_ms: f64,
    prompt_tokens_p50: f64,
    tokens_per_s_p50: f64,
    questions: Vec<Outcome>,
}

fn read_questions(path: &Path) -> Result<Vec<(String, String)>> {
    #[derive(Deserialize)]
    struct Q {
        #[serde(rename = "_id")]
        id: String,
        text: String,
    }
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let q: Q =
            serde_json::from_str(&line).with_context(|| format!("{}:{}", path.display(), i + 1))?;
        out.push((q.id, q.text));
    }
    Ok(out)
}

/// Best split between answerable and unanswerable relevance values: the midpoint that
/// misclassifies the fewest questions (ties: the lowest, to refuse answerable ones least).
fn suggest(answerable: &[f32], unanswerable: &[f32]) -> Option<f32> {
    if answerable.is_empty() || unanswerable.is_empty() {
        return None;
    }
    let mut all: Vec<f32> = answerable.iter().chain(unanswerable).copied().collect();
    all.sort_by(f32::total_cmp);
    let mut best: Option<(usize, f32)> = None;
    for w in all.windows(2) {
        let t = (w[0] + w[1]) / 2.0;
        let errors = answerable.iter().filter(|&&a| a < t).count()
            + unanswerable.iter().filter(|&&u| u >= t).count();
        if best.is_none_or(|(e, _)| errors < e) {
            best = Some((errors, t));
        }
    }
    best.map(|(_, t)| t)
}

pub(super) fn run(
    args: &EvalArgs,
    data: &Dataset,
    index: &Index,
    embedder: &dyn Embedder,
    by_path: bool,
) -> Result<()> {
    let generator = crate::ask::load_generator(&args.generator)?;
    let options = AskOptions::default();
    let asker = Asker {
        index,
        embedder,
        generator: &generator,
        options: &options,
    };
    let access = args.filter.access();
    let unanswerable_path = args
        .unanswerable
        .clone()
        .unwrap_or_else(|| args.dataset.join("unanswerable.jsonl"));
    let unanswerable = if unanswerable_path.is_file() {
        read_questions(&unanswerable_path)?
    } else if args.unanswerable.is_some() {
        anyhow::bail!("{} does not exist", unanswerable_path.display());
    } else {
        Vec::new()
    };
    let limit = args.limit.unwrap_or(usize::MAX);
    let questions: Vec<(&String, &String, bool)> = data
        .queries
        .iter()
        .take(limit)
        .map(|(id, q)| (id, q, true))
        .chain(
            unanswerable
                .iter()
                .take(limit)
                .map(|(id, q)| (id, q, false)),
        )
        .collect();
    let mut outcomes = Vec::new();
    for (n, (id, question, answerable)) in questions.iter().enumerate() {
        if !args.json {
            eprint!("\ranswering {}/{}", n + 1, questions.len());
        }
        let r: AskResponse = run_ask(
            asker,
            &AskParams::new(question.as_str()),
            &access,
            &mut |_| Flow::Continue,
        )
        .map_err(|e| anyhow::anyhow!("{id}: {}", e.message))?;
        let cited: Vec<String> = r
            .citations
            .iter()
            .map(|c| {
                if by_path {
                    c.path.clone()
                } else {
                    c.doc_id.clone()
                }
            })
            .collect();
        let cites_relevant = *answerable
            && data
                .qrels
                .get(*id)
                .is_some_and(|j| cited.iter().any(|c| j.get(c).is_some_and(|&g| g > 0)));
        outcomes.push(Outcome {
            id: (*id).clone(),
            question: (*question).clone(),
            answerable: *answerable,
            relevance: r.relevance,
            refused: r.refused,
            fallback: r.fallback,
            fallback_reason: r.fallback_reason.clone(),
            cites_relevant,
            answer: r.answer.clone(),
            generated: r.generated.clone(),
            cited,
            first_token_ms: r.timings.first_token_ms,
            first_text_ms: r.timings.first_text_ms,
            prompt_tokens: r.timings.prompt_tokens,
            tokens_per_s: r.timings.tokens_per_s,
        });
    }
    if !args.json {
        eprintln!();
    }
    let rate = |n: usize, d: usize| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    let ans: Vec<&Outcome> = outcomes.iter().filter(|o| o.answerable).collect();
    let unans: Vec<&Outcome> = outcomes.iter().filter(|o| !o.answerable).collect();
    let answered: Vec<&Outcome> = outcomes.iter().filter(|o| !o.refused).collect();
    let sorted = |f: &dyn Fn(&Outcome) -> Option<f64>| {
        let mut v: Vec<f64> = outcomes.iter().filter_map(f).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let first_token = sorted(&|o| o.first_token_ms);
    let first_text = sorted(&|o| if o.refused { None } else { o.first_text_ms });
    let prompt_tokens = sorted(&|o| (o.prompt_tokens > 0).then_some(o.prompt_tokens as f64));
    let speed = sorted(&|o| (o.tokens_per_s > 0.0).then_some(o.tokens_per_s));
    let relevance = |set: &[&Outcome]| -> Vec<f32> {
        set.iter().map(|o| o.relevance.unwrap_or(-1.0)).collect()
    };
    let report = Report {
        dataset: data.name.clone(),
        model: generator_name(&generator),
        min_relevance: options.min_relevance,
        answerable: ans.len(),
        unanswerable: unans.len(),
        cited_relevant_rate: rate(ans.iter().filter(|o| o.cites_relevant).count(), ans.len()),
        false_refusal_rate: rate(ans.iter().filter(|o| o.refused).count(), ans.len()),
        refusal_rate: rate(unans.iter().filter(|o| o.refused).count(), unans.len()),
        fallback_rate: rate(
            answered.iter().filter(|o| o.fallback).count(),
            answered.len(),
        ),
        suggested_min_relevance: suggest(&relevance(&ans), &relevance(&unans)),
        first_token_p50_ms: percentile(&first_token, 0.5),
        first_token_p95_ms: percentile(&first_token, 0.95),
        first_text_p50_ms: percentile(&first_text, 0.5),
        prompt_tokens_p50: percentile(&prompt_tokens, 0.5),
        tokens_per_s_p50: percentile(&speed, 0.5),
        questions: outcomes,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "{}: {} answerable + {} unanswerable questions, generator {}",
        report.dataset, report.answerable, report.unanswerable, report.model
    );
    println!(
        "citations include a relevant document: {:.1}%   false refusals: {:.1}%   refusals on unanswerable: {:.1}%",
        100.0 * report.cited_relevant_rate,
        100.0 * report.false_refusal_rate,
        100.0 * report.refusal_rate
    );
    println!(
        "guard fallback (extractive answer): {:.1}% of answered questions",
        100.0 * report.fallback_rate
    );
    println!(
        "time to first token p50 {:.0} ms, p95 {:.0} ms (retrieval included; prompt p50 {:.0} tokens); first text shown p50 {:.0} ms; {:.0} tokens/s p50",
        report.first_token_p50_ms,
        report.first_token_p95_ms,
        report.prompt_tokens_p50,
        report.first_text_p50_ms,
        report.tokens_per_s_p50
    );
    match report.suggested_min_relevance {
        Some(s) => println!(
            "refusal threshold {:.3} (best split on these questions: {s:.3})",
            report.min_relevance
        ),
        None => println!("refusal threshold {:.3}", report.min_relevance),
    }
    Ok(())
}

fn generator_name(g: &dyn trawl_embedder::Generator) -> String {
    g.info().name.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggested_threshold_separates_the_groups() {
        let near = |a: Option<f32>, b: f32| a.is_some_and(|a| (a - b).abs() < 1e-6);
        assert!(near(suggest(&[0.6, 0.7, 0.5], &[0.2, 0.3]), 0.4));
        // overlap: one error either way, the lower threshold wins
        assert!(near(suggest(&[0.6, 0.25], &[0.3, 0.1]), 0.175));
        assert_eq!(suggest(&[0.5], &[]), None);
    }
}
