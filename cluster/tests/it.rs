//! Against the real cluster of `scripts/cluster.sh up` (collection `passages`): these tests
//! fail, not skip, when it is down. Each test writes documents under its own id and path
//! prefix and removes them, so they run in parallel and beside other data.

use std::collections::{BTreeSet, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use trawl_cluster::{
    ChunkInput, ChunkRef, DocumentInput, Error, Filter, SolrBackend, worker_share,
};

const NODES: [&str; 3] = ["127.0.0.1:18983", "127.0.0.1:18984", "127.0.0.1:18985"];
const DIM: usize = 384;

fn url() -> String {
    std::env::var("TRAWL_CLUSTER_URL")
        .unwrap_or_else(|_| format!("solr://{}/passages", NODES.join(",")))
}

fn backend() -> SolrBackend {
    let url = url();
    SolrBackend::connect(&url).unwrap_or_else(|e| {
        panic!("the test cluster is not reachable at {url} ({e}); start it with `scripts/cluster.sh up`")
    })
}

/// A prefix unique to this test run and name.
fn run_id(name: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("it{name}{}x{nanos}", std::process::id())
}

/// A unit vector mixing basis vectors `a` and `b` with weights `wa`, `wb`.
fn unit(a: usize, wa: f32, b: usize, wb: f32) -> Vec<f32> {
    let mut v = vec![0.0f32; DIM];
    v[a] += wa;
    v[b] += wb;
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

fn doc(run: &str, name: &str, groups: &[&str], texts: &[&str], vector: &[f32]) -> DocumentInput {
    DocumentInput {
        doc_id: format!("{run}{name}"),
        path: format!("/{run}/{name}.txt"),
        title: format!("{name} title"),
        kind: "text".into(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        sha256: format!("hash-of-{name}-v1"),
        date: Some(1_700_000_000),
        chunks: texts
            .iter()
            .map(|t| ChunkInput {
                text: (*t).to_owned(),
                section: Some("Intro".into()),
                page: None,
                vector: vector.to_vec(),
            })
            .collect(),
        ..Default::default()
    }
}

fn scope(run: &str) -> Filter {
    Filter {
        path_prefix: Some(format!("/{run}/")),
        ..Default::default()
    }
}

#[test]
fn add_replace_delete_round_trip() {
    let b = backend();
    let run = run_id("rt");
    let v = unit(0, 1.0, 1, 0.0);
    let mut d = doc(
        &run,
        "memo",
        &[],
        &[
            "zebrafish quarterly termination notice",
            "second passage",
            "third",
        ],
        &v,
    );
    b.add_document(&d).unwrap();
    b.commit().unwrap();
    assert_eq!(
        b.document(&d.doc_id, Some(&[])).unwrap(),
        Some(vec![
            "zebrafish quarterly termination notice".to_owned(),
            "second passage".to_owned(),
            "third".to_owned()
        ]),
        "a public document is visible to a principal without groups, chunks in order"
    );
    let hits = b
        .keyword("zebrafish termination", None, &scope(&run), 10)
        .unwrap();
    assert_eq!(
        hits.first().map(|h| &h.0),
        Some(&ChunkRef {
            doc_id: d.doc_id.clone(),
            ordinal: 0
        })
    );
    assert!(hits[0].1 > 0.0, "a BM25 score");
    let files = b.known_files().unwrap();
    assert_eq!(
        files.get(&d.path).map(String::as_str),
        Some("hash-of-memo-v1")
    );

    // Replaced whole: one chunk now, the other two gone, the new hash recorded.
    d.chunks.truncate(1);
    d.chunks[0].text = "okapi replacement text".into();
    d.sha256 = "hash-of-memo-v2".into();
    b.add_documents(std::slice::from_ref(&d)).unwrap();
    b.commit().unwrap();
    assert_eq!(
        b.document(&d.doc_id, None).unwrap(),
        Some(vec!["okapi replacement text".to_owned()])
    );
    assert!(
        b.keyword("zebrafish", None, &scope(&run), 10)
            .unwrap()
            .is_empty(),
        "the old text is not searchable"
    );
    assert_eq!(
        b.known_files().unwrap().get(&d.path).map(String::as_str),
        Some("hash-of-memo-v2")
    );

    b.delete_document(&d.doc_id).unwrap();
    b.commit().unwrap();
    assert_eq!(b.document(&d.doc_id, None).unwrap(), None);
    assert!(!b.known_files().unwrap().contains_key(&d.path));
    assert!(
        b.vector(&v, None, &scope(&run), 10).unwrap().is_empty(),
        "no chunk of a deleted document is a kNN hit"
    );

    let bad = DocumentInput {
        doc_id: "a!b".into(),
        ..Default::default()
    };
    assert!(matches!(b.add_document(&bad), Err(Error::InvalidInput(_))));
}

#[test]
fn permission_filter_is_inside_knn() {
    let b = backend();
    let run = run_id("acl");
    let query = unit(5, 1.0, 6, 0.0);
    // The secret document is the query itself; the visible ones are further off.
    let secret = doc(
        &run,
        "secret",
        &["hr"],
        &["salary table of every employee"],
        &query,
    );
    let legal = doc(
        &run,
        "legal",
        &["legal"],
        &["salary dispute memo"],
        &unit(5, 1.0, 6, 1.0),
    );
    let public = doc(
        &run,
        "public",
        &[],
        &["salary policy for everyone"],
        &unit(5, 1.0, 6, 2.0),
    );
    b.add_documents(&[secret.clone(), legal.clone(), public.clone()])
        .unwrap();
    b.commit().unwrap();

    let all = b.vector(&query, None, &scope(&run), 5).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(
        all[0].0.doc_id, secret.doc_id,
        "unfiltered, the secret is nearest"
    );
    assert!((all[0].1 - 1.0).abs() < 1e-3, "cosine 1, got {}", all[0].1);
    assert!(
        (all[1].1 - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-3,
        "cosine of the legal memo is 0.707, got {}",
        all[1].1
    );

    let groups = vec!["legal".to_owned()];
    for k in [1, 2, 5] {
        let hits = b.vector(&query, Some(&groups), &scope(&run), k).unwrap();
        let ids: Vec<&str> = hits.iter().map(|h| h.0.doc_id.as_str()).collect();
        assert!(!ids.contains(&secret.doc_id.as_str()), "k={k}: {ids:?}");
        assert_eq!(
            ids.len(),
            k.min(2),
            "k={k}: a pre-filter fills topK with allowed chunks: {ids:?}"
        );
        assert_eq!(ids[0], legal.doc_id);
    }
    let keyword: BTreeSet<String> = b
        .keyword("salary", Some(&groups), &scope(&run), 10)
        .unwrap()
        .into_iter()
        .map(|h| h.0.doc_id)
        .collect();
    assert_eq!(
        keyword,
        BTreeSet::from([legal.doc_id.clone(), public.doc_id.clone()])
    );
    // No groups: only public documents.
    let none: Vec<String> = b
        .vector(&query, Some(&[]), &scope(&run), 5)
        .unwrap()
        .into_iter()
        .map(|h| h.0.doc_id)
        .collect();
    assert_eq!(none, vec![public.doc_id.clone()]);
    assert_eq!(b.document(&secret.doc_id, Some(&groups)).unwrap(), None);
    assert!(
        b.document(&secret.doc_id, Some(&["hr".to_owned()]))
            .unwrap()
            .is_some()
    );
    // Metadata filters intersect inside kNN too.
    let pdf_only = Filter {
        kinds: vec!["pdf".into()],
        ..scope(&run)
    };
    assert!(b.vector(&query, None, &pdf_only, 5).unwrap().is_empty());
    let dated = Filter {
        date_from: Some(1_600_000_000),
        date_to: Some(1_800_000_000),
        ..scope(&run)
    };
    assert_eq!(b.vector(&query, None, &dated, 5).unwrap().len(), 3);

    for d in [&secret, &legal, &public] {
        b.delete_document(&d.doc_id).unwrap();
    }
    b.commit().unwrap();
}

#[test]
fn worker_shares_partition_a_file_list() {
    let paths: Vec<String> = (0..1000)
        .map(|i| format!("matter/custodian-{}/file-{i}.pdf", i % 7))
        .collect();
    for n in 1..=5 {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for i in 0..n {
            for p in paths.iter().filter(|p| worker_share(p, i, n)) {
                *seen.entry(p).or_default() += 1;
            }
        }
        assert_eq!(seen.len(), paths.len(), "n={n}: every path in a share");
        assert!(seen.values().all(|&c| c == 1), "n={n}: in exactly one");
    }
    let half = paths.iter().filter(|p| worker_share(p, 0, 2)).count();
    assert!((400..600).contains(&half), "a balanced split: {half}");

    // Two workers, each storing its share, leave the whole list in the cluster's state.
    let b = backend();
    let run = run_id("share");
    let v = unit(9, 1.0, 10, 0.0);
    let docs: Vec<DocumentInput> = (0..20)
        .map(|i| doc(&run, &format!("f{i}"), &[], &["shared text"], &v))
        .collect();
    for worker in 0..2 {
        let mine: Vec<DocumentInput> = docs
            .iter()
            .filter(|d| worker_share(&d.path, worker, 2))
            .cloned()
            .collect();
        let resumed = backend();
        resumed.add_documents(&mine).unwrap();
        resumed.commit().unwrap();
    }
    let known = b.known_files().unwrap();
    for d in &docs {
        assert_eq!(known.get(&d.path), Some(&d.sha256), "{}", d.path);
    }
    for d in &docs {
        b.delete_document(&d.doc_id).unwrap();
    }
    b.commit().unwrap();
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn fails_over_when_the_first_node_is_down() {
    backend(); // the cluster is up
    let dead = format!("127.0.0.1:{}", closed_port());
    let url = format!("solr://{dead},{}/passages", NODES.join(","));
    let b = SolrBackend::connect(&url).expect("the second node answers");
    assert_ne!(b.current_node(), dead);
    b.count().unwrap();
    let hits = b
        .vector(&unit(1, 1.0, 2, 0.0), Some(&[]), &Filter::default(), 3)
        .unwrap();
    assert!(hits.len() <= 3);

    let dead2 = format!("127.0.0.1:{}", closed_port());
    let err = SolrBackend::connect(&format!("solr://{dead},{dead2}/passages")).unwrap_err();
    match &err {
        Error::Unreachable { nodes, .. } => assert_eq!(nodes, &[dead.clone(), dead2.clone()]),
        other => panic!("expected Unreachable, got {other}"),
    }
    assert!(err.to_string().contains(&dead), "{err}");

    let missing =
        SolrBackend::connect(&format!("solr://{}/no_such_collection", NODES[0])).unwrap_err();
    assert!(matches!(missing, Error::Solr { .. }), "{missing}");
    assert!(matches!(
        SolrBackend::connect("solr://127.0.0.1:18983").unwrap_err(),
        Error::BadUrl { .. }
    ));
}

#[test]
fn keyword_share_is_the_part_of_the_query_matched_and_passages_of_one_document_come_nearest_first()
{
    let b = backend();
    let run = run_id("ceil");
    let near = unit(7, 1.0, 8, 0.0);
    let far = unit(7, 0.2, 8, 1.0);
    let mut d = doc(
        &run,
        "policy",
        &["hr"],
        &[
            "quokka quokka quokka wombat wombat wombat",
            "quokka once",
            "nothing relevant here",
        ],
        &near,
    );
    d.chunks[1].vector = far.clone();
    d.chunks[2].vector = unit(7, 0.6, 8, 0.8);
    b.add_document(&d).unwrap();
    b.commit().unwrap();

    let both = b
        .keyword_arm("quokka wombat", None, &scope(&run), 10)
        .unwrap();
    let one = b.keyword_arm("quokka", None, &scope(&run), 10).unwrap();
    assert_eq!(both.matched, 2, "two chunks hold a query word");
    assert!(
        both.ceiling > one.ceiling,
        "two rare terms can score more than one"
    );
    let share = |arm: &trawl_cluster::KeywordArm, ordinal: u32| {
        arm.hits
            .iter()
            .find(|h| h.0.ordinal == ordinal)
            .map(|h| h.1 / arm.ceiling)
            .unwrap()
    };
    // The chunk repeating both words matches a large part of the query; the one naming one
    // word once, much less — and no share exceeds the whole query. How large a part depends on
    // BM25's length normalization against the collection's average chunk length, which the
    // other tests writing to the same collection at the same time move: with only this test's
    // short chunks in it the share is ≈ 0.33, with longer chunks around it > 0.5.
    assert!(share(&both, 0) > 0.3 && share(&both, 0) < 1.0, "{both:?}");
    assert!(share(&both, 1) < 0.5 * share(&both, 0), "{both:?}");
    assert!(
        b.keyword_arm("quokka", Some(&["sales".to_owned()]), &scope(&run), 10)
            .unwrap()
            .hits
            .is_empty(),
        "the groups filter holds in the arm with its ceiling"
    );

    let nearest = b
        .nearest_in_document(&d.doc_id, &near, 3, Some(&["hr".to_owned()]))
        .unwrap();
    let order: Vec<u32> = nearest.iter().map(|n| n.chunk.ordinal).collect();
    assert_eq!(order, vec![0, 2, 1], "nearest first");
    assert!(
        (nearest[0].cosine - 1.0).abs() < 1e-3,
        "cosine, not Solr's (1 + dot) / 2"
    );
    assert_eq!(nearest[1].stored.text, "nothing relevant here");
    assert_eq!(nearest[0].stored.groups, vec!["hr".to_owned()]);
    assert!(
        b.nearest_in_document(&d.doc_id, &near, 3, Some(&[]))
            .unwrap()
            .is_empty(),
        "a document the principal may not see has no passages"
    );
    b.delete_document(&d.doc_id).unwrap();
    b.commit().unwrap();
}
