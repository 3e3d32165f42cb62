//! Plain text and the text decoding every text-based format shares.

use super::{ExtractError, Extracted};

/// UTF-8 (lossy for a few bad bytes), with a BOM dropped; NULs or many
/// invalid sequences mean the file is not text.
pub(super) fn decode_text(bytes: &[u8]) -> Result<String, ExtractError> {
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

pub(super) fn extract(text: &str, fallback_title: &str) -> Extracted {
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
