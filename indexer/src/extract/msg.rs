//! Outlook messages (`.msg`, [MS-OXMSG]): a compound file holding a
//! message's MAPI properties as streams. Read into the same shape as an
//! `.eml` (see [`super::email`]): a header block, the body, the same
//! `extra` keys (`from`, `to`, `cc`, `date`, `subject`, `message_id`,
//! `in_reply_to`, `references`), so threading, custodians and export treat
//! both alike; attachments become child documents, an attached message
//! (an Outlook item inside the item) as a `.msg` of its own.
//!
//! Where the message kept its Internet headers (`PR_TRANSPORT_MESSAGE_HEADERS`,
//! on every received message) they decide, parsed like an `.eml`'s; the
//! MAPI properties fill in the rest (drafts and sent items have no such
//! headers). The body is the plain-text one, else the HTML one, else the
//! compressed RTF one (`PR_RTF_COMPRESSED`, all some messages keep),
//! decompressed and read by [`super::rtf`] — as the HTML it wraps when
//! Outlook wrapped HTML in it. Streams are read with their declared length checked against
//! [`Limits::max_unpacked`] first.

use std::{
    collections::BTreeMap,
    io::{Cursor, Read, Write},
};

use mail_parser::MessageParser;

use super::{
    Attachment, ExtractError, Extracted, FormatMeta, Limits, email, html, name_attachments, rtf,
};

type Cfb<'a> = cfb::CompoundFile<Cursor<&'a [u8]>>;

// MAPI property ids ([MS-OXPROPS]).
const SUBJECT: u16 = 0x0037;
const CLIENT_SUBMIT_TIME: u16 = 0x0039;
const TRANSPORT_HEADERS: u16 = 0x007D;
const SENDER_NAME: u16 = 0x0C1A;
const SENDER_EMAIL: u16 = 0x0C1F;
const RECIPIENT_TYPE: u16 = 0x0C15;
const DISPLAY_CC: u16 = 0x0E03;
const DISPLAY_TO: u16 = 0x0E04;
const DELIVERY_TIME: u16 = 0x0E06;
const BODY: u16 = 0x1000;
const RTF_COMPRESSED: u16 = 0x1009;
const HTML: u16 = 0x1013;
const MESSAGE_ID: u16 = 0x1035;
const REFERENCES: u16 = 0x1039;
const IN_REPLY_TO: u16 = 0x1042;
const DISPLAY_NAME: u16 = 0x3001;
const EMAIL_ADDRESS: u16 = 0x3003;
const ATTACH_DATA: u16 = 0x3701;
const ATTACH_FILENAME: u16 = 0x3704;
const ATTACH_LONG_FILENAME: u16 = 0x3707;
const ATTACH_MIME_TAG: u16 = 0x370E;
const SMTP_ADDRESS: u16 = 0x39FE;
const SENDER_SMTP_ADDRESS: u16 = 0x5D01;

/// Attachments read per message at most.
const MAX_ATTACHMENTS: usize = 1_000;

/// Reads streams of one message, charging them to the unpack budget.
struct Props<'a, 'b> {
    cf: &'b mut Cfb<'a>,
    budget: u64,
}

impl Props<'_, '_> {
    fn stream(&mut self, path: &str) -> Result<Option<Vec<u8>>, ExtractError> {
        let Ok(entry) = self.cf.entry(path) else {
            return Ok(None);
        };
        if !entry.is_stream() {
            return Ok(None);
        }
        if entry.len() > self.budget {
            return Err(ExtractError::TooLarge(format!(
                "Outlook message stream {path} holds {} bytes (limit max_unpacked_bytes)",
                entry.len()
            )));
        }
        let mut buf = Vec::new();
        self.cf
            .open_stream(path)
            .and_then(|s| s.take(self.budget + 1).read_to_end(&mut buf))
            .map_err(|e| ExtractError::Corrupt(format!("Outlook message {path}: {e}")))?;
        self.budget = self.budget.saturating_sub(buf.len() as u64);
        Ok(Some(buf))
    }

    /// A string property of the storage `dir` (UTF-16 or 8-bit).
    fn string(&mut self, dir: &str, id: u16) -> Result<Option<String>, ExtractError> {
        if let Some(b) = self.stream(&format!("{dir}/__substg1.0_{id:04X}001F"))? {
            let units: Vec<u16> = b
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            return Ok(clean(String::from_utf16_lossy(&units)));
        }
        if let Some(b) = self.stream(&format!("{dir}/__substg1.0_{id:04X}001E"))? {
            return Ok(clean(eight_bit(&b)));
        }
        Ok(None)
    }

    fn binary(&mut self, dir: &str, id: u16) -> Result<Option<Vec<u8>>, ExtractError> {
        self.stream(&format!("{dir}/__substg1.0_{id:04X}0102"))
    }

    /// Fixed-size properties of the storage `dir`: id → (type, 8-byte value).
    /// The header before the 16-byte entries is 32 bytes for the message
    /// itself, 24 for an attached message, 8 for recipients and attachments.
    fn fixed(&mut self, dir: &str, header: usize) -> Result<BTreeMap<u16, u64>, ExtractError> {
        let mut out = BTreeMap::new();
        let Some(b) = self.stream(&format!("{dir}/__properties_version1.0"))? else {
            return Ok(out);
        };
        for e in b.get(header..).unwrap_or_default().chunks_exact(16) {
            let id = u16::from_le_bytes([e[2], e[3]]);
            let mut v = [0u8; 8];
            v.copy_from_slice(&e[8..16]);
            out.insert(id, u64::from_le_bytes(v));
        }
        Ok(out)
    }
}

/// 8-bit strings: UTF-8 when valid, else Windows-1252 (Outlook's usual code page).
fn eight_bit(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(b).0.into_owned(),
    }
}

fn clean(s: String) -> Option<String> {
    let s = s.trim_end_matches('\0').trim().to_owned();
    (!s.is_empty()).then_some(s)
}

/// Unix seconds of a Windows FILETIME (100 ns ticks since 1601-01-01).
fn filetime(ticks: u64) -> Option<i64> {
    let secs = i64::try_from(ticks / 10_000_000).ok()? - 11_644_473_600;
    (0..253_402_300_800).contains(&secs).then_some(secs)
}

/// `Name <address>`, or whichever of the two there is.
fn mailbox(name: Option<String>, address: Option<String>) -> Option<String> {
    let address = address.filter(|a| a.contains('@'));
    match (name, address) {
        (Some(n), Some(a)) if n != a => Some(format!("{n} <{a}>")),
        (_, Some(a)) => Some(a),
        (Some(n), None) => Some(n),
        (None, None) => None,
    }
}

pub(super) fn extract(
    bytes: &[u8],
    fallback_title: &str,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| ExtractError::Corrupt(format!("Outlook message: {e}")))?;
    let mut p = Props {
        cf: &mut cf,
        budget: limits.max_unpacked,
    };
    // An attached message, re-packed by this module, says so.
    let header_len = if p.stream("/__trawl_embedded")?.is_some() {
        24
    } else {
        32
    };
    let fixed = p.fixed("", header_len)?;

    let mut fields: BTreeMap<&str, String> = BTreeMap::new();
    if let Some(h) = p.string("", TRANSPORT_HEADERS)? {
        headers_from_internet(&h, &mut fields);
    }
    let mut put = |k: &'static str, v: Option<String>| {
        if let Some(v) = v {
            fields.entry(k).or_insert(v);
        }
    };
    put("subject", p.string("", SUBJECT)?);
    let sender_address = match p.string("", SENDER_SMTP_ADDRESS)? {
        Some(a) => Some(a),
        None => p.string("", SENDER_EMAIL)?,
    };
    put("from", mailbox(p.string("", SENDER_NAME)?, sender_address));
    let (to, cc) = recipients(&mut p)?;
    put("to", to.or(p.string("", DISPLAY_TO)?));
    put("cc", cc.or(p.string("", DISPLAY_CC)?));
    let sent = [CLIENT_SUBMIT_TIME, DELIVERY_TIME]
        .iter()
        .find_map(|id| fixed.get(id).copied().and_then(filetime));
    put(
        "date",
        sent.map(|t| mail_parser::DateTime::from_timestamp(t).to_rfc3339()),
    );
    put("message_id", p.string("", MESSAGE_ID)?);
    put("in_reply_to", p.string("", IN_REPLY_TO)?);
    put("references", p.string("", REFERENCES)?);
    if fields.is_empty() {
        return Err(ExtractError::Corrupt(
            "Outlook message: no sender, recipients, subject or date".to_owned(),
        ));
    }

    let mut body_failed = None;
    let body = match p.string("", BODY)? {
        Some(b) => b.replace("\r\n", "\n"),
        None => {
            let html_bytes = match p.binary("", HTML)? {
                Some(b) => Some(b),
                None => p.string("", HTML)?.map(String::into_bytes),
            };
            match html_bytes {
                Some(b) => html::to_text(&eight_bit(&b)),
                // Only the RTF body: decompressed, then the HTML it wraps or its text.
                // A damaged one costs the body, not the headers threading needs.
                None => match p.binary("", RTF_COMPRESSED)? {
                    Some(c) => rtf::decompress(&c, p.budget)
                        .and_then(|r| rtf::body_text(&r, limits.max_text))
                        .unwrap_or_else(|e| {
                            body_failed = Some(e);
                            String::new()
                        }),
                    None => String::new(),
                },
            }
        }
    };

    let mut text = String::new();
    let mut extra = BTreeMap::new();
    for (key, label) in [
        ("from", "From"),
        ("to", "To"),
        ("cc", "Cc"),
        ("date", "Date"),
        ("subject", "Subject"),
        ("message_id", "Message-ID"),
        ("in_reply_to", "In-Reply-To"),
        ("references", "References"),
    ] {
        if let Some(v) = fields.get(key) {
            text.push_str(&email::header_line(label, v));
        }
    }
    for (k, v) in &fields {
        extra.insert((*k).to_owned(), v.clone());
    }
    let (attachments, mut failed) = attachments(&mut p)?;
    name_attachments(&attachments, &mut text, &mut extra);
    text.push('\n');
    text.push_str(body.trim_end());
    if let Some(e) = body_failed {
        failed.push(("message body (RTF)".to_owned(), e));
    }
    let date = fields
        .get("date")
        .and_then(|d| super::parse_iso_date(d).or(sent));
    Ok(Extracted {
        title: fields
            .get("subject")
            .cloned()
            .unwrap_or_else(|| fallback_title.to_owned()),
        text: text.trim_end().to_owned(),
        meta: FormatMeta {
            author: fields.get("from").cloned(),
            date,
            extra,
        },
        attachments,
        failed,
        ..Extracted::default()
    })
}

/// The fields of the message's own Internet headers, formatted as the
/// `.eml` extractor formats them.
fn headers_from_internet(headers: &str, fields: &mut BTreeMap<&'static str, String>) {
    let mut raw = headers.replace("\r\n", "\n").into_bytes();
    raw.extend_from_slice(b"\n\n");
    let Some(msg) = MessageParser::default().parse_headers(&raw[..]) else {
        return;
    };
    let mut put = |k: &'static str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
            fields.insert(k, v);
        }
    };
    put("from", email::addresses(msg.from()));
    put("to", email::addresses(msg.to()));
    put("cc", email::addresses(msg.cc()));
    put("date", msg.date().map(|d| d.to_rfc3339()));
    put(
        "subject",
        msg.subject()
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")),
    );
    put("message_id", msg.message_id().map(|m| format!("<{m}>")));
    put("in_reply_to", email::text_header(msg.in_reply_to()));
    put("references", email::text_header(msg.references()));
}

/// Top-level storages whose names start with `prefix`, sorted.
fn storages(cf: &Cfb<'_>, prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = cf
        .read_root_storage()
        .filter(|e| e.is_storage() && e.name().starts_with(prefix))
        .map(|e| format!("/{}", e.name()))
        .collect();
    out.sort();
    out
}

/// `To` and `Cc` from the recipient storages.
fn recipients(p: &mut Props<'_, '_>) -> Result<(Option<String>, Option<String>), ExtractError> {
    let (mut to, mut cc) = (Vec::new(), Vec::new());
    for dir in storages(p.cf, "__recip_version1.0_") {
        let address = match p.string(&dir, SMTP_ADDRESS)? {
            Some(a) => Some(a),
            None => p.string(&dir, EMAIL_ADDRESS)?,
        };
        let Some(who) = mailbox(p.string(&dir, DISPLAY_NAME)?, address) else {
            continue;
        };
        match p.fixed(&dir, 8)?.get(&RECIPIENT_TYPE).map(|v| v & 0xFF) {
            Some(2) => cc.push(who),
            Some(3) => {} // Bcc: not part of what recipients saw
            _ => to.push(who),
        }
    }
    let join = |v: Vec<String>| (!v.is_empty()).then(|| v.join(", "));
    Ok((join(to), join(cc)))
}

type Failed = Vec<(String, ExtractError)>;

fn attachments(p: &mut Props<'_, '_>) -> Result<(Vec<Attachment>, Failed), ExtractError> {
    let mut out = Vec::new();
    let mut failed = Vec::new();
    for (i, dir) in storages(p.cf, "__attach_version1.0_")
        .into_iter()
        .take(MAX_ATTACHMENTS)
        .enumerate()
    {
        let name = match p.string(&dir, ATTACH_LONG_FILENAME)? {
            Some(n) => Some(n),
            None => p.string(&dir, ATTACH_FILENAME)?,
        };
        let name = name
            .map(|n| n.replace(['/', '\\'], "_"))
            .unwrap_or_else(|| format!("attachment-{}", i + 1));
        // Like the .eml extractor: inline images and media have no text.
        let mime = p
            .string(&dir, ATTACH_MIME_TAG)?
            .unwrap_or_default()
            .to_ascii_lowercase();
        if ["image/", "audio/", "video/"]
            .iter()
            .any(|m| mime.starts_with(m))
        {
            continue;
        }
        let embedded = format!("{dir}/__substg1.0_{ATTACH_DATA:04X}000D");
        if p.cf.is_storage(&embedded) {
            let name = if name.to_ascii_lowercase().ends_with(".msg") {
                name
            } else {
                format!("{name}.msg")
            };
            match repack(p, &embedded) {
                Ok(bytes) => out.push(Attachment { name, bytes }),
                Err(e) => failed.push((name, e)),
            }
            continue;
        }
        match p.binary(&dir, ATTACH_DATA)? {
            Some(bytes) if !bytes.is_empty() => out.push(Attachment { name, bytes }),
            _ => {}
        }
    }
    Ok((out, failed))
}

/// The attached message in storage `dir` as a compound file of its own,
/// marked so its property header is read at its embedded length.
fn repack(p: &mut Props<'_, '_>, dir: &str) -> Result<Vec<u8>, ExtractError> {
    let err = |e: std::io::Error| ExtractError::Corrupt(format!("attached Outlook message: {e}"));
    let entries: Vec<(String, bool)> =
        p.cf.walk_storage(dir)
            .map_err(err)?
            .map(|e| (e.path().to_string_lossy().into_owned(), e.is_stream()))
            .collect();
    let mut out = cfb::CompoundFile::create(Cursor::new(Vec::new())).map_err(err)?;
    for (path, is_stream) in entries {
        let Some(rel) = path.strip_prefix(dir).filter(|r| !r.is_empty()) else {
            continue;
        };
        if is_stream {
            let Some(bytes) = p.stream(&path)? else {
                continue;
            };
            out.create_stream(rel)
                .and_then(|mut s| s.write_all(&bytes))
                .map_err(err)?;
        } else {
            out.create_storage(rel).map_err(err)?;
        }
    }
    out.create_stream("/__trawl_embedded").map_err(err)?;
    out.flush().map_err(err)?;
    Ok(out.into_inner().into_inner())
}
