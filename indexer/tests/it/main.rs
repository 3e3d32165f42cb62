//! Integration tests of `trawl_indexer`: real files, the real embedding model,
//! a real index on disk.

mod folder;
mod hostile;
mod jsonl;

use std::{path::Path, sync::OnceLock};

use trawl_embedder::{Embedder, ModelLocation, OnnxEmbedder, OnnxOptions};
use trawl_indexer::{IndexReport, NoProgress};
use trawl_search::{Hit, Index, IndexSpec, SearchRequest};

/// The real model, loaded once per test binary.
pub(crate) fn embedder() -> &'static OnnxEmbedder {
    static EMBEDDER: OnceLock<OnnxEmbedder> = OnceLock::new();
    EMBEDDER.get_or_init(|| {
        OnnxEmbedder::load(&ModelLocation::from_env(), OnnxOptions::default()).unwrap_or_else(|e| {
            panic!("the embedding model is missing ({e}); run `make setup` first")
        })
    })
}

/// Opens (or creates) an index for the real model in `dir`.
pub(crate) fn open_index(dir: &Path) -> Index {
    let info = embedder().info();
    let spec = IndexSpec {
        model_name: info.name.clone(),
        model_fingerprint: info.fingerprint.clone(),
        dim: info.dim,
        hnsw: Default::default(),
    };
    Index::open_or_create(dir, &spec).unwrap()
}

/// Indexes `path` (folder or JSONL file) into the index at `index_dir`.
pub(crate) fn index(path: &Path, index_dir: &Path) -> IndexReport {
    let index = open_index(index_dir);
    trawl_indexer::index_path(path, &index, embedder(), &Default::default(), &NoProgress).unwrap()
}

/// Keyword hits for `query`, best first.
pub(crate) fn keyword(index_dir: &Path, query: &str) -> Vec<Hit> {
    let index = Index::open(index_dir).unwrap();
    let mut req = SearchRequest::new(query);
    req.mode = trawl_search::Mode::Keyword;
    index.search(&req, None).unwrap().hits
}

/// Paths of the keyword hits for `query`, best first.
pub(crate) fn keyword_paths(index_dir: &Path, query: &str) -> Vec<String> {
    keyword(index_dir, query)
        .into_iter()
        .map(|h| h.path)
        .collect()
}
