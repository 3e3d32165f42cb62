//! Text extraction: file bytes → plain text with a title and section headings.
//!
//! Every extractor returns text whose byte offsets the chunker and the UI can
//! rely on, plus where each section starts. Failures are values
//! ([`Unsupported`] / [`ExtractError`]), never panics: one bad file must not stop a run.

use std::path::Path;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Separator between heading levels in a section path.
pub(crate) const SECTION_SEPARATOR: &str = " › ";

/// What kind of document a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// Markdown (`.md`, `.markdown`).
    Markdown,
    /// Plain text (`.txt`, `.text`).
    Text,
}

impl DocKind {
    /// Short lowercase name, as shown to users.
    pub fn name(self) -> &'static str {
        match self {
            DocKind::Markdown => "markdown",
            DocKind::Text => "text",
        }
    }

    /// The kind for a file name, or `None` when this version cannot extract it.
    pub fn detect(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "md" | "markdown" | "mdown" => Some(DocKind::Markdown),
            "txt" | "text" => Some(DocKind::Text),
            _ => None,
        }
    }
}

/// Where a section starts in the extracted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SectionStart {
    /// Byte offset into [`Extracted::text`].
    pub(crate) offset: usize,
    /// Heading path, outermost first, joined by [`SECTION_SEPARATOR`].
    pub(crate) path: String,
}

/// Bumped whenever extraction output changes, so documents are re-extracted.
pub(crate) const VERSION: u32 = 2;

/// A document's text ready for chunking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Extracted {
    pub(crate) title: String,
    pub(crate) text: String,
    /// Section starts, in increasing offset order.
    pub(crate) sections: Vec<SectionStart>,
    /// Byte offsets where pages 1, 2, … begin, for paged formats; empty otherwise.
    pub(crate) page_starts: Vec<usize>,
}

impl Extracted {
    /// 1-based page holding byte `offset`, for paged formats.
    pub(crate) fn page_at(&self, offset: usize) -> Option<u32> {
        if self.page_starts.is_empty() {
            return None;
        }
        let n = self.page_starts.partition_point(|&s| s <= offset).max(1);
        u32::try_from(n).ok()
    }
}

/// Why a file's text could not be extracted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// The file looks like binary data, not text.
    #[error("not text: looks like binary data")]
    Binary,
    /// The file has no words to index.
    #[error("no extractable text")]
    Empty,
}

pub(crate) fn extract(kind: DocKind, path: &Path, bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let text = decode_text(bytes)?;
    let fallback_title = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("untitled")
        .replace(['_', '-'], " ");
    let extracted = match kind {
        DocKind::Markdown => markdown(&text, &fallback_title),
        DocKind::Text => plain(&text, &fallback_title),
    };
    if extracted.text.trim().is_empty() {
        return Err(ExtractError::Empty);
    }
    Ok(extracted)
}

/// UTF-8 (lossy for a few bad bytes), with a BOM dropped; NULs or many
/// invalid sequences mean the file is not text.
fn decode_text(bytes: &[u8]) -> Result<String, ExtractError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err(ExtractError::Binary);
    }
    let text = String::from_utf8_lossy(bytes);
    let bad = text.matches('\u{FFFD}').count();
    if bad > 16 && bad * 100 > text.chars().count() {
        return Err(ExtractError::Binary);
    }
    Ok(text.into_owned())
}

fn plain(text: &str, fallback_title: &str) -> Extracted {
    let text = text.replace("\r\n", "\n");
    let title = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .filter(|l| l.chars().count() <= 120)
        .map_or_else(|| fallback_title.to_owned(), str::to_owned);
    Extracted {
        title,
        text,
        ..Extracted::default()
    }
}

/// Removes Liquid/Jekyll template tags (`{% … %}`, `{{ … }}`) that static-site
/// Markdown is full of; they are markup, not content.
fn strip_template_tags(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(start) = rest.find(['{']) {
        let (head, tail) = rest.split_at(start);
        out.push_str(head);
        let close = if tail.starts_with("{%") {
            Some("%}")
        } else if tail.starts_with("{{") {
            Some("}}")
        } else {
            None
        };
        match close.and_then(|c| tail.find(c).map(|i| i + c.len())) {
            Some(end) => rest = &tail[end..],
            None => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn front_matter_title(block: &str) -> Option<String> {
    block.lines().find_map(|line| {
        let value = line.strip_prefix("title:")?.trim();
        let value = value.trim_matches(|c| c == '"' || c == '\'').trim();
        (!value.is_empty()).then(|| value.to_owned())
    })
}

fn markdown(src: &str, fallback_title: &str) -> Extracted {
    let src = strip_template_tags(&src.replace("\r\n", "\n"));
    let mut options = Options::empty();
    options.insert(Options::ENABLE_YAML_STYLE_METADATA_BLOCKS);
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);

    let mut text = String::with_capacity(src.len());
    let mut sections = Vec::new();
    let mut headings: Vec<(HeadingLevel, String)> = Vec::new();
    let mut title_from_meta = None;
    let mut first_h1 = None;
    let mut in_meta = false;
    let mut heading: Option<(HeadingLevel, usize)> = None;

    let end_block = |text: &mut String| {
        let trimmed = text.trim_end_matches([' ', '\t']).len();
        text.truncate(trimmed);
        if !text.is_empty() && !text.ends_with("\n\n") {
            text.push_str(if text.ends_with('\n') { "\n" } else { "\n\n" });
        }
    };

    for event in Parser::new_ext(&src, options) {
        match event {
            Event::Start(Tag::MetadataBlock(_)) => in_meta = true,
            Event::End(TagEnd::MetadataBlock(_)) => in_meta = false,
            Event::Text(t) if in_meta => {
                title_from_meta = title_from_meta.or_else(|| front_matter_title(&t));
            }
            Event::Start(Tag::Heading { level, .. }) => {
                end_block(&mut text);
                heading = Some((level, text.len()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, start)) = heading.take() {
                    let name = text[start..].trim().to_owned();
                    if level == HeadingLevel::H1 && first_h1.is_none() && !name.is_empty() {
                        first_h1 = Some(name.clone());
                    }
                    headings.retain(|(l, _)| *l < level);
                    if !name.is_empty() {
                        headings.push((level, name));
                    }
                    let path = headings
                        .iter()
                        .map(|(_, n)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(SECTION_SEPARATOR);
                    sections.push(SectionStart {
                        offset: start,
                        path,
                    });
                }
                end_block(&mut text);
            }
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak => text.push(' '),
            Event::HardBreak => text.push('\n'),
            Event::End(
                TagEnd::Paragraph | TagEnd::CodeBlock | TagEnd::Table | TagEnd::BlockQuote(_),
            ) => end_block(&mut text),
            Event::End(TagEnd::Item | TagEnd::TableRow | TagEnd::TableHead)
                if !text.ends_with('\n') =>
            {
                text.push('\n')
            }
            Event::Start(Tag::Item) => text.push_str("• "),
            Event::End(TagEnd::TableCell) => text.push_str(" | "),
            Event::End(TagEnd::List(_)) => end_block(&mut text),
            // Raw HTML tags are markup; the text between them arrives as Text events.
            _ => {}
        }
    }
    let text = text.trim_end().to_owned();
    // Sections that start past the end (a trailing empty heading) point at the end.
    for s in &mut sections {
        s.offset = s.offset.min(text.len());
    }
    Extracted {
        title: title_from_meta
            .or(first_h1)
            .unwrap_or_else(|| fallback_title.to_owned()),
        text,
        sections,
        ..Extracted::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_front_matter_headings_and_liquid() {
        let src = "---\ntitle: Leave types\nkeywords: vacation\n---\n\n{% alert %}\nCheck the chart.\n{% endalert %}\n\n## Annual leave\n\nYou earn **4 hours** per [pay period](#x).\n\n### Carry over\n\n* up to 240 hours\n* more for SES\n\n## Sick leave\n\nFor illness.\n";
        let e = extract(DocKind::Markdown, Path::new("leave.md"), src.as_bytes()).unwrap();
        assert_eq!(e.title, "Leave types");
        assert!(!e.text.contains("{%"), "{}", e.text);
        assert!(!e.text.contains("keywords"), "{}", e.text);
        assert!(
            e.text.contains("You earn 4 hours per pay period."),
            "{}",
            e.text
        );
        assert!(e.text.contains("• up to 240 hours"), "{}", e.text);
        let paths: Vec<&str> = e.sections.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(
            paths,
            ["Annual leave", "Annual leave › Carry over", "Sick leave"]
        );
        // Offsets point at the heading text itself.
        for s in &e.sections {
            let name = s.path.rsplit(SECTION_SEPARATOR).next().unwrap();
            assert!(e.text[s.offset..].starts_with(name), "{s:?}");
        }
    }

    #[test]
    fn markdown_title_falls_back_to_h1_then_file_name() {
        let e = extract(
            DocKind::Markdown,
            Path::new("x.md"),
            b"# Travel guide\n\nBook early.",
        )
        .unwrap();
        assert_eq!(e.title, "Travel guide");
        let e = extract(
            DocKind::Markdown,
            Path::new("code-of_conduct.md"),
            b"Be kind.",
        )
        .unwrap();
        assert_eq!(e.title, "code of conduct");
    }

    #[test]
    fn plain_text_title_is_first_line() {
        let e = extract(
            DocKind::Text,
            Path::new("a.txt"),
            b"\n  NOTICE OF TERMINATION\r\nBody.",
        )
        .unwrap();
        assert_eq!(e.title, "NOTICE OF TERMINATION");
        assert!(!e.text.contains('\r'));
    }

    #[test]
    fn binary_and_empty_files_are_rejected() {
        assert_eq!(
            extract(DocKind::Text, Path::new("a.txt"), b"\x00\x01\x02binary").unwrap_err(),
            ExtractError::Binary
        );
        let garbage: Vec<u8> = (0..400).map(|i| 0x80 + (i % 60) as u8).collect();
        assert_eq!(
            extract(DocKind::Text, Path::new("a.txt"), &garbage).unwrap_err(),
            ExtractError::Binary
        );
        assert_eq!(
            extract(DocKind::Markdown, Path::new("a.md"), b"  \n\n ").unwrap_err(),
            ExtractError::Empty
        );
        assert_eq!(
            extract(
                DocKind::Markdown,
                Path::new("a.md"),
                b"---\ntitle: x\n---\n"
            )
            .unwrap_err(),
            ExtractError::Empty
        );
    }

    #[test]
    fn template_tags_are_removed_but_braces_kept() {
        assert_eq!(
            strip_template_tags("a {% x %}b{{ y }} {c} {%"),
            "a b {c} {%"
        );
    }

    #[test]
    fn detects_supported_extensions_only() {
        assert_eq!(DocKind::detect(Path::new("A.MD")), Some(DocKind::Markdown));
        assert_eq!(DocKind::detect(Path::new("a.txt")), Some(DocKind::Text));
        assert_eq!(DocKind::detect(Path::new("a.pdf")), None);
        assert_eq!(DocKind::detect(Path::new("README")), None);
    }
}
