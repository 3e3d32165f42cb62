//! The HTTP contract: schemathesis (pinned, from `scripts/schemathesis.sh`) generates requests
//! from `/api/openapi.json`, valid and invalid, against a real `trawl serve` with an admin key
//! and runs every check on the answers: statuses and bodies as documented, invalid input
//! refused, valid input accepted, no 500. The exceptions, each with its reason, are in
//! `schemathesis.toml` and `schemathesis_hooks.py` beside this file.

use std::{path::Path, process::Command};

use super::{fixtures, get_with_key, index_folder, start_server_with, trawl};

/// Examples per operation: enough to reach every parameter's edges, few enough to keep the
/// run to about a minute on a small machine.
const EXAMPLES: &str = "40";

#[test]
fn the_server_keeps_what_its_openapi_document_promises() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    // An index of its own: the run tags and deletes documents.
    let index = dir.path().join("idx");
    index_folder(&fixtures(), &index);
    let conf = dir.path().join("trawl.toml");
    // No rate limit to trip over: 429 is in the contract, but every request should be judged
    // on its own input.
    std::fs::write(&conf, "[limits]\nrate_per_s = 100000.0\nburst = 100000\n").unwrap();
    let created = trawl(&[
        "keys",
        "create",
        "--name",
        "contract",
        "--groups",
        "hr,legal",
        "--admin",
        "--config",
        conf.to_str().unwrap(),
        "--json",
    ]);
    let key = created["key"].as_str().unwrap().to_owned();
    let server = start_server_with(&index, dir.path(), &["--addr", "127.0.0.1:0"]);
    // A document the key may see, so the operations on one document get past the 404.
    let (status, body) = get_with_key(&format!("{}/api/documents?limit=1", server.1), &key);
    assert_eq!(status, 200, "{body}");
    let listed: serde_json::Value = serde_json::from_str(&body).unwrap();
    let doc = listed["documents"][0]["doc_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let out = Command::new("bash")
        .arg(here.join("scripts/schemathesis.sh"))
        .arg("--config-file")
        .arg(here.join("tests/e2e/schemathesis.toml"))
        .args([
            "run",
            &format!("{}/api/openapi.json", server.1),
            "-H",
            &format!("Authorization: Bearer {key}"),
            "--max-examples",
            EXAMPLES,
            // Reproducible: a failure seen once is seen again.
            "--seed",
            "11",
            "--no-color",
            "--suppress-health-check",
            "all",
        ])
        .env(
            "SCHEMATHESIS_HOOKS",
            here.join("tests/e2e/schemathesis_hooks.py"),
        )
        .env("TRAWL_CONTRACT_DOC", &doc)
        .current_dir(dir.path())
        .output()
        .expect("run scripts/schemathesis.sh");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found contract violations:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // It ran: operations were tested and every generated case passed.
    let summary = report
        .lines()
        .find(|l| l.contains(" generated, "))
        .unwrap_or_else(|| panic!("no summary in:\n{report}"));
    let generated: usize = summary.split_whitespace().next().unwrap().parse().unwrap();
    assert!(generated > 500, "{summary}");
    assert!(
        summary.contains(&format!("{generated} passed")),
        "{summary}"
    );
}
