//! Uploads, deletes, and their interplay with folder runs of the indexer.

use std::time::Duration;

use trawl_web::config::Config;

use crate::{delete, embedder, get, paths, post_multipart, search, spec, start, wait_job};

const MEMO: &[u8] = b"# Merger memo\n\nThe acquisition of Quokka Holdings closes in March; keep the valuation confidential.\n";

#[test]
fn upload_is_indexed_in_the_background_then_deleted() {
    let s = start(Config::default());
    let admin = Some(s.keys.admin.as_str());
    let before = get(&s.base, "/readyz", None).json()["documents"]
        .as_u64()
        .unwrap();

    let res = post_multipart(
        &s.base,
        "/api/documents",
        admin,
        &[
            ("groups", None, b"legal"),
            ("tags", None, b"memo, m-a"),
            ("file", Some("../../../etc/merger memo.md"), MEMO),
            ("file", Some("same-again.md"), MEMO),
        ],
    );
    assert_eq!(res.status, 202, "{}", String::from_utf8_lossy(&res.body));
    let accepted = res.json();
    let job = accepted["job_id"].as_str().unwrap();
    // The name is stripped of its folders and odd characters.
    let shown = format!("uploads/{job}/merger_memo.md");
    assert_eq!(accepted["files"][0], shown.as_str());
    assert!(s.index_dir().join(&shown).is_file());
    assert!(!s.root().join("etc").exists());

    let status = wait_job(&s, job);
    assert_eq!(status["state"], "done", "{status}");
    assert_eq!(status["files"][0]["status"], "indexed", "{status}");
    assert_eq!(status["files"][1]["status"], "duplicate", "{status}");
    let id = status["files"][0]["doc_id"].as_str().unwrap().to_owned();

    // Visible to the admin, and only to the admin among the test keys (group legal).
    let found = search(&s, &s.keys.admin, "Quokka acquisition", "");
    assert_eq!(paths(&found).first(), Some(&shown), "{found}");
    for key in [&s.keys.hr, &s.keys.it] {
        assert!(!paths(&search(&s, key, "Quokka acquisition", "")).contains(&shown));
        assert_eq!(
            get(&s.base, &format!("/api/documents/{id}"), Some(key)).status,
            404
        );
    }
    let legal =
        trawl_web::auth::create_key(&s.keys.file, "legal-erin", &["legal".into()], false).unwrap();
    assert_eq!(
        paths(&search(&s, &legal.secret, "Quokka acquisition", "")).first(),
        Some(&shown)
    );
    let file = get(
        &s.base,
        &format!("/api/documents/{id}/file"),
        Some(&legal.secret),
    );
    assert_eq!((file.status, &file.body[..]), (200, MEMO));
    let facets = get(&s.base, "/api/facets?tag=m-a", Some(&legal.secret)).json();
    assert_eq!(facets["documents"], 1, "{facets}");

    // Delete: gone from both arms, the file removed, the count back.
    let res = delete(&s.base, &format!("/api/documents/{id}"), admin);
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["deleted"], serde_json::json!([id]));
    for mode in ["keyword", "vector", "hybrid"] {
        let v = search(
            &s,
            &s.keys.admin,
            "Quokka acquisition",
            &format!("&mode={mode}"),
        );
        assert!(!paths(&v).contains(&shown), "{mode}: {v}");
    }
    assert_eq!(
        get(&s.base, &format!("/api/documents/{id}"), admin).status,
        404
    );
    assert!(!s.index_dir().join(&shown).exists());
    assert_eq!(
        delete(&s.base, &format!("/api/documents/{id}"), admin).status,
        404
    );
    let after = get(&s.base, "/readyz", None).json()["documents"]
        .as_u64()
        .unwrap();
    assert_eq!(after, before);
    let log = s.audit_log();
    for action in ["\"upload\"", "\"upload_indexed\"", "\"delete\""] {
        assert!(log.contains(action), "{action} missing from {log}");
    }
}

#[test]
fn folder_runs_keep_uploads_and_deleted_documents_stay_deleted() {
    let mut config = Config::default();
    config.server.reload_interval_s = 1;
    let s = start(config);
    let admin = Some(s.keys.admin.as_str());
    let res = post_multipart(
        &s.base,
        "/api/documents",
        admin,
        &[("file", Some("memo.md"), MEMO)],
    );
    let status = wait_job(&s, res.json()["job_id"].as_str().unwrap());
    assert_eq!(status["files"][0]["status"], "indexed", "{status}");

    let overtime = search(&s, &s.keys.admin, "overtime pay", "&mode=keyword");
    let first = &overtime["results"][0];
    assert_eq!(first["path"], "hr/overtime.md", "{overtime}");
    let id = first["doc_id"].as_str().unwrap().to_owned();
    assert_eq!(
        delete(&s.base, &format!("/api/documents/{id}"), admin).status,
        200
    );

    // A CLI run over the same folder, in this process as `trawl index` would
    // be in another: it must neither resurrect the deleted file nor drop the upload.
    let index = trawl_search::Index::open_or_create(&s.index_dir(), &spec()).unwrap();
    let report = trawl_indexer::index_directory(
        &s.docs(),
        &index,
        embedder().as_ref(),
        &Default::default(),
        &trawl_indexer::NoProgress,
    )
    .unwrap();
    assert_eq!(report.indexed, 0, "{report:?}");
    assert!(
        report
            .skipped
            .iter()
            .any(|k| k.path == "hr/overtime.md" && k.reason.contains("deleted")),
        "{report:?}"
    );
    // While a writer holds the index, the server's deletes say so clearly.
    {
        let _writer = index.writer().unwrap();
        let res = delete(&s.base, "/api/documents/0000000000000000", admin);
        assert_eq!((res.status, res.code().as_str()), (409, "index_busy"));
    }
    // A change the server did not make (here: a new file) shows up after its reload.
    std::fs::write(
        s.docs().join("hr/wombat.md"),
        "# Wombat care\n\nWombats on site get a daily carrot ration.\n",
    )
    .unwrap();
    trawl_indexer::index_directory(
        &s.docs(),
        &index,
        embedder().as_ref(),
        &Default::default(),
        &trawl_indexer::NoProgress,
    )
    .unwrap();
    let mut seen = false;
    for _ in 0..50 {
        if paths(&search(&s, &s.keys.hr, "wombat carrot", "&mode=keyword")) == ["hr/wombat.md"] {
            seen = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(seen, "the server never saw the CLI's commit");
    let v = search(&s, &s.keys.admin, "Quokka acquisition", "");
    assert!(
        paths(&v)[0].starts_with("uploads/"),
        "upload dropped by a folder run: {v}"
    );
    assert!(
        !paths(&search(&s, &s.keys.admin, "overtime pay", "&mode=keyword"))
            .contains(&"hr/overtime.md".to_owned())
    );
}

#[test]
fn uploads_accepted_before_shutdown_are_indexed() {
    let s = start(Config::default());
    let res = post_multipart(
        &s.base,
        "/api/documents",
        Some(&s.keys.admin),
        &[("file", Some("memo.md"), MEMO)],
    );
    assert_eq!(res.status, 202);
    // Shut down at once: the queued job still finishes and commits.
    let dir = s.shutdown();
    let index = trawl_search::Index::open(&dir.path().join("idx")).unwrap();
    let mut req = trawl_search::SearchRequest::new("Quokka acquisition");
    req.mode = trawl_search::Mode::Keyword;
    let hits = index.search(&req, None).unwrap().hits;
    assert!(
        hits.iter().any(|h| h.path.ends_with("/memo.md")),
        "{hits:?}"
    );
    assert_eq!(index.stats().documents, 7);
}
