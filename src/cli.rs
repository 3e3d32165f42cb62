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
    /// Create, list or revoke API keys for `trawl serve`.
    #[command(subcommand)]
    Keys(KeysCommand),
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

/// Flags and environment variables override `trawl.toml`, which overrides the defaults.
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
}
