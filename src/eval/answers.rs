//! `trawl eval --answers`: grounded-answer quality on judged questions, plus refusals on
//! questions the corpus cannot answer.
//!
//! With a facts file (`DATASET/answers.jsonl`, or `--facts`), each question carries the fact a
//! right answer must state (a regular expression) and the documents that hold it, so the
//! report counts answers that are right (the fact, citing a document that holds it), wrong,
//! refused although answerable, and refusals of the questions the corpus cannot answer. Without
//! one, the dataset's judged queries are used and only "cites a relevant document" is known.

use std::{collections::HashSet, io::BufRead, path::Path};

use anyhow::{Context, Result};
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use trawl_embedder::Embedder;
use trawl_generator::Flow;
use trawl_service::ask::{AskOptions, AskParams, AskResponse, Asker, run_ask};

use super::{Dataset, percentile};
use crate::cli::EvalArgs;

/// One question to ask, with what a right answer must contain.
struct Question {
    id: String,
    text: String,
    answerable: bool,
    /// The fact a right answer states (facts file only).
    fact: Option<Regex>,
    /// Documents (paths, or ids for BEIR datasets) that hold the answer.
    relevant: HashSet<String>,
}

#[derive(Debug, Serialize)]
struct Outcome {
    id: String,
    question: String,
    answerable: bool,
    /// The expected fact's regular expression, when known.
    fact: Option<String>,
    /// Best cosine similarity of a retrieved passage: the first refusal signal.
    relevance: Option<f32>,
    /// How well the best candidate sentence answers the question: the second refusal signal.
    support: Option<f32>,
    refused: bool,
    fallback: bool,
    fallback_reason: Option<String>,
    cites_relevant: bool,
    /// The answer states the expected fact.
    states_fact: bool,
    /// States the fact and cites a document that holds it.
    right: bool,
    /// Figures of the answer found in none of its cited passages.
    ungrounded: Vec<String>,
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
    /// Whether questions carry expected facts (else only `cited_relevant_rate` is meaningful).
    with_facts: bool,
    /// Answerable questions answered with the expected fact, citing a document that holds it.
    right: usize,
    /// Answerable questions answered (not refused) but not right.
    wrong: usize,
    /// Answerable questions answered "not found".
    false_refusals: usize,
    /// Unanswerable questions answered "not found".
    refused_unanswerable: usize,
    /// Answers (not refusals) with a figure absent from every cited passage.
    ungrounded_answers: usize,
    right_rate: f64,
    /// Answerable questions whose citations include a judged-relevant document.
    cited_relevant_rate: f64,
    /// Answerable questions answered "not found", as a share of them.
    false_refusal_rate: f64,
    /// Unanswerable questions answered "not found", as a share of them.
    refusal_rate: f64,
    /// Answered questions whose generated answer failed the guard (extractive instead).
    fallback_rate: f64,
    /// The threshold that would classify these questions best (answerable vs not).
    suggested_min_relevance: Option<f32>,
    first_token_p50_ms: f64,
    first_token_p95_ms: f64,
    first_text_p50_ms: f64,
    first_text_p95_ms: f64,
    prompt_tokens_p50: f64,
    tokens_per_s_p50: f64,
    questions: Vec<Outcome>,
}

#[derive(Deserialize)]
struct RawQuestion {
    #[serde(rename = "_id")]
    id: String,
    text: String,
    /// Regular expression (facts file only); null: the corpus cannot answer it.
    #[serde(default)]
    fact: Option<String>,
    #[serde(default)]
    docs: Vec<String>,
}

fn read_questions(path: &Path) -> Result<Vec<RawQuestion>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let q: RawQuestion =
            serde_json::from_str(&line).with_context(|| format!("{}:{}", path.display(), i + 1))?;
        out.push(q);
    }
    Ok(out)
}

/// The facts file's questions: answerable ones carry a fact and the documents holding it.
fn fact_questions(path: &Path) -> Result<Vec<Question>> {
    read_questions(path)?
        .into_iter()
        .map(|q| {
            let fact = q
                .fact
                .as_deref()
                .map(|f| {
                    RegexBuilder::new(f)
                        .case_insensitive(true)
                        .build()
                        .with_context(|| format!("{}: fact of {}", path.display(), q.id))
                })
                .transpose()?;
            if fact.is_some() && q.docs.is_empty() {
                anyhow::bail!("{}: {} has a fact but no docs", path.display(), q.id);
            }
            Ok(Question {
                id: q.id,
                text: q.text,
                answerable: fact.is_some(),
                fact,
                relevant: q.docs.into_iter().collect(),
            })
        })
        .collect()
}

/// Numbers written with digits, thousands separators dropped; citation markers excluded.
fn figures(text: &str) -> Vec<String> {
    let plain = trawl_service::ask::without_citations(text);
    plain
        .split(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .map(|w| w.trim_matches([',', '.']).replace(',', ""))
        .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit() || c == '.'))
        // "2 April" is grounded in a message dated 2024-04-02: a whole number is the same
        // figure with or without leading zeros
        .map(|w| {
            if w.chars().all(|c| c.is_ascii_digit()) {
                let t = w.trim_start_matches('0');
                if t.is_empty() {
                    "0".to_string()
                } else {
                    t.to_string()
                }
            } else {
                w
            }
        })
        .collect()
}

/// Figures of `answer` that none of `sources` contains.
fn ungrounded(answer: &str, sources: &[&str]) -> Vec<String> {
    let known: HashSet<String> = sources.iter().flat_map(|s| figures(s)).collect();
    let mut out: Vec<String> = figures(answer)
        .into_iter()
        .filter(|f| !known.contains(f))
        .collect();
    out.dedup();
    out
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
    store: trawl_service::Store<'_>,
    embedder: &dyn Embedder,
    by_path: bool,
) -> Result<()> {
    let generator = crate::ask::load_generator(&args.generator)?;
    let options = AskOptions {
        fusion: super::fusion_of(args)?.0,
        ..AskOptions::default()
    };
    let asker = Asker {
        store,
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
    let facts_path = args
        .facts
        .clone()
        .or_else(|| Some(args.dataset.join("answers.jsonl")).filter(|p| p.is_file()));
    let limit = args.limit.unwrap_or(usize::MAX);
    let mut questions: Vec<Question> = match &facts_path {
        Some(path) => fact_questions(path)?,
        None => data
            .queries
            .iter()
            .map(|(id, q)| Question {
                id: id.clone(),
                text: q.clone(),
                answerable: true,
                fact: None,
                relevant: data
                    .qrels
                    .get(id)
                    .map(|j| {
                        j.iter()
                            .filter(|&(_, &g)| g > 0)
                            .map(|(d, _)| d.clone())
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect(),
    };
    let with_facts = facts_path.is_some();
    let known: HashSet<String> = questions.iter().map(|q| q.id.clone()).collect();
    questions.extend(
        unanswerable
            .into_iter()
            .filter(|q| !known.contains(&q.id))
            .map(|q| Question {
                id: q.id,
                text: q.text,
                answerable: false,
                fact: None,
                relevant: HashSet::new(),
            }),
    );
    // --limit takes the first N of each group, so a subset still has both kinds
    let (answerable_qs, unanswerable_qs): (Vec<Question>, Vec<Question>) =
        questions.into_iter().partition(|q| q.answerable);
    let questions: Vec<Question> = answerable_qs
        .into_iter()
        .take(limit)
        .chain(unanswerable_qs.into_iter().take(limit))
        .collect();
    let mut outcomes = Vec::new();
    for (n, q) in questions.iter().enumerate() {
        if !args.json {
            eprint!("\ranswering {}/{}", n + 1, questions.len());
        }
        let r: AskResponse = run_ask(
            asker,
            &AskParams::new(q.text.as_str()),
            &access,
            &mut |_| Flow::Continue,
        )
        .with_context(|| q.id.clone())?;
        let cited: Vec<String> = r
            .citations
            .iter()
            .map(|c| {
                if by_path {
                    // an attachment counts for its file, as in the ranking evaluation
                    super::file_of(&c.path).to_string()
                } else {
                    c.doc_id.clone()
                }
            })
            .collect();
        let answered = q.answerable && !r.refused;
        let cites_relevant = answered && cited.iter().any(|c| q.relevant.contains(c));
        let states_fact = answered && q.fact.as_ref().is_some_and(|f| f.is_match(&r.answer));
        let sources: Vec<&str> = r.citations.iter().map(|c| c.text.as_str()).collect();
        outcomes.push(Outcome {
            id: q.id.clone(),
            question: q.text.clone(),
            answerable: q.answerable,
            fact: q.fact.as_ref().map(|f| f.as_str().to_string()),
            relevance: r.relevance,
            support: r.support,
            refused: r.refused,
            fallback: r.fallback,
            fallback_reason: r.fallback_reason.clone(),
            cites_relevant,
            states_fact,
            right: states_fact && cites_relevant,
            ungrounded: if r.refused {
                Vec::new()
            } else {
                ungrounded(&r.answer, &sources)
            },
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
    let count =
        |set: &[&Outcome], f: &dyn Fn(&Outcome) -> bool| set.iter().filter(|o| f(o)).count();
    let right = count(&ans, &|o| o.right);
    let false_refusals = count(&ans, &|o| o.refused);
    let report = Report {
        dataset: data.name.clone(),
        model: generator_name(&generator),
        min_relevance: options.min_relevance,
        answerable: ans.len(),
        unanswerable: unans.len(),
        with_facts,
        right,
        wrong: ans.len() - right - false_refusals,
        false_refusals,
        refused_unanswerable: count(&unans, &|o| o.refused),
        ungrounded_answers: count(&answered, &|o| !o.ungrounded.is_empty()),
        right_rate: rate(right, ans.len()),
        cited_relevant_rate: rate(count(&ans, &|o| o.cites_relevant), ans.len()),
        false_refusal_rate: rate(false_refusals, ans.len()),
        refusal_rate: rate(count(&unans, &|o| o.refused), unans.len()),
        fallback_rate: rate(count(&answered, &|o| o.fallback), answered.len()),
        suggested_min_relevance: suggest(&relevance(&ans), &relevance(&unans)),
        first_token_p50_ms: percentile(&first_token, 0.5),
        first_token_p95_ms: percentile(&first_token, 0.95),
        first_text_p50_ms: percentile(&first_text, 0.5),
        first_text_p95_ms: percentile(&first_text, 0.95),
        prompt_tokens_p50: percentile(&prompt_tokens, 0.5),
        tokens_per_s_p50: percentile(&speed, 0.5),
        questions: outcomes,
    };
    let below_floor = args
        .min_right
        .filter(|&floor| report.right_rate < floor)
        .map(|floor| {
            anyhow::anyhow!(
                "right answers {:.1}% are below the floor {:.1}%",
                100.0 * report.right_rate,
                100.0 * floor
            )
        });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return below_floor.map_or(Ok(()), Err);
    }
    println!(
        "{}: {} answerable + {} unanswerable questions, generator {}",
        report.dataset, report.answerable, report.unanswerable, report.model
    );
    if report.with_facts {
        println!(
            "right fact + right source: {}/{} ({:.1}%)   wrong: {}   false refusals: {} ({:.1}%)",
            report.right,
            report.answerable,
            100.0 * report.right_rate,
            report.wrong,
            report.false_refusals,
            100.0 * report.false_refusal_rate
        );
        println!(
            "unanswerable refused: {}/{} ({:.1}%)   answers with a figure absent from their cited passages: {}",
            report.refused_unanswerable,
            report.unanswerable,
            100.0 * report.refusal_rate,
            report.ungrounded_answers
        );
    }
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
        "time to first token p50 {:.0} ms, p95 {:.0} ms (retrieval included; prompt p50 {:.0} tokens); first text shown p50 {:.0} ms, p95 {:.0} ms; {:.0} tokens/s p50",
        report.first_token_p50_ms,
        report.first_token_p95_ms,
        report.prompt_tokens_p50,
        report.first_text_p50_ms,
        report.first_text_p95_ms,
        report.tokens_per_s_p50
    );
    match report.suggested_min_relevance {
        Some(s) => println!(
            "refusal threshold {:.3} (best split on these questions: {s:.3})",
            report.min_relevance
        ),
        None => println!("refusal threshold {:.3}", report.min_relevance),
    }
    if report.with_facts {
        for o in report.questions.iter().filter(|o| {
            (o.answerable && !o.right) || (!o.answerable && !o.refused) || !o.ungrounded.is_empty()
        }) {
            let what = match (o.answerable, o.refused) {
                (true, true) => "false refusal",
                (true, false) => "wrong",
                (false, _) => "answered, not covered",
            };
            let answer: String = o.answer.chars().take(160).collect();
            println!("  {} {what}: {:?} -> {answer:?}", o.id, o.question);
        }
    }
    below_floor.map_or(Ok(()), Err)
}

fn generator_name(g: &dyn trawl_generator::Generator) -> String {
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

    #[test]
    fn ungrounded_figures_are_those_no_cited_passage_holds() {
        let sources = ["Carry over up to 240 hours, or 1,500 dollars."];
        assert!(ungrounded("You can carry over 240 hours [1].", &sources).is_empty());
        assert!(ungrounded("It is 1500 dollars [1].", &sources).is_empty());
        assert_eq!(
            ungrounded("You can carry over 250 hours [1].", &sources),
            vec!["250".to_string()]
        );
        let header = ["Date: 2024-04-02T09:00:00+00:00"];
        assert!(ungrounded("It was sent on 2 April 2024 [1].", &header).is_empty());
        assert_eq!(
            ungrounded("It was sent on 3 April 2024 [1].", &header),
            vec!["3".to_string()]
        );
    }

    #[test]
    fn fact_questions_need_docs_and_a_valid_pattern() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("answers.jsonl");
        std::fs::write(
            &path,
            concat!(
                r#"{"_id": "a1", "text": "How many weeks?", "fact": "12 WEEKS", "docs": ["hr/a.md"]}"#,
                "\n",
                r#"{"_id": "n1", "text": "Is there a dress code?", "fact": null}"#,
                "\n"
            ),
        )
        .unwrap();
        let qs = fact_questions(&path).unwrap();
        assert!(qs[0].answerable && !qs[1].answerable);
        // facts match case-insensitively
        assert!(
            qs[0]
                .fact
                .as_ref()
                .unwrap()
                .is_match("You get 12 weeks [1].")
        );
        std::fs::write(
            &path,
            r#"{"_id": "a1", "text": "Q?", "fact": "12", "docs": []}"#,
        )
        .unwrap();
        assert!(fact_questions(&path).is_err());
        std::fs::write(
            &path,
            r#"{"_id": "a1", "text": "Q?", "fact": "(", "docs": ["x"]}"#,
        )
        .unwrap();
        assert!(fact_questions(&path).is_err());
    }
}
