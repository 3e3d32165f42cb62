//! OCR: text for PDF pages without a text layer and for images (PNG, JPEG,
//! TIFF with all its pages), through Debian's `tesseract` command line;
//! PDF pages are rendered to images by poppler's `pdftoppm`.
//!
//! Why the command line rather than bindings: a crash or a hang of the OCR
//! engine on a hostile image then costs one child process, which is killed
//! at the page's time budget, never the indexer (a hung library call could
//! not be stopped). Every child gets its input from a private temporary
//! folder and writes text to its standard output.

use std::{
    io::Read,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use super::ExtractError;

/// When pages are OCR'd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OcrMode {
    /// Never: images are skipped, PDF pages without text stay empty.
    Off,
    /// Images, and PDF pages without a text layer.
    #[default]
    Auto,
    /// Images, and every PDF page, replacing its text layer.
    Force,
}

impl std::str::FromStr for OcrMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "off" => Ok(OcrMode::Off),
            "auto" => Ok(OcrMode::Auto),
            "force" => Ok(OcrMode::Force),
            _ => Err(format!(
                "unknown OCR mode {s:?} (expected off, auto or force)"
            )),
        }
    }
}

/// How OCR runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcrOptions {
    /// When pages are OCR'd.
    pub mode: OcrMode,
    /// Tesseract languages, `+`-joined (`eng`, `eng+deu`); each needs its
    /// `tesseract-ocr-LANG` Debian package.
    pub languages: String,
    /// Rendering and recognizing one page that takes longer is abandoned
    /// (the page stays empty and is reported).
    pub page_timeout: Duration,
    /// Pages OCR'd per file at most; later pages without text stay empty.
    pub max_pages: u32,
    /// Resolution PDF pages are rendered at, dots per inch.
    pub dpi: u32,
}

impl OcrOptions {
    /// OCR off (the defaults otherwise).
    pub const OFF: OcrOptions = OcrOptions {
        mode: OcrMode::Off,
        languages: String::new(),
        page_timeout: Duration::from_secs(60),
        max_pages: 200,
        dpi: 300,
    };
}

impl Default for OcrOptions {
    fn default() -> Self {
        Self {
            mode: OcrMode::Auto,
            languages: "eng".to_owned(),
            ..Self::OFF
        }
    }
}

/// A page with fewer letters and digits than this has no text layer worth
/// the name (a Bates stamp or a page number on a scan), so it is OCR'd.
pub(super) const MIN_TEXT_LAYER_CHARS: usize = 16;

/// Whether a page's extracted text counts as a text layer.
pub(super) fn has_text_layer(text: &str) -> bool {
    text.chars().filter(|c| c.is_alphanumeric()).count() >= MIN_TEXT_LAYER_CHARS
}

/// Time allowed to OCR, shared with [`super::extract_tree`]: each page about
/// to be OCR'd adds its budget, so a long scan is not cut off by the
/// per-file extraction time-out meant for parsing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Allowance(Arc<AtomicU64>);

impl Allowance {
    pub(super) fn grant(&self, d: Duration) {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.0.fetch_add(ms, Ordering::Relaxed);
    }

    pub(super) fn granted(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::Relaxed))
    }
}

/// Whether `tesseract` (and `pdftoppm`, for PDFs) can be run, checked once.
fn tool_available(tool: &'static str) -> bool {
    static TESSERACT: OnceLock<bool> = OnceLock::new();
    static PDFTOPPM: OnceLock<bool> = OnceLock::new();
    let cell = if tool == "tesseract" {
        &TESSERACT
    } else {
        &PDFTOPPM
    };
    *cell.get_or_init(|| {
        Command::new(tool)
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    })
}

fn missing(tool: &str, package: &str) -> ExtractError {
    ExtractError::Unsupported(format!(
        "OCR needs `{tool}` (Debian package {package}; scripts/setup.sh installs it)"
    ))
}

/// Runs `cmd` to completion within `timeout`; its standard output.
fn run(mut cmd: Command, timeout: Duration, what: &str) -> Result<Vec<u8>, ExtractError> {
    let mut child: Child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ExtractError::Unsupported(format!("{what}: cannot run ({e})")))?;
    // Read output on helper threads so a chatty child never blocks on a full pipe.
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.take(4096).read_to_end(&mut buf);
        }
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ExtractError::TimedOut(timeout.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(ExtractError::Crashed(format!("{what}: {e}"))),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        return Err(ExtractError::Corrupt(format!(
            "{what} failed: {}",
            super::one_line(&String::from_utf8_lossy(&stderr), 160)
        )));
    }
    Ok(stdout)
}

/// Tesseract on the image file `image`: its text, pages separated by form feeds.
fn tesseract(image: &Path, opts: &OcrOptions, timeout: Duration) -> Result<String, ExtractError> {
    if !tool_available("tesseract") {
        return Err(missing("tesseract", "tesseract-ocr"));
    }
    let mut cmd = Command::new("tesseract");
    cmd.arg(image)
        .arg("stdout")
        .args(["-l", &opts.languages])
        // One page of a document: automatic layout analysis without OSD.
        .args(["--psm", "3"])
        // Tesseract's own threads would fight the embedder for the cores.
        .env("OMP_THREAD_LIMIT", "1");
    let out = run(cmd, timeout, "tesseract")?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Text of each page of an image file (one page, or each page of a TIFF),
/// and how long it took.
pub(super) fn image_pages(
    bytes: &[u8],
    ext: &str,
    opts: &OcrOptions,
    allowance: &Allowance,
) -> Result<Vec<String>, ExtractError> {
    let dir = tempfile::tempdir().map_err(|e| ExtractError::Crashed(format!("OCR temp: {e}")))?;
    let path = dir.path().join(format!("image.{ext}"));
    std::fs::write(&path, bytes).map_err(|e| ExtractError::Crashed(format!("OCR temp: {e}")))?;
    // A multi-page TIFF is one call; it may take a page budget per page.
    let pages = if ext == "tif" { tiff_pages(bytes) } else { 1 };
    let pages = pages.clamp(1, opts.max_pages);
    let timeout = opts.page_timeout * pages;
    allowance.grant(timeout);
    let text = tesseract(&path, opts, timeout)?;
    let mut out: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    // Tesseract ends the last page with a form feed too.
    while out.len() > 1 && out.last().is_some_and(|p| p.trim().is_empty()) {
        out.pop();
    }
    Ok(out)
}

/// Pages of a TIFF: image file directories chained from the header, counted
/// without decoding (a loop or a runaway chain stops at 10 000).
fn tiff_pages(b: &[u8]) -> u32 {
    let le = b.starts_with(b"II");
    let u16_at = |i: usize| {
        b.get(i..i + 2).map(|s| {
            if le {
                u16::from_le_bytes([s[0], s[1]])
            } else {
                u16::from_be_bytes([s[0], s[1]])
            }
        })
    };
    let u32_at = |i: usize| {
        b.get(i..i + 4).map(|s| {
            let a = [s[0], s[1], s[2], s[3]];
            if le {
                u32::from_le_bytes(a)
            } else {
                u32::from_be_bytes(a)
            }
        })
    };
    let mut n = 0;
    let mut at = u32_at(4).unwrap_or(0) as usize;
    let mut seen = std::collections::HashSet::new();
    while at != 0 && n < 10_000 && seen.insert(at) {
        let Some(entries) = u16_at(at) else { break };
        n += 1;
        at = u32_at(at + 2 + 12 * entries as usize).unwrap_or(0) as usize;
    }
    n.max(1)
}

/// Each OCR'd PDF page (1-based) with its text, or why it has none.
pub(super) type PageResults = Vec<(u32, Result<String, ExtractError>)>;

/// OCRs pages `pages` (1-based) of the PDF `bytes`: each is rendered with
/// `pdftoppm` and read by tesseract, within the page budget. A page that
/// fails is `Err` with why, the others go on.
pub(super) fn pdf_pages(
    bytes: &[u8],
    pages: &[u32],
    opts: &OcrOptions,
    allowance: &Allowance,
) -> Result<PageResults, ExtractError> {
    if !tool_available("pdftoppm") {
        return Err(missing("pdftoppm", "poppler-utils"));
    }
    if !tool_available("tesseract") {
        return Err(missing("tesseract", "tesseract-ocr"));
    }
    let dir = tempfile::tempdir().map_err(|e| ExtractError::Crashed(format!("OCR temp: {e}")))?;
    let pdf = dir.path().join("doc.pdf");
    std::fs::write(&pdf, bytes).map_err(|e| ExtractError::Crashed(format!("OCR temp: {e}")))?;
    let mut out = Vec::with_capacity(pages.len());
    for &page in pages.iter().take(opts.max_pages as usize) {
        allowance.grant(opts.page_timeout);
        let started = Instant::now();
        let result = (|| {
            let prefix = dir.path().join(format!("p{page}"));
            let mut cmd = Command::new("pdftoppm");
            cmd.args(["-r", &opts.dpi.to_string(), "-gray", "-png", "-singlefile"])
                .args(["-f", &page.to_string(), "-l", &page.to_string()])
                .arg(&pdf)
                .arg(&prefix);
            run(cmd, opts.page_timeout, "pdftoppm")?;
            let image = prefix.with_extension("png");
            let left = opts.page_timeout.saturating_sub(started.elapsed());
            let text = tesseract(&image, opts, left.max(Duration::from_millis(1)));
            let _ = std::fs::remove_file(&image);
            text
        })();
        out.push((page, result));
    }
    Ok(out)
}
