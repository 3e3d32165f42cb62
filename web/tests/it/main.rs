//! Integration tests of the service: a real index built from real files with a
//! deterministic stand-in embedder (`fake`), the real server on a free loopback port, real
//! HTTP.

mod access;
mod acl;
mod fake;
mod limits;
mod ranking;
mod review;
mod writes;

use std::{
    path::{Path, PathBuf},
    sync::{Arc, OnceLock},
};

use serde_json::Value;
use trawl_embedder::Embedder;
use trawl_search::{Index, IndexSpec};
use trawl_web::{AppState, ServiceOptions, auth, config::Config};

/// The embedder of every test server: a word-hashing stand-in ([`fake::HashEmbedder`]),
/// since these tests check HTTP behaviour — keys, access, limits, errors, audit, uploads —
/// not ranking; the real model's ranking and answers are tested in `tests/e2e`.
pub(crate) fn embedder() -> Arc<dyn Embedder> {
    static EMBEDDER: OnceLock<Arc<dyn Embedder>> = OnceLock::new();
    EMBEDDER
        .get_or_init(|| Arc::new(fake::HashEmbedder::new()))
        .clone()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/docs")
}

/// The fixture documents with access groups: `hr/` (group `hr`), `kb/`
/// (group `it`), and one public document.
pub(crate) fn make_corpus(dir: &Path) {
    let copy = |from: &str, to: &str| {
        let to = dir.join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixtures().join(from), to).unwrap();
    };
    for f in [
        "hr/overtime.md",
        "hr/paid-parental-leave.md",
        "hr/transit-benefit.md",
    ] {
        copy(f, f);
    }
    copy("kb/password-requirements.md", "kb/password-requirements.md");
    copy("kb/security-incidents.md", "kb/security-incidents.md");
    copy("kb/going-out-of-office.md", "public/going-out-of-office.md");
    std::fs::write(
        dir.join("hr/_trawl.meta.json"),
        r#"{"groups": ["hr"], "tags": ["policy"], "custodian": "p.hr", "date": "2023-03-01"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("kb/_trawl.meta.json"),
        r#"{"groups": ["it"], "tags": ["kb"], "custodian": "i.t", "date": "2024-06-01"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("public/_trawl.meta.json"),
        r#"{"tags": ["kb"], "date": "2024-01-15"}"#,
    )
    .unwrap();
}

pub(crate) fn spec() -> IndexSpec {
    let info = embedder().info().clone();
    IndexSpec {
        model_name: info.name,
        model_fingerprint: info.fingerprint,
        dim: info.dim,
        hnsw: Default::default(),
    }
}

/// Keys of the test principals.
#[derive(Clone)]
pub(crate) struct Keys {
    pub(crate) hr: String,
    pub(crate) it: String,
    pub(crate) legal: String,
    pub(crate) admin: String,
    pub(crate) file: PathBuf,
}

/// A running server over its own copy of the corpus.
pub(crate) struct Server {
    pub(crate) base: String,
    pub(crate) keys: Keys,
    dir: Option<tempfile::TempDir>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// The folder holding `docs/`, `idx/` and `keys.json`.
    pub(crate) fn root(&self) -> &Path {
        self.dir.as_ref().expect("server running").path()
    }

    pub(crate) fn docs(&self) -> PathBuf {
        self.root().join("docs")
    }

    pub(crate) fn index_dir(&self) -> PathBuf {
        self.root().join("idx")
    }

    /// Shuts the server down as Ctrl-C would, waits for it, and hands over its files.
    pub(crate) fn shutdown(mut self) -> tempfile::TempDir {
        self.stop_and_join();
        self.dir.take().expect("server running")
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().expect("the server thread panicked");
        }
    }

    /// Stops the server as Ctrl-C would and starts a new one over the same
    /// files and keys.
    pub(crate) fn restart(mut self, config: Config) -> Server {
        self.stop_and_join();
        let dir = self.dir.take().expect("server running");
        serve(dir, self.keys.clone(), None, None, config)
    }

    pub(crate) fn audit_log(&self) -> String {
        std::fs::read_to_string(self.index_dir().join("audit.jsonl")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Builds the corpus and its index, creates the keys, and starts a server.
pub(crate) fn start(config: Config) -> Server {
    start_with(config, make_corpus, 6)
}

/// Builds a corpus with `make` (into `docs/`), indexes it (expecting
/// `documents` indexed), creates the keys, and starts a server.
pub(crate) fn start_with(config: Config, make: fn(&Path), documents: usize) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    make(&docs);
    let idx = dir.path().join("idx");
    let index = Index::open_or_create(&idx, &spec()).unwrap();
    let e = embedder();
    let report = trawl_indexer::index_directory(
        &docs,
        &index,
        e.as_ref(),
        &Default::default(),
        &trawl_indexer::NoProgress,
    )
    .unwrap();
    assert_eq!(report.indexed, documents, "{report:?}");
    drop(index);
    let keys = create_keys(&dir);
    serve(dir, keys, None, None, config)
}

/// Creates the standard keys beside `dir`'s index (`idx/`) and serves that index (already
/// open) with `generator` for `/api/ask`.
pub(crate) fn launch(
    dir: tempfile::TempDir,
    index: Arc<Index>,
    generator: Option<Arc<dyn trawl_generator::Generator>>,
    config: Config,
) -> Server {
    let keys = create_keys(&dir);
    serve(dir, keys, Some(index), generator, config)
}

/// The keys every test server has, in `dir/keys.json`.
fn create_keys(dir: &tempfile::TempDir) -> Keys {
    let file = dir.path().join("keys.json");
    let key = |name: &str, groups: &[&str], admin: bool| {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        auth::create_key(&file, name, &groups, admin)
            .unwrap()
            .secret
    };
    Keys {
        hr: key("hr-alice", &["hr"], false),
        it: key("it-bob", &["it"], false),
        legal: key("legal-dana", &["legal"], false),
        admin: key("admin-carol", &[], true),
        file: file.clone(),
    }
}

/// Starts a server over the index in `dir/idx` (opened here unless given) with the keys in
/// `keys.file`.
fn serve(
    dir: tempfile::TempDir,
    keys: Keys,
    index: Option<Arc<Index>>,
    generator: Option<Arc<dyn trawl_generator::Generator>>,
    config: Config,
) -> Server {
    let idx = dir.path().join("idx");
    let index = index.unwrap_or_else(|| Arc::new(Index::open_or_create(&idx, &spec()).unwrap()));
    let mut opts = ServiceOptions::for_index(&idx, config);
    opts.keys_file = Some(keys.file.clone());
    let state = AppState::new(index, embedder(), generator, opts).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            trawl_web::serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
    });
    let addr = addr_rx.recv().unwrap();
    Server {
        base: format!("http://{addr}"),
        keys,
        dir: Some(dir),
        stop: Some(tx),
        thread: Some(thread),
    }
}

/// One server for the tests that only read.
pub(crate) fn shared() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        // Many tests share these keys; only the rate-limit test uses a small bucket.
        let mut config = Config::default();
        config.limits.burst = 10_000;
        start(config)
    })
}

/// A response: status, headers, body.
pub(crate) struct Res {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Res {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The stable error code, asserting a JSON error body.
    pub(crate) fn code(&self) -> String {
        let v = self.json();
        assert!(
            !v["error"]["message"].as_str().unwrap_or("").is_empty(),
            "{v}"
        );
        v["error"]["code"].as_str().unwrap_or("").to_owned()
    }
}

pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

pub(crate) fn finish(res: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Res {
    let mut res = res.expect("request");
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    Res {
        status: res.status().as_u16(),
        headers,
        body: res
            .body_mut()
            .with_config()
            .limit(100 << 20)
            .read_to_vec()
            .unwrap(),
    }
}

/// `GET base+path` with `key` as a bearer token.
pub(crate) fn get(base: &str, path: &str, key: Option<&str>) -> Res {
    let mut req = agent().get(format!("{base}{path}"));
    if let Some(k) = key {
        req = req.header("Authorization", format!("Bearer {k}"));
    }
    finish(req.call())
}

/// `POST` a JSON body.
pub(crate) fn post_json(base: &str, path: &str, key: Option<&str>, body: &str) -> Res {
    let mut req = agent()
        .post(format!("{base}{path}"))
        .content_type("application/json");
    if let Some(k) = key {
        req = req.header("Authorization", format!("Bearer {k}"));
    }
    finish(req.send(body.as_bytes()))
}

/// `DELETE`.
pub(crate) fn delete(base: &str, path: &str, key: Option<&str>) -> Res {
    let mut req = agent().delete(format!("{base}{path}"));
    if let Some(k) = key {
        req = req.header("Authorization", format!("Bearer {k}"));
    }
    finish(req.call())
}

/// `POST` a multipart form: `(field, Some(file name) or None, bytes)`.
pub(crate) fn post_multipart(
    base: &str,
    path: &str,
    key: Option<&str>,
    parts: &[(&str, Option<&str>, &[u8])],
) -> Res {
    let boundary = "trawl-test-boundary-7c1f";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut req = agent()
        .post(format!("{base}{path}"))
        .content_type(format!("multipart/form-data; boundary={boundary}"));
    if let Some(k) = key {
        req = req.header("Authorization", format!("Bearer {k}"));
    }
    finish(req.send(&body[..]))
}

/// Percent-encodes a query value.
pub(crate) fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Paths of a search's results.
pub(crate) fn paths(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results in {v}"))
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_owned())
        .collect()
}

/// Searches as `key` and returns the JSON.
pub(crate) fn search(server: &Server, key: &str, query: &str, extra: &str) -> Value {
    let res = get(
        &server.base,
        &format!("/api/search?q={}{extra}", enc(query)),
        Some(key),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    res.json()
}

/// Waits for an upload job to finish and returns its status.
pub(crate) fn wait_job(server: &Server, job: &str) -> Value {
    for _ in 0..600 {
        let res = get(
            &server.base,
            &format!("/api/jobs/{job}"),
            Some(&server.keys.admin),
        );
        assert_eq!(res.status, 200);
        let v = res.json();
        if v["state"] == "done" || v["state"] == "failed" {
            return v;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("job {job} did not finish");
}
