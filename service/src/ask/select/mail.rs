//! Messages: header blocks, reply attribution lines, quoted lines, and the questions about them
//! (who wrote, when, which header field). Mail is read apart from prose because a header states
//! no answer unless asked for one of its fields, yet its sender and date date what follows.

use crate::ask::guard::MONTHS;
use crate::ask::text::words;

use super::Written;
use super::focus::{Focus, focus};
use super::names::{is_name, opens_sentence};
use super::states::without_possessive;

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
pub(super) fn asked_writer(question: &str) -> Option<String> {
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
/// announcement?", "When did Alice first email Bob…?", "At what time did Alice send the
/// reply…?"): a message's sentence then answers with its header's date and time, which is
/// otherwise no answer (see [`is_mail_header`]).
pub(crate) fn asks_when_written(question: &str) -> bool {
    matches!(
        focus(question),
        Focus::When | Focus::Date | Focus::Deadline | Focus::Time
    ) && words(&question.to_lowercase())
        .iter()
        .any(|w| WRITING.iter().any(|v| w.starts_with(v)))
}

/// Whether a "who" question asks who wrote something ("Who wrote to Alice, copying Bob,
/// that…?", "Who sent the reminder…?"): the writer of the message that says it is the
/// answer, even where its sentence names someone else.
pub(crate) fn asks_who_wrote(question: &str) -> bool {
    let ws = words(&question.to_lowercase());
    ws.first().is_some_and(|w| w == "who")
        && ws
            .get(1)
            .is_some_and(|w| WRITING.iter().any(|v| w.starts_with(v)))
}

/// The sender and date of a message header block ("From: Alice Meyer <alice@…>", "Date:
/// 2024-04-02T09:00:00+00:00"), the date as a reader writes it ("2 April 2024").
pub(super) fn header_written(block: &[&str]) -> Option<Written> {
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
pub(super) fn attribution_written(line: &str) -> Option<Written> {
    let inner = line.strip_prefix("On ")?.strip_suffix("wrote:")?.trim();
    let (on, by) = inner.rsplit_once(',')?;
    Some(Written {
        by: by.trim().to_string(),
        on: on.trim().to_string(),
    })
}

/// "2024-04-02T09:00:00+00:00" as "2 April 2024 at 09:00"; another date as written, its time
/// of day without seconds or zone ("Tue, 2 Apr 2024 09:00:00 +0000" → "Tue, 2 Apr 2024 at
/// 09:00"). The time is the sender's, as the header gives it: a question asks "at what time
/// did Alice send…" in the time the message shows.
pub(super) fn readable_date(date: &str) -> String {
    let day = readable_day(date);
    match time_of_day(date) {
        Some(time) => format!("{day} at {time}"),
        None => day,
    }
}

/// The hours and minutes of a header date ("2024-04-02T09:00:00+00:00", "Tue, 2 Apr 2024
/// 09:00:00 +0000": "09:00"), if it has them.
fn time_of_day(date: &str) -> Option<&str> {
    let clock = match date.split_once('T') {
        Some((day, rest)) if day.len() == 10 => rest,
        _ => date.split_whitespace().find(|w| w.contains(':'))?,
    };
    let b = clock.as_bytes();
    (b.len() >= 5 && b[2] == b':' && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit()))
        .then(|| &clock[..5])
}

/// The day of a header date: "2024-04-02T09:00:00+00:00" as "Tuesday, 2 April 2024", another
/// date as written without its time ("Tue, 2 Apr 2024 09:00:00 +0000" → "Tue, 2 Apr 2024").
/// The weekday is the one the sender's own offset puts the date on, as a header written by
/// hand gives it ("On which day of the week did Ana forward…?").
fn readable_day(date: &str) -> String {
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
            let readable = format!("{day} {name} {}", &date[..4]);
            return match date[..10].parse::<jiff::civil::Date>() {
                Ok(d) => format!("{}, {readable}", d.strftime("%A")),
                Err(_) => readable,
            };
        }
    }
    date.split_whitespace()
        .take_while(|w| !w.contains(':'))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A line without the markers of a quoted reply ("> ", ">> ").
pub(super) fn unquoted(line: &str) -> &str {
    if line.trim_start().starts_with('>') {
        line.trim_start_matches(|c: char| c == '>' || c.is_whitespace())
    } else {
        line
    }
}

/// The header field a question about a message asks for: its subject line, who was copied on
/// it, its Message-ID, or a field it names as a header ("the Date header of…") or, beside a
/// word for a message, as a line ("the To line of that reply"). "Copied" asks about a message
/// only beside a word for one ("who copied the files" does not).
pub(super) fn asked_header_field(q: &str, ws: &[String]) -> Option<&'static str> {
    let has = |w: &[&str]| ws.iter().any(|x| w.contains(&x.as_str()));
    let field_named = |w: &String| {
        MAIL_FIELDS
            .iter()
            .find(|f| f.trim_end_matches(':').eq_ignore_ascii_case(w))
            .copied()
    };
    // "what UTC offset appears in the Date header of…": the field is named; "header" says so
    // ("to line up" says nothing of a message), and it is the one asked for even where the
    // question names the IDs it holds ("which Message-IDs are in the References header…")
    let named = ws.windows(2).find_map(|w| {
        matches!(w[1].as_str(), "header" | "header's")
            .then(|| field_named(&w[0]))
            .flatten()
    });
    if let Some(field) = named {
        return Some(field);
    }
    // a reviewer cites a message by its ID ("what Message-ID does Carol's reply carry?")
    if has(&["message-id", "message-ids"]) || q.contains("message id") {
        return Some("Message-ID:");
    }
    let message = has(&[
        "email", "e-mail", "emails", "message", "messages", "reply", "mail", "memo", "thread",
        "forward",
    ]);
    // beside a word for a message, "the" field's "line": "who is in the To line of that
    // reply?" ("the To line" of a form is no message's)
    let line = ws.windows(3).find_map(|w| {
        (message && w[0] == "the" && matches!(w[2].as_str(), "line" | "field"))
            .then(|| field_named(&w[1]))
            .flatten()
    });
    if let Some(field) = line {
        return Some(field);
    }
    if q.contains("subject line") || (message && has(&["subject", "titled"])) {
        return Some("Subject:");
    }
    if has(&["cc", "cc'd", "cc’d", "cced", "cc:"]) || (message && has(&["copied"])) {
        return Some("Cc:");
    }
    // "what is the file name of the policy attached to…", "which file was attached": the
    // name, not what the attachment says ("what must I do under the policy attached to…")
    let attached = ws.iter().any(|w| w.starts_with("attach"));
    let asks_name = q.contains("file name")
        || q.contains("filename")
        || q.contains("name of")
        || (matches!(ws.first().map(String::as_str), Some("what" | "which"))
            && ws.get(1).is_some_and(|w| {
                [
                    "file",
                    "files",
                    "document",
                    "documents",
                    "attachment",
                    "attachments",
                ]
                .contains(&w.as_str())
            }));
    if attached && asks_name {
        return Some("Attachments:");
    }
    None
}

/// Whether the question asks to what address a message was written ("What email address did
/// Bob Chen write to when he told Dana…?", "To which address did Maria send her
/// announcement?"): its header's `To:` line answers. The question names who wrote
/// ([`asked_writer`]); "what address should I write to for help?" names no one.
pub(super) fn asks_recipient_address(question: &str) -> bool {
    let ws = words(&question.to_lowercase());
    let has = |w: &[&str]| ws.iter().any(|x| w.contains(&x.as_str()));
    let writing = |w: &String| WRITING.iter().any(|v| w.starts_with(v));
    let written_to = ws.windows(2).any(|w| writing(&w[0]) && w[1] == "to")
        // the preposition moved to the front: "to which address did … send …"
        || (ws.first().is_some_and(|w| w == "to")
            && ws.get(1).is_some_and(|w| w == "which" || w == "what")
            && ws.iter().any(writing));
    has(&["address", "addresses", "recipient", "recipients"])
        && written_to
        && asked_writer(question).is_some()
}

/// Whether the question asks for a named person's e-mail address ("What is Tom Becker's email
/// address?"): the `From:` line of a message they wrote gives it. A team's or a service's
/// address ("the email address of the 18F Experience Design team") is asked of the pages that
/// list it, not of a header.
pub(super) fn asks_senders_address(question: &str) -> bool {
    let ws: Vec<&str> = question.split_whitespace().collect();
    ws.windows(3).any(|w| {
        let owner = w[0].strip_suffix("'s").or_else(|| w[0].strip_suffix("’s"));
        owner.is_some_and(is_name)
            && matches!(w[1].to_lowercase().as_str(), "email" | "e-mail")
            && w[2].to_lowercase().starts_with("address")
    })
}

/// Whether a question asks about the message that opened a thread ("her first email", "the
/// original message").
pub(super) fn asks_first_message(question: &str) -> bool {
    words(&question.to_lowercase())
        .iter()
        .any(|w| ["first", "original", "initial", "opening"].contains(&w.as_str()))
}

/// Whether a header line is a reply's or a forward's ("Subject: Re: …", "Subject: Fwd: …").
pub(super) fn is_reply_header(line: &str) -> bool {
    let value = line
        .split_once(':')
        .map_or("", |(_, v)| v)
        .trim_start()
        .to_lowercase();
    ["re:", "fwd:", "fw:"].iter().any(|p| value.starts_with(p))
}

/// Fields of a message's header as the indexer writes them.
pub(super) const MAIL_FIELDS: &[&str] = &[
    "From:",
    "To:",
    "Cc:",
    "Bcc:",
    "Date:",
    "Sent:",
    "Subject:",
    "Message-ID:",
    "In-Reply-To:",
    "References:",
    "Attachments:",
];

/// Whether a block is a message's header: every line a header field, one of them `From:` or
/// `Subject:` (a contract's notice address, "To: Licensee, Attn: …", is not one).
pub(super) fn is_mail_header(block: &[&str]) -> bool {
    block.iter().all(|l| mail_field(l).is_some())
        && block
            .iter()
            .any(|l| matches!(mail_field(l), Some("From:" | "Subject:")))
}

/// The header field ([`MAIL_FIELDS`]) a line gives, if any.
pub(super) fn mail_field(line: &str) -> Option<&'static str> {
    let line = line.trim_start();
    MAIL_FIELDS.iter().find(|f| line.starts_with(**f)).copied()
}

/// Whether a block is a mailbox's list of its messages ("1. New remote work policy — Maria
/// Lopez <maria.lopez@example.com> — 2024-03-18T09:15:00+01:00"): who wrote when, no answer.
pub(super) fn is_mailbox_listing(block: &[&str]) -> bool {
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
pub(super) fn is_attribution(line: &str) -> bool {
    line.starts_with("On ") && line.ends_with("wrote:") && line.split_whitespace().count() <= 16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letting_someone_know_is_writing() {
        assert!(asks_when_written(
            "What day did Bob let Dana know that we were terminating the agreement?"
        ));
    }
}
