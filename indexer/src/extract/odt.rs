//! OpenDocument text (`.odt`): `content.xml`'s paragraphs, headings as
//! sections (`text:h`, or a paragraph whose style — through its parents —
//! has an outline level or is named "Heading N"; what LibreOffice writes for
//! a converted Word file), list items as `• ` lines, tables as
//! `cell | cell` rows; title, author and creation date from `meta.xml`.
//!
//! No crate on crates.io reads ODF text well enough to depend on, so it is
//! read here with quick-xml like DOCX. An `.odt` is a zip archive: its parts
//! are read under the same unpack budget as a DOCX's ([`docx::read_part`]),
//! the number of members is capped, and an encrypted document (its
//! manifest lists `encryption-data`) is reported as such. Footnotes,
//! comments, tracked deletions and frames (images, text boxes) are left out,
//! as the DOCX reader leaves them.

use std::{
    collections::HashMap,
    io::{Cursor, Read},
};

use quick_xml::{
    Reader,
    events::{BytesStart, Event},
};

use super::{ExtractError, Extracted, FormatMeta, Limits, TextBuilder, docx, parse_iso_date};

/// Parts an OpenDocument file may hold; past this it is refused.
const MAX_MEMBERS: usize = 10_000;

/// Spaces one `text:s` stands for at most.
const MAX_SPACES: usize = 100;

/// Elements whose content is not part of the running text.
const SKIPPED: &[&[u8]] = &[
    b"text:note",
    b"office:annotation",
    b"text:tracked-changes",
    b"draw:frame",
    b"text:bookmark-ref",
    b"text:table-of-content-source",
    b"text:index-title-template",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Title,
    Heading(u8),
}

/// A paragraph style: its parent and what its own attributes say.
#[derive(Debug, Default)]
struct Style {
    parent: Option<String>,
    role: Option<Role>,
}

pub(super) fn extract(
    bytes: &[u8],
    fallback_title: &str,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        ExtractError::Corrupt(format!("OpenDocument text: not a valid zip archive ({e})"))
    })?;
    if zip.len() > MAX_MEMBERS {
        return Err(ExtractError::TooLarge(format!(
            "OpenDocument text holds {} parts (at most {MAX_MEMBERS})",
            zip.len()
        )));
    }
    let mut budget = limits.max_unpacked;
    if let Some(manifest) = read_raw(&mut zip, "META-INF/manifest.xml", &mut budget)?
        && manifest.windows(15).any(|w| w == b"encryption-data")
    {
        return Err(ExtractError::Encrypted(
            "OpenDocument text needs a password".to_owned(),
        ));
    }
    let content = docx::read_part(&mut zip, "content.xml", &mut budget, "OpenDocument text")?
        .ok_or_else(|| ExtractError::Corrupt("OpenDocument text: no content.xml".to_owned()))?;
    let mut styles = HashMap::new();
    if let Some(xml) = docx::read_part(&mut zip, "styles.xml", &mut budget, "OpenDocument text")? {
        read_styles(&xml, &mut styles);
    }
    read_styles(&content, &mut styles);
    let meta = docx::read_part(&mut zip, "meta.xml", &mut budget, "OpenDocument text")?
        .map(|x| properties(&x))
        .unwrap_or_default();

    let (title_para, text, sections) = body(&content, &styles, limits.max_text)?;
    let title = meta
        .get("title")
        .cloned()
        .or(title_para)
        .or_else(|| sections.first().map(|s| s.path.clone()))
        .unwrap_or_else(|| fallback_title.to_owned());
    Ok(Extracted {
        title,
        text,
        sections,
        meta: FormatMeta {
            author: meta
                .get("initial-creator")
                .or_else(|| meta.get("creator"))
                .cloned(),
            date: meta.get("creation-date").and_then(|d| parse_iso_date(d)),
            ..FormatMeta::default()
        },
        ..Extracted::default()
    })
}

/// A member's bytes, charged to `budget`; `None` when it is missing.
fn read_raw(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    budget: &mut u64,
) -> Result<Option<Vec<u8>>, ExtractError> {
    let Ok(file) = zip.by_name(name) else {
        return Ok(None);
    };
    let mut buf = Vec::new();
    file.take(*budget + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ExtractError::Corrupt(format!("OpenDocument text {name}: {e}")))?;
    if buf.len() as u64 > *budget {
        return Err(ExtractError::TooLarge(format!(
            "{name} unpacks to more than {} bytes",
            *budget
        )));
    }
    *budget -= buf.len() as u64;
    Ok(Some(buf))
}

/// "Heading 2", "Heading_20_2" (a style name with its space encoded) → level 2.
fn heading_name(name: &str) -> Option<Role> {
    let name = name.replace("_20_", " ").to_lowercase();
    if name == "title" {
        return Some(Role::Title);
    }
    name.strip_prefix("heading ")
        .and_then(|n| n.trim().parse::<u8>().ok())
        .map(|l| Role::Heading(l.clamp(1, 9)))
}

fn outline_level(e: &BytesStart<'_>, attr: &str) -> Option<u8> {
    docx::attr(e, attr)
        .and_then(|v| v.trim().parse::<u8>().ok())
        .filter(|l| (1..=10).contains(l))
        .map(|l| l.min(9))
}

/// Paragraph styles of `styles.xml` or `content.xml` (automatic styles).
fn read_styles(xml: &str, out: &mut HashMap<String, Style>) {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.name().as_ref() == b"style:style" => {
                if docx::attr(&e, "style:family").as_deref() != Some("paragraph") {
                    continue;
                }
                let Some(name) = docx::attr(&e, "style:name") else {
                    continue;
                };
                let role = outline_level(&e, "style:default-outline-level")
                    .map(Role::Heading)
                    .or_else(|| heading_name(&name))
                    .or_else(|| {
                        docx::attr(&e, "style:display-name").and_then(|n| heading_name(&n))
                    });
                let parent = docx::attr(&e, "style:parent-style-name");
                out.insert(name, Style { parent, role });
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
}

/// The role of a style, looked up through its parents.
fn role_of(styles: &HashMap<String, Style>, name: &str) -> Option<Role> {
    let mut name = name;
    // Parent chains are short; a loop in a hostile file ends here.
    for _ in 0..16 {
        let style = styles.get(name)?;
        if style.role.is_some() {
            return style.role;
        }
        name = style.parent.as_deref()?;
    }
    None
}

/// `meta.xml` elements by local name (`title`, `initial-creator`, `creation-date`, …), the
/// first of each name, whitespace collapsed.
fn properties(xml: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (name, v) in docx::leaf_texts(xml, true) {
        let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
        if !v.is_empty() {
            out.entry(name).or_insert(v);
        }
    }
    out
}

/// A paragraph being read: its text and role, and whether it is a list item.
struct Para {
    text: String,
    role: Option<Role>,
    list: bool,
}

/// The body: (text of the first Title-styled paragraph, text, sections).
fn body(
    xml: &str,
    styles: &HashMap<String, Style>,
    max_text: u64,
) -> Result<(Option<String>, String, Vec<super::SectionStart>), ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut out = TextBuilder::default();
    let mut title = None;
    let mut para: Option<Para> = None;
    // Depth inside an element whose content is skipped.
    let mut skip = 0usize;
    let mut list_items = 0usize;
    let mut lists = 0usize;
    let mut table_depth = 0usize;
    let mut row: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut in_body = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ExtractError::Corrupt(format!("OpenDocument text content.xml: {e}")))?;
        if skip > 0 {
            match event {
                Event::Start(_) => skip += 1,
                Event::End(_) => skip -= 1,
                Event::Eof => break,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(e) => {
                let name = e.name();
                let name = name.as_ref();
                if SKIPPED.contains(&name) {
                    skip = 1;
                    continue;
                }
                match name {
                    b"office:body" => in_body = true,
                    b"text:p" | b"text:h" if in_body => {
                        let style_role =
                            docx::attr(&e, "text:style-name").and_then(|s| role_of(styles, &s));
                        let role = if name == b"text:h" {
                            outline_level(&e, "text:outline-level")
                                .map(Role::Heading)
                                .or(style_role)
                                .or(Some(Role::Heading(1)))
                        } else {
                            style_role
                        };
                        // A paragraph inside another (rare) joins it.
                        if para.is_none() {
                            para = Some(Para {
                                text: String::new(),
                                role,
                                list: list_items > 0,
                            });
                        }
                    }
                    b"text:list-item" | b"text:list-header" => list_items += 1,
                    b"text:list" => lists += 1,
                    b"table:table" => {
                        if table_depth == 0 {
                            out.end_block();
                        }
                        table_depth += 1;
                    }
                    b"table:table-row" if table_depth == 1 => row.clear(),
                    b"table:table-cell" if table_depth == 1 => cell.clear(),
                    _ => {}
                }
            }
            Event::Empty(e) => {
                let Some(p) = para.as_mut() else {
                    continue;
                };
                match e.name().as_ref() {
                    b"text:s" => {
                        let n = docx::attr(&e, "text:c")
                            .and_then(|c| c.parse::<usize>().ok())
                            .unwrap_or(1)
                            .clamp(1, MAX_SPACES);
                        p.text.extend(std::iter::repeat_n(' ', n));
                    }
                    b"text:tab" => p.text.push('\t'),
                    b"text:line-break" => p.text.push('\n'),
                    _ => {}
                }
            }
            Event::Text(t) => {
                if let Some(p) = para.as_mut() {
                    p.text.push_str(&t.decode().unwrap_or_default());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(p) = para.as_mut() {
                    p.text.push_str(&docx::entity(&r).unwrap_or_default());
                }
            }
            Event::End(e) => match e.name().as_ref() {
                b"text:p" | b"text:h" => {
                    let Some(p) = para.take() else {
                        continue;
                    };
                    if p.text.trim().is_empty() {
                        continue;
                    }
                    if table_depth > 0 {
                        cell.push(' ');
                        cell.push_str(&p.text);
                        continue;
                    }
                    match p.role {
                        Some(Role::Heading(level)) => out.heading(level, &p.text),
                        Some(Role::Title) if title.is_none() => {
                            title = Some(p.text.split_whitespace().collect::<Vec<_>>().join(" "));
                            out.push_inline(&p.text);
                            out.end_block();
                        }
                        _ if p.list => {
                            out.push_raw("• ");
                            out.push_inline(&p.text);
                            out.line_break();
                        }
                        _ => {
                            out.push_inline(&p.text);
                            out.end_block();
                        }
                    }
                    if out.len() as u64 > max_text {
                        return Err(ExtractError::TooMuchText(max_text));
                    }
                }
                b"text:list-item" | b"text:list-header" => {
                    list_items = list_items.saturating_sub(1);
                }
                // A list's items stay together; the list is a block.
                b"text:list" => {
                    lists = lists.saturating_sub(1);
                    if lists == 0 {
                        out.end_block();
                    }
                }
                b"table:table-cell" | b"table:covered-table-cell" if table_depth == 1 => {
                    let c = cell.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !c.is_empty() {
                        row.push(c);
                    }
                    cell.clear();
                }
                b"table:table-row" if table_depth == 1 => {
                    if !row.is_empty() {
                        out.push_inline(&row.join(" | "));
                        out.line_break();
                        row.clear();
                    }
                    if out.len() as u64 > max_text {
                        return Err(ExtractError::TooMuchText(max_text));
                    }
                }
                b"table:table" => {
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SAMPLE: &[u8] = include_bytes!("../../tests/fixtures/odt/expense-reimbursement.odt");

    const LIMITS: Limits = Limits {
        max_unpacked: 1 << 20,
        max_text: 1 << 20,
        ocr: super::super::ocr::OcrOptions::OFF,
        allowance: None,
    };

    #[test]
    fn style_chains_decide_headings_and_loops_end() {
        let mut styles = HashMap::new();
        read_styles(
            r#"<office:styles>
            <style:style style:name="Heading_20_2" style:display-name="Heading 2" style:family="paragraph"/>
            <style:style style:name="Outline" style:family="paragraph" style:default-outline-level="3"/>
            <style:style style:name="P1" style:family="paragraph" style:parent-style-name="Heading_20_2"/>
            <style:style style:name="P2" style:family="paragraph" style:parent-style-name="Outline"/>
            <style:style style:name="Heading" style:family="paragraph"/>
            <style:style style:name="Loop1" style:family="paragraph" style:parent-style-name="Loop2"/>
            <style:style style:name="Loop2" style:family="paragraph" style:parent-style-name="Loop1"/>
            <style:style style:name="T1" style:family="text" style:parent-style-name="Heading_20_2"/>
            </office:styles>"#,
            &mut styles,
        );
        assert_eq!(role_of(&styles, "P1"), Some(Role::Heading(2)));
        assert_eq!(role_of(&styles, "P2"), Some(Role::Heading(3)));
        assert_eq!(role_of(&styles, "Heading"), None);
        assert_eq!(role_of(&styles, "Loop1"), None);
        assert_eq!(role_of(&styles, "T1"), None);
    }

    proptest! {
        // Called directly, without the tree's catch_unwind: a panic fails the test.
        #![proptest_config(ProptestConfig {
            cases: 128,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x4F_44_54),
            ..ProptestConfig::default()
        })]

        #[test]
        fn damaged_odt_never_panics(
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..16),
            cut in any::<usize>(),
        ) {
            let b = crate::extract::tests::overwritten(SAMPLE, flips, cut);
            let _ = extract(&b, "x", &LIMITS);
        }

        #[test]
        fn arbitrary_content_xml_never_panics(xml in concat!(
            "(<(office:body|text:p|text:h|text:s|text:tab|text:list-item|text:note|table:table|",
            "table:table-row|table:table-cell)( text:c=\"[0-9]{1,4}\"| text:outline-level=\"[0-9]{1,3}\"",
            "| text:style-name=\"P[0-9]\")?/?>|</(office:body|text:p|text:h|text:list-item|text:note|",
            "table:table|table:table-row|table:table-cell)>|[a-z &;#0-9]{0,8}){0,64}"
        )) {
            let _ = body(&xml, &HashMap::new(), 1 << 20);
            let mut styles = HashMap::new();
            read_styles(&xml, &mut styles);
            let _ = properties(&xml);
        }
    }
}
