//! The crash drill: an indexing run stopped at any point leaves an index that opens, whose
//! two arms agree, which holds everything committed before, and which the next run completes.
//! `kill -9` at random times covers the run as a whole; the commit sequence's own points are
//! hit exactly through `TRAWL_FAULT` (`trawl_search::fault`), which aborts the process there.

use std::{
    os::unix::process::ExitStatusExt,
    path::Path,
    process::{Command, Stdio},
};

use crate::{BIN, fixtures, status, trawl};

/// A folder with the `hr` and `kb` fixtures, and `trawl index` of it into `idx`, output
/// discarded, with `fault` set when given.
fn corpus_and_indexer(dir: &Path) -> (std::path::PathBuf, impl Fn(Option<&str>) -> Command) {
    let corpus = dir.join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    for folder in ["hr", "kb"] {
        for entry in std::fs::read_dir(fixtures().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, corpus.join(path.file_name().unwrap())).unwrap();
        }
    }
    let idx = dir.join("idx");
    let folder = corpus.clone();
    let cwd = dir.to_path_buf();
    let index_cmd = move |fault: Option<&str>| {
        let mut cmd = Command::new(BIN);
        cmd.args(["index", folder.to_str().unwrap(), "--index"])
            .arg(&idx)
            .arg("--json")
            // An aborted process may leave a core file in its working directory.
            .current_dir(&cwd)
            .env_remove("TRAWL_FAULT")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(point) = fault {
            cmd.env("TRAWL_FAULT", point);
        }
        cmd
    };
    (corpus, index_cmd)
}

fn documents(idx: &Path) -> u64 {
    // `trawl status` fails when the arms disagree (chunks ≠ vectors).
    let s = status(idx);
    assert_eq!(s["consistent"], true, "{s:#}");
    s["stats"]["documents"].as_u64().unwrap()
}

/// The paths `mode` ranks for `query`, best first.
fn found(idx: &Path, query: &str, mode: &str) -> Vec<String> {
    let hits = trawl(&[
        "search",
        query,
        "--mode",
        mode,
        "--index",
        idx.to_str().unwrap(),
        "--json",
    ]);
    hits["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["path"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_run_aborted_at_each_commit_point_loses_nothing_and_the_next_run_completes() {
    let dir = tempfile::tempdir().unwrap();
    let (corpus, index_cmd) = corpus_and_indexer(dir.path());
    let idx = dir.path().join("idx");
    assert!(index_cmd(None).status().unwrap().success());
    let base = documents(&idx);
    assert!(base >= 4, "{base} documents in the first run");
    let mut expected = base;

    // Each point in commit order: (point, whether the aborted run's documents are live).
    let points = [
        ("after_vector_save", false),
        ("after_keyword_commit", true),
        ("before_state_save", true),
        ("after_state_save", true),
    ];
    assert_eq!(
        points.map(|(p, _)| p),
        trawl_search::fault::POINTS,
        "every fault point is drilled"
    );
    for (trial, (point, committed)) in points.into_iter().enumerate() {
        std::fs::write(
            corpus.join(format!("fault-{trial}.md")),
            format!("# Fault {trial}\n\nThe commit drill at {point} mentions wombat{trial}.\n"),
        )
        .unwrap();
        let run = index_cmd(Some(point)).status().unwrap();
        assert_eq!(
            run.signal(),
            Some(6),
            "{point}: the run should abort there (SIGABRT), not {run:?}"
        );

        // The index opens, both arms agree, nothing committed before is lost, and the
        // aborted run's document is live exactly when its commit switched.
        let after_abort = documents(&idx);
        let with_new = expected + 1;
        assert_eq!(
            after_abort,
            if committed { with_new } else { expected },
            "{point}: {after_abort} documents after the abort, {expected} before"
        );
        let word = format!("wombat{trial}");
        let path = format!("fault-{trial}.md");
        if committed {
            for mode in ["keyword", "vector"] {
                assert_eq!(
                    found(&idx, &word, mode).first(),
                    Some(&path),
                    "{point} {mode}"
                );
            }
        } else {
            assert!(!found(&idx, &word, "keyword").contains(&path), "{point}");
        }

        // The next run completes the work: every file once, in both arms.
        assert!(
            index_cmd(None).status().unwrap().success(),
            "{point}: rerun"
        );
        expected = with_new;
        assert_eq!(documents(&idx), expected, "{point}: after the rerun");
        for mode in ["keyword", "vector"] {
            assert_eq!(
                found(&idx, &word, mode).first(),
                Some(&path),
                "{point} {mode}"
            );
            // Earlier documents are still found.
            for earlier in 0..trial {
                let hits = found(&idx, &format!("wombat{earlier}"), "keyword");
                assert_eq!(
                    hits.first(),
                    Some(&format!("fault-{earlier}.md")),
                    "{point}"
                );
            }
        }
        // One vector generation is left: the aborted run's unreferenced files are gone.
        let generations = std::fs::read_dir(&idx)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("vectors-")
            })
            .count();
        assert_eq!(generations, 1, "{point}");
    }
}

#[test]
fn kill_9_at_random_points_never_loses_committed_data() {
    let dir = tempfile::tempdir().unwrap();
    let (corpus, index_cmd) = corpus_and_indexer(dir.path());
    let idx = dir.path().join("idx");
    let index_cmd = || index_cmd(None);
    let started = std::time::Instant::now();
    assert!(index_cmd().status().unwrap().success());
    let full_run = started.elapsed();
    let mut committed = status(&idx)["stats"]["documents"].as_u64().unwrap();
    let base = committed;
    assert!(base >= 4, "{base} documents in the first run");

    // seeded: reproducible kill points spread over a whole run, commit included.
    let mut rng = fastrand::Rng::with_seed(0x00C0_FFEE);
    let trials = 20;
    for trial in 0..trials {
        std::fs::write(
            corpus.join(format!("trial-{trial}.md")),
            format!("# Trial {trial}\n\nThe crash drill number {trial} mentions quokka{trial}.\n"),
        )
        .unwrap();
        let delay = full_run.mul_f64(rng.f64() * 1.25);
        let mut child = index_cmd().spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL; may find the run already finished
        child.wait().unwrap();

        // The index opens, both arms agree (status fails otherwise), and the
        // documents are the last committed state or all of the folder (a run
        // commits once, all or nothing), never anything in between.
        let now = status(&idx)["stats"]["documents"].as_u64().unwrap();
        let all = base + trial + 1;
        assert!(
            now == committed || now == all,
            "trial {trial}: {now} documents after the kill, {committed} committed before, {all} in the folder"
        );
        // No half-written vector generation is left to be loaded later.
        committed = now;
    }
    // Re-running completes the work.
    assert!(index_cmd().status().unwrap().success());
    let end = status(&idx);
    assert_eq!(
        end["stats"]["documents"].as_u64().unwrap(),
        base + trials,
        "{end:#}"
    );
    let hits = trawl(&[
        "search",
        "quokka19",
        "--mode",
        "keyword",
        "--index",
        idx.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(hits["results"][0]["path"], "trial-19.md", "{hits:#}");
}
