//! RTF (Rich Text Format): paragraphs, headings (paragraph styles named
//! "heading N" or "Title", or with an outline level) as sections, tables as
//! `cell | cell` rows, list items as `• ` lines; title, author and creation
//! date from the `\info` group. Also the bodies Outlook keeps only as
//! compressed RTF ([MS-OXRTFCP]), HTML wrapped in RTF ([MS-OXRTFEX],
//! `\fromhtml1`) read back as the HTML it wraps.
//!
//! Read here, in one pass over the bytes with an explicit group stack,
//! rather than by the `rtf-parser` crate (0.4.3, the only maintained RTF
//! reader on crates.io): that crate tokenizes recursively (a deep file
//! overflows the stack, which aborts the process: no `catch_unwind` contains
//! it), unwraps the UTF-16 of `\u` escapes (an unpaired surrogate panics),
//! reads `\'hh` as Latin-1 whatever the code page, and knows no paragraph
//! styles, so headings would be lost.
//!
//! What is skipped: the font, colour, list and style tables (the last read
//! for heading styles), pictures and objects (`\bin` data jumped over),
//! headers, footers, footnotes, comments, field instructions (their shown
//! result is kept), hidden text (`\v`), and every `{\*\…}` destination the
//! reader does not know, as the specification asks. Text is decoded in the
//! code page of the document (`\ansicpg`) or of the current font
//! (`\fcharset`, `\cpg`); `\uN` escapes are Unicode, their fallback
//! characters (`\ucN`) dropped. Groups nested past [`MAX_DEPTH`] share the
//! state of the last one kept, so memory stays bounded by the depth, not
//! the file.

use std::collections::HashMap;

use encoding_rs::Encoding;

use super::{ExtractError, Extracted, FormatMeta, SectionStart, TextBuilder, unix_seconds};

/// Groups nested deeper than this keep their parent's state.
const MAX_DEPTH: usize = 512;

/// Letters of a control word read at most (the specification's limit).
const MAX_WORD: usize = 32;

/// Fallback characters after `\uN` skipped at most (`\ucN`).
const MAX_UC: i32 = 16;

/// Where the text of a group goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    Body,
    Skip,
    FontTable,
    StyleSheet,
    Info,
    InfoTitle,
    InfoAuthor,
    InfoCreated,
    /// `{\*\htmltag …}`: HTML of an encapsulated message.
    HtmlTag,
}

/// Destinations that hold no text of the document.
const SKIPPED: &[&[u8]] = &[
    b"colortbl",
    b"pict",
    b"object",
    b"objdata",
    b"header",
    b"headerl",
    b"headerr",
    b"headerf",
    b"footer",
    b"footerl",
    b"footerr",
    b"footerf",
    b"footnote",
    b"annotation",
    b"fldinst",
    b"listtable",
    b"listoverridetable",
    b"leveltext",
    b"levelnumbers",
    b"listtext",
    b"pntext",
    b"pntxta",
    b"pntxtb",
    b"revtbl",
    b"rsidtbl",
    b"filetbl",
    b"nonshppict",
    b"sp",
    b"xe",
    b"tc",
    b"txe",
    b"ftnsep",
    b"ftnsepc",
    b"aftnsep",
    b"aftnsepc",
    b"docvar",
    b"userprops",
    b"template",
    b"datafield",
    b"themedata",
    b"colorschememapping",
    b"latentstyles",
    b"datastore",
    b"xmlnstbl",
    b"mmathPr",
];

/// Group state, saved at `{` and restored at `}`.
#[derive(Debug, Clone, Copy)]
struct Group {
    dest: Dest,
    /// Fallback characters that follow each `\uN`.
    uc: usize,
    font: Option<i32>,
    /// `\v`: hidden text.
    hidden: bool,
    /// `\htmlrtf`: text only for RTF readers, not part of the wrapped HTML.
    htmlrtf: bool,
}

/// A font table or stylesheet entry being read.
#[derive(Debug, Default)]
struct Entry {
    number: Option<i32>,
    encoding: Option<&'static Encoding>,
    outline: Option<i32>,
    /// A character, section or table style: never a heading.
    not_paragraph: bool,
    name: String,
}

/// What a paragraph style means for structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Title,
    Heading(u8),
}

/// Properties of the paragraph being read (not scoped to groups: `\pard`
/// resets them).
#[derive(Debug, Default)]
struct Para {
    style: i32,
    outline: Option<i32>,
    in_table: bool,
    list: bool,
}

#[derive(Debug, Default)]
struct Info {
    title: String,
    author: String,
    /// `\yr \mo \dy \hr \min` of `\creatim`.
    created: [i64; 5],
}

struct Reader<'a> {
    src: &'a [u8],
    pos: usize,
    stack: Vec<Group>,
    /// Groups opened past [`MAX_DEPTH`] and not closed yet.
    overflow: usize,
    doc_encoding: &'static Encoding,
    default_font: Option<i32>,
    fonts: HashMap<i32, &'static Encoding>,
    styles: HashMap<i32, Role>,
    entry: Entry,
    /// Code-page bytes not decoded yet (a double-byte character comes as two `\'hh`).
    pending: Vec<u8>,
    high_surrogate: Option<u16>,
    /// Fallback characters of the last `\uN` still to skip.
    skip_fallback: usize,
    /// The next control word follows `\*`.
    starred: bool,
    para: Para,
    para_text: String,
    cell: String,
    row: Vec<String>,
    in_table: bool,
    out: TextBuilder,
    title: Option<String>,
    info: Info,
    /// `Some` when reading the HTML an Outlook message wrapped in RTF.
    html: Option<String>,
    max_text: u64,
}

impl<'a> Reader<'a> {
    fn new(src: &'a [u8], max_text: u64, html: bool) -> Self {
        Self {
            src,
            pos: 0,
            stack: vec![Group {
                dest: Dest::Body,
                uc: 1,
                font: None,
                hidden: false,
                htmlrtf: false,
            }],
            overflow: 0,
            doc_encoding: encoding_rs::WINDOWS_1252,
            default_font: None,
            fonts: HashMap::new(),
            styles: HashMap::new(),
            entry: Entry::default(),
            pending: Vec::new(),
            high_surrogate: None,
            skip_fallback: 0,
            starred: false,
            para: Para::default(),
            para_text: String::new(),
            cell: String::new(),
            row: Vec::new(),
            in_table: false,
            out: TextBuilder::default(),
            title: None,
            info: Info::default(),
            html: html.then(String::new),
            max_text,
        }
    }

    fn group(&self) -> Group {
        // The stack always holds the document's own state.
        self.stack.last().copied().unwrap_or(Group {
            dest: Dest::Body,
            uc: 1,
            font: None,
            hidden: false,
            htmlrtf: false,
        })
    }

    fn group_mut(&mut self) -> Option<&mut Group> {
        if self.overflow > 0 {
            // Past the depth limit, changes would outlive their group.
            return None;
        }
        self.stack.last_mut()
    }

    fn run(&mut self) -> Result<(), ExtractError> {
        while let Some(&b) = self.src.get(self.pos) {
            self.pos += 1;
            match b {
                b'{' => {
                    self.flush()?;
                    self.skip_fallback = 0;
                    if self.stack.len() >= MAX_DEPTH || self.overflow > 0 {
                        self.overflow += 1;
                    } else {
                        let g = self.group();
                        self.stack.push(g);
                    }
                }
                b'}' => {
                    self.flush()?;
                    self.skip_fallback = 0;
                    self.close_group();
                    if self.stack.is_empty() {
                        // The document's group is closed: what follows is not RTF.
                        break;
                    }
                }
                b'\\' => self.control()?,
                b'\r' | b'\n' | 0 => {}
                _ => self.byte(b)?,
            }
        }
        self.flush()?;
        Ok(())
    }

    fn close_group(&mut self) {
        if self.overflow > 0 {
            self.overflow -= 1;
            return;
        }
        let Some(closed) = self.stack.pop() else {
            return;
        };
        if matches!(closed.dest, Dest::FontTable | Dest::StyleSheet) {
            self.commit_entry(closed.dest);
        }
    }

    /// A text byte in the current code page.
    fn byte(&mut self, b: u8) -> Result<(), ExtractError> {
        if self.skip_fallback > 0 {
            self.skip_fallback -= 1;
            return Ok(());
        }
        self.pending.push(b);
        if self.pending.len() >= 4096 {
            self.flush()?;
        }
        Ok(())
    }

    fn encoding(&self) -> &'static Encoding {
        self.group()
            .font
            .or(self.default_font)
            .and_then(|f| self.fonts.get(&f).copied())
            .unwrap_or(self.doc_encoding)
    }

    /// Decodes the pending bytes and routes the text.
    fn flush(&mut self) -> Result<(), ExtractError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::take(&mut self.pending);
        let (text, _) = self.encoding().decode_without_bom_handling(&bytes);
        self.text(&text)
    }

    fn text(&mut self, s: &str) -> Result<(), ExtractError> {
        if self.high_surrogate.take().is_some() {
            self.route("\u{FFFD}")?;
        }
        self.route(s)
    }

    fn route(&mut self, s: &str) -> Result<(), ExtractError> {
        let g = self.group();
        match g.dest {
            Dest::Body if g.hidden => {}
            Dest::Body => match self.html.as_mut() {
                Some(html) if !g.htmlrtf => html.push_str(s),
                Some(_) => {}
                None => self.para_text.push_str(s),
            },
            Dest::HtmlTag => {
                if let Some(html) = self.html.as_mut() {
                    html.push_str(s);
                }
            }
            Dest::FontTable | Dest::StyleSheet => {
                for (i, part) in s.split(';').enumerate() {
                    if i > 0 {
                        self.commit_entry(g.dest);
                    }
                    self.entry.name.push_str(part);
                }
            }
            Dest::InfoTitle => self.info.title.push_str(s),
            Dest::InfoAuthor => self.info.author.push_str(s),
            Dest::Skip | Dest::Info | Dest::InfoCreated => {}
        }
        let held = self.out.len() + self.para_text.len() + self.cell.len();
        let held = held + self.html.as_ref().map_or(0, String::len);
        if held as u64 > self.max_text {
            return Err(ExtractError::TooMuchText(self.max_text));
        }
        Ok(())
    }

    fn commit_entry(&mut self, dest: Dest) {
        let e = std::mem::take(&mut self.entry);
        match dest {
            Dest::FontTable => {
                if let (Some(n), Some(enc)) = (e.number, e.encoding) {
                    self.fonts.insert(n, enc);
                }
            }
            Dest::StyleSheet if !e.not_paragraph => {
                let name = e.name.trim().to_lowercase();
                let role = if let Some(l) = e.outline.filter(|l| (0..9).contains(l)) {
                    Some(Role::Heading(l as u8 + 1))
                } else if name == "title" {
                    Some(Role::Title)
                } else {
                    name.strip_prefix("heading ")
                        .and_then(|n| n.trim().parse::<u8>().ok())
                        .map(|l| Role::Heading(l.clamp(1, 9)))
                };
                if let Some(role) = role {
                    self.styles.insert(e.number.unwrap_or(0), role);
                }
            }
            _ => {}
        }
    }

    /// After a backslash.
    fn control(&mut self) -> Result<(), ExtractError> {
        let Some(&c) = self.src.get(self.pos) else {
            return Ok(());
        };
        if c.is_ascii_alphabetic() {
            let start = self.pos;
            while self.src.get(self.pos).is_some_and(u8::is_ascii_alphabetic) {
                self.pos += 1;
            }
            let word = &self.src[start..self.pos.min(start + MAX_WORD)];
            let mut param: Option<i32> = None;
            let negative = self.src.get(self.pos) == Some(&b'-');
            let digits_at = self.pos + usize::from(negative);
            let mut end = digits_at;
            while self.src.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if end > digits_at {
                // At most ten digits count; the value saturates.
                let v = self.src[digits_at..end.min(digits_at + 10)]
                    .iter()
                    .fold(0i64, |v, d| v * 10 + i64::from(d - b'0'));
                let v = if negative { -v } else { v };
                param = Some(v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32);
                self.pos = end;
            }
            if self.src.get(self.pos) == Some(&b' ') {
                self.pos += 1;
            }
            let word = word.to_vec();
            return self.word(&word, param);
        }
        self.pos += 1;
        match c {
            b'\'' => {
                let hex = self.src.get(self.pos..self.pos + 2);
                let byte = hex
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(b) = byte {
                    self.pos += 2;
                    if self.group().dest != Dest::Skip {
                        self.byte(b)?;
                    }
                }
            }
            b'*' => self.starred = true,
            b'{' | b'}' | b'\\' => self.byte(c)?,
            b'~' => self.symbol("\u{A0}")?,
            b'_' => self.symbol("\u{2011}")?,
            b'-' => {} // optional hyphen
            b'\r' | b'\n' => self.word(b"par", None)?,
            b'\t' => self.word(b"tab", None)?,
            _ => {}
        }
        Ok(())
    }

    /// A character given by a control symbol or word.
    fn symbol(&mut self, s: &str) -> Result<(), ExtractError> {
        self.flush()?;
        if self.skip_fallback > 0 {
            self.skip_fallback -= 1;
            return Ok(());
        }
        self.text(s)
    }

    fn set_dest(&mut self, dest: Dest) {
        if let Some(g) = self.group_mut() {
            g.dest = dest;
        }
    }

    fn word(&mut self, word: &[u8], param: Option<i32>) -> Result<(), ExtractError> {
        self.flush()?;
        let starred = std::mem::take(&mut self.starred);
        let g = self.group();
        if word == b"bin" {
            // Binary data: jumped over whatever group it is in.
            let n = usize::try_from(param.unwrap_or(0)).unwrap_or(0);
            self.pos = self.pos.saturating_add(n).min(self.src.len());
            return Ok(());
        }
        if g.dest == Dest::Skip {
            return Ok(());
        }
        if self.skip_fallback > 0 && word != b"u" {
            // A control word stands for one fallback character.
            self.skip_fallback -= 1;
            return Ok(());
        }
        let n = param.unwrap_or(0);
        let on = param.is_none_or(|p| p != 0);
        if starred {
            let keep = word == b"htmltag" && self.html.is_some();
            self.set_dest(if keep { Dest::HtmlTag } else { Dest::Skip });
            return Ok(());
        }
        if SKIPPED.contains(&word) {
            self.set_dest(Dest::Skip);
            return Ok(());
        }
        match g.dest {
            Dest::FontTable => {
                match word {
                    b"f" => self.entry.number = Some(n),
                    b"fcharset" => self.entry.encoding = charset(n),
                    b"cpg" => self.entry.encoding = codepage(n),
                    _ => {}
                }
                return Ok(());
            }
            Dest::StyleSheet => {
                match word {
                    b"s" => self.entry.number = Some(n),
                    b"cs" | b"ds" | b"ts" | b"tsrowd" => self.entry.not_paragraph = true,
                    b"outlinelevel" => self.entry.outline = Some(n),
                    _ => {}
                }
                return Ok(());
            }
            Dest::Info | Dest::InfoTitle | Dest::InfoAuthor | Dest::InfoCreated => {
                match (g.dest, word) {
                    (_, b"title") => self.set_dest(Dest::InfoTitle),
                    (_, b"author") => self.set_dest(Dest::InfoAuthor),
                    (_, b"creatim") => self.set_dest(Dest::InfoCreated),
                    (Dest::InfoCreated, w) => {
                        let at = [&b"yr"[..], b"mo", b"dy", b"hr", b"min"]
                            .iter()
                            .position(|k| *k == w);
                        if let Some(i) = at {
                            self.info.created[i] = i64::from(n);
                        }
                    }
                    (Dest::Info, _) => self.set_dest(Dest::Skip),
                    _ => {}
                }
                return Ok(());
            }
            _ => {}
        }
        match word {
            b"fonttbl" => self.set_dest(Dest::FontTable),
            b"stylesheet" => self.set_dest(Dest::StyleSheet),
            b"info" => self.set_dest(Dest::Info),
            b"ansicpg" => {
                if let Some(e) = codepage(n) {
                    self.doc_encoding = e;
                }
            }
            b"mac" => self.doc_encoding = encoding_rs::MACINTOSH,
            b"deff" => self.default_font = Some(n),
            b"f" => {
                if let Some(g) = self.group_mut() {
                    g.font = Some(n);
                }
            }
            b"uc" => {
                if let Some(g) = self.group_mut() {
                    g.uc = n.clamp(0, MAX_UC) as usize;
                }
            }
            b"u" => self.unicode(n)?,
            b"v" => {
                if let Some(g) = self.group_mut() {
                    g.hidden = on;
                }
            }
            b"plain" => {
                if let Some(g) = self.group_mut() {
                    g.hidden = false;
                }
            }
            b"htmlrtf" => {
                if let Some(g) = self.group_mut() {
                    g.htmlrtf = on;
                }
            }
            b"pard" => self.para = Para::default(),
            b"s" => self.para.style = n,
            b"outlinelevel" => self.para.outline = Some(n),
            b"intbl" => self.para.in_table = true,
            b"ls" | b"ilvl" => self.para.list = true,
            b"par" | b"sect" => self.end_paragraph()?,
            b"line" | b"page" => self.break_text("\r\n", " ")?,
            b"tab" => self.break_text("\t", "\t")?,
            b"cell" => self.end_cell(),
            b"nestcell" => self.para_text.push(' '),
            b"row" => self.end_row()?,
            b"emdash" => self.text("\u{2014}")?,
            b"endash" => self.text("\u{2013}")?,
            b"bullet" => self.text("\u{2022}")?,
            b"lquote" => self.text("\u{2018}")?,
            b"rquote" => self.text("\u{2019}")?,
            b"ldblquote" => self.text("\u{201C}")?,
            b"rdblquote" => self.text("\u{201D}")?,
            b"emspace" | b"enspace" | b"qmspace" => self.text(" ")?,
            _ => {}
        }
        Ok(())
    }

    /// `\line`, `\tab`, `\page`: a character of the HTML, or of the paragraph.
    fn break_text(&mut self, html: &str, text: &str) -> Result<(), ExtractError> {
        let g = self.group();
        if self.html.is_some() {
            if g.dest == Dest::HtmlTag || !g.htmlrtf {
                self.route(html)?;
            }
            return Ok(());
        }
        self.text(text)
    }

    fn unicode(&mut self, n: i32) -> Result<(), ExtractError> {
        self.skip_fallback = self.group().uc;
        // Values past 32767 are written negative.
        let Ok(unit) = u16::try_from(if n < 0 { n + 65_536 } else { n }) else {
            return Ok(());
        };
        let c = match unit {
            0xD800..=0xDBFF => {
                if self.high_surrogate.replace(unit).is_some() {
                    self.route("\u{FFFD}")?;
                }
                return Ok(());
            }
            0xDC00..=0xDFFF => match self.high_surrogate.take() {
                Some(high) => char::decode_utf16([high, unit])
                    .next()
                    .and_then(Result::ok)
                    .unwrap_or('\u{FFFD}'),
                None => '\u{FFFD}',
            },
            _ => char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}'),
        };
        let mut buf = [0u8; 4];
        self.text(c.encode_utf8(&mut buf))
    }

    fn role(&self) -> Option<Role> {
        match self.para.outline {
            Some(l) if (0..9).contains(&l) => Some(Role::Heading(l as u8 + 1)),
            _ => self.styles.get(&self.para.style).copied(),
        }
    }

    fn end_paragraph(&mut self) -> Result<(), ExtractError> {
        if let Some(html) = self.html.as_mut() {
            let g = self.stack.last().copied();
            if g.is_some_and(|g| g.dest == Dest::HtmlTag || (g.dest == Dest::Body && !g.htmlrtf)) {
                html.push_str("\r\n");
            }
            return Ok(());
        }
        let text = std::mem::take(&mut self.para_text);
        if self.para.in_table {
            if !text.trim().is_empty() {
                self.cell.push(' ');
                self.cell.push_str(&text);
            }
            return Ok(());
        }
        self.end_table()?;
        if text.trim().is_empty() {
            return Ok(());
        }
        match self.role() {
            Some(Role::Heading(level)) => self.out.heading(level, &text),
            Some(Role::Title) if self.title.is_none() => {
                self.title = Some(text.split_whitespace().collect::<Vec<_>>().join(" "));
                self.out.push_inline(&text);
                self.out.end_block();
            }
            _ if self.para.list => {
                self.out.push_raw("• ");
                self.out.push_inline(&text);
                self.out.line_break();
            }
            _ => {
                self.out.push_inline(&text);
                self.out.end_block();
            }
        }
        Ok(())
    }

    fn end_cell(&mut self) {
        if self.html.is_some() {
            return;
        }
        let mut cell = std::mem::take(&mut self.cell);
        cell.push(' ');
        cell.push_str(&std::mem::take(&mut self.para_text));
        self.row.push(cell);
    }

    fn end_row(&mut self) -> Result<(), ExtractError> {
        if self.html.is_some() {
            return Ok(());
        }
        if !self.para_text.trim().is_empty() || !self.cell.trim().is_empty() {
            self.end_cell();
        }
        let cells: Vec<String> = std::mem::take(&mut self.row)
            .iter()
            .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|c| !c.is_empty())
            .collect();
        if cells.is_empty() {
            return Ok(());
        }
        if !self.in_table {
            self.out.end_block();
            self.in_table = true;
        }
        self.out.push_inline(&cells.join(" | "));
        self.out.line_break();
        Ok(())
    }

    fn end_table(&mut self) -> Result<(), ExtractError> {
        if !self.row.is_empty() || !self.cell.trim().is_empty() {
            self.end_row()?;
        }
        if self.in_table {
            self.out.end_block();
            self.in_table = false;
        }
        Ok(())
    }

    /// The last paragraph, which may lack its `\par`.
    fn finish(&mut self) -> Result<(), ExtractError> {
        if self.html.is_none() {
            self.para.in_table = false;
            self.end_paragraph()?;
            self.end_table()?;
        }
        Ok(())
    }
}

/// The encoding of a Windows code page, where `encoding_rs` has it.
fn codepage(n: i32) -> Option<&'static Encoding> {
    Some(match n {
        65001 => encoding_rs::UTF_8,
        932 => encoding_rs::SHIFT_JIS,
        936 => encoding_rs::GBK,
        949 => encoding_rs::EUC_KR,
        950 => encoding_rs::BIG5,
        866 => encoding_rs::IBM866,
        874 => encoding_rs::WINDOWS_874,
        1250..=1258 => return Encoding::for_label(format!("windows-{n}").as_bytes()),
        10000 => encoding_rs::MACINTOSH,
        20866 => encoding_rs::KOI8_R,
        28591..=28606 => return Encoding::for_label(format!("iso-8859-{}", n - 28590).as_bytes()),
        _ => return None,
    })
}

/// The code page of a font's `\fcharset`; `None` for the document's own.
fn charset(n: i32) -> Option<&'static Encoding> {
    codepage(match n {
        77 => 10000,
        128 => 932,
        129 => 949,
        134 => 936,
        136 => 950,
        161 => 1253,
        162 => 1254,
        163 => 1258,
        177 => 1255,
        178 => 1256,
        186 => 1257,
        204 => 1251,
        222 => 874,
        238 => 1250,
        _ => return None,
    })
}

/// Whether `bytes` start like an RTF document (after a BOM or blank space).
pub(super) fn is_rtf(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    b[n..].starts_with(b"{\\rtf")
}

pub(super) fn extract(
    bytes: &[u8],
    fallback_title: &str,
    max_text: u64,
) -> Result<Extracted, ExtractError> {
    if !is_rtf(bytes) {
        return Err(ExtractError::Corrupt(
            "not an RTF document: no {\\rtf header".to_owned(),
        ));
    }
    let mut r = Reader::new(bytes, max_text, false);
    r.run()?;
    r.finish()?;
    let title = r.title.take();
    let info_title = clean(&r.info.title);
    let author = clean(&r.info.author);
    let [y, mo, d, h, mi] = r.info.created;
    let (text, sections): (String, Vec<SectionStart>) = std::mem::take(&mut r.out).finish();
    let title = info_title
        .or(title)
        .or_else(|| sections.first().map(|s| s.path.clone()))
        .unwrap_or_else(|| fallback_title.to_owned());
    Ok(Extracted {
        title,
        text,
        sections,
        meta: FormatMeta {
            author,
            date: unix_seconds((y, mo, d), (h, mi, 0), 0),
            ..FormatMeta::default()
        },
        ..Extracted::default()
    })
}

fn clean(s: &str) -> Option<String> {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

/// The text of an e-mail body kept as RTF: the HTML it wraps (`\fromhtml1`)
/// as text, or its own text.
pub(super) fn body_text(rtf: &[u8], max_text: u64) -> Result<String, ExtractError> {
    let head = &rtf[..rtf.len().min(2048)];
    let from_html = head.windows(10).any(|w| w == b"\\fromhtml1");
    let mut r = Reader::new(rtf, max_text, from_html);
    r.run()?;
    r.finish()?;
    if let Some(html) = r.html.take() {
        return Ok(super::html::to_text(&html));
    }
    let (text, _) = std::mem::take(&mut r.out).finish();
    Ok(text)
}

/// Decompresses an Outlook `PR_RTF_COMPRESSED` stream ([MS-OXRTFCP]): a
/// 16-byte header (sizes, `LZFu` or `MELA`, CRC) before LZ77-style runs
/// over a 4 KiB dictionary. The header is checked here first, so the
/// decoder never slices past the data or reserves more than `max` bytes.
pub(super) fn decompress(data: &[u8], max: u64) -> Result<Vec<u8>, ExtractError> {
    let bad = |why: String| ExtractError::Corrupt(format!("Outlook message RTF body: {why}"));
    let field = |at: usize| {
        data.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (Some(comp_size), Some(raw_size), Some(kind)) = (field(0), field(4), field(8)) else {
        return Err(bad(format!(
            "{} bytes, shorter than its header",
            data.len()
        )));
    };
    if u64::from(comp_size) + 4 != data.len() as u64 {
        return Err(bad(format!(
            "header says {} bytes follow it, the stream holds {}",
            comp_size,
            data.len().saturating_sub(4)
        )));
    }
    if u64::from(raw_size) > max {
        return Err(ExtractError::TooLarge(format!(
            "Outlook message RTF body declares {raw_size} bytes (limit max_unpacked_bytes)"
        )));
    }
    const UNCOMPRESSED: u32 = 0x414C_454D; // "MELA"
    if kind == UNCOMPRESSED && u64::from(raw_size) + 16 > data.len() as u64 {
        return Err(bad(format!("{raw_size} bytes declared past the end")));
    }
    let text = compressed_rtf::decompress_rtf(data).map_err(|e| bad(e.to_string()))?;
    // The crate maps each byte to the character of the same number.
    Ok(text
        .chars()
        .map(|c| u8::try_from(c).unwrap_or(b'?'))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(rtf: &str) -> Extracted {
        extract(rtf.as_bytes(), "fallback", 1 << 20).unwrap()
    }

    #[test]
    fn control_words_groups_and_escapes() {
        let d = text(
            r#"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\froman Times;}{\f1\fcharset204 Arial Cyr;}}{\colortbl;\red0\green0\blue0;}
{\info{\title Leave policy}{\author Jane Doe}{\creatim\yr2024\mo5\dy1\hr9\min30}}
\pard\plain Caf\'e9 {\b bold} \{braces\} back\\slash\par
\pard {\f1 \'cf\'f0\'e8\'e2\'e5\'f2}\par
\pard\uc1 smart \u8220?quotes\u8221? and \u-4064?x and a pair \uc0 \u55356\uc1 \u57281\'3f done\par
{\*\unknowndest skipped text}{\pict\pngblip\bin4 {}}}}Visible {\v hidden }after\par
{\field{\*\fldinst HYPERLINK "http://x"}{\fldrslt link text}}\par
}"#,
        );
        assert_eq!(d.title, "Leave policy");
        assert_eq!(d.meta.author.as_deref(), Some("Jane Doe"));
        assert_eq!(
            d.meta.date,
            super::super::parse_iso_date("2024-05-01T09:30:00Z")
        );
        let lines: Vec<&str> = d.text.split("\n\n").collect();
        assert_eq!(
            lines,
            [
                "Café bold {braces} back\\slash",
                "Привет",
                "smart \u{201C}quotes\u{201D} and \u{F020}x and a pair 🏁 done",
                "Visible after",
                "link text",
            ],
            "{}",
            d.text
        );
    }

    #[test]
    fn styles_make_sections_and_tables_rows() {
        let d = text(
            r"{\rtf1{\stylesheet{\s0 Normal;}{\s1\outlinelevel0 heading 1;}{\s2 Heading 2;}{\s3 Title;}{\*\cs10 Heading 3;}}
\pard\s3 Handbook\par
\pard\s1 Leave\par
\pard Annual leave is 26 days.\par
\pard\s2 Parental\par
\pard\intbl Type\cell Days\cell\row
\pard\intbl Annual\cell 26\par more\cell\row
\pard\ls1 {\listtext\'95\tab}First item\par
\pard\ls1 Second item\par
\pard\outlinelevel0 Conduct\par
\pard Be kind.}",
        );
        assert_eq!(d.title, "Handbook");
        let paths: Vec<&str> = d.sections.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(paths, ["Leave", "Leave › Parental", "Conduct"]);
        assert_eq!(
            d.text,
            "Handbook\n\nLeave\n\nAnnual leave is 26 days.\n\nParental\n\nType | Days\nAnnual | 26 more\n\n• First item\n• Second item\n\nConduct\n\nBe kind."
        );
    }

    #[test]
    fn html_wrapped_in_rtf_reads_as_the_html() {
        let rtf = br"{\rtf1\ansi\ansicpg1252\fromhtml1 \deff0{\fonttbl{\f0\fswiss Arial;}}
{\*\htmltag19 <html>}{\*\htmltag34 <head>}{\*\htmltag161 <title>}\htmlrtf {\htmlrtf0 Subject line}\htmlrtf0{\*\htmltag169 </title>}{\*\htmltag41 </head>}
{\*\htmltag50 <body>}\htmlrtf \pard\plain\htmlrtf0{\*\htmltag64 <p>}Severance is paid \htmlrtf\par\htmlrtf0 in a lump &amp; sum.{\*\htmltag72 </p>}
{\*\htmltag58 </body>}{\*\htmltag27 </html>}}";
        let t = body_text(rtf, 1 << 20).unwrap();
        assert!(t.contains("Severance is paid in a lump & sum."), "{t:?}");
        // Read as plain RTF instead, the same words are there (the tags are skipped).
        let plain = extract(rtf, "x", 1 << 20).unwrap();
        assert!(plain.text.contains("Severance is paid"), "{:?}", plain.text);
        assert!(!plain.text.contains("<p>"), "{:?}", plain.text);
    }

    #[test]
    fn the_specification_examples_decompress() {
        // [MS-OXRTFCP] 3.1.1 and 3.1.3.
        let simple: &[u8] = &[
            0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5,
            0xc7, 0xa7, 0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42,
            0x32, 0x0a, 0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0,
            0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f, 0xa0,
        ];
        let rtf = decompress(simple, 1 << 20).unwrap();
        assert_eq!(rtf, b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n");
        assert_eq!(body_text(&rtf, 1 << 20).unwrap(), "hello world");
        let crossing: &[u8] = &[
            0x1a, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xe2, 0xd4,
            0x4b, 0x51, 0x41, 0x00, 0x04, 0x20, 0x57, 0x58, 0x59, 0x5a, 0x0d, 0x6e, 0x7d, 0x01,
            0x0e, 0xb0,
        ];
        assert_eq!(
            decompress(crossing, 1 << 20).unwrap(),
            b"{\\rtf1 WXYZWXYZWXYZWXYZWXYZ}"
        );
        // Damaged headers are errors, not panics or huge allocations.
        for (data, says) in [
            (&simple[..10], "shorter than its header"),
            (&simple[..40], "header says"),
        ] {
            let e = decompress(data, 1 << 20).unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
        let mut huge = simple.to_vec();
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            decompress(&huge, 1 << 20),
            Err(ExtractError::TooLarge(_))
        ));
        let mut stored = simple.to_vec();
        stored[8..12].copy_from_slice(b"MELA");
        assert!(decompress(&stored, 1 << 20).is_err());
        let mut flipped = simple.to_vec();
        flipped[30] ^= 0x10;
        assert!(decompress(&flipped, 1 << 20).is_err()); // the CRC catches it
    }

    #[test]
    fn hostile_rtf_is_bounded() {
        // A million open groups: no stack overflow, bounded state.
        let deep = format!(
            "{{\\rtf1 {}deep text{}}}",
            "{".repeat(1_000_000),
            "}".repeat(10)
        );
        assert!(text(&deep).text.contains("deep text"));
        // A group that never closes, a \bin past the end, a dangling escape.
        for src in [
            "{\\rtf1 unclosed {\\b bold",
            "{\\rtf1 text \\bin99999999999 {}",
            "{\\rtf1 end\\",
            "{\\rtf1 end\\'",
            "{\\rtf1 \\u-99999999999?\\u99999 \\uc99999999 \\u55357 x}",
            "{\\rtf1 \\aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa99999999999999999999 y}",
        ] {
            let _ = extract(src.as_bytes(), "x", 1 << 20);
            let _ = body_text(src.as_bytes(), 1 << 20);
        }
        // The text budget holds.
        let long = format!("{{\\rtf1 {}}}", "word ".repeat(1000));
        assert_eq!(
            extract(long.as_bytes(), "x", 100).unwrap_err(),
            ExtractError::TooMuchText(100)
        );
    }

    /// [MS-OXRTFCP]'s CRC: CRC-32's table, initial value 0, no final XOR.
    fn crc(data: &[u8]) -> u32 {
        data.iter().fold(0u32, |crc, &b| {
            let mut c = (crc ^ u32::from(b)) & 0xFF;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
            c ^ (crc >> 8)
        })
    }

    /// A compressed-RTF stream around `body` with a header that passes every check.
    fn framed(body: &[u8], raw_size: u32) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(body.len() as u32 + 12).to_le_bytes());
        out.extend_from_slice(&raw_size.to_le_bytes());
        out.extend_from_slice(b"LZFu");
        out.extend_from_slice(&crc(body).to_le_bytes());
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn the_crc_matches_the_specification() {
        let simple = framed(
            &[
                0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a,
                0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64,
                0x7d, 0x0a, 0x80, 0x0f, 0xa0,
            ],
            0x2b,
        );
        assert_eq!(&simple[12..16], &[0xf1, 0xc5, 0xc7, 0xa7]);
    }

    const SAMPLE: &[u8] = include_bytes!("../../tests/fixtures/rtf/expense-reimbursement.rtf");

    use proptest::prelude::*;

    proptest! {
        // Called directly, without the tree's catch_unwind: a panic fails the test.
        #![proptest_config(ProptestConfig {
            cases: 256,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x52_54_46),
            ..ProptestConfig::default()
        })]

        #[test]
        fn damaged_rtf_never_panics(
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..64),
            cut in any::<usize>(),
        ) {
            let b = crate::extract::tests::overwritten(SAMPLE, flips, cut);
            let _ = extract(&b, "x", 1 << 20);
            let _ = body_text(&b, 1 << 20);
        }

        #[test]
        fn arbitrary_rtf_never_panics(tail in proptest::collection::vec(
            prop_oneof![Just(b'{'), Just(b'}'), Just(b'\\'), Just(b'\''), Just(b'u'), Just(b'-'),
                        Just(b'*'), any::<u8>(), b'0'..=b'9', b'a'..=b'z'],
            0..2048,
        )) {
            let b = [&b"{\\rtf1 "[..], &tail].concat();
            let _ = extract(&b, "x", 1 << 20);
            let _ = body_text(&b, 1 << 20);
        }

        #[test]
        fn arbitrary_compressed_rtf_never_panics(
            body in proptest::collection::vec(any::<u8>(), 0..4096),
            raw_size in 0u32..100_000,
        ) {
            // Past the CRC, so the decoder itself sees the bytes.
            let _ = decompress(&framed(&body, raw_size), 1 << 20);
        }
    }
}
