//! The formats legal and HR teams hold besides PDF, DOCX and e-mail, end to
//! end: Outlook `.msg` messages thread exactly as the `.eml` files they were
//! converted from, and a PDF whose last page is a scan shows which page OCR
//! read, in `trawl search --json` and in the document view.

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

/// `trawl threads --json` of a folder, with what cannot differ between an
/// `.eml` and its `.msg` (paths, document ids) replaced by Message-IDs: per
/// thread, its subject and each message's parent, depth, inclusiveness and
/// whether it is a copy, by Message-ID.
fn threads_by_message_id(src: &Path, idx: &Path) -> BTreeMap<String, BTreeMap<String, Value>> {
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
