//! PowerPoint (Office Open XML, `.pptx`): one section per slide, in the
//! presentation's order, named `Slide N` and the slide's title; the slide's
//! text, one paragraph a line, then its speaker notes. Title, author and
//! date from `docProps/core.xml`.
//!
//! Every part is read through [`docx::read_part`], so the bytes unpacked
//! from one file stay under [`Limits::max_unpacked`].

use std::io::Cursor;

use quick_xml::{Reader, events::Event};

use super::{ExtractError, Extracted, FormatMeta, Limits, TextBuilder, docx, parse_iso_date};

/// Slides read per file at most.
const MAX_SLIDES: usize = 5_000;

type Zip<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

pub(super) fn extract(
    bytes: &[u8],
    fallback_title: &str,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ExtractError::Corrupt(format!("PPTX: not a valid zip archive ({e})")))?;
    let mut budget = limits.max_unpacked;
    let presentation = read(&mut zip, "ppt/presentation.xml", &mut budget)?
        .ok_or_else(|| ExtractError::Corrupt("PPTX: no ppt/presentation.xml".to_owned()))?;
    let rels = read(&mut zip, "ppt/_rels/presentation.xml.rels", &mut budget)?
        .map(|x| relationships(&x))
        .unwrap_or_default();
    let core = read(&mut zip, "docProps/core.xml", &mut budget)?
        .map(|x| core_properties(&x))
        .unwrap_or_default();

    let mut out = TextBuilder::default();
    let mut first_title = None;
    for (n, id) in slide_ids(&presentation).iter().take(MAX_SLIDES).enumerate() {
        let Some((_, target)) = rels.iter().find(|(rid, _)| rid == id) else {
            continue;
        };
        let path = resolve("ppt", target);
        let Some(xml) = read(&mut zip, &path, &mut budget)? else {
            continue;
        };
        let mut slide = shapes_text(&xml)?;
        // Slides made without layouts (text boxes only) still open with their title.
        if slide.title.is_none() {
            slide.title = slide
                .paragraphs
                .first()
                .filter(|p| p.chars().count() <= 100)
                .cloned();
        }
        let notes = match notes_part(&mut zip, &path, &mut budget)? {
            Some(notes_xml) => shapes_text(&notes_xml)?.paragraphs,
            None => Vec::new(),
        };
        let name = match &slide.title {
            Some(t) => format!("Slide {}: {t}", n + 1),
            None => format!("Slide {}", n + 1),
        };
        if first_title.is_none() {
            first_title.clone_from(&slide.title);
        }
        out.heading(1, &name);
        for p in slide
            .paragraphs
            .iter()
            .filter(|p| Some(*p) != slide.title.as_ref())
        {
            out.push_inline(p);
            out.line_break();
        }
        // Notes pages repeat the slide number in a placeholder; real notes have words.
        let notes: Vec<&String> = notes
            .iter()
            .filter(|p| p.chars().any(char::is_alphabetic))
            .collect();
        if !notes.is_empty() {
            out.end_block();
            out.push_inline("Notes:");
            out.line_break();
            for p in notes {
                out.push_inline(p);
                out.line_break();
            }
        }
        out.end_block();
        if out.len() as u64 > limits.max_text {
            return Err(ExtractError::TooMuchText(limits.max_text));
        }
    }
    let (text, sections) = out.finish();
    let title = core
        .iter()
        .find(|(k, _)| k == "title")
        .map(|(_, v)| v.clone())
        .or(first_title)
        .unwrap_or_else(|| fallback_title.to_owned());
    let get = |key: &str| core.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    Ok(Extracted {
        title,
        text,
        sections,
        meta: FormatMeta {
            author: get("creator"),
            date: get("created").and_then(|d| parse_iso_date(&d)),
            ..FormatMeta::default()
        },
        ..Extracted::default()
    })
}

fn read(zip: &mut Zip<'_>, name: &str, budget: &mut u64) -> Result<Option<String>, ExtractError> {
    docx::read_part(zip, name, budget, "PPTX")
}

/// The notes slide of the slide at `slide_path`, from the slide's relationships.
fn notes_part(
    zip: &mut Zip<'_>,
    slide_path: &str,
    budget: &mut u64,
) -> Result<Option<String>, ExtractError> {
    let (dir, file) = slide_path.rsplit_once('/').unwrap_or(("", slide_path));
    let Some(rels) = read(zip, &format!("{dir}/_rels/{file}.rels"), budget)? else {
        return Ok(None);
    };
    let Some(target) = relationship_targets(&rels, "/notesSlide")
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    read(zip, &resolve(dir, &target), budget)
}

/// `target` (relative to the folder `base`, or absolute from the package
/// root) as a part name; `..` climbs within the package only.
fn resolve(base: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|p| !p.is_empty()).collect()
    };
    for p in target.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Relationship ids of the slides, in presentation order (`p:sldIdLst`).
fn slide_ids(xml: &str) -> Vec<String> {
    let mut reader = Reader::from_str(xml);
    let mut ids = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Empty(e) | Event::Start(e)) if e.name().as_ref() == b"p:sldId" => {
                if let Some(id) = docx::attr(&e, "r:id") {
                    ids.push(id);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    ids
}

/// `(Id, Target)` of every relationship.
fn relationships(xml: &str) -> Vec<(String, String)> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Empty(e) | Event::Start(e)) if e.local_name().as_ref() == b"Relationship" => {
                if let (Some(id), Some(target)) = (docx::attr(&e, "Id"), docx::attr(&e, "Target")) {
                    out.push((id, target));
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

/// Targets of the relationships whose type ends with `kind`.
fn relationship_targets(xml: &str, kind: &str) -> Vec<String> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Empty(e) | Event::Start(e)) if e.local_name().as_ref() == b"Relationship" => {
                let is_kind = docx::attr(&e, "Type").is_some_and(|t| t.ends_with(kind));
                if let (true, Some(target)) = (is_kind, docx::attr(&e, "Target")) {
                    out.push(target);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

fn core_properties(xml: &str) -> Vec<(String, String)> {
    super::docx::leaf_texts(xml, false)
        .into_iter()
        .filter_map(|(name, v)| {
            let v = v.trim();
            (!v.is_empty()).then(|| (name, v.to_owned()))
        })
        .collect()
}

/// The text of a slide or notes slide.
#[derive(Debug, Default)]
pub(super) struct SlideText {
    /// Text of the title placeholder.
    pub(super) title: Option<String>,
    /// Every paragraph with words, in document order.
    pub(super) paragraphs: Vec<String>,
}

pub(super) fn shapes_text(xml: &str) -> Result<SlideText, ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut out = SlideText::default();
    let mut in_title_shape = false;
    let mut para: Option<String> = None;
    let mut in_text = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ExtractError::Corrupt(format!("PPTX slide: {e}")))?;
        match event {
            Event::Start(e) => match e.name().as_ref() {
                b"p:sp" => in_title_shape = false,
                b"a:p" => para = Some(String::new()),
                b"a:t" => in_text = true,
                _ => {}
            },
            Event::Empty(e) => match e.name().as_ref() {
                b"p:ph" => {
                    let kind = docx::attr(&e, "type").unwrap_or_default();
                    in_title_shape = kind == "title" || kind == "ctrTitle";
                }
                b"a:br" => {
                    if let Some(p) = para.as_mut() {
                        p.push(' ');
                    }
                }
                _ => {}
            },
            Event::Text(t) if in_text => {
                if let Some(p) = para.as_mut() {
                    p.push_str(&t.decode().unwrap_or_default());
                }
            }
            Event::GeneralRef(r) if in_text => {
                if let Some(p) = para.as_mut() {
                    p.push_str(&docx::entity(&r).unwrap_or_default());
                }
            }
            Event::End(e) => match e.name().as_ref() {
                b"a:t" => in_text = false,
                b"a:p" => {
                    let Some(p) = para.take() else { continue };
                    let p = p.split_whitespace().collect::<Vec<_>>().join(" ");
                    if p.is_empty() {
                        continue;
                    }
                    if in_title_shape {
                        match out.title.as_mut() {
                            Some(t) => {
                                t.push(' ');
                                t.push_str(&p);
                            }
                            None => out.title = Some(p.clone()),
                        }
                    }
                    out.paragraphs.push(p);
                }
                b"p:sp" => in_title_shape = false,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}
