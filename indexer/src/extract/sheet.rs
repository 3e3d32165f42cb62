//! Spreadsheets: `.xlsx` and `.xls` through calamine, `.ods` read here.
//! One section per sheet, named after the sheet; one line per row, its
//! non-empty cells joined by ` | `; cell values (what a formula last
//! computed, as saved in the file), never the formulas.
//!
//! Why not calamine's `worksheet_range` everywhere: it allocates one cell
//! for every position of the used rectangle, so a hostile file with two
//! cells at A1 and XFD1048576 asks for billions of cells, and its ODS
//! reader expands `number-columns-repeated` as written. An allocation that
//! fails aborts the process, which no `catch_unwind` contains. So `.xlsx`
//! is streamed cell by cell (`worksheet_cells_reader`), `.ods` is read here
//! with repeats capped, and only `.xls` uses a range, whose format bounds
//! it (65 536 × 256 cells), after its compound file is vetted
//! ([`check_compound_file`]). Zip-based workbooks are unpacked once without
//! keeping anything first, so calamine never sees more than
//! [`Limits::max_unpacked`] bytes of parts.

use std::io::Cursor;

use calamine::{Data, DataRef, Reader, Xls, Xlsx};
use quick_xml::{Reader as XmlReader, events::Event};

use super::{ExtractError, Extracted, Limits, TextBuilder, archive, days_from_civil, docx};

/// A repeated row or cell that holds a value is written this many times at most.
pub(super) const MAX_REPEAT: usize = 100;

/// Builds the text: a heading per sheet, a line per row.
struct SheetText {
    out: TextBuilder,
    max_text: u64,
}

impl SheetText {
    fn new(max_text: u64) -> Self {
        Self {
            out: TextBuilder::default(),
            max_text,
        }
    }

    fn sheet(&mut self, name: &str) {
        self.out.heading(1, name);
    }

    fn row(&mut self, cells: &[String]) -> Result<(), ExtractError> {
        let cells: Vec<&str> = cells
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .collect();
        if cells.is_empty() {
            return Ok(());
        }
        self.out.push_inline(&cells.join(" | "));
        self.out.line_break();
        if self.out.len() as u64 > self.max_text {
            return Err(ExtractError::TooMuchText(self.max_text));
        }
        Ok(())
    }

    fn finish(self, title: &str) -> Extracted {
        let (text, sections) = self.out.finish();
        Extracted {
            title: title.to_owned(),
            text,
            sections,
            ..Extracted::default()
        }
    }
}

fn corrupt(format: &str, e: impl std::fmt::Display) -> ExtractError {
    let msg = e.to_string();
    if msg.to_lowercase().contains("password") || msg.to_lowercase().contains("encrypt") {
        ExtractError::Encrypted(format!("{format} needs a password"))
    } else {
        ExtractError::Corrupt(format!("{format}: {}", super::one_line(&msg, 160)))
    }
}

/// `.xlsx`: streamed cell by cell.
pub(super) fn extract_xlsx(
    bytes: &[u8],
    fallback_title: &str,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    archive::check_unpacked(bytes, limits.max_unpacked)?;
    let mut book: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| corrupt("Excel workbook", e))?;
    let mut out = SheetText::new(limits.max_text);
    for name in book.sheet_names() {
        let mut cells = book
            .worksheet_cells_reader(&name)
            .map_err(|e| corrupt("Excel workbook", e))?;
        out.sheet(&name);
        let mut row: Vec<String> = Vec::new();
        let mut row_at = None;
        while let Some(cell) = cells
            .next_cell()
            .map_err(|e| corrupt("Excel workbook", e))?
        {
            let (r, _) = cell.get_position();
            if row_at != Some(r) {
                out.row(&row)?;
                row.clear();
                row_at = Some(r);
            }
            row.push(data_ref_text(cell.get_value()));
        }
        out.row(&row)?;
    }
    Ok(out.finish(fallback_title))
}

/// `.xls` (BIFF, inside an OLE2 compound file).
pub(super) fn extract_xls(
    bytes: &[u8],
    fallback_title: &str,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    check_compound_file(bytes, limits.max_unpacked)?;
    let mut book: Xls<_> =
        Xls::new(Cursor::new(bytes)).map_err(|e| corrupt("Excel 97-2003 workbook", e))?;
    let mut out = SheetText::new(limits.max_text);
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| corrupt("Excel 97-2003 workbook", e))?;
        out.sheet(&name);
        for row in range.rows() {
            let cells: Vec<String> = row.iter().map(data_text).collect();
            out.row(&cells)?;
        }
    }
    Ok(out.finish(fallback_title))
}

/// Vets a compound file before calamine's own reader sees it: that reader
/// reserves memory for as many sectors as the header claims and follows
/// sector chains without looking for loops, so a damaged header or FAT asks
/// for terabytes or never ends; an allocation that fails aborts the process.
/// The `cfb` crate checks the chains when it opens the file.
fn check_compound_file(bytes: &[u8], max_unpacked: u64) -> Result<(), ExtractError> {
    let bad = |why: &str| ExtractError::Corrupt(format!("Excel 97-2003 workbook: {why}"));
    let sector_size: u64 = match bytes.get(30..32) {
        Some([9, 0]) => 512,
        Some([12, 0]) => 4096,
        _ => return Err(bad("bad sector size in the compound file header")),
    };
    let count = |at: usize| {
        bytes.get(at..at + 4).map_or(u64::MAX, |b| {
            u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        })
    };
    // Directory, FAT, mini FAT and DIFAT sectors, as the header counts them.
    let claimed = [40, 44, 64, 72]
        .into_iter()
        .map(count)
        .fold(0u64, u64::saturating_add);
    if claimed.saturating_mul(sector_size) > bytes.len() as u64 + sector_size {
        return Err(bad("the header counts more sectors than the file holds"));
    }
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|e| bad(&e.to_string()))?;
    for name in ["/Workbook", "/Book"] {
        if !cf.is_stream(name) {
            continue;
        }
        let mut stream = cf.open_stream(name).map_err(|e| bad(&e.to_string()))?;
        let n = std::io::copy(
            &mut std::io::Read::take(&mut stream, max_unpacked + 1),
            &mut std::io::sink(),
        )
        .map_err(|e| bad(&e.to_string()))?;
        if n > max_unpacked {
            return Err(ExtractError::TooLarge(format!(
                "workbook stream holds more than {max_unpacked} bytes (limit max_unpacked_bytes)"
            )));
        }
    }
    Ok(())
}

fn number(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn data_ref_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number(*f),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Bool(b) => b.to_string().to_uppercase(),
        DataRef::DateTime(d) if d.is_datetime() => excel_date(d.as_f64()),
        DataRef::DateTime(d) => number(d.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

fn data_text(d: &Data) -> String {
    match d {
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::String(s) => s.clone(),
        Data::Bool(b) => b.to_string().to_uppercase(),
        Data::DateTime(d) if d.is_datetime() => excel_date(d.as_f64()),
        Data::DateTime(d) => number(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// An Excel date serial (days since 1899-12-30, the 1900 date system) as
/// `YYYY-MM-DD`, with `THH:MM:SS` when it has a time of day.
pub(super) fn excel_date(serial: f64) -> String {
    if !serial.is_finite() || !(0.0..2_958_466.0).contains(&serial) {
        return number(serial);
    }
    let epoch = days_from_civil(1899, 12, 30);
    let secs = ((serial - serial.floor()) * 86_400.0).round() as i64;
    let t = (epoch + serial.floor() as i64) * 86_400 + secs;
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    if s == 0 {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            s / 3600,
            s % 3600 / 60,
            s % 60
        )
    }
}

/// Inverse of [`days_from_civil`] (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `.ods`: `content.xml`'s tables, cells as displayed (`text:p`).
pub(super) fn extract_ods(
    bytes: &[u8],
    fallback_title: &str,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ExtractError::Corrupt(format!("ODS: not a valid zip archive ({e})")))?;
    let mut budget = limits.max_unpacked;
    let content = docx::read_part(&mut zip, "content.xml", &mut budget, "ODS")?
        .ok_or_else(|| ExtractError::Corrupt("ODS: no content.xml".to_owned()))?;
    let mut reader = XmlReader::from_str(&content);
    let mut out = SheetText::new(limits.max_text);
    let mut row: Vec<String> = Vec::new();
    let mut row_repeat = 1usize;
    // The cell being read: its text and how often it repeats.
    let mut cell: Option<(String, usize)> = None;
    let mut paragraphs = 0usize;
    let repeat = |e: &quick_xml::events::BytesStart<'_>, attr: &str| -> usize {
        docx::attr(e, attr)
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, MAX_REPEAT)
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ExtractError::Corrupt(format!("ODS content.xml: {e}")))?;
        match event {
            Event::Start(e) => match e.name().as_ref() {
                b"table:table" => {
                    let name = docx::attr(&e, "table:name").unwrap_or_default();
                    out.sheet(&name);
                }
                b"table:table-row" => {
                    row.clear();
                    row_repeat = repeat(&e, "table:number-rows-repeated");
                }
                b"table:table-cell" | b"table:covered-table-cell" => {
                    cell = Some((String::new(), repeat(&e, "table:number-columns-repeated")));
                    paragraphs = 0;
                }
                b"text:p" | b"text:h" => {
                    if let Some((text, _)) = cell.as_mut() {
                        if paragraphs > 0 {
                            text.push(' ');
                        }
                        paragraphs += 1;
                    }
                }
                _ => {}
            },
            Event::Empty(e) => match (e.name().as_ref(), cell.as_mut()) {
                (b"text:s" | b"text:tab" | b"text:line-break", Some((text, _))) => text.push(' '),
                (b"table:table-row", _) => {}
                _ => {}
            },
            Event::Text(t) => {
                if let Some((text, _)) = cell.as_mut() {
                    text.push_str(&t.decode().unwrap_or_default());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((text, _)) = cell.as_mut() {
                    text.push_str(&docx::entity(&r).unwrap_or_default());
                }
            }
            Event::End(e) => match e.name().as_ref() {
                b"table:table-cell" | b"table:covered-table-cell" => {
                    if let Some((text, n)) = cell.take() {
                        // Empty cells only separate columns: nothing to write.
                        if !text.trim().is_empty() {
                            row.extend(std::iter::repeat_n(text, n));
                        }
                    }
                }
                b"table:table-row" => {
                    if !row.is_empty() {
                        for _ in 0..row_repeat {
                            out.row(&row)?;
                        }
                    }
                    row.clear();
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out.finish(fallback_title))
}
