//! The audit log: who searched, read, downloaded, uploaded or deleted what.
//!
//! One JSON object per line, appended and flushed per event, rotated by size
//! (`audit.jsonl` → `audit.jsonl.1` → … → `.keep`). It records principal
//! names, never keys or headers.

use std::{
    io::Write,
    path::{Path, PathBuf},
    sync::Mutex,
    time::SystemTime,
};

use axum::http::StatusCode;
use serde::Serialize;

/// What an audited request did; written in snake case (`near_dups`, `save_search`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Action {
    Search,
    View,
    Similar,
    List,
    Download,
    Upload,
    /// An upload job finished (written by the worker, not a request).
    UploadIndexed,
    Delete,
    Ask,
    Terms,
    Threads,
    Thread,
    NearDups,
    Tags,
    Tag,
    SaveSearch,
    DeleteSearch,
}

/// What a handler tells the log about its request; the time, request id and principal come
/// from the request's [`Ctx`](crate::state::Ctx) (see [`AppState::audit`](crate::state::AppState::audit)).
#[derive(Debug, Clone)]
pub(crate) struct Record {
    action: Action,
    query: Option<String>,
    params: Option<serde_json::Value>,
    doc_ids: Vec<String>,
    status: StatusCode,
}

impl Record {
    /// A successful `action` (200) without query, parameters or documents.
    pub(crate) fn new(action: Action) -> Self {
        Self {
            action,
            query: None,
            params: None,
            doc_ids: Vec::new(),
            status: StatusCode::OK,
        }
    }

    /// The query text.
    pub(crate) fn query(mut self, query: &str) -> Self {
        self.query = Some(query.to_owned());
        self
    }

    /// Filters and other parameters, as given.
    pub(crate) fn params(mut self, params: serde_json::Value) -> Self {
        self.params = Some(params);
        self
    }

    /// The documents shown, downloaded or changed.
    pub(crate) fn docs(mut self, doc_ids: Vec<String>) -> Self {
        self.doc_ids = doc_ids;
        self
    }

    /// The answer's status, when not 200.
    pub(crate) fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
}

/// One line of the log.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AuditEvent<'a> {
    /// RFC 3339 UTC time.
    pub(crate) time: String,
    /// The request's `X-Request-Id`.
    pub(crate) request_id: &'a str,
    /// Key name (or `local`).
    pub(crate) principal: &'a str,
    /// What was done.
    pub(crate) action: Action,
    /// Query text, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) query: Option<&'a str>,
    /// Filters and other parameters, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) params: Option<serde_json::Value>,
    /// Documents shown, downloaded, uploaded or deleted.
    pub(crate) doc_ids: Vec<String>,
    /// HTTP status of the answer.
    pub(crate) status: u16,
}

/// An append-only JSONL file with size-based rotation.
#[derive(Debug)]
pub(crate) struct AuditLog {
    path: PathBuf,
    max_bytes: u64,
    keep: u32,
    file: Mutex<Option<std::fs::File>>,
}

impl AuditLog {
    /// Appends `record` for the request `request_id` of `principal`, timed now.
    pub(crate) fn append_record(&self, record: Record, request_id: &str, principal: &str) {
        self.record(&AuditEvent {
            time: now_rfc3339(),
            request_id,
            principal,
            action: record.action,
            query: record.query.as_deref(),
            params: record.params,
            doc_ids: record.doc_ids,
            status: record.status.as_u16(),
        });
    }

    /// Opens (creating) the log at `path`.
    pub(crate) fn open(path: &Path, max_bytes: u64, keep: u32) -> std::io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = open_append(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            max_bytes,
            keep,
            file: Mutex::new(Some(file)),
        })
    }

    /// Appends `event`. A failure is logged, never returned: an audit write
    /// problem must be loud in the server log but not fail a read.
    pub(crate) fn record(&self, event: &AuditEvent<'_>) {
        let mut line = serde_json::to_vec(event).expect("audit event serializes");
        line.push(b'\n');
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = self.append(&mut guard, &line) {
            tracing::error!(path = %self.path.display(), error = %e, "could not write the audit log");
        }
    }

    fn append(&self, file: &mut Option<std::fs::File>, line: &[u8]) -> std::io::Result<()> {
        let size = match file.as_ref() {
            Some(f) => f.metadata()?.len(),
            None => 0,
        };
        if file.is_none() || size + line.len() as u64 > self.max_bytes && size > 0 {
            *file = None;
            if size > 0 {
                self.rotate()?;
            }
            *file = Some(open_append(&self.path)?);
        }
        let f = file.as_mut().expect("opened above");
        f.write_all(line)?;
        f.flush()
    }

    fn rotate(&self) -> std::io::Result<()> {
        let numbered = |n: u32| {
            let mut p = self.path.clone().into_os_string();
            p.push(format!(".{n}"));
            PathBuf::from(p)
        };
        if self.keep == 0 {
            return std::fs::remove_file(&self.path);
        }
        let _ = std::fs::remove_file(numbered(self.keep));
        for n in (1..self.keep).rev() {
            let from = numbered(n);
            if from.exists() {
                std::fs::rename(&from, numbered(n + 1))?;
            }
        }
        std::fs::rename(&self.path, numbered(1))
    }
}

fn open_append(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Now as RFC 3339 UTC with milliseconds.
pub(crate) fn now_rfc3339() -> String {
    let d = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: usize) -> AuditEvent<'static> {
        AuditEvent {
            time: now_rfc3339(),
            request_id: "r",
            principal: "alice",
            action: Action::Search,
            query: Some("leave"),
            params: None,
            doc_ids: vec![format!("{n:016x}")],
            status: 200,
        }
    }

    #[test]
    fn appends_lines_and_rotates_by_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path, 400, 2).unwrap();
        for n in 0..20 {
            log.record(&event(n));
        }
        let current = std::fs::read_to_string(&path).unwrap();
        assert!(current.len() <= 400);
        for line in current.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["principal"], "alice");
        }
        assert!(dir.path().join("audit.jsonl.1").exists());
        assert!(dir.path().join("audit.jsonl.2").exists());
        assert!(!dir.path().join("audit.jsonl.3").exists());
        let t = now_rfc3339();
        assert_eq!((t.len(), &t[10..11], &t[23..]), (24, "T", "Z"));
    }
}
