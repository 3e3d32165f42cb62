//! User metadata: a sidecar next to a file (`NAME.EXT.meta.json`) and folder
//! rules (`_trawl.meta.json` or `.trawl-meta.json` in a folder, applying to
//! everything beneath it).
//!
//! Rules apply from the indexed root down; a nearer rule replaces a field
//! set by a farther one, and a sidecar replaces fields of every rule. A file
//! whose sidecar or rule is invalid is skipped, never indexed without it:
//! the metadata may carry the access groups that keep it private.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::extract::parse_iso_date;

/// Suffix of a sidecar file.
pub(crate) const SIDECAR_SUFFIX: &str = ".meta.json";
/// Names of folder rule files.
pub(crate) const RULE_FILES: &[&str] = &["_trawl.meta.json", ".trawl-meta.json"];
/// Sidecars and rules are small; anything larger is a mistake.
const MAX_BYTES: usize = 64 * 1024;

/// What a sidecar or rule file may say.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    groups: Option<Vec<String>>,
    tags: Option<Vec<String>>,
    custodian: Option<String>,
    author: Option<String>,
    /// `YYYY-MM-DD` or RFC 3339.
    date: Option<String>,
    extra: Option<BTreeMap<String, String>>,
}

/// Metadata given by users; `None` fields are not set (a farther rule or the
/// format's own value applies).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct UserMeta {
    pub(crate) groups: Option<Vec<String>>,
    pub(crate) tags: Option<Vec<String>>,
    pub(crate) custodian: Option<String>,
    pub(crate) author: Option<String>,
    pub(crate) date: Option<i64>,
    pub(crate) extra: BTreeMap<String, String>,
}

impl UserMeta {
    /// Parses and validates a sidecar or rule file.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() > MAX_BYTES {
            return Err(format!("larger than {MAX_BYTES} bytes"));
        }
        let raw: Raw = serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))?;
        let names = |field: &str, v: Option<Vec<String>>| -> Result<Option<Vec<String>>, String> {
            let Some(v) = v else { return Ok(None) };
            let mut out = Vec::with_capacity(v.len());
            for name in v {
                let name = name.trim().to_owned();
                let ok = !name.is_empty()
                    && !name.starts_with("__")
                    && name.chars().all(|c| {
                        c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | ':' | '/')
                    });
                if !ok {
                    return Err(format!(
                        "{field}: {name:?} is not a valid name (letters, digits, - _ . @ : /; not starting with __)"
                    ));
                }
                if !out.contains(&name) {
                    out.push(name);
                }
            }
            Ok(Some(out))
        };
        let text = |field: &str, v: Option<String>| -> Result<Option<String>, String> {
            match v.map(|s| s.trim().to_owned()) {
                Some(s) if s.is_empty() => Err(format!("{field} is empty")),
                other => Ok(other),
            }
        };
        let date =
            match raw.date {
                None => None,
                Some(d) => Some(parse_iso_date(&d).ok_or_else(|| {
                    format!("date {d:?} is not YYYY-MM-DD or an RFC 3339 date-time")
                })?),
            };
        Ok(Self {
            groups: names("groups", raw.groups)?,
            tags: names("tags", raw.tags)?,
            custodian: text("custodian", raw.custodian)?,
            author: text("author", raw.author)?,
            date,
            extra: raw.extra.unwrap_or_default(),
        })
    }

    /// `self` with the fields `nearer` sets replaced.
    pub(crate) fn overridden_by(mut self, nearer: &UserMeta) -> Self {
        if nearer.groups.is_some() {
            self.groups = nearer.groups.clone();
        }
        if nearer.tags.is_some() {
            self.tags = nearer.tags.clone();
        }
        if nearer.custodian.is_some() {
            self.custodian = nearer.custodian.clone();
        }
        if nearer.author.is_some() {
            self.author = nearer.author.clone();
        }
        if nearer.date.is_some() {
            self.date = nearer.date;
        }
        self.extra
            .extend(nearer.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        self
    }

    /// Content hash for change detection; empty when nothing is set, so
    /// files without user metadata look as they did before it existed.
    pub(crate) fn hash(&self) -> String {
        if *self == Self::default() {
            return String::new();
        }
        let json = serde_json::to_vec(self).expect("metadata serializes");
        hex::encode(Sha256::digest(&json))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_metadata_and_rejects_bad_fields() {
        let m = UserMeta::parse(
            br#"{"groups": ["hr", " legal "], "tags": ["policy"], "custodian": "j.doe", "date": "2024-05-01"}"#,
        )
        .unwrap();
        assert_eq!(
            m.groups.as_deref(),
            Some(&["hr".to_owned(), "legal".to_owned()][..])
        );
        assert_eq!(m.custodian.as_deref(), Some("j.doe"));
        assert_eq!(m.date, Some(1_714_521_600));
        for (bad, why) in [
            (&br#"{"group": ["hr"]}"#[..], "unknown field"),
            (br#"{"groups": ["__public"]}"#, "not a valid name"),
            (br#"{"groups": ["h r"]}"#, "not a valid name"),
            (br#"{"groups": "hr"}"#, "invalid JSON"),
            (br#"{"date": "May 1st"}"#, "not YYYY-MM-DD"),
            (br#"{"custodian": " "}"#, "custodian is empty"),
            (b"{", "invalid JSON"),
        ] {
            let e = UserMeta::parse(bad).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
    }

    #[test]
    fn nearer_fields_win_and_hash_tracks_changes() {
        let folder = UserMeta::parse(br#"{"groups": ["hr"], "tags": ["policy"]}"#).unwrap();
        let file = UserMeta::parse(br#"{"groups": ["hr-managers"], "custodian": "a"}"#).unwrap();
        let m = UserMeta::default()
            .overridden_by(&folder)
            .overridden_by(&file);
        assert_eq!(m.groups, Some(vec!["hr-managers".to_owned()]));
        assert_eq!(m.tags, Some(vec!["policy".to_owned()]));
        assert_eq!(m.custodian.as_deref(), Some("a"));
        assert_eq!(UserMeta::default().hash(), "");
        assert_ne!(m.hash(), folder.hash());
        assert_eq!(m.hash().len(), 64);
    }
}
