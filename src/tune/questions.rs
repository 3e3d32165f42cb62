//! Pseudo-questions (GPL / doc2query style): the local language model writes one search
//! question for each passage of a seeded sample of the index, and each kept question with its
//! passage is a training pair. Claims and plain-language questions rarely repeat a heading's
//! words, so these pairs teach what headings and cut-out sentences cannot.
//!
//! Writing is the slow part (about two seconds a question on two cores), so every question is
//! appended to a cache file as soon as it is written: a run stopped part way (Ctrl-C, or
//! `--max-minutes`) resumes where it stopped, and a later tuning run with other options
//! reuses the questions.

use std::{
    collections::{HashMap, HashSet},
    io::{BufRead, Write},
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use trawl_generator::{ChatMessage, Flow, GenerateParams, Generator, Role};
use trawl_search::Index;
use trawl_tune::Pair;

use super::{Judged, MIN_PASSAGE_WORDS};

/// Words of a passage the model reads: its context stays small, so a question takes seconds.
const PROMPT_WORDS: usize = 180;
const SYSTEM: &str =
    "You write one short search query that the given text answers. Reply with the query only.";
const ASK: &str = "Write one question a reader would ask that this text answers.";
/// Phrases that make a question about the text in front of the model rather than about the
/// world ("What does this study show?"): such a question finds nothing in a search.
const ABOUT_THE_TEXT: &[&str] = &[
    "the text",
    "this text",
    "the passage",
    "this passage",
    "the article",
    "this article",
    "the abstract",
    "this abstract",
    "the study",
    "this study",
    "the paper",
    "this paper",
    "the question",
    "this question",
    "the author",
    "the authors",
    "would you like",
];
/// Words that address a reader, not the search box.
const ADDRESSING: &[&str] = &["you", "your", "reader", "readers"];

/// One cached question: the passage asked about (as the indexer embeds it), its document, and
/// what the model wrote, before [`clean`].
#[derive(Debug, Serialize, Deserialize)]
struct Cached {
    doc_id: String,
    passage: String,
    question: String,
}

/// What writing the questions came to.
#[derive(Debug, Default, Serialize)]
pub(super) struct QuestionStats {
    /// Passages in the sample.
    pub(super) sampled: usize,
    /// Of those, questions already in the cache.
    pub(super) cached: usize,
    /// Questions written by this run.
    pub(super) written: usize,
    /// Questions kept as pairs (the rest talked about the text or shared too little of it).
    pub(super) kept: usize,
    /// Writing stopped at its share of `--max-minutes` before the sample was done.
    pub(super) stopped_by_budget: bool,
    pub(super) seconds: f64,
    pub(super) cache: String,
}

/// Asks `generator` for a question about each of `count` passages of `index` (a seeded sample
/// spread over the documents: one passage per document before any document gives a second),
/// reusing the questions already in `cache`, and returns the kept pairs. Writing stops once
/// `budget` has passed; what was written stays in the cache.
pub(super) fn pairs(
    index: &Index,
    generator: &dyn Generator,
    count: usize,
    seed: u64,
    cache: &Path,
    budget: Option<Duration>,
    quiet: bool,
) -> Result<(Vec<Judged>, QuestionStats)> {
    let started = Instant::now();
    let chunks = index
        .export_chunks(None)
        .context("reading the index's chunks")?;
    let mut passages: Vec<(String, String, String)> = chunks
        .iter()
        .filter(|c| c.text.split_whitespace().count() >= MIN_PASSAGE_WORDS)
        .map(|c| {
            let section = c.section.as_deref().filter(|s| !s.trim().is_empty());
            (
                c.doc_id.clone(),
                trawl_indexer::embed_text(c.title.trim(), section, c.text.trim()),
                prompt_text(c.title.trim(), c.text.trim()),
            )
        })
        .collect();
    super::seeded_shuffle(&mut passages, seed);
    // one passage per document first, then second ones, … (stable: the shuffle decides within)
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let rank: Vec<usize> = passages
        .iter()
        .map(|(d, _, _)| {
            let n = seen.entry(d.as_str()).or_default();
            *n += 1;
            *n
        })
        .collect();
    let mut order: Vec<usize> = (0..passages.len()).collect();
    order.sort_by_key(|&i| rank[i]);
    order.truncate(count);

    let mut known = read_cache(cache)?;
    let mut stats = QuestionStats {
        sampled: order.len(),
        cache: cache.display().to_string(),
        ..QuestionStats::default()
    };
    let (cached, todo): (Vec<usize>, Vec<usize>) = order
        .iter()
        .partition(|&&i| known.contains_key(&passages[i].1));
    stats.cached = cached.len();
    if !todo.is_empty() {
        if let Some(parent) = cache.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(cache)
            .with_context(|| format!("opening {}", cache.display()))?;
        let bar = progress(todo.len() as u64, quiet);
        let params = GenerateParams {
            max_tokens: 40,
            stop: vec!["\n".into()],
            repeat_penalty: 1.1,
            ..GenerateParams::default()
        };
        for &i in &todo {
            if budget.is_some_and(|b| started.elapsed() >= b) {
                stats.stopped_by_budget = true;
                break;
            }
            let (doc_id, passage, prompt) = &passages[i];
            let messages = [
                ChatMessage::new(Role::System, SYSTEM),
                ChatMessage::new(Role::User, format!("Text: {prompt}\n\n{ASK}")),
            ];
            let g = generator
                .generate(&messages, &params, &mut |_| Flow::Continue)
                .with_context(|| format!("writing a question about a passage of {doc_id}"))?;
            let entry = Cached {
                doc_id: doc_id.clone(),
                passage: passage.clone(),
                question: g.text.trim().to_owned(),
            };
            // one line per question, flushed: a run killed here loses at most this one
            let line = serde_json::to_string(&entry)?;
            writeln!(file, "{line}")
                .and_then(|()| file.flush())
                .with_context(|| format!("writing {}", cache.display()))?;
            bar.set_message(entry.question.chars().take(60).collect::<String>());
            bar.inc(1);
            known.insert(entry.passage.clone(), entry);
            stats.written += 1;
        }
        bar.finish_and_clear();
    }

    let mut out = Vec::new();
    for &i in &order {
        let Some(entry) = known.get(&passages[i].1) else {
            continue;
        };
        if let Some(query) = clean(&entry.question, &entry.passage) {
            out.push(Judged {
                pair: Pair {
                    query,
                    passage: entry.passage.clone(),
                    negative: None,
                },
                positives: HashSet::from([entry.doc_id.clone()]),
                ids: None,
            });
        }
    }
    stats.kept = out.len();
    stats.seconds = started.elapsed().as_secs_f64();
    Ok((out, stats))
}

/// Title and the first [`PROMPT_WORDS`] words of the text, as the model reads them.
fn prompt_text(title: &str, text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().take(PROMPT_WORDS).collect();
    if title.is_empty() {
        words.join(" ")
    } else {
        format!("{title}. {}", words.join(" "))
    }
}

fn read_cache(path: &Path) -> Result<HashMap<String, Cached>> {
    let mut known = HashMap::new();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(known),
        Err(e) => return Err(e).with_context(|| format!("opening {}", path.display())),
    };
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        // A line cut short by a kill is the last one; the passage is asked again.
        match serde_json::from_str::<Cached>(&line) {
            Ok(c) => {
                known.insert(c.passage.clone(), c);
            }
            Err(e) => tracing::warn!(
                "{}:{}: not a cached question ({e}); its passage will be asked again",
                path.display(),
                i + 1
            ),
        }
    }
    Ok(known)
}

fn progress(len: u64, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template(
            "writing questions {bar:30} {pos}/{len} · {elapsed} (ETA {eta}) · {msg}",
        )
        .expect("valid template"),
    );
    bar
}

/// The search question in what the model wrote, or `None` when it is not one a user would
/// type: it talks about "the text" or to a reader, is under five words, or shares fewer than
/// two content words with its passage (the model wandered off).
fn clean(raw: &str, passage: &str) -> Option<String> {
    let mut q = raw.lines().next()?.trim();
    // `What if the text asks: "How does X …?"` and `What is the answer to this question: "…"`
    // wrap the real question in quotes: keep what is quoted
    if let Some((_, quoted)) = q.split_once(": \"")
        && let Some((inner, _)) = quoted.split_once('"')
        && inner.ends_with('?')
    {
        q = inner;
    }
    let mut q = q.trim_matches('"').trim();
    for prefix in ["query:", "question:", "search query:"] {
        if let Some(rest) = strip_prefix_ignore_case(q, prefix) {
            q = rest.trim();
        }
    }
    // keep the first question when the model asks two
    if let Some(end) = q.find('?') {
        q = &q[..=end];
    }
    let mut q = q.trim_matches('"').trim().to_owned();
    // "What does the text say about X?" asks about X: keep X
    for lead in [
        "what does the text say about ",
        "what does this text say about ",
        "what does the passage say about ",
    ] {
        if let Some(rest) = strip_prefix_ignore_case(&q, lead) {
            q = format!("What is known about {rest}");
        }
    }
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.len() < 5 {
        return None;
    }
    let joined = format!(" {} ", words.join(" "));
    if ABOUT_THE_TEXT
        .iter()
        .any(|p| joined.contains(&format!(" {p} ")))
        || words.iter().any(|w| ADDRESSING.contains(&w.as_str()))
    {
        return None;
    }
    let content = |w: &str| w.chars().count() >= 4 && w.chars().all(char::is_alphabetic);
    let in_passage: HashSet<String> = passage
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| content(w))
        .map(str::to_lowercase)
        .collect();
    // "the Company's policy" shares "company" with a passage about the Company
    let shared: HashSet<&str> = words
        .iter()
        .flat_map(|w| w.split('\''))
        .filter(|w| content(w) && in_passage.contains(*w))
        .collect();
    (shared.len() >= 2).then_some(q)
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    s.get(..prefix.len())
        .filter(|head| head.eq_ignore_ascii_case(prefix))
        .map(|_| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSAGE: &str = "Intestinal methane production in obese individuals is associated \
        with a higher body mass index. Methanogenic archaea were measured by breath testing.";

    #[test]
    fn a_question_about_the_world_is_kept_whole() {
        assert_eq!(
            clean(
                "\"Is methane production linked to body mass index in obese people?\"",
                PASSAGE
            )
            .as_deref(),
            Some("Is methane production linked to body mass index in obese people?")
        );
    }

    #[test]
    fn a_question_about_the_text_is_rewritten_or_dropped() {
        assert_eq!(
            clean(
                "What does the text say about methane and obese individuals?",
                PASSAGE
            )
            .as_deref(),
            Some("What is known about methane and obese individuals?")
        );
        assert_eq!(
            clean(
                "What did this study find about methane in obese people?",
                PASSAGE
            ),
            None
        );
        assert_eq!(
            clean(
                "What would you like to know about methane production?",
                PASSAGE
            ),
            None
        );
    }

    #[test]
    fn short_or_unrelated_questions_are_dropped_and_the_first_of_two_kept() {
        assert_eq!(clean("Methane and obesity?", PASSAGE), None);
        assert_eq!(
            clean(
                "What if the text asks: \"How is methane measured in obese individuals?\"",
                PASSAGE
            )
            .as_deref(),
            Some("How is methane measured in obese individuals?")
        );
        assert_eq!(
            clean("Does methane's production depend on obesity?", PASSAGE).as_deref(),
            Some("Does methane's production depend on obesity?")
        );
        assert_eq!(
            clean("What is the capital city of France today?", PASSAGE),
            None
        );
        assert_eq!(
            clean(
                "Query: Does methane production raise body mass? How was it measured?",
                PASSAGE
            )
            .as_deref(),
            Some("Does methane production raise body mass?")
        );
    }
}
