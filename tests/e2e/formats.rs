//! The formats legal and HR teams hold besides PDF, DOCX and e-mail, end to
//! end: Outlook `.msg` messages thread, filter by custodian and export
//! exactly as the `.eml` files they were converted from; OpenDocument text
//! and RTF are found with their sections; and a PDF whose last page is a scan
//! shows which page OCR read, in `trawl search --json` and in the document
//! view.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use serde_json::Value;

use super::{get, start_server, trawl};

fn indexer_fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("indexer/tests/fixtures")
        .join(rel)
}

/// Copies indexer fixtures into `dir` (created) under their file names.
fn folder_of(dir: &Path, files: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    for f in files {
        let from = indexer_fixture(f);
        std::fs::copy(&from, dir.join(from.file_name().unwrap())).unwrap();
    }
}

/// `trawl index` of `src` into `idx` without OCR; every file must be read.
fn index_all_without_ocr(src: &Path, idx: &Path) {
    let report = trawl(&[
        "index",
        src.to_str().unwrap(),
        "--index",
        idx.to_str().unwrap(),
        "--ocr",
        "off",
        "--json",
    ]);
    assert_eq!(report["skipped"].as_array().unwrap().len(), 0, "{report:#}");
}

/// `trawl threads --json` of a folder, with what cannot differ between an
/// `.eml` and its `.msg` (paths, document ids) replaced by Message-IDs: per
/// thread, its subject and each message's parent, depth, inclusiveness and
/// whether it is a copy, by Message-ID.
fn threads_by_message_id(src: &Path, idx: &Path) -> BTreeMap<String, BTreeMap<String, Value>> {
    index_all_without_ocr(src, idx);
    let threads = trawl(&["threads", "--index", idx.to_str().unwrap(), "--json"]);
    let mut out = BTreeMap::new();
    for t in threads.as_array().unwrap() {
        let messages = t["messages"].as_array().unwrap();
        let id_of = |doc: &Value| -> Value {
            messages
                .iter()
                .find(|m| m["doc_id"] == *doc)
                .map_or(Value::Null, |m| m["message_id"].clone())
        };
        let shape: BTreeMap<String, Value> = messages
            .iter()
            .map(|m| {
                let id = m["message_id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a message without Message-ID: {m:#}"));
                // A copy (the same message in the mailbox) shares its original's id.
                let copy = m["copy_of"].is_string();
                let key = if copy {
                    format!("{id} (copy)")
                } else {
                    id.to_owned()
                };
                let shape = serde_json::json!({
                    "parent": id_of(&m["parent"]),
                    "depth": m["depth"],
                    "inclusive": m["inclusive"],
                    "subject": m["subject"],
                });
                (key, shape)
            })
            .collect();
        out.insert(t["subject"].as_str().unwrap().to_owned(), shape);
    }
    out
}

#[test]
fn outlook_messages_thread_exactly_as_their_eml_originals() {
    let tmp = tempfile::tempdir().unwrap();
    // The same conversation twice: the announcement and the forward (which
    // carries the contractors' reply as an attached message) as .eml files,
    // then as the .msg files Outlook would have saved; the mailbox holding
    // the announcement and a reply to it is in both.
    let eml = tmp.path().join("eml");
    folder_of(
        &eml,
        &[
            "email/remote-work-announcement.eml",
            "email/remote-work-contractors-fwd.eml",
            "email/remote-work-thread.mbox",
        ],
    );
    let msg = tmp.path().join("msg");
    folder_of(
        &msg,
        &[
            "msg/remote-work-announcement.msg",
            "msg/remote-work-contractors-fwd.msg",
            "email/remote-work-thread.mbox",
        ],
    );
    let from_eml = threads_by_message_id(&eml, &tmp.path().join("idx-eml"));
    let from_msg = threads_by_message_id(&msg, &tmp.path().join("idx-msg"));
    assert_eq!(from_msg, from_eml);
    // And the conversation is really threaded, not a list of loose messages:
    // the forward (a .msg) hangs under the announcement (a .msg), and the
    // reply it carries (an attached Outlook item) is a copy of the mailbox's.
    let policy = &from_msg["new remote work policy"];
    assert_eq!(policy.len(), 5, "{policy:#?}");
    assert_eq!(policy["<policy-2024-03@example.com>"]["depth"], 0);
    for reply in ["<fwd-1@example.com>", "<reply-1@example.com>"] {
        assert_eq!(
            policy[reply]["parent"], "<policy-2024-03@example.com>",
            "{policy:#?}"
        );
    }
    assert_eq!(
        policy["<reply-1@example.com> (copy)"]["inclusive"], false,
        "{policy:#?}"
    );
}

#[test]
fn scanned_pages_are_marked_ocr_in_search_results_and_the_document_view() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    // Three pages with a text layer, then one scanned page without one.
    folder_of(&src, &["ocr/policy-then-scanned-page.pdf"]);
    let src = src.to_str().unwrap();

    // `[ocr] mode = "off"` in trawl.toml: the scanned page stays empty.
    let conf = tmp.path().join("trawl.toml");
    std::fs::write(&conf, "[ocr]\nmode = \"off\"\n").unwrap();
    let off = tmp.path().join("idx-off");
    let report = trawl(&[
        "index",
        src,
        "--index",
        off.to_str().unwrap(),
        "--config",
        conf.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(report["ocr_pages"], 0, "{report:#}");

    // The flag wins over the file: only the page without a text layer is read.
    let idx = tmp.path().join("idx");
    let idx_s = idx.to_str().unwrap();
    let report = trawl(&[
        "index",
        src,
        "--index",
        idx_s,
        "--config",
        conf.to_str().unwrap(),
        "--ocr",
        "auto",
        "--json",
    ]);
    assert_eq!(report["ocr_pages"], 1, "{report:#}");
    assert!(report["ocr_s"].as_f64().unwrap() > 0.0, "{report:#}");

    // The scanned page's words are found, on page 4, marked as OCR'd; the
    // text-layer pages are not marked.
    let search = |q: &str| {
        trawl(&[
            "search", q, "--index", idx_s, "--mode", "keyword", "-k", "5", "--json",
        ])
    };
    let scanned = search("affiliate");
    let hit = &scanned["results"][0];
    assert_eq!(
        (&hit["page"], &hit["ocr"]),
        (&4.into(), &true.into()),
        "{scanned:#}"
    );
    let typed = search("laptop monitor");
    let hit = &typed["results"][0];
    assert_eq!(
        (&hit["page"], &hit["ocr"]),
        (&2.into(), &false.into()),
        "{typed:#}"
    );

    // The document view marks each chunk by its page.
    let server = start_server(&idx);
    let id = hit["doc_id"].as_str().unwrap();
    let (status, _, body) = get(&format!("{}/api/documents/{id}", server.1));
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["extra"]["ocr_pages"], "4", "{doc:#}");
    let chunks = doc["chunks"].as_array().unwrap();
    assert!(chunks.iter().any(|c| c["page"] == 4), "{doc:#}");
    for c in chunks {
        assert_eq!(c["ocr"], c["page"] == 4, "{c:#}");
    }
}

/// `trawl export` of what `query` hits among `custodian`'s documents: the
/// load file's rows with what cannot differ between an `.eml` and its `.msg`
/// kept (kind, custodian, author, date, parent, file name without its
/// extension), the native of the first row and the text of each row.
fn export_rows(
    idx: &Path,
    out: &Path,
    query: &str,
    custodian: &str,
) -> (Vec<Vec<String>>, Vec<u8>, Vec<String>) {
    let status = std::process::Command::new(super::BIN)
        .args([
            "export",
            "--query",
            query,
            "--custodian",
            custodian,
            "--out",
            out.to_str().unwrap(),
            "--index",
            idx.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let csv = std::fs::read_to_string(out.join("loadfile.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let mut rows = Vec::new();
    let mut natives = Vec::new();
    let mut texts = Vec::new();
    for r in reader.records() {
        let r = r.unwrap();
        let stem = |f: &str| f.rsplit_once('.').map_or(f, |(s, _)| s).to_owned();
        rows.push(vec![
            r[col("KIND")].to_owned(),
            r[col("CUSTODIAN")].to_owned(),
            r[col("AUTHOR")].to_owned(),
            r[col("DATE")].to_owned(),
            r[col("PARENT_BATES")].to_owned(),
            stem(&r[col("FILENAME")]),
        ]);
        if !r[col("NATIVE")].is_empty() {
            natives.push(std::fs::read(out.join(&r[col("NATIVE")])).unwrap());
        }
        texts.push(std::fs::read_to_string(out.join(&r[col("TEXT")])).unwrap());
    }
    assert_eq!(natives.len(), 1, "{csv}");
    (rows, natives.remove(0), texts)
}

#[test]
fn outlook_messages_have_custodians_and_export_like_eml_files() {
    let tmp = tempfile::tempdir().unwrap();
    // Two custodians' folders: Maria's holds the announcement as Outlook
    // saved it, Tom's the same message as an .eml (a folder rule names each).
    let src = tmp.path().join("src");
    folder_of(&src.join("maria"), &["msg/remote-work-announcement.msg"]);
    folder_of(&src.join("tom"), &["email/remote-work-announcement.eml"]);
    for who in ["maria", "tom"] {
        std::fs::write(
            src.join(who).join("_trawl.meta.json"),
            format!(r#"{{"custodian": "{who}"}}"#),
        )
        .unwrap();
    }
    let idx = tmp.path().join("idx");
    index_all_without_ocr(&src, &idx);

    // The custodian filter finds each one's copy, both of kind email, the
    // attached PDF with its message's custodian.
    for (who, file) in [
        ("maria", "maria/remote-work-announcement.msg"),
        ("tom", "tom/remote-work-announcement.eml"),
    ] {
        let res = trawl(&[
            "search",
            "remote work policy",
            "--index",
            idx.to_str().unwrap(),
            "--mode",
            "keyword",
            "--custodian",
            who,
            "-k",
            "20",
            "--json",
        ]);
        let hits = res["results"].as_array().unwrap();
        assert!(hits.iter().any(|h| h["path"] == file), "{res:#}");
        for h in hits {
            assert_eq!(h["custodian"], who, "{h:#}");
            assert!(
                h["path"].as_str().unwrap().starts_with(&format!("{who}/")),
                "{h:#}"
            );
        }
        let message = hits.iter().find(|h| h["path"] == file).unwrap();
        assert_eq!(message["kind"], "email", "{message:#}");
        assert_eq!(
            message["author"], "Maria Lopez <maria.lopez@example.com>",
            "{message:#}"
        );
        let only_email = trawl(&[
            "search",
            "remote work policy",
            "--index",
            idx.to_str().unwrap(),
            "--mode",
            "keyword",
            "--custodian",
            who,
            "--kind",
            "email",
            "-k",
            "20",
            "--json",
        ]);
        let paths: std::collections::BTreeSet<&str> = only_email["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["path"].as_str().unwrap())
            .collect();
        assert_eq!(paths, [file].into(), "{only_email:#}");
    }

    // Exported by custodian: the same rows, the native file byte for byte,
    // the same text after the header block.
    let (msg_rows, msg_native, msg_texts) =
        export_rows(&idx, &tmp.path().join("export-maria"), "policy", "maria");
    let (eml_rows, eml_native, eml_texts) =
        export_rows(&idx, &tmp.path().join("export-tom"), "policy", "tom");
    assert_eq!(
        msg_rows,
        eml_rows
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r[1] = "maria".into();
                r
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(msg_rows[0][0], "email", "{msg_rows:?}");
    assert!(
        msg_rows.len() >= 2,
        "the attached PDF is exported too: {msg_rows:?}"
    );
    assert_eq!(
        msg_native,
        std::fs::read(src.join("maria/remote-work-announcement.msg")).unwrap()
    );
    assert_eq!(
        eml_native,
        std::fs::read(src.join("tom/remote-work-announcement.eml")).unwrap()
    );
    for (m, e) in msg_texts.iter().zip(&eml_texts) {
        assert!(
            m.contains("takes effect") == e.contains("takes effect"),
            "{m}\n---\n{e}"
        );
    }
    assert!(msg_texts[0].contains("takes effect"), "{}", msg_texts[0]);
}

#[test]
fn odt_and_rtf_files_are_found_in_their_sections() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    folder_of(
        &src,
        &["odt/team-charter.odt", "rtf/expense-reimbursement.rtf"],
    );
    let idx = tmp.path().join("idx");
    let idx_s = idx.to_str().unwrap();
    index_all_without_ocr(&src, &idx);
    for (query, path, kind, section) in [
        (
            "morning person afternoon person",
            "team-charter.odt",
            "odt",
            "Our team › Core working hours",
        ),
        (
            "per diem receipts",
            "expense-reimbursement.rtf",
            "rtf",
            "Expense reimbursement › Travel › Per diem",
        ),
    ] {
        let res = trawl(&[
            "search", query, "--index", idx_s, "--mode", "keyword", "-k", "3", "--json",
        ]);
        let hit = &res["results"][0];
        assert_eq!(
            (&hit["path"], &hit["kind"], &hit["section"]),
            (&path.into(), &kind.into(), &section.into()),
            "{res:#}"
        );
    }
    let kinds = trawl(&[
        "search", "team", "--index", idx_s, "--kind", "rtf", "--mode", "keyword", "--json",
    ]);
    assert!(
        kinds["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["kind"] == "rtf"),
        "{kinds:#}"
    );
}
