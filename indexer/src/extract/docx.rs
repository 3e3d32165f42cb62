//! DOCX (Office Open XML): paragraphs, headings (paragraphs in a Heading N
//! style or with an outline level) as sections, tables as `cell | cell`
//! rows; title, author and creation date from `docProps/core.xml`.
//!
//! A DOCX is a zip archive: the total bytes unpacked are capped (a zip bomb
//! is a small file that unpacks to gigabytes), and a password-protected
//! document (an OLE2 container, or encrypted zip entries) is reported as such.

use std::{
    collections::HashMap,
    io::{Cursor, Read},
};

use quick_xml::{
    Reader,
    events::{BytesRef, BytesStart, Event},
};

use super::{ExtractError, Extracted, FormatMeta, Limits, TextBuilder, parse_iso_date};

pub(super) fn extract(
    bytes: &[u8],
    fallback_title: &str,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ExtractError::Corrupt(format!("DOCX: not a valid zip archive ({e})")))?;
    if zip.index_for_name("word/document.xml").is_none() {
        let what = if zip.index_for_name("xl/workbook.xml").is_some() {
            "Excel workbook (.xlsx)"
        } else if zip.index_for_name("ppt/presentation.xml").is_some() {
            "PowerPoint presentation (.pptx)"
        } else {
            "zip archive"
        };
        return Err(ExtractError::Unsupported(what.to_owned()));
    }
    let mut budget = limits.max_unpacked;
    let document = read_part(&mut zip, "word/document.xml", &mut budget, "DOCX")?
        .ok_or_else(|| ExtractError::Corrupt("DOCX: no word/document.xml".to_owned()))?;
    let styles = read_part(&mut zip, "word/styles.xml", &mut budget, "DOCX")?
        .map(|x| heading_styles(&x))
        .unwrap_or_default();
    let core = read_part(&mut zip, "docProps/core.xml", &mut budget, "DOCX")?
        .map(|x| core_properties(&x))
        .unwrap_or_default();

    let (title_para, text, sections) = body(&document, &styles)?;
    let title = core
        .get("title")
        .cloned()
        .or(title_para)
        .or_else(|| sections.first().map(|s| s.path.clone()))
        .unwrap_or_else(|| fallback_title.to_owned());
    let mut meta = FormatMeta {
        author: core.get("creator").cloned(),
        date: core.get("created").and_then(|d| parse_iso_date(d)),
        ..FormatMeta::default()
    };
    if let Some(by) = core.get("lastModifiedBy") {
        meta.extra.insert("last_modified_by".to_owned(), by.clone());
    }
    Ok(Extracted {
        title,
        text,
        sections,
        meta,
        ..Extracted::default()
    })
}

/// Reads one archive member of a `format` file (named in errors), charging
/// its size to `budget`.
pub(super) fn read_part(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    budget: &mut u64,
    format: &str,
) -> Result<Option<String>, ExtractError> {
    let mut file = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) if e.to_string().to_lowercase().contains("password") => {
            return Err(ExtractError::Encrypted(format!(
                "{format} parts are encrypted"
            )));
        }
        Err(e) => return Err(ExtractError::Corrupt(format!("{format} {name}: {e}"))),
    };
    if file.size() > *budget {
        return Err(ExtractError::TooLarge(format!(
            "{name} unpacks to {} bytes",
            file.size()
        )));
    }
    // The declared size can lie: never read more than the budget allows.
    let mut buf = Vec::new();
    (&mut file)
        .take(*budget + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ExtractError::Corrupt(format!("{format} {name}: {e}")))?;
    if buf.len() as u64 > *budget {
        return Err(ExtractError::TooLarge(format!(
            "{name} unpacks to more than {} bytes",
            *budget
        )));
    }
    *budget -= buf.len() as u64;
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| ExtractError::Corrupt(format!("{format} {name}: not UTF-8")))
}

pub(super) fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.try_get_attribute(name).ok().flatten().and_then(|a| {
        // Parts are UTF-8; `unescape_value` is gone once quick-xml's
        // `encoding` feature is on (calamine turns it on).
        let raw = String::from_utf8_lossy(&a.value).into_owned();
        quick_xml::escape::unescape(&raw)
            .ok()
            .map(|v| v.into_owned())
    })
}

pub(super) fn entity(r: &BytesRef<'_>) -> Option<String> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Some(c.to_string());
    }
    let name = r.decode().ok()?;
    Some(
        match name.as_ref() {
            "amp" => "&",
            "lt" => "<",
            "gt" => ">",
            "quot" => "\"",
            "apos" => "'",
            _ => return None,
        }
        .to_owned(),
    )
}

/// What a paragraph style means for structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StyleRole {
    Title,
    Heading(u8),
}

/// `w:outlineLvl` 0–8 means heading level 1–9; 9 means body text.
fn outline_level(e: &BytesStart<'_>) -> Option<StyleRole> {
    attr(e, "w:val")
        .and_then(|v| v.parse::<u8>().ok())
        .filter(|l| *l < 9)
        .map(|l| StyleRole::Heading(l + 1))
}

/// Style id → role, from `word/styles.xml`: names like "heading 2" or
/// "Title", or an outline level (which localized heading styles carry).
fn heading_styles(xml: &str) -> HashMap<String, StyleRole> {
    let mut out = HashMap::new();
    let mut reader = Reader::from_str(xml);
    let mut current: Option<(String, Option<StyleRole>)> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.name().as_ref() == b"w:style" => {
                current = attr(&e, "w:styleId").map(|id| (id, None));
            }
            Ok(Event::Empty(e)) => {
                let Some((_, role)) = current.as_mut() else {
                    continue;
                };
                match e.name().as_ref() {
                    b"w:name" => {
                        let name = attr(&e, "w:val").unwrap_or_default().to_lowercase();
                        if name == "title" {
                            *role = Some(StyleRole::Title);
                        } else if let Some(level) = name
                            .strip_prefix("heading ")
                            .and_then(|n| n.trim().parse::<u8>().ok())
                        {
                            *role = Some(StyleRole::Heading(level.clamp(1, 9)));
                        }
                    }
                    b"w:outlineLvl" if role.is_none() => *role = outline_level(&e),
                    _ => {}
                }
            }
            Ok(Event::End(e)) if e.name().as_ref() == b"w:style" => {
                if let Some((id, Some(role))) = current.take() {
                    out.insert(id, role);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

/// `docProps/core.xml` elements by local name (`title`, `creator`, `created`, …).
fn core_properties(xml: &str) -> HashMap<String, String> {
    leaf_texts(xml, true)
        .into_iter()
        .filter_map(|(name, v)| {
            let v = v.trim();
            (!v.is_empty()).then(|| (name, v.to_owned()))
        })
        .collect()
}

/// The text of each element of a flat properties part (`docProps/core.xml`, `meta.xml`), by
/// local name, in document order and untrimmed; entity references are decoded when
/// `decode_entities` (the PPTX reader never did, and keeps its output).
pub(super) fn leaf_texts(xml: &str, decode_entities: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut reader = Reader::from_str(xml);
    let mut current: Option<String> = None;
    let mut value = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                current = Some(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                value.clear();
            }
            Ok(Event::Text(t)) if current.is_some() => {
                value.push_str(&t.decode().unwrap_or_default());
            }
            Ok(Event::GeneralRef(r)) if decode_entities && current.is_some() => {
                value.push_str(&entity(&r).unwrap_or_default());
            }
            Ok(Event::End(_)) => {
                if let Some(name) = current.take() {
                    out.push((name, value.clone()));
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

/// The document body: (text of the first Title-styled paragraph, text, sections).
fn body(
    xml: &str,
    styles: &HashMap<String, StyleRole>,
) -> Result<(Option<String>, String, Vec<super::SectionStart>), ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut out = TextBuilder::default();
    let mut title = None;
    // The paragraph being read: its text, role, and whether it is a list item.
    let mut para: Option<(String, Option<StyleRole>, bool)> = None;
    let mut in_text = false;
    let mut table_depth = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ExtractError::Corrupt(format!("DOCX word/document.xml: {e}")))?;
        match event {
            Event::Start(e) if e.name().as_ref() == b"w:p" => {
                para = Some((String::new(), None, false));
            }
            Event::Start(e) => match e.name().as_ref() {
                b"w:t" => in_text = true,
                b"w:tbl" => {
                    if table_depth == 0 {
                        out.end_block();
                    }
                    table_depth += 1;
                }
                b"w:tc" if !out.at_line_start() => out.push_raw(" | "),
                b"w:numPr" => {
                    if let Some((_, _, list)) = para.as_mut() {
                        *list = true;
                    }
                }
                _ => {}
            },
            Event::Empty(e) => match (e.name().as_ref(), para.as_mut()) {
                (b"w:pStyle", Some((_, role, _))) => {
                    *role = attr(&e, "w:val").and_then(|id| styles.get(&id).copied());
                }
                (b"w:outlineLvl", Some((_, role, _))) if role.is_none() => {
                    *role = outline_level(&e);
                }
                (b"w:numPr", Some((_, _, list))) => *list = true,
                (b"w:tab", Some((text, _, _))) => text.push('\t'),
                (b"w:br" | b"w:cr", Some((text, _, _))) => text.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_text => {
                if let Some((text, _, _)) = para.as_mut() {
                    text.push_str(&t.decode().unwrap_or_default());
                }
            }
            Event::GeneralRef(r) if in_text => {
                if let Some((text, _, _)) = para.as_mut() {
                    text.push_str(&entity(&r).unwrap_or_default());
                }
            }
            Event::End(e) => match e.name().as_ref() {
                b"w:t" => in_text = false,
                b"w:p" => {
                    let Some((text, role, list)) = para.take() else {
                        continue;
                    };
                    if text.trim().is_empty() {
                        continue;
                    }
                    match role {
                        Some(StyleRole::Heading(level)) if table_depth == 0 => {
                            out.heading(level, &text)
                        }
                        Some(StyleRole::Title) if title.is_none() && table_depth == 0 => {
                            title = Some(text.split_whitespace().collect::<Vec<_>>().join(" "));
                            out.push_inline(&text);
                            out.end_block();
                        }
                        _ if table_depth > 0 => {
                            out.push_inline(" ");
                            out.push_inline(&text);
                        }
                        _ => {
                            if list {
                                out.push_raw("• ");
                            }
                            out.push_inline(&text);
                            // List items stay together; other paragraphs are blocks.
                            if list {
                                out.line_break()
                            } else {
                                out.end_block()
                            }
                        }
                    }
                }
                b"w:tr" => out.line_break(),
                b"w:tbl" => {
                    table_depth = table_depth.saturating_sub(1);
                    if table_depth == 0 {
                        out.end_block();
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    let (text, sections) = out.finish();
    Ok((title, text, sections))
}
