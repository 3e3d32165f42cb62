//! Unit tests of extraction on small inline inputs; real files are in `files.rs`.

use super::*;

use std::time::Duration;

const LIMITS: Limits = Limits {
    max_unpacked: 1 << 20,
    max_text: 1 << 20,
    ocr: ocr::OcrOptions::OFF,
    allowance: None,
};

/// `sample` with bytes overwritten at `writes` (positions wrap around) and cut at `cut`
/// (wrapping, so any length from empty to whole): the damage the per-format fuzz tests of
/// `odt` and `rtf` apply.
pub(super) fn overwritten(sample: &[u8], writes: Vec<(usize, u8)>, cut: usize) -> Vec<u8> {
    let mut b = sample.to_vec();
    for (at, byte) in writes {
        let i = at % b.len();
        b[i] = byte;
    }
    b.truncate(cut % (b.len() + 1));
    b
}

fn ex(name: &str, bytes: &[u8]) -> Result<Extracted, ExtractError> {
    extract(name, bytes, &LIMITS).map(|(_, e)| e)
}

#[test]
fn markdown_front_matter_headings_and_liquid() {
    let src = "---\ntitle: Leave types\nkeywords: vacation\n---\n\n{% alert %}\nCheck the chart.\n{% endalert %}\n\n## Annual leave\n\nYou earn **4 hours** per [pay period](#x).\n\n### Carry over\n\n* up to 240 hours\n* more for SES\n\n## Sick leave\n\nFor illness.\n";
    let e = ex("leave.md", src.as_bytes()).unwrap();
    assert_eq!(e.title, "Leave types");
    assert!(!e.text.contains("{%"), "{}", e.text);
    assert!(!e.text.contains("keywords"), "{}", e.text);
    assert!(
        e.text.contains("You earn 4 hours per pay period."),
        "{}",
        e.text
    );
    assert!(e.text.contains("• up to 240 hours"), "{}", e.text);
    let paths: Vec<&str> = e.sections.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        ["Annual leave", "Annual leave › Carry over", "Sick leave"]
    );
    // Offsets point at the heading text itself.
    for s in &e.sections {
        let name = s.path.rsplit(SECTION_SEPARATOR).next().unwrap();
        assert!(e.text[s.offset..].starts_with(name), "{s:?}");
    }
}

#[test]
fn markdown_nested_list_items_are_lines_of_their_own() {
    let src = "1. Access the VDI at [vdi.example.gov](https://vdi.example.gov).\n   - Alternatively, go to [apps.example.gov](https://apps.example.gov)\n1. Enter your token\n";
    let e = ex("vdi.md", src.as_bytes()).unwrap();
    let lines: Vec<&str> = e.text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines,
        [
            "• Access the VDI at vdi.example.gov.",
            "• Alternatively, go to apps.example.gov",
            "• Enter your token"
        ],
        "{:?}",
        e.text
    );
}

#[test]
fn markdown_title_falls_back_to_h1_then_file_name() {
    let e = ex("x.md", b"# Travel guide\n\nBook early.").unwrap();
    assert_eq!(e.title, "Travel guide");
    let e = ex("code-of_conduct.md", b"Be kind.").unwrap();
    assert_eq!(e.title, "code of conduct");
}

#[test]
fn plain_text_title_is_first_line() {
    let e = ex("a.txt", b"\n  NOTICE OF TERMINATION\r\nBody.").unwrap();
    assert_eq!(e.title, "NOTICE OF TERMINATION");
    assert!(!e.text.contains('\r'));
}

#[test]
fn binary_and_empty_files_are_rejected() {
    assert_eq!(
        ex("a.txt", b"\x00\x01\x02binary").unwrap_err(),
        ExtractError::Binary
    );
    let garbage: Vec<u8> = (0..400).map(|i| 0x80 + (i % 60) as u8).collect();
    assert_eq!(ex("a.txt", &garbage).unwrap_err(), ExtractError::Binary);
    assert_eq!(ex("a.md", b"  \n\n ").unwrap_err(), ExtractError::Empty);
    assert_eq!(
        ex("a.md", b"---\ntitle: x\n---\n").unwrap_err(),
        ExtractError::Empty
    );
}

#[test]
fn template_tags_are_removed_but_braces_kept() {
    assert_eq!(
        markdown::strip_template_tags("a {% x %}b{{ y }} {c} {%"),
        "a b {c} {%"
    );
}

#[test]
fn a_channel_tag_becomes_the_channel_it_names() {
    assert_eq!(
        markdown::strip_template_tags(
            "post in {% slack_channel \"tts-jobs\" %} on Slack or {%- slack_channel 'a_b' -%}."
        ),
        "post in #tts-jobs on Slack or #a_b."
    );
    // other tags, and channel tags without a plain name, still go
    assert_eq!(
        markdown::strip_template_tags(
            "see {% page \"/x\" %} and {% slack_channel %} or {% slack_channel \"a b\" %}"
        ),
        "see  and  or "
    );
}

#[test]
fn detects_supported_extensions_only() {
    assert_eq!(DocKind::detect(Path::new("A.MD")), Some(DocKind::Markdown));
    assert_eq!(DocKind::detect(Path::new("a.txt")), Some(DocKind::Text));
    assert_eq!(DocKind::detect(Path::new("a.pdf")), Some(DocKind::Pdf));
    assert_eq!(DocKind::detect(Path::new("a.xlsx")), Some(DocKind::Xlsx));
    assert_eq!(DocKind::detect(Path::new("a.ODS")), Some(DocKind::Ods));
    assert_eq!(DocKind::detect(Path::new("a.zip")), Some(DocKind::Zip));
    assert_eq!(DocKind::detect(Path::new("a.exe")), None);
    assert_eq!(DocKind::detect(Path::new("README")), None);
}

fn fixture(path: &str) -> (String, Vec<u8>) {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    let name = full.file_name().unwrap().to_string_lossy().into_owned();
    (
        name,
        std::fs::read(&full).unwrap_or_else(|e| panic!("{path}: {e}")),
    )
}

fn tree(path: &str) -> Tree {
    let (name, bytes) = fixture(path);
    extract_tree(name, bytes, "0".into(), LIMITS, Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn sections(d: &Extracted) -> Vec<&str> {
    d.sections.iter().map(|s| s.path.as_str()).collect()
}

/// Byte offset of `needle` in the text; panics when it is missing.
fn at(d: &Extracted, needle: &str) -> usize {
    d.text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {:?}", d.text))
}

#[test]
fn pdf_text_pages_and_info() {
    let t = tree("pdf/remote-work-policy.pdf");
    let d = &t.nodes[0].doc;
    assert_eq!(t.nodes[0].kind, DocKind::Pdf);
    assert_eq!(d.title, "Remote Work Policy");
    assert_eq!(d.meta.author.as_deref(), Some("Maria Lopez"));
    assert_eq!(d.meta.date, Some(1_710_495_000)); // 2024-03-15T09:30:00Z
    assert_eq!(d.page_starts.len(), 3);
    assert_eq!(d.page_at(at(d, "Employees who have completed")), Some(1));
    assert_eq!(d.page_at(at(d, "The company provides a laptop")), Some(2));
    assert_eq!(d.page_at(at(d, "Use the VPN")), Some(3));
    // Pages never share a paragraph: each starts after a blank line.
    for &s in &d.page_starts[1..] {
        assert!(d.text[..s].ends_with("\n\n"), "page start {s}");
    }
}

#[test]
fn real_contract_pdf_and_owner_password_pdf() {
    let d = &tree("pdf/non-competition-amendment.pdf").nodes[0].doc;
    assert_eq!(d.title, "NON-COMPETITION AGREEMENT");
    assert_eq!(d.page_starts.len(), 4);
    assert!(!d.text.contains('\u{a0}') && !d.text.contains("  "));
    assert_eq!(
        d.page_at(at(d, "VIVINT SOLAR, INC., a Delaware corporation")),
        Some(1)
    );
    // Encrypted with an empty user password (printing allowed, editing not): readable.
    let o = &tree("pdf/owner-password-only.pdf").nodes[0].doc;
    assert_eq!(o.text, d.text);
}

#[test]
fn docx_headings_lists_tables_and_core_properties() {
    let t = tree("docx/handbook.docx");
    let d = &t.nodes[0].doc;
    assert_eq!(t.nodes[0].kind, DocKind::Docx);
    assert_eq!(d.title, "Employee Handbook 2024");
    assert_eq!(d.meta.author.as_deref(), Some("Jane Doe"));
    assert_eq!(d.meta.date, Some(1_714_555_800)); // 2024-05-01T09:30:00Z
    assert_eq!(d.meta.extra["last_modified_by"], "HR Team");
    assert_eq!(sections(d), ["Leave", "Leave › Parental leave", "Conduct"]);
    assert!(d.text.contains("paid parental leave & keep"), "{}", d.text);
    assert!(
        d.text
            .contains("• Apply in the HR portal\n• Tell your supervisor"),
        "{}",
        d.text
    );
    assert!(
        d.text.contains("Leave type | Days\nAnnual | 26"),
        "{}",
        d.text
    );
    let leave = d
        .sections
        .iter()
        .find(|s| s.path == "Leave › Parental leave")
        .unwrap();
    assert!(d.text[leave.offset..].starts_with("Parental leave\n\nParents may"));

    let real = &tree("docx/team-charter.docx").nodes[0].doc;
    assert_eq!(real.title, "[Project name] team charter");
    assert!(
        sections(real).contains(&"Our team › Core working hours"),
        "{:?}",
        sections(real)
    );
}

#[test]
fn html_main_text_headings_and_legacy_charset() {
    let d = &tree("html/expense-reimbursement.html").nodes[0].doc;
    assert_eq!(d.title, "Expense reimbursement — Intranet");
    assert_eq!(
        sections(d),
        [
            "Expense reimbursement",
            "Expense reimbursement › Travel",
            "Expense reimbursement › Travel › Per diem",
            "Expense reimbursement › Equipment"
        ]
    );
    assert!(d.text.contains("within 30 days."), "{}", d.text);
    assert!(d.text.contains("Berlin | EUR 160"), "{}", d.text);
    for dropped in [
        "analytics",
        "Signed in",
        "Privacy",
        "Finance",
        "font-family",
    ] {
        assert!(!d.text.contains(dropped), "{dropped} in {}", d.text);
    }
    let w = &tree("html/whistleblower-protection.html").nodes[0].doc;
    assert!(w.text.contains("José Martínez"), "{}", w.text);
    assert!(w.text.contains("requires it – for example"), "{}", w.text);
    assert!(!w.text.contains("tracking") && !w.text.contains("Compliance\n"));
}

#[test]
fn a_reply_names_what_it_answers_and_its_utc_offset() {
    let raw = b"From: Carol Diaz <carol@example.com>\r\nTo: Bob Chen <bob@example.com>\r\n\
        Date: Wed, 3 Apr 2024 10:05:00 +0000\r\nSubject: Re: Supplier termination notice\r\n\
        Message-ID: <vd-1b@example.com>\r\nIn-Reply-To: <vd-1@example.com>\r\n\
        References: <vd-0@example.com> <vd-1@example.com>\r\n\r\nCheck the order history.\r\n";
    let t = extract_tree(
        "reply.eml".into(),
        raw.to_vec(),
        "0".into(),
        LIMITS,
        Duration::from_secs(30),
    )
    .unwrap();
    let d = &t.nodes[0].doc;
    assert!(
        d.text.contains(
            "Date: 2024-04-03T10:05:00+00:00\nSubject: Re: Supplier termination notice\n\
             Message-ID: <vd-1b@example.com>\nIn-Reply-To: <vd-1@example.com>\n\
             References: <vd-0@example.com> <vd-1@example.com>\n\n"
        ),
        "{}",
        d.text
    );
    // the metadata keeps the date as parsed
    assert_eq!(d.meta.extra["date"], "2024-04-03T10:05:00Z");
    // the embedder sees no IDs; a policy's references stay
    let embedded = crate::embed_text(&d.title, None, &d.text);
    assert!(!embedded.contains("vd-1"), "{embedded}");
    assert!(
        embedded.contains("Subject: Re: Supplier termination notice\n\nCheck"),
        "{embedded}"
    );
    let policy = "References: 5 CFR 630\nLeave is accrued.";
    assert_eq!(
        crate::embed_text("Leave", None, policy),
        format!("Leave\n{policy}")
    );
}

#[test]
fn email_headers_body_and_attachments() {
    let t = tree("email/remote-work-announcement.eml");
    assert!(t.failed.is_empty(), "{:?}", t.failed);
    let d = &t.nodes[0].doc;
    assert_eq!(t.nodes[0].kind, DocKind::Email);
    assert_eq!(d.title, "New remote work policy");
    assert_eq!(
        d.meta.author.as_deref(),
        Some("Maria Lopez <maria.lopez@example.com>")
    );
    assert_eq!(d.meta.date, Some(1_710_749_700)); // 2024-03-18T09:15:00+01:00
    assert_eq!(d.meta.extra["to"], "All Staff <staff@example.com>");
    assert_eq!(d.meta.extra["message_id"], "<policy-2024-03@example.com>");
    assert!(d.text.contains("up to three days per week"), "{}", d.text);
    // the header block names what the message carried
    assert!(
        d.text.contains(
            "Subject: New remote work policy\nMessage-ID: <policy-2024-03@example.com>\n\
                 Attachments: remote-work-policy.pdf\n\n"
        ),
        "{}",
        d.text
    );
    assert_eq!(d.meta.extra["attachments"], "remote-work-policy.pdf");
    assert!(
        !d.text.contains("<p>"),
        "the text part is used, not the HTML"
    );
    let pdf = &t.nodes[1];
    assert_eq!(
        (pdf.kind, pdf.parent, pdf.names.as_slice()),
        (
            DocKind::Pdf,
            Some(0),
            &["remote-work-policy.pdf".to_owned()][..]
        )
    );
    assert_eq!(pdf.doc.page_at(at(&pdf.doc, "Use the VPN")), Some(3));

    let fwd = tree("email/remote-work-contractors-fwd.eml");
    let inner = &fwd.nodes[1];
    assert_eq!(inner.kind, DocKind::Email);
    assert_eq!(inner.doc.title, "Re: New remote work policy");
    assert_eq!(
        inner.doc.meta.extra["in_reply_to"],
        "<policy-2024-03@example.com>"
    );
    assert_eq!(inner.doc.meta.extra["cc"], "Legal <legal@example.com>");
}

#[test]
fn mbox_messages_become_children() {
    let t = tree("email/remote-work-thread.mbox");
    assert_eq!(t.nodes[0].kind, DocKind::Mbox);
    assert!(
        t.nodes[0]
            .doc
            .text
            .contains("2. Re: New remote work policy — Tom Becker")
    );
    let names: Vec<Vec<String>> = t.nodes[1..].iter().map(|n| n.names.clone()).collect();
    assert_eq!(
        names,
        [
            vec!["message-1.eml".to_owned()],
            vec!["message-2.eml".to_owned()],
            vec![
                "message-1.eml".to_owned(),
                "remote-work-policy.pdf".to_owned()
            ]
        ]
    );
    assert_eq!(t.nodes[3].parent, Some(1));
}

#[test]
fn cpython_mime_edge_cases() {
    let check = |path: &str, title: &str, body: &str, children: usize| {
        let t = tree(path);
        let d = &t.nodes[0].doc;
        assert_eq!(d.title, title, "{path}");
        assert!(d.text.contains(body), "{path}: {}", d.text);
        assert_eq!(
            t.nodes.len() - 1,
            children,
            "{path}: {:?}",
            t.nodes.iter().map(|n| &n.names).collect::<Vec<_>>()
        );
        assert!(t.failed.is_empty(), "{path}: {:?}", t.failed);
    };
    check(
        "email/cpython-msg_01.eml",
        "This is a test message",
        "Do you like this message?",
        0,
    );
    // Inline text parts belong to the body.
    check(
        "email/cpython-msg_04.eml",
        "a simple multipart",
        "to reflect upon our own",
        0,
    );
    // A message that is a forwarded message: the forwarded one is a child.
    check(
        "email/cpython-msg_06.eml",
        "forwarded message from Barry A. Warsaw",
        "Subject: forwarded",
        1,
    );
    // An image attachment has no text; it is left out, not reported.
    check(
        "email/cpython-msg_22.eml",
        "cpython msg 22",
        "Text text text.",
        0,
    );
    check("email/cpython-msg_15.eml", "XX", "Some removed test.", 0);
    let (name, bytes) = fixture("email/cpython-msg_40.eml");
    assert!(
        matches!(extract(&name, &bytes, &LIMITS), Err(ExtractError::Corrupt(m)) if m.contains("no From"))
    );
}

#[test]
fn bad_files_get_one_line_reasons() {
    let check = |path: &str, expected: &str| {
        let (name, bytes) = fixture(path);
        let e = extract_tree(name, bytes, "0".into(), LIMITS, Duration::from_secs(30)).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(expected), "{path}: {msg}");
        assert!(!msg.contains('\n'), "{path}: {msg}");
    };
    check("bad/encrypted.pdf", "encrypted: PDF needs a password");
    check(
        "bad/encrypted.docx",
        "encrypted: password-protected Office document",
    );
    check("bad/scanned.pdf", "no extractable text (scanned?)");
    check("bad/truncated.pdf", "corrupt: PDF");
    check("bad/garbage.pdf", "corrupt: not a PDF");
    check("bad/garbage.txt", "not text: looks like binary data");
    check("bad/empty.md", "no extractable text");
    check(
        "bad/zip-bomb.docx",
        "too large when unpacked: word/document.xml",
    );
    // A zip holding only an Excel part is sniffed as a workbook, whatever its name.
    check("bad/spreadsheet.docx", "corrupt: Excel workbook");
}

#[test]
fn content_decides_the_format() {
    let (_, pdf) = fixture("pdf/remote-work-policy.pdf");
    assert_eq!(extract("notes.txt", &pdf, &LIMITS).unwrap().0, DocKind::Pdf);
    let (_, html) = fixture("html/expense-reimbursement.html");
    assert_eq!(
        extract("saved.pdf", &html, &LIMITS).unwrap().0,
        DocKind::Html
    );
    let (_, mail) = fixture("email/cpython-msg_01.eml");
    assert_eq!(
        extract("message", &mail, &LIMITS).unwrap().0,
        DocKind::Email
    );
    assert_eq!(DocKind::sniff(b"\x89PNG\r\n", None), Ok(DocKind::Image));
    assert_eq!(DocKind::sniff(b"II*\0\x08", None), Ok(DocKind::Image));
    assert_eq!(
        DocKind::sniff(b"GIF89a", None),
        Err(ExtractError::Unsupported("GIF image".into()))
    );
    assert_eq!(
        DocKind::sniff(b"plain words", Some(DocKind::Image)),
        Err(ExtractError::Corrupt(
            "not an image: no PNG, JPEG or TIFF signature".into()
        ))
    );
    assert_eq!(
        DocKind::sniff(b"plain words", Some(DocKind::Markdown)),
        Ok(DocKind::Markdown)
    );
}

#[test]
fn extraction_past_the_time_budget_is_abandoned() {
    let big = "word ".repeat(4_000_000).into_bytes();
    let e = extract_tree(
        "big.md".into(),
        big,
        "0".into(),
        LIMITS,
        Duration::from_millis(1),
    )
    .unwrap_err();
    assert_eq!(e, ExtractError::TimedOut(0));
    assert_eq!(e.to_string(), "extraction took longer than 0 s; gave up");
}

#[test]
fn iso_and_pdf_dates() {
    assert_eq!(parse_iso_date("2024-05-01"), Some(1_714_521_600));
    assert_eq!(
        parse_iso_date("2024-05-01T10:00:00+02:00"),
        Some(1_714_550_400)
    );
    assert_eq!(
        parse_iso_date("2024-05-01T08:00:00.123Z"),
        Some(1_714_550_400)
    );
    assert_eq!(parse_iso_date("2024-13-01"), None);
    assert_eq!(parse_iso_date("May 2024"), None);
    assert_eq!(
        pdf::parse_pdf_date("D:20240501100000+02'00'"),
        Some(1_714_550_400)
    );
    assert_eq!(pdf::parse_pdf_date("D:2024"), Some(1_704_067_200));
}

/// Fuzzing every extractor through the guarded entry point the indexer uses:
/// arbitrary bytes and mutations of real samples, under every extension, must
/// give a result or an error within the time budget, never a panic or a hang.
mod fuzz {
    use proptest::prelude::*;

    use super::*;

    const SAMPLES: &[(&str, &[u8])] = &[
        ("a.pdf", include_bytes!("../../tests/fixtures/bad/truncated.pdf")),
        ("a.docx", include_bytes!("../../tests/fixtures/docx/handbook.docx")),
        (
            "a.eml",
            include_bytes!("../../tests/fixtures/email/remote-work-announcement.eml"),
        ),
        (
            "a.mbox",
            include_bytes!("../../tests/fixtures/email/remote-work-thread.mbox"),
        ),
        (
            "a.html",
            b"<html><head><title>T</title></head><body><h1>Leave</h1><p>Five days.</p></body></html>",
        ),
        ("a.md", b"---\ntitle: x\n---\n# Leave\n\n{% a %}Five days{% enda %}\n"),
        ("a.txt", b"Plain words, then more words.\n\nA second paragraph."),
        (
            "a.xlsx",
            include_bytes!("../../tests/fixtures/sheet/performance-calendar.xlsx"),
        ),
        (
            "a.xls",
            include_bytes!("../../tests/fixtures/sheet/performance-calendar.xls"),
        ),
        (
            "a.ods",
            include_bytes!("../../tests/fixtures/sheet/performance-calendar.ods"),
        ),
        ("a.pptx", include_bytes!("../../tests/fixtures/pptx/kickoff-agenda.pptx")),
        (
            "a.msg",
            include_bytes!("../../tests/fixtures/msg/equipment-stipend-draft.msg"),
        ),
        ("a.zip", include_bytes!("../../tests/fixtures/zip/production.zip")),
        (
            "a.odt",
            include_bytes!("../../tests/fixtures/odt/expense-reimbursement.odt"),
        ),
        (
            "a.rtf",
            include_bytes!("../../tests/fixtures/rtf/expense-reimbursement.rtf"),
        ),
    ];
    const EXTENSIONS: &[&str] = &[
        "pdf", "docx", "eml", "mbox", "html", "md", "txt", "bin", "xlsx", "xls", "ods", "pptx",
        "msg", "zip", "png", "odt", "rtf",
    ];

    fn guarded(name: &str, bytes: Vec<u8>) {
        let started = std::time::Instant::now();
        let result = extract_tree(
            name.to_string(),
            bytes,
            String::new(),
            LIMITS,
            Duration::from_secs(20),
        );
        if let Err(ExtractError::Crashed(msg)) = &result {
            // A contained panic is reported per file; that is the contract.
            assert!(!msg.is_empty());
        }
        assert!(started.elapsed() < Duration::from_secs(25), "{name} hung");
    }

    proptest! {
        // A fixed seed keeps CI reproducible; change it to explore further.
        #![proptest_config(ProptestConfig {
            cases: 96,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x7A41_u64),
            ..ProptestConfig::default()
        })]

        #[test]
        fn mutated_samples(
            sample in 0..SAMPLES.len(),
            ext in 0..EXTENSIONS.len(),
            flips in proptest::collection::vec((any::<usize>(), 0u8..8), 0..32),
            cut in any::<usize>(),
        ) {
            let (_, bytes) = SAMPLES[sample];
            let mut b = bytes.to_vec();
            for (at, bit) in flips {
                let i = at % b.len();
                b[i] ^= 1 << bit;
            }
            b.truncate(1 + cut % b.len());
            guarded(&format!("f.{}", EXTENSIONS[ext]), b);
        }

        #[test]
        fn arbitrary_bytes(
            ext in 0..EXTENSIONS.len(),
            bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        ) {
            guarded(&format!("f.{}", EXTENSIONS[ext]), bytes);
        }
    }
}

#[test]
fn the_text_budget_covers_a_file_and_what_it_contains() {
    let with_text = |max_text: u64| Limits { max_text, ..LIMITS };
    // A file whose own text is over the budget is refused with a clear reason.
    let long = "word ".repeat(400);
    let e =
        extract_tree_here("long.txt", long.as_bytes(), "0".into(), &with_text(1000)).unwrap_err();
    assert_eq!(e, ExtractError::TooMuchText(1000));
    assert!(e.to_string().contains("max_text_bytes"), "{e}");
    assert!(extract_tree_here("long.txt", long.as_bytes(), "0".into(), &with_text(4000)).is_ok());
    // So is a PDF, page by page.
    let (name, pdf) = fixture("pdf/remote-work-policy.pdf");
    let e = extract_tree_here(&name, &pdf, "0".into(), &with_text(100)).unwrap_err();
    assert_eq!(e, ExtractError::TooMuchText(100));

    // In a mailbox, messages share the file's budget: those that would go
    // over it are listed as failed while the rest is kept.
    let (name, mbox) = fixture("email/remote-work-thread.mbox");
    let full = extract_tree_here(&name, &mbox, "0".into(), &LIMITS).unwrap();
    let own = full.nodes[0].doc.text.len() as u64;
    let first = full.nodes[1].doc.text.len() as u64;
    let t = extract_tree_here(&name, &mbox, "0".into(), &with_text(own + first)).unwrap();
    let kept: Vec<&[String]> = t.nodes.iter().map(|n| &n.names[..]).collect();
    assert_eq!(kept, [&[][..], &["message-1.eml".to_owned()][..]]);
    let failed: Vec<&[String]> = t.failed.iter().map(|(n, _)| &n[..]).collect();
    assert_eq!(
        failed,
        [
            &["message-2.eml".to_owned()][..],
            &[
                "message-1.eml".to_owned(),
                "remote-work-policy.pdf".to_owned()
            ][..]
        ]
    );
    assert!(
        t.failed
            .iter()
            .all(|(_, e)| matches!(e, ExtractError::TooMuchText(_))),
        "{:?}",
        t.failed
    );
}

/// A zip archive built in memory from `(name, bytes)` members, deflated.
fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

#[test]
fn zip_members_and_nested_zips_become_child_documents() {
    let t = tree("zip/production.zip");
    assert_eq!(t.nodes[0].kind, DocKind::Zip);
    let listing = &t.nodes[0].doc.text;
    assert!(listing.starts_with("Archive with 3 files"), "{listing}");
    assert!(!listing.contains("__MACOSX"), "{listing}");
    let found: Vec<(String, DocKind)> = t
        .nodes
        .iter()
        .skip(1)
        .map(|n| (n.names.join("/"), n.kind))
        .collect();
    assert_eq!(
        found,
        [
            ("policies/remote-work-policy.pdf".to_owned(), DocKind::Pdf),
            ("policies/handbook.docx".to_owned(), DocKind::Docx),
            ("volume-2.zip".to_owned(), DocKind::Zip),
            (
                "volume-2.zip/schedules/performance-calendar.xlsx".to_owned(),
                DocKind::Xlsx
            ),
            (
                "volume-2.zip/mail/remote-work-announcement.eml".to_owned(),
                DocKind::Email
            ),
            // Three levels down: the e-mail's attachment.
            (
                "volume-2.zip/mail/remote-work-announcement.eml/remote-work-policy.pdf".to_owned(),
                DocKind::Pdf
            ),
        ]
    );
    assert!(t.failed.is_empty(), "{:?}", t.failed);
    // The member's parent is the archive that holds it.
    let sheet = &t.nodes[4];
    assert_eq!(t.nodes[sheet.parent.unwrap()].names, ["volume-2.zip"]);
    assert!(
        sheet.doc.text.contains("Wednesday | 6"),
        "{}",
        sheet.doc.text
    );
}

#[test]
fn zip_member_names_cannot_climb_out_and_depth_is_bounded() {
    assert_eq!(
        archive::clean_member_name("../../etc/passwd").as_deref(),
        Some("etc/passwd")
    );
    assert_eq!(
        archive::clean_member_name("/abs\\..\\x.txt").as_deref(),
        Some("abs/x.txt")
    );
    assert_eq!(archive::clean_member_name("../.."), None);
    let bytes = zip_of(&[("../../etc/notes.txt", b"Severance is two weeks of pay.")]);
    let t = extract_tree_here("a.zip", &bytes, "0".into(), &LIMITS).unwrap();
    assert_eq!(t.nodes[1].names, ["etc/notes.txt"]);
    // Zips nested deeper than MAX_DEPTH are listed as failed, not followed.
    let mut nested = zip_of(&[("leaf.txt", b"Deep words here.")]);
    for level in 0..MAX_DEPTH + 1 {
        nested = zip_of(&[(&format!("level-{level}.zip"), &nested)]);
    }
    let t = extract_tree_here("deep.zip", &nested, "0".into(), &LIMITS).unwrap();
    assert_eq!(t.nodes.len(), MAX_DEPTH + 1);
    assert_eq!(t.failed.len(), 1, "{:?}", t.failed);
    assert!(
        t.failed[0].1.to_string().contains("nested deeper"),
        "{:?}",
        t.failed
    );
}

#[test]
fn zip_bombs_flat_and_nested_stop_at_the_unpack_budget() {
    let limits = Limits {
        max_unpacked: 1 << 20,
        ..LIMITS
    };
    // One member that declares more than the budget: it is not read.
    let zeros = vec![b' '; 4 << 20];
    let flat = zip_of(&[("spaces.txt", &zeros)]);
    assert!(flat.len() < 64 << 10);
    let t = extract_tree_here("flat.zip", &flat, "0".into(), &limits).unwrap();
    assert_eq!(t.nodes.len(), 1);
    assert!(
        matches!(&t.failed[..], [(n, ExtractError::TooLarge(_))] if n == &["spaces.txt"]),
        "{:?}",
        t.failed
    );
    // One that lies about its size is cut off at the budget: the archive is refused.
    let mut lying = flat.clone();
    let declared = (1u32 << 10).to_le_bytes();
    // The uncompressed size in the local header (offset 22) and the central directory (offset 24).
    lying[22..26].copy_from_slice(&declared);
    let central = lying.len() - 22 - 46 - "spaces.txt".len();
    lying[central + 24..central + 28].copy_from_slice(&declared);
    match extract_tree_here("lying.zip", &lying, "0".into(), &limits) {
        Err(e) => assert!(
            matches!(e, ExtractError::TooLarge(_) | ExtractError::Corrupt(_)),
            "{e}"
        ),
        Ok(t) => assert!(t.nodes.iter().all(|n| n.size <= 1 << 20), "{t:?}"),
    }
    // Many small zips each just under the budget: the budget is shared
    // by the whole tree, so most of them are refused.
    let part = zip_of(&[("spaces.txt", &zeros[..(900 << 10)])]);
    let members: Vec<(String, Vec<u8>)> = (0..8)
        .map(|i| (format!("part-{i}.zip"), part.clone()))
        .collect();
    let refs: Vec<(&str, &[u8])> = members.iter().map(|(n, b)| (n.as_str(), &b[..])).collect();
    let outer = zip_of(&refs);
    let t = extract_tree_here("fan.zip", &outer, "0".into(), &limits).unwrap();
    let unpacked: usize = t.nodes.iter().skip(1).map(|n| n.size as usize).sum();
    assert!(unpacked <= 1 << 20, "{unpacked} bytes unpacked");
    assert!(
        t.failed
            .iter()
            .any(|(_, e)| matches!(e, ExtractError::TooLarge(_))),
        "{:?}",
        t.failed
    );
}

#[test]
fn sheets_are_sections_rows_are_lines_values_not_formulas() {
    for path in [
        "sheet/performance-calendar.xlsx",
        "sheet/performance-calendar.xls",
        "sheet/performance-calendar.ods",
    ] {
        let t = tree(path);
        let d = &t.nodes[0].doc;
        assert_eq!(
            sections(d),
            ["Performance dates", "Work schedule"],
            "{path}"
        );
        assert!(
            d.text
                .contains("October 1, 2024 | FY25 performance cycle begins\n"),
            "{path}: {}",
            d.text
        );
        // The total is a SUM formula: its computed value is indexed, not the formula.
        assert!(d.text.contains("Total | 40"), "{path}: {}", d.text);
        assert!(!d.text.contains("SUM"), "{path}: {}", d.text);
        // A cell is found under its sheet's name.
        let at_monday = at(d, "Monday | 10");
        let sheet = d
            .sections
            .iter()
            .rev()
            .find(|s| s.offset <= at_monday)
            .unwrap();
        assert_eq!(sheet.path, "Work schedule", "{path}");
    }
    assert_eq!(
        tree("sheet/performance-calendar.xls").nodes[0].kind,
        DocKind::Xls
    );
    assert_eq!(
        tree("sheet/performance-calendar.ods").nodes[0].kind,
        DocKind::Ods
    );
}

#[test]
fn spreadsheet_repeats_and_dates_are_bounded_and_readable() {
    // An ODS cell repeated a billion times is written MAX_REPEAT times.
    let content = r#"<?xml version="1.0"?><office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet><table:table table:name="S"><table:table-row table:number-rows-repeated="1000000000"><table:table-cell table:number-columns-repeated="1000000000"><text:p>v</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    let ods = zip_of(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("content.xml", content.as_bytes()),
    ]);
    let e = extract_tree_here("r.ods", &ods, "0".into(), &LIMITS).unwrap();
    let lines: Vec<&str> = e.nodes[0].doc.text.lines().skip(2).collect();
    assert_eq!(lines.len(), sheet::MAX_REPEAT);
    assert_eq!(lines[0].split(" | ").count(), sheet::MAX_REPEAT);
    assert_eq!(sheet::excel_date(45_658.0), "2025-01-01");
    assert_eq!(sheet::excel_date(45_658.5), "2025-01-01T12:00:00");
}

/// Limits with OCR on in `mode`.
fn ocr_limits(mode: ocr::OcrMode) -> Limits {
    Limits {
        ocr: ocr::OcrOptions {
            mode,
            ..ocr::OcrOptions::default()
        },
        ..LIMITS
    }
}

fn ocr_tree(path: &str, limits: Limits) -> Result<Tree, ExtractError> {
    let (name, bytes) = fixture(path);
    extract_tree(name, bytes, "0".into(), limits, Duration::from_secs(30))
}

/// The clause on page 2 of the scanned Affiliate Agreement.
const SCANNED_CLAUSE: &str = "thirty (30) day prior written notice of termination";

#[test]
fn a_scanned_pdf_is_read_by_ocr_page_by_page() {
    let t = ocr_tree(
        "ocr/affiliate-agreement-scan.pdf",
        ocr_limits(ocr::OcrMode::Auto),
    )
    .unwrap();
    let d = &t.nodes[0].doc;
    assert_eq!(t.nodes[0].kind, DocKind::Pdf);
    assert_eq!(d.ocr_pages, [1, 2]);
    assert_eq!(
        d.meta.extra.get("ocr_pages").map(String::as_str),
        Some("1,2")
    );
    assert_eq!(d.page_starts.len(), 2);
    assert_eq!(d.page_at(at(d, SCANNED_CLAUSE)), Some(2));
    assert_eq!(d.page_at(at(d, "AFFILIATE AGREEMENT")), Some(1));
    assert!(d.ocr_time > Duration::ZERO);
    // With OCR off the scan has no text, as before.
    let e = ocr_tree("ocr/affiliate-agreement-scan.pdf", LIMITS).unwrap_err();
    assert_eq!(e, ExtractError::NoTextLayer);
}

#[test]
fn a_page_with_a_text_layer_is_not_ocred_unless_forced() {
    let t = ocr_tree("pdf/remote-work-policy.pdf", ocr_limits(ocr::OcrMode::Auto)).unwrap();
    assert!(t.nodes[0].doc.ocr_pages.is_empty());
    assert!(t.nodes[0].doc.ocr_time.is_zero());
    assert!(!t.nodes[0].doc.meta.extra.contains_key("ocr_pages"));
    let forced = ocr_tree(
        "pdf/remote-work-policy.pdf",
        ocr_limits(ocr::OcrMode::Force),
    )
    .unwrap();
    let d = &forced.nodes[0].doc;
    assert_eq!(d.ocr_pages.len(), d.page_starts.len());
    assert!(d.text.to_lowercase().contains("remote"), "{}", d.text);
    assert!(!ocr::has_text_layer("Page 3 of 12"));
    assert!(ocr::has_text_layer("This Agreement is made between"));
}

#[test]
fn images_and_multi_page_tiffs_are_ocred() {
    let t = ocr_tree(
        "ocr/affiliate-agreement-scan.tif",
        ocr_limits(ocr::OcrMode::Auto),
    )
    .unwrap();
    let d = &t.nodes[0].doc;
    assert_eq!(t.nodes[0].kind, DocKind::Image);
    assert_eq!(d.ocr_pages, [1, 2]);
    assert_eq!(d.page_at(at(d, SCANNED_CLAUSE)), Some(2));
    let t = ocr_tree(
        "ocr/affiliate-agreement-page-1.png",
        ocr_limits(ocr::OcrMode::Auto),
    )
    .unwrap();
    assert_eq!(t.nodes[0].doc.ocr_pages, [1]);
    assert!(t.nodes[0].doc.text.contains("AFFILIATE AGREEMENT"));
    // OCR off: an image is skipped with a reason that says so.
    let e = ocr_tree("ocr/affiliate-agreement-page-1.png", LIMITS).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unsupported file type: PNG image (OCR is off)"
    );
    // A truncated image is a one-line failure, not a crash.
    let (_, png) = fixture("ocr/affiliate-agreement-page-1.png");
    let e = extract_tree_here(
        "cut.png",
        &png[..png.len() / 3],
        "0".into(),
        &ocr_limits(ocr::OcrMode::Auto),
    );
    if let Err(e) = e {
        assert!(!e.to_string().contains('\n'), "{e}");
    }
}

#[test]
fn an_ocr_page_past_its_time_budget_is_given_up() {
    let mut limits = ocr_limits(ocr::OcrMode::Auto);
    limits.ocr.page_timeout = Duration::from_millis(1);
    let started = std::time::Instant::now();
    let e = ocr_tree("ocr/affiliate-agreement-scan.pdf", limits).unwrap_err();
    assert_eq!(e, ExtractError::NoTextLayer);
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// Word accuracy of OCR on pages of the legal corpus rendered to images,
/// against the same pages' text layers: the share of the text layer's words
/// that OCR gives back in order (longest common subsequence of the word
/// sequences, lowercased, letters and digits only).
#[test]
fn ocr_word_accuracy_on_rendered_legal_pages_is_at_least_95_percent() {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let lcs = |a: &[String], b: &[String]| -> usize {
        let mut row = vec![0usize; b.len() + 1];
        for x in a {
            let mut diag = 0;
            for (j, y) in b.iter().enumerate() {
                let up = row[j + 1];
                row[j + 1] = if x == y { diag + 1 } else { up.max(row[j]) };
                diag = up;
            }
        }
        row[b.len()]
    };
    let legal = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora/legal");
    // First pages of contracts set in different typefaces and layouts.
    let pages = [
        (
            "UnionDentalHoldingsInc_20050204_8-KA_EX-10_3345577_EX-10_Affiliate_Agreement.pdf",
            2,
        ),
        ("VIVINT_SOLAR,_INC._-_NON-COMPETITION_AGREEMENT.PDF", 1),
        (
            "TRANSMONTAIGNEPARTNERSLLC_03_13_2020-EX-10.9-SERVICES_AGREEMENT.PDF",
            1,
        ),
        (
            "ZtoExpressCaymanInc_20160930_F-1_EX-10.10_9752871_EX-10.10_Transportation_Agreement.pdf",
            2,
        ),
        (
            "LEGACYTECHNOLOGYHOLDINGS,INC_12_09_2005-EX-10.2-DISTRIBUTOR_AGREEMENT.PDF",
            1,
        ),
    ];
    let opts = ocr::OcrOptions::default();
    let (mut matched, mut total, mut seconds) = (0usize, 0usize, 0f64);
    for (file, page) in pages {
        let bytes = std::fs::read(legal.join(file)).unwrap();
        let layer = extract(file, &bytes, &LIMITS).unwrap().1;
        let i = page as usize - 1;
        let end = layer
            .page_starts
            .get(i + 1)
            .copied()
            .unwrap_or(layer.text.len());
        let reference = words(&layer.text[layer.page_starts[i]..end]);
        let started = std::time::Instant::now();
        let ocr = ocr::pdf_pages(&bytes, &[page], &opts, &ocr::Allowance::default()).unwrap();
        seconds += started.elapsed().as_secs_f64();
        let read = words(ocr[0].1.as_ref().unwrap());
        let m = lcs(&reference, &read);
        eprintln!(
            "{file} p{page}: {m}/{} words ({:.1} %)",
            reference.len(),
            100.0 * m as f64 / reference.len() as f64
        );
        matched += m;
        total += reference.len();
    }
    let accuracy = matched as f64 / total as f64;
    eprintln!(
        "OCR word accuracy {:.2} % over {total} words; {:.2} pages/s",
        100.0 * accuracy,
        pages.len() as f64 / seconds
    );
    assert!(total > 1000, "{total}");
    assert!(accuracy >= 0.95, "OCR word accuracy {accuracy:.3}");
}

#[test]
fn slides_are_sections_with_their_notes() {
    let t = tree("pptx/kickoff-agenda.pptx");
    let d = &t.nodes[0].doc;
    assert_eq!(t.nodes[0].kind, DocKind::Pptx);
    assert_eq!(
        sections(d),
        [
            "Slide 1: Internal Kickoff",
            "Slide 2: Team building exercise",
            "Slide 3: Review next steps"
        ]
    );
    // A slide's text, then its notes, inside its own section.
    let bullet = at(d, "Team introductions (10 minutes)");
    let notes = at(d, "All 18F AMs are expected to hold a team kickoff");
    assert!(d.sections[0].offset < bullet && bullet < notes);
    assert!(notes < d.sections[1].offset);
    assert!(d.text[bullet..notes].contains("Notes:"), "{}", d.text);
    // Slide 3 has no notes.
    assert!(!d.text[d.sections[2].offset..].contains("Notes:"));
    // A title placeholder names the slide, whatever comes first.
    let slide = pptx::shapes_text(
        r#"<p:sld xmlns:p="p" xmlns:a="a"><p:sp><a:p><a:r><a:t>Footer first</a:t></a:r></a:p></p:sp><p:sp><p:nvSpPr><p:nvPr><p:ph type="title"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:r><a:t>Quarterly &amp; annual</a:t></a:r></a:p></p:txBody></p:sp></p:sld>"#,
    )
    .unwrap();
    assert_eq!(slide.title.as_deref(), Some("Quarterly & annual"));
    assert_eq!(slide.paragraphs, ["Footer first", "Quarterly & annual"]);
}

#[test]
fn outlook_messages_read_like_eml_files() {
    // Converted from the .eml fixture: the same header fields and body.
    let msg = tree("msg/remote-work-announcement.msg");
    let eml = tree("email/remote-work-announcement.eml");
    let (m, e) = (&msg.nodes[0], &eml.nodes[0]);
    assert_eq!(m.kind, DocKind::Msg);
    assert_eq!(m.kind.name(), "email");
    // The date is the same instant (Outlook keeps it in UTC), checked below.
    for key in ["from", "to", "subject", "message_id", "attachments"] {
        assert_eq!(
            m.doc.meta.extra.get(key),
            e.doc.meta.extra.get(key),
            "{key}"
        );
    }
    assert_eq!(m.doc.title, "New remote work policy");
    assert_eq!(m.doc.meta.date, e.doc.meta.date);
    assert!(
        m.doc
            .text
            .starts_with("From: Maria Lopez <maria.lopez@example.com>\n")
    );
    assert!(m.doc.text.contains("takes effect"), "{}", m.doc.text);
    // The attached PDF is a child document, as from the .eml.
    let children: Vec<(&[String], DocKind)> = msg
        .nodes
        .iter()
        .skip(1)
        .map(|n| (&n.names[..], n.kind))
        .collect();
    assert_eq!(
        children,
        [(&["remote-work-policy.pdf".to_owned()][..], DocKind::Pdf)]
    );

    // A forwarded message is an attached Outlook item: a .msg child with
    // its own headers, threadable by its In-Reply-To.
    let fwd = tree("msg/remote-work-contractors-fwd.msg");
    let inner = &fwd.nodes[1];
    assert_eq!(inner.kind, DocKind::Msg, "{:?}", fwd.failed);
    assert_eq!(
        inner.doc.meta.extra.get("in_reply_to").map(String::as_str),
        Some("<policy-2024-03@example.com>")
    );
    assert_eq!(
        inner.doc.meta.extra.get("from").map(String::as_str),
        Some("Tom Becker <tom.becker@example.com>")
    );

    // A draft has no Internet headers: MAPI properties give the fields.
    let draft = tree("msg/equipment-stipend-draft.msg");
    let d = &draft.nodes[0].doc;
    assert_eq!(d.title, "Equipment stipend for remote staff");
    assert_eq!(
        d.meta.extra.get("from").map(String::as_str),
        Some("Maria Lopez <maria.lopez@example.com>")
    );
    assert_eq!(
        d.meta.extra.get("to").map(String::as_str),
        Some("Tom Becker <tom.becker@example.com>")
    );
    assert_eq!(d.meta.date, parse_iso_date("2024-03-20T08:30:00Z"));
    assert!(d.text.contains("one-time equipment stipend"), "{}", d.text);
    assert_eq!(draft.nodes[1].names, ["stipend-rules.txt"]);
}

#[test]
fn an_outlook_message_threads_with_its_eml_reply() {
    let (name, mbox) = fixture("email/remote-work-thread.mbox");
    let replies = extract_tree_here(&name, &mbox, "0".into(), &LIMITS).unwrap();
    let reply = replies
        .nodes
        .iter()
        .find(|n| {
            n.doc.meta.extra.get("message_id").map(String::as_str) == Some("<reply-1@example.com>")
        })
        .unwrap();
    let original = tree("msg/remote-work-announcement.msg");
    // Threading (trawl-service, query time) links messages through these headers; the e2e
    // test `formats` checks the threads themselves.
    let id = original.nodes[0].doc.meta.extra.get("message_id").cloned();
    assert!(id.is_some(), "{:?}", original.nodes[0].doc.meta.extra);
    assert_eq!(reply.doc.meta.extra.get("in_reply_to"), id.as_ref());
}

#[test]
fn odt_headings_lists_tables_and_meta() {
    // LibreOffice's own headings (`text:h`), from an HTML page.
    let t = tree("odt/expense-reimbursement.odt");
    let d = &t.nodes[0].doc;
    assert_eq!(t.nodes[0].kind, DocKind::Odt);
    assert_eq!(t.nodes[0].kind.name(), "odt");
    assert_eq!(d.title, "Expense reimbursement — Intranet");
    assert_eq!(
        sections(d),
        [
            "Expense reimbursement",
            "Expense reimbursement › Travel",
            "Expense reimbursement › Travel › Per diem",
            "Expense reimbursement › Equipment"
        ]
    );
    assert!(
        d.text.contains("submitted with receipts within 30 days."),
        "{}",
        d.text
    );
    assert!(
        d.text
            .contains("City | Nightly cap\nBerlin | EUR 160\nLondon | GBP 210"),
        "{}",
        d.text
    );
    assert!(
        d.text.contains(
            "• Headsets and keyboards up to EUR 120 without approval.\n• Monitors and chairs need approval from IT."
        ),
        "{}",
        d.text
    );
    let per_diem = &d.sections[2];
    assert!(d.text[per_diem.offset..].starts_with("Per diem\n\nMeals on travel days"));
}

#[test]
fn odt_and_rtf_converted_from_a_docx_read_like_it() {
    // The corpus's team charter, converted by LibreOffice: headings are
    // paragraphs in "Heading N" styles (no outline level), as in the DOCX.
    let docx = &tree("docx/team-charter.docx").nodes[0].doc;
    for path in ["odt/team-charter.odt", "rtf/team-charter.rtf"] {
        let t = tree(path);
        let d = &t.nodes[0].doc;
        assert_eq!(d.title, "[Project name] team charter", "{path}");
        assert_eq!(sections(d), sections(docx), "{path}");
        for sentence in [
            "All 18F teams are expected to have a team charter to document roles, working hours, and feedback practices.",
            "Who on the team is a morning person or an afternoon person?",
            "Name | Role | Location | Pronouns | Allocation",
            "Save your team members’ phone numbers in your work or personal cell phone.",
        ] {
            assert!(
                d.text.contains(sentence),
                "{path}: {sentence:?} not in {}",
                d.text
            );
        }
        let hours = d
            .sections
            .iter()
            .find(|s| s.path == "Our team › Core working hours")
            .unwrap();
        assert!(
            d.text[hours.offset..]
                .starts_with("Core working hours\n\n• What are your normal working hours?"),
            "{path}: {}",
            &d.text[hours.offset..]
        );
    }
    assert_eq!(tree("rtf/team-charter.rtf").nodes[0].kind, DocKind::Rtf);
}

#[test]
fn rtf_headings_tables_and_lists_from_libreoffice() {
    let t = tree("rtf/expense-reimbursement.rtf");
    let d = &t.nodes[0].doc;
    assert_eq!(t.nodes[0].kind, DocKind::Rtf);
    assert_eq!(t.nodes[0].kind.name(), "rtf");
    assert_eq!(
        sections(d),
        [
            "Expense reimbursement",
            "Expense reimbursement › Travel",
            "Expense reimbursement › Travel › Per diem",
            "Expense reimbursement › Equipment"
        ]
    );
    assert!(
        d.text
            .contains("City | Nightly cap\nBerlin | EUR 160\nLondon | GBP 210"),
        "{}",
        d.text
    );
    assert!(
        d.text
            .contains("• Headsets and keyboards up to EUR 120 without approval."),
        "{}",
        d.text
    );
    assert!(d.text.contains(
        "Meals on travel days are covered by a per diem of EUR 45; no receipts are needed."
    ));
}

#[test]
fn odt_and_rtf_are_sniffed_from_content_and_damage_is_reported() {
    let (_, odt) = fixture("odt/expense-reimbursement.odt");
    let (_, rtf) = fixture("rtf/expense-reimbursement.rtf");
    for name in ["x.docx", "x.txt", "x.zip", "x"] {
        assert_eq!(
            extract(name, &odt, &LIMITS).unwrap().0,
            DocKind::Odt,
            "{name}"
        );
        assert_eq!(
            extract(name, &rtf, &LIMITS).unwrap().0,
            DocKind::Rtf,
            "{name}"
        );
    }
    // A truncated .odt (no central directory): still an .odt by its first
    // member, then a clear reason.
    let cut = &odt[..odt.len() / 2];
    assert_eq!(DocKind::sniff(cut, None), Ok(DocKind::Odt));
    let e = extract("cut.odt", cut, &LIMITS).unwrap_err();
    assert!(
        e.to_string().starts_with("corrupt: OpenDocument text"),
        "{e}"
    );
    assert_eq!(
        DocKind::sniff(b"plain words", Some(DocKind::Rtf)),
        Err(ExtractError::Corrupt(
            "not an RTF document: no {\\rtf header".into()
        ))
    );
    // Other OpenDocument types are named.
    let odp = zip_of(&[(
        "mimetype",
        b"application/vnd.oasis.opendocument.presentation",
    )]);
    assert_eq!(
        DocKind::sniff(&odp, None),
        Err(ExtractError::Unsupported(
            "OpenDocument presentation".into()
        ))
    );
    // An encrypted document, and a content.xml past the unpack budget.
    let encrypted = zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        (
            "META-INF/manifest.xml",
            b"<manifest:manifest><manifest:file-entry manifest:full-path=\"content.xml\"><manifest:encryption-data/></manifest:file-entry></manifest:manifest>",
        ),
        ("content.xml", b"\x8f\x02garbage"),
    ]);
    assert_eq!(
        ex("secret.odt", &encrypted).unwrap_err(),
        ExtractError::Encrypted("OpenDocument text needs a password".into())
    );
    let big = format!(
        "<office:document-content><office:body><office:text><text:p>{}</text:p></office:text></office:body></office:document-content>",
        "a ".repeat(1 << 20)
    );
    let bomb = zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", big.as_bytes()),
    ]);
    let e = ex("bomb.odt", &bomb).unwrap_err();
    assert!(matches!(e, ExtractError::TooLarge(_)), "{e}");
}

/// `msg` with its plain-text and HTML bodies removed and `rtf` stored as
/// its compressed RTF body (`PR_RTF_COMPRESSED`), as some Outlook items keep it.
fn msg_with_only_an_rtf_body(msg: &[u8], rtf: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut src = cfb::CompoundFile::open(std::io::Cursor::new(msg)).unwrap();
    let entries: Vec<(String, bool)> = src
        .walk()
        .map(|e| (e.path().to_string_lossy().into_owned(), e.is_stream()))
        .collect();
    let mut out = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    let mut removed = 0;
    for (path, is_stream) in entries {
        if path == "/" {
            continue;
        }
        if !is_stream {
            out.create_storage(&path).unwrap();
            continue;
        }
        let body = [
            "/__substg1.0_1000",
            "/__substg1.0_1013",
            "/__substg1.0_1009",
        ];
        if body.iter().any(|b| path.starts_with(b)) {
            removed += 1;
            continue;
        }
        let mut bytes = Vec::new();
        src.open_stream(&path)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        out.create_stream(&path).unwrap().write_all(&bytes).unwrap();
    }
    assert!(removed > 0, "no body stream to remove");
    let rtf: String = rtf.iter().map(|&b| char::from(b)).collect();
    out.create_stream("/__substg1.0_10090102")
        .unwrap()
        .write_all(&compressed_rtf::compress_rtf(&rtf).unwrap())
        .unwrap();
    out.flush().unwrap();
    out.into_inner().into_inner()
}

#[test]
fn outlook_messages_with_only_an_rtf_body_are_read() {
    let (_, draft) = fixture("msg/equipment-stipend-draft.msg");
    let before = tree("msg/equipment-stipend-draft.msg");
    // RTF text, as LibreOffice writes it.
    let (_, rtf) = fixture("rtf/expense-reimbursement.rtf");
    let msg = msg_with_only_an_rtf_body(&draft, &rtf);
    let t = extract_tree(
        "rtf.msg".into(),
        msg,
        "0".into(),
        LIMITS,
        Duration::from_secs(30),
    )
    .unwrap();
    let d = &t.nodes[0].doc;
    assert_eq!(t.nodes[0].kind, DocKind::Msg);
    assert!(!d.text.contains("one-time equipment stipend"), "{}", d.text);
    assert!(
        d.text
            .contains("Book economy class for flights under six hours."),
        "{}",
        d.text
    );
    assert!(d.text.contains("Berlin | EUR 160"), "{}", d.text);
    // Headers, attachments and threading fields are untouched.
    assert_eq!(d.meta.extra, before.nodes[0].doc.meta.extra);
    assert_eq!(t.nodes[1].names, ["stipend-rules.txt"]);

    // HTML wrapped in RTF (what Outlook stores for an HTML message): the HTML's text.
    let wrapped = br"{\rtf1\ansi\ansicpg1252\fromhtml1 \fbidis \deff0{\fonttbl{\f0\fswiss Arial;}{\f1\fmodern Courier New;}}
{\*\htmltag19 <html>}{\*\htmltag34 <head>}{\*\htmltag1 \par }{\*\htmltag241 <style>p \{margin:0\}</style>}{\*\htmltag41 </head>}
{\*\htmltag50 <body>}\htmlrtf {\htmlrtf0
{\*\htmltag64 <p>}\htmlrtf {\htmlrtf0 The stipend covers a desk, a chair and a monitor up to EUR 400.\htmlrtf }\htmlrtf0
\htmlrtf\par\htmlrtf0 {\*\htmltag72 </p>}
{\*\htmltag64 <p>}Receipts go to payroll by the 5th{\*\htmltag84 &nbsp;}\htmlrtf \'a0\htmlrtf0 of the month.{\*\htmltag72 </p>}
{\*\htmltag58 </body>}{\*\htmltag27 </html>}\htmlrtf }\htmlrtf0 }";
    let msg = msg_with_only_an_rtf_body(&draft, wrapped);
    let d = ex("html.msg", &msg).unwrap();
    assert!(
        d.text
            .contains("The stipend covers a desk, a chair and a monitor up to EUR 400."),
        "{}",
        d.text
    );
    assert!(
        d.text.contains("Receipts go to payroll by the 5th"),
        "{}",
        d.text
    );
    assert!(!d.text.contains("margin"), "{}", d.text);
    assert!(!d.text.contains("<p>"), "{}", d.text);

    // A damaged compressed body is a clear error naming it.
    let mut msg = msg_with_only_an_rtf_body(&draft, &rtf);
    let mut cf = cfb::CompoundFile::open(std::io::Cursor::new(&mut msg)).unwrap();
    {
        use std::io::{Seek, Write};
        let mut s = cf.open_stream("/__substg1.0_10090102").unwrap();
        s.seek(std::io::SeekFrom::Start(20)).unwrap();
        s.write_all(b"\xff\xff\xff\xff").unwrap();
    }
    cf.flush().unwrap();
    drop(cf);
    let t = extract_tree(
        "bad.msg".into(),
        msg,
        "0".into(),
        LIMITS,
        Duration::from_secs(30),
    )
    .unwrap();
    assert!(
        t.nodes[0].doc.text.starts_with("From: Maria Lopez"),
        "{}",
        t.nodes[0].doc.text
    );
    let (path, e) = &t.failed[0];
    assert_eq!(path, &["message body (RTF)"]);
    assert!(e.to_string().contains("Outlook message RTF body"), "{e}");
}
