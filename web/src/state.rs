//! What every request shares: [`AppState`] (the index, the models and the server's own parts),
//! the options and errors of starting it, and [`Ctx`], who is asking.

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex, atomic::AtomicBool},
    time::{Duration, Instant},
};
use trawl_cluster::SolrBackend;
use trawl_service::Store;

use trawl_embedder::Embedder;
use trawl_generator::Generator;
use trawl_indexer::IndexOptions;
use trawl_search::Index;

use crate::{
    audit::{AuditLog, Record},
    auth::{KeyStore, Principal},
    config::Config,
    jobs::{Jobs, WorkerContext},
    metrics::Metrics,
    saved::SavedStore,
};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The open index.
    pub index: Arc<Index>,
    /// The query embedder (same model as the index).
    pub embedder: Arc<dyn Embedder>,
    /// The answer generator; `None` disables `/api/ask` (503 `generator_unavailable`).
    pub generator: Option<Arc<dyn Generator>>,
    /// The cluster the passages live on (`trawl serve --backend`); `None`: the index above.
    /// On a cluster, `index` is the server's own folder only (audit log, uploads) and the
    /// endpoints that would read it are refused (`routes::cluster_scope`).
    pub cluster: Option<Arc<SolrBackend>>,
    pub(crate) service: Arc<Service>,
}

/// The server's own parts besides the index and the model.
pub(crate) struct Service {
    pub(crate) config: Config,
    pub(crate) keys: KeyStore,
    /// Set by [`crate::serve`]: keyless local mode is allowed on loopback only.
    pub(crate) loopback: AtomicBool,
    pub(crate) audit: Arc<AuditLog>,
    pub(crate) jobs: Jobs,
    pub(crate) metrics: Metrics,
    pub(crate) uploads_dir: PathBuf,
    pub(crate) roots: Vec<PathBuf>,
    pub(crate) saved: SavedStore,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Where the server keeps its files; the binary fills these from `trawl.toml`,
/// the environment and flags.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// The configuration (limits, `[[keys]]`, roots, …).
    pub config: Config,
    /// Keys file written by `trawl keys create`.
    pub keys_file: Option<PathBuf>,
    /// Audit log file.
    pub audit_path: PathBuf,
    /// Managed uploads folder.
    pub uploads_dir: PathBuf,
    /// The saved-searches file.
    pub saved_searches_path: PathBuf,
    /// How uploads are indexed.
    pub index_options: IndexOptions,
}

impl ServiceOptions {
    /// Defaults for an index at `index_dir`: audit log and uploads inside
    /// it, no keys file.
    pub fn for_index(index_dir: &std::path::Path, config: Config) -> Self {
        Self {
            audit_path: config
                .audit
                .path
                .clone()
                .unwrap_or_else(|| index_dir.join("audit.jsonl")),
            uploads_dir: config
                .index
                .uploads_dir
                .clone()
                .unwrap_or_else(|| index_dir.join("uploads")),
            keys_file: config.auth.keys_file.clone(),
            saved_searches_path: index_dir.join("saved-searches.json"),
            index_options: IndexOptions {
                ocr: config.ocr.options(),
                ..IndexOptions::default()
            },
            config,
        }
    }
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A keys, audit or uploads file could not be used.
    #[error("{0}")]
    Files(String),
    /// Bound beyond loopback without any API key.
    #[error(
        "refusing to serve on {0} without API keys: anyone who can reach it could read every document. Create a key with `trawl keys create --name NAME --groups GROUPS`, or bind to 127.0.0.1 for local single-user mode"
    )]
    Unprotected(SocketAddr),
    /// Serving failed.
    #[error("serving HTTP: {0}")]
    Io(#[from] std::io::Error),
}

impl AppState {
    /// The state of a server over `index`, with uploads indexed in the
    /// background by a worker thread.
    pub fn new(
        index: Arc<Index>,
        embedder: Arc<dyn Embedder>,
        generator: Option<Arc<dyn Generator>>,
        opts: ServiceOptions,
    ) -> Result<Self, StartError> {
        let keys = KeyStore::new(&opts.config.keys, opts.keys_file.clone())
            .map_err(|e| StartError::Files(e.to_string()))?;
        let audit = AuditLog::open(
            &opts.audit_path,
            opts.config.audit.max_bytes,
            opts.config.audit.keep,
        )
        .map_err(|e| StartError::Files(format!("audit log {}: {e}", opts.audit_path.display())))?;
        let audit = Arc::new(audit);
        std::fs::create_dir_all(&opts.uploads_dir).map_err(|e| {
            StartError::Files(format!(
                "uploads folder {}: {e}",
                opts.uploads_dir.display()
            ))
        })?;
        let saved = SavedStore::open(&opts.saved_searches_path).map_err(|e| {
            StartError::Files(format!(
                "saved searches {}: {e}",
                opts.saved_searches_path.display()
            ))
        })?;
        let jobs = Jobs::start(WorkerContext {
            index: index.clone(),
            embedder: embedder.clone(),
            audit: audit.clone(),
            opts: opts.index_options.clone(),
        });
        Ok(Self {
            index,
            embedder,
            generator,
            cluster: None,
            service: Arc::new(Service {
                roots: opts.config.index.roots.clone(),
                config: opts.config,
                keys,
                loopback: AtomicBool::new(false),
                audit,
                jobs,
                metrics: Metrics::new(),
                uploads_dir: opts.uploads_dir,
                saved,
                buckets: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Serves the passages of `backend` instead of the index's.
    pub fn with_cluster(mut self, backend: Arc<SolrBackend>) -> Self {
        self.cluster = Some(backend);
        self
    }

    /// Where searches and answers read passages.
    pub(crate) fn store(&self) -> Store<'_> {
        match &self.cluster {
            Some(backend) => Store::Cluster(backend),
            None => Store::Embedded(&self.index),
        }
    }

    /// Whether API keys are configured (otherwise: local single-user mode).
    pub fn has_keys(&self) -> bool {
        self.service.keys.has_keys()
    }

    /// Appends `record` for the request `ctx` to the audit log.
    pub(crate) fn audit(&self, ctx: &Ctx, record: Record) {
        self.service
            .audit
            .append_record(record, &ctx.request_id, &ctx.principal.name);
    }
}

/// Who is asking, and which request this is; set by the router's authentication layer.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) principal: Principal,
    pub(crate) request_id: String,
}

/// A token bucket per key.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Service {
    /// Takes one request's token for `who`, or says how long to wait.
    pub(crate) fn take_token(&self, who: &str) -> Result<(), Duration> {
        let limits = &self.config.limits;
        let burst = f64::from(limits.burst);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = buckets.entry(who.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        b.tokens =
            (b.tokens + now.duration_since(b.at).as_secs_f64() * limits.rate_per_s).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - b.tokens) / limits.rate_per_s,
            ))
        }
    }
}
