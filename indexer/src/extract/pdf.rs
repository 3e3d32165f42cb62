//! PDF: text page by page with pdf-extract, falling back to lopdf's simpler
//! text extraction for a page pdf-extract rejects or panics on; title,
//! author and creation date from the document information dictionary.
//! Pages without a text layer (scans) are OCR'd when OCR is on (see
//! [`super::ocr`]).
//!
//! pdf-extract panics on some real-world files, so every call into it runs
//! under `catch_unwind`: a bad page costs that page, not the file or the run.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    time::{Duration, Instant},
};

use pdf_extract::{Document, Object, PlainTextOutput, output_doc_page};

use super::{
    ExtractError, Extracted, FormatMeta, Limits,
    ocr::{self, OcrMode},
    panic_message, unix_seconds,
};

pub(super) fn extract(
    bytes: &[u8],
    fallback_title: &str,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let max_text = limits.max_text;
    let mut doc = guarded(|| Document::load_mem(bytes))?
        .map_err(|e| ExtractError::Corrupt(format!("PDF: {e}")))?;
    if doc.is_encrypted() {
        // Many PDFs are encrypted only against editing, with an empty user password.
        if doc.decrypt("").is_err() {
            return Err(ExtractError::Encrypted("PDF needs a password".to_owned()));
        }
    }
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    if pages.is_empty() {
        return Err(ExtractError::Corrupt("PDF has no pages".to_owned()));
    }
    let mut texts: Vec<Option<String>> = Vec::with_capacity(pages.len());
    let mut layer_bytes = 0u64;
    for &n in &pages {
        let primary = guarded(|| {
            let mut s = String::new();
            output_doc_page(&doc, &mut PlainTextOutput::new(&mut s), n).map(|()| s)
        });
        let page = match primary {
            Ok(Ok(s)) if !s.trim().is_empty() => Some(s),
            _ => match guarded(|| doc.extract_text(&[n])) {
                Ok(Ok(s)) => Some(s),
                _ => None,
            },
        };
        layer_bytes += page.as_ref().map_or(0, |p| p.len() as u64);
        // Stop reading pages once over the budget rather than after the last one.
        if layer_bytes > max_text.saturating_mul(2) {
            return Err(ExtractError::TooMuchText(max_text));
        }
        texts.push(page);
    }
    let (ocr_pages, ocr_time) = ocr_pages(bytes, &pages, &mut texts, limits);
    let mut text = String::new();
    let mut page_starts = Vec::with_capacity(pages.len());
    let mut unreadable = 0;
    for page in &texts {
        page_starts.push(text.len());
        match page {
            Some(p) => push_page(&mut text, p),
            None => unreadable += 1,
        }
        if text.len() as u64 > max_text {
            return Err(ExtractError::TooMuchText(max_text));
        }
    }
    if unreadable == pages.len() {
        return Err(ExtractError::Corrupt(
            "PDF: no page could be read".to_owned(),
        ));
    }
    if unreadable > 0 {
        tracing::debug!(unreadable, pages = pages.len(), "PDF pages without text");
    }
    let text = text.trim_end().to_owned();
    for s in &mut page_starts {
        *s = (*s).min(text.len());
    }
    let info = info_strings(&doc);
    let title = info
        .title
        .filter(|t| t.chars().count() <= 200)
        .or_else(|| title_line(&text))
        .unwrap_or_else(|| fallback_title.to_owned());
    Ok(Extracted {
        title,
        text,
        page_starts,
        meta: FormatMeta {
            author: info.author,
            date: info.created,
            ..FormatMeta::default()
        },
        ocr_pages,
        ocr_time,
        ..Extracted::default()
    })
}

/// OCRs the pages `limits.ocr` asks for (in `auto`, those without a text
/// layer; in `force`, all), replacing their entries in `texts`; the pages
/// whose text now comes from OCR, and the time it took. A page OCR cannot
/// read keeps what it had, and says why in the log.
fn ocr_pages(
    bytes: &[u8],
    pages: &[u32],
    texts: &mut [Option<String>],
    limits: &Limits,
) -> (Vec<u32>, Duration) {
    let wanted: Vec<u32> = match limits.ocr.mode {
        OcrMode::Off => return (Vec::new(), Duration::ZERO),
        OcrMode::Force => pages.to_vec(),
        OcrMode::Auto => pages
            .iter()
            .zip(texts.iter())
            .filter(|(_, t)| !t.as_deref().is_some_and(ocr::has_text_layer))
            .map(|(&n, _)| n)
            .collect(),
    };
    if wanted.is_empty() {
        return (Vec::new(), Duration::ZERO);
    }
    let started = Instant::now();
    let allowance = limits.allowance.clone().unwrap_or_default();
    let results = match ocr::pdf_pages(bytes, &wanted, &limits.ocr, &allowance) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "OCR unavailable; pages without text stay empty");
            return (Vec::new(), started.elapsed());
        }
    };
    let mut done = Vec::new();
    for (n, result) in results {
        let Some(i) = pages.iter().position(|&p| p == n) else {
            continue;
        };
        match result {
            Ok(t) if !t.trim().is_empty() => {
                texts[i] = Some(t);
                // Pages are numbered by position: lopdf's keys are 1-based and dense.
                done.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(page = n, error = %e, "OCR of a PDF page failed"),
        }
    }
    (done, started.elapsed())
}

/// The first line that reads like a title: a few words, not a whole sentence, not an exhibit
/// or page number, and not one of the filing legends that open many contracts ("Certain
/// confidential information … has been omitted", "EXECUTION VERSION").
///
/// Why the legends matter: the title is indexed with every passage and seen by the embedder
/// before each one, so a legend as title made every passage of a contract match
/// "confidential", "information" and "exhibit" and pulled its vectors towards each other.
fn title_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(15)
        .find(|l| {
            let lower = l.to_lowercase();
            l.chars().filter(|c| c.is_alphabetic()).count() >= 4
                && !lower.starts_with("exhibit")
                && l.chars().count() <= 120
                && l.split_whitespace().count() <= 12
                && !is_legend(&lower)
        })
        .map(str::to_owned)
}

/// Whether a (lower-cased) line belongs to a filing legend or a cover note rather than a title.
fn is_legend(lower: &str) -> bool {
    const MARKERS: [&str; 14] = [
        "[*",
        "[ *",
        "confidential",
        "omitted",
        "redacted",
        "securities and exchange",
        "regulation s-k",
        "item 601",
        "execution version",
        "execution copy",
        "for reference only",
        "table of contents",
        "page ",
        "last updated",
    ];
    MARKERS.iter().any(|m| lower.contains(m))
        || lower.trim_end_matches(['.', ' ']).parse::<f64>().is_ok()
        // A line that ends a sentence or runs on into the next is prose, not a title.
        || lower.ends_with('.') && lower.split_whitespace().count() > 3
        || lower.ends_with(',')
}

fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, ExtractError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| ExtractError::Crashed(panic_message(&*p)))
}

/// Appends a page's text tidied: no carriage returns or control characters,
/// no trailing spaces, at most one blank line in a row, and a blank line
/// after it so no paragraph spans two pages.
pub(super) fn push_page(text: &mut String, page: &str) {
    let mut blank = 0;
    for line in page.split(['\n', '\r']) {
        // Layout spacing (indentation, justified gaps, no-break spaces) is not content.
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        let line: String = line.chars().filter(|c| !c.is_control()).collect();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !text.is_empty() && !text.ends_with("\n\n") {
            text.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        text.push_str(&line);
    }
    if !text.is_empty() && !text.ends_with("\n\n") {
        text.push_str("\n\n");
    }
}

#[derive(Default)]
struct Info {
    title: Option<String>,
    author: Option<String>,
    created: Option<i64>,
}

fn info_strings(doc: &Document) -> Info {
    let Some(dict) = doc
        .trailer
        .get(b"Info")
        .ok()
        .and_then(|o| doc.dereference(o).ok())
        .and_then(|(_, o)| o.as_dict().ok())
    else {
        return Info::default();
    };
    let get = |key: &[u8]| -> Option<String> {
        let (_, obj) = doc.dereference(dict.get(key).ok()?).ok()?;
        match obj {
            Object::String(bytes, _) => {
                let s = text_string(bytes);
                let s = s.trim();
                (!s.is_empty()).then(|| s.to_owned())
            }
            _ => None,
        }
    };
    Info {
        title: get(b"Title"),
        author: get(b"Author"),
        created: get(b"CreationDate").and_then(|d| parse_pdf_date(&d)),
    }
}

/// A PDF text string: UTF-16BE with a byte-order mark, else PDFDocEncoding
/// (close enough to Latin-1 for titles and names).
fn text_string(bytes: &[u8]) -> String {
    if let Some(be) = bytes.strip_prefix(b"\xFE\xFF") {
        let units: Vec<u16> = be
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else if let Ok(s) = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
    {
        s.to_owned()
    } else {
        bytes.iter().map(|&b| b as char).collect()
    }
}

/// `D:YYYYMMDDHHmmSSOHH'mm'`, every part after the year optional.
pub(super) fn parse_pdf_date(s: &str) -> Option<i64> {
    let s = s.trim().strip_prefix("D:").unwrap_or(s.trim());
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 4 {
        return None;
    }
    let part = |r: std::ops::Range<usize>, default: i64| -> i64 {
        digits
            .get(r)
            .and_then(|p| p.parse().ok())
            .unwrap_or(default)
    };
    let date = (part(0..4, 0), part(4..6, 1), part(6..8, 1));
    let time = (part(8..10, 0), part(10..12, 0), part(12..14, 0));
    let rest = &s[digits.len()..];
    let offset = match rest.chars().next() {
        Some(sign @ ('+' | '-')) => {
            let nums: Vec<i64> = rest[1..]
                .split(|c: char| !c.is_ascii_digit())
                .filter(|p| !p.is_empty())
                .filter_map(|p| p.parse().ok())
                .collect();
            let minutes =
                nums.first().copied().unwrap_or(0) * 60 + nums.get(1).copied().unwrap_or(0);
            if sign == '-' { -minutes } else { minutes }
        }
        _ => 0,
    };
    unix_seconds(date, time, offset)
}

#[cfg(test)]
mod tests {
    use super::title_line;

    #[test]
    fn title_skips_filing_legends_and_cover_notes() {
        // Openings of contracts in the shared CUAD corpus, as pdftotext reads them.
        let cases = [
            (
                "Exhibit 10.1\n[***] = Certain confidential information contained in this document,\nmarked by brackets, has been omitted because it is both\n(i) not material and (ii) would likely be competitively harmful if publicly disclosed.\nSUPPLY AGREEMENT\nThis Supply Agreement is made",
                "SUPPLY AGREEMENT",
            ),
            (
                "Exhibit 10.14\nEXECUTION VERSION\n[***] Certain confidential information contained in this document\nMAINTENANCE AGREEMENT",
                "MAINTENANCE AGREEMENT",
            ),
            (
                "CONFIDENTIAL TREATMENT HAS BEEN REQUESTED FOR PORTIONS OF THIS EXHIBIT. THE\nCONFIDENTIAL PORTIONS HAVE BEEN REDACTED AND ARE DENOTED BY [*]. THE\nSPONSORSHIP AGREEMENT",
                "SPONSORSHIP AGREEMENT",
            ),
            (
                "Exhibit 10.33\nLast Updated: April 6, 2007\nCHASE AFFILIATE AGREEMENT\nTHIS AGREEMENT sets forth the terms",
                "CHASE AFFILIATE AGREEMENT",
            ),
            (
                "EXHIBIT 10.2\nDISTRIBUTOR AGREEMENT\n",
                "DISTRIBUTOR AGREEMENT",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(title_line(text).as_deref(), Some(want), "{text}");
        }
        assert_eq!(title_line("Exhibit 4\n12\n\n"), None);
    }
}
