//! The `trawl` command line: index folders, search them, serve the web UI.

mod ask;
mod cli;
mod eval;
mod progress;

use std::{io::IsTerminal, path::Path, sync::Arc};

use anyhow::{Context, Result, bail};
use clap::Parser;
use trawl_embedder::{Embedder, ModelLocation, OnnxEmbedder, OnnxOptions};
use trawl_indexer::{ChunkOptions, IndexOptions, IndexReport};
use trawl_search::{Index, IndexSpec};
use trawl_web::api::{SearchParams, SearchResponse};

use crate::cli::{Cli, Command, IndexArgs, ModelArgs, SearchArgs, ServeArgs};

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
        Command::Eval(args) => eval::run(args),
        Command::Ask(args) => ask::run(args),
    }
}

pub(crate) fn load_embedder(args: &ModelArgs) -> Result<OnnxEmbedder> {
    let location = ModelLocation::resolve(args.model_dir.as_deref(), args.ort_lib.as_deref());
    let mut options = OnnxOptions::default();
    if let Some(t) = args.threads {
        options.intra_threads = t;
    }
    OnnxEmbedder::load(&location, options).context("loading the embedding model")
}

pub(crate) fn spec_for(embedder: &dyn Embedder) -> IndexSpec {
    let info = embedder.info();
    IndexSpec {
        model_name: info.name.clone(),
        model_fingerprint: info.fingerprint.clone(),
        dim: info.dim,
        hnsw: Default::default(),
    }
}

fn open_index(path: &Path) -> Result<Index> {
    Index::open(path).with_context(|| format!("opening index {}", path.display()))
}

fn index(args: IndexArgs) -> Result<()> {
    let embedder = load_embedder(&args.model)?;
    let index_dir = args.index.path();
    std::fs::create_dir_all(&index_dir)
        .with_context(|| format!("creating index directory {}", index_dir.display()))?;
    let index = Index::open_or_create(&index_dir, &spec_for(&embedder))
        .with_context(|| format!("opening index {}", index_dir.display()))?;
    let opts = IndexOptions {
        chunking: ChunkOptions {
            target_tokens: args.chunk_tokens,
            overlap_tokens: args.overlap_tokens,
        },
        ..IndexOptions::default()
    };
    let max_tokens = embedder.info().max_tokens.saturating_sub(2);
    if args.chunk_tokens > max_tokens {
        bail!(
            "--chunk-tokens {} exceeds what the model reads ({max_tokens} tokens); longer chunks would be truncated",
            args.chunk_tokens
        );
    }
    let progress = progress::CliProgress::new(args.json);
    let report = trawl_indexer::index_path(&args.dir, &index, &embedder, &opts, &progress)
        .with_context(|| format!("indexing {}", args.dir.display()))?;
    progress.finish();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report, &index_dir);
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
        "Time: extract {:.1} s, embed {:.1} s, write {:.1} s.",
        r.stages.extract_s, r.stages.embed_s, r.stages.write_s
    );
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
    let index = open_index(&index_dir)?;
    let embedder = load_embedder(&args.model)?;
    let f = &args.filter;
    let params = SearchParams {
        k: Some(args.k),
        mode: Some(args.mode.clone()),
        offset: Some(args.offset),
        kind: f.kind.clone(),
        tag: f.tag.clone(),
        custodian: f.custodian.clone(),
        path: f.path.clone(),
        from: f.from.clone(),
        to: f.to.clone(),
        fusion: f.fusion.clone(),
        ..SearchParams::new(args.query.clone())
    };
    let response = trawl_web::api::run_search(&index, &embedder, &params, &f.access())
        .map_err(|e| anyhow::anyhow!(e.message))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&response)?);
    } else {
        print_results(&response);
    }
    Ok(())
}

fn print_results(r: &SearchResponse) {
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
        }
        println!("    {place}");
        println!("    {}", hit.snippet.replace('\n', " "));
    }
    println!(
        "({} results, {} mode, {:.1} ms)",
        r.results.len(),
        r.mode,
        r.took_ms
    );
}

fn serve(args: ServeArgs) -> Result<()> {
    let index_dir = args.index.path();
    let index = open_index(&index_dir)?;
    let embedder = load_embedder(&args.model)?;
    let spec = index.spec();
    if spec.model_fingerprint != embedder.info().fingerprint {
        bail!(
            "index {} was built with model {} but {} is loaded; re-index or pass the same --model-dir",
            index_dir.display(),
            spec.model_name,
            embedder.info().name
        );
    }
    let stats = index.stats();
    // the server still searches without a generator; only /api/ask needs it
    let generator = match ask::load_generator(&args.generator) {
        Ok(g) => Some(Arc::new(g) as Arc<dyn trawl_embedder::Generator>),
        Err(e) => {
            tracing::warn!("{e:#}; /api/ask is disabled");
            None
        }
    };
    let state = trawl_web::AppState {
        index: Arc::new(index),
        embedder: Arc::new(embedder),
        generator,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("binding {}", args.addr))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, documents = stats.documents, chunks = stats.chunks, "serving");
        println!(
            "trawl is serving {} documents ({} chunks) from {} at http://{addr}/",
            stats.documents,
            stats.chunks,
            index_dir.display()
        );
        trawl_web::serve(listener, state, shutdown_signal())
            .await
            .context("serving HTTP")
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
