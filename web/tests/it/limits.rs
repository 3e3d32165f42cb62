//! Limits: oversized or absurd requests get a clear 4xx JSON error; keys are rate limited.

use trawl_web::config::Config;

use crate::{enc, get, post_json, post_multipart, shared, start};

#[test]
fn oversized_and_absurd_requests_get_clear_errors() {
    let s = shared();
    let key = Some(s.keys.hr.as_str());
    let long = "leave ".repeat(400);
    let cases = [
        (
            format!("/api/search?q={}", enc(&long)),
            400,
            "query_too_long",
        ),
        (
            "/api/search?q=leave&k=1000000".to_owned(),
            400,
            "k_too_large",
        ),
        (
            "/api/search?q=leave&k=18446744073709551616".to_owned(),
            400,
            "invalid_parameters",
        ),
        (
            "/api/search?q=leave&offset=5000".to_owned(),
            400,
            "offset_too_large",
        ),
        ("/api/search?q=leave&k=0".to_owned(), 400, "invalid_search"),
        (
            "/api/search?q=leave&mode=fuzzy".to_owned(),
            400,
            "invalid_mode",
        ),
        (
            "/api/search?q=leave&colour=red".to_owned(),
            400,
            "invalid_parameters",
        ),
        ("/api/search?q=%20".to_owned(), 400, "empty_query"),
        (
            "/api/search?q=leave&from=2024-02-30".to_owned(),
            400,
            "invalid_date",
        ),
        ("/api/jobs/nope".to_owned(), 403, "forbidden"),
        ("/no/such/route".to_owned(), 404, "not_found"),
    ];
    for (path, status, code) in cases {
        let res = get(&s.base, &path, key);
        assert_eq!(
            (res.status, res.code()),
            (status, code.to_owned()),
            "{path}"
        );
        assert!(
            res.header("content-type")
                .unwrap()
                .starts_with("application/json"),
            "{path}"
        );
    }
    let huge = format!(r#"{{"q": "{}"}}"#, "a".repeat(100_000));
    let res = post_json(&s.base, "/api/search", key, &huge);
    assert_eq!((res.status, res.code().as_str()), (413, "body_too_large"));
    let res = post_json(&s.base, "/api/search", key, r#"{"q": "leave", "k": "ten"}"#);
    assert_eq!(
        (res.status, res.code().as_str()),
        (400, "invalid_parameters")
    );
    let res = post_json(&s.base, "/api/search", key, "{not json");
    assert_eq!(res.status, 400);
    // JSON Schema's integers include `3.0`; the document promises them, so they are taken.
    let res = post_json(&s.base, "/api/search", key, r#"{"q": "leave", "k": 3.0}"#);
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    // Each bound the OpenAPI document states is checked.
    let too_many: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
    for (path, body, code) in [
        (
            "/api/ask",
            r#"{"question": "leave?", "k": 11}"#.to_owned(),
            "invalid_k",
        ),
        (
            "/api/ask",
            r#"{"question": "leave?", "k": 0}"#.to_owned(),
            "invalid_k",
        ),
        (
            "/api/documents/nope/tags",
            serde_json::json!({ "add": too_many }).to_string(),
            "too_many_tag_changes",
        ),
        (
            "/api/saved-searches",
            r#"{"name": "n", "search": {"q": "leave", "k": 0}}"#.to_owned(),
            "invalid_search",
        ),
        (
            "/api/search",
            r#"{"q": "leave", "from": " 2024-01-01"}"#.to_owned(),
            "invalid_date",
        ),
        (
            "/api/search",
            r#"{"q": "leave", "fusion": "RRF"}"#.to_owned(),
            "invalid_fusion",
        ),
    ] {
        let res = post_json(&s.base, path, key, &body);
        assert_eq!(
            (res.status, res.code().as_str()),
            (400, code),
            "{path} {body}"
        );
    }
}

#[test]
fn uploads_need_an_admin_and_an_accepted_type() {
    let s = shared();
    let doc: &[u8] = b"# Note\n\nA note.\n";
    let res = post_multipart(
        &s.base,
        "/api/documents",
        Some(&s.keys.hr),
        &[("file", Some("n.md"), doc)],
    );
    assert_eq!((res.status, res.code().as_str()), (403, "forbidden"));
    let res = delete_as(&s.keys.it);
    assert_eq!((res.status, res.code().as_str()), (403, "forbidden"));
    let admin = Some(s.keys.admin.as_str());
    let res = post_multipart(
        &s.base,
        "/api/documents",
        admin,
        &[("file", Some("tool.exe"), b"MZ\x90\x00")],
    );
    assert_eq!((res.status, res.code().as_str()), (415, "unsupported_type"));
    let res = post_multipart(&s.base, "/api/documents", admin, &[("groups", None, b"hr")]);
    assert_eq!((res.status, res.code().as_str()), (400, "no_files"));
    let res = post_multipart(
        &s.base,
        "/api/documents",
        admin,
        &[("groups", None, b"__public__"), ("file", Some("n.md"), doc)],
    );
    assert_eq!((res.status, res.code().as_str()), (400, "invalid_metadata"));
    let res = post_multipart(&s.base, "/api/documents", admin, &[("owner", None, b"x")]);
    assert_eq!((res.status, res.code().as_str()), (400, "unknown_field"));
    // Nothing of the refused uploads is left behind.
    let uploads = s.index_dir().join("uploads");
    assert_eq!(std::fs::read_dir(&uploads).unwrap().count(), 0);

    fn delete_as(key: &str) -> crate::Res {
        let s = shared();
        crate::delete(&s.base, "/api/documents/0000000000000000", Some(key))
    }
}

#[test]
fn keys_are_rate_limited_and_uploads_capped_per_server() {
    let mut config = Config::default();
    config.limits.burst = 3;
    config.limits.rate_per_s = 0.2;
    config.limits.max_upload_bytes = 200_000;
    let s = start(config);
    // Uploads have their own, larger cap than JSON bodies (64 KiB here).
    let admin = Some(s.keys.admin.as_str());
    let text = "Paragraph about wombats and their burrows.\n\n".repeat(4000);
    let res = post_multipart(
        &s.base,
        "/api/documents",
        admin,
        &[("file", Some("big.txt"), &text.as_bytes()[..150_000])],
    );
    assert_eq!(res.status, 202, "{}", String::from_utf8_lossy(&res.body));
    let res = post_multipart(
        &s.base,
        "/api/documents",
        admin,
        &[("file", Some("huge.txt"), &vec![b'a'; 300_000])],
    );
    assert_eq!((res.status, res.code().as_str()), (413, "body_too_large"));
    for _ in 0..3 {
        assert_eq!(get(&s.base, "/api/whoami", Some(&s.keys.hr)).status, 200);
    }
    let res = get(&s.base, "/api/whoami", Some(&s.keys.hr));
    assert_eq!((res.status, res.code().as_str()), (429, "rate_limited"));
    let wait: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=5).contains(&wait), "{wait}");
    // Another key has its own bucket.
    assert_eq!(get(&s.base, "/api/whoami", Some(&s.keys.it)).status, 200);
}
