//! `trawl index --backend` and `trawl search --backend` against the real SolrCloud of
//! `scripts/cluster.sh up` (started by `make test`): fails, never skips, when it is down.
//! Each test works in a collection of its own (created here with the `trawl` configset and
//! dropped after), since a worker removes from its collection the paths of its share that its
//! folder no longer has.

use std::process::Command;

use serde_json::Value;

use super::{BIN, copy_dir, fixtures, trawl};

const ADMIN: &str = "http://127.0.0.1:18983/solr/admin/collections";
const NODES: &str = "127.0.0.1:18983,127.0.0.1:18984,127.0.0.1:18985";

/// A collection for one test, dropped when the guard goes.
struct Collection(String);

impl Collection {
    fn new(name: &str) -> Self {
        let name = format!("e2e_{name}_{}", std::process::id());
        let _ = ureq::get(&format!("{ADMIN}?action=DELETE&name={name}")).call();
        ureq::get(&format!(
            "{ADMIN}?action=CREATE&name={name}&collection.configName=trawl&numShards=2&replicationFactor=1&waitForFinalState=true"
        ))
        .call()
        .unwrap_or_else(|e| {
            panic!("creating collection {name} failed ({e}); is the cluster up? `bash scripts/cluster.sh up`")
        });
        Self(name)
    }

    fn url(&self) -> String {
        format!("solr://{NODES}/{}", self.0)
    }
}

impl Drop for Collection {
    fn drop(&mut self) {
        let _ = ureq::get(&format!("{ADMIN}?action=DELETE&name={}", self.0)).call();
    }
}

fn paths(results: &Value) -> Vec<String> {
    let mut p: Vec<String> = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_owned())
        .collect();
    p.sort();
    p
}

fn search(url: &str, query: &str, mode: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "search",
        query,
        "--backend",
        url,
        "--mode",
        mode,
        "-k",
        "50",
        "--json",
    ];
    args.extend_from_slice(extra);
    trawl(&args)
}

#[test]
fn two_workers_on_a_cluster_index_what_one_indexes_and_search_finds_it() {
    let (one, two) = (Collection::new("one"), Collection::new("two"));
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    copy_dir(&fixtures(), &docs);
    let local = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let docs_s = docs.to_str().unwrap();

    // One worker indexes everything into collection `one`…
    let r = trawl(&[
        "index",
        docs_s,
        "--index",
        &local("solo"),
        "--backend",
        &one.url(),
        "--json",
    ]);
    assert!(r["cluster"]["stored"].as_u64().unwrap() > 0, "{r:#}");
    // …two workers split the same folder into collection `two`, one after the other.
    let a = trawl(&[
        "index",
        docs_s,
        "--index",
        &local("w1"),
        "--backend",
        &two.url(),
        "--worker",
        "1/2",
        "--json",
    ]);
    let b = trawl(&[
        "index",
        docs_s,
        "--index",
        &local("w2"),
        "--backend",
        &two.url(),
        "--worker",
        "2/2",
        "--json",
    ]);
    let (sa, sb) = (
        a["cluster"]["stored"].as_u64().unwrap(),
        b["cluster"]["stored"].as_u64().unwrap(),
    );
    assert!(
        sa > 0 && sb > 0,
        "each worker should own part of the folder: {a:#} {b:#}"
    );
    assert_eq!(sa + sb, r["cluster"]["stored"].as_u64().unwrap());
    assert_eq!(
        b["cluster"]["cluster_chunks"], r["cluster"]["cluster_chunks"],
        "two workers stored another set of chunks than one"
    );

    // The same searchable set, in every mode.
    for mode in ["keyword", "vector", "hybrid"] {
        let q = "parental leave policy";
        let (x, y) = (
            search(&one.url(), q, mode, &[]),
            search(&two.url(), q, mode, &[]),
        );
        assert!(!paths(&x).is_empty(), "{mode}: nothing found: {x:#}");
        assert_eq!(paths(&x), paths(&y), "{mode}");
    }

    // The cluster's keyword arm finds the document the embedded engine finds.
    let embedded = trawl(&[
        "search",
        "transit subsidy",
        "--index",
        &local("solo"),
        "--mode",
        "keyword",
        "--json",
    ]);
    let cluster = search(&one.url(), "transit subsidy", "keyword", &[]);
    assert_eq!(
        cluster["results"][0]["path"], embedded["results"][0]["path"],
        "{cluster:#}"
    );
    // Filters run inside retrieval on the cluster too.
    let md = search(&one.url(), "leave", "hybrid", &["--kind", "markdown"]);
    assert!(
        md["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["kind"] == "markdown"),
        "{md:#}"
    );

    // A file removed from the folder leaves the cluster at its owner's next run, and only then.
    let victim = search(&two.url(), "transit subsidy", "keyword", &[])["results"][0]["path"]
        .as_str()
        .unwrap()
        .to_owned();
    std::fs::remove_file(docs.join(&victim)).unwrap();
    let owner = ["1/2", "2/2"]
        .into_iter()
        .find(|w| {
            let idx = if *w == "1/2" {
                local("w1")
            } else {
                local("w2")
            };
            let out = trawl(&[
                "index",
                docs_s,
                "--index",
                &idx,
                "--backend",
                &two.url(),
                "--worker",
                w,
                "--json",
            ]);
            out["cluster"]["deleted"].as_u64().unwrap() == 1
        })
        .expect("the owner of the removed file deletes it from the cluster");
    let after = search(&two.url(), "transit subsidy", "keyword", &[]);
    assert!(!paths(&after).contains(&victim), "{owner}: {after:#}");
}

#[test]
fn a_cluster_search_refuses_what_it_cannot_do_yet_and_a_wrong_url_says_so() {
    let c = Collection::new("refuse");
    let out = Command::new(BIN)
        .args([
            "search",
            "leave",
            "--backend",
            &c.url(),
            "--review-tag",
            "hot",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not supported on the cluster backend yet"),
        "{err}"
    );

    let out = Command::new(BIN)
        .args(["search", "leave", "--backend", "solr://127.0.0.1:1/nothing"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("connecting to solr://127.0.0.1:1/nothing"),
        "{err}"
    );
}
