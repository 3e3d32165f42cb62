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

/// `trawl index DOCS --index LOCAL --backend URL --json`: the run's report.
fn index_into(docs: &std::path::Path, local: &std::path::Path, url: &str) -> Value {
    trawl(&[
        "index",
        docs.to_str().unwrap(),
        "--index",
        local.to_str().unwrap(),
        "--backend",
        url,
        "--json",
    ])
}

/// A configuration folder under `dir` whose `trawl.toml` sets no practical rate limit: the
/// tests send many requests per key back to back, not the clients the limit is for.
fn unlimited_conf(dir: &std::path::Path) -> std::path::PathBuf {
    let conf = dir.join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(
        conf.join("trawl.toml"),
        "[limits]\nrate_per_s = 100000.0\nburst = 100000\n",
    )
    .unwrap();
    conf
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
    // …two workers split the same folder into collection `two`, at the same time.
    let worker = |share: &str, local_dir: &str| {
        trawl(&[
            "index",
            docs_s,
            "--index",
            &local(local_dir),
            "--backend",
            &two.url(),
            "--worker",
            share,
            "--json",
        ])
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| worker("1/2", "w1"));
        let b = s.spawn(|| worker("2/2", "w2"));
        (a.join().unwrap(), b.join().unwrap())
    });
    let (sa, sb) = (
        a["cluster"]["stored"].as_u64().unwrap(),
        b["cluster"]["stored"].as_u64().unwrap(),
    );
    assert!(
        sa > 0 && sb > 0,
        "each worker should own part of the folder: {a:#} {b:#}"
    );
    assert_eq!(sa + sb, r["cluster"]["stored"].as_u64().unwrap());
    // the count of whichever worker counted last follows both commits
    let chunks = |v: &Value| v["cluster"]["cluster_chunks"].as_u64().unwrap();
    assert_eq!(
        chunks(&a).max(chunks(&b)),
        chunks(&r),
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

/// Facets and similar documents on a cluster give what the embedded engine gives for the same
/// documents, through the server and the CLI.
#[test]
fn facets_and_similar_documents_on_a_cluster_match_the_embedded_engine() {
    let c = Collection::new("facets");
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    copy_dir(&fixtures(), &docs);
    let local = dir.path().join("local");
    index_into(&docs, &local, &c.url());
    let embedded = super::start_server(&local);
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(conf.join("trawl.toml"), "").unwrap();
    let cluster = super::start_server_with(
        &dir.path().join("server"),
        &conf,
        &["--addr", "127.0.0.1:0", "--backend", &c.url()],
    );
    let both = |path: &str| {
        let (a, b) = (
            call(&format!("{}{path}", embedded.1), "", None),
            call(&format!("{}{path}", cluster.1), "", None),
        );
        assert_eq!((a.0, b.0), (200, 200), "{path}: {} / {}", a.1, b.1);
        (a.1, b.1)
    };
    for path in [
        "/api/facets",
        "/api/facets?q=leave",
        "/api/facets?q=leave&kind=markdown",
    ] {
        let (a, b) = both(path);
        assert!(a["documents"].as_u64().unwrap() > 0, "{path}: {a:#}");
        assert_eq!(a, b, "{path}");
    }

    let (_, hit) = both("/api/search?q=parental+leave&mode=keyword&k=1");
    let id = hit["results"][0]["doc_id"].as_str().unwrap();
    let (a, b) = both(&format!("/api/documents/{id}/similar?limit=5"));
    let ids = |v: &Value| -> Vec<String> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["doc_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&a).len(), 5, "{a:#}");
    assert!(
        !ids(&b).contains(&id.to_owned()),
        "the source is not listed"
    );
    assert_eq!(ids(&a), ids(&b), "{a:#}\n{b:#}");
    let cli = trawl(&["similar", id, "--backend", &c.url(), "-k", "5", "--json"]);
    assert_eq!(ids(&cli), ids(&b));
    let (status, missing) = call(
        &format!("{}/api/documents/0000/similar", cluster.1),
        "",
        None,
    );
    assert_eq!(status, 404, "{missing}");
}

/// `[index] backend` in `trawl.toml` chooses the cluster like `--backend`; the flag wins, and a
/// malformed URL in the file is refused with the file's name.
#[test]
fn the_configuration_file_names_the_cluster() {
    let c = Collection::new("toml");
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    copy_dir(&fixtures(), &docs);
    let config = dir.path().join("trawl.toml");
    std::fs::write(&config, format!("[index]\nbackend = \"{}\"\n", c.url())).unwrap();
    let run = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .env("TRAWL_CONFIG", &config)
            .env_remove("TRAWL_BACKEND")
            .output()
            .unwrap()
    };
    let ok = |args: &[&str]| -> Value {
        let out = run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let worker = dir.path().join("worker");
    let report = ok(&[
        "index",
        docs.to_str().unwrap(),
        "--index",
        worker.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        report["cluster"]["stored"].as_u64().unwrap() > 0,
        "{report:#}"
    );
    // no local index where search looks: the answer comes from the cluster
    let missing = dir.path().join("no-index-here");
    let found = ok(&[
        "search",
        "parental leave",
        "--index",
        missing.to_str().unwrap(),
        "--json",
    ]);
    assert!(!paths(&found).is_empty(), "{found:#}");
    // the flag wins over the file
    let out = run(&[
        "search",
        "parental leave",
        "--backend",
        "solr://127.0.0.1:1/nothing",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("127.0.0.1:1"));

    std::fs::write(&config, "[index]\nbackend = \"http://solr1/x\"\n").unwrap();
    let out = run(&["search", "leave", "--index", missing.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("trawl.toml") && err.contains("backend"),
        "{err}"
    );
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

/// Runs `trawl eval` of `dataset` through a collection of its own, on the embedded `index`
/// the gate just built, and checks every arm's nDCG@10 against the embedded engine's
/// (`embedded`, the gate's report): within 0.02 (issue 19). The cluster's BM25 reads its
/// statistics per shard, so its keyword arm differs a little, and fusion carries that into
/// hybrid: 0.01 held on an AVX-512 CPU, but on an AVX2 CPU (2026-12-07) the same split gave
/// keyword 0.5456 against 0.5534 and hybrid 0.7852 against 0.8030, the vector arm equal.
pub(super) fn eval_matches_the_embedded_engine(
    dataset: &std::path::Path,
    split: &str,
    index: &std::path::Path,
    embedded: &Value,
) {
    let c = Collection::new("eval");
    let report = super::eval(dataset, split, index, &["--backend", &c.url()]);
    assert_eq!(report["backend"], c.url().as_str(), "{report:#}");
    assert_eq!(report["documents"], embedded["documents"], "{report:#}");
    assert_eq!(report["chunks"], embedded["chunks"], "{report:#}");
    for arm in ["keyword", "vector", "hybrid"] {
        let (on_cluster, here) = (
            report[arm]["ndcg@10"].as_f64().unwrap(),
            embedded[arm]["ndcg@10"].as_f64().unwrap(),
        );
        assert!(
            (on_cluster - here).abs() <= 0.02,
            "{arm}: nDCG@10 {on_cluster:.4} on the cluster, {here:.4} embedded\n{report:#}"
        );
    }
}

fn call(url: &str, key: &str, body: Option<&str>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let auth = format!("Bearer {key}");
    let mut res = match body {
        Some(b) => agent
            .post(url)
            .header("Authorization", &auth)
            .header("content-type", "application/json")
            .send(b),
        None => agent.get(url).header("Authorization", &auth).call(),
    }
    .expect("request");
    let text = res.body_mut().read_to_string().unwrap();
    (
        res.status().as_u16(),
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// `trawl serve --backend` with keys of random groups over a corpus of random access lists
/// (fixed seed): every search in every mode returns exactly the matching documents the key
/// may see — none of another group, none missing —, facets count exactly those, the document
/// view and similar documents answer 404 for the others and list only visible ones, ask cites
/// only what the key may see, and the endpoints that need an embedded index say they are not
/// supported.
#[test]
fn a_server_on_a_cluster_shows_each_key_exactly_its_documents() {
    const WORDS: [&str; 8] = [
        "zebrafish",
        "quokka",
        "tarragon",
        "obsidian",
        "marimba",
        "glacier",
        "saffron",
        "juniper",
    ];
    const GROUPS: [&str; 4] = ["hr", "legal", "finance", "eng"];
    let mut rng = fastrand::Rng::with_seed(19);
    let c = Collection::new("acl");
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    // path → (groups, words)
    let mut corpus: Vec<(String, Vec<String>, [&str; 2])> = Vec::new();
    for i in 0..30 {
        let a = WORDS[rng.usize(..WORDS.len())];
        let b = loop {
            let b = WORDS[rng.usize(..WORDS.len())];
            if b != a {
                break b;
            }
        };
        let groups: Vec<String> = match rng.usize(..5) {
            0 => Vec::new(),
            _ => {
                let mut g = vec![GROUPS[rng.usize(..GROUPS.len())].to_owned()];
                if rng.bool() {
                    g.push(GROUPS[rng.usize(..GROUPS.len())].to_owned());
                }
                g.sort();
                g.dedup();
                g
            }
        };
        let name = format!("memo-{i:02}.txt");
        std::fs::write(
            docs.join(&name),
            format!(
                "Memo {i} on {a} and {b}.\n\nThe {a} rule applies to {b} requests from every office. \
                 Ask the {a} desk before anything about {b} is sent out."
            ),
        )
        .unwrap();
        std::fs::write(
            docs.join(format!("{name}.meta.json")),
            serde_json::json!({ "groups": groups }).to_string(),
        )
        .unwrap();
        corpus.push((name, groups, [a, b]));
    }
    index_into(&docs, &dir.path().join("worker"), &c.url());

    let conf = unlimited_conf(dir.path());
    let config = conf.join("trawl.toml");
    let config = config.to_str().unwrap();
    let mut keys: Vec<(String, Vec<String>)> = Vec::new();
    for k in 0..5 {
        let groups: Vec<String> = GROUPS
            .iter()
            .filter(|_| rng.usize(..3) == 0)
            .map(|g| (*g).to_owned())
            .collect();
        let joined = if groups.is_empty() {
            String::new()
        } else {
            groups.join(",")
        };
        let mut args = vec![
            "keys", "create", "--name", "k", "--config", config, "--json",
        ];
        let name = format!("user{k}");
        args[3] = &name;
        if !joined.is_empty() {
            args.extend(["--groups", &joined]);
        }
        let created = trawl(&args);
        keys.push((created["key"].as_str().unwrap().to_owned(), groups));
    }
    let admin = trawl(&[
        "keys", "create", "--name", "admin", "--admin", "--config", config, "--json",
    ])["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let server = super::start_server_with(
        &dir.path().join("server"),
        &conf,
        &["--addr", "127.0.0.1:0", "--backend", &c.url()],
    );
    let base = &server.1;

    let (status, ready) = call(&format!("{base}/readyz"), &admin, None);
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["backend"], c.url().as_str());
    assert_eq!(ready["documents"], 30);

    // document ids by path, as the administrator sees them
    let mut ids = std::collections::HashMap::new();
    for w in WORDS {
        let (_, r) = call(
            &format!("{base}/api/search?q={w}&mode=keyword&k=50"),
            &admin,
            None,
        );
        for hit in r["results"].as_array().unwrap() {
            ids.insert(
                hit["path"].as_str().unwrap().to_owned(),
                hit["doc_id"].as_str().unwrap().to_owned(),
            );
        }
    }
    assert_eq!(ids.len(), 30, "the administrator finds every document");

    let visible = |groups: &[String], doc: &[String]| {
        doc.is_empty() || doc.iter().any(|g| groups.contains(g))
    };
    for (key, groups) in &keys {
        for w in WORDS {
            let expected: std::collections::BTreeSet<&str> = corpus
                .iter()
                .filter(|(_, g, words)| words.contains(&w) && visible(groups, g))
                .map(|(p, _, _)| p.as_str())
                .collect();
            for mode in ["keyword", "vector", "hybrid"] {
                let (status, r) = call(
                    &format!("{base}/api/search?q={w}&mode={mode}&k=50"),
                    key,
                    None,
                );
                assert_eq!(status, 200, "{r}");
                let got: std::collections::BTreeSet<&str> = r["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| h["path"].as_str().unwrap())
                    .collect();
                for path in &got {
                    let (_, g, _) = corpus.iter().find(|(p, _, _)| p == path).unwrap();
                    assert!(
                        visible(groups, g),
                        "{mode} search for {w} showed {path} (groups {g:?}) to a key of {groups:?}"
                    );
                }
                if mode == "keyword" {
                    assert_eq!(got, expected, "{w} for a key of {groups:?}");
                }
            }
            let (status, f) = call(&format!("{base}/api/facets?q={w}"), key, None);
            assert_eq!(status, 200, "{f}");
            assert_eq!(
                f["documents"].as_u64().unwrap() as usize,
                expected.len(),
                "facets of {w} for a key of {groups:?}: {f}"
            );
        }
        for (path, g, _) in corpus.iter().step_by(3) {
            let (status, _) = call(&format!("{base}/api/documents/{}", ids[path]), key, None);
            let want = if visible(groups, g) { 200 } else { 404 };
            assert_eq!(
                status, want,
                "{path} (groups {g:?}) for a key of {groups:?}"
            );
            let (status, similar) = call(
                &format!("{base}/api/documents/{}/similar?limit=50", ids[path]),
                key,
                None,
            );
            assert_eq!(status, want, "similar to {path} for {groups:?}: {similar}");
            for r in similar["results"].as_array().into_iter().flatten() {
                let shown = r["path"].as_str().unwrap();
                let (_, g, _) = corpus.iter().find(|(p, _, _)| p == shown).unwrap();
                assert!(
                    visible(groups, g),
                    "similar showed {shown} ({g:?}) to {groups:?}"
                );
            }
        }
    }

    // ask reads the cluster with the asker's groups
    let (key, groups) = &keys[0];
    let (status, answer) = call(
        &format!("{base}/api/ask"),
        key,
        Some(r#"{"question": "Who applies the zebrafish rule?", "stream": false}"#),
    );
    assert_eq!(status, 200, "{answer}");
    for c in answer["citations"]
        .as_array()
        .unwrap()
        .iter()
        .chain(answer["closest"].as_array().unwrap_or(&Vec::new()))
    {
        let path = c["path"].as_str().unwrap();
        let (_, g, _) = corpus.iter().find(|(p, _, _)| p == path).unwrap();
        assert!(visible(groups, g), "ask cited {path} ({g:?}) to {groups:?}");
    }

    // An access list narrowed in a sidecar (the file unchanged) reaches the cluster on the
    // next run: the document is closed to the keys that lost it.
    let (public, _, words) = corpus.iter().find(|(_, g, _)| g.is_empty()).unwrap();
    std::fs::write(
        docs.join(format!("{public}.meta.json")),
        r#"{"groups": ["nobody"]}"#,
    )
    .unwrap();
    let rerun = index_into(&docs, &dir.path().join("worker"), &c.url());
    assert_eq!(rerun["cluster"]["stored"], 1, "{rerun:#}");
    for (key, expect) in [(&keys[0].0, false), (&admin, true)] {
        let (_, r) = call(
            &format!("{base}/api/search?q={}&mode=keyword&k=50", words[0]),
            key,
            None,
        );
        let found = r["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["path"] == public.as_str());
        assert_eq!(
            found, expect,
            "{public} after its groups became [nobody]: {r}"
        );
    }

    let (status, r) = call(&format!("{base}/api/threads"), &admin, None);
    assert_eq!(status, 400, "{r}");
    assert_eq!(r["error"]["code"], "not_supported_on_cluster", "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/api/threads"),
        "{r}"
    );
}

/// Whether every replica of `collection` is active on a live node.
fn green(collection: &str) -> bool {
    let Ok(mut res) = ureq::get(&format!(
        "{ADMIN}?action=CLUSTERSTATUS&collection={collection}"
    ))
    .call() else {
        return false;
    };
    let Ok(v) = res.body_mut().read_json::<Value>() else {
        return false;
    };
    let live: Vec<&str> = v["cluster"]["live_nodes"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(shards) = v["cluster"]["collections"][collection]["shards"].as_object() else {
        return false;
    };
    shards.values().all(|s| {
        s["replicas"].as_object().is_some_and(|r| {
            r.values().all(|r| {
                r["state"] == "active" && live.contains(&r["node_name"].as_str().unwrap_or(""))
            })
        })
    })
}

/// The failure drill (issue 19): `kill -9` of the node the server talks to first, during a
/// search load through `trawl serve --backend`, leaves every search answering in full (the
/// replicas; trawl fails over to the next node) and loses no committed document; the node
/// restarted by `scripts/cluster.sh up` rejoins, and a re-run of the indexer then finds
/// nothing to send. It kills a node of the shared test cluster, so `make test` runs it alone,
/// after the suite (`--ignored`).
#[test]
#[ignore = "kills a node of the shared test cluster: `make test` runs it alone, after the suite"]
fn kill_9_of_a_node_under_search_load_loses_nothing_and_it_rejoins() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    let name = format!("e2e_drill_{}", std::process::id());
    let _ = ureq::get(&format!("{ADMIN}?action=DELETE&name={name}")).call();
    // replicated: each shard has a copy on another node
    ureq::get(&format!(
        "{ADMIN}?action=CREATE&name={name}&collection.configName=trawl&numShards=3&replicationFactor=2&waitForFinalState=true"
    ))
    .call()
    .expect("creating the drill's collection (is the cluster up?)");
    let c = Collection(name.clone());
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    copy_dir(&fixtures(), &docs);
    let index = |dir_name: &str| index_into(&docs, &dir.path().join(dir_name), &c.url());
    let first = index("worker");
    let stored = first["cluster"]["stored"].as_u64().unwrap();
    let chunks = first["cluster"]["cluster_chunks"].as_u64().unwrap();
    assert!(stored > 0, "{first:#}");

    let conf = unlimited_conf(dir.path());
    let server = super::start_server_with(
        &dir.path().join("server"),
        &conf,
        &["--addr", "127.0.0.1:0", "--backend", &c.url()],
    );
    let base = server.1.clone();
    let expected = |mode: &str| {
        let (status, r) = call(
            &format!("{base}/api/search?q=leave&mode={mode}&k=50"),
            "",
            None,
        );
        assert_eq!(status, 200, "{r}");
        paths(&r)
    };
    let before: Vec<Vec<String>> = ["keyword", "vector", "hybrid"]
        .iter()
        .map(|m| expected(m))
        .collect();
    assert!(!before[0].is_empty());

    let stop = Arc::new(AtomicBool::new(false));
    let (answered, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let load: Vec<_> = (0..2)
        .map(|t| {
            let (stop, answered, failed) = (stop.clone(), answered.clone(), failed.clone());
            let (base, before) = (base.clone(), before.clone());
            std::thread::spawn(move || {
                let modes = ["keyword", "vector", "hybrid"];
                let mut i = t;
                let mut wrong = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let m = i % 3;
                    let (status, r) = call(
                        &format!("{base}/api/search?q=leave&mode={}&k=50", modes[m]),
                        "",
                        None,
                    );
                    if status == 200 && paths(&r) == before[m] {
                        answered.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                        wrong.push(format!("{status} {r}"));
                    }
                    i += 1;
                }
                wrong
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let home = std::env::var("TRAWL_HOME").map_or_else(
        |_| std::path::PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/trawl"),
        std::path::PathBuf::from,
    );
    let pid = std::fs::read_to_string(home.join("cluster/run/node1.pid")).unwrap();
    let killed = Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .unwrap();
    assert!(killed.success(), "kill -9 {pid}");
    let at_kill = answered.load(Ordering::Relaxed);
    // the searches go on while the node is dead (and while ZooKeeper notices)
    std::thread::sleep(Duration::from_secs(20));
    let during = answered.load(Ordering::Relaxed) - at_kill;
    let restart = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/cluster.sh"))
        .arg("up")
        .output()
        .unwrap();
    assert!(
        restart.status.success(),
        "restarting the node: {}",
        String::from_utf8_lossy(&restart.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    while !green(&name) {
        assert!(
            Instant::now() < deadline,
            "{name} did not turn green after the restart"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::Relaxed);
    let wrong: Vec<String> = load.into_iter().flat_map(|t| t.join().unwrap()).collect();
    assert!(
        wrong.is_empty(),
        "{} of {} searches failed or changed: {:?}",
        failed.load(Ordering::Relaxed),
        answered.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed),
        &wrong[..wrong.len().min(3)]
    );
    assert!(
        during > 10,
        "only {during} searches answered while the node was down"
    );

    // nothing committed was lost, and the indexer finds nothing to send again
    let (status, ready) = call(&format!("{base}/readyz"), "", None);
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["chunks"], chunks, "{ready}");
    let again = index("worker");
    assert_eq!(again["cluster"]["stored"], 0, "{again:#}");
    assert_eq!(again["cluster"]["cluster_chunks"], chunks, "{again:#}");
}
