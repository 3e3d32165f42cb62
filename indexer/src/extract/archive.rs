//! Zip archives: the archive's own text is a listing of its members; each
//! member is returned as an attachment, so the tree extracts it as a child
//! document (a zip inside a zip is followed like an e-mail inside an e-mail,
//! up to the tree's depth limit).
//!
//! Nothing is written to disk, but member names still become document paths,
//! so they are cleaned of absolute prefixes and `..` components (a member
//! named `../../etc/passwd` is shown as `etc/passwd`). The bytes unpacked
//! from one archive are capped by [`Limits::max_unpacked`], whatever the
//! members' headers declare, and so is the number of members, so a zip bomb
//! (a small file unpacking to gigabytes, or to millions of empty members)
//! costs a skip reason, not the machine's memory.

use std::io::{Cursor, Read};

use super::{Attachment, ExtractError, Extracted, Limits};

/// Members past this many are listed as not extracted.
const MAX_MEMBERS: usize = 10_000;

/// Members that archivers add and nobody wrote: resource forks and folder
/// metadata of macOS and Windows.
fn is_junk(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    name.starts_with("__MACOSX/") || base == ".DS_Store" || base.eq_ignore_ascii_case("Thumbs.db")
}

/// `name` as a relative path without `.`/`..` components, empty parts,
/// backslashes or control characters; `None` when nothing is left.
pub(super) fn clean_member_name(name: &str) -> Option<String> {
    let parts: Vec<String> = name
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .map(|p| p.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|p| !p.trim().is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

pub(super) fn extract(
    bytes: &[u8],
    fallback_title: &str,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ExtractError::Corrupt(format!("zip: not a valid archive ({e})")))?;
    let mut budget = limits.max_unpacked;
    let mut attachments = Vec::new();
    let mut failed = Vec::new();
    let mut listing = Vec::new();
    let mut skipped_members = 0usize;
    for i in 0..zip.len() {
        let raw_name = zip.name_for_index(i).and_then(clean_member_name);
        let mut file = match zip.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                let name = raw_name.unwrap_or_else(|| format!("member-{}", i + 1));
                let err = if e.to_string().to_lowercase().contains("password") {
                    ExtractError::Encrypted("zip member needs a password".to_owned())
                } else {
                    ExtractError::Corrupt(format!("zip member: {e}"))
                };
                failed.push((name, err));
                continue;
            }
        };
        if file.is_dir() || file.is_symlink() {
            continue;
        }
        let Some(name) = clean_member_name(file.name()) else {
            continue;
        };
        if is_junk(&name) {
            continue;
        }
        if attachments.len() + failed.len() >= MAX_MEMBERS {
            skipped_members += 1;
            continue;
        }
        listing.push(name.clone());
        if file.size() > budget {
            failed.push((
                name,
                ExtractError::TooLarge(format!(
                    "archive member declares {} bytes; {budget} left of the archive's max_unpacked_bytes",
                    file.size()
                )),
            ));
            // The budget is not spent: the member was not read.
            continue;
        }
        // The declared size can lie: never read more than the budget allows.
        let mut buf = Vec::new();
        let read = (&mut file).take(budget + 1).read_to_end(&mut buf);
        if let Err(e) = read {
            failed.push((name, ExtractError::Corrupt(format!("zip member: {e}"))));
            continue;
        }
        if buf.len() as u64 > budget {
            return Err(ExtractError::TooLarge(format!(
                "zip archive unpacks to more than {} bytes (limit max_unpacked_bytes)",
                limits.max_unpacked
            )));
        }
        budget -= buf.len() as u64;
        if buf.is_empty() {
            continue;
        }
        attachments.push(Attachment { name, bytes: buf });
    }
    if listing.is_empty() && skipped_members == 0 {
        return Err(ExtractError::Empty);
    }
    let mut text = format!("Archive with {} files\n\n", listing.len() + skipped_members);
    for name in &listing {
        text.push_str(name);
        text.push('\n');
    }
    if skipped_members > 0 {
        failed.push((
            format!("{skipped_members} more members"),
            ExtractError::TooLarge(format!("an archive holds at most {MAX_MEMBERS} members")),
        ));
    }
    Ok(Extracted {
        title: fallback_title.to_owned(),
        text: text.trim_end().to_owned(),
        attachments,
        failed,
        ..Extracted::default()
    })
}

/// Unpacks every member of the zip archive `bytes` without keeping it, and
/// fails when they add up to more than `max_unpacked` bytes: run before
/// handing a zip-based file to a parser that unpacks parts on its own
/// (calamine), which knows no budget. Declared sizes are not trusted.
pub(super) fn check_unpacked(bytes: &[u8], max_unpacked: u64) -> Result<(), ExtractError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ExtractError::Corrupt(format!("not a valid zip archive ({e})")))?;
    let mut left = max_unpacked;
    for i in 0..zip.len() {
        let mut file = match zip.by_index(i) {
            Ok(f) => f,
            Err(e) if e.to_string().to_lowercase().contains("password") => {
                return Err(ExtractError::Encrypted("parts are encrypted".to_owned()));
            }
            Err(e) => return Err(ExtractError::Corrupt(format!("zip member: {e}"))),
        };
        let n = std::io::copy(&mut (&mut file).take(left + 1), &mut std::io::sink())
            .map_err(|e| ExtractError::Corrupt(format!("{}: {e}", file.name())))?;
        if n > left {
            return Err(ExtractError::TooLarge(format!(
                "parts unpack to more than {max_unpacked} bytes (limit max_unpacked_bytes)"
            )));
        }
        left -= n;
    }
    Ok(())
}
