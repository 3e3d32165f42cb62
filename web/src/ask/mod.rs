//! Grounded answers (`trawl ask`, `POST /api/ask`): retrieve with the asker's permissions,
//! number the best passages in a prompt fitted to the model's context, generate, guard every
//! sentence, and fall back to the passages' own words when the model cannot be trusted.
//!
//! The pipeline, and why:
//! - Retrieval is the hybrid search with the caller's [`Access`]: a passage the asker may not
//!   see never reaches the prompt, so it cannot leak into an answer.
//! - When the best passage's cosine similarity to the question is below
//!   [`AskOptions::min_relevance`] (calibrated on `corpora/eval`, see README), nothing is
//!   generated: the answer says nothing relevant was found and lists the closest documents.
//! - Passages are added best first while their tokens fit [`AskOptions::passage_tokens`]
//!   (time to first token is dominated by prompt processing on CPU).
//! - Generated text is shown sentence by sentence, each only after `guard` found its figures
//!   and quotations in the passages it cites, so no unverified number is ever shown. A
//!   sentence that fails, a loop, or a model that declines to answer ends generation; the
//!   answer is then replaced by the extractive one (`text`): the best sentences of the
//!   passages, verbatim, with citations, and the response says so (`fallback`).

mod guard;
mod text;

use std::time::Instant;

use serde::{Deserialize, Serialize};
use trawl_embedder::{ChatMessage, Embedder, Flow, GenerateParams, Generator, Role};
use trawl_search::{Access, Hit, Index, Mode, SearchRequest};

use crate::ApiError;

/// Longest question accepted, in characters.
pub const MAX_QUESTION_CHARS: usize = 2000;
/// What the answer says when retrieval found nothing relevant.
pub const NOT_FOUND: &str = "I couldn't find this in the documents you can access.";

/// Phrases with which a model declines to answer; the extractive answer is used instead.
const DECLINES: &[&str] = &[
    "couldn't find",
    "could not find",
    "cannot find",
    "can't find",
    "not mentioned",
    "no information",
    "not provided",
    "does not provide",
    "doesn't provide",
    "does not mention",
    "doesn't mention",
    "i don't know",
    "i do not know",
    "not specified",
    "no mention",
];

const SYSTEM_PROMPT: &str = "You answer questions about company documents using only the numbered sources. \
Answer in one or two short sentences. Copy numbers, dates and amounts exactly as the sources write them. \
After each sentence, cite its source number in brackets, like [1].";

/// Request body of `POST /api/ask`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskParams {
    /// The question.
    pub question: String,
    /// Documents to draw passages from (default 4, at most 10).
    #[serde(default)]
    pub k: Option<usize>,
    /// `false` for one JSON response instead of a server-sent event stream (HTTP only).
    #[serde(default)]
    pub stream: Option<bool>,
}

impl AskParams {
    /// A question with default settings.
    pub fn new(question: impl Into<String>) -> Self {
        Self {
            question: question.into(),
            k: None,
            stream: None,
        }
    }
}

/// Tuning of the pipeline; the defaults are what the README documents.
#[derive(Debug, Clone, PartialEq)]
pub struct AskOptions {
    /// Token budget for the passages in the prompt.
    pub passage_tokens: usize,
    /// Most tokens the model may generate.
    pub max_answer_tokens: usize,
    /// Most generated sentences kept.
    pub max_sentences: usize,
    /// Below this cosine similarity between the question and the best passage, the answer is
    /// "not found". Calibrated on `corpora/eval` (see README).
    pub min_relevance: f32,
}

impl Default for AskOptions {
    fn default() -> Self {
        Self {
            passage_tokens: 450,
            max_answer_tokens: 96,
            max_sentences: 3,
            min_relevance: DEFAULT_MIN_RELEVANCE,
        }
    }
}

/// Calibrated on `corpora/eval` (46 answerable, 16 unanswerable questions): at 0.45, 11 of 16
/// unanswerable questions are refused and 3 of 46 answerable ones (see README).
pub const DEFAULT_MIN_RELEVANCE: f32 = 0.45;

/// A numbered source of the answer (or, when nothing relevant was found, a close document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Citation {
    /// Its number in the answer, `[n]`.
    pub n: usize,
    /// Stable document id.
    pub doc_id: String,
    /// Source path, relative to the indexed folder.
    pub path: String,
    /// Document title.
    pub title: String,
    /// Page of the passage, where the format has pages.
    pub page: Option<u32>,
    /// Heading path of the passage.
    pub section: Option<String>,
    /// The passage as the model saw it.
    pub text: String,
    /// Hybrid retrieval score of the document.
    pub score: f32,
    /// BM25 score of the document's best keyword passage.
    pub keyword_score: Option<f32>,
    /// Cosine similarity of the document's best passage to the question.
    pub vector_score: Option<f32>,
}

/// Where the time went, in milliseconds (tokens where named).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AskTimings {
    /// Embedding the question and searching.
    pub retrieval_ms: f64,
    /// Tokens of the templated prompt (0 when nothing was generated).
    pub prompt_tokens: usize,
    /// Of those, leading tokens kept from the previous request and not processed again.
    #[serde(default)]
    pub reused_prompt_tokens: usize,
    /// Waiting for the model (other requests).
    pub queue_ms: f64,
    /// Processing the prompt.
    pub prefill_ms: f64,
    /// From the request to the model's first token.
    pub first_token_ms: Option<f64>,
    /// From the request to the first text shown (a guarded sentence, or the fallback).
    pub first_text_ms: Option<f64>,
    /// Tokens the model generated.
    pub generated_tokens: usize,
    /// Generation speed after the prompt.
    pub tokens_per_s: f64,
    /// The whole request.
    pub total_ms: f64,
}

/// The answer to a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AskResponse {
    /// The question as received.
    pub question: String,
    /// The answer, with `[n]` markers pointing into `citations`.
    pub answer: String,
    /// True when every statement of the answer is backed by a cited passage (a generated
    /// answer that passed the guard, or the extractive answer); false for "not found".
    pub grounded: bool,
    /// True when nothing relevant was found and nothing was generated.
    pub refused: bool,
    /// Cosine similarity of the best retrieved passage to the question: the signal the
    /// refusal threshold applies to (absent when nothing was retrieved).
    pub relevance: Option<f32>,
    /// True when the generated answer was replaced by the extractive one.
    pub fallback: bool,
    /// Why it was replaced (the guard's finding, a loop, the model declining, …).
    pub fallback_reason: Option<String>,
    /// What the model generated, before the guard (absent when nothing was generated).
    pub generated: Option<String>,
    /// The passages the answer cites, by number.
    pub citations: Vec<Citation>,
    /// When refused: the closest documents, for the asker to look at.
    pub closest: Vec<Citation>,
    /// Generator model name.
    pub model: String,
    /// Where the time went.
    pub timings: AskTimings,
}

/// Text as it becomes available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskEvent<'a> {
    /// The model produced a token; nothing new to show (a chance to cancel).
    Progress,
    /// Append this to what was shown.
    Text(&'a str),
    /// Replace everything shown so far with this (the guard rejected the generated answer).
    Replace(&'a str),
}

/// What the caller is asking with: the index to search, the query embedder, the generator.
#[derive(Clone, Copy)]
pub struct Asker<'a> {
    /// The open index.
    pub index: &'a Index,
    /// The query embedder (same model as the index).
    pub embedder: &'a dyn Embedder,
    /// The generator.
    pub generator: &'a dyn Generator,
    /// Pipeline settings.
    pub options: &'a AskOptions,
}

/// Checks a question before any work: not empty, not too long.
pub fn validate_question(question: &str) -> Result<(), ApiError> {
    if question.trim().is_empty() {
        return Err(ApiError::bad_request(
            "empty_question",
            "the question is empty",
        ));
    }
    let n = question.chars().count();
    if n > MAX_QUESTION_CHARS {
        return Err(ApiError::bad_request(
            "question_too_long",
            format!("the question has {n} characters; at most {MAX_QUESTION_CHARS} are accepted"),
        ));
    }
    Ok(())
}

struct Passage {
    hit: Hit,
    text: String,
}

/// Answers `params.question` as `access` allows, calling `on_event` as text becomes
/// available. Blocking (embeds, generates). Returning [`Flow::Stop`] from `on_event` cancels
/// generation; the function then returns the `cancelled` error.
pub fn run_ask(
    asker: Asker<'_>,
    params: &AskParams,
    access: &Access,
    on_event: &mut dyn FnMut(AskEvent<'_>) -> Flow,
) -> Result<AskResponse, ApiError> {
    let started = Instant::now();
    let question = params.question.trim().to_string();
    validate_question(&question)?;
    let k = params.k.unwrap_or(4).clamp(1, 10);
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;

    let query_vector = asker.embedder.embed_query(&question)?;
    let mut req = SearchRequest::new(question.clone());
    req.mode = Mode::Hybrid;
    req.k = k.max(5);
    req.access = access.clone();
    let hits = asker.index.search(&req, Some(&query_vector))?.hits;
    let mut timings = AskTimings {
        retrieval_ms: ms(started),
        ..AskTimings::default()
    };
    let model = asker.generator.info().name.clone();
    let best = best_relevance(&hits);

    let mut response = AskResponse {
        question: question.clone(),
        answer: String::new(),
        grounded: false,
        refused: false,
        relevance: best,
        fallback: false,
        fallback_reason: None,
        generated: None,
        citations: Vec::new(),
        closest: Vec::new(),
        model,
        timings: AskTimings::default(),
    };
    if best.is_none_or(|b| b < asker.options.min_relevance) {
        response.refused = true;
        response.answer = NOT_FOUND.to_string();
        response.closest = hits
            .into_iter()
            .take(3)
            .enumerate()
            .map(|(i, h)| {
                let text = h.snippet.clone();
                citation(i + 1, h, text)
            })
            .collect();
        timings.first_text_ms = Some(ms(started));
        let _ = on_event(AskEvent::Text(NOT_FOUND));
        timings.total_ms = ms(started);
        response.timings = timings;
        return Ok(response);
    }

    let passages = fit_passages(asker, hits.into_iter().take(k), access)?;
    let texts: Vec<String> = passages.iter().map(|p| p.text.clone()).collect();
    let messages = prompt(&question, &passages);

    // generate, showing each sentence once the guard accepts it
    let mut raw = String::new();
    let mut done = 0; // sentences of `raw` already judged
    let mut accepted: Vec<String> = Vec::new();
    let mut cited = std::collections::BTreeSet::new();
    let mut rejection: Option<String> = None;
    let mut client_gone = false;
    let mut first_token = None;
    let mut first_text = None;
    let max_sentences = asker.options.max_sentences;
    let wants_figure = text::asks_for_figure(&question);
    let gen_params = GenerateParams {
        max_tokens: asker.options.max_answer_tokens,
        stop: vec!["\nQuestion:".into(), "\nSources:".into()],
        repeat_penalty: 1.1,
        ..GenerateParams::default()
    };
    let judge = |sentence: &str,
                 accepted: &mut Vec<String>,
                 cited: &mut std::collections::BTreeSet<usize>,
                 first_text: &mut Option<f64>,
                 on_event: &mut dyn FnMut(AskEvent<'_>) -> Flow|
     -> Result<bool, String> {
        let lower = sentence.to_lowercase();
        if DECLINES.iter().any(|d| lower.contains(d)) {
            return Err("the model said the sources do not answer the question".into());
        }
        if text::repeats(sentence, accepted) {
            return Err("the model started repeating itself".into());
        }
        let checked = guard::check_sentence(sentence, &texts).map_err(|r| r.to_string())?;
        // a fluent sentence about something else passes the figure check; for "how many /
        // how long" questions the answer must at least open with a figure
        if accepted.is_empty()
            && wants_figure
            && guard::numbers(&guard::split_citations(&checked.text).0).is_empty()
        {
            return Err("the answer does not give the figure the question asks for".into());
        }
        let shown = if accepted.is_empty() {
            checked.text.clone()
        } else {
            format!(" {}", checked.text)
        };
        first_text.get_or_insert_with(|| ms(started));
        cited.extend(checked.cites.iter().copied());
        accepted.push(checked.text);
        Ok(on_event(AskEvent::Text(&shown)) == Flow::Continue)
    };
    let generation = asker
        .generator
        .generate(&messages, &gen_params, &mut |token| {
            first_token.get_or_insert_with(|| ms(started));
            if on_event(AskEvent::Progress) == Flow::Stop {
                client_gone = true;
                return Flow::Stop;
            }
            raw.push_str(token);
            let sentences = text::sentences(&attach_citations(&raw));
            while done + 1 < sentences.len() {
                let sentence = &sentences[done];
                done += 1;
                match judge(
                    sentence,
                    &mut accepted,
                    &mut cited,
                    &mut first_text,
                    on_event,
                ) {
                    Ok(true) => {}
                    Ok(false) => {
                        client_gone = true;
                        return Flow::Stop;
                    }
                    Err(reason) => {
                        rejection = Some(reason);
                        return Flow::Stop;
                    }
                }
                if accepted.len() >= max_sentences {
                    return Flow::Stop;
                }
            }
            Flow::Continue
        });
    let generation = generation.map_err(generator_error)?;
    if client_gone {
        return Err(cancelled());
    }
    // the last sentence: judged unless the token budget cut it off after a complete one
    if rejection.is_none() && accepted.len() < max_sentences {
        let sentences = text::sentences(&attach_citations(&raw));
        let cut_off = generation.finish == trawl_embedder::FinishReason::MaxTokens;
        for sentence in sentences.iter().skip(done) {
            if cut_off && !accepted.is_empty() {
                break;
            }
            match judge(
                sentence,
                &mut accepted,
                &mut cited,
                &mut first_text,
                on_event,
            ) {
                Ok(true) => {}
                Ok(false) => return Err(cancelled()),
                Err(reason) => {
                    rejection = Some(reason);
                    break;
                }
            }
        }
    }
    if rejection.is_none() && accepted.is_empty() {
        rejection = Some("the model generated no answer".into());
    }
    timings.prompt_tokens = generation.prompt_tokens;
    timings.reused_prompt_tokens = generation.reused_prompt_tokens;
    timings.queue_ms = generation.queue_wait.as_secs_f64() * 1e3;
    timings.prefill_ms = generation.prefill.as_secs_f64() * 1e3;
    timings.first_token_ms = first_token;
    timings.generated_tokens = generation.generated_tokens;
    timings.tokens_per_s = generation.tokens_per_second();
    response.generated = Some(raw.trim().to_string());

    let (answer, used) = match rejection {
        None => (accepted.join(" "), cited.into_iter().collect::<Vec<_>>()),
        Some(reason) => {
            tracing::info!(%reason, "generated answer rejected; answering extractively");
            response.fallback = true;
            response.fallback_reason = Some(reason);
            let (answer, used) = extractive(asker.embedder, &query_vector, &question, &texts)?;
            first_text.get_or_insert_with(|| ms(started));
            if on_event(AskEvent::Replace(&answer)) == Flow::Stop {
                return Err(cancelled());
            }
            (answer, used)
        }
    };
    response.answer = answer;
    response.grounded = !used.is_empty();
    response.citations = passages
        .into_iter()
        .enumerate()
        .filter(|(i, _)| used.contains(&(i + 1)))
        .map(|(i, p)| citation(i + 1, p.hit, p.text))
        .collect();
    timings.first_text_ms = first_text;
    timings.total_ms = ms(started);
    response.timings = timings;
    Ok(response)
}

fn cancelled() -> ApiError {
    ApiError {
        status: axum::http::StatusCode::BAD_REQUEST,
        code: "cancelled",
        message: "the client stopped the request".into(),
    }
}

fn generator_error(e: trawl_embedder::Error) -> ApiError {
    match e {
        trawl_embedder::Error::Busy => ApiError {
            status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
            code: "busy",
            message: e.to_string(),
        },
        other => ApiError::internal(other),
    }
}

/// The relevance signal the refusal threshold applies to: the best cosine similarity between
/// the question and a retrieved passage (the vector arm's raw score, which is comparable
/// across questions, unlike fused scores normalized per query).
pub fn best_relevance(hits: &[Hit]) -> Option<f32> {
    hits.iter()
        .filter_map(|h| h.vector_score)
        .max_by(f32::total_cmp)
}

/// Moves citation markers written after a sentence's end (`days. [1]`) before it
/// (`days [1].`), so sentences split with their own citations.
fn attach_citations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['.', '!', '?']) {
        let (head, tail) = rest.split_at(i);
        let punct = &tail[..1];
        let after = &tail[1..];
        let trimmed = after.trim_start();
        if trimmed.starts_with('[')
            && let Some(close) = trimmed.find(']')
            && trimmed[1..close]
                .split(',')
                .all(|n| n.trim().parse::<usize>().is_ok())
        {
            out.push_str(head);
            out.push(' ');
            out.push_str(&trimmed[..=close]);
            out.push_str(punct);
            rest = &trimmed[close + 1..];
            continue;
        }
        out.push_str(head);
        out.push_str(punct);
        rest = after;
    }
    out.push_str(rest);
    out
}

fn citation(n: usize, h: Hit, text: String) -> Citation {
    Citation {
        n,
        doc_id: h.doc_id,
        path: h.path,
        title: h.title,
        page: h.page,
        section: h.section,
        text,
        score: h.score,
        keyword_score: h.keyword_score,
        vector_score: h.vector_score,
    }
}

/// The passages of the top hits, best first, while their tokens fit the budget; the last one
/// is cut at a sentence end when only part of it fits.
fn fit_passages(
    asker: Asker<'_>,
    hits: impl Iterator<Item = Hit>,
    access: &Access,
) -> Result<Vec<Passage>, ApiError> {
    let mut left = asker.options.passage_tokens;
    let mut out = Vec::new();
    for hit in hits {
        let Some(full) = asker.index.passage_text(hit.chunk_id, access)? else {
            continue;
        };
        let count = |s: &str| asker.generator.count_tokens(s).map_err(ApiError::internal);
        let tokens = count(&full)?;
        let text = if tokens <= left {
            left -= tokens;
            full
        } else {
            // the first passage is always used, cut to the budget
            let mut kept = String::new();
            let mut used = 0;
            for s in text::sentences(&full) {
                let t = count(&s)? + 1;
                if used + t > left {
                    break;
                }
                used += t;
                if !kept.is_empty() {
                    kept.push(' ');
                }
                kept.push_str(&s);
            }
            if kept.is_empty() && !out.is_empty() {
                break;
            }
            if kept.is_empty() {
                kept = full.chars().take(left * 3).collect();
            }
            left = left.saturating_sub(used);
            kept
        };
        out.push(Passage { hit, text });
        if left < 40 {
            break;
        }
    }
    Ok(out)
}

fn prompt(question: &str, passages: &[Passage]) -> Vec<ChatMessage> {
    let mut sources = String::new();
    for (i, p) in passages.iter().enumerate() {
        let mut title = p.hit.title.clone();
        if let Some(s) = p.hit.section.as_deref().filter(|s| !s.is_empty()) {
            title.push_str(" — ");
            title.push_str(s);
        }
        sources.push_str(&format!("[{}] {}\n{}\n\n", i + 1, title, p.text.trim()));
    }
    vec![
        ChatMessage::new(Role::System, SYSTEM_PROMPT),
        ChatMessage::new(
            Role::User,
            format!("Sources:\n{sources}Question: {question}"),
        ),
    ]
}

/// The extractive answer over the prompt's passages, sentences scored by shared words and by
/// their embedding's similarity to the question.
fn extractive(
    embedder: &dyn Embedder,
    query_vector: &[f32],
    question: &str,
    passages: &[String],
) -> Result<(String, Vec<usize>), ApiError> {
    let candidates = text::candidates(passages);
    let refs: Vec<&str> = candidates.iter().map(|c| c.text.as_str()).collect();
    let semantic: Vec<f32> = if refs.is_empty() {
        Vec::new()
    } else {
        embedder
            .embed_passages(&refs)?
            .iter()
            .map(|v| v.iter().zip(query_vector).map(|(a, b)| a * b).sum())
            .collect()
    };
    let scores = text::score_candidates(question, &candidates, Some(&semantic));
    let (answer, used) = text::extractive_answer(&candidates, &scores);
    tracing::debug!(candidates = candidates.len(), ?scores, "extractive answer");
    if answer.is_empty() {
        // no sentence-like text (a table, a list of links): quote the best passage's start
        let Some(first) = passages.first() else {
            return Ok((NOT_FOUND.to_string(), Vec::new()));
        };
        let quote: String = first.chars().take(300).collect();
        return Ok((format!("{} [1]", quote.trim()), vec![1]));
    }
    Ok((answer, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_after_the_period_move_before_it() {
        assert_eq!(
            attach_citations("It is 25 days. [1] Then more. [2, 3]"),
            "It is 25 days [1]. Then more [2, 3]."
        );
        assert_eq!(
            attach_citations("See [the policy]. Yes."),
            "See [the policy]. Yes."
        );
    }

    #[test]
    fn questions_are_validated() {
        assert_eq!(validate_question("  ").unwrap_err().code, "empty_question");
        let long = "a".repeat(50_000);
        let err = validate_question(&long).unwrap_err();
        assert_eq!(err.code, "question_too_long");
        assert!(err.message.contains("50000"), "{}", err.message);
        assert!(validate_question("How many days of leave?").is_ok());
    }
}
