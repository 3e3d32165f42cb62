//! Randomized permission test: documents with different ACLs, principals with
//! different groups, every read surface of the API (search in each mode,
//! snippets, facets, the document list, document view, original-file download,
//! similar documents, answers), and an ACL change that must apply on the very
//! next request. Choices come from a fixed seed, so a failure reproduces.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    path::Path,
    sync::Arc,
};

use serde_json::Value;
use trawl_generator::{GeneratorOptions, LlamaGenerator};
use trawl_search::Index;
use trawl_web::config::Config;

use crate::{Server, embedder, enc, get, launch, post_json, spec};

const SEED: u64 = 0x7261_776c_2d61_636c;
const DOCS: usize = 36;
const ROUNDS: usize = 60;

/// One of `items`, drawn from the seeded generator (so a failure reproduces).
fn pick<'a, T>(rng: &mut fastrand::Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

/// Access lists a document may carry (empty: everyone).
const ACLS: &[&[&str]] = &[
    &[],
    &["hr"],
    &["legal"],
    &["finance"],
    &["hr", "legal"],
    &["legal", "finance"],
];

/// What each group's documents are about, so semantic queries reach them.
fn topic(group: &str) -> &'static str {
    match group {
        "hr" => "payroll grievance and employee salary review",
        "legal" => "litigation subpoena and court deposition schedule",
        "finance" => "quarterly budget forecast and invoice audit",
        _ => "cafeteria menu and parking garage opening hours",
    }
}

const QUERIES: &[&str] = &[
    "payroll grievance",
    "employee salary review",
    "litigation subpoena",
    "court deposition",
    "quarterly budget forecast",
    "invoice audit",
    "cafeteria menu",
    "parking garage hours",
];

/// One generated document as the test knows it.
#[derive(Debug, Clone)]
struct Doc {
    file: String,
    /// A word no other document contains.
    unique: String,
    groups: Vec<String>,
    tag: String,
    custodian: String,
    year: u32,
    id: String,
}

/// A principal: key secret and groups (`None`: admin, sees everything).
#[derive(Debug, Clone)]
struct Who {
    name: &'static str,
    key: String,
    groups: Option<Vec<String>>,
}

impl Who {
    fn sees(&self, d: &Doc) -> bool {
        match &self.groups {
            None => true,
            Some(mine) => d.groups.is_empty() || d.groups.iter().any(|g| mine.contains(g)),
        }
    }
}

/// `zq` + two letters from `i`: a word the tokenizer keeps whole and no dictionary has.
fn unique_word(i: usize) -> String {
    let a = (b'a' + (i / 26) as u8) as char;
    let b = (b'a' + (i % 26) as u8) as char;
    format!("zqx{a}{b}vel")
}

fn write_doc(docs: &Path, d: &Doc) {
    let topics: Vec<&str> = if d.groups.is_empty() {
        vec![topic("")]
    } else {
        d.groups.iter().map(|g| topic(g)).collect()
    };
    let text = format!(
        "# Memo {u}\n\nReference {u}. This note covers {t}. Filed under {u} by {c}.\n",
        u = d.unique,
        t = topics.join(" as well as "),
        c = d.custodian,
    );
    std::fs::write(docs.join(&d.file), text).unwrap();
    write_acl(docs, d);
}

fn write_acl(docs: &Path, d: &Doc) {
    let meta = serde_json::json!({
        "groups": d.groups,
        "tags": [d.tag],
        "custodian": d.custodian,
        "date": format!("{}-06-01", d.year),
    });
    std::fs::write(docs.join(format!("{}.meta.json", d.file)), meta.to_string()).unwrap();
}

/// The question the answer part asks, and the one passage that answers it.
const QUESTION: &str = "How many calendar days do employees have to file a payroll grievance?";
const ANSWER_FILE: &str = "grievance-deadline.md";
const ANSWER_WORD: &str = "zqxgrievdeadline";
const ANSWER_TEXT: &str = "# Payroll grievance deadline\n\nEmployees must file a payroll grievance within 14 calendar days of the pay date (reference zqxgrievdeadline). The grievance form goes to the HR office.\n";

fn reindex(index: &Index, docs: &Path) -> trawl_indexer::IndexReport {
    trawl_indexer::index_directory(
        docs,
        index,
        embedder().as_ref(),
        &Default::default(),
        &trawl_indexer::NoProgress,
    )
    .unwrap()
}

struct World {
    server: Server,
    index: Arc<Index>,
    docs: Vec<Doc>,
    who: Vec<Who>,
    /// Bytes of each original file, by document id.
    files: HashMap<String, Vec<u8>>,
}

fn build() -> World {
    let generator = LlamaGenerator::load(&GeneratorOptions::from_env()).unwrap_or_else(|e| {
        panic!("the generator model is missing ({e}); run `bash scripts/setup.sh` first")
    });
    let mut rng = fastrand::Rng::with_seed(SEED);
    let dir = tempfile::tempdir().unwrap();
    let docs_dir = dir.path().join("docs");
    std::fs::create_dir_all(&docs_dir).unwrap();
    let mut docs: Vec<Doc> = (0..DOCS)
        .map(|i| Doc {
            file: format!("d{i:02}.md"),
            unique: unique_word(i),
            // Every ACL at least once, then at random.
            groups: (if i < ACLS.len() {
                ACLS[i]
            } else {
                *pick(&mut rng, ACLS)
            })
            .iter()
            .map(|g| g.to_string())
            .collect(),
            tag: pick(&mut rng, &["alpha", "beta", "gamma"]).to_string(),
            custodian: pick(&mut rng, &["ann", "ben", "cho"]).to_string(),
            year: rng.u32(2022..2025),
            id: String::new(),
        })
        .collect();
    for d in &docs {
        write_doc(&docs_dir, d);
    }
    std::fs::write(docs_dir.join(ANSWER_FILE), ANSWER_TEXT).unwrap();
    let answer = Doc {
        file: ANSWER_FILE.into(),
        unique: ANSWER_WORD.into(),
        groups: vec!["hr".into()],
        tag: "alpha".into(),
        custodian: "ann".into(),
        year: 2024,
        id: String::new(),
    };
    write_acl(&docs_dir, &answer);
    docs.push(answer);

    let index = Arc::new(Index::open_or_create(&dir.path().join("idx"), &spec()).unwrap());
    let report = reindex(&index, &docs_dir);
    assert_eq!(report.indexed, docs.len(), "{report:?}");
    let mut config = Config::default();
    config.limits.burst = 100_000;
    config.limits.max_k = 100;
    let server = launch(dir, index.clone(), Some(Arc::new(generator)), config);

    let file = server.keys.file.clone();
    let key = |name: &str, groups: &[&str]| {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        trawl_web::auth::create_key(&file, name, &groups, false)
            .unwrap()
            .secret
    };
    let groups = |g: &[&str]| Some(g.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let who = vec![
        Who {
            name: "admin",
            key: server.keys.admin.clone(),
            groups: None,
        },
        Who {
            name: "hr",
            key: server.keys.hr.clone(),
            groups: groups(&["hr"]),
        },
        Who {
            name: "it (no documents of its group)",
            key: server.keys.it.clone(),
            groups: groups(&["it"]),
        },
        Who {
            name: "legal",
            key: key("legal-lee", &["legal"]),
            groups: groups(&["legal"]),
        },
        Who {
            name: "finance+hr",
            key: key("fin-hr-fay", &["finance", "hr"]),
            groups: groups(&["finance", "hr"]),
        },
        Who {
            name: "no groups",
            key: key("nobody-ned", &[]),
            groups: groups(&[]),
        },
    ];

    // Ids as the admin lists them.
    let list = get(&server.base, "/api/documents?limit=100", Some(&who[0].key));
    assert_eq!(list.status, 200);
    let by_path: HashMap<String, String> = list.json()["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_owned(),
                d["doc_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut files = HashMap::new();
    for d in &mut docs {
        d.id = by_path[&d.file].clone();
        files.insert(
            d.id.clone(),
            std::fs::read(server.docs().join(&d.file)).unwrap(),
        );
    }
    World {
        server,
        index,
        docs,
        who,
        files,
    }
}

fn ids(v: &Value, list: &str) -> BTreeSet<String> {
    v[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {v}"))
        .iter()
        .map(|r| r["doc_id"].as_str().unwrap().to_owned())
        .collect()
}

impl World {
    fn visible(&self, w: &Who) -> BTreeSet<String> {
        self.docs
            .iter()
            .filter(|d| w.sees(d))
            .map(|d| d.id.clone())
            .collect()
    }

    /// Words of the documents `w` may not see: none may appear in anything `w` gets.
    fn hidden_words(&self, w: &Who) -> Vec<&str> {
        self.docs
            .iter()
            .filter(|d| !w.sees(d))
            .flat_map(|d| [d.unique.as_str(), d.id.as_str()])
            .collect()
    }

    fn assert_no_hidden(&self, w: &Who, what: &str, body: &str) {
        for word in self.hidden_words(w) {
            assert!(
                !body.contains(word),
                "{}: {what} names {word}, outside the principal's groups:\n{body}",
                w.name
            );
        }
    }

    fn get(&self, w: &Who, path: &str) -> crate::Res {
        get(&self.server.base, path, Some(&w.key))
    }

    /// Every search mode, for `query`: results, snippets and highlights only
    /// of visible documents. Returns the ids found.
    fn search(&self, w: &Who, query: &str, mode: &str) -> BTreeSet<String> {
        let res = self.get(w, &format!("/api/search?q={}&mode={mode}&k=60", enc(query)));
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        // The results, not the query echoed back, must not name hidden documents.
        let v = res.json();
        let results = v["results"].to_string();
        self.assert_no_hidden(w, &format!("search {query:?} ({mode})"), &results);
        let found = ids(&v, "results");
        let visible = self.visible(w);
        assert!(
            found.is_subset(&visible),
            "{}: {mode} search {query:?} returned {:?}, outside the groups",
            w.name,
            found.difference(&visible).collect::<Vec<_>>()
        );
        found
    }

    /// Facet counts over exactly the visible documents matching `q` (`docs`).
    fn check_facets(&self, w: &Who, q: &str, docs: &[&Doc]) {
        let res = self.get(w, &format!("/api/facets?q={}", enc(q)));
        assert_eq!(res.status, 200);
        let v = res.json();
        assert_eq!(
            v["documents"].as_u64().unwrap() as usize,
            docs.len(),
            "{}: facet total for {q:?}: {v}",
            w.name
        );
        let count = |f: &dyn Fn(&Doc) -> String| {
            let mut m: BTreeMap<String, u64> = BTreeMap::new();
            for d in docs {
                *m.entry(f(d)).or_default() += 1;
            }
            m
        };
        let got = |name: &str| -> BTreeMap<String, u64> {
            v[name]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["value"].as_str().unwrap().to_owned(),
                        f["count"].as_u64().unwrap(),
                    )
                })
                .collect()
        };
        assert_eq!(
            got("tags"),
            count(&|d| d.tag.clone()),
            "{}: tags {q:?}",
            w.name
        );
        assert_eq!(
            got("custodian"),
            count(&|d| d.custodian.clone()),
            "{}: custodians {q:?}",
            w.name
        );
        assert_eq!(
            got("year"),
            count(&|d| d.year.to_string()),
            "{}: years {q:?}",
            w.name
        );
    }

    /// The document list is exactly the visible set, and the facets with no
    /// query count exactly it.
    fn check_listing(&self, w: &Who) {
        let res = self.get(w, "/api/documents?limit=100");
        assert_eq!(res.status, 200);
        let v = res.json();
        assert_eq!(ids(&v, "documents"), self.visible(w), "{}: list", w.name);
        assert_eq!(v["total"].as_u64().unwrap() as usize, self.visible(w).len());
        self.assert_no_hidden(w, "document list", &String::from_utf8_lossy(&res.body));
        let docs: Vec<&Doc> = self.docs.iter().filter(|d| w.sees(d)).collect();
        self.check_facets(w, "", &docs);
    }

    /// Search, facets, view, download and similar documents for one document.
    fn check_document(&self, w: &Who, d: &Doc, counts: &mut [usize; 2]) {
        let sees = w.sees(d);
        counts[usize::from(sees)] += 1;
        let expect: BTreeSet<String> = if sees {
            [d.id.clone()].into()
        } else {
            BTreeSet::new()
        };
        // Its own word finds it exactly when it is visible (keyword), and the
        // modes with a vector arm return it exactly then too.
        assert_eq!(self.search(w, &d.unique, "keyword"), expect, "{}", w.name);
        let hybrid = self.search(w, &format!("{} memo", d.unique), "hybrid");
        assert_eq!(
            hybrid.contains(&d.id),
            sees,
            "{}: hybrid {}",
            w.name,
            d.unique
        );
        let vector = self.search(w, &d.unique, "vector");
        assert_eq!(
            vector.contains(&d.id),
            sees,
            "{}: vector {}",
            w.name,
            d.unique
        );
        let matching: Vec<&Doc> = if sees { vec![d] } else { vec![] };
        self.check_facets(w, &d.unique, &matching);

        // View and download: the same 404 as a document that does not exist.
        let view = self.get(w, &format!("/api/documents/{}", d.id));
        let file = self.get(w, &format!("/api/documents/{}/file", d.id));
        let similar = self.get(w, &format!("/api/documents/{}/similar?limit=60", d.id));
        if sees {
            assert_eq!(view.status, 200, "{}: view", w.name);
            assert_eq!(view.json()["doc_id"], d.id.as_str());
            assert_eq!(file.status, 200, "{}: file", w.name);
            assert_eq!(file.body, self.files[&d.id]);
            assert_eq!(similar.status, 200, "{}: similar", w.name);
            let mut others = self.visible(w);
            others.remove(&d.id);
            assert_eq!(
                ids(&similar.json(), "results"),
                others,
                "{}: similar",
                w.name
            );
            self.assert_no_hidden(w, "similar", &String::from_utf8_lossy(&similar.body));
        } else {
            let missing = "0123456789abcdef";
            let nothing = self.get(w, &format!("/api/documents/{missing}"));
            for (what, res) in [("view", &view), ("file", &file), ("similar", &similar)] {
                assert_eq!(
                    res.status, 404,
                    "{}: {what} of an invisible document",
                    w.name
                );
                assert_eq!(
                    String::from_utf8_lossy(&res.body).replace(&d.id, missing),
                    String::from_utf8_lossy(&nothing.body),
                    "{}: {what} must look like a missing document",
                    w.name
                );
            }
        }
    }

    /// `POST /api/ask` (JSON and the event stream): citations and closest
    /// documents only from visible documents, their text included.
    fn ask(&self, w: &Who, stream: bool) -> Value {
        let body = serde_json::json!({ "question": QUESTION, "stream": stream }).to_string();
        let res = post_json(&self.server.base, "/api/ask", Some(&w.key), &body);
        let text = String::from_utf8_lossy(&res.body).into_owned();
        assert_eq!(res.status, 200, "{}: ask: {text}", w.name);
        self.assert_no_hidden(w, "answer", &text);
        if !w.sees(self.docs.last().unwrap()) {
            for secret in ["14 calendar days", "pay date"] {
                assert!(
                    !text.contains(secret),
                    "{}: the answer quotes {secret:?}:\n{text}",
                    w.name
                );
            }
        }
        if stream {
            assert!(text.contains("event: done"), "{text}");
            return Value::Null;
        }
        let v = res.json();
        let visible = self.visible(w);
        for list in ["citations", "closest"] {
            let cited = ids(&v, list);
            assert!(cited.is_subset(&visible), "{}: {list} {cited:?}", w.name);
        }
        v
    }
}

#[test]
fn no_surface_returns_names_or_counts_a_document_outside_the_principals_groups() {
    let started = std::time::Instant::now();
    let mut world = build();
    let mut rng = fastrand::Rng::with_seed(SEED ^ 0xace);

    // Whole listings and facet counts, for every principal.
    for w in &world.who {
        world.check_listing(w);
    }

    // Random principals × random documents × every per-document surface, and
    // random topic searches in every mode.
    let mut counts = [0usize; 2];
    for _ in 0..ROUNDS {
        let w = pick(&mut rng, &world.who).clone();
        let d = world.docs[rng.usize(..world.docs.len())].clone();
        world.check_document(&w, &d, &mut counts);
        let q = *pick(&mut rng, QUERIES);
        for mode in ["keyword", "vector", "hybrid"] {
            world.search(&w, q, mode);
        }
    }
    assert!(
        counts[0] >= 5 && counts[1] >= 5,
        "the seed must try both hidden and visible documents: {counts:?}"
    );
    // Restricted documents are found by those who may see them: the
    // assertions above could fail.
    let admin = world.who[0].clone();
    for q in ["payroll grievance", "litigation subpoena", "invoice audit"] {
        let found = world.search(&admin, q, "keyword");
        assert!(
            world
                .docs
                .iter()
                .any(|d| !d.groups.is_empty() && found.contains(&d.id)),
            "{q}: {found:?}"
        );
    }

    // Answers: the same question from someone who may read the answer and
    // from those who may not.
    let answer_id = world.docs.last().unwrap().id.clone();
    let hr = world.who[1].clone();
    let v = world.ask(&hr, false);
    eprintln!("hr's answer: {} (fallback: {})", v["answer"], v["fallback"]);
    assert!(
        ids(&v, "citations").contains(&answer_id) || ids(&v, "closest").contains(&answer_id),
        "hr must be answered from the hr document: {v:#}"
    );
    for i in [3, 5] {
        let w = world.who[i].clone();
        let v = world.ask(&w, false);
        assert!(!ids(&v, "citations").contains(&answer_id), "{v:#}");
        world.ask(&w, true);
    }

    // Changing a document's ACL takes effect on the very next request.
    let docs_dir = world.server.docs();
    let i = world
        .docs
        .iter()
        .position(|d| d.groups == ["hr"] && d.file != ANSWER_FILE)
        .expect("an hr-only document");
    let legal = world.who[3].clone();
    assert!(hr.sees(&world.docs[i]) && !legal.sees(&world.docs[i]));
    world.docs[i].groups = vec!["legal".into()];
    write_acl(&docs_dir, &world.docs[i]);
    let report = reindex(&world.index, &docs_dir);
    assert_eq!(report.indexed, 1, "{report:?}");
    let d = world.docs[i].clone();
    let mut counts = [0usize; 2];
    world.check_document(&hr, &d, &mut counts);
    world.check_document(&legal, &d, &mut counts);
    assert_eq!(counts, [1, 1]);
    for w in &world.who {
        world.check_listing(w);
    }
    eprintln!(
        "randomized permission test: {} documents, {} principals, {ROUNDS} rounds in {:.1} s",
        world.docs.len(),
        world.who.len(),
        started.elapsed().as_secs_f64()
    );
}
