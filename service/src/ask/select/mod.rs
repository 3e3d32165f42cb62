//! Answer-sentence selection: which sentence of the retrieved passages states what the
//! question asks for.
//!
//! Search ranks passages; an answer needs one sentence. A passage is split into units —
//! prose sentences, list items, table rows — with its headings kept as context, not as
//! candidates (a heading alone is never an answer). Each unit is cleaned of what is not prose
//! (list markers, "(See below.)", escaped markdown, bare links) and scored by:
//! - its own embedding's cosine similarity to the question (the caller embeds the units);
//! - shared content words with the question, and with the headings above it (weighted less);
//! - the question's *focus*: "how many weeks" wants a number of weeks, "how much" a figure,
//!   "when" a date or a duration, "what percentage" a percentage — a unit that states the
//!   focus gains, a unit without any figure loses when a figure is wanted; what the question
//!   itself gives (its month and year, the role it asks about) states no focus;
//! - its passage's retrieval rank;
//! - penalties for worked examples ("For example: you went on FMLA for 4 weeks…"), questions,
//!   navigation text ("Refer to the … page"), the other side of a limit the question sets
//!   ("80 hours or less" for "more than 80 hours"), a contract's signature block (unless the
//!   question is about signing) and a contract's opening, its preamble and recitals (unless
//!   the question asks about the parties, the date or why): both name the parties that the
//!   question names.
//!
//! The best unit is the answer; a second is added only when the first is a lead-in ending in
//! a colon, so one right sentence is preferred over several loosely related ones. The best
//! score ([`Selection::support`]) is the second refusal signal: when no unit answers the
//! question's focus, the corpus does not say.
//!
//! The work is split by what each part reads: `focus` reads what the question asks for and
//! `states` whether a text states it; `names` finds the names a question and its sources
//! must share; `mail` reads messages' headers and reply lines; `units` splits passages into
//! candidate units; `score` scores them. This module picks the answer from the scores.

mod focus;
mod mail;
mod names;
mod score;
mod states;
#[cfg(test)]
mod tests;
mod units;

use std::collections::HashSet;

use crate::ask::text::content_words;

pub(crate) use focus::{Focus, focus};
pub(crate) use mail::{asks_when_written, asks_who_wrote};
pub(crate) use names::{
    absent_from, asked_names, glued_in_file_name, kind_names, mentions, names, only_from_naming,
    without_names,
};
pub(crate) use score::{denies, features, limits, negated, polar_words, score};
pub(crate) use states::states_focus;
pub(crate) use units::units;

use focus::{
    acted_on_noun, asked_noun, asked_other_name, measured_noun, question_word_is_which,
    taken_activity,
};
use mail::{asked_writer, asks_first_message, is_reply_header};
use names::{lowered_names, names_beyond, names_one_of_kind};
use score::{
    another_numbered_case, asker_case, asker_lacks, asks_about_signing,
    asks_what_the_opening_states, contrasted_words, contrasts, is_signature_block, numbered_cases,
    opening_out_of_place, other_side_of_limit, presupposed_words, quoted_terms, uses_quoted_term,
};
use states::{names_noun, states_asked};

/// A unit of a passage that could answer on its own.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Unit {
    /// Citation number of its passage (1-based).
    pub(crate) passage: usize,
    /// Position in the passage (consecutive units of one passage are adjacent).
    pub(crate) position: usize,
    /// The cleaned text.
    pub(crate) text: String,
    /// Headings above it (the passage's section and headings inside the passage).
    pub(crate) heading: String,
    /// Cosine similarity of its whole passage to the question (the document's topic).
    pub(crate) passage_cosine: f32,
    /// Part of a contract's opening ([`is_contract_opening`](score::is_contract_opening)): its
    /// preamble, the sentence that names "the Parties", a recital.
    pub(crate) opening: bool,
    /// Who wrote it when, in a message: its header's sender and date, or for a quoted
    /// line, the date and name of the "On …, Alice Meyer wrote:" line above it.
    pub(crate) written: Option<Written>,
}

/// Who wrote a message's sentence and when (see [`Unit::written`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Written {
    pub(crate) by: String,
    pub(crate) on: String,
}

impl Unit {
    /// Its text led by who wrote it when ("On Tuesday, 2 April 2024, Alice Meyer wrote: Please
    /// draft the termination notice…"), in the words of a reply's attribution line, when it
    /// is from a message; else its text.
    pub(crate) fn dated(&self) -> String {
        match &self.written {
            Some(w) => format!("On {}, {} wrote: {}", w.on, w.by, self.text),
            None => self.text.clone(),
        }
    }
}

/// How far below the best a unit that states the question's focus may score and still be
/// preferred to it.
const FOCUS_MARGIN: f32 = 0.35;

/// How far below the best a unit that names what the question names may score and still be
/// preferred to one that does not.
const NAMED_MARGIN: f32 = 0.15;

/// How far below the best a unit that names one of what a "which X" question asks about may
/// score and still be preferred to one that names none.
const INSTANCE_MARGIN: f32 = 0.1;

/// How far below the best a unit that uses a term the question quotes (or sits under a
/// heading that does) may score and still be preferred to one that does not.
const QUOTED_MARGIN: f32 = 0.5;

/// What a message is called: a "who signed/sent the announcement" question is answered by
/// the message's writer, whatever its subject line says.
const MESSAGE_NOUNS: &[&str] = &[
    "announcement",
    "email",
    "e-mail",
    "message",
    "memo",
    "note",
    "letter",
    "reply",
];

/// How many units after a lead-in (a unit ending in a colon) may be the item it brings.
const LEAD_IN_ITEMS: usize = 6;

/// The answer's units, best first, and the best score.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Selection {
    /// Indexes into the units, in reading order.
    pub(crate) picked: Vec<usize>,
    /// Score of the best unit: how well the corpus answers the question.
    pub(crate) support: f32,
    /// Whether the best unit states the question's focus (always true for open questions).
    pub(crate) focus_found: bool,
}

/// Picks the answer: the best unit, and when the best is a lead-in (ends with a colon) one of
/// the items after it in the same passage.
pub(crate) fn select(question: &str, units: &[Unit], scores: &[f32]) -> Option<Selection> {
    let best = (0..units.len().min(scores.len())).max_by(|&a, &b| {
        scores[a].total_cmp(&scores[b]).then(b.cmp(&a)) // ties: the earlier unit
    })?;
    // a unit nearly as good that states what the question asks ("8 hours") beats one that
    // does not
    let focus = focus(question);
    // a figure for the other case ("for the initial review" when an additional one is asked
    // about) does not state what is asked
    let contrasted = contrasted_words(question, &presupposed_words(question));
    // a signature block's names and dates are the signing's, not what else is asked
    let about_signing = asks_about_signing(question);
    // nor are a contract's opening's, unless the question asks what it states
    let about_opening = asks_what_the_opening_states(question, &focus);
    let question_limits = limits(question);
    let numbered = numbered_cases(question);
    let states = |i: usize| {
        !another_numbered_case(&numbered, &units[i].text)
            && (about_signing || !is_signature_block(&units[i].text))
            && !opening_out_of_place(question, about_opening, &units[i])
            && !other_side_of_limit(&question_limits, &units[i].text)
            && states_asked(question, &focus, &units[i].text)
            && {
                let lower = units[i].text.to_lowercase();
                !contrasted.iter().any(|w| contrasts(w, &lower))
            }
    };
    // the items a lead-in brings: the next few units of its passage
    let items = |lead: usize| -> Vec<usize> {
        if !units[lead].text.ends_with(':') {
            return Vec::new();
        }
        (lead + 1..units.len().min(scores.len()))
            .take(LEAD_IN_ITEMS)
            .take_while(|&i| units[i].passage == units[lead].passage)
            .collect()
    };
    // `best` when `ok` accepts it, else the best scored unit `ok` accepts within `margin` of
    // it, if any; `prefer` with [`FOCUS_MARGIN`]
    let prefer_within = |best: usize, margin: f32, ok: &dyn Fn(usize) -> bool| {
        if ok(best) {
            return best;
        }
        (0..units.len().min(scores.len()))
            .filter(|&i| scores[i] >= scores[best] - margin && ok(i))
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a)))
            .unwrap_or(best)
    };
    let prefer = |best: usize, ok: &dyn Fn(usize) -> bool| prefer_within(best, FOCUS_MARGIN, ok);
    // "The following list provides Concur approvers for billable travel:" states the approver
    // in the item that names one
    let brings = |i: usize| !matches!(focus, Focus::Open) && items(i).into_iter().any(states);
    // a question that names something ("a discount on Apple products") is answered by a unit
    // that names it too, not by its neighbour on the same topic ("Organizations … offer a
    // number of discounts"); nor is a figure of another thing ("cell carriers offer a 15%
    // discount") the answer when the best unit names what is asked and states none
    let asked_names: Vec<String> = asked_names(question)
        .iter()
        .map(|n| n.to_lowercase())
        .collect();
    // A contract's clauses do not name its parties, its opening and signature block do: there
    // the names say nothing about which unit answers.
    let boilerplate = |i: usize| units[i].opening || is_signature_block(&units[i].text);
    // the question's names, for units that name something beyond them
    let question_names = lowered_names(question);
    let named = |i: usize| {
        let text = units[i].text.to_lowercase();
        !asked_names.is_empty() && !boilerplate(i) && asked_names.iter().all(|n| mentions(&text, n))
    };
    let polar = polar_words(question);
    let best = if polar.is_empty() || named(best) {
        best
    } else {
        prefer_within(best, NAMED_MARGIN, &named)
    };
    // what follows a unit that names it goes on about it ("…should utilize The Work Number:"
    // then "800-367-5690 (Monday through Friday…)"); what comes before is about something else
    let goes_on = |i: usize| {
        units[i].passage == units[best].passage
            && units[i].position > units[best].position
            && units[i].position <= units[best].position + LEAD_IN_ITEMS
    };
    let keeps_names = |i: usize| {
        !named(best) || named(i) || goes_on(i) || units[i].passage != units[best].passage
    };
    let best = prefer(best, &|i| (states(i) || brings(i)) && keeps_names(i));
    // a term the question quotes ("what does the team do during “A moment of ceremony”")
    // is the page's own name for a section or a thing: a unit under it or using it answers
    // though it shares little else with the question
    let quoted = quoted_terms(question);
    let best = if quoted.is_empty() {
        best
    } else {
        prefer_within(best, QUOTED_MARGIN, &|i| {
            uses_quoted_term(&quoted, &units[i]) && (matches!(focus, Focus::Open) || states(i))
        })
    };
    // a form's record: after "Additional Reporting Person (b): Merck KGaA", the label line
    // "Address: Frankfurter Str. 250 …" is Merck KGaA's, not the address of the record before
    // ("…(a): Merck Serono SA"): of the same field of two records, the one whose key line
    // names more of the question's names
    let label = |i: usize| {
        units[i]
            .text
            .split_once(": ")
            .map(|(l, _)| l.to_lowercase())
    };
    let record_key = |i: usize| {
        let key = i.checked_sub(1).filter(|&k| {
            units[k].passage == units[i].passage
                && units[k].position + 1 == units[i].position
                && units::is_label_line(&units[i].text)
                && units::is_label_line(&units[k].text)
                && !boilerplate(k)
        });
        key.map_or(0, |k| {
            let text = units[k].text.to_lowercase();
            asked_names.iter().filter(|n| mentions(&text, n)).count()
        })
    };
    let key_of_best = record_key(best);
    let best = prefer_within(best, NAMED_MARGIN, &|i| {
        record_key(i) > key_of_best && states(i) && label(i).is_some() && label(i) == label(best)
    });
    // "which headphones…?" asks which one: a unit nearly as good that names one ("Sennheiser's
    // HD 219 headphones") beats advice about any ("a decent set of headphones")
    let asked_head = asked_noun(question);
    let best = match (&focus, &asked_head) {
        (Focus::Open, Some(head)) if question_word_is_which(question) => {
            let head = content_words(head);
            let instance = |i: usize| {
                !boilerplate(i)
                    && head.is_subset(&content_words(&units[i].text))
                    && names_beyond(&question_names, &units[i].text)
            };
            if instance(best) {
                best
            } else {
                prefer_within(best, INSTANCE_MARGIN, &instance)
            }
        }
        _ => best,
    };
    // "what is a daring talk often known as?": the unit that says what it is known as
    let best = match asked_other_name(question) {
        Some(phrase) => prefer(best, &|i| units[i].text.to_lowercase().contains(phrase)),
        None => best,
    };
    // a yes/no question's answer is its polarity: a unit nearly as good that negates one of
    // its words ("12 weeks of unpaid leave" for "is FMLA leave paid?") states it outright
    let says_no = |t: &str| negated(&polar, t) > 0 || denies(question, t);
    let best = if polar.is_empty() {
        best
    } else {
        prefer(best, &|i| says_no(&units[i].text))
    };
    // "I don't hold a security clearance. Do I have to tell GSA?": the rule for the asker's
    // case ("optional if you do not hold a clearance"), not the one beside it for the others
    let lacks = asker_lacks(question);
    let best = if lacks.is_empty() {
        best
    } else {
        prefer(best, &|i| asker_case(&lacks, &units[i].text) == Some(true))
    };
    // "On what day did Bob tell Alice…": a line Bob wrote, not the one he quotes from Alice
    let writer = asked_writer(question);
    let by = |i: usize| {
        writer.as_ref().is_some_and(|writer| {
            units[i]
                .written
                .as_ref()
                .is_some_and(|w| mentions(&w.by.to_lowercase(), writer))
        })
    };
    let best = if writer.is_some() && units[best].written.is_some() && !by(best) {
        prefer(best, &|i| by(i) && states(i))
    } else {
        best
    };
    // "the subject line of her first email": the header of the message that opened the
    // thread, not a reply's "Subject: Re: …"
    let best = if matches!(focus, Focus::Header(_)) && asks_first_message(question) {
        prefer(best, &|i| states(i) && !is_reply_header(&units[i].text))
    } else {
        best
    };
    // a unit, or its heading, names `noun` (none asked: any unit)
    let names = |noun: &Option<HashSet<String>>, i: usize| {
        noun.as_ref().is_none_or(|a| {
            a.is_empty()
                || a.is_subset(&content_words(&units[i].text))
                || a.is_subset(&content_words(&units[i].heading))
        })
    };
    let measured = measured_noun(question).map(|n| content_words(&n));
    let acted_on_noun = acted_on_noun(question);
    let acted_on_message = acted_on_noun
        .as_deref()
        .is_some_and(|n| MESSAGE_NOUNS.contains(&states::stem(n).as_str()));
    let acted_on = acted_on_noun.map(|n| content_words(&n));
    let mut picked = vec![best];
    if units[best].text.ends_with(':') {
        // of the items a lead-in brings, the best scored that states the question's focus
        // ("…will pay to ABG: $1,250,000"; "login.gov: Dan Lopez" among the approvers), else
        // the best scored ("follow these steps:" is answered by the step that names the tool,
        // not by the first)
        let items = items(best);
        let stating = items
            .iter()
            .copied()
            .filter(|&i| !matches!(focus, Focus::Open) && states(i))
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a)));
        // "where can I see my pay stub?": the first step that names a place ("Sign into
        // Employee Express"), not the best worded ("Choose the appropriate pay period…"): a
        // procedure starts where one goes
        let asks_where = crate::ask::text::words(&question.to_lowercase())
            .first()
            .is_some_and(|w| w == "where");
        let naming = items
            .iter()
            .copied()
            .find(|&i| asks_where && names_beyond(&question_names, &units[i].text));
        let item = stating.or(naming).or_else(|| {
            items
                .iter()
                .copied()
                .max_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a)))
        });
        picked.extend(item);
    }
    // a lead-in's figure is in the item it brings ("…will pay to ABG: $1,250,000"). An
    // address missing from the text proves nothing: a link's target is not indexed, only its
    // words ("[Zoom for Government](https://zoomgov.com/)")
    let focus_found = match focus {
        Focus::Address | Focus::Place => true,
        // someone who did what is asked to what is asked: "This will need to be signed by the
        // TTS Executive Director", about a form, does not say who signed the welcome letter
        // what was acted on may be the message itself ("who signed the announcement")
        Focus::Person(_) => picked
            .iter()
            .any(|&i| names(&acted_on, i) || (units[i].written.is_some() && acted_on_message)),
        // an open "what X"/"which X" question is answered by a unit that names X, in its
        // words or its heading ("Use the VPN for all access" names no VPN client), or one of
        // them by name ("The CPR framework is from Crucial Accountability" for "which book…?")
        Focus::Open => picked.iter().any(|&i| {
            asked_head.as_deref().is_none_or(|n| {
                names_noun(n, &units[i].text)
                    || content_words(n).is_subset(&content_words(&units[i].heading))
                    || (!boilerplate(i) && names_one_of_kind(n, &question_names, &units[i].text))
            })
        }),
        // a figure of the thing measured, not of the thing beside it; a time of day of
        // the event asked about ("Building hours are 6am - 7pm" is no breakfast's)
        Focus::Money | Focus::Figure | Focus::Per { .. } | Focus::Time => {
            picked.iter().any(|&i| states(i)) && picked.iter().any(|&i| names(&measured, i))
        }
        // how long what is asked takes, not something else ("it can take 4-6 weeks to
        // process a detail" for the time to send a replacement phone)
        Focus::Quantity(_) | Focus::When => {
            picked.iter().any(|&i| states(i))
                && taken_activity(question).is_none_or(|act| {
                    picked.iter().any(|&i| {
                        !act.is_disjoint(&content_words(&units[i].text))
                            || !act.is_disjoint(&content_words(&units[i].heading))
                    })
                })
        }
        // the header of the message the question says someone wrote ("the Legal team's
        // reply"), not of another message beside it (Ana Costa's forward to Legal)
        Focus::Header(_) => picked
            .iter()
            .any(|&i| states(i) && (writer.is_none() || by(i))),
        _ => picked.iter().any(|&i| states(i)),
    };
    Some(Selection {
        focus_found,
        support: scores[best],
        picked,
    })
}

/// The extractive answer of a selection: its units verbatim, each followed by its citation.
pub(crate) fn quote(units: &[Unit], selection: &Selection) -> (String, Vec<usize>) {
    let mut text = String::new();
    let mut cited = Vec::new();
    for &i in &selection.picked {
        let u = &units[i];
        if !text.is_empty() {
            text.push(' ');
        }
        let body = u.text.trim_end_matches(['.', ':', ';']);
        text.push_str(&format!("{body} [{}].", u.passage));
        if !cited.contains(&u.passage) {
            cited.push(u.passage);
        }
    }
    (text, cited)
}
