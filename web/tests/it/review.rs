//! The review endpoints over real e-mail and contracts from `corpora/`:
//! search-term reports, threads, near-duplicates, review tags, saved
//! searches and the modified-date filter, each as two principals whose
//! groups differ.

use std::{
    collections::{HashMap, HashSet},
    path::Path,
    sync::{Arc, OnceLock},
    time::{Duration, SystemTime},
};

use serde_json::{Value, json};
use trawl_search::{Access, Filter, Index, TermsRequest};
use trawl_web::config::Config;

use crate::{Server, delete, enc, get, paths, post_json, search, spec, start, start_with};

fn corpora() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora")
}

/// A memo about a supply agreement; `changed` replaces one word so copies
/// are near, not exact, duplicates.
fn memo(changed: &str) -> String {
    format!(
        "Memorandum on the distribution agreement with Northwind Supply. The supplier shall \
         deliver the goods to the buyer within thirty days of each purchase order, and the \
         buyer shall pay every invoice within forty five days of receipt. Either party may \
         terminate the agreement upon sixty days written notice to the other party. The \
         supplier warrants that the goods conform to the specifications in schedule A and \
         are free from defects in materials and workmanship for twelve months. Disputes are \
         resolved by arbitration in Wilmington under the rules of the American Arbitration \
         Association, and the agreement is governed by the laws of the State of Delaware. \
         Counsel recommends that the {changed} review the indemnity clause, the limitation of \
         liability and the exclusivity provisions before the renewal date next spring, \
         because the current terms expose the company to uncapped damages for late delivery."
    )
}

fn set_mtime(path: &Path, day: &str) {
    let secs = trawl_service::filter::parse_date(day).unwrap();
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(secs as u64 + 12 * 3600);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// `mail/` (group `legal`, but the vendor dispute's branch reply is in
/// `hr-mail/`, group `hr`), a CUAD contract and two memos in `legal/`, a
/// near-copy of the memo and a note in `hr/`, a public notice.
fn make_review_corpus(dir: &Path) {
    let put = |rel: &str, bytes: &[u8]| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    for entry in std::fs::read_dir(corpora().join("mail")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let folder = if name == "vendor-dispute-branch.eml" {
            "hr-mail"
        } else {
            "mail"
        };
        put(
            &format!("{folder}/{name}"),
            &std::fs::read(entry.path()).unwrap(),
        );
    }
    let contract = "LEGACYTECHNOLOGYHOLDINGS,INC_12_09_2005-EX-10.2-DISTRIBUTOR_AGREEMENT.PDF";
    put(
        &format!("legal/{contract}"),
        &std::fs::read(corpora().join("legal").join(contract)).unwrap(),
    );
    put("legal/memo-v1.txt", memo("board").as_bytes());
    put("legal/memo-v2.txt", memo("directors").as_bytes());
    put("hr/memo-copy.txt", memo("managers").as_bytes());
    put(
        "hr/leave-note.txt",
        b"Leave note: the supplier visit is postponed while the team is on leave.",
    );
    put(
        "public/notice.txt",
        b"Public notice: the office is closed on the national holiday.",
    );
    put("mail/_trawl.meta.json", br#"{"groups": ["legal"]}"#);
    put("legal/_trawl.meta.json", br#"{"groups": ["legal"]}"#);
    put("hr-mail/_trawl.meta.json", br#"{"groups": ["hr"]}"#);
    put("hr/_trawl.meta.json", br#"{"groups": ["hr"]}"#);
    // File times: the first vendor message (sent April 2024) and the hr note
    // are old files; the hr copy of the memo is from 2020; the rest are new.
    set_mtime(&dir.join("mail/vendor-dispute-1.eml"), "2001-06-15");
    set_mtime(&dir.join("hr/leave-note.txt"), "2001-06-15");
    set_mtime(&dir.join("hr/memo-copy.txt"), "2020-06-15");
}

/// Documents indexed from [`make_review_corpus`]: 14 files, plus the mailbox's
/// messages and the e-mails' attachments.
const REVIEW_DOCUMENTS: usize = 19;

/// One server over the review corpus for the tests that only read (and the
/// tag test, which alone writes review tags).
fn review_server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let mut config = Config::default();
        config.limits.burst = 10_000;
        start_with(config, make_review_corpus, REVIEW_DOCUMENTS)
    })
}

/// The index, opened beside the server, for the library's own numbers.
fn library(s: &Server) -> Arc<Index> {
    static INDEX: OnceLock<Arc<Index>> = OnceLock::new();
    INDEX
        .get_or_init(|| Arc::new(Index::open_or_create(&s.index_dir(), &spec()).unwrap()))
        .clone()
}

/// Path → document id, over every document.
fn ids(s: &Server) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for d in library(s)
        .documents(&Filter::default(), &Access::All, None)
        .unwrap()
    {
        // Mailbox messages share a path; keep the first.
        out.entry(d.path).or_insert(d.doc_id);
    }
    out
}

fn id(s: &Server, path: &str) -> String {
    ids(s)
        .get(path)
        .unwrap_or_else(|| panic!("no document at {path}"))
        .clone()
}

fn ok(res: crate::Res) -> Value {
    assert!(
        (200..300).contains(&res.status),
        "{} {}",
        res.status,
        String::from_utf8_lossy(&res.body)
    );
    res.json()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

const TERMS: &[&str] = &[
    "supplier",
    "termination w/5 notice",
    "remote AND policy",
    "memorandum -directors",
    "\"distributor agreement\"",
    "arbitration OR indemnity",
];

#[test]
fn term_reports_equal_the_librarys_and_stay_within_the_principals_groups() {
    let s = review_server();
    let index = library(s);
    let body = json!({ "terms": TERMS }).to_string();
    let mut searched = Vec::new();
    for (key, groups) in [(&s.keys.legal, "legal"), (&s.keys.hr, "hr")] {
        let api = ok(post_json(&s.base, "/api/terms", Some(key), &body));
        let access = Access::groups([groups]);
        let lib = index
            .term_report(&TermsRequest {
                queries: TERMS.iter().map(|t| t.to_string()).collect(),
                access: access.clone(),
                ..Default::default()
            })
            .unwrap();
        // The CLI's `--format json` is this report serialized.
        assert_eq!(api, serde_json::to_value(&lib).unwrap(), "{groups}");
        assert!(
            lib.documents_hit > 0 && lib.terms[0].documents > 0,
            "{lib:?}"
        );
        let visible = index
            .document_ids(&Filter::default(), &access, None)
            .unwrap();
        for t in api["terms"].as_array().unwrap() {
            for d in strings(&t["doc_ids"]) {
                assert!(visible.contains(&d), "{groups} counted {d}");
            }
        }
        searched.push((
            api["documents_searched"].as_u64().unwrap(),
            api["terms"][0]["doc_ids"].clone(),
        ));
    }
    // Different groups, different universes and hits.
    assert_ne!(searched[0], searched[1]);
    let legal_hits = strings(&searched[0].1);
    let hr_hits = strings(&searched[1].1);
    assert!(legal_hits.contains(&id(s, "mail/vendor-dispute-1.eml")));
    assert!(!hr_hits.contains(&id(s, "mail/vendor-dispute-1.eml")));
    assert!(hr_hits.contains(&id(s, "hr/leave-note.txt")));
    assert!(!legal_hits.contains(&id(s, "hr/leave-note.txt")));
    // The hr memo copy is the only memo hr sees: `memorandum -directors` hits it.
    let hr = ok(post_json(&s.base, "/api/terms", Some(&s.keys.hr), &body));
    assert_eq!(
        strings(&hr["terms"][3]["doc_ids"]),
        vec![id(s, "hr/memo-copy.txt")]
    );
    assert!(s.audit_log().contains(r#""action":"terms""#));
}

#[test]
fn malformed_term_reports_are_refused_with_the_failing_term() {
    let s = review_server();
    let k = Some(s.keys.legal.as_str());
    let check = |body: Value, code: &str, says: &str| {
        let res = post_json(&s.base, "/api/terms", k, &body.to_string());
        assert_eq!(res.status, 400, "{body}");
        assert_eq!(res.code(), code, "{body}");
        let msg = res.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(msg.contains(says), "{msg:?} should mention {says:?}");
    };
    check(
        json!({ "terms": ["supplier", "\"unbalanced quote"] }),
        "invalid_term",
        "term 2",
    );
    check(
        json!({ "terms": ["supplier", "notice", "notice w/x termination"] }),
        "invalid_term",
        "term 3",
    );
    check(json!({ "terms": ["ok", "  "] }), "invalid_term", "term 2");
    check(json!({ "terms": [] }), "no_terms", "terms");
    let many: Vec<String> = (0..501).map(|i| format!("w{i}")).collect();
    check(json!({ "terms": many }), "too_many_terms", "500");
    check(
        json!({ "terms": ["x".repeat(5000)] }),
        "query_too_long",
        "term 1",
    );
    check(
        json!({ "terms": ["supplier"], "modified_from": "2024-02-30" }),
        "invalid_date",
        "2024-02-30",
    );
    check(
        json!({ "terms": ["supplier"], "bogus": 1 }),
        "invalid_parameters",
        "bogus",
    );
    check(
        json!({ "terms": ["supplier"], "thread": "t-000000000000" }),
        "unknown_thread",
        "t-000000000000",
    );
}

fn threads(s: &Server, key: &str, query: &str) -> Vec<Value> {
    ok(get(&s.base, &format!("/api/threads{query}"), Some(key)))["threads"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn threads_hold_only_messages_the_principal_may_see() {
    let s = review_server();
    let first = id(s, "mail/vendor-dispute-1.eml");
    let branch = id(s, "hr-mail/vendor-dispute-branch.eml");
    let find = |list: &[Value], doc: &str| {
        list.iter()
            .find(|t| strings(&t["doc_ids"]).contains(&doc.to_owned()))
            .cloned()
    };
    // The admin sees the branch reply in the vendor thread; legal does not.
    let all = find(&threads(s, &s.keys.admin, ""), &first).expect("vendor thread");
    assert!(strings(&all["doc_ids"]).contains(&branch));
    let legal_list = threads(s, &s.keys.legal, "");
    let legal = find(&legal_list, &first).expect("legal's vendor thread");
    assert!(legal["messages"].as_u64().unwrap() >= 3, "{legal}");
    assert_eq!(legal["messages"].as_u64().unwrap() + 1, all["messages"]);
    for t in &legal_list {
        assert!(!strings(&t["doc_ids"]).contains(&branch), "{t}");
    }
    assert!(
        !strings(&legal["participants"])
            .iter()
            .any(|p| p.contains("carol.diaz"))
    );
    assert!(
        strings(&all["participants"])
            .iter()
            .any(|p| p.contains("carol.diaz"))
    );

    // The thread view: messages by date, inclusive flags, no hr message.
    let tid = legal["id"].as_str().unwrap();
    let view = ok(get(
        &s.base,
        &format!("/api/threads/{tid}"),
        Some(&s.keys.legal),
    ));
    let msgs = view["messages"].as_array().unwrap();
    assert_eq!(msgs.len() as u64, legal["messages"].as_u64().unwrap());
    assert!(msgs.iter().all(|m| m["doc_id"] != branch.as_str()));
    let dates: Vec<i64> = msgs.iter().map(|m| m["date"].as_i64().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{dates:?}");
    assert_eq!(msgs.last().unwrap()["inclusive"], true, "{view}");
    let inclusive = msgs.iter().filter(|m| m["inclusive"] == true).count();
    assert_eq!(view["inclusive"].as_u64().unwrap() as usize, inclusive);
    assert!(
        inclusive < msgs.len(),
        "a quoted message is not inclusive: {view}"
    );
    assert_eq!(msgs[0]["doc_id"], first.as_str());
    assert!(msgs[0]["from"].as_str().unwrap().contains("alice.meyer"));
    assert_eq!(view["subject"], "supplier termination notice");

    // hr sees only its own message, alone; legal's thread is not there for hr.
    assert!(find(&threads(s, &s.keys.hr, ""), &branch).is_none());
    let hr_all = threads(s, &s.keys.hr, "?all=true");
    let hr_thread = find(&hr_all, &branch).expect("hr's single message");
    assert_eq!(strings(&hr_thread["doc_ids"]), vec![branch.clone()]);
    let res = get(&s.base, &format!("/api/threads/{tid}"), Some(&s.keys.hr));
    assert_eq!((res.status, res.code().as_str()), (404, "not_found"));
    // `doc_id` finds a message's thread.
    let by_doc = threads(s, &s.keys.legal, &format!("?all=true&doc_id={first}"));
    assert_eq!(by_doc.len(), 1);
    assert_eq!(by_doc[0]["id"], tid);

    // A thread restricts search; another principal cannot use it.
    let v = search(
        s,
        &s.keys.legal,
        "supplier",
        &format!("&mode=keyword&thread={tid}"),
    );
    let members: HashSet<String> = strings(&legal["doc_ids"]).into_iter().collect();
    assert!(!v["results"].as_array().unwrap().is_empty());
    for r in v["results"].as_array().unwrap() {
        assert!(members.contains(r["doc_id"].as_str().unwrap()), "{r}");
    }
    let res = get(
        &s.base,
        &format!("/api/search?q=supplier&thread={tid}"),
        Some(&s.keys.hr),
    );
    assert_eq!((res.status, res.code().as_str()), (400, "unknown_thread"));
}

#[test]
fn near_duplicates_never_name_documents_of_other_groups() {
    let s = review_server();
    let (v1, v2, copy) = (
        id(s, "legal/memo-v1.txt"),
        id(s, "legal/memo-v2.txt"),
        id(s, "hr/memo-copy.txt"),
    );
    let members = |key: &str, doc: &str| -> Option<Vec<String>> {
        let v = ok(get(
            &s.base,
            &format!("/api/documents/{doc}/near-dups"),
            Some(key),
        ));
        assert_eq!(v["doc_id"], doc);
        (!v["group"].is_null()).then(|| {
            let mut m: Vec<String> = v["group"]["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["doc_id"].as_str().unwrap().to_owned())
                .collect();
            m.sort();
            m
        })
    };
    let mut three = vec![v1.clone(), v2.clone(), copy.clone()];
    three.sort();
    let mut two = vec![v1.clone(), v2.clone()];
    two.sort();
    assert_eq!(members(&s.keys.admin, &v1), Some(three));
    assert_eq!(members(&s.keys.legal, &v1), Some(two.clone()));
    assert_eq!(members(&s.keys.legal, &v2), Some(two));
    assert_eq!(members(&s.keys.hr, &copy), None);
    let res = get(
        &s.base,
        &format!("/api/documents/{v1}/near-dups"),
        Some(&s.keys.hr),
    );
    assert_eq!((res.status, res.code().as_str()), (404, "not_found"));
    // The listing.
    for (key, hidden) in [(&s.keys.legal, &copy), (&s.keys.hr, &v1)] {
        let v = ok(get(&s.base, "/api/near-dups?threshold=0.5", Some(key)));
        assert!(!v.to_string().contains(hidden.as_str()), "{v}");
    }
    let res = get(&s.base, "/api/near-dups?threshold=1.5", Some(&s.keys.legal));
    assert_eq!(
        (res.status, res.code().as_str()),
        (400, "invalid_threshold")
    );

    // In search: groups on results, and collapsing to one per group.
    let q = "&mode=keyword&k=10";
    let v = search(
        s,
        &s.keys.legal,
        "memorandum northwind",
        &format!("{q}&near_dups=true"),
    );
    let notes = v["near_dups"].as_object().expect("near_dups");
    assert!(!notes.is_empty(), "{v}");
    for n in notes.values() {
        assert_eq!(n["size"], 2);
    }
    let shown = |v: &Value| {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| [&v1, &v2, &copy].iter().any(|d| r["doc_id"] == d.as_str()))
            .count()
    };
    assert_eq!(shown(&v), 2);
    let v = search(
        s,
        &s.keys.legal,
        "memorandum northwind",
        &format!("{q}&collapse_near_dups=true"),
    );
    assert_eq!(shown(&v), 1, "{v}");
    let note = v["near_dups"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    assert_eq!(
        (note["size"].as_u64(), note["collapsed"].as_u64()),
        (Some(2), Some(1))
    );
    let v = search(
        s,
        &s.keys.admin,
        "memorandum northwind",
        &format!("{q}&collapse_near_dups=true"),
    );
    assert_eq!(shown(&v), 1, "{v}");
    let note = v["near_dups"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    assert_eq!(
        (note["size"].as_u64(), note["collapsed"].as_u64()),
        (Some(3), Some(2))
    );
    // Plain searches carry no near-duplicate field.
    let v = search(s, &s.keys.legal, "memorandum northwind", q);
    assert!(v.get("near_dups").is_none(), "{v}");
}

#[test]
fn review_tags_are_journaled_by_key_and_filter_searches() {
    let s = review_server();
    let first = id(s, "mail/vendor-dispute-1.eml");
    let copy = id(s, "hr/memo-copy.txt");
    let tags_path = |d: &str| format!("/api/documents/{d}/tags");
    let edit = |key: &str, d: &str, body: Value| {
        post_json(&s.base, &tags_path(d), Some(key), &body.to_string())
    };
    let v = ok(edit(
        &s.keys.legal,
        &first,
        json!({ "add": ["Responsive", "hot"] }),
    ));
    assert_eq!(strings(&v["tags"]), vec!["hot", "responsive"]);
    assert_eq!(v["history"][0]["by"], "legal-dana");
    assert_eq!(v["history"][0]["op"], "add");
    // Adding again records nothing.
    let v = ok(edit(
        &s.keys.legal,
        &first,
        json!({ "add": ["responsive"] }),
    ));
    assert_eq!(v["history"].as_array().unwrap().len(), 2);
    // hr may neither read nor change a legal document's tags.
    for res in [
        get(&s.base, &tags_path(&first), Some(&s.keys.hr)),
        edit(&s.keys.hr, &first, json!({ "add": ["not-responsive"] })),
    ] {
        assert_eq!((res.status, res.code().as_str()), (404, "not_found"));
    }
    ok(edit(&s.keys.hr, &copy, json!({ "add": ["privileged"] })));
    let journal =
        std::fs::read_to_string(s.index_dir().join(trawl_search::REVIEW_TAGS_FILE)).unwrap();
    assert!(journal.contains(r#""by":"legal-dana""#) && journal.contains(r#""by":"hr-alice""#));
    assert!(!journal.contains("not-responsive"));

    // As a filter: searches and term reports see only the tagged document.
    let v = search(
        s,
        &s.keys.legal,
        "supplier",
        "&mode=keyword&review_tag=responsive",
    );
    assert_eq!(paths(&v), vec!["mail/vendor-dispute-1.eml"]);
    let v = search(
        s,
        &s.keys.hr,
        "supplier",
        "&mode=keyword&review_tag=responsive",
    );
    assert!(paths(&v).is_empty(), "{v}");
    let r = ok(post_json(
        &s.base,
        "/api/terms",
        Some(&s.keys.legal),
        &json!({ "terms": ["supplier"], "review_tag": "responsive" }).to_string(),
    ));
    assert_eq!(r["documents_searched"], 1);
    // Counts per principal.
    let counts = |key: &str| ok(get(&s.base, "/api/review-tags", Some(key)))["tags"].clone();
    assert_eq!(
        counts(&s.keys.legal),
        json!([{"tag": "hot", "documents": 1}, {"tag": "responsive", "documents": 1}])
    );
    assert_eq!(
        counts(&s.keys.hr),
        json!([{"tag": "privileged", "documents": 1}])
    );

    // Removal, then the filter finds nothing.
    let v = ok(edit(
        &s.keys.legal,
        &first,
        json!({ "remove": ["RESPONSIVE"] }),
    ));
    assert_eq!(strings(&v["tags"]), vec!["hot"]);
    assert_eq!(
        v["history"].as_array().unwrap().last().unwrap()["op"],
        "remove"
    );
    let v = search(
        s,
        &s.keys.legal,
        "supplier",
        "&mode=keyword&review_tag=responsive",
    );
    assert!(paths(&v).is_empty(), "{v}");

    // Bad edits change nothing.
    for (body, code) in [
        (json!({}), "no_tag_changes"),
        (json!({ "add": ["ok", " "] }), "invalid_review_tag"),
        (json!({ "add": ["x".repeat(101)] }), "invalid_review_tag"),
        (json!({ "add": "responsive" }), "invalid_parameters"),
    ] {
        let res = edit(&s.keys.legal, &first, body.clone());
        assert_eq!((res.status, res.code().as_str()), (400, code), "{body}");
    }
    let v = ok(get(&s.base, &tags_path(&first), Some(&s.keys.legal)));
    assert_eq!(strings(&v["tags"]), vec!["hot"]);
    assert!(!v.to_string().contains("\"ok\""));
    assert!(s.audit_log().contains(r#""action":"tag""#));
}

#[test]
fn the_modified_date_filter_is_the_file_time_not_the_sent_date() {
    let s = review_server();
    let count = |key: &str, query: &str| {
        ok(get(&s.base, &format!("/api/facets?{query}"), Some(key)))["documents"]
            .as_u64()
            .unwrap()
    };
    let admin = &s.keys.admin;
    // Old files: the first vendor message and the hr note.
    assert_eq!(count(admin, "modified_to=2001-12-31"), 2);
    assert_eq!(
        count(admin, "modified_from=2020-06-15&modified_to=2020-06-15"),
        1
    );
    assert_eq!(
        count(
            &s.keys.hr,
            "modified_from=2020-01-01&modified_to=2020-12-31"
        ),
        1
    );
    assert_eq!(
        count(
            &s.keys.legal,
            "modified_from=2020-01-01&modified_to=2020-12-31"
        ),
        0
    );
    assert_eq!(count(&s.keys.legal, "modified_to=2001-12-31"), 1);
    // Sent in April 2024, file from 2001: both filters hold at once.
    assert_eq!(
        count(
            admin,
            "from=2024-04-01&to=2024-04-30&modified_to=2001-12-31"
        ),
        1
    );
    // The later vendor messages, sent the same month, are new files.
    assert_eq!(
        count(
            admin,
            "from=2024-04-01&to=2024-04-30&modified_from=2002-01-01"
        ),
        count(admin, "from=2024-04-01&to=2024-04-30") - 1
    );
    assert_eq!(count(admin, "from=2001-01-01&to=2001-12-31"), 0);

    let k = "&mode=keyword&k=20";
    let all = paths(&search(s, admin, "supplier", k));
    assert!(all.len() > 2, "{all:?}");
    let old = paths(&search(
        s,
        admin,
        "supplier",
        &format!("{k}&modified_to=2001-12-31"),
    ));
    let mut old_sorted = old.clone();
    old_sorted.sort();
    assert_eq!(
        old_sorted,
        vec!["hr/leave-note.txt", "mail/vendor-dispute-1.eml"]
    );
    let new = paths(&search(
        s,
        admin,
        "supplier",
        &format!("{k}&modified_from=2021-01-01"),
    ));
    assert!(!new.is_empty());
    assert!(new.iter().all(|p| !old.contains(p)), "{new:?}");
    assert_eq!(
        new.len() + old.len() + 1,
        all.len(),
        "the 2020 memo copy is in neither"
    );
    // Hybrid mode applies it in the vector arm too.
    let v = search(
        s,
        &s.keys.legal,
        "supplier",
        "&mode=hybrid&modified_to=2001-12-31",
    );
    assert_eq!(paths(&v), vec!["mail/vendor-dispute-1.eml"]);

    for q in [
        "modified_from=2021-13-01",
        "modified_from=2021-01-01&modified_to=2020-01-01",
        "modified_to=yesterday",
    ] {
        let res = get(&s.base, &format!("/api/search?q=supplier&{q}"), Some(admin));
        assert_eq!(
            (res.status, res.code().as_str()),
            (400, "invalid_date"),
            "{q}"
        );
    }
}

#[test]
fn saved_searches_are_private_to_their_key_and_survive_a_restart() {
    let mut config = Config::default();
    config.limits.burst = 10_000;
    let s = start(config.clone());
    let save = |key: &str, body: Value| {
        post_json(&s.base, "/api/saved-searches", Some(key), &body.to_string())
    };
    let body = json!({ "name": "overtime rules", "search": {
        "q": "overtime pay", "mode": "keyword", "tag": "policy", "modified_to": "2100-01-01" } });
    let res = save(&s.keys.hr, body.clone());
    assert_eq!(res.status, 201, "{}", String::from_utf8_lossy(&res.body));
    let created = res.json()["created"].clone();
    let res = save(&s.keys.hr, body);
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["created"], created);
    assert_eq!(
        save(
            &s.keys.it,
            json!({ "name": "passwords", "search": { "q": "password" } })
        )
        .status,
        201
    );
    let names = |s: &Server, key: &str| -> Vec<String> {
        ok(get(&s.base, "/api/saved-searches", Some(key)))["saved"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&s, &s.keys.hr), vec!["overtime rules"]);
    assert_eq!(names(&s, &s.keys.it), vec!["passwords"]);
    assert!(names(&s, &s.keys.legal).is_empty());
    let one = format!("/api/saved-searches/{}", enc("overtime rules"));
    for res in [
        get(&s.base, &one, Some(&s.keys.it)),
        delete(&s.base, &one, Some(&s.keys.it)),
    ] {
        assert_eq!((res.status, res.code().as_str()), (404, "not_found"));
    }
    // Bad searches are refused before they are saved.
    for (body, code) in [
        (
            json!({ "name": "", "search": { "q": "x" } }),
            "invalid_name",
        ),
        (
            json!({ "name": "a", "search": { "q": " " } }),
            "empty_query",
        ),
        (
            json!({ "name": "a", "search": { "q": "x", "mode": "fuzzy" } }),
            "invalid_mode",
        ),
        (
            json!({ "name": "a", "search": { "q": "x", "from": "2024-13-01" } }),
            "invalid_date",
        ),
        (
            json!({ "name": "a", "search": { "q": "x", "nope": 1 } }),
            "invalid_parameters",
        ),
    ] {
        let res = save(&s.keys.hr, body.clone());
        assert_eq!((res.status, res.code().as_str()), (400, code), "{body}");
    }
    assert_eq!(names(&s, &s.keys.hr), vec!["overtime rules"]);
    assert!(s.audit_log().contains(r#""action":"save_search""#));

    // A restart keeps them, and the saved search runs as saved.
    let s = s.restart(config);
    assert_eq!(names(&s, &s.keys.hr), vec!["overtime rules"]);
    assert_eq!(names(&s, &s.keys.it), vec!["passwords"]);
    let saved = ok(get(&s.base, &one, Some(&s.keys.hr)));
    assert_eq!(saved["search"]["q"], "overtime pay");
    assert_eq!(saved["search"]["modified_to"], "2100-01-01");
    let run = ok(post_json(
        &s.base,
        "/api/search",
        Some(&s.keys.hr),
        &saved["search"].to_string(),
    ));
    assert_eq!(paths(&run)[0], "hr/overtime.md");
    assert!(
        paths(&run).iter().all(|p| p.starts_with("hr/")),
        "tag policy: {run}"
    );
    let res = delete(&s.base, &one, Some(&s.keys.hr));
    assert_eq!(res.status, 204);
    assert!(names(&s, &s.keys.hr).is_empty());
    assert_eq!(names(&s, &s.keys.it), vec!["passwords"]);
    assert!(!s.index_dir().join("saved-searches.json.tmp").exists());
}

#[test]
fn the_review_endpoints_are_described_and_need_a_key() {
    let s = review_server();
    let doc = ok(get(&s.base, "/api/openapi.json", None));
    for path in [
        "/api/terms",
        "/api/threads",
        "/api/threads/{id}",
        "/api/near-dups",
        "/api/documents/{id}/near-dups",
        "/api/documents/{id}/tags",
        "/api/review-tags",
        "/api/saved-searches",
        "/api/saved-searches/{name}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is not described");
        assert_eq!(
            get(
                &s.base,
                &path.replace("{id}", "x").replace("{name}", "x"),
                None
            )
            .status,
            401,
            "{path}"
        );
    }
    for field in ["modified_from", "review_tag", "collapse_near_dups"] {
        assert!(
            doc["components"]["schemas"]["SearchParams"]["properties"]
                .get(field)
                .is_some(),
            "{field}"
        );
    }
    let js = get(&s.base, "/assets/review.js", None);
    assert_eq!(js.status, 200);
    assert!(
        js.header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(String::from_utf8_lossy(&js.body).contains("/api/terms"));
    let page = String::from_utf8_lossy(&get(&s.base, "/", None).body).into_owned();
    assert!(page.contains(r#"<script src="/assets/review.js"></script>"#));
    assert!(page.contains(r#"id="modified-from""#));
}
