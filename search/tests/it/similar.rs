//! `Index::similar`: documents like a given one, within the caller's access and filters.

use trawl_search::{Access, ChunkInput, DocumentInput, DocumentMeta, Filter, Index};

use crate::spec;

/// Wide enough that 40 random documents stay well below `half` (centroid cosine ≈ 1/3, which
/// shares one of three passages): a random centroid's cosine has a spread of 1/√DIM ≈ 0.09.
const DIM: usize = 128;

/// A value in [-1, 1) from the seeded generator (the corpus is the same on every run).
fn signed(rng: &mut fastrand::Rng) -> f32 {
    rng.f32() * 2.0 - 1.0
}

fn unit(rng: &mut fastrand::Rng) -> Vec<f32> {
    normalized((0..DIM).map(|_| signed(rng)).collect())
}

fn normalized(v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / n).collect()
}

fn document(id: &str, kind: &str, groups: &[&str], vectors: Vec<Vec<f32>>) -> DocumentInput {
    DocumentInput {
        doc_id: id.into(),
        path: format!("docs/{id}.md"),
        title: format!("Document {id}"),
        meta: DocumentMeta {
            kind: kind.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..Default::default()
        },
        chunks: vectors
            .into_iter()
            .enumerate()
            .map(|(i, vector)| ChunkInput {
                text: format!("passage {i} of {id}"),
                page: None,
                section: None,
                vector,
            })
            .collect(),
    }
}

/// 40 random documents of 3 chunks; `orig` (public), its near copy `copy`
/// (group `hr`), and `half`, which shares one of `orig`'s passages. Also returns `orig`'s
/// passage vectors.
fn corpus(dir: &std::path::Path) -> (Index, Vec<Vec<f32>>) {
    let mut rng = fastrand::Rng::with_seed(0x5eed_1234_abcd_0001);
    let index = Index::open_or_create(dir, &spec_dim()).unwrap();
    let mut w = index.writer().unwrap();
    for i in 0..40 {
        let vectors = (0..3).map(|_| unit(&mut rng)).collect();
        w.add_document(document(&format!("r{i:02}"), "text", &[], vectors))
            .unwrap();
    }
    let orig: Vec<Vec<f32>> = (0..3).map(|_| unit(&mut rng)).collect();
    let copy = orig
        .iter()
        .map(|v| normalized(v.iter().map(|x| x + 0.025 * signed(&mut rng)).collect()))
        .collect();
    let half = vec![orig[0].clone(), unit(&mut rng), unit(&mut rng)];
    w.add_document(document("orig", "markdown", &[], orig.clone()))
        .unwrap();
    w.add_document(document("copy", "markdown", &["hr"], copy))
        .unwrap();
    w.add_document(document("half", "text", &[], half)).unwrap();
    w.commit().unwrap();
    (index, orig)
}

fn spec_dim() -> trawl_search::IndexSpec {
    trawl_search::IndexSpec { dim: DIM, ..spec() }
}

fn ids(index: &Index, id: &str, k: usize, filter: &Filter, access: &Access) -> Vec<String> {
    index
        .similar(id, k, filter, access)
        .unwrap()
        .unwrap_or_else(|| panic!("{id} not found"))
        .into_iter()
        .map(|h| h.doc_id)
        .collect()
}

#[test]
fn a_near_copy_ranks_first_and_the_source_never_appears() {
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = corpus(dir.path());
    let all = ids(&index, "orig", 5, &Filter::default(), &Access::All);
    assert_eq!(all[..2], ["copy", "half"], "{all:?}");
    assert!(!all.contains(&"orig".to_owned()));
    assert_eq!(all.len(), 5);
    let hits = index
        .similar("orig", 3, &Filter::default(), &Access::All)
        .unwrap()
        .unwrap();
    assert!(
        hits[0].score > 0.95 && hits[0].score >= hits[1].score,
        "{hits:?}"
    );
    assert_eq!(hits[0].vector_rank, Some(1));
    assert!(hits[0].snippet.contains("of copy"), "{:?}", hits[0].snippet);
    // Symmetric: the copy's nearest is the original.
    assert_eq!(
        ids(&index, "copy", 1, &Filter::default(), &Access::All),
        ["orig"]
    );
}

#[test]
fn access_and_filters_apply_inside_and_an_invisible_source_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = corpus(dir.path());
    let outsider = Access::groups(["it"]);
    // The hr copy is neither returned nor counted for someone outside hr.
    let seen = ids(&index, "orig", 43, &Filter::default(), &outsider);
    assert_eq!(seen[0], "half");
    assert!(!seen.contains(&"copy".to_owned()));
    assert_eq!(seen.len(), 41, "every other visible document");
    // The hr document itself is "not found", exactly like a missing id.
    assert!(
        index
            .similar("copy", 5, &Filter::default(), &outsider)
            .unwrap()
            .is_none()
    );
    assert!(
        index
            .similar("nosuch", 5, &Filter::default(), &Access::All)
            .unwrap()
            .is_none()
    );
    assert_eq!(
        ids(
            &index,
            "copy",
            1,
            &Filter::default(),
            &Access::groups(["hr"])
        ),
        ["orig"]
    );
    // Filters narrow the candidates.
    let only_text = Filter {
        kinds: vec!["text".into()],
        ..Filter::default()
    };
    let text = ids(&index, "orig", 3, &only_text, &Access::All);
    assert_eq!(text[0], "half");
    assert!(!text.contains(&"copy".to_owned()));
    // k is bounded.
    assert!(
        index
            .similar("orig", 0, &Filter::default(), &Access::All)
            .is_err()
    );
}

/// `Index::document_passages`: one document's passages nearest to a vector, within access.
#[test]
fn a_documents_passages_come_nearest_first_and_only_to_who_may_see_them() {
    let dir = tempfile::tempdir().unwrap();
    // the near copy's passages are near the original's: the query is the original's second
    let (index, orig) = corpus(dir.path());
    let hr = Access::groups(["hr"]);
    let found = index.document_passages("copy", &orig[1], 3, &hr).unwrap();
    assert_eq!(found.len(), 3);
    assert_eq!(found[0].text, "passage 1 of copy");
    assert!(found[0].cosine > 0.9, "{found:?}");
    assert!(found.windows(2).all(|w| w[0].cosine >= w[1].cosine));
    assert_eq!(
        index
            .document_passages("copy", &orig[1], 1, &hr)
            .unwrap()
            .len(),
        1
    );
    // outside hr the copy has no passages at all, as for a document that does not exist
    let outsider = Access::groups(["it"]);
    assert!(
        index
            .document_passages("copy", &orig[1], 3, &outsider)
            .unwrap()
            .is_empty()
    );
    assert!(
        index
            .document_passages("nope", &orig[1], 3, &Access::All)
            .unwrap()
            .is_empty()
    );
    assert!(index.document_passages("copy", &[1.0; 3], 3, &hr).is_err());
}
