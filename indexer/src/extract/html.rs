//! HTML: title, headings `h1`–`h6` as sections, the main text. Scripts,
//! styles, navigation, page headers and footers are dropped; when the page
//! marks its main content (`<main>`, `role="main"`, a single `<article>`),
//! only that is read.

use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node, Selector};

use super::{ExtractError, Extracted, TextBuilder};

/// Elements whose content is not document text.
const SKIP: &[&str] = &[
    "script", "style", "nav", "header", "footer", "noscript", "template", "svg", "iframe",
    "object", "select", "button", "head", "canvas", "math",
];

/// Elements that start and end a paragraph-like block.
const BLOCK: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "aside",
    "ul",
    "ol",
    "dl",
    "dd",
    "dt",
    "table",
    "blockquote",
    "figure",
    "figcaption",
    "address",
    "form",
    "fieldset",
    "details",
    "summary",
    "hr",
    "body",
];

/// Decodes HTML bytes: UTF-8, or the charset the page declares, or Windows-1252.
pub(super) fn decode(bytes: &[u8]) -> Result<String, ExtractError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_owned());
    }
    if bytes.iter().filter(|&&b| b == 0).count() > bytes.len() / 100 {
        return Err(ExtractError::Binary);
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    let encoding = head
        .find("charset=")
        .map(|i| {
            head[i + 8..]
                .trim_start_matches(['"', '\''])
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
        .unwrap_or(encoding_rs::WINDOWS_1252);
    Ok(encoding.decode(bytes).0.into_owned())
}

pub(super) fn extract(src: &str, fallback_title: &str) -> Extracted {
    let html = Html::parse_document(src);
    let select = |css: &str| Selector::parse(css).expect("valid selector");
    let title = html
        .select(&select("title"))
        .next()
        .map(|t| t.text().collect::<String>())
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty());
    let articles: Vec<ElementRef<'_>> = html.select(&select("article")).collect();
    let root = html
        .select(&select("main, [role=main]"))
        .next()
        .or_else(|| (articles.len() == 1).then(|| articles[0]))
        .or_else(|| html.select(&select("body")).next())
        .unwrap_or_else(|| html.root_element());

    let mut out = TextBuilder::default();
    let mut skip_depth = 0usize;
    let mut pre_depth = 0usize;
    let mut heading: Option<(u8, String)> = None;
    let mut first_h1 = None;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) => {
                    let name = e.name();
                    if skip_depth > 0
                        || SKIP.contains(&name)
                        || e.attr("hidden").is_some()
                        || e.attr("aria-hidden") == Some("true")
                    {
                        skip_depth += 1;
                        continue;
                    }
                    match name {
                        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                            heading = Some((name.as_bytes()[1] - b'0', String::new()));
                        }
                        "br" => out.line_break(),
                        "li" | "tr" => out.line_break(),
                        "td" | "th" if !out.at_line_start() => out.push_raw(" | "),
                        "pre" => {
                            out.end_block();
                            pre_depth += 1;
                        }
                        n if BLOCK.contains(&n) => out.end_block(),
                        _ => {}
                    }
                }
                Node::Text(t) if skip_depth == 0 => match &mut heading {
                    Some((_, buf)) => buf.push_str(t),
                    None if pre_depth > 0 => out.push_raw(t),
                    None => out.push_inline(t),
                },
                _ => {}
            },
            Edge::Close(node) => {
                let Node::Element(e) = node.value() else {
                    continue;
                };
                if skip_depth > 0 {
                    skip_depth -= 1;
                    continue;
                }
                match e.name() {
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                        if let Some((level, name)) = heading.take() {
                            if level == 1 && first_h1.is_none() && !name.trim().is_empty() {
                                first_h1 =
                                    Some(name.split_whitespace().collect::<Vec<_>>().join(" "));
                            }
                            out.heading(level, &name);
                        }
                    }
                    "li" | "tr" => out.line_break(),
                    "pre" => {
                        pre_depth = pre_depth.saturating_sub(1);
                        out.end_block();
                    }
                    n if BLOCK.contains(&n) => out.end_block(),
                    _ => {}
                }
            }
        }
    }
    let (text, sections) = out.finish();
    Extracted {
        title: title
            .or(first_h1)
            .unwrap_or_else(|| fallback_title.to_owned()),
        text,
        sections,
        ..Extracted::default()
    }
}

/// Plain text of an HTML fragment (e-mail bodies).
pub(super) fn to_text(src: &str) -> String {
    extract(src, "").text
}
