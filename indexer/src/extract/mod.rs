//! Text extraction: file bytes → plain text with a title, section headings,
//! page starts, format metadata and attachments.
//!
//! The format is decided from the content (magic bytes, markup) with the
//! extension as a hint, so a PDF named `.txt` is read as a PDF and an HTML
//! page saved as `.pdf` is read as HTML. Every extractor returns text whose
//! byte offsets the chunker and the UI can rely on. Failures are values
//! ([`ExtractError`]), never panics: parsers that can panic run under
//! `catch_unwind`, and [`extract_tree`] runs on a worker thread with a time
//! budget, so one bad file cannot stop or hang a run.

mod archive;
mod docx;
mod email;
mod html;
mod markdown;
mod msg;
pub(crate) mod ocr;
mod odt;
mod pdf;
mod pptx;
mod rtf;
mod sheet;
mod text;

use std::{
    collections::BTreeMap,
    panic::{AssertUnwindSafe, catch_unwind},
    path::Path,
    sync::mpsc,
    time::Duration,
};

use sha2::{Digest, Sha256};

pub(crate) use email::without_message_ids;

/// Separator between heading levels in a section path, and between a
/// container and what it contains in a document path.
pub(crate) const SECTION_SEPARATOR: &str = " › ";

/// Bumped whenever extraction output changes, so documents are re-extracted.
pub(crate) const VERSION: u32 = 8;

/// Attachments inside attachments are followed this deep.
const MAX_DEPTH: usize = 3;

/// What kind of document a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DocKind {
    /// Markdown (`.md`, `.markdown`).
    Markdown,
    /// Plain text (`.txt`, `.text`).
    Text,
    /// PDF with a text layer.
    Pdf,
    /// Word (Office Open XML) document.
    Docx,
    /// HTML page.
    Html,
    /// One e-mail message (RFC 5322 / MIME, `.eml`).
    Email,
    /// A Unix mailbox of messages (`.mbox`).
    Mbox,
    /// A zip archive; its members are child documents.
    Zip,
    /// Excel workbook (Office Open XML, `.xlsx`/`.xlsm`).
    Xlsx,
    /// Excel 97–2003 workbook (`.xls`).
    Xls,
    /// OpenDocument spreadsheet (`.ods`).
    Ods,
    /// A scanned page or photo (PNG, JPEG, TIFF), read by OCR.
    Image,
    /// PowerPoint presentation (Office Open XML, `.pptx`).
    Pptx,
    /// One Outlook message (`.msg`); shown, threaded and filtered as `email`.
    Msg,
    /// OpenDocument text (`.odt`).
    Odt,
    /// Rich Text Format (`.rtf`).
    Rtf,
}

impl DocKind {
    /// Short lowercase name, as shown to users.
    pub fn name(self) -> &'static str {
        match self {
            DocKind::Markdown => "markdown",
            DocKind::Text => "text",
            DocKind::Pdf => "pdf",
            DocKind::Docx => "docx",
            DocKind::Html => "html",
            DocKind::Email => "email",
            DocKind::Mbox => "mbox",
            DocKind::Zip => "zip",
            DocKind::Xlsx => "xlsx",
            DocKind::Xls => "xls",
            DocKind::Ods => "ods",
            DocKind::Image => "image",
            DocKind::Pptx => "pptx",
            // The same kind as an .eml: threads, custodians and filters treat them alike.
            DocKind::Msg => "email",
            DocKind::Odt => "odt",
            DocKind::Rtf => "rtf",
        }
    }

    /// The kind a file name suggests, or `None` when no extractor handles its
    /// extension. The content decides in the end (see [`DocKind::sniff`]).
    pub fn detect(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "md" | "markdown" | "mdown" => Some(DocKind::Markdown),
            "txt" | "text" => Some(DocKind::Text),
            "pdf" => Some(DocKind::Pdf),
            "docx" => Some(DocKind::Docx),
            "html" | "htm" | "xhtml" => Some(DocKind::Html),
            "eml" => Some(DocKind::Email),
            "mbox" => Some(DocKind::Mbox),
            "zip" => Some(DocKind::Zip),
            "xlsx" | "xlsm" => Some(DocKind::Xlsx),
            "xls" => Some(DocKind::Xls),
            "ods" => Some(DocKind::Ods),
            "pptx" => Some(DocKind::Pptx),
            "msg" => Some(DocKind::Msg),
            "odt" => Some(DocKind::Odt),
            "rtf" => Some(DocKind::Rtf),
            "png" | "jpg" | "jpeg" | "tif" | "tiff" => Some(DocKind::Image),
            _ => None,
        }
    }

    /// The kind of `bytes`, using `hint` (from the extension) only where the
    /// content is ambiguous (text formats).
    pub fn sniff(bytes: &[u8], hint: Option<DocKind>) -> Result<Self, ExtractError> {
        let head = &bytes[..bytes.len().min(1024)];
        if find(head, b"%PDF-").is_some() {
            return Ok(DocKind::Pdf);
        }
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            return zip_kind(bytes, hint);
        }
        if bytes.starts_with(OLE2_MAGIC) {
            return ole_kind(bytes, hint);
        }
        if image_ext(bytes).is_some() {
            return Ok(DocKind::Image);
        }
        if let Some(what) = known_binary(bytes) {
            return Err(ExtractError::Unsupported(what.to_owned()));
        }
        if rtf::is_rtf(bytes) {
            return Ok(DocKind::Rtf);
        }
        let start = trim_ascii_start(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes));
        let lower: Vec<u8> = start[..start.len().min(256)].to_ascii_lowercase();
        if lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") {
            return Ok(DocKind::Html);
        }
        match hint {
            Some(DocKind::Pdf) => {
                return Err(ExtractError::Corrupt(
                    "not a PDF: no %PDF header".to_owned(),
                ));
            }
            Some(DocKind::Docx) => {
                return Err(ExtractError::Corrupt(
                    "not a DOCX: not a zip archive".to_owned(),
                ));
            }
            Some(
                k @ (DocKind::Xlsx | DocKind::Ods | DocKind::Odt | DocKind::Pptx | DocKind::Zip),
            ) => {
                return Err(ExtractError::Corrupt(format!(
                    "not {}: not a zip archive",
                    k.name()
                )));
            }
            Some(DocKind::Xls | DocKind::Msg) => {
                return Err(ExtractError::Corrupt(
                    "not an Outlook message or Excel 97-2003 workbook: not an OLE2 compound file"
                        .to_owned(),
                ));
            }
            Some(DocKind::Image) => {
                return Err(ExtractError::Corrupt(
                    "not an image: no PNG, JPEG or TIFF signature".to_owned(),
                ));
            }
            Some(DocKind::Rtf) => {
                return Err(ExtractError::Corrupt(
                    "not an RTF document: no {\\rtf header".to_owned(),
                ));
            }
            _ => {}
        }
        if hint == Some(DocKind::Mbox) || (hint.is_none() && start.starts_with(b"From ")) {
            return Ok(DocKind::Mbox);
        }
        Ok(match hint {
            Some(k) => k,
            None if email::looks_like_headers(start) => DocKind::Email,
            None => DocKind::Text,
        })
    }
}

/// Which zip-based format `bytes` are, from the archive's members: Office
/// Open XML and OpenDocument files are zip archives told apart by their
/// parts (OOXML) or their `mimetype` member (ODF). When the central
/// directory cannot be read (a truncated file, or only the file's first
/// bytes at hand), the first member's name decides, then the extension.
fn zip_kind(bytes: &[u8], hint: Option<DocKind>) -> Result<DocKind, ExtractError> {
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        // A local file header: signature, 22 bytes of fields, name length at 26.
        let name_len = bytes
            .get(26..28)
            .map_or(0, |n| usize::from(u16::from_le_bytes([n[0], n[1]])));
        let first = bytes.get(30..30 + name_len).unwrap_or_default();
        // OpenDocument files start with a stored `mimetype` member.
        let extra_len = bytes
            .get(28..30)
            .map_or(0, |n| usize::from(u16::from_le_bytes([n[0], n[1]])));
        let data = bytes.get(30 + name_len + extra_len..).unwrap_or_default();
        let odf = |kind: &[u8]| {
            first == b"mimetype"
                && data
                    .strip_prefix(b"application/vnd.oasis.opendocument.".as_slice())
                    .is_some_and(|d| d.starts_with(kind))
        };
        let zip_based = |k: &DocKind| {
            matches!(
                k,
                DocKind::Docx | DocKind::Xlsx | DocKind::Ods | DocKind::Odt | DocKind::Pptx
            )
        };
        return Ok(if first.starts_with(b"word/") {
            DocKind::Docx
        } else if first.starts_with(b"xl/") {
            DocKind::Xlsx
        } else if first.starts_with(b"ppt/") {
            DocKind::Pptx
        } else if odf(b"text") {
            DocKind::Odt
        } else if odf(b"spreadsheet") {
            DocKind::Ods
        } else {
            hint.filter(zip_based).unwrap_or(DocKind::Zip)
        });
    };
    let has = |zip: &zip::ZipArchive<_>, name: &str| zip.index_for_name(name).is_some();
    if has(&zip, "word/document.xml") {
        return Ok(DocKind::Docx);
    }
    if has(&zip, "xl/workbook.xml") {
        return Ok(DocKind::Xlsx);
    }
    if has(&zip, "xl/workbook.bin") {
        return Err(ExtractError::Unsupported(
            "Excel binary workbook (.xlsb)".to_owned(),
        ));
    }
    if has(&zip, "ppt/presentation.xml") {
        return Ok(DocKind::Pptx);
    }
    let mut mimetype = Vec::new();
    if let Ok(f) = zip.by_name("mimetype") {
        let _ = std::io::Read::read_to_end(&mut std::io::Read::take(f, 128), &mut mimetype);
    }
    match mimetype.strip_prefix(b"application/vnd.oasis.opendocument.") {
        Some(b"spreadsheet") => Ok(DocKind::Ods),
        Some(b"text" | b"text-template") => Ok(DocKind::Odt),
        Some(other) => Err(ExtractError::Unsupported(format!(
            "OpenDocument {}",
            String::from_utf8_lossy(other)
        ))),
        None => Ok(DocKind::Zip),
    }
}

const OLE2_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Which OLE2 compound file `bytes` are, from its root streams; when the
/// directory cannot be read (only the first bytes at hand), the extension.
fn ole_kind(bytes: &[u8], hint: Option<DocKind>) -> Result<DocKind, ExtractError> {
    let Ok(cf) = cfb::CompoundFile::open(std::io::Cursor::new(bytes)) else {
        return match hint {
            Some(k @ (DocKind::Xls | DocKind::Msg)) => Ok(k),
            Some(DocKind::Docx) => Err(ExtractError::Encrypted(
                "password-protected Office document".into(),
            )),
            _ => Err(ExtractError::Unsupported(
                "OLE2 compound file (legacy Office or Outlook)".to_owned(),
            )),
        };
    };
    if cf.exists("/EncryptionInfo") || cf.exists("/EncryptedPackage") {
        return Err(ExtractError::Encrypted(
            "password-protected Office document".into(),
        ));
    }
    if cf.exists("/Workbook") || cf.exists("/Book") {
        return Ok(DocKind::Xls);
    }
    let what = if cf.exists("/WordDocument") {
        "Word 97-2003 document (.doc)"
    } else if cf.exists("/PowerPoint Document") {
        "PowerPoint 97-2003 presentation (.ppt)"
    } else if cf.exists("/__properties_version1.0") {
        return Ok(DocKind::Msg);
    } else {
        "OLE2 compound file"
    };
    Err(ExtractError::Unsupported(what.to_owned()))
}

/// The file extension tesseract expects for an image's bytes, from its
/// magic number: PNG, JPEG, TIFF (both byte orders).
fn image_ext(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG") {
        Some("png")
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("jpg")
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some("tif")
    } else {
        None
    }
}

/// Magic numbers of common formats no extractor reads.
fn known_binary(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"GIF8", "GIF image"),
        (b"\x1F\x8B", "gzip archive"),
        (b"7z\xBC\xAF", "7-Zip archive"),
        (b"Rar!", "RAR archive"),
        (b"\x7FELF", "executable"),
        (b"MZ", "executable"),
    ];
    MAGIC
        .iter()
        .find(|(m, _)| bytes.starts_with(m))
        .map(|(_, what)| *what)
}

fn trim_ascii_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Where a section starts in the extracted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SectionStart {
    /// Byte offset into [`Extracted::text`].
    pub(crate) offset: usize,
    /// Heading path, outermost first, joined by [`SECTION_SEPARATOR`].
    pub(crate) path: String,
}

/// Metadata a format records about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FormatMeta {
    pub(crate) author: Option<String>,
    /// Unix seconds (creation date, or sent date for e-mail).
    pub(crate) date: Option<i64>,
    /// Further named values, e.g. e-mail headers.
    pub(crate) extra: BTreeMap<String, String>,
}

/// A file inside a document (e-mail attachment, mailbox message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attachment {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
}

/// Writes the names of a message's attachments as the last line of its header block
/// ("Attachments: policy.pdf, notes.docx") and into its metadata: the attachment is a child
/// document that does not say which message carried it, and a reviewer asks. Nothing when it
/// has none.
pub(crate) fn name_attachments(
    attachments: &[Attachment],
    header: &mut String,
    extra: &mut BTreeMap<String, String>,
) {
    if attachments.is_empty() {
        return;
    }
    let names: Vec<&str> = attachments.iter().map(|a| a.name.as_str()).collect();
    let names = names.join(", ");
    header.push_str(&format!("Attachments: {names}\n"));
    extra.insert("attachments".to_owned(), names);
}

/// A document's text ready for chunking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Extracted {
    pub(crate) title: String,
    pub(crate) text: String,
    /// Section starts, in increasing offset order.
    pub(crate) sections: Vec<SectionStart>,
    /// Byte offsets where pages 1, 2, … begin, for paged formats; empty otherwise.
    pub(crate) page_starts: Vec<usize>,
    pub(crate) meta: FormatMeta,
    pub(crate) attachments: Vec<Attachment>,
    /// Members that could not be returned as attachments, with why (an
    /// encrypted or oversized archive member).
    pub(crate) failed: Vec<(String, ExtractError)>,
    /// Pages (1-based) whose text came from OCR.
    pub(crate) ocr_pages: Vec<u32>,
    /// Time spent on OCR.
    pub(crate) ocr_time: Duration,
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
#[non_exhaustive]
pub enum ExtractError {
    /// The file looks like binary data, not text.
    #[error("not text: looks like binary data")]
    Binary,
    /// The file has no words to index.
    #[error("no extractable text")]
    Empty,
    /// A PDF without a text layer.
    #[error("no extractable text (scanned?)")]
    NoTextLayer,
    /// The file needs a password.
    #[error("encrypted: {0}")]
    Encrypted(String),
    /// The file is damaged or not what its name says.
    #[error("corrupt: {0}")]
    Corrupt(String),
    /// A format no extractor reads.
    #[error("unsupported file type: {0}")]
    Unsupported(String),
    /// Unpacking would exceed the size limit (zip bomb guard).
    #[error("too large when unpacked: {0}")]
    TooLarge(String),
    /// The parser crashed on this file.
    #[error("extractor crashed: {0}")]
    Crashed(String),
    /// Extraction ran past the time budget.
    #[error("extraction took longer than {0} s; gave up")]
    TimedOut(u64),
    /// The extracted text is over the per-file text budget (`max_text_bytes`).
    #[error("too much text: more than {0} bytes extracted (limit max_text_bytes)")]
    TooMuchText(u64),
}

/// Limits that keep one file from using unbounded memory, and how OCR runs.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// Most bytes unpacked from one archive (DOCX) or attachment.
    pub(crate) max_unpacked: u64,
    /// Most bytes of text extracted from one file, its attachments included.
    pub(crate) max_text: u64,
    pub(crate) ocr: ocr::OcrOptions,
    /// Extra time OCR asked for, read by [`extract_tree`]'s time-out.
    pub(crate) allowance: Option<ocr::Allowance>,
}

/// Extracts `bytes`, named `name` (the name gives the extension hint and the
/// fallback title).
pub(crate) fn extract(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<(DocKind, Extracted), ExtractError> {
    let path = Path::new(name);
    let hint = DocKind::detect(path);
    let kind = DocKind::sniff(bytes, hint)?;
    let fallback_title = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("untitled")
        .replace(['_', '-'], " ");
    let extracted = match kind {
        DocKind::Markdown => markdown::extract(&text::decode_text(bytes)?, &fallback_title),
        DocKind::Text => text::extract(&text::decode_text(bytes)?, &fallback_title),
        DocKind::Html => html::extract(&html::decode(bytes)?, &fallback_title),
        DocKind::Pdf => pdf::extract(bytes, &fallback_title, limits)?,
        DocKind::Docx => docx::extract(bytes, &fallback_title, limits)?,
        DocKind::Email => email::extract(bytes, &fallback_title)?,
        DocKind::Mbox => email::extract_mbox(bytes, &fallback_title)?,
        DocKind::Zip => archive::extract(bytes, &fallback_title, limits)?,
        DocKind::Xlsx => sheet::extract_xlsx(bytes, &fallback_title, limits)?,
        DocKind::Xls => sheet::extract_xls(bytes, &fallback_title, limits)?,
        DocKind::Ods => sheet::extract_ods(bytes, &fallback_title, limits)?,
        DocKind::Image => extract_image(bytes, &fallback_title, limits)?,
        DocKind::Pptx => pptx::extract(bytes, &fallback_title, limits)?,
        DocKind::Msg => msg::extract(bytes, &fallback_title, limits)?,
        DocKind::Odt => odt::extract(bytes, &fallback_title, limits)?,
        DocKind::Rtf => rtf::extract(bytes, &fallback_title, limits.max_text)?,
    };
    if extracted.text.len() as u64 > limits.max_text {
        return Err(ExtractError::TooMuchText(limits.max_text));
    }
    let mut extracted = extracted;
    if !extracted.ocr_pages.is_empty() {
        // Shown with the document's metadata: which pages are machine-read.
        let pages: Vec<String> = extracted.ocr_pages.iter().map(u32::to_string).collect();
        extracted
            .meta
            .extra
            .insert(crate::OCR_PAGES_KEY.to_owned(), pages.join(","));
    }
    if extracted.text.trim().is_empty() {
        return Err(if kind == DocKind::Pdf {
            ExtractError::NoTextLayer
        } else {
            ExtractError::Empty
        });
    }
    Ok((kind, extracted))
}

/// An image: its OCR'd text, one page per frame of a multi-page TIFF.
fn extract_image(
    bytes: &[u8],
    fallback_title: &str,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let ext = image_ext(bytes).unwrap_or("png");
    let what = match ext {
        "png" => "PNG image",
        "jpg" => "JPEG image",
        _ => "TIFF image",
    };
    if limits.ocr.mode == ocr::OcrMode::Off {
        return Err(ExtractError::Unsupported(format!("{what} (OCR is off)")));
    }
    let allowance = limits.allowance.clone().unwrap_or_default();
    let started = std::time::Instant::now();
    let pages = ocr::image_pages(bytes, ext, &limits.ocr, &allowance)?;
    let mut text = String::new();
    let mut page_starts = Vec::with_capacity(pages.len());
    for p in &pages {
        page_starts.push(text.len());
        pdf::push_page(&mut text, p);
        if text.len() as u64 > limits.max_text {
            return Err(ExtractError::TooMuchText(limits.max_text));
        }
    }
    let text = text.trim_end().to_owned();
    for s in &mut page_starts {
        *s = (*s).min(text.len());
    }
    let n = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    Ok(Extracted {
        title: fallback_title.to_owned(),
        text,
        page_starts,
        ocr_pages: (1..=n).collect(),
        ocr_time: started.elapsed(),
        ..Extracted::default()
    })
}

/// One document of a file: the file itself or something inside it.
#[derive(Debug)]
pub(crate) struct Node {
    /// Index of the containing node; `None` for the file itself.
    pub(crate) parent: Option<usize>,
    /// Names from the file down to this node, e.g. `["report.pdf"]` for an
    /// attachment of the file; empty for the file itself.
    pub(crate) names: Vec<String>,
    pub(crate) kind: DocKind,
    pub(crate) doc: Extracted,
    /// sha256 of the node's bytes, hex.
    pub(crate) sha256: String,
    pub(crate) size: u64,
}

/// A file's documents, the file's own first; attachments that could not be
/// extracted are listed with their names and reasons.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    pub(crate) nodes: Vec<Node>,
    pub(crate) failed: Vec<(Vec<String>, ExtractError)>,
}

/// Extracts a file and, recursively, what it contains, on a worker thread.
/// Gives up after `timeout`; the worker is then left to finish on its own
/// (it cannot be killed), its result discarded.
pub(crate) fn extract_tree(
    name: String,
    bytes: Vec<u8>,
    sha256: String,
    limits: Limits,
    timeout: Duration,
) -> Result<Tree, ExtractError> {
    let (tx, rx) = mpsc::channel();
    let allowance = ocr::Allowance::default();
    let limits = Limits {
        allowance: Some(allowance.clone()),
        ..limits
    };
    let spawned = std::thread::Builder::new()
        .name("trawl-extract".into())
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| {
                extract_tree_here(&name, &bytes, sha256, &limits)
            }))
            .unwrap_or_else(|panic| Err(ExtractError::Crashed(panic_message(&*panic))));
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Err(ExtractError::Crashed(format!(
            "could not start a worker thread: {e}"
        )));
    }
    // The budget grows while OCR runs (each page grants its own budget), so
    // wait in slices and look at the deadline again after each.
    let started = std::time::Instant::now();
    loop {
        let deadline = timeout + allowance.granted();
        let left = deadline.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(ExtractError::TimedOut(deadline.as_secs()));
        }
        match rx.recv_timeout(left.min(Duration::from_millis(500))) {
            Ok(result) => return result,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(ExtractError::Crashed("worker thread died".into()));
            }
        }
    }
}

/// [`extract_tree`] on the calling thread.
pub(crate) fn extract_tree_here(
    name: &str,
    bytes: &[u8],
    sha256: String,
    limits: &Limits,
) -> Result<Tree, ExtractError> {
    let (kind, doc) = extract(name, bytes, limits)?;
    // The text budget is shared by the file and everything inside it.
    let mut text_left = limits.max_text - doc.text.len() as u64;
    // So is the unpack budget, for what archives hold: a zip of zips each
    // within the limit must not unpack to the limit times the fan-out.
    let mut unpacked_left = limits.max_unpacked;
    let mut tree = Tree::default();
    let mut queue = Vec::new();
    push_node(
        &mut tree,
        &mut queue,
        None,
        Vec::new(),
        kind,
        doc,
        sha256,
        bytes.len(),
    );
    // Breadth-first over attachments; `queue` holds (node index, attachments).
    let mut next = 0;
    while next < queue.len() {
        let (parent, attachments): (usize, Vec<Attachment>) = std::mem::take(&mut queue[next]);
        next += 1;
        let depth = tree.nodes[parent].names.len();
        let from_archive = tree.nodes[parent].kind == DocKind::Zip;
        for a in attachments {
            let mut names = tree.nodes[parent].names.clone();
            names.push(a.name.clone());
            if depth >= MAX_DEPTH {
                tree.failed.push((
                    names,
                    ExtractError::Unsupported(format!("nested deeper than {MAX_DEPTH} levels")),
                ));
                continue;
            }
            let size = a.bytes.len() as u64;
            let budget = if from_archive {
                unpacked_left
            } else {
                limits.max_unpacked
            };
            if size > budget {
                tree.failed
                    .push((names, ExtractError::TooLarge(format!("{size} bytes"))));
                continue;
            }
            if from_archive {
                unpacked_left -= size;
            }
            let inner = Limits {
                max_text: text_left,
                max_unpacked: if from_archive {
                    unpacked_left
                } else {
                    limits.max_unpacked
                },
                ..limits.clone()
            };
            let result = catch_unwind(AssertUnwindSafe(|| extract(&a.name, &a.bytes, &inner)))
                .unwrap_or_else(|panic| Err(ExtractError::Crashed(panic_message(&*panic))));
            match result {
                Ok((kind, doc)) => {
                    text_left -= doc.text.len() as u64;
                    let sha = hex::encode(Sha256::digest(&a.bytes));
                    push_node(
                        &mut tree,
                        &mut queue,
                        Some(parent),
                        names,
                        kind,
                        doc,
                        sha,
                        a.bytes.len(),
                    );
                }
                Err(e) => tree.failed.push((names, e)),
            }
        }
    }
    Ok(tree)
}

#[allow(clippy::too_many_arguments)] // a private helper; a struct would only rename them
fn push_node(
    tree: &mut Tree,
    queue: &mut Vec<(usize, Vec<Attachment>)>,
    parent: Option<usize>,
    names: Vec<String>,
    kind: DocKind,
    mut doc: Extracted,
    sha256: String,
    size: usize,
) {
    let attachments = std::mem::take(&mut doc.attachments);
    for (name, e) in std::mem::take(&mut doc.failed) {
        let mut path = names.clone();
        path.push(name);
        tree.failed.push((path, e));
    }
    tree.nodes.push(Node {
        parent,
        names,
        kind,
        doc,
        sha256,
        size: size as u64,
    });
    if !attachments.is_empty() {
        queue.push((tree.nodes.len() - 1, attachments));
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let msg = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned());
    one_line(&msg, 160)
}

/// `s` on one line, at most `max` characters.
pub(crate) fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let mut cut: String = flat.chars().take(max).collect();
        cut.push('…');
        cut
    }
}

/// Builds extracted text block by block, recording heading paths: shared by
/// the HTML and DOCX extractors.
#[derive(Debug, Default)]
pub(crate) struct TextBuilder {
    text: String,
    sections: Vec<SectionStart>,
    headings: Vec<(u8, String)>,
    /// Whitespace was seen after the last word appended.
    pending_space: bool,
}

impl TextBuilder {
    /// Appends inline text, collapsing runs of whitespace to one space.
    pub(crate) fn push_inline(&mut self, s: &str) {
        if s.starts_with(char::is_whitespace) {
            self.pending_space = true;
        }
        for word in s.split_whitespace() {
            if self.pending_space
                && !self.text.is_empty()
                && !self.text.ends_with(char::is_whitespace)
            {
                self.text.push(' ');
            }
            self.text.push_str(word);
            self.pending_space = true;
        }
        self.pending_space =
            s.ends_with(char::is_whitespace) || (self.pending_space && s.is_empty());
    }

    /// Appends text as is (preformatted).
    pub(crate) fn push_raw(&mut self, s: &str) {
        self.text.push_str(s);
        self.pending_space = false;
    }

    /// Ends the line (table row, list item, `<br>`).
    pub(crate) fn line_break(&mut self) {
        self.trim_end_spaces();
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    /// Ends a paragraph: the chunker splits on blank lines.
    pub(crate) fn end_block(&mut self) {
        self.trim_end_spaces();
        if !self.text.is_empty() && !self.text.ends_with("\n\n") {
            self.text.push_str(if self.text.ends_with('\n') {
                "\n"
            } else {
                "\n\n"
            });
        }
    }

    fn trim_end_spaces(&mut self) {
        self.pending_space = false;
        let n = self.text.trim_end_matches([' ', '\t']).len();
        self.text.truncate(n);
    }

    /// Adds a heading of `level` (1 = outermost) as its own block and starts a section.
    pub(crate) fn heading(&mut self, level: u8, name: &str) {
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return;
        }
        self.end_block();
        self.headings.retain(|(l, _)| *l < level);
        self.headings.push((level, name.clone()));
        let path = self
            .headings
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join(SECTION_SEPARATOR);
        self.sections.push(SectionStart {
            offset: self.text.len(),
            path,
        });
        self.text.push_str(&name);
        self.end_block();
    }

    /// Bytes of text so far.
    pub(crate) fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether nothing was written since the last line break.
    pub(crate) fn at_line_start(&self) -> bool {
        self.text.is_empty() || self.text.ends_with('\n')
    }

    /// The text (trailing whitespace removed) and its sections.
    pub(crate) fn finish(self) -> (String, Vec<SectionStart>) {
        let text = self.text.trim_end().to_owned();
        let mut sections = self.sections;
        for s in &mut sections {
            s.offset = s.offset.min(text.len());
        }
        (text, sections)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds of a date and time given as numbers, UTC offset in minutes.
pub(crate) fn unix_seconds(
    (y, mo, d): (i64, i64, i64),
    (h, mi, s): (i64, i64, i64),
    offset_minutes: i64,
) -> Option<i64> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid = (1..=9999).contains(&y)
        && (1..=12).contains(&mo)
        && d >= 1
        && d <= month_days[(mo.clamp(1, 12) - 1) as usize]
        && (0..24).contains(&h)
        && (0..60).contains(&mi)
        && (0..=60).contains(&s);
    valid.then(|| days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset_minutes * 60)
}

/// Parses `YYYY-MM-DD`, optionally followed by `THH:MM[:SS][.fff](Z|±HH:MM)`
/// (ISO 8601 / RFC 3339, as in DOCX properties and sidecars).
pub fn parse_iso_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let date = (num(0..4)?, num(5..7)?, num(8..10)?);
    if s.get(4..5)? != "-" || s.get(7..8)? != "-" {
        return None;
    }
    if s.len() == 10 {
        return unix_seconds(date, (0, 0, 0), 0);
    }
    if !matches!(s.get(10..11)?, "T" | "t" | " ") {
        return None;
    }
    let time = (num(11..13)?, num(14..16)?, num(17..19).unwrap_or(0));
    let rest = s[16..].trim_start_matches(|c: char| c == ':' || c.is_ascii_digit() || c == '.');
    let offset = match rest {
        "" | "Z" | "z" => 0,
        r if r.len() == 6 && (r.starts_with('+') || r.starts_with('-')) => {
            let h: i64 = r.get(1..3)?.parse().ok()?;
            let m: i64 = r.get(4..6)?.parse().ok()?;
            let sign = if r.starts_with('-') { -1 } else { 1 };
            sign * (h * 60 + m)
        }
        _ => return None,
    };
    unix_seconds(date, time, offset)
}

#[cfg(test)]
mod tests;
