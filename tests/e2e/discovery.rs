//! Discovery end to end: the e-mails of `corpora/mail/`, two CUAD contracts
//! of `corpora/legal/` and the drafts and privileged memo of
//! `tests/fixtures/discovery/`, indexed once with the real model; term
//! reports under two principals, threads, near-duplicate groups, review
//! tags and an export that re-hashes to its manifest.

use std::{
    collections::{BTreeMap, HashSet},
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{BIN, index_folder, trawl};

/// The contracts copied in: two short CUAD agreements (4 and 5 pages).
const CONTRACTS: [&str; 2] = [
    "TRANSMONTAIGNEPARTNERSLLC_03_13_2020-EX-10.9-SERVICES_AGREEMENT.PDF",
    "MARTINMIDSTREAMPARTNERSLP_01_23_2004-EX-10.3-TRANSPORTATION_SERVICES_AGREEMENT.PDF",
];

struct Corpus {
    _tmp: tempfile::TempDir,
    src: PathBuf,
    idx: PathBuf,
}

/// Copies a folder tree (also used by the answer-correctness floor).
pub(super) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        copy_dir(&root.join("tests/fixtures/discovery"), &src);
        copy_dir(&root.join("corpora/mail"), &src.join("mail"));
        std::fs::create_dir_all(src.join("legal")).unwrap();
        for c in CONTRACTS {
            std::fs::copy(
                root.join("corpora/legal").join(c),
                src.join("legal").join(c),
            )
            .unwrap();
        }
        let idx = tmp.path().join("idx");
        let report = index_folder(&src, &idx);
        assert_eq!(report["skipped"].as_array().unwrap().len(), 0, "{report:#}");
        Corpus {
            _tmp: tmp,
            src,
            idx,
        }
    })
}

fn idx() -> &'static str {
    corpus().idx.to_str().unwrap()
}

/// The document id of a file: its content hash, as the indexer assigns it.
fn doc_id(rel: &str) -> String {
    let bytes = std::fs::read(corpus().src.join(rel)).unwrap();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..16]
        .to_owned()
}

/// Runs the binary: (success, stdout, stderr).
fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).output().expect("run trawl");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(args: &[&str]) -> String {
    let (success, out, err) = run(args);
    assert!(success, "trawl {args:?} failed: {err}");
    out
}

fn ids(v: &Value) -> HashSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn term_report_counts_documents_and_never_counts_outside_the_principal() {
    let terms = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        terms.path(),
        "# negotiated terms\ncure AND northwind\nnotice w/5 termination\nterminat*\n\n\"supply agreement\" -privileged\n",
    )
    .unwrap();
    let file = terms.path().to_str().unwrap();
    let report = |groups: &str| {
        trawl(&[
            "terms",
            file,
            "--index",
            idx(),
            "--groups",
            groups,
            "--format",
            "json",
        ])
    };
    let legal = report("legal");
    let hr = report("hr");
    let memo = doc_id("privileged/counsel-memo.md");
    // "cure" and "northwind" are never in one passage of a reply's quoted
    // thread and the memo alike: document-level AND finds all three.
    let cure: HashSet<String> = [
        doc_id("mail/vendor-dispute-2.eml"),
        doc_id("mail/vendor-dispute-3.eml"),
        memo.clone(),
    ]
    .into();
    assert_eq!(ids(&legal["terms"][0]["doc_ids"]), cure, "{legal:#}");
    assert_eq!(
        legal["terms"][1]["query"],
        "(\"notice termination\"~5 OR \"termination notice\"~5)"
    );
    // The hr principal sees the same documents minus the legal-only memo, in
    // every count.
    assert_eq!(
        legal["documents_searched"].as_u64().unwrap(),
        hr["documents_searched"].as_u64().unwrap() + 1
    );
    for i in 0..4 {
        let mut l = ids(&legal["terms"][i]["doc_ids"]);
        let h = ids(&hr["terms"][i]["doc_ids"]);
        assert!(!h.contains(&memo), "term {i}: {hr:#}");
        l.remove(&memo);
        assert_eq!(l, h, "term {i}");
        assert_eq!(
            hr["terms"][i]["documents"].as_u64().unwrap() as usize,
            h.len()
        );
    }
    assert_eq!(hr["terms"][0]["documents"], 2);
    // The prefix reaches the contracts too ("terminate", "termination").
    let prefix = ids(&legal["terms"][2]["doc_ids"]);
    assert!(prefix.contains(&doc_id(&format!("legal/{}", CONTRACTS[0]))));
    assert!(prefix.is_superset(&cure));
    // Deduplicated total is the union; unique means hit by no other term.
    let union: HashSet<String> = (0..4)
        .flat_map(|i| ids(&legal["terms"][i]["doc_ids"]))
        .collect();
    assert_eq!(
        legal["documents_hit"].as_u64().unwrap() as usize,
        union.len()
    );
    for i in 0..4 {
        let others: HashSet<String> = (0..4)
            .filter(|&j| j != i)
            .flat_map(|j| ids(&legal["terms"][j]["doc_ids"]))
            .collect();
        let unique = ids(&legal["terms"][i]["doc_ids"])
            .difference(&others)
            .count();
        assert_eq!(
            legal["terms"][i]["unique"].as_u64().unwrap() as usize,
            unique
        );
    }
    // CSV and table carry the same numbers.
    let csv = ok(&[
        "terms",
        file,
        "--index",
        idx(),
        "--groups",
        "hr",
        "--format",
        "csv",
    ]);
    assert!(
        csv.starts_with("term,query,documents,unique,passages\n"),
        "{csv}"
    );
    assert!(
        csv.contains("cure AND northwind,cure AND northwind,2,"),
        "{csv}"
    );
    // A term that does not parse is refused with its line, not counted as something else.
    std::fs::write(terms.path(), "notice\nterminat* w/3 notice\n").unwrap();
    let (success, _, err) = run(&["terms", file, "--index", idx()]);
    assert!(!success && err.contains("term 2"), "{err}");
}

#[test]
fn threads_link_replies_forwards_and_copies_and_mark_inclusive_messages() {
    let threads = trawl(&["threads", "--index", idx(), "--json"]);
    let threads = threads.as_array().unwrap();
    let find = |subject: &str| {
        threads
            .iter()
            .find(|t| t["subject"] == subject)
            .unwrap_or_else(|| panic!("no thread {subject:?}: {threads:#?}"))
    };
    let by_path = |t: &Value| -> BTreeMap<String, Value> {
        t["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["path"].as_str().unwrap().to_owned(), m.clone()))
            .collect()
    };
    let vendor = by_path(find("supplier termination notice"));
    assert_eq!(vendor.len(), 5, "{vendor:#?}");
    let parent = |p: &str| vendor[p]["parent"].as_str().map(str::to_owned);
    let first = doc_id("mail/vendor-dispute-1.eml");
    assert_eq!(parent("mail/vendor-dispute-1.eml"), None);
    assert_eq!(parent("mail/vendor-dispute-2.eml"), Some(first.clone()));
    assert_eq!(
        parent("mail/vendor-dispute-branch.eml"),
        Some(first.clone())
    );
    assert_eq!(
        parent("mail/vendor-dispute-3.eml"),
        Some(doc_id("mail/vendor-dispute-2.eml"))
    );
    // The forward names no message: it joins by subject, under the root.
    assert_eq!(parent("mail/vendor-dispute-fwd.eml"), Some(first));
    let inclusive: BTreeMap<&str, bool> = vendor
        .iter()
        .map(|(p, m)| (p.as_str(), m["inclusive"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        inclusive,
        BTreeMap::from([
            ("mail/vendor-dispute-1.eml", false), // quoted by 2
            ("mail/vendor-dispute-2.eml", false), // quoted by 3
            ("mail/vendor-dispute-3.eml", true),
            ("mail/vendor-dispute-branch.eml", true),
            ("mail/vendor-dispute-fwd.eml", true),
        ])
    );
    // The same message in the .eml and the .mbox is one message and a copy.
    let remote = by_path(find("new remote work policy"));
    assert_eq!(
        remote["mail/remote-work-thread.mbox › message-1.eml"]["copy_of"],
        doc_id("mail/remote-work-announcement.eml")
    );
    assert_eq!(
        remote["mail/remote-work-thread.mbox › message-1.eml"]["inclusive"],
        false
    );

    // The thread id filters a search inside retrieval.
    let id = find("supplier termination notice")["id"].as_str().unwrap();
    let res = trawl(&[
        "search",
        "termination notice",
        "--index",
        idx(),
        "--thread",
        id,
        "--mode",
        "keyword",
        "-k",
        "20",
        "--json",
    ]);
    let paths: HashSet<&str> = res["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 5, "{res:#}");
    assert!(
        paths.iter().all(|p| p.starts_with("mail/vendor-dispute")),
        "{paths:?}"
    );
    // A thread exports as a set, and the report counts within it.
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("thread");
    ok(&[
        "export",
        "--thread",
        id,
        "--out",
        dir.to_str().unwrap(),
        "--index",
        idx(),
    ]);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["thread"], id);
    assert_eq!(manifest["counts"]["documents"], 5);
    assert_eq!(manifest["counts"]["natives"], 5);
    assert!(ok(&["export", "verify", dir.to_str().unwrap()]).starts_with("OK: 12 files"));
    // A principal outside `legal` still sees the e-mails (they have no groups).
    let hr = trawl(&["threads", "--index", idx(), "--groups", "hr", "--json"]);
    assert_eq!(hr.as_array().unwrap().len(), threads.len());
}

#[test]
fn near_duplicate_drafts_form_one_group_and_collapse_in_results() {
    let dups = trawl(&["dups", "--index", idx(), "--json"]);
    let groups = dups["groups"].as_array().unwrap();
    let drafts: Vec<&Value> = groups
        .iter()
        .filter(|g| {
            g["members"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["path"].as_str().unwrap().starts_with("drafts/"))
        })
        .collect();
    assert_eq!(drafts.len(), 1, "{dups:#}");
    let members: HashSet<&str> = drafts[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        members,
        HashSet::from([
            "drafts/supply-terms-v1.md",
            "drafts/supply-terms-v2.md",
            "drafts/supply-terms-v3-final.md"
        ])
    );
    // Copies of one message (the .eml and the .mbox's) are near-duplicates too.
    assert!(groups.iter().any(|g| {
        let paths: HashSet<&str> = g["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["path"].as_str().unwrap())
            .collect();
        paths
            == HashSet::from([
                "mail/remote-work-announcement.eml",
                "mail/remote-work-thread.mbox › message-1.eml",
            ])
    }));
    // No unrelated documents are grouped with the drafts, and a strict
    // threshold splits the drafts (one or two words changed per paragraph).
    let strict = trawl(&["dups", "--index", idx(), "--threshold", "0.99", "--json"]);
    assert!(!strict.to_string().contains("drafts/"), "{strict:#}");

    let search = |collapse: bool| {
        let mut args = vec![
            "search",
            "supply terms termination notice",
            "--index",
            idx(),
            "--mode",
            "keyword",
            "-k",
            "10",
            "--json",
        ];
        if collapse {
            args.push("--collapse-near-dups");
        } else {
            args.extend(["--near-dup-threshold", "0.8"]);
        }
        trawl(&args)
    };
    let count_drafts = |v: &Value| {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["path"].as_str().unwrap().starts_with("drafts/supply"))
            .count()
    };
    let plain = search(false);
    assert_eq!(count_drafts(&plain), 3, "{plain:#}");
    let collapsed = search(true);
    assert_eq!(count_drafts(&collapsed), 1, "{collapsed:#}");
    let shown = collapsed["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"].as_str().unwrap().starts_with("drafts/supply"))
        .unwrap()["doc_id"]
        .as_str()
        .unwrap();
    assert_eq!(collapsed["near_dups"][shown]["size"], 3);
    assert_eq!(collapsed["near_dups"][shown]["collapsed"], 2);
}

#[test]
fn review_tags_filter_retrieval_survive_reindexing_and_export_rehashes_to_its_manifest() {
    let c = corpus();
    let memo = doc_id("privileged/counsel-memo.md");
    let v1 = doc_id("drafts/supply-terms-v1.md");
    let fwd = doc_id("mail/vendor-dispute-fwd.eml");
    for (doc, tag, by) in [
        (&v1, "Responsive", "ann"),
        (&fwd, "responsive", "ann"),
        (&memo, "privileged", "bob"),
        (&memo, "responsive", "bob"),
    ] {
        ok(&["tag", "add", doc, tag, "--by", by, "--index", idx()]);
    }
    ok(&[
        "tag",
        "rm",
        &v1,
        "responsive",
        "--by",
        "bob",
        "--index",
        idx(),
    ]);
    // A reviewer outside `legal` cannot tag what they cannot see, and unknown
    // documents are refused.
    let (success, _, err) = run(&[
        "tag",
        "add",
        &memo,
        "x",
        "--by",
        "eve",
        "--groups",
        "hr",
        "--index",
        idx(),
    ]);
    assert!(!success && err.contains("no document"), "{err}");
    let (success, _, _) = run(&[
        "tag",
        "add",
        "0000000000000000",
        "x",
        "--by",
        "eve",
        "--index",
        idx(),
    ]);
    assert!(!success);

    let current = trawl(&["tag", "ls", "--index", idx(), "--json"]);
    assert_eq!(current[&fwd], serde_json::json!(["responsive"]));
    assert_eq!(
        current[&memo],
        serde_json::json!(["privileged", "responsive"])
    );
    assert!(current.get(&v1).is_none(), "{current:#}");
    let history = trawl(&["tag", "ls", "--history", "--index", idx(), "--json"]);
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 5);
    assert_eq!(history[4]["op"], "remove");
    assert_eq!(history[4]["by"], "bob");
    // The hr principal does not even see the memo's tags.
    let hr = trawl(&["tag", "ls", "--index", idx(), "--groups", "hr", "--json"]);
    assert!(hr.get(&memo).is_none());

    // Re-indexing leaves the journal alone; the tag filter runs inside both arms.
    ok(&["index", c.src.to_str().unwrap(), "--index", idx()]);
    let res = trawl(&[
        "search",
        "northwind termination",
        "--index",
        idx(),
        "--review-tag",
        "responsive",
        "--json",
    ]);
    let got: HashSet<&str> = res["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["doc_id"].as_str().unwrap())
        .collect();
    assert_eq!(got, HashSet::from([fwd.as_str(), memo.as_str()]), "{res:#}");

    // Export the responsive set as the hr principal: the memo stays out.
    let out = c._tmp.path().join("export-hr");
    let printed = ok(&[
        "export",
        "--review-tag",
        "responsive",
        "--out",
        out.to_str().unwrap(),
        "--index",
        idx(),
        "--groups",
        "hr",
        "--prefix",
        "ACME",
    ]);
    assert!(printed.contains("exported 1 documents"), "{printed}");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["principal_groups"], serde_json::json!(["hr"]));
    assert_eq!(manifest["counts"]["documents"], 1);
    let native = std::fs::read(out.join("natives/ACME000001.eml")).unwrap();
    assert_eq!(
        native,
        std::fs::read(c.src.join("mail/vendor-dispute-fwd.eml")).unwrap()
    );

    // A query export as legal: every document the query hits, numbered in path order.
    let out = c._tmp.path().join("export-legal");
    ok(&[
        "export",
        "--query",
        "northwind AND (cure OR \"purchase orders\")",
        "--out",
        out.to_str().unwrap(),
        "--index",
        idx(),
        "--groups",
        "legal",
    ]);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["query"],
        "northwind AND (cure OR \"purchase orders\")"
    );
    let csv = std::fs::read_to_string(out.join("loadfile.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("BEGBATES,ENDBATES,DOCID,"), "{csv}");
    let paths: Vec<&str> = [
        "mail/vendor-dispute-2.eml",
        "mail/vendor-dispute-3.eml",
        "mail/vendor-dispute-branch.eml",
        "mail/vendor-dispute-fwd.eml",
        "privileged/counsel-memo.md",
    ]
    .to_vec();
    assert_eq!(rows.len(), 1 + paths.len(), "{csv}");
    for (i, p) in paths.iter().enumerate() {
        let row = rows[i + 1];
        assert!(row.starts_with(&format!("TRAWL{:06},", i + 1)), "{row}");
        assert!(row.contains(p) && row.contains(&doc_id(p)), "{row}");
    }
    assert!(
        rows[5].contains(",dana.okafor,") && rows[5].contains("privileged;responsive"),
        "{}",
        rows[5]
    );
    let dat = std::fs::read_to_string(out.join("loadfile.dat")).unwrap();
    assert!(dat.starts_with("þBEGBATESþ\u{14}þENDBATESþ"), "{dat}");
    assert_eq!(dat.lines().count(), 6);
    let text = std::fs::read_to_string(out.join("text/TRAWL000004.txt")).unwrap();
    assert!(
        text.contains("Please stop any open purchase orders"),
        "{text}"
    );
    // Every written file is in the manifest with its hash; verify re-hashes them.
    let files = manifest["files"].as_object().unwrap();
    assert_eq!(files.len(), 5 + 5 + 2, "{files:#?}");
    let verified = ok(&["export", "verify", out.to_str().unwrap()]);
    assert!(verified.starts_with("OK: 12 files match"), "{verified}");
    // Tampering (a changed byte, an added file) is caught.
    std::fs::write(out.join("text/TRAWL000001.txt"), "edited").unwrap();
    std::fs::write(out.join("natives/extra.txt"), "x").unwrap();
    let (success, stdout, _) = run(&["export", "verify", out.to_str().unwrap()]);
    assert!(!success);
    assert!(
        stdout.contains("MISMATCH text/TRAWL000001.txt")
            && stdout.contains("natives/extra.txt: not in the manifest"),
        "{stdout}"
    );
    // An export never overwrites.
    let (success, _, err) = run(&[
        "export",
        "--query",
        "x",
        "--out",
        out.to_str().unwrap(),
        "--index",
        idx(),
    ]);
    assert!(!success && err.contains("not empty"), "{err}");
}
