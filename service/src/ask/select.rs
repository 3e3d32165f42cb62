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

use std::collections::HashSet;

use super::guard::MONTHS;
use super::text::{content_words, words};

/// What the question asks for, read from its wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Focus {
    /// A number followed by one of these units ("how many weeks", "how long").
    Quantity(Vec<&'static str>),
    /// Any figure: an amount, a count, a percentage ("how much", "what percentage").
    Figure,
    /// A number of the things the question counts, named by its own noun ("how many free
    /// counseling sessions": "6 free sessions", not "under age 13" or "on 5/19/20").
    Count(String),
    /// An amount of money ("what is the dental plan deductible", "what fee").
    Money,
    /// A date, a weekday or time of day, or a duration ("when", "what is the deadline").
    When,
    /// A calendar date, a weekday or a time of day ("by what date", "on what date", "what day
    /// of the week", "what is the deadline"): a duration ("within thirty days") does not say
    /// which day.
    Date,
    /// A day or time by which something is due ("what is the deadline"): a [`Focus::Date`]
    /// with the word that makes it a limit ("by close of business on Friday", "before",
    /// "due", "no later than"); "a period beginning on Sunday and ending on Saturday" dates
    /// no deadline.
    Deadline,
    /// How often ("how often must I change my password"): a length of time ("every 60 days")
    /// or a rate word ("a weekly written report", "renewed annually").
    Frequency,
    /// A length of notice ("how much prior written notice…"): a length of time beside the word
    /// "notice" ("upon one year's prior written notice", "notice of 30 days"); "within fifteen
    /// days after receipt of the notice" gives another period.
    Notice,
    /// A length of time ahead of something ("how many days in advance…", "how far ahead…",
    /// "how early…"): a length of time in a sentence that says it is ahead ("at least three
    /// business days in advance", "12 hours prior to the meeting", "10 to 15 minutes early");
    /// "up to three days per week" is no lead time.
    Ahead(Vec<&'static str>),
    /// A time of day ("what time does the cafeteria open", "what are the opening hours"):
    /// "serving breakfast and lunch" says none.
    Time,
    /// A percentage ("what percentage", "what share of"): "within 7 days" is no share.
    Percent,
    /// A telephone number ("what phone number do I call"): "Section 3.1.1" is none.
    Phone,
    /// A figure (or an amount of money) for each unit of something ("what is the mileage rate
    /// per mile": "$0.67 per mile", not "mileage claims over $75").
    Per { unit: String, money: bool },
    /// A state or country whose law or courts a question asks for ("which state's law
    /// governs…", "what jurisdiction").
    Jurisdiction,
    /// Where to go or write: a web address, a domain, an e-mail address or a chat channel
    /// ("what web address do I use…", "which Slack channel do I post in…").
    Address,
    /// Who ("who has to approve…", "who did Bob ask…"): a person or organisation named other
    /// than those the question names (its names, lower-cased, are kept), a role ("your
    /// supervisor", "the Business Unit Director") or an e-mail address. Soft: a unit that names
    /// nobody may still answer ("all employees"), so the answer is not refused for want of one.
    Person(Vec<String>),
    /// A place ("in which city is it processed?", "what country…", "where is the meeting
    /// held?"): a state, country or province, or a city written with its state ("Kansas City,
    /// MO", "Canton, Ohio"). Soft, like [`Focus::Person`]: a place neither the list nor the
    /// pattern knows may still answer, so the answer is not refused for want of one.
    Place,
    /// A field of a message's header ("what subject line did Alice use…", "who was copied on
    /// Tom's reply…"): the header line that gives it ("Subject: Supplier termination notice",
    /// "Cc: Legal <legal@example.com>"), the field's name as [`MAIL_FIELDS`] writes it. A
    /// header is otherwise no answer.
    Header(&'static str),
    /// Nothing that can be checked on the wording of a sentence.
    Open,
}

const TIME_UNITS: &[&str] = &[
    "minute",
    "hour",
    "day",
    "week",
    "month",
    "year",
    "pay period",
    "business day",
];

/// Units a "how many X" question may name, as their stems.
const COUNT_UNITS: &[&str] = &[
    "minute",
    "hour",
    "day",
    "week",
    "month",
    "year",
    "character",
    "time",
    "percent",
    "credit hour",
    "pay period",
    "password",
    "trip",
    "dollar",
];

const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Reads the question's focus.
pub(crate) fn focus(question: &str) -> Focus {
    let lower = question.to_lowercase();
    let q = asked_clause(&lower);
    let ws = words(q);
    let plain = plain_focus(q, &ws);
    // "… rate per mile": the figure must be per mile
    let per = ws
        .windows(2)
        .find(|w| w[0] == "per" && w[1].chars().all(char::is_alphabetic))
        .map(|w| stem(&w[1]));
    // "how many days in advance", "how far ahead", "how early": a lead time
    let ahead = ws.windows(2).any(|w| w[0] == "in" && w[1] == "advance")
        || ws.iter().any(|w| w == "ahead" || w == "beforehand")
        || ws.windows(2).any(|w| w[0] == "how" && w[1] == "early");
    match (plain, per) {
        (Focus::Quantity(units), None) if ahead => Focus::Ahead(units),
        (Focus::Figure, Some(unit)) => Focus::Per { unit, money: false },
        (Focus::Money, Some(unit)) => Focus::Per { unit, money: true },
        (Focus::Person(_), _) => {
            Focus::Person(names(question).iter().map(|n| n.to_lowercase()).collect())
        }
        (plain, _) => plain,
    }
}

/// The clause of lower-cased `lower` that asks: a lead-in clause sets the scene ("In the Slinger
/// Bag consulting agreement, what is the monthly fee…", "If OCE needs an additional review, how
/// many days…"), and so does a sentence before it ("I'm in Chicago for the week. What does a
/// day pass cost?"): the question is the clause its question word opens.
fn asked_clause(lower: &str) -> &str {
    ["what", "which", "when", "how", "where", "who"]
        .iter()
        .flat_map(|w| [", ", ". ", "! "].map(|p| lower.rfind(&format!("{p}{w} "))))
        .flatten()
        .max()
        .map_or(lower, |i| &lower[i + 2..])
}

/// Whether a text gives something for each `unit`: "per mile", "a mile", "each mile",
/// "/mile", "every mile" (or their plurals), or the unit's adverb ("4 hours … weekly").
fn per_unit(lower: &str, unit: &str) -> bool {
    let adverbs: &[&str] = match unit {
        "hour" => &["hourly"],
        "day" => &["daily"],
        "week" => &["weekly"],
        "month" => &["monthly"],
        "year" => &["yearly", "annually", "annual"],
        _ => &[],
    };
    adverbs.iter().any(|a| mentions(lower, a))
        || ["per ", "a ", "an ", "each ", "every ", "/"]
            .iter()
            .any(|p| {
                [unit.to_string(), format!("{unit}s")].iter().any(|u| {
                    lower.match_indices(&format!("{p}{u}")).any(|(i, m)| {
                        let before = lower[..i].chars().next_back();
                        let after = lower[i + m.len()..].chars().next();
                        (p.starts_with('/') || !before.is_some_and(char::is_alphanumeric))
                            && !after.is_some_and(char::is_alphanumeric)
                    })
                })
            })
}

/// The question's focus (lower-cased `q`, its words `ws`), before a "per …" narrows a figure
/// to a rate.
fn plain_focus(q: &str, ws: &[String]) -> Focus {
    let after = |phrase: &[&str]| -> Option<usize> {
        ws.windows(phrase.len())
            .position(|w| w.iter().zip(phrase).all(|(a, b)| a == b))
            .map(|i| i + phrase.len())
    };
    if let Some(field) = asked_header_field(q, ws) {
        return Focus::Header(field);
    }
    // "who do I email to sponsor their access?": whoever it is, the answer is an address
    if ws.first().is_some_and(|w| w == "who" || w == "whom")
        && ws[1..ws.len().min(5)]
            .iter()
            .any(|w| w == "email" || w == "e-mail")
    {
        return Focus::Address;
    }
    if matches!(ws.first().map(String::as_str), Some("who" | "whom"))
        || ws.starts_with(&["to".to_owned(), "whom".to_owned()])
    {
        return Focus::Person(Vec::new());
    }
    // "which of its delivery deadlines had Northwind missed?" picks one of several ("its
    // third"): it asks for no date, however its words read
    if ws.starts_with(&["which".to_owned(), "of".to_owned()]) {
        return Focus::Open;
    }
    // "where should staff send questions…": an e-mail address, a channel or a web address
    const SENDING: &[&str] = &[
        "send", "email", "e-mail", "mail", "submit", "forward", "report", "post", "direct",
    ];
    if ws.first().is_some_and(|w| w == "where")
        && ws[1..ws.len().min(5)]
            .iter()
            .any(|w| SENDING.contains(&w.as_str()))
    {
        return Focus::Address;
    }
    if let Some(i) = after(&["how", "many"]) {
        // the unit is among the next words: "how many weeks", "how many days of leave"
        let units: Vec<&'static str> = ws[i..ws.len().min(i + 3)]
            .iter()
            .filter_map(|w| {
                let s = stem(w);
                COUNT_UNITS.iter().find(|u| **u == s).copied()
            })
            .collect();
        return if !units.is_empty() {
            Focus::Quantity(units)
        } else if let Some(noun) = noun_phrase_head(&ws[i..]) {
            Focus::Count(noun)
        } else {
            Focus::Figure
        };
    }
    if after(&["how", "long"]).is_some() {
        // "how long" is a duration or a length ("how long must my password be")
        let mut units = TIME_UNITS.to_vec();
        units.extend(["character", "page", "word", "second"]);
        return Focus::Quantity(units);
    }
    if after(&["how", "often"]).is_some() {
        return Focus::Frequency;
    }
    if after(&["how", "soon"]).is_some()
        || after(&["how", "quickly"]).is_some()
        || after(&["how", "far", "ahead"]).is_some()
        || after(&["how", "far", "in", "advance"]).is_some()
        || after(&["how", "early"]).is_some()
        || after(&["how", "much", "time"]).is_some()
    {
        return Focus::Quantity(TIME_UNITS.to_vec());
    }
    if PHONE_PHRASES.iter().any(|p| q.contains(p)) {
        return Focus::Phone;
    }
    if q.contains("percent") || q.contains("what share of") {
        return Focus::Percent;
    }
    if let Some(i) = after(&["how", "much"]) {
        let next = &ws[i..ws.len().min(i + 6)];
        // "how much (prior written) notice": notice is given in days
        if next
            .iter()
            .take_while(|w| NOTICE_ADJECTIVES.contains(&w.as_str()) || *w == "notice")
            .any(|w| w == "notice")
        {
            return Focus::Notice;
        }
        // "how much does the program pay", "how much will TTS contribute", "how much
        // severance pay", "how much cash": an amount of money ("how much work time can I
        // spend" asks for time: a noun after "how much" says what)
        // the verb may come after a long subject ("how much does a box of standard GSA
        // business cards cost")
        let clause = &ws[i..ws.len().min(i + 10)];
        let costs = next
            .first()
            .is_some_and(|w| AUXILIARIES.contains(&w.as_str()))
            && clause.iter().any(|w| MONEY_VERBS.contains(&w.as_str()));
        let named = next
            .iter()
            .take_while(|w| !AUXILIARIES.contains(&w.as_str()))
            .any(|w| {
                let s = stem(w);
                MONEY_NOUNS.contains(&s.as_str())
                    || ["cash", "money", "pay", "budget", "subsidy"].contains(&s.as_str())
            });
        if costs || named {
            return Focus::Money;
        }
    }
    // a deadline is a day ("close of business on Friday"), not "at least 32 hours"
    if q.contains("deadline") {
        return Focus::Deadline;
    }
    if after(&["what", "date"]).is_some()
        || after(&["which", "date"]).is_some()
        || after(&["what", "day"]).is_some()
        || after(&["which", "day"]).is_some()
        || after(&["what", "days"]).is_some()
        || after(&["which", "days"]).is_some()
    {
        return Focus::Date;
    }
    if after(&["what", "time"]).is_some()
        || after(&["what", "hours"]).is_some()
        || after(&["which", "hours"]).is_some()
        || TIME_OF_DAY_PHRASES.iter().any(|p| q.contains(p))
    {
        return Focus::Time;
    }
    if after(&["how", "much"]).is_some()
        || q.contains("what share")
        || q.contains("what rate")
        || q.contains("what fee")
        || q.contains("what is the cap")
        || q.contains("what is the most")
        || q.contains("what is the maximum")
        || q.contains("what is the minimum")
        || q.contains("what is the lowest")
        || q.contains("what is the longest")
    {
        return Focus::Figure;
    }
    if let Some(focus) = names_a_figure(ws) {
        return focus;
    }
    if asks_for_a_jurisdiction(ws) {
        return Focus::Jurisdiction;
    }
    if asks_for_a_place(ws) {
        return Focus::Place;
    }
    if ws.first().is_some_and(|w| w == "when") || q.contains("by when") {
        return Focus::When;
    }
    // "what does a day pass cost?", "up to what dollar amount…" (not "who pays the cost")
    let asks_what = ws
        .iter()
        .take(3)
        .any(|w| w == "what" || w == "how" || w == "which");
    if asks_what
        && ws.iter().any(|w| {
            matches!(
                w.as_str(),
                "cost" | "costs" | "dollar" | "dollars" | "price"
            )
        })
    {
        return Focus::Money;
    }
    Focus::Open
}

/// What a question asking for a telephone number says.
const PHONE_PHRASES: &[&str] = &[
    "phone number",
    "telephone number",
    "fax number",
    "hotline number",
    "number do i call",
    "number should i call",
    "number to call",
];

/// Words that say how often ("a weekly report", "twice a year" is a quantity already).
const FREQUENCY_WORDS: &[&str] = &[
    "daily",
    "weekly",
    "biweekly",
    "fortnightly",
    "monthly",
    "bimonthly",
    "quarterly",
    "annually",
    "yearly",
    "semiannually",
    "semi-annually",
    "hourly",
];

/// What a question asking for a time of day says.
const TIME_OF_DAY_PHRASES: &[&str] = &[
    "opening hours",
    "business hours",
    "office hours",
    "hours of operation",
    "open hours",
    "what hours",
];

/// Words between "how much" and "notice" ("how much prior written notice").
const NOTICE_ADJECTIVES: &[&str] = &["prior", "advance", "advanced", "written", "formal"];

/// Words that follow "how much" when it asks what something costs ("how much does…").
const AUXILIARIES: &[&str] = &[
    "does", "do", "did", "will", "would", "can", "could", "should", "is", "are", "must",
];

/// Verbs that end the subject of "what time does … open?".
const TIME_VERBS: &[&str] = &[
    "start", "begin", "open", "close", "end", "finish", "leave", "arrive", "run", "serve", "get",
];

/// Verbs after "how much" that ask for an amount of money ("how much does it cost").
const MONEY_VERBS: &[&str] = &[
    "pay",
    "pays",
    "paid",
    "cost",
    "costs",
    "charge",
    "charges",
    "reimburse",
    "reimburses",
    "reimbursed",
    "charged",
    "contribute",
    "contributes",
    "earn",
    "earns",
    "spend",
    "owe",
    "owes",
];

/// Nouns whose value is a figure or a code: "what is the dental plan deductible", "which
/// Tock line do I bill", "what is the mileage reimbursement rate per mile".
const FIGURE_NOUNS: &[&str] = &[
    "rate",
    "cap",
    "ceiling",
    "amount",
    "score",
    "code",
    "line",
    "number",
    "balance",
    "limit",
    "threshold",
    "percentage",
    "minimum",
    "maximum",
    "age",
];

/// Nouns whose value is a length of time (stems).
const DURATION_NOUNS: &[&str] = &["term", "period", "duration"];

/// Words a question may open with before its question word ("above what amount").
const PREPOSITIONS: &[&str] = &[
    "above", "below", "under", "over", "in", "on", "at", "to", "from", "for", "by", "after",
    "before", "until", "with", "within",
];

/// Nouns whose value is an amount of money: a phone number or a date answers none of them.
const MONEY_NOUNS: &[&str] = &[
    "fee",
    "deductible",
    "cost",
    "price",
    "salary",
    "premium",
    "copay",
    "stipend",
    "allowance",
];

/// Nouns whose value is an address: "what web address", "which Slack channel", "what company
/// domain", "what email address" (stems, see [`stem`]).
const ADDRESS_NOUNS: &[&str] = &[
    "address", "url", "link", "website", "site", "domain", "channel", "alias",
];

/// The head (last word, stemmed) of the noun phrase `ws` opens with, up to its verb or
/// preposition: "Tock line" in "Tock line do I bill…", "session" in "free counseling sessions
/// can I get…"; `None` when a verb or preposition comes first ("of my passwords").
fn noun_phrase_head(ws: &[String]) -> Option<String> {
    noun_phrase_last(ws)
        .map(|w| stem(&w))
        .filter(|h| !h.is_empty())
}

/// The last word of the noun phrase `ws` opens with, as written (see [`noun_phrase_head`]).
fn noun_phrase_last(ws: &[String]) -> Option<String> {
    const SKIP: &[&str] = &["is", "are", "was", "the", "a", "an", "my", "our"];
    const END: &[&str] = &[
        "do",
        "does",
        "did",
        "is",
        "are",
        "should",
        "can",
        "could",
        "will",
        "would",
        "must",
        "may",
        "for",
        "of",
        "on",
        "in",
        "if",
        "to",
        "when",
        "under",
        "at",
        "with",
        "i",
        "we",
        "per",
        "have",
        "has",
        "am",
        "were",
        "was",
        "from",
        "after",
        "before",
        "during",
        "since",
        "until",
        "starting",
        "beginning",
        "effective",
        "as",
    ];
    // "the monthly fee starting 20 August 2020": a date or a figure ends the phrase too
    let head = ws
        .iter()
        .skip_while(|w| SKIP.contains(&w.as_str()))
        .take_while(|w| !END.contains(&w.as_str()) && !w.chars().any(|c| c.is_ascii_digit()))
        .last()?;
    let head = head.trim_matches(|c: char| !c.is_alphanumeric());
    (!head.is_empty()).then(|| head.to_string())
}

/// The noun a "what"/"which" question (or "who is the …") asks for, as [`noun_phrase_head`]
/// finds it: "code" in "what code do they use to identify GSA", "name" in "what application
/// name do I enter", "filer" in "who is the designated filer". A sentence that names it
/// ("GSA's TWN Employer Code is 10536", "For application name, enter …") gives its value more
/// often than the sentence beside it on the same topic, which shares as many of the question's
/// other words. `None` for other questions and for nouns that name no thing ("what kind of").
pub(crate) fn asked_noun(question: &str) -> Option<String> {
    const VAGUE: &[&str] = &["kind", "type", "sort", "one", "thing", "happen", "else"];
    let lower = question.to_lowercase();
    let ws = words(asked_clause(&lower));
    let at = ws.iter().take(3).position(|w| w == "what" || w == "which");
    let rest = match at {
        Some(at) if at == 0 || PREPOSITIONS.contains(&ws[0].as_str()) => &ws[at + 1..],
        _ if ws.len() > 2 && ws[0] == "who" && (ws[1] == "is" || ws[1] == "was") => &ws[2..],
        _ => return None,
    };
    // as written: the caller stems it as it stems the units' words ("agencies", not "agencie")
    noun_phrase_last(rest).filter(|h| !VAGUE.contains(&stem(h).as_str()))
}

/// The thing a figure question measures, as written: "cards" in "how much does a box of GSA
/// business cards cost", "subsidy" in "what is the monthly dollar amount of the transit
/// subsidy", "number" in "how much does The Work Number charge". A figure in a sentence that
/// names neither it nor, in its heading, the thing is some other thing's ("SFMTA one-way fare
/// is $2.25" for the transit subsidy).
pub(crate) fn measured_noun(question: &str) -> Option<String> {
    let lower = question.to_lowercase();
    let ws = words(asked_clause(&lower));
    // "how much does NP cost/charge/pay"
    if let Some(i) = ws
        .windows(3)
        .position(|w| w[0] == "how" && w[1] == "much" && AUXILIARIES.contains(&w[2].as_str()))
    {
        let np = &ws[i + 3..];
        if let Some(v) = np.iter().position(|w| MONEY_VERBS.contains(&w.as_str())) {
            return np[..v].last().cloned();
        }
        return None;
    }
    // "what time does NP open": the event or place whose hours are asked
    if ws.len() > 3 && ws[0] == "what" && ws[1] == "time" && AUXILIARIES.contains(&ws[2].as_str()) {
        let np = &ws[3..];
        let verb = np.iter().position(|w| TIME_VERBS.contains(&w.as_str()))?;
        return noun_phrase_last(&np[..verb]);
    }
    // "the (monthly dollar) amount of NP", "the maximum number of NP"
    let at = ws.windows(2).position(|w| {
        let s = stem(&w[0]);
        (FIGURE_NOUNS.contains(&s.as_str()) || MONEY_NOUNS.contains(&s.as_str())) && w[1] == "of"
    })?;
    noun_phrase_last(&ws[at + 2..])
}

/// What a "how long does it take (X) to …" question times, as its stemmed content words:
/// "send replac" in "how long does it take GSA IT to send me a replacement". A length of time
/// in a sentence that names none of them, nor does its heading, is another thing's.
fn taken_activity(question: &str) -> Option<HashSet<String>> {
    let lower = question.to_lowercase();
    let ws = words(asked_clause(&lower));
    let take = ws
        .windows(2)
        .position(|w| w[0] == "how" && (w[1] == "long" || w[1] == "much"))
        .and_then(|h| {
            ws[h..]
                .iter()
                .position(|w| w == "take" || w == "takes")
                .map(|t| h + t)
        })?;
    let to = ws[take..]
        .iter()
        .position(|w| w == "to")
        .map(|t| take + t)?;
    let activity = content_words(&ws[to + 1..].join(" "));
    (!activity.is_empty()).then_some(activity)
}

/// Whether a "what"/"which" question asks for a noun whose value is a figure: the head (last
/// word) of the noun phrase after the question word, up to its verb or preposition, is one of
/// [`FIGURE_NOUNS`] or [`MONEY_NOUNS`] ("which Tock line do…", but not "which line manager
/// approves…").
/// Without this, a sentence that names the thing but gives no figure ("reimbursement at the
/// POV mileage rates") answered the question.
fn names_a_figure(ws: &[String]) -> Option<Focus> {
    // the question word may follow a preposition: "above what amount", "under which line"
    let at = ws
        .iter()
        .take(3)
        .position(|w| w == "what" || w == "which")?;
    if at > 0 && !PREPOSITIONS.contains(&ws[0].as_str()) {
        return None;
    }
    let rest = &ws[at + 1..];
    let head = noun_phrase_head(rest)?;
    // "what amount" is money unless it is an amount of time ("what amount of leave")
    let of_time = || {
        let i = rest.iter().position(|w| stem(w) == "amount");
        i.and_then(|i| rest.get(i + 1..i + 3)).is_some_and(|n| {
            n[0] == "of"
                && (TIME_UNITS.contains(&stem(&n[1]).as_str()) || n[1] == "leave" || n[1] == "time")
        })
    };
    if MONEY_NOUNS.contains(&head.as_str()) || (head == "amount" && !of_time()) {
        Some(Focus::Money)
    } else if DURATION_NOUNS.contains(&head.as_str()) {
        // "what is the initial term", "what is the notice period": a length of time
        Some(Focus::Quantity(TIME_UNITS.to_vec()))
    } else if ADDRESS_NOUNS.contains(&head.as_str()) {
        Some(Focus::Address)
    } else if head == "percentage" {
        Some(Focus::Percent)
    } else if FIGURE_NOUNS.contains(&head.as_str()) {
        Some(Focus::Figure)
    } else {
        None
    }
}

/// Whether a "what"/"which" question asks for a state, a country or a jurisdiction ("which
/// state's law governs…", "what country's courts", "which jurisdiction"), or what law governs.
fn asks_for_a_jurisdiction(ws: &[String]) -> bool {
    const PLACES: &[&str] = &["state", "country", "jurisdiction", "province", "nation"];
    if !ws
        .first()
        .is_some_and(|w| w == "what" || w == "which" || w == "where")
    {
        return false;
    }
    // "which state's law", "what jurisdiction governs", but not "which state forms"
    const THEN: &[&str] = &[
        "law", "laws", "court", "courts", "governs", "govern", "is", "does", "will", "has",
    ];
    // "what country is the supplier based in?" asks for a place, not a law
    let legal = ws.iter().any(|w| {
        LAW_WORDS
            .iter()
            .chain(&["disput", "arbitra"])
            .any(|l| w.starts_with(l))
    });
    let place = ws.get(1).is_some_and(|w| {
        let possessive = w.ends_with("'s") || w.ends_with("’s");
        PLACES.contains(&stem(w.trim_end_matches("’s")).as_str())
            && (possessive || (legal && ws.get(2).is_some_and(|n| THEN.contains(&n.as_str()))))
    });
    let governing = ws.iter().any(|w| w == "governs" || w == "governing")
        && ws.iter().any(|w| stem(w) == "law");
    place || governing
}

/// Whether the question asks for a place: "which city", "in what country", "where is the
/// retreat held" (where something is, not where to send it: see [`Focus::Address`]).
fn asks_for_a_place(ws: &[String]) -> bool {
    const PLACES: &[&str] = &["city", "town", "country", "county", "province", "location"];
    const BEING: &[&str] = &[
        "held",
        "located",
        "based",
        "headquartered",
        "hosted",
        "processed",
        "situated",
    ];
    // "where do I sign up", "where do we park": somewhere to go ("where do I go to install
    // apps" is as often a web page)
    const GOING: &[&str] = &["sign", "park", "meet", "register", "pick", "drop"];
    ws.windows(2)
        .any(|w| (w[0] == "which" || w[0] == "what") && PLACES.contains(&stem(&w[1]).as_str()))
        || (ws.first().is_some_and(|w| w == "where")
            && ws
                .iter()
                .any(|w| BEING.contains(&w.as_str()) || GOING.contains(&w.as_str())))
}

/// Whether `text` names a place: one of [`JURISDICTIONS`], or a city written with its state
/// ("Canton, Ohio" is the first; "Kansas City, MO", "Boulder, CO").
fn names_a_place(text: &str) -> bool {
    const STATE_CODES: &[&str] = &[
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
        "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
        "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
        "VA", "WA", "WV", "WI", "WY", "DC",
    ];
    let capitalized = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    let tokens: Vec<&str> = text.split_whitespace().collect();
    // a street address: "450 Golden Gate", "1800 F Street"
    let street = |w: &[&str]| {
        let number = w[0];
        (1..=5).contains(&number.len())
            && number.chars().all(|c| c.is_ascii_digit())
            && !is_year(number)
            && capitalized(w[1])
            && !MONTHS.contains(&w[1].to_lowercase().trim_end_matches([',', '.']))
    };
    names_a_jurisdiction(&text.to_lowercase())
        || tokens.windows(2).any(|w| {
            let code = w[1].trim_end_matches(|c: char| !c.is_alphanumeric());
            w[0].ends_with(',') && capitalized(w[0]) && STATE_CODES.contains(&code)
        })
        || tokens.windows(2).any(street)
}

/// US states and the countries and provinces contracts most often choose, lower-cased.
const JURISDICTIONS: &[&str] = &[
    "alabama",
    "alaska",
    "arizona",
    "arkansas",
    "california",
    "colorado",
    "connecticut",
    "delaware",
    "florida",
    "georgia",
    "hawaii",
    "idaho",
    "illinois",
    "indiana",
    "iowa",
    "kansas",
    "kentucky",
    "louisiana",
    "maine",
    "maryland",
    "massachusetts",
    "michigan",
    "minnesota",
    "mississippi",
    "missouri",
    "montana",
    "nebraska",
    "nevada",
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "ohio",
    "oklahoma",
    "oregon",
    "pennsylvania",
    "rhode island",
    "south carolina",
    "south dakota",
    "tennessee",
    "texas",
    "utah",
    "vermont",
    "virginia",
    "washington",
    "west virginia",
    "wisconsin",
    "wyoming",
    "district of columbia",
    "puerto rico",
    "england",
    "wales",
    "scotland",
    "ireland",
    "united kingdom",
    "canada",
    "ontario",
    "quebec",
    "british columbia",
    "alberta",
    "germany",
    "france",
    "netherlands",
    "luxembourg",
    "switzerland",
    "sweden",
    "spain",
    "italy",
    "japan",
    "china",
    "hong kong",
    "singapore",
    "india",
    "israel",
    "australia",
    "new zealand",
    "mexico",
    "brazil",
    "cayman islands",
    "bermuda",
    "korea",
    "taiwan",
];

/// Whether a text names one of [`JURISDICTIONS`].
fn names_a_jurisdiction(lower: &str) -> bool {
    let padded: String = lower
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let padded = format!(
        " {} ",
        padded.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    JURISDICTIONS
        .iter()
        .any(|j| padded.contains(&format!(" {j} ")))
}

/// Whether words state an amount of money: "$191,900", "RMB 500", "55 dollars", "€20".
fn money(ws: &[String]) -> bool {
    const CURRENCIES: &[&str] = &[
        "dollar", "usd", "rmb", "eur", "euro", "cent", "pound", "gbp", "yuan",
    ];
    let currency = |w: Option<&String>| {
        w.is_some_and(|w| {
            CURRENCIES.contains(&stem(w.trim_matches(|c: char| !c.is_alphanumeric())).as_str())
        })
    };
    ws.iter().enumerate().any(|(i, w)| {
        let signed = (w.contains(['$', '€', '£', '¥']) && w.chars().any(|c| c.is_ascii_digit()))
            || without_currency_code(w) != w.as_str();
        signed
            || (is_number(w)
                && w != "a"
                && (currency(ws.get(i + 1)) || (i > 0 && currency(ws.get(i - 1)))))
    })
}

fn stem(w: &str) -> String {
    let w = w.trim_end_matches("'s");
    if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_string()
    } else {
        w.to_string()
    }
}

/// Currency codes a contract may glue to its figure ("RMB1 million", "USD500").
const CURRENCY_CODES: &[&str] = &[
    "rmb", "usd", "us$", "eur", "gbp", "cad", "aud", "jpy", "krw", "inr", "chf", "cny", "hkd",
];

/// `word` without a currency code glued to its figure: "RMB1" is "1", "RMB" stays.
fn without_currency_code(word: &str) -> &str {
    CURRENCY_CODES
        .iter()
        .find_map(|code| {
            let rest = word.get(code.len()..)?;
            (word[..code.len()].eq_ignore_ascii_case(code)
                && rest.starts_with(|c: char| c.is_ascii_digit()))
            .then_some(rest)
        })
        .unwrap_or(word)
}

/// Whether a word is a number: digits (with separators, a currency sign or code, or a
/// percent sign) or a number word.
fn is_number(w: &str) -> bool {
    let t = without_currency_code(w.trim_matches(|c: char| "$€£%(),.#".contains(c)));
    // "H1" and "COVID-19" are names, not figures ("#1810" is a code)
    t.chars().next().is_some_and(|c| c.is_ascii_digit())
        || matches!(
            t,
            "one"
                | "two"
                | "three"
                | "four"
                | "five"
                | "six"
                | "seven"
                | "eight"
                | "nine"
                | "ten"
                | "eleven"
                | "twelve"
                | "fifteen"
                | "twenty"
                | "thirty"
                | "forty"
                | "fifty"
                | "sixty"
                | "ninety"
                | "hundred"
                | "a"
        )
}

/// `text` without what the question already gives for its focus, which answers nothing: for
/// a date, the months and years the question names ("On what date did 18F submit … responding
/// to the October 2016 evaluation?" is not answered by "In October of 2016, the IG released…").
/// (A person the question names is left out by [`names_someone`].)
fn without_given(question: &str, focus: &Focus, text: &str) -> String {
    let key = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let asked: HashSet<String> = question.split_whitespace().map(key).collect();
    let given = |k: &str| match focus {
        Focus::Date | Focus::When | Focus::Deadline => {
            asked.contains(k) && (MONTHS.contains(&k) || is_year(k))
        }
        // "in Chicago, which office…": the place the question is in is not the one it asks
        Focus::Place => asked.contains(k),
        _ => false,
    };
    text.split_whitespace()
        .filter(|w| !given(&key(w)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `text` states what `focus` asks for.
pub(crate) fn states_focus(focus: &Focus, text: &str) -> bool {
    let lower = text.to_lowercase();
    let ws: Vec<String> = lower
        .split(|c: char| c.is_whitespace() || c == '/' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    // `counted`: a count of things ("6 free sessions"), where "a paid editor seat" counts none;
    // a length of time may be "a year"
    let quantity_of = |units: &[&str], counted: bool| {
        ws.iter().enumerate().any(|(i, w)| {
            // "12 weeks", "12-week", "13 days (104 hours)", "one year", "a year"
            // a range ("3-5", "6-7") is a number; "12-week" is a number and its unit
            let (num, unit_at) = match w.split_once('-') {
                Some((n, u)) if is_number(n) && is_number(u) => (true, None),
                Some((n, u)) if is_number(n) && !u.is_empty() => (true, Some(u.to_string())),
                _ => (is_number(w) && w != "a", None),
            };
            let a_unit = !counted && (w == "a" || w == "an" || w == "every" || w == "each");
            // "this 23rd day of December" dates; an ordinal counts no time
            if !(num || a_unit) || is_ordinal(w.trim_end_matches([',', '.'])) {
                return false;
            }
            let next: Vec<String> = match unit_at {
                Some(u) => vec![u],
                // "15 Military Leave days": the unit may follow a few words on
                None => ws[i + 1..ws.len().min(i + 4)]
                    .iter()
                    // "upon one year's prior written notice"
                    .map(|x| {
                        without_possessive(x.trim_matches(|c: char| !c.is_alphanumeric()))
                            .to_string()
                    })
                    .collect(),
            };
            next.iter().any(|n| {
                // "eight person-hours": a compound's last part is its unit
                let s = stem(n.rsplit('-').next().unwrap_or(n));
                units.iter().any(|u| {
                    let first = u.split(' ').next().unwrap_or(u);
                    // "a second opinion" is no length of time; "one 15 second spot" is
                    (s == first || s == *u) && (num || *u != "second")
                })
            }) && (num || !next.is_empty())
        })
    };
    let quantity = |units: &[&str]| quantity_of(units, false);
    match focus {
        Focus::Quantity(units) => quantity(units),
        Focus::Ahead(units) => quantity(units) && ws.iter().any(|w| says_ahead(w)),
        Focus::Count(noun) => quantity_of(&[noun.as_str()], true),
        // "8.13 No SRAM Product Warranty Issues": a heading's number is no figure
        Focus::Figure => figure(&ws[usize::from(opens_with_section_number(text)).min(ws.len())..]),
        Focus::Money => money(&ws),
        // a time expression: any digit is not one ("bill at least 32 people")
        Focus::When => {
            ws.iter().any(|w| {
                let t = w.trim_matches(|c: char| !c.is_alphanumeric());
                (MONTHS.contains(&t) && t != "may") || is_weekday(t) || is_year(t)
            }) || lower.split_whitespace().any(is_numeric_date)
                || states_time_of_day(&ws)
                || quantity(TIME_UNITS)
                || states_an_occasion(&lower)
        }
        Focus::Date => {
            ws.iter().enumerate().any(|(i, w)| {
                let t = w.trim_matches(|c: char| !c.is_alphanumeric());
                // "may" is a month only beside a number ("May 1", "1 May")
                let dated = || {
                    ws.get(i + 1).is_some_and(|n| is_number(n)) || (i > 0 && is_number(&ws[i - 1]))
                };
                // "the 10th of every month": a day of the month
                let day_of_month = || {
                    is_ordinal(t)
                        && ws.get(i + 1).is_some_and(|n| n == "of")
                        && ws[i + 2..ws.len().min(i + 5)].iter().any(|n| {
                            let n = n.trim_matches(|c: char| !c.is_alphanumeric());
                            n == "month" || MONTHS.contains(&n)
                        })
                };
                (MONTHS.contains(&t) && (t != "may" || dated())) || is_weekday(t) || day_of_month()
            }) || lower.split_whitespace().any(is_numeric_date)
                || states_time_of_day(&ws)
        }
        // "5 percent", "five per cent"; "a percentage of each paycheck" gives none
        Focus::Time => states_time_of_day(&ws),
        Focus::Frequency => {
            quantity(TIME_UNITS)
                || ws.iter().any(|w| {
                    let t = w.trim_matches(|c: char| !c.is_alphanumeric());
                    // "bi-monthly", "semi-annually"
                    FREQUENCY_WORDS.contains(&t)
                        || FREQUENCY_WORDS.contains(&t.replace('-', "").as_str())
                })
        }
        Focus::Notice => {
            // a length of time within five words before "notice", or "notice of N …"
            let duration = |words: &[String]| {
                states_focus(&Focus::Quantity(TIME_UNITS.to_vec()), &words.join(" "))
            };
            (0..ws.len()).any(|i| {
                ws[i].trim_matches(|c: char| !c.is_alphanumeric()) == "notice"
                    && (duration(&ws[i.saturating_sub(5)..i])
                        || (ws.get(i + 1).is_some_and(|w| w == "of")
                            && duration(&ws[i + 1..ws.len().min(i + 6)])))
            })
        }
        Focus::Deadline => {
            states_focus(&Focus::Date, text)
                && (ws.iter().any(|w| {
                    matches!(
                        w.trim_matches(|c: char| !c.is_alphanumeric()),
                        "by" | "before" | "due" | "until" | "deadline"
                    )
                }) || lower.contains("no later than"))
        }
        Focus::Percent => {
            // "7%", "7 %"; a blank left for the figure ("a sum equal to % of") states none
            ws.iter().enumerate().any(|(i, w)| {
                let next = |k: usize| ws.get(i + k).map_or("", String::as_str);
                (w.contains('%')
                    && (w.chars().any(|c| c.is_ascii_digit())
                        || (i > 0 && w.starts_with('%') && is_number(&ws[i - 1]))))
                    || (is_number(w)
                        && ((next(1).starts_with("percent") && !next(1).starts_with("percentage"))
                            || (next(1) == "per" && next(2).starts_with("cent"))))
            })
        }
        Focus::Phone => has_phone_number(&lower),
        // "Suite 207, Coquitlam, British Columbia" names a province but no governing law
        Focus::Jurisdiction => {
            names_a_jurisdiction(&lower)
                && LAW_WORDS
                    .iter()
                    .any(|l| ws.iter().any(|w| w.starts_with(l)))
        }
        Focus::Address => ws.iter().any(|w| is_address(w)),
        Focus::Place => names_a_place(text),
        Focus::Header(field) => lower.trim_start().starts_with(&field.to_lowercase()),
        Focus::Person(names) => names_someone(text, names),
        Focus::Per { unit, money: true } => money(&ws) && per_unit(&lower, unit),
        Focus::Per { unit, money: false } => figure(&ws) && per_unit(&lower, unit),
        Focus::Open => true,
    }
}

/// Whether a word (punctuation aside) places a length of time ahead of something: "prior",
/// "in advance", "notice", …
fn says_ahead(word: &str) -> bool {
    matches!(
        word.trim_matches(|c: char| !c.is_alphanumeric()),
        "advance" | "ahead" | "prior" | "before" | "beforehand" | "early" | "earlier" | "notice"
    )
}

/// Whether `text` states what `question` asks (its `focus`), leaving out what the question
/// gives ([`without_given`]) and, for a length of time, a lead time: "each renewal term" is
/// not "notice not later than six (6) months prior to the expiration", unless the question
/// asks how far before.
fn states_asked(question: &str, focus: &Focus, text: &str) -> bool {
    let text = without_given(question, focus, text);
    let asks_length = matches!(focus, Focus::Quantity(units) if units.contains(&"month"));
    if !asks_length
        || words(&question.to_lowercase())
            .iter()
            .any(|w| says_ahead(w))
    {
        return states_focus(focus, &text);
    }
    // the text with every "six (6) months prior" left out
    let ws: Vec<&str> = text.split_whitespace().collect();
    let mut kept = Vec::with_capacity(ws.len());
    let mut i = 0;
    while i < ws.len() {
        let ahead = is_number(ws[i])
            .then(|| (i + 1..ws.len().min(i + 5)).find(|&j| says_ahead(ws[j])))
            .flatten();
        match ahead {
            Some(j) => i = j + 1,
            None => {
                kept.push(ws[i]);
                i += 1;
            }
        }
    }
    states_focus(focus, &kept.join(" "))
}

/// Whether a sentence says when by an occasion rather than a date ("update the README upon a
/// new project phase, like the end of discovery", "at the start of each project").
fn states_an_occasion(lower: &str) -> bool {
    [
        "upon ",
        "after ",
        "once ",
        "whenever ",
        "as soon as ",
        "at the end of ",
        "at the start of ",
        "at the beginning of ",
        "prior to ",
        "following ",
    ]
    .iter()
    .any(|m| lower.contains(m))
}

/// Words one of which a sentence that states a governing law or a forum uses.
const LAW_WORDS: &[&str] = &["law", "govern", "court", "jurisdiction", "venue", "constru"];

/// Whether words state a time of day: "9:00", "5 p.m.", "10am", "noon", "close of business".
fn states_time_of_day(ws: &[String]) -> bool {
    let joined = ws.join(" ");
    if [
        "noon",
        "midnight",
        "close of business",
        "end of the day",
        "end of day",
    ]
    .iter()
    .any(|p| joined.contains(p))
    {
        return true;
    }
    let meridiem = |x: &str| {
        matches!(
            x.trim_end_matches([',', ';', ')', '.']),
            "am" | "pm" | "a.m." | "p.m." | "a.m" | "p.m"
        )
    };
    ws.iter().enumerate().any(|(i, w)| {
        // "at 9am." ends a sentence
        let t = w.trim_matches(|c: char| "([,;).".contains(c));
        let clock = t.split_once(':').is_some_and(|(h, m)| {
            (1..=2).contains(&h.len())
                && h.chars().all(|c| c.is_ascii_digit())
                && m.len() >= 2
                && m[..2].chars().all(|c| c.is_ascii_digit())
        });
        let hour = |d: &str| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit() || c == ':');
        let glued = ["am", "pm", "a.m", "p.m"]
            .iter()
            .any(|m| t.strip_suffix(m).is_some_and(hour));
        clock || glued || (hour(t) && ws.get(i + 1).is_some_and(|n| meridiem(n)))
    })
}

/// Whether a bare word is a weekday, or its plural ("usually on Thursdays", "on Tuesday's").
fn is_weekday(t: &str) -> bool {
    WEEKDAYS.contains(&without_possessive(t))
        || t.strip_suffix('s').is_some_and(|d| WEEKDAYS.contains(&d))
}

/// A word without its possessive "'s" (straight or curly apostrophe): "year's" → "year".
fn without_possessive(w: &str) -> &str {
    w.strip_suffix("'s")
        .or_else(|| w.strip_suffix("’s"))
        .unwrap_or(w)
}

/// Whether a bare word is an ordinal in digits ("10th", "1st", "23rd").
fn is_ordinal(t: &str) -> bool {
    ["st", "nd", "rd", "th"].iter().any(|o| {
        t.strip_suffix(o)
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
    })
}

/// Whether a bare word is a year of the last or this century ("2020").
fn is_year(t: &str) -> bool {
    t.len() == 4
        && t.chars().all(|c| c.is_ascii_digit())
        && (t.starts_with("19") || t.starts_with("20"))
}

/// Whether a word is a date in digits: "5/19/20", "2020-08-20", "19.5.2020" (not the
/// section "3.1.1" or the range "1-2").
fn is_numeric_date(word: &str) -> bool {
    let w = word.trim_matches(|c: char| !c.is_ascii_digit());
    ['/', '-', '.'].iter().any(|&sep| {
        let parts: Vec<&str> = w.split(sep).collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| (1..=4).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
            && (sep == '/' || parts.iter().any(|p| p.len() == 4))
    })
}

/// Whether a (lower-cased) text holds a telephone number: seven or more digits in groups
/// ("1-877-888-3337", "(202) 501-1021", "202.501.1021"), not a date or a plain figure.
fn has_phone_number(lower: &str) -> bool {
    let mut run = String::new();
    let mut found = false;
    let mut flush = |run: &mut String| {
        let digits = run.chars().filter(char::is_ascii_digit).count();
        let groups: Vec<&str> = run
            .split(|c: char| !c.is_ascii_digit())
            .filter(|g| !g.is_empty())
            .collect();
        // the last group of a number has four digits; "2020-08-20" is a date
        if (7..=15).contains(&digits)
            && groups.len() >= 2
            && groups.last().is_some_and(|g| g.len() == 4)
            && groups.first().is_none_or(|g| g.len() != 4)
        {
            found = true;
        }
        run.clear();
    };
    for c in lower.chars() {
        if c.is_ascii_digit()
            || (!run.is_empty() && matches!(c, '-' | '.' | ' ' | '(' | ')'))
            || (run.is_empty() && c == '(')
        {
            run.push(c);
        } else {
            flush(&mut run);
        }
    }
    flush(&mut run);
    found
}

/// Roles a "who" question may be answered with ("your immediate supervisor", "the head of
/// your division").
const ROLE_WORDS: &[&str] = &[
    "supervisor",
    "manager",
    "director",
    "officer",
    "specialist",
    "coordinator",
    "counsel",
    "administrator",
    "representative",
    "liaison",
    "head of",
];

/// Whether `text` names someone other than `names` (the question's, lower-cased): a role, an
/// e-mail address, or a capitalized word that does not just open the sentence ("Dana, for
/// your records" names Dana), is not an acronym of five letters or fewer ("GSA", "LWOP":
/// things, not people) and is not in a run of three or more capitalized words (a title: "the
/// Effect of Extended Leave Without Pay").
fn names_someone(text: &str, names: &[String]) -> bool {
    let lower = text.to_lowercase();
    // a role the question names is what it asks about ("Who is the 18F Director of Account
    // Management?"), not the answer
    if ROLE_WORDS.iter().any(|r| {
        !names.iter().any(|n| n == r)
            && (mentions(&lower, r) || (!r.contains(' ') && mentions(&lower, &format!("{r}s"))))
    }) {
        return true;
    }
    let ws: Vec<&str> = text.split_whitespace().collect();
    let capital = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    let linking = |w: &str| matches!(w, "of" | "and" | "the" | "for" | "&");
    // the length of the run of capitalized words (and the words that link them) around i
    let run = |i: usize| {
        // "To: Dana Okafor": a label ends the run before it
        let inside =
            |j: usize| (capital(ws[j]) || linking(ws[j])) && (j == i || !ws[j].ends_with(':'));
        let start = (0..=i).rev().take_while(|&j| inside(j)).last().unwrap_or(i);
        let end = (i..ws.len()).take_while(|&j| inside(j)).last().unwrap_or(i);
        (start..=end).filter(|&j| capital(ws[j])).count()
    };
    ws.iter().enumerate().any(|(i, raw)| {
        let w = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '@' && c != '.');
        let w = w.trim_end_matches('.');
        let known = |n: &str| names.iter().any(|q| q == &n.to_lowercase());
        if let Some((user, _)) = w.split_once('@') {
            return is_address(w) && !names.iter().any(|q| user.to_lowercase().contains(q));
        }
        let w = without_possessive(w);
        let acronym = w.len() <= 5 && w.chars().all(|c| c.is_ascii_uppercase());
        w.chars().count() >= 2
            && is_name(w)
            && w.chars()
                .all(|c| c.is_alphabetic() || c == '-' || c == '\'')
            && (!opens_sentence(&ws, i) || raw.ends_with(','))
            && !acronym
            && run(i) < 3
            && !known(w)
    })
}

/// Whether a (lower-cased) word is an address: a web address, a domain name
/// ("vdi.anywhere.gsa.gov"), an e-mail address or a chat channel ("#tts-jobs").
fn is_address(word: &str) -> bool {
    let w = word
        .trim_start_matches(|c: char| "`'\"“”‘’<([*".contains(c))
        .trim_end_matches(|c: char| "`'\"“”‘’,;:!?>)]*.".contains(c));
    if w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www.") {
        return true;
    }
    if let Some(channel) = w.strip_prefix('#') {
        return channel.len() > 1
            && channel.chars().any(|c| c.is_alphabetic())
            && channel
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    }
    let host = w
        .rsplit_once('@')
        .map_or(w, |(user, host)| if user.is_empty() { "" } else { host });
    // a domain: labels of letters, digits and hyphens, the last (the top-level domain) 2–6
    // letters; a file name ("report.pdf") has one dot and a known extension
    let labels: Vec<&str> = host.split('.').collect();
    let tld = labels.last().copied().unwrap_or("");
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && (2..=6).contains(&tld.len())
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && (labels.len() >= 3 || w.contains('@') || WEB_TLDS.contains(&tld))
}

/// Top-level domains a two-label name must end with to count as a domain ("zoomgov.com", not
/// "e.g" or "report.pdf").
const WEB_TLDS: &[&str] = &[
    "com", "gov", "org", "net", "edu", "mil", "io", "us", "uk", "co", "ca", "de", "eu", "app",
    "dev", "ai",
];

/// Whether `text` opens with a clause or section number followed by a capitalized word
/// ("8.13 No SRAM Product Warranty Issues", "1. PAPA JOHN'S shall pay").
fn opens_with_section_number(text: &str) -> bool {
    let mut words = text.split_whitespace();
    let (Some(first), Some(next)) = (words.next(), words.next()) else {
        return false;
    };
    first.contains('.')
        && first.chars().any(|c| c.is_ascii_digit())
        && first.chars().all(|c| c.is_ascii_digit() || c == '.')
        && next.chars().next().is_some_and(char::is_uppercase)
}

/// Whether words state a figure: a number that is not part of a date ("August 28, 2009"
/// answers no "how much").
fn figure(ws: &[String]) -> bool {
    let bare = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
    let month = |w: Option<&String>| w.is_some_and(|w| MONTHS.contains(&bare(w).as_str()));
    ws.iter().enumerate().any(|(i, w)| {
        let t = bare(w);
        let year = is_year(&t);
        let day_of_month = (i > 0 && month(ws.get(i - 1))) || month(ws.get(i + 1));
        // "on the one hand" states no figure
        is_number(w) && w != "a" && t != "one" && !year && !day_of_month
    })
}

/// The names a question mentions ([`names`]: "Northwind", "Papa John's", "GSA") that
/// `source` never mentions.
#[cfg(test)]
fn names_absent(question: &str, source: &str) -> Vec<String> {
    absent_from(&names(question), source)
}

/// Which of `names` (a question's, see [`names`] and [`asked_names`]) `source` (the answer's
/// passage with its title and path) never mentions: a passage about another vendor does not
/// answer a question about Northwind however well its sentence fits.
pub(crate) fn absent_from(names: &[String], source: &str) -> Vec<String> {
    let source = source.to_lowercase();
    names
        .iter()
        .filter(|w| !mentions(&source, &w.to_lowercase()))
        .cloned()
        .collect()
}

/// The names a passage must name to answer `question` when no passage names all of
/// [`names`]: those, less the ones said only in a sentence before the asked one that tells the
/// asker's own situation ("I flew from Denver to DC on a Sunday. When I work out my travel
/// comp time, which time zone do I go by?"): a general rule never names the asker's city. A
/// name in the asked sentence, or in a lead-in that is not about the asker ("The notice came
/// from Northwind. When…"), is still required.
pub(crate) fn asked_names(question: &str) -> Vec<String> {
    let mut context = Vec::new();
    let mut asked = Vec::new();
    let sentences = super::text::sentences(question);
    for (i, sentence) in sentences.iter().enumerate() {
        let own = words(&sentence.to_lowercase())
            .iter()
            .any(|w| FIRST_PERSON.contains(&w.as_str()));
        let target = if i + 1 < sentences.len() && own {
            &mut context
        } else {
            &mut asked
        };
        target.extend(names(sentence));
    }
    // a sentence's first word is no name there, though the whole question may read it as one
    let all = names(question);
    all.into_iter()
        .filter(|n| asked.contains(n) || !context.contains(n))
        .collect()
}

/// Words by which a sentence tells about the asker.
const FIRST_PERSON: &[&str] = &[
    "i", "i'm", "i’m", "i'll", "i’ll", "i've", "i’ve", "i'd", "i’d", "my", "me", "we", "we're",
    "our",
];

/// Whether a filing's file name glues `name` into one of its words, as EDGAR names do
/// ("MRSFIELDSORIGINALCOOKIESINC_01_29_1998-EX-10-FRANCHISE_AGREEMENT.PDF" holds "Mrs" and
/// "Fields"); names under three letters match too much by chance. Folders are not looked at.
pub(crate) fn glued_in_file_name(path: &str, name: &str) -> bool {
    let file_name = path.rsplit('/').next().unwrap_or_default().to_lowercase();
    name.chars().count() >= 3 && file_name.contains(&name.to_lowercase())
}

/// Whether a word ending in a period is a title or an initial ("Dr.", "Mrs.", "D."), not a
/// sentence's end.
fn abbreviation(word: &str) -> bool {
    let w = word.trim_end_matches('.');
    (w.len() == 1 && w.chars().all(|c| c.is_ascii_uppercase()))
        || matches!(w, "Dr" | "Mr" | "Mrs" | "Ms" | "Prof" | "St" | "Jr" | "Sr")
}

/// Whether lower-cased `text` holds `name` (lower-cased) as a word of its own: "Dental" is
/// not in "incidental", nor "Union" in "reunion"; "DGT" is in "DGT's".
pub(crate) fn mentions(text: &str, name: &str) -> bool {
    !name.is_empty()
        && text.match_indices(name).any(|(i, _)| {
            !text[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
                && !text[i + name.len()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric)
        })
}

/// `question` without the words [`names`] finds: "Which country's law governs the joint
/// venture agreement between Aizu Fujitsu Semiconductor Limited and Transphorm?" becomes
/// "Which country's law governs the joint venture agreement between and?". Within a document
/// that names the parties, the names say nothing about which of its passages answers.
pub(crate) fn without_names(question: &str) -> String {
    let ws: Vec<&str> = question.split_whitespace().collect();
    (0..ws.len())
        .filter(|&i| {
            opens_sentence(&ws, i)
                || !is_name(without_possessive(
                    ws[i].trim_matches(|c: char| !c.is_alphanumeric()),
                ))
        })
        .map(|i| ws[i])
        .collect::<Vec<_>>()
        .join(" ")
}

/// The names a question mentions: its capitalized words past the first ("Northwind", "Papa
/// John's" as "Papa" and "John", "GSA"), without "I", months and weekdays.
pub(crate) fn names(question: &str) -> Vec<String> {
    let ws: Vec<&str> = question.split_whitespace().collect();
    let ws = &ws;
    (0..ws.len())
        // "the Miltenyi Biotec–Bellicum supply agreement": a dash joins two names, which a
        // document writes apart; only the first part may open a sentence
        .flat_map(|i| {
            ws[i]
                .split(['–', '—'])
                .enumerate()
                .filter(move |&(j, _)| j > 0 || !opens_sentence(ws, i))
                .map(|(_, part)| part)
        })
        .map(|w| without_possessive(w.trim_matches(|c: char| !c.is_alphanumeric())))
        .filter(|w| is_name(w))
        .map(str::to_string)
        .collect()
}

/// Whether word `i` of `ws` opens a sentence, where it is capitalized for that alone: a
/// text's first word, or one after ".", "?", "!" or ":" ("Dr." and an initial, "George D.
/// Green", end no sentence).
fn opens_sentence(ws: &[&str], i: usize) -> bool {
    i == 0 || (ws[i - 1].ends_with(['.', '?', '!', ':']) && !abbreviation(ws[i - 1]))
}

/// Acronyms of common nouns, which a page may spell out or not use: "my ID badge" is answered
/// by the page on PIV cards, which says "GSA badge" and never "ID".
const GENERIC_ACRONYMS: &[&str] = &[
    "ID", "IDs", "PC", "PCs", "PDF", "PDFs", "USB", "URL", "URLs", "FAQ", "OK", "TV", "AM", "PM",
    "FYI", "ASAP",
];

/// Whether a bare word (no punctuation, no possessive) is capitalized as a name. "I" and its
/// contractions ("I'll", "I’m") are no names, nor are months and weekdays ("from 20 August
/// 2020" dates what is asked, and a passage may write the date another way), nor a title or
/// an initial ("Dr. George D. Green" may be "George Green" there).
fn is_name(w: &str) -> bool {
    let lower = w.to_lowercase();
    w.chars().next().is_some_and(char::is_uppercase)
        && !GENERIC_ACRONYMS.contains(&w)
        && w != "I"
        && !w.starts_with("I'")
        && !w.starts_with("I’")
        && !MONTHS.contains(&lower.as_str())
        && !WEEKDAYS.contains(&lower.as_str())
        && !abbreviation(&format!("{w}."))
}

/// A question about Northwind is answered from a document that names Northwind: when some
/// passage's document names everything the question names (`naming`, by passage), the
/// sentences of the others are out of the running (their scores become −∞).
pub(crate) fn only_from_naming(units: &[Unit], scores: &mut [f32], naming: &[bool]) {
    if !naming.iter().any(|&n| n) {
        return;
    }
    for (u, s) in units.iter().zip(scores.iter_mut()) {
        if !naming.get(u.passage - 1).copied().unwrap_or(false) {
            *s = f32::NEG_INFINITY;
        }
    }
}

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
    /// Part of a contract's opening ([`is_contract_opening`]): its preamble, the sentence
    /// that names "the Parties", a recital.
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
    /// Its text led by who wrote it when ("On 2 April 2024, Alice Meyer wrote: Please draft
    /// the termination notice…"), in the words of a reply's attribution line, when it is
    /// from a message; else its text.
    pub(crate) fn dated(&self) -> String {
        match &self.written {
            Some(w) => format!("On {}, {} wrote: {}", w.on, w.by, self.text),
            None => self.text.clone(),
        }
    }
}

/// Verbs (as prefixes) of writing a message.
const WRITING: &[&str] = &[
    "email", "e-mail", "mail", "send", "sent", "wrote", "write", "reply", "repli", "respond",
    "forward", "tell", "told", "ask", "announc", "messag", "notifi", "inform",
    // "let Dana know"
    "know",
];

/// Who the question says wrote the message it asks about, lower-cased: the name a writing verb
/// follows within two words ("Bob" in "On what day did Bob tell Alice…", "Alice" in "When did
/// Alice first email Bob asking…", "Maria" in "When did Maria Lopez send…"); a name that a
/// writing verb precedes is whom it was written to ("email Bob").
fn asked_writer(question: &str) -> Option<String> {
    let ws: Vec<&str> = question.split_whitespace().collect();
    let writing = |w: &str| {
        let w = w.to_lowercase();
        WRITING.iter().any(|v| w.starts_with(v))
    };
    (0..ws.len()).find_map(|i| {
        let name = without_possessive(ws[i].trim_matches(|c: char| !c.is_alphanumeric()));
        (is_name(name)
            && !opens_sentence(&ws, i)
            && !(i > 0 && writing(ws[i - 1]))
            && ws[i + 1..].iter().take(2).any(|w| writing(w)))
        .then(|| name.to_lowercase())
    })
}

/// Whether the question asks when a message was written ("On what date did Maria send the
/// announcement?", "When did Alice first email Bob…?"): a message's sentence then answers
/// with its header's date, which is otherwise no answer (see [`is_mail_header`]).
pub(crate) fn asks_when_written(question: &str) -> bool {
    matches!(focus(question), Focus::When | Focus::Date | Focus::Deadline)
        && words(&question.to_lowercase())
            .iter()
            .any(|w| WRITING.iter().any(|v| w.starts_with(v)))
}

/// The sender and date of a message header block ("From: Alice Meyer <alice@…>", "Date:
/// 2024-04-02T09:00:00+00:00"), the date as a reader writes it ("2 April 2024").
fn header_written(block: &[&str]) -> Option<Written> {
    let field = |name: &str| {
        block
            .iter()
            .find_map(|l| l.trim().strip_prefix(name).map(str::trim))
    };
    let from = field("From:")?;
    let by = from
        .split('<')
        .next()
        .unwrap_or(from)
        .trim()
        .trim_matches('"');
    let by = if by.is_empty() { from } else { by };
    let on = field("Date:").or_else(|| field("Sent:"))?;
    Some(Written {
        by: by.to_string(),
        on: readable_date(on),
    })
}

/// The date and name of a reply's attribution line ("On Tue, 2 Apr 2024, Alice Meyer
/// wrote:" → "Tue, 2 Apr 2024" and "Alice Meyer").
fn attribution_written(line: &str) -> Option<Written> {
    let inner = line.strip_prefix("On ")?.strip_suffix("wrote:")?.trim();
    let (on, by) = inner.rsplit_once(',')?;
    Some(Written {
        by: by.trim().to_string(),
        on: on.trim().to_string(),
    })
}

/// "2024-04-02T09:00:00+00:00" as "2 April 2024"; another date as written, without a time
/// of day ("Tue, 2 Apr 2024 09:00:00 +0000" → "Tue, 2 Apr 2024").
fn readable_date(date: &str) -> String {
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    if digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
    {
        let month: usize = date[5..7].parse().unwrap_or(0);
        let day: u32 = date[8..10].parse().unwrap_or(0);
        if let Some(m) = month.checked_sub(1).and_then(|m| MONTHS.get(m)) {
            let mut name = m.to_string();
            name[..1].make_ascii_uppercase();
            return format!("{day} {name} {}", &date[..4]);
        }
    }
    date.split_whitespace()
        .take_while(|w| !w.contains(':'))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Removes what is not prose: cross-references, escaped markdown, bare links, stray markers.
pub(crate) fn clean(text: &str) -> String {
    let mut s = text.replace("\\", "");
    for noise in [
        "(See below.)",
        "(see below.)",
        "(See below)",
        "(see below)",
        "(See above.)",
        "(see above)",
        "(See above)",
    ] {
        s = s.replace(noise, "");
    }
    let kept: Vec<&str> = s
        .split_whitespace()
        .filter(|w| !(w.starts_with("http://") || w.starts_with("https://")))
        .map(|w| w.trim_start_matches('•'))
        .enumerate()
        // a lone "-" opening a line marks a list item; between words it is a dash ("7 AM - 10
        // AM"), which says what the words cannot
        .filter(|&(i, w)| {
            !w.is_empty() && !matches!(w, "*" | "**" | "|" | "#") && (w != "-" || i > 0)
        })
        .map(|(_, w)| w)
        .collect();
    let joined = kept.join(" ");
    super::text::tidy_punctuation(
        joined.trim_matches(|c: char| c == '|' || c == ',' || c == ';' || c.is_whitespace()),
    )
}

/// Splits one line of prose into sentences (see [`super::text::sentences`]).
fn line_sentences(line: &str) -> Vec<String> {
    super::text::sentences(line)
}

/// Words a line wrapped in the middle of a sentence ends with.
const CONTINUING: &[&str] = &[
    "a", "an", "the", "to", "of", "in", "on", "at", "by", "for", "from", "with", "and", "or", "as",
    "is", "are", "be", "will", "shall", "that", "which", "than", "its", "their", "per",
];

/// Joins the lines of a block that a layout wrapped in the middle of a sentence (PDF text,
/// plain-text mail): a line that does not end a sentence continues on the next when the
/// next starts in lower case, or the line is long, or it ends with a comma or a word no
/// sentence ends with. List items and table rows stay lines of their own.
fn logical_lines(block: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in block {
        let line = line.trim();
        let continues = out.last().is_some_and(|prev: &String| {
            let ended = prev
                .trim_end_matches(['"', '”', '’', '\'', ')'])
                .ends_with(['.', '!', '?', ':', ';']);
            let last = prev.rsplit(' ').next().unwrap_or("").to_lowercase();
            !ended
                && !line.starts_with('•')
                && !line.contains(" | ")
                && !prev.contains(" | ")
                && (line.chars().next().is_some_and(char::is_lowercase)
                    || prev.split_whitespace().count() >= 8
                    || prev.ends_with([',', '-'])
                    || CONTINUING.contains(&last.as_str()))
        });
        match out.last_mut() {
            Some(prev) if continues => {
                prev.push(' ');
                prev.push_str(line);
            }
            _ => out.push(line.to_string()),
        }
    }
    out
}

/// A line without the markers of a quoted reply ("> ", ">> ").
fn unquoted(line: &str) -> &str {
    if line.trim_start().starts_with('>') {
        line.trim_start_matches(|c: char| c == '>' || c.is_whitespace())
    } else {
        line
    }
}

/// Most words a unit may have: the embedder reads about this many, and one sentence that
/// long (contract prose) says several things.
const MAX_UNIT_WORDS: usize = 90;

/// Splits a sentence longer than [`MAX_UNIT_WORDS`] at its semicolons, and a piece still
/// too long into windows of 60 words, so long contract sentences stay candidates.
fn within_length(sentence: &str) -> Vec<String> {
    if sentence.split_whitespace().count() <= MAX_UNIT_WORDS {
        return vec![sentence.to_string()];
    }
    let mut out = Vec::new();
    for piece in sentence.split("; ") {
        let ws: Vec<&str> = piece.split_whitespace().collect();
        if ws.len() <= MAX_UNIT_WORDS {
            out.push(piece.to_string());
        } else {
            out.extend(ws.chunks(60).map(|c| c.join(" ")));
        }
    }
    out
}

/// Whether a unit opens with a demonstrative that points at the sentence before it ("This
/// request…", "These forms…", "Such leave…"); "It" is left out, it is as often "it is
/// important to…".
fn refers_back(text: &str) -> bool {
    let mut ws = text.split_whitespace();
    matches!(
        ws.next(),
        Some("This" | "These" | "That" | "Those" | "Such")
    ) && ws
        .next()
        .is_some_and(|w| w.chars().all(char::is_alphabetic))
}

/// The header field a question about a message asks for: its subject line, or who was
/// copied on it. "Copied" asks about a message only beside a word for one ("who copied the
/// files" does not).
fn asked_header_field(q: &str, ws: &[String]) -> Option<&'static str> {
    let has = |w: &[&str]| ws.iter().any(|x| w.contains(&x.as_str()));
    let message = has(&[
        "email", "e-mail", "emails", "message", "messages", "reply", "mail", "memo", "thread",
        "forward",
    ]);
    if q.contains("subject line") || (message && has(&["subject", "titled"])) {
        return Some("Subject:");
    }
    if has(&["cc", "cc'd", "cc’d", "cced", "cc:"]) || (message && has(&["copied"])) {
        return Some("Cc:");
    }
    None
}

/// Whether a question asks about the message that opened a thread ("her first email", "the
/// original message").
fn asks_first_message(question: &str) -> bool {
    words(&question.to_lowercase())
        .iter()
        .any(|w| ["first", "original", "initial", "opening"].contains(&w.as_str()))
}

/// Whether a header line is a reply's or a forward's ("Subject: Re: …", "Subject: Fwd: …").
fn is_reply_header(line: &str) -> bool {
    let value = line
        .split_once(':')
        .map_or("", |(_, v)| v)
        .trim_start()
        .to_lowercase();
    ["re:", "fwd:", "fw:"].iter().any(|p| value.starts_with(p))
}

/// Fields of a message's header as the indexer writes them.
const MAIL_FIELDS: &[&str] = &["From:", "To:", "Cc:", "Bcc:", "Date:", "Sent:", "Subject:"];

/// Whether a block is a message's header: every line a header field, one of them `From:` or
/// `Subject:` (a contract's notice address, "To: Licensee, Attn: …", is not one).
fn is_mail_header(block: &[&str]) -> bool {
    block.iter().all(|l| mail_field(l).is_some())
        && block
            .iter()
            .any(|l| matches!(mail_field(l), Some("From:" | "Subject:")))
}

/// The header field ([`MAIL_FIELDS`]) a line gives, if any.
fn mail_field(line: &str) -> Option<&'static str> {
    let line = line.trim_start();
    MAIL_FIELDS.iter().find(|f| line.starts_with(**f)).copied()
}

/// Whether a block is a mailbox's list of its messages ("1. New remote work policy — Maria
/// Lopez <maria.lopez@example.com> — 2024-03-18T09:15:00+01:00"): who wrote when, no answer.
fn is_mailbox_listing(block: &[&str]) -> bool {
    let timestamp = |w: &str| {
        let b = w.as_bytes();
        b.len() >= 19
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
    };
    block.iter().all(|l| {
        let l = l.trim();
        l.contains(" — ") && l.rsplit(' ').next().is_some_and(timestamp)
    })
}

/// Whether a line introduces a quoted reply ("On Tue, 2 Apr 2024, Alice Meyer wrote:").
fn is_attribution(line: &str) -> bool {
    line.starts_with("On ") && line.ends_with("wrote:") && line.split_whitespace().count() <= 16
}

/// Whether a line looks like a heading: short, one line in its block, no sentence end.
fn is_heading(block: &[&str]) -> bool {
    let [line] = block else {
        return false;
    };
    let line = line.trim();
    let n = line.split_whitespace().count();
    (1..=9).contains(&n)
        && !line.starts_with('•')
        && !line.ends_with(['.', ':', '?', '!', ';', ','])
        && !line.contains(" | ")
        // a form's label line gives a number or an address to use ("Fax to: 816-823-5415"),
        // a template's a value ("Total time: 1.5-2 hours"; "Step 1: Sign in" is a heading)
        && !has_phone_number(&line.to_lowercase())
        && !line.contains('@')
        && !line
            .split_once(": ")
            .is_some_and(|(_, value)| value.chars().any(|c| c.is_ascii_digit()))
        // a quoted message may open it ("\"SmartCard certificate is not trusted\" error")
        && line
            .trim_start_matches(['"', '“', '\'', '‘', '('])
            .chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// The candidate units of numbered passages (`sections[i]` is passage i+1's heading path,
/// `cosines[i]` its cosine similarity to the question). A heading that states the question's
/// `focus` ("For meetings longer than 40 minutes" for "how long can a meeting run…") leads
/// the first unit under it: that unit says what the heading's figure is about.
pub(crate) fn units(
    passages: &[String],
    sections: &[Option<String>],
    cosines: &[f32],
    focus: &Focus,
) -> Vec<Unit> {
    let mut out = Vec::new();
    for (p, text) in passages.iter().enumerate() {
        let passage_cosine = cosines.get(p).copied().unwrap_or(0.0);
        let section = sections.get(p).cloned().flatten().unwrap_or_default();
        let mut heading = section.clone();
        let mut position = 0;
        let mut figure_heading: Option<String> = None;
        let mut written: Option<Written> = None;
        let mut push = |out: &mut Vec<Unit>,
                        raw: &str,
                        heading: &str,
                        lead: &mut Option<String>,
                        opening: bool,
                        written: &Option<Written>| {
            let cleaned = match lead.take() {
                Some(h) => format!("{h}: {}", clean(raw)),
                None => clean(raw),
            };
            let n = words(&cleaned).len();
            // enough words to say something: a short list item may still hold the figure
            // ("Call them at 866-450-5250"), and a form's label line its number or address
            // ("Fax to: 816-823-5415")
            let letters = cleaned.chars().filter(|c| c.is_alphabetic()).count();
            let digits = cleaned.chars().any(|c| c.is_ascii_digit());
            let labelled = (2..4).contains(&n)
                && letters >= 3
                && (has_phone_number(&cleaned.to_lowercase())
                    || cleaned.split_whitespace().any(is_address));
            // the header field asked for, however short ("Cc: Legal")
            let asked_field = matches!(focus, Focus::Header(f) if cleaned.starts_with(f));
            if labelled
                || asked_field
                || ((4..=MAX_UNIT_WORDS).contains(&n)
                    && (letters >= 12 || (digits && letters >= 6)))
            {
                out.push(Unit {
                    passage: p + 1,
                    position,
                    text: cleaned,
                    heading: heading.to_string(),
                    passage_cosine,
                    opening,
                    written: written.clone(),
                });
                position += 1;
            }
        };
        // blocks are separated by blank lines; a one-line short block is a heading. A reply's
        // quoted lines ("> Alice,", ">> notice. Please draft…") are read without their
        // markers, so a quoted sentence is whole and a quoted blank line ends a paragraph
        let mut blocks: Vec<Vec<&str>> = vec![Vec::new()];
        for line in text.lines() {
            let line = unquoted(line);
            if line.trim().is_empty() {
                if blocks.last().is_some_and(|b| !b.is_empty()) {
                    blocks.push(Vec::new());
                }
            } else if let Some(b) = blocks.last_mut() {
                b.push(line);
            }
        }
        for block in blocks.iter().filter(|b| !b.is_empty()) {
            // a message's header says who wrote when about what; it states no answer, unless
            // the question asks for one of its fields
            if is_mail_header(block) {
                written = header_written(block);
                if let Focus::Header(field) = focus {
                    for line in block.iter().filter(|l| mail_field(l) == Some(field)) {
                        push(&mut out, line, &heading, &mut None, false, &written);
                    }
                }
                continue;
            }
            if is_mailbox_listing(block) {
                continue;
            }
            if is_heading(block) {
                let h = block[0].trim();
                heading = if section.is_empty() || section.ends_with(h) {
                    if section.is_empty() {
                        h.to_string()
                    } else {
                        section.clone()
                    }
                } else {
                    format!("{section} › {h}")
                };
                // every word of a heading is capitalized: it names no one
                figure_heading = (!matches!(focus, Focus::Open | Focus::Person(_))
                    && states_focus(focus, h))
                .then(|| clean(h))
                .filter(|h| !opens_with_section_number(h));
                continue;
            }
            let table: Vec<&&str> = block.iter().filter(|l| l.contains(" | ")).collect();
            if table.len() >= 2 && table.len() == block.len() {
                let cells = |l: &str| -> Vec<String> {
                    l.split(" | ")
                        .map(|c| clean(c.trim()))
                        .filter(|c| !c.is_empty())
                        .collect()
                };
                let header = cells(table[0]);
                for row in &table[1..] {
                    let row = cells(row);
                    let text = if header.len() == row.len() {
                        header
                            .iter()
                            .zip(&row)
                            .map(|(h, c)| format!("{h}: {c}"))
                            .collect::<Vec<_>>()
                            .join("; ")
                    } else {
                        row.join("; ")
                    };
                    push(
                        &mut out,
                        &text,
                        &heading,
                        &mut figure_heading,
                        false,
                        &written,
                    );
                }
                continue;
            }
            for line in logical_lines(block) {
                let line = line.trim();
                if is_attribution(line) {
                    // the quoted lines below it are the earlier message's
                    written = attribution_written(line).or(written);
                    continue;
                }
                let line = line.strip_prefix('•').unwrap_or(line);
                // a list item is a unit of its own (long items are split into sentences)
                for s in line_sentences(line) {
                    // a long preamble is cut into pieces; each is part of it
                    let opening = is_contract_opening(&s);
                    for piece in within_length(&s) {
                        push(
                            &mut out,
                            &piece,
                            &heading,
                            &mut figure_heading,
                            opening,
                            &written,
                        );
                    }
                }
            }
        }
    }
    out
}

/// The words a wh-question takes as given ("how many weeks of *paid* leave"), those of a
/// lead-in clause included ("If OCE needs an additional review, how many business days…"): a
/// unit that says the opposite answers another question. A yes/no question ("is FMLA leave
/// paid?") takes none: either polarity answers it.
fn presupposed_words(question: &str) -> Vec<String> {
    let lower = question.to_lowercase();
    let asked = words(asked_clause(&lower));
    if asked.first().is_some_and(|w| {
        matches!(
            w.as_str(),
            "how" | "what" | "which" | "who" | "when" | "where" | "why"
        )
    }) {
        // "without (getting) approval" in the question takes no approval as given
        let ws = words(&lower);
        let negated = |i: usize| {
            contradicts(&ws[i], &lower)
                || ws[i.saturating_sub(3)..i]
                    .iter()
                    .any(|w| matches!(w.as_str(), "without" | "not" | "no" | "never"))
        };
        (0..ws.len())
            .filter(|&i| ws[i].len() >= 4 && !negated(i))
            .map(|i| ws[i].clone())
            .collect()
    } else {
        Vec::new()
    }
}

/// What a sentence that uses a term the question puts in quotation marks gains: the asker
/// names the thing in the page's words ("where do I get the budget “burn” numbers").
const QUOTED_TERM: f32 = 0.15;

/// The content words of each term `question` puts in double quotation marks.
fn quoted_terms(question: &str) -> Vec<HashSet<String>> {
    let normalized = question.replace(['“', '”'], "\"");
    normalized
        .split('"')
        .skip(1)
        .step_by(2)
        .map(content_words)
        .filter(|t| !t.is_empty())
        .collect()
}

/// What a sentence that names the question's [`asked_noun`] gains.
const ASKED_NOUN: f32 = 0.15;

/// What a signature block loses when the question is not about signing: it names the parties
/// and their officers, so it shares the question's names and outscores the clause that states
/// what was asked ("Designated Filer: Ares Trading SA").
const SIGNATURE_BLOCK: f32 = 0.25;

/// Whether a unit is a contract's signature block or its lead-in: "By: /s/ Cédric Hyde Name:
/// … Title: CFO", "3/18/97 By /s/ Kathy M Ireland", "IN WITNESS WHEREOF, the Parties have…".
fn is_signature_block(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("/s/")
        || lower.starts_with("in witness whereof")
        || (lower.starts_with("by:") && lower.contains("name:") && lower.contains("title:"))
}

/// What a contract's opening loses when the question does not ask what it states: the preamble
/// and the recitals name both parties, and a question about a contract names them too, so
/// their word overlap and cosine stand about this much above the clause that answers ("THIS
/// MEDIA LICENSE AGREEMENT … between NATIONAL FOOTBALL MUSEUM, INC. … and HOF Village Media
/// Group" scored 0.59 over "The arbitration shall be held in Canton, Ohio").
const CONTRACT_OPENING: f32 = 0.6;

/// Whether a sentence is part of a contract's opening: its preamble ("THIS MEDIA LICENSE
/// AGREEMENT (this “Agreement”) is made … between …"), the sentence that names them "the
/// Parties" ("ChipMOS and Tsinghua Unigroup shall collectively be referred to as the
/// “Parties.”") or a recital ("WHEREAS, …").
fn is_contract_opening(sentence: &str) -> bool {
    let lower = sentence.trim_start().to_lowercase();
    let ws: Vec<&str> = lower.split_whitespace().take(12).collect();
    let preamble = ws.first() == Some(&"this")
        && ws.iter().any(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            matches!(w, "agreement" | "amendment" | "contract" | "lease")
        })
        && (lower.contains(" between ") || lower.contains(" among "));
    let names_the_parties = [
        "referred to as the “parties",
        "referred to as the \"parties",
    ]
    .iter()
    .any(|p| lower.contains(p));
    preamble || names_the_parties || lower.starts_with("whereas")
}

/// Whether the question asks what a contract's opening states: who the parties are or where
/// they are incorporated, when the contract was made or takes effect, why it was made.
fn asks_what_the_opening_states(question: &str, focus: &Focus) -> bool {
    asks_about_signing(question)
        || matches!(
            focus,
            Focus::Person(_) | Focus::Date | Focus::When | Focus::Deadline
        )
        || words(&question.to_lowercase()).iter().any(|w| {
            // "party", "parties", "party's"; not "Partnership"
            w.starts_with("party")
                || w.starts_with("parties")
                || w.starts_with("effective")
                || w.starts_with("dated")
                || w.starts_with("entered")
                || w.starts_with("incorporat")
                || w.starts_with("organized")
                || w == "why"
        })
}

/// Whether `u` is part of a contract's opening that states nothing the question asks: the
/// question is not about what openings state (`about_opening`, see
/// [`asks_what_the_opening_states`]) and `u` defines no role it asks about. Scoring and
/// selection apply the same test.
fn opening_out_of_place(question: &str, about_opening: bool, u: &Unit) -> bool {
    u.opening && !about_opening && !defines_what_is_asked(question, &u.text)
}

/// Whether a contract's opening defines a name the question uses for a party: "which company
/// is the Owner of the fuel cell systems?" is answered by "…and DIAMOND STATE GENERATION
/// PARTNERS, LLC, a Delaware limited liability company (“Owner”)". The names every contract
/// defines for itself or for both sides ("this Agreement", "the Parties") do not count.
pub(crate) fn defines_what_is_asked(question: &str, text: &str) -> bool {
    const OWN: &[&str] = &[
        "agreement",
        "amendment",
        "contract",
        "lease",
        "party",
        "parties",
        "effective date",
    ];
    let asked = format!(" {} ", words(&question.to_lowercase()).join(" "));
    // “curly” quotes open and close with two characters, "straight" ones with one
    let curly = text.split('“').skip(1).filter_map(|q| q.split('”').next());
    let straight = text.split('"').skip(1).step_by(2);
    curly
        .chain(straight)
        .map(|term| term.trim().to_lowercase())
        .filter(|term| {
            let n = term.split_whitespace().count();
            (1..=3).contains(&n) && !OWN.contains(&term.as_str())
        })
        // a role takes an article ("the Owner"); a party's short name, which the question
        // gives to say which contract it means ("between Allscripts and Phreesia"), does not
        .any(|term| {
            let term = words(&term).join(" ");
            [" the ", " a ", " an "]
                .iter()
                .any(|a| asked.contains(&format!("{a}{term} ")))
        })
}

/// Whether the question asks who signed or when something was signed, which a signature block
/// answers: a word of signing among its first six words ("who signed…", "which officer must
/// sign…") or its last two ("when was the lease executed?"). One further in describes the
/// document ("…the joint filing agreement signed with Merck KGaA…") and asks nothing about it.
fn asks_about_signing(question: &str) -> bool {
    let ws = words(&question.to_lowercase());
    let signing = |w: &String| {
        (w.starts_with("sign") && !w.starts_with("signif"))
            || (w.starts_with("execut") && !w.starts_with("executive"))
            || w.starts_with("countersign")
    };
    ws.iter().take(6).any(signing) || ws.iter().rev().take(2).any(signing)
}

/// Scores of units against the question (see the module documentation for the terms).
/// `semantic[i]` is the cosine similarity of unit i's embedding and the question's.
pub(crate) fn score(question: &str, units: &[Unit], semantic: &[f32]) -> Vec<f32> {
    let q = content_words(question);
    let focus = focus(question);
    // a unit with no digit cannot give what a number-valued focus asks for
    let wants_number = !matches!(
        focus,
        Focus::Open
            | Focus::Jurisdiction
            | Focus::Address
            | Focus::Place
            | Focus::Person(_)
            | Focus::Header(_)
    );
    // a wh-question takes its words as given ("how many weeks of *paid* leave"): a unit that
    // says the opposite ("leave without pay") answers another question; a yes/no question
    // ("is FMLA leave paid?") does not, and either polarity answers it
    let presupposed = presupposed_words(question);
    let contrasted = contrasted_words(question, &presupposed);
    let asked = asked_noun(question).map(|n| content_words(&n));
    let quoted = quoted_terms(question);
    let about_signing = asks_about_signing(question);
    let about_opening = asks_what_the_opening_states(question, &focus);
    let question_limits = limits(question);
    let semantic_of = |i: usize| semantic.get(i).copied().unwrap_or(0.0);
    units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let s = content_words(&u.text);
            let h: HashSet<String> = content_words(&u.heading).difference(&s).cloned().collect();
            let share = |set: &HashSet<String>| {
                if q.is_empty() {
                    0.0
                } else {
                    q.intersection(set).count() as f32 / q.len() as f32
                }
            };
            let mut lexical = 0.35 * share(&s) + 0.3 * share(&h);
            if asked
                .as_ref()
                .is_some_and(|a| !a.is_empty() && a.is_subset(&s))
            {
                lexical += ASKED_NOUN;
            }
            if quoted.iter().any(|t| t.is_subset(&s)) {
                lexical += QUOTED_TERM;
            }
            let mut semantic = semantic_of(i);
            // "This request will require approval from…" is about what the sentence before it
            // names ("…a home printer…"), which its own embedding cannot see
            if i > 0 && refers_back(&u.text) {
                let prev = &units[i - 1];
                if prev.passage == u.passage && prev.position + 1 == u.position {
                    semantic = semantic.max(semantic_of(i - 1));
                }
            }
            let mut focus_term = 0.0;
            if focus != Focus::Open {
                if states_asked(question, &focus, &u.text) {
                    focus_term += 0.2;
                } else if wants_number && !u.text.chars().any(|c| c.is_ascii_digit()) {
                    focus_term -= 0.1;
                }
            }
            let lower = u.text.to_lowercase();
            let mut penalty = 0.0;
            if lower.starts_with("for example")
                || lower.starts_with("example")
                || lower.starts_with("e.g")
                || lower.starts_with("for instance")
            {
                penalty += 0.25;
            }
            if u.text.ends_with('?') {
                penalty += 0.3;
            }
            if !about_signing && is_signature_block(&u.text) {
                penalty += SIGNATURE_BLOCK;
            }
            if opening_out_of_place(question, about_opening, u) {
                penalty += CONTRACT_OPENING;
            }
            if presupposed.iter().any(|w| contradicts(w, &lower))
                || contrasted.iter().any(|w| contrasts(w, &lower))
                || other_side_of_limit(&question_limits, &u.text)
            {
                penalty += 0.25;
            }
            if [
                "refer to",
                "see ",
                "check out",
                "for more",
                "learn more",
                "read more",
            ]
            .iter()
            .any(|p| lower.starts_with(p))
            {
                penalty += 0.15;
            }
            // a sentence is only as relevant as the passage it stands in: "3 weeks" in a
            // timesheet code list does not answer a parental-leave question
            let rank = 0.08 / u.passage as f32 + 0.5 * u.passage_cosine;
            semantic + lexical + focus_term + rank - penalty
        })
        .collect()
}

/// The words of a yes/no question whose negation in a passage settles it ("paid" in "is FMLA
/// leave paid?"); none for other questions.
pub(crate) fn polar_words(question: &str) -> Vec<String> {
    let lower = question.to_lowercase();
    let ws = words(polar_clause(&lower));
    if ws
        .first()
        .is_some_and(|w| POLAR_OPENERS.contains(&w.as_str()))
    {
        ws.into_iter().skip(1).filter(|w| w.len() >= 4).collect()
    } else {
        Vec::new()
    }
}

/// Whether `text` answers a yes/no question no in its own words: it negates the question's
/// opening verb ("Can we pay an honorarium…?" — "we can not compensate guests … an
/// honorarium"; "Do I need to notify HR?" — "you do not need to notify") and shares one of its
/// words. Such a sentence often shares fewer words with the question than the page's
/// introduction does, yet it is the answer.
pub(crate) fn denies(question: &str, text: &str) -> bool {
    let lower = question.to_lowercase();
    let ws = words(polar_clause(&lower));
    let Some(opener) = ws.first().filter(|w| POLAR_OPENERS.contains(&w.as_str())) else {
        return false;
    };
    // the opener's family: "Do I need…?" is answered by "usability testing does not require…"
    let family: &[&str] = match opener.as_str() {
        "do" | "does" | "did" => &["do", "does", "did"],
        "is" | "are" | "was" | "were" => &["is", "are", "was", "were"],
        "can" | "could" => &["can", "could"],
        "will" | "would" => &["will", "would"],
        "has" | "have" => &["has", "have"],
        "may" | "must" | "should" => &["may", "must", "should"],
        _ => &[],
    };
    let lower = text.to_lowercase().replace('’', "'");
    let polar = polar_words(question);
    // the word is in the clause the negation is in: "If you don't receive your phone on day
    // one, you'll need to use your own" does not deny "does someone need to be home?"
    lower.split([',', ';', ':']).any(|clause| {
        let tw = words(clause);
        let negates = tw
            .windows(2)
            .any(|w| family.contains(&w[0].as_str()) && w[1] == "not")
            || tw.iter().any(|w| {
                let verb = match w.as_str() {
                    "cannot" | "can't" => "can",
                    "won't" => "will",
                    w => w.strip_suffix("n't").unwrap_or(""),
                };
                family.contains(&verb)
            });
        negates && polar.iter().any(|p| tw.iter().any(|w| stem(w) == stem(p)))
    })
}

/// The yes/no question of lower-cased `lower`: the last of its sentences that a word of
/// [`POLAR_OPENERS`] opens ("I haven't set up 2FA yet. Will I still be able to read my
/// email?"), else all of it.
fn polar_clause(lower: &str) -> &str {
    let mut starts = std::iter::once(0).chain(
        lower
            .match_indices(['.', '?', '!'])
            .map(|(i, _)| i + 1)
            .filter(|&i| lower[i..].starts_with(' ')),
    );
    starts
        .rfind(|&i| {
            words(&lower[i..])
                .first()
                .is_some_and(|w| POLAR_OPENERS.contains(&w.as_str()))
        })
        .map_or(lower, |i| lower[i..].trim_start())
}

/// How many of `polar` (see [`polar_words`]) `text` negates.
pub(crate) fn negated(polar: &[String], text: &str) -> usize {
    let lower = text.to_lowercase();
    polar.iter().filter(|w| contradicts(w, &lower)).count()
}

/// Words that open a yes/no question.
const POLAR_OPENERS: &[&str] = &[
    "is", "are", "was", "were", "do", "does", "did", "can", "could", "will", "would", "should",
    "must", "may", "has", "have",
];

/// Whether lower-case `text` negates `word`: "unpaid", "non-exempt", "without approval"
/// ("without pay" for "paid").
fn contradicts(word: &str, text: &str) -> bool {
    text.contains(&format!("un{word}"))
        || text.contains(&format!("non{word}"))
        || text.contains(&format!("non-{word}"))
        || text.contains(&format!("without {word}"))
        || (word == "paid" && text.contains("without pay"))
}

/// Which side of a number a limit is on: "more than 80 hours" (above), "80 hours or less"
/// (below).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Above,
    Below,
}

/// The limits `text` puts on numbers, as (number, side): "over 80 hours" and "more than 80
/// hours" are above 80, "80 hours or less", "up to 80", "no more than 80" below it. A
/// number's commas and a leading "$" are dropped, so "$1,000" is "1000".
pub(crate) fn limits(text: &str) -> Vec<(String, Side)> {
    let t: Vec<String> = text
        .to_lowercase()
        .split_whitespace()
        .map(|w| {
            let w = w
                .trim_matches(|c: char| !c.is_alphanumeric())
                .replace(',', "");
            // "longer than six hours" and "under 6 hours" set limits on the same number (number
            // words from one to twenty are read)
            super::guard::cardinal(&w)
                .filter(|n| (1..=20).contains(n))
                .map_or(w, |n| n.to_string())
        })
        .collect();
    let at = |i: usize, back: usize| -> &str {
        i.checked_sub(back)
            .and_then(|j| t.get(j))
            .map_or("", String::as_str)
    };
    let mut out = Vec::new();
    for i in 0..t.len() {
        if t[i].is_empty() || !t[i].chars().all(|c| c.is_ascii_digit() || c == '.') {
            continue;
        }
        let (one, two, three) = (at(i, 1), at(i, 2), at(i, 3));
        let before = if matches!(one, "over" | "above" | "exceeding" | "exceeds" | "beyond")
            || (one, two) == ("least", "at")
        {
            Some(Side::Above)
        } else if one == "than" && matches!(two, "more" | "greater" | "longer" | "higher") {
            // "no more than 80" is a ceiling
            Some(if matches!(three, "no" | "not") {
                Side::Below
            } else {
                Side::Above
            })
        } else if matches!(one, "under" | "below")
            || (one == "than" && matches!(two, "less" | "fewer" | "shorter" | "lower"))
            || (one, two) == ("to", "up")
            || (one, two) == ("most", "at")
            || (one == "exceed" && matches!(two, "not" | "to"))
        {
            Some(Side::Below)
        } else {
            None
        };
        // "80 hours or less", "30 days or more": the side follows the number and its unit
        let after = (i + 1..(i + 4).min(t.len()))
            .find(|&j| t[j] == "or")
            .and_then(|j| t.get(j + 1))
            .and_then(|w| match w.as_str() {
                "less" | "fewer" | "under" | "below" | "lower" | "shorter" => Some(Side::Below),
                "more" | "greater" | "over" | "above" | "higher" | "longer" => Some(Side::Above),
                _ => None,
            });
        if let Some(side) = before.or(after) {
            out.push((t[i].clone(), side));
        }
    }
    out
}

/// Whether `text` states the other side of a limit the question sets ("80 hours or less" for
/// "who has to approve more than 80 hours…") and not the question's own: a rule for the other
/// case. A sentence that states both may compare them and still answer.
fn other_side_of_limit(question_limits: &[(String, Side)], text: &str) -> bool {
    if question_limits.is_empty() {
        return false;
    }
    let stated = limits(text);
    question_limits.iter().any(|(n, side)| {
        stated.iter().any(|(m, s)| m == n && s != side)
            && !stated.iter().any(|(m, s)| m == n && s == side)
    })
}

/// Qualifiers and the ones that name the other case: a question about an *additional* review
/// is not answered by the time an *initial* review takes.
const CONTRASTS: &[(&str, &[&str])] = &[
    ("additional", &["initial"]),
    ("extra", &["initial"]),
    ("subsequent", &["initial"]),
    ("initial", &["additional", "subsequent", "renewal"]),
    ("existing", &["new"]),
    ("renewal", &["new", "initial"]),
    ("maximum", &["minimum"]),
    ("minimum", &["maximum"]),
    ("part-time", &["full-time"]),
    ("full-time", &["part-time"]),
    ("international", &["domestic"]),
    ("domestic", &["international"]),
];

/// The numbered cases a question names: a capitalized word and the number after it ("Level
/// 2", "Tier 3", "Phase 1"), lower-cased.
fn numbered_cases(question: &str) -> Vec<(String, String)> {
    let ws: Vec<&str> = question.split_whitespace().collect();
    ws.windows(2)
        .filter_map(|w| {
            let word = w[0].trim_matches(|c: char| !c.is_alphanumeric());
            let number = w[1].trim_matches(|c: char| !c.is_alphanumeric());
            (word.len() > 1
                && word.chars().next().is_some_and(char::is_uppercase)
                && word.chars().all(char::is_alphabetic)
                && !MONTHS.contains(&word.to_lowercase().as_str())
                && !number.is_empty()
                && number.chars().all(|c| c.is_ascii_digit()))
            .then(|| (word.to_lowercase(), number.to_string()))
        })
        .collect()
}

/// Whether `text` is about another case of one the question numbers ([`numbered_cases`]):
/// it names the word with other numbers and never with the question's ("Level 4 summary
/// ratings: up to 2.1%" for a Level 2 rating).
fn another_numbered_case(cases: &[(String, String)], text: &str) -> bool {
    let ws: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .collect();
    cases.iter().any(|(word, number)| {
        let numbers: Vec<&str> = ws
            .windows(2)
            .filter(|w| &w[0] == word && w[1].chars().all(|c| c.is_ascii_digit()))
            .map(|w| w[1].as_str())
            .filter(|n| !n.is_empty())
            .collect();
        !numbers.is_empty() && !numbers.contains(&number.as_str())
    })
}

/// The question's given words whose other case (see [`CONTRASTS`]) it does not name itself:
/// "each renewal term … after the initial term" asks about one and names the other, so a
/// sentence about either may answer.
fn contrasted_words(question: &str, presupposed: &[String]) -> Vec<String> {
    let lower = question.to_lowercase();
    presupposed
        .iter()
        .filter(|w| {
            CONTRASTS
                .iter()
                .find(|(c, _)| c == w)
                .is_some_and(|(_, others)| !others.iter().any(|o| mentions(&lower, o)))
        })
        .cloned()
        .collect()
}

/// Whether lower-case `text` names the other case of `word` (see [`CONTRASTS`]) and not
/// `word` itself: "the initial review" for "an additional review"; a sentence that names both
/// may compare them and still answer.
fn contrasts(word: &str, text: &str) -> bool {
    let Some((_, others)) = CONTRASTS.iter().find(|(w, _)| *w == word) else {
        return false;
    };
    !mentions(text, word) && others.iter().any(|o| mentions(text, o))
}

/// How far below the best a unit that states the question's focus may score and still be
/// preferred to it.
const FOCUS_MARGIN: f32 = 0.35;

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
    // `best` when `ok` accepts it, else the best scored unit `ok` accepts within
    // [`FOCUS_MARGIN`] of it, if any
    let prefer = |best: usize, ok: &dyn Fn(usize) -> bool| {
        if ok(best) {
            return best;
        }
        (0..units.len().min(scores.len()))
            .filter(|&i| scores[i] >= scores[best] - FOCUS_MARGIN && ok(i))
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a)))
            .unwrap_or(best)
    };
    // "The following list provides Concur approvers for billable travel:" states the approver
    // in the item that names one
    let brings = |i: usize| !matches!(focus, Focus::Open) && items(i).into_iter().any(states);
    let best = prefer(best, &|i| states(i) || brings(i));
    // a yes/no question's answer is its polarity: a unit nearly as good that negates one of
    // its words ("12 weeks of unpaid leave" for "is FMLA leave paid?") states it outright
    let polar = polar_words(question);
    let says_no = |t: &str| negated(&polar, t) > 0 || denies(question, t);
    let best = if polar.is_empty() {
        best
    } else {
        prefer(best, &|i| says_no(&units[i].text))
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
    let asked = asked_noun(question).map(|n| content_words(&n));
    let measured = measured_noun(question).map(|n| content_words(&n));
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
        let item = stating.or_else(|| {
            items
                .iter()
                .copied()
                .max_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a)))
        });
        picked.extend(item);
    }
    Some(Selection {
        // a lead-in's figure is in the item it brings ("…will pay to ABG: $1,250,000"). An
        // address missing from the text proves nothing: a link's target is not indexed, only
        // its words ("[Zoom for Government](https://zoomgov.com/)")
        focus_found: match focus {
            Focus::Address | Focus::Place | Focus::Person(_) => true,
            // an open "what X"/"which X" question is answered by a unit that names X, in its
            // words or its heading: "Use the VPN for all access" names no VPN client
            Focus::Open => picked.iter().any(|&i| names(&asked, i)),
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
            _ => picked.iter().any(|&i| states(i)),
        },
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A unit of passage 1 at `position` under `heading`, its passage's cosine 0.6.
    /// One unit for each of `texts`, in order, under `heading`.
    fn units_under(heading: &str, texts: &[&str]) -> Vec<Unit> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| unit_under(heading, i, t))
            .collect()
    }

    fn unit_under(heading: &str, position: usize, text: &str) -> Unit {
        Unit {
            passage: 1,
            position,
            text: text.into(),
            heading: heading.into(),
            passage_cosine: 0.6,
            opening: false,
            written: None,
        }
    }

    /// Checks that `focus` is stated by each of `stated` and by none of `not_stated`.
    fn assert_states(focus: &Focus, stated: &[&str], not_stated: &[&str]) {
        for t in stated {
            assert!(states_focus(focus, t), "{focus:?} not in {t:?}");
        }
        for t in not_stated {
            assert!(!states_focus(focus, t), "{focus:?} in {t:?}");
        }
    }

    #[test]
    fn a_figure_question_names_the_thing_it_measures() {
        for (q, noun) in [
            (
                "How much does a box of standard GSA business cards cost?",
                Some("cards"),
            ),
            (
                "What is the monthly dollar amount of the GSA transit subsidy?",
                Some("subsidy"),
            ),
            (
                "How much does The Work Number charge a lender?",
                Some("number"),
            ),
            (
                "What is the maximum number of hours I can work?",
                Some("hours"),
            ),
            ("What is the mileage rate per mile?", None),
            ("How much notice must we give?", None),
        ] {
            assert_eq!(measured_noun(q).as_deref(), noun, "{q}");
        }
        // a figure of something else does not answer
        let unit = |text: &str| unit_under("San Francisco", 0, text);
        let found = |q: &str, text: &str| select(q, &[unit(text)], &[1.0]).unwrap().focus_found;
        let q = "What is the monthly dollar amount of the transit subsidy?";
        assert!(!found(
            q,
            "SFMTA one-way fare is $2.25 with a 90-minute transfer."
        ));
        assert!(found(q, "The transit subsidy pays up to $315 a month."));
    }

    #[test]
    fn the_hours_asked_are_the_hours_of_the_event_named() {
        assert_eq!(
            measured_noun("What time does the Thursday team breakfast start at the office?")
                .as_deref(),
            Some("breakfast")
        );
        let q = "What time does the Thursday team breakfast start at the New York office?";
        let found = |heading: &str, text: &str| {
            select(q, &[unit_under(heading, 0, text)], &[1.0])
                .unwrap()
                .focus_found
        };
        assert!(!found("New York City", "Building hours are 6am - 7pm."));
        assert!(found("Breakfast", "It starts at 9am in the kitchen."));
        assert!(found("Office", "The team breakfast starts at 9am."));
    }

    #[test]
    fn a_figure_may_carry_its_currency_code() {
        assert!(states_focus(
            &Focus::Money,
            "The coverage of third-party liability insurance shall not be lower than RMB1 million."
        ));
        assert!(states_focus(&Focus::Money, "a fee of USD500 per month"));
        assert!(!states_focus(&Focus::Money, "paid in RMB by wire"));
        assert_eq!(without_currency_code("RMB1"), "1");
        assert_eq!(without_currency_code("RMB"), "RMB");
        assert_eq!(without_currency_code("usé1"), "usé1");
    }

    #[test]
    fn a_hyphenated_frequency_is_one() {
        assert_states(
            &Focus::Frequency,
            &[
                "The DC fridge is cleaned out bi-monthly on Fridays.",
                "Reviews happen semi-annually.",
            ],
            &["The fridge is cleaned out by the staff."],
        );
    }

    #[test]
    fn a_length_of_time_is_not_the_notice_before_it() {
        let q = "How long is each renewal term Bellicum can opt into after the initial term?";
        let focus = focus(q);
        let notice = "Bellicum may exercise each such renewal option by giving written notice \
                      not later than six (6) months prior to the expiration of the current Term.";
        let term = "Bellicum shall have options to extend the Term for successive renewal terms \
                    of five (5) years each.";
        assert!(!states_asked(q, &focus, notice));
        assert!(states_asked(q, &focus, term));
        // unless the question asks how far before
        let before = "How long before the term ends must Bellicum give notice of renewal?";
        assert!(states_asked(before, &self::focus(before), notice));
    }

    #[test]
    fn a_question_that_names_both_cases_contrasts_neither() {
        let q = "How long is each renewal term Bellicum can opt into after the initial term?";
        assert!(contrasted_words(q, &presupposed_words(q)).is_empty());
        let q = "How long is the renewal term of the supply agreement?";
        assert_eq!(contrasted_words(q, &presupposed_words(q)), ["renewal"]);
        // so the renewal clause, which also names the initial term, is not penalized
        let units = units_under(
            "Term",
            &[
                "The renewal term is five (5) years after the initial term.",
                "Renewal terms last five (5) years.",
            ],
        );
        let q = "How long is each renewal term after the initial term?";
        let scores = score(q, &units, &[0.5, 0.5]);
        assert!((scores[0] - scores[1]).abs() < 0.2, "{scores:?}");
    }

    #[test]
    fn a_yes_no_question_after_a_statement_is_still_one() {
        let q = "I haven't set up 2FA yet. Will I still be able to read my work email from home?";
        assert_eq!(
            polar_clause(&q.to_lowercase()),
            "will i still be able to read my work email from home?"
        );
        assert!(polar_words(q).contains(&"able".to_string()));
        assert!(denies(
            q,
            "If you do not configure 2FA you will not be able to access your email."
        ));
        assert_eq!(polar_clause("is fmla paid?"), "is fmla paid?");
        // the last of several
        assert_eq!(
            polar_clause("is this a problem? will i still be able to read my email?"),
            "will i still be able to read my email?"
        );
        assert!(polar_words("I'm new. How many days do I get?").is_empty());
    }

    #[test]
    fn a_quoted_term_leads_to_the_sentence_that_uses_it() {
        let q = "Where am I supposed to get the budget \"burn\" numbers for the weekly email?";
        assert_eq!(quoted_terms(q).len(), 1);
        assert_eq!(quoted_terms("What is “Tock”?")[0].len(), 1);
        let units = units_under(
            "Weekly ship",
            &[
                "When complete, paste the ship into an email.",
                "Fill in “burn” numbers from your account manager.",
            ],
        );
        let scores = score(q, &units, &[0.5, 0.38]);
        assert!(scores[1] > scores[0], "{scores:?}");
    }

    #[test]
    fn letting_someone_know_is_writing() {
        assert!(asks_when_written(
            "What day did Bob let Dana know that we were terminating the agreement?"
        ));
    }

    #[test]
    fn names_joined_by_a_dash_are_two_names() {
        assert_eq!(
            names("In the Miltenyi Biotec–Bellicum Pharmaceuticals supply agreement, how long?"),
            ["Miltenyi", "Biotec", "Bellicum", "Pharmaceuticals"]
        );
        assert_eq!(names("Biotec–Bellicum terms?"), ["Bellicum"]);
    }

    #[test]
    fn a_rule_for_the_other_side_of_a_limit_does_not_answer() {
        use Side::{Above, Below};
        let l = |t: &str| limits(t);
        assert_eq!(
            l("Who has to approve more than 80 hours of leave?"),
            [("80".to_string(), Above)]
        );
        assert_eq!(
            l("To request 80 hours or less of LWOP, ask your supervisor."),
            [("80".to_string(), Below)]
        );
        assert_eq!(l("claims over $1,000"), [("1000".to_string(), Above)]);
        assert_eq!(l("no more than 3 days"), [("3".to_string(), Below)]);
        assert_eq!(l("up to 26 weeks"), [("26".to_string(), Below)]);
        assert_eq!(l("at least 24 hours"), [("24".to_string(), Above)]);
        assert_eq!(l("trips of 30 days or more"), [("30".to_string(), Above)]);
        assert!(l("You get 80 hours a year.").is_empty());

        let unit = |position: usize, text: &str| unit_under("Leave without pay", position, text);
        let u = [
            unit(
                0,
                "To request 80 hours or less of LWOP, you must get written approval from your immediate supervisor.",
            ),
            unit(
                1,
                "To request over 80 hours of LWOP, you must get written approval from your immediate supervisor and Business Unit Director.",
            ),
        ];
        // the rule for the other case is the nearer one
        let semantic = [0.62, 0.58];
        let picked = |q: &str| select(q, &u, &score(q, &u, &semantic)).unwrap().picked[0];
        assert_eq!(
            picked("Who has to approve more than 80 hours of leave without pay?"),
            1
        );
        assert_eq!(
            picked("Who has to approve 80 hours or less of leave without pay?"),
            0
        );
        // a sentence that states both sides compares them and may answer either
        let both = "Up to 80 hours needs a supervisor; more than 80 hours needs a director.";
        assert!(!other_side_of_limit(&l("more than 80 hours"), both));
    }

    #[test]
    fn a_lead_time_is_a_length_of_time_ahead() {
        let advance = focus(
            "Under the new remote work policy, how many days in advance do I ask my manager?",
        );
        assert!(matches!(advance, Focus::Ahead(_)), "{advance:?}");
        assert!(!states_focus(
            &advance,
            "You may work remotely up to three days per week with your manager's approval."
        ));
        assert!(states_focus(
            &advance,
            "Submit leave requests at least three business days in advance."
        ));
        let early = focus("How early should I log into the Zoom room before a big meeting?");
        assert!(matches!(early, Focus::Ahead(_)), "{early:?}");
        assert!(states_focus(
            &early,
            "Join the Zoom room 10 to 15 minutes early."
        ));
        assert!(states_focus(
            &focus("How far in advance do I need to request live captioning?"),
            "Send an email at least 12 hours prior to the meeting."
        ));
        // without a word of ahead, a duration question is as before
        assert_eq!(
            focus("How many days do I have to cure a breach?"),
            Focus::Quantity(vec!["day"])
        );
    }

    #[test]
    fn a_count_needs_a_number_not_an_article() {
        let seats = focus("How many paid editor seats does TTS have in total for Airtable?");
        assert_eq!(seats, Focus::Count("seat".into()));
        assert!(!states_focus(
            &seats,
            "Commenting, editing, and creating will require a paid editor seat."
        ));
        assert!(states_focus(&seats, "TTS has 25 paid editor seats."));
        assert!(states_focus(&seats, "We hold twelve editor seats."));
        // a length of time may still be "a year"
        let long = focus("How long can a detail last?");
        assert!(states_focus(&long, "A detail can last up to a year."));
    }

    #[test]
    fn what_the_question_gives_answers_nothing() {
        let q = "On what date did 18F submit the first deliverables of its Corrective Action Plan responding to the October 2016 GSA Inspector General evaluation?";
        let given = "In October of 2016, the GSA Inspector General released an Evaluation of 18F.";
        let answer = "On February 28, 2017, 18F submitted the first deliverables of the plan.";
        let focus = focus(q);
        assert!(states_focus(&focus, given));
        assert!(!states_focus(&focus, &without_given(q, &focus, given)));
        assert!(states_focus(&focus, &without_given(q, &focus, answer)));
        let unit = |position: usize, text: &str| unit_under("", position, text);
        let u = [unit(0, given), unit(1, answer)];
        // the sentence that repeats the question's date is the nearer one
        let semantic = [0.75, 0.6];
        let picked = select(q, &u, &score(q, &u, &semantic)).unwrap().picked[0];
        assert_eq!(picked, 1);
        // a role the question asks about is not who holds it
        let names = ["18f", "director", "account", "management"].map(String::from);
        assert!(!names_someone(
            "Contact: 18F Director of Account Management",
            &names
        ));
        assert!(names_someone(
            "Contact: 18F Director of Account Management",
            &[]
        ));
        // a limit in words is the same limit as in digits
        let six = limits("Book economy class for flights under six hours.");
        assert_eq!(six, [("6".to_string(), Side::Below)]);
        assert!(other_side_of_limit(
            &limits("May I fly business class on flights longer than six hours?"),
            "Book economy class for flights under six hours."
        ));
    }

    #[test]
    fn a_contract_s_opening_answers_only_what_it_states() {
        let units = units(
            &[
                "THIS MEDIA LICENSE AGREEMENT (this “Agreement”) is made and effective as of \
                 July 1, 2020, between NATIONAL FOOTBALL MUSEUM, INC., an Ohio non-profit \
                 corporation, doing business as Pro Football Hall of Fame, and HOF Village \
                 Media Group, LLC.\n\nWHEREAS, the Hall of Fame owns the marks.\n\n\
                 The arbitration shall be held in Canton, Ohio, before three arbitrators."
                    .to_string(),
            ],
            &[None],
            &[0.6],
            &Focus::Open,
        );
        assert_eq!(
            units.iter().map(|u| u.opening).collect::<Vec<_>>(),
            [true, true, false]
        );
        // the preamble names the question's parties: its cosine is far above the clause's
        let semantic = [0.70, 0.50, 0.46];
        let picked = |q: &str| {
            select(q, &units, &score(q, &units, &semantic))
                .unwrap()
                .picked[0]
        };
        assert_eq!(
            picked(
                "Under the media license agreement between the Pro Football Hall of Fame and HOF Village Media Group, where must arbitration be held?"
            ),
            2
        );
        // what the opening states: the date, the parties
        assert_eq!(
            picked(
                "When was the media license agreement between the Pro Football Hall of Fame and HOF Village Media Group made?"
            ),
            0
        );
        assert_eq!(
            picked(
                "Who are the parties to the media license agreement with HOF Village Media Group?"
            ),
            0
        );
        assert!(is_contract_opening(
            "ChipMOS and Tsinghua Unigroup shall collectively be referred to as the “Parties.”"
        ));
        assert!(!is_contract_opening(
            "This Agreement shall be governed by the laws of Taiwan."
        ));
        // a party's name is no question about the parties
        let about_opening = |q: &str| asks_what_the_opening_states(q, &focus(q));
        assert!(!about_opening(
            "What is the initial term of the agreement between Martin Operating Partnership and Midstream Fuel Service?"
        ));
        assert!(about_opening(
            "Which parties signed the agreement with Midstream Fuel Service?"
        ));
    }

    #[test]
    fn a_signature_block_answers_only_a_question_about_signing() {
        let unit = |position: usize, text: &str| unit_under("", position, text);
        let u = [
            unit(0, "Designated Filer: Ares Trading SA"),
            unit(
                1,
                "By: /s/ Cédric Hyde Name: Cédric Hyde Title: CFO MERCK SERONO SA, AN AFFILIATE OF MERCK KGAA",
            ),
        ];
        // the signature block is closer to the question and names its parties
        let semantic = [0.5, 0.55];
        let picked = |q: &str| select(q, &u, &score(q, &u, &semantic)).unwrap().picked[0];
        assert_eq!(
            picked(
                "Who is the designated filer in the joint filing agreement signed with Merck KGaA and Merck Serono SA?"
            ),
            0
        );
        assert_eq!(
            picked("Who signed the joint filing agreement for Merck Serono SA?"),
            1
        );
        assert_eq!(
            picked("When was the joint filing agreement with Merck Serono SA executed?"),
            1
        );
        assert!(is_signature_block(
            "IN WITNESS WHEREOF, the Parties have caused this Agreement to be executed."
        ));
        assert!(is_signature_block("3/18/97 By /s/ Kathy M Ireland"));
        assert!(!is_signature_block(
            "By: the end of the term, the Licensee shall return all materials."
        ));
    }

    #[test]
    fn names_are_left_out_of_the_question_within_their_document() {
        assert_eq!(
            without_names(
                "Which country's law governs the agreement between Aizu Fujitsu Limited and Transphorm, Inc.?"
            ),
            "Which country's law governs the agreement between and"
        );
        assert_eq!(
            without_names("How long after posting can I edit it?"),
            "How long after posting can I edit it?"
        );
    }

    #[test]
    fn the_asked_noun_is_the_head_after_the_question_word() {
        for (q, noun) in [
            (
                "My lender is checking my salary. What code do they use to identify GSA as my employer?",
                Some("code"),
            ),
            (
                "When opening a ticket, what application name do I enter?",
                Some("name"),
            ),
            ("Who is the designated filer?", Some("filer")),
            (
                "In which country's courts are disputes heard?",
                Some("courts"),
            ),
            (
                "Which agencies are known to block Google Forms?",
                Some("agencies"),
            ),
            // no noun asked for
            ("What does a day pass cost?", None),
            ("What kind of rental car do I book?", None),
            ("What happens if I leave early?", None),
            ("Which of its deadlines was missed?", None),
            ("How many weeks of leave do I get?", None),
            ("Who approves my leave?", None),
        ] {
            assert_eq!(asked_noun(q).as_deref(), noun, "{q}");
        }
        // a sentence naming it wins over its neighbour on the same topic
        let units = units_under(
            "Digital signatures",
            &[
                "Open a new ticket in the Self-Service Portal",
                "For application name, enter Digital Signature System (DSS)",
            ],
        );
        // the neighbour is closer in meaning and shares more words
        let scores = score(
            "When opening a Docusign ticket in the Self-Service Portal, what application name do I enter?",
            &units,
            &[0.56, 0.46],
        );
        assert!(scores[1] > scores[0], "{scores:?}");
        // an open question is answered only by a unit that names what it asks for
        let unit = |text: &str| unit_under("Remote work policy", 0, text);
        let found = |q: &str, text: &str| select(q, &[unit(text)], &[1.0]).unwrap().focus_found;
        assert!(!found(
            "Which VPN client does the policy require?",
            "Use the VPN for all access to internal systems."
        ));
        assert!(found(
            "Which VPN client does the policy require?",
            "The required VPN client is Cisco AnyConnect."
        ));
        assert!(found(
            "Which agencies are known to block Google Forms?",
            "Among the largest agencies that are known to block Forms are DHS and VA."
        ));
        // or whose heading does
        assert!(found(
            "Which policy covers remote work?",
            "Employees may work remotely three days a week."
        ));
    }

    #[test]
    fn focus_reads_the_unit_the_question_wants() {
        assert_eq!(
            focus("How many weeks of paid parental leave can I take?"),
            Focus::Quantity(vec!["week"])
        );
        assert_eq!(
            focus("How far in advance do I need to request live captioning?"),
            Focus::Ahead(TIME_UNITS.to_vec())
        );
        // a count of what the question names, when it is no known unit
        let sessions =
            focus("How many free counseling sessions can I get through the assistance program?");
        assert_eq!(sessions, Focus::Count("session".into()));
        assert!(states_focus(&sessions, "You get 6 free sessions a year."));
        assert!(states_focus(
            &focus("How many hours can I spend on an incident?"),
            "up to eight person-hours of work per incident"
        ));
        assert!(!states_focus(
            &sessions,
            "Call 1-800-555-0100 for children under 13."
        ));
        assert_eq!(
            focus("How many of my previous passwords can I not reuse?"),
            Focus::Figure
        );
        let Focus::Quantity(long) = focus("How long is the probation period?") else {
            panic!("how long is a quantity");
        };
        assert!(
            long.contains(&"month") && long.contains(&"character"),
            "{long:?}"
        );
        assert_eq!(
            focus("How soon will I get a decision?"),
            Focus::Quantity(TIME_UNITS.to_vec())
        );
        // "when" in the middle of a question is not a question about time
        assert_eq!(
            focus("What happens to my comp time when I leave GSA?"),
            Focus::Open
        );
        assert_eq!(focus("How much does Papa John's pay?"), Focus::Money);
        assert_eq!(focus("When does comp time expire?"), Focus::When);
        for place in [
            "Which state's law governs the Papa John's endorsement agreement?",
            "What country’s courts hear disputes under the license?",
            "What law governs the supply agreement?",
        ] {
            assert_eq!(focus(place), Focus::Jurisdiction, "{place}");
        }
        assert_eq!(focus("Which state forms do I file?"), Focus::Open);
        assert_eq!(focus("Which jurisdiction governs it?"), Focus::Jurisdiction);
        assert_eq!(focus("Which law firm drafted it?"), Focus::Open);
        // an address, whoever holds it
        assert_eq!(
            focus("A contractor needs access. Who do I email to sponsor them?"),
            Focus::Address
        );
        assert_eq!(
            focus("Who emailed Alice about the cure period?"),
            Focus::Person(vec!["alice".into()])
        );
        // one of several, not a date
        assert_eq!(
            focus("Which of its delivery deadlines that quarter had Northwind missed?"),
            Focus::Open
        );
        assert_eq!(
            focus("What is the mileage reimbursement rate per mile for using my own car?"),
            Focus::Per {
                unit: "mile".into(),
                money: false
            }
        );
        let per_mile = focus("What is the mileage rate per mile?");
        assert!(states_focus(
            &per_mile,
            "POV mileage is reimbursed at $0.67 per mile."
        ));
        assert!(states_focus(&per_mile, "We pay 67 cents a mile."));
        assert!(!states_focus(
            &per_mile,
            "For mileage claims over $75, attach a map."
        ));
        assert!(!states_focus(&per_mile, "You may drive 300 miles per day."));
        // the unit's adverb says "per week" too
        let per_week = focus("How much non-billable time per week do guilds get?");
        assert!(states_focus(
            &per_week,
            "Guilds are given 4 hours of non-billable time weekly to support its leaders."
        ));
        assert!(!states_focus(
            &per_week,
            "Guilds are given 4 hours of non-billable time to support its leaders."
        ));
        // "per" with no figure asked stays what it was
        assert_eq!(
            focus("Who approves travel per diem?"),
            Focus::Person(Vec::new())
        );
        assert_eq!(focus("Which form covers travel per diem?"), Focus::Open);
        let j = Focus::Jurisdiction;
        assert!(states_focus(
            &j,
            "governed by the laws of the State of Delaware."
        ));
        assert!(states_focus(&j, "the courts of New York, USA"));
        assert!(!states_focus(
            &j,
            "governed by applicable laws, rules and regulations"
        ));
        assert!(!states_focus(&j, "the newyork office"));
        assert_eq!(focus("Is FMLA leave paid?"), Focus::Open);
        // a what/which question about a place to go or write to
        for address in [
            "What web address do I use to log into the Citrix virtual desktop?",
            "Which Slack channel do I post in to start a FITARA review?",
            "What company domain do I enter when I sign into Zoom?",
            "What email address should I write to?",
            "Where should staff send questions about the new remote work policy?",
            "Where do I report a phishing e-mail?",
        ] {
            assert_eq!(focus(address), Focus::Address, "{address}");
        }
        // a place to go is not one to write to
        assert_eq!(
            focus("Where do I go to install approved apps?"),
            Focus::Open
        );
        assert_eq!(focus("Which site manager approves it?"), Focus::Open);
        let a = Focus::Address;
        assert_states(
            &a,
            &[
                "Go to vdi.anywhere.gsa.gov and sign in.",
                "Post in #tts-fitara-reviews on Slack.",
                "Enter `gsa.zoomgov.com`.",
                "Write to tts-people@gsa.gov.",
                "See https://example.org/x for the form.",
            ],
            &[
                "Visit the Slack channel and post your questions there.",
                "Attach report.pdf, e.g. the form, to item #3.",
                "Version 2.5.1 is installed.",
            ],
        );
        // a who question wants someone the question does not name
        let bob = focus("Who did Bob ask to stop the open purchase orders with Northwind?");
        assert_eq!(bob, Focus::Person(vec!["bob".into(), "northwind".into()]));
        assert_eq!(
            focus("My landlord wants proof. Who should they get in touch with?"),
            Focus::Person(Vec::new())
        );
        assert_eq!(focus("To whom do I send it?"), Focus::Person(Vec::new()));
        assert_eq!(focus("What did Bob ask Dana to do?"), Focus::Open);
        assert_states(
            &bob,
            &[
                "Dana, for your records: we are terminating the Northwind supply agreement.",
                "To: Dana Okafor",
                "Send it to press@gsa.gov.",
                "You need approval from your immediate supervisor.",
                "Ask the head of your division.",
                "SIERRA hereby appoints ENVISION as its exclusive distributor.",
            ],
            &[
                "Please stop any open purchase orders with them.",
                "Bob wrote to Northwind on Friday.",
                "From: bob.chen@example.com",
                "Please review the GSA and OPM guidance.",
                "Review OPM's page on the Effect of Extended Leave Without Pay.",
                "Needs supervisory oversight.",
            ],
        );
        // a what/which question about a noun whose value is a figure or a code
        assert_eq!(focus("What is the dental plan deductible?"), Focus::Money);
        assert_eq!(focus("What late fee does Northwind pay?"), Focus::Money);
        for figure in [
            "What is the mileage reimbursement rate for using my own car?",
            "Which Tock line do I bill a short vacation to?",
            "What credit score do I need to lease a company car?",
        ] {
            assert_eq!(focus(figure), Focus::Figure, "{figure}");
        }
        // …but not a noun after the verb, or one that is no figure
        for open in [
            "What counts as harassment under the TTS code of conduct?",
            "What award can I get for a Level 5 performance rating?",
            "What is the policy on employees holding cryptocurrency?",
            "Which line manager approves my leave?",
        ] {
            assert_eq!(focus(open), Focus::Open, "{open}");
        }
    }

    #[test]
    fn a_message_sentence_is_dated_by_its_header_or_its_attribution_line() {
        let passage = "From: Alice Meyer <alice.meyer@example.com>\nTo: Bob Chen <bob.chen@example.com>\n\
            Date: 2024-04-04T08:15:00+00:00\nSubject: Re: Supplier termination notice\n\n\
            No cure period. Send the notice today by courier and by e-mail.\n\n\
            On Tue, 2 Apr 2024, Alice Meyer wrote:\n> Please draft the termination notice and \
            send it to me for review before Friday.";
        let u = units(&[passage.to_string()], &[None], &[], &Focus::Date);
        let dated: Vec<String> = u.iter().map(Unit::dated).collect();
        assert_eq!(
            dated,
            [
                "On 4 April 2024, Alice Meyer wrote: Send the notice today by courier and by e-mail.",
                "On Tue, 2 Apr 2024, Alice Meyer wrote: Please draft the termination notice and send it to me for review before Friday.",
            ]
        );
        // the date is what a question about when it was written asks for
        assert!(states_focus(&Focus::Date, &dated[0]));
        assert!(!states_focus(&Focus::Date, &u[0].text));
        assert!(asks_when_written(
            "On what date did Maria Lopez send the announcement to all staff?"
        ));
        assert!(asks_when_written(
            "When did Alice first email Bob about it?"
        ));
        assert!(!asks_when_written(
            "When does the new remote work policy take effect?"
        ));
        assert!(!asks_when_written("Who did Alice email about it?"));
        // a page that is no message is not dated
        let page = units(
            &["Submit the form within 30 days of your move.".to_string()],
            &[None],
            &[],
            &Focus::When,
        );
        assert_eq!(page[0].dated(), page[0].text);
        assert_eq!(
            readable_date("Tue, 2 Apr 2024 09:00:00 +0000"),
            "Tue, 2 Apr 2024"
        );
    }

    #[test]
    fn an_opening_answers_a_question_about_a_name_it_defines() {
        let preamble = "This MASTER OPERATION AND MAINTENANCE AGREEMENT (this “Agreement”), dated \
            as of April 13, 2012, between BLOOM ENERGY CORPORATION, a Delaware corporation \
            (“BE” or, in its capacity as operator hereunder, “Operator”), and DIAMOND STATE \
            GENERATION PARTNERS, LLC, a Delaware limited liability company (“Owner”)";
        let q = "In Bloom Energy's master operation and maintenance agreement of April 13, 2012, \
            which company is the Owner of the fuel cell systems Bloom operates?";
        assert!(defines_what_is_asked(q, preamble));
        assert!(defines_what_is_asked(
            "Who is the \"Licensee\" under it?",
            "between Acme Inc. (\"Licensor\") and Beta LLC (\"Licensee\")"
        ));
        // the parties' short names say which contract, not what is asked about it
        assert!(!defines_what_is_asked(
            "Which state's law governs the strategic alliance agreement between Allscripts and Phreesia?",
            "by and between Allscripts Healthcare, LLC (“Allscripts”) and Phreesia, Inc. (“Phreesia”)"
        ));
        // every contract defines itself and its parties: that answers nothing asked
        assert!(!defines_what_is_asked(
            "What is the initial term of the maintenance agreement?",
            preamble
        ));
        // so the opening is the answer, not a running footer
        let mut opening = unit_under("", 0, preamble);
        opening.opening = true;
        let footer = unit_under(
            "",
            1,
            "Source: BLOOM ENERGY CORP, DRS/A (on S-1), 3/21/2018",
        );
        let units = [opening, footer];
        let scores = score(q, &units, &[0.76, 0.67]);
        assert!(scores[0] > scores[1] + 0.3, "{scores:?}");
        // and a unit nearly as good does not replace it as one that says nothing asked would be
        let s = select(q, &units, &[1.0, 0.9]).unwrap();
        assert_eq!(s.picked, [0]);
        assert!(s.focus_found);
    }

    #[test]
    fn a_question_for_a_place_wants_a_sentence_that_names_one() {
        for q in [
            "Once my term extension is approved, in which city does the paperwork get processed?",
            "What country is the supplier based in?",
            "Where is this year's all-staff retreat being held?",
            "Where do I sign up to get access to the Federal Fitness Center?",
        ] {
            assert_eq!(focus(q), Focus::Place, "{q}");
        }
        // where to send something is an address; which state's law a jurisdiction
        assert_eq!(focus("Where should staff send questions?"), Focus::Address);
        assert_eq!(
            focus("Which state's law governs the agreement?"),
            Focus::Jurisdiction
        );
        assert_eq!(focus("Where can I find free online courses?"), Focus::Open);
        let p = Focus::Place;
        assert!(states_focus(
            &p,
            "HR sends the approved PAR to CPC (GSA's Consolidated Processing Center in Kansas City, MO)."
        ));
        assert!(states_focus(
            &p,
            "The meeting is held in Boulder, CO each spring."
        ));
        assert!(states_focus(
            &p,
            "The arbitration shall be held in Canton, Ohio."
        ));
        assert!(!states_focus(
            &p,
            "The extension has already been approved; this is just a matter of processing."
        ));
        // a street address is a place; a date or a year before a name is not
        assert!(states_focus(
            &p,
            "To gain access, you will need to sign up at 450 Golden Gate — there are drop-in hours."
        ));
        assert!(!states_focus(&p, "Since 12 March the gym is open."));
        assert!(!states_focus(&p, "In 2019 Congress passed the act."));
        // a place the question names is not the one it asks for
        let q = "I work in Kansas City. In which city is payroll processed?";
        assert!(!states_focus(
            &p,
            &without_given(q, &p, "Payroll staff work in Kansas City.")
        ));
        // a sentence nearly as good that names a place is chosen over the best that names none
        let units = units_under(
            "What happens next?",
            &[
                "The extension has already been approved; this is just a matter of processing.",
                "HR sends the approved PAR to CPC (GSA's Consolidated Processing Center in Kansas City, MO) to have it processed.",
            ],
        );
        let s = select(
            "Once my term extension is approved, in which city does the paperwork actually get processed?",
            &units,
            &[0.53, 0.44],
        )
        .unwrap();
        assert_eq!(s.picked, [1]);
    }
    #[test]
    fn a_section_number_is_not_a_figure() {
        let much = focus("How much did GSI Technology pay Sony for the SRAM business?");
        assert!(!states_focus(&much, "8.13 No SRAM Product Warranty Issues"));
        assert!(states_focus(
            &much,
            "1. PAPA JOHN'S shall pay ABG a cash payment of USD$1,250,000"
        ));
        // a quantity that opens a sentence is still one
        assert!(states_focus(
            &Focus::Figure,
            "1.5 days of leave are paid at 100 percent."
        ));
    }

    #[test]
    fn only_documents_that_name_what_the_question_names_answer() {
        let passages = vec![
            "We are terminating the supply agreement.".to_string(),
            "Under section 12 we may terminate on thirty days notice.".to_string(),
        ];
        let u = units(&passages, &[None, None], &[], &Focus::Open);
        let question = "Which section did Alice cite?";
        let mut scores = vec![2.0, 1.0];
        // the second passage's document (a message from Alice) names her, the first's does not
        only_from_naming(&u, &mut scores, &[false, true]);
        let picked = select(question, &u, &scores).expect("a selection");
        assert_eq!(u[picked.picked[0]].passage, 2);
        // when no document names everything, the scores stay (the answer is then refused)
        let mut scores = vec![2.0, 1.0];
        only_from_naming(&u, &mut scores, &[false, false]);
        assert_eq!(scores, [2.0, 1.0]);
    }

    #[test]
    fn answer_types_need_their_own_form() {
        // a phone number, not a section number or a count of days
        for q in [
            "What phone number do I call to reach the incident team?",
            "What is the phone number of the compliance hotline?",
        ] {
            assert_eq!(focus(q), Focus::Phone, "{q}");
        }
        assert!(states_focus(&Focus::Phone, "Call 1-877-888-3337 any time."));
        assert!(states_focus(&Focus::Phone, "Phone (202) 501-1021."));
        assert!(!states_focus(
            &Focus::Phone,
            "Use the numbers listed in Section 3.1.1 of the guide."
        ));
        assert!(!states_focus(&Focus::Phone, "Signed on 2020-08-20."));
        assert!(!states_focus(&Focus::Phone, "We reply within 7 days."));
        // a percentage, not any figure
        for q in [
            "What is the locality pay percentage for the Bay Area?",
            "What share of the meals allowance do I get on the first day?",
        ] {
            assert_eq!(focus(q), Focus::Percent, "{q}");
        }
        assert!(states_focus(
            &Focus::Percent,
            "You get 75% of the M&IE rate."
        ));
        assert!(states_focus(&Focus::Percent, "a 15 percent discount"));
        assert!(states_focus(
            &Focus::Percent,
            "seven percent (7%) of net revenues"
        ));
        assert!(states_focus(&Focus::Percent, "a fee of 7 % a year"));
        // a filing's blank for the figure states no share
        assert!(!states_focus(
            &Focus::Percent,
            "Diplomat agrees to pay KI, Inc. as royalty a sum equal to % of the net wholesale volume."
        ));
        assert!(states_focus(&Focus::Percent, "five per cent of the fee"));
        // the word alone states no share
        assert!(!states_focus(
            &Focus::Percent,
            "A percentage of each paycheck is withheld by GSA."
        ));
        assert!(!states_focus(
            &Focus::Percent,
            "Streetcars stop at 6th and 7th Streets."
        ));
        // money when "how much" asks what something costs or pays, not how much time
        assert_eq!(
            focus("How much does a box of standard GSA business cards cost?"),
            Focus::Money
        );
        assert_eq!(
            focus("How much will TTS contribute toward a standing desk?"),
            Focus::Money
        );
        assert_eq!(
            focus("How much work time can I spend using the program?"),
            Focus::Figure
        );
        // the question word may follow a preposition; "amount" is money unless of time
        assert_eq!(
            focus("Above what amount does a travel expense need a receipt?"),
            Focus::Money
        );
        assert_eq!(
            focus("What amount of leave can I carry over?"),
            Focus::Figure
        );
        assert_eq!(
            focus("How much severance pay do laid-off employees receive?"),
            Focus::Money
        );
        assert_eq!(
            focus("How much can a supervisor get reimbursed for insurance?"),
            Focus::Money
        );
        assert_eq!(
            focus("What is the nightly hotel cap for London?"),
            Focus::Figure
        );
        // a lead-in clause before the question word sets the scene
        assert_eq!(
            focus(
                "In the Slinger Bag consulting agreement, what is the monthly base fee starting \
                 20 August 2020?"
            ),
            Focus::Money
        );
        assert_eq!(
            focus("If my flight lands late, when is the receipt due?"),
            Focus::When
        );
        // notice is a length of time beside the word "notice"
        let notice = focus("How much prior written notice must Inktomi give?");
        assert_eq!(notice, Focus::Notice);
        assert!(states_focus(
            &notice,
            "Inktomi may terminate upon one year's prior written notice."
        ));
        assert!(states_focus(
            &notice,
            "Either party may end it on notice of 30 days."
        ));
        assert!(!states_focus(
            &notice,
            "Inktomi may elect in writing within fifteen (15) days after receipt of the notice of termination."
        ));
        // how often: a length of time or a rate word
        let often = focus("How often does the CRO have to send the client a report?");
        assert_eq!(often, Focus::Frequency);
        assert!(states_focus(
            &often,
            "CRO will provide a weekly written report."
        ));
        assert!(states_focus(&often, "Change your password every 60 days."));
        assert!(!states_focus(&often, "CRO will provide a written report."));
        // a term and a period are lengths of time
        for q in [
            "What is the initial term of the transportation agreement?",
            "What is the notice period?",
        ] {
            assert_eq!(focus(q), Focus::Quantity(TIME_UNITS.to_vec()), "{q}");
        }
        assert!(!states_focus(
            &Focus::Quantity(TIME_UNITS.to_vec()),
            "This Agreement is executed this 23rd day of December, 2003."
        ));
        assert!(states_focus(
            &Focus::Quantity(TIME_UNITS.to_vec()),
            "The initial term is three (3) years."
        ));
        // a length in seconds, given with a number
        let ad = focus("How long is the TV ad that CNET runs?");
        assert!(states_focus(
            &ad,
            "CNET will provide the Company one 15 second \"spot\" for Promotions."
        ));
        assert!(!states_focus(&ad, "Ask for a second opinion."));
        // a calendar date or weekday, not a duration
        for q in [
            "On what date was the supply agreement signed?",
            "By what date should ratings be completed?",
            "What day of the week are badges processed?",
        ] {
            assert_eq!(focus(q), Focus::Date, "{q}");
        }
        assert!(states_focus(&Focus::Date, "Ratings are due November 14."));
        assert!(states_focus(&Focus::Date, "Badges are made on Wednesday."));
        assert!(states_focus(
            &Focus::Date,
            "Signed 5/19/20 by both parties."
        ));
        assert!(!states_focus(
            &Focus::Date,
            "We may terminate on thirty days written notice."
        ));
        assert!(!states_focus(&Focus::Date, "See section 3.1.1."));
        // a deadline is a day or a time of day
        let deadline = focus("What's the weekly deadline for getting my hours into Tock?");
        assert_eq!(deadline, Focus::Deadline);
        // a period's dates are no deadline
        assert!(!states_focus(
            &deadline,
            "The weekly reporting period begins on Sunday and ends on Saturday."
        ));
        assert!(states_focus(
            &deadline,
            "Please make sure you Tock before you end your workday on Friday."
        ));
        assert!(states_focus(
            &deadline,
            "Submit it by close of business on Friday."
        ));
        assert!(states_focus(&deadline, "Timecards are due at 5 p.m."));
        assert!(!states_focus(
            &deadline,
            "Bill at least 32 hours to project work."
        ));
        // "when" also takes a duration, but not any digit
        assert!(states_focus(
            &Focus::When,
            "Comp time expires after 26 pay periods."
        ));
        assert!(states_focus(&Focus::When, "Timecards open Monday at 9:00."));
        assert!(states_focus(
            &Focus::When,
            "The policy took effect in 2024."
        ));
        assert!(!states_focus(&Focus::When, "Up to 32 people can attend."));
        // or an occasion: "when should we update the README?"
        assert!(states_focus(
            &Focus::When,
            "The team should update the README upon a new project phase, like the end of discovery."
        ));
        assert!(!states_focus(
            &Focus::When,
            "The team should keep the README up to date."
        ));
        // a date is asked for by "on what date": an occasion gives none
        assert!(!states_focus(
            &Focus::Date,
            "The team should update the README upon a new project phase."
        ));
        // a governing law is stated with the law, not by an address in that state
        assert!(states_focus(
            &Focus::Jurisdiction,
            "This Agreement is governed by the laws of the State of Nevada."
        ));
        assert!(!states_focus(
            &Focus::Jurisdiction,
            "Suite 207, Coquitlam, British Columbia, Canada."
        ));
        // a name with a digit is no figure; a code is
        assert!(!states_focus(
            &Focus::Figure,
            "H1 staff do the initial triage."
        ));
        assert!(states_focus(&Focus::Figure, "Bill it to #1810."));
    }

    #[test]
    fn states_focus_needs_the_number_and_its_unit() {
        let weeks = focus("How many weeks of leave?");
        assert!(states_focus(
            &weeks,
            "You are entitled to 12 weeks of paid time off."
        ));
        assert!(states_focus(&weeks, "The 12-week agreement applies."));
        assert!(!states_focus(
            &weeks,
            "Use code #1810 if you are out for 5 or 6 months."
        ));
        let long = focus("How long until comp time expires?");
        assert!(states_focus(
            &long,
            "Comp time expires one year after it is earned."
        ));
        assert!(!states_focus(
            &long,
            "Comp time is forfeited when it expires."
        ));
        // a possessive unit
        assert!(states_focus(
            &long,
            "Inktomi may terminate upon one year's prior written notice."
        ));
    }

    #[test]
    fn units_drop_headings_and_markup_and_keep_items_and_rows() {
        let passage = "Paid parental leave\n\n• You are entitled to 12 weeks of paid time off for the birth of a child. (See below.)\n• You need supervisor approval for the intermittent option.\n- You begin working between 7 AM - 10 AM every day.\n\nDay | Hours | \nMonday | 10 | \nTuesday | 9 | ";
        let u = units(
            &[passage.to_string()],
            &[Some("About PPL".into())],
            &[],
            &Focus::Open,
        );
        let texts: Vec<&str> = u.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "You are entitled to 12 weeks of paid time off for the birth of a child.",
                "You need supervisor approval for the intermittent option.",
                // the list marker goes, the dash between the hours stays
                "You begin working between 7 AM - 10 AM every day.",
                "Day: Monday; Hours: 10",
                "Day: Tuesday; Hours: 9",
            ]
        );
        assert!(
            u.iter()
                .all(|u| u.heading == "About PPL › Paid parental leave")
        );
    }

    #[test]
    fn times_of_day_days_of_the_month_and_costs() {
        for q in [
            "What time does the cafeteria open for breakfast?",
            "What are the opening hours of the health center?",
        ] {
            assert_eq!(focus(q), Focus::Time, "{q}");
        }
        assert!(states_focus(&Focus::Time, "Open from 9 a.m. to 4:30 p.m."));
        assert!(!states_focus(
            &Focus::Time,
            "A cafeteria on the first floor serves breakfast and lunch."
        ));
        // a day of the month, a plural weekday, a weekday with a stray apostrophe
        let day = focus("On what day of the month does the card balance reset?");
        assert_eq!(day, Focus::Date);
        assert!(states_focus(
            &day,
            "The balance resets on the 10th of every month."
        ));
        assert!(!states_focus(&day, "Finish the 10th module of the course."));
        assert_eq!(
            focus("On which days and hours is the office open?"),
            Focus::Date
        );
        assert!(states_focus(&day, "The email goes out on Tuesday's."));
        assert!(states_focus(&day, "Badges are printed on Thursdays."));
        // a sentence before the question sets the scene; "cost" and "dollar" ask for money
        assert_eq!(
            focus("I'm in Chicago for the week. What does a day pass cost?"),
            Focus::Money
        );
        assert_eq!(
            focus("Up to what dollar amount will GSA reimburse a printer?"),
            Focus::Money
        );
        assert_eq!(
            focus("Who pays the cost of the move?"),
            Focus::Person(Vec::new())
        );
        assert_eq!(focus("Does GSA pay the cost of the move?"), Focus::Open);
    }

    #[test]
    fn a_quoted_reply_is_read_without_its_markers() {
        let passage = "No cure period. Send the notice by courier.\n\nOn Wed, Bob wrote:\n> Alice,\n>\n> The draft notice is attached. Legal asked whether we\n> should offer a cure period.\n>\n>> Under\n>> section 12 we may terminate on thirty days written\n>> notice.";
        let u = units(&[passage.to_string()], &[None], &[], &Focus::Open);
        let texts: Vec<&str> = u.iter().map(|u| u.text.as_str()).collect();
        assert!(
            texts.contains(&"Legal asked whether we should offer a cure period."),
            "{texts:?}"
        );
        assert!(
            texts.contains(&"Under section 12 we may terminate on thirty days written notice."),
            "{texts:?}"
        );
        assert!(texts.iter().all(|t| !t.contains('>')), "{texts:?}");
    }

    #[test]
    fn a_message_header_and_a_reply_attribution_are_no_answer() {
        let message = "From: Alice Meyer <alice.meyer@example.com>\nTo: Bob Chen <bob.chen@example.com>\nDate: 2024-04-04T08:15:00Z\nSubject: Re: Re: Supplier termination notice\n\nNo cure period. Send the notice today by courier and by e-mail.\n\nOn Wed, 3 Apr 2024, Bob Chen wrote:\n> The draft notice is attached to the matter file.";
        let notice = "Notices shall be sent to the addresses below.\n\nTo: Licensee Corporation, 1 Main Street, Springfield.\nCopy to: Counsel LLP, 2 Elm Street, Springfield.";
        // a mailbox's list of its messages
        let mailbox = "Mailbox with 2 messages\n\n1. New remote work policy — Maria Lopez <maria.lopez@example.com> — 2024-03-18T09:15:00+01:00\n2. Re: New remote work policy — Tom Becker <tom.becker@example.com> — 2024-03-18T11:02:00+01:00";
        let u = units(
            &[message.to_string(), notice.to_string(), mailbox.to_string()],
            &[None, None, None],
            &[],
            &Focus::Open,
        );
        let texts: Vec<&str> = u.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Send the notice today by courier and by e-mail.",
                "The draft notice is attached to the matter file.",
                "Notices shall be sent to the addresses below.",
                "To: Licensee Corporation, 1 Main Street, Springfield.",
                "Copy to: Counsel LLP, 2 Elm Street, Springfield.",
            ],
        );
    }

    #[test]
    fn a_heading_that_opens_with_a_quote_is_still_a_heading() {
        let passage = "\"SmartCard certificate is not trusted\" error\n\nTry cleaning the contact pad with a pencil eraser.";
        let u = units(&[passage.to_string()], &[None], &[], &Focus::Open);
        assert_eq!(u.len(), 1, "{u:?}");
        assert_eq!(
            u[0].heading,
            "\"SmartCard certificate is not trusted\" error"
        );
    }

    #[test]
    fn a_short_item_that_holds_a_figure_is_a_unit() {
        let passage =
            "Contact the service desk through:\n\n- Call them at 866-450-5250\n- Ask in chat";
        let u = units(&[passage.to_string()], &[None], &[], &Focus::Open);
        let texts: Vec<&str> = u.iter().map(|u| u.text.as_str()).collect();
        assert!(texts.contains(&"Call them at 866-450-5250"), "{texts:?}");
        // four short words without a figure say too little
        assert!(
            !texts.iter().any(|t| t.contains("Ask in chat")),
            "{texts:?}"
        );
        // a form's label lines are no headings: they give what to use
        let form = "Return to Heartland Finance Center, Disbursement Division\n\nFax to: 816-823-5415\n\nQuestions: help@example.gov\n\nFinance Helpdesk Phone Number 816-926-7287, option 3";
        let u = units(&[form.to_string()], &[None], &[], &Focus::Phone);
        let texts: Vec<&str> = u.iter().map(|u| u.text.as_str()).collect();
        assert!(texts.contains(&"Fax to: 816-823-5415"), "{texts:?}");
        assert!(texts.contains(&"Questions: help@example.gov"), "{texts:?}");
        assert!(
            texts.contains(&"Finance Helpdesk Phone Number 816-926-7287, option 3"),
            "{texts:?}"
        );
        // so are a template's: a value after the label, not a numbered step's title
        let template = "Internal Kickoff\n\nTotal time: 1.5-2 hours\n\nStep 1: Introductions\n\nEach member names their role on the project and where they work from.";
        let focus = Focus::Quantity(TIME_UNITS.to_vec());
        let u = units(&[template.to_string()], &[None], &[], &focus);
        let texts: Vec<&str> = u.iter().map(|u| u.text.as_str()).collect();
        assert!(texts.contains(&"Total time: 1.5-2 hours"), "{texts:?}");
        assert!(!texts.iter().any(|t| t.starts_with("Step 1")), "{texts:?}");
    }

    #[test]
    fn a_heading_that_states_the_focus_leads_the_unit_under_it() {
        let passage = "For meetings longer than 40 minutes\n\nSubmit a request to be upgraded to a Licensed user.\nAsk in the help channel.\n\nHosting 2 meetings at once\n\nYou cannot host two meetings at once.";
        let long = focus("How long can a meeting run before I need an upgrade?");
        let u = units(&[passage.to_string()], &[None], &[], &long);
        let texts: Vec<&str> = u.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "For meetings longer than 40 minutes: Submit a request to be upgraded to a Licensed user.",
                "Ask in the help channel.",
                // "2 meetings" is no length of time
                "You cannot host two meetings at once.",
            ]
        );
        // without a focus the heading stays a heading
        let open = units(&[passage.to_string()], &[None], &[], &Focus::Open);
        assert_eq!(
            open[0].text,
            "Submit a request to be upgraded to a Licensed user."
        );
    }

    #[test]
    fn the_rule_beats_the_worked_example_and_the_neighbour() {
        let passages = vec![
            "FMLA entitles you to take up to 12 weeks of unpaid leave per 12 month period.\n\nFor example: you went on FMLA for 4 weeks in March and used sick leave to be paid during those 4 weeks.".to_string(),
            "Extended Out of Office - #1810: intended for if you are out of office for 3 weeks or longer, such as using Paid Parental Leave part-time each week for 5 or 6 months.".to_string(),
        ];
        let u = units(&passages, &[None, None], &[], &Focus::Open);
        // equal semantic similarity: wording, focus and penalties decide
        let scores = score("Is FMLA leave paid?", &u, &vec![0.5; u.len()]);
        let s = select("Is FMLA leave paid?", &u, &scores).unwrap();
        assert_eq!(
            quote(&u, &s).0,
            "FMLA entitles you to take up to 12 weeks of unpaid leave per 12 month period [1]."
        );
    }

    #[test]
    fn a_sentence_that_points_back_shares_its_predecessor_s_similarity() {
        let passages = vec![
            "If you want one for your house, please discuss it with your supervisor. This request will require approval from the head of your division.".to_string(),
            "Office printers are on every floor. The head of facilities buys their toner.".to_string(),
        ];
        let u = units(&passages, &[None, None], &[], &Focus::Open);
        assert_eq!(u.len(), 4, "{u:?}");
        let q = "Who has to approve a request for a printer at home?";
        // the demonstrative sentence's own embedding misses the printer; its predecessor's does not
        let scores = score(q, &u, &[0.7, 0.35, 0.5, 0.35]);
        let s = select(q, &u, &scores).unwrap();
        assert_eq!(
            quote(&u, &s).0,
            "This request will require approval from the head of your division [1]."
        );
        // no pointer, no borrowing: "The head of facilities…" keeps its own similarity
        assert!(scores[3] < scores[1], "{scores:?}");
        assert!(!refers_back("It is important to ask."));
        assert!(!refers_back("This: a list."));
    }

    #[test]
    fn lines_wrapped_by_a_pdf_layout_are_one_sentence() {
        // the short title line stays apart (it ends no sentence, but the next line starts one)
        let passage = "ENDORSEMENT AGREEMENT\nIn consideration of the rights granted herein, PAPA JOHN’S will pay to ABG in\ncash the sum of $1,250,000 for the first Contract Year.\n• Approved items are listed below\n• Unapproved items are not";
        let u = units(&[passage.to_string()], &[None], &[], &Focus::Open);
        let texts: Vec<&str> = u.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "In consideration of the rights granted herein, PAPA JOHN’S will pay to ABG in cash the sum of $1,250,000 for the first Contract Year.",
                "Approved items are listed below",
                "Unapproved items are not",
            ]
        );
        // a sentence too long for one unit is cut at semicolons, not dropped
        let long = format!(
            "{}; {}.",
            "word ".repeat(60).trim(),
            "other ".repeat(50).trim()
        );
        let u = units(&[long], &[None], &[], &Focus::Open);
        assert_eq!(u.len(), 2, "{u:?}");
    }

    #[test]
    fn a_figure_is_not_a_date() {
        let how_much = focus("How much did GSI Technology pay Sony?");
        assert!(!states_focus(
            &how_much,
            "This Agreement is made as of August 28, 2009 by GSI Technology."
        ));
        assert!(states_focus(
            &how_much,
            "GSI paid Sony $12,000,000 in cash."
        ));
        assert_eq!(
            focus("What award can I get for a Level 5 performance rating?"),
            Focus::Open
        );
    }

    #[test]
    fn a_money_question_wants_an_amount_not_any_number() {
        let fee = focus("What is the dental plan deductible?");
        assert!(states_focus(&fee, "The deductible is $350 per person."));
        assert!(states_focus(&fee, "Party B shall pay RMB 500 per trip."));
        assert!(states_focus(&fee, "a fee of 55 dollars per referral"));
        assert!(!states_focus(
            &fee,
            "You may change your dental plan by calling 1-877-888-3337."
        ));
        assert!(!states_focus(
            &fee,
            "Enroll within 60 days of your start date."
        ));
    }

    #[test]
    fn names_the_source_never_mentions_are_reported() {
        let source = "TRANSPORTATION SERVICES AGREEMENT Owner will invoice such fees to Charterer.";
        assert_eq!(
            names_absent(
                "What late fee does Northwind pay if an invoice is overdue?",
                source
            ),
            ["Northwind"]
        );
        assert!(
            names_absent(
                "How much does Papa John’s pay ABG?",
                "PAPA JOHN’S will pay to ABG"
            )
            .is_empty()
        );
        // the sentence's first word and "I" are not names
        assert!(names_absent("When can I invoice the Owner?", source).is_empty());
        // the asker's own situation, told before the question, need not be named
        let q = "I flew from Denver to DC on a Sunday. When I work out my comp time, which time zone do I use?";
        assert_eq!(names(q), ["Denver", "DC"]);
        assert!(asked_names(q).is_empty());
        // unless the asked sentence names it too, or the lead-in is not about the asker
        let q = "I work with Northwind. When did Northwind ship?";
        assert_eq!(asked_names(q), ["Northwind", "Northwind"]);
        let q = "The notice came from Northwind. When did Bob reply?";
        assert_eq!(asked_names(q), ["Northwind", "Bob"]);
        assert!(names_absent("Which code if I'll be out, and I’m ill?", source).is_empty());
        assert!(names_absent("My aunt died. How much leave? Owner", source).is_empty());
        // nor are months and weekdays: the source may write the date another way
        assert!(names_absent("What fee is due from 20 August 2020?", source).is_empty());
        assert!(names_absent("Is the Owner paid on Friday?", source).is_empty());
        assert_eq!(
            names("Which law governs the agreement between DGT Corp. and Dolphin's unit?"),
            vec!["DGT", "Corp", "Dolphin"]
        );
        // an acronym of a common noun names nothing a page must repeat ("GSA badge" for "ID")
        assert_eq!(
            names("How many card readers for my ID badge should GSA give me?"),
            vec!["GSA"]
        );
        // a title or an initial ends no sentence
        assert_eq!(
            names("How much is Dr. George D. Green paid?"),
            vec!["George", "Green"]
        );
        // a name is a whole word: "Dental" is not in "incidental"
        assert_eq!(
            names_absent(
                "What does Union Dental pay?",
                "incidental expenses of the reunion"
            ),
            vec!["Union", "Dental"]
        );
        assert!(mentions("dgt's clients", "dgt"));
        let filing = "legal/MRSFIELDSORIGINALCOOKIESINC_01_29_1998-EX-10-FRANCHISE_AGREEMENT.PDF";
        assert!(glued_in_file_name(filing, "Mrs"));
        assert!(glued_in_file_name(filing, "Fields"));
        assert!(!glued_in_file_name(filing, "Northwind"));
        assert!(!glued_in_file_name(filing, "EX"));
        assert!(!glued_in_file_name(filing, "Legal"));
    }

    #[test]
    fn a_unit_that_negates_the_question_loses_unless_it_asks_yes_or_no() {
        let passages = vec![
            "You are entitled to 12 weeks of paid time off for the birth of a child.\n\nYou can request Leave Without Pay (LWOP) of less than four weeks to extend your parental leave.".to_string(),
        ];
        let u = units(&passages, &[None], &[], &Focus::Open);
        // the embedder prefers the second: the negation must outweigh that
        let semantic = [0.65, 0.77];
        let q = "How many weeks of paid parental leave can I take?";
        let s = select(q, &u, &score(q, &u, &semantic)).unwrap();
        assert_eq!(s.picked, vec![0]);
        let q = "Is parental leave paid?";
        let scores = score(q, &u, &semantic);
        assert!(scores[1] > scores[0], "{scores:?}");
    }

    #[test]
    fn a_unit_about_the_other_case_loses() {
        let passages = vec![
            "OCE requires 5 business days for the initial review.\n\nAn additional review takes 3 business days.\n\nSurveys go out after review.".to_string(),
        ];
        let u = units(&passages, &[None], &[], &Focus::Open);
        let q = "How many business days does an additional review take?";
        let scores = score(q, &u, &[0.95, 0.7, 0.6]);
        // the first is the embedder's choice by far, but it is about the initial review
        assert!(scores[1] > scores[0], "{scores:?}");
        // also when a lead-in clause says which review
        let q = "If OCE needs an additional review, how many business days does it take?";
        let scores = score(q, &u, &[0.95, 0.7, 0.6]);
        assert!(scores[1] > scores[0], "{scores:?}");
        assert!(contrasts("additional", "the initial review"));
        // a sentence that names both cases may compare them
        assert!(!contrasts("additional", "an initial or additional review"));
        assert!(!contrasts("additional", "a second review"));
        // a word the question itself negates is not taken as given
        for q in [
            "Under the expense policy, how much can I spend on a headset without approval?",
            "Under the expense policy, how much can I spend on a headset without getting approval?",
        ] {
            assert!(
                !presupposed_words(q).contains(&"approval".to_string()),
                "{q}"
            );
            assert!(presupposed_words(q).contains(&"headset".to_string()), "{q}");
        }
        // when only the other case's figure is there, what is asked is not stated
        let only = units(
            &["OCE requires 5 business days for the initial review.".to_string()],
            &[None],
            &[],
            &Focus::Open,
        );
        let s = select(q, &only, &score(q, &only, &[0.9])).unwrap();
        assert!(!s.focus_found, "{s:?}");
        let q = "How many business days does the initial review take?";
        let s = select(q, &only, &score(q, &only, &[0.9])).unwrap();
        assert!(s.focus_found, "{s:?}");
    }

    #[test]
    fn a_yes_no_question_prefers_a_near_unit_that_negates_its_word() {
        let passages = vec![
            "You have to be eligible for FMLA to receive Paid Parental Leave.\n\nFMLA gives you up to 12 weeks of unpaid leave each year.".to_string(),
        ];
        let u = units(&passages, &[None], &[], &Focus::Open);
        let q = "Is FMLA leave paid?";
        // the first shares every word of the question and the embedder prefers it
        let s = select(q, &u, &score(q, &u, &[0.8, 0.6])).unwrap();
        assert_eq!(s.picked, vec![1]);
        // ... but not one far below the best
        let s = select(q, &u, &score(q, &u, &[0.8, 0.1])).unwrap();
        assert_eq!(s.picked, vec![0]);
        // and a question that is not yes/no takes the best
        let q = "Which FMLA leave is paid?";
        let s = select(q, &u, &score(q, &u, &[0.8, 0.6])).unwrap();
        assert_eq!(s.picked, vec![0]);
        assert_eq!(polar_words("Does FMLA leave pay?"), ["fmla", "leave"]);
        assert!(polar_words("How much is paid?").is_empty());
        let q = "Can we pay an honorarium to an outside speaker?";
        assert!(denies(
            q,
            "Unfortunately, we can not compensate guests and are working on an honorarium."
        ));
        assert!(denies(q, "Speakers cannot be paid."));
        let delivered = "My new iPhone is being shipped to me. Does someone need to be home when it's delivered?";
        assert!(!denies(
            delivered,
            "If you don't receive your work cell phone on day one, you'll need to use your personal phone."
        ));
        assert!(denies(
            delivered,
            "Someone does not need to be home, it is left at the door."
        ));
        assert!(!denies(q, "You can not park in the garage."));
        assert!(!denies(q, "We can pay speakers an honorarium."));
        assert!(!denies(
            "How can I pay a speaker?",
            "You cannot pay a speaker."
        ));
        assert!(denies(
            "Do I need PRA clearance for usability tests?",
            "Usability testing does not require PRA clearance."
        ));
    }

    #[test]
    fn another_numbered_case_states_nothing() {
        let q = "What percentage of pay is the award for a Level 2 summary rating?";
        let cases = numbered_cases(q);
        assert_eq!(cases, [("level".to_string(), "2".to_string())]);
        assert!(another_numbered_case(
            &cases,
            "Level 4 summary ratings: Up to 2.1% of adjusted basic pay."
        ));
        assert!(!another_numbered_case(
            &cases,
            "Level 2 and Level 3 summary ratings: up to 1%."
        ));
        assert!(!another_numbered_case(
            &cases,
            "Awards are up to 2.1% of pay."
        ));
        assert!(numbered_cases("What is due on March 3 under section 2?").is_empty());
        let u = units(
            &["Level 4 summary ratings: Up to 2.1% of adjusted basic pay.".to_string()],
            &[None],
            &[],
            &Focus::Percent,
        );
        let s = select(q, &u, &[1.2]).unwrap();
        assert!(!s.focus_found);
    }

    #[test]
    fn a_lead_in_brings_its_first_item() {
        let passage = "You can use sick leave for:\n• Doctor and medical appointments for you or a family member";
        let u = units(&[passage.to_string()], &[None], &[], &Focus::Open);
        let s = select("what can I use sick leave for", &u, &[0.9, 0.5]).unwrap();
        assert_eq!(s.picked, vec![0, 1]);
        assert!(s.focus_found);
    }

    #[test]
    fn a_length_of_time_is_of_what_the_question_times() {
        let q = "If my work iPhone is lost, how long does it take GSA IT to send me a replacement?";
        assert!(taken_activity(q).is_some_and(|a| a.contains("replac")));
        assert!(taken_activity("How long is the initial term?").is_none());
        let u = units_under(
            "Details",
            &["Please note: it can take 4-6 weeks to process a detail."],
        );
        let s = select(q, &u, &[1.2]).unwrap();
        assert!(!s.focus_found);
        let u = units_under(
            "Lost phones",
            &["A replacement phone is sent within 5 days."],
        );
        assert!(select(q, &u, &[1.2]).unwrap().focus_found);
    }

    #[test]
    fn a_message_asked_about_is_the_one_its_writer_wrote() {
        let q = "On what day did Bob tell Alice that the draft notice was in the matter file?";
        assert_eq!(asked_writer(q).as_deref(), Some("bob"));
        let first = "When did Alice first email Bob asking him to draft the notice?";
        assert_eq!(asked_writer(first).as_deref(), Some("alice"));
        assert_eq!(
            asked_writer("When did Maria Lopez send the announcement?").as_deref(),
            Some("maria")
        );
        assert_eq!(asked_writer("When does the policy start?"), None);
        let mut u = units_under(
            "Re: Supplier termination notice",
            &[
                "Please draft the termination notice and send it to me for review.",
                "The draft notice is attached to the matter file.",
            ],
        );
        let written = |by: &str, on: &str| {
            Some(Written {
                by: by.into(),
                on: on.into(),
            })
        };
        u[0].written = written("Alice Meyer", "2 April 2024");
        u[1].written = written("Bob Chen", "3 April 2024");
        // as the caller reads them for a question about when a message was written
        for unit in &mut u {
            unit.text = unit.dated();
        }
        // the line Bob wrote, though Alice's quoted request scores a little higher
        assert_eq!(select(q, &u, &[1.35, 1.32]).unwrap().picked, vec![1]);
        assert_eq!(select(first, &u, &[1.35, 1.32]).unwrap().picked, vec![0]);
    }

    #[test]
    fn a_question_about_a_header_field_is_answered_by_that_line() {
        let subject =
            "What subject line did Alice use on her first email asking Bob to draft the notice?";
        assert_eq!(focus(subject), Focus::Header("Subject:"));
        let copied = "Who was copied on Tom Becker's reply asking Maria about contractors?";
        assert_eq!(focus(copied), Focus::Header("Cc:"));
        assert_eq!(
            focus("Who was cc'd on the announcement?"),
            Focus::Header("Cc:")
        );
        // no message asked about
        assert!(!matches!(
            focus("Who copied the files to the shared drive?"),
            Focus::Header(_)
        ));
        assert!(!matches!(
            focus("What is the subject of the agreement?"),
            Focus::Header(_)
        ));
        let message = "From: Tom Becker <tom.becker@example.com>\nTo: Maria Lopez <maria.lopez@example.com>\nCc: Legal <legal@example.com>\nSubject: Re: New remote work policy\n\nDoes the three-day limit also apply to contractors?";
        let texts = |focus: &Focus| -> Vec<String> {
            units(&[message.to_string()], &[None], &[], focus)
                .into_iter()
                .map(|u| u.text)
                .collect()
        };
        // the header line asked for is a unit, however short; no other header line is
        let cc = texts(&focus(copied));
        assert_eq!(cc.len(), 2, "{cc:?}");
        assert!(cc[0].starts_with("Cc: Legal"), "{cc:?}");
        assert!(states_focus(&focus(copied), &cc[0]));
        assert!(!states_focus(&focus(copied), &cc[1]));
        assert_eq!(texts(&Focus::Open).len(), 1);
        // "her first email": the thread's opening subject, not a reply's, though that scores higher
        let u = units_under(
            "Supplier termination notice",
            &[
                "Subject: Re: Supplier termination notice",
                "Subject: Supplier termination notice",
            ],
        );
        assert_eq!(select(subject, &u, &[1.05, 0.97]).unwrap().picked, vec![1]);
        let later = "What subject line did Bob use on his reply about the notice?";
        assert_eq!(select(later, &u, &[1.05, 0.97]).unwrap().picked, vec![0]);
    }

    #[test]
    fn a_lead_in_whose_items_name_the_person_asked_for_answers() {
        let u = units_under(
            "Billable travel",
            &[
                "Submit the travel request to the appropriate approver as listed below.",
                "The following list provides Concur approvers for billable travel:",
                "18F: Ana Silva",
                "login.gov: Dan Lopez",
            ],
        );
        let q = "Who is the Concur approver for billable travel for login.gov?";
        let s = select(q, &u, &[1.6, 1.5, 1.1, 1.2]).unwrap();
        // the lead-in, though it names nobody, and of its items the best that names someone
        assert_eq!(s.picked, vec![1, 3]);
        assert!(s.focus_found);
    }

    #[test]
    fn a_lead_in_brings_the_item_that_answers() {
        let passage = "If you receive a suspicious email, follow these steps:\n\
                       1. Do not click any links in the email.\n\
                       2. Report it with the Cofense button in your mail client.\n\
                       3. Mark it as spam after reporting it.";
        let u = units(&[passage.to_string()], &[None], &[], &Focus::Open);
        assert_eq!(u.len(), 4, "{u:?}");
        let s = select(
            "how do I report a phishing email",
            &u,
            &[0.9, 0.4, 0.8, 0.5],
        )
        .unwrap();
        assert_eq!(s.picked, vec![0, 2]);
        // a question for an amount takes the item that states one, though another scores higher
        let passage = "The company will pay the following amounts:\n\
                       • Payments are due within thirty days of the invoice.\n\
                       • A signing payment of $250,000 on the effective date.";
        let u = units(&[passage.to_string()], &[None], &[], &Focus::Open);
        let s = select(
            "What signing fee will the company pay?",
            &u,
            &[0.9, 0.5, 0.4],
        )
        .unwrap();
        assert_eq!(s.picked, vec![0, 2]);
        // and an item of another passage is never brought
        let u = units(
            &[
                "Eligibility requires all of the following:".to_string(),
                "Unrelated passage text about something else entirely.".to_string(),
            ],
            &[None, None],
            &[],
            &Focus::Open,
        );
        let s = select("what is required", &u, &[0.9, 0.8]).unwrap();
        assert_eq!(s.picked, vec![0]);
    }
}
