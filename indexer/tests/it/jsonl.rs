//! BEIR-style JSONL corpora.

use std::path::Path;

use crate::{index, keyword, keyword_paths};

fn hits(index_dir: &Path, query: &str) -> Vec<(String, String, String)> {
    keyword(index_dir, query)
        .into_iter()
        .map(|h| (h.doc_id, h.path, h.meta.kind))
        .collect()
}

#[test]
fn records_become_documents_with_their_ids_and_runs_are_incremental() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    let idx = dir.path().join("idx");
    std::fs::write(
        &corpus,
        concat!(
            r#"{"_id": "4983", "title": "White matter in newborns", "text": "Diffusion tensor imaging of cerebral white matter.", "metadata": {}}"#,
            "\n",
            r#"{"_id": "17", "title": "", "text": "Vitamin D deficiency and bone fractures in elderly patients."}"#,
            "\n",
            r#"{"_id": "x-1", "title": "Statins", "text": "Statins lower cholesterol."}"#,
            "\n"
        ),
    )
    .unwrap();

    let r = index(&corpus, &idx);
    assert_eq!(
        (r.indexed, r.unchanged, r.skipped.len()),
        (3, 0, 0),
        "{r:?}"
    );
    assert_eq!(r.documents_total, 3);
    assert_eq!(
        hits(&idx, "tensor"),
        [(
            "4983".to_owned(),
            "corpus.jsonl#4983".to_owned(),
            "jsonl".to_owned()
        )]
    );

    // Unchanged: nothing prepared, embedded or written.
    let r = index(&corpus, &idx);
    assert_eq!((r.indexed, r.unchanged, r.chunks), (0, 3, 0), "{r:?}");

    // One record edited, one gone, one added, one malformed line.
    std::fs::write(
        &corpus,
        concat!(
            r#"{"_id": "4983", "title": "White matter in newborns", "text": "Anisotropy of cerebral white matter."}"#,
            "\n",
            r#"{"_id": "x-1", "title": "Statins", "text": "Statins lower cholesterol."}"#,
            "\n",
            "{\"_id\": \"broken\"\n",
            r#"{"_id": "new", "text": "Aspirin and migraine."}"#,
            "\n"
        ),
    )
    .unwrap();
    let r = index(&corpus, &idx);
    assert_eq!(
        (r.indexed, r.updated, r.unchanged, r.removed),
        (2, 1, 1, 1),
        "{r:?}"
    );
    assert_eq!(r.skipped.len(), 1, "{r:?}");
    assert_eq!(r.skipped[0].path, "corpus.jsonl:3");
    assert!(r.skipped[0].reason.contains("invalid JSON"), "{r:?}");
    assert_eq!(r.documents_total, 3);
    assert!(keyword_paths(&idx, "tensor").is_empty(), "old text is gone");
    assert!(
        keyword_paths(&idx, "vitamin").is_empty(),
        "removed record is gone"
    );
    assert_eq!(keyword_paths(&idx, "anisotropy"), ["corpus.jsonl#4983"]);
    assert_eq!(keyword_paths(&idx, "migraine"), ["corpus.jsonl#new"]);
}
