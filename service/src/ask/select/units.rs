//! Splitting passages into candidate units: prose sentences, list items and table rows, with
//! headings kept as context and markup cleaned off. What a unit is decides what can be quoted
//! as an answer, so it is kept apart from how units are scored.

use crate::ask::text::words;

use super::focus::Focus;
use super::mail::{
    attribution_written, header_written, is_attribution, is_mail_header, is_mailbox_listing,
    mail_field, unquoted,
};
use super::score::is_contract_opening;
use super::states::{has_phone_number, is_address, opens_with_section_number, states_focus};
use super::{Unit, Written};

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
    // a link is noise ("Instructions https://…") unless the sentence reads it as what it
    // names: "You can access your email from https://mail.google.com or https://email.gsa.gov."
    let ws: Vec<&str> = s.split_whitespace().collect();
    let read_as_object =
        |i: usize| i > 0 && LINK_LEADS.contains(&ws[i - 1].to_lowercase().as_str());
    let kept: Vec<&str> = ws
        .iter()
        .enumerate()
        .filter(|&(i, w)| !is_link(w) || read_as_object(i))
        .map(|(_, w)| w.trim_start_matches('•'))
        .enumerate()
        // a lone "-" opening a line marks a list item; between words it is a dash ("7 AM - 10
        // AM"), which says what the words cannot
        .filter(|&(i, w)| {
            !w.is_empty() && !matches!(w, "*" | "**" | "|" | "#") && (w != "-" || i > 0)
        })
        .map(|(_, w)| w)
        .collect();
    let joined = kept.join(" ");
    crate::ask::text::tidy_punctuation(
        joined.trim_matches(|c: char| c == '|' || c == ',' || c == ';' || c.is_whitespace()),
    )
}

/// Words after which a link is what the sentence names ("from https://…", "at https://…").
const LINK_LEADS: &[&str] = &["from", "at", "via", "to", "on", "is", "or"];

/// Whether a word is a bare web address ("https://www.ltcfeds.com").
fn is_link(w: &str) -> bool {
    w.starts_with("http://") || w.starts_with("https://")
}

/// Splits one line of prose into sentences (see [`crate::ask::text::sentences`]).
fn line_sentences(line: &str) -> Vec<String> {
    crate::ask::text::sentences(line)
}

/// Words a line wrapped in the middle of a sentence ends with.
const CONTINUING: &[&str] = &[
    "a", "an", "the", "to", "of", "in", "on", "at", "by", "for", "from", "with", "and", "or", "as",
    "is", "are", "be", "will", "shall", "that", "which", "than", "its", "their", "per",
];

/// Verbs a list item leaves its object to the items under it ("For Software Name, select" then
/// "• for Macs: Microsoft Office Suite …").
const LEAD_VERBS: &[&str] = &[
    "select",
    "choose",
    "pick",
    "enter",
    "use",
    "click",
    "type",
    "contact",
    "visit",
    "include",
    "includes",
    "including",
];

/// Joins the lines of a block that a layout wrapped in the middle of a sentence (PDF text,
/// plain-text mail): a line that does not end a sentence continues on the next when the
/// next starts in lower case, or the line is long, or it ends with a comma or a word no
/// sentence ends with, or it is a form's label line whose value goes on in a line starting
/// with a figure ("Address: Frankfurter Str. 250" then "64293 Darmstadt, Germany"). List
/// items and table rows stay lines of their own, except the items in lower case under an
/// item that breaks off mid-sentence ("• For Software Name, select" "• for Macs: …"): they
/// finish its sentence, which alone says nothing.
fn logical_lines(block: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // the last line is a list item broken off mid-sentence, and how many items it took in
    let mut lead_in: Option<usize> = None;
    // the last line is a list item (with the lines it wrapped onto)
    let mut in_item = false;
    for line in block {
        let line = line.trim();
        let item = line.strip_prefix('•').map(str::trim_start);
        if let (Some(taken), Some(item), Some(prev)) = (lead_in, item, out.last_mut())
            && item.starts_with(char::is_lowercase)
        {
            prev.push_str(if taken == 0 { " " } else { "; " });
            prev.push_str(item);
            lead_in = Some(taken + 1);
            continue;
        }
        lead_in = None;
        let continues = out.last().is_some_and(|prev: &String| {
            let ended = prev
                .trim_end_matches(['"', '”', '’', '\'', ')'])
                .ends_with(['.', '!', '?', ':', ';']);
            let last = last_word(prev);
            !ended
                && !line.starts_with('•')
                && !line.contains(" | ")
                && !prev.contains(" | ")
                && (line.chars().next().is_some_and(char::is_lowercase)
                    || prev.split_whitespace().count() >= 8
                    || prev.ends_with([',', '-'])
                    || CONTINUING.contains(&last.as_str())
                    || (is_label_line(prev) && line.starts_with(|c: char| c.is_ascii_digit())))
        });
        match out.last_mut() {
            Some(prev) if continues => {
                prev.push(' ');
                prev.push_str(line);
            }
            _ => {
                out.push(line.to_string());
                in_item = item.is_some();
            }
        }
        // an item wrapped onto a second line breaks off where that line does
        let broken_off = out.last().is_some_and(|l| {
            let last = last_word(l);
            CONTINUING.contains(&last.as_str()) || LEAD_VERBS.contains(&last.as_str())
        });
        if in_item && broken_off {
            lead_in = Some(0);
        }
    }
    out
}

/// A line's last word, lower-cased, as the test for a sentence broken off reads it.
fn last_word(line: &str) -> String {
    line.rsplit(' ').next().unwrap_or("").to_lowercase()
}

/// Whether `line` is a form's "Label: value" line: a label of one to four words, then its
/// value.
pub(super) fn is_label_line(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(label, value)| {
        (1..=4).contains(&label.split_whitespace().count()) && !value.trim().is_empty()
    })
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

/// Whether a line is a title, not a sentence: a few words, each capitalized, with no figure,
/// no stop and no label, like a heading inside a block or a link's text left in a list
/// ("Daily Check-in Tool FAQ", "Long Term Care Insurance"). It names a page; it says nothing.
fn is_title(line: &str) -> bool {
    let ws: Vec<&str> = line.split_whitespace().collect();
    // "Designated Filer: Ares Trading SA" is a label and its value
    ws.len() <= 6
        && !line.contains([':', '.', '?', '!', ';'])
        && !line.chars().any(|c| c.is_ascii_digit())
        && ws.iter().all(|w| {
            w.chars()
                .find(|c| c.is_alphanumeric())
                .is_none_or(char::is_uppercase)
        })
}

/// Whether a line is the stamp a filing service prints on every page of a filed contract
/// ("Source: CREDITCARDS.COM, INC., S-1, 8/10/2007"): its date is the filing's, and it
/// answers nothing about the contract, so it is read as part of the opening
/// ([`Unit::opening`]).
pub(super) fn is_filing_stamp(line: &str) -> bool {
    line.starts_with("Source: ")
        && line.split_whitespace().last().is_some_and(|d| {
            let parts: Vec<&str> = d.split('/').collect();
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        })
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
                        raw: &str, // cleaned
                        heading: &str,
                        lead: &mut Option<String>,
                        opening: bool,
                        written: &Option<Written>| {
            let cleaned = match lead.take() {
                Some(h) => format!("{h}: {raw}"),
                None => raw.to_string(),
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
            // a message's short sentence may be its decision ("No cure period."), which a
            // page's three-word line seldom is
            let decision = written.is_some() && n == 3 && letters >= 10 && cleaned.ends_with('.');
            if labelled
                || asked_field
                || decision
                || ((4..=MAX_UNIT_WORDS).contains(&n)
                    && (letters >= 12 || (digits && letters >= 6))
                    && !is_title(&cleaned))
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
                        push(&mut out, &clean(line), &heading, &mut None, false, &written);
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
                // a cell that is a link is what its row gives ("Long Term Care Insurance |
                // https://www.ltcfeds.com"), not a link in prose
                let cells = |l: &str| -> Vec<String> {
                    l.split(" | ")
                        .map(|c| {
                            let c = c.trim();
                            let bare = c.trim_start_matches('<').trim_end_matches('>');
                            if is_link(bare) && !bare.contains(char::is_whitespace) {
                                bare.to_string()
                            } else {
                                clean(c)
                            }
                        })
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
                    // a filing's stamp is as much boilerplate as the preamble, though it keeps
                    // a cover page quotable (the contract's first passage often is one)
                    let opening = is_contract_opening(&s) || is_filing_stamp(&s);
                    for piece in within_length(&s) {
                        push(
                            &mut out,
                            &clean(&piece),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ask::select::focus::TIME_UNITS;
    use crate::ask::select::focus::focus;
    use crate::ask::select::mail::{asks_when_written, readable_date};

    #[test]
    fn a_link_the_sentence_names_is_kept() {
        assert_eq!(
            clean(
                "You can access your email from https://mail.google.com or https://email.gsa.gov."
            ),
            "You can access your email from https://mail.google.com or https://email.gsa.gov."
        );
        assert_eq!(
            clean("Citrix instructions https://example.com/citrix are on the wiki."),
            "Citrix instructions are on the wiki."
        );
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
                // a message's three-word decision is a candidate
                "On Thursday, 4 April 2024 at 08:15, Alice Meyer wrote: No cure period.",
                "On Thursday, 4 April 2024 at 08:15, Alice Meyer wrote: Send the notice today by courier and by e-mail.",
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
            "Tue, 2 Apr 2024 at 09:00"
        );
        assert_eq!(readable_date("Tue, 2 Apr 2024"), "Tue, 2 Apr 2024");
        // a page's three-word line is not
        let page = units(
            &["Bob, thanks. No cure period. Send it today.".to_string()],
            &[None],
            &[],
            &Focus::Open,
        );
        assert!(page.iter().all(|u| u.text != "No cure period."));
        // and the time is what a question about the time of sending asks for
        let q = "At what time did Alice send Bob the reply about the courier?";
        assert!(asks_when_written(q));
        assert!(states_focus(&focus(q), &dated[0]));
        assert!(!states_focus(&focus(q), &u[0].text));
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
                "No cure period.",
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
    fn a_table_cell_that_is_a_link_is_kept() {
        let passage = "Benefit | Website\nDental and Vision Insurance | <https://www.benefeds.com>\nLong Term Care Insurance | https://www.ltcfeds.com";
        let us = units(&[passage.to_string()], &[None], &[0.5], &Focus::Address);
        let texts: Vec<&str> = us.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Benefit: Dental and Vision Insurance; Website: https://www.benefeds.com",
                "Benefit: Long Term Care Insurance; Website: https://www.ltcfeds.com",
            ]
        );
    }

    #[test]
    fn a_title_is_no_unit() {
        let passage =
            "- Daily Check-in Tool FAQ\n- Fill out the Daily Check-in Tool every workday.";
        let us = units(&[passage.to_string()], &[None], &[0.5], &Focus::Open);
        let texts: Vec<&str> = us.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(texts, ["Fill out the Daily Check-in Tool every workday."]);
        assert!(!is_title("GSA Pays The Fee Of $25."));
        assert!(!is_title("Sign into Employee Express"));
        assert!(!is_title("Designated Filer: Ares Trading SA"));
    }

    #[test]
    fn a_filing_stamp_is_boilerplate() {
        let passage = "Source: CREDITCARDS.COM, INC., S-1, 8/10/2007\n\nChase shall pay the Commissions within 30 days of the end of each month.";
        let us = units(&[passage.to_string()], &[None], &[0.5], &Focus::Figure);
        assert_eq!(us.len(), 2, "{us:?}");
        assert!(us[0].opening && !us[1].opening, "{us:?}");
        assert!(!is_filing_stamp("Source: see the table below, 2/3 of 2020"));
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
}
