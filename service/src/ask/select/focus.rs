//! What a question asks for, read from its wording: the [`Focus`] ("how many weeks" wants a
//! number of weeks, "who" a person) and the nouns it asks about or measures. Whether a
//! sentence states it is `states`'s concern; this module only reads the question.

use std::collections::HashSet;

use crate::ask::text::{content_words, words};

use super::mail::{asked_header_field, asks_recipient_address, asks_senders_address};
use super::names::names;
use super::states::{LAW_WORDS, stem};

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
    /// "Cc: Legal <legal@example.com>"), the field's name as
    /// [`MAIL_FIELDS`](super::mail::MAIL_FIELDS) writes it. A header is otherwise no answer.
    Header(&'static str),
    /// Nothing that can be checked on the wording of a sentence.
    Open,
}

pub(super) const TIME_UNITS: &[&str] = &[
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

/// Reads the question's focus.
pub(crate) fn focus(question: &str) -> Focus {
    if asks_recipient_address(question) {
        return Focus::Header("To:");
    }
    if asks_senders_address(question) {
        return Focus::Header("From:");
    }
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
pub(super) fn asked_clause(lower: &str) -> &str {
    ["what", "which", "when", "how", "where", "who"]
        .iter()
        .flat_map(|w| [", ", ". ", "! "].map(|p| lower.rfind(&format!("{p}{w} "))))
        .flatten()
        .max()
        .map_or(lower, |i| &lower[i + 2..])
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
    // "who do I email to sponsor their access?": whoever it is, the answer is an address;
    // "who should email the help desk?" asks who writes (the sender is the subject)
    const MODALS: &[&str] = &[
        "should", "must", "can", "could", "will", "would", "may", "might", "shall",
    ];
    let sender_asked = ws.get(1).is_some_and(|w| {
        w.starts_with("email") || w.starts_with("e-mail") || MODALS.contains(&w.as_str())
    });
    if ws.first().is_some_and(|w| w == "who" || w == "whom")
        && !sender_asked
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
        // what is counted is plural: "how many arbitrators hear a dispute" counts arbitrators,
        // though the phrase runs on through a verb no list knows
        let plural = ws[i..ws.len().min(i + 3)].iter().find(|w| {
            w.len() > 3 && w.ends_with('s') && !["ss", "us", "is"].iter().any(|e| w.ends_with(e))
        });
        return if !units.is_empty() {
            Focus::Quantity(units)
        } else if let Some(noun) = plural.map(|w| stem(w)) {
            Focus::Count(noun)
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
        // "within what time must an action be started": a length of time, not a time of day
        || after(&["within", "what", "time"]).is_some_and(|i| {
            // "within what time window can I start": a range of times of day
            ws.get(i).is_none_or(|w| !["window", "windows", "range", "slot"].contains(&w.as_str()))
        })
        || after(&["within", "what", "period"]).is_some()
    {
        return Focus::Quantity(TIME_UNITS.to_vec());
    }
    if PHONE_PHRASES.iter().any(|p| q.contains(p)) {
        return Focus::Phone;
    }
    // "what fee…, as a share of net revenues?": a fee put as a share is a percentage
    const SHARE_OF: &[&str] = &[
        "what share of",
        "as a share of",
        "what proportion of",
        "as a proportion of",
        "what fraction of",
        "as a fraction of",
    ];
    if q.contains("percent") || SHARE_OF.iter().any(|p| q.contains(p)) {
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
        // "how much per day does Diplomat pay …": the rate's unit may come first
        let verb_at = if next.first().is_some_and(|w| w == "per") {
            2
        } else {
            0
        };
        let costs = next
            .get(verb_at)
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
        // "how much is the train ride", "how much are the fees": a price
        let priced = next
            .first()
            .is_some_and(|w| ["is", "are", "was", "were"].contains(&w.as_str()));
        if costs || named || priced {
            return Focus::Money;
        }
    }
    // a deadline is a day ("close of business on Friday"), not "at least 32 hours"; "which
    // supplier had missed its third delivery deadline" asks for a supplier
    let asks_for_another = matches!(ws.first().map(String::as_str), Some("which" | "what"))
        && noun_phrase_last(&ws[1..]).is_some_and(|h| stem(&h) != "deadline");
    if q.contains("deadline") && !asks_for_another {
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
    if ws.first().is_some_and(|w| w == "when")
        || ["by when", "until when", "till when"]
            .iter()
            .any(|p| q.contains(p))
    {
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

/// Words that make an address a postal one: "street address", "mailing address".
const POSTAL: &[&str] = &[
    "street",
    "postal",
    "mailing",
    "physical",
    "registered",
    "office",
    "business",
    "home",
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
        "had",
        "about",
        // an article after the head opens another phrase: "burden hours a single package can
        // request" (leading articles are skipped)
        "a",
        "an",
        "the",
    ];
    // "the monthly fee starting 20 August 2020": a date or a figure ends the phrase too
    let start = ws.iter().position(|w| !SKIP.contains(&w.as_str()))?;
    let len = ws[start..]
        .iter()
        .take_while(|w| !END.contains(&w.as_str()) && !w.chars().any(|c| c.is_ascii_digit()))
        .count();
    let phrase = &ws[start..start + len];
    // "which bank holds the account": a word in -s after the noun and before "the" is its
    // verb ("which state's law governs the…" keeps its phrase), and so is one of the verbs
    // that take "to" ("what hourly FTE rate applies to scientists"; "what tax forms to file"
    // keeps its head)
    const TO_VERBS: &[&str] = &[
        "applies",
        "belongs",
        "refers",
        "relates",
        "pertains",
        "corresponds",
        "goes",
    ];
    let last = phrase.last().map(String::as_str).unwrap_or_default();
    // (only right after a one-word noun phrase before "the": "which cell phone carriers give
    // federal employees the…" runs on past its verb)
    let verb_follows = match ws.get(start + len).map(String::as_str) {
        Some("the") => len == 2 && last.ends_with('s') && !last.ends_with("ss"),
        Some("to") => len >= 2 && TO_VERBS.contains(&last),
        _ => false,
    };
    let head = if verb_follows {
        &phrase[len - 2]
    } else {
        phrase.last()?
    };
    let head = head.trim_matches(|c: char| !c.is_alphanumeric());
    (!head.is_empty()).then(|| head.to_string())
}

/// The noun a "what"/"which" question (or "who is the …") asks for, as [`noun_phrase_head`]
/// finds it: "code" in "what code do they use to identify GSA", "name" in "what application
/// name do I enter", "filer" in "who is the designated filer". A sentence that names it
/// ("GSA's TWN Employer Code is 10536", "For application name, enter …") gives its value more
/// often than the sentence beside it on the same topic, which shares as many of the question's
/// other words. "What kind of X" asks for an X. `None` for other questions and for nouns that
/// name no thing ("what kind of thing", "what happens").
pub(crate) fn asked_noun(question: &str) -> Option<String> {
    const KINDS: &[&str] = &["kind", "kinds", "type", "types", "sort", "sorts"];
    // a reason or a purpose is given in a sentence's "for", "because" or "so that", which
    // seldom says "reason" ("Dana, for your records: we are terminating…")
    const VAGUE: &[&str] = &[
        "kind", "type", "sort", "one", "thing", "happen", "else", "reason", "purpos", "caus",
    ];
    let lower = question.to_lowercase();
    let ws = words(asked_clause(&lower));
    let at = ws.iter().take(3).position(|w| w == "what" || w == "which");
    let rest = match at {
        Some(at) if at == 0 || PREPOSITIONS.contains(&ws[0].as_str()) => &ws[at + 1..],
        _ if ws.len() > 2 && ws[0] == "who" && (ws[1] == "is" || ws[1] == "was") => &ws[2..],
        _ => return None,
    };
    // "what kind of computer access", "which type of claim": the kind is of an X
    let rest = match rest {
        [k, of, tail @ ..] if of == "of" && KINDS.contains(&k.as_str()) && !tail.is_empty() => tail,
        _ => rest,
    };
    // as written: the caller stems it as it stems the units' words ("agencies", not "agencie")
    noun_phrase_last(rest).filter(|h| !VAGUE.contains(&stem(h).as_str()))
}

/// Whether the question asks "which …" (not "what …"): which one of several.
pub(super) fn question_word_is_which(question: &str) -> bool {
    words(&question.to_lowercase())
        .iter()
        .take(3)
        .any(|w| w == "which")
}

/// The phrase by which a "what is X known as?" question asks for X's other name ("often
/// known as", "called", "referred to as"): the sentence that gives the name says it too.
pub(super) fn asked_other_name(question: &str) -> Option<&'static str> {
    let lower = question.to_lowercase();
    let lower = lower.trim_end_matches(['?', ' ', '.']);
    ["known as", "referred to as", "called"]
        .into_iter()
        .find(|p| lower.ends_with(p))
}

/// What a "who did it" question says was acted on, as written: "letter" in "Who signed the TTS
/// welcome letter that new employees receive?", "guild" in "Who leads the accessibility
/// guild?". The person who signed some other form is not the answer, so the sentence that
/// names someone must name it too, in its words or its heading. `None` for other questions
/// ("who is the …" asks for a role: see [`asked_noun`]).
pub(crate) fn acted_on_noun(question: &str) -> Option<String> {
    const NOT_VERBS: &[&str] = &[
        "is", "was", "are", "were", "do", "does", "did", "should", "can", "could", "will", "would",
        "must", "may", "has", "have", "had", "to", "else",
    ];
    // a thing named, not one of the asker's own ("who approves my leave?" is answered by
    // "your supervisor approves it")
    const DETERMINERS: &[&str] = &["the", "a", "an", "this"];
    let lower = question.to_lowercase();
    let ws = words(asked_clause(&lower));
    if ws.len() < 4
        || ws[0] != "who"
        || NOT_VERBS.contains(&ws[1].as_str())
        || !DETERMINERS.contains(&ws[2].as_str())
    {
        return None;
    }
    // "the TTS welcome letter that new employees receive": the phrase ends at its clause
    let phrase: Vec<String> = ws[2..]
        .iter()
        .take_while(|w| !["that", "which", "who", "whom", "whose"].contains(&w.as_str()))
        .cloned()
        .collect();
    noun_phrase_last(&phrase)
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
        // who pays is seldom named in the sentence with the amount: a contract calls the
        // carrier "Party B" ("how much must the carrier pay for each parcel…")
        if let Some(v) = np.iter().position(|w| MONEY_VERBS.contains(&w.as_str())) {
            return (!["pay", "pays", "paid"].contains(&np[v].as_str()))
                .then(|| np[..v].last().cloned())
                .flatten();
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
pub(super) fn taken_activity(question: &str) -> Option<HashSet<String>> {
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
    // "how long does it take to show up": arriving or coming through names no activity a
    // sentence would repeat ("which can take up to 1 business day"); completing does ("how
    // long does the class take to complete" is not answered by the class's description)
    const ARRIVING: &[&str] = &[
        "show", "arriv", "come", "appear", "happen", "get", "go", "back", "through", "in",
    ];
    let activity: HashSet<String> = content_words(&ws[to + 1..].join(" "))
        .into_iter()
        .filter(|w| !ARRIVING.contains(&w.as_str()))
        .collect();
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
    } else if head == "address" && rest.iter().any(|w| POSTAL.contains(&w.as_str())) {
        // "at what street address is Merck KGaA listed": where it is, a place (a street
        // address names its city and country), not where to write online
        Some(Focus::Place)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ask::select::states::states_focus;
    use crate::ask::select::tests::assert_states;

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
        // a thing's price: "15 minutes" says nothing of what the ride costs
        assert_eq!(
            focus("How much is the train ride from the airport?"),
            Focus::Money
        );
        assert_eq!(
            focus("How much is donated for each unit sold?"),
            focus("How much money is donated for each unit sold?")
        );
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
        // the rate's unit before the paying verb: still money
        let per_day = focus("How much per day does Diplomat pay for each day of photo sessions?");
        assert_eq!(
            per_day,
            Focus::Per {
                unit: "day".into(),
                money: true
            }
        );
        assert!(!states_focus(
            &per_day,
            "The photo sessions shall be up to two (2) consecutive days in duration."
        ));
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
        assert_eq!(
            focus("What advertising fee does the franchisee pay, as a share of net revenues?"),
            Focus::Percent
        );
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
}
