//! `trawl eval`: retrieval quality of each arm and of hybrid fusion on
//! judged queries (BEIR layout), with the index built once and reused.

use std::{
    collections::{BTreeMap, HashMap},
    io::BufRead,
    path::{Path, PathBuf},
    time::Instant,
};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use trawl_embedder::{Embedder, ModelLocation, OnnxEmbedder};
use trawl_search::{
    Index, Mode, SearchRequest,
    eval::{Judgments, Metrics},
};

use crate::cli::EvalArgs;
use trawl_service::Store;

mod answers;
mod fit;

/// A dataset whose documents are files in a folder, judged by relative path.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FolderDataset {
    /// The folder of documents, relative to the dataset directory.
    corpus_dir: PathBuf,
}

pub(crate) struct Dataset {
    pub(crate) name: String,
    /// `(query id, text)` of every judged query.
    pub(crate) queries: Vec<(String, String)>,
    pub(crate) qrels: HashMap<String, Judgments>,
    pub(crate) split: String,
    /// BEIR `corpus.jsonl`, or a folder judged by path.
    corpus: Corpus,
}

pub(crate) enum Corpus {
    Jsonl(PathBuf),
    Folder(PathBuf),
}

#[derive(Debug, Serialize)]
struct ModeReport {
    #[serde(flatten)]
    metrics: Metrics,
    /// Median search latency, query embedding excluded.
    p50_ms: f64,
    p95_ms: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    dataset: String,
    split: String,
    /// `embedded`, or the cluster's `solr://` URL the queries ran on.
    backend: String,
    queries: usize,
    documents: u64,
    chunks: u64,
    fusion: String,
    keyword: ModeReport,
    vector: ModeReport,
    hybrid: ModeReport,
    timings: Timings,
    /// `--fit`: the calibrated weight fitted to these judgments, and whether it was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    fit: Option<fit::FitReport>,
}

/// One query's rankings per arm, as `--runs` writes them.
#[derive(Debug, Default, Serialize)]
struct RunRecord {
    id: String,
    query: String,
    keyword_ceiling: f32,
    /// Mode → documents best first with their score in that mode.
    arms: BTreeMap<String, Vec<(String, f32)>>,
    judgments: Judgments,
}

/// What judgments name: with `by_path`, a file. An attachment or a mailbox's message is
/// indexed as a child document (`mail/x.mbox › message-1.eml`) but judged as part of its
/// file, so a child hit counts for the file, once, at the rank of its first appearance.
fn judged_units(hits: impl Iterator<Item = (String, f32)>, by_path: bool) -> Vec<(String, f32)> {
    let mut seen = std::collections::HashSet::new();
    hits.filter_map(|(unit, score)| {
        let unit = if by_path {
            file_of(&unit).to_owned()
        } else {
            unit
        };
        seen.insert(unit.clone()).then_some((unit, score))
    })
    .collect()
}

/// Points judgments of a file that is not indexed because an identical file is (the indexer
/// keeps one document per content) at the indexed copy's path, keeping the higher grade when
/// both are judged; returns how many were moved. Without it, judging the copy a reader happened
/// to open made the document unfindable, and judging both counted it twice in the ideal ranking.
fn judge_indexed_copies(
    qrels: &mut HashMap<String, Judgments>,
    corpus: &Path,
    index: &Index,
) -> Result<usize> {
    // each judged path once: the indexed copy of its content, where that is another path
    let judged: std::collections::BTreeSet<String> =
        qrels.values().flat_map(|j| j.keys().cloned()).collect();
    let mut copies: HashMap<String, String> = HashMap::new();
    for path in judged {
        let file = corpus.join(&path);
        if !file.is_file() {
            continue;
        }
        let id = trawl_indexer::file_doc_id(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        if let Some(doc) = index.document(&id, &trawl_search::Access::All)?
            && doc.path != path
        {
            copies.insert(path, doc.path);
        }
    }
    let mut moved = 0;
    for judgments in qrels.values_mut() {
        for (path, grade) in std::mem::take(judgments) {
            let key = match copies.get(&path) {
                Some(copy) => {
                    moved += 1;
                    copy.clone()
                }
                None => path,
            };
            let g = judgments.entry(key).or_insert(grade);
            *g = (*g).max(grade);
        }
    }
    Ok(moved)
}

/// The file a path judged by path stands for: an attachment's or a message's containing file.
pub(crate) fn file_of(path: &str) -> &str {
    path.split_once(trawl_indexer::CHILD_PATH_SEPARATOR)
        .map_or(path, |(file, _)| file)
}

/// The fusion an evaluation runs with: `--fusion`, else `[search] fusion` of the configuration
/// file (which `--fit` writes, creating it), else the default; and that file's path.
pub(crate) fn fusion_of(args: &EvalArgs) -> Result<(trawl_search::Fusion, PathBuf)> {
    let (path, required) = crate::args::config_path(args.config.as_deref());
    // --fit creates the file it names
    let required = required && !args.fit;
    let fusion = match args.filter.fusion.as_deref() {
        Some(f) => f.parse().map_err(|e| anyhow::anyhow!("{e}"))?,
        None => trawl_web::config::Config::load(&path, required)?
            .search
            .fusion(),
    };
    Ok((fusion, path))
}

/// Runs the judged queries (their vectors embedded once) in any mode and fusion.
pub(crate) struct Ranker<'a> {
    store: Store<'a>,
    queries: &'a [&'a (String, String)],
    vectors: &'a [Vec<f32>],
    access: trawl_search::Access,
    ef_search: Option<usize>,
    by_path: bool,
}

impl Ranker<'_> {
    /// Query `i`'s top 100 judged units best first with their scores, and the keyword arm's
    /// score ceiling (0 on a cluster, which folds it into each hit's keyword share).
    pub(crate) fn rank(
        &self,
        i: usize,
        mode: Mode,
        fusion: trawl_search::Fusion,
    ) -> Result<(Vec<(String, f32)>, f32)> {
        let (_, text) = self.queries[i];
        let v = &self.vectors[i];
        let mut req = SearchRequest::new(text.clone());
        req.mode = mode;
        req.k = 100;
        req.fusion = fusion;
        req.access = self.access.clone();
        req.ef_search = self.ef_search;
        let (hits, ceiling) = match self.store {
            Store::Embedded(index) => {
                let results = index.search(&req, Some(v))?;
                (results.hits, results.keyword_ceiling)
            }
            Store::Cluster(_) => (self.store.search(&req, || Ok(v.clone()))?, 0.0),
        };
        let scored = judged_units(
            hits.into_iter()
                .map(|h| (if self.by_path { h.path } else { h.doc_id }, h.score)),
            self.by_path,
        );
        Ok((scored, ceiling))
    }

    pub(crate) fn len(&self) -> usize {
        self.queries.len()
    }
}

fn write_runs(path: &Path, runs: &[RunRecord]) -> Result<()> {
    let mut out = String::new();
    for r in runs {
        out.push_str(&serde_json::to_string(r)?);
        out.push('\n');
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

#[derive(Debug, Serialize)]
struct Timings {
    index_s: f64,
    embed_query_p50_ms: f64,
    total_s: f64,
}

pub(crate) fn load(dir: &Path, split: Option<&str>) -> Result<Dataset> {
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "dataset".into());
    let corpus = if dir.join("corpus.jsonl").is_file() {
        Corpus::Jsonl(dir.join("corpus.jsonl"))
    } else if dir.join("dataset.json").is_file() {
        let path = dir.join("dataset.json");
        let spec: FolderDataset = serde_json::from_slice(
            &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("parsing {}", path.display()))?;
        Corpus::Folder(dir.join(spec.corpus_dir))
    } else {
        bail!(
            "{} has neither corpus.jsonl (BEIR) nor dataset.json (a folder corpus judged by path)",
            dir.display()
        );
    };
    let split = match split {
        Some(s) => s.to_owned(),
        None if dir.join("qrels/test.tsv").is_file() => "test".into(),
        None => {
            let mut found: Vec<String> = std::fs::read_dir(dir.join("qrels"))
                .with_context(|| format!("listing {}", dir.join("qrels").display()))?
                .flatten()
                .filter_map(|e| {
                    e.file_name()
                        .to_str()?
                        .strip_suffix(".tsv")
                        .map(str::to_owned)
                })
                .collect();
            found.sort();
            match found.as_slice() {
                [one] => one.clone(),
                [] => bail!("no qrels/*.tsv in {}", dir.display()),
                many => bail!(
                    "several splits ({}); choose one with --split",
                    many.join(", ")
                ),
            }
        }
    };
    let qrels_path = dir.join("qrels").join(format!("{split}.tsv"));
    let mut qrels: HashMap<String, Judgments> = HashMap::new();
    let file = std::fs::File::open(&qrels_path)
        .with_context(|| format!("opening {}", qrels_path.display()))?;
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", qrels_path.display()))?;
        let cols: Vec<&str> = line.split('\t').collect();
        if i == 0 && cols.first().is_some_and(|c| c.starts_with("query")) || line.trim().is_empty()
        {
            continue;
        }
        let [q, d, g] = cols[..] else {
            bail!(
                "{}:{}: expected query-id, corpus-id, score",
                qrels_path.display(),
                i + 1
            );
        };
        let grade: i32 = g
            .trim()
            .parse()
            .with_context(|| format!("{}:{}: bad score {g:?}", qrels_path.display(), i + 1))?;
        qrels
            .entry(q.to_owned())
            .or_default()
            .insert(d.to_owned(), grade);
    }
    let queries_path = dir.join("queries.jsonl");
    let file = std::fs::File::open(&queries_path)
        .with_context(|| format!("opening {}", queries_path.display()))?;
    let mut queries = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        #[derive(Deserialize)]
        struct Q {
            #[serde(rename = "_id")]
            id: String,
            text: String,
        }
        let q: Q = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}", queries_path.display(), i + 1))?;
        if qrels.contains_key(&q.id) {
            queries.push((q.id, q.text));
        }
    }
    if queries.is_empty() {
        bail!(
            "no query in {} has judgments in {}",
            queries_path.display(),
            qrels_path.display()
        );
    }
    Ok(Dataset {
        name,
        queries,
        qrels,
        split,
        corpus,
    })
}

/// The `p` quantile (0..=1) of ascending `sorted`, nearest rank; 0 when empty.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// A dataset with its index built (or brought up to date) and opened.
pub(crate) struct Prepared {
    pub(crate) data: Dataset,
    pub(crate) index: Index,
    pub(crate) index_dir: PathBuf,
    /// What the indexing run did (little, when the cached index was current).
    pub(crate) report: trawl_indexer::IndexReport,
    /// Whether judgments name documents by path (folder datasets) rather than id.
    pub(crate) by_path: bool,
}

/// Loads `dataset` and indexes its corpus into `index` (by default a cache
/// under `$TRAWL_HOME/eval/` keyed by dataset, model and index format).
pub(crate) fn prepare(
    dataset: &Path,
    split: Option<&str>,
    index: Option<PathBuf>,
    embedder: &OnnxEmbedder,
    quiet: bool,
) -> Result<Prepared> {
    let data = load(dataset, split)?;
    let fingerprint: String = embedder.info().fingerprint.chars().take(12).collect();
    let index_dir = index.unwrap_or_else(|| {
        ModelLocation::trawl_home().join("eval").join(format!(
            "{}-{fingerprint}-v{}",
            data.name,
            trawl_search::FORMAT_VERSION
        ))
    });
    std::fs::create_dir_all(&index_dir)
        .with_context(|| format!("creating {}", index_dir.display()))?;
    let index = Index::open_or_create(&index_dir, &crate::open::spec_for(embedder))
        .with_context(|| format!("opening index {}", index_dir.display()))?;

    // Indexing is incremental: an unchanged corpus and model cost one scan.
    let progress = crate::progress::CliProgress::new(quiet);
    let opts = trawl_indexer::IndexOptions::default();
    let (report, by_path) = match &data.corpus {
        Corpus::Jsonl(file) => (
            trawl_indexer::index_jsonl(file, &index, embedder, &opts, &progress)
                .with_context(|| format!("indexing {}", file.display()))?,
            false,
        ),
        Corpus::Folder(dir) => (
            trawl_indexer::index_directory(dir, &index, embedder, &opts, &progress)
                .map_err(|e| match e {
                    e @ trawl_indexer::Error::OtherFolder { .. } => anyhow::anyhow!(
                        "{e}. Nothing was changed: the dataset's documents are in {}; omit --index to evaluate on an index of their own, or give one built from that folder",
                        dir.display()
                    ),
                    e => anyhow::Error::new(e),
                })
                .with_context(|| format!("indexing {}", dir.display()))?,
            true,
        ),
    };
    progress.finish();
    let mut data = data;
    if let Corpus::Folder(dir) = &data.corpus {
        let renamed = judge_indexed_copies(&mut data.qrels, dir, &index)?;
        if renamed > 0 && !quiet {
            eprintln!(
                "{renamed} judgments name a file whose identical copy is indexed under another path; they count for that copy"
            );
        }
    }
    Ok(Prepared {
        data,
        index,
        index_dir,
        report,
        by_path,
    })
}

pub(crate) fn run(args: EvalArgs) -> Result<()> {
    let started = Instant::now();
    let embedder = crate::open::load_embedder(&args.model)?;
    let t = Instant::now();
    let Prepared {
        data,
        index,
        by_path,
        ..
    } = prepare(
        &args.dataset,
        args.split.as_deref(),
        args.index.clone(),
        &embedder,
        args.json,
    )?;
    let cluster = args.backend.connect()?;
    if let Some(backend) = &cluster {
        let t = Instant::now();
        let pushed = crate::cluster::push(&index, backend, None)
            .with_context(|| format!("loading the corpus into {}", backend.url()))?;
        if !args.json {
            eprintln!(
                "cluster {}: {} documents stored, {} unchanged, {} removed in {:.1} s",
                backend.url(),
                pushed.stored,
                pushed.unchanged,
                pushed.deleted,
                t.elapsed().as_secs_f64()
            );
        }
    }
    let store = match &cluster {
        Some(backend) => Store::Cluster(backend),
        None => Store::Embedded(&index),
    };
    let index_s = t.elapsed().as_secs_f64();
    if args.answers {
        return answers::run(&args, &data, store, &embedder, by_path);
    }

    let queries: Vec<&(String, String)> = data
        .queries
        .iter()
        .take(args.limit.unwrap_or(usize::MAX))
        .collect();
    let (fusion, config_path) = fusion_of(&args)?;
    let mut embed_ms = Vec::with_capacity(queries.len());
    let mut vectors = Vec::with_capacity(queries.len());
    for (_, text) in &queries {
        let t = Instant::now();
        vectors.push(embedder.embed_query(text)?);
        embed_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let ranker = Ranker {
        store,
        queries: &queries,
        vectors: &vectors,
        access: args.filter.access(),
        ef_search: args.ef_search,
        by_path,
    };

    let mut reports = BTreeMap::new();
    // Per query: (mode, ranked (document, score)) and the keyword ceiling, for `--runs`.
    let mut runs: Vec<RunRecord> = queries
        .iter()
        .map(|(id, text)| RunRecord {
            id: id.clone(),
            query: text.clone(),
            judgments: data.qrels[id].clone(),
            ..RunRecord::default()
        })
        .collect();
    let mut hybrid_ndcgs = Vec::with_capacity(queries.len());
    for mode in [Mode::Keyword, Mode::Vector, Mode::Hybrid] {
        let mut metrics = Vec::with_capacity(queries.len());
        let mut latency = Vec::with_capacity(queries.len());
        for (i, (id, _)) in queries.iter().enumerate() {
            let t = Instant::now();
            let (scored, ceiling) = ranker.rank(i, mode, fusion)?;
            latency.push(t.elapsed().as_secs_f64() * 1e3);
            let record = &mut runs[i];
            record.keyword_ceiling = ceiling;
            let ranked: Vec<String> = scored.iter().map(|(d, _)| d.clone()).collect();
            metrics.push(Metrics::of(&ranked, &data.qrels[id]));
            record.arms.insert(mode.to_string(), scored);
        }
        if mode == Mode::Hybrid {
            hybrid_ndcgs = metrics.iter().map(|m| m.ndcg_10).collect();
        }
        latency.sort_by(f64::total_cmp);
        reports.insert(
            mode.to_string(),
            ModeReport {
                metrics: Metrics::mean(&metrics),
                p50_ms: percentile(&latency, 0.5),
                p95_ms: percentile(&latency, 0.95),
            },
        );
    }
    if let Some(path) = &args.runs {
        write_runs(path, &runs)?;
    }
    let fitted = if args.fit {
        Some(fit::fit(
            &ranker,
            &data,
            fusion,
            &hybrid_ndcgs,
            &config_path,
            args.json,
        )?)
    } else {
        None
    };
    embed_ms.sort_by(f64::total_cmp);
    let (documents, chunks) = match &cluster {
        Some(backend) => backend.stats()?,
        None => {
            let stats = index.stats();
            (stats.documents, stats.chunks)
        }
    };
    let mut take = |m: &str| reports.remove(m).expect("every mode ran");
    let report = Report {
        dataset: data.name,
        split: data.split,
        backend: cluster
            .as_ref()
            .map_or_else(|| "embedded".to_owned(), |b| b.url().to_string()),
        queries: queries.len(),
        documents,
        chunks,
        fusion: format!("{fusion:?}"),
        keyword: take("keyword"),
        vector: take("vector"),
        hybrid: take("hybrid"),
        timings: Timings {
            index_s,
            embed_query_p50_ms: percentile(&embed_ms, 0.5),
            total_s: started.elapsed().as_secs_f64(),
        },
        fit: fitted,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} ({} split) on {}: {} queries over {} documents, {} chunks; fusion {}",
            report.dataset,
            report.split,
            report.backend,
            report.queries,
            report.documents,
            report.chunks,
            report.fusion
        );
        println!(
            "{:<8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}",
            "mode", "nDCG@10", "R@10", "R@100", "MRR@10", "p50 ms", "p95 ms"
        );
        for (name, m) in [
            ("keyword", &report.keyword),
            ("vector", &report.vector),
            ("hybrid", &report.hybrid),
        ] {
            println!(
                "{name:<8} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>9.2} {:>9.2}",
                m.metrics.ndcg_10,
                m.metrics.recall_10,
                m.metrics.recall_100,
                m.metrics.mrr_10,
                m.p50_ms,
                m.p95_ms
            );
        }
        println!(
            "query embedding p50 {:.2} ms; indexing {:.1} s; total {:.1} s",
            report.timings.embed_query_p50_ms, report.timings.index_s, report.timings.total_s
        );
        if let Some(f) = &report.fit {
            fit::print(f);
        }
    }
    if let Some(floor) = args.min_hybrid_ndcg
        && report.hybrid.metrics.ndcg_10 < floor
    {
        bail!(
            "hybrid nDCG@10 {:.4} is below the floor {floor:.4}",
            report.hybrid.metrics.ndcg_10
        );
    }
    let best_arm = report
        .keyword
        .metrics
        .ndcg_10
        .max(report.vector.metrics.ndcg_10);
    if args.require_fusion_gain && report.hybrid.metrics.ndcg_10 <= best_arm {
        bail!(
            "hybrid nDCG@10 {:.4} is not above the better arm's {best_arm:.4} (keyword {:.4}, vector {:.4})",
            report.hybrid.metrics.ndcg_10,
            report.keyword.metrics.ndcg_10,
            report.vector.metrics.ndcg_10
        );
    }
    Ok(())
}
