//! Scoring units against a question: similarity, shared words, the focus, and penalties for
//! what answers another question (a worked example, the other side of a limit, another case, a
//! contract's opening or signature block). Kept apart from picking, so that `ask` can rule
//! units out by their documents' names between the two.

use std::collections::HashSet;

use crate::ask::guard::MONTHS;
use crate::ask::text::{content_words, is_stopword, words};

use super::Unit;
use super::focus::{Focus, asked_clause, asked_noun, focus};
use super::names::mentions;
use super::states::{names_noun, states_asked, stem};
use super::units::is_filing_stamp;

/// Whether a unit opens with a demonstrative that points at the sentence before it ("This
/// request…", "These forms…", "Such leave…"); "It" is left out, it is as often "it is
/// important to…".
pub(super) fn refers_back(text: &str) -> bool {
    let mut ws = text.split_whitespace();
    matches!(
        ws.next(),
        Some("This" | "These" | "That" | "Those" | "Such")
    ) && ws
        .next()
        .is_some_and(|w| w.chars().all(char::is_alphabetic))
}

/// The words a wh-question takes as given ("how many weeks of *paid* leave"), those of a
/// lead-in clause included ("If OCE needs an additional review, how many business days…"): a
/// unit that says the opposite answers another question. A yes/no question ("is FMLA leave
/// paid?") takes none: either polarity answers it.
pub(super) fn presupposed_words(question: &str) -> Vec<String> {
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

/// Whether unit `u`, or its heading, uses one of the question's [`quoted_terms`].
pub(super) fn uses_quoted_term(quoted: &[HashSet<String>], u: &Unit) -> bool {
    let (text, heading) = (content_words(&u.text), content_words(&u.heading));
    quoted
        .iter()
        .any(|t| t.is_subset(&text) || t.is_subset(&heading))
}

/// The content words of each term `question` puts in double quotation marks.
pub(super) fn quoted_terms(question: &str) -> Vec<HashSet<String>> {
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
pub(super) fn is_signature_block(text: &str) -> bool {
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

/// What a contract calls itself: its preamble opens "THIS … AGREEMENT", and a defined term
/// ending in one ("Supply Agreement") is the contract's own name, not a role.
const CONTRACT_KINDS: &[&str] = &["agreement", "amendment", "contract", "lease"];

/// Whether a sentence is part of a contract's opening: its preamble ("THIS MEDIA LICENSE
/// AGREEMENT (this “Agreement”) is made … between …"), the sentence that names them "the
/// Parties" ("ChipMOS and Tsinghua Unigroup shall collectively be referred to as the
/// “Parties.”"), a recital ("WHEREAS, …") or a letter agreement's "The undersigned, …".
pub(super) fn is_contract_opening(sentence: &str) -> bool {
    let lower = sentence.trim_start().to_lowercase();
    let ws: Vec<&str> = lower.split_whitespace().take(12).collect();
    let preamble = ws.first() == Some(&"this")
        && ws.iter().any(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            CONTRACT_KINDS.contains(&w)
        })
        && (lower.contains(" between ") || lower.contains(" among "));
    let names_the_parties = [
        "referred to as the “parties",
        "referred to as the \"parties",
    ]
    .iter()
    .any(|p| lower.contains(p));
    // an agreement written as a letter opens "The undersigned, Dundee Securities Ltd. (the
    // “Lead Agent”), … understand that Tribute … proposes to issue…"
    let letter = lower.starts_with("the undersigned");
    preamble || names_the_parties || letter || lower.starts_with("whereas")
}

/// Whether the question asks what a contract's opening states: who the parties are or where
/// they are incorporated, when the contract was made or takes effect, why it was made.
pub(super) fn asks_what_the_opening_states(question: &str, focus: &Focus) -> bool {
    asks_about_signing(question)
        || matches!(
            focus,
            Focus::Person(_) | Focus::Date | Focus::When | Focus::Deadline
        )
        || {
            let ws = words(&question.to_lowercase());
            ws.iter().enumerate().any(|(i, w)| {
                // "party", "parties", "party's" (not "Partnership"); but "each party's
                // liability" and "a third party" ask about what any party does, not who they are
                let about_the_parties = (w.starts_with("party") || w.starts_with("parties"))
                    && !(i > 0
                        && matches!(
                            ws[i - 1].as_str(),
                            "each" | "either" | "neither" | "any" | "other" | "third"
                        ));
                // "what rate applies as of the Effective Date" asks for the rate at that date,
                // not what the opening states
                let dated_by = i >= 2
                    && ws[i - 1] == "the"
                    && [
                        "of",
                        "on",
                        "after",
                        "from",
                        "before",
                        "following",
                        "until",
                        "since",
                        "by",
                        "upon",
                    ]
                    .contains(&ws[i - 2].as_str());
                about_the_parties
                    || (w.starts_with("effective") && !dated_by)
                    || w.starts_with("dated")
                    || w.starts_with("entered")
                    || w.starts_with("incorporat")
                    || w.starts_with("organized")
                    || w == "why"
            })
        }
}

/// Whether `u` is part of a contract's opening that states nothing the question asks: the
/// question is not about what openings state (`about_opening`, see
/// [`asks_what_the_opening_states`]) and `u` defines no role it asks about. Scoring and
/// selection apply the same test.
pub(super) fn opening_out_of_place(question: &str, about_opening: bool, u: &Unit) -> bool {
    u.opening && !about_opening && !defines_what_is_asked(question, &u.text)
}

/// Whether a contract's opening defines a name the question uses for a party: "which company
/// is the Owner of the fuel cell systems?" is answered by "…and DIAMOND STATE GENERATION
/// PARTNERS, LLC, a Delaware limited liability company (“Owner”)". The names every contract
/// defines for itself or for both sides ("this Agreement", "the Supply Agreement", "the
/// Parties") do not count.
pub(crate) fn defines_what_is_asked(question: &str, text: &str) -> bool {
    const OWN: &[&str] = &["party", "parties", "effective date"];
    let asked = format!(" {} ", words(&question.to_lowercase()).join(" "));
    // “curly” quotes open and close with two characters, "straight" ones with one
    let curly = text.split('“').skip(1).filter_map(|q| q.split('”').next());
    let straight = text.split('"').skip(1).step_by(2);
    curly
        .chain(straight)
        .map(|term| term.trim().to_lowercase())
        // nor does the contract's own kind ("Supply Agreement")
        .filter(|term| {
            let n = term.split_whitespace().count();
            let kind = term
                .split_whitespace()
                .last()
                .is_some_and(|w| CONTRACT_KINDS.contains(&w));
            (1..=3).contains(&n) && !OWN.contains(&term.as_str()) && !kind
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
pub(super) fn asks_about_signing(question: &str) -> bool {
    let ws = words(&question.to_lowercase());
    let signing = |w: &String| {
        (w.starts_with("sign") && !w.starts_with("signif"))
            || (w.starts_with("execut") && !w.starts_with("executive"))
            || w.starts_with("countersign")
    };
    ws.iter().take(6).any(signing) || ws.iter().rev().take(2).any(signing)
}

/// How many signals a unit is scored on (see [`features`]).
const SIGNALS: usize = 16;

/// What each of a unit's [`features`] adds to its score, set by hand. Weights fitted to the
/// traced candidates of the first eleven answer sets (a listwise logistic loss, each set left
/// out in turn) put the right sentence first for 252 to 256 of the 354 answerable questions of
/// the left-out sets, against 254 with these, so these stay (README).
const WEIGHTS: [f32; SIGNALS] = [
    1.0,
    0.35,
    0.3,
    ASKED_NOUN,
    QUOTED_TERM,
    0.2,
    -0.1,
    -0.25,
    -0.3,
    -SIGNATURE_BLOCK,
    -CONTRACT_OPENING,
    -0.25,
    -0.15,
    0.08,
    0.5,
    SCENE_ASKED,
];

/// What a unit gains for holding the words of the clause that asks, when a sentence before it
/// sets the scene ("Every time I hit save … it sends me an email. How can I *avoid* that?"):
/// the sentence that restates the scene shares most of the question's words, and the one that
/// answers shares the few the asking clause adds.
const SCENE_ASKED: f32 = 0.25;

/// Scores of units against the question (see the module documentation for the terms).
/// `semantic[i]` is the cosine similarity of unit i's embedding and the question's.
pub(crate) fn score(question: &str, units: &[Unit], semantic: &[f32]) -> Vec<f32> {
    features(question, units, semantic)
        .iter()
        .map(|f| f.iter().zip(&WEIGHTS).map(|(f, w)| f * w).sum())
        .collect()
}

/// Each unit's signals, in the order of [`WEIGHTS`]: its own cosine (or the sentence's before
/// it, when it refers back), the share of the question's content words it holds, the share its
/// headings add, whether it names the asked noun, whether it uses a quoted term, whether it
/// states the focus, whether it lacks any figure when one is asked for, whether it is a worked
/// example, a question, a signature block, a contract opening out of place, says the opposite
/// of what the question takes as given (or is a rule for those who have what the asker says
/// they lack, [`asker_case`]), or is navigation text; 1 / its passage's rank, its passage's
/// cosine, and the share of the asking clause's words it holds when a sentence before that
/// clause sets the scene ([`SCENE_ASKED`]).
pub(crate) fn features(question: &str, units: &[Unit], semantic: &[f32]) -> Vec<[f32; SIGNALS]> {
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
    let asked_head = asked_noun(question);
    let quoted = quoted_terms(question);
    let about_signing = asks_about_signing(question);
    let about_opening = asks_what_the_opening_states(question, &focus);
    let question_limits = limits(question);
    let lacks = asker_lacks(question);
    // the asking clause's words, when a sentence before it sets the scene (not a lead-in
    // clause: "In the consulting agreement, what is the fee" has no scene)
    let lower_question = question.to_lowercase();
    let asked_words = match asked_clause(&lower_question) {
        clause
            if clause.len() < lower_question.len()
                && !lower_question[..lower_question.len() - clause.len()]
                    .trim_end()
                    .ends_with(',') =>
        {
            content_words(clause)
        }
        _ => HashSet::new(),
    };
    let semantic_of = |i: usize| semantic.get(i).copied().unwrap_or(0.0);
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
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
            let mut semantic = semantic_of(i);
            // "This request will require approval from…" is about what the sentence before it
            // names ("…a home printer…"), which its own embedding cannot see
            if i > 0 && refers_back(&u.text) {
                let prev = &units[i - 1];
                if prev.passage == u.passage && prev.position + 1 == u.position {
                    semantic = semantic.max(semantic_of(i - 1));
                }
            }
            // a filing's stamp ("Source: FUELCELL ENERGY INC, 8-K, 11/6/2019") holds a date
            // and figures, but they are the filing's, never what a question about the contract
            // asks for
            let states = focus != Focus::Open
                && !is_filing_stamp(&u.text)
                && states_asked(question, &focus, &u.text);
            let no_figure = focus != Focus::Open
                && !states
                && wants_number
                && !u.text.chars().any(|c| c.is_ascii_digit());
            let lower = u.text.to_lowercase();
            let example = lower.starts_with("for example")
                || lower.starts_with("example")
                || lower.starts_with("e.g")
                || lower.starts_with("for instance");
            let opposite = asker_case(&lacks, &u.text) == Some(false)
                || presupposed.iter().any(|w| only_denies(w, &lower))
                || contrasted.iter().any(|w| contrasts(w, &lower))
                || other_side_of_limit(&question_limits, &u.text);
            // a pointer to another page is not what it points to
            let navigation = [
                "refer to",
                "visit ",
                "see ",
                "check out",
                "for more",
                "learn more",
                "read more",
            ]
            .iter()
            .any(|p| lower.starts_with(p));
            [
                semantic,
                share(&s),
                share(&h),
                flag(
                    asked_head
                        .as_deref()
                        .is_some_and(|n| names_noun(n, &u.text)),
                ),
                flag(uses_quoted_term(&quoted, u)),
                flag(states),
                flag(no_figure),
                flag(example),
                flag(u.text.ends_with('?')),
                flag(!about_signing && is_signature_block(&u.text)),
                flag(opening_out_of_place(question, about_opening, u)),
                flag(opposite),
                flag(navigation),
                // a sentence is only as relevant as the passage it stands in: "3 weeks" in a
                // timesheet code list does not answer a parental-leave question
                1.0 / u.passage as f32,
                u.passage_cosine,
                if asked_words.is_empty() {
                    0.0
                } else {
                    asked_words.intersection(&s).count() as f32 / asked_words.len() as f32
                },
            ]
        })
        .collect()
}

/// The words of a yes/no question whose negation in a passage settles it ("paid" in "is FMLA
/// leave paid?"); none for other questions. Only content words: "Do I still *have* to set up
/// commit signing?" is not denied by "If you don't have a GitHub account"; a compound's parts
/// count on their own ("commit-signing" is denied by "you do not need to configure signing").
pub(crate) fn polar_words(question: &str) -> Vec<String> {
    let lower = question.to_lowercase();
    let ws = words(polar_clause(&lower));
    if ws
        .first()
        .is_some_and(|w| POLAR_OPENERS.contains(&w.as_str()))
    {
        ws.iter()
            .skip(1)
            .flat_map(|w| w.split('-'))
            .filter(|w| w.len() >= 4 && !is_stopword(w))
            .map(str::to_string)
            .collect()
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
    // "Do I have to wait…?" — "there is no need to wait"
    let obliged = ws
        .iter()
        .any(|w| ["have", "has", "need", "needs", "must"].contains(&w.as_str()));
    // the word is in the clause the negation is in: "If you don't receive your phone on day
    // one, you'll need to use your own" does not deny "does someone need to be home?"
    lower.split([',', ';', ':']).any(|clause| {
        let tw = words(clause);
        let negates = tw
            .windows(2)
            .any(|w| family.contains(&w[0].as_str()) && w[1] == "not")
            || (obliged
                && tw.windows(2).any(|w| {
                    matches!(
                        (w[0].as_str(), w[1].as_str()),
                        ("no", "need") | ("need", "not") | ("not", "necessary" | "required")
                    )
                }))
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

/// The yes/no question of lower-cased `lower`: the last of its sentences or clauses that a
/// word of [`POLAR_OPENERS`] opens ("I haven't set up 2FA yet. Will I still be able to read my
/// email?", "In the Bug Bounty Program, does SecOps have to wait…?"), else all of it.
fn polar_clause(lower: &str) -> &str {
    let mut starts = std::iter::once(0).chain(
        lower
            .match_indices(['.', '?', '!', ','])
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

/// Whether lower-case `text` negates `word` and never states it: a table row that gives both
/// sides ("Billable time: 25.5 hours; Non-billable time: 6.5 hours") says what the question
/// takes as given.
fn only_denies(word: &str, text: &str) -> bool {
    let denials = DENIALS
        .iter()
        .map(|p| text.matches(&format!("{p}{word}")).count())
        .sum::<usize>();
    contradicts(word, text) && text.matches(word).count() <= denials
}

/// What negates a word written in front of it: "unpaid", "nonexempt", "non-exempt", "without
/// approval".
const DENIALS: &[&str] = &["un", "non", "non-", "without "];

/// Whether lower-case `text` negates `word`: "unpaid", "non-exempt", "without approval"
/// ("without pay" for "paid").
fn contradicts(word: &str, text: &str) -> bool {
    DENIALS.iter().any(|p| text.contains(&format!("{p}{word}")))
        || (word == "paid" && text.contains("without pay"))
}

/// Words that negate what follows them.
fn negates(w: &str) -> bool {
    matches!(w, "not" | "no" | "never" | "without" | "cannot") || w.ends_with("n't")
}

/// What the asker says they are not or do not have, as content words: what follows a
/// negation the asker is the subject of ("I don't hold a security clearance" → hold, security,
/// clearance; "we haven't set up 2FA"). Empty when the question says no such thing.
pub(crate) fn asker_lacks(question: &str) -> HashSet<String> {
    // words the question quotes are someone else's ("the alternative to writing “I don't
    // think this person is a good fit”")
    let normalized = question.replace(['“', '”'], "\"");
    let unquoted: String = normalized
        .split('"')
        .step_by(2)
        .collect::<Vec<_>>()
        .join(" ");
    let lower = unquoted.to_lowercase().replace('’', "'");
    lower
        .split(['.', ',', ';', '?', '!'])
        .find_map(|clause| {
            let ws = words(clause);
            let at = ws.iter().position(|w| negates(w))?;
            let first_person =
                |w: &str| matches!(w, "i" | "i'm" | "i've" | "we" | "we're" | "we've");
            let auxiliary = |w: &str| matches!(w, "do" | "did" | "am" | "are" | "have" | "was");
            // the asker is the negation's subject ("I don't", "I have no"), not someone else
            // in the asker's sentence ("…if they don't ask")
            let subject = match at {
                0 => false,
                1 => first_person(&ws[0]),
                _ => {
                    first_person(&ws[at - 1])
                        || (auxiliary(&ws[at - 1]) && first_person(&ws[at - 2]))
                }
            };
            subject.then(|| content_words(&ws[at + 1..].join(" ")))
        })
        .unwrap_or_default()
}

/// How a unit's condition stands to what the asker lacks ([`asker_lacks`]): `Some(true)` when
/// an "if" clause asks for its lack ("optional if you do not hold a clearance"), `Some(false)`
/// when it asks for what the asker lacks ("If you … hold a security clearance, you are
/// required to notify GSA": a rule for someone else), `None` when no condition names it.
pub(crate) fn asker_case(lacks: &HashSet<String>, text: &str) -> Option<bool> {
    if lacks.is_empty() {
        return None;
    }
    let need = lacks.len().min(2);
    let lower = text.to_lowercase().replace('’', "'");
    lower.split([',', ';', ':', '.']).find_map(|clause| {
        let ws = words(clause);
        let at = ws.iter().position(|w| w == "if" || w == "unless")?;
        let condition = &ws[at..];
        let shared = content_words(&condition.join(" "))
            .intersection(lacks)
            .count();
        // "unless you hold a clearance" is "if you do not"
        (shared >= need).then(|| condition.iter().any(|w| negates(w)) != (ws[at] == "unless"))
    })
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
            crate::ask::guard::cardinal(&w)
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
pub(super) fn other_side_of_limit(question_limits: &[(String, Side)], text: &str) -> bool {
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
pub(super) fn numbered_cases(question: &str) -> Vec<(String, String)> {
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
pub(super) fn another_numbered_case(cases: &[(String, String)], text: &str) -> bool {
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
pub(super) fn contrasted_words(question: &str, presupposed: &[String]) -> Vec<String> {
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
pub(super) fn contrasts(word: &str, text: &str) -> bool {
    let Some((_, others)) = CONTRASTS.iter().find(|(w, _)| *w == word) else {
        return false;
    };
    !mentions(text, word) && others.iter().any(|o| mentions(text, o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ask::select::tests::units_under;

    #[test]
    fn a_pointer_to_another_page_is_navigation() {
        let q = "Who at GSA is responsible for records management?";
        let units = units_under(
            "Records",
            &[
                "Visit GSA Insite Records Management Page for general procedures on records.",
                "All GSA employees are responsible for records management.",
                "Refer to the records schedule for retention periods.",
            ],
        );
        let f = features(q, &units, &[0.5, 0.5, 0.5]);
        let nav: Vec<f32> = f.iter().map(|f| f[12]).collect();
        assert_eq!(nav, [1.0, 0.0, 1.0]);
        let scores = score(q, &units, &[0.5, 0.5, 0.5]);
        assert!(scores[1] > scores[0], "{scores:?}");
    }

    #[test]
    fn the_asking_clause_after_a_scene_counts_its_own_words() {
        let q = "Every time I hit save in my travel profile it throws me back to the main page \
                 and sends me an email. How can I avoid that?";
        let units = units_under(
            "Profile",
            &[
                "Note: each time you save you'll get thrown back to the Profile Options page and \
                 will receive an email that your profile has been updated.",
                "You can avoid this by editing each section as needed and clicking save once.",
            ],
        );
        // the restatement is nearer to the question as a whole
        let semantic = [0.58, 0.46];
        let f = features(q, &units, &semantic);
        assert_eq!((f[0][15], f[1][15]), (0.0, 1.0));
        let scores = score(q, &units, &semantic);
        assert!(scores[1] > scores[0], "{scores:?}");
        // a lead-in clause is no scene
        let q = "In the travel profile, how can I avoid that?";
        assert_eq!(features(q, &units, &semantic)[1][15], 0.0);
    }

    #[test]
    fn a_filing_stamp_states_no_figure() {
        let q = "What hourly rate applies to engineers?";
        let units = units_under(
            "",
            &[
                "Source: FUELCELL ENERGY INC, 8-K, 11/6/2019",
                "The FTE Rate for engineers is $327.00 per hour.",
            ],
        );
        let f = features(q, &units, &[0.5, 0.5]);
        let states: Vec<f32> = f.iter().map(|f| f[5]).collect();
        assert_eq!(states, [0.0, 1.0]);
    }

    #[test]
    fn a_row_that_gives_both_sides_does_not_say_the_opposite() {
        let q = "I'm only working four days this week. How many hours do I still need to bill?";
        let units = units_under(
            "Billable hours",
            &[
                "Work week: 4 days; Billable time: 25.5 hours; Non-billable time: 6.5 hours",
                "Non-billable time must not exceed 6.5 hours in a four-day week.",
            ],
        );
        let f = features(q, &units, &[0.5, 0.5]);
        let opposite: Vec<f32> = f.iter().map(|f| f[11]).collect();
        assert_eq!(opposite, [0.0, 1.0]);
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
        // a lead-in clause sets the scene
        let q = "In the GSA Bug Bounty Program, does GSA SecOps have to wait until the vulnerability is resolved before awarding the bounty?";
        assert!(polar_clause(&q.to_lowercase()).starts_with("does gsa secops"));
        assert!(denies(
            q,
            "There is no need to wait until the issue is resolved to award."
        ));
        assert!(!denies(q, "There is no need to report it twice."));
        assert!(!denies(
            "In the program, can SecOps wait?",
            "There is no need to wait."
        ));
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
}
