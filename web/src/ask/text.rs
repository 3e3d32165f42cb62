//! Plain-text helpers of grounded answering: sentences, content words, the extractive answer
//! and repetition cutting. Pure functions, no model.

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
    "sept", "oct", "nov", "dec",
];

/// Splits text into sentences: at `.`, `!` or `?` followed by a space and a capital, digit,
/// quote or bracket (not after an abbreviation or a single letter), and at line breaks, so
/// list items and headings stand alone. Markdown list markers and heading hashes are dropped.
pub(crate) fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line
            .trim()
            .trim_start_matches('#')
            .trim_start_matches(['-', '*', '•', '>'])
            .trim();
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

/// A crude stem, enough to match "days" with "day" and "leaves" with "leave".
fn stem(word: &str) -> String {
    let w = word.trim_end_matches("'s").trim_end_matches("’s");
    if w.len() > 4 && w.ends_with("ies") {
        format!("{}y", &w[..w.len() - 3])
    } else if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_string()
    } else {
        w.to_string()
    }
}

/// Stemmed words that carry meaning (no stopwords).
pub(crate) fn content_words(text: &str) -> HashSet<String> {
    words(text)
        .into_iter()
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

/// Questions whose answer is a quantity or a date: sentences with figures are preferred.
pub(crate) fn asks_for_figure(question: &str) -> bool {
    let q = question.to_lowercase();
    [
        "how many",
        "how much",
        "how long",
        "how often",
        "when",
        "what date",
        "deadline",
        "percentage",
        "what percent",
        "how soon",
        "what year",
        "cost",
        "amount",
        "limit",
    ]
    .iter()
    .any(|p| q.contains(p))
}

/// A sentence of a numbered passage, a candidate for the extractive answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate {
    /// Citation number of its passage (1-based, as in the prompt).
    pub(crate) passage: usize,
    /// The sentence.
    pub(crate) text: String,
}

/// Every sentence of the passages that could stand alone as part of an answer.
pub(crate) fn candidates(passages: &[String]) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (i, p) in passages.iter().enumerate() {
        for s in sentences(p) {
            let n_words = words(&s).len();
            if (4..=80).contains(&n_words) {
                out.push(Candidate {
                    passage: i + 1,
                    text: s,
                });
            }
        }
    }
    out
}

/// Scores candidates against the question: shared content words (as a share of the
/// question's), plus `semantic[i]` (cosine of the question and the sentence, when the caller
/// embedded them), a bonus for figures when the question asks for one, and one (0.2 / rank) for
/// passages retrieved higher.
pub(crate) fn score_candidates(
    question: &str,
    candidates: &[Candidate],
    semantic: Option<&[f32]>,
) -> Vec<f32> {
    let q = content_words(question);
    let figure = asks_for_figure(question);
    candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let s = content_words(&c.text);
            let lexical = if q.is_empty() {
                0.0
            } else {
                q.intersection(&s).count() as f32 / q.len() as f32
            };
            let semantic = semantic.and_then(|v| v.get(i)).copied().unwrap_or(0.0);
            let has_figure = c.text.chars().any(|ch| ch.is_ascii_digit());
            let figure_bonus = if figure && has_figure { 0.15 } else { 0.0 };
            let rank_bonus = 0.2 / c.passage as f32;
            lexical + semantic + figure_bonus + rank_bonus
        })
        .collect()
}

/// The extractive answer: the best one or two sentences, each followed by its citation, and
/// the citation numbers used. A second sentence is added only when it scores within 10% of
/// the best and the answer stays short.
pub(crate) fn extractive_answer(candidates: &[Candidate], scores: &[f32]) -> (String, Vec<usize>) {
    let mut order: Vec<usize> = (0..candidates.len().min(scores.len())).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let Some(&best) = order.first() else {
        return (String::new(), Vec::new());
    };
    let mut picked = vec![best];
    if let Some(&second) = order.get(1)
        && scores[second] >= 0.9 * scores[best]
        && candidates[best].text.len() + candidates[second].text.len() <= 400
        && content_words(&candidates[second].text) != content_words(&candidates[best].text)
    {
        picked.push(second);
    }
    // read in passage order, as the documents say it
    picked.sort_by_key(|&i| (candidates[i].passage, i));
    let mut text = String::new();
    let mut cited = Vec::new();
    for i in picked {
        let c = &candidates[i];
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&c.text);
        text.push_str(&format!(" [{}]", c.passage));
        if !cited.contains(&c.passage) {
            cited.push(c.passage);
        }
    }
    (text, cited)
}

/// Normalized form of a sentence for spotting repeats: its words, citation markers left out.
fn normalized(s: &str) -> String {
    let mut plain = String::with_capacity(s.len());
    let mut rest = s;
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
    }

    #[test]
    fn content_words_drop_stopwords_and_plural_s() {
        let w = content_words("How many days of bereavement leave do I get?");
        let mut w: Vec<_> = w.into_iter().collect();
        w.sort();
        assert_eq!(w, vec!["bereavement", "day", "leave"]);
    }

    fn check_extractive(question: &str, passages: &[&str], expect: &str) {
        let passages: Vec<String> = passages.iter().map(|s| s.to_string()).collect();
        let c = candidates(&passages);
        let scores = score_candidates(question, &c, None);
        let (answer, _) = extractive_answer(&c, &scores);
        assert_eq!(answer, expect);
    }

    #[test]
    fn extractive_answer_picks_the_sentence_that_answers() {
        check_extractive(
            "How many days of bereavement leave do I get?",
            &[
                "Our leave policy covers many situations. Bereavement leave is 3 days for a close family member. Ask your manager.",
                "Annual leave is 25 days per year for every employee in the company.",
            ],
            "Bereavement leave is 3 days for a close family member. [1]",
        );
    }

    #[test]
    fn extractive_answer_prefers_figures_for_quantity_questions() {
        let passages: Vec<String> = vec![
            "Parental leave is a benefit for new parents and adoptive parents alike.".into(),
            "Employees receive 12 weeks of paid parental leave.".into(),
        ];
        let c = candidates(&passages);
        let scores = score_candidates("How long is parental leave?", &c, None);
        assert!(scores[1] > scores[0] - 0.1, "{scores:?}");
        let (answer, cited) = extractive_answer(&c, &scores);
        assert!(
            answer.contains("12 weeks of paid parental leave. [2]"),
            "{answer}"
        );
        assert!(cited.contains(&2));
    }

    #[test]
    fn extractive_answer_of_nothing_is_empty() {
        assert_eq!(extractive_answer(&[], &[]), (String::new(), vec![]));
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
