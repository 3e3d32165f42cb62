//! Authentication and permissions: who may see what, everywhere.

use serde_json::Value;

use crate::{enc, get, paths, post_json, search, shared};

/// Queries touching every document of the corpus.
const QUERIES: &[&str] = &[
    "password manager",
    "overtime pay",
    "report a lost laptop",
    "parental leave",
    "out of office",
    "metro card stipend",
    "security incident",
];

fn allowed(groups: &[&str], path: &str) -> bool {
    let group = if path.starts_with("hr/") {
        Some("hr")
    } else if path.starts_with("kb/") {
        Some("it")
    } else {
        None
    };
    group.is_none_or(|g| groups.contains(&g))
}

#[test]
fn requests_without_a_valid_key_are_refused() {
    let s = shared();
    let res = get(&s.base, "/api/search?q=leave", None);
    assert_eq!((res.status, res.code().as_str()), (401, "missing_key"));
    let res = get(&s.base, "/api/search?q=leave", Some("trawl_0000"));
    assert_eq!((res.status, res.code().as_str()), (401, "invalid_key"));
    let res = get(&s.base, "/api/search?q=leave", Some(""));
    assert_eq!(res.status, 401);
    for path in ["/api/facets", "/api/documents/0000000000000000", "/metrics"] {
        assert_eq!(get(&s.base, path, None).status, 401, "{path}");
    }
    // Open routes.
    for path in [
        "/healthz",
        "/readyz",
        "/",
        "/assets/app.js",
        "/api/openapi.json",
    ] {
        assert_eq!(get(&s.base, path, None).status, 200, "{path}");
    }
    // X-API-Key works too.
    let res = crate::finish(
        crate::agent()
            .get(format!("{}/api/whoami", s.base))
            .header("X-API-Key", &s.keys.hr)
            .call(),
    );
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["name"], "hr-alice");
}

#[test]
fn a_revoked_key_stops_working_at_once() {
    let s = shared();
    let key =
        trawl_web::auth::create_key(&s.keys.file, "temp-dave", &["hr".into()], false).unwrap();
    assert_eq!(get(&s.base, "/api/whoami", Some(&key.secret)).status, 200);
    trawl_web::auth::revoke_key(&s.keys.file, "temp-dave").unwrap();
    let res = get(&s.base, "/api/whoami", Some(&key.secret));
    assert_eq!((res.status, res.code().as_str()), (401, "invalid_key"));
}

#[test]
fn search_results_stay_within_the_principals_groups() {
    let s = shared();
    let mut seen_hr = 0;
    let mut seen_it = 0;
    for q in QUERIES {
        for mode in ["hybrid", "keyword", "vector"] {
            let extra = format!("&mode={mode}&k=20");
            let hr = paths(&search(s, &s.keys.hr, q, &extra));
            assert!(hr.iter().all(|p| allowed(&["hr"], p)), "{q} {mode}: {hr:?}");
            seen_hr += hr.iter().filter(|p| p.starts_with("hr/")).count();
            let it = paths(&search(s, &s.keys.it, q, &extra));
            assert!(it.iter().all(|p| allowed(&["it"], p)), "{q} {mode}: {it:?}");
            seen_it += it.iter().filter(|p| p.starts_with("kb/")).count();
            // POST gives what GET gives.
            let body = format!(r#"{{"q": {}, "mode": "{mode}", "k": 20}}"#, Value::from(*q));
            let post = post_json(&s.base, "/api/search", Some(&s.keys.it), &body);
            assert_eq!(post.status, 200);
            assert_eq!(paths(&post.json()), it, "{q} {mode}");
        }
    }
    assert!(
        seen_hr > 0 && seen_it > 0,
        "each key sees its own documents"
    );
    // The admin sees both.
    let all = paths(&search(
        s,
        &s.keys.admin,
        "password manager overtime",
        "&k=20",
    ));
    assert!(all.iter().any(|p| p.starts_with("hr/")) && all.iter().any(|p| p.starts_with("kb/")));
    // A keyword that only a kb document has finds nothing for hr.
    let hr = search(s, &s.keys.hr, "\"password manager\"", "&mode=keyword");
    assert!(paths(&hr).is_empty(), "{hr}");
}

fn facet(v: &Value, name: &str) -> Vec<(String, u64)> {
    v[name]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["value"].as_str().unwrap().to_owned(),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn facet_counts_only_count_visible_documents() {
    let s = shared();
    let count = |key: &str, q: &str| {
        let res = get(&s.base, &format!("/api/facets?q={}", enc(q)), Some(key));
        assert_eq!(res.status, 200);
        res.json()
    };
    let hr = count(&s.keys.hr, "");
    assert_eq!(hr["documents"], 4, "{hr}");
    assert_eq!(facet(&hr, "tags"), [("policy".into(), 3), ("kb".into(), 1)]);
    assert_eq!(facet(&hr, "custodian"), [("p.hr".to_owned(), 3)]);
    assert_eq!(facet(&hr, "year"), [("2023".into(), 3), ("2024".into(), 1)]);
    assert_eq!(facet(&hr, "kind"), [("markdown".to_owned(), 4)]);
    let it = count(&s.keys.it, "");
    assert_eq!(it["documents"], 3, "{it}");
    assert_eq!(facet(&it, "tags"), [("kb".to_owned(), 3)]);
    assert_eq!(facet(&it, "custodian"), [("i.t".to_owned(), 2)]);
    let admin = count(&s.keys.admin, "");
    assert_eq!(admin["documents"], 6);
    // Under a query and a filter.
    let res = get(&s.base, "/api/facets?q=password&tag=kb", Some(&s.keys.it));
    let v = res.json();
    assert_eq!(v["documents"], 2, "{v}");
    // hr: only its own transit page mentions passwords; the kb pages are not counted.
    let v = count(&s.keys.hr, "password");
    assert_eq!(v["documents"], 1, "{v}");
    assert_eq!(facet(&v, "tags"), [("policy".to_owned(), 1)]);
    let v = count(&s.keys.hr, "\"password manager\"");
    assert_eq!(v["documents"], 0, "{v}");
    let res = get(&s.base, "/api/facets?from=yesterday", Some(&s.keys.hr));
    assert_eq!((res.status, res.code().as_str()), (400, "invalid_date"));
}

#[test]
fn documents_and_files_outside_the_groups_are_invisible() {
    let s = shared();
    let admin = search(s, &s.keys.admin, "password manager", "&k=20");
    let kb = admin["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "kb/password-requirements.md")
        .unwrap_or_else(|| panic!("{admin}"));
    let id = kb["doc_id"].as_str().unwrap();
    let chunk = kb["chunk_id"].as_u64().unwrap();

    // The it key reads it: metadata, text, chunks (the shown chunk among them), the file.
    let res = get(&s.base, &format!("/api/documents/{id}"), Some(&s.keys.it));
    assert_eq!(res.status, 200);
    let doc = res.json();
    assert_eq!(doc["path"], "kb/password-requirements.md");
    assert_eq!(doc["groups"], serde_json::json!(["it"]));
    assert_eq!(doc["has_file"], true);
    assert!(
        doc["text"].as_str().unwrap().contains("password manager"),
        "{doc}"
    );
    let chunks = doc["chunks"].as_array().unwrap();
    assert!(chunks.iter().any(|c| c["chunk_id"] == chunk));
    assert!(chunks.iter().any(|c| c["section"].is_string()));
    let res = get(
        &s.base,
        &format!("/api/documents/{id}/file"),
        Some(&s.keys.it),
    );
    assert_eq!(res.status, 200);
    let original = std::fs::read(s.docs().join("kb/password-requirements.md")).unwrap();
    assert_eq!(res.body, original);
    assert_eq!(
        res.header("content-type"),
        Some("text/markdown; charset=utf-8")
    );
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"password-requirements.md\"")
    );

    // For hr it does not exist: the same 404 as an id that was never there.
    let missing = get(&s.base, "/api/documents/ffffffffffffffff", Some(&s.keys.hr));
    for path in [
        format!("/api/documents/{id}"),
        format!("/api/documents/{id}/file"),
    ] {
        let res = get(&s.base, &path, Some(&s.keys.hr));
        assert_eq!(
            (res.status, res.code()),
            (404, "not_found".to_owned()),
            "{path}"
        );
        assert_eq!(
            res.json()["error"]["message"]
                .as_str()
                .unwrap()
                .replace(id, "ID"),
            missing.json()["error"]["message"]
                .as_str()
                .unwrap()
                .replace("ffffffffffffffff", "ID")
        );
    }
    // Nor does it show in the audit log as a view by hr.
    let log = s.audit_log();
    assert!(
        !log.lines().any(|l| l.contains("\"principal\":\"hr-alice\"")
            && l.contains("\"action\":\"view\"")
            && l.contains(id))
    );
}

#[test]
fn path_traversal_in_ids_never_reaches_the_disk() {
    let s = shared();
    for id in [
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "..",
        "kb%2Fpassword-requirements.md",
    ] {
        for suffix in ["", "/file"] {
            let res = get(
                &s.base,
                &format!("/api/documents/{id}{suffix}"),
                Some(&s.keys.admin),
            );
            assert_eq!(res.status, 404, "{id}{suffix}");
            assert!(
                !String::from_utf8_lossy(&res.body).contains("root:"),
                "{id}"
            );
        }
    }
}

#[test]
fn responses_carry_security_headers_and_request_ids() {
    let s = shared();
    let ui = get(&s.base, "/", None);
    let csp = ui.header("content-security-policy").unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline') ; script") && !csp.contains("cdn"));
    let html = String::from_utf8_lossy(&ui.body);
    assert!(
        html.contains("<title>trawl") && !html.contains("http://") && !html.contains("https://")
    );
    for res in [ui, get(&s.base, "/api/search?q=leave", Some(&s.keys.hr))] {
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(res.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(res.header("x-frame-options"), Some("DENY"));
        assert_eq!(res.header("x-request-id").map(str::len), Some(36));
    }
}

#[test]
fn audit_log_records_who_saw_what_without_secrets() {
    let s = shared();
    let v = search(s, &s.keys.hr, "parental leave", "&kind=markdown");
    let ids: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["doc_id"].as_str().unwrap())
        .collect();
    assert!(!ids.is_empty());
    let log = s.audit_log();
    let entry: Value = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["principal"] == "hr-alice" && e["query"] == "parental leave")
        .unwrap_or_else(|| panic!("no audit entry in {log}"));
    assert_eq!(entry["action"], "search");
    assert_eq!(entry["params"]["kind"], "markdown");
    assert_eq!(entry["doc_ids"], serde_json::json!(ids));
    assert_eq!(entry["request_id"].as_str().unwrap().len(), 36);
    for secret in [&s.keys.hr, &s.keys.it, &s.keys.admin] {
        assert!(!log.contains(secret.as_str()));
        assert!(!log.contains(&secret[6..]));
    }
    assert!(!log.contains("Bearer"));
}

#[test]
fn metrics_and_openapi_describe_the_service() {
    let s = shared();
    search(s, &s.keys.hr, "overtime", "");
    let res = get(&s.base, "/metrics", Some(&s.keys.admin));
    assert_eq!(res.status, 200);
    let text = String::from_utf8_lossy(&res.body);
    assert!(
        text.contains(
            "trawl_http_requests_total{route=\"/api/search\",method=\"GET\",status=\"200\"}"
        ),
        "{text}"
    );
    assert!(text.contains("trawl_http_request_duration_seconds_bucket{le="));
    assert!(
        text.lines()
            .any(|l| l.starts_with("trawl_index_documents "))
    );
    let size: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("trawl_index_size_bytes "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(size > 10_000.0, "{size}");
    assert!(text.contains("trawl_embed_queue_depth 0"));

    let spec = get(&s.base, "/api/openapi.json", None).json();
    for path in [
        "/api/search",
        "/api/facets",
        "/api/documents",
        "/api/documents/{id}",
        "/api/documents/{id}/file",
        "/api/documents/{id}/similar",
        "/api/jobs/{id}",
        "/api/ask",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} missing");
    }
    assert!(spec["paths"]["/api/search"]["post"].is_object());
    assert!(spec["paths"]["/api/documents"]["get"].is_object());
    // The answer route: its body, both response forms, and the event types described.
    let ask = &spec["paths"]["/api/ask"]["post"];
    assert!(ask["requestBody"].is_object(), "{ask}");
    let ok = &ask["responses"]["200"];
    assert!(ok["content"]["text/event-stream"].is_object(), "{ok}");
    assert!(ok["content"]["application/json"].is_object(), "{ok}");
    let described = format!("{ask}");
    for event in ["token", "replace", "citations", "done", "error"] {
        assert!(
            described.contains(&format!("`{event}`")),
            "{event} in {described}"
        );
    }
    for schema in [
        "AskParams",
        "AskResponse",
        "Citation",
        "SimilarResponse",
        "DocumentList",
    ] {
        assert!(
            spec["components"]["schemas"][schema].is_object(),
            "{schema}"
        );
    }
    assert!(
        spec["components"]["schemas"]["SearchResult"]["properties"]["keyword_score"].is_object()
    );
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
}
