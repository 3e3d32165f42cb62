//! BEIR-style JSONL corpora: one `{"_id", "title", "text"}` record per line,
//! one document per record, with the record's `_id` as the document id so
//! relevance judgments map onto results.
//!
//! Change detection is per record: a hash of title and text, remembered in the
//! indexer state under the file's canonical path.

use std::{
    collections::{BTreeMap, HashMap},
    io::{BufRead, BufReader},
    path::Path,
    time::Instant,
};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use trawl_embedder::Embedder;
use trawl_search::{DocumentMeta, Index};

use crate::{
    Error, IndexOptions, IndexReport, Progress, Result, Skipped,
    extract::Extracted,
    pipeline::{self, Output},
    session::Session,
    state::JsonlSource,
};

/// Longest title made from a record's text when it has none, in words.
const TITLE_WORDS: usize = 12;

#[derive(Deserialize)]
struct RawRecord {
    #[serde(rename = "_id")]
    id: serde_json::Value,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

/// A well-formed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) text: String,
    pub(crate) hash: String,
}

/// Parses one line; `Ok(None)` for a blank line.
pub(crate) fn parse_line(line: &str) -> std::result::Result<Option<Record>, String> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let raw: RawRecord = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let id = match raw.id {
        serde_json::Value::String(s) => s,
        // Some BEIR exports write numeric ids; their decimal form is the id.
        serde_json::Value::Number(n) => n.to_string(),
        other => return Err(format!("`_id` must be a string, found {other}")),
    };
    if id.is_empty() {
        return Err("empty `_id`".to_owned());
    }
    let title = raw.title.unwrap_or_default().trim().to_owned();
    let text = raw.text.unwrap_or_default();
    if title.is_empty() && text.trim().is_empty() {
        return Err("record has neither title nor text".to_owned());
    }
    let mut h = Sha256::new();
    h.update(title.as_bytes());
    h.update([0]);
    h.update(text.as_bytes());
    Ok(Some(Record {
        id,
        title,
        text,
        hash: hex::encode(h.finalize()),
    }))
}

fn title_of(r: &Record) -> String {
    if !r.title.is_empty() {
        return r.title.clone();
    }
    let words: Vec<&str> = r.text.split_whitespace().take(TITLE_WORDS + 1).collect();
    let mut title = words[..words.len().min(TITLE_WORDS)].join(" ");
    if words.len() > TITLE_WORDS {
        title.push('…');
    }
    title
}

/// Reads every record of `file`; malformed lines become skipped entries.
fn read_records(file: &Path, name: &str) -> Result<(Vec<Record>, Vec<Skipped>)> {
    let io = |source| Error::Io {
        path: file.to_path_buf(),
        source,
    };
    let mut reader = BufReader::new(std::fs::File::open(file).map_err(io)?);
    let mut records = Vec::new();
    let mut skipped = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut buf = Vec::new();
    let mut number = 0;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(io)? == 0 {
            break;
        }
        number += 1;
        let skip = |reason: String| Skipped {
            path: format!("{name}:{number}"),
            reason,
        };
        let parsed = std::str::from_utf8(&buf)
            .map_err(|e| format!("not UTF-8: {e}"))
            .and_then(parse_line);
        match parsed {
            Ok(None) => {}
            Ok(Some(r)) => match first_line.get(&r.id) {
                Some(first) => skipped.push(skip(format!(
                    "duplicate _id {:?} (first on line {first})",
                    r.id
                ))),
                None => {
                    first_line.insert(r.id.clone(), number);
                    records.push(r);
                }
            },
            Err(reason) => skipped.push(skip(reason)),
        }
    }
    Ok((records, skipped))
}

/// Indexes a BEIR-style `corpus.jsonl`: each record becomes one document
/// whose id is the record's `_id` and whose path is `FILE_NAME#_id`.
/// Re-running on an unchanged file embeds nothing; changed records are
/// replaced and records no longer in the file are removed.
pub fn index_jsonl(
    file: &Path,
    index: &Index,
    embedder: &dyn Embedder,
    opts: &IndexOptions,
    progress: &dyn Progress,
) -> Result<IndexReport> {
    let started = Instant::now();
    if !file.is_file() {
        return Err(Error::NotAFile(file.to_path_buf()));
    }
    let source_key = std::fs::canonicalize(file)
        .map_err(|source| Error::Io {
            path: file.to_path_buf(),
            source,
        })?
        .to_string_lossy()
        .into_owned();
    let name = file
        .file_name()
        .map_or_else(|| source_key.clone(), |n| n.to_string_lossy().into_owned());
    let mut report = IndexReport::default();
    let mut session = Session::begin(index, embedder, opts)?;

    let scan_started = Instant::now();
    let (records, skipped) = read_records(file, &name)?;
    report.files_seen = records.len() + skipped.len();
    report.skipped = skipped;
    let pipeline = crate::pipeline_version(opts);
    let previous = session.state.jsonl.remove(&source_key).unwrap_or_default();
    let same_pipeline = previous.pipeline == pipeline;
    let mut kept: BTreeMap<String, String> = BTreeMap::new();
    let mut to_index: Vec<&Record> = Vec::new();
    for r in &records {
        if session.state.deleted.contains(&r.id) {
            report.skipped.push(Skipped {
                path: format!("{name}#{}", r.id),
                reason: "deleted through the API".to_owned(),
            });
            continue;
        }
        match previous.records.get(&r.id) {
            Some(h) if *h == r.hash && same_pipeline => {
                report.unchanged += 1;
                kept.insert(r.id.clone(), r.hash.clone());
            }
            Some(_) => {
                report.updated += 1;
                to_index.push(r);
            }
            None => to_index.push(r),
        }
    }
    report.stages.scan_s = scan_started.elapsed().as_secs_f64();

    let present: HashMap<&str, ()> = records.iter().map(|r| (r.id.as_str(), ())).collect();
    for id in previous.records.keys() {
        if !present.contains_key(id.as_str()) {
            session.writer.delete_document(id)?;
            report.removed += 1;
        }
    }

    let prepare = |r: &&Record| -> Output {
        let path = format!("{name}#{}", r.id);
        let doc = Extracted {
            title: title_of(r),
            text: r.text.clone(),
            ..Extracted::default()
        };
        let meta = DocumentMeta {
            kind: "jsonl".to_owned(),
            size: r.text.len() as u64,
            sha256: r.hash.clone(),
            ..DocumentMeta::default()
        };
        let doc = if doc.text.trim().is_empty() {
            // A title-only record is still a document: its title is its text.
            Extracted {
                text: doc.title.clone(),
                ..doc
            }
        } else {
            doc
        };
        match pipeline::prepare_document(r.id.clone(), path.clone(), &doc, meta, embedder, opts) {
            Ok(p) => Output {
                label: path,
                docs: vec![p],
                ..Output::default()
            },
            Err(reason) => Output {
                label: path.clone(),
                skipped: vec![Skipped { path, reason }],
                ..Output::default()
            },
        }
    };
    let done = session.run(&to_index, &prepare, progress, &mut report.stages)?;
    for d in done {
        let r = to_index[d.job];
        report.skipped.extend(d.skipped);
        match d.docs.first() {
            Some((_, chunks)) => {
                report.indexed += 1;
                report.chunks += chunks;
                kept.insert(r.id.clone(), r.hash.clone());
            }
            // A record that no longer yields text must not keep its old chunks.
            None => {
                if previous.records.contains_key(&r.id) {
                    session.writer.delete_document(&r.id)?;
                }
            }
        }
    }

    session.state.jsonl.insert(
        source_key,
        JsonlSource {
            pipeline,
            records: kept,
        },
    );
    session.commit(&mut report.stages)?;

    crate::finish(&mut report, index, started);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_beir_records_and_rejects_bad_lines() {
        let r = parse_line(r#"{"_id": "4983", "title": "T", "text": "Body.", "metadata": {}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            (r.id.as_str(), r.title.as_str(), r.text.as_str()),
            ("4983", "T", "Body.")
        );
        let n = parse_line(r#"{"_id": 17, "text": "x"}"#).unwrap().unwrap();
        assert_eq!(n.id, "17");
        assert_ne!(n.hash, r.hash);
        assert_eq!(parse_line("   ").unwrap(), None);
        assert!(
            parse_line("{not json")
                .unwrap_err()
                .starts_with("invalid JSON")
        );
        assert!(parse_line(r#"{"title": "no id"}"#).is_err());
        assert!(
            parse_line(r#"{"_id": [1], "text": "x"}"#)
                .unwrap_err()
                .contains("_id")
        );
        assert!(parse_line(r#"{"_id": "a", "title": " ", "text": ""}"#).is_err());
    }

    #[test]
    fn title_falls_back_to_first_words() {
        let r = parse_line(
            r#"{"_id": "1", "text": "one two three four five six seven eight nine ten eleven twelve thirteen"}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            title_of(&r),
            "one two three four five six seven eight nine ten eleven twelve…"
        );
    }

    #[test]
    fn malformed_lines_are_reported_with_their_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.jsonl");
        std::fs::write(
            &f,
            b"{\"_id\":\"a\",\"text\":\"x\"}\n\n{broken\n{\"_id\":\"a\",\"text\":\"y\"}\n\xff\xfe\n{\"_id\":\"b\",\"title\":\"B\"}",
        )
        .unwrap();
        let (records, skipped) = read_records(&f, "c.jsonl").unwrap();
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        let paths: Vec<&str> = skipped.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(paths, ["c.jsonl:3", "c.jsonl:4", "c.jsonl:5"]);
        assert!(skipped[1].reason.contains("first on line 1"));
        assert!(skipped[2].reason.starts_with("not UTF-8"));
    }
}
