//! Parity of the cluster engine with the embedded one on a BEIR dataset.
//!
//! Reads the chunks and vectors of an existing embedded trawl index
//! (`trawl_search::Index::export_chunks`), loads them into the cluster collection (replacing
//! its contents unless `--skip-load`), embeds every judged query with the index's model, runs
//! each query through the keyword and the vector arm of both engines with a principal without
//! groups (public documents: the permission filter is exercised), folds chunk hits into
//! documents (best passage) and prints nDCG@10 per arm and engine, with p50/p99 latency and
//! sequential QPS of each arm (embedding excluded).
//!
//! ```sh
//! source ~/.cache/trawl/env   # ORT_DYLIB_PATH, TRAWL_MODEL_DIR
//! cargo run --release -p trawl-cluster --example parity -- \
//!     --index ~/.cache/trawl/eval/scifact-9e8025153763-v3 \
//!     --dataset ../shared/eval/scifact --split train
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use trawl_cluster::{ChunkInput, ChunkRef, DocumentInput, Filter, SolrBackend};
use trawl_embedder::{Embedder, ModelLocation, OnnxEmbedder, OnnxOptions};
use trawl_search::eval::{Judgments, Metrics};
use trawl_search::{Access, Index, Mode, SearchRequest};

#[derive(Parser)]
struct Args {
    /// An embedded trawl index of the dataset's corpus.
    #[arg(long)]
    index: PathBuf,
    /// A BEIR dataset folder (queries.jsonl, qrels/SPLIT.tsv).
    #[arg(long)]
    dataset: PathBuf,
    /// The qrels split.
    #[arg(long, default_value = "test")]
    split: String,
    /// The cluster collection (its contents are replaced).
    #[arg(
        long,
        default_value = "solr://127.0.0.1:18983,127.0.0.1:18984,127.0.0.1:18985/passages"
    )]
    url: String,
    /// Chunks each arm asks for before folding into documents.
    #[arg(long, default_value_t = 100)]
    depth: usize,
    /// Only the first N judged queries.
    #[arg(long)]
    limit: Option<usize>,
    /// Reuse what the collection holds (it must be this index's chunks).
    #[arg(long)]
    skip_load: bool,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let index = Index::open(&args.index)
        .with_context(|| format!("opening index {}", args.index.display()))?;
    let backend = SolrBackend::connect(&args.url)?;

    let t = Instant::now();
    let mut chunks = index.export_chunks(None)?;
    // Chunk ids grow in indexing order, so they give each document's chunk order.
    chunks.sort_by(|a, b| a.doc_id.cmp(&b.doc_id).then(a.chunk_id.cmp(&b.chunk_id)));
    let mut docs: Vec<DocumentInput> = Vec::new();
    for c in chunks {
        if docs.last().is_none_or(|d| d.doc_id != c.doc_id) {
            docs.push(DocumentInput {
                doc_id: c.doc_id.clone(),
                path: c.doc_id.clone(),
                title: c.title.clone(),
                kind: "text".into(),
                ..Default::default()
            });
        }
        let doc = docs.last_mut().expect("pushed above");
        doc.chunks.push(ChunkInput {
            text: c.text,
            section: c.section,
            page: None,
            vector: c.vector,
        });
    }
    let n_chunks: usize = docs.iter().map(|d| d.chunks.len()).sum();
    eprintln!(
        "exported {} documents, {n_chunks} chunks in {:.1} s",
        docs.len(),
        t.elapsed().as_secs_f64()
    );
    if !args.skip_load {
        let t = Instant::now();
        backend.delete_all()?;
        backend.commit()?;
        for (i, batch) in docs.chunks(250).enumerate() {
            backend.add_documents(batch)?;
            if i % 8 == 7 {
                eprintln!("  loaded {} documents", (i + 1) * 250);
            }
        }
        backend.commit()?;
        let s = t.elapsed().as_secs_f64();
        eprintln!(
            "loaded into {} in {s:.1} s ({:.0} chunks/s)",
            args.url,
            n_chunks as f64 / s
        );
    }
    let stored = backend.count()?;
    if stored != n_chunks as u64 {
        bail!("the collection holds {stored} chunks, the index {n_chunks}");
    }

    let (queries, qrels) = load_dataset(&args.dataset, &args.split)?;
    let queries: Vec<_> = queries
        .into_iter()
        .take(args.limit.unwrap_or(usize::MAX))
        .collect();
    let embedder = OnnxEmbedder::load(&ModelLocation::from_env(), OnnxOptions::default())
        .context("loading the embedding model (source ~/.cache/trawl/env)")?;
    let t = Instant::now();
    let vectors = queries
        .iter()
        .map(|(_, text)| embedder.embed_query(text))
        .collect::<Result<Vec<_>, _>>()?;
    eprintln!(
        "embedded {} queries in {:.1} s",
        queries.len(),
        t.elapsed().as_secs_f64()
    );

    let groups: Vec<String> = Vec::new();
    let access = Access::groups(groups.clone());
    println!(
        "{} queries ({} split), {} documents, {n_chunks} chunks; top {} chunks per arm folded to documents",
        queries.len(),
        args.split,
        docs.len(),
        args.depth
    );
    println!("| arm | engine | nDCG@10 | recall@10 | p50 ms | p99 ms | QPS | top-10 overlap |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for mode in [Mode::Keyword, Mode::Vector] {
        let mut runs: BTreeMap<&str, Run> = BTreeMap::new();
        for engine in ["embedded", "cluster"] {
            let mut run = Run::default();
            let started = Instant::now();
            for ((id, text), v) in queries.iter().zip(&vectors) {
                let t = Instant::now();
                let ranked: Vec<String> = if engine == "embedded" {
                    let mut req = SearchRequest::new(text.clone());
                    req.mode = mode;
                    req.k = 10; // the embedded engine digs max(5k, 100) = 100 chunks deep
                    req.access = access.clone();
                    index
                        .search(&req, Some(v))?
                        .hits
                        .into_iter()
                        .map(|h| h.doc_id)
                        .collect()
                } else {
                    let hits = match mode {
                        Mode::Keyword => {
                            backend.keyword(text, Some(&groups), &Filter::default(), args.depth)?
                        }
                        _ => backend.vector(v, Some(&groups), &Filter::default(), args.depth)?,
                    };
                    best_passage(&hits)
                };
                run.latency_ms.push(t.elapsed().as_secs_f64() * 1e3);
                run.metrics.push(Metrics::of(&ranked, &qrels[id]));
                run.top10.push(ranked.into_iter().take(10).collect());
            }
            run.seconds = started.elapsed().as_secs_f64();
            runs.insert(engine, run);
        }
        let overlap = {
            let (e, c) = (&runs["embedded"], &runs["cluster"]);
            e.top10
                .iter()
                .zip(&c.top10)
                .map(|(a, b)| {
                    let union = a.union(b).count().max(1);
                    a.intersection(b).count() as f64 / union as f64
                })
                .sum::<f64>()
                / e.top10.len().max(1) as f64
        };
        for engine in ["embedded", "cluster"] {
            let run = runs.get_mut(engine).expect("both ran");
            run.latency_ms.sort_by(f64::total_cmp);
            let m = Metrics::mean(&run.metrics);
            println!(
                "| {mode} | {engine} | {:.4} | {:.4} | {:.1} | {:.1} | {:.1} | {} |",
                m.ndcg_10,
                m.recall_10,
                percentile(&run.latency_ms, 0.5),
                percentile(&run.latency_ms, 0.99),
                run.latency_ms.len() as f64 / run.seconds,
                if engine == "cluster" {
                    format!("{:.3} (Jaccard)", overlap)
                } else {
                    String::new()
                }
            );
        }
        let delta = Metrics::mean(&runs["cluster"].metrics).ndcg_10
            - Metrics::mean(&runs["embedded"].metrics).ndcg_10;
        eprintln!("{mode}: cluster - embedded nDCG@10 = {delta:+.4}");
    }
    Ok(())
}

#[derive(Default)]
struct Run {
    metrics: Vec<Metrics>,
    latency_ms: Vec<f64>,
    top10: Vec<HashSet<String>>,
    seconds: f64,
}

/// Chunk hits (best first) → documents ranked by their best passage.
fn best_passage(hits: &[(ChunkRef, f32)]) -> Vec<String> {
    let mut seen = HashSet::new();
    hits.iter()
        .filter(|(c, _)| seen.insert(c.doc_id.clone()))
        .map(|(c, _)| c.doc_id.clone())
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Judged queries (id, text) in file order, and the judgments by query id.
type Dataset = (Vec<(String, String)>, HashMap<String, Judgments>);

/// Loads the judged queries of `split`.
fn load_dataset(dir: &Path, split: &str) -> Result<Dataset> {
    let qrels_path = dir.join("qrels").join(format!("{split}.tsv"));
    let mut qrels: HashMap<String, Judgments> = HashMap::new();
    let file = std::fs::File::open(&qrels_path)
        .with_context(|| format!("opening {}", qrels_path.display()))?;
    for line in std::io::BufReader::new(file).lines().skip(1) {
        let line = line?;
        let mut f = line.split('\t');
        if let (Some(q), Some(d), Some(g)) = (f.next(), f.next(), f.next()) {
            qrels
                .entry(q.to_owned())
                .or_default()
                .insert(d.to_owned(), g.trim().parse()?);
        }
    }
    #[derive(serde::Deserialize)]
    struct Query {
        #[serde(rename = "_id")]
        id: String,
        text: String,
    }
    let path = dir.join("queries.jsonl");
    let file = std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut queries = Vec::new();
    for line in std::io::BufReader::new(file).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let q: Query = serde_json::from_str(&line)?;
        if qrels.contains_key(&q.id) {
            queries.push((q.id, q.text));
        }
    }
    if queries.is_empty() {
        bail!("no judged query in {}", path.display());
    }
    Ok((queries, qrels))
}
