//! The guard: a generated sentence may state only figures and quotations found in the
//! passages it cites.
//!
//! Small models miscopy numbers ("5" for "25 days"), so every number, date, amount,
//! percentage and quoted term of a generated sentence must appear in its cited passages
//! (number words count as their digits; "1,500" equals "1500"). Citation markers must name
//! passages that exist. A sentence without markers is attributed to the passage sharing most
//! of its content words, and fails when it shares none.

use std::collections::{BTreeSet, HashSet};

use super::text::{content_words, words};

/// Number words a model may use for figures written in digits in the passage, or vice versa:
/// the cardinals, and [`COUNTING_WORDS`].
const CARDINALS: &[(&str, u32)] = &[
    ("zero", 0),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
    ("hundred", 100),
];

/// Ordinals and counts that stand for a figure too ("the third", "twice").
const COUNTING_WORDS: &[(&str, u32)] = &[
    ("first", 1),
    ("second", 2),
    ("third", 3),
    ("fourth", 4),
    ("fifth", 5),
    ("once", 1),
    ("twice", 2),
];

/// The value of a cardinal number word ("six" is 6); `None` for any other word.
pub(crate) fn cardinal(word: &str) -> Option<u32> {
    CARDINALS.iter().find(|(w, _)| *w == word).map(|(_, v)| *v)
}

/// The value of any number word ([`CARDINALS`], [`COUNTING_WORDS`]).
fn number_word(word: &str) -> Option<u32> {
    cardinal(word).or_else(|| {
        COUNTING_WORDS
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, v)| *v)
    })
}

/// Month names, lower-cased (also read by `select` for "when" questions).
pub(crate) const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A generated sentence after the guard: its text with citation markers, and what it cites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checked {
    /// The sentence, ending with its citation markers.
    pub(crate) text: String,
    /// Passage numbers it cites (1-based).
    pub(crate) cites: BTreeSet<usize>,
}

/// Why a generated sentence was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// It cites a passage number that was not in the prompt.
    UnknownCitation(usize),
    /// A figure or quotation is absent from the cited passages.
    Unsupported(String),
    /// It shares no content word with any passage.
    Unattributable,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownCitation(n) => write!(f, "cites [{n}], which is not a source"),
            Self::Unsupported(fact) => write!(f, "{fact:?} is not in the cited sources"),
            Self::Unattributable => write!(f, "a sentence matches none of the sources"),
        }
    }
}

/// Citation markers `[n]`, `[n, m]` in `text`, and the text without them.
pub(crate) fn split_citations(text: &str) -> (String, Vec<usize>) {
    let mut plain = String::with_capacity(text.len());
    let mut cites = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']').map(|c| open + c) else {
            break;
        };
        let inner = &rest[open + 1..close];
        let numbers: Option<Vec<usize>> = inner
            .split([',', ';'])
            .map(|n| n.trim().trim_start_matches("Source").trim().parse().ok())
            .collect();
        match numbers {
            Some(ns) if !ns.is_empty() && !inner.trim().is_empty() => {
                plain.push_str(&rest[..open]);
                cites.extend(ns);
            }
            _ => plain.push_str(&rest[..=close]),
        }
        rest = &rest[close + 1..];
    }
    plain.push_str(rest);
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    let plain = super::text::tidy_punctuation(&plain);
    (plain, cites)
}

/// The facts a sentence states that must be found in its sources: numbers (normalized),
/// month names next to numbers (dates), and quoted terms (lower-cased).
pub(crate) fn facts(text: &str) -> Vec<Fact> {
    let mut out = Vec::new();
    for n in numbers(text) {
        out.push(Fact::Number(n));
    }
    let ws = words(text);
    // "May 1" is a date, "you may take" is not
    let near_number = |j: Option<&String>| {
        j.is_some_and(|x| x.chars().next().is_some_and(|c| c.is_ascii_digit()))
    };
    for (i, w) in ws.iter().enumerate() {
        let month = if w == "may" {
            near_number(ws.get(i + 1)) || (i > 0 && near_number(ws.get(i - 1)))
        } else {
            MONTHS.contains(&w.as_str())
        };
        if !month {
            continue;
        }
        out.push(Fact::Word(w.clone()));
        // "August 2017" is a month, "August 16, 2017" a day of it: a day dropped moves the
        // date ("until the end of August 2017")
        if let Some(year) = ws.get(i + 1).filter(|y| super::text::is_year(y)) {
            out.push(Fact::MonthYear(w.clone(), year.clone()));
        }
    }
    for q in quoted(text) {
        out.push(Fact::Quote(q));
    }
    out
}

/// Something a sentence asserts that its sources must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fact {
    /// A number, normalized (`1,500.00` → `1500`).
    Number(String),
    /// A month name of a date.
    Word(String),
    /// A month and a year next to each other, with no day between ("August 2017").
    MonthYear(String, String),
    /// A quoted term, lower-cased with single spaces.
    Quote(String),
}

impl Fact {
    fn label(&self) -> String {
        match self {
            Self::Number(n) | Self::Word(n) | Self::Quote(n) => n.clone(),
            Self::MonthYear(m, y) => format!("{m} {y}"),
        }
    }
}

fn normalize_number(raw: &str) -> String {
    let mut s: String = raw.chars().filter(|c| *c != ',').collect();
    if let Some((int, frac)) = s.split_once('.') {
        let frac = frac.trim_end_matches('0');
        s = if frac.is_empty() {
            int.to_string()
        } else {
            format!("{int}.{frac}")
        };
    }
    let trimmed = s.trim_start_matches('0');
    if trimmed.is_empty() || trimmed.starts_with('.') {
        format!("0{trimmed}")
    } else {
        trimmed.to_string()
    }
}

/// Every number in `text`, digits or number words, normalized.
pub(crate) fn numbers(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || ((chars[i] == ',' || chars[i] == '.')
                        && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit())))
            {
                i += 1;
            }
            let raw: String = chars[start..i].iter().collect();
            out.insert(normalize_number(&raw));
        } else {
            i += 1;
        }
    }
    for w in words(text) {
        for part in w.split('-') {
            if let Some(n) = number_word(part) {
                out.insert(n.to_string());
            }
        }
        // "twenty-five"
        if let Some((tens, ones)) = w.split_once('-')
            && let (Some(t), Some(o)) = (number_word(tens), number_word(ones))
            && t >= 20
            && o < 10
        {
            out.insert((t + o).to_string());
        }
    }
    out
}

/// Terms in double quotes (straight or curly), lower-cased, 1 to 12 words.
fn quoted(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let normalized = text.replace(['“', '”'], "\"");
    let parts: Vec<&str> = normalized.split('"').collect();
    // odd indexes are inside quotes (an unbalanced last quote is ignored)
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 && i + 1 < parts.len() {
            let n = part.split_whitespace().count();
            if (1..=12).contains(&n) {
                out.push(
                    part.split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_lowercase(),
                );
            }
        }
    }
    out
}

fn supported(fact: &Fact, source: &str) -> bool {
    match fact {
        Fact::Number(n) => numbers(source).contains(n),
        Fact::Word(w) => words(source).iter().any(|x| x == w),
        Fact::MonthYear(m, y) => words(source).windows(2).any(|p| p[0] == *m && p[1] == *y),
        Fact::Quote(q) => source
            .replace(['“', '”'], "\"")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
            .contains(q.as_str()),
    }
}

/// Checks one generated sentence against the numbered passages (`passages[0]` is `[1]`).
pub(crate) fn check_sentence(sentence: &str, passages: &[String]) -> Result<Checked, Rejection> {
    let (plain, cited) = split_citations(sentence);
    if let Some(&bad) = cited.iter().find(|&&n| n == 0 || n > passages.len()) {
        return Err(Rejection::UnknownCitation(bad));
    }
    let mut cites: BTreeSet<usize> = cited.into_iter().collect();
    if cites.is_empty() {
        let mine = content_words(&plain);
        let best = passages
            .iter()
            .enumerate()
            .map(|(i, p)| (content_words(p).intersection(&mine).count(), i + 1))
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        match best {
            Some((shared, n)) if shared > 0 => {
                cites.insert(n);
            }
            _ => return Err(Rejection::Unattributable),
        }
    }
    let sources: String = cites
        .iter()
        .map(|&n| passages[n - 1].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for fact in facts(&plain) {
        if !supported(&fact, &sources) {
            return Err(Rejection::Unsupported(fact.label()));
        }
    }
    let markers: String = cites.iter().map(|n| format!(" [{n}]")).collect();
    let (body, end) = match plain.strip_suffix(['.', '!', '?']) {
        Some(body) => (body.to_string(), &plain[body.len()..]),
        None => (plain.clone(), ""),
    };
    Ok(Checked {
        text: format!("{body}{markers}{end}"),
        cites,
    })
}

/// Words that turn a statement around; a generated sentence must keep those of its sources
/// and add none ("12 weeks of unpaid leave" must not become "12 weeks of paid leave").
const NEGATIONS: &[&str] = &[
    "not", "no", "never", "cannot", "can't", "won't", "don't", "doesn't", "isn't", "aren't",
    "unpaid", "without", "none", "nor",
];

/// The first content word of `sentence` that is in neither the sources nor the question
/// (`allowed`, stemmed content words), allowing one: the model may say "get" for "receive" but
/// not bring in facts of its own.
pub(crate) fn added_word(sentence: &str, allowed: &HashSet<String>) -> Option<String> {
    let added: Vec<String> = content_words(sentence)
        .into_iter()
        .filter(|w| !allowed.contains(w) && !w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    if added.len() > 1 {
        let mut added = added;
        added.sort();
        added.into_iter().next()
    } else {
        None
    }
}

/// The first name of `sentence` (a capitalized word or an acronym after its first word) that
/// neither the sources nor the question have (`allowed`, stemmed content words). The one new
/// word [`added_word`] lets through may be a paraphrase, never a name: "the Delaware
/// Corporation (DCE)" for a party the sources call "DIAMOND STATE GENERATION PARTNERS, LLC".
pub(crate) fn added_name(sentence: &str, allowed: &HashSet<String>) -> Option<String> {
    sentence
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
        .filter(|w| !w.is_empty())
        .skip(1)
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .find(|w| content_words(w).iter().any(|s| !allowed.contains(s)))
        .map(str::to_string)
}

/// Whether `sentence` restates `source`: at least two of its content words that the question
/// does not already have come from the source (or all of them, when it has fewer).
pub(crate) fn restates(sentence: &str, source: &str, question: &str) -> bool {
    let q = content_words(question);
    let src = content_words(source);
    let own: Vec<String> = content_words(sentence)
        .into_iter()
        .filter(|w| !q.contains(w))
        .collect();
    let shared = own.iter().filter(|w| src.contains(*w)).count();
    shared >= 2 || (!own.is_empty() && shared == own.len())
}

/// A negation the sentence adds to, or drops from, its sources.
pub(crate) fn changed_polarity(sentence: &str, sources: &str) -> Option<String> {
    let mine: HashSet<String> = words(sentence)
        .into_iter()
        .filter(|w| NEGATIONS.contains(&w.as_str()))
        .collect();
    let theirs: HashSet<String> = words(sources)
        .into_iter()
        .filter(|w| NEGATIONS.contains(&w.as_str()))
        .collect();
    if let Some(added) = mine.difference(&theirs).next() {
        return Some(added.clone());
    }
    // a source that says "unpaid" or "not" must be echoed by some negation
    if mine.is_empty() {
        return theirs.into_iter().min();
    }
    None
}

/// Auxiliaries that make "who" the object of a question's verb: "Who *did* Bob ask …?".
const OBJECT_AUXILIARIES: &[&str] = &[
    "did", "does", "do", "will", "would", "should", "must", "can", "could", "has", "have", "had",
];

/// The name a sentence makes the doer of the question's action when the question asks whom it
/// was done to. "Who did Bob ask to stop the orders?" answered "Dana asked to stop the orders"
/// names the right person in the wrong role; the sources would have to say "Dana asked" for it
/// to stand. `None` when the question asks who did it, or the sentence does not open with a name
/// and the question's verb, or a source says the same.
pub(crate) fn swapped_role(sentence: &str, question: &str, sources: &str) -> Option<String> {
    let q = words(question);
    let who = q.iter().position(|w| w == "who" || w == "whom")?;
    if !q
        .get(who + 1)
        .is_some_and(|a| OBJECT_AUXILIARIES.contains(&a.as_str()))
    {
        return None;
    }
    let asked = content_words(&q[who + 2..].join(" "));
    let raw: Vec<&str> = sentence.split_whitespace().collect();
    let capital = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    // the opening name: one or two capitalized words that are not function words
    let name_len = raw
        .iter()
        .take(2)
        .take_while(|w| capital(w) && !content_words(w).is_empty())
        .count();
    let verb = raw.get(name_len)?;
    if name_len == 0 || capital(verb) {
        return None;
    }
    let name = raw[..name_len].join(" ");
    let doer = content_words(&name);
    let verb_stem = content_words(verb);
    if verb_stem.is_empty() || !verb_stem.is_subset(&asked) || doer.is_subset(&asked) {
        return None;
    }
    let opening = words(&format!("{name} {verb}")).join(" ");
    (!words(sources).join(" ").contains(&opening)).then_some(name)
}

/// The first figure the selected sentences give beyond the question's own when `sentence`
/// keeps none of them: "the NARA General Records Schedule" for "General Records Schedule 3.1"
/// answers "which schedule" with nothing. `None` when the sources give no such figure or the
/// sentence keeps one.
pub(crate) fn dropped_figure(sentence: &str, question: &str, sources: &str) -> Option<String> {
    let asked = numbers(question);
    let kept = numbers(sentence);
    let given: Vec<String> = numbers(sources)
        .into_iter()
        .filter(|n| !asked.contains(n))
        .collect();
    if given.iter().any(|n| kept.contains(n)) {
        return None;
    }
    given.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passages() -> Vec<String> {
        vec![
            "Employees receive 25 days of annual leave. Carry-over is limited to five days.".into(),
            "Bereavement leave: up to 3 days, paid at $1,200.00 per week, from May 1, 2024. It is called \"compassionate leave\" in some offices.".into(),
        ]
    }

    fn check(sentence: &str) -> Result<String, String> {
        check_sentence(sentence, &passages())
            .map(|c| c.text)
            .map_err(|r| r.to_string())
    }

    #[test]
    fn figures_from_the_cited_passage_pass() {
        assert_eq!(
            check("You get 25 days of annual leave [1]."),
            Ok("You get 25 days of annual leave [1].".into())
        );
        assert_eq!(
            check("You can carry over 5 days [1]."),
            Ok("You can carry over 5 days [1].".into())
        );
        assert_eq!(
            check("It pays $1200 per week from May 1, 2024 [2]."),
            Ok("It pays $1200 per week from May 1, 2024 [2].".into())
        );
        assert_eq!(
            check("Some call it \"Compassionate Leave\" [2]."),
            Ok("Some call it \"Compassionate Leave\" [2].".into())
        );
    }

    #[test]
    fn a_miscopied_number_fails() {
        assert_eq!(
            check("You get 15 days of annual leave [1]."),
            Err("\"15\" is not in the cited sources".into())
        );
        assert_eq!(
            check("You get twenty days [1]."),
            Err("\"20\" is not in the cited sources".into())
        );
        // right number, wrong source
        assert_eq!(
            check("Bereavement leave is 25 days [2]."),
            Err("\"25\" is not in the cited sources".into())
        );
        assert_eq!(
            check("It starts in June 2024 [2]."),
            Err("\"june\" is not in the cited sources".into())
        );
        assert_eq!(
            check("It is \"grief leave\" [2]."),
            Err("\"grief leave\" is not in the cited sources".into())
        );
        // a day dropped from a date moves it: "from May 1, 2024" is not "from May 2024"
        assert_eq!(
            check("It pays $1200 per week until the end of May 2024 [2]."),
            Err("\"may 2024\" is not in the cited sources".into())
        );
    }

    #[test]
    fn citations_must_exist() {
        assert_eq!(
            check("Leave is paid [3]."),
            Err("cites [3], which is not a source".into())
        );
        assert_eq!(
            check("Leave is paid [0]."),
            Err("cites [0], which is not a source".into())
        );
    }

    #[test]
    fn uncited_sentences_are_attributed_or_rejected() {
        assert_eq!(
            check("Bereavement leave is paid."),
            Ok("Bereavement leave is paid [2].".into())
        );
        assert_eq!(
            check("Annual leave is 25 days."),
            Ok("Annual leave is 25 days [1].".into())
        );
        assert_eq!(
            check("Bananas are yellow."),
            Err("a sentence matches none of the sources".into())
        );
    }

    #[test]
    fn modal_may_is_not_a_date() {
        assert_eq!(
            check("You may take bereavement leave [2]."),
            Ok("You may take bereavement leave [2].".into())
        );
    }

    #[test]
    fn citation_markers_are_parsed_and_removed() {
        assert_eq!(
            split_citations("Yes [1], and no [2, 3]."),
            ("Yes, and no.".to_string(), vec![1, 2, 3])
        );
        assert_eq!(
            split_citations("See [the policy]."),
            ("See [the policy].".to_string(), vec![])
        );
    }

    #[test]
    fn numbers_are_normalized() {
        let n: Vec<String> = numbers("1,500.00 and 0.50, twenty-five, 2024-05-01")
            .into_iter()
            .collect();
        assert_eq!(n, ["0.5", "1", "1500", "20", "2024", "25", "5"]);
    }

    #[test]
    fn added_words_and_flipped_negations_are_caught() {
        let allowed = content_words("You can take up to 12 weeks of unpaid leave. Is FMLA paid?");
        assert_eq!(
            added_word("You can take 12 weeks of unpaid leave", &allowed),
            None
        );
        assert!(
            added_word(
                "Managers approve sabbaticals for senior engineers",
                &allowed
            )
            .is_some()
        );
        // one new word may be a paraphrase, a new name never is
        let allowed = content_words(
            "between BLOOM ENERGY CORPORATION, a Delaware corporation, and DIAMOND STATE \
             GENERATION PARTNERS, LLC, a Delaware limited liability company (“Owner”) Which \
             company is the Owner of the fuel cell systems?",
        );
        assert_eq!(
            added_name("The Owner is the Delaware Corporation (DCE)", &allowed).as_deref(),
            Some("DCE")
        );
        assert_eq!(
            added_name(
                "The Owner is Diamond State Generation Partners, LLC",
                &allowed
            ),
            None
        );
        assert_eq!(added_name("Owner is a Delaware company", &allowed), None);
        let source = "FMLA entitles you to take up to 12 weeks of unpaid leave.";
        assert_eq!(changed_polarity("FMLA leave is unpaid.", source), None);
        assert_eq!(
            changed_polarity("FMLA leave is paid.", source),
            Some("unpaid".into())
        );
        assert_eq!(
            changed_polarity("You cannot take leave.", "You can take leave."),
            Some("cannot".into())
        );
    }

    #[test]
    fn the_answer_keeps_a_figure_the_sources_give() {
        let source =
            "Per the General Records Schedule 3.1, everything in Slack is a temporary record.";
        let q = "Under which General Records Schedule is everything in Slack a temporary record?";
        assert_eq!(
            dropped_figure("The General Records Schedule covers Slack [1].", q, source),
            Some("3.1".to_string())
        );
        assert_eq!(dropped_figure("It is Schedule 3.1 [1].", q, source), None);
        // a figure the question gives is no answer to keep; nor is one the sources lack
        let q = "What does Schedule 3.1 say about Slack?";
        assert_eq!(
            dropped_figure("Slack is a temporary record [1].", q, source),
            None
        );
        let plain = "Everything in Slack is a temporary record.";
        assert_eq!(dropped_figure("Slack is temporary [1].", q, plain), None);
    }

    #[test]
    fn the_one_asked_is_not_made_the_one_who_asks() {
        let source = "Dana, please stop the open purchase orders with Northwind. Bob";
        let q = "Who did Bob ask to stop the open purchase orders with Northwind?";
        assert_eq!(
            swapped_role("Dana asked to stop the Northwind orders [1].", q, source),
            Some("Dana".to_string())
        );
        // the right role, a passive, or a source that says it: all stand
        assert_eq!(
            swapped_role("Bob asked Dana to stop them [1].", q, source),
            None
        );
        assert_eq!(swapped_role("Dana Okafor was asked [1].", q, source), None);
        let says = "Dana asked to stop the orders.";
        assert_eq!(
            swapped_role("Dana asked to stop the orders [1].", q, says),
            None
        );
        // a question about who did it takes its doer
        let q = "Who asked Bob to stop the open purchase orders?";
        assert_eq!(
            swapped_role("Dana asked to stop them [1].", q, source),
            None
        );
    }

    #[test]
    fn a_sentence_must_restate_its_source() {
        let source = "You are entitled to 12 weeks of paid time off for the birth of a child.";
        let question = "How many weeks of parental leave can I take?";
        assert!(restates(
            "You are entitled to 12 weeks of paid time off",
            source,
            question
        ));
        assert!(!restates(
            "The answer to this question is:",
            source,
            question
        ));
        assert!(!restates("The Tock code for a month is", source, question));
    }
}
