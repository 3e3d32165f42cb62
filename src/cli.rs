//! Command-line arguments.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand};

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
    /// Measure retrieval quality on judged queries (BEIR layout).
    Eval(EvalArgs),
    /// Answer a question from the index with a local model, citing the passages used.
    Ask(AskArgs),
}

/// Where the embedding model and ONNX Runtime are.
#[derive(Debug, Args)]
pub(crate) struct ModelArgs {
    /// Model directory holding trawl-model.json [default: $TRAWL_HOME/models/all-minilm-l6-v2-int8]
    #[arg(long, env = "TRAWL_MODEL_DIR", global = true)]
    pub(crate) model_dir: Option<PathBuf>,
    /// ONNX Runtime shared library [default: $TRAWL_HOME/onnxruntime/libonnxruntime.so.1.31.1]
    #[arg(long, env = "ORT_DYLIB_PATH", global = true)]
    pub(crate) ort_lib: Option<PathBuf>,
    /// Threads per embedding call [default: all cores]
    #[arg(long, env = "TRAWL_THREADS", global = true)]
    pub(crate) threads: Option<usize>,
}

/// The answer generator (a GGUF chat model run by llama.cpp).
#[derive(Debug, Args)]
pub(crate) struct GeneratorArgs {
    /// GGUF chat model [default: $TRAWL_HOME/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf]
    #[arg(long, env = "TRAWL_GENERATOR_MODEL")]
    pub(crate) generator_model: Option<PathBuf>,
    /// Context window of the generator, in tokens.
    #[arg(long, env = "TRAWL_GENERATOR_CONTEXT", default_value_t = 2048)]
    pub(crate) generator_context: u32,
}

/// Which index to use.
#[derive(Debug, Args)]
pub(crate) struct IndexLocation {
    /// Index directory [default: $TRAWL_HOME/index]
    #[arg(long, env = "TRAWL_INDEX")]
    pub(crate) index: Option<PathBuf>,
}

impl IndexLocation {
    pub(crate) fn path(&self) -> PathBuf {
        self.index
            .clone()
            .unwrap_or_else(|| trawl_embedder::ModelLocation::trawl_home().join("index"))
    }
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
    #[command(flatten)]
    pub(crate) filter: FilterArgs,
    /// Print results as JSON (the same shape as GET /api/search).
    #[arg(long)]
    pub(crate) json: bool,
}

/// Filters and permissions shared by `search` and `eval`.
#[derive(Debug, Args)]
pub(crate) struct FilterArgs {
    /// Only these file types (comma-separated: pdf,docx,markdown,…).
    #[arg(long)]
    pub(crate) kind: Option<String>,
    /// Only documents with any of these tags (comma-separated).
    #[arg(long)]
    pub(crate) tag: Option<String>,
    /// Only these custodians (comma-separated).
    #[arg(long)]
    pub(crate) custodian: Option<String>,
    /// Only paths starting with this prefix (relative to the indexed folder).
    #[arg(long)]
    pub(crate) path: Option<String>,
    /// Documents dated on or after YYYY-MM-DD.
    #[arg(long)]
    pub(crate) from: Option<String>,
    /// Documents dated on or before YYYY-MM-DD.
    #[arg(long)]
    pub(crate) to: Option<String>,
    /// Search as a principal in these access groups (comma-separated): only
    /// public documents and those of these groups are returned, counted or quoted.
    #[arg(long, value_delimiter = ',')]
    pub(crate) groups: Option<Vec<String>>,
    /// Hybrid fusion: rrf, rrf:K, convex or convex:WEIGHT (default convex:0.5).
    #[arg(long)]
    pub(crate) fusion: Option<String>,
}

impl FilterArgs {
    pub(crate) fn access(&self) -> trawl_search::Access {
        match &self.groups {
            None => trawl_search::Access::All,
            Some(g) => {
                trawl_search::Access::groups(g.iter().map(|s| s.trim()).filter(|s| !s.is_empty()))
            }
        }
    }
}

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
    pub(crate) generator: GeneratorArgs,
    /// Address to listen on.
    #[arg(long, env = "TRAWL_ADDR", default_value = "127.0.0.1:7700")]
    pub(crate) addr: SocketAddr,
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
    /// Index directory [default: $TRAWL_HOME/eval/DATASET-MODEL]; reused while the
    /// corpus and model are unchanged.
    #[arg(long)]
    pub(crate) index: Option<PathBuf>,
    /// Evaluate only the first N queries.
    #[arg(long)]
    pub(crate) limit: Option<usize>,
    /// Fail (exit 1) when hybrid nDCG@10 is below this value.
    #[arg(long)]
    pub(crate) min_hybrid_ndcg: Option<f64>,
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
    #[command(flatten)]
    pub(crate) generator: GeneratorArgs,
}
