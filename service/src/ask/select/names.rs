//! Names in questions and passages: which capitalized words of a question name something,
//! whether a source mentions them, and keeping out the sentences of documents that do not. A
//! passage about another vendor answers no question about Northwind however well it fits.

use std::collections::HashSet;

use crate::ask::guard::MONTHS;
use crate::ask::text::words;

use super::Unit;
use super::focus::asked_noun;
use super::mail::MAIL_FIELDS;
use super::states::{WEEKDAYS, without_possessive};

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
    let sentences = crate::ask::text::sentences(question);
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

/// [`names`] of `question`, lowercased: what [`names_beyond`] compares with.
pub(super) fn lowered_names(question: &str) -> HashSet<String> {
    names(question).iter().map(|n| n.to_lowercase()).collect()
}

/// Whether `text` names something (a capitalized name not at a sentence's start) beyond
/// `asked`, a question's [`lowered_names`]: "Sennheiser's HD 219 headphones" answers "which
/// headphones…?" and "a decent set of headphones" does not.
pub(super) fn names_beyond(asked: &HashSet<String>, text: &str) -> bool {
    names(text)
        .iter()
        .any(|n| n.len() > 1 && !asked.contains(&n.to_lowercase()))
}

/// Kinds of things called by a proper name: "which book" is answered by "…is from Crucial
/// Accountability", "which supplier" by "Northwind Supply missed…", neither saying the noun.
const NAMED_KINDS: &[&str] = &[
    "book",
    "author",
    "publisher",
    "company",
    "supplier",
    "vendor",
    "firm",
    "bank",
    "agency",
    "organization",
    "organisation",
    "contractor",
    "carrier",
    "airline",
    "hotel",
    "university",
    "school",
    "city",
    "town",
    "country",
    "brand",
    "product",
    "app",
    "software",
    "platform",
];

/// Whether `text` names a thing of the kind `noun` (a question's asked noun) by a proper
/// name the question does not give (`asked`, its [`lowered_names`]).
pub(super) fn names_one_of_kind(noun: &str, asked: &HashSet<String>, text: &str) -> bool {
    let noun = noun.to_lowercase();
    // "companies" is a company, "banks" a bank; "business" is no plural
    let singular = match noun.strip_suffix("ies") {
        Some(stem) => format!("{stem}y"),
        None => noun
            .strip_suffix('s')
            .filter(|stem| !stem.ends_with('s'))
            .unwrap_or(&noun)
            .to_string(),
    };
    NAMED_KINDS.contains(&singular.as_str()) && names_beyond(asked, text)
}

/// The names that say what kind of thing a "which/what X" question asks for, as written:
/// "Slack" in "Which Slack channel is used for…?". A page answering it may name only the
/// thing ("Use #bug-bounty-partners…").
pub(crate) fn kind_names(question: &str) -> Vec<String> {
    let Some(head) = asked_noun(question) else {
        return Vec::new();
    };
    let ws: Vec<&str> = question.split_whitespace().collect();
    let asked = names(question);
    ws.windows(2)
        .filter(|w| {
            w[1].trim_matches(|c: char| !c.is_alphanumeric())
                .eq_ignore_ascii_case(&head)
        })
        .map(|w| {
            w[0].trim_matches(|c: char| !c.is_alphanumeric())
                .to_string()
        })
        .filter(|n| asked.contains(n))
        .collect()
}

/// Whether word `i` of `ws` opens a sentence, where it is capitalized for that alone: a
/// text's first word, or one after ".", "?", "!" or ":" ("Dr." and an initial, "George D.
/// Green", end no sentence).
pub(super) fn opens_sentence(ws: &[&str], i: usize) -> bool {
    i == 0 || (ws[i - 1].ends_with(['.', '?', '!', ':']) && !abbreviation(ws[i - 1]))
}

/// Acronyms of common nouns, which a page may spell out or not use: "my ID badge" is answered
/// by the page on PIV cards, which says "GSA badge" and never "ID".
const GENERIC_ACRONYMS: &[&str] = &[
    "ID", "IDs", "PC", "PCs", "PDF", "PDFs", "USB", "URL", "URLs", "FAQ", "OK", "TV", "AM", "PM",
    "FYI", "ASAP", "UTC", "GMT",
];

/// Whether a bare word (no punctuation, no possessive) is capitalized as a name. "I" and its
/// contractions ("I'll", "I’m") are no names, nor are months and weekdays ("from 20 August
/// 2020" dates what is asked, and a passage may write the date another way), nor a title or
/// an initial ("Dr. George D. Green" may be "George Green" there).
pub(super) fn is_name(w: &str) -> bool {
    let lower = w.to_lowercase();
    w.chars().next().is_some_and(char::is_uppercase)
        && !GENERIC_ACRONYMS.contains(&w)
        && w != "I"
        && !w.starts_with("I'")
        && !w.starts_with("I’")
        && !MONTHS.contains(&lower.as_str())
        && !WEEKDAYS.contains(&lower.as_str())
        && !abbreviation(&format!("{w}."))
        && !names_header_field(w)
}

/// Whether `w` names a message's header field that is no ordinary word ("Message-IDs",
/// "In-Reply-To", "the References header"): it says which line is asked for, and no document
/// names it as it names a party. ("Date" and "To" stay names: "the Effective Date" is a
/// contract's.)
fn names_header_field(w: &str) -> bool {
    MAIL_FIELDS
        .iter()
        .map(|f| f.trim_end_matches(':'))
        .filter(|f| f.contains('-') || *f == "References")
        .any(|f| {
            w.eq_ignore_ascii_case(f)
                || w.strip_suffix('s')
                    .is_some_and(|w| w.eq_ignore_ascii_case(f))
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_field_is_no_name() {
        assert_eq!(
            names(
                "Which two Message-IDs are listed in the References header of Alice Meyer's e-mail?"
            ),
            ["Alice", "Meyer"]
        );
        assert_eq!(
            names("What is the Effective Date of Bob's agreement?"),
            ["Effective", "Date", "Bob"]
        );
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
}
