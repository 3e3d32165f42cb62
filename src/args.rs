//! The argument groups several commands share: where the model, the generator and the index
//! are, and the metadata filter and principal of a listing. Each command's own arguments are in
//! [`crate::cli`] (or beside the command), which flattens these.

use std::path::PathBuf;

use clap::Args;

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
    /// Threads of the generator [default: adaptive: all cores when the CPU is otherwise
    /// idle at the start of a request, one when other work is runnable]
    #[arg(long, env = "TRAWL_GENERATOR_THREADS", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) generator_threads: Option<u16>,
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

/// The metadata filter flags every listing command takes: the CLI face of the service's
/// `FilterSpec`, which parses and checks them.
#[derive(Debug, Args)]
pub(crate) struct FilterFlags {
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
    /// Files modified on or after YYYY-MM-DD (file time; `--from` is the
    /// document's own date, e.g. an e-mail's sent date).
    #[arg(long)]
    pub(crate) modified_from: Option<String>,
    /// Files modified on or before YYYY-MM-DD.
    #[arg(long)]
    pub(crate) modified_to: Option<String>,
}

impl FilterFlags {
    pub(crate) fn spec(&self) -> trawl_service::filter::FilterSpec {
        trawl_service::filter::FilterSpec {
            kind: self.kind.clone(),
            tag: self.tag.clone(),
            custodian: self.custodian.clone(),
            path: self.path.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            modified_from: self.modified_from.clone(),
            modified_to: self.modified_to.clone(),
        }
    }
}

/// Filters and permissions shared by `search` and `eval`.
#[derive(Debug, Args)]
pub(crate) struct FilterArgs {
    #[command(flatten)]
    pub(crate) meta: FilterFlags,
    /// Search as a principal in these access groups (comma-separated): only
    /// public documents and those of these groups are returned, counted or quoted.
    #[arg(long, value_delimiter = ',')]
    pub(crate) groups: Option<Vec<String>>,
    /// Hybrid fusion: calibrated, calibrated:WEIGHT, rrf, rrf:K, convex or convex:WEIGHT (default calibrated:0.4).
    #[arg(long)]
    pub(crate) fusion: Option<String>,
}

impl FilterArgs {
    pub(crate) fn spec(&self) -> trawl_service::filter::FilterSpec {
        self.meta.spec()
    }

    pub(crate) fn access(&self) -> trawl_search::Access {
        access_of(&self.groups)
    }
}

/// The principal named by a `--groups` flag: everything when absent, else public documents
/// and those of the listed groups.
pub(crate) fn access_of(groups: &Option<Vec<String>>) -> trawl_search::Access {
    match groups {
        None => trawl_search::Access::All,
        Some(g) => {
            trawl_search::Access::groups(g.iter().map(|s| s.trim()).filter(|s| !s.is_empty()))
        }
    }
}

/// Where the passages are kept: the local index, or a cluster.
#[derive(Debug, Args)]
pub(crate) struct BackendArgs {
    /// Keep and search the passages on a cluster, `solr://HOST:PORT[,HOST:PORT…]/COLLECTION`
    /// [default: `[index] backend` of trawl.toml, else the local index]
    #[arg(long, env = "TRAWL_BACKEND")]
    pub(crate) backend: Option<String>,
}

impl BackendArgs {
    /// The cluster's URL: the flag (or `TRAWL_BACKEND`), else `[index] backend` of `config`.
    pub(crate) fn url(&self, config: &trawl_web::config::Config) -> Option<String> {
        self.backend
            .clone()
            .or_else(|| config.index.backend.clone())
            .filter(|u| !u.trim().is_empty())
    }

    /// Connects to the cluster when one is named (flag or `trawl.toml` at its default place).
    pub(crate) fn connect(&self) -> anyhow::Result<Option<trawl_cluster::SolrBackend>> {
        let config = if self.backend.is_some() {
            trawl_web::config::Config::default()
        } else {
            default_config()?
        };
        self.url(&config)
            .as_deref()
            .map(crate::cluster::connect)
            .transpose()
    }
}

/// `trawl.toml` where commands without a `--config` flag look for it (`$TRAWL_CONFIG`, else
/// `$TRAWL_HOME/trawl.toml`), or the defaults when there is none.
pub(crate) fn default_config() -> anyhow::Result<trawl_web::config::Config> {
    let (path, required) = config_path(None);
    Ok(trawl_web::config::Config::load(&path, required)?)
}

/// Where `trawl.toml` is, and whether it must exist: the `--config` flag's file (which must),
/// else `$TRAWL_CONFIG` (which must), else `$TRAWL_HOME/trawl.toml` (used when present).
pub(crate) fn config_path(flag: Option<&std::path::Path>) -> (PathBuf, bool) {
    match flag
        .map(std::path::Path::to_path_buf)
        .or_else(|| std::env::var_os("TRAWL_CONFIG").map(PathBuf::from))
    {
        Some(p) => (p, true),
        None => (
            trawl_embedder::ModelLocation::trawl_home().join("trawl.toml"),
            false,
        ),
    }
}
