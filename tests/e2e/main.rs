//! End-to-end tests: the real `trawl` binary, the real model, real files, a real socket.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::OnceLock,
};

use serde_json::Value;

mod answers;
mod ask;
mod cluster;
mod contract;
mod crash;
mod formats;
mod tune;

const BIN: &str = env!("CARGO_BIN_EXE_trawl");

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/docs")
}

fn trawl(args: &[&str]) -> Value {
    let out = Command::new(BIN).args(args).output().expect("run trawl");
    assert!(
        out.status.success(),
        "trawl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "trawl {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `trawl index DOCS --index IDX --json`: the run's report.
fn index_folder(docs: &Path, idx: &Path) -> Value {
    trawl(&[
        "index",
        docs.to_str().unwrap(),
        "--index",
        idx.to_str().unwrap(),
        "--json",
    ])
}

/// The fixture documents indexed once for the read-only tests: the index
/// directory and the `trawl index --json` report of that run.
fn shared() -> &'static (tempfile::TempDir, PathBuf, Value) {
    static INDEX: OnceLock<(tempfile::TempDir, PathBuf, Value)> = OnceLock::new();
    INDEX.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let idx = dir.path().join("idx");
        let report = index_folder(&fixtures(), &idx);
        (dir, idx, report)
    })
}

fn shared_index() -> &'static Path {
    &shared().1
}

fn search(query: &str, mode: &str) -> Value {
    trawl(&[
        "search",
        query,
        "--index",
        shared_index().to_str().unwrap(),
        "--mode",
        mode,
        "--json",
    ])
}

fn top_path(v: &Value) -> &str {
    v["results"][0]["path"].as_str().unwrap_or("<no results>")
}

fn words(text: &str) -> std::collections::HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[test]
fn index_reports_what_it_did_and_why_it_skipped() {
    let report = &shared().2;
    assert_eq!(report["indexed"], 6, "{report:#}");
    assert!(report["chunks"].as_u64().unwrap() >= 6);
    let skipped = report["skipped"].as_array().unwrap();
    let reason = |p: &str| {
        skipped
            .iter()
            .find(|s| s["path"].as_str().unwrap().ends_with(p))
            .map(|s| s["reason"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{p} not reported: {report:#}"))
    };
    assert!(
        reason("unsupported.pdf").contains("corrupt: PDF"),
        "{report:#}"
    );
    assert!(reason("binary.txt").contains("binary"));
}

#[test]
fn explain_says_what_made_each_rank_and_the_formula_holds() {
    let query = "how many weeks of paid leave after a baby";
    let idx = shared_index().to_str().unwrap();
    let out = Command::new(BIN)
        .args([
            "search",
            query,
            "--index",
            idx,
            "--explain",
            "--fusion",
            "calibrated:0.4",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let results = search(query, "hybrid");
    let results = results["results"].as_array().unwrap();
    let whys: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("why: "))
        .collect();
    assert_eq!(whys.len(), results.len(), "{text}");
    assert!(
        whys.iter()
            .all(|l| l.contains("keyword") && l.contains("semantic")),
        "{text}"
    );
    assert!(
        text.contains("hybrid score: calibrated:0.4 = 0.4 × cosine + 0.6 × keyword share"),
        "{text}"
    );
    // what it says is how the score was made: where both arms found the document, the
    // score is the formula's
    let mut checked = 0;
    for (r, why) in results.iter().zip(&whys) {
        if let (Some(share), Some(cosine)) =
            (r["keyword_share"].as_f64(), r["vector_score"].as_f64())
        {
            assert!(
                (r["score"].as_f64().unwrap() - (0.4 * cosine + 0.6 * share)).abs() < 1e-4,
                "{r:#}"
            );
            assert!(
                why.contains(&format!("cosine {cosine:.3}")),
                "{why} / {r:#}"
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "{text}");
}

#[test]
fn semantic_query_without_shared_words_finds_its_document() {
    let query = "metro card stipend";
    let doc = std::fs::read_to_string(fixtures().join("hr/transit-benefit.md")).unwrap();
    let shared: Vec<_> = words(query).intersection(&words(&doc)).cloned().collect();
    assert!(
        shared.is_empty(),
        "query must share no words with the document: {shared:?}"
    );
    for mode in ["hybrid", "vector"] {
        let res = search(query, mode);
        assert_eq!(top_path(&res), "hr/transit-benefit.md", "{mode}: {res:#}");
    }
    // The keyword arm alone cannot find it.
    let res = search(query, "keyword");
    assert!(
        res["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["path"] != "hr/transit-benefit.md")
    );
}

#[test]
fn exact_phrase_finds_its_document() {
    let res = search("\"password manager\"", "keyword");
    assert_eq!(top_path(&res), "kb/password-requirements.md", "{res:#}");
    assert!(
        res["results"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>")
    );
    let res = search("\"password manager\"", "hybrid");
    assert_eq!(top_path(&res), "kb/password-requirements.md", "{res:#}");
}

#[test]
fn results_carry_sections_and_scores() {
    let res = search("report a lost laptop", "hybrid");
    let first = &res["results"][0];
    assert_eq!(first["path"], "kb/security-incidents.md", "{res:#}");
    assert!(first["section"].is_string(), "{first:#}");
    assert!(first["score"].as_f64().unwrap() > 0.0);
    let paths: Vec<&str> = res["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    let mut unique = paths.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        paths.len(),
        "a document appears once: {paths:?}"
    );
}

/// A running `trawl serve`, killed on drop, with the folder of its configuration.
struct Server(Child, String, Option<tempfile::TempDir>);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(index: &Path) -> Server {
    // An empty configuration and keys file of its own: whatever the machine's
    // $TRAWL_HOME holds, this server runs in local single-user mode.
    let conf = tempfile::tempdir().unwrap();
    std::fs::write(conf.path().join("trawl.toml"), "").unwrap();
    let mut server = start_server_with(index, conf.path(), &["--addr", "127.0.0.1:0"]);
    server.2 = Some(conf);
    server
}

/// Starts `trawl serve` with the configuration folder `conf` (its
/// `trawl.toml` and `keys.json`) and extra arguments.
fn start_server_with(index: &Path, conf: &Path, args: &[&str]) -> Server {
    let mut child = Command::new(BIN)
        .args(["serve", "--index", index.to_str().unwrap()])
        .args(args)
        .env("TRAWL_CONFIG", conf.join("trawl.toml"))
        .env_remove("TRAWL_KEYS_FILE")
        .env_remove("TRAWL_ADDR")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start trawl serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    Server(child, url, None)
}

fn get(url: &str) -> (u16, String, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut res = agent.get(url).call().expect("request");
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (
        res.status().as_u16(),
        ctype,
        res.body_mut().read_to_string().unwrap(),
    )
}

#[test]
fn http_api_returns_what_the_cli_returns() {
    let server = start_server(shared_index());
    let base = &server.1;

    let (status, _, body) = get(&format!("{base}/healthz"));
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    let (status, _, body) = get(&format!("{base}/readyz"));
    assert_eq!(status, 200);
    let ready: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ready["documents"], 6);

    for (q, mode) in [
        ("metro card stipend", "hybrid"),
        ("\"password manager\"", "keyword"),
        ("overtime pay", "vector"),
    ] {
        let url = format!("{base}/api/search?q={}&mode={mode}", urlencode(q));
        let (status, ctype, body) = get(&url);
        assert_eq!(status, 200, "{body}");
        assert!(ctype.starts_with("application/json"));
        let http: Value = serde_json::from_str(&body).unwrap();
        let cli = search(q, mode);
        assert!(!cli["results"].as_array().unwrap().is_empty());
        assert_eq!(http["results"], cli["results"], "{q} ({mode})");
        assert_eq!(http["mode"], mode);
    }

    let (status, ctype, body) = get(&format!("{base}/"));
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/html"));
    assert!(body.contains("<title>trawl"));
}

#[test]
fn http_errors_are_json_with_stable_codes() {
    let server = start_server(shared_index());
    let base = &server.1;
    let cases = [
        ("/api/search?q=leave&mode=fuzzy", 400, "invalid_mode"),
        ("/api/search?mode=hybrid", 400, "invalid_parameters"),
        ("/api/search?q=leave&k=0", 400, "invalid_search"),
        ("/api/search?q=leave&k=abc", 400, "invalid_parameters"),
        ("/no/such/route", 404, "not_found"),
    ];
    for (path, want_status, want_code) in cases {
        let (status, ctype, body) = get(&format!("{base}{path}"));
        assert_eq!(status, want_status, "{path}: {body}");
        assert!(ctype.starts_with("application/json"), "{path}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"]["code"], want_code, "{path}: {body}");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[test]
fn reindexing_follows_changes_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    for f in [
        "hr/overtime.md",
        "kb/password-requirements.md",
        "hr/transit-benefit.md",
    ] {
        std::fs::copy(
            fixtures().join(f),
            docs.join(Path::new(f).file_name().unwrap()),
        )
        .unwrap();
    }
    let idx = dir.path().join("idx");
    let run = || index_folder(&docs, &idx);
    let first = run();
    assert_eq!(first["indexed"], 3);
    let again = run();
    assert_eq!(
        (again["indexed"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(3)),
        "{again:#}"
    );

    std::fs::write(
        docs.join("overtime.md"),
        "# Overtime\n\nCompensatory time replaces overtime pay for zebra projects.\n",
    )
    .unwrap();
    std::fs::remove_file(docs.join("transit-benefit.md")).unwrap();
    std::fs::copy(
        docs.join("password-requirements.md"),
        docs.join("copy-of-passwords.md"),
    )
    .unwrap();
    let changed = run();
    assert_eq!(changed["indexed"], 1, "{changed:#}");
    assert_eq!(changed["updated"], 1, "{changed:#}");
    assert_eq!(changed["removed"], 1, "{changed:#}");
    assert_eq!(
        changed["duplicates"].as_array().unwrap().len(),
        1,
        "{changed:#}"
    );
    assert_eq!(changed["documents_total"], 2, "{changed:#}");

    let idx_s = idx.to_str().unwrap();
    let res = trawl(&[
        "search", "zebra", "--index", idx_s, "--mode", "keyword", "--json",
    ]);
    assert_eq!(top_path(&res), "overtime.md");
    let res = trawl(&[
        "search",
        "transit subsidy",
        "--index",
        idx_s,
        "--mode",
        "keyword",
        "--json",
    ]);
    assert!(
        res["results"].as_array().unwrap().is_empty(),
        "deleted file still found: {res:#}"
    );

    // Another folder into the same index (a mistyped --index) is refused and removes nothing;
    // --replace makes the index mirror it.
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(
        fixtures().join("hr/transit-benefit.md"),
        other.join("transit-benefit.md"),
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("index")
        .arg(&other)
        .args(["--index", idx_s])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("would remove")
            && err.contains("Nothing was changed")
            && err.contains("--replace"),
        "{err}"
    );
    let res = trawl(&[
        "search", "zebra", "--index", idx_s, "--mode", "keyword", "--json",
    ]);
    assert_eq!(top_path(&res), "overtime.md");
    let replaced = trawl(&[
        "index",
        other.to_str().unwrap(),
        "--index",
        idx_s,
        "--replace",
        "--json",
    ]);
    assert_eq!(
        (
            replaced["indexed"].as_u64(),
            replaced["documents_total"].as_u64()
        ),
        (Some(1), Some(1)),
        "{replaced:#}"
    );
}

#[test]
fn bad_invocations_fail_with_a_clear_message() {
    let out = Command::new(BIN)
        .args(["search", "x", "--index", "/nonexistent/idx"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no trawl index at /nonexistent/idx"), "{err}");

    let out = Command::new(BIN)
        .args(["index", "/nonexistent/docs", "--index"])
        .arg(tempfile::tempdir().unwrap().path().join("i"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/docs is not a directory"));

    let out = Command::new(BIN)
        .args(["search", "x", "--index"])
        .arg(shared_index())
        .args(["--model-dir", "/nonexistent/model"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("model manifest not found") && err.contains("make setup"),
        "{err}"
    );
}

/// Copies the tree at `from` to `to`.
fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A copy of the shared index whose manifest names another model of the same dimension, as
/// an index built with a tuned or replaced model would.
fn index_of_another_model() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("idx");
    copy_dir(shared_index(), &copy);
    let manifest = copy.join("trawl-index.json");
    let mut meta: Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let spec = meta.get_mut("spec").expect("trawl-index.json has a spec");
    spec["model_fingerprint"] = Value::from("0123456789abcdef-another-model");
    spec["model_name"] = Value::from("another-model");
    std::fs::write(&manifest, serde_json::to_string(&meta).unwrap()).unwrap();
    (dir, copy)
}

#[test]
fn every_command_that_embeds_refuses_an_index_of_another_model() {
    let (_dir, idx) = index_of_another_model();
    for args in [
        &["search", "parental leave"][..],
        &["search", "parental leave", "--mode", "keyword"][..],
        &["ask", "How many weeks of parental leave?"][..],
    ] {
        let out = Command::new(BIN)
            .args(args)
            .arg("--index")
            .arg(&idx)
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "{args:?} used an index of another model"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("built with model another-model") && err.contains("--model-dir"),
            "{args:?}: {err}"
        );
    }
    // Commands that do not embed still read it.
    let out = Command::new(BIN)
        .args(["status", "--index"])
        .arg(&idx)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn eval_regression_floor_on_labelled_fixture_questions() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval");
    // The floor was recorded when hybrid scored 1.0 here (keyword 0.875).
    let report = trawl(&[
        "eval",
        "--dataset",
        dataset.to_str().unwrap(),
        "--index",
        dir.path().join("idx").to_str().unwrap(),
        "--min-hybrid-ndcg",
        "0.95",
        "--json",
    ]);
    assert_eq!(report["queries"], 8, "{report:#}");
    let ndcg = |m: &str| report[m]["ndcg@10"].as_f64().unwrap();
    assert!(ndcg("hybrid") >= ndcg("keyword"), "{report:#}");
    assert!(ndcg("hybrid") >= ndcg("vector") - 1e-9, "{report:#}");
}

/// Runs `trawl eval` on a development set with the regression gate: hybrid at or above
/// `floor` and above both of its arms. The floors were recorded (see README, "Relevance")
/// about 0.015 under the measured value, since INT8 embeddings differ slightly between CPUs
/// (AVX2 and AVX-512 kernels round differently).
fn development_gate(dataset: &Path, split: &str, floor: f64) -> Value {
    development_gate_in(
        dataset,
        split,
        floor,
        &tempfile::tempdir().unwrap().path().join("idx"),
    )
}

/// `trawl eval --dataset DATASET --split SPLIT --index INDEX EXTRA… --json`: the report.
fn eval(dataset: &Path, split: &str, index: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "eval",
        "--dataset",
        dataset.to_str().unwrap(),
        "--split",
        split,
        "--index",
        index.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    trawl(&args)
}

/// Writes a folder dataset into `dir`: `dataset.json` naming `corpus_dir` (relative to `dir`),
/// `queries` as `queries.jsonl`, and for each (split, rows) `qrels/SPLIT.tsv` with its header.
fn write_dataset(dir: &Path, corpus_dir: &str, queries: &str, qrels: &[(&str, &str)]) {
    std::fs::create_dir_all(dir.join("qrels")).unwrap();
    let config = serde_json::json!({ "corpus_dir": corpus_dir });
    std::fs::write(dir.join("dataset.json"), config.to_string()).unwrap();
    std::fs::write(dir.join("queries.jsonl"), queries).unwrap();
    for (split, rows) in qrels {
        std::fs::write(
            dir.join(format!("qrels/{split}.tsv")),
            format!("query-id\tcorpus-id\tscore\n{rows}"),
        )
        .unwrap();
    }
}

/// A folder dataset may judge the copy of a file the indexer did not keep (identical files are
/// one document, under the first path): the judgment counts for the indexed copy, once.
#[test]
fn eval_counts_a_judged_copy_for_the_indexed_file() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir_all(corpus.join("kb")).unwrap();
    let vpn = "# VPN\n\nUse the VPN for all access to internal systems from home. \
               Install the client from the software center and sign in with your PIV card.\n";
    // "a-" is found first, so it is the indexed document and "b-" its duplicate
    std::fs::write(corpus.join("kb/a-vpn.md"), vpn).unwrap();
    std::fs::write(corpus.join("kb/b-vpn-copy.md"), vpn).unwrap();
    std::fs::write(
        corpus.join("kb/leave.md"),
        "# Leave\n\nYou earn four hours of annual leave each pay period.\n",
    )
    .unwrap();
    let eval_dir = dir.path().join("eval");
    // judged: only the copy, and both copies
    write_dataset(
        &eval_dir,
        "../corpus",
        "{\"_id\": \"q1\", \"text\": \"how do I reach internal systems from home\"}\n",
        &[
            ("copy", "q1\tkb/b-vpn-copy.md\t2\n"),
            ("both", "q1\tkb/a-vpn.md\t2\nq1\tkb/b-vpn-copy.md\t2\n"),
        ],
    );
    let index = dir.path().join("idx");
    for split in ["copy", "both"] {
        let r = eval(&eval_dir, split, &index, &[]);
        assert_eq!(r["documents"], 2, "{r:#}");
        for arm in ["keyword", "vector", "hybrid"] {
            let ndcg = r[arm]["ndcg@10"].as_f64().unwrap();
            assert!((ndcg - 1.0).abs() < 1e-9, "{split} {arm}: {r:#}");
        }
    }
}

/// [`development_gate`] with the dataset's index kept in `index` (for a second run on it).
fn development_gate_in(dataset: &Path, split: &str, floor: f64, index: &Path) -> Value {
    let floor = floor.to_string();
    let report = eval(
        dataset,
        split,
        index,
        &["--min-hybrid-ndcg", &floor, "--require-fusion-gain"],
    );
    let ndcg = |m: &str| report[m]["ndcg@10"].as_f64().unwrap();
    assert!(
        ndcg("hybrid") > ndcg("keyword").max(ndcg("vector")),
        "{report:#}"
    );
    report
}

/// Hybrid nDCG@10 floors of the development sets, measured on 2026-12-03 (AVX-512 CPU) at
/// 0.8029 / 0.5480 / 0.7396 (see README, "Relevance").
const FLOOR_CORPORA: f64 = 0.79;
const FLOOR_CUAD: f64 = 0.535;
const FLOOR_SCIFACT: f64 = 0.725;
// The blind plain-language splits of `corpora/eval`: nDCG@10 when first measured, on an
// AVX-512 CPU, and on 2026-12-07 on an AVX2 CPU without AVX-512 (the keyword arm is the same on
// both), where ONNX Runtime's INT8 kernels round the embedder's products differently (README,
// "Relevance"):
// the vector arm moved by up to 0.04 on a split, and with it the gap between hybrid and the
// vector arm. A floor and a gap hold on both kinds of CPU, with a margin; a split is gated
// "above both arms" only where hybrid beat them on both.
/// p01-p30: keyword 0.4828, vector 0.7057 / 0.7180 (AVX-512 / AVX2), hybrid 0.7032 / 0.7089.
const FLOOR_PLAIN: f64 = 0.69;
/// How far hybrid may fall under its vector arm on the plain split: it does not beat it there
/// yet (README, "Relevance"), and the gate keeps the gap from growing.
const PLAIN_GAP: f64 = 0.015;
/// r01-r20: keyword 0.6353, vector 0.8225 / 0.8783, hybrid 0.8597 / 0.8680.
const FLOOR_PLAIN2: f64 = 0.84;
const PLAIN2_GAP: f64 = 0.02;
/// s01-s20: keyword 0.7732, vector 0.8871 / 0.8629, hybrid 0.9027 / 0.9027.
const FLOOR_PLAIN3: f64 = 0.88;
/// t01-t20: keyword 0.6011, vector 0.8604 / 0.8389, hybrid 0.8808 / 0.8742.
const FLOOR_PLAIN4: f64 = 0.86;
/// e01-e20: keyword 0.5979, vector 0.8408 / 0.8343, hybrid 0.8009 / 0.7860: hybrid 0.04-0.05
/// under its vector arm (README, "Relevance"). The gate keeps the floor, hybrid above the
/// keyword arm, and the gap from growing.
const FLOOR_PLAIN5: f64 = 0.77;
const PLAIN5_GAP: f64 = 0.06;
/// c01-c20: keyword 0.6211, vector 0.7347 / 0.7472, hybrid 0.8082 / 0.8515.
const FLOOR_PLAIN6: f64 = 0.79;
/// d01-d20: keyword 0.7149, vector 0.9115 / 0.9024, hybrid 0.9034 / 0.9254.
const FLOOR_PLAIN7: f64 = 0.89;
const PLAIN7_GAP: f64 = 0.02;
/// bq01-bq20: keyword 0.7561, vector 0.8873 / 0.8516, hybrid 0.8873 / 0.8913.
const FLOOR_PLAIN8: f64 = 0.87;
const PLAIN8_GAP: f64 = 0.01;
/// gq01-gq20: keyword 0.8019, vector 0.8450 / 0.8820, hybrid 0.8375 / 0.8426.
const FLOOR_PLAIN9: f64 = 0.82;
const PLAIN9_GAP: f64 = 0.05;
/// hq01-hq20: keyword 0.5696, vector 0.7884 / 0.7972, hybrid 0.8047 / 0.7905.
const FLOOR_PLAIN10: f64 = 0.78;
const PLAIN10_GAP: f64 = 0.015;
/// kq01-kq20: keyword 0.4421, vector 0.7484 / 0.7282, hybrid 0.7418 / 0.7218.
const FLOOR_PLAIN11: f64 = 0.71;
const PLAIN11_GAP: f64 = 0.015;
/// wq01-wq20: keyword 0.4976, vector 0.7125 / 0.7152, hybrid 0.7298 / 0.7104.
const FLOOR_PLAIN12: f64 = 0.70;
const PLAIN12_GAP: f64 = 0.015;
/// xq01-xq20: keyword 0.6320, vector 0.7798 / 0.7444, hybrid 0.7871 / 0.7834.
const FLOOR_PLAIN13: f64 = 0.77;
const PLAIN13_GAP: f64 = 0.005;
/// yq01-yq20, first measured on 2026-12-07 on the AVX2 CPU only: keyword 0.7071, vector
/// 0.8529, hybrid 0.9099 (above its vector arm by 0.057; first result right for 11 / 14 / 17
/// of 20). Gated with the others' margin for the other kind of CPU.
const FLOOR_PLAIN14: f64 = 0.87;
const PLAIN14_GAP: f64 = 0.02;
/// zq01-zq20, first measured on 2026-12-07 on the AVX2 CPU only: keyword 0.8166, vector
/// 0.8329, hybrid 0.8945 (above its vector arm by 0.062). Gated with the others' margin for
/// the other kind of CPU.
const FLOOR_PLAIN15: f64 = 0.86;
const PLAIN15_GAP: f64 = 0.02;
/// mq01-mq20, first measured on 2026-12-07 on the AVX2 CPU only: keyword 0.4628, vector
/// 0.6837, hybrid 0.7123 (above its vector arm by 0.029). Gated with the others' margin for
/// the other kind of CPU.
const FLOOR_PLAIN16: f64 = 0.68;
const PLAIN16_GAP: f64 = 0.02;
/// tq01-tq20, first measured on 2026-12-07 on the AVX2 CPU only: keyword 0.4713, vector
/// 0.8460, hybrid 0.8196 (under its vector arm by 0.026). The gate keeps the floor, hybrid
/// above the keyword arm, and the gap from growing, with the others' margin for the other
/// kind of CPU.
const FLOOR_PLAIN17: f64 = 0.79;
const PLAIN17_GAP: f64 = 0.045;
/// nq01-nq20, first measured on 2026-12-07 on the AVX2 CPU only: keyword 0.7259, vector
/// 0.8154, hybrid 0.8475 (above its vector arm by 0.032); on the index whose message headers
/// carry their Message-ID (same day) 0.7119 / 0.8200 / 0.8481. Gated with the others' margin
/// for the other kind of CPU.
const FLOOR_PLAIN18: f64 = 0.82;
const PLAIN18_GAP: f64 = 0.02;
/// jq01-jq20, first measured on 2026-12-07 on the AVX2 CPU only: keyword 0.6592, vector
/// 0.7586, hybrid 0.8167 (above its vector arm by 0.058); 0.6592 / 0.7536 / 0.8048 once
/// messages' text gave their In-Reply-To and References and the embedder stopped seeing ID
/// lines (same day). Gated with the others' margin for the other kind of CPU.
const FLOOR_PLAIN19: f64 = 0.79;
const PLAIN19_GAP: f64 = 0.02;
/// vq01-vq20, first measured on 2026-12-07 on the AVX2 CPU only: keyword 0.6948, vector
/// 0.8815, hybrid 0.9443 (above its vector arm by 0.063); the same after messages' ID lines
/// left the embedded text. Gated above both arms, with the others' margin for the other kind
/// of CPU.
const FLOOR_PLAIN20: f64 = 0.91;

fn shared_eval(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/eval")
        .join(name)
}

#[test]
fn gate_plain_language_questions_over_the_demo_corpus() {
    let dataset = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/eval");
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let report = development_gate_in(&dataset, "test", FLOOR_CORPORA, &index);
    assert_eq!(report["queries"], 70, "{report:#}");
    cluster::eval_matches_the_embedded_engine(&dataset, "test", &index, &report);
    fit_writes_a_weight_that_wins_and_search_uses_it(&dataset, &index, &report);

    // The blind plain-language splits of the same folder, on the same index. Where hybrid does
    // not beat its vector arm yet: a floor, above the keyword arm, and no further under the
    // vector arm than recorded.
    let within_gap = |split: &str, queries: u64, floor: f64, gap: f64| {
        let floor = floor.to_string();
        let r = eval(&dataset, split, &index, &["--min-hybrid-ndcg", &floor]);
        assert_eq!(r["queries"], queries, "{r:#}");
        let ndcg = |m: &str| r[m]["ndcg@10"].as_f64().unwrap();
        assert!(ndcg("hybrid") > ndcg("keyword"), "{r:#}");
        assert!(ndcg("hybrid") >= ndcg("vector") - gap, "{r:#}");
    };
    // Elsewhere: a floor, and above both arms.
    let above_both = |split: &str, floor: f64| {
        let floor = floor.to_string();
        let r = eval(
            &dataset,
            split,
            &index,
            &["--min-hybrid-ndcg", &floor, "--require-fusion-gain"],
        );
        assert_eq!(r["queries"], 20, "{r:#}");
    };
    within_gap("plain", 30, FLOOR_PLAIN, PLAIN_GAP); // p01-p30
    within_gap("plain2", 20, FLOOR_PLAIN2, PLAIN2_GAP); // r01-r20
    above_both("plain3", FLOOR_PLAIN3); // s01-s20
    above_both("plain4", FLOOR_PLAIN4); // t01-t20
    within_gap("plain5", 20, FLOOR_PLAIN5, PLAIN5_GAP); // e01-e20
    above_both("plain6", FLOOR_PLAIN6); // c01-c20
    within_gap("plain7", 20, FLOOR_PLAIN7, PLAIN7_GAP); // d01-d20
    within_gap("plain8", 20, FLOOR_PLAIN8, PLAIN8_GAP); // bq01-bq20
    within_gap("plain9", 20, FLOOR_PLAIN9, PLAIN9_GAP); // gq01-gq20
    within_gap("plain10", 20, FLOOR_PLAIN10, PLAIN10_GAP); // hq01-hq20
    within_gap("plain11", 20, FLOOR_PLAIN11, PLAIN11_GAP); // kq01-kq20
    within_gap("plain12", 20, FLOOR_PLAIN12, PLAIN12_GAP); // wq01-wq20
    within_gap("plain13", 20, FLOOR_PLAIN13, PLAIN13_GAP); // xq01-xq20
    within_gap("plain14", 20, FLOOR_PLAIN14, PLAIN14_GAP); // yq01-yq20
    within_gap("plain15", 20, FLOOR_PLAIN15, PLAIN15_GAP); // zq01-zq20
    within_gap("plain16", 20, FLOOR_PLAIN16, PLAIN16_GAP); // mq01-mq20
    within_gap("plain17", 20, FLOOR_PLAIN17, PLAIN17_GAP); // tq01-tq20
    within_gap("plain18", 20, FLOOR_PLAIN18, PLAIN18_GAP); // nq01-nq20
    within_gap("plain19", 20, FLOOR_PLAIN19, PLAIN19_GAP); // jq01-jq20
    above_both("plain20", FLOOR_PLAIN20); // vq01-vq20
}

/// Small folders (`corpora/eval/small-folders.json`, written by `small_folders.py`): eight
/// HR/IT pages and up to ten of a blind split's questions each, indexed alone, so the keyword
/// arm's statistics come from eight documents. Over the 27 folders, measured on 2026-12-06
/// (README, "Relevance"): first result judged 2 for keyword 184, vector 211, hybrid 213 of 225
/// questions; mean nDCG@10 keyword 0.9156, vector 0.9800, hybrid 0.9810. The gate: hybrid's
/// first result right for at least 90 % of the questions and no fewer than the vector arm's;
/// its nDCG@10 over all the questions above the keyword arm and not under the vector arm.
#[test]
fn gate_small_folders_of_plain_language_questions() {
    let eval_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/eval");
    let corpus = eval_dir.join("..");
    let folders: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(eval_dir.join("small-folders.json")).unwrap(),
    )
    .unwrap();
    let queries: Vec<Value> = std::fs::read_to_string(eval_dir.join("queries.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let arms = ["keyword", "vector", "hybrid"];
    let mut first_right = [0usize; 3];
    let mut ndcg_sum = [0f64; 3];
    let mut questions = 0usize;
    for folder in &folders {
        let name = folder["name"].as_str().unwrap();
        let split = folder["split"].as_str().unwrap();
        let docs: Vec<&str> = folder["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        let ids: Vec<&str> = folder["queries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q.as_str().unwrap())
            .collect();
        assert_eq!(docs.len(), 8, "{name}");
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(name);
        for d in &docs {
            let to = root.join("corpus").join(d);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(corpus.join(d), to).unwrap();
        }
        let chosen: String = queries
            .iter()
            .filter(|q| ids.contains(&q["_id"].as_str().unwrap()))
            .map(|q| format!("{q}\n"))
            .collect();
        let judged: String = std::fs::read_to_string(eval_dir.join(format!("qrels/{split}.tsv")))
            .unwrap()
            .lines()
            .skip(1)
            .filter(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                ids.contains(&f[0]) && docs.contains(&f[1])
            })
            .map(|l| format!("{l}\n"))
            .collect();
        write_dataset(&root, "corpus", &chosen, &[("small", &judged)]);
        let runs = dir.path().join("runs.jsonl");
        let report = eval(
            &root,
            "small",
            &dir.path().join("idx"),
            &["--runs", runs.to_str().unwrap()],
        );
        assert_eq!(report["documents"], 8, "{name}: {report:#}");
        assert_eq!(report["queries"], ids.len(), "{name}: {report:#}");
        let ndcg_here = arms.map(|arm| report[arm]["ndcg@10"].as_f64().unwrap());
        questions += ids.len();
        let mut right_here = [0usize; 3];
        for line in std::fs::read_to_string(&runs).unwrap().lines() {
            let run: Value = serde_json::from_str(line).unwrap();
            for (a, arm) in arms.iter().enumerate() {
                let first = run["arms"][arm][0][0].as_str().unwrap_or_default();
                if run["judgments"][first] == 2 {
                    right_here[a] += 1;
                }
            }
        }
        eprintln!(
            "{name}: {} questions, first right {right_here:?}, nDCG@10 {ndcg_here:.3?} \
             (keyword, vector, hybrid)",
            ids.len()
        );
        for a in 0..3 {
            first_right[a] += right_here[a];
            ndcg_sum[a] += ndcg_here[a] * ids.len() as f64;
        }
    }
    assert_eq!(folders.len(), 27);
    let ndcg = |a: usize| ndcg_sum[a] / questions as f64;
    let summary = format!(
        "{questions} questions: first result right keyword {} vector {} hybrid {}; \
         nDCG@10 keyword {:.4} vector {:.4} hybrid {:.4}",
        first_right[0],
        first_right[1],
        first_right[2],
        ndcg(0),
        ndcg(1),
        ndcg(2)
    );
    eprintln!("small folders: {summary}");
    assert!(first_right[2] * 10 >= questions * 9, "{summary}");
    assert!(first_right[2] >= first_right[1], "{summary}");
    assert!(ndcg(2) > ndcg(0) && ndcg(2) >= ndcg(1), "{summary}");
}

/// `trawl search QUERY` on `index` with `config` as trawl.toml (and `extra` flags): each
/// result's (path, score).
fn scores_with_config(index: &Path, config: &Path, extra: &[&str]) -> Vec<(String, f64)> {
    let mut args = vec![
        "search",
        "How much time off do I get when my baby is born?",
        "--index",
        index.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = Command::new(BIN)
        .args(&args)
        .env("TRAWL_CONFIG", config)
        .output()
        .expect("run trawl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_owned(),
                r["score"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// `trawl eval --fit` over a built index: its run at a weight ranks as the evaluation does, the
/// best weight is the best, and one that beats the fusion in use on held-out halves is written
/// into the configuration (keeping the rest of it) and is then what evaluations and searches use.
fn fit_writes_a_weight_that_wins_and_search_uses_it(dataset: &Path, index: &Path, report: &Value) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("trawl.toml");
    // In use: keyword shares alone, which any fitted weight beats on these questions.
    std::fs::write(&config, "# ours\n[search]\nfusion = \"calibrated:0\"\n").unwrap();
    let c = config.to_str().unwrap();
    let configured = scores_with_config(index, &config, &[]);
    assert_eq!(
        configured,
        scores_with_config(index, &config, &["--fusion", "calibrated:0"])
    );
    assert_ne!(
        configured,
        scores_with_config(index, &config, &["--fusion", "calibrated:1"])
    );

    let fitted = eval(dataset, "test", index, &["--fit", "--config", c]);
    let fit = &fitted["fit"];
    let ndcg = |v: &Value| v["ndcg@10"].as_f64().unwrap();
    let weights = fit["weights"].as_array().unwrap();
    assert_eq!(weights.len(), 21, "{fit:#}");
    let at = |w: f64| {
        ndcg(
            weights
                .iter()
                .find(|x| (x["weight"].as_f64().unwrap() - w).abs() < 1e-6)
                .unwrap(),
        )
    };
    // the evaluation ran with the configured weight 0; the default is 0.4
    assert!(
        (at(0.0) - ndcg(&fitted["hybrid"])).abs() < 1e-9,
        "{fitted:#}"
    );
    assert!((at(0.4) - ndcg(&report["hybrid"])).abs() < 1e-9, "{fit:#}");
    let best = fit["best_ndcg@10"].as_f64().unwrap();
    assert!(weights.iter().all(|w| ndcg(w) <= best), "{fit:#}");
    assert!(
        fit["cross_fit_ndcg@10"].as_f64().unwrap() > at(0.0),
        "{fit:#}"
    );
    assert_eq!(fit["written"].as_str(), Some(c), "{fit:#}");
    let text = std::fs::read_to_string(&config).unwrap();
    let chosen = fit["best"].as_str().unwrap();
    assert!(text.contains("# ours") && text.contains(chosen), "{text}");

    let again = eval(dataset, "test", index, &["--config", c]);
    assert!((ndcg(&again["hybrid"]) - best).abs() < 1e-9, "{again:#}");
    assert_eq!(
        scores_with_config(index, &config, &[]),
        scores_with_config(index, &config, &["--fusion", chosen])
    );
}

#[test]
fn gate_legal_clause_questions_over_contracts() {
    let report = development_gate(&shared_eval("cuad-dev"), "dev", FLOOR_CUAD);
    assert_eq!(report["queries"], 11, "{report:#}");
}

/// The same clause questions over the 37 contracts alone, the shape of the issue's CUAD test
/// (contract PDFs only): without `CUAD_v1_README.txt`, which quotes every question and ranks
/// first for each (judged not relevant), and without the HR and IT pages. Measured on
/// 2026-12-06 at keyword 0.6715, vector 0.6718, hybrid 0.7414 (README, "Relevance").
const FLOOR_CUAD_CONTRACTS: f64 = 0.72;

#[test]
fn gate_legal_clause_questions_over_the_contracts_alone() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let dir = tempfile::tempdir().unwrap();
    let legal = dir.path().join("corpus/legal");
    std::fs::create_dir_all(&legal).unwrap();
    for entry in std::fs::read_dir(shared.join("corpora/legal")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() != "CUAD_v1_README.txt" {
            std::fs::copy(&path, legal.join(path.file_name().unwrap())).unwrap();
        }
    }
    let dataset = dir.path().join("cuad-contracts");
    let cuad = shared_eval("cuad-dev");
    let read = |file: &str| std::fs::read_to_string(cuad.join(file)).unwrap();
    let judged = read("qrels/dev.tsv");
    let rows = judged.split_once('\n').unwrap().1;
    write_dataset(
        &dataset,
        "../corpus",
        &read("queries.jsonl"),
        &[("dev", rows)],
    );
    let report = development_gate_in(
        &dataset,
        "dev",
        FLOOR_CUAD_CONTRACTS,
        &dir.path().join("idx"),
    );
    assert_eq!(report["queries"], 11, "{report:#}");
    assert_eq!(report["documents"], 37, "{report:#}");
}

#[test]
fn gate_scientific_claims() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let report = development_gate_in(&shared_eval("scifact"), "train", FLOOR_SCIFACT, &index);
    cluster::eval_matches_the_embedded_engine(&shared_eval("scifact"), "train", &index, &report);
    assert_eq!(report["queries"], 809, "{report:#}");
}

#[test]
fn bench_search_measures_every_figure_against_a_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval");
    let report = trawl(&[
        "bench",
        "search",
        "--dataset",
        dataset.to_str().unwrap(),
        "--index",
        dir.path().join("idx").to_str().unwrap(),
        "--concurrency",
        "1,4",
        "--seconds",
        "0.5",
        "--ceiling-chunks",
        "8",
        "--json",
    ]);
    assert_eq!(report["queries"], 8, "{report:#}");
    assert!(report["chunks"].as_u64().unwrap() > 0, "{report:#}");
    let ingest = &report["ingest"];
    assert!(ingest["raw_embed_chunks_per_s"].as_f64().unwrap() > 0.0);
    assert_eq!(ingest["raw_embed_sample"], 8);
    for mode in ["keyword", "vector", "hybrid"] {
        let l = &report["latency"][mode];
        assert_eq!(l["n"], 8, "{report:#}");
        assert!(l["p50_ms"].as_f64().unwrap() <= l["p99_ms"].as_f64().unwrap());
    }
    // A small index is searched exactly, so the graph cannot miss anything.
    assert_eq!(report["recall_at_10"], 1.0, "{report:#}");
    let http = report["http"].as_array().unwrap();
    assert_eq!(http.len(), 2);
    for run in http {
        assert_eq!(run["errors"], 0, "{report:#}");
        assert!(run["requests"].as_u64().unwrap() > 0, "{report:#}");
    }
    assert!(report["index_bytes"].as_u64().unwrap() > 0);
    assert!(report["server_memory_idle"]["rss_mb"].as_f64().unwrap() > 10.0);
}

#[test]
fn bench_vectors_reports_recall_against_exact_search() {
    let dir = tempfile::tempdir().unwrap();
    let report = trawl(&[
        "bench",
        "vectors",
        "--n",
        "3000,1500",
        "--dim",
        "32",
        "--queries",
        "20",
        "--ef-search",
        "8,200",
        "--work-dir",
        dir.path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(report["vectors"], 3000);
    // sizes run smallest first
    let (small, run) = (&report["runs"][0], &report["runs"][1]);
    assert_eq!(small["vectors"], 1500);
    assert_eq!(run["vectors"], 3000);
    assert_eq!(run["m"], 16);
    assert!(
        run["index_bytes"].as_u64().unwrap() > small["index_bytes"].as_u64().unwrap(),
        "{report:#}"
    );
    assert!(run["index_memory_mb"].as_f64().is_some(), "{report:#}");
    let ef = run["ef"].as_array().unwrap();
    let recall = |i: usize| ef[i]["recall_at_10"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&recall(0)), "{report:#}");
    // A wide candidate list over 3000 vectors finds nearly all true neighbours,
    // and never fewer than a narrow one.
    assert!(recall(1) >= 0.95, "{report:#}");
    assert!(recall(1) >= recall(0), "{report:#}");
    assert!(
        dir.path()
            .join("n3000-m16")
            .join("trawl-index.json")
            .is_file()
    );
}

/// `trawl status --json` of `index`; panics unless the index opens and both arms agree.
fn status(index: &Path) -> Value {
    trawl(&["status", "--index", index.to_str().unwrap(), "--json"])
}

#[test]
fn snapshot_while_serving_then_restore() {
    let server = start_server(shared_index());
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let manifest = trawl(&[
        "snapshot",
        snap.to_str().unwrap(),
        "--index",
        shared_index().to_str().unwrap(),
        "--json",
    ]);
    let documents = status(shared_index())["stats"]["documents"].clone();
    assert_eq!(manifest["documents"], documents, "{manifest:#}");
    // The server kept answering during and after the copy.
    let (code, _, _) = get(&format!("{}/api/search?q=leave", server.1));
    assert_eq!(code, 200);
    drop(server);

    let restored = dir.path().join("restored");
    let out = Command::new(BIN)
        .args(["restore", snap.to_str().unwrap(), "--index"])
        .arg(&restored)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(status(&restored)["stats"]["documents"], documents);
    // Restoring over an existing index needs --replace.
    let out = Command::new(BIN)
        .args(["restore", snap.to_str().unwrap(), "--index"])
        .arg(&restored)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--replace"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
mod discovery;
fn get_with_key(url: &str, key: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut res = agent
        .get(url)
        .header("Authorization", format!("Bearer {key}"))
        .call()
        .expect("request");
    (
        res.status().as_u16(),
        res.body_mut().read_to_string().unwrap(),
    )
}

#[test]
fn keys_protect_a_server_beyond_loopback() {
    let conf = tempfile::tempdir().unwrap();
    std::fs::write(conf.path().join("trawl.toml"), "[limits]\nmax_k = 5\n").unwrap();
    let config = conf.path().join("trawl.toml");
    let config = config.to_str().unwrap();

    // Without keys, only loopback is served.
    let out = Command::new(BIN)
        .args(["serve", "--index"])
        .arg(shared_index())
        .args(["--config", config, "--addr", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to serve on 0.0.0.0:0 without API keys"),
        "{err}"
    );

    // `trawl keys create` prints the key once and stores only its hash.
    let created = trawl(&[
        "keys", "create", "--name", "alice", "--groups", "hr,legal", "--config", config, "--json",
    ]);
    let key = created["key"].as_str().unwrap().to_owned();
    let stored = std::fs::read_to_string(conf.path().join("keys.json")).unwrap();
    assert!(!stored.contains(&key) && stored.contains("alice"));
    let listed = trawl(&["keys", "list", "--config", config, "--json"]);
    assert_eq!(listed[0]["groups"], serde_json::json!(["hr", "legal"]));
    assert!(listed[0].get("sha256").is_none());

    let server = start_server_with(shared_index(), conf.path(), &["--addr", "0.0.0.0:0"]);
    let base = server.1.replace("0.0.0.0", "127.0.0.1");
    let (status, _, body) = get(&format!("{base}/api/search?q=leave"));
    assert_eq!(status, 401, "{body}");
    let (status, body) = get_with_key(&format!("{base}/api/search?q=leave"), &key);
    assert_eq!(status, 200, "{body}");
    // The file's limits apply.
    let (status, body) = get_with_key(&format!("{base}/api/search?q=leave&k=6"), &key);
    assert_eq!(status, 400);
    assert!(body.contains("k_too_large"), "{body}");
    let out = Command::new(BIN)
        .args(["keys", "revoke", "alice", "--config", config])
        .output()
        .unwrap();
    assert!(out.status.success());
    let (status, body) = get_with_key(&format!("{base}/api/search?q=leave"), &key);
    assert_eq!(status, 401, "{body}");

    // A typo in the configuration is an error, not a silent default.
    std::fs::write(conf.path().join("trawl.toml"), "[limits]\nmax_kk = 5\n").unwrap();
    let out = Command::new(BIN)
        .args(["keys", "list", "--config", config])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_kk"));
}

#[test]
fn similar_lists_other_documents_as_a_table_or_json() {
    let idx = shared_index().to_str().unwrap();
    let hit = &search("overtime pay for hourly employees", "hybrid")["results"][0];
    let id = hit["doc_id"].as_str().unwrap();
    let v = trawl(&["similar", id, "--index", idx, "-k", "3", "--json"]);
    assert_eq!(v["doc_id"], id);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{v:#}");
    assert!(results.iter().all(|r| r["doc_id"] != id), "{v:#}");
    let scores: Vec<f64> = results
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    // The nearest document to an HR policy is another HR policy.
    assert!(
        results[0]["path"].as_str().unwrap().starts_with("hr/"),
        "{v:#}"
    );

    let out = Command::new(BIN)
        .args(["similar", id, "--index", idx, "-k", "2"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.lines().next().unwrap().contains("cosine"), "{table}");
    assert_eq!(table.lines().count(), 3, "{table}");

    let out = Command::new(BIN)
        .args(["similar", "0000000000000000", "--index", idx])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no document"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
