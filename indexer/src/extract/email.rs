//! E-mail: one RFC 5322 / MIME message (`.eml`) or a Unix mailbox (`.mbox`).
//!
//! A message's text is a short header block (From, To, Cc, Date, Subject,
//! Message-ID, In-Reply-To, References and the names of its attachments)
//! followed by its body (the text part, or the HTML part converted to text);
//! its headers also go into the metadata. Attachments, including forwarded
//! messages, are returned for the caller to extract as child documents. A
//! mailbox is a listing of its messages, each message a child document.

use std::collections::BTreeMap;

use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};

use super::{Attachment, ExtractError, Extracted, FormatMeta, html, name_attachments};

/// Header names that mark the start of a message.
const HEADER_NAMES: &[&str] = &[
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "received",
    "message-id",
    "return-path",
    "mime-version",
    "delivered-to",
    "reply-to",
    "sender",
];

/// Whether `start` begins with RFC 5322 header lines, two or more of them
/// well-known e-mail headers.
pub(super) fn looks_like_headers(start: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&start[..start.len().min(4096)]);
    let mut known = 0;
    for line in head.lines().take(40) {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue; // folded continuation of the previous header
        }
        let Some((name, _)) = line.split_once(':') else {
            return false;
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            return false;
        }
        if HEADER_NAMES.contains(&name.to_ascii_lowercase().as_str()) {
            known += 1;
        }
    }
    known >= 2
}

pub(super) fn addresses(a: Option<&Address<'_>>) -> Option<String> {
    let list: Vec<String> = a?
        .iter()
        .map(|addr| match (addr.name(), addr.address()) {
            (Some(n), Some(e)) => format!("{n} <{e}>"),
            (None, Some(e)) => e.to_owned(),
            (Some(n), None) => n.to_owned(),
            (None, None) => String::new(),
        })
        .filter(|s| !s.is_empty())
        .collect();
    (!list.is_empty()).then(|| list.join(", "))
}

/// Header fields whose value is a list of message IDs.
const ID_FIELDS: &[&str] = &["Message-ID: <", "In-Reply-To: <", "References: <"];

/// `text` without the header lines that give message IDs (see [`ID_FIELDS`]); other text,
/// a policy's "References: 5 CFR 630" among it, is kept as it is.
pub(crate) fn without_message_ids(text: &str) -> std::borrow::Cow<'_, str> {
    if !ID_FIELDS.iter().any(|f| text.contains(f)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let kept: Vec<&str> = text
        .split('\n')
        .filter(|l| !ID_FIELDS.iter().any(|f| l.starts_with(f)))
        .collect();
    std::borrow::Cow::Owned(kept.join("\n"))
}

/// A header line of a message's text. The date keeps its offset in words a reader knows
/// ("+00:00", not RFC 3339's "Z" for UTC): a reviewer asks which offset a message was sent
/// with. The metadata keeps the date as parsed.
pub(super) fn header_line(label: &str, value: &str) -> String {
    let value = match value.strip_suffix('Z') {
        Some(utc) if label == "Date" && utc.contains('T') => format!("{utc}+00:00"),
        _ => value.to_owned(),
    };
    format!("{label}: {value}\n")
}

pub(super) fn text_header(v: &HeaderValue<'_>) -> Option<String> {
    let s = match v {
        HeaderValue::Text(t) => format!("<{t}>"),
        HeaderValue::TextList(l) => l
            .iter()
            .map(|t| format!("<{t}>"))
            .collect::<Vec<_>>()
            .join(" "),
        _ => return None,
    };
    let s = s.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

pub(super) fn extract(bytes: &[u8], fallback_title: &str) -> Result<Extracted, ExtractError> {
    let msg = MessageParser::default()
        .parse(bytes)
        .ok_or_else(|| ExtractError::Corrupt("e-mail: cannot parse the message".to_owned()))?;
    if msg.from().is_none() && msg.to().is_none() && msg.subject().is_none() && msg.date().is_none()
    {
        return Err(ExtractError::Corrupt(
            "e-mail: no From, To, Subject or Date header".to_owned(),
        ));
    }
    let mut extra = BTreeMap::new();
    let from = addresses(msg.from());
    let subject = msg
        .subject()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty());
    let date = msg.date();
    let fields = [
        ("from", from.clone()),
        ("to", addresses(msg.to())),
        ("cc", addresses(msg.cc())),
        ("date", date.map(|d| d.to_rfc3339())),
        ("subject", subject.clone()),
        ("message_id", msg.message_id().map(|m| format!("<{m}>"))),
        ("in_reply_to", text_header(msg.in_reply_to())),
        ("references", text_header(msg.references())),
    ];
    let mut text = String::new();
    for (name, value) in fields {
        let Some(value) = value else { continue };
        if let Some(label) = match name {
            "from" => Some("From"),
            "to" => Some("To"),
            "cc" => Some("Cc"),
            "date" => Some("Date"),
            "subject" => Some("Subject"),
            // a reviewer cites a message by its ID, and asks which ID a message carries
            // and which messages it answers
            "message_id" => Some("Message-ID"),
            "in_reply_to" => Some("In-Reply-To"),
            "references" => Some("References"),
            _ => None,
        } {
            text.push_str(&header_line(label, &value));
        }
        extra.insert(name.to_owned(), value);
    }
    let attachments = attachments(&msg);
    name_attachments(&attachments, &mut text, &mut extra);
    text.push('\n');
    text.push_str(&body_text(&msg));
    let text = text.trim_end().to_owned();
    Ok(Extracted {
        title: subject.unwrap_or_else(|| fallback_title.to_owned()),
        text,
        meta: FormatMeta {
            author: from,
            date: date.map(|d| d.to_timestamp()),
            extra,
        },
        attachments,
        ..Extracted::default()
    })
}

/// The message body: its text parts, HTML parts converted to text.
fn body_text(msg: &Message<'_>) -> String {
    let mut out = String::new();
    for i in 0..msg.text_body_count() {
        let Some(part) = msg.text_part(i as u32) else {
            continue;
        };
        let piece = match &part.body {
            PartType::Html(h) => html::to_text(h),
            PartType::Text(t) => t.replace("\r\n", "\n"),
            _ => continue,
        };
        if !piece.trim().is_empty() {
            out.push_str(piece.trim_end());
            out.push_str("\n\n");
        }
    }
    out
}

fn attachments(msg: &Message<'_>) -> Vec<Attachment> {
    let mut out = Vec::new();
    for (i, part) in msg.attachments().enumerate() {
        let ct = part.content_type();
        let c_type = ct
            .map(|c| c.c_type.to_ascii_lowercase())
            .unwrap_or_default();
        // Inline images and media have no text; listing each as skipped is noise.
        if matches!(c_type.as_str(), "image" | "audio" | "video") {
            continue;
        }
        let bytes = part.contents();
        if bytes.is_empty() {
            continue;
        }
        let subtype = ct
            .and_then(|c| c.c_subtype.as_deref())
            .unwrap_or("")
            .to_ascii_lowercase();
        let name = part
            .attachment_name()
            .map(|n| n.replace(['/', '\\'], "_"))
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| {
                let ext = match (c_type.as_str(), subtype.as_str()) {
                    ("message", _) => "eml",
                    ("text", "html") => "html",
                    ("text", _) => "txt",
                    (_, "pdf") => "pdf",
                    (_, s) if s.contains("wordprocessingml") => "docx",
                    _ => "bin",
                };
                format!("attachment-{}.{ext}", i + 1)
            });
        out.push(Attachment {
            name,
            bytes: bytes.to_vec(),
        });
    }
    out
}

/// Splits a mailbox at its `From ` separator lines; `>From ` quoting is undone.
fn split_mbox(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    let mut previous_blank = true;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") && previous_blank {
            if let Some(m) = current.take() {
                messages.push(m);
            }
            current = Some(Vec::new());
            previous_blank = false;
            continue;
        }
        previous_blank = line.iter().all(|b| b.is_ascii_whitespace());
        if let Some(m) = current.as_mut() {
            let quoted = line.iter().take_while(|&&b| b == b'>').count();
            if quoted > 0 && line[quoted..].starts_with(b"From ") {
                m.extend_from_slice(&line[1..]);
            } else {
                m.extend_from_slice(line);
            }
        }
    }
    messages.extend(current);
    messages
}

pub(super) fn extract_mbox(bytes: &[u8], fallback_title: &str) -> Result<Extracted, ExtractError> {
    let messages = split_mbox(bytes);
    if messages.is_empty() {
        return Err(ExtractError::Corrupt(
            "mbox: no `From ` separator line".to_owned(),
        ));
    }
    let mut text = format!("Mailbox with {} messages\n\n", messages.len());
    let mut attachments = Vec::with_capacity(messages.len());
    for (i, m) in messages.into_iter().enumerate() {
        if let Some(msg) = MessageParser::default().parse_headers(&m[..]) {
            let line = [
                msg.subject().map(str::to_owned),
                addresses(msg.from()),
                msg.date().map(|d| d.to_rfc3339()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" — ");
            text.push_str(&format!("{}. {line}\n", i + 1));
        }
        attachments.push(Attachment {
            name: format!("message-{}.eml", i + 1),
            bytes: m,
        });
    }
    Ok(Extracted {
        title: fallback_title.to_owned(),
        text: text.trim_end().to_owned(),
        attachments,
        ..Extracted::default()
    })
}
