//! `trawl tune`: a tiny run on a few pairs lowers the loss and writes a model directory that
//! loads, embeds and answers searches like the stock one.

use std::process::Command;

use serde_json::Value;

use crate::{BIN, fixtures, index_folder, trawl};

/// Twelve pairs about distinct topics, so in-batch negatives are true negatives.
const PAIRS: &[(&str, &str)] = &[
    (
        "parental leave weeks",
        "Employees receive sixteen weeks of paid parental leave after the birth or adoption of a child.",
    ),
    (
        "reset vpn password",
        "To reset your VPN password, open the self-service portal and choose 'forgot password'.",
    ),
    (
        "expense report deadline",
        "Expense reports must be submitted within thirty days of purchase, with receipts attached.",
    ),
    (
        "office opening hours",
        "The headquarters opens at nine in the morning and closes at six in the evening.",
    ),
    (
        "governing law of the contract",
        "This agreement is governed by the laws of the State of Delaware.",
    ),
    (
        "mitochondria function",
        "Mitochondria produce most of the chemical energy that powers a cell's reactions.",
    ),
    (
        "quarterly revenue growth",
        "Revenue grew twelve percent year over year, driven by demand in Europe.",
    ),
    (
        "server out of memory",
        "The scheduler reported that no node had enough memory to place the pod.",
    ),
    (
        "remote work equipment",
        "Staff working from home may claim a monitor, a chair and a keyboard once every three years.",
    ),
    (
        "security badge lost",
        "Report a lost badge to the front desk at once so it can be disabled.",
    ),
    (
        "annual performance review",
        "Managers hold a performance conversation with each report every December.",
    ),
    (
        "travel booking policy",
        "Book flights through the travel portal; economy class for trips under six hours.",
    ),
];

#[test]
fn tiny_tuning_run_lowers_the_loss_and_writes_a_loadable_model() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = dir.path().join("pairs.jsonl");
    let lines: Vec<String> = PAIRS
        .iter()
        .map(|(q, p)| serde_json::json!({"query": q, "passage": p}).to_string())
        .collect();
    std::fs::write(&pairs, lines.join("\n")).unwrap();
    let out = dir.path().join("tuned");
    let report = trawl(&[
        "tune",
        "--pairs",
        pairs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--batch-size",
        "4",
        "--epochs",
        "4",
        "--learning-rate",
        "1e-4",
        "--max-passage-tokens",
        "32",
        "--hold-out",
        "0",
        "--json",
    ]);
    let t = &report["training"];
    assert_eq!(report["pairs"]["train"], 12, "{report}");
    assert_eq!(t["steps"], t["planned_steps"], "{report}");
    assert_eq!(
        t["losses"].as_array().unwrap().len(),
        12,
        "3 batches x 4 epochs: {report}"
    );
    let first = report["loss_first"].as_f64().unwrap();
    let last = report["loss_last"].as_f64().unwrap();
    assert!(last < first * 0.8, "loss did not fall: {first} -> {last}");
    // the exported model passed the same INT8 quality gate as the stock one
    assert!(
        report["export"]["gate"]["int8_mean_cosine"]
            .as_f64()
            .unwrap()
            >= 0.99,
        "{report}"
    );

    // the model directory: manifest naming the files, fingerprint matching the file
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("trawl-model.json")).unwrap()).unwrap();
    assert_eq!(manifest["dim"], 384);
    assert!(
        manifest["name"].as_str().unwrap().contains("tuned"),
        "{manifest}"
    );
    assert_eq!(manifest["sha256"], report["sha256"]);
    assert!(out.join("tokenizer.json").is_file() && out.join("fp32/model.safetensors").is_file());
    assert!(
        !dir.path().join("tuned.checkpoint/checkpoint.json").exists(),
        "checkpoint left behind"
    );

    // it loads and embeds: index the fixtures with it and find a document
    let idx = dir.path().join("idx");
    let model_dir = out.to_str().unwrap();
    let index = trawl(&[
        "index",
        fixtures().to_str().unwrap(),
        "--index",
        idx.to_str().unwrap(),
        "--model-dir",
        model_dir,
        "--json",
    ]);
    assert!(index["chunks"].as_u64().unwrap_or(0) > 0, "{index}");
    let hits = trawl(&[
        "search",
        "how many days of vacation",
        "--index",
        idx.to_str().unwrap(),
        "--mode",
        "vector",
        "--model-dir",
        model_dir,
        "--json",
    ]);
    assert!(!hits["results"].as_array().unwrap().is_empty(), "{hits}");

    // a second run into the same directory is refused rather than overwriting the model
    let again = Command::new(BIN)
        .args([
            "tune",
            "--pairs",
            pairs.to_str().unwrap(),
            "--out",
            model_dir,
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a model"));
}

/// Without judgments, `--questions N`: the local language model writes a question for each of
/// N passages of the index, the kept ones train the model, and every question is cached so a
/// second run (another output, the same questions file) asks nothing again.
#[test]
fn questions_written_by_the_language_model_are_the_pairs_and_are_reused() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    index_folder(&fixtures(), &idx);
    let cache = dir.path().join("questions.jsonl");
    let run = |out: &str| {
        trawl(&[
            "tune",
            "--index",
            idx.to_str().unwrap(),
            "--questions",
            // the filter keeps about a third of them: twelve leave a margin over the two
            // pairs training needs when the fixtures' text changes
            "12",
            "--questions-file",
            cache.to_str().unwrap(),
            "--out",
            dir.path().join(out).to_str().unwrap(),
            "--batch-size",
            "4",
            "--max-passage-tokens",
            "32",
            "--hold-out",
            "0",
            "--no-hard-negatives",
            "--json",
        ])
    };
    let first = run("tuned");
    let q = &first["questions"];
    assert_eq!(q["sampled"], 12, "{first}");
    assert_eq!(q["written"], 12, "{first}");
    assert_eq!(q["cached"], 0, "{first}");
    let kept = q["kept"].as_u64().unwrap();
    assert!(kept >= 2, "fewer than two questions kept: {first}");
    assert_eq!(first["pairs"]["train"], kept, "{first}");
    assert!(
        first["pairs"]["source"]
            .as_str()
            .unwrap()
            .starts_with("questions written by"),
        "{first}"
    );
    // the cache: one line per passage, each naming an indexed document and holding a question
    let lines: Vec<Value> = std::fs::read_to_string(&cache)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 12);
    for l in &lines {
        assert!(
            !l["question"].as_str().unwrap().trim().is_empty()
                && !l["doc_id"].as_str().unwrap().is_empty(),
            "{l}"
        );
    }
    assert!(dir.path().join("tuned/trawl-model.json").is_file());

    // the same sample again: every question comes from the cache, the same pairs train
    let second = run("tuned-again");
    assert_eq!(second["questions"]["written"], 0, "{second}");
    assert_eq!(second["questions"]["cached"], 12, "{second}");
    assert_eq!(second["questions"]["kept"], kept, "{second}");
    assert_eq!(std::fs::read_to_string(&cache).unwrap().lines().count(), 12);

    // questions need an index to sample passages from
    let refused = Command::new(BIN)
        .args(["tune", "--questions", "6", "--out", "x"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--index"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
