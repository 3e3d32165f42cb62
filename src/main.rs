//! The `trawl` command line: index folders, search them, serve the web UI.

mod args;
mod ask;
mod bench;
mod cli;
mod cluster;
mod discovery;
mod eval;
mod export;
mod keys;
mod open;
mod progress;
mod tune;

use std::{io::IsTerminal, path::Path, sync::Arc};

use anyhow::{Context, Result, bail};
use clap::Parser;
use trawl_embedder::Embedder;
use trawl_indexer::{ChunkOptions, IndexOptions, IndexReport};
use trawl_search::{Index, IndexSpec};
use trawl_service::api::{SearchParams, SearchResponse};
use trawl_service::filter::Filtered;

use crate::cli::{
    Cli, Command, IndexArgs, RestoreArgs, SearchArgs, ServeArgs, SimilarArgs, SnapshotArgs,
    StatusArgs,
};
use crate::open::{load_embedder, open_index, open_index_for, spec_for};
use trawl_web::config::Config;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.command);
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(command: &Command) {
    // The server logs requests; one-shot commands stay quiet unless asked.
    let default = match command {
        Command::Serve(_) => "info,ort=warn,hnsw_rs=warn,tantivy=warn",
        _ => "warn,ort=error,hnsw_rs=error",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Index(args) => index(args),
        Command::Search(args) => search(args),
        Command::Serve(args) => serve(args),
        Command::Status(args) => status(args),
        Command::Snapshot(args) => snapshot(args),
        Command::Restore(args) => restore(args),
        Command::Eval(args) => eval::run(args),
        Command::Bench(command) => bench::run(command),
        Command::Terms(args) => discovery::terms(args),
        Command::Dups(args) => discovery::dups(args),
        Command::Threads(args) => discovery::threads(args),
        Command::Tag(command) => discovery::tag(command),
        Command::Export(args) => export::run(args),
        Command::Keys(cmd) => keys::run(cmd),
        Command::Ask(args) => ask::run(args),
        Command::Similar(args) => similar(args),
        Command::Tune(args) => tune::run(args),
    }
}

/// `trawl status`: the index's counts, model and size, and whether both arms agree.
fn status(args: StatusArgs) -> Result<()> {
    let dir = args.index.path();
    let index = open_index(&dir)?;
    let stats = index.stats();
    let bytes: u64 = walkdir::WalkDir::new(&dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    let consistent = stats.chunks == stats.vectors;
    let status = serde_json::json!({
        "index": dir,
        "format_version": trawl_search::FORMAT_VERSION,
        "model": index.spec().model_name,
        "model_fingerprint": index.spec().model_fingerprint,
        "dim": index.spec().dim,
        "hnsw": {
            "m": index.spec().hnsw.m,
            "ef_construction": index.spec().hnsw.ef_construction,
            "ef_search": index.spec().hnsw.ef_search,
        },
        "stats": stats,
        "bytes": bytes,
        "consistent": consistent,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        println!("index      {}", dir.display());
        println!(
            "model      {} ({} dimensions)",
            index.spec().model_name,
            index.spec().dim
        );
        println!(
            "documents  {}\nchunks     {}\nvectors    {} in {} segment(s), {} deleted awaiting compaction",
            stats.documents, stats.chunks, stats.vectors, stats.vector_segments, stats.tombstones
        );
        println!("size       {:.1} MB", bytes as f64 / 1e6);
    }
    if !consistent {
        bail!(
            "the keyword arm has {} chunks but the vector arm {} vectors",
            stats.chunks,
            stats.vectors
        );
    }
    Ok(())
}

fn snapshot(args: SnapshotArgs) -> Result<()> {
    let dir = args.index.path();
    let index = open_index(&dir)?;
    let started = std::time::Instant::now();
    let manifest = index
        .snapshot(&args.out)
        .with_context(|| format!("snapshotting {} into {}", dir.display(), args.out.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&manifest)?);
    } else {
        println!(
            "snapshot of {} ({} documents, {} chunks): {} files, {:.1} MB in {} ({:.1} s)",
            dir.display(),
            manifest.documents,
            manifest.chunks,
            manifest.files.len(),
            manifest.bytes() as f64 / 1e6,
            args.out.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn restore(args: RestoreArgs) -> Result<()> {
    let dest = args.index.path();
    let manifest = trawl_search::restore_snapshot(&args.snapshot, &dest, args.replace)
        .with_context(|| {
            format!(
                "restoring {} into {}",
                args.snapshot.display(),
                dest.display()
            )
        })?;
    println!(
        "restored {} documents, {} chunks ({} files checked) into {}; restart `trawl serve` to use it",
        manifest.documents,
        manifest.chunks,
        manifest.files.len(),
        dest.display()
    );
    Ok(())
}

/// How `trawl index` runs OCR: flags and environment over `trawl.toml`'s `[ocr]`.
fn ocr_options(args: &IndexArgs) -> Result<trawl_indexer::OcrOptions> {
    let (config_path, required) = keys::config_path(&cli::ConfigArgs {
        config: args.config.clone(),
        keys_file: None,
    });
    let mut ocr = Config::load(&config_path, required)?.ocr;
    if let Some(m) = args.ocr {
        ocr.mode = m;
    }
    if let Some(l) = &args.ocr_languages {
        ocr.languages.clone_from(l);
    }
    if let Some(t) = args.ocr_page_timeout {
        ocr.page_timeout_s = t;
    }
    ocr.validate()
        .map_err(|e| anyhow::anyhow!("OCR options: {e}"))?;
    Ok(ocr.options())
}

fn index(args: IndexArgs) -> Result<()> {
    let embedder = load_embedder(&args.model)?;
    let index_dir = args.index.path();
    std::fs::create_dir_all(&index_dir)
        .with_context(|| format!("creating index directory {}", index_dir.display()))?;
    let spec = IndexSpec {
        hnsw: args.hnsw.params(),
        ..spec_for(&embedder)
    };
    let index = Index::open_or_create(&index_dir, &spec)
        .with_context(|| format!("opening index {}", index_dir.display()))?;
    if args.hnsw.any() && index.spec().hnsw != spec.hnsw {
        bail!(
            "{} was created with HNSW parameters {:?}; they cannot change on an existing index (index into a new directory instead)",
            index_dir.display(),
            index.spec().hnsw
        );
    }
    let opts = IndexOptions {
        chunking: ChunkOptions {
            target_tokens: args.chunk_tokens,
            overlap_tokens: args.overlap_tokens,
        },
        share: args.worker.map(cluster::Worker::share),
        ocr: ocr_options(&args)?,
        replace_folder: args.replace,
        ..IndexOptions::default()
    };
    // Connect before the long part, so a wrong URL fails at once.
    let backend = args.backend.connect()?;
    if args.worker.is_some() && backend.is_none() {
        bail!(
            "--worker splits a folder between machines that store it on one cluster: give --backend solr://… (or `[index] backend` in trawl.toml)"
        );
    }
    let max_tokens = embedder.info().max_tokens.saturating_sub(2);
    if args.chunk_tokens > max_tokens {
        bail!(
            "--chunk-tokens {} exceeds what the model reads ({max_tokens} tokens); longer chunks would be truncated",
            args.chunk_tokens
        );
    }
    let progress = progress::CliProgress::new(args.json);
    let report = trawl_indexer::index_path(&args.dir, &index, &embedder, &opts, &progress)
        .map_err(|e| match e {
            e @ trawl_indexer::Error::OtherFolder { .. } => anyhow::anyhow!(
                "{e}. Nothing was changed: give this folder an index of its own (--index), or pass --replace to make {} mirror it",
                index_dir.display()
            ),
            e => anyhow::Error::new(e),
        })
        .with_context(|| format!("indexing {}", args.dir.display()))?;
    progress.finish();
    let pushed = match &backend {
        Some(b) => Some(cluster::push(&index, b, args.worker)?),
        None => None,
    };
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        if let Some(p) = &pushed {
            value["cluster"] = serde_json::to_value(p)?;
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_report(&report, &index_dir);
        if let (Some(p), Some(b)) = (&pushed, &backend) {
            println!(
                "Cluster {}: {} documents stored, {} unchanged, {} removed; {} chunks in the collection.",
                b.url(),
                p.stored,
                p.unchanged,
                p.deleted,
                p.cluster_chunks
            );
        }
    }
    Ok(())
}

fn print_report(r: &IndexReport, index_dir: &Path) {
    let rate = |n: usize| {
        if r.elapsed_s > 0.0 {
            n as f64 / r.elapsed_s
        } else {
            0.0
        }
    };
    println!(
        "Indexed {} documents ({} chunks) in {:.1} s: {:.1} files/s, {:.1} chunks/s.",
        r.indexed,
        r.chunks,
        r.elapsed_s,
        rate(r.indexed),
        rate(r.chunks)
    );
    println!(
        "{} updated, {} unchanged, {} removed, {} duplicates, {} skipped. Index {} now holds {} documents, {} chunks.",
        r.updated,
        r.unchanged,
        r.removed,
        r.duplicates.len(),
        r.skipped.len(),
        index_dir.display(),
        r.documents_total,
        r.chunks_total
    );
    println!(
        "Time: {:.1} s (extract {:.1} s, embed {:.1} s and write {:.1} s at once; commit {:.1} s).",
        r.elapsed_s, r.stages.extract_s, r.stages.embed_s, r.stages.write_s, r.stages.commit_s
    );
    if r.ocr_pages > 0 {
        println!(
            "OCR: {} pages in {:.1} s ({:.2} pages/s), part of extract.",
            r.ocr_pages,
            r.ocr_s,
            r.ocr_pages as f64 / r.ocr_s.max(1e-9)
        );
    }
    const SHOWN: usize = 15;
    if !r.skipped.is_empty() {
        println!("Skipped:");
        for s in r.skipped.iter().take(SHOWN) {
            println!("  {}: {}", s.path, s.reason);
        }
        if r.skipped.len() > SHOWN {
            println!(
                "  … and {} more (use --json for the full list)",
                r.skipped.len() - SHOWN
            );
        }
    }
}

fn search(args: SearchArgs) -> Result<()> {
    let index_dir = args.index.path();
    let embedder = load_embedder(&args.model)?;
    let f = &args.filter;
    let r = &args.review;
    // `[search] fusion` of trawl.toml when the flag names none
    let fusion = match &f.fusion {
        Some(f) => Some(f.clone()),
        None => crate::args::default_config()?.search.fusion,
    };
    let params = SearchParams {
        k: Some(args.k),
        mode: Some(args.mode.clone()),
        offset: Some(args.offset),
        fusion,
        review_tag: (!r.review_tag.is_empty()).then(|| r.review_tag.join(",")),
        thread: r.thread.clone(),
        // With any review option, results carry their near-duplicate groups.
        near_dups: Some(r.any()),
        collapse_near_dups: Some(r.collapse_near_dups),
        near_dup_threshold: Some(r.near_dup_threshold),
        ..SearchParams::filtered(args.query.clone(), f.spec())
    };
    let opened = crate::open::Opened::open(&args.backend, &index_dir, Some(&embedder))?;
    let response =
        trawl_service::search::run_search(opened.store(), &embedder, &params, &f.access())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&response)?);
    } else {
        let explained = args
            .explain
            .then(|| params.fusion())
            .transpose()?
            .map(Option::unwrap_or_default);
        print_results(&response, explained);
        discovery::print_near_dups(&response);
    }
    Ok(())
}

fn similar(args: SimilarArgs) -> Result<()> {
    let opened = crate::open::Opened::open(&args.backend, &args.index.path(), None)?;
    let mut params = trawl_service::api::SimilarParams {
        limit: Some(args.k),
        ..Default::default()
    };
    params.set_filter_spec(args.filter.spec());
    let access = match &args.groups {
        None => trawl_search::Access::All,
        Some(g) => {
            trawl_search::Access::groups(g.iter().map(|s| s.trim()).filter(|s| !s.is_empty()))
        }
    };
    let response =
        trawl_service::search::run_similar(opened.store(), &args.doc_id, &params, &access)?
            .ok_or_else(|| {
                anyhow::anyhow!("no document {:?} (or not visible to --groups)", args.doc_id)
            })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&response)?);
        return Ok(());
    }
    if response.results.is_empty() {
        println!("No other documents.");
        return Ok(());
    }
    println!("{:>3}  {:>6}  {:<16}  path", "#", "cosine", "doc id");
    for (i, r) in response.results.iter().enumerate() {
        println!(
            "{:>3}  {:>6.3}  {:<16}  {}",
            i + 1,
            r.score,
            r.doc_id,
            r.path
        );
    }
    Ok(())
}

/// Prints the results; with `explain` (the fusion the search used), a line under each saying
/// what made its rank.
pub(crate) fn print_results(r: &SearchResponse, explain: Option<trawl_search::Fusion>) {
    if r.results.is_empty() {
        println!("No documents match {:?}.", r.query);
        return;
    }
    for (i, hit) in r.results.iter().enumerate() {
        println!("{:>2}. {}  [{:.4}]", i + 1, hit.title, hit.score);
        let mut place = hit.path.clone();
        if let Some(s) = &hit.section {
            place.push_str(" › ");
            place.push_str(s);
        }
        if let Some(p) = hit.page {
            place.push_str(&format!(", p. {p}"));
            if hit.ocr {
                place.push_str(" (OCR)");
            }
        }
        println!("    {place}");
        println!("    {}", hit.snippet.replace('\n', " "));
        if explain.is_some() {
            println!("    why: {}", signals(hit, r.mode));
        }
    }
    if let Some(fusion) = explain.filter(|_| r.mode == trawl_search::Mode::Hybrid) {
        println!("hybrid score: {}", fusion_formula(fusion));
    }
    println!(
        "({} results, {} mode, {:.1} ms)",
        r.results.len(),
        r.mode,
        r.took_ms
    );
}

/// A result's rank and score in each arm, as `--explain` prints them.
fn signals(hit: &trawl_service::api::SearchResult, mode: trawl_search::Mode) -> String {
    use trawl_search::Mode;
    let keyword = match (hit.keyword_rank, hit.keyword_score) {
        (Some(rank), Some(score)) => {
            let share = hit.keyword_share.map_or(String::new(), |s| {
                format!(" = {:.0}% of the most this query can score", s * 100.0)
            });
            format!("keyword #{rank}, BM25 {score:.2}{share}")
        }
        _ => "keyword: not among its hits".to_owned(),
    };
    let semantic = match (hit.vector_rank, hit.vector_score) {
        (Some(rank), Some(cosine)) => format!("semantic #{rank}, cosine {cosine:.3}"),
        _ => "semantic: not among its hits".to_owned(),
    };
    match mode {
        Mode::Keyword => keyword,
        Mode::Vector => semantic,
        Mode::Hybrid => format!("{keyword} · {semantic}"),
    }
}

/// How `fusion` turns the arms' signals into the hybrid score.
fn fusion_formula(fusion: trawl_search::Fusion) -> String {
    use trawl_search::Fusion;
    match fusion {
        Fusion::Calibrated { vector_weight: w } => format!(
            "{fusion} = {w} × cosine + {} × keyword share (a document missing from an arm's \
             list scores 0 there, or the list's lowest when the list was cut)",
            1.0 - w
        ),
        Fusion::Convex { vector_weight: w } => format!(
            "{fusion} = {w} × cosine + {} × BM25, each min-max scaled over the arm's hits",
            1.0 - w
        ),
        Fusion::Rrf { k } => {
            format!("{fusion} = 1 / ({k} + keyword rank) + 1 / ({k} + semantic rank)")
        }
    }
}

fn serve(args: ServeArgs) -> Result<()> {
    let (config_path, required) = keys::config_path(&args.config);
    let mut config = Config::load(&config_path, required)?;
    // Flags and environment variables (clap reads both) win over the file.
    if let Some(a) = args.addr {
        config.server.addr = a;
    }
    if let Some(r) = args.rate_per_s {
        config.limits.rate_per_s = r;
    }
    if let Some(b) = args.burst {
        config.limits.burst = b;
    }
    config.index.roots.extend(args.roots.iter().cloned());
    config
        .validate()
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    let index_dir = args
        .index
        .index
        .clone()
        .or_else(|| config.index.path.clone())
        .unwrap_or_else(|| args.index.path());
    let embedder = load_embedder(&args.model)?;
    let cluster = args
        .backend
        .url(&config)
        .as_deref()
        .map(cluster::connect)
        .transpose()?;
    let index = if cluster.is_some() {
        // the server's own folder (audit log, uploads folder): the passages are on the cluster
        std::fs::create_dir_all(&index_dir)
            .with_context(|| format!("creating {}", index_dir.display()))?;
        Index::open_or_create(&index_dir, &spec_for(&embedder)).map_err(anyhow::Error::from)
    } else {
        open_index_for(&index_dir, &embedder)
    }
    .with_context(|| format!("serving {}", index_dir.display()))?;
    let (documents, chunks) = match &cluster {
        Some(c) => c.stats().context("reading the cluster's size")?,
        None => {
            let stats = index.stats();
            (stats.documents, stats.chunks)
        }
    };
    let source = match &cluster {
        Some(c) => c.url().to_string(),
        None => index_dir.display().to_string(),
    };
    // the server still searches without a generator; only /api/ask needs it
    let generator = match ask::load_generator(&args.generator) {
        Ok(g) => Some(Arc::new(g) as Arc<dyn trawl_generator::Generator>),
        Err(e) => {
            tracing::warn!("{e:#}; /api/ask is disabled");
            None
        }
    };
    let mut opts = trawl_web::ServiceOptions::for_index(&index_dir, config.clone());
    opts.keys_file = Some(keys::keys_file(&args.config, &config));
    if let Some(p) = &args.audit_log {
        opts.audit_path = p.clone();
    }
    if let Some(p) = &args.uploads_dir {
        opts.uploads_dir = p.clone();
    }
    let mut state = trawl_web::AppState::new(Arc::new(index), Arc::new(embedder), generator, opts)?;
    if let Some(c) = cluster {
        state = state.with_cluster(Arc::new(c));
    }
    let addr = config.server.addr;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        if !addr.ip().is_loopback() && !state.has_keys() {
            // Checked before binding, so nothing ever listens unprotected.
            return Err(trawl_web::StartError::Unprotected(addr).into());
        }
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, documents, chunks, "serving");
        println!("trawl is serving {documents} documents ({chunks} chunks) from {source} at http://{addr}/");
        trawl_web::serve(listener, state, shutdown_signal())
            .await
            .map_err(anyhow::Error::from)
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down; finishing in-flight requests");
}
