//! `trawl ask` and `POST /api/ask` end to end: the real generator (SmolLM2 GGUF from
//! `scripts/setup.sh`), real files, a real socket.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::Path,
    process::Command,
    time::Duration,
};

use serde_json::Value;

use super::{BIN, index_folder, shared_index, start_server, trawl};

/// Numbers written with digits in `text`, normalized (no thousands separators).
fn figures(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .map(|w| w.trim_matches([',', '.']).replace(',', ""))
        .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .collect()
}

/// Checks what every answered response must satisfy: grounded, cited, and every figure of
/// the answer found in the passages it cites.
fn assert_grounded(v: &Value) {
    assert_eq!(v["grounded"], true, "{v:#}");
    assert_eq!(v["refused"], false, "{v:#}");
    let answer = v["answer"].as_str().unwrap();
    let citations = v["citations"].as_array().unwrap();
    assert!(!citations.is_empty(), "{v:#}");
    let mut sources = String::new();
    for c in citations {
        let n = c["n"].as_u64().unwrap();
        assert!(
            answer.contains(&format!("{n}]")),
            "[{n}] unused in {answer:?}"
        );
        for field in ["doc_id", "path", "title", "text"] {
            assert!(!c[field].as_str().unwrap().is_empty(), "{field} in {c:#}");
        }
        sources.push_str(c["text"].as_str().unwrap());
        sources.push('\n');
    }
    let source_figures = figures(&sources);
    let without_markers: String = {
        let mut s = answer.to_string();
        for c in citations {
            s = s.replace(&format!("[{}]", c["n"]), "");
        }
        s
    };
    for f in figures(&without_markers) {
        assert!(
            source_figures.contains(&f),
            "{f} of {answer:?} is not in the cited passages"
        );
    }
    assert!(v["timings"]["total_ms"].as_f64().unwrap() > 0.0);
}

/// `trawl ask --json` on `index`, asserted grounded ([`assert_grounded`]).
fn grounded_answer(index: &Path, question: &str) -> Value {
    let v = ask_json(index, question, &[]);
    assert_grounded(&v);
    v
}

fn ask_json(index: &Path, question: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "ask",
        question,
        "--index",
        index.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    trawl(&args)
}

/// An index of copies of `files` from `corpora/FOLDER`: the temporary folder (kept alive by the
/// caller) and the index directory.
fn index_of_corpus_files(folder: &str, files: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpora")
        .join(folder);
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    for f in files {
        std::fs::copy(root.join(f), docs.join(f)).unwrap();
    }
    let idx = dir.path().join("idx");
    index_folder(&docs, &idx);
    (dir, idx)
}

#[test]
fn ask_json_answers_grounded_with_citations() {
    let v = grounded_answer(
        shared_index(),
        "How many weeks of paid parental leave do I get?",
    );
    // the relevance signal is the best passage's cosine: the parental-leave page
    assert!(v["relevance"].as_f64().unwrap() > 0.6, "{v:#}");
    assert!(!v["model"].as_str().unwrap().is_empty());
    // a generated answer that was kept passed the guard; a rejected one says why
    if v["fallback"] == true {
        assert!(!v["fallback_reason"].as_str().unwrap().is_empty());
    } else {
        assert!(!v["generated"].as_str().unwrap().is_empty());
    }
}

#[test]
fn ask_refuses_when_nothing_is_relevant() {
    let v = ask_json(
        shared_index(),
        "Who won the company softball tournament last year?",
        &[],
    );
    assert_eq!(v["refused"], true, "{v:#}");
    assert_eq!(v["grounded"], false);
    assert_eq!(
        v["answer"],
        "I couldn't find this in the documents you can access."
    );
    assert!(v["citations"].as_array().unwrap().is_empty());
    assert!(v["generated"].is_null(), "nothing may be generated: {v:#}");
}

#[test]
fn ask_rejects_bad_questions_before_loading_anything() {
    for (question, needle) in [("   ", "empty"), (&*"why ".repeat(12_500), "at most 2000")] {
        let out = Command::new(BIN)
            .args(["ask", question, "--index", shared_index().to_str().unwrap()])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A contract's clause is found wherever it stands in the document the question names:
/// search shows one passage per document (here the preamble, which names the parties), and
/// the governing-law clause, many passages on, is the answer.
#[test]
fn the_clause_asked_for_is_read_from_the_named_contract() {
    let dgt = "HUBEIMINKANGPHARMACEUTICALLTD_09_19_2006-EX-10.1-OUTSOURCING_AGREEMENT.PDF";
    let (_dir, idx) = index_of_corpus_files(
        "legal",
        &[
            dgt,
            "MARTINMIDSTREAMPARTNERSLP_01_23_2004-EX-10.3-TRANSPORTATION_SERVICES_AGREEMENT.PDF",
            "INKTOMICORP_06_08_1998-EX-10.14-SOFTWARE_HOSTING_AGREEMENT.PDF",
            "BELLICUMPHARMACEUTICALS,INC_05_07_2019-EX-10.1-Supply_Agreement.PDF",
        ],
    );
    let v = grounded_answer(
        &idx,
        "Which state's law governs the photo retouching outsourcing agreement between DGT Corp. and Dolphin Industries?",
    );
    assert!(v["answer"].as_str().unwrap().contains("Nevada"), "{v:#}");
    for c in v["citations"].as_array().unwrap() {
        assert_eq!(c["path"], dgt, "{v:#}");
    }
}

/// The clause asked about does not name the parties, so search ranks other sponsorship
/// agreements' cure clauses above it; the contract that names both parties is found by their
/// names and its clause read.
#[test]
fn a_clause_that_does_not_name_the_parties_is_read_from_the_contract_that_does() {
    let netgrocer = "NETGROCERINC_07_31_1998-EX-10.15-SPONSORSHIP_AGREEMENT.PDF";
    // the eight contracts whose passages search ranks above NetGrocer's for this question
    let (_dir, idx) = index_of_corpus_files(
        "legal",
        &[
            netgrocer,
            "BELLICUMPHARMACEUTICALS,INC_05_07_2019-EX-10.1-Supply_Agreement.PDF",
            "CHIPMOSTECHNOLOGIESBERMUDALTD_04_18_2016-EX-4.72-Strategic_Alliance_Agreement.PDF",
            "CYBERIANOUTPOSTINC_07_09_1998-EX-10.13-PROMOTION_AGREEMENT.PDF",
            "GpaqAcquisitionHoldingsInc_20200123_S-4A_EX-10.6_11951677_EX-10.6_License_Agreement.pdf",
            "IPAYMENT_INC_05_14_2007-EX-10.1-SPONSORSHIP_AGREEMENT.PDF",
            "NeuroboPharmaceuticalsInc_20190903_S-4_EX-10.36_11802165_EX-10.36_Manufacturing_Agreement__Supply_Agreement.pdf",
            "PHREESIA_INC_05_28_2019-EX-10.18-STRATEGIC_ALLIANCE_AGREEMENT.PDF",
            "TRANSPHORM,INC_02_14_2020-EX-10.12(1)-JOINT_VENTURE_AGREEMENT.PDF",
            // a two-page filing agreement whose signature block names both Merck entities
            "PRECIGEN,INC_01_22_2020-EX-99.1-JOINT_FILING_AGREEMENT.PDF",
        ],
    );
    let v = grounded_answer(
        &idx,
        "Under the Excite sponsorship agreement with NetGrocer, how long does a party have to cure a material breach after written notice before the other side can terminate?",
    );
    assert!(
        v["answer"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("sixty"),
        "{v:#}"
    );
    for c in v["citations"].as_array().unwrap() {
        assert_eq!(c["path"], netgrocer, "{v:#}");
    }
    // The parties' names are in every passage's document, so they say nothing about which of
    // its passages answers; ranked with them, the preamble that lists them won over the
    // governing-law clause on page 29.
    let v = grounded_answer(
        &idx,
        "Which country's law governs the joint venture agreement between Aizu Fujitsu Semiconductor Limited, Fujitsu Semiconductor Limited and Transphorm, Inc.?",
    );
    assert!(v["answer"].as_str().unwrap().contains("Japan"), "{v:#}");
    for c in v["citations"].as_array().unwrap() {
        assert!(
            c["path"].as_str().unwrap().starts_with("TRANSPHORM"),
            "{v:#}"
        );
    }
    // The signature block names the question's parties and a person, and scored above the
    // line that answers; a signature answers only a question about signing.
    let v = grounded_answer(
        &idx,
        "Who is the designated filer in the joint filing agreement signed with Merck KGaA and Merck Serono SA concerning Intrexon Corporation?",
    );
    let answer = v["answer"].as_str().unwrap();
    assert!(answer.to_lowercase().contains("ares trading"), "{v:#}");
    assert!(!answer.contains("/s/"), "{v:#}");
    // A contract's preamble and recitals name the parties the question names and stood far
    // above the clause that answers; they answer only what they state (parties, dates).
    let v = grounded_answer(
        &idx,
        "Under the media license agreement between the Pro Football Hall of Fame (National Football Museum) and HOF Village Media Group, where must arbitration be held?",
    );
    assert!(v["answer"].as_str().unwrap().contains("Canton"), "{v:#}");
    // the preamble says ChipMOS is "incorporated under the laws of Taiwan", which is not what
    // governs the agreement: the governing-law clause is quoted
    let v = grounded_answer(
        &idx,
        "Which jurisdiction's law governs the strategic alliance agreement between ChipMOS Technologies and Tsinghua Unigroup?",
    );
    let answer = v["answer"].as_str().unwrap();
    assert!(answer.contains("governed by"), "{v:#}");
    assert!(!answer.contains("incorporated"), "{v:#}");
}

/// The leave policy states both sides of the 80-hour limit in two sentences that differ in a
/// few words ("80 hours or less", "over 80 hours"); the nearer one by embedding is the rule for
/// the other case.
#[test]
fn the_rule_for_the_side_of_a_limit_the_question_asks_about_is_quoted() {
    let (_dir, idx) =
        index_of_corpus_files("hr", &["leave.md", "paid-parental-leave.md", "overtime.md"]);
    let v = grounded_answer(
        &idx,
        "Who has to approve more than 80 hours of leave without pay?",
    );
    let answer = v["answer"].as_str().unwrap();
    assert!(answer.contains("Business Unit Director"), "{v:#}");
    assert!(!answer.contains("or less"), "{v:#}");
}

/// A forwarded message is one file with the message it attaches: a name in either is named
/// by the file, and a "who" question about what a message did is answered by its writer.
#[test]
fn a_forward_and_the_message_it_attaches_answer_who_and_when_together() {
    let (_dir, idx) = index_of_corpus_files(
        "mail",
        &[
            "remote-work-contractors-fwd.eml",
            "remote-work-thread.mbox",
            "remote-work-announcement.eml",
        ],
    );
    // "Becker" is only in the attached message, "Ana Costa" only in the forward
    let v = grounded_answer(
        &idx,
        "At what time of day did Ana Costa forward Tom Becker's question about contractors to the Legal team?",
    );
    assert_eq!(v["refused"], false, "{v:#}");
    assert!(v["answer"].as_str().unwrap().contains("08:40"), "{v:#}");
    // "Forwarding Tom's question…" names no one: its writer does
    let v = grounded_answer(
        &idx,
        "Who passed Tom Becker's question about contractors and remote work on to the Legal team?",
    );
    assert!(v["answer"].as_str().unwrap().contains("Ana Costa"), "{v:#}");
}

/// Two principals over the same files: one in `legal`, one in `hr`. The legal settlement's
/// figure must never reach the HR principal's prompt, answer or source lists.
#[test]
fn a_passage_the_asker_may_not_see_never_reaches_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(docs.join("legal")).unwrap();
    std::fs::create_dir_all(docs.join("hr")).unwrap();
    std::fs::write(
        docs.join("legal/_trawl.meta.json"),
        r#"{"groups": ["legal"]}"#,
    )
    .unwrap();
    std::fs::write(
        docs.join("legal/acme-settlement.md"),
        "# Acme settlement\n\nThe confidential settlement with Acme Corporation was 4,750,000 dollars, paid on March 3, 2025. The settlement amount must not be disclosed outside the legal team.\n",
    )
    .unwrap();
    std::fs::write(docs.join("hr/_trawl.meta.json"), r#"{"groups": ["hr"]}"#).unwrap();
    std::fs::write(
        docs.join("hr/bonus.md"),
        "# Settlement of expense claims\n\nExpense claims are settled within 30 days of submission. Acme travel agency invoices are paid monthly.\n",
    )
    .unwrap();
    let idx = dir.path().join("idx");
    index_folder(&docs, &idx);

    let question = "How much was the settlement with Acme Corporation?";
    let legal = ask_json(&idx, question, &["--groups", "legal"]);
    assert_grounded(&legal);
    assert_eq!(
        legal["citations"][0]["path"], "legal/acme-settlement.md",
        "{legal:#}"
    );

    let hr = ask_json(&idx, question, &["--groups", "hr"]);
    let text = serde_json::to_string(&hr).unwrap();
    for secret in [
        "4,750,000",
        "4750000",
        "acme-settlement",
        "must not be disclosed",
    ] {
        assert!(
            !text.contains(secret),
            "{secret} leaked to the hr principal: {hr:#}"
        );
    }
}

/// One server-sent event.
#[derive(Debug)]
struct Sse {
    event: String,
    data: Value,
}

fn read_events(reader: &mut impl BufRead) -> Vec<Sse> {
    let mut events = Vec::new();
    let (mut event, mut data) = (String::new(), String::new());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            if !data.is_empty() {
                let done = event == "done" || event == "error";
                events.push(Sse {
                    event: std::mem::take(&mut event),
                    data: serde_json::from_str(&data).unwrap(),
                });
                data.clear();
                if done {
                    break;
                }
            }
        } else if let Some(v) = l.strip_prefix("event:") {
            event = v.trim().to_string();
        } else if let Some(v) = l.strip_prefix("data:") {
            data.push_str(v.strip_prefix(' ').unwrap_or(v));
        }
    }
    events
}

fn post(base: &str, body: &str) -> (u16, String, Box<dyn BufRead>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let res = agent
        .post(&format!("{base}/api/ask"))
        .header("content-type", "application/json")
        .send(body)
        .expect("request");
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let reader = BufReader::new(res.into_body().into_reader());
    (status, ctype, Box::new(reader))
}

#[test]
fn http_ask_streams_tokens_then_citations_then_done() {
    let server = start_server(shared_index());
    let (status, ctype, mut body) = post(
        &server.1,
        r#"{"question": "How many weeks of paid parental leave do I get?"}"#,
    );
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/event-stream"), "{ctype}");
    let events = read_events(&mut body);
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    let n = names.len();
    assert!(n >= 3, "{names:?}");
    assert_eq!(&names[n - 2..], ["citations", "done"], "{names:?}");
    // the selected sentences come first, quoted whole; the model's wording replaces them only
    // when all of it passed the guard
    let done = &events[n - 1].data;
    let quoted = events[0].data["text"].as_str().unwrap();
    if done["fallback"] == true {
        assert_eq!(&names[..n - 2], ["token"], "{names:?}");
        assert_eq!(quoted, done["answer"].as_str().unwrap());
    } else if quoted == done["answer"].as_str().unwrap() {
        assert_eq!(&names[..n - 2], ["token"], "{names:?}");
    } else {
        assert_eq!(&names[..n - 2], ["token", "replace"], "{names:?}");
    }
    // what was streamed is the answer
    let mut shown = String::new();
    for e in &events[..n - 2] {
        if e.event == "replace" {
            shown.clear();
        }
        shown.push_str(e.data["text"].as_str().unwrap());
    }
    assert_eq!(shown, done["answer"].as_str().unwrap());
    assert_eq!(events[n - 2].data, done["citations"]);
    assert_grounded(done);

    // the same as one JSON response
    let (status, ctype, mut body) = post(
        &server.1,
        r#"{"question": "How many weeks of paid parental leave do I get?", "stream": false}"#,
    );
    assert_eq!(status, 200);
    assert!(ctype.starts_with("application/json"));
    let mut text = String::new();
    body.read_to_string(&mut text).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["answer"], done["answer"]);
}

#[test]
fn http_ask_rejects_bad_input_with_json_errors() {
    let server = start_server(shared_index());
    let long = serde_json::json!({ "question": "why ".repeat(12_500) }).to_string();
    for (body, code) in [
        (r#"{"question": ""}"#, "empty_question"),
        (r#"{"question": "   "}"#, "empty_question"),
        (long.as_str(), "question_too_long"),
        (r#"{"q": "leave"}"#, "invalid_parameters"),
        ("not json", "invalid_parameters"),
    ] {
        let (status, ctype, mut res) = post(&server.1, body);
        let mut text = String::new();
        res.read_to_string(&mut text).unwrap();
        assert!((400..500).contains(&status), "{code}: {status} {text}");
        assert!(ctype.starts_with("application/json"), "{code}: {ctype}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["error"]["code"], code, "{text}");
    }
}

#[test]
fn a_client_that_disconnects_mid_stream_frees_the_model() {
    // Its own audit log: an answer is audited when generation finishes, and only then, so a
    // question asked by a client that hung up must never appear in it.
    let conf = tempfile::tempdir().unwrap();
    std::fs::write(conf.path().join("trawl.toml"), "").unwrap();
    let audit = conf.path().join("audit.jsonl");
    let server = super::start_server_with(
        shared_index(),
        conf.path(),
        &[
            "--addr",
            "127.0.0.1:0",
            "--audit-log",
            audit.to_str().unwrap(),
        ],
    );
    let addr = server.1.trim_start_matches("http://");
    let abandoned = "Explain how intermittent paid parental leave works and who approves it.";
    // Ask, hang up once the event stream has begun (its headers came back), before the first
    // event. Not after the first event: a generated sentence is shown only once the guard has
    // passed it, so the first event can come a few milliseconds before generation ends, and a
    // test that hangs up then races the server on a loaded machine.
    for _ in 0..2 {
        let body = serde_json::json!({ "question": abandoned }).to_string();
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        write!(
            s,
            "POST /api/ask HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut reader = BufReader::new(s);
        let mut head = String::new();
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 0 && line != "\r\n" {
            head.push_str(&line);
            line.clear();
        }
        assert!(
            head.starts_with("HTTP/1.1 200") && head.contains("text/event-stream"),
            "the event stream did not begin: {head}"
        );
        drop(reader);
    }
    // the next request is served to the end
    let (status, _, mut body) = post(
        &server.1,
        r#"{"question": "How many weeks of paid parental leave do I get?"}"#,
    );
    assert_eq!(status, 200);
    let events = read_events(&mut body);
    assert_eq!(
        events.last().map(|e| e.event.as_str()),
        Some("done"),
        "{events:?}"
    );
    // The model serves one request at a time, first come first served: had the abandoned
    // generations gone on, both would have finished (and been audited) before this one began.
    let asked: Vec<String> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["action"] == "ask")
        .map(|e| e["query"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        asked,
        ["How many weeks of paid parental leave do I get?"],
        "an abandoned question was answered to the end: cancellation did not stop it"
    );
}
