//! Plain-text helpers of grounded answering: sentences, content words and repetition cutting.
//! Pure functions, no model.

use std::collections::HashSet;

/// Words too common to say anything about relevance.
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "been", "before", "but", "by", "can", "could", "did", "do", "does", "for", "from", "get",
    "got", "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "more",
    "much", "my", "no", "not", "of", "on", "or", "our", "should", "so", "than", "that", "the",
    "their", "them", "then", "there", "these", "they", "this", "to", "up", "us", "was", "we",
    "were", "what", "when", "where", "which", "who", "why", "will", "with", "would", "you", "your",
    "many", "long", "there's", "i'm",
];

/// Abbreviations whose period does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "no", "vs", "inc", "ltd", "co", "corp", "u.s",
    "st", "sec", "art", "fig", "approx", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "str", "ave", "rd", "blvd", "ste",
];

/// Removes a space a join left before a comma, a period or a semicolon that ends a word
/// ("the form , then" → "the form, then"), but not before a name that starts with a period
/// ("set to .zoom.us").
pub(crate) fn tidy_punctuation(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let drop = c == ' '
            && chars
                .get(i + 1)
                .is_some_and(|p| matches!(p, ',' | '.' | ';'))
            && chars.get(i + 2).is_none_or(|n| n.is_whitespace());
        if !drop {
            out.push(c);
        }
    }
    out
}

/// Splits text into sentences: at `.`, `!` or `?` followed by a space and a capital, digit,
/// quote or bracket (not after an abbreviation or a single letter), and at line breaks, so
/// list items and headings stand alone. Markdown list markers and heading hashes are dropped.
pub(crate) fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        // a heading's hashes, not a channel's ("#tts-jobs is where…")
        let hashes = line.trim_start_matches('#');
        let line = if hashes.len() < line.len() && !hashes.starts_with(char::is_alphanumeric) {
            hashes
        } else {
            line
        };
        let line = line.trim_start_matches(['-', '*', '•', '>']).trim();
        // a numbered list's marker ("1. 10.1 Inktomi may terminate…"), not a section number
        // ("10.1 Inktomi…") nor a figure ("3 weeks")
        let line = match line.split_once(' ') {
            Some((marker, rest))
                if (2..=3).contains(&marker.len())
                    && marker.ends_with(['.', ')'])
                    && marker[..marker.len() - 1]
                        .chars()
                        .all(|c| c.is_ascii_digit())
                    && !rest.trim().is_empty() =>
            {
                rest.trim()
            }
            _ => line,
        };
        if line.is_empty() {
            continue;
        }
        let mut start = 0;
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        for (i, &(at, c)) in chars.iter().enumerate() {
            if !matches!(c, '.' | '!' | '?') {
                continue;
            }
            let Some(&(_, next)) = chars.get(i + 1) else {
                continue;
            };
            if !next.is_whitespace() {
                continue;
            }
            let Some(&(_, after)) = chars[i + 1..].iter().find(|(_, c)| !c.is_whitespace()) else {
                continue;
            };
            if !(after.is_uppercase() || after.is_ascii_digit() || "\"“'([".contains(after)) {
                continue;
            }
            if c == '.' {
                let word = line[start..at]
                    .rsplit(|ch: char| ch.is_whitespace() || ch == '(')
                    .next()
                    .unwrap_or("")
                    .to_lowercase();
                if word.chars().count() <= 1 || ABBREVIATIONS.contains(&word.as_str()) {
                    continue;
                }
            }
            let end = at + c.len_utf8();
            push_sentence(&mut out, &line[start..end]);
            start = end;
        }
        push_sentence(&mut out, &line[start..]);
    }
    out
}

fn push_sentence(out: &mut Vec<String>, s: &str) {
    let s = s.trim();
    if !s.is_empty() {
        out.push(s.split_whitespace().collect::<Vec<_>>().join(" "));
    }
}

/// Whether a word is a year from 1900 to 2099 ("2017").
pub(crate) fn is_year(w: &str) -> bool {
    w.len() == 4
        && w.chars().all(|c| c.is_ascii_digit())
        && (w.starts_with("19") || w.starts_with("20"))
}

/// Lower-cased words (letters, digits and inner apostrophes or hyphens), in order.
pub(crate) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// A word's English (Snowball / Porter 2) stem, so "approve" meets "approval", "days" "day"
/// and "reimbursed" "reimbursement".
fn stem(word: &str) -> String {
    static ENGLISH: std::sync::LazyLock<rust_stemmers::Stemmer> = std::sync::LazyLock::new(|| {
        rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English)
    });
    let w = word.trim_end_matches("'s").trim_end_matches("’s");
    ENGLISH.stem(w).into_owned()
}

/// Stemmed words that carry meaning (no stopwords); a number word from two to twenty is its
/// figure.
pub(crate) fn content_words(text: &str) -> HashSet<String> {
    words(text)
        .into_iter()
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(|w| {
            // "four days" is "4 days" ("one" is as often no number: "no one", "one of")
            crate::ask::guard::cardinal(&w)
                .filter(|n| (2..=20).contains(n))
                .map_or_else(|| stem(&w), |n| n.to_string())
        })
        .collect()
}

/// Whether `word` (lower-cased) is a function word, which says nothing of a text's topic.
pub(crate) fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word)
}

/// Pairs of content words next to each other in `text` (stemmed; "the initial term of this
/// Agreement" has "initial term"): a clause's name, which a question that asks about the
/// clause repeats.
pub(crate) fn word_pairs(text: &str) -> HashSet<(String, String)> {
    let ws = words(text);
    ws.windows(2)
        .filter(|w| !STOPWORDS.contains(&w[0].as_str()) && !STOPWORDS.contains(&w[1].as_str()))
        .map(|w| (stem(&w[0]), stem(&w[1])))
        .collect()
}

/// `text` with its citation markers (`[1]`, `[2, 3]`) left out; other brackets stay.
pub fn without_citations(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        plain.push_str(&rest[..open]);
        match rest[open..].find(']') {
            Some(close)
                if rest[open + 1..open + close]
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ',' || c == ' ') =>
            {
                rest = &rest[open + close + 1..];
            }
            _ => {
                plain.push('[');
                rest = &rest[open + 1..];
            }
        }
    }
    plain.push_str(rest);
    plain
}

/// Normalized form of a sentence for spotting repeats: its words, citation markers left out.
fn normalized(s: &str) -> String {
    let plain = without_citations(s);
    words(&plain).join(" ")
}

/// Whether a generated sentence shows the model looping: it repeats an earlier sentence, or
/// a run of 4+ words inside it repeats. The answer is cut before such a sentence.
pub(crate) fn repeats(sentence: &str, earlier: &[String]) -> bool {
    let n = normalized(sentence);
    earlier.iter().any(|e| normalized(e) == n) || repeated_run(sentence).is_some()
}

/// Byte offset where a run of 4 words repeats an earlier run in the same text.
fn repeated_run(s: &str) -> Option<usize> {
    const RUN: usize = 4;
    let spans: Vec<(usize, String)> = s
        .split_whitespace()
        .map(|w| {
            let at = w.as_ptr() as usize - s.as_ptr() as usize;
            (at, w.to_lowercase())
        })
        .collect();
    if spans.len() < 2 * RUN {
        return None;
    }
    let mut seen = HashSet::new();
    for i in 0..=spans.len() - RUN {
        let key: Vec<&str> = spans[i..i + RUN].iter().map(|(_, w)| w.as_str()).collect();
        let key = key.join(" ");
        if !seen.insert(key) {
            return Some(spans[i].0);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_at_real_ends_only() {
        let s = sentences(
            "## Leave\nEmployees get 25 days (e.g. for holidays). Dr. Smith approves it! Is it paid? Yes.\n- carry over up to 5 days\n\nSee section 4.2 for details",
        );
        assert_eq!(
            s,
            vec![
                "Leave",
                "Employees get 25 days (e.g. for holidays).",
                "Dr. Smith approves it!",
                "Is it paid?",
                "Yes.",
                "carry over up to 5 days",
                "See section 4.2 for details",
            ]
        );
        // a numbered list's marker goes; a section number and a figure stay
        assert_eq!(
            sentences(
                "1. 10.1 Inktomi may terminate on notice.\n2) Ask HR.\n10.2 Microsoft may.\n3 weeks of leave."
            ),
            vec![
                "10.1 Inktomi may terminate on notice.",
                "Ask HR.",
                "10.2 Microsoft may.",
                "3 weeks of leave.",
            ]
        );
    }

    #[test]
    fn a_space_before_punctuation_goes_but_not_before_a_name() {
        assert_eq!(
            tidy_punctuation("the form , then sign ; done ."),
            "the form, then sign; done."
        );
        assert_eq!(
            tidy_punctuation("If the domain is set to .zoom.us , click"),
            "If the domain is set to .zoom.us, click"
        );
    }

    #[test]
    fn a_heading_loses_its_hashes_and_a_channel_keeps_its_own() {
        assert_eq!(sentences("## Where to ask"), vec!["Where to ask"]);
        assert_eq!(
            sentences("#tts-jobs lists openings."),
            vec!["#tts-jobs lists openings."]
        );
    }

    #[test]
    fn word_pairs_are_adjacent_content_words() {
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        let clause =
            word_pairs("10.1 Initial Term. The initial term of this Agreement shall be four");
        assert!(clause.contains(&pair("initi", "term")), "{clause:?}");
        let question = word_pairs("What is the initial term of the sponsorship agreement?");
        assert!(question.contains(&pair("initi", "term")), "{question:?}");
        assert!(question.contains(&pair("sponsorship", "agreement")));
        // words a stop word stands between are no pair
        assert!(!question.contains(&pair("term", "sponsorship")));
        assert!(!word_pairs("the term is initial").contains(&pair("initi", "term")));
    }

    #[test]
    fn content_words_drop_stopwords_and_stem() {
        let w = content_words("How many days of bereavement leave do I get?");
        let mut w: Vec<_> = w.into_iter().collect();
        w.sort();
        assert_eq!(w, vec!["bereav", "day", "leav"]);
        // a number in words is its figure
        assert_eq!(content_words("four days"), content_words("4 days"));
        assert_ne!(content_words("no one"), content_words("1"));
        // a question's verb meets the rule's noun, a plural its singular, a possessive its name
        assert_eq!(
            content_words("Who has to approve the supervisor's reimbursements?"),
            content_words("approval supervisor reimbursement")
        );
    }

    #[test]
    fn repeats_spot_loops() {
        let earlier = vec!["You get 3 days [1].".to_string()];
        assert!(repeats("You get 3 days [1].", &earlier));
        assert!(repeats("you get 3 DAYS", &earlier));
        assert!(repeats(
            "Leave is paid leave is paid leave is paid leave is paid",
            &[]
        ));
        assert!(!repeats("It is paid [2].", &earlier));
        assert!(!repeats(
            "Leave is paid and leave is unpaid when approved",
            &[]
        ));
    }
}
