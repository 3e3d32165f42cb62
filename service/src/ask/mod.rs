//! Grounded answers (`trawl ask`, `POST /api/ask`): retrieve with the asker's permissions,
//! find the sentence that answers, let the model phrase it, guard every generated sentence,
//! and fall back to that sentence verbatim when the model cannot be trusted.
//!
//! The pipeline, and why:
//! - Retrieval is the hybrid search with the caller's [`Access`]: a passage the asker may not
//!   see never reaches the prompt, so it cannot leak into an answer.
//! - When the best passage's cosine similarity to the question is below
//!   [`AskOptions::min_relevance`] (calibrated on `corpora/eval`, see README), nothing is
//!   generated: the answer says nothing relevant was found and lists the closest documents.
//! - The top passages are split into candidate sentences, list items and table rows, each
//!   embedded and scored against the question (`select`): search finds the document, selection
//!   finds the sentence. When the best sentence scores below [`AskOptions::min_support`], or
//!   the question wants a figure ("how many weeks") that no candidate states, or an open
//!   question asks for a thing ("which VPN client") the chosen sentence does not name, the
//!   corpus does not say: the answer says so and quotes the closest sentence, and nothing is
//!   generated.
//! - The model sees only the selected sentences, not whole passages: a 135M model copies one
//!   sentence reliably and has little else to get wrong, and the prompt is short (time to first
//!   token on CPU is dominated by prompt processing).
//! - Generated text is shown sentence by sentence, each only after `guard` found its figures
//!   and quotations in the selected sentences it cites, it adds no content word the sources
//!   and question lack, it keeps the sources' negations, and (for a figure question) it states
//!   the figure. A sentence that fails, a loop, or a model that declines to answer ends
//!   generation; the answer is then the selected sentence itself, verbatim, with its citation,
//!   and the response says so (`fallback`).

mod guard;
mod select;
mod text;

pub use text::without_citations;

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use trawl_embedder::Embedder;
use trawl_generator::{ChatMessage, Flow, GenerateParams, Generator, Role};
use trawl_search::{Access, Fusion, Hit, Mode, SearchRequest};

use crate::Error;

/// Longest question accepted, in characters.
pub const MAX_QUESTION_CHARS: usize = 2000;

/// Most documents an answer draws passages from.
pub const MAX_ASK_K: usize = 10;
/// What the answer says when retrieval found nothing relevant.
pub const NOT_FOUND: &str = "I couldn't find this in the documents you can access.";
/// What the answer starts with when relevant documents were found but none says what the
/// question asks; the closest sentence follows.
pub const NOT_COVERED: &str = "The documents you can access don't say this.";

/// Openings with which a model talks about its sources instead of answering ("The source is:
/// \[5\] Voluntary Leave Transfer Program: Have …"); the selected sentence reads better.
const ABOUT_THE_SOURCES: &[&str] = &[
    "the source",
    "the passage",
    "the text",
    "the document",
    "the selected sentence",
    "according to",
    "source:",
    "sources:",
];

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
Answer in one short sentence that reuses the words of the source. Copy numbers, dates and amounts exactly as the source writes them. \
End the sentence with its source number in brackets, like [1].";

/// Request body of `POST /api/ask`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskParams {
    /// The question: not blank, at most 2000 characters.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub question: String,
    /// Documents to draw passages from (default 4): 1 to 10.
    #[serde(default, deserialize_with = "crate::api::count::deserialize")]
    #[schema(minimum = 1, maximum = 10)]
    pub k: Option<usize>,
    /// `false` for one JSON response instead of a server-sent event stream (HTTP only).
    #[serde(default)]
    pub stream: Option<bool>,
}

impl AskParams {
    /// Checks the request before any work: the question (see [`validate_question`]) and `k`
    /// within 1 to [`MAX_ASK_K`].
    pub fn validate(&self) -> Result<(), Error> {
        validate_question(&self.question)?;
        match self.k {
            Some(k) if !(1..=MAX_ASK_K).contains(&k) => Err(Error::invalid(
                "invalid_k",
                format!("k is {k}; ask draws from 1 to {MAX_ASK_K} documents"),
            )),
            _ => Ok(()),
        }
    }

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
    /// Most candidate sentences scored (embedded) per question, taken from the best passages
    /// first.
    pub max_candidates: usize,
    /// Most tokens the model may generate.
    pub max_answer_tokens: usize,
    /// Most generated sentences kept.
    pub max_sentences: usize,
    /// Below this cosine similarity between the question and the best passage, the answer is
    /// "not found". Calibrated on `corpora/eval` (see README).
    pub min_relevance: f32,
    /// Below this score of the best candidate sentence (see `select`), the answer is "not
    /// covered". Calibrated on `corpora/eval/answers.jsonl` (see README).
    pub min_support: f32,
    /// How the search for passages combines its arms (`[search] fusion` of trawl.toml).
    pub fusion: Fusion,
}

impl Default for AskOptions {
    fn default() -> Self {
        Self {
            max_candidates: 48,
            max_answer_tokens: 64,
            max_sentences: 2,
            min_relevance: DEFAULT_MIN_RELEVANCE,
            min_support: DEFAULT_MIN_SUPPORT,
            fusion: Fusion::default(),
        }
    }
}

/// Below this cosine nothing is relevant enough to read. It was 0.45, the best split of the
/// cosine alone on `corpora/eval`; since the second signal ([`DEFAULT_MIN_SUPPORT`]) refuses
/// what the documents do not say, the cosine only has to rule out what they are not about. On
/// the three blind question sets, 6 of 90 answerable questions fell below 0.45 and 1 of 40
/// unanswerable ones; at 0.35 one more is answered right and every unanswerable question that
/// was refused still is, on all four sets (0.30 refused the same ones; README).
pub const DEFAULT_MIN_RELEVANCE: f32 = 0.35;

/// Calibrated on `corpora/eval/answers.jsonl` (see README): below this value of the best
/// candidate sentence's score plus [`RELEVANCE_WEIGHT`] times the best passage's cosine, the
/// corpus is taken not to answer. At 1.74, 5 more of 22 unanswerable questions were refused
/// than by the cosine threshold alone, and no answerable question answered right.
pub const DEFAULT_MIN_SUPPORT: f32 = 1.74;

/// Weight of the best passage's cosine in the "not covered" test (see [`DEFAULT_MIN_SUPPORT`]).
pub const RELEVANCE_WEIGHT: f32 = 1.5;

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
    /// From the request to the first text shown (the selected sentences, quoted).
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
    /// How well the best candidate sentence answers the question (its selection score): the
    /// second refusal signal (absent when no sentence was scored).
    #[serde(default)]
    pub support: Option<f32>,
    /// True when the answer is the quoted sentences: the guard rejected the model's wording.
    pub fallback: bool,
    /// Why the model's wording was not kept (the guard's finding, a loop, the model
    /// declining, …).
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
    /// Replace everything shown so far with this (the model's wording of the quoted
    /// sentences, which passed the guard).
    Replace(&'a str),
}

/// What the caller is asking with: the index to search, the query embedder, the generator.
#[derive(Clone, Copy)]
pub struct Asker<'a> {
    /// Where the passages are: an embedded index or a cluster.
    pub store: crate::Store<'a>,
    /// The query embedder (same model as the index).
    pub embedder: &'a dyn Embedder,
    /// The generator.
    pub generator: &'a dyn Generator,
    /// Pipeline settings.
    pub options: &'a AskOptions,
}

/// Checks a question before any work: not empty, not too long.
pub fn validate_question(question: &str) -> Result<(), Error> {
    if question.trim().is_empty() {
        return Err(Error::invalid("empty_question", "the question is empty"));
    }
    let n = question.chars().count();
    if n > MAX_QUESTION_CHARS {
        return Err(Error::invalid(
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
) -> Result<AskResponse, Error> {
    let started = Instant::now();
    let question = params.question.trim().to_string();
    validate_question(&question)?;
    asker.store.check_model(asker.embedder.info())?;
    let k = params.k.unwrap_or(4).clamp(1, MAX_ASK_K);

    let query_vector = asker.embedder.embed_query(&question)?;
    let mut req = SearchRequest::new(question.clone());
    req.mode = Mode::Hybrid;
    // more than `k`: a passage that repeats one above it (the same message in a mailbox and
    // as a file) is skipped, and the next one read in its place
    req.k = (2 * k).max(5);
    req.access = access.clone();
    req.fusion = asker.options.fusion;
    let hits = asker.store.search(&req, || Ok(query_vector.clone()))?;
    let mut timings = AskTimings {
        retrieval_ms: ms_since(started),
        ..AskTimings::default()
    };
    let best = best_relevance(&hits);
    let mut response = AskResponse::new(&question, asker.generator.info().name.clone(), best);
    let focus = select::focus(&question);
    // a header line ("What is Tom Becker's email address?") is looked up by the names the
    // question gives, which the passages must share; neither its cosine nor its sentence
    // score says much, so neither threshold below applies to it
    let lookup = matches!(focus, select::Focus::Header(_));
    if best.is_none_or(|b| b < asker.options.min_relevance && !lookup) {
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
        return Ok(refusal(response, timings, started, on_event));
    }

    let mut passages = read_passages(asker, hits.into_iter(), access)?;
    drop_repeats(&mut passages, k, |p| &p.text);
    more_of_the_top_document(asker, &question, &mut passages, &query_vector, access)?;
    let names = select::names(&question);
    let mut naming = passages_naming(asker, &names, &passages, access)?;
    let asked_names = select::asked_names(&question);
    if !naming.iter().any(|&n| n) && asked_names.len() < names.len() {
        // no document names the asker's own situation ("I flew from Denver…"): what the
        // asked sentence names is enough
        naming = passages_naming(asker, &asked_names, &passages, access)?;
    }
    let kind_names = select::kind_names(&question);
    if !naming.iter().any(|&n| n) && !kind_names.is_empty() {
        // "Which Slack channel…?": the name says what kind of thing is asked, and the page
        // that answers may write only the thing ("Use #bug-bounty-partners…")
        let rest: Vec<String> = asked_names
            .iter()
            .filter(|n| !kind_names.contains(n))
            .cloned()
            .collect();
        naming = passages_naming(asker, &rest, &passages, access)?;
    }
    if !naming.iter().any(|&n| n) {
        the_named_document(asker, &question, &mut passages, &query_vector, access)?;
        // what it added is from the document it found naming them all
        naming.resize(passages.len(), true);
    }
    let (units, selection) =
        select_answer(asker, &question, &focus, &query_vector, &passages, &naming)?;
    response.support = selection.as_ref().map(|s| s.support);
    // every passage the answer quotes is from a document that names what the question names
    let names_found = selection
        .as_ref()
        .is_some_and(|s| s.picked.iter().all(|&i| naming[units[i].passage - 1]));
    // the best sentence's score and the best passage's cosine together: either alone
    // separates answerable from unanswerable questions worse (README). A header line the
    // question asks for is looked up (above): its names must still be shared.
    let combined = selection
        .as_ref()
        .map(|s| s.support + RELEVANCE_WEIGHT * best.unwrap_or(0.0));
    tracing::debug!(?combined, ?naming, "refusal signals");
    let selection = match selection {
        Some(s)
            if (combined.is_some_and(|c| c >= asker.options.min_support) || lookup)
                && s.focus_found
                && names_found =>
        {
            s
        }
        other => {
            // relevant documents, but no sentence says what the question asks
            let closest_unit = other
                .as_ref()
                .and_then(|s| s.picked.first())
                .map(|&i| &units[i]);
            not_covered(&mut response, closest_unit, passages);
            return Ok(refusal(response, timings, started, on_event));
        }
    };
    // the selected sentences are the answer unless the model's wording of them passes the
    // guard, which most wordings do not: they are shown at once, and the wording replaces
    // them only once it has passed, so the asker never waits on generation for the quote
    let quoted = select::quote(&units, &selection);
    if on_event(AskEvent::Text(&quoted.0)) == Flow::Stop {
        return Err(Error::Cancelled);
    }
    timings.first_text_ms = Some(ms_since(started));
    let grounds = Grounds::new(&question, &passages, &units, &selection);
    let messages = prompt(&question, &passages, &grounds.texts);
    let generated = generate(asker, &messages, &grounds, started, on_event)?;
    let g = &generated.generation;
    timings.prompt_tokens = g.prompt_tokens;
    timings.reused_prompt_tokens = g.reused_prompt_tokens;
    timings.queue_ms = g.queue_wait.as_secs_f64() * 1e3;
    timings.prefill_ms = g.prefill.as_secs_f64() * 1e3;
    timings.first_token_ms = generated.first_token;
    timings.generated_tokens = g.generated_tokens;
    timings.tokens_per_s = g.tokens_per_second();
    response.generated = Some(generated.raw.trim().to_string());
    settle(&mut response, generated, quoted, passages, on_event)?;
    timings.total_ms = ms_since(started);
    response.timings = timings;
    Ok(response)
}

/// The answer and its citations: the model's sentences when the guard accepted them all,
/// shown in place of the quoted ones; otherwise the quoted sentences already shown.
fn settle(
    response: &mut AskResponse,
    generated: Generated,
    quoted: (String, Vec<usize>),
    passages: Vec<Passage>,
    on_event: &mut dyn FnMut(AskEvent<'_>) -> Flow,
) -> Result<(), Error> {
    let (answer, used) = match generated.rejection {
        None => {
            let worded = generated.judged.accepted.join(" ");
            if worded != quoted.0 && on_event(AskEvent::Replace(&worded)) == Flow::Stop {
                return Err(Error::Cancelled);
            }
            (worded, generated.judged.cited.into_iter().collect())
        }
        Some(reason) => {
            tracing::info!(%reason, "generated answer rejected; the quoted sentences stay");
            response.fallback = true;
            response.fallback_reason = Some(reason);
            quoted
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
    Ok(())
}

impl AskResponse {
    /// A response with nothing answered yet.
    fn new(question: &str, model: String, relevance: Option<f32>) -> Self {
        Self {
            question: question.to_owned(),
            answer: String::new(),
            grounded: false,
            refused: false,
            relevance,
            support: None,
            fallback: false,
            fallback_reason: None,
            generated: None,
            citations: Vec::new(),
            closest: Vec::new(),
            model,
            timings: AskTimings::default(),
        }
    }
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// A refusal's answer shown, its timings set.
fn refusal(
    mut response: AskResponse,
    mut timings: AskTimings,
    started: Instant,
    on_event: &mut dyn FnMut(AskEvent<'_>) -> Flow,
) -> AskResponse {
    timings.first_text_ms = Some(ms_since(started));
    let _ = on_event(AskEvent::Text(&response.answer));
    timings.total_ms = ms_since(started);
    response.timings = timings;
    response
}

/// The refusal when relevant passages state nothing the question asks: the closest sentence
/// quoted, its passage first among the closest.
fn not_covered(
    response: &mut AskResponse,
    closest_unit: Option<&select::Unit>,
    passages: Vec<Passage>,
) {
    response.refused = true;
    response.answer = match closest_unit {
        Some(u) => {
            let title = &passages[u.passage - 1].hit.title;
            format!("{NOT_COVERED} The closest is in “{title}”: “{}”", u.text)
        }
        None => NOT_COVERED.to_string(),
    };
    let first = closest_unit.map_or(1, |u| u.passage);
    let mut order: Vec<usize> = (1..=passages.len()).collect();
    order.sort_by_key(|&n| n != first);
    let mut by_n: Vec<Option<Passage>> = passages.into_iter().map(Some).collect();
    response.closest = order
        .into_iter()
        .take(3)
        .enumerate()
        .filter_map(|(i, n)| {
            let p = by_n.get_mut(n - 1)?.take()?;
            Some(citation(i + 1, p.hit, p.text))
        })
        .collect();
}

/// The passages' sentences (and list items, table rows), read for the question's `focus` and
/// scored against the question, and the answer sentences selected among them, if any.
fn select_answer(
    asker: Asker<'_>,
    question: &str,
    focus: &select::Focus,
    query_vector: &[f32],
    passages: &[Passage],
    naming: &[bool],
) -> Result<(Vec<select::Unit>, Option<select::Selection>), Error> {
    let full_texts: Vec<String> = passages.iter().map(|p| p.text.clone()).collect();
    let sections: Vec<Option<String>> = passages.iter().map(|p| p.hit.section.clone()).collect();
    let cosines: Vec<f32> = passages
        .iter()
        .map(|p| p.hit.vector_score.unwrap_or(0.0))
        .collect();
    let mut units = select::units(&full_texts, &sections, &cosines, focus);
    units.truncate(asker.options.max_candidates);
    if select::asks_when_written(question) {
        // a message's sentence says when it was written only with its header's date
        for u in &mut units {
            u.text = u.dated();
        }
    } else if let select::Focus::Person(names) = focus {
        // "Who passed Tom's question on to Legal?": "Forwarding Tom's question…" names no one,
        // its writer is the answer — unless the question names the writer ("Who did Bob ask…?");
        // so is it, whoever the sentence names, when the question asks who wrote it
        let who_wrote = select::asks_who_wrote(question);
        for u in &mut units {
            let named = u.written.as_ref().is_some_and(|w| {
                let by = w.by.to_lowercase();
                names.iter().any(|n| select::mentions(&by, n))
            });
            if !named && (who_wrote || !select::states_focus(focus, &u.text)) {
                u.text = u.dated();
            }
        }
    }
    let semantic = embed_units(asker.embedder, query_vector, &units)?;
    let mut scores = select::score(question, &units, &semantic);
    select::only_from_naming(&units, &mut scores, naming);
    let selection = select::select(question, &units, &scores);
    if tracing::enabled!(tracing::Level::TRACE) {
        let features = select::features(question, &units, &semantic);
        tracing::trace!(%question, "candidates of");
        for ((u, f), (score, cos)) in units
            .iter()
            .zip(&features)
            .zip(scores.iter().zip(&semantic))
        {
            let doc = &passages[u.passage - 1].hit.path;
            tracing::trace!(passage = u.passage, %doc, score, cos, features = ?f, text = %u.text, "candidate");
        }
    }
    tracing::debug!(
        units = units.len(),
        support = selection.as_ref().map(|s| s.support),
        focus_found = selection.as_ref().map(|s| s.focus_found),
        "answer selection"
    );
    Ok((units, selection))
}

/// What the model sees and the guard checks its sentences against: the selected units, by
/// passage; the passages they are from; the words an answer may use (those of the selected
/// sentences, the selected passages' titles and sections, and the question's where the
/// selected passages use them); what the
/// question asks for.
struct Grounds<'q> {
    question: &'q str,
    texts: Vec<String>,
    selected: std::collections::BTreeSet<usize>,
    allowed_words: std::collections::HashSet<String>,
    focus: select::Focus,
    /// When the selected messages were written, as the answer must say it, if the question
    /// asks when a message was written ("Monday" for "on what day of the week did Maria send
    /// …", "18 March 2024" otherwise): a date in the message's text is another event's ("the
    /// policy takes effect on 1 April 2024").
    written_on: Vec<String>,
}

impl<'q> Grounds<'q> {
    fn new(
        question: &'q str,
        passages: &[Passage],
        units: &[select::Unit],
        selection: &select::Selection,
    ) -> Self {
        let mut texts: Vec<String> = vec![String::new(); passages.len()];
        for &i in &selection.picked {
            let u = &units[i];
            let t = &mut texts[u.passage - 1];
            if !t.is_empty() {
                t.push(' ');
            }
            t.push_str(&u.text);
        }
        let selected: std::collections::BTreeSet<usize> =
            selection.picked.iter().map(|&i| units[i].passage).collect();
        // the question's words may be used only where the cited passages use them too: "sick
        // leave for bereavement" must not become "sick leave for contractors"
        let passage_words: std::collections::HashSet<String> = selected
            .iter()
            .flat_map(|&n| {
                let p = &passages[n - 1];
                text::content_words(&format!("{} {}", p.hit.title, p.text))
            })
            .collect();
        let allowed_words = texts
            .iter()
            .map(String::as_str)
            .flat_map(text::content_words)
            .chain(
                text::content_words(question)
                    .into_iter()
                    .filter(|w| passage_words.contains(w)),
            )
            .chain(selected.iter().flat_map(|&n| {
                let hit = &passages[n - 1].hit;
                text::content_words(&format!(
                    "{} {}",
                    hit.title,
                    hit.section.as_deref().unwrap_or("")
                ))
            }))
            .collect();
        let written_on = if select::asks_when_written(question) {
            let weekday = asks_weekday(question);
            selection
                .picked
                .iter()
                .filter_map(|&i| units[i].written.as_ref())
                .filter_map(|w| written_day(&w.on, weekday))
                .collect()
        } else {
            Vec::new()
        };
        Self {
            question,
            texts,
            selected,
            allowed_words,
            focus: select::focus(question),
            written_on,
        }
    }

    /// Checks one generated sentence, the sentences `accepted` before it given: the sentence
    /// with its citations, or why it may not be shown.
    fn check(&self, sentence: &str, accepted: &[String]) -> Result<guard::Checked, String> {
        let lower = sentence.to_lowercase();
        if DECLINES.iter().any(|d| lower.contains(d)) {
            return Err("the model said the sources do not answer the question".into());
        }
        if describes_sources(&lower) {
            return Err("the model described its sources instead of answering".into());
        }
        if text::repeats(sentence, accepted) {
            return Err("the model started repeating itself".into());
        }
        let checked = guard::check_sentence(sentence, &self.texts).map_err(|r| r.to_string())?;
        let sources = self.texts.concat();
        if let Some(n) = checked.cites.iter().find(|n| !self.selected.contains(n)) {
            return Err(format!("cites [{n}], which does not state the answer"));
        }
        let plain = guard::split_citations(&checked.text).0;
        // "Yes" and "No" are claims no sentence of the sources states
        let first_word = text::words(&plain).into_iter().next().unwrap_or_default();
        if first_word == "yes" || first_word == "no" {
            return Err(format!(
                "the model answered {first_word:?}, which no source says"
            ));
        }
        // a sentence that restates none of the selected sentence ("The answer is: [2]") says
        // nothing the guard can check
        if !guard::restates(&plain, &sources, self.question) {
            return Err("the answer restates none of the selected sentence".into());
        }
        if let Some(word) = guard::added_word(&plain, &self.allowed_words) {
            return Err(format!("{word:?} is not in the selected sentences"));
        }
        if let Some(name) = guard::added_name(&plain, &self.allowed_words) {
            return Err(format!(
                "the name {name:?} is not in the selected sentences"
            ));
        }
        if let Some(word) = guard::changed_polarity(&plain, &sources) {
            return Err(format!("the negation {word:?} differs from the sources"));
        }
        if let Some(name) = guard::swapped_role(&plain, self.question, &sources) {
            return Err(format!(
                "the answer makes {name:?} the one who acts, which the sources do not say"
            ));
        }
        if let Some(count) = dropped_qualifier(&plain, &sources) {
            return Err(format!(
                "the answer drops what the sources say of {count:?} (\"business\", \"calendar\", …)"
            ));
        }
        if let Some(n) = dropped_limit(&plain, &sources) {
            return Err(format!(
                "the answer drops the limit the sources put on {n:?} (\"up to\", \"over\", …)"
            ));
        }
        // a fluent sentence about something else passes the figure check; the first sentence
        // must state what the question asks for ("12 weeks" for "how many weeks")
        if accepted.is_empty() && !select::states_focus(&self.focus, &plain) {
            return Err("the answer does not give what the question asks for".into());
        }
        let plain_lower = plain.to_lowercase();
        if accepted.is_empty()
            && !self.written_on.is_empty()
            && !self
                .written_on
                .iter()
                .any(|d| plain_lower.contains(&d.to_lowercase()))
        {
            return Err("the answer leaves out when the message was written".into());
        }
        // nor may it leave out every figure the selected sentences give beyond the question's
        if accepted.is_empty()
            && let Some(n) = guard::dropped_figure(&plain, self.question, &self.texts.join(" "))
        {
            return Err(format!(
                "the answer leaves out the figure {n:?} the sources give"
            ));
        }
        Ok(checked)
    }
}

/// Whether a question asks for a day of the week ("On what day of the week…", "which
/// weekday…").
fn asks_weekday(question: &str) -> bool {
    let lower = question.to_lowercase();
    lower.contains("day of the week") || lower.contains("weekday")
}

/// What an answer must say of the day a message was written (`on` as
/// [`select::Written`] gives it, "Monday, 18 March 2024 at 09:15"): the weekday when it is
/// asked for, else the date; `None` when `on` has no such part.
fn written_day(on: &str, weekday: bool) -> Option<String> {
    let day = on.split(" at ").next().unwrap_or(on);
    let (name, date) = match day.split_once(", ") {
        Some((name, date)) if name.chars().all(char::is_alphabetic) => (Some(name), date),
        _ => (None, day),
    };
    let part = if weekday { name? } else { date };
    (!part.trim().is_empty()).then(|| part.trim().to_string())
}

/// The model's sentences the guard accepted so far and the passages they cite.
#[derive(Default)]
struct Judged {
    accepted: Vec<String>,
    cited: std::collections::BTreeSet<usize>,
}

impl Judged {
    /// Judges `sentence` and keeps it when the guard accepts it; `Err` with the guard's
    /// reason when it rejects it.
    fn judge(&mut self, sentence: &str, grounds: &Grounds<'_>) -> Result<(), String> {
        let checked = grounds.check(sentence, &self.accepted)?;
        self.cited.extend(checked.cites.iter().copied());
        self.accepted.push(checked.text);
        Ok(())
    }
}

/// What generation left: the raw text, the sentences accepted, why the rest was rejected (if
/// it was), when the first token came, the generator's figures.
struct Generated {
    raw: String,
    judged: Judged,
    rejection: Option<String>,
    first_token: Option<f64>,
    generation: trawl_generator::Generation,
}

/// Generates the model's wording, judging each sentence as it is completed and stopping at
/// the first the guard rejects; `cancelled` when the client goes away.
fn generate(
    asker: Asker<'_>,
    messages: &[ChatMessage],
    grounds: &Grounds<'_>,
    started: Instant,
    on_event: &mut dyn FnMut(AskEvent<'_>) -> Flow,
) -> Result<Generated, Error> {
    let mut raw = String::new();
    let mut done = 0; // sentences of `raw` already judged
    let mut judged = Judged::default();
    let mut rejection: Option<String> = None;
    let mut client_gone = false;
    let mut first_token = None;
    let max_sentences = asker.options.max_sentences;
    let gen_params = GenerateParams {
        max_tokens: asker.options.max_answer_tokens,
        stop: vec!["\nQuestion:".into(), "\nSources:".into()],
        repeat_penalty: 1.1,
        ..GenerateParams::default()
    };
    let generation = asker
        .generator
        .generate(messages, &gen_params, &mut |token| {
            first_token.get_or_insert_with(|| ms_since(started));
            if on_event(AskEvent::Progress) == Flow::Stop {
                client_gone = true;
                return Flow::Stop;
            }
            raw.push_str(token);
            let sentences = text::sentences(&attach_citations(&raw));
            while done + 1 < sentences.len() {
                let sentence = &sentences[done];
                done += 1;
                match judged.judge(sentence, grounds) {
                    Ok(()) => {}
                    Err(reason) => {
                        rejection = Some(reason);
                        return Flow::Stop;
                    }
                }
                if judged.accepted.len() >= max_sentences {
                    return Flow::Stop;
                }
            }
            Flow::Continue
        });
    let generation = generation.map_err(Error::from)?;
    if client_gone {
        return Err(Error::Cancelled);
    }
    // the last sentence: judged unless the token budget cut it off after a complete one
    if rejection.is_none() && judged.accepted.len() < max_sentences {
        let sentences = text::sentences(&attach_citations(&raw));
        let cut_off = generation.finish == trawl_generator::FinishReason::MaxTokens;
        for sentence in sentences.iter().skip(done) {
            if cut_off && !judged.accepted.is_empty() {
                break;
            }
            match judged.judge(sentence, grounds) {
                Ok(()) => {}
                Err(reason) => {
                    rejection = Some(reason);
                    break;
                }
            }
        }
    }
    if rejection.is_none() && judged.accepted.is_empty() {
        rejection = Some("the model generated no answer".into());
    }
    Ok(Generated {
        raw,
        judged,
        rejection,
        first_token,
        generation,
    })
}

/// For each passage, whether it or the rest of its document names everything the question
/// names ([`select::absent_from`]): looked for first in the passage with its title, path and
/// headings, then in the whole document and its author. A contract names its parties in its
/// preamble and a message its sender in its header, not in the clause or the line that
/// answers; a document about another vendor still does not answer a question about
/// Northwind.
fn passages_naming(
    asker: Asker<'_>,
    names: &[String],
    passages: &[Passage],
    access: &Access,
) -> Result<Vec<bool>, Error> {
    let mut documents: HashMap<String, String> = HashMap::new();
    // a message and its attachments are one file: "Ana Costa forwarded Tom Becker's question"
    // is named by the forward (hers) with the message it attaches (his)
    let family = |p: &Passage| {
        p.hit
            .meta
            .parent_id
            .as_ref()
            .unwrap_or(&p.hit.doc_id)
            .clone()
    };
    let mut naming = Vec::with_capacity(passages.len());
    for p in passages {
        // the headings it stands under name what it is about ("… › CART (Captioning)")
        let section = p.hit.section.as_deref().unwrap_or_default();
        let source = format!("{} {} {section} {}", p.hit.path, p.hit.title, p.text);
        let mut absent = select::absent_from(names, &source);
        absent.retain(|name| !select::glued_in_file_name(&p.hit.path, name));
        if absent.is_empty() {
            naming.push(true);
            continue;
        }
        let root = family(p);
        let mut members = vec![root.clone()];
        for q in passages.iter().filter(|q| family(q) == root) {
            if !members.contains(&q.hit.doc_id) {
                members.push(q.hit.doc_id.clone());
            }
        }
        let mut file = String::new();
        for id in members {
            if !documents.contains_key(&id) {
                let text = whole_document(asker, &id, access)?;
                documents.insert(id.clone(), text);
            }
            file.push_str(&documents[&id]);
        }
        naming.push(
            absent
                .iter()
                .all(|name| select::mentions(&file, &name.to_lowercase())),
        );
    }
    Ok(naming)
}

/// A document's author and text, lower-cased (empty when it is gone or not `access`ible).
fn whole_document(asker: Asker<'_>, doc_id: &str, access: &Access) -> Result<String, Error> {
    let mut whole = String::new();
    if let Some(doc) = asker.store.document(doc_id, access)? {
        if let Some(author) = &doc.meta.author {
            whole.push_str(author);
            whole.push('\n');
        }
        for chunk in doc.chunks {
            whole.push_str(&chunk.text);
            whole.push('\n');
        }
    }
    Ok(whole.to_lowercase())
}

/// How many documents a keyword search for the question's names offers when no passage read
/// is from a document that names them.
const NAMED_CANDIDATES: usize = 5;

/// When no passage read is from a document that names what the question names ("Under the
/// Excite sponsorship agreement with NetGrocer, how long…"), finds the document that does and
/// adds its passages that best match the question ([`more_of`]). Search ranks passages, and
/// the clause asked about ("…fails to cure such breach within sixty (60) days…") may not name
/// the parties, which its contract names elsewhere; a question about a name no document has
/// still gets none. Every passage added is from that document.
fn the_named_document(
    asker: Asker<'_>,
    question: &str,
    passages: &mut Vec<Passage>,
    query_vector: &[f32],
    access: &Access,
) -> Result<(), Error> {
    let names = select::asked_names(question);
    if names.is_empty() {
        return Ok(());
    }
    let mut req = SearchRequest::new(names.join(" "));
    req.mode = Mode::Keyword;
    req.k = NAMED_CANDIDATES;
    req.access = access.clone();
    let read: std::collections::HashSet<String> =
        passages.iter().map(|p| p.hit.doc_id.clone()).collect();
    for hit in asker.store.search(&req, || Ok(Vec::new()))? {
        if read.contains(&hit.doc_id) {
            continue;
        }
        let probe = Passage {
            hit: hit.clone(),
            text: String::new(),
        };
        if passages_naming(asker, &names, std::slice::from_ref(&probe), access)? == [true] {
            return more_of(asker, question, &hit, passages, query_vector, access);
        }
    }
    Ok(())
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

/// The passages of the top hits, best first (those the asker may not see are skipped).
fn read_passages(
    asker: Asker<'_>,
    hits: impl Iterator<Item = Hit>,
    access: &Access,
) -> Result<Vec<Passage>, Error> {
    let hits: Vec<Hit> = hits.collect();
    let texts = asker.store.passage_texts(&hits, access)?;
    Ok(hits
        .into_iter()
        .zip(texts)
        .filter_map(|(hit, text)| Some(Passage { hit, text: text? }))
        .collect())
}

/// Keeps the first `k` passages whose text no passage above them already has (compared
/// without case and spacing). The same e-mail is often indexed twice or three times (the
/// message, its copy in a mailbox, a forward that attaches it), and each copy took one of
/// the few passages the answer is picked from: the policy a message attaches was the fifth
/// hit behind two copies of the message and two of its reply.
fn drop_repeats<T>(passages: &mut Vec<T>, k: usize, text: impl Fn(&T) -> &str) {
    let mut seen = HashSet::new();
    passages.retain(|p| {
        let key: String = text(p)
            .split_whitespace()
            .flat_map(|w| w.chars().flat_map(char::to_lowercase).chain([' ']))
            .collect();
        seen.insert(key)
    });
    passages.truncate(k);
}

/// Other passages of the best document that join the candidates.
const MORE_OF_THE_TOP_DOCUMENT: usize = 2;

/// How many of the top document's passages nearest to the question are weighed for them: all
/// of them in any but a book-length document (a contract states its term or governing law in
/// one clause among dozens, whatever its cosine).
const MORE_CANDIDATES: usize = 400;

/// Weight of the share of the question's content words a passage contains, next to its
/// cosine (the same weight a sentence's words get when the answer is picked).
const MORE_LEXICAL: f32 = 0.35;

/// Weight of the share of the question's pairs of adjacent content words ([`text::word_pairs`])
/// a passage holds, each weighted by how few of the document's passages hold it. "What is the
/// initial term of the sponsorship agreement…": the passage with "10.1 Initial Term. The
/// initial term of this Agreement shall be four (4) Processing Years…" is mostly about
/// remedies (cosine 0.41 against 0.70 for the preamble) and was sixth of the contract's
/// passages; with 0.3 it is second, and read. 0.2 left it fourth; 0.3 changed no other answer
/// on the development and blind sets, 0.5 lost one (a governing-law clause pushed out by a
/// passage that repeats the parties' joint-venture words; README).
const MORE_PAIRS: f32 = 0.3;

/// What a passage that states what the question asks for ([`select::states_focus`]: a
/// length of time for "what is the initial term", a state's law for "which law governs")
/// gains over one that does not.
const MORE_FOCUS: f32 = 0.1;

/// Adds the passages of the top document (the first with something to quote) that search did
/// not show and that best match the question (search shows one passage per document; the rule
/// is often beside the passage that matched), after the others so the retrieval order of the
/// rest is kept.
///
/// Why words as well as the cosine: the small embedder puts a passage about the topic ("leave
/// without pay to extend your parental leave") nearer than the one that states the rule the
/// question names ("12 weeks of paid time off"); the question's own words tell them apart.
/// Within one document a word counts by how few of its passages hold it, and the names the
/// question gives count for nothing: "Martin Operating Partnership" chose the document, and
/// the signature block that repeats it is not the clause asked about.
fn more_of_the_top_document(
    asker: Asker<'_>,
    question: &str,
    passages: &mut Vec<Passage>,
    query_vector: &[f32],
    access: &Access,
) -> Result<(), Error> {
    let focus = select::focus(question);
    // the best document with something to quote: a passage that is only a heading and a link
    // ("Citrix (virtual desktop client) login / Instructions") can rank first and answer nothing
    let Some(top) = first_quotable(
        passages.iter().map(|p| (p.text.as_str(), &p.hit.section)),
        &focus,
    )
    .map(|i| passages[i].hit.clone()) else {
        return Ok(());
    };
    more_of(asker, question, &top, passages, query_vector, access)
}

/// Adds the passages of `top`'s document that search did not show and that best match the
/// question (see [`more_of_the_top_document`]).
fn more_of(
    asker: Asker<'_>,
    question: &str,
    top: &Hit,
    passages: &mut Vec<Passage>,
    query_vector: &[f32],
    access: &Access,
) -> Result<(), Error> {
    let focus = select::focus(question);
    // the top document's passages already shown (on a cluster a chunk id is an ordinal within
    // its document, so it is compared within the document)
    let shown: std::collections::HashSet<u64> = passages
        .iter()
        .filter(|p| p.hit.doc_id == top.doc_id)
        .map(|p| p.hit.chunk_id)
        .collect();
    let names: std::collections::HashSet<String> = select::names(question)
        .iter()
        .flat_map(|n| text::content_words(n))
        .collect();
    let asked: std::collections::HashSet<String> = text::content_words(question)
        .into_iter()
        .filter(|w| !names.contains(w))
        .collect();
    // "unpaid" answers "is it paid?" as well as "paid" would
    let polar = select::polar_words(question);
    // ranked by the question without its names: the document names them in every passage's
    // context, and they pull the embedding towards the preamble that lists the parties, away
    // from the clause asked about ("which country's law governs the agreement between …")
    let unnamed = select::without_names(question);
    let all = asker
        .store
        .document_passages(&top.doc_id, query_vector, MORE_CANDIDATES, access)?;
    let unnamed_cosine: HashMap<u64, f32> = if unnamed == question {
        HashMap::new()
    } else {
        let vector = asker.embedder.embed_query(&unnamed)?;
        asker
            .store
            .document_passages(&top.doc_id, &vector, MORE_CANDIDATES, access)?
            .into_iter()
            .map(|p| (p.chunk_id, p.cosine))
            .collect()
    };
    let words: Vec<HashSet<String>> = all.iter().map(|p| text::content_words(&p.text)).collect();
    // a word (or pair) weighs by how few of the document's passages hold it
    let rarity = |df: usize| ((all.len() as f32 + 1.0) / (df as f32 + 0.5)).ln().max(0.0);
    let weights: Vec<(String, f32)> = asked
        .iter()
        .map(|w| {
            (
                w.clone(),
                rarity(words.iter().filter(|ws| ws.contains(w)).count()),
            )
        })
        .collect();
    // the clause's name the question repeats ("the initial term"), weighted the same way: a
    // passage that holds it is where the clause is, however little of the rest it shares
    let asked_pairs: Vec<(String, String)> = text::word_pairs(question)
        .into_iter()
        .filter(|(a, b)| !names.contains(a) && !names.contains(b))
        .collect();
    let passage_pairs: Vec<HashSet<(String, String)>> = if asked_pairs.is_empty() {
        Vec::new()
    } else {
        all.iter().map(|p| text::word_pairs(&p.text)).collect()
    };
    let pair_weights: Vec<((String, String), f32)> = asked_pairs
        .into_iter()
        .map(|pair| {
            let w = rarity(passage_pairs.iter().filter(|ps| ps.contains(&pair)).count());
            (pair, w)
        })
        .collect();
    let pair_total: f32 = pair_weights.iter().map(|(_, x)| x).sum();
    let total: f32 = weights.iter().map(|(_, x)| x).sum();
    let mean = if weights.is_empty() {
        0.0
    } else {
        total / weights.len() as f32
    };
    let mut more: Vec<(f32, trawl_search::DocumentPassage)> = all
        .into_iter()
        .zip(&words)
        .enumerate()
        .filter(|(_, (p, _))| !shown.contains(&p.chunk_id))
        .map(|(i, (p, ws))| {
            let pairs = if pair_total > 0.0 {
                pair_weights
                    .iter()
                    .filter(|(pair, _)| passage_pairs[i].contains(pair))
                    .map(|(_, x)| x)
                    .sum::<f32>()
                    / pair_total
            } else {
                0.0
            };
            let share = if total > 0.0 {
                let matched: f32 = weights
                    .iter()
                    .filter(|(w, _)| ws.contains(w))
                    .map(|(_, x)| x)
                    .sum::<f32>()
                    + mean
                        * (select::negated(&polar, &p.text)
                            + usize::from(select::denies(question, &p.text)))
                            as f32;
                matched.min(total) / total
            } else {
                0.0
            };
            let stated = focus != select::Focus::Open && select::states_focus(&focus, &p.text);
            let cosine = unnamed_cosine.get(&p.chunk_id).copied().unwrap_or(p.cosine);
            let score = cosine
                + MORE_LEXICAL * share
                + MORE_PAIRS * pairs
                + if stated { MORE_FOCUS } else { 0.0 };
            (score, p)
        })
        .collect();
    // stable: equal scores keep the nearer passage first
    more.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (score, p) in more.iter().take(8) {
        tracing::trace!(doc = %top.path, chunk = p.chunk_id, score, cosine = p.cosine, "more of the document");
    }
    for (_, p) in more.into_iter().take(MORE_OF_THE_TOP_DOCUMENT) {
        let hit = Hit {
            chunk_id: p.chunk_id,
            page: p.page,
            section: p.section,
            snippet: String::new(),
            snippet_html: String::new(),
            keyword_rank: None,
            keyword_score: None,
            keyword_share: None,
            vector_score: Some(p.cosine),
            ..top.clone()
        };
        passages.push(Passage { hit, text: p.text });
    }
    Ok(())
}

/// Index of the first passage with a sentence (or list item, or table row) to quote.
fn first_quotable<'a>(
    mut passages: impl Iterator<Item = (&'a str, &'a Option<String>)>,
    focus: &select::Focus,
) -> Option<usize> {
    passages.position(|(text, section)| {
        !select::units(
            &[text.to_owned()],
            std::slice::from_ref(section),
            &[0.0],
            focus,
        )
        .is_empty()
    })
}

/// Cosine similarity of each unit's embedding to the question's.
fn embed_units(
    embedder: &dyn Embedder,
    query_vector: &[f32],
    units: &[select::Unit],
) -> Result<Vec<f32>, Error> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let refs: Vec<&str> = units.iter().map(|u| u.text.as_str()).collect();
    Ok(embedder
        .embed_passages(&refs)?
        .iter()
        .map(|v| v.iter().zip(query_vector).map(|(a, b)| a * b).sum())
        .collect())
}

/// A figure the sources put a limit on ("can take up to 7 days", "over 80 hours") that the
/// sentence states without that limit ("can take 7 days"): the limit is part of the fact.
fn dropped_limit(sentence: &str, sources: &str) -> Option<String> {
    let theirs = select::limits(sources);
    let mine = select::limits(sentence);
    guard::numbers(sentence).into_iter().find(|n| {
        let sides: Vec<_> = theirs
            .iter()
            .filter(|(m, _)| m == n)
            .map(|(_, s)| s)
            .collect();
        !sides.is_empty() && !mine.iter().any(|(m, s)| m == n && sides.contains(&s))
    })
}

/// Words that narrow a count of days or hours ("3 business days" are not "3 days").
const COUNT_QUALIFIERS: &[&str] = &["business", "calendar", "working", "work", "consecutive"];

/// A count the sources qualify ("at least three business days in advance") that the sentence
/// states without its qualifier ("at least three days in advance"): five business days are a
/// week, five days are not.
fn dropped_qualifier(sentence: &str, sources: &str) -> Option<String> {
    let figure = |w: &str| {
        if w.chars().all(|c| c.is_ascii_digit()) {
            Some(w.to_string())
        } else {
            guard::cardinal(w).map(|n| n.to_string())
        }
    };
    let theirs = text::words(sources);
    let qualified: Vec<(String, &str)> = theirs
        .windows(3)
        .filter(|w| COUNT_QUALIFIERS.contains(&w[1].as_str()))
        .filter_map(|w| Some((figure(&w[0])?, w[2].as_str())))
        .collect();
    let mine = text::words(sentence);
    // the figure right before the unit: "three business days" has none there
    mine.windows(2).find_map(|w| {
        let n = figure(&w[0])?;
        qualified
            .iter()
            .any(|(m, unit)| *m == n && *unit == w[1])
            .then(|| format!("{} {}", w[0], w[1]))
    })
}

/// Whether a generated sentence (lower-cased) opens by talking about its sources.
fn describes_sources(lower: &str) -> bool {
    let lower = lower.trim_start();
    ABOUT_THE_SOURCES.iter().any(|o| {
        lower
            .strip_prefix(o)
            .is_some_and(|rest| !rest.starts_with(char::is_alphanumeric))
    })
}

/// The prompt: only the selected sentences (`selected[i]` for passage i+1, empty when none of
/// it was selected), numbered as the passages are, so citations keep their numbers.
fn prompt(question: &str, passages: &[Passage], selected: &[String]) -> Vec<ChatMessage> {
    let mut sources = String::new();
    for (i, (p, text)) in passages.iter().zip(selected).enumerate() {
        if text.is_empty() {
            continue;
        }
        sources.push_str(&format!("[{}] {}: {}\n", i + 1, p.hit.title, text.trim()));
    }
    vec![
        ChatMessage::new(Role::System, SYSTEM_PROMPT),
        ChatMessage::new(
            Role::User,
            format!("Sources:\n{sources}\nQuestion: {question}\nAnswer:"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_to_when_a_message_was_sent_gives_the_day_it_was_sent() {
        let text = "From: Maria Lopez <maria@example.com>\nTo: All Staff <all@example.com>\n\
            Date: 2024-03-18T09:15:00+00:00\nSubject: New remote work policy\n\n\
            The new remote work policy takes effect on 1 April 2024.";
        let hit = Hit {
            doc_id: "d".into(),
            path: "mail/announcement.eml".into(),
            title: "New remote work policy".into(),
            score: 1.0,
            chunk_id: 0,
            snippet: String::new(),
            snippet_html: String::new(),
            page: None,
            section: None,
            keyword_rank: None,
            vector_rank: None,
            keyword_score: None,
            keyword_share: None,
            vector_score: Some(0.8),
            meta: Default::default(),
        };
        let passages = vec![Passage {
            hit,
            text: text.into(),
        }];
        let check = |question: &str, sentence: &str| {
            let focus = select::focus(question);
            let mut units = select::units(&[text.to_string()], &[None], &[0.8], &focus);
            let last = units.len() - 1;
            for u in &mut units {
                u.text = u.dated();
            }
            let selection = select::Selection {
                picked: vec![last],
                support: 1.0,
                focus_found: true,
            };
            Grounds::new(question, &passages, &units, &selection)
                .check(sentence, &[])
                .map(|c| c.text)
        };
        let weekday = "On what day of the week did Maria Lopez send the announcement of the new remote work policy?";
        // the date in the message's text is the policy's, not the day it was sent
        assert_eq!(
            check(
                weekday,
                "The new remote work policy takes effect on 1 April 2024 [1]."
            )
            .unwrap_err(),
            "the answer leaves out when the message was written"
        );
        assert!(check(weekday, "Maria Lopez sent it on Monday, 18 March 2024 [1].").is_ok());
        let date = "When did Maria Lopez send the announcement of the new remote work policy?";
        assert!(check(date, "Maria Lopez sent it on 18 March 2024 [1].").is_ok());
        assert!(check(date, "The policy takes effect on 1 April 2024 [1].").is_err());
    }

    #[test]
    fn a_passage_read_twice_gives_its_place_to_the_next() {
        let mut texts = vec![
            "The new remote work policy takes effect on 1 April 2024.",
            "the new remote work  policy\ntakes effect on 1 April 2024.",
            "Does the three-day limit also apply to contractors?",
            "The company provides a laptop and a monitor.",
            "The company provides a laptop and a monitor.",
            "Lost equipment must be reported within 24 hours.",
        ];
        drop_repeats(&mut texts, 3, |t| t);
        assert_eq!(
            texts,
            [
                "The new remote work policy takes effect on 1 April 2024.",
                "Does the three-day limit also apply to contractors?",
                "The company provides a laptop and a monitor.",
            ]
        );
        // a passage that differs in a word is not a repeat
        let mut texts = vec!["Submit it within 7 days.", "Submit it within 8 days."];
        drop_repeats(&mut texts, 4, |t| t);
        assert_eq!(texts.len(), 2);
    }

    #[test]
    fn a_figure_keeps_the_limit_its_source_puts_on_it() {
        let source = "The OMB CX Team's pre-review of the Gen IC package can take up to 7 days.";
        assert_eq!(
            dropped_limit("The pre-review can take 7 days.", source).as_deref(),
            Some("7")
        );
        assert_eq!(
            dropped_limit("The pre-review takes up to 7 days.", source),
            None
        );
        assert_eq!(dropped_limit("It takes up to seven days.", source), None);
        // the other side of the limit is no more the fact than none
        assert_eq!(
            dropped_limit("The pre-review takes over 7 days.", source).as_deref(),
            Some("7")
        );
        // a figure the sources state without a limit needs none
        assert_eq!(
            dropped_limit("Submit it within 7 days.", "Submit it within 7 days."),
            None
        );
    }

    #[test]
    fn a_count_keeps_the_qualifier_its_source_puts_on_it() {
        let source = "Submit leave requests at least three business days in advance.";
        assert_eq!(
            dropped_qualifier("Submit them at least three days in advance.", source).as_deref(),
            Some("three days")
        );
        assert_eq!(
            dropped_qualifier("Submit them 3 days ahead.", source).as_deref(),
            Some("3 days")
        );
        assert_eq!(
            dropped_qualifier("Submit them three business days ahead.", source),
            None
        );
        // a count the sources do not qualify needs no qualifier
        assert_eq!(
            dropped_qualifier("Submit it within 7 days.", "Submit it within 7 days."),
            None
        );
    }

    #[test]
    fn the_top_document_is_the_first_with_something_to_quote() {
        let heading = Some("Citrix (virtual desktop client) login".to_owned());
        let steps = Some("Logging into the Citrix VDI".to_owned());
        let passages = [
            (
                "Citrix (virtual desktop client) login\n\nInstructions",
                &heading,
            ),
            ("• Access the Citrix VDI at vdi.anywhere.gsa.gov.", &steps),
        ];
        let focus = select::focus("What web address do I use to log into the virtual desktop?");
        assert_eq!(first_quotable(passages.into_iter(), &focus), Some(1));
        assert_eq!(first_quotable(passages[..1].iter().copied(), &focus), None);
        assert_eq!(
            first_quotable(passages[1..].iter().copied(), &focus),
            Some(0)
        );
    }

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
    fn a_sentence_about_the_sources_is_no_answer() {
        assert!(describes_sources(
            "the source is: [5] voluntary leave transfer program: have a negative balance"
        ));
        assert!(describes_sources("  according to [2], you get 12 weeks."));
        assert!(!describes_sources("you get 12 weeks of paid leave [2]."));
        assert!(!describes_sources(
            "the sourcing policy asks for three quotes."
        ));
    }

    #[test]
    fn questions_are_validated() {
        assert_eq!(
            validate_question("  ").unwrap_err().code(),
            "empty_question"
        );
        let long = "a".repeat(50_000);
        let err = validate_question(&long).unwrap_err();
        assert_eq!(err.code(), "question_too_long");
        assert!(err.to_string().contains("50000"), "{err}");
        assert!(validate_question("How many days of leave?").is_ok());
    }
}
