//! `trawl bench`: speed, memory, recall and size measured in one run, printed
//! as a table or JSON. Timings are only compared within a run (ratios), never
//! against constants: the machines are shared and noisy.
//!
//! - `bench search` — on a judged dataset: ingest next to the raw embedding
//!   ceiling, per-mode query latency (query embedding included and alone),
//!   HTTP throughput at several concurrencies against a real `trawl serve`
//!   process, HNSW recall, index size and the server's memory.
//! - `bench vectors` — the vector arm alone at a chosen size (100k, 1M), built
//!   from an index's real vectors plus perturbed copies, or from random ones.
//! - `bench export` — an index's chunks and vectors and a dataset's query
//!   vectors as flat files, so `bench/peers/` can load the same data into
//!   other engines.

use std::{
    collections::HashSet,
    io::Write,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use trawl_embedder::{Embedder, ModelLocation};
use trawl_search::{
    Access, ChunkInput, DocumentInput, DocumentMeta, HnswParams, Index, IndexSpec, Mode,
    SearchRequest,
};
use trawl_service::{api::SearchParams, search::run_search};

use crate::{
    cli::{BenchCommand, BenchExportArgs, BenchSearchArgs, BenchVectorsArgs},
    eval::{Prepared, percentile},
};

pub(crate) fn run(command: BenchCommand) -> Result<()> {
    match command {
        BenchCommand::Search(args) => search(args),
        BenchCommand::Vectors(args) => vectors(args),
        BenchCommand::Export(args) => export(args),
    }
}

/// Latency distribution of one kind of operation, in milliseconds.
#[derive(Debug, Clone, Copy, Serialize)]
struct Latency {
    n: usize,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    mean_ms: f64,
}

impl Latency {
    fn of(mut ms: Vec<f64>) -> Self {
        ms.sort_by(f64::total_cmp);
        let mean = if ms.is_empty() {
            0.0
        } else {
            ms.iter().sum::<f64>() / ms.len() as f64
        };
        Self {
            n: ms.len(),
            p50_ms: percentile(&ms, 0.50),
            p95_ms: percentile(&ms, 0.95),
            p99_ms: percentile(&ms, 0.99),
            mean_ms: mean,
        }
    }
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// Resident and peak resident memory of a process, from `/proc/PID/status`.
#[derive(Debug, Clone, Copy, Serialize)]
struct Memory {
    rss_mb: f64,
    peak_rss_mb: f64,
}

fn memory_of(pid: &str) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    };
    Some(Memory {
        rss_mb: field("VmRSS:")?,
        peak_rss_mb: field("VmHWM:")?,
    })
}

fn dir_bytes(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

// ---------------------------------------------------------------- bench search

#[derive(Debug, Serialize)]
struct SearchBench {
    dataset: String,
    /// `embedded`, or the cluster's `solr://` URL the searches ran on.
    backend: String,
    queries: usize,
    documents: u64,
    chunks: u64,
    ingest: Ingest,
    /// Per mode, in-process, query embedding included (what a user waits for).
    latency: ModeLatencies,
    /// Per mode, in-process, with the query vector already computed.
    latency_search_only: ModeLatencies,
    /// Embedding one query.
    embed_query: Latency,
    /// HNSW recall@10 of the embedded vector arm against exact search, over the queries
    /// (not measured on a cluster).
    recall_at_10: Option<f64>,
    http: Vec<HttpRun>,
    index_bytes: u64,
    /// The `trawl serve` process: after loading and one warm-up pass, and after the load runs.
    server_memory_idle: Option<Memory>,
    server_memory_after_load: Option<Memory>,
}

#[derive(Debug, Serialize)]
struct ModeLatencies {
    keyword: Latency,
    vector: Latency,
    hybrid: Latency,
}

#[derive(Debug, Serialize)]
struct Ingest {
    /// Whether the index was built in this run (`--fresh`); otherwise the
    /// figures below are from the cached index's update and mean little.
    fresh: bool,
    documents: usize,
    chunks: usize,
    seconds: f64,
    docs_per_s: f64,
    chunks_per_s: f64,
    /// Embedding the same kind of chunks directly, nothing else: the ceiling.
    raw_embed_chunks_per_s: f64,
    raw_embed_sample: usize,
    /// `chunks_per_s / raw_embed_chunks_per_s`.
    share_of_ceiling: f64,
    /// Where the ingest time went (extraction, embedding and writing overlap).
    stages: trawl_indexer::StageTimes,
}

#[derive(Debug, Serialize)]
struct HttpRun {
    concurrency: usize,
    requests: usize,
    errors: usize,
    seconds: f64,
    qps: f64,
    latency: Latency,
}

fn search(args: BenchSearchArgs) -> Result<()> {
    let embedder = crate::open::load_embedder(&args.model)?;
    eprintln!("bench: indexing (or checking the cached index)…");
    let Prepared {
        data,
        index,
        index_dir,
        report,
        ..
    } = crate::eval::prepare(
        &args.dataset,
        args.split.as_deref(),
        bench_index_dir(&args)?,
        &embedder,
        true,
    )?;
    let ingest = ingest(&args, &index, &embedder, report)?;

    let queries: Vec<&str> = data
        .queries
        .iter()
        .take(args.queries)
        .map(|(_, q)| q.as_str())
        .collect();
    if queries.is_empty() {
        bail!("the dataset has no queries");
    }
    eprintln!("bench: {} queries in process…", queries.len());
    let mut embed_ms = Vec::new();
    let mut vectors = Vec::new();
    for q in &queries {
        let t = Instant::now();
        vectors.push(embedder.embed_query(q)?);
        embed_ms.push(ms_since(t));
    }
    let cluster = args.backend.connect()?;
    if let Some(b) = &cluster {
        eprintln!("bench: loading the corpus into {}…", b.url());
        crate::cluster::push(&index, b, None)?;
    }
    let store = match &cluster {
        Some(b) => trawl_service::Store::Cluster(b),
        None => trawl_service::Store::Embedded(&index),
    };
    let (latency, latency_search_only) = mode_latencies(store, &embedder, &queries, &vectors)?;
    let recall_at_10 = match cluster {
        None => Some(hnsw_recall(&index, &vectors)?),
        Some(_) => None,
    };
    let stats = index.stats();
    let index_bytes = dir_bytes(&index_dir);
    drop(index);

    eprintln!("bench: starting trawl serve…");
    // on a cluster the server's own folder is a scratch one
    let scratch = tempfile::tempdir()?;
    let url = cluster.as_ref().map(|b| b.url().to_string());
    let server = match &url {
        Some(u) => Server::start(scratch.path(), &args.model, Some(u))?,
        None => Server::start(&index_dir, &args.model, None)?,
    };
    // One pass so every code path and page is warm before measuring memory.
    for q in &queries {
        server.get(q)?;
    }
    let server_memory_idle = memory_of(&server.pid());
    let mut http = Vec::new();
    for &c in &args.concurrency {
        eprintln!("bench: HTTP at concurrency {c} for {} s…", args.seconds);
        http.push(load_run(
            &server,
            &queries,
            c,
            Duration::from_secs_f64(args.seconds),
        ));
    }
    let server_memory_after_load = memory_of(&server.pid());
    drop(server);

    let report = SearchBench {
        dataset: data.name,
        backend: url.unwrap_or_else(|| "embedded".to_owned()),
        queries: queries.len(),
        documents: stats.documents,
        chunks: stats.chunks,
        ingest,
        latency,
        latency_search_only,
        embed_query: Latency::of(embed_ms),
        recall_at_10,
        http,
        index_bytes,
        server_memory_idle,
        server_memory_after_load,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_search(&report);
    }
    Ok(())
}

/// Where to index: a new folder under `$TRAWL_HOME/bench` with `--fresh`, else `--index` (or
/// the eval cache).
fn bench_index_dir(args: &BenchSearchArgs) -> Result<Option<PathBuf>> {
    if !args.fresh {
        return Ok(args.index.clone());
    }
    let dir = ModelLocation::trawl_home()
        .join("bench")
        .join(format!("fresh-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    Ok(Some(dir))
}

/// The ingest figures of `report`, against the ceiling: the same model embedding the same
/// texts the indexer gave it (title and section included), alone, sampled evenly over the
/// index.
fn ingest(
    args: &BenchSearchArgs,
    index: &Index,
    embedder: &dyn Embedder,
    report: trawl_indexer::IndexReport,
) -> Result<Ingest> {
    eprintln!("bench: raw embedding ceiling…");
    let all = index.export_chunks(None)?;
    let stride = (all.len() / args.ceiling_chunks.max(1)).max(1);
    let sample: Vec<String> = all
        .iter()
        .step_by(stride)
        .take(args.ceiling_chunks)
        .map(|c| trawl_indexer::embed_text(&c.title, c.section.as_deref(), &c.text))
        .collect();
    drop(all);
    let refs: Vec<&str> = sample.iter().map(String::as_str).collect();
    let t = Instant::now();
    embedder.embed_passages(&refs)?;
    let raw = sample.len() as f64 / t.elapsed().as_secs_f64().max(1e-9);
    let ingest_s = report.elapsed_s.max(1e-9);
    let chunks_per_s = report.chunks as f64 / ingest_s;
    Ok(Ingest {
        fresh: args.fresh,
        documents: report.indexed + report.updated,
        chunks: report.chunks,
        seconds: report.elapsed_s,
        docs_per_s: (report.indexed + report.updated) as f64 / ingest_s,
        chunks_per_s,
        raw_embed_chunks_per_s: raw,
        raw_embed_sample: sample.len(),
        share_of_ceiling: chunks_per_s / raw,
        stages: report.stages,
    })
}

/// In-process latency per mode: a whole search (query embedding included), and the index's
/// search alone with the query's vector given.
fn mode_latencies(
    store: trawl_service::Store<'_>,
    embedder: &dyn Embedder,
    queries: &[&str],
    vectors: &[Vec<f32>],
) -> Result<(ModeLatencies, ModeLatencies)> {
    let mut full = Vec::new();
    let mut only = Vec::new();
    for mode in [Mode::Keyword, Mode::Vector, Mode::Hybrid] {
        let (mut with_embed, mut without) = (Vec::new(), Vec::new());
        for (q, v) in queries.iter().zip(vectors) {
            let mut params = SearchParams::new(*q);
            params.mode = Some(mode.to_string());
            let t = Instant::now();
            run_search(store, embedder, &params, &Access::All)?;
            with_embed.push(ms_since(t));
            let mut req = SearchRequest::new(*q);
            req.mode = mode;
            let t = Instant::now();
            store.search(&req, || Ok(v.clone()))?;
            without.push(ms_since(t));
        }
        full.push(Latency::of(with_embed));
        only.push(Latency::of(without));
    }
    let modes = |l: Vec<Latency>| ModeLatencies {
        keyword: l[0],
        vector: l[1],
        hybrid: l[2],
    };
    Ok((modes(full), modes(only)))
}

/// HNSW recall@10 of the vector arm against exact search, over `vectors`.
fn hnsw_recall(index: &Index, vectors: &[Vec<f32>]) -> Result<f64> {
    let mut found = 0usize;
    let mut wanted = 0usize;
    for v in vectors {
        let exact: HashSet<u64> = index
            .exact_nearest(v, 10)?
            .into_iter()
            .map(|x| x.0)
            .collect();
        let approx = index.approximate_nearest(v, 10, None)?;
        wanted += exact.len();
        found += approx.iter().filter(|x| exact.contains(&x.0)).count();
    }
    Ok(found as f64 / wanted.max(1) as f64)
}

fn print_search(r: &SearchBench) {
    println!(
        "{} on {}: {} documents, {} chunks, {} queries; index {:.1} MB on disk",
        r.dataset,
        r.backend,
        r.documents,
        r.chunks,
        r.queries,
        r.index_bytes as f64 / 1e6
    );
    let i = &r.ingest;
    println!(
        "ingest{}: {:.1} docs/s, {:.1} chunks/s; raw embedding {:.1} chunks/s ({} chunks) → {:.0} % of the ceiling",
        if i.fresh {
            ""
        } else {
            " (cached index: run with --fresh to measure)"
        },
        i.docs_per_s,
        i.chunks_per_s,
        i.raw_embed_chunks_per_s,
        i.raw_embed_sample,
        i.share_of_ceiling * 100.0
    );
    println!(
        "  {:.1} s: extract {:.1} s, embed {:.1} s, write {:.1} s (at once), then commit {:.1} s",
        i.seconds, i.stages.extract_s, i.stages.embed_s, i.stages.write_s, i.stages.commit_s
    );
    println!(
        "\n{:<26} {:>9} {:>9} {:>9}",
        "latency (ms)", "p50", "p95", "p99"
    );
    let row = |name: &str, l: &Latency| {
        println!(
            "{name:<26} {:>9.2} {:>9.2} {:>9.2}",
            l.p50_ms, l.p95_ms, l.p99_ms
        )
    };
    row("embed query", &r.embed_query);
    row("keyword", &r.latency.keyword);
    row("vector (with embedding)", &r.latency.vector);
    row("hybrid (with embedding)", &r.latency.hybrid);
    row("vector (search only)", &r.latency_search_only.vector);
    row("hybrid (search only)", &r.latency_search_only.hybrid);
    if let Some(recall) = r.recall_at_10 {
        println!("\nHNSW recall@10 vs exact: {recall:.4}");
    }
    println!(
        "\n{:<12} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "HTTP conc.", "QPS", "p50 ms", "p99 ms", "requests", "errors"
    );
    for h in &r.http {
        println!(
            "{:<12} {:>9.1} {:>9.2} {:>9.2} {:>9} {:>7}",
            h.concurrency, h.qps, h.latency.p50_ms, h.latency.p99_ms, h.requests, h.errors
        );
    }
    if let (Some(idle), Some(after)) = (r.server_memory_idle, r.server_memory_after_load) {
        println!(
            "\nserver RSS: {:.0} MB warm, {:.0} MB after load, peak {:.0} MB",
            idle.rss_mb, after.rss_mb, after.peak_rss_mb
        );
    }
}

/// A `trawl serve` child process on a free loopback port.
struct Server {
    child: Child,
    base: String,
    agent: ureq::Agent,
}

impl Server {
    fn start(index: &Path, model: &crate::args::ModelArgs, backend: Option<&str>) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let exe = std::env::current_exe().context("locating the trawl binary")?;
        let mut cmd = Command::new(exe);
        cmd.arg("serve")
            .arg("--index")
            .arg(index)
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            // The per-key rate limit protects a shared server; here it would
            // cap the very throughput being measured.
            .args(["--rate-per-s", "1000000", "--burst", "1000000"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(d) = &model.model_dir {
            cmd.arg("--model-dir").arg(d);
        }
        if let Some(url) = backend {
            cmd.args(["--backend", url]);
        }
        if let Some(l) = &model.ort_lib {
            cmd.arg("--ort-lib").arg(l);
        }
        let child = cmd.spawn().context("starting trawl serve")?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            .http_status_as_error(false)
            .build()
            .into();
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            agent,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!("trawl serve exited early ({status})");
            }
            let ready = server
                .agent
                .get(format!("{}/readyz", server.base))
                .call()
                .is_ok_and(|r| r.status() == 200);
            if ready {
                return Ok(server);
            }
            if Instant::now() > deadline {
                bail!("trawl serve did not become ready within 60 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// One hybrid search; an error for anything but 200.
    fn get(&self, q: &str) -> Result<()> {
        let resp = self
            .agent
            .get(format!("{}/api/search", self.base))
            .query("q", q)
            .query("k", "10")
            .call()?;
        if resp.status() != 200 {
            bail!("HTTP {}", resp.status());
        }
        resp.into_body().read_to_vec()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `concurrency` clients each sending the queries in turn, back to back, for `duration`.
fn load_run(server: &Server, queries: &[&str], concurrency: usize, duration: Duration) -> HttpRun {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let results: Vec<(Vec<f64>, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..concurrency)
            .map(|c| {
                let stop = stop.clone();
                s.spawn(move || {
                    let (mut ms, mut errors) = (Vec::new(), 0);
                    let mut i = c * 7;
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        match server.get(queries[i % queries.len()]) {
                            Ok(()) => ms.push(ms_since(t)),
                            Err(_) => errors += 1,
                        }
                        i += 1;
                    }
                    (ms, errors)
                })
            })
            .collect();
        std::thread::sleep(duration);
        stop.store(true, Ordering::Relaxed);
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let errors = results.iter().map(|r| r.1).sum();
    let ms: Vec<f64> = results.into_iter().flat_map(|r| r.0).collect();
    HttpRun {
        concurrency,
        requests: ms.len(),
        errors,
        seconds,
        qps: ms.len() as f64 / seconds,
        latency: Latency::of(ms),
    }
}

// --------------------------------------------------------------- bench vectors

#[derive(Debug, Serialize)]
struct VectorsBench {
    source: String,
    vectors: usize,
    dim: usize,
    queries: usize,
    noise: f32,
    runs: Vec<VectorsRun>,
}

#[derive(Debug, Serialize)]
struct VectorsRun {
    vectors: usize,
    m: usize,
    ef_construction: usize,
    build_s: f64,
    build_vectors_per_s: f64,
    index_bytes: u64,
    /// This process before the run (the bench's own data).
    memory_before: Option<Memory>,
    /// This process after reopening the index and searching it.
    memory: Option<Memory>,
    /// `memory - memory_before`: what the reopened index holds resident
    /// (vectors, graph, keyword arm), plus allocator slack from the build.
    index_memory_mb: Option<f64>,
    exact: Latency,
    ef: Vec<EfRow>,
}

#[derive(Debug, Serialize)]
struct EfRow {
    ef_search: usize,
    recall_at_10: f64,
    latency: Latency,
}

/// Deterministic xorshift64*, so runs are reproducible without a rand crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Roughly normal (sum of uniforms), mean 0, variance 1.
    fn normal(&mut self) -> f32 {
        let s: f64 = (0..12)
            .map(|_| (self.next() >> 11) as f64 / (1u64 << 53) as f64)
            .sum();
        (s - 6.0) as f32
    }
}

fn normalize(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
}

/// A new vector near the data: `a` plus a random share of `b` (another real
/// vector, so points fill the space between real ones instead of forming
/// tight clusters of copies) plus a random direction of relative length
/// `noise`, renormalized.
fn synthesize(a: &[f32], b: &[f32], noise: f32, rng: &mut Rng) -> Vec<f32> {
    let mut g: Vec<f32> = (0..a.len()).map(|_| rng.normal()).collect();
    normalize(&mut g);
    let w = (rng.next() >> 11) as f32 / (1u64 << 53) as f32;
    let mut v: Vec<f32> = a
        .iter()
        .zip(b)
        .zip(&g)
        .map(|((a, b), x)| a + w * b + noise * x)
        .collect();
    normalize(&mut v);
    v
}

fn vectors(args: BenchVectorsArgs) -> Result<()> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let largest = args.n.iter().copied().max().unwrap_or(0);
    let (source, real): (String, Vec<Vec<f32>>) = match &args.from {
        Some(dir) => {
            let index = Index::open(dir).with_context(|| format!("opening {}", dir.display()))?;
            let v: Vec<Vec<f32>> = index
                .export_chunks(None)?
                .into_iter()
                .map(|c| c.vector)
                .collect();
            if v.len() < 2 * args.queries {
                bail!(
                    "{} has {} vectors; need at least {} (twice --queries)",
                    dir.display(),
                    v.len(),
                    2 * args.queries
                );
            }
            (format!("{} (+ synthesized neighbours)", dir.display()), v)
        }
        None => {
            let v = (0..largest.min(100_000) + args.queries)
                .map(|_| random_unit(args.dim, &mut rng))
                .collect();
            ("random unit vectors".to_string(), v)
        }
    };
    let dim = real[0].len();
    // Every k-th real vector is a query and never inserted.
    let stride = real.len() / args.queries;
    let (mut queries, mut pool) = (Vec::new(), Vec::new());
    for (i, v) in real.into_iter().enumerate() {
        if i % stride == 0 && queries.len() < args.queries {
            queries.push(v);
        } else {
            pool.push(v);
        }
    }
    let random = args.from.is_none();

    let mut sizes = args.n.clone();
    sizes.sort_unstable();
    sizes.dedup();
    let mut runs = Vec::new();
    for &n in &sizes {
        for &m in &args.m {
            runs.push(vectors_run(&args, n, m, dim, random, &pool, &queries)?);
        }
    }
    let report = VectorsBench {
        source,
        vectors: largest,
        dim,
        queries: queries.len(),
        noise: args.noise,
        runs,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "up to {} vectors of {} dimensions from {}; {} held-out queries",
        report.vectors, report.dim, report.source, report.queries
    );
    println!(
        "\n{:>9} {:>4} {:>8} {:>9} {:>9} {:>10} {:>10} {:>11} {:>12}",
        "vectors",
        "m",
        "build s",
        "vectors/s",
        "disk MB",
        "index MB",
        "exact p50",
        "ef=64 rec",
        "ef=64 p50/99"
    );
    for r in &report.runs {
        let ef64 = r.ef.iter().find(|e| e.ef_search == 64);
        println!(
            "{:>9} {:>4} {:>8.1} {:>9.0} {:>9.0} {:>10} {:>8.2}ms {:>11} {:>12}",
            r.vectors,
            r.m,
            r.build_s,
            r.build_vectors_per_s,
            r.index_bytes as f64 / 1e6,
            r.index_memory_mb
                .map_or_else(|| "-".to_string(), |mb| format!("{mb:.0}")),
            r.exact.p50_ms,
            ef64.map_or_else(|| "-".to_string(), |e| format!("{:.4}", e.recall_at_10)),
            ef64.map_or_else(
                || "-".to_string(),
                |e| format!("{:.2}/{:.2}ms", e.latency.p50_ms, e.latency.p99_ms)
            ),
        );
    }
    for r in &report.runs {
        println!(
            "\n{} vectors, m={} ef_construction={}{}",
            r.vectors,
            r.m,
            r.ef_construction,
            r.memory
                .map(|m| format!(
                    "; process RSS {:.0} MB (peak {:.0}, {:.0} before the index)",
                    m.rss_mb,
                    m.peak_rss_mb,
                    r.memory_before.map_or(0.0, |b| b.rss_mb)
                ))
                .unwrap_or_default(),
        );
        println!(
            "{:>10} {:>10} {:>9} {:>9} {:>9}",
            "ef_search", "recall@10", "p50 ms", "p95 ms", "p99 ms"
        );
        for e in &r.ef {
            println!(
                "{:>10} {:>10.4} {:>9.3} {:>9.3} {:>9.3}",
                e.ef_search, e.recall_at_10, e.latency.p50_ms, e.latency.p95_ms, e.latency.p99_ms
            );
        }
    }
    Ok(())
}

fn random_unit(dim: usize, rng: &mut Rng) -> Vec<f32> {
    let mut v: Vec<f32> = (0..dim).map(|_| rng.normal()).collect();
    normalize(&mut v);
    v
}

/// Builds an index of `n` vectors with `m` links, reopens it from disk and
/// measures it. The vectors to insert are made for this run in one
/// allocation and freed before measuring, so the memory reported is the
/// index's own (searching a reopened index, as a server would).
fn vectors_run(
    args: &BenchVectorsArgs,
    n: usize,
    m: usize,
    dim: usize,
    random: bool,
    pool: &[Vec<f32>],
    queries: &[Vec<f32>],
) -> Result<VectorsRun> {
    let memory_before = memory_of("self");
    // Each size draws its own vectors from the same seed: the first `n` of a
    // bigger run are the vectors of a smaller one.
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut base: Vec<f32> = Vec::with_capacity(n * dim);
    for i in 0..n {
        if i < pool.len() {
            base.extend_from_slice(&pool[i]);
        } else if random {
            base.extend(random_unit(dim, &mut rng));
        } else {
            let a = &pool[rng.next() as usize % pool.len()];
            let b = &pool[rng.next() as usize % pool.len()];
            base.extend(synthesize(a, b, args.noise, &mut rng));
        }
    }
    eprintln!(
        "bench: building {n} vectors with m={m}, ef_construction={}…",
        args.ef_construction
    );
    let dir = match &args.work_dir {
        Some(d) => d.join(format!("n{n}-m{m}")),
        None => ModelLocation::trawl_home()
            .join("bench")
            .join(format!("vectors-{}-n{n}-m{m}", std::process::id())),
    };
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    let spec = IndexSpec {
        model_name: "bench".into(),
        model_fingerprint: "bench".into(),
        dim,
        hnsw: HnswParams {
            m,
            ef_construction: args.ef_construction,
            ..HnswParams::default()
        },
    };
    let t = Instant::now();
    {
        let index = Index::open_or_create(&dir, &spec)?;
        let mut w = index.writer()?;
        for (i, v) in base.chunks_exact(dim).enumerate() {
            w.add_document(DocumentInput {
                doc_id: i.to_string(),
                path: String::new(),
                title: String::new(),
                meta: DocumentMeta::default(),
                chunks: vec![ChunkInput {
                    text: String::new(),
                    page: None,
                    section: None,
                    vector: v.to_vec(),
                }],
            })?;
        }
        w.commit()?;
    }
    let build_s = t.elapsed().as_secs_f64();
    drop(base);
    let index = Index::open(&dir).with_context(|| format!("reopening {}", dir.display()))?;

    let mut exact_ms = Vec::new();
    let mut truth = Vec::new();
    for q in queries {
        let t = Instant::now();
        let ids: HashSet<u64> = index
            .exact_nearest(q, 10)?
            .into_iter()
            .map(|x| x.0)
            .collect();
        exact_ms.push(ms_since(t));
        truth.push(ids);
    }
    let mut ef_rows = Vec::new();
    for &ef in &args.ef_search {
        let mut ms = Vec::new();
        let mut found = 0;
        for (q, exact) in queries.iter().zip(&truth) {
            let t = Instant::now();
            let got = index.approximate_nearest(q, 10, Some(ef))?;
            ms.push(ms_since(t));
            found += got.iter().filter(|x| exact.contains(&x.0)).count();
        }
        ef_rows.push(EfRow {
            ef_search: ef,
            recall_at_10: found as f64 / (10 * queries.len()) as f64,
            latency: Latency::of(ms),
        });
    }
    for e in &ef_rows {
        eprintln!(
            "bench: n={n} m={m} ef_search={}: recall@10 {:.4}, p50 {:.3} ms",
            e.ef_search, e.recall_at_10, e.latency.p50_ms
        );
    }
    let memory = memory_of("self");
    let index_bytes = dir_bytes(&dir);
    drop(index);
    if args.work_dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(VectorsRun {
        vectors: n,
        m,
        ef_construction: args.ef_construction,
        build_s,
        build_vectors_per_s: n as f64 / build_s,
        index_bytes,
        memory_before,
        memory,
        index_memory_mb: memory
            .zip(memory_before)
            .map(|(after, before)| (after.rss_mb - before.rss_mb).max(0.0)),
        exact: Latency::of(exact_ms),
        ef: ef_rows,
    })
}

// ---------------------------------------------------------------- bench export

/// What `bench export` writes next to the data, for readers in other languages.
#[derive(Debug, Serialize)]
struct ExportManifest {
    model: String,
    dim: usize,
    chunks: usize,
    queries: usize,
    /// Row-major little-endian f32 matrices.
    vectors_file: &'static str,
    query_vectors_file: &'static str,
    chunks_file: &'static str,
    queries_file: &'static str,
    qrels_file: &'static str,
}

fn export(args: BenchExportArgs) -> Result<()> {
    let embedder = crate::open::load_embedder(&args.model)?;
    let Prepared { data, index, .. } = crate::eval::prepare(
        &args.dataset,
        args.split.as_deref(),
        args.index.clone(),
        &embedder,
        true,
    )?;
    let out = &args.out;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let chunks = index.export_chunks(None)?;
    let mut jsonl = std::io::BufWriter::new(create(&out.join("chunks.jsonl"))?);
    let mut matrix = std::io::BufWriter::new(create(&out.join("vectors.f32"))?);
    for c in &chunks {
        serde_json::to_writer(
            &mut jsonl,
            &serde_json::json!({
                "chunk_id": c.chunk_id, "doc_id": c.doc_id, "title": c.title, "text": c.text
            }),
        )?;
        jsonl.write_all(b"\n")?;
        for x in &c.vector {
            matrix.write_all(&x.to_le_bytes())?;
        }
    }
    jsonl.flush()?;
    matrix.flush()?;
    let mut qfile = std::io::BufWriter::new(create(&out.join("queries.jsonl"))?);
    let mut qmatrix = std::io::BufWriter::new(create(&out.join("query_vectors.f32"))?);
    let mut qrels = std::io::BufWriter::new(create(&out.join("qrels.tsv"))?);
    for (id, text) in &data.queries {
        serde_json::to_writer(&mut qfile, &serde_json::json!({"_id": id, "text": text}))?;
        qfile.write_all(b"\n")?;
        for x in embedder.embed_query(text)? {
            qmatrix.write_all(&x.to_le_bytes())?;
        }
        for (doc, grade) in &data.qrels[id] {
            writeln!(qrels, "{id}\t{doc}\t{grade}")?;
        }
    }
    qfile.flush()?;
    qmatrix.flush()?;
    qrels.flush()?;
    let manifest = ExportManifest {
        model: embedder.info().name.clone(),
        dim: embedder.info().dim,
        chunks: chunks.len(),
        queries: data.queries.len(),
        vectors_file: "vectors.f32",
        query_vectors_file: "query_vectors.f32",
        chunks_file: "chunks.jsonl",
        queries_file: "queries.jsonl",
        qrels_file: "qrels.tsv",
    };
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?,
    )?;
    println!(
        "exported {} chunks and {} queries to {}",
        manifest.chunks,
        manifest.queries,
        out.display()
    );
    Ok(())
}

fn create(path: &PathBuf) -> Result<std::fs::File> {
    std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))
}
