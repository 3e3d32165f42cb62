//! The answer-correctness floor: `trawl eval --answers` with the real embedder and generator
//! over the HR, knowledge-base and e-mail documents of `corpora/`, on the development
//! questions of `corpora/eval/answers.jsonl` whose answers lie there.
//!
//! Why a subset: the 38 contracts of `corpora/legal/` are most of the corpus's chunks (about
//! four fifths of the embedding time of indexing `corpora/`), and CI has 2 cores for
//! everything. Without them indexing takes a fraction of the time, and the legal questions
//! are left to `trawl eval --dataset corpora/eval --answers` (README). The unanswerable
//! questions all stay: without the contracts, the two that have a contract as a distractor are
//! easier to refuse, which the floor allows for.

use std::path::Path;

use serde_json::Value;

use super::{discovery::copy_dir, trawl};

/// What an answers report must reach: right fact from the right document at least `right`,
/// answerable questions refused at most `false_refusals`, unanswerable ones refused at least
/// `refused` of `unanswerable`, never an ungrounded figure (and `answerable` questions, when
/// the count is fixed).
struct Floors {
    answerable: Option<u64>,
    unanswerable: u64,
    right: u64,
    false_refusals: u64,
    refused: u64,
}

/// Measured on this subset with the models of `scripts/setup.sh` (2026-12-04, eighth session:
/// 40 of 49 right, 2 false refusals, 20 of 22 unanswerable refused, no ungrounded figure),
/// minus a margin of one or two questions.
const DEVELOPMENT: Floors = Floors {
    answerable: None,
    unanswerable: 22,
    right: 38,
    false_refusals: 3,
    refused: 19,
};

/// The blind questions (`answers-blind.jsonl`, `unanswerable-blind.jsonl`; none about a
/// contract), measured on this subset on 2026-12-04 (23 of 30 right, 4 false refusals, 7 of
/// 10 unanswerable refused, no ungrounded figure), minus a margin. Their first measurement,
/// before they were used for development, is in the README.
const BLIND: Floors = Floors {
    answerable: Some(30),
    unanswerable: 10,
    right: 21,
    false_refusals: 5,
    refused: 6,
};

/// The second blind set (`answers-blind2.jsonl` without its 5 contract questions,
/// `unanswerable-blind2.jsonl`), measured on this subset on 2026-12-05 (18 of 25 right, 4
/// false refusals, 14 of 15 unanswerable refused, no ungrounded figure; 16, 5 and 14 the day
/// before), minus a margin; its first measurement on the whole corpus, before it was used for
/// development, is in the README.
const BLIND2: Floors = Floors {
    answerable: Some(25),
    unanswerable: 15,
    right: 16,
    false_refusals: 6,
    refused: 12,
};

/// The third blind set (`answers-blind3.jsonl` without its 5 contract questions,
/// `unanswerable-blind3.jsonl`), measured on this subset on 2026-12-05 (18 of 25 right, 3 false
/// refusals, 7 of 15 unanswerable refused, no ungrounded figure), minus a margin; its first
/// measurement on the whole corpus, before it was used for development, is in the README.
const BLIND3: Floors = Floors {
    answerable: Some(25),
    unanswerable: 15,
    right: 16,
    false_refusals: 5,
    refused: 5,
};

/// The fourth blind set (`answers-blind4.jsonl` without its 5 contract questions,
/// `unanswerable-blind4.jsonl`), measured on this subset on 2026-12-05 (19 of 25 right, 3 false
/// refusals, 9 of 15 unanswerable refused, no ungrounded figure), minus a margin; its first
/// measurement on the whole corpus, before it was used for development, is in the README.
const BLIND4: Floors = Floors {
    answerable: Some(25),
    unanswerable: 15,
    right: 16,
    false_refusals: 6,
    refused: 6,
};

/// The fifth blind set (`answers-blind5.jsonl` without its 5 contract questions,
/// `unanswerable-blind5.jsonl`), measured on this subset on 2026-12-05 after the asked-noun
/// rules (21 of 25 right, 2 false refusals, 14 of 15 unanswerable refused, no ungrounded
/// figure), minus a margin;
/// its first measurement on the whole corpus, before it was used for development, is in the
/// README.
const BLIND5: Floors = Floors {
    answerable: Some(25),
    unanswerable: 15,
    right: 18,
    false_refusals: 4,
    refused: 11,
};

/// The sixth blind set (`answers-blind6.jsonl` without its 4 contract questions,
/// `unanswerable-blind6.jsonl`), measured on this subset on 2026-12-05 after the rules of its
/// first day (12 of 26 right, 10 false refusals, 10 of 15 unanswerable refused, no ungrounded
/// figure), minus a margin; its first measurement on the whole corpus, before it was used for
/// development, is in the README.
const BLIND6: Floors = Floors {
    answerable: Some(26),
    unanswerable: 15,
    right: 10,
    false_refusals: 12,
    refused: 8,
};

/// The seventh blind set (`answers-blind7.jsonl` without its 5 contract questions,
/// `unanswerable-blind7.jsonl`), measured on this subset on 2026-12-05 after the rules of its
/// first day (10 of 25 right, 7 false refusals, 9 of 15 unanswerable refused, no ungrounded
/// figure), minus a margin; its first measurement on the whole corpus, before it was used for
/// development, is in the README.
const BLIND7: Floors = Floors {
    answerable: Some(25),
    unanswerable: 15,
    right: 8,
    false_refusals: 9,
    refused: 7,
};

/// The eighth blind set (`answers-blind8.jsonl` without its 5 contract questions,
/// `unanswerable-blind8.jsonl`), measured on this subset on 2026-12-06 after the rules of its
/// first day (14 of 25 right, 3 false refusals, 12 of 15 unanswerable refused, no ungrounded
/// figure; 9, 5 and 11 before them), minus a margin; its first measurement on the whole
/// corpus, before it was used for development, is in the README.
const BLIND8: Floors = Floors {
    answerable: Some(25),
    unanswerable: 15,
    right: 11,
    false_refusals: 5,
    refused: 10,
};

/// The ninth blind set (`answers-blind9.jsonl` without its 6 contract questions,
/// `unanswerable-blind9.jsonl`), measured on this subset on 2026-12-06 after the rules of its
/// first day (12 of 24 right, 10 false refusals, 11 of 15 unanswerable refused, no ungrounded
/// figure; 10, 10 and 10 before them), minus a margin; its first measurement on the whole
/// corpus, before it was used for development, is in the README.
const BLIND9: Floors = Floors {
    answerable: Some(24),
    unanswerable: 15,
    right: 10,
    false_refusals: 12,
    refused: 9,
};

/// The tenth blind set (`answers-blind10.jsonl` without its 6 contract questions,
/// `unanswerable-blind10.jsonl`), measured on this subset on 2026-12-06 before anything was
/// changed for it (15 of 24 right, 5 false refusals, 12 of 15 unanswerable refused, no
/// ungrounded figure), minus a margin; its first measurement on the whole corpus is in the
/// README.
const BLIND10: Floors = Floors {
    answerable: Some(24),
    unanswerable: 15,
    right: 13,
    false_refusals: 7,
    refused: 10,
};

/// The eleventh blind set (`answers-blind11.jsonl` without its 6 contract questions,
/// `unanswerable-blind11.jsonl`), measured on this subset on 2026-12-06 before anything was
/// changed for it (9 of 24 right, 9 false refusals, 12 of 15 unanswerable refused) and after
/// the messages' times, recipients, attachments and short sentences (13 right, 6 false
/// refusals, 12 refused, no ungrounded figure), on an AVX-512 CPU; on 2026-12-07 on an AVX2
/// CPU, whose INT8 embeddings differ slightly (README, "Relevance"), 11 right, 9 false
/// refusals, 12 refused. Floors hold on both, minus a margin; its first measurement on the
/// whole corpus is in the README.
const BLIND11: Floors = Floors {
    answerable: Some(24),
    unanswerable: 15,
    right: 10,
    false_refusals: 10,
    refused: 10,
};

/// The twelfth blind set (`answers-blind12.jsonl` without its 6 contract questions,
/// `unanswerable-blind12.jsonl`), measured on this subset on 2026-12-06 before anything was
/// changed for it (9 of 24 right, 10 false refusals, 13 of 15 unanswerable refused) and after
/// header lookups, a named person's address, yes/no questions behind a lead-in, "Visit …" as
/// navigation and "who did it" to a named thing (14 right, 8 false refusals, 14 refused, no
/// ungrounded figure), minus a margin; its first measurement on the whole corpus is
/// in the README.
const BLIND12: Floors = Floors {
    answerable: Some(24),
    unanswerable: 15,
    right: 12,
    false_refusals: 10,
    refused: 12,
};

/// The thirteenth blind set (`answers-blind13.jsonl` without its 6 contract questions,
/// `unanswerable-blind13.jsonl`), measured on this subset on 2026-12-06 before anything was
/// changed for it (8 of 24 right, 8 false refusals, 13 of 15 unanswerable refused) and after
/// yes/no questions settled by content words, a team or office as "who", a message read with
/// its attachments and a message's writer as "who" (12 right, 7 false refusals, 13 refused, no
/// ungrounded figure), minus a margin; its first measurement on the whole corpus is in the
/// README.
const BLIND13: Floors = Floors {
    answerable: Some(24),
    unanswerable: 15,
    right: 10,
    false_refusals: 9,
    refused: 11,
};

/// The fourteenth blind set (`answers-blind14.jsonl` without its 6 contract questions,
/// `unanswerable-blind14.jsonl`), measured on this subset on 2026-12-07 (AVX2 CPU) before
/// anything was changed for it (8 of 24 right, 8 false refusals, 14 of 15 unanswerable
/// refused) and after the rules it led to (README, "Grounded answers": 11 right, 7 false
/// refusals, 14 refused, no ungrounded figure), minus a margin for the other kind of CPU; its
/// first measurement on the whole corpus is in the README.
const BLIND14: Floors = Floors {
    answerable: Some(24),
    unanswerable: 15,
    right: 9,
    false_refusals: 9,
    refused: 12,
};

/// The fifteenth blind set (`answers-blind15.jsonl` without its 6 contract questions,
/// `unanswerable-blind15.jsonl`; its 12 everyday HR/IT questions short and direct), measured
/// on this subset on 2026-12-07 (AVX2 CPU) before anything was changed for it (15 of 24 right,
/// 5 false refusals, 13 of 15 unanswerable refused) and after the rules it led to (README,
/// "Grounded answers": 20 right, 2 false refusals, 15 refused, no ungrounded figure), minus a
/// margin for the other kind of CPU; its first measurement on the whole corpus is in the
/// README.
const BLIND15: Floors = Floors {
    answerable: Some(24),
    unanswerable: 15,
    right: 18,
    false_refusals: 4,
    refused: 12,
};

/// The sixteenth blind set (`answers-blind16.jsonl` without its 6 contract questions,
/// `unanswerable-blind16.jsonl`), measured on this subset on 2026-12-07 (AVX2 CPU) before
/// anything was changed for it (13 of 24 right, 5 false refusals, 12 of 15 unanswerable
/// refused) and after the rules it led to (README, "Grounded answers": 17 right, 3 false
/// refusals, 12 refused, no ungrounded figure), minus a margin for the other kind of CPU; its
/// first measurement on the whole corpus is in the README.
const BLIND16: Floors = Floors {
    answerable: Some(24),
    unanswerable: 15,
    right: 15,
    false_refusals: 5,
    refused: 11,
};

/// The seventeenth blind set (`answers-blind17.jsonl` without its 6 contract questions,
/// `unanswerable-blind17.jsonl`), measured on this subset on 2026-12-07 (AVX2 CPU) before
/// anything was changed for it (11 of 24 right, 7 false refusals, 14 of 15 unanswerable
/// refused) and after the rules it led to (README, "Grounded answers": 15 right, 5 false
/// refusals, 14 refused, no ungrounded figure), minus a margin for the other kind of CPU; its
/// first measurement on the whole corpus is in the README.
const BLIND17: Floors = Floors {
    answerable: Some(24),
    unanswerable: 15,
    right: 13,
    false_refusals: 6,
    refused: 12,
};

/// The eighteenth blind set (`answers-blind18.jsonl` without its 6 contract questions,
/// `unanswerable-blind18.jsonl`), measured on this subset on 2026-12-07 (AVX2 CPU) before
/// anything was changed for it (11 of 24 right, 7 false refusals, 13 of 15 unanswerable
/// refused) and after the rules it led to (README, "Grounded answers": 16 right, 3 false
/// refusals, 12 refused, no ungrounded figure), minus a margin for the other kind of CPU; its
/// first measurement on the whole corpus is in the README.
const BLIND18: Floors = Floors {
    answerable: Some(24),
    unanswerable: 15,
    right: 14,
    false_refusals: 5,
    refused: 11,
};

/// The nineteenth blind set (`answers-blind19.jsonl` without its 6 contract questions,
/// `unanswerable-blind19.jsonl`), measured on this subset on 2026-12-07 (AVX2 CPU) before
/// anything was changed for it (10 of 24 right, 4 false refusals, 12 of 15 unanswerable
/// refused) and after the rules it led to (README, "Grounded answers": 15 right, 4 false
/// refusals, 13 refused, no ungrounded figure), minus a margin for the other kind of CPU; its
/// first measurement on the whole corpus is in the README.
const BLIND19: Floors = Floors {
    answerable: Some(24),
    unanswerable: 15,
    right: 13,
    false_refusals: 6,
    refused: 11,
};

/// The twentieth blind set (`answers-blind20.jsonl` without its 6 contract questions,
/// `unanswerable-blind20.jsonl`), measured on this subset on 2026-12-07 (AVX2 CPU) before
/// anything was changed for it (7 of 24 right, 9 false refusals, 13 of 15 unanswerable
/// refused) and after the rules it led to (README, "Grounded answers": 13 right, 5 false
/// refusals, 13 refused, no ungrounded figure), minus a margin for the other kind of CPU; its
/// first measurement on the whole corpus is in the README.
const BLIND20: Floors = Floors {
    answerable: Some(24),
    unanswerable: 15,
    right: 11,
    false_refusals: 7,
    refused: 11,
};

#[test]
fn answers_state_the_right_fact_above_the_recorded_floor() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora");
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    for folder in ["hr", "kb", "mail"] {
        copy_dir(&root.join(folder), &corpus.join(folder));
    }
    let eval = tmp.path().join("eval");
    std::fs::create_dir_all(eval.join("qrels")).unwrap();
    std::fs::write(eval.join("dataset.json"), r#"{"corpus_dir": "../corpus"}"#).unwrap();
    for file in ["queries.jsonl", "unanswerable.jsonl", "qrels/test.tsv"] {
        std::fs::copy(root.join("eval").join(file), eval.join(file)).unwrap();
    }
    // the questions whose answer is outside corpora/legal, and every unanswerable one
    let kept = without_legal(&root.join("eval/answers.jsonl"));
    assert!(kept.len() >= 50, "{} questions", kept.len());
    std::fs::write(eval.join("answers.jsonl"), kept.join("\n")).unwrap();
    let facts2 = legal_free_copy(&root, tmp.path(), "answers-blind2.jsonl", 25);
    let facts3 = legal_free_copy(&root, tmp.path(), "answers-blind3.jsonl", 25);
    let facts4 = legal_free_copy(&root, tmp.path(), "answers-blind4.jsonl", 25);
    let facts5 = legal_free_copy(&root, tmp.path(), "answers-blind5.jsonl", 25);
    let facts6 = legal_free_copy(&root, tmp.path(), "answers-blind6.jsonl", 26);
    let facts7 = legal_free_copy(&root, tmp.path(), "answers-blind7.jsonl", 25);
    let facts8 = legal_free_copy(&root, tmp.path(), "answers-blind8.jsonl", 25);
    let facts9 = legal_free_copy(&root, tmp.path(), "answers-blind9.jsonl", 24);
    let facts10 = legal_free_copy(&root, tmp.path(), "answers-blind10.jsonl", 24);
    let facts11 = legal_free_copy(&root, tmp.path(), "answers-blind11.jsonl", 24);
    let facts12 = legal_free_copy(&root, tmp.path(), "answers-blind12.jsonl", 24);
    let facts13 = legal_free_copy(&root, tmp.path(), "answers-blind13.jsonl", 24);
    let facts14 = legal_free_copy(&root, tmp.path(), "answers-blind14.jsonl", 24);
    let facts15 = legal_free_copy(&root, tmp.path(), "answers-blind15.jsonl", 24);
    let facts16 = legal_free_copy(&root, tmp.path(), "answers-blind16.jsonl", 24);
    let facts17 = legal_free_copy(&root, tmp.path(), "answers-blind17.jsonl", 24);
    let facts18 = legal_free_copy(&root, tmp.path(), "answers-blind18.jsonl", 24);
    let facts19 = legal_free_copy(&root, tmp.path(), "answers-blind19.jsonl", 24);
    let facts20 = legal_free_copy(&root, tmp.path(), "answers-blind20.jsonl", 24);

    let index = tmp.path().join("idx");
    let answers = |extra: &[&str]| {
        let mut args = vec![
            "eval",
            "--dataset",
            eval.to_str().unwrap(),
            "--index",
            index.to_str().unwrap(),
            "--answers",
            "--json",
        ];
        args.extend_from_slice(extra);
        trawl(&args)
    };
    check("development", &answers(&[]), &DEVELOPMENT);
    // the blind question sets, on the same index
    let other_questions = |facts: &Path, unanswerable: &Path| {
        answers(&[
            "--facts",
            facts.to_str().unwrap(),
            "--unanswerable",
            unanswerable.to_str().unwrap(),
        ])
    };
    let blind = other_questions(
        &root.join("eval/answers-blind.jsonl"),
        &root.join("eval/unanswerable-blind.jsonl"),
    );
    check("blind", &blind, &BLIND);
    let blind2 = other_questions(&facts2, &root.join("eval/unanswerable-blind2.jsonl"));
    check("second blind", &blind2, &BLIND2);
    let blind3 = other_questions(&facts3, &root.join("eval/unanswerable-blind3.jsonl"));
    check("third blind", &blind3, &BLIND3);
    let blind4 = other_questions(&facts4, &root.join("eval/unanswerable-blind4.jsonl"));
    check("fourth blind", &blind4, &BLIND4);
    let blind5 = other_questions(&facts5, &root.join("eval/unanswerable-blind5.jsonl"));
    check("fifth blind", &blind5, &BLIND5);
    let blind6 = other_questions(&facts6, &root.join("eval/unanswerable-blind6.jsonl"));
    check("sixth blind", &blind6, &BLIND6);
    let blind7 = other_questions(&facts7, &root.join("eval/unanswerable-blind7.jsonl"));
    check("seventh blind", &blind7, &BLIND7);
    let blind8 = other_questions(&facts8, &root.join("eval/unanswerable-blind8.jsonl"));
    check("eighth blind", &blind8, &BLIND8);
    let blind9 = other_questions(&facts9, &root.join("eval/unanswerable-blind9.jsonl"));
    check("ninth blind", &blind9, &BLIND9);
    let blind10 = other_questions(&facts10, &root.join("eval/unanswerable-blind10.jsonl"));
    check("tenth blind", &blind10, &BLIND10);
    let blind11 = other_questions(&facts11, &root.join("eval/unanswerable-blind11.jsonl"));
    check("eleventh blind", &blind11, &BLIND11);
    let blind12 = other_questions(&facts12, &root.join("eval/unanswerable-blind12.jsonl"));
    check("twelfth blind", &blind12, &BLIND12);
    let blind13 = other_questions(&facts13, &root.join("eval/unanswerable-blind13.jsonl"));
    check("thirteenth blind", &blind13, &BLIND13);
    let blind14 = other_questions(&facts14, &root.join("eval/unanswerable-blind14.jsonl"));
    check("fourteenth blind", &blind14, &BLIND14);
    let blind15 = other_questions(&facts15, &root.join("eval/unanswerable-blind15.jsonl"));
    check("fifteenth blind", &blind15, &BLIND15);
    let blind16 = other_questions(&facts16, &root.join("eval/unanswerable-blind16.jsonl"));
    check("sixteenth blind", &blind16, &BLIND16);
    let blind17 = other_questions(&facts17, &root.join("eval/unanswerable-blind17.jsonl"));
    check("seventeenth blind", &blind17, &BLIND17);
    let blind18 = other_questions(&facts18, &root.join("eval/unanswerable-blind18.jsonl"));
    check("eighteenth blind", &blind18, &BLIND18);
    let blind19 = other_questions(&facts19, &root.join("eval/unanswerable-blind19.jsonl"));
    check("nineteenth blind", &blind19, &BLIND19);
    let blind20 = other_questions(&facts20, &root.join("eval/unanswerable-blind20.jsonl"));
    check("twentieth blind", &blind20, &BLIND20);
}

/// Writes into `dir` the `count` questions of blind set file `name` whose answers lie outside
/// corpora/legal, and returns the file.
fn legal_free_copy(root: &Path, dir: &Path, name: &str, count: usize) -> std::path::PathBuf {
    let kept = without_legal(&root.join("eval").join(name));
    assert_eq!(kept.len(), count, "{name} without its contract questions");
    let file = dir.join(name);
    std::fs::write(&file, kept.join("\n")).unwrap();
    file
}

/// The lines of a question file whose answers lie outside corpora/legal (and the questions
/// without an answer).
fn without_legal(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter(|l| {
            let q: Value = serde_json::from_str(l).unwrap();
            q["docs"].as_array().is_none_or(|docs| {
                docs.iter()
                    .all(|d| !d.as_str().unwrap().starts_with("legal/"))
            })
        })
        .map(str::to_string)
        .collect()
}

/// Asserts `report` reaches `floors`, naming the misses when too few are right.
fn check(label: &str, report: &Value, floors: &Floors) {
    let n = |field: &str| report[field].as_u64().unwrap();
    let summary = format!(
        "{label}: right {} of {}, wrong {}, false refusals {}, unanswerable refused {} of {}, \
         ungrounded {}",
        n("right"),
        n("answerable"),
        n("wrong"),
        n("false_refusals"),
        n("refused_unanswerable"),
        n("unanswerable"),
        n("ungrounded_answers"),
    );
    let misses: Vec<String> = report["questions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["answerable"] == true && q["right"] == false)
        .map(|q| format!("{}: {} -> {}", q["id"], q["question"], q["answer"]))
        .collect();
    // shown with --nocapture: what to record when the floor moves
    eprintln!("{summary}");
    if let Some(answerable) = floors.answerable {
        assert_eq!(n("answerable"), answerable, "{summary}");
    }
    assert_eq!(n("unanswerable"), floors.unanswerable, "{summary}");
    assert_eq!(n("ungrounded_answers"), 0, "{summary}");
    assert!(
        n("right") >= floors.right,
        "{summary}; below the floor {}; misses:\n{}",
        floors.right,
        misses.join("\n")
    );
    assert!(n("false_refusals") <= floors.false_refusals, "{summary}");
    assert!(n("refused_unanswerable") >= floors.refused, "{summary}");
}
