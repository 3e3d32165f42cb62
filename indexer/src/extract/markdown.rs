//! Markdown: CommonMark via pulldown-cmark, headings as sections, YAML front
//! matter's `title`, Liquid template tags removed.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::{Extracted, SECTION_SEPARATOR, SectionStart};

/// Removes Liquid/Jekyll template tags (`{% … %}`, `{{ … }}`) that static-site
/// Markdown is full of; they are markup, not content. Except a tag that names a chat channel
/// (`{% slack_channel "tts-jobs" %}`), which stands in the sentence for the channel: it is
/// written as `#tts-jobs`, or "post in  on Slack" would be all that is left of where to post.
pub(super) fn strip_template_tags(src: &str) -> String {
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
            Some(end) => {
                if let Some(channel) = channel_tag(&tail[..end]) {
                    out.push('#');
                    out.push_str(channel);
                }
                rest = &tail[end..];
            }
            None => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The channel a `{% …channel "NAME" … %}` tag names.
fn channel_tag(tag: &str) -> Option<&str> {
    let inner = tag.strip_prefix("{%")?.strip_suffix("%}")?;
    let inner = inner.trim_matches(|c: char| c == '-' || c.is_whitespace());
    let (name, args) = inner.split_once(char::is_whitespace)?;
    if !name.ends_with("channel") {
        return None;
    }
    let args = args.trim_start();
    let quote = args.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &args[1..];
    let value = &value[..value.find(quote)?];
    let ok = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    ok.then_some(value)
}

fn front_matter_title(block: &str) -> Option<String> {
    block.lines().find_map(|line| {
        let value = line.strip_prefix("title:")?.trim();
        let value = value.trim_matches(|c| c == '"' || c == '\'').trim();
        (!value.is_empty()).then(|| value.to_owned())
    })
}

pub(super) fn extract(src: &str, fallback_title: &str) -> Extracted {
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
            Event::Start(Tag::Item) => {
                // a nested list's item starts its own line, not the end of its parent's text
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                text.push_str("• ")
            }
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
