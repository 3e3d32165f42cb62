//! Saved searches: named searches (query, mode, filters) per principal, in
//! one JSON file (`saved-searches.json` in the index directory by default).
//!
//! Each principal (API key name) has its own namespace; nothing here lists
//! or reads another principal's entries. Writes replace the file atomically
//! (a private temporary file, synced, then renamed) under a lock, so a crash
//! leaves either the old or the new file, never half of one.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Mutex,
};

use serde::{Deserialize, Serialize};

use crate::{
    ApiError,
    api::{SavedSearch, SearchParams},
    audit::now_rfc3339,
};

/// Version of the file format.
const VERSION: u32 = 1;
/// Most saved searches per principal.
pub(crate) const MAX_PER_PRINCIPAL: usize = 200;
/// Longest name, in characters.
const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedFile {
    version: u32,
    /// Principal name → search name → search.
    principals: BTreeMap<String, BTreeMap<String, SavedSearch>>,
}

/// The saved-search file of a server.
#[derive(Debug)]
pub(crate) struct SavedStore {
    path: PathBuf,
    /// Serializes read-modify-write cycles.
    lock: Mutex<()>,
}

impl SavedStore {
    /// The store at `path`; an existing file must be readable.
    pub(crate) fn open(path: &Path) -> Result<Self, String> {
        let store = Self {
            path: path.to_path_buf(),
            lock: Mutex::new(()),
        };
        store.read().map_err(|e| e.message)?;
        Ok(store)
    }

    fn read(&self) -> Result<SavedFile, ApiError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(SavedFile {
                    version: VERSION,
                    ..SavedFile::default()
                });
            }
            Err(e) => {
                return Err(ApiError::internal(format!("{}: {e}", self.path.display())));
            }
        };
        let file: SavedFile = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::internal(format!("{}: {e}", self.path.display())))?;
        if file.version != VERSION {
            return Err(ApiError::internal(format!(
                "{}: format version {} (expected {VERSION})",
                self.path.display(),
                file.version
            )));
        }
        Ok(file)
    }

    fn write(&self, file: &SavedFile) -> Result<(), ApiError> {
        let err = |e: std::io::Error| ApiError::internal(format!("{}: {e}", self.path.display()));
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(file).expect("saved searches serialize");
        crate::auth::write_private(&tmp, &bytes).map_err(err)?;
        std::fs::rename(&tmp, &self.path).map_err(err)?;
        // Make the rename itself durable.
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `principal`'s saved searches, by name.
    pub(crate) fn list(&self, principal: &str) -> Result<Vec<SavedSearch>, ApiError> {
        let _g = self.guard();
        Ok(self
            .read()?
            .principals
            .remove(principal)
            .unwrap_or_default()
            .into_values()
            .collect())
    }

    /// One of `principal`'s saved searches.
    pub(crate) fn get(&self, principal: &str, name: &str) -> Result<Option<SavedSearch>, ApiError> {
        let _g = self.guard();
        Ok(self
            .read()?
            .principals
            .remove(principal)
            .and_then(|mut m| m.remove(name)))
    }

    /// Saves (or replaces) `principal`'s search `name`; true when it is new.
    pub(crate) fn put(
        &self,
        principal: &str,
        name: &str,
        search: SearchParams,
    ) -> Result<(SavedSearch, bool), ApiError> {
        check_name(name)?;
        let _g = self.guard();
        let mut file = self.read()?;
        let mine = file.principals.entry(principal.to_owned()).or_default();
        let now = now_rfc3339();
        let created = match mine.get(name) {
            Some(old) => Some(old.created.clone()),
            None if mine.len() >= MAX_PER_PRINCIPAL => {
                return Err(ApiError::bad_request(
                    "too_many_saved_searches",
                    format!("at most {MAX_PER_PRINCIPAL} saved searches per key; delete one first"),
                ));
            }
            None => None,
        };
        let is_new = created.is_none();
        let saved = SavedSearch {
            name: name.to_owned(),
            search,
            created: created.unwrap_or_else(|| now.clone()),
            updated: now,
        };
        mine.insert(name.to_owned(), saved.clone());
        self.write(&file)?;
        Ok((saved, is_new))
    }

    /// Deletes `principal`'s search `name`; false when there was none.
    pub(crate) fn delete(&self, principal: &str, name: &str) -> Result<bool, ApiError> {
        let _g = self.guard();
        let mut file = self.read()?;
        let Some(mine) = file.principals.get_mut(principal) else {
            return Ok(false);
        };
        if mine.remove(name).is_none() {
            return Ok(false);
        }
        if mine.is_empty() {
            file.principals.remove(principal);
        }
        self.write(&file)?;
        Ok(true)
    }
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS || name.trim() != name || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_name",
            format!(
                "a saved search's name must be 1 to {MAX_NAME_CHARS} printable characters without surrounding space"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_have_their_own_names_and_writes_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("saved-searches.json");
        let store = SavedStore::open(&path).unwrap();
        assert!(store.list("ann").unwrap().is_empty());
        let (s, new) = store
            .put("ann", "leave", SearchParams::new("parental leave"))
            .unwrap();
        assert!(new);
        let (again, new) = store
            .put("ann", "leave", SearchParams::new("parental leave policy"))
            .unwrap();
        assert!(!new);
        assert_eq!(again.created, s.created);
        store
            .put("bob", "leave", SearchParams::new("bob's"))
            .unwrap();
        let reopened = SavedStore::open(&path).unwrap();
        let ann = reopened.list("ann").unwrap();
        assert_eq!(ann.len(), 1);
        assert_eq!(ann[0].search.q, "parental leave policy");
        assert_eq!(
            reopened.get("bob", "leave").unwrap().unwrap().search.q,
            "bob's"
        );
        assert!(reopened.get("carol", "leave").unwrap().is_none());
        assert!(reopened.delete("ann", "leave").unwrap());
        assert!(!reopened.delete("ann", "leave").unwrap());
        assert_eq!(reopened.list("bob").unwrap().len(), 1);
        assert!(!path.with_extension("json.tmp").exists());
        for bad in ["", " x", "a\nb"] {
            assert_eq!(
                reopened
                    .put("ann", bad, SearchParams::new("x"))
                    .unwrap_err()
                    .code,
                "invalid_name"
            );
        }
        std::fs::write(&path, "{not json").unwrap();
        assert!(SavedStore::open(&path).is_err());
    }
}
