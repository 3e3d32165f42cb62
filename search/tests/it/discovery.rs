//! Review features over a real index: document-level term reports under
//! permissions, doc-id restrictions inside both arms, whole-document reads.

use std::{collections::HashSet, sync::Arc};

use trawl_search::{Access, DocumentMeta, Filter, Index, Mode, SearchRequest, TermsRequest};

use super::{axis, doc, spec};

/// Four documents; the contract's words are spread over two passages, and
/// the privileged memo is only visible to `legal`.
fn review_index(dir: &std::path::Path) -> Index {
    let index = Index::open_or_create(dir, &spec()).unwrap();
    let mut w = index.writer().unwrap();
    w.add_document(doc(
        "contract",
        "Supply agreement",
        &[
            (
                "Either party may terminate upon written notice to the other party.",
                0,
            ),
            ("Payment is due within thirty days of the invoice.", 1),
        ],
    ))
    .unwrap();
    w.add_document(doc(
        "draft",
        "Supply agreement draft",
        &[("Either party may terminate this agreement. Draft only.", 0)],
    ))
    .unwrap();
    w.add_document(doc(
        "invoice",
        "Invoice",
        &[("Payment of the invoice is due now.", 2)],
    ))
    .unwrap();
    let mut memo = doc(
        "memo",
        "Privileged memo",
        &[("Counsel advises we terminate; payment withheld.", 3)],
    );
    memo.meta = DocumentMeta {
        groups: vec!["legal".into()],
        ..Default::default()
    };
    w.add_document(memo).unwrap();
    w.commit().unwrap();
    index
}

fn report(index: &Index, terms: &[&str], access: Access) -> trawl_search::TermReport {
    index
        .term_report(&TermsRequest {
            queries: terms.iter().map(|s| s.to_string()).collect(),
            access,
            ..Default::default()
        })
        .unwrap()
}

#[test]
fn boolean_logic_is_per_document_not_per_passage() {
    let dir = tempfile::tempdir().unwrap();
    let index = review_index(dir.path());
    let r = report(
        &index,
        &[
            "terminate AND payment",
            "terminate -draft",
            "notice w/3 terminate",
            "invoice",
            "terminat*",
        ],
        Access::All,
    );
    let ids = |i: usize| r.terms[i].doc_ids.clone();
    // "terminate" and "payment" are in different passages of the contract:
    // a passage-level AND would miss it.
    assert_eq!(ids(0), vec!["contract", "memo"]);
    // NOT excludes whole documents.
    assert_eq!(ids(1), vec!["contract", "memo"]);
    // w/3 is unordered: "terminate upon written notice".
    assert_eq!(ids(2), vec!["contract"]);
    assert_eq!(
        r.terms[2].query,
        "(\"notice terminate\"~3 OR \"terminate notice\"~3)"
    );
    assert_eq!(ids(3), vec!["contract", "invoice"]);
    // A prefix longer than the indexed stem ("terminat" vs "termin") still matches.
    assert_eq!(ids(4), vec!["contract", "draft", "memo"]);
    // Unique: hit by no other term: the invoice only by "invoice", the draft only by the prefix.
    assert_eq!(
        r.terms.iter().map(|t| t.unique).collect::<Vec<_>>(),
        vec![0, 0, 0, 1, 1]
    );
    // Passages: the contract's two passages both match a positive clause of term 0.
    assert_eq!(r.terms[0].passages, 3);
    assert_eq!(r.documents_hit, 4);
    assert_eq!(r.documents_searched, 4);
}

#[test]
fn counts_never_include_documents_outside_the_principal_groups() {
    let dir = tempfile::tempdir().unwrap();
    let index = review_index(dir.path());
    let terms = ["terminate", "payment"];
    let legal = report(&index, &terms, Access::groups(["legal"]));
    let hr = report(&index, &terms, Access::groups(["hr"]));
    assert_eq!(legal.terms[0].documents, 3);
    assert_eq!(hr.terms[0].documents, 2);
    assert!(
        !hr.terms
            .iter()
            .any(|t| t.doc_ids.contains(&"memo".to_owned()))
    );
    assert_eq!((legal.documents_searched, hr.documents_searched), (4, 3));
    // A pure negation counts from the visible documents only.
    let not = report(&index, &["-terminate"], Access::groups(["hr"]));
    assert_eq!(not.terms[0].doc_ids, vec!["invoice"]);
}

#[test]
fn unparsable_terms_are_refused_not_reinterpreted() {
    let dir = tempfile::tempdir().unwrap();
    let index = review_index(dir.path());
    for bad in ["\"unbalanced", "a w/2", "  "] {
        let err = index
            .term_report(&TermsRequest {
                queries: vec!["payment".into(), bad.into()],
                ..Default::default()
            })
            .unwrap_err();
        assert!(err.is_user_error(), "{bad}: {err}");
        assert!(err.to_string().contains("term 2"), "{err}");
    }
}

#[test]
fn doc_id_restriction_applies_inside_both_arms() {
    let dir = tempfile::tempdir().unwrap();
    let index = review_index(dir.path());
    let only: HashSet<String> = ["invoice".to_owned()].into();
    let mut req = SearchRequest::new("payment");
    req.mode = Mode::Hybrid;
    req.doc_ids = Some(Arc::new(only.clone()));
    let hits = index.search(&req, Some(&axis(0))).unwrap().hits;
    assert_eq!(
        hits.iter().map(|h| h.doc_id.as_str()).collect::<Vec<_>>(),
        vec!["invoice"]
    );
    req.doc_ids = Some(Arc::new(HashSet::new()));
    assert!(index.search(&req, Some(&axis(0))).unwrap().hits.is_empty());
    let listed = index
        .documents(&Filter::default(), &Access::All, Some(&only))
        .unwrap();
    assert_eq!(listed.len(), 1);
}

#[test]
fn documents_and_text_respect_access() {
    let dir = tempfile::tempdir().unwrap();
    let index = review_index(dir.path());
    let all = index
        .documents(&Filter::default(), &Access::All, None)
        .unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(
        all.iter().find(|d| d.doc_id == "contract").unwrap().chunks,
        2
    );
    let hr = Access::groups(["hr"]);
    assert_eq!(
        index
            .documents(&Filter::default(), &hr, None)
            .unwrap()
            .len(),
        3
    );
    assert!(index.document("memo", &hr).unwrap().is_none());
    let ids = index.document_ids(&Filter::default(), &hr, None).unwrap();
    assert_eq!(ids.len(), 3);
    assert!(!ids.contains("memo"));
    assert!(index.document_text("memo", &hr).unwrap().is_none());
    assert_eq!(
        index
            .document_text("contract", &Access::All)
            .unwrap()
            .unwrap(),
        "Either party may terminate upon written notice to the other party.\n\n\
         Payment is due within thirty days of the invoice."
    );
}
