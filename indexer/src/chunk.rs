//! Splitting extracted text into chunks the embedder can take whole.
//!
//! Structure first: paragraphs are packed into chunks without crossing a
//! section or page boundary (so a chunk's page is where all of it is); only a paragraph longer than the target is cut, at token
//! boundaries of the embedder's own tokenizer, with overlap.

use std::ops::Range;

use crate::extract::Extracted;

/// How big chunks are, in the embedder's tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkOptions {
    /// Chunks are packed up to this many tokens.
    pub target_tokens: usize,
    /// Tokens shared by consecutive pieces of one cut paragraph.
    pub overlap_tokens: usize,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        Self {
            target_tokens: 200,
            overlap_tokens: 32,
        }
    }
}

/// A chunk: a byte range of the extracted text and the section it lies in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub(crate) range: Range<usize>,
    pub(crate) section: Option<String>,
}

/// Byte ranges of the tokens of a string, as the embedder's tokenizer sees them.
pub(crate) type TokenSpans<'a, E> = &'a dyn Fn(&str) -> Result<Vec<Range<usize>>, E>;

/// Splits `doc` into chunks.
pub(crate) fn chunk<E>(
    doc: &Extracted,
    opts: ChunkOptions,
    spans: TokenSpans<'_, E>,
) -> Result<Vec<Chunk>, E> {
    let target = opts.target_tokens.max(8);
    let overlap = opts.overlap_tokens.min(target / 2);
    let mut chunks = Vec::new();
    let mut group: Option<(Range<usize>, usize, Option<String>)> = None;

    let mut group_page = None;
    for block in blocks(&doc.text) {
        let section = section_at(doc, block.start);
        let page = doc.page_at(block.start);
        let tokens = spans(&doc.text[block.clone()])?;
        let same_place = group_page == page;
        group_page = page;
        match group.take() {
            Some(g) if g.2 == section && same_place && g.1 + tokens.len() <= target => {
                group = Some((g.0.start..block.end, g.1 + tokens.len(), g.2));
                continue;
            }
            Some(g) => chunks.push(Chunk {
                range: g.0,
                section: g.2,
            }),
            None => {}
        }
        if tokens.len() <= target {
            group = Some((block, tokens.len(), section));
            continue;
        }
        // One paragraph longer than a chunk: cut it into overlapping token windows.
        let step = target - overlap;
        let mut first = 0;
        loop {
            let last = (first + target).min(tokens.len());
            let range = block.start + tokens[first].start..block.start + tokens[last - 1].end;
            chunks.push(Chunk {
                range,
                section: section.clone(),
            });
            if last == tokens.len() {
                break;
            }
            first += step;
        }
    }
    if let Some(g) = group {
        chunks.push(Chunk {
            range: g.0,
            section: g.2,
        });
    }
    Ok(cap_bytes(&doc.text, chunks, target * MAX_BYTES_PER_TOKEN))
}

/// A token is a few bytes of real text; more means one "token" is a run of
/// characters the tokenizer could not split (a 4 MB string without spaces is
/// one unknown token), which would otherwise make a multi-megabyte chunk.
const MAX_BYTES_PER_TOKEN: usize = 64;

/// Cuts chunks longer than `max` bytes at character boundaries.
fn cap_bytes(text: &str, chunks: Vec<Chunk>, max: usize) -> Vec<Chunk> {
    let mut out = Vec::with_capacity(chunks.len());
    for c in chunks {
        let mut start = c.range.start;
        while c.range.end - start > max {
            let mut end = start + max;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            out.push(Chunk {
                range: start..end,
                section: c.section.clone(),
            });
            start = end;
        }
        out.push(Chunk {
            range: start..c.range.end,
            section: c.section,
        });
    }
    out
}

/// Paragraph-like blocks: runs of text separated by blank lines, trimmed.
fn blocks(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let push = |out: &mut Vec<Range<usize>>, s: usize, e: usize| {
        let piece = &text[s..e];
        let lead = piece.len() - piece.trim_start().len();
        let trail = piece.len() - piece.trim_end().len();
        if s + lead < e - trail {
            out.push(s + lead..e - trail);
        }
    };
    for (i, _) in text.match_indices("\n\n") {
        if i >= start {
            push(&mut out, start, i);
            start = i + 2;
        }
    }
    push(&mut out, start, text.len());
    out
}

fn section_at(doc: &Extracted, offset: usize) -> Option<String> {
    doc.sections
        .iter()
        .take_while(|s| s.offset <= offset)
        .last()
        .map(|s| s.path.clone())
        .filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::SectionStart;

    /// Whitespace "tokenizer": enough to test packing and cutting logic.
    fn words(s: &str) -> Result<Vec<Range<usize>>, ()> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in s.char_indices() {
            match (c.is_whitespace(), start) {
                (false, None) => start = Some(i),
                (true, Some(st)) => {
                    out.push(st..i);
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(st) = start {
            out.push(st..s.len());
        }
        Ok(out)
    }

    fn doc(text: &str, sections: &[(usize, &str)]) -> Extracted {
        Extracted {
            title: "t".into(),
            text: text.into(),
            sections: sections
                .iter()
                .map(|(o, p)| SectionStart {
                    offset: *o,
                    path: (*p).into(),
                })
                .collect(),
            ..Extracted::default()
        }
    }

    fn texts(d: &Extracted, chunks: &[Chunk]) -> Vec<String> {
        chunks
            .iter()
            .map(|c| d.text[c.range.clone()].to_owned())
            .collect()
    }

    #[test]
    fn packs_paragraphs_up_to_target() {
        let d = doc("a b c\n\nd e\n\nf g h i", &[]);
        let opts = ChunkOptions {
            target_tokens: 8,
            overlap_tokens: 0,
        };
        let c = chunk(&d, opts, &words).unwrap();
        assert_eq!(texts(&d, &c), ["a b c\n\nd e", "f g h i"]);
    }

    #[test]
    fn never_crosses_a_section() {
        let text = "Intro words\n\nLeave\n\nTake leave\n\nSick\n\nSee a doctor";
        let leave = text.find("Leave").unwrap();
        let sick = text.find("Sick").unwrap();
        let d = doc(text, &[(leave, "Leave"), (sick, "Sick")]);
        let c = chunk(&d, ChunkOptions::default(), &words).unwrap();
        assert_eq!(
            texts(&d, &c),
            ["Intro words", "Leave\n\nTake leave", "Sick\n\nSee a doctor"]
        );
        let sections: Vec<_> = c.iter().map(|c| c.section.as_deref()).collect();
        assert_eq!(sections, [None, Some("Leave"), Some("Sick")]);
    }

    #[test]
    fn never_crosses_a_page() {
        let text = "one two\n\nthree four\n\nfive six";
        let mut d = doc(text, &[]);
        d.page_starts = vec![0, text.find("three").unwrap()];
        let c = chunk(&d, ChunkOptions::default(), &words).unwrap();
        assert_eq!(texts(&d, &c), ["one two", "three four\n\nfive six"]);
    }

    #[test]
    fn cuts_long_paragraph_with_overlap_and_covers_it() {
        let text: Vec<String> = (0..25).map(|i| format!("w{i}")).collect();
        let d = doc(&text.join(" "), &[]);
        let opts = ChunkOptions {
            target_tokens: 10,
            overlap_tokens: 2,
        };
        let c = chunk(&d, opts, &words).unwrap();
        let t = texts(&d, &c);
        assert_eq!(t.len(), 3);
        assert!(t[0].starts_with("w0 ") && t[0].ends_with(" w9"));
        assert!(t[1].starts_with("w8 "), "overlap of two tokens: {}", t[1]);
        assert!(t[2].ends_with("w24"));
        for piece in &t {
            assert!(words(piece).unwrap().len() <= 10);
        }
    }

    #[test]
    fn a_giant_unsplittable_token_is_cut_into_bounded_chunks() {
        // One "token" of 100 000 bytes, as a tokenizer sees a string without spaces.
        let text = format!("intro\n\n{}", "é".repeat(50_000));
        let d = doc(&text, &[]);
        let whole = |s: &str| -> Result<Vec<Range<usize>>, ()> {
            Ok(std::iter::once(0..s.len()).collect())
        };
        let chunks = chunk(&d, ChunkOptions::default(), &whole).unwrap();
        assert!(
            chunks.len() >= 100_000 / (200 * MAX_BYTES_PER_TOKEN),
            "{}",
            chunks.len()
        );
        for c in &chunks {
            assert!(c.range.len() <= 200 * MAX_BYTES_PER_TOKEN);
            assert!(text.is_char_boundary(c.range.start) && text.is_char_boundary(c.range.end));
        }
        // Nothing is lost or repeated: the pieces tile the text.
        assert_eq!(chunks[0].range.start, 0);
        assert_eq!(chunks.last().unwrap().range.end, text.len());
        for w in chunks.windows(2) {
            assert_eq!(w[0].range.end, w[1].range.start);
        }
    }

    #[test]
    fn empty_text_gives_no_chunks() {
        let d = doc("  \n\n ", &[]);
        assert!(
            chunk(&d, ChunkOptions::default(), &words)
                .unwrap()
                .is_empty()
        );
    }
}
