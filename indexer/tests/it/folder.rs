//! Folders of real files: every format, user metadata, attachments, bad
//! files, and runs that follow edits, deletes and renames.

use std::{
    ops::Range,
    path::Path,
    sync::atomic::{AtomicUsize, Ordering},
};

use trawl_embedder::{Embedder, ModelInfo};
use trawl_indexer::{IndexOptions, IndexReport, NoProgress, OcrMode, OcrOptions};
use trawl_search::Hit;

use crate::{embedder, keyword, keyword_paths, open_index};

/// The real model, counting the passages it is asked to embed.
struct Counting(AtomicUsize);

impl Embedder for Counting {
    fn info(&self) -> &ModelInfo {
        embedder().info()
    }
    fn embed_passages(&self, texts: &[&str]) -> trawl_embedder::Result<Vec<Vec<f32>>> {
        self.0.fetch_add(texts.len(), Ordering::SeqCst);
        embedder().embed_passages(texts)
    }
    fn embed_query(&self, text: &str) -> trawl_embedder::Result<Vec<f32>> {
        embedder().embed_query(text)
    }
    fn token_spans(&self, text: &str) -> trawl_embedder::Result<Vec<Range<usize>>> {
        embedder().token_spans(text)
    }
}

/// Indexes `dir`; returns the report and how many passages were embedded.
fn run(dir: &Path, idx: &Path) -> (IndexReport, usize) {
    let counting = Counting(AtomicUsize::new(0));
    let index = open_index(idx);
    let report =
        trawl_indexer::index_directory(dir, &index, &counting, &Default::default(), &NoProgress)
            .unwrap();
    (report, counting.0.load(Ordering::SeqCst))
}

fn hit<'a>(hits: &'a [Hit], path: &str) -> &'a Hit {
    hits.iter().find(|h| h.path == path).unwrap_or_else(|| {
        panic!(
            "{path} not in {:?}",
            hits.iter().map(|h| &h.path).collect::<Vec<_>>()
        )
    })
}

fn copy(fixture: &str, to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(&from, to).unwrap_or_else(|e| panic!("{fixture}: {e}"));
}

fn reason<'a>(r: &'a IndexReport, path: &str) -> &'a str {
    r.skipped
        .iter()
        .find(|s| s.path == path)
        .map(|s| s.reason.as_str())
        .unwrap_or_else(|| panic!("{path} not skipped: {:?}", r.skipped))
}

#[test]
fn every_format_with_metadata_pages_sections_and_attachments() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    let idx = tmp.path().join("idx");
    copy("docx/handbook.docx", &docs.join("hr/handbook.docx"));
    copy(
        "email/remote-work-announcement.eml",
        &docs.join("hr/remote-work-announcement.eml"),
    );
    copy(
        "pdf/remote-work-policy.pdf",
        &docs.join("legal/remote-work-policy.pdf"),
    );
    copy(
        "html/expense-reimbursement.html",
        &docs.join("kb/expense-reimbursement.html"),
    );
    copy("bad/encrypted.pdf", &docs.join("legal/encrypted.pdf"));
    copy("bad/scanned.pdf", &docs.join("legal/scan.pdf"));
    copy("bad/zip-bomb.docx", &docs.join("kb/bomb.docx"));
    std::fs::write(
        docs.join("hr/_trawl.meta.json"),
        r#"{"groups": ["hr"], "tags": ["policy"]}"#,
    )
    .unwrap();
    std::fs::write(
        docs.join("legal/remote-work-policy.pdf.meta.json"),
        r#"{"custodian": "j.doe", "tags": ["contract"], "date": "2024-04-01"}"#,
    )
    .unwrap();
    std::fs::write(
        docs.join("kb/notes.md"),
        "# Notes\n\nThe canteen opens at noon.\n",
    )
    .unwrap();
    std::fs::write(
        docs.join("kb/notes-copy.md"),
        "# Notes\n\nThe canteen opens at noon.\n",
    )
    .unwrap();

    let (r, embedded) = run(&docs, &idx);
    // handbook, e-mail, its PDF attachment, policy PDF, HTML page, notes.
    assert_eq!(r.indexed, 6, "{r:?}");
    assert!(
        embedded >= r.chunks / 2,
        "{embedded} passages for {} chunks",
        r.chunks
    );
    assert_eq!(
        r.duplicates,
        [("kb/notes.md".to_owned(), "kb/notes-copy.md".to_owned())]
    );
    assert_eq!(
        reason(&r, "legal/encrypted.pdf"),
        "encrypted: PDF needs a password"
    );
    assert_eq!(
        reason(&r, "legal/scan.pdf"),
        "no extractable text (scanned?)"
    );
    assert!(reason(&r, "kb/bomb.docx").starts_with("too large when unpacked"));
    assert_eq!(
        r.skipped.len(),
        3,
        "sidecars and rules are not documents: {:?}",
        r.skipped
    );

    let hits = keyword(&idx, "laptop");
    let pdf = hit(&hits, "legal/remote-work-policy.pdf");
    assert_eq!(pdf.page, Some(2));
    assert_eq!(pdf.meta.kind, "pdf");
    assert_eq!(pdf.meta.custodian.as_deref(), Some("j.doe"));
    assert_eq!(pdf.meta.tags, ["contract"]);
    assert_eq!(
        pdf.meta.date,
        Some(1_711_929_600),
        "the sidecar's date wins"
    );
    assert_eq!(pdf.meta.author.as_deref(), Some("Maria Lopez"));
    assert!(pdf.meta.groups.is_empty());
    let attached = hit(
        &hits,
        "hr/remote-work-announcement.eml › remote-work-policy.pdf",
    );
    assert_eq!(attached.page, Some(2));
    assert_eq!(
        attached.meta.groups,
        ["hr"],
        "attachments inherit access groups"
    );
    let mail = &keyword(&idx, "\"takes effect\"")[0];
    assert_eq!(mail.path, "hr/remote-work-announcement.eml");
    assert_eq!(
        attached.meta.parent_id.as_deref(),
        Some(mail.doc_id.as_str())
    );
    assert_eq!(mail.meta.kind, "email");
    assert_eq!(mail.meta.extra["subject"], "New remote work policy");
    assert_eq!(
        mail.meta.author.as_deref(),
        Some("Maria Lopez <maria.lopez@example.com>")
    );

    let handbook = &keyword(&idx, "parental")[0];
    assert_eq!(handbook.path, "hr/handbook.docx");
    assert_eq!(handbook.section.as_deref(), Some("Leave › Parental leave"));
    assert_eq!(handbook.meta.groups, ["hr"]);
    assert_eq!(handbook.meta.tags, ["policy"]);
    assert_eq!(handbook.meta.author.as_deref(), Some("Jane Doe"));
    let html = &keyword(&idx, "diem")[0];
    assert_eq!(
        html.section.as_deref(),
        Some("Expense reimbursement › Travel › Per diem")
    );
    assert!(
        keyword(&idx, "analytics").is_empty(),
        "scripts are not indexed"
    );
}

#[test]
fn runs_follow_edits_deletes_renames_and_sidecar_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    let idx = tmp.path().join("idx");
    copy(
        "email/remote-work-announcement.eml",
        &docs.join("mail/announcement.eml"),
    );
    copy(
        "html/expense-reimbursement.html",
        &docs.join("kb/expenses.html"),
    );
    std::fs::write(
        docs.join("kb/notes.md"),
        "# Notes\n\nThe canteen opens at noon.\n",
    )
    .unwrap();
    let sidecar = docs.join("kb/expenses.html.meta.json");
    std::fs::write(&sidecar, r#"{"custodian": "a.smith"}"#).unwrap();
    let (r, _) = run(&docs, &idx);
    assert_eq!((r.indexed, r.skipped.len()), (4, 0), "{r:?}");

    // Nothing changed: nothing prepared or embedded.
    let (r, embedded) = run(&docs, &idx);
    assert_eq!((r.indexed, r.unchanged, embedded), (0, 3, 0), "{r:?}");

    // A rename keeps the document and its vectors.
    std::fs::rename(docs.join("kb/notes.md"), docs.join("kb/canteen.md")).unwrap();
    let (r, embedded) = run(&docs, &idx);
    assert_eq!((r.indexed, r.removed, embedded), (1, 0, 0), "{r:?}");
    assert_eq!(keyword(&idx, "canteen")[0].path, "kb/canteen.md");

    // Only the sidecar changed: re-indexed with new metadata, nothing re-embedded.
    std::fs::write(
        &sidecar,
        r#"{"custodian": "b.jones", "groups": ["finance"]}"#,
    )
    .unwrap();
    let (r, embedded) = run(&docs, &idx);
    assert_eq!((r.indexed, embedded), (1, 0), "{r:?}");
    let h = &keyword(&idx, "diem")[0];
    assert_eq!(
        (h.meta.custodian.as_deref(), h.meta.groups.as_slice()),
        (Some("b.jones"), &["finance".to_owned()][..])
    );

    // An edit re-embeds what changed; the old text is gone.
    std::fs::write(
        docs.join("kb/canteen.md"),
        "# Notes\n\nThe cafeteria opens at eleven.\n",
    )
    .unwrap();
    let (r, embedded) = run(&docs, &idx);
    assert_eq!((r.indexed, r.updated), (1, 1), "{r:?}");
    assert!(embedded >= 1);
    assert!(keyword(&idx, "canteen").is_empty());
    assert_eq!(keyword(&idx, "cafeteria")[0].path, "kb/canteen.md");

    // A broken sidecar skips its file (its groups may be what keeps it private).
    std::fs::write(&sidecar, r#"{"groups": "finance"}"#).unwrap();
    let (r, _) = run(&docs, &idx);
    assert!(
        reason(&r, "kb/expenses.html")
            .starts_with("invalid metadata sidecar kb/expenses.html.meta.json"),
        "{r:?}"
    );
    assert!(keyword(&idx, "diem").is_empty());

    // A deleted e-mail takes its attachment with it.
    assert_eq!(keyword(&idx, "laptop").len(), 1);
    std::fs::remove_file(docs.join("mail/announcement.eml")).unwrap();
    let (r, _) = run(&docs, &idx);
    assert_eq!(r.removed, 1, "{r:?}");
    assert!(keyword(&idx, "laptop").is_empty());
    assert_eq!(r.documents_total, 1, "{r:?}");
}

/// The real model, failing from its `fail_at`-th call on.
struct Failing {
    calls: AtomicUsize,
    fail_at: usize,
}

impl Embedder for Failing {
    fn info(&self) -> &ModelInfo {
        embedder().info()
    }
    fn embed_passages(&self, texts: &[&str]) -> trawl_embedder::Result<Vec<Vec<f32>>> {
        if self.calls.fetch_add(1, Ordering::SeqCst) >= self.fail_at {
            return Err(trawl_embedder::Error::Inference("the model crashed".into()));
        }
        embedder().embed_passages(texts)
    }
    fn embed_query(&self, text: &str) -> trawl_embedder::Result<Vec<f32>> {
        embedder().embed_query(text)
    }
    fn token_spans(&self, text: &str) -> trawl_embedder::Result<Vec<Range<usize>>> {
        embedder().token_spans(text)
    }
}

#[test]
fn a_model_failure_mid_run_stops_it_and_loses_nothing_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    let idx = tmp.path().join("idx");
    copy(
        "html/expense-reimbursement.html",
        &docs.join("expense.html"),
    );
    let (first, _) = run(&docs, &idx);
    assert_eq!(first.indexed, 1);
    for (fixture, name) in [
        ("html/whistleblower-protection.html", "whistleblower.html"),
        ("docx/handbook.docx", "handbook.docx"),
        ("docx/team-charter.docx", "charter.docx"),
        ("pdf/remote-work-policy.pdf", "remote.pdf"),
    ] {
        copy(fixture, &docs.join(name));
    }
    // Small batches, so the model fails while earlier batches are being
    // written and later files are still being extracted.
    let opts = trawl_indexer::IndexOptions {
        embed_batch: 2,
        ..Default::default()
    };
    let failing = Failing {
        calls: AtomicUsize::new(0),
        fail_at: 3,
    };
    let index = open_index(&idx);
    let err = trawl_indexer::index_directory(&docs, &index, &failing, &opts, &NoProgress)
        .expect_err("the model failed");
    assert!(err.to_string().contains("the model crashed"), "{err}");
    drop(index);
    // What the first run committed is still there, and nothing half-written is.
    assert_eq!(keyword_paths(&idx, "reimbursement")[0], "expense.html");
    assert!(keyword_paths(&idx, "whistleblower").is_empty());
    // The next run indexes the rest.
    let index = open_index(&idx);
    let report =
        trawl_indexer::index_directory(&docs, &index, embedder(), &opts, &NoProgress).unwrap();
    assert_eq!(report.indexed, 4, "{report:?}");
    drop(index);
    assert!(keyword_paths(&idx, "whistleblower").contains(&"whistleblower.html".to_string()));
}

#[test]
fn another_folder_is_refused_unless_it_replaces_the_one_indexed() {
    let tmp = tempfile::tempdir().unwrap();
    let (hr, legal, idx) = (
        tmp.path().join("hr"),
        tmp.path().join("legal"),
        tmp.path().join("idx"),
    );
    copy("html/expense-reimbursement.html", &hr.join("expense.html"));
    copy(
        "html/whistleblower-protection.html",
        &legal.join("whistleblower.html"),
    );
    let (first, _) = run(&hr, &idx);
    assert_eq!(first.indexed, 1);
    // The same index given another folder (a mistyped --index): refused, nothing removed.
    let index = open_index(&idx);
    let err = trawl_indexer::index_directory(
        &legal,
        &index,
        embedder(),
        &IndexOptions::default(),
        &NoProgress,
    )
    .expect_err("another folder");
    assert!(
        matches!(err, trawl_indexer::Error::OtherFolder { files: 1, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("hr") && message.contains("legal"),
        "{message}"
    );
    drop(index);
    assert_eq!(keyword_paths(&idx, "reimbursement"), ["expense.html"]);
    assert!(keyword_paths(&idx, "whistleblower").is_empty());
    // The same folder again is the usual incremental run.
    let (again, embedded) = run(&hr, &idx);
    assert_eq!((again.unchanged, embedded), (1, 0), "{again:?}");
    // Asked for, the index mirrors the other folder.
    let index = open_index(&idx);
    let opts = IndexOptions {
        replace_folder: true,
        ..IndexOptions::default()
    };
    let replaced =
        trawl_indexer::index_directory(&legal, &index, embedder(), &opts, &NoProgress).unwrap();
    assert_eq!((replaced.indexed, replaced.removed), (1, 1), "{replaced:?}");
    drop(index);
    assert!(keyword_paths(&idx, "reimbursement").is_empty());
    assert_eq!(keyword_paths(&idx, "whistleblower"), ["whistleblower.html"]);
}

#[test]
fn scans_spreadsheets_and_archives_are_found_with_page_sheet_and_path() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    let idx = tmp.path().join("idx");
    copy(
        "ocr/affiliate-agreement-scan.pdf",
        &docs.join("legal/affiliate-agreement-scan.pdf"),
    );
    copy(
        "sheet/performance-calendar.ods",
        &docs.join("hr/performance-calendar.ods"),
    );
    copy("zip/production.zip", &docs.join("received/production.zip"));
    copy(
        "pdf/non-competition-amendment.pdf",
        &docs.join("legal/non-competition-amendment.pdf"),
    );
    let (report, _) = run(&docs, &idx);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    // The scan's two pages were OCR'd, the text-layer contract's were not.
    assert_eq!(report.ocr_pages, 2, "{report:?}");
    assert!(report.ocr_s > 0.0);
    eprintln!(
        "OCR: {} pages in {:.1} s of a {:.1} s run ({:.0} % of it)",
        report.ocr_pages,
        report.ocr_s,
        report.elapsed_s,
        100.0 * report.ocr_s / report.elapsed_s
    );

    // A clause of the scanned contract is found, on its page.
    let hits = keyword(&idx, "\"thirty (30) day prior written notice\"");
    let scan = hit(&hits, "legal/affiliate-agreement-scan.pdf");
    assert_eq!(scan.page, Some(2));
    assert_eq!(scan.meta.kind, "pdf");
    assert_eq!(scan.meta.extra["ocr_pages"], "1,2");

    // A cell value is found under its sheet's name.
    let hits = keyword(&idx, "Wednesday");
    let sheet = hit(&hits, "hr/performance-calendar.ods");
    assert_eq!(sheet.section.as_deref(), Some("Work schedule"));
    assert_eq!(sheet.meta.kind, "ods");
    // So is the copy inside the zip inside the zip, named by its path.
    let nested = hit(
        &hits,
        "received/production.zip › volume-2.zip › schedules/performance-calendar.xlsx",
    );
    assert_eq!(nested.meta.kind, "xlsx");
    assert!(nested.meta.parent_id.is_some());
    // Archive members are documents of their own.
    let handbook = &keyword(&idx, "parental")[0];
    assert_eq!(
        handbook.path,
        "received/production.zip › policies/handbook.docx"
    );
}

#[test]
fn turning_ocr_on_reads_the_scanned_pages_of_pdfs_already_indexed() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    let idx = tmp.path().join("idx");
    // Three pages with a text layer, then a scanned page: indexed without
    // OCR, the scan's words are missing but the file is not skipped.
    copy(
        "ocr/policy-then-scanned-page.pdf",
        &docs.join("policy-then-scanned-page.pdf"),
    );
    let with = |mode: OcrMode| IndexOptions {
        ocr: OcrOptions {
            mode,
            ..OcrOptions::default()
        },
        ..IndexOptions::default()
    };
    let run_with = |opts: &IndexOptions| {
        let index = open_index(&idx);
        trawl_indexer::index_directory(&docs, &index, embedder(), opts, &NoProgress).unwrap()
    };
    let off = run_with(&with(OcrMode::Off));
    assert_eq!((off.indexed, off.ocr_pages), (1, 0), "{off:?}");
    assert!(keyword_paths(&idx, "affiliate").is_empty());
    // Same options again: nothing to do.
    let again = run_with(&with(OcrMode::Off));
    assert_eq!((again.indexed, again.unchanged), (0, 1), "{again:?}");
    // OCR on: the unchanged file is read again, its scanned page only.
    let auto = run_with(&with(OcrMode::Auto));
    assert_eq!((auto.indexed, auto.ocr_pages), (1, 1), "{auto:?}");
    let hits = keyword(&idx, "affiliate");
    let scan = hit(&hits, "policy-then-scanned-page.pdf");
    assert_eq!(scan.page, Some(4));
    assert_eq!(scan.meta.extra["ocr_pages"], "4");
}
